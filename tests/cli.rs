//! End-to-end tests of the real `kube-rofs` binary: exit codes, output texts and the files it
//! writes, each run in its own temporary directory.
//!
//! Most tests are rows of `cases!`: the files of a directory and a command line (and standard
//! input) -> the exit code, what stdout and stderr hold, and the files afterwards. Each row is a
//! `#[test]` of its own name. Tests of several runs, or needing the directory's path in their
//! arguments, are plain functions at the end.

mod common;

use common::{READ_ONLY, Run, WRITABLE, dir_with, git, kube_rofs, kube_rofs_stdin, read_str, snapshot};

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use Text::{Ends, Has, Is, Isnt, Lacks, Starts};

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
        image: example/web:1.0
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

/// A Pod with one container of each kind left out of the ratio, and one read-only.
const STATEFUL_AND_FALSE: &str = "\
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
    image: registry.k8s.io/coredns/coredns:v1.11.1
    securityContext:
      readOnlyRootFilesystem: true
";

/// A Pod whose only container opts out with an explicit `false`.
const EXPLICIT_FALSE: &str = "\
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

/// `text` with CRLF line endings.
fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// `WRITABLE` padded past 1 MiB.
fn big() -> String {
    format!("{WRITABLE}# {}\n", "x".repeat(1 << 20))
}

fn mode(root: &Path, name: &str) -> u32 {
    std::fs::metadata(root.join(name)).unwrap().permissions().mode() & 0o777
}

fn chmod(root: &Path, name: &str, mode: u32) {
    std::fs::set_permissions(root.join(name), std::fs::Permissions::from_mode(mode)).unwrap();
}

// ---------------------------------------------------------------- the table

/// What a text (an output stream, or a file after the run) must be.
#[derive(Clone, Copy)]
enum Text<'a> {
    Is(&'a str),
    Isnt(&'a str),
    Has(&'a str),
    Lacks(&'a str),
    Starts(&'a str),
    Ends(&'a str),
}

impl Text<'_> {
    fn check(self, what: &str, text: &str) {
        match self {
            Is(want) => assert_eq!(text, want, "{what}"),
            Isnt(other) => assert_ne!(text, other, "{what}"),
            Has(part) => assert!(text.contains(part), "{what} lacks {part:?}:\n{text}"),
            Lacks(part) => assert!(!text.contains(part), "{what} has {part:?}:\n{text}"),
            Starts(head) => assert!(text.starts_with(head), "{what} does not start with {head:?}:\n{text}"),
            Ends(tail) => assert!(text.ends_with(tail), "{what} does not end with {tail:?}:\n{text}"),
        }
    }
}

/// Prepares the temporary directory beyond a case's files.
type Setup<'a> = &'a dyn Fn(&Path);

/// Checks the directory and the run beyond a case's other fields.
type Then<'a> = &'a dyn Fn(&Path, &Run);

/// One run of the binary in a temporary directory, and what it must give.
struct Case<'a> {
    /// The directory's files before the run: (relative path, contents).
    files: &'a [(&'a str, &'a str)],
    /// What the directory needs beyond `files` (symlinks, file modes).
    setup: Option<Setup<'a>>,
    args: &'a [&'a str],
    /// Standard input; none unless given.
    stdin: Option<&'a [u8]>,
    /// The exit code; every case states it.
    code: i32,
    stdout: &'a [Text<'a>],
    stderr: &'a [Text<'a>],
    /// Files after the run: (relative path, what it must be).
    after: &'a [(&'a str, Text<'a>)],
    /// Every file in the directory after the run, sorted, when given.
    tree: Option<&'a [&'a str]>,
    /// Checks no field above expresses.
    then: Option<Then<'a>>,
}

/// Stands for the exit code of a case that forgot to state one.
const NO_CODE: i32 = i32::MIN;

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            files: &[],
            setup: None,
            args: &[],
            stdin: None,
            code: NO_CODE,
            stdout: &[],
            stderr: &[],
            after: &[],
            tree: None,
            then: None,
        }
    }
}

impl Case<'_> {
    fn run(self) {
        assert_ne!(self.code, NO_CODE, "the case states no exit code");
        let dir = dir_with(self.files);
        if let Some(setup) = self.setup {
            setup(dir.path());
        }
        let r = match self.stdin {
            Some(input) => kube_rofs_stdin(dir.path(), self.args, input),
            None => kube_rofs(dir.path(), self.args),
        };
        assert_eq!(r.code, self.code, "exit code of kube-rofs {:?}:\n{r}", self.args);
        for text in self.stdout {
            text.check("stdout", &r.stdout);
        }
        for text in self.stderr {
            text.check("stderr", &r.stderr);
        }
        for (name, text) in self.after {
            text.check(name, &read_str(dir.path(), name));
        }
        if let Some(tree) = self.tree {
            let names: Vec<String> = snapshot(dir.path()).into_keys().collect();
            assert_eq!(names, tree, "the files after the run");
        }
        if let Some(then) = self.then {
            then(dir.path(), &r);
        }
    }
}

