//! Discover input files: explicit paths, directory walks for `*.yaml`/`*.yml`, and `-` for stdin.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

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

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// Expand `paths` in order: a file named explicitly is always read; a directory is walked
/// (sorted, symlinks not followed, hidden directories and files skipped) for YAML files.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<WalkError>) {
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
        let walk = WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !hidden(e.file_name()));
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => push(&mut inputs, e.into_path()),
                Ok(_) => {}
                Err(e) => errors.push(WalkError {
                    path: e.path().map_or_else(|| path.clone(), Path::to_path_buf),
                    message: e.to_string(),
                }),
            }
        }
    }
    (inputs, errors)
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
    fn walks_yaml_files_sorted_and_skips_hidden_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in ["b.yaml", "a.yml", "c.txt", ".git/x.yaml", "sub/d.yaml", ".hidden.yaml"] {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "a: 1\n").unwrap();
        }
        let (inputs, errors) = discover(&[root.to_path_buf(), root.join("c.txt"), root.join("b.yaml")]);
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
