//! The integrations around the core commands, on the real binary: `explain`, shell completions,
//! the man page, `--stdin-filename`, `--color` / NO_COLOR, `--quiet`, `--verbose` and the
//! progress bar (absent when piped, as here; drawn on a terminal, tried under `script`'s pty).

mod common;

use common::{
    BIN, READ_ONLY, Run, WRITABLE, dir_with, git, kube_rofs, kube_rofs_env, kube_rofs_stdin, read_str, write,
};

use std::path::Path;
use std::process::{Command, Stdio};

const ESC: &str = "\x1b[";

/// Run the binary under a pseudo-terminal (util-linux `script`), standard output and error
/// both on it; None (with a note) when `script` is not installed.
fn run_on_terminal(dir: &Path, args: &str, env: &[(&str, &str)]) -> Option<Run> {
    let line = format!("stty cols 120 2>/dev/null; exec '{BIN}' {args}");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]).current_dir(dir).env_remove("NO_COLOR").stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(out) => Some(Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
        Err(e) => {
            eprintln!("note: skipped the terminal half of this test: cannot run `script` ({e})");
            None
        }
    }
}

// ---------------------------------------------------------------- explain, completions, man

#[test]
fn explain_says_what_why_how_and_how_to_opt_out() {
    let dir = tempfile::tempdir().unwrap();
    let r = kube_rofs(dir.path(), &["explain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, common::cli(&["explain"], b"").1, "the binary prints what the library does");
    for needle in [
        "readOnlyRootFilesystem",
        "infrastructure-hardening.access-control-rbac.read-only-filesystem",
        "CIS Kubernetes 5.2.3",
        "NIST 800-53 CM-7",
        "malware",
        "emptyDir",
        "/tmp",
        "/var/log/app",
        "kube-rofs.io/skip: \"<reason>\"",
        "ignore-check.kube-linter.io/no-read-only-root-fs",
        "polaris.fairwinds.com/exempt",
        "kube-score/ignore",
        "checkov.io/skip",
        "readOnlyRootFilesystem: false",
        "--stateful-image GLOB",
        "postgres",
    ] {
        assert!(r.stdout.contains(needle), "explain lacks {needle:?}:\n{}", r.stdout);
    }
}

#[test]
fn completions_for_bash_zsh_and_fish_name_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef kube-rofs"), ("fish", "complete -c kube-rofs")] {
        let r = kube_rofs(dir.path(), &["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains(marker), "{shell}: no {marker:?}:\n{}", r.stdout);
        for sub in ["check", "diff", "fix", "explain", "completions", "man"] {
            assert!(r.stdout.contains(sub), "{shell}: no {sub}");
        }
    }
    assert_eq!(kube_rofs(dir.path(), &["completions", "tcsh"]).code, 2);
}

#[test]
fn man_prints_a_roff_page() {
    let dir = tempfile::tempdir().unwrap();
    let r = kube_rofs(dir.path(), &["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = r.stdout.replace("\\-", "-");
    assert!(page.contains(".TH kube-rofs 1"), "{page}");
    assert!(page.contains(".SH SYNOPSIS") && page.contains(".SH SUBCOMMANDS"), "{page}");
    for sub in ["kube-rofs-check(1)", "kube-rofs-diff(1)", "kube-rofs-fix(1)", "kube-rofs-explain(1)"] {
        assert!(page.contains(sub), "no {sub}:\n{page}");
    }
    let r = kube_rofs(dir.path(), &["man", "fix"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let page = r.stdout.replace("\\-", "-");
    assert!(page.contains(".TH kube-rofs-fix 1"), "{page}");
    assert!(page.contains("--stdin-filename") && page.contains("--log-dir"), "{page}");
    let r = kube_rofs(dir.path(), &["man", "nope"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no subcommand 'nope'"), "{}", r.stderr);
}

// ---------------------------------------------------------------- --stdin-filename

#[test]
fn stdin_filename_names_standard_input_in_diff_headers_and_messages() {
    let dir = dir_with(&[("deploy.yaml", WRITABLE)]);
    let r = kube_rofs_stdin(dir.path(), &["diff", "--stdin-filename", "deploy.yaml", "-"], WRITABLE.as_bytes());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with("--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ "), "{}", r.stdout);
    assert!(!r.stdout.contains("a/-"), "{}", r.stdout);
    // The patch applies to the file of that name and gives what `fix` writes.
    let fixed = kube_rofs_stdin(dir.path(), &["fix", "-"], WRITABLE.as_bytes()).stdout;
    git(dir.path(), &["apply", "-"], Some(r.stdout.as_bytes()));
    assert_eq!(read_str(dir.path(), "deploy.yaml"), fixed);

    let r = kube_rofs_stdin(dir.path(), &["check", "--stdin-filename", "k8s/web.yaml", "-"], WRITABLE.as_bytes());
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("k8s/web.yaml:9:9: Deployment 'web' lacks"), "{}", r.stdout);
    let r = kube_rofs_stdin(dir.path(), &["check", "--stdin-filename", "bad.yaml", "-"], b"a: [1\n");
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("bad.yaml:1:4: "), "{}", r.stderr);
    // Without the flag standard input is `-`, as before.
    let r = kube_rofs_stdin(dir.path(), &["diff", "-"], WRITABLE.as_bytes());
    assert!(r.stdout.starts_with("--- a/-\n+++ b/-\n"), "{}", r.stdout);
}

// ---------------------------------------------------------------- --color

#[test]
fn color_always_colours_the_diff_and_the_verdict() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY)]);
    let r = kube_rofs(dir.path(), &["diff", "--color", "always", "w.yaml"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.starts_with("\x1b[1m--- a/w.yaml\x1b[0m\n\x1b[1m+++ b/w.yaml\x1b[0m\n\x1b[36m@@ "),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains("\x1b[32m+        securityContext:\x1b[0m\n"), "{:?}", r.stdout);
    assert!(r.stdout.contains("\n         image: example/web:1.0\n"), "context lines stay plain: {:?}", r.stdout);
    assert!(!r.stderr.contains(ESC), "{:?}", r.stderr);

    let r = kube_rofs(dir.path(), &["check", "--color", "always", "w.yaml"]);
    assert!(r.stdout.contains("\x1b[1m\x1b[31mFAIL\x1b[0m: 0% < 80% threshold.\n"), "{:?}", r.stdout);
    let r = kube_rofs(dir.path(), &["check", "--color", "always", "ro.yaml"]);
    assert!(r.stdout.contains("\x1b[1m\x1b[32mPASS\x1b[0m: 100% >= 80% threshold.\n"), "{:?}", r.stdout);
    // `always` wins over NO_COLOR (no-color.org: it only changes the default).
    let r = kube_rofs_env(dir.path(), &["check", "--color", "always", "ro.yaml"], &[("NO_COLOR", "1")]);
    assert!(r.stdout.contains(ESC), "{:?}", r.stdout);
}

#[test]
fn no_colour_with_never_or_when_piped() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    for args in
        [&["diff", "--color", "never", "w.yaml"][..], &["diff", "w.yaml"], &["diff", "--color", "auto", "w.yaml"]]
    {
        let r = kube_rofs(dir.path(), args);
        assert_eq!(r.code, 1);
        assert!(!r.stdout.contains(ESC) && !r.stderr.contains(ESC), "{args:?}: {:?}", r.stdout);
        assert_eq!(r.stdout, kube_rofs(dir.path(), &["diff", "w.yaml"]).stdout);
    }
    let r = kube_rofs(dir.path(), &["check", "--color", "never", "w.yaml"]);
    assert!(r.stdout.ends_with("FAIL: 0% < 80% threshold.\n"), "{:?}", r.stdout);
}

#[test]
fn color_auto_on_a_terminal_unless_no_color_is_set() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let Some(r) = run_on_terminal(dir.path(), "check w.yaml", &[]) else { return };
    assert_eq!(r.code, 1, "{:?}", r.stdout);
    assert!(r.stdout.contains("\x1b[31mFAIL\x1b[0m"), "{:?}", r.stdout);
    let r = run_on_terminal(dir.path(), "check w.yaml", &[("NO_COLOR", "1")]).unwrap();
    assert!(r.stdout.contains("FAIL: 0%") && !r.stdout.contains(ESC), "{:?}", r.stdout);
    // An empty NO_COLOR does not count.
    let r = run_on_terminal(dir.path(), "check w.yaml", &[("NO_COLOR", "")]).unwrap();
    assert!(r.stdout.contains("\x1b[31mFAIL"), "{:?}", r.stdout);
    let r = run_on_terminal(dir.path(), "check --color never w.yaml", &[]).unwrap();
    assert!(!r.stdout.contains(ESC), "{:?}", r.stdout);
    // CLICOLOR=0 turns the default off, as in other Rust tools.
    let r = run_on_terminal(dir.path(), "check w.yaml", &[("CLICOLOR", "0")]).unwrap();
    assert!(r.stdout.contains("FAIL: 0%") && !r.stdout.contains(ESC), "{:?}", r.stdout);
}