/// One `#[test]` per row: `name { field: value, ... }` is a `Case` (other fields default), run.
macro_rules! cases {
    ($($(#[$attr:meta])* $name:ident { $($field:ident: $value:expr),* $(,)? })*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                Case { $($field: $value,)* ..Case::default() }.run()
            }
        )*
    };
}

// ---------------------------------------------------------------- check

cases! {
    check_passes_with_exit_0_when_all_containers_are_read_only {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["check"],
        code: 0,
        stdout: &[Is("1 of 1 container uses read-only root filesystem.\n\
                      PASS: 100% >= 80% threshold.\n")],
    }

    check_fails_with_exit_1_below_threshold_and_lists_the_writable_container {
        files: &[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)],
        args: &["check"],
        code: 1,
        stdout: &[Is("w.yaml:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true. \
                      Stateless web application could run with read-only root.\n\
                      \x20 w.yaml:9:9: container 'app': writable; `kube-rofs fix` adds readOnlyRootFilesystem: true\n\
                      \x20     writable paths: /tmp (default); /var/log/app (log directory)\n\
                      \x20     unknown image example/web:1.0: only /tmp and the log directory; run it once with a read-only root \
                      before merging\n\
                      1 of 2 containers use read-only root filesystem.\n\
                      FAIL: 50% < 80% threshold.\n")],
    }

    check_exits_2_on_invalid_yaml {
        files: &[("ro.yaml", READ_ONLY), ("bad.yaml", INVALID)],
        args: &["check"],
        code: 2,
        stderr: &[Has("bad.yaml:2:4: error: invalid YAML: ")],
        // The valid file is still counted.
        stdout: &[Has("1 of 1 container uses read-only root filesystem.")],
    }

    check_exits_2_on_a_missing_path {
        args: &["check", "nope.yaml"],
        code: 2,
        stderr: &[Starts("nope.yaml: error: cannot read: ")],
    }

    check_threshold_as_fraction_lowers_the_bar {
        files: &[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)],
        args: &["check", "--threshold", "0.5"],
        code: 0,
        stdout: &[Ends("PASS: 50% >= 50% threshold.\n")],
    }

    check_threshold_as_percent_lowers_the_bar {
        files: &[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)],
        args: &["check", "--threshold=50%"],
        code: 0,
        stdout: &[Ends("PASS: 50% >= 50% threshold.\n")],
    }

    check_threshold_percent_just_above_ratio_fails {
        files: &[("ro.yaml", READ_ONLY), ("w.yaml", WRITABLE)],
        args: &["check", "--threshold", "51%"],
        code: 1,
        stdout: &[Ends("FAIL: 50% < 51% threshold.\n")],
    }

    check_threshold_above_1_is_a_usage_error_exit_2 {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["check", "--threshold=2"],
        code: 2,
        stderr: &[Has("invalid value '2' for '--threshold")],
        stdout: &[Is("")],
    }

    check_threshold_above_100_percent_is_a_usage_error_exit_2 {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["check", "--threshold=150%"],
        code: 2,
        stderr: &[Has("invalid value '150%' for '--threshold")],
        stdout: &[Is("")],
    }

    check_threshold_below_0_is_a_usage_error_exit_2 {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["check", "--threshold=-0.1"],
        code: 2,
        stderr: &[Has("invalid value '-0.1' for '--threshold")],
        stdout: &[Is("")],
    }

    check_threshold_not_a_number_is_a_usage_error_exit_2 {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["check", "--threshold=abc"],
        code: 2,
        stderr: &[Has("invalid value 'abc' for '--threshold")],
        stdout: &[Is("")],
    }

    check_without_workloads_is_not_applicable_exit_0 {
        files: &[("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n")],
        args: &["check"],
        code: 0,
        stdout: &[Is("0 of 0 containers use read-only root filesystem.\n\
                      N/A: no containers found in 1 file; nothing was checked against the threshold.\n")],
    }

    check_on_an_empty_directory_is_not_applicable_exit_0 {
        args: &["check"],
        code: 0,
        stdout: &[Ends("N/A: no containers found in 0 files; nothing was checked against the threshold.\n")],
    }

    check_counts_explicit_false_and_excludes_stateful_images {
        files: &[("p.yaml", STATEFUL_AND_FALSE)],
        args: &["check"],
        // The explicit `false` is a writable container: 1 of 2 read-only is below 80%.
        code: 1,
        stdout: &[
            Has("p.yaml:9:5: container 'opt': writable, readOnlyRootFilesystem: false; `kube-rofs fix` leaves it \
                 alone unless --fix-explicit-false; if it must write, exempt it on purpose with the annotation \
                 kube-rofs.io/skip: \"<reason>\"\n"),
            Has("Not applicable (1, excluded from the ratio):\n\
                 \x20 p.yaml:7:5: Pod 'p', container 'db': database/stateful image postgres:16 (matches postgres)\n\
                 1 of 2 containers use read-only root filesystem.\n"),
        ],
    }

    check_does_not_modify_files {
        files: &[("w.yaml", WRITABLE)],
        args: &["check"],
        code: 1,
        after: &[("w.yaml", Is(WRITABLE))],
    }

    check_reads_stdin_and_names_it_dash {
        args: &["check", "-"],
        stdin: Some(WRITABLE.as_bytes()),
        code: 1,
        stdout: &[
            Starts("-:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true. \
                    Stateless web application could run with read-only root.\n\
                    \x20 -:9:9: container 'app': writable; `kube-rofs fix` adds readOnlyRootFilesystem: true\n\
                    \x20     writable paths: /tmp (default); /var/log/app (log directory)\n\
                    \x20     unknown image example/web:1.0: only /tmp and the log directory; run it once with a read-only root \
                    before merging\n\
                    0 of 1 container uses read-only root filesystem.\n"),
            Ends("FAIL: 0% < 80% threshold.\n"),
        ],
    }

    explicit_file_with_a_non_yaml_extension_is_still_checked {
        files: &[("manifest.txt", WRITABLE)],
        args: &["check", "manifest.txt"],
        code: 1,
        stdout: &[Starts("manifest.txt:9:9: Deployment 'web' lacks readOnlyRootFilesystem: true.")],
    }

    stateful_image_glob_makes_a_container_not_applicable {
        files: &[("w.yaml", &WRITABLE.replace("image: example/web:1.0", "image: registry.example/team/mydb:1"))],
        args: &["check", "--stateful-image", "mydb*"],
        code: 0,
        stdout: &[
            Has("Not applicable (1, excluded from the ratio):\n"),
            Ends("N/A: the one container found is not applicable; nothing was checked against the threshold.\n"),
        ],
    }

    postgres_is_a_stateful_image_by_default {
        files: &[("w.yaml", &WRITABLE.replace("image: example/web:1.0", "image: postgres:16"))],
        args: &["check"],
        code: 0,
        stdout: &[Has("Not applicable (1, excluded from the ratio):\n")],
    }

    no_default_stateful_images_makes_postgres_fixable {
        files: &[("w.yaml", &WRITABLE.replace("image: example/web:1.0", "image: postgres:16"))],
        args: &["check", "--no-default-stateful-images"],
        code: 1,
        stdout: &[Has("0 of 1 container uses read-only root filesystem.")],
    }

    standard_input_over_max_file_size_is_an_error {
        args: &["check", "--max-file-size", "1", "-"],
        stdin: Some(big().as_bytes()),
        code: 2,
        // Standard input is read only up to the limit (hardening 3), so its size is not known.
        stderr: &[Has("-: error: standard input is larger than --max-file-size 1 (MiB)")],
    }
}

