//! Unified diffs (via `similar`) that `git apply` and `patch -p1` apply byte for byte.

use similar::TextDiff;

/// A unified diff of `old` -> `new` with `a/PATH` and `b/PATH` headers; empty when equal.
/// A path with a space gets a tab after it, as git writes it, so `patch` reads it whole.
pub fn unified(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    let tab = if path.contains(' ') { "\t" } else { "" };
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}{tab}"), &format!("b/{path}{tab}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_missing_final_newline() {
        let d = unified("a: 1\nb: 2", "a: 1\nb: 2\nc: 3", "x.yaml");
        assert!(d.starts_with("--- a/x.yaml\n+++ b/x.yaml\n"), "{d}");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
        assert_eq!(unified("same", "same", "x"), "");
    }
}
