//! Unified diffs (via `similar`) that `git apply` and `patch -p1` apply byte for byte.

use similar::TextDiff;

use crate::yaml::edit::Edit;

/// Lines of context around each change, as `diff -u` and git use.
const CONTEXT: usize = 3;

/// A unified diff of `old` -> `new` with `a/PATH` and `b/PATH` headers; empty when equal.
/// A path with a space gets a tab after it, as git writes it, so `patch` reads it whole.
pub fn unified(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT)
        .header(&old_name(path), &new_name(path))
        .to_string()
}

fn old_name(path: &str) -> String {
    header_name("a/", path)
}

fn new_name(path: &str) -> String {
    header_name("b/", path)
}

/// A path in a diff header as git writes it: C-quoted when it holds a control character, a
/// double quote or a backslash (a file name with a line break must not split the header);
/// otherwise as it is, with a tab after it when it holds a space, so `patch` reads it whole.
fn header_name(prefix: &str, path: &str) -> String {
    if !path.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return format!("{prefix}{path}{}", if path.contains(' ') { "\t" } else { "" });
    }
    let mut out = format!("\"{prefix}");
    for c in path.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The same diff as [`unified`], in pieces (the header, then one piece per hunk, each
/// allocated once: a large diff never sits in one buffer that grows by doubling), when `new` is
/// `old` with `edits` applied, computed faster:
/// only the lines around the changes are handed to `similar` (a window per group of nearby
/// changes), so a large file with a few edits is not diffed whole. The windows are far enough
/// apart that their hunks never touch.
pub fn unified_edits(old: &str, new: &str, edits: &[&Edit], path: &str) -> Vec<String> {
    if old == new {
        return Vec::new();
    }
    if edits.is_empty() {
        return vec![unified(old, new, path)];
    }
    let mut out = vec![format!("--- {}\n+++ {}\n", old_name(path), new_name(path))];
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(old.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < old.len())).collect();
    let line_of = |byte: usize| line_starts.partition_point(|&s| s <= byte).saturating_sub(1);
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| (e.start, e.end));
    // Groups of edits: (first line, last line, byte delta of the group).
    let mut groups: Vec<(usize, usize, isize)> = Vec::new();
    for e in &edits {
        let (first, last) = (line_of(e.start), line_of(e.end));
        let delta = e.delta();
        match groups.last_mut() {
            // Changes whose context would meet (gap of 2 * CONTEXT lines, one more for a
            // change at a line start) go into one window, where similar groups the hunks.
            Some(g) if first <= g.1 + 2 * CONTEXT + 2 => {
                g.1 = g.1.max(last);
                g.2 += delta;
            }
            _ => groups.push((first, last, delta)),
        }
    }
    let (mut shift, mut line_shift) = (0isize, 0isize);
    for (first, last, delta) in groups {
        let line0 = first.saturating_sub(CONTEXT);
        let (a, b) = (line_starts[line0], line_starts.get(last + CONTEXT + 1).copied().unwrap_or(old.len()));
        let (na, nb) = (a.saturating_add_signed(shift), b.saturating_add_signed(shift + delta));
        let (old_part, new_part) = (&old[a..b], &new[na..nb]);
        let window = TextDiff::from_lines(old_part, new_part);
        for hunk in window.unified_diff().context_radius(CONTEXT).iter_hunks() {
            let ops = hunk.ops();
            let (Some(head), Some(tail)) = (ops.first(), ops.last()) else { continue };
            let range = |start: usize, end: usize, offset: usize| match end - start {
                1 => format!("{}", start + offset + 1),
                0 => format!("{},0", start + offset),
                n => format!("{},{n}", start + offset + 1),
            };
            let new0 = line0.saturating_add_signed(line_shift);
            let old_range = range(head.old_range().start, tail.old_range().end, line0);
            let new_range = range(head.new_range().start, tail.new_range().end, new0);
            let body = hunk.to_string();
            let body = body.split_once('\n').map_or("", |(_, rest)| rest);
            out.push(format!("@@ -{old_range} +{new_range} @@\n{body}"));
        }
        shift += delta;
        line_shift += lines(new_part) as isize - lines(old_part) as isize;
    }
    out
}

fn lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &str, changes: &[(usize, usize, &str)]) -> (String, Vec<Edit>) {
        let mut new = old.to_owned();
        for &(start, end, text) in changes.iter().rev() {
            new.replace_range(start..end, text);
        }
        (new, changes.iter().map(|&(start, end, text)| Edit::replacement(start, end, text.into(), 0)).collect())
    }

    #[test]
    fn headers_and_missing_final_newline() {
        let (new, changes) = apply("a: 1\nb: 2", &[(9, 9, "\nc: 3")]);
        let d = unified_edits("a: 1\nb: 2", &new, &changes.iter().collect::<Vec<_>>(), "x.yaml").concat();
        assert!(d.starts_with("--- a/x.yaml\n+++ b/x.yaml\n"), "{d}");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
        assert_eq!(d, unified("a: 1\nb: 2", &new, "x.yaml"));
        assert!(unified_edits("same", "same", &[], "x").is_empty());
    }

    #[test]
    fn names_with_line_breaks_or_quotes_are_c_quoted_as_git_does() {
        assert_eq!(header_name("a/", "x.yaml"), "a/x.yaml");
        assert_eq!(header_name("a/", "f y.yaml"), "a/f y.yaml\t");
        assert_eq!(header_name("a/", "f\ny.yaml"), "\"a/f\\ny.yaml\"");
        assert_eq!(header_name("b/", "q\"\\\x1b.yaml"), "\"b/q\\\"\\\\\\033.yaml\"");
    }

    #[test]
    fn windows_give_the_same_diff_as_the_whole_file() {
        let old: String = (0..60).map(|i| format!("line {i}\n")).collect();
        let at = |line: usize| old.match_indices('\n').nth(line.wrapping_sub(1)).map_or(0, |(i, _)| i + 1);
        let cases: Vec<Vec<(usize, usize, &str)>> = vec![
            vec![(at(0), at(0), "new\n")],
            vec![(at(60), at(60), "end\n")],
            vec![(at(10), at(10), "x\n"), (at(12), at(12), "y\n")],
            // Gaps around 2 * CONTEXT: hunks merge or stay apart exactly as similar decides.
            vec![(at(10), at(10), "x\n"), (at(16), at(16), "y\n")],
            vec![(at(10), at(10), "x\n"), (at(17), at(17), "y\n")],
            vec![(at(10), at(10), "x\n"), (at(18), at(18), "y\n")],
            vec![(at(10) + 2, at(10) + 4, "NE"), (at(30), at(31), "gone\n"), (at(59), at(60), "")],
            vec![(at(1), at(1), "a\nb\nc\n"), (at(40), at(40), "d\n")],
        ];
        for case in cases {
            let (new, changes) = apply(&old, &case);
            let edits: Vec<&Edit> = changes.iter().collect();
            assert_eq!(unified_edits(&old, &new, &edits, "f y").concat(), unified(&old, &new, "f y"), "{case:?}");
        }
    }
}
