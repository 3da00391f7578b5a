//! Image references as the container runtime reads them: registry, repository, tag, digest,
//! with Docker Hub's defaults (`nginx` is `docker.io/library/nginx`).

use std::fmt;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    /// `docker.io`, `registry.k8s.io`, `localhost:5000`, ...
    pub registry: String,
    /// `library/nginx`, `bitnami/nginx`, `ingress-nginx/controller`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:...`
    pub digest: Option<String>,
}

pub const DOCKER_HUB: &str = "docker.io";

impl ImageRef {
    /// Parse a reference as `docker pull` does; None for text that is not one (empty, spaces,
    /// upper-case repository, template braces).
    pub fn parse(text: &str) -> Option<ImageRef> {
        let text = text.trim();
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) if !d.is_empty() => (r, Some(d.to_owned())),
            Some(_) => return None,
            None => (text, None),
        };
        // A tag follows the last `:` after the last `/` (a `:` before it is a registry port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(rest[last_slash + i + 1..].to_owned())),
            None => (rest, None),
        };
        if name.is_empty() || tag.as_deref() == Some("") {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_owned(),
            _ => registry,
        };
        let repository = match (registry.as_str(), repository.contains('/')) {
            (DOCKER_HUB, false) => format!("library/{repository}"),
            _ => repository,
        };
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/');
        if !repository.chars().all(valid) || repository.starts_with('/') || repository.ends_with('/') {
            return None;
        }
        Some(ImageRef { registry, repository, tag, digest })
    }

    /// `docker.io/library/nginx`: registry and repository.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The name people write: `nginx`, `bitnami/nginx`, `registry.k8s.io/ingress-nginx/controller`.
    pub fn short_name(&self) -> String {
        match (self.registry.as_str(), self.repository.strip_prefix("library/")) {
            (DOCKER_HUB, Some(official)) => official.to_owned(),
            (DOCKER_HUB, None) => self.repository.clone(),
            _ => self.full_name(),
        }
    }

    /// Whether `name` is this image's [short](Self::short_name) or [full](Self::full_name) name,
    /// without building either.
    pub fn is_named(&self, name: &str) -> bool {
        let full = name.strip_prefix(self.registry.as_str()).and_then(|rest| rest.strip_prefix('/'));
        let short = || self.repository.strip_prefix("library/").unwrap_or(&self.repository);
        full == Some(self.repository.as_str()) || (self.registry == DOCKER_HUB && name == short())
    }

    /// The last path segment of the repository: `nginx`, `controller`.
    pub fn last_segment(&self) -> &str {
        self.repository.rsplit('/').next().unwrap_or(&self.repository)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.full_name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = ImageRef::parse(s).unwrap_or_else(|| panic!("{s}"));
        (r.full_name(), r.short_name(), r.tag, r.digest)
    }

    #[test]
    fn references_normalise_as_the_runtime_reads_them() {
        assert_eq!(names("nginx"), ("docker.io/library/nginx".into(), "nginx".into(), None, None));
        assert_eq!(names("nginx:1.27").2.as_deref(), Some("1.27"));
        let d = names("docker.io/library/nginx:1.27@sha256:abc");
        assert_eq!((d.1.as_str(), d.2.as_deref(), d.3.as_deref()), ("nginx", Some("1.27"), Some("sha256:abc")));
        assert_eq!(names("bitnami/nginx").0, "docker.io/bitnami/nginx");
        assert_eq!(names("bitnami/nginx").1, "bitnami/nginx");
        assert_eq!(names("index.docker.io/nginxinc/nginx-unprivileged:1.27").1, "nginxinc/nginx-unprivileged");
        assert_eq!(
            names("registry.k8s.io/ingress-nginx/controller:v1.11.0").1,
            "registry.k8s.io/ingress-nginx/controller"
        );
        assert_eq!(names("localhost:5000/app").0, "localhost:5000/app");
        assert_eq!(names("127.0.0.1:5000/test/app:1.0").2.as_deref(), Some("1.0"));
        assert_eq!(ImageRef::parse("quay.io/argoproj/argocd:v2.12").unwrap().last_segment(), "argocd");
        for bad in ["", "Nginx", "{{ .Values.image }}", "nginx:", "nginx@", "a b"] {
            assert!(ImageRef::parse(bad).is_none(), "{bad:?}");
        }
    }
}

/// An image pattern in the one glob dialect of the configuration (globset): `*` matches within
/// one path segment, `**` across segments. It matches an image when it matches the image's short
/// name (`nginx`, `bitnami/nginx`) or its full name (`docker.io/library/nginx`); patterns from
/// the configuration also match the last segment of the repository (`mydb*` matches
/// `registry.internal/team/mydb-server`).
#[derive(Debug, Clone)]
pub struct ImagePattern {
    text: String,
    /// None for a pattern without glob syntax, compared as text: as a glob it would match only
    /// itself, and building its matcher costs more than the rest of a one-file run (all 105
    /// patterns of the built-in profiles are literal; each matcher is a compiled regex).
    matcher: Option<globset::GlobMatcher>,
}

