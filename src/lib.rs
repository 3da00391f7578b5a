//! kube-rofs: make Kubernetes workloads run with a read-only root filesystem, format-preserving.
//!
//! Data flows one way, and each layer imports only the layers below it:
//!
//! ```text
//! cli     flags + configuration resolved once; entry point; explain, completions, man
//! run     discover -> read -> analyze -> diff / write -> report, file by file, in parallel
//! report  the output formats (text, JSON, SARIF, GitHub, GitLab, rdjsonl), diffs, colour, progress
//! oci     what images declare (their Volumes): image archives on disk, registries, a disk
//!         cache by digest; answers fix's ImageSource
//! fix     the pipeline: decode -> load -> find -> classify -> plan (one Fix per pod spec)
//!         -> apply -> verify (serde_yaml, independently)
//! config  the configuration file and its checks (it names kinds in k8s's terms)
//! k8s     where containers live in each kind, image references, profiles and stateful
//!         signals (all from data/), what a container is for this check
//! yaml    source text, span tree, paths, rendering new content, edits
//! fs      discovering (ignore rules), locating and writing files
//! ```
//!
//! The public API is small: [`analyze`] takes a file's path and bytes and returns what the
//! command line sees (a [`Finding`] per container, a [`Fix`] per pod spec, the fixed bytes);
//! [`cli::entry`] runs the command line itself.
pub mod cli;
mod config;
mod fix;
mod fs;
mod k8s;
mod oci;
mod report;
mod run;
mod yaml;

pub use fix::model::Fix;
pub use fix::options::Options;
pub use fix::outcome::{FileError, Finding, NotChecked, Outcome};
pub use fix::pipeline::analyze;
pub use k8s::status::{Refusal, Skip, Status};
pub use yaml::edit::Edit;
pub use yaml::source::Pos;

/// Not API: what the benchmark and the fuzzer measure on their own. May change at any time.
#[doc(hidden)]
pub mod internals {
    pub use crate::fix::verify::load_all;
    pub use crate::fs::write::{Durability, atomic_write};
    pub use crate::report::progress::MIN_FILES as PROGRESS_MIN_FILES;
    pub use crate::yaml::source::Source;
    pub use crate::yaml::tree::parse;
}
