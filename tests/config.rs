//! `.kube-rofs.yaml`: found upwards from the current directory (or `--config`), every key
//! applied, flags override it, bad keys and types are errors with file:line:col, and
//! `kube-rofs config` prints what is in force.

use std::path::Path;
use std::process::Command;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n  - name: db\n    image: registry.local/mydb:2\n";

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kube-rofs")).args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
    std::fs::create_dir_all(dir.path().join("vendor")).unwrap();
    std::fs::write(dir.path().join(".kube-rofs.yaml"), config).unwrap();
    std::fs::write(dir.path().join("apps/web/pod.yaml"), POD).unwrap();
    std::fs::write(dir.path().join("vendor/pod.yaml"), POD).unwrap();
    dir
}

const CONFIG: &str = "\
logDir: /var/log/nginx
writablePaths: [/var/cache/app]
imageWritablePaths:
  'nginx*': [/var/run]
statefulImages: ['mydb*']
exclude: ['vendor/**']
emptyDir: {sizeLimit: 64Mi, medium: Memory}
threshold: 0.4
";

#[test]
fn every_key_applies_from_a_parent_directory() {
    let dir = repo(CONFIG);
    let (code, _, err) = run(&dir.path().join("apps"), &["fix", "."]);
    assert_eq!(code, 0, "{err}");
    let fixed = std::fs::read_to_string(dir.path().join("apps/web/pod.yaml")).unwrap();
    for want in [
        "mountPath: /tmp",
        "mountPath: /var/log/nginx",
        "mountPath: /var/cache/app",
        "mountPath: /var/run",
        "name: nginx-logs",
        "medium: Memory",
        "sizeLimit: \"64Mi\"",
    ] {
        assert!(fixed.contains(want), "{want} missing in:\n{fixed}");
    }
    assert!(!fixed.contains("/var/log/app"), "{fixed}");
    // The stateful image is not applicable: its container is left alone.
    assert_eq!(fixed.matches("readOnlyRootFilesystem: true").count(), 1, "{fixed}");
    // Excluded paths are never read.
    let (code, _, err) = run(dir.path(), &["fix", "."]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("vendor/pod.yaml")).unwrap(), POD);
}

#[test]
fn flags_override_the_file() {
    let dir = repo(CONFIG);
    // threshold 0.4 from the file: 0 of 1 fails anyway; 1 of 1 after fix passes.
    let (code, out, _) = run(dir.path(), &["check", "apps"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL: 0% < 40% threshold."), "{out}");
    let (_, out, _) = run(dir.path(), &["check", "--threshold", "0", "apps"]);
    assert!(out.contains("PASS: 0% >= 0% threshold."), "{out}");
    let (code, _, err) = run(dir.path(), &["fix", "--log-dir", "/logs", "apps"]);
    assert_eq!(code, 0, "{err}");
    let fixed = std::fs::read_to_string(dir.path().join("apps/web/pod.yaml")).unwrap();
    assert!(fixed.contains("mountPath: /logs") && !fixed.contains("/var/log/nginx"), "{fixed}");
}

#[test]
fn unknown_keys_and_wrong_types_are_errors_with_positions() {
    let dir = repo("threshold: 0.8\nwritablepaths: [/x]\n");
    let (code, out, err) = run(dir.path(), &["check", "apps"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(".kube-rofs.yaml:2:1: error: unknown field `writablepaths`"), "{err}");
    std::fs::write(dir.path().join(".kube-rofs.yaml"), "emptyDir:\n  sizeLimit: [1]\n").unwrap();
    let (code, _, err) = run(dir.path(), &["fix", "apps"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(".kube-rofs.yaml:2:14: error: emptyDir.sizeLimit: invalid type")
            || err.contains(".kube-rofs.yaml:2:"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("apps/web/pod.yaml")).unwrap(), POD, "nothing is written");
}

#[test]
fn config_prints_what_is_in_force_and_no_config_ignores_the_file() {
    let dir = repo(CONFIG);
    let (code, out, err) = run(dir.path(), &["config", "--stateful-image", "other*"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# configuration file: "), "{out}");
    for want in [
        "logDir: /var/log/nginx",
        "- mydb*",
        "- other*",
        "threshold: 0.4",
        "medium: Memory",
        "defaultStatefulImages: true",
    ] {
        assert!(out.contains(want), "{want} missing in:\n{out}");
    }
    let (_, out, _) = run(dir.path(), &["config", "--no-config"]);
    assert!(out.starts_with("# no configuration file found"), "{out}");
    assert!(out.contains("logDir: /var/log/app") && out.contains("threshold: 0.8"), "{out}");
    let elsewhere = tempfile::tempdir().unwrap();
    let file = dir.path().join(".kube-rofs.yaml");
    let (_, out, _) = run(elsewhere.path(), &["config", "--config", file.to_str().unwrap()]);
    assert!(out.contains("logDir: /var/log/nginx"), "{out}");
}
