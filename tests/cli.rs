//! End-to-end tests of the real `kube-rofs` binary: exit codes, output texts and the files it
//! writes, each run in its own temporary directory.

mod common;

use common::{READ_ONLY, WRITABLE};

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// What `fix --no-log-dir` makes of `WRITABLE`.
const WRITABLE_FIXED_NO_LOG_DIR: &str = "\
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
        securityContext:
          readOnlyRootFilesystem: true
        volumeMounts:
        - name: tmp
          mountPath: /tmp
      volumes:
      - name: tmp
        emptyDir: {}
";

/// Unclosed flow sequence: the parser points at the `[` on line 2, column 4.
const INVALID: &str = "a: 1\nb: [1\n";

const HELM: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Values.name }}
spec:
  containers:
  - name: c
    image: {{ .Values.image }}
";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    raw_stdout: Vec<u8>,
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().expect("exited by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        raw_stdout: out.stdout,
    }
}

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kube-rofs"));
    cmd.args(args).current_dir(dir);
    cmd
}

/// Run the binary in `dir` with no standard input.
fn run(dir: &Path, args: &[&str]) -> Run {
    finish(command(dir, args).stdin(Stdio::null()).output().expect("running kube-rofs"))
}

/// Run the binary in `dir` with `input` on standard input.
fn run_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    let mut child = command(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning kube-rofs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    finish(child.wait_with_output().expect("waiting for kube-rofs"))
}

/// A temporary directory holding `files` (relative path, contents).
fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text.as_bytes());
    }
    dir
}

fn write(root: &Path, name: &str, bytes: &[u8]) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn read(root: &Path, name: &str) -> Vec<u8> {
    std::fs::read(root.join(name)).unwrap()
}

fn read_str(root: &Path, name: &str) -> String {
    String::from_utf8(read(root, name)).unwrap()
}

fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running git");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Every regular file under `root` (skipping `.git`), as (relative path, bytes), sorted.
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, acc: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, acc);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                acc.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut acc = Vec::new();
    walk(root, root, &mut acc);
    acc.sort();
    acc
}

fn mode(root: &Path, name: &str) -> u32 {
    std::fs::metadata(root.join(name)).unwrap().permissions().mode() & 0o777
}

// ---------------------------------------------------------------- check

#[test]
fn check_passes_with_exit_0_when_all_containers_are_read_only() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY)]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "1 of 1 containers use read-only root filesystem.\n\
         PASS: 100% >= 80% threshold.\n"
    );
}

#[test]
fn check_fails_with_exit_1_below_threshold_and_lists_the_writable_container() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "w.yaml:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true. \
         Stateless web application could run with read-only root.\n\
         \x20 w.yaml:9:9: container 'app': writable; `kube-rofs fix` adds readOnlyRootFilesystem: true\n\
         1 of 2 containers use read-only root filesystem.\n\
         FAIL: 50% < 80% threshold.\n"
    );
}

#[test]
fn check_exits_2_on_invalid_yaml() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("bad.yaml", INVALID)]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("bad.yaml:2:4: error: invalid YAML: "), "{}", r.stderr);
    // The valid file is still counted.
    assert!(r.stdout.contains("1 of 1 containers use read-only root filesystem."), "{}", r.stdout);
}

#[test]
fn check_exits_2_on_a_missing_path() {
    let dir = dir_with(&[]);
    let r = run(dir.path(), &["check", "nope.yaml"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.starts_with("nope.yaml: error: cannot read: "), "{}", r.stderr);
}

#[test]
fn check_threshold_as_fraction_lowers_the_bar() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["check", "--threshold", "0.5"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("PASS: 50% >= 50% threshold.\n"), "{}", r.stdout);
}

#[test]
fn check_threshold_as_percent_lowers_the_bar() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["check", "--threshold=50%"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("PASS: 50% >= 50% threshold.\n"), "{}", r.stdout);
}

#[test]
fn check_threshold_percent_just_above_ratio_fails() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["check", "--threshold", "51%"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("FAIL: 50% < 51% threshold.\n"), "{}", r.stdout);
}

