//! Write a fixed file atomically: temp file in the same directory, permissions copied, rename.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Replace `path` with `bytes`. A symlink is refused rather than replaced by a regular file
/// (which would break the link) or written through (which could write outside the given paths).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.file_type().is_symlink() {
        anyhow::bail!("{} is a symlink; not written through (fix its target instead)", path.display());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let perms =
        std::fs::metadata(path).with_context(|| format!("reading permissions of {}", path.display()))?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".kube-rofs-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).context("writing the temporary file")?;
    tmp.as_file().sync_all().context("syncing the temporary file")?;
    std::fs::set_permissions(tmp.path(), perms).context("copying permissions")?;
    tmp.persist(path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(&f, b"new").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
    }
}
