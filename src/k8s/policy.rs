//! Decide what each container is: read-only, fixable, an explicit opt-out, or not applicable.

use super::status::{Refusal, Skip, Status};
use super::workload::{Container, PodSpec};
use crate::yaml::tree::{Document, Kind, Node};

/// Images that usually need a writable root filesystem (databases and other stateful
/// servers). Matched against the last path segment of the image repository, tag and digest
/// removed; `*` matches any run of characters. Overridable with `--stateful-image` and
/// `--no-default-stateful-images`.
pub const DEFAULT_STATEFUL_IMAGES: &[&str] = &[
    "postgres",
    "postgres-*",
    "postgresql",
    "postgresql-*",
    "postgis",
    "timescaledb*",
    "mysql",
    "mysql-*",
    "mariadb",
    "mariadb-*",
    "percona*",
    "mongo",
    "mongodb",
    "mongo-*",
    "mongodb-*",
    "redis",
    "redis-*",
    "valkey",
    "keydb",
    "cassandra",
    "cassandra-*",
    "scylla",
    "elasticsearch",
    "elasticsearch-*",
    "opensearch",
    "opensearch-*",
    "etcd",
    "etcd-*",
    "cockroach",
    "cockroachdb",
    "zookeeper",
    "zookeeper-*",
    "kafka",
    "kafka-*",
    "cp-kafka",
    "cp-zookeeper",
    "rabbitmq",
    "rabbitmq-*",
    "couchdb",
    "couchbase*",
    "neo4j",
    "influxdb",
    "clickhouse-server",
    "rethinkdb",
    "minio",
    "mssql-server",
    "oracle*",
    "vitess*",
];

/// Images that match a stateful pattern by name but are stateless helpers (metrics exporters,
/// operators), e.g. `postgres-exporter`, `redis-operator`.
pub const STATELESS_EXCEPTIONS: &[&str] = &["*exporter*", "*operator*"];

/// The opt-out annotation kube-rofs defines.
pub const SKIP_ANNOTATION: &str = "kube-rofs.io/skip";

/// Other tools' annotations for this control that kube-rofs honours: (tool and when it applies,
/// [(key as written, an example value that opts out)]). Kept in step with [`opt_out`] by a test
/// that runs every example through the classifier.
pub const PEER_ANNOTATIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "Checkov / Bridgecrew, any checkov.io/skip* or bridgecrew.io/skip* key whose value names CKV_K8S_22",
        &[("checkov.io/skip1", "CKV_K8S_22=<reason>"), ("bridgecrew.io/skip1", "CKV_K8S_22=<reason>")],
    ),
    (
        "kube-linter, any value",
        &[
            ("ignore-check.kube-linter.io/no-read-only-root-fs", "<reason>"),
            ("ignore-check.kube-linter.io/read-only-root-fs", "<reason>"),
        ],
    ),
    (
        "Polaris, value \"true\"",
        &[("polaris.fairwinds.com/exempt", "true"), ("polaris.fairwinds.com/readOnlyRootFilesystem-exempt", "true")],
    ),
    (
        "kube-score, when the comma-separated list names this check",
        &[("kube-score/ignore", "container-security-context-readonlyrootfilesystem")],
    ),
];

/// Every annotation listed, kube-rofs's own first: (key, example value).
#[cfg(test)]
pub fn annotations() -> impl Iterator<Item = (&'static str, &'static str)> {
    let peers = PEER_ANNOTATIONS.iter().flat_map(|(_, keys)| keys.iter().copied());
    std::iter::once((SKIP_ANNOTATION, "<reason>")).chain(peers)
}

/// Annotation keys a user may already have written to opt a workload out of this check.
fn opt_out(key: &str, value: &str) -> Option<Skip> {
    let truthy = value.trim().eq_ignore_ascii_case("true");
    let named = |v: &str| Some(Skip::Annotation { key: key.to_owned(), value: v.to_owned() });
    match key {
        SKIP_ANNOTATION => named(value),
        "ignore-check.kube-linter.io/no-read-only-root-fs" | "ignore-check.kube-linter.io/read-only-root-fs" => {
            named(value)
        }
        "polaris.fairwinds.com/exempt" | "polaris.fairwinds.com/readOnlyRootFilesystem-exempt" if truthy => {
            named(value)
        }
        "kube-score/ignore"
            if value.split(',').any(|c| c.trim() == "container-security-context-readonlyrootfilesystem") =>
        {
            named(value)
        }
        _ if (key.starts_with("checkov.io/skip") || key.starts_with("bridgecrew.io/skip"))
            && value.split('=').next().is_some_and(|id| id.trim() == "CKV_K8S_22") =>
        {
            named(value)
        }
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub stateful_images: Vec<String>,
    pub fix_explicit_false: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            stateful_images: DEFAULT_STATEFUL_IMAGES.iter().map(|s| s.to_string()).collect(),
            fix_explicit_false: false,
        }
    }
}

/// The `readOnlyRootFilesystem` value of a container, as found.
enum Flag {
    Absent,
    True,
    False,
    Other(String),
    /// A key on the way is written twice: which one counts is the reader's choice.
    Twice(&'static str, &'static str),
}

/// The value of `key` in `map`, or why it cannot be read: written twice.
fn only<'n, 'a>(map: &'n Node<'a>, key: &str) -> Result<Option<&'n Node<'a>>, ()> {
    let mut found = map.entries().unwrap_or_default().iter().filter(|e| e.key.as_str() == Some(key));
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(()),
        (first, _) => Ok(first.map(|e| &e.value)),
    }
}

