//! The image facts the planner asks for: from the archives named (`--image-archive`), else
//! from registries (`--resolve-images`); each image asked of a registry once per run, and a
//! note for each one that could not be had.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use super::archive::{self, Archive};
use super::registry::{How, Registry};
use crate::fix::options::{ImageFacts, ImageSource};
use crate::k8s::image::ImageRef;

/// What the notes of an image that could not be resolved end with.
const FALLBACK: &str = "only profile and default paths used";

#[derive(Debug)]
pub struct Images {
    archives: Vec<Archive>,
    registry: Option<Registry>,
    /// Per reference, the registry's answer: threads asking for the same image wait for the
    /// first one's answer instead of asking again.
    resolved: Mutex<HashMap<ImageRef, Arc<OnceLock<Option<ImageFacts>>>>>,
    /// The archives' notes, then one per image (sorted when taken: workers finish in any order).
    notes: Mutex<(Vec<String>, Vec<String>)>,
}

impl Images {
    /// Read `archives` now (one that cannot be read is an error naming it: it was asked for),
    /// and ask `registry` for images no archive holds.
    pub fn open(archives: &[PathBuf], registry: Option<Registry>) -> Result<Images, String> {
        let mut read = Vec::new();
        let mut notes = Vec::new();
        for path in archives {
            let mut a = archive::read(path)
                .map_err(|e| format!("{}: error: cannot read image archive: {e}", path.display()))?;
            notes.append(&mut a.notes);
            read.push(a);
        }
        Ok(Images { archives: read, registry, resolved: Mutex::default(), notes: Mutex::new((notes, Vec::new())) })
    }

    fn note(&self, note: String) {
        let mut notes = lock(&self.notes);
        if !notes.1.contains(&note) {
            notes.1.push(note);
        }
    }

    /// Ask the registry for `image`; a note for whatever did not go plainly.
    fn resolve(&self, registry: &Registry, image: &ImageRef) -> Option<ImageFacts> {
        let (result, picked) = registry.fetch(image);
        if let Some(platform) = picked {
            self.note(format!(
                "note: image {image}: no {} manifest in its index; used the first, {platform}",
                super::platform::PREFERRED
            ));
        }
        let fetched = match result {
            Ok(f) => f,
            Err(failure) => {
                self.note(format!("note: image {image}: {failure}; {FALLBACK}"));
                return None;
            }
        };
        let (volumes, odd) = match archive::volumes(&fetched.config) {
            Ok(v) => v,
            Err(e) => {
                self.note(format!("note: image {image}: its config cannot be read ({e}); {FALLBACK}"));
                return None;
            }
        };
        if !odd.is_empty() {
            self.note(format!("note: image {image}: volumes that are not absolute paths left out: {}", odd.join(", ")));
        }
        let how = match &fetched.how {
            How::Fetched => "fetched",
            How::Cached => "cached",
            How::Stale(failure) => {
                self.note(format!(
                    "note: image {image}: {failure}; used the cached config of {}, what the tag named when last resolved",
                    fetched.digest
                ));
                "cached, stale"
            }
        };
        Some(ImageFacts { volumes, source: format!("registry {} ({how})", image.registry) })
    }
}

impl ImageSource for Images {
    fn lookup(&self, image: &ImageRef) -> Option<ImageFacts> {
        for a in &self.archives {
            if let Some(i) = a.images.iter().find(|i| i.is(image)) {
                let platform = i.platform.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
                let source = format!("image archive {}{platform}", a.path.display());
                return Some(ImageFacts { volumes: i.volumes.clone(), source });
            }
        }
        let registry = self.registry.as_ref()?;
        let cell = Arc::clone(lock(&self.resolved).entry(image.clone()).or_default());
        cell.get_or_init(|| self.resolve(registry, image)).clone()
    }

    fn take_notes(&self) -> Vec<String> {
        let (mut archives, mut images) = std::mem::take(&mut *lock(&self.notes));
        images.sort();
        archives.append(&mut images);
        if let Some(r) = &self.registry {
            archives.extend(r.take_notes());
        }
        archives
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
