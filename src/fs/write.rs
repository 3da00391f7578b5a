//! Write a fixed file atomically: temp file in the same directory, mode and owner copied,
//! compare-before-rename, rename; with [`Durability::Fsync`], fsyncs around the rename.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// What a written file survives once [`atomic_write`] has returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// A kill (SIGKILL, OOM, a crash of kube-rofs) leaves the old file or the new one, never a
    /// part: the new content goes to a temporary file renamed over the original. Nothing is
    /// flushed to the disk: a power loss or kernel crash can bring back the old content, and on
    /// filesystems that do not flush a file renamed over another (ext4 does, with its default
    /// `auto_da_alloc`; btrfs does; XFS does not) can leave a recently written file empty. As
    /// rustfmt, ruff, gofmt and prettier write.
    #[default]
    Atomic,
    /// Also a power loss: the temporary file is fsynced before the rename and its directory
    /// after it, so a file reported as written has its new content on the disk.
    Fsync,
}

/// Replace `path`, whose content was `original` when read, with `bytes`. A reader sees either
/// the old file or the new one, never a part; `durability` says what a power loss does.
/// Refused: a symlink (replacing it would break the link; writing through could write outside
/// the given paths), a file with several hard links (a new file would split them) and a file
/// whose content changed since it was read (someone else's edit is never overwritten). Mode
/// bits (setuid and setgid included) and, with the privilege to, the owner are kept.
pub fn atomic_write(path: &Path, original: &[u8], bytes: &[u8], durability: Durability) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.file_type().is_symlink() {
        bail!("a symlink; not written through (fix its target, or pass --follow-symlinks)");
    }
    if meta.nlink() > 1 {
        bail!(
            "has {} hard links; replacing it would split them (the other names would keep the old content); \
             not written (fix the file through one name after removing the others, or copy it)",
            meta.nlink()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Honour the mode bits as the owner set them, whoever runs kube-rofs (root included).
    if meta.permissions().mode() & 0o222 == 0 {
        bail!("read-only (mode {:o}); not written", meta.permissions().mode() & 0o777);
    }
    let dir_mode = std::fs::metadata(dir).with_context(|| format!("reading {}", dir.display()))?.permissions().mode();
    if dir_mode & 0o222 == 0 {
        bail!("directory {} is read-only (mode {:o}); not written", dir.display(), dir_mode & 0o777);
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".kube-rofs-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).context("writing the temporary file")?;
    // The owner first: changing the owner clears the setuid and setgid bits, so the mode is set
    // after it. Keeping the owner needs privileges; without them the file becomes the runner's,
    // as any editor's save would make it. Both on the open file: two path lookups fewer.
    let _ = std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()));
    tmp.as_file().set_permissions(meta.permissions()).context("copying permissions")?;
    if durability == Durability::Fsync {
        tmp.as_file().sync_all().context("syncing the temporary file")?;
    }
    let now = std::fs::read(path).with_context(|| format!("re-reading {}", path.display()))?;
    if now != original {
        bail!("changed since it was read; not overwritten (run again)");
    }
    // The rename is atomic: a reader, or a killed run, sees the old file or the new one.
    tmp.persist(path).with_context(|| format!("replacing {}", path.display()))?;
    if durability == Durability::Fsync {
        // The rename is durable once the directory holding the new entry is.
        std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| {
            format!(
                "written, but syncing directory {} failed; the new content may not survive a power loss",
                dir.display()
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_keeps_mode() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
    }

    #[test]
    fn fsync_writes_the_same_bytes_and_keeps_the_same_guards() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o6750)).unwrap();
        atomic_write(&f, b"old", b"new", Durability::Fsync).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o7777, 0o6750);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
        let err = atomic_write(&f, b"old", b"newer", Durability::Fsync).unwrap_err();
        assert!(err.to_string().contains("changed since it was read"), "{err}");
        assert_eq!(std::fs::read(&f).unwrap(), b"new");
    }

    #[test]
    fn keeps_setuid_and_setgid_bits() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o6755)).unwrap();
        atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap();
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o7777, 0o6755);
    }

    #[test]
    fn refuses_to_split_a_hard_link() {
        let dir = tempfile::tempdir().unwrap();
        let (f, g) = (dir.path().join("x.yaml"), dir.path().join("y.yaml"));
        std::fs::write(&f, "old").unwrap();
        std::fs::hard_link(&f, &g).unwrap();
        let err = atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap_err();
        assert!(err.to_string().contains("2 hard links"), "{err}");
        assert_eq!(std::fs::read(&g).unwrap(), b"old");
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
    }

    #[test]
    fn never_overwrites_a_file_changed_since_it_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "edited by someone else").unwrap();
        let err = atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap_err();
        assert!(err.to_string().contains("changed since it was read"), "{err}");
        assert_eq!(std::fs::read(&f).unwrap(), b"edited by someone else");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temp file left behind");
    }

    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let (target, link) = (dir.path().join("t.yaml"), dir.path().join("l.yaml"));
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(atomic_write(&link, b"old", b"new", Durability::Atomic).is_err());
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
    }

    #[test]
    fn honours_read_only_files_and_directories_even_for_root() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.yaml");
        std::fs::write(&f, "old").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap_err();
        assert!(err.to_string().contains("read-only (mode 444)"), "{err}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let err = atomic_write(&f, b"old", b"new", Durability::Atomic).unwrap_err();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.to_string().contains("is read-only (mode 555)"), "{err}");
        assert_eq!(std::fs::read(&f).unwrap(), b"old");
    }
}
