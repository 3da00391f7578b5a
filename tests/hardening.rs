//! Regression tests for the defects an adversarial review found (issue "Hardening"): each one
//! failed before its fix. RELIABILITY.md lists them with the behaviour chosen.

mod common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, READ_ONLY, WRITABLE, dir_with, kube_rofs, kube_rofs_stdin, read, read_str, write};

/// A Pod whose names carry terminal escape sequences and lines of the author's choosing.
const HOSTILE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: "p\e]0;pwned\a\e[2J"
spec:
  containers:
  - name: "c\n::add-mask::x\nPASS: 100% >= 80% threshold."
    image: nginx
  - name: "db\e[31m"
    image: "postgres:16"
"#;

/// No raw control character but line breaks, and no line the manifest wrote.
fn assert_inert(what: &str, text: &str) {
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{what} holds a control character:\n{text:?}");
    for line in text.lines() {
        assert!(!line.starts_with("::add-mask::"), "{what}: a workflow command of the manifest's:\n{text}");
        assert!(!line.starts_with("PASS: 100%"), "{what}: a verdict of the manifest's:\n{text}");
    }
}

#[test]
fn manifest_text_cannot_write_escape_sequences_or_lines_of_its_own() {
    let dir = dir_with(&[("pod.yaml", HOSTILE)]);
    let check = kube_rofs(dir.path(), &["check", "pod.yaml"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_inert("check stdout", &check.stdout);
    assert!(check.stdout.contains(r"Pod 'p\x1b]0;pwned\x07\x1b[2J'"), "shown visibly:\n{}", check.stdout);
    assert!(check.stdout.contains(r"c\n::add-mask::x\nPASS: 100% >= 80% threshold."), "{}", check.stdout);
    assert!(check.stdout.contains("FAIL: 0% < 80% threshold."), "{}", check.stdout);
    let github = kube_rofs(dir.path(), &["check", "--format", "github", "pod.yaml"]);
    assert_inert("--format github", &github.stdout);
    assert!(github.stdout.contains("::warning file=pod.yaml,"), "{}", github.stdout);
    for mode in ["diff", "fix"] {
        let r = kube_rofs(dir.path(), &[mode, "-v", "pod.yaml"]);
        assert_inert(&format!("{mode} stderr"), &r.stderr);
        assert!(r.stderr.contains(r"container 'db\x1b[31m': not applicable"), "{mode}:\n{}", r.stderr);
    }
}

#[test]
fn a_file_name_with_escapes_is_shown_visibly() {
    let dir = dir_with(&[]);
    write(dir.path(), "e\x1b[2Jvil.yaml", "a: [1\n");
    let r = kube_rofs(dir.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert_inert("stderr", &r.stderr);
    assert!(r.stderr.contains(r"e\x1b[2Jvil.yaml:1:"), "{}", r.stderr);
}

/// Run the binary with a time limit: a hang is a failure, not a stuck test suite.
fn run_within(dir: &Path, args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
            return (status.code().unwrap_or(-1), text(out.stdout), text(out.stderr));
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("kube-rofs {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_named_on_the_command_line_is_skipped_not_read() {
    let dir = dir_with(&[("ok.yaml", WRITABLE)]);
    mkfifo(&dir.path().join("f.yaml"));
    let (code, stdout, stderr) = run_within(dir.path(), &["fix", "f.yaml", "ok.yaml"], Duration::from_secs(30));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("f.yaml: skipped: a FIFO, not a regular file; not read"), "{stderr}");
    assert!(stdout.contains("fixed 1 container in 1 of 2 files;"), "{stdout}");
    assert!(read_str(dir.path(), "ok.yaml").contains("readOnlyRootFilesystem: true"));
}

#[test]
fn a_fifo_named_as_the_configuration_file_is_an_error_not_a_hang() {
    let dir = dir_with(&[("ok.yaml", WRITABLE)]);
    mkfifo(&dir.path().join("config.yaml"));
    let (code, _, stderr) =
        run_within(dir.path(), &["check", "--config", "config.yaml", "ok.yaml"], Duration::from_secs(30));
    assert_eq!(code, 2);
    assert!(stderr.contains("config.yaml: error: not a regular file"), "{stderr}");
}

#[test]
fn endless_standard_input_stops_at_the_size_limit() {
    let dir = dir_with(&[]);
    let mut child = Command::new(BIN)
        .args(["check", "--max-file-size", "1", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // `yes`: writes until kube-rofs stops reading (a broken pipe then ends the writer).
    let writer = std::thread::spawn(move || {
        let line = b"y\n".repeat(4096);
        let start = Instant::now();
        while stdin.write_all(&line).is_ok() {
            assert!(start.elapsed() < Duration::from_secs(60), "kube-rofs kept reading standard input");
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("-: error: standard input is larger than --max-file-size 1 (MiB)"), "{stderr}");
}

#[test]
fn log_dir_is_validated_like_the_configuration_file() {
    for (flag, message) in [
        ("/tmp", "log directory /tmp is already among the writable paths"),
        ("/", "would put an empty volume over the whole root filesystem"),
        ("", "--log-dir needs a path"),
        ("relative/x", "is not an absolute path"),
        ("/tmp/", "is not normalised"),
        ("/var//log", "is not normalised"),
    ] {
        let dir = dir_with(&[("w.yaml", WRITABLE)]);
        let r = kube_rofs(dir.path(), &["fix", "--log-dir", flag, "w.yaml"]);
        assert_eq!(r.code, 2, "--log-dir {flag:?}: {}", r.stderr);
        assert!(r.stderr.contains(message), "--log-dir {flag:?}: {}", r.stderr);
        assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE, "--log-dir {flag:?} wrote the file");
    }
    let dir = dir_with(&[("w.yaml", WRITABLE), (".kube-rofs.yaml", "writablePaths: [/var/log/app]\n")]);
    let r = kube_rofs(dir.path(), &["fix", "w.yaml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("writable path /var/log/app is already among the writable paths"), "{}", r.stderr);
}

#[test]
fn a_duplicate_key_on_the_read_path_never_passes() {
    let twice = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n    \
                 securityContext:\n      readOnlyRootFilesystem: true\n      readOnlyRootFilesystem: false\n";
    let dir = dir_with(&[("p.yaml", twice)]);
    let r = kube_rofs(dir.path(), &["check", "--threshold", "0%", "p.yaml"]);
    assert!(r.stdout.contains("0 of 1 container uses read-only root filesystem."), "{}", r.stdout);
    assert!(r.stdout.contains("securityContext has the key `readOnlyRootFilesystem` twice"), "{}", r.stdout);
    let r = kube_rofs(dir.path(), &["check", "p.yaml"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("FAIL"), "{}", r.stdout);
}

#[test]
fn windows_pods_are_not_applicable_and_not_edited() {
    let windows = WRITABLE.replace("      containers:", "      os:\n        name: windows\n      containers:");
    let dir = dir_with(&[("w.yaml", &windows)]);
    let r = kube_rofs(dir.path(), &["fix", "w.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("a Windows pod (spec.os.name: windows)"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "w.yaml"), windows);
}

#[test]
fn setuid_and_setgid_bits_survive_a_rewrite() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let f = dir.path().join("w.yaml");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o6755)).unwrap();
    assert_eq!(kube_rofs(dir.path(), &["fix", "w.yaml"]).code, 0);
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o7777, 0o6755);
}

#[test]
fn a_failed_write_is_not_counted_as_fixed() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    std::fs::set_permissions(dir.path().join("w.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = kube_rofs(dir.path(), &["fix", "w.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("w.yaml: error: read-only"), "{}", r.stderr);
    assert!(r.stdout.contains("fixed 0 containers in 0 of 1 file;"), "{}", r.stdout);
    let json = kube_rofs(dir.path(), &["fix", "--format", "json", "w.yaml"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["summary"]["files_changed"], 0, "{}", json.stdout);
    assert_eq!(v["findings"][0]["status"], "would-fix");
}

#[test]
fn a_hard_link_is_reported_not_split() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    std::fs::hard_link(dir.path().join("w.yaml"), dir.path().join("same.yaml")).unwrap();
    let r = kube_rofs(dir.path(), &["fix", "w.yaml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("has 2 hard links; replacing it would split them"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "same.yaml"), WRITABLE);
}

#[test]
fn configuration_above_the_repository_is_not_used() {
    let dir = dir_with(&[(".kube-rofs.yaml", "statefulImages: ['*']\n"), ("repo/w.yaml", WRITABLE)]);
    std::fs::create_dir(dir.path().join("repo/.git")).unwrap();
    let r = kube_rofs(&dir.path().join("repo"), &["check", "w.yaml"]);
    assert_eq!(r.code, 1, "the outside file made a writable container not applicable:\n{}", r.stdout);
    assert!(r.stdout.contains("0 of 1 container uses"), "{}", r.stdout);
}

#[test]
fn an_aliased_container_list_is_refused_alone_and_the_rest_is_audited() {
    let text =
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: &cs\n  - name: a\n    image: x\n  \
                initContainers: *cs\n---\n"
            .to_owned()
            + WRITABLE;
    let dir = dir_with(&[("p.yaml", &text)]);
    let r = kube_rofs(dir.path(), &["fix", "p.yaml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("verification failed"), "{}", r.stderr);
    assert!(r.stderr.contains("`initContainers` is an alias"), "{}", r.stderr);
    assert!(r.stderr.contains("the container list is anchored and reused through an alias"), "{}", r.stderr);
    let fixed = read_str(dir.path(), "p.yaml");
    assert!(fixed.starts_with(&text[..text.find("---").unwrap()]), "the aliased pod was edited:\n{fixed}");
    assert!(fixed.ends_with("      - name: app-logs\n        emptyDir: {}\n"), "the other document:\n{fixed}");
}

#[test]
fn a_file_name_with_a_line_break_gives_a_diff_git_applies() {
    let dir = dir_with(&[]);
    for name in ["a\nb.yaml", "q\"uote.yaml", "back\\slash.yaml"] {
        write(dir.path(), name, WRITABLE);
    }
    let diff = kube_rofs(dir.path(), &["diff", "."]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(diff.stdout.contains("--- \"a/a\\nb.yaml\"\n+++ \"b/a\\nb.yaml\"\n"), "{}", diff.stdout);
    let fixed = dir_with(&[]);
    for name in ["a\nb.yaml", "q\"uote.yaml", "back\\slash.yaml"] {
        write(fixed.path(), name, WRITABLE);
    }
    assert_eq!(kube_rofs(fixed.path(), &["fix", "."]).code, 0);
    common::git(dir.path(), &["init", "-q", "."], None);
    common::git(dir.path(), &["apply", "-"], Some(diff.stdout.as_bytes()));
    for name in ["a\nb.yaml", "q\"uote.yaml", "back\\slash.yaml"] {
        assert_eq!(read(dir.path(), name), read(fixed.path(), name), "{name:?}");
    }
}

#[test]
fn an_invalid_file_is_counted_in_the_summary_on_standard_output() {
    let dir = dir_with(&[("ok.yaml", READ_ONLY), ("bad.yaml", "a: [1\n")]);
    let r = kube_rofs(dir.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert!(
        r.stdout.contains("1 file with errors (named on standard error): their containers are not counted."),
        "{}",
        r.stdout
    );
}

#[test]
fn standard_input_that_is_a_template_outside_a_chart_is_not_told_to_run_helm() {
    let dir = dir_with(&[]);
    let r = kube_rofs_stdin(dir.path(), &["check", "-"], b"kind: Pod\nmetadata:\n  name: {{ .Values.name }}\n");
    assert!(r.stdout.contains("-: skipped: Go template"), "{}", r.stdout);
    assert!(!r.stdout.contains("helm template"), "{}", r.stdout);
}
