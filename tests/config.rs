//! `.kube-rofs.yaml`: found upwards from the current directory (or `--config`), every key
//! applied, flags override it, bad keys and types are errors with file:line:col, and
//! `kube-rofs config` prints what is in force.

mod common;

use common::{dir_with, kube_rofs, read_str, write};

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: web\n    image: nginx:1.25\n  - name: db\n    image: registry.local/mydb:2\n";

fn repo(config: &str) -> tempfile::TempDir {
    dir_with(&[(".kube-rofs.yaml", config), ("apps/web/pod.yaml", POD), ("vendor/pod.yaml", POD)])
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
    let r = kube_rofs(&dir.path().join("apps"), &["fix", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fixed = read_str(dir.path(), "apps/web/pod.yaml");
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
    let r = kube_rofs(dir.path(), &["fix", "."]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "vendor/pod.yaml"), POD);
}

#[test]
fn flags_override_the_file() {
    let dir = repo(CONFIG);
    // threshold 0.4 from the file: 0 of 1 fails anyway; 1 of 1 after fix passes.
    let r = kube_rofs(dir.path(), &["check", "apps"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL: 0% < 40% threshold."), "{}", r.stdout);
    let r = kube_rofs(dir.path(), &["check", "--threshold", "0", "apps"]);
    assert!(r.stdout.contains("PASS: 0% >= 0% threshold."), "{}", r.stdout);
    let r = kube_rofs(dir.path(), &["fix", "--log-dir", "/logs", "apps"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fixed = read_str(dir.path(), "apps/web/pod.yaml");
    assert!(fixed.contains("mountPath: /logs") && !fixed.contains("/var/log/nginx"), "{fixed}");
}

#[test]
fn unknown_keys_and_wrong_types_are_errors_with_positions() {
    let dir = repo("threshold: 0.8\nwritablepaths: [/x]\n");
    let r = kube_rofs(dir.path(), &["check", "apps"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains(".kube-rofs.yaml:2:1: error: unknown field `writablepaths`"), "{}", r.stderr);
    write(dir.path(), ".kube-rofs.yaml", "emptyDir:\n  sizeLimit: [1]\n");
    let r = kube_rofs(dir.path(), &["fix", "apps"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(".kube-rofs.yaml:2:14: error: emptyDir.sizeLimit: invalid type")
            || r.stderr.contains(".kube-rofs.yaml:2:"),
        "{}",
        r.stderr
    );
    assert_eq!(read_str(dir.path(), "apps/web/pod.yaml"), POD, "nothing is written");
}

#[test]
fn config_prints_what_is_in_force_and_no_config_ignores_the_file() {
    let dir = repo(CONFIG);
    let r = kube_rofs(dir.path(), &["config", "--stateful-image", "other*"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.stdout;
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
    let out = kube_rofs(dir.path(), &["config", "--no-config"]).stdout;
    assert!(out.starts_with("# no configuration file found"), "{out}");
    assert!(out.contains("logDir: /var/log/app") && out.contains("threshold: 0.8"), "{out}");
    let elsewhere = tempfile::tempdir().unwrap();
    let file = dir.path().join(".kube-rofs.yaml");
    let out = kube_rofs(elsewhere.path(), &["config", "--config", file.to_str().unwrap()]).stdout;
    assert!(out.contains("logDir: /var/log/nginx"), "{out}");
}

#[test]
fn threshold_takes_a_percentage_as_on_the_command_line() {
    let dir = repo("threshold: 50%\nstatefulImages: ['mydb*']\n");
    // One applicable container (web), writable: 0% < 50%.
    let r = kube_rofs(dir.path(), &["check", "apps"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("FAIL: 0% < 50% threshold."), "{}", r.stdout);
    let r = kube_rofs(dir.path(), &["config"]);
    assert!(r.stdout.contains("threshold: 0.5"), "{}", r.stdout);
    let dir = repo("threshold: 150%\n");
    let r = kube_rofs(dir.path(), &["check", "apps"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains(".kube-rofs.yaml:1:1: error: threshold must be between 0 and 1"), "{}", r.stderr);
}

#[test]
fn exclude_globs_use_the_image_patterns_dialect() {
    // `*` stays inside one directory, `**` crosses them: as in imageWritablePaths.
    let dir = repo("exclude: ['*.yaml', '**/testdata/**']\n");
    for (name, text) in [("top.yaml", POD), ("apps/testdata/x.yaml", POD)] {
        write(dir.path(), name, text);
    }
    let r = kube_rofs(dir.path(), &["check", "--threshold", "0", "--no-ignore", "."]);
    assert_eq!(r.code, 0, "{r}");
    assert!(!r.stdout.contains("top.yaml") && !r.stdout.contains("testdata"), "{}", r.stdout);
    assert!(r.stdout.contains("apps/web/pod.yaml") && r.stdout.contains("vendor/pod.yaml"), "{}", r.stdout);
}
