//! A fix as data: the edits that must be applied together, and the meaning they must have.

use std::sync::Arc;

use crate::yaml::edit::Edit;
use crate::yaml::path::{Path, Seg};
use crate::yaml::render::New;

/// A change of meaning, stated independently of the text: the verifier applies these to the
/// original document as parsed by serde_yaml and expects exactly the re-read patched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set `key` of the mapping at `at` to `value` (adding or replacing it).
    Set { at: Path, key: String, value: New },
    /// Append `items` to the sequence at `at`.
    Append { at: Path, items: Vec<New> },
}

impl Op {
    /// The same change with the first `n` segments of its place replaced by `by` (a `List`
    /// item's `items`, `i` read as index 0 of a sequence of one item).
    pub(crate) fn moved(&self, n: usize, by: Seg) -> Op {
        let at = |at: &Path| std::iter::once(by.clone()).chain(at.iter().skip(n).cloned()).collect();
        match self {
            Op::Set { at: p, key, value } => Op::Set { at: at(p), key: key.clone(), value: value.clone() },
            Op::Append { at: p, items } => Op::Append { at: at(p), items: items.clone() },
        }
    }
}

/// Everything that makes one pod spec's writable containers read-only: the
/// `readOnlyRootFilesystem` keys, the mounts and the pod volumes they use. A fix stands on its
/// own: applied without any other fix of the file it gives a valid manifest, and applying every
/// fix of a file gives exactly what `fix` writes. (Like ruff's `Fix`: edits that must be
/// applied together.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fix {
    /// Byte ranges of the file (a BOM included) and their new text: in order, not overlapping,
    /// at most one insertion per offset.
    pub edits: Vec<Edit>,
    /// The document the fix changes (0-based).
    pub(crate) doc: usize,
    /// What the edits mean, for the verifier.
    pub(crate) ops: Vec<Op>,
}

impl Fix {
    /// A planned edit and its meaning join the fix.
    pub(crate) fn push(&mut self, edits: impl IntoIterator<Item = Edit>, op: Op) {
        self.edits.extend(edits);
        self.ops.push(op);
    }

    pub(crate) fn extend(&mut self, other: Fix) {
        self.edits.extend(other.edits);
        self.ops.extend(other.ops);
    }
}

/// Why a container gets a writable path: what kube-rofs decided, and on what grounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// `/tmp`: the control's minimum, for every image that writes anything.
    Tmp,
    /// The default log directory (or `--log-dir`), for an image whose profile does not say.
    LogDir,
    /// `writablePaths` of the configuration.
    Config,
    /// `imageWritablePaths` of the configuration, for images matching this pattern.
    ImageConfig(String),
    /// The image's profile (name, first source), shared with the profile table.
    Profile { name: Arc<str>, source: Arc<str> },
    /// A `VOLUME` the image's own configuration declares (where the image data came from).
    ImageVolume(String),
}

/// A writable path a container gets or needs, and why. `copy`: the image has files there,
/// so an init container copies them into the new volume first. `missing`: nothing mounts it
/// yet, so `fix` adds it (known once the container's mounts are read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub path: String,
    pub why: Why,
    pub copy: bool,
    pub missing: bool,
}
