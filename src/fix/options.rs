//! What to fix and how: the policy, the writable paths and the volumes' settings.

use std::sync::Arc;

use crate::k8s::image::{ImagePattern, ImageRef};
use crate::k8s::kinds::KindEntry;
use crate::k8s::policy::Policy;

/// The log directory that gets a writable `emptyDir` next to `/tmp` unless told otherwise.
pub const DEFAULT_LOG_DIR: &str = "/var/log/app";

/// What to fix and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub policy: Policy,
    /// The log directory a container made read-only gets, unless its image's profile says where
    /// it logs (None: no log directory, `--no-log-dir`).
    pub log_dir: Option<String>,
    /// More paths every container gets (`writablePaths`).
    pub writable_paths: Vec<String>,
    /// The writable paths of images matching a pattern (`imageWritablePaths`): for a matching
    /// image they replace its built-in profile.
    pub image_paths: Vec<(ImagePattern, Vec<String>)>,
    /// `sizeLimit` and `medium` of the added `emptyDir` volumes, when set.
    pub size_limit: Option<String>,
    pub medium: Option<String>,
    /// Also edit Helm charts' values files (`--helm-values`).
    pub helm_values: bool,
    /// Kinds declared in the configuration, consulted before the built-in table.
    pub kinds: Vec<KindEntry>,
    /// What images say about themselves (`--image-archive`, `--resolve-images`).
    pub images: Option<Arc<dyn ImageSource>>,
    /// Build [`Outcome::fixed`](crate::fix::outcome::Outcome::fixed), the whole fixed file
    /// (default true). `check` and `diff` work from the fixes' edits and turn it off: on a large
    /// file with many changes it is the largest thing a run holds.
    pub fixed_text: bool,
    /// Keep each fix's edits in the outcome (default true). A run whose output shows no edits
    /// (`check` or `fix` in text, GitHub or GitLab format) drops them once the file is verified
    /// and built: a large file's edits can outweigh the file.
    pub keep_edits: bool,
    /// Read the items of a `List` document one at a time (default true): a cluster export of
    /// one huge document is never held whole. Read whole, it gives the same result (tests hold
    /// the two to it), except that an item serde_yaml cannot read refuses only its own
    /// containers, not the whole List's.
    pub lists_apart: bool,
}

/// What an image's own configuration says a container running it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// The config's `Volumes`: Kubernetes mounts nothing there, and a read-only root makes them
    /// read-only, so each gets a writable emptyDir. Sorted.
    pub volumes: Vec<String>,
    /// Where the facts come from, for reports (`image archive images/app.tar`,
    /// `registry 127.0.0.1:5000 (cached)`).
    pub source: String,
}

/// Where image facts come from: image archives on disk, a registry. Implementations may do
/// I/O; they are called from the worker threads, so they cache and lock themselves.
pub trait ImageSource: Send + Sync + std::fmt::Debug {
    /// The facts of `image`, or None when this source does not know it.
    fn lookup(&self, image: &ImageRef) -> Option<ImageFacts>;
    /// Notes gathered so far (an unreachable registry, a denied request), each once; taken.
    fn take_notes(&self) -> Vec<String>;
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: Policy::default(),
            log_dir: Some(DEFAULT_LOG_DIR.into()),
            writable_paths: Vec::new(),
            image_paths: Vec::new(),
            size_limit: None,
            medium: None,
            helm_values: false,
            kinds: Vec::new(),
            images: None,
            fixed_text: true,
            keep_edits: true,
            lists_apart: true,
        }
    }
}