// ---------------------------------------------------------------- diff

cases! {
    diff_exits_0_with_empty_stdout_when_nothing_to_change {
        files: &[("ro.yaml", READ_ONLY)],
        args: &["diff"],
        code: 0,
        stdout: &[Is("")],
        stderr: &[Has("kube-rofs: 0 containers to fix in 0 of 1 file; 1 already read-only,")],
    }

    diff_exits_1_with_a_unified_diff_and_leaves_files_alone {
        files: &[("ro.yaml", READ_ONLY), ("sub/w.yaml", WRITABLE)],
        args: &["diff", "--no-log-dir"],
        code: 1,
        stdout: &[
            Starts("--- a/sub/w.yaml\n+++ b/sub/w.yaml\n@@ "),
            Has("+        securityContext:\n+          readOnlyRootFilesystem: true\n"),
            Lacks("ro.yaml"),
        ],
        stderr: &[Has("kube-rofs: 1 container to fix in 1 of 2 files;")],
        after: &[("sub/w.yaml", Is(WRITABLE))],
    }

    diff_exits_2_on_invalid_yaml_even_with_changes {
        files: &[("bad.yaml", INVALID), ("w.yaml", WRITABLE)],
        args: &["diff"],
        code: 2,
        stderr: &[Has("bad.yaml:2:4: error: invalid YAML: ")],
        stdout: &[Has("--- a/w.yaml\n"), Lacks("bad.yaml")],
    }

    diff_reads_stdin_with_a_dash_label {
        args: &["diff", "-"],
        stdin: Some(WRITABLE.as_bytes()),
        code: 1,
        stdout: &[Starts("--- a/-\n+++ b/-\n@@ ")],
        stderr: &[Has("kube-rofs: 1 container to fix in 1 of 1 file;")],
    }

    diff_reports_helm_template_skipped_and_exits_0_when_nothing_else_changes {
        files: &[("templates/pod.yaml", HELM), ("ro.yaml", READ_ONLY)],
        args: &["diff"],
        code: 0,
        stdout: &[Is("")],
        stderr: &[
            // Not in a chart (no Chart.yaml above): no `helm template` advice (hardening 14).
            Has("templates/pod.yaml: skipped: Go template (`{{ ... }}`), not YAML until rendered"),
            Lacks("helm template"),
            Has(" 1 file skipped, 0 errors."),
            Lacks("error:"),
        ],
    }
}

