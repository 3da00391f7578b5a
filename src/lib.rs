//! kube-rofs: make Kubernetes workloads run with a read-only root filesystem, format-preserving.
pub mod source;
pub mod tree;
