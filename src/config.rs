//! Configuration file: `.kube-rofs.yaml` found from the current directory upwards, or `--config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use crate::k8s::kinds::CustomKind;

/// The file's content. Every key is optional; command-line flags override it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    /// The log directory that gets an emptyDir next to /tmp; `""` for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<String>,
    /// More paths that get an emptyDir in every container made read-only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writable_paths: Vec<String>,
    /// Image glob -> more writable paths for containers running a matching image.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub image_writable_paths: BTreeMap<String, Vec<String>>,
    /// More images that are not applicable (stateful), as globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stateful_images: Vec<String>,
    /// Images never treated as stateful, whatever the signals say, as globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stateless_images: Vec<String>,
    /// Use the built-in stateful signals (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_stateful_images: Option<bool>,
    /// Globs of file paths (relative to the current directory) never read; `*` stays within a
    /// directory, `**` crosses directories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// check passes at this share of read-only containers: 0.9 or "90%", as on the command line.
    #[serde(default, deserialize_with = "threshold", skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// check: a read-only container passes only with the writable paths it needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    /// Flip explicit `readOnlyRootFilesystem: false` too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix_explicit_false: Option<bool>,
    /// Settings of the added emptyDir volumes.
    #[serde(default, skip_serializing_if = "EmptyDir::is_empty")]
    pub empty_dir: EmptyDir,
    /// More workload kinds: where their containers live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<CustomKind>,
    /// Image archives (OCI image layouts, `docker save` tarballs) whose configs' `Volumes` get
    /// writable mounts; relative paths are relative to the configuration file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_archives: Vec<PathBuf>,
    /// Fetch image configs from registries (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve_images: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EmptyDir {
    /// A Kubernetes quantity, e.g. `64Mi`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
    /// `Memory` for tmpfs; empty for the node's disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
}

impl EmptyDir {
    fn is_empty(&self) -> bool {
        self.size_limit.is_none() && self.medium.is_none()
    }
}

pub const FILE_NAMES: &[&str] = &[".kube-rofs.yaml", ".kube-rofs.yml"];

/// The nearest configuration file in `dir` or its ancestors, up to the repository root (the
/// first directory holding `.git`), and notes about files passed over. A file owned by
/// another user (not root) is not trusted, as git's `safe.directory` does not trust others'
/// repositories: anyone who can write a parent directory (`/tmp`) could otherwise make every
/// check below it pass.
pub fn discover(dir: &Path) -> (Option<PathBuf>, Vec<String>) {
    let mut notes = Vec::new();
    for d in dir.ancestors() {
        for name in FILE_NAMES {
            let p = d.join(name);
            let Ok(meta) = std::fs::metadata(&p) else { continue };
            if !meta.is_file() {
                continue;
            }
            match untrusted_owner(&meta) {
                Some(uid) => notes.push(format!(
                    "note: ignoring {}: owned by uid {uid}, neither you nor root (pass --config to use it)",
                    p.display()
                )),
                None => return (Some(p), notes),
            }
        }
        if d.join(".git").exists() {
            break;
        }
    }
    (None, notes)
}

/// The owner of a file when it is neither the current user nor root.
fn untrusted_owner(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        (meta.uid() != me && meta.uid() != 0).then_some(meta.uid())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// A configuration that cannot be used: `path:line:col: error: ...` when the place is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Read and check a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| ConfigError(format!("{shown}: error: cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(ConfigError(format!("{shown}: error: not a regular file")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError(format!("{shown}: error: cannot read: {e}")))?;
    let at = |(pos, message): (Option<(usize, usize)>, String)| match pos {
        Some((line, col)) => ConfigError(format!("{shown}:{line}:{col}: error: {message}")),
        None => ConfigError(format!("{shown}: error: {message}")),
    };
    let mut config = parse(&text).map_err(at)?;
    // Archives are named relative to the file, wherever kube-rofs runs from.
    let dir = path.parent().unwrap_or(Path::new(""));
    for archive in &mut config.image_archives {
        let named = archive.display().to_string();
        *archive = dir.join(&*archive);
        if let Err(e) = std::fs::metadata(&*archive) {
            return Err(at((key_pos(&text, "imageArchives"), format!("imageArchives: {named}: {e}"))));
        }
    }
    Ok(config)
}

