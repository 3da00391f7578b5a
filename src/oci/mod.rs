//! What images say about themselves: the `Volumes` of their configs, read from image archives
//! on disk (`--image-archive`) or fetched from registries (`--resolve-images`) and cached by
//! digest. The planner asks through `fix::options::ImageSource`; this layer answers.
//!
//! ```text
//! source    the ImageSource: archives first, then the registry; notes for what failed
//! archive   OCI image layouts and `docker save` tarballs -> images with their names and digests
//! platform  which manifest of an image index counts: linux/amd64, else the first
//! registry  manifest + config over the distribution API (oci-client): timeouts, credentials
//! cache     fetched configs on disk, by digest
//! ```

pub mod archive;
pub mod cache;
pub mod platform;
pub mod registry;
pub mod source;
