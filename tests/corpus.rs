//! The real-world corpus (`../shared/corpus/real`) and the peers' fixtures, on temporary copies:
//! no panic on any file; every changed file passes an independent semantic check; a second fix
//! changes nothing; `diff` output applied with `git apply` to a pristine copy reproduces exactly
//! what `fix` wrote. Prints what was fixed, skipped (by reason) and refused.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{git, kube_rofs, snapshot};
use kube_rofs::{Options, Skip, Status, analyze};
use walkdir::WalkDir;

fn corpus(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus").join(name);
    p.is_dir().then_some(p)
}

fn copy_tree(from: &Path, to: &Path) {
    for e in WalkDir::new(from) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_file() {
            std::fs::write(&dest, std::fs::read(e.path()).unwrap()).unwrap();
        }
    }
}

fn first_words(reason: &str) -> String {
    reason.split([':', '(']).next().unwrap_or(reason).trim().to_owned()
}

fn run_corpus(name: &str) {
    let Some(src) = corpus(name) else {
        println!("note: ../shared/corpus/{name} is absent; corpus test skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (work, pristine) = (tmp.path().join("work"), tmp.path().join("pristine"));
    copy_tree(&src, &work);
    copy_tree(&src, &pristine);
    let before = snapshot(&work);

    let diff = kube_rofs(&work, &["diff", "."]);
    let (code, err) = (diff.code, &diff.stderr);
    assert!(code == 0 || code == 1 || code == 2, "diff exit {code}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("verification failed"), "{err}");
    let fix = kube_rofs(&work, &["fix", "."]);
    let (code, err) = (fix.code, &fix.stderr);
    assert!(code == 0 || code == 2, "fix exit {code}: {err}");
    assert!(!err.contains("panicked") && !err.contains("verification failed"), "{err}");
    let after = snapshot(&work);

    // A second fix is a no-op.
    kube_rofs(&work, &["fix", "."]);
    assert!(snapshot(&work) == after, "a second fix changed files");

    // diff | git apply on a pristine copy == fix.
    git(&pristine, &["init", "-q", "."], None);
    git(&pristine, &["apply", "-"], Some(diff.stdout.as_bytes()));
    let applied = snapshot(&pristine);
    assert_eq!(applied.len(), after.len());
    for (path, bytes) in &after {
        assert!(applied.get(path) == Some(bytes), "git apply of the diff differs from fix for {path}");
    }

    // Independent checks on every changed file, and the tally for the closing note.
    let opts = Options::default();
    let (mut files, mut changed, mut errors) = (0, 0, Vec::new());
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    // Containers of kinds beyond the core workloads (custom resources: Rollouts, Knative...).
    let mut custom_kinds: BTreeMap<String, usize> = BTreeMap::new();
    const CORE: &[&str] =
        &["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"];
    for (path, old) in &before {
        if !matches!(Path::new(path).extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            continue;
        }
        files += 1;
        let new = &after[path];
        if new != old {
            changed += 1;
            common::check_only_additions(old, new, false).unwrap_or_else(|e| panic!("{path}: {e}"));
            let left = common::left_to_fix(new, &opts);
            assert!(left.is_empty(), "{path}: still to fix after fix: {left:?}");
        }
        match analyze(None, old, &opts) {
            Err(e) => errors.push(format!("{path}:{e}")),
            Ok(o) => {
                if let Some(why) = o.skipped {
                    *skipped.entry(first_words(&why)).or_default() += 1;
                }
                for f in o.findings {
                    if !CORE.contains(&&*f.kind) && &*f.kind != "PodTemplate" {
                        *custom_kinds.entry(f.kind.to_string()).or_default() += 1;
                    }
                    let key = match f.status {
                        Status::ReadOnly => "already read-only".to_owned(),
                        Status::Writable => "fixed".to_owned(),
                        Status::ExplicitFalse => "explicit false (left alone)".to_owned(),
                        Status::NotApplicable(skip) => match *skip {
                            Skip::Annotation { key, .. } => format!("not applicable: annotation {key}"),
                            Skip::Image { pattern, .. } => format!("not applicable: stateful image matching {pattern}"),
                            skip => format!("not applicable: {skip}"),
                        },
                        Status::Refused(r) => format!("refused: {r}"),
                    };
                    *by_status.entry(key).or_default() += 1;
                }
            }
        }
    }
    println!("corpus {name}: {files} YAML files, {changed} changed, {} errors", errors.len());
    for (k, n) in &by_status {
        println!("  containers {k}: {n}");
    }
    for (k, n) in &skipped {
        println!("  files skipped ({k}): {n}");
    }
    for e in &errors {
        println!("  error: {e}");
    }
    println!("  containers of other kinds, counted like the core ones: {custom_kinds:?}");
    assert!(changed > 0, "the corpus should need fixing");
    if name == "real" {
        // The shared corpus holds Argo Rollouts, Knative Services, OpenShift DeploymentConfigs and
        // KServe runtimes: their containers are in the ratio.
        for kind in ["Rollout", "DeploymentConfig", "Service", "ClusterServingRuntime"] {
            assert!(custom_kinds.get(kind).is_some_and(|&n| n > 0), "no {kind} container counted: {custom_kinds:?}");
        }
    }
}

#[test]
fn real_corpus_round_trips() {
    run_corpus("real");
}

#[test]
fn peer_fixtures_round_trip() {
    run_corpus("peers");
}