// ---------------------------------------------------------------- fix

cases! {
    fix_writes_the_file_and_prints_the_summary_on_stdout {
        files: &[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY)],
        args: &["fix", "--no-log-dir"],
        code: 0,
        stdout: &[Is("kube-rofs: fixed 1 container in 1 of 2 files; 1 already read-only, 0 not applicable, \
                      0 explicit false, 0 refused, 0 files skipped, 0 errors.\n")],
        after: &[("w.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)), ("ro.yaml", Is(READ_ONLY))],
    }

    fix_adds_tmp_and_default_log_dir_volumes {
        files: &[("w.yaml", WRITABLE)],
        args: &["fix"],
        code: 0,
        after: &[("w.yaml", Ends("        volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: app-logs
          mountPath: /var/log/app
      volumes:
      - name: tmp
        emptyDir: {}
      - name: app-logs
        emptyDir: {}
"))],
    }

    fix_with_no_log_dir_adds_only_tmp {
        files: &[("w.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir"],
        code: 0,
        after: &[
            ("w.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)),
            ("w.yaml", Lacks("/var/log")),
            ("w.yaml", Lacks("app-logs")),
        ],
    }

    fix_with_log_dir_uses_that_path {
        files: &[("w.yaml", WRITABLE)],
        args: &["fix", "--log-dir", "/srv/logs"],
        code: 0,
        after: &[("w.yaml", Has("mountPath: /srv/logs\n")), ("w.yaml", Lacks("/var/log/app"))],
    }

    log_dir_and_no_log_dir_conflict_exit_2 {
        files: &[("w.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir", "--log-dir", "/x"],
        code: 2,
        stderr: &[Has("cannot be used with")],
        after: &[("w.yaml", Is(WRITABLE))],
    }

    fix_keeps_the_file_mode {
        files: &[("w.yaml", WRITABLE)],
        setup: Some(&|dir| chmod(dir, "w.yaml", 0o640)),
        args: &["fix"],
        code: 0,
        // The file was fixed ...
        after: &[("w.yaml", Isnt(WRITABLE))],
        // ... and kept its mode.
        then: Some(&|dir, _| assert_eq!(mode(dir, "w.yaml"), 0o640)),
    }

    // --fsync adds flushes, nothing else: the same bytes, no temporary file left.
    fix_with_fsync_writes_the_same_bytes {
        files: &[("w.yaml", WRITABLE), ("sub/x.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir", "--fsync"],
        code: 0,
        stdout: &[Starts("kube-rofs: fixed 2 containers in 2 of 2 files;")],
        after: &[("w.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)), ("sub/x.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR))],
        tree: Some(&["sub/x.yaml", "w.yaml"]),
    }

    config_refuses_fsync_as_a_run_flag {
        args: &["config", "--fsync"],
        code: 2,
        stderr: &[Has("--fsync is for check, diff and fix")],
    }

    fix_leaves_no_temporary_files_behind {
        files: &[("w.yaml", WRITABLE), ("sub/x.yaml", WRITABLE)],
        args: &["fix"],
        code: 0,
        tree: Some(&["sub/x.yaml", "w.yaml"]),
    }

    fix_with_an_invalid_file_fixes_the_others_and_exits_2 {
        files: &[("a.yaml", WRITABLE), ("bad.yaml", INVALID), ("z/c.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir"],
        code: 2,
        stderr: &[Has("bad.yaml:2:4: error: invalid YAML: ")],
        after: &[
            ("bad.yaml", Is(INVALID)),
            ("a.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)),
            ("z/c.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)),
        ],
        stdout: &[Starts("kube-rofs: fixed 2 containers in 2 of 2 files;"), Ends(" 1 error.\n")],
    }

    fix_stdin_writes_yaml_to_stdout_and_summary_to_stderr {
        args: &["fix", "-", "--no-log-dir"],
        stdin: Some(WRITABLE.as_bytes()),
        code: 0,
        stdout: &[Is(WRITABLE_FIXED_NO_LOG_DIR)],
        stderr: &[Starts("kube-rofs: fixed 1 container in 1 of 1 file;")],
        // Nothing written to disk.
        tree: Some(&[]),
    }

    fix_stdin_echoes_input_unchanged_when_nothing_to_fix {
        args: &["fix", "-"],
        stdin: Some(READ_ONLY.as_bytes()),
        code: 0,
        stdout: &[Is(READ_ONLY)],
        stderr: &[Starts("kube-rofs: fixed 0 containers in 0 of 1 file;")],
    }

    fix_stdin_with_invalid_yaml_exits_2_and_prints_no_yaml {
        args: &["fix", "-"],
        stdin: Some(INVALID.as_bytes()),
        code: 2,
        stdout: &[Is("")],
        stderr: &[Has("-:2:4: error: invalid YAML: ")],
    }

    fix_skips_hidden_directories_when_walking {
        files: &[("w.yaml", WRITABLE), (".git/hooks/w.yaml", WRITABLE), (".github/workflows/w.yml", WRITABLE)],
        args: &["fix"],
        code: 0,
        stdout: &[Starts("kube-rofs: fixed 1 container in 1 of 1 file;")],
        after: &[
            (".git/hooks/w.yaml", Is(WRITABLE)),
            (".github/workflows/w.yml", Is(WRITABLE)),
            ("w.yaml", Isnt(WRITABLE)),
        ],
    }

    fix_walks_only_yaml_and_yml_extensions_in_directories {
        files: &[("a.yml", WRITABLE), ("b.yaml", WRITABLE), ("c.txt", WRITABLE), ("d.json", WRITABLE)],
        args: &["fix"],
        code: 0,
        stdout: &[Starts("kube-rofs: fixed 2 containers in 2 of 2 files;")],
        after: &[("c.txt", Is(WRITABLE)), ("d.json", Is(WRITABLE))],
    }

    explicit_file_with_a_non_yaml_extension_is_still_fixed {
        files: &[("manifest.txt", WRITABLE)],
        args: &["fix", "--no-log-dir", "manifest.txt"],
        code: 0,
        after: &[("manifest.txt", Is(WRITABLE_FIXED_NO_LOG_DIR))],
    }

    fix_leaves_helm_templates_alone_and_exits_0 {
        files: &[("chart/templates/pod.yaml", HELM)],
        args: &["fix"],
        code: 0,
        stderr: &[Has("chart/templates/pod.yaml: skipped: Go template"), Lacks("helm template")],
        stdout: &[Has(" 1 file skipped, 0 errors.")],
        after: &[("chart/templates/pod.yaml", Is(HELM))],
    }

    fix_keeps_crlf_line_endings {
        files: &[("crlf.yaml", &crlf(WRITABLE))],
        args: &["fix", "--no-log-dir"],
        code: 0,
        after: &[("crlf.yaml", Is(&crlf(WRITABLE_FIXED_NO_LOG_DIR)))],
        then: Some(&|dir, _| {
            let text = read_str(dir, "crlf.yaml");
            assert!(!text.replace("\r\n", "").contains('\n'), "a bare LF line ending: {text:?}");
        }),
    }

    fix_leaves_explicit_false_alone {
        files: &[("p.yaml", EXPLICIT_FALSE)],
        args: &["fix"],
        code: 0,
        after: &[("p.yaml", Is(EXPLICIT_FALSE))],
        stdout: &[Has(" 1 explicit false,")],
    }

    fix_explicit_false_flips_it_when_asked {
        files: &[("p.yaml", EXPLICIT_FALSE)],
        args: &["fix", "--fix-explicit-false", "--no-log-dir"],
        code: 0,
        after: &[("p.yaml", Has("readOnlyRootFilesystem: true")), ("p.yaml", Lacks("readOnlyRootFilesystem: false"))],
    }

    stateful_image_glob_makes_fix_leave_the_container_alone {
        files: &[("w.yaml", &WRITABLE.replace("image: example/web:1.0", "image: registry.example/team/mydb:1"))],
        args: &["fix", "--stateful-image", "mydb*"],
        code: 0,
        after: &[("w.yaml", Is(&WRITABLE.replace("image: example/web:1.0", "image: registry.example/team/mydb:1")))],
    }

    fix_refuses_to_write_through_a_named_symlink_and_keeps_link_and_target {
        files: &[("real.yaml", WRITABLE)],
        setup: Some(&|dir| symlink("real.yaml", dir.join("link.yaml")).unwrap()),
        args: &["fix", "--no-log-dir", "link.yaml"],
        code: 2,
        stderr: &[Has("link.yaml: error: a symlink; not written through")],
        then: Some(&|dir, _| {
            let meta = std::fs::symlink_metadata(dir.join("link.yaml")).unwrap();
            assert!(meta.file_type().is_symlink(), "link.yaml was replaced by a regular file");
        }),
        after: &[("real.yaml", Is(WRITABLE))],
    }

    directory_walks_do_not_follow_symlinked_directories {
        files: &[("repo/a.yaml", READ_ONLY), ("elsewhere/w.yaml", WRITABLE)],
        setup: Some(&|dir| symlink("../elsewhere", dir.join("repo/linked")).unwrap()),
        args: &["fix", "repo"],
        code: 0,
        stdout: &[Has("in 0 of 1 file")],
        after: &[("elsewhere/w.yaml", Is(WRITABLE))],
    }

    a_file_named_twice_is_processed_once {
        files: &[("d.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir", "d.yaml", "./d.yaml"],
        code: 0,
        stdout: &[Has("fixed 1 container in 1 of 1 file")],
        after: &[("d.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR))],
    }

    a_file_over_max_file_size_is_an_error_naming_the_flag_and_others_proceed {
        files: &[("big.yaml", &big()), ("w.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir", "--max-file-size", "1"],
        code: 2,
        stderr: &[Has("big.yaml: error: file is 1.0 MiB, larger than --max-file-size 1 (MiB)")],
        after: &[("big.yaml", Is(&big())), ("w.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR))],
    }

    paths_with_spaces_unicode_and_leading_dashes {
        files: &[("my dir/ünï côde.yaml", WRITABLE), ("-dash.yaml", WRITABLE)],
        args: &["fix", "--no-log-dir", "--", "my dir/ünï côde.yaml", "-dash.yaml"],
        code: 0,
        after: &[("my dir/ünï côde.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR)), ("-dash.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR))],
    }

    a_read_only_file_is_an_error_and_the_others_are_fixed {
        files: &[("ro.yaml", WRITABLE), ("w.yaml", WRITABLE)],
        setup: Some(&|dir| chmod(dir, "ro.yaml", 0o444)),
        args: &["fix", "--no-log-dir"],
        code: 2,
        stderr: &[Has("ro.yaml: error: read-only (mode 444); not written")],
        after: &[("ro.yaml", Is(WRITABLE)), ("w.yaml", Is(WRITABLE_FIXED_NO_LOG_DIR))],
    }
}

// ---------------------------------------------------------------- several runs

#[test]
fn diff_paths_are_relative_to_cwd_when_given_absolute_paths() {
    let dir = dir_with(&[("k8s/w.yaml", WRITABLE)]);
    let abs = dir.path().join("k8s/w.yaml");
    let r = kube_rofs(dir.path(), &["diff", abs.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.starts_with("--- a/k8s/w.yaml\n+++ b/k8s/w.yaml\n"), "{}", r.stdout);
}

#[test]
fn diff_output_applied_with_git_apply_equals_what_fix_writes() {
    let crlf = crlf(WRITABLE);
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

    let d = kube_rofs(patched.path(), &["diff"]);
    assert_eq!(d.code, 1, "{d}");
    assert_eq!(d.stdout.matches("\n+++ b/").count(), 4, "{}", d.stdout);
    assert!(d.stdout.contains("--- a/apps/two docs.yml\t\n"), "{}", d.stdout);
    assert!(d.stdout.contains("\\ No newline at end of file"), "{}", d.stdout);
    git(patched.path(), &["init", "-q"], None);
    git(patched.path(), &["apply", "-"], Some(d.stdout.as_bytes()));

    let f = kube_rofs(fixed.path(), &["fix"]);
    assert_eq!(f.code, 0, "{f}");
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
fn fix_twice_changes_nothing_the_second_time() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY)]);
    let first = kube_rofs(dir.path(), &["fix"]);
    assert_eq!(first.code, 0, "{first}");
    let after_first = snapshot(dir.path());

    let second = kube_rofs(dir.path(), &["fix"]);
    assert_eq!(second.code, 0, "{second}");
    assert!(
        second.stdout.starts_with("kube-rofs: fixed 0 containers in 0 of 2 files; 2 already read-only,"),
        "{}",
        second.stdout
    );
    assert_eq!(snapshot(dir.path()), after_first);

    let d = kube_rofs(dir.path(), &["diff"]);
    assert_eq!(d.code, 0, "{d}");
    assert_eq!(d.stdout, "");
}

#[test]
fn follow_symlinks_writes_a_target_inside_the_given_paths_only() {
    let dir = dir_with(&[("inside/real.yaml", WRITABLE), ("outside/real.yaml", WRITABLE)]);
    symlink("real.yaml", dir.path().join("inside/link.yaml")).unwrap();
    symlink("../outside/real.yaml", dir.path().join("inside/out.yaml")).unwrap();
    // Named alone, the link's target is not inside the given paths.
    let r = kube_rofs(dir.path(), &["fix", "--no-log-dir", "--follow-symlinks", "inside/out.yaml"]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("a symlink pointing outside the given paths"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "outside/real.yaml"), WRITABLE);
    // The directory holding both is given: the target is inside it, written through the link.
    let r = kube_rofs(dir.path(), &["fix", "--no-log-dir", "--follow-symlinks", "inside", "inside/link.yaml"]);
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(read_str(dir.path(), "inside/real.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    assert!(std::fs::symlink_metadata(dir.path().join("inside/link.yaml")).unwrap().file_type().is_symlink());
}

#[test]
fn walks_honour_gitignore_ignore_files_and_default_excludes_unless_no_ignore() {
    let dir = dir_with(&[
        (".gitignore", "generated/\n"),
        ("sub/.ignore", "scratch.yaml\n"),
        ("apps/w.yaml", WRITABLE),
        ("generated/w.yaml", WRITABLE),
        ("sub/scratch.yaml", WRITABLE),
        ("vendor/lib/w.yaml", WRITABLE),
        ("web/node_modules/pkg/w.yaml", WRITABLE),
    ]);
    // .gitignore counts inside a git repository, as for git itself; .ignore always.
    git(dir.path(), &["init", "-q"], None);
    let r = kube_rofs(dir.path(), &["fix", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.starts_with("kube-rofs: fixed 1 container in 1 of 1 file;"), "{}", r.stdout);
    assert_eq!(read_str(dir.path(), "apps/w.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
    for skipped in ["generated/w.yaml", "sub/scratch.yaml", "vendor/lib/w.yaml", "web/node_modules/pkg/w.yaml"] {
        assert_eq!(read_str(dir.path(), skipped), WRITABLE, "{skipped} was written");
    }
    // A file named on the command line is read whatever the ignore rules say.
    let r = kube_rofs(dir.path(), &["check", "generated/w.yaml"]);
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("generated/w.yaml"), "{}", r.stdout);
    // --no-ignore walks everything.
    let r = kube_rofs(dir.path(), &["check", "--no-ignore", "--threshold", "0"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("1 of 5 containers"), "{}", r.stdout);
}

#[test]
fn config_refuses_what_belongs_to_a_run() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    for args in
        [&["config", "--format", "json"][..], &["config", "."], &["config", "--output", "c.yaml"], &["config", "-q"]]
    {
        let r = kube_rofs(dir.path(), args);
        assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{args:?}: {r}");
        assert!(
            r.stderr.starts_with("error: kube-rofs config prints the configuration in force as YAML; "),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("Usage: kube-rofs config [OPTIONS]"), "{}", r.stderr);
    }
    let r = kube_rofs(dir.path(), &["config", "--threshold", "90%", "--no-log-dir"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("threshold: 0.9\n"), "{}", r.stdout);
    let help = kube_rofs(dir.path(), &["config", "--help"]).stdout;
    assert!(help.contains("--threshold") && !help.contains("--format") && !help.contains("[PATHS]"), "{help}");
}

#[test]
fn help_points_only_at_documents_and_sections_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = dir_with(&[]);
    let mut checked = 0;
    for sub in ["check", "diff", "fix", "config", "explain", "profiles", "completions", "man"] {
        let help = kube_rofs(dir.path(), &[sub, "--help"]).stdout;
        let mut rest = help.as_str();
        // References read `docs/NAME.md, "Section"` or `README.md, "Section"`.
        while let Some(at) = rest.find(".md") {
            let start = rest[..at].rfind(|c: char| c.is_whitespace() || c == '(').map_or(0, |i| i + 1);
            let doc = &rest[start..at + 3];
            let text = std::fs::read_to_string(root.join(doc)).unwrap_or_else(|e| panic!("{sub} --help: {doc}: {e}"));
            if let Some(section) = rest[at + 3..].strip_prefix(", \"").and_then(|s| s.split('"').next()) {
                assert!(
                    text.lines().any(|l| l.starts_with('#') && l.trim_start_matches('#').trim() == section),
                    "{sub} --help names section {section:?} of {doc}, which has no such heading"
                );
            }
            checked += 1;
            rest = &rest[at + 3..];
        }
    }
    assert!(checked >= 3, "expected references in --help; found {checked}");
}

/// The fenced block of `lang` that follows `after` in `text`.
fn fenced<'a>(text: &'a str, after: &str, lang: &str) -> &'a str {
    let from = text.find(after).unwrap_or_else(|| panic!("README has no {after:?}")) + after.len();
    let open = format!("```{lang}\n");
    let start = text[from..].find(&open).unwrap() + from + open.len();
    let end = text[start..].find("```").unwrap() + start;
    &text[start..end]
}

#[test]
fn the_readme_example_is_what_the_binary_prints() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let example = &readme[readme.find("## Example").unwrap()..];
    let dir = dir_with(&[("deploy.yaml", fenced(example, "A small Deployment", "yaml"))]);
    let d = kube_rofs(dir.path(), &["diff", "deploy.yaml"]);
    assert_eq!(d.code, 1, "{d}");
    assert_eq!(d.stdout, fenced(example, "shows the lines", "diff"));
    assert_eq!(d.stderr, fenced(example, "on standard error", "text"));
    let c = kube_rofs(dir.path(), &["check", "deploy.yaml"]);
    assert_eq!(c.stdout, fenced(example, "what it left alone", "text"));
    let f = kube_rofs(dir.path(), &["fix", "deploy.yaml"]);
    assert_eq!(f.code, 0, "{f}");
    let applied = dir_with(&[("deploy.yaml", fenced(example, "A small Deployment", "yaml"))]);
    git(applied.path(), &["init", "-q"], None);
    git(applied.path(), &["apply", "-"], Some(d.stdout.as_bytes()));
    assert_eq!(read_str(dir.path(), "deploy.yaml"), read_str(applied.path(), "deploy.yaml"), "fix writes that diff");
}

#[test]
fn the_usage_output_sample_is_what_check_prints_for_the_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let usage = std::fs::read_to_string(root.join("docs/usage.md")).unwrap();
    let sample = fenced(&usage, "(`kube-rofs check examples`)", "");
    let r = kube_rofs(root, &["check", "--no-config", "examples"]);
    assert_eq!(r.code, 1, "{r}");
    assert_eq!(r.stdout, sample, "docs/usage.md, \"Output\", is out of date");
}

#[test]
fn a_window_of_thousands_of_lines_shows_only_the_inserted_lines() {
    // 1,500 containers with a multi-line flow securityContext and a trailing comma: one diff
    // window of over 4,096 lines, written from the edits (report::diff::DIRECT_FROM). Each new
    // key is inserted as "\n      readOnlyRootFilesystem: true," after the last comma; the line
    // with that comma is context, not removed and added again, as in a small file's diff.
    let container = |i: usize| {
        format!(
            "  - name: c{i}\n    image: example/web:1.0\n    securityContext: {{\n      allowPrivilegeEscalation: false,\n    }}\n"
        )
    };
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  containers:\n{}",
        (0..1500).map(container).collect::<String>()
    );
    assert!(text.lines().count() > 4096);
    let fixed = dir_with(&[("many.yaml", &text)]);
    let patched = dir_with(&[("many.yaml", &text)]);
    let d = kube_rofs(patched.path(), &["diff", "many.yaml"]);
    assert_eq!(d.code, 1, "{}", d.stderr);
    let removed: Vec<&str> = d.stdout.lines().filter(|l| l.starts_with('-') && !l.starts_with("---")).collect();
    assert!(removed.is_empty(), "{} lines removed, first {:?}", removed.len(), removed.first());
    assert_eq!(d.stdout.matches("+      readOnlyRootFilesystem: true,\n").count(), 1500);
    git(patched.path(), &["init", "-q"], None);
    git(patched.path(), &["apply", "-"], Some(d.stdout.as_bytes()));
    assert_eq!(kube_rofs(fixed.path(), &["fix", "many.yaml"]).code, 0);
    assert!(read_str(fixed.path(), "many.yaml") == read_str(patched.path(), "many.yaml"), "git apply differs from fix");
}

#[test]
fn a_large_files_diff_is_made_while_printed_and_applies_like_any_other() {
    // Over 1 MiB, with a change every other line: the diff is one hunk over the whole file,
    // written in pieces as it is made (report::model::DIFF_WHEN_PRINTED_FROM).
    let doc = |i: usize| {
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p{i}\"}}, \"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"example/web:1.0\"}}]}}}}\n"
        )
    };
    let text: String = (0..9000).map(|i| format!("---\n{}", doc(i))).collect();
    assert!(text.len() > 1 << 20);
    let fixed = dir_with(&[("big.yaml", &text)]);
    let patched = dir_with(&[("big.yaml", &text)]);
    let d = kube_rofs(patched.path(), &["diff", "big.yaml"]);
    assert_eq!(d.code, 1, "{}", d.stderr);
    assert_eq!(d.stdout.lines().filter(|l| l.starts_with("@@ ")).count(), 1, "one hunk");
    git(patched.path(), &["init", "-q"], None);
    git(patched.path(), &["apply", "-"], Some(d.stdout.as_bytes()));
    assert_eq!(kube_rofs(fixed.path(), &["fix", "big.yaml"]).code, 0);
    assert!(read_str(fixed.path(), "big.yaml") == read_str(patched.path(), "big.yaml"), "git apply differs from fix");
    // Coloured the same way as a small file's diff.
    let c = kube_rofs(dir_with(&[("big.yaml", &text)]).path(), &["diff", "--color", "always", "big.yaml"]);
    assert!(c.stdout.starts_with("\x1b[1m--- a/big.yaml\x1b[0m\n"), "{:?}", &c.stdout[..40]);
    assert_eq!(
        c.stdout.matches("\x1b[32m+").count(),
        d.stdout.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).count()
    );
}

#[test]
fn check_and_fix_keep_the_edits_only_for_the_formats_that_print_them() {
    // The text, GitHub and GitLab formats print no edits, and the run drops them once the file
    // is verified; the JSON, SARIF and rdjsonl formats print them in every mode.
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    for mode in ["check", "diff", "fix"] {
        for (format, edits) in
            [("json", "\"edits\":[{"), ("sarif", "\"replacements\":[{"), ("rdjsonl", "\"suggestions\":[{")]
        {
            let copy = dir_with(&[("w.yaml", WRITABLE)]);
            let r = kube_rofs(copy.path(), &[mode, "--no-config", "--format", format, "w.yaml"]);
            assert!(r.stdout.replace(' ', "").contains(edits), "{mode} --format {format}: {}", r.stdout);
        }
    }
    let r = kube_rofs(dir.path(), &["fix", "--no-config", "--no-log-dir", "w.yaml"]);
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(read_str(dir.path(), "w.yaml"), WRITABLE_FIXED_NO_LOG_DIR);
}
