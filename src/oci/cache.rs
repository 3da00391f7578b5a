//! Image configs fetched from registries, kept on disk by digest: a second run asks nothing for
//! a reference pinned to a digest, and one manifest `HEAD` for a tag.
//!
//! ```text
//! DIR/configs/sha256/<hex>     a config as fetched, checked against its name whenever read
//! DIR/manifests/sha256/<hex>   the digest of the config that manifest names (for an image
//!                              index: the config of its linux/amd64 manifest, else the first's)
//! DIR/tags/<hex>               `registry/repository:tag` and the digest it pointed at when last
//!                              resolved (file named by the sha256 of that reference)
//! ```
//!
//! Every file is written whole to a temporary file beside it and renamed into place, so a run
//! killed midway, or two runs at once, leave only whole entries. An entry that does not check
//! out is ignored (and fetched again).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::archive::hex;

/// The environment variable that moves the cache.
pub const ENV: &str = "KUBE_ROFS_CACHE_DIR";

/// The largest cache file read.
const MAX_FILE: u64 = 4 << 20;

#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    /// `$KUBE_ROFS_CACHE_DIR`, else `$XDG_CACHE_HOME/kube-rofs/images`, else
    /// `~/.cache/kube-rofs/images` (`%LOCALAPPDATA%\kube-rofs\images` on Windows); None when
    /// none of these is set.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(dir) = var(ENV) {
            return Some(dir);
        }
        let base = var("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|h| h.join(".cache")))
            .or_else(|| var("LOCALAPPDATA"))?;
        Some(base.join("kube-rofs").join("images"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The config a manifest or index digest leads to, when cached and intact.
    pub fn config(&self, digest: &str) -> Option<Vec<u8>> {
        let pointer = read(&self.path("manifests", digest)?)?;
        let config_digest = std::str::from_utf8(&pointer).ok()?.trim();
        let bytes = read(&self.path("configs", config_digest)?)?;
        (sha256(&bytes) == config_digest).then_some(bytes)
    }

    /// Keep `config` (whose digest is `config_digest`) as what each of `digests` leads to.
    pub fn store(&self, digests: &[&str], config_digest: &str, config: &[u8]) -> std::io::Result<()> {
        if sha256(config) != config_digest {
            return Err(std::io::Error::other(format!("config does not match {config_digest}")));
        }
        let Some(path) = self.path("configs", config_digest) else { return Ok(()) };
        write(&path, config)?;
        for d in digests {
            if let Some(path) = self.path("manifests", d) {
                write(&path, config_digest.as_bytes())?;
            }
        }
        Ok(())
    }

    /// The digest `reference` (`registry/repository:tag`) pointed at when last resolved.
    pub fn tag(&self, reference: &str) -> Option<String> {
        let bytes = read(&self.tag_path(reference))?;
        let text = String::from_utf8(bytes).ok()?;
        let (name, digest) = text.trim_end().split_once('\n')?;
        (name == reference && self.path("manifests", digest).is_some()).then(|| digest.to_owned())
    }

    pub fn store_tag(&self, reference: &str, digest: &str) -> std::io::Result<()> {
        write(&self.tag_path(reference), format!("{reference}\n{digest}\n").as_bytes())
    }

    /// `DIR/<kind>/sha256/<hex>`; None for a digest that is not sha256 (never cached).
    fn path(&self, kind: &str, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        let ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| self.root.join(kind).join("sha256").join(hex))
    }

    fn tag_path(&self, reference: &str) -> PathBuf {
        self.root.join("tags").join(hex(&Sha256::digest(reference.as_bytes())))
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn read(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_FILE).then_some(bytes)
}

/// Whole or not at all: a temporary file in the same directory, renamed over the entry.
fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux","config":{"Volumes":{"/data":{}}}}"#;

    #[test]
    fn a_stored_config_is_found_by_each_digest_without_any_network() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("images"));
        let (manifest, index) = (format!("sha256:{}", "1".repeat(64)), format!("sha256:{}", "2".repeat(64)));
        assert_eq!(cache.config(&manifest), None);
        cache.store(&[&manifest, &index], &sha256(CONFIG), CONFIG).unwrap();
        assert_eq!(cache.config(&manifest).as_deref(), Some(CONFIG));
        assert_eq!(cache.config(&index).as_deref(), Some(CONFIG));
        // A fresh Cache on the same directory: what a second run sees.
        let again = Cache::new(dir.path().join("images"));
        assert_eq!(again.config(&manifest).as_deref(), Some(CONFIG));
        assert_eq!(again.config(&format!("sha256:{}", "3".repeat(64))), None);
        assert_eq!(again.config("sha256:../../etc/passwd"), None);
    }

    #[test]
    fn a_corrupt_entry_is_a_miss_and_a_wrong_config_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let manifest = format!("sha256:{}", "1".repeat(64));
        let digest = sha256(CONFIG);
        cache.store(&[&manifest], &digest, CONFIG).unwrap();
        let stored = cache.path("configs", &digest).unwrap();
        std::fs::write(&stored, b"{}").unwrap();
        assert_eq!(cache.config(&manifest), None);
        assert!(cache.store(&[&manifest], &digest, b"{}").is_err());
    }

    #[test]
    fn a_tag_remembers_its_last_digest() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let d = format!("sha256:{}", "4".repeat(64));
        assert_eq!(cache.tag("127.0.0.1:5000/test/app:1.0"), None);
        cache.store_tag("127.0.0.1:5000/test/app:1.0", &d).unwrap();
        assert_eq!(cache.tag("127.0.0.1:5000/test/app:1.0"), Some(d));
        assert_eq!(cache.tag("127.0.0.1:5000/test/app:1.1"), None);
    }
}