#[test]
fn check_threshold_out_of_range_is_a_usage_error_exit_2() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY)]);
    for bad in ["2", "150%", "-0.1", "abc"] {
        let r = run(dir.path(), &["check", &format!("--threshold={bad}")]);
        assert_eq!(r.code, 2, "--threshold {bad}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("invalid value '{bad}' for '--threshold")),
            "--threshold {bad}: {}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "--threshold {bad}");
    }
}

#[test]
fn check_without_workloads_is_not_applicable_exit_0() {
    let dir = dir_with(&[("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n")]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "0 of 0 containers use read-only root filesystem.\n\
         N/A: no workloads with containers to check.\n"
    );
}

#[test]
fn check_on_an_empty_directory_is_not_applicable_exit_0() {
    let dir = dir_with(&[]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.ends_with("N/A: no workloads with containers to check.\n"), "{}", r.stdout);
}

#[test]
fn check_excludes_stateful_images_and_explicit_false_from_the_ratio() {
    let pod = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: db
    image: postgres:16
  - name: opt
    image: nginx
    securityContext:
      readOnlyRootFilesystem: false
  - name: c
    image: nginx
    securityContext:
      readOnlyRootFilesystem: true
";
    let dir = dir_with(&[("p.yaml", pod)]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "Not applicable (2, excluded from the ratio):\n\
             \x20 p.yaml:7:5: Pod 'p', container 'db': database/stateful image postgres:16 (matches postgres)\n\
             \x20 p.yaml:9:5: Pod 'p', container 'opt': explicit readOnlyRootFilesystem: false \
             (intentional opt-out; --fix-explicit-false flips it)\n\
             1 of 1 containers use read-only root filesystem.\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("p.yaml:9:5: Pod 'p', container 'opt': explicit readOnlyRootFilesystem: false"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_does_not_modify_files() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    run(dir.path(), &["check"]);
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE);
}

#[test]
fn check_reads_stdin_and_names_it_dash() {
    let dir = dir_with(&[]);
    let r = run_stdin(dir.path(), &["check", "-"], WRITABLE.as_bytes());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with(
            "-:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true. \
             Stateless web application could run with read-only root.\n\
             \x20 -:9:9: container 'app': writable; `kube-rofs fix` adds readOnlyRootFilesystem: true\n\
             0 of 1 containers use read-only root filesystem.\n"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("FAIL: 0% < 80% threshold.\n"), "{}", r.stdout);
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_exits_0_with_empty_stdout_when_nothing_to_change() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY)]);
    let r = run(dir.path(), &["diff"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("kube-rofs: 0 containers to fix in 0 of 1 files; 1 already read-only,"), "{}", r.stderr);
}

