//! What one container needs writable, and why: /tmp, a log directory, the configuration's
//! paths, its image's profile, the volumes its image declares.

use std::sync::Arc;

use super::volumes::norm;
use crate::fix::model::{Need, Why};
use crate::fix::options::Options;
use crate::k8s::image::ImageRef;
use crate::k8s::profiles::{Action, LogDir, profile_of};
use crate::k8s::workload::Container;

/// A container's writable paths, and what was decided about its image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub paths: Vec<Need>,
    /// Directories the image fills that are left read-only on purpose: (path, why).
    pub omitted: Vec<(String, Arc<str>)>,
    /// The image's profile, when one applies.
    pub profile: Option<Arc<str>>,
    /// Neither a profile, the configuration nor the image's own data says what it writes.
    pub unknown: bool,
}

impl Needs {
    fn add(&mut self, path: &str, why: Why, copy: bool) {
        if !self.paths.iter().any(|n| norm(&n.path) == norm(path)) {
            self.paths.push(Need { path: path.to_owned(), why, copy, missing: false });
        }
    }
}

/// Names of init containers kube-rofs adds (`kube-rofs-copy-<volume>`): they copy an image
/// directory into its new volume and need nothing themselves.
pub const COPY_PREFIX: &str = "kube-rofs-copy-";

/// What `c` needs writable. For a container that is already read-only (`read_only`) the default
/// log directory is not assumed: only what is known is added.
pub fn needs(c: &Container, opts: &Options, read_only: bool) -> Needs {
    let mut n = Needs::default();
    if c.name.starts_with(COPY_PREFIX) {
        return n;
    }
    let image = c.image.as_deref().and_then(ImageRef::parse);
    let configured: Vec<&(crate::k8s::image::ImagePattern, Vec<String>)> =
        image.as_ref().map_or(Vec::new(), |r| opts.image_paths.iter().filter(|(p, _)| p.matches_loosely(r)).collect());
    // The configuration's entries for an image replace its built-in profile.
    let profile = image.as_ref().filter(|_| configured.is_empty()).and_then(profile_of);
    let facts = opts.images.as_ref().zip(image.as_ref()).and_then(|(source, r)| source.lookup(r));
    n.unknown = configured.is_empty() && profile.is_none() && facts.is_none();
    if !profile.is_some_and(|p| p.writes_nothing) {
        n.add("/tmp", Why::Tmp, false);
    }
    let log_dir = profile.map_or(LogDir::Default, |p| p.log_dir.clone());
    match (&log_dir, &opts.log_dir) {
        (LogDir::Path(p), _) => {
            let (name, source) = profile.map_or_else(|| ("".into(), "".into()), |p| (p.name.clone(), p.source.clone()));
            n.add(p, Why::Profile { name, source }, false);
        }
        (LogDir::Default, Some(dir)) if !read_only && !profile.is_some_and(|p| p.writes_nothing) => {
            n.add(dir, Why::LogDir, false)
        }
        _ => {}
    }
    for p in &opts.writable_paths {
        n.add(p, Why::Config, false);
    }
    for (pattern, paths) in configured {
        for p in paths {
            n.add(p, Why::ImageConfig(pattern.as_str().to_owned()), false);
        }
    }
    if let Some(profile) = profile {
        let why = || Why::Profile { name: profile.name.clone(), source: profile.source.clone() };
        for p in &profile.paths {
            n.add(p, why(), false);
        }
        for pre in &profile.prefilled {
            match pre.action {
                Action::Copy => n.add(&pre.path, why(), true),
                Action::Omit => n.omitted.push((pre.path.clone(), pre.why.clone())),
            }
        }
        n.profile = Some(profile.name.clone());
    }
    for v in facts.iter().flat_map(|f| f.volumes.iter().map(move |v| (v, &f.source))) {
        n.add(v.0, Why::ImageVolume(v.1.clone()), false);
    }
    n
}
