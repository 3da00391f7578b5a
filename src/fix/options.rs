//! What to fix and how: the policy, the writable paths and the volumes' settings.

use crate::k8s::kinds::KindEntry;
use crate::k8s::policy::Policy;

/// The log directory that gets a writable `emptyDir` next to `/tmp` unless told otherwise.
pub const DEFAULT_LOG_DIR: &str = "/var/log/app";

/// What to fix and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub policy: Policy,
    /// Paths that get a writable `emptyDir` in every container made read-only.
    pub writable_paths: Vec<String>,
    /// More writable paths for containers whose image matches a glob (see `policy::image_matches`).
    pub image_paths: Vec<(String, Vec<String>)>,
    /// `sizeLimit` and `medium` of the added `emptyDir` volumes, when set.
    pub size_limit: Option<String>,
    pub medium: Option<String>,
    /// Also edit Helm charts' values files (`--helm-values`).
    pub helm_values: bool,
    /// Kinds declared in the configuration, consulted before the built-in table.
    pub kinds: Vec<KindEntry>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: Policy::default(),
            writable_paths: vec!["/tmp".into(), DEFAULT_LOG_DIR.into()],
            image_paths: Vec::new(),
            size_limit: None,
            medium: None,
            helm_values: false,
            kinds: Vec::new(),
        }
    }
}