#[test]
fn diff_exits_1_with_a_unified_diff_and_leaves_files_alone() {
    let dir = dir_with(&[("ro.yaml", READ_ONLY), ("sub/w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["diff", "--no-log-dir"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("--- a/sub/w.yaml\n+++ b/sub/w.yaml\n@@ "), "{}", r.stdout);
    assert!(r.stdout.contains("+        securityContext:\n+          readOnlyRootFilesystem: true\n"), "{}", r.stdout);
    assert!(!r.stdout.contains("ro.yaml"), "{}", r.stdout);
    assert!(r.stderr.contains("kube-rofs: 1 containers to fix in 1 of 2 files;"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "sub/w.yaml"), WRITABLE);
}

#[test]
fn diff_exits_2_on_invalid_yaml_even_with_changes() {
    let dir = dir_with(&[("bad.yaml", INVALID), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["diff"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("bad.yaml:2:4: error: invalid YAML: "), "{}", r.stderr);
    assert!(r.stdout.contains("--- a/w.yaml\n"), "{}", r.stdout);
    assert!(!r.stdout.contains("bad.yaml"), "{}", r.stdout);
}

#[test]
fn diff_paths_are_relative_to_cwd_when_given_absolute_paths() {
    let dir = dir_with(&[("k8s/w.yaml", WRITABLE)]);
    let abs = dir.path().join("k8s/w.yaml");
    let r = run(dir.path(), &["diff", abs.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("--- a/k8s/w.yaml\n+++ b/k8s/w.yaml\n"), "{}", r.stdout);
}

#[test]
fn diff_output_applied_with_git_apply_equals_what_fix_writes() {
    let crlf = WRITABLE.replace('\n', "\r\n");
    let no_newline = READ_ONLY.replace("readOnlyRootFilesystem: true\n", "runAsUser: 1\n").trim_end().to_owned();
    let files: &[(&str, &str)] = &[
        ("ro.yaml", READ_ONLY),
        ("apps/web.yaml", WRITABLE),
        ("apps/two docs.yml", &format!("{WRITABLE}---\n{no_newline}")),
        ("crlf.yaml", &crlf),
        ("deep/er/no-eol.yaml", &no_newline),
    ];
    let fixed = dir_with(files);
    let patched = dir_with(files);

    let d = run(patched.path(), &["diff"]);
    assert_eq!(d.code, 1, "{}{}", d.stdout, d.stderr);
    assert_eq!(d.stdout.matches("\n+++ b/").count(), 4, "{}", d.stdout);
    assert!(d.stdout.contains("--- a/apps/two docs.yml\t\n"), "{}", d.stdout);
    assert!(d.stdout.contains("\\ No newline at end of file"), "{}", d.stdout);
    git(patched.path(), &["init", "-q"], None);
    git(patched.path(), &["apply", "-"], Some(&d.raw_stdout));

    let f = run(fixed.path(), &["fix"]);
    assert_eq!(f.code, 0, "{}{}", f.stdout, f.stderr);
    assert!(f.stdout.starts_with("kube-rofs: fixed 5 containers in 4 of 5 files;"), "{}", f.stdout);

    let want = snapshot(fixed.path());
    let got = snapshot(patched.path());
    assert_eq!(want.len(), 5);
    for ((wn, wb), (gn, gb)) in want.iter().zip(&got) {
        assert_eq!(wn, gn);
        assert!(
            wb == gb,
            "{wn} differs:\nfix wrote:\n{}\ngit apply gave:\n{}",
            String::from_utf8_lossy(wb),
            String::from_utf8_lossy(gb)
        );
    }
    assert_eq!(want, got);
}

#[test]
fn diff_reads_stdin_with_a_dash_label() {
    let dir = dir_with(&[]);
    let r = run_stdin(dir.path(), &["diff", "-"], WRITABLE.as_bytes());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("--- a/-\n+++ b/-\n@@ "), "{}", r.stdout);
    assert!(r.stderr.contains("kube-rofs: 1 containers to fix in 1 of 1 files;"), "{}", r.stderr);
}

#[test]
fn diff_reports_helm_template_skipped_and_exits_0_when_nothing_else_changes() {
    let dir = dir_with(&[("templates/pod.yaml", HELM), ("ro.yaml", READ_ONLY)]);
    let r = run(dir.path(), &["diff"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("templates/pod.yaml: skipped: Go/Helm template, not YAML until rendered"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" 1 files skipped, 0 errors."), "{}", r.stderr);
    assert!(!r.stderr.contains("error:"), "{}", r.stderr);
}

// ---------------------------------------------------------------- fix

#[test]
fn fix_writes_the_file_and_prints_the_summary_on_stdout() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY)]);
    let r = run(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        "kube-rofs: fixed 1 containers in 1 of 2 files; 1 already read-only, 0 not applicable, \
         0 explicit false, 0 refused, 0 files skipped, 0 errors.\n"
    );
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert_eq!(read_str(dir.path(), "ro.yaml"), READ_ONLY);
}

#[test]
fn fix_adds_tmp_and_default_log_dir_volumes() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = read_str(dir.path(), "w.yaml");
    assert!(
        text.ends_with(
            "        volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: app-logs
          mountPath: /var/log/app
      volumes:
      - name: tmp
        emptyDir: {}
      - name: app-logs
        emptyDir: {}
"
        ),
        "{text}"
    );
}

#[test]
fn fix_with_no_log_dir_adds_only_tmp() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = read_str(dir.path(), "w.yaml");
    assert_eq!(text, WRITABLE_FIXED_NO_LOG_DIR);
    assert!(!text.contains("/var/log"), "{text}");
    assert!(!text.contains("app-logs"), "{text}");
}

