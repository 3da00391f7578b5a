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