/// Read through aliases: an audit may follow `*sc`, only the editor may not. A duplicate key
/// on the way is not read at all: YAML readers disagree about it (most take the last one, as
/// the API server does, some the first, some refuse), so no value of it may pass the audit.
fn flag(doc: &Document, container: &Node) -> Flag {
    let container = doc.resolve(container);
    let sc = match only(container, "securityContext") {
        Ok(Some(sc)) => doc.resolve(sc),
        Ok(None) => return Flag::Absent,
        Err(()) => return Flag::Twice("the container", "securityContext"),
    };
    let v = match only(sc, "readOnlyRootFilesystem") {
        Ok(Some(v)) => doc.resolve(v),
        Ok(None) => return Flag::Absent,
        Err(()) => return Flag::Twice("securityContext", "readOnlyRootFilesystem"),
    };
    match &v.kind {
        Kind::Scalar { value, style: granit_parser::ScalarStyle::Plain } => match value.as_ref() {
            "true" | "True" | "TRUE" => Flag::True,
            "false" | "False" | "FALSE" => Flag::False,
            other => Flag::Other(other.to_owned()),
        },
        Kind::Scalar { value, .. } => Flag::Other(format!("\"{value}\" (a string)")),
        _ => Flag::Other("a collection".into()),
    }
}

/// A container this check does not apply to whatever its image: one in a Windows pod (the
/// API server rejects `readOnlyRootFilesystem` there), or a strategic-merge patch entry that
/// deletes the container (`$patch: delete`).
fn not_a_container(doc: &Document, pod: &PodSpec, c: &Container) -> Option<Skip> {
    let os = pod.spec.get("os").and_then(|o| o.get("name")).and_then(Node::as_str);
    if os.is_some_and(|n| n.eq_ignore_ascii_case("windows")) {
        return Some(Skip::Windows);
    }
    let patch = doc.resolve(c.node).get("$patch").and_then(Node::as_str);
    patch.is_some_and(|p| p == "delete").then_some(Skip::PatchDelete)
}

impl Policy {
    pub fn classify(&self, doc: &Document, pod: &PodSpec, c: &Container) -> Status {
        if doc.resolve(c.node).entries().is_none() {
            return Status::Refused(Refusal::NotA { what: "the container", shape: "mapping" });
        }
        if let Some(skip) = not_a_container(doc, pod, c) {
            return Status::NotApplicable(skip);
        }
        let flag = match (flag(doc, c.node), c.template) {
            (Flag::Absent, Some(template)) => flag(doc, template),
            (own, _) => own,
        };
        match flag {
            Flag::True => return Status::ReadOnly,
            Flag::False if !self.fix_explicit_false => return Status::ExplicitFalse,
            Flag::Other(v) => return Status::Refused(Refusal::NotBoolean(v)),
            Flag::Twice(what, key) => return Status::Refused(Refusal::DuplicateKey(what, key.to_owned())),
            Flag::False | Flag::Absent => {}
        }

        if let Some(reason) = pod.annotations.iter().find_map(|(k, v)| opt_out(k, v)) {
            return Status::NotApplicable(reason);
        }
        if let Some(image) = &c.image
            && let Some(p) = self.stateful_match(image)
        {
            return Status::NotApplicable(Skip::Image { image: image.clone(), pattern: p.to_owned() });
        }
        if let Some(reason) = c.refuse {
            return Status::Refused(Refusal::ByKind(reason.to_owned()));
        }
        Status::Writable
    }

    fn stateful_match(&self, image: &str) -> Option<&str> {
        let name = image_name(image);
        if STATELESS_EXCEPTIONS.iter().any(|p| glob(p, &name)) {
            return None;
        }
        self.stateful_images.iter().map(String::as_str).find(|p| glob(p, &name))
    }
}

/// The last path segment of an image's repository, without tag or digest, lower-cased:
/// `docker.io/library/Redis:7` -> `redis`.
pub fn image_name(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or(image);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    last.split(':').next().unwrap_or(last).to_ascii_lowercase()
}

/// A user's image glob matches the image's name (`nginx*`) or its whole reference
/// (`ghcr.io/acme/*`).
pub fn image_matches(pattern: &str, image: &str) -> bool {
    glob(pattern, &image_name(image)) || glob(pattern, image)
}

/// Minimal glob: `*` matches any run of characters, everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stateful_images_match_on_the_repository_name() {
        let p = Policy::default();
        assert!(p.stateful_match("docker.io/library/postgres:16").is_some());
        assert!(p.stateful_match("bitnami/postgresql@sha256:abc").is_some());
        assert!(p.stateful_match("quay.io/coreos/etcd-amd64:v3").is_some());
        assert!(p.stateful_match("localhost:5000/redis").is_some());
        assert!(p.stateful_match("oliver006/redis_exporter:v1").is_none());
        assert!(p.stateful_match("quay.io/prometheuscommunity/postgres-exporter").is_none());
        assert!(p.stateful_match("danielqsj/kafka-exporter:latest").is_none());
        assert!(p.stateful_match("spotahome/redis-operator:v1").is_none());
        assert!(p.stateful_match("nginx:1.25").is_none());
    }

    #[test]
    fn opt_out_annotations() {
        assert!(opt_out("checkov.io/skip3", "CKV_K8S_22=needs to write").is_some());
        assert!(opt_out("checkov.io/skip1", "CKV_K8S_20=other").is_none());
        assert!(
            opt_out("kube-score/ignore", "pod-probes, container-security-context-readonlyrootfilesystem").is_some()
        );
        assert!(opt_out("polaris.fairwinds.com/exempt", "false").is_none());
        assert!(opt_out("kube-rofs.io/skip", "legacy app writes to /opt").is_some());
    }

    #[test]
    fn glob_matches() {
        assert!(glob("postgres-*", "postgres-exporter"));
        assert!(!glob("postgres-*", "postgres"));
        assert!(glob("*db*", "couchdb1"));
    }
}