#[test]
fn fix_with_log_dir_uses_that_path() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--log-dir", "/srv/logs"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = read_str(dir.path(), "w.yaml");
    assert!(text.contains("mountPath: /srv/logs\n"), "{text}");
    assert!(!text.contains("/var/log/app"), "{text}");
}

#[test]
fn fix_keeps_the_file_mode() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let path = dir.path().join("w.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_ne!(read_str(dir.path(), "w.yaml"), WRITABLE, "file was not fixed");
    assert_eq!(mode(dir.path(), "w.yaml"), 0o640);
}

#[test]
fn fix_leaves_no_temporary_files_behind() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("sub/x.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let names: Vec<String> = snapshot(dir.path()).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["sub/x.yaml", "w.yaml"]);
}

#[test]
fn fix_twice_changes_nothing_the_second_time() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY)]);
    let first = run(dir.path(), &["fix"]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let after_first = snapshot(dir.path());

    let second = run(dir.path(), &["fix"]);
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stdout.starts_with("kube-rofs: fixed 0 containers in 0 of 2 files; 2 already read-only,"),
        "{}",
        second.stdout
    );
    assert_eq!(snapshot(dir.path()), after_first);

    let d = run(dir.path(), &["diff"]);
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    assert_eq!(d.stdout, "");
}

#[test]
fn fix_with_an_invalid_file_fixes_the_others_and_exits_2() {
    let dir = dir_with(&[("a.yaml", WRITABLE), ("bad.yaml", INVALID), ("z/c.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("bad.yaml:2:4: error: invalid YAML: "), "{}", r.stderr);
    assert_eq!(read(dir.path(), "bad.yaml"), INVALID.as_bytes());
    assert_eq!(read_str(dir.path(), "a.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert_eq!(read_str(dir.path(), "z/c.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert!(r.stdout.starts_with("kube-rofs: fixed 2 containers in 2 of 2 files;"), "{}", r.stdout);
    assert!(r.stdout.ends_with(" 1 errors.\n"), "{}", r.stdout);
}

#[test]
fn fix_stdin_writes_yaml_to_stdout_and_summary_to_stderr() {
    let dir = dir_with(&[]);
    let r = run_stdin(dir.path(), &["fix", "-", "--no-log-dir"], WRITABLE.as_bytes());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, WRITABLE_FIXED_NO_LOG_DIR);
    assert!(r.stderr.starts_with("kube-rofs: fixed 1 containers in 1 of 1 files;"), "{}", r.stderr);
    assert_eq!(snapshot(dir.path()), Vec::new(), "nothing written to disk");
}

#[test]
fn fix_stdin_echoes_input_unchanged_when_nothing_to_fix() {
    let dir = dir_with(&[]);
    let r = run_stdin(dir.path(), &["fix", "-"], READ_ONLY.as_bytes());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, READ_ONLY);
    assert!(r.stderr.starts_with("kube-rofs: fixed 0 containers in 0 of 1 files;"), "{}", r.stderr);
}

#[test]
fn fix_stdin_with_invalid_yaml_exits_2_and_prints_no_yaml() {
    let dir = dir_with(&[]);
    let r = run_stdin(dir.path(), &["fix", "-"], INVALID.as_bytes());
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("-:2:4: error: invalid YAML: "), "{}", r.stderr);
}

#[test]
fn fix_skips_hidden_directories_when_walking() {
    let dir = dir_with(&[("w.yaml", WRITABLE), (".git/hooks/w.yaml", WRITABLE), (".github/workflows/w.yml", WRITABLE)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("kube-rofs: fixed 1 containers in 1 of 1 files;"), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), ".git/hooks/w.yaml"), WRITABLE);
    assert_eq!(read_str(dir.path(), ".github/workflows/w.yml"), WRITABLE);
    assert_ne!(read_str(dir.path(), "w.yaml"), WRITABLE);
}

#[test]
fn fix_walks_only_yaml_and_yml_extensions_in_directories() {
    let dir = dir_with(&[("a.yml", WRITABLE), ("b.yaml", WRITABLE), ("c.txt", WRITABLE), ("d.json", WRITABLE)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("kube-rofs: fixed 2 containers in 2 of 2 files;"), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), "c.txt"), WRITABLE);
    assert_eq!(read_str(dir.path(), "d.json"), WRITABLE);
}

