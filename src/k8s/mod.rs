//! Kubernetes knowledge: where the containers of each kind live (`workload`), what a container
//! is for this check (`policy`), and what Helm values and Kustomizations hold (`charts`).
//! Reads the span tree; imports only `yaml`.
pub(crate) mod charts;
mod data;
pub(crate) mod image;
pub(crate) mod kinds;
pub(crate) mod policy;
pub(crate) mod profiles;
pub(crate) mod stateful;
pub(crate) mod status;
pub(crate) mod workload;
