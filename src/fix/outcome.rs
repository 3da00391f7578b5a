//! What the pipeline reports about one file: a finding per container, a fix per pod spec,
//! workloads it could not check, and the fixed bytes.

use std::fmt;
use std::sync::{Arc, LazyLock};

use super::model::{Fix, Need};
use crate::k8s::status::{Refusal, Status};
use crate::yaml::source::Pos;
use crate::yaml::tree::SyntaxError;

/// Directories an image fills that stay read-only on purpose: (path, why).
pub type Omitted = [(String, Arc<str>)];

/// One container, as found and (when fixable) as it would be fixed. A large file's findings
/// are all kept until it is printed, so what a pod's containers share (kind, names, the
/// container list's name, the paths they need) is shared, not copied per container.
#[derive(Debug, Clone)]
pub struct Finding {
    pub doc: usize,
    /// Index of the workload (pod spec) in the file; findings of one workload are adjacent.
    pub workload: usize,
    pub pos: Pos,
    pub kind: Arc<str>,
    pub name: Arc<str>,
    pub namespace: Option<Arc<str>>,
    /// The list or key the container is under (`containers`, `initContainers`, `steps`, ...).
    pub list: Arc<str>,
    pub container: Box<str>,
    pub image: Option<Box<str>>,
    pub status: Status,
    /// The fix of this container's pod spec (an index into [`Outcome::fixes`]), when the
    /// container is writable and fixable, or read-only and lacking writable paths. Several
    /// findings share one fix.
    pub fix: Option<usize>,
    /// What the container needs writable, and why (a writable or read-only container).
    pub writable: Arc<[Need]>,
    /// Directories its image fills that stay read-only on purpose: (path, why).
    pub omitted: Arc<Omitted>,
    /// The image profile that applies, if any.
    pub profile: Option<Arc<str>>,
    /// Nothing (profile, configuration, image data) says what the image writes.
    pub unknown_image: bool,
    /// Why the missing paths of a read-only container were not added.
    pub unfixed: Option<Box<Refusal>>,
}

impl Finding {
    /// The paths of [`writable`](Self::writable) that nothing mounts yet: what `fix` adds.
    pub fn missing(&self) -> impl Iterator<Item = &str> {
        self.writable.iter().filter(|n| n.missing).map(|n| n.path.as_str())
    }

    /// Some path the container needs has no writable mount yet.
    pub fn lacks_paths(&self) -> bool {
        self.writable.iter().any(|n| n.missing)
    }

    /// A finding with `status` and nothing decided yet (no fix, no paths): the fields a caller
    /// names override the rest (`Finding { doc, kind, ..Finding::undecided(status) }`). The
    /// empty values are shared, so the ones overridden cost no allocation.
    pub(crate) fn undecided(status: Status) -> Finding {
        static EMPTY: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(""));
        static NO_NEEDS: LazyLock<Arc<[Need]>> = LazyLock::new(|| Arc::new([]));
        static NONE_OMITTED: LazyLock<Arc<Omitted>> = LazyLock::new(|| Arc::new([]));
        let (empty, no_needs, none_omitted) = (&*EMPTY, &*NO_NEEDS, &*NONE_OMITTED);
        Finding {
            doc: 0,
            workload: 0,
            pos: Pos::default(),
            kind: empty.clone(),
            name: empty.clone(),
            namespace: None,
            list: empty.clone(),
            container: Box::from(""),
            image: None,
            status,
            fix: None,
            writable: no_needs.clone(),
            omitted: none_omitted.clone(),
            profile: None,
            unknown_image: false,
            unfixed: None,
        }
    }
}

/// A workload whose containers cannot be read exactly, or a Kustomize base out of reach.
#[derive(Debug, Clone)]
pub struct NotChecked {
    pub pos: Pos,
    pub kind: String,
    pub name: String,
    pub reason: String,
}

/// Everything learnt about one file.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// One fix per pod spec with fixable containers, in file order.
    pub fixes: Vec<Fix>,
    pub not_checked: Vec<NotChecked>,
    /// The fixed file (every fix applied), when anything changed.
    pub fixed: Option<Vec<u8>>,
    /// Why the file was not looked at (a template that is not YAML yet).
    pub skipped: Option<String>,
    /// `resources`, `bases` and `components` of Kustomization documents, with the document's
    /// position (the run checks whether each is within reach).
    pub resources: Vec<(Pos, String)>,
}

/// A file that cannot be handled; nothing is written for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Encoding {
        pos: Pos,
        utf16: bool,
        lone_cr: bool,
    },
    Syntax(SyntaxError),
    /// The patched text did not re-read as intended (a kube-rofs bug; nothing is written).
    Verify {
        doc: usize,
        message: String,
    },
}

impl FileError {
    /// Where in the file, when a place is known.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            FileError::Encoding { pos, .. } => Some(*pos),
            FileError::Syntax(s) => Some(s.pos),
            FileError::Verify { .. } => None,
        }
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        match self {
            FileError::Encoding { utf16: true, .. } => {
                "error: file is UTF-16 (byte-order mark); YAML manifests must be UTF-8".into()
            }
            FileError::Encoding { lone_cr: true, .. } => {
                "error: line break `\\r` without `\\n` (classic Mac OS); convert line endings to LF or CRLF".into()
            }
            FileError::Encoding { .. } => "error: invalid UTF-8".into(),
            FileError::Syntax(e) => format!("error: invalid YAML: {}", e.message),
            FileError::Verify { doc, message } => {
                format!("document {}: error: verification failed, file left unchanged: {message}", doc + 1)
            }
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos() {
            Some(pos) => write!(f, "{pos}: {}", self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for FileError {}

impl Outcome {
    /// Refuse every container still marked fixable (nothing can be verified).
    pub(crate) fn refuse_all(&mut self, why: &Refusal) {
        self.fixes.clear();
        for f in &mut self.findings {
            if f.status == Status::Writable {
                f.status = Status::Refused(Box::new(why.clone()));
                f.fix = None;
            }
        }
    }
}