#[test]
fn explicit_file_with_a_non_yaml_extension_is_still_read() {
    let dir = dir_with(&[("manifest.txt", WRITABLE)]);
    let c = run(dir.path(), &["check", "manifest.txt"]);
    assert_eq!(c.code, 1, "{}{}", c.stdout, c.stderr);
    assert!(
        c.stdout.starts_with("manifest.txt:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true."),
        "{}",
        c.stdout
    );

    let f = run(dir.path(), &["fix", "--no-log-dir", "manifest.txt"]);
    assert_eq!(f.code, 0, "{}{}", f.stdout, f.stderr);
    assert_eq!(read_str(dir.path(), "manifest.txt"), WRITABLE_FIXED_NO_LOG_DIR);
}

#[test]
fn fix_leaves_helm_templates_alone_and_exits_0() {
    let dir = dir_with(&[("chart/templates/pod.yaml", HELM)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("chart/templates/pod.yaml: skipped: Go/Helm template"), "{}", r.stderr);
    assert!(r.stdout.contains(" 1 files skipped, 0 errors."), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), "chart/templates/pod.yaml"), HELM);
}

#[test]
fn fix_keeps_crlf_line_endings() {
    let crlf = WRITABLE.replace('\n', "\r\n");
    let dir = dir_with(&[("crlf.yaml", &crlf)]);
    let r = run(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let got = read(dir.path(), "crlf.yaml");
    assert_eq!(got, WRITABLE_FIXED_NO_LOG_DIR.replace('\n', "\r\n").as_bytes());
    let text = String::from_utf8(got).unwrap();
    assert!(!text.replace("\r\n", "").contains('\n'), "a bare LF line ending: {text:?}");
}

#[test]
fn fix_explicit_false_is_left_alone_unless_asked() {
    let pod = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      readOnlyRootFilesystem: false
";
    let dir = dir_with(&[("p.yaml", pod)]);
    let r = run(dir.path(), &["fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(read_str(dir.path(), "p.yaml"), pod);
    assert!(r.stdout.contains(" 1 explicit false,"), "{}", r.stdout);

    let r = run(dir.path(), &["fix", "--fix-explicit-false", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let text = read_str(dir.path(), "p.yaml");
    assert!(text.contains("readOnlyRootFilesystem: true"), "{text}");
    assert!(!text.contains("readOnlyRootFilesystem: false"), "{text}");
}

#[test]
fn stateful_image_glob_makes_a_container_not_applicable() {
    let dir = dir_with(&[("w.yaml", &WRITABLE.replace("image: nginx", "image: registry.example/team/mydb:1"))]);
    let before = read(dir.path(), "w.yaml");
    let r = run(dir.path(), &["check", "--stateful-image", "mydb*"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Not applicable (1, excluded from the ratio):\n"), "{}", r.stdout);
    assert!(r.stdout.ends_with("N/A: no workloads with containers to check.\n"), "{}", r.stdout);
    let f = run(dir.path(), &["fix", "--stateful-image", "mydb*"]);
    assert_eq!(f.code, 0, "{}{}", f.stdout, f.stderr);
    assert_eq!(read(dir.path(), "w.yaml"), before);
}

#[test]
fn no_default_stateful_images_makes_postgres_fixable() {
    let dir = dir_with(&[("w.yaml", &WRITABLE.replace("image: nginx", "image: postgres:16"))]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Not applicable (1, excluded from the ratio):\n"), "{}", r.stdout);

    let r = run(dir.path(), &["check", "--no-default-stateful-images"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 of 1 containers use read-only root filesystem."), "{}", r.stdout);
}

#[test]
fn log_dir_and_no_log_dir_conflict_exit_2() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir", "--log-dir", "/x"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE);
}

#[test]
fn fix_refuses_to_write_through_a_named_symlink_and_keeps_link_and_target() {
    let dir = dir_with(&[("real.yaml", WRITABLE)]);
    std::os::unix::fs::symlink("real.yaml", dir.path().join("link.yaml")).unwrap();
    let r = run(dir.path(), &["fix", "--no-log-dir", "link.yaml"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("link.yaml: error: a symlink; not written through"), "{}", r.stderr);
    let meta = std::fs::symlink_metadata(dir.path().join("link.yaml")).unwrap();
    assert!(meta.file_type().is_symlink(), "link.yaml was replaced by a regular file");
    assert_eq!(read_str(dir.path(), "real.yaml"), WRITABLE);
}

#[test]
fn a_file_named_twice_is_processed_once() {
    let dir = dir_with(&[("d.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir", "d.yaml", "./d.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("fixed 1 containers in 1 of 1 files"), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), "d.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
}

#[test]
fn a_file_over_max_file_size_is_an_error_naming_the_flag_and_others_proceed() {
    let big = format!("{WRITABLE}# {}\n", "x".repeat(1 << 20));
    let dir = dir_with(&[("big.yaml", &big), ("w.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir", "--max-file-size", "1"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("big.yaml: error: file is 1.0 MiB, larger than --max-file-size 1 (MiB)"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "big.yaml"), big);
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    let stdin = run_stdin(dir.path(), &["check", "--max-file-size", "1", "-"], big.as_bytes());
    assert_eq!(stdin.code, 2, "{}", stdin.stderr);
    assert!(stdin.stderr.contains("-: error: file is 1.0 MiB"), "{}", stdin.stderr);
}

#[test]
fn follow_symlinks_writes_a_target_inside_the_given_paths_only() {
    let dir = dir_with(&[("inside/real.yaml", WRITABLE), ("outside/real.yaml", WRITABLE)]);
    std::os::unix::fs::symlink("real.yaml", dir.path().join("inside/link.yaml")).unwrap();
    std::os::unix::fs::symlink("../outside/real.yaml", dir.path().join("inside/out.yaml")).unwrap();
    // Named alone, the link's target is not inside the given paths.
    let r = run(dir.path(), &["fix", "--no-log-dir", "--follow-symlinks", "inside/out.yaml"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("a symlink pointing outside the given paths"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "outside/real.yaml"), WRITABLE);
    // The directory holding both is given: the target is inside it, written through the link.
    let r = run(dir.path(), &["fix", "--no-log-dir", "--follow-symlinks", "inside", "inside/link.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(read_str(dir.path(), "inside/real.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert!(std::fs::symlink_metadata(dir.path().join("inside/link.yaml")).unwrap().file_type().is_symlink());
}

#[test]
fn directory_walks_do_not_follow_symlinked_directories() {
    let dir = dir_with(&[("repo/a.yaml", READ_ONLY), ("elsewhere/w.yaml", WRITABLE)]);
    std::os::unix::fs::symlink("../elsewhere", dir.path().join("repo/linked")).unwrap();
    let r = run(dir.path(), &["fix", "repo"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("in 0 of 1 files"), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), "elsewhere/w.yaml"), WRITABLE);
}

#[test]
fn paths_with_spaces_unicode_and_leading_dashes() {
    let dir = dir_with(&[("my dir/ünï côde.yaml", WRITABLE), ("-dash.yaml", WRITABLE)]);
    let r = run(dir.path(), &["fix", "--no-log-dir", "--", "my dir/ünï côde.yaml", "-dash.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(read_str(dir.path(), "my dir/ünï côde.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert_eq!(read_str(dir.path(), "-dash.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
}

#[test]
fn a_read_only_file_is_an_error_and_the_others_are_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir_with(&[("ro.yaml", WRITABLE), ("w.yaml", WRITABLE)]);
    std::fs::set_permissions(dir.path().join("ro.yaml"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = run(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("ro.yaml: error: read-only (mode 444); not written"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "ro.yaml"), WRITABLE);
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
}