#[test]
fn clicolor_force_colours_a_pipe_unless_no_color_is_set() {
    let dir = dir_with(&[("w.yaml", WRITABLE)]);
    let r = kube_rofs_env(dir.path(), &["check", "w.yaml"], &[("CLICOLOR_FORCE", "1")]);
    assert!(r.stdout.contains("\x1b[31mFAIL\x1b[0m"), "{:?}", r.stdout);
    let r = kube_rofs_env(dir.path(), &["diff", "w.yaml"], &[("CLICOLOR_FORCE", "1")]);
    assert!(r.stdout.starts_with("\x1b[1m--- a/w.yaml"), "{:?}", r.stdout);
    // NO_COLOR comes first; --color never beats both.
    let r = kube_rofs_env(dir.path(), &["check", "w.yaml"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!r.stdout.contains(ESC), "{:?}", r.stdout);
    let r = kube_rofs_env(dir.path(), &["check", "--color", "never", "w.yaml"], &[("CLICOLOR_FORCE", "1")]);
    assert!(!r.stdout.contains(ESC), "{:?}", r.stdout);
}

// ---------------------------------------------------------------- --output

#[test]
fn output_writes_any_format_to_a_file_and_messages_stay_on_stderr() {
    let dir = dir_with(&[("k8s/w.yaml", WRITABLE), ("k8s/bad.yaml", "a: [1\n")]);
    for format in ["text", "json", "sarif", "github", "rdjsonl"] {
        let piped = kube_rofs(dir.path(), &["check", "--format", format, "k8s"]);
        let name = format!("report.{format}");
        let r = kube_rofs(dir.path(), &["check", "--format", format, "--output", &name, "k8s"]);
        assert_eq!(r.code, piped.code, "{format}: {r}");
        assert_eq!(r.stdout, "", "{format}");
        assert_eq!(r.stderr, piped.stderr, "{format}");
        assert!(r.stderr.contains("k8s/bad.yaml:1:4"), "{format}: {}", r.stderr);
        assert_eq!(read_str(dir.path(), &name), piped.stdout, "{format}");
    }
    // The diff, and `fix -`'s YAML, go to the file too; `-o -` is standard output.
    let r = kube_rofs(dir.path(), &["diff", "-o", "w.patch", "k8s/w.yaml"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{r}");
    assert!(read_str(dir.path(), "w.patch").starts_with("--- a/k8s/w.yaml\n"));
    let r = kube_rofs_stdin(dir.path(), &["fix", "-o", "fixed.yaml", "-"], WRITABLE.as_bytes());
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r}");
    assert!(read_str(dir.path(), "fixed.yaml").contains("readOnlyRootFilesystem: true"));
    let r = kube_rofs(dir.path(), &["diff", "-o", "-", "k8s/w.yaml"]);
    assert!(r.stdout.starts_with("--- a/k8s/w.yaml\n"), "{r}");
    // A file is not a terminal: auto does not colour it, CLICOLOR_FORCE and always do.
    let r = kube_rofs_env(dir.path(), &["diff", "-o", "plain.patch", "k8s/w.yaml"], &[]);
    assert_eq!(r.code, 1);
    assert!(!read_str(dir.path(), "plain.patch").contains(ESC));
    kube_rofs_env(dir.path(), &["diff", "-o", "forced.patch", "k8s/w.yaml"], &[("CLICOLOR_FORCE", "1")]);
    assert!(read_str(dir.path(), "forced.patch").contains(ESC));
    // A manifest the run reads is never the report's file: refused before it is truncated.
    let r = kube_rofs(dir.path(), &["check", "-o", "k8s/w.yaml", "k8s"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{r}");
    assert!(r.stderr.starts_with("k8s/w.yaml: error: --output names a file this run reads"), "{}", r.stderr);
    assert_eq!(read_str(dir.path(), "k8s/w.yaml"), WRITABLE);
    // A file that cannot be created: an error naming it, nothing run.
    let r = kube_rofs(dir.path(), &["check", "-o", "no/such/dir/r.json", "k8s"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{r}");
    assert!(r.stderr.starts_with("no/such/dir/r.json: error: --output: "), "{}", r.stderr);
}

// ---------------------------------------------------------------- --quiet, --verbose

#[test]
fn quiet_prints_only_errors() {
    let dir = dir_with(&[
        ("w.yaml", WRITABLE),
        ("ro.yaml", READ_ONLY),
        ("pg.yaml", &WRITABLE.replace("example/web:1.0", "postgres")),
    ]);
    let r = kube_rofs(dir.path(), &["check", "--quiet"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (1, "", ""));
    let r = kube_rofs(dir.path(), &["check", "-q", "ro.yaml"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    // diff: the patch (the output asked for) without the summary and the notes.
    let r = kube_rofs(dir.path(), &["diff", "-q"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, kube_rofs(dir.path(), &["diff"]).stdout);
    assert_eq!(r.stderr, "");
    // fix: no summary, files written; `fix -` still writes the YAML.
    let r = kube_rofs_stdin(dir.path(), &["fix", "-q", "-"], WRITABLE.as_bytes());
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert!(r.stdout.contains("readOnlyRootFilesystem: true"), "{}", r.stdout);
    let r = kube_rofs(dir.path(), &["fix", "--quiet"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
    assert!(read_str(dir.path(), "w.yaml").contains("readOnlyRootFilesystem: true"));
    // Errors still go to standard error.
    write(dir.path(), "bad.yaml", "a: [1\n");
    let r = kube_rofs(dir.path(), &["check", "--quiet"]);
    assert_eq!((r.code, r.stdout.as_str()), (2, ""));
    assert!(r.stderr.starts_with("bad.yaml:1:4: "), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // Machine formats are data: unchanged by --quiet.
    assert_eq!(
        kube_rofs(dir.path(), &["check", "-q", "--format", "json"]).stdout,
        kube_rofs(dir.path(), &["check", "--format", "json"]).stdout
    );
    assert_eq!(kube_rofs(dir.path(), &["check", "--quiet", "--verbose"]).code, 2, "the two conflict");
}

#[test]
fn verbose_lists_every_file_on_standard_error() {
    let dir = dir_with(&[("w.yaml", WRITABLE), ("ro.yaml", READ_ONLY), ("bad.yaml", "a: [1\n")]);
    let plain = kube_rofs(dir.path(), &["diff"]);
    let r = kube_rofs(dir.path(), &["diff", "--verbose"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, plain.stdout);
    let listed: Vec<&str> = r.stderr.lines().filter(|l| !plain.stderr.lines().any(|p| p == *l)).collect();
    assert_eq!(
        listed,
        [
            "bad.yaml: error",
            "ro.yaml: nothing to fix (1 container: 1 read-only, 0 to fix, 0 refused, 0 not applicable, 0 explicit false)",
            "w.yaml: would change (1 container: 0 read-only, 1 to fix, 0 refused, 0 not applicable, 0 explicit false)",
        ],
        "{}",
        r.stderr
    );
    let r = kube_rofs(dir.path(), &["fix", "-v", "w.yaml"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.starts_with("w.yaml: fixed (1 container: 0 read-only, 1 fixed,"), "{}", r.stderr);
}

// ---------------------------------------------------------------- progress

/// More files than the progress bar's threshold.
fn many_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..=kube_rofs::internals::PROGRESS_MIN_FILES {
        write(dir.path(), &format!("ro-{i:03}.yaml"), READ_ONLY);
    }
    dir
}

#[test]
fn no_progress_bar_when_piped() {
    let dir = many_files();
    let n = kube_rofs::internals::PROGRESS_MIN_FILES + 1;
    let r = kube_rofs(dir.path(), &["check"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        format!("{n} of {n} containers use read-only root filesystem.\nPASS: 100% >= 80% threshold.\n")
    );
    let r = kube_rofs(dir.path(), &["fix"]);
    assert_eq!(r.stderr, "");
    assert!(!r.stdout.contains(ESC) && !r.stdout.contains('\r'), "{:?}", r.stdout);
}

#[test]
fn progress_bar_on_a_terminal_for_long_runs_only() {
    let dir = many_files();
    let n = kube_rofs::internals::PROGRESS_MIN_FILES + 1;
    let Some(r) = run_on_terminal(dir.path(), "check", &[]) else { return };
    assert_eq!(r.code, 0, "{:?}", r.stdout);
    assert!(r.stdout.contains(&format!("/{n} files")), "{:?}", r.stdout);
    assert!(r.stdout.ends_with("PASS\x1b[0m: 100% >= 80% threshold.\r\n"), "{:?}", r.stdout);
    let r = run_on_terminal(dir.path(), "check --quiet", &[]).unwrap();
    assert_eq!(r.stdout, "");
    let small = dir_with(&[("ro.yaml", READ_ONLY)]);
    let r = run_on_terminal(small.path(), "check", &[]).unwrap();
    assert!(!r.stdout.contains(" files ("), "{:?}", r.stdout);
}