/// Parse configuration text; an error carries its 1-based line and column when known.
pub fn parse(text: &str) -> Result<Config, (Option<(usize, usize)>, String)> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let config: Config = serde_yaml::from_str(text).map_err(|e| {
        let message = e.to_string();
        // serde_yaml appends " at line L column C"; the position leads the message instead.
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        // A value read through a helper (`threshold: 90%`) is placed at its key.
        let pos = match message.starts_with("threshold") {
            true => key_pos(text, "threshold"),
            false => e.location().map(|l| (l.line(), l.column())),
        };
        (pos, message)
    })?;
    if let Some(m) = &config.empty_dir.medium
        && !m.is_empty()
        && m != "Memory"
        && !m.starts_with("HugePages")
    {
        return Err((
            key_pos(text, "medium"),
            format!("emptyDir.medium must be \"\", Memory or HugePages*, not {m:?}"),
        ));
    }
    for (key, p) in config
        .writable_paths
        .iter()
        .map(|p| ("writablePaths", p))
        .chain(config.image_writable_paths.values().flatten().map(|p| ("imageWritablePaths", p)))
        .chain(config.log_dir.iter().filter(|d| !d.is_empty()).map(|p| ("logDir", p)))
    {
        check_writable_path(p).map_err(|e| (key_pos(text, key), format!("{key}: {e}")))?;
    }
    for k in &config.kinds {
        k.entry().map_err(|e| (key_pos(text, "kinds"), e))?;
    }
    for g in config.exclude.iter() {
        crate::k8s::image::glob(g).map_err(|e| (key_pos(text, "exclude"), format!("exclude: {e}")))?;
    }
    if config.image_archives.iter().any(|p| p.as_os_str().is_empty()) {
        return Err((key_pos(text, "imageArchives"), "imageArchives: an empty path".into()));
    }
    Ok(config)
}

/// A share of containers: `0.8` or `80%`, between 0 and 1 (0% and 100%). The one reading of a
/// threshold, for the flag and the file.
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.strip_suffix('%') {
        Some(p) => (p, 100.0),
        None => (s, 1.0),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("threshold is not a number: {s}"))?;
    let v = v / scale;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("threshold must be between 0 and 1 (or 0% and 100%): {s}"))
    }
}

/// `threshold:` as a number (`0.9`) or as text (`90%`).
fn threshold<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let text = match serde_yaml::Value::deserialize(d)? {
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::String(t) => t,
        _ => return Err(serde::de::Error::custom("threshold must be a number (0.9) or a percentage (90%)")),
    };
    parse_threshold(&text).map(Some).map_err(serde::de::Error::custom)
}

/// A path that may get a writable emptyDir: absolute, normalised (no empty, `.` or `..`
/// segment, no trailing `/`), and not the root. The same rule for flags and the file.
pub fn check_writable_path(p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err(format!("{p:?} is not an absolute path"));
    }
    if p == "/" {
        return Err("\"/\" would put an empty volume over the whole root filesystem".into());
    }
    if p[1..].split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        return Err(format!("{p:?} is not normalised (no `//`, `.`, `..` or trailing `/`)"));
    }
    Ok(())
}

