//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kube_rofs::{Options, Status, analyze};
use serde::Deserialize;
use serde_yaml::Value;

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

/// Every document of `text` as serde_yaml reads it, merge keys resolved.
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

const ADDED_KEYS: &[&str] = &["securityContext", "readOnlyRootFilesystem", "volumeMounts", "volumes"];

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
            if a.len() < b.len() || (a.len() > b.len() && !matches!(key, "volumeMounts" | "volumes")) {
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

/// A Deployment whose only container has a writable root filesystem.
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
        image: nginx
";

/// A Pod whose only container is already read-only.
pub const READ_ONLY: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: ok
spec:
  containers:
  - name: c
    image: nginx
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
