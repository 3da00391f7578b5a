//! Decide what each container is: read-only, fixable, an explicit opt-out, or not applicable.

use super::image::{ImagePattern, ImageRef};
use super::profiles::profile_of;
use super::stateful;
use super::status::{Refusal, Skip, Status};
use super::workload::{Container, PodSpec};
use crate::yaml::tree::{Document, Kind, Node};

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

/// kubeaudit's override labels on a pod template: one container
/// (`container.kubeaudit.io/<name>.allow-read-only-root-filesystem-false`) or all of them
/// (`kubeaudit.io/allow-read-only-root-filesystem-false`); the value is the reason.
pub const KUBEAUDIT_ALL: &str = "kubeaudit.io/allow-read-only-root-filesystem-false";
const KUBEAUDIT_ONE: (&str, &str) = ("container.kubeaudit.io/", ".allow-read-only-root-filesystem-false");

fn label_opt_out(key: &str, value: &str, container: &str) -> Option<Skip> {
    let one = key.strip_prefix(KUBEAUDIT_ONE.0).and_then(|k| k.strip_suffix(KUBEAUDIT_ONE.1));
    (key == KUBEAUDIT_ALL || one == Some(container))
        .then(|| Skip::Label { key: key.to_owned(), value: value.to_owned() })
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// Images treated as stateful besides the built-in signals (`--stateful-image`).
    pub stateful_images: Vec<ImagePattern>,
    /// Images never treated as stateful, whatever the signals say (`statelessImages`).
    pub stateless_images: Vec<ImagePattern>,
    /// Use the built-in stateful signals: database names, server variables, ports, volume claim
    /// templates (`--no-default-stateful-images` turns them off).
    pub default_signals: bool,
    pub fix_explicit_false: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            stateful_images: Vec::new(),
            stateless_images: Vec::new(),
            default_signals: true,
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
            return Status::Refused(Box::new(Refusal::NotA { what: "the container", shape: "mapping" }));
        }
        if let Some(skip) = not_a_container(doc, pod, c) {
            return Status::NotApplicable(Box::new(skip));
        }
        let flag = match (flag(doc, c.node), c.template) {
            (Flag::Absent, Some(template)) => flag(doc, template),
            (own, _) => own,
        };
        let explicit_false = match flag {
            Flag::True => return Status::ReadOnly,
            Flag::Other(v) => return Status::Refused(Box::new(Refusal::NotBoolean(v))),
            Flag::Twice(what, key) => return Status::Refused(Box::new(Refusal::DuplicateKey(what, key.to_owned()))),
            Flag::False => !self.fix_explicit_false,
            Flag::Absent => false,
        };
        // Opt-outs and stateful images first: a database that says `false` on purpose is not
        // applicable, not a writable container that counts against the ratio.
        if let Some(reason) = pod.annotations.iter().find_map(|(k, v)| opt_out(k, v)) {
            return Status::NotApplicable(Box::new(reason));
        }
        if let Some(reason) = pod.labels.iter().find_map(|(k, v)| label_opt_out(k, v, &c.name)) {
            return Status::NotApplicable(Box::new(reason));
        }
        if let Some(skip) = self.stateful(doc, pod, c) {
            return Status::NotApplicable(Box::new(skip));
        }
        if explicit_false {
            return Status::ExplicitFalse;
        }
        if let Some(reason) = c.refuse {
            return Status::Refused(Box::new(Refusal::ByKind(reason.to_owned())));
        }
        Status::Writable
    }

    /// Why the container runs a database or another store, if it does. The configuration
    /// speaks first (`statelessImages`, then `--stateful-image`), then the built-in signals.
    fn stateful(&self, doc: &Document, pod: &PodSpec, c: &Container) -> Option<Skip> {
        let image = c.image.as_deref().and_then(|i| ImageRef::parse(i).map(|r| (i, r)));
        if let Some((_, r)) = &image
            && self.stateless_images.iter().any(|p| p.matches_loosely(r))
        {
            return None;
        }
        if let Some((text, r)) = &image
            && let Some(p) = self.stateful_images.iter().find(|p| p.matches_loosely(r))
        {
            return Some(Skip::Image { image: (*text).to_owned(), pattern: p.as_str().to_owned() });
        }
        if !self.default_signals {
            return None;
        }
        let signals = stateful::built_in();
        if let Some((text, r)) = &image {
            if let Some(name) = signals.name_in(r) {
                return Some(Skip::Image { image: (*text).to_owned(), pattern: name.to_owned() });
            }
            if let Some(p) = profile_of(r).filter(|p| p.stateful) {
                return Some(Skip::Image { image: (*text).to_owned(), pattern: format!("profile {}", p.name) });
            }
        }
        let node = doc.resolve(c.node);
        let strings = |list: &str, key: &str| -> Vec<String> {
            let items = node.get(list).map(|l| doc.resolve(l)).and_then(Node::items).unwrap_or_default();
            items.iter().filter_map(|i| doc.resolve(i).get(key).and_then(Node::as_str).map(str::to_owned)).collect()
        };
        let variable = strings("env", "name").into_iter().find_map(|n| Some((signals.variable(&n)?, n)));
        if let Some((what, name)) = variable {
            return Some(Skip::Stateful { signal: format!("environment variable {name} ({what} setting)") });
        }
        // A store's port, unless the port is named for something else (Ray's head listens on 6379
        // as `gcs-server`): an unnamed port, or one whose name says database, counts.
        let ports = node.get("ports").map(|l| doc.resolve(l)).and_then(Node::items).unwrap_or_default();
        for p in ports.iter().map(|p| doc.resolve(p)) {
            let Some(port) = p.get("containerPort").and_then(Node::as_str).and_then(|n| n.parse::<u16>().ok()) else {
                continue;
            };
            let named_otherwise = p.get("name").and_then(Node::as_str).is_some_and(|n| !signals.db_like(n));
            if let Some(what) = signals.port(port).filter(|_| !named_otherwise) {
                return Some(Skip::Stateful { signal: format!("container port {port} ({what})") });
            }
        }
        let claims = pod.object.get("spec").and_then(|s| s.get("volumeClaimTemplates")).and_then(Node::items);
        let claims: Vec<&str> =
            claims.unwrap_or_default().iter().filter_map(|t| t.get("metadata")?.get("name")?.as_str()).collect();
        strings("volumeMounts", "name")
            .into_iter()
            .find(|m| claims.contains(&m.as_str()))
            .map(|m| Skip::Stateful { signal: format!("mounts the volume claim template `{m}` (persistent data)") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
