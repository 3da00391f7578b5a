//! What a container is for this check, and why kube-rofs leaves one alone.

use std::fmt;

/// What a container is, before any edit is planned (and, for `Writable`, after it is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `readOnlyRootFilesystem: true` is there.
    ReadOnly,
    /// Writable and fixable (or fixed, after `fix`).
    Writable,
    /// `readOnlyRootFilesystem: false`: writable, and counted so; `fix` leaves it alone unless
    /// asked (`--fix-explicit-false`). Exempt it on purpose with `kube-rofs.io/skip`.
    ExplicitFalse,
    /// Opt-out annotation or stateful image; excluded from the ratio.
    NotApplicable(Box<Skip>),
    /// Writable, but no exact edit exists.
    Refused(Box<Refusal>),
}

impl Status {
    /// Counted in the denominator of the audit ratio.
    pub fn counts(&self) -> bool {
        matches!(self, Status::ReadOnly | Status::Writable | Status::Refused(_) | Status::ExplicitFalse)
    }
}

/// Why a container is not applicable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// An opt-out annotation on the workload or a pod template.
    Annotation { key: String, value: String },
    /// An opt-out label on the workload or a pod template (kubeaudit's overrides).
    Label { key: String, value: String },
    /// A database or other stateful image that needs a writable root.
    Image { image: String, pattern: String },
    /// Another sign of a database or store: a server variable, a port, a volume claim template.
    Stateful { signal: String },
    /// A Windows pod (`spec.os.name: windows`): the API server rejects the setting there.
    Windows,
    /// A strategic-merge patch entry that deletes the container (`$patch: delete`).
    PatchDelete,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Annotation { key, value } => write!(f, "opt-out annotation {key}: {value:?}"),
            Skip::Label { key, value } => write!(f, "opt-out label {key}: {value:?}"),
            Skip::Image { image, pattern } => write!(f, "database/stateful image {image} (matches {pattern})"),
            Skip::Stateful { signal } => write!(f, "database/stateful: {signal}"),
            Skip::Windows => f.write_str(
                "a Windows pod (spec.os.name: windows): the API server rejects readOnlyRootFilesystem there",
            ),
            Skip::PatchDelete => {
                f.write_str("a strategic-merge patch entry that deletes the container ($patch: delete)")
            }
        }
    }
}

/// Why a writable container, or a workload, cannot be checked or edited exactly. `what`
/// names the node (`the container`, `securityContext`, `` `template` ``).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The node is an alias (`*name`): its text is elsewhere.
    Alias(&'static str),
    /// A key on the way to the containers holds an alias.
    AliasOnTheWay(String),
    /// A mapping on the way to the containers uses a merge key.
    MergeOnTheWay(String),
    /// The node is anchored and an alias elsewhere repeats it.
    Shared(&'static str),
    /// The node carries an explicit tag.
    Tagged(&'static str),
    /// A tag on a node or key between the document root and the pod spec.
    TaggedOnTheWay,
    /// The mapping uses a merge key (`<<`).
    MergeKey(&'static str),
    /// The mapping has an explicit (`?`), complex or tagged key.
    OddKey(&'static str),
    /// The mapping has this key twice.
    DuplicateKey(&'static str, String),
    /// The node has another shape than Kubernetes gives it.
    NotA { what: &'static str, shape: &'static str },
    /// `readOnlyRootFilesystem` holds something other than a boolean.
    NotBoolean(String),
    /// A pod volume whose name is not a plain scalar.
    UnnamedVolume,
    /// The text around the edit point cannot be extended exactly.
    Layout(&'static str),
    /// The independent verifier cannot read the file.
    Unverifiable(String),
    /// The kinds table says this kind's containers here are not edited, and why.
    ByKind(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Alias(what) => {
                write!(f, "{what} is an alias; it cannot be edited without changing what it repeats")
            }
            Refusal::AliasOnTheWay(key) => {
                write!(f, "`{key}` is an alias; its containers cannot be checked or edited exactly")
            }
            Refusal::MergeOnTheWay(key) => {
                write!(f, "`{key}` uses a merge key (<<); its containers cannot be checked exactly")
            }
            Refusal::Shared(what) => {
                write!(f, "{what} is anchored and reused through an alias; editing it would change the alias too")
            }
            Refusal::Tagged(what) => write!(f, "{what} has an explicit tag"),
            Refusal::TaggedOnTheWay => {
                f.write_str("a tag (`!...`) on the way to the pod spec changes how it reads; not edited")
            }
            Refusal::MergeKey(what) => write!(f, "{what} uses a merge key (<<)"),
            Refusal::OddKey(what) => write!(f, "{what} has an explicit (`?`), complex or tagged key"),
            Refusal::DuplicateKey(what, key) => write!(f, "{what} has the key `{key}` twice"),
            Refusal::NotA { what, shape } => write!(f, "{what} is not a {shape}"),
            Refusal::NotBoolean(v) => write!(f, "readOnlyRootFilesystem is {v}, not a boolean"),
            Refusal::UnnamedVolume => f.write_str("a pod volume has no plain name (alias?)"),
            Refusal::Layout(why) => f.write_str(why),
            Refusal::Unverifiable(why) | Refusal::ByKind(why) => f.write_str(why),
        }
    }
}
