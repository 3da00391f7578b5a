//! The filesystem: which files to read (`discover`), where a file sits in a project
//! (`project`), and writing a fixed file so a reader sees the old or the new one (`write`).
//! Imports nothing from the rest of the crate.
pub(crate) mod discover;
pub(crate) mod project;
pub(crate) mod write;