/// The one glob dialect of kube-rofs's data and configuration (image patterns, `exclude`):
/// globset's, with `*` and `?` inside one path segment and `**` across segments.
pub fn glob(text: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(text).literal_separator(true).build()
}

/// The characters that make a pattern a glob for globset (`\\` escapes, `[`, `{` open classes
/// and alternatives).
const GLOB_SYNTAX: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];

impl ImagePattern {
    pub fn new(text: &str) -> Result<ImagePattern, String> {
        if !text.contains(GLOB_SYNTAX) {
            return Ok(ImagePattern { text: text.to_owned(), matcher: None });
        }
        let glob = glob(text).map_err(|e| format!("image pattern {text:?}: {e}"))?;
        Ok(ImagePattern { text: text.to_owned(), matcher: Some(glob.compile_matcher()) })
    }

    /// The short or the full name matches (data files: `nginx` is not `bitnami/nginx`).
    pub fn matches(&self, image: &ImageRef) -> bool {
        match &self.matcher {
            None => image.is_named(&self.text),
            Some(m) => [image.short_name(), image.full_name()].iter().any(|n| m.is_match(n)),
        }
    }

    /// [`matches`](Self::matches), or the last segment of the repository matches (patterns a
    /// user writes: `mydb*`).
    pub fn matches_loosely(&self, image: &ImageRef) -> bool {
        self.matches(image)
            || match &self.matcher {
                None => self.text == image.last_segment(),
                Some(m) => m.is_match(image.last_segment()),
            }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for ImagePattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::*;

    #[test]
    fn patterns_match_short_full_and_last_segment_names() {
        let strict = |p: &str, i: &str| ImagePattern::new(p).unwrap().matches(&ImageRef::parse(i).unwrap());
        let m = |p: &str, i: &str| ImagePattern::new(p).unwrap().matches_loosely(&ImageRef::parse(i).unwrap());
        assert!(strict("nginx", "nginx:1.27"));
        assert!(strict("nginx", "docker.io/library/nginx@sha256:abc"));
        assert!(!strict("nginx", "bitnami/nginx"), "a short name: its own repository only");
        assert!(strict("bitnami/nginx", "docker.io/bitnami/nginx:1.27"));
        assert!(m("nginx", "bitnami/nginx"), "a user's pattern also matches the last segment");
        assert!(m("nginx*", "nginxinc/nginx-unprivileged"), "last segment");
        assert!(m("ghcr.io/acme/*", "ghcr.io/acme/api:2"));
        assert!(!m("ghcr.io/*", "ghcr.io/acme/api:2"), "`*` stays in one segment");
        assert!(m("ghcr.io/**", "ghcr.io/acme/api:2"));
        assert!(m("mydb*", "registry.internal/team/mydb-server:4.2"));
        assert!(ImagePattern::new("[").is_err());
    }

    /// A pattern without glob syntax is compared as text; it must match exactly what the same
    /// pattern matches as a glob.
    #[test]
    fn literal_patterns_match_as_their_globs_do() {
        let images = [
            "nginx",
            "nginx:1.27",
            "bitnami/nginx",
            "docker.io/library/nginx@sha256:abc",
            "index.docker.io/nginxinc/nginx-unprivileged:1.27",
            "registry.k8s.io/ingress-nginx/controller:v1.11.0",
            "localhost:5000/app",
            "quay.io/argoproj/argocd:v2.12",
            "ghcr.io/acme/library/api",
            "library/nginx",
        ];
        let patterns = [
            "nginx",
            "library/nginx",
            "docker.io/library/nginx",
            "bitnami/nginx",
            "docker.io/bitnami/nginx",
            "nginxinc/nginx-unprivileged",
            "registry.k8s.io/ingress-nginx/controller",
            "controller",
            "localhost:5000/app",
            "app",
            "ghcr.io/acme/library/api",
            "api",
            "docker.io",
            "",
        ];
        for p in patterns {
            let literal = ImagePattern::new(p).unwrap();
            assert!(literal.matcher.is_none(), "{p}");
            let glob = glob(p).unwrap().compile_matcher();
            let glob = ImagePattern { text: p.to_owned(), matcher: Some(glob) };
            for i in images {
                let r = ImageRef::parse(i).unwrap();
                assert_eq!(literal.matches(&r), glob.matches(&r), "{p} against {i}");
                assert_eq!(literal.matches_loosely(&r), glob.matches_loosely(&r), "{p} against {i}, loosely");
            }
        }
        assert!(ImagePattern::new("nginx*").unwrap().matcher.is_some());
    }
}