/// Where a top-level key is written, for messages about its value.
fn key_pos(text: &str, key: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let col = l.find(&format!("{key}:"))?;
        Some((i + 1, col + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let c = parse(
            "logDir: /var/log/nginx\nwritablePaths: [/var/cache]\nimageWritablePaths:\n  'nginx*': [/var/run]\n\
             statefulImages: [mydb*]\ndefaultStatefulImages: false\nexclude: ['vendor/**']\nthreshold: 0.9\n\
             fixExplicitFalse: true\nemptyDir: {sizeLimit: 64Mi, medium: Memory}\n\
             imageArchives: [images/app.tar]\nresolveImages: true\n",
        )
        .unwrap();
        assert_eq!(c.image_archives, [PathBuf::from("images/app.tar")]);
        assert_eq!(c.resolve_images, Some(true));
        assert_eq!(c.log_dir.as_deref(), Some("/var/log/nginx"));
        assert_eq!(c.image_writable_paths["nginx*"], ["/var/run"]);
        assert_eq!(c.empty_dir.size_limit.as_deref(), Some("64Mi"));
        assert_eq!(c.threshold, Some(0.9));
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_their_position() {
        let (pos, message) = parse("threshold: 0.8\nwritablepaths: [/x]\n").unwrap_err();
        assert_eq!(pos, Some((2, 1)));
        assert!(message.contains("unknown field `writablepaths`"), "{message}");
        let (pos, message) = parse("exclude: [a]\nthreshold: high\n").unwrap_err();
        assert_eq!(pos.map(|p| p.0), Some(2));
        assert!(message.contains("threshold is not a number: high"), "{message}");
        let (_, message) = parse("exclude: [a]\nthreshold: [1]\n").unwrap_err();
        assert!(message.contains("threshold"), "{message}");
        let (pos, message) = parse("emptyDir:\n  medium: Disk\n").unwrap_err();
        assert_eq!(pos, Some((2, 3)));
        assert!(message.contains("Memory"), "{message}");
        assert!(parse("writablePaths: [tmp]\n").unwrap_err().1.contains("absolute"));
        for bad in ["/", "/tmp/", "//tmp", "/var/./log", "/var/../etc", "relative/x"] {
            assert!(check_writable_path(bad).is_err(), "{bad}");
            assert!(parse(&format!("logDir: {bad:?}\n")).is_err(), "{bad}");
        }
        assert!(check_writable_path("/var/log/nginx").is_ok());
        assert!(parse("threshold: 2\n").is_err());
        assert!(parse("threshold: 101%\n").is_err());
        assert_eq!(parse("threshold: 90%\n").unwrap().threshold, Some(0.9), "as on the command line");
        assert_eq!(parse("threshold: 0.75\n").unwrap().threshold, Some(0.75));
        let (pos, message) = parse("threshold: 0.5\nimageArchives: ['']\n").unwrap_err();
        assert_eq!((pos, message.as_str()), (Some((2, 1)), "imageArchives: an empty path"));
        assert!(parse("resolveImages: sometimes\n").unwrap_err().1.contains("invalid type"));
    }

    #[test]
    fn image_archives_are_relative_to_the_file_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images/app")).unwrap();
        let f = dir.path().join(".kube-rofs.yaml");
        std::fs::write(&f, "imageArchives: [images/app]\n").unwrap();
        assert_eq!(load(&f).unwrap().image_archives, [dir.path().join("images/app")]);
        std::fs::write(&f, "threshold: 0.5\nimageArchives:\n  - images/missing.tar\n").unwrap();
        let e = load(&f).unwrap_err().0;
        assert!(e.starts_with(&format!("{}:2:1: error: imageArchives: images/missing.tar: ", f.display())), "{e}");
    }

    #[test]
    fn found_in_an_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join(".kube-rofs.yaml"), "threshold: 0.5\n").unwrap();
        assert_eq!(discover(&dir.path().join("a/b")), (Some(dir.path().join(".kube-rofs.yaml")), vec![]));
    }

    #[test]
    fn the_search_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/sub")).unwrap();
        std::fs::write(dir.path().join(".kube-rofs.yaml"), "statefulImages: ['*']\n").unwrap();
        assert_eq!(discover(&dir.path().join("repo/sub")), (None, vec![]));
        std::fs::write(dir.path().join("repo/.kube-rofs.yml"), "threshold: 0.5\n").unwrap();
        assert_eq!(discover(&dir.path().join("repo/sub")).0, Some(dir.path().join("repo/.kube-rofs.yml")));
    }

    #[test]
    fn a_file_owned_by_someone_else_is_passed_over_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(".kube-rofs.yaml");
        std::fs::write(&f, "statefulImages: ['*']\n").unwrap();
        // Only root can give a file away; as anyone else the check cannot be set up.
        if std::os::unix::fs::chown(&f, Some(4242), None).is_err() {
            println!("note: not root; ownership case not exercised here");
            return;
        }
        let (found, notes) = discover(dir.path());
        assert_eq!(found, None);
        assert!(notes[0].contains("owned by uid 4242"), "{notes:?}");
    }
}
