//! kube-rofs: make Kubernetes workloads run with a read-only root filesystem, format-preserving.
//!
//! Data flows one way: discover -> source (decode) -> tree (spans) -> workload (pod specs)
//! -> policy (classify) -> plan (edits as data) -> edit (apply) -> verify -> report / diff / write.
pub mod charts;
pub mod cli;
pub mod color;
pub mod config;
pub mod diff;
pub mod discover;
pub mod edit;
pub mod emit;
pub mod explain;
pub mod fixer;
pub mod generate;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod render;
pub mod report;
pub mod run;
pub mod source;
pub mod tree;
pub mod verify;
pub mod workload;
pub mod write;

pub use fixer::{FileError, Finding, Options, Outcome, process};
