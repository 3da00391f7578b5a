//! Which manifest of an image index counts: linux/amd64, what most clusters run, else the first
//! entry that is an image at all (BuildKit's attestation manifests say `unknown/unknown`).

/// The platform kube-rofs prefers, as `os/architecture`.
pub const PREFERRED: &str = "linux/amd64";

/// The entry to use among an index's entries, given as `os/architecture` (None for an entry
/// that names no platform), and whether it is the preferred one.
pub fn pick(platforms: &[Option<String>]) -> Option<(usize, bool)> {
    if let Some(i) = platforms.iter().position(|p| p.as_deref() == Some(PREFERRED)) {
        return Some((i, true));
    }
    let image = |p: &Option<String>| p.as_deref().is_none_or(|p| !p.starts_with("unknown/"));
    platforms.iter().position(image).map(|i| (i, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_amd64_wins_else_the_first_image() {
        let p = |s: &[Option<&str>]| pick(&s.iter().map(|o| o.map(str::to_owned)).collect::<Vec<_>>());
        assert_eq!(p(&[Some("linux/arm64"), Some("linux/amd64")]), Some((1, true)));
        assert_eq!(p(&[Some("unknown/unknown"), Some("linux/arm64"), Some("linux/s390x")]), Some((1, false)));
        assert_eq!(p(&[None]), Some((0, false)));
        assert_eq!(p(&[Some("unknown/unknown")]), None);
        assert_eq!(p(&[]), None);
    }
}
