//! Discover input files: explicit paths, directory walks for `*.yaml`/`*.yml`, and `-` for stdin.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

/// A path that could not be walked.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

fn is_yaml(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
}

/// Directories never walked unless `--no-ignore`: vendored code and JavaScript dependencies
/// hold other projects' manifests, not the repository's.
pub const DEFAULT_EXCLUDES: &[&str] = &["vendor", "node_modules"];

/// Expand `paths` in order: a file named explicitly is always read; a directory is walked
/// (sorted, symlinks not followed, hidden directories and files skipped) for YAML files. With
/// `respect_ignores`, the walk honours `.gitignore` (inside a git repository), `.ignore`,
/// `.git/info/exclude` and the global git excludes, as ripgrep does, and skips
/// [`DEFAULT_EXCLUDES`].
pub fn discover(paths: &[PathBuf], respect_ignores: bool) -> (Vec<Input>, Vec<WalkError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // The same file named twice (or reached twice) is processed once. One walk without
    // symlinks reaches each file once, so only several paths need the (syscall-heavy) check.
    let overlap_possible = paths.len() > 1;
    let mut push = |inputs: &mut Vec<Input>, p: PathBuf| {
        if !overlap_possible || seen.insert(std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone())) {
            inputs.push(Input::File(p));
        }
    };
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        if !path.is_dir() {
            push(&mut inputs, path.clone());
            continue;
        }
        let walk = WalkBuilder::new(path)
            .standard_filters(respect_ignores)
            .hidden(true)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .filter_entry(move |e| {
                let excluded = respect_ignores
                    && e.depth() > 0
                    && e.file_type().is_some_and(|t| t.is_dir())
                    && e.file_name().to_str().is_some_and(|n| DEFAULT_EXCLUDES.contains(&n));
                !excluded
            })
            .build();
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) && is_yaml(e.path()) => {
                    push(&mut inputs, e.into_path())
                }
                Ok(_) => {}
                Err(e) => errors
                    .push(WalkError { path: error_path(&e).unwrap_or_else(|| path.clone()), message: e.to_string() }),
            }
        }
    }
    (inputs, errors)
}

/// The path an `ignore` error is about, when it names one.
fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => error_path(err),
        _ => None,
    }
}

/// How a path is shown and put in diff headers: relative to the current directory when it is
/// inside it, without a leading `./`.
pub fn display_path(path: &Path) -> String {
    // Asked once: a run never changes directory, and this is called for every file.
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok());
    let rel = match (path.is_absolute(), cwd) {
        (true, Some(cwd)) => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let rel = rel.strip_prefix(".").unwrap_or(rel);
    rel.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_honour_gitignore_and_the_default_excludes_unless_told_not_to() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["a.yaml", "gen/x.yaml", "vendor/v.yaml", "web/node_modules/n.yaml", "kept/ok.yaml", ".git/HEAD"] {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "a: 1\n").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
        let names = |inputs: Vec<Input>| -> Vec<String> {
            inputs
                .iter()
                .map(|i| match i {
                    Input::File(p) => p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                    Input::Stdin => "-".into(),
                })
                .collect()
        };
        assert_eq!(names(discover(&[root.to_path_buf()], true).0), ["a.yaml", "kept/ok.yaml"]);
        let all = names(discover(&[root.to_path_buf()], false).0);
        assert_eq!(all, ["a.yaml", "gen/x.yaml", "kept/ok.yaml", "vendor/v.yaml", "web/node_modules/n.yaml"]);
        assert_eq!(names(discover(&[root.join("gen/x.yaml")], true).0), ["gen/x.yaml"], "named: always read");
    }

    #[test]
    fn walks_yaml_files_sorted_and_skips_hidden_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["b.yaml", "a.yml", "c.txt", ".git/x.yaml", "sub/d.yaml", ".hidden.yaml"] {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "a: 1\n").unwrap();
        }
        let (inputs, errors) = discover(&[root.to_path_buf(), root.join("c.txt"), root.join("b.yaml")], true);
        assert!(errors.is_empty());
        let names: Vec<String> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(root).unwrap().to_string_lossy().into_owned(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.yml", "b.yaml", "sub/d.yaml", "c.txt"]);
    }
}
