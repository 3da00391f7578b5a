//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kube_rofs::{Options, Status, analyze};
use serde::Deserialize;
use serde_yaml::Value;
use tempfile::TempDir;
use walkdir::WalkDir;

/// What `fix` makes of `bytes`: the fixed bytes, the input itself when nothing changes, or the
/// error text (the file is then left as it is).
pub fn fix(bytes: &[u8], opts: &Options) -> Result<Vec<u8>, String> {
    let o = analyze(None, bytes, opts).map_err(|e| e.to_string())?;
    Ok(o.fixed.unwrap_or_else(|| bytes.to_vec()))
}

/// Containers `fix` would still change in `bytes`.
pub fn left_to_fix(bytes: &[u8], opts: &Options) -> Vec<String> {
    match analyze(None, bytes, opts) {
        Ok(o) => o
            .findings
            .iter()
            .filter(|f| f.status == Status::Writable)
            .map(|f| format!("{} {} {}", f.pos, f.name, f.container))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Every document of `text` as serde_yaml reads it, merge keys resolved. The same few lines as
/// the library's `load_all`, on purpose: the tests' oracle does not go through the code it checks.
pub fn load_all(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        let mut v = Value::deserialize(de).map_err(|e| e.to_string())?;
        v.apply_merge().map_err(|e| e.to_string())?;
        docs.push(v);
    }
    Ok(docs)
}

/// Documents as serde_yaml reads them (BOM stripped, merge keys applied).
pub fn docs(bytes: &[u8]) -> Option<Vec<Value>> {
    let text = std::str::from_utf8(bytes).ok()?;
    load_all(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()
}

const ADDED_KEYS: &[&str] = &["securityContext", "readOnlyRootFilesystem", "volumeMounts", "volumes", "initContainers"];

/// An independent semantic check of a fix: everything in `before` is still in `after` with the
/// same value, and all `after` adds is readOnlyRootFilesystem/securityContext keys, mounts and
/// volumes (null values of those keys may become collections; `false` may become `true` only
/// when `flip_false`). Returns the first violation.
pub fn only_additions(before: &Value, after: &Value, key: &str, flip_false: bool, path: &str) -> Result<(), String> {
    match (before, after) {
        (Value::Mapping(b), Value::Mapping(a)) => {
            for (k, v) in b {
                let ks = k.as_str().unwrap_or("?");
                let w = a.get(k).ok_or_else(|| format!("{path}.{ks} disappeared"))?;
                only_additions(v, w, ks, flip_false, &format!("{path}.{ks}"))?;
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                let ks = k.as_str().unwrap_or("?");
                if !ADDED_KEYS.contains(&ks) {
                    return Err(format!("{path}.{ks} was added"));
                }
            }
            Ok(())
        }
        (Value::Sequence(b), Value::Sequence(a)) => {
            if a.len() < b.len() || (a.len() > b.len() && !matches!(key, "volumeMounts" | "volumes" | "initContainers"))
            {
                return Err(format!("{path}: {} items became {}", b.len(), a.len()));
            }
            for (i, (v, w)) in b.iter().zip(a).enumerate() {
                only_additions(v, w, "", flip_false, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Null, Value::Mapping(_) | Value::Sequence(_)) if ADDED_KEYS.contains(&key) => Ok(()),
        (Value::Bool(false), Value::Bool(true)) if flip_false && key == "readOnlyRootFilesystem" => Ok(()),
        (b, a) if b == a => Ok(()),
        (b, a) => Err(format!("{path}: {b:?} became {a:?}")),
    }
}

/// `only_additions` over whole files (same number of documents).
pub fn check_only_additions(before: &[u8], after: &[u8], flip_false: bool) -> Result<(), String> {
    let (Some(b), Some(a)) = (docs(before), docs(after)) else {
        return if before == after { Ok(()) } else { Err("changed a file serde_yaml cannot read".into()) };
    };
    if a.len() != b.len() {
        return Err(format!("{} documents became {}", b.len(), a.len()));
    }
    for (i, (x, y)) in b.iter().zip(&a).enumerate() {
        only_additions(x, y, "", flip_false, &format!("doc{}", i + 1))?;
    }
    Ok(())
}

/// A line-based unified diff for failure messages.
pub fn show_diff(expected: &[u8], got: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(expected), String::from_utf8_lossy(got));
    similar::TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header("expected", "got").to_string()
}

/// A Deployment whose only container has a writable root filesystem (an image without a
/// profile: it gets /tmp and the default log directory).
pub const WRITABLE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: example/web:1.0
";

/// A Pod whose only container is already read-only and needs nothing writable (its image's
/// profile says it writes nothing).
pub const READ_ONLY: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: ok
spec:
  containers:
  - name: c
    image: registry.k8s.io/coredns/coredns:v1.11.1
    securityContext:
      readOnlyRootFilesystem: true
";

/// `kube-rofs ARGS...` in process: (exit code, stdout, stderr).
pub fn cli(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("kube-rofs").chain(args.iter().copied());
    let exit = kube_rofs::cli::entry::run_args(argv, &mut &stdin[..], &mut out, &mut err).unwrap();
    (exit as i32, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

// ---------------------------------------------------------------- the real binary

/// The `kube-rofs` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_kube-rofs");

/// One finished run of the binary. Its output must be UTF-8.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `kube-rofs ARGS...` in `dir`, NO_COLOR, CLICOLOR and CLICOLOR_FORCE unset so that colour
/// depends only on the flags and the terminal. The one place the binary's command line is built.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR").env_remove("CLICOLOR").env_remove("CLICOLOR_FORCE");
    cmd
}

/// Run `cmd` to its end, `input` (if any) on standard input, output captured.
pub fn finish(mut cmd: Command, input: Option<&[u8]>) -> Run {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawning kube-rofs");
    if let Some(bytes) = input {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().expect("waiting for kube-rofs");
    let text = |bytes: Vec<u8>, what: &str| {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("kube-rofs wrote non-UTF-8 to {what}: {e}"))
    };
    Run {
        code: out.status.code().expect("kube-rofs exited by a signal"),
        stdout: text(out.stdout, "stdout"),
        stderr: text(out.stderr, "stderr"),
    }
}

/// `kube-rofs ARGS...` in `dir` with no standard input.
pub fn kube_rofs(dir: &Path, args: &[&str]) -> Run {
    finish(command(dir, args), None)
}

/// `kube-rofs ARGS...` in `dir` with `input` on standard input.
pub fn kube_rofs_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    finish(command(dir, args), Some(input))
}

/// `kube-rofs ARGS...` in `dir` with `env` set and no standard input.
pub fn kube_rofs_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(dir, args);
    cmd.envs(env.iter().copied());
    finish(cmd, None)
}

/// `git ARGS...` in `dir`, `input` (if any) on standard input; it must succeed.
pub fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Output {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running git");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = input {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

// ---------------------------------------------------------------- files in a temporary directory

/// A temporary directory holding `files` (relative path, contents).
pub fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Write `root/name`, creating its parent directories.
pub fn write(root: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

pub fn read(root: &Path, name: &str) -> Vec<u8> {
    std::fs::read(root.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

pub fn read_str(root: &Path, name: &str) -> String {
    String::from_utf8(read(root, name)).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
}

/// Everything below `root` but directories, skipping `.git`: relative path -> bytes (a symlink
/// as `-> TARGET`, not followed).
pub fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .map(Result::unwrap)
        .filter(|e| !e.file_type().is_dir())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let bytes = if e.path_is_symlink() {
                format!("-> {}", std::fs::read_link(e.path()).unwrap().display()).into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (rel, bytes)
        })
        .collect()
}
