//! Hostile input and filesystem faults (see RELIABILITY.md): every bad file gets a clear
//! `file[:line:col]: error: ...`, exit 2, stays untouched, and the other files are still fixed;
//! nothing hangs, overflows the stack or expands an alias bomb; a run killed midway leaves
//! every file either as it was or as `fix` makes it.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{command, kube_rofs, read, read_str, write};
use kube_rofs::{Options, Status, analyze};

const VALID: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\nspec:\n  containers:\n  - name: app\n    image: nginx\n";

/// Run `fix` on a directory holding `name` (with `bytes`) and a valid manifest; return stderr
/// after checking the common promises.
fn fix_beside_valid(name: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, bytes);
    write(dir.path(), "valid.yaml", VALID);
    let r = kube_rofs(dir.path(), &["fix", "."]);
    assert_eq!(r.code, 2, "{name}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
    assert_eq!(read(dir.path(), name), bytes, "{name} was modified");
    let valid = read_str(dir.path(), "valid.yaml");
    assert!(valid.contains("readOnlyRootFilesystem: true"), "{name}: the valid file was not fixed");
    r.stderr
}

fn assert_error(name: &str, bytes: &[u8], expected: &str) {
    let stderr = fix_beside_valid(name, bytes);
    assert!(stderr.contains(expected), "{name}: expected {expected:?} in:\n{stderr}");
}

/// Empty, comment-only and marker-only files are common in real repositories (placeholders,
/// kustomize stubs) and no other checker fails on them: skipped with a note, exit unaffected.
#[test]
fn empty_comment_only_and_marker_only_files_are_skipped() {
    for (name, bytes) in [
        ("empty.yaml", &b""[..]),
        ("comment.yaml", b"# nothing here\n"),
        ("dashes.yaml", b"---\n"),
        ("dashes2.yaml", b"---\n---\n...\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), name, bytes);
        write(dir.path(), "valid.yaml", VALID);
        let r = kube_rofs(dir.path(), &["fix", "."]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(&format!("{name}: skipped: no YAML content")), "{name}: {}", r.stderr);
        assert!(r.stdout.contains("1 file skipped, 0 errors"), "{name}: {}", r.stdout);
        assert_eq!(read(dir.path(), name), bytes, "{name} was modified");
        assert!(read_str(dir.path(), "valid.yaml").contains("readOnlyRootFilesystem: true"));
    }
}

#[test]
fn invalid_yaml_encodings_and_binary() {
    assert_error("invalid.yaml", b"a: [1\n", "invalid.yaml:1:4: error: invalid YAML");
    assert_error("latin1.yaml", b"a: caf\xe9\n", "latin1.yaml:1:7: error: invalid UTF-8");
    assert_error("utf16.yaml", b"\xff\xfek\x00i\x00n\x00d\x00", "utf16.yaml:1:1: error: file is UTF-16");
    assert_error("binary.yaml", b"kind: Pod\x00\x01\x02\xff\xfe", "binary.yaml:1:");
    assert_error("nul.yaml", b"kind: Pod\x00x\n", "nul.yaml:1:10: error: invalid YAML");
}

#[test]
fn tabs_long_lines_and_lone_carriage_returns() {
    assert_error("tabs.yaml", b"kind: Pod\nspec:\n\tcontainers: []\n", "tabs.yaml:3:");
    assert_error("cr.yaml", b"kind: Pod\rspec: {}\r", "cr.yaml:1:10: error: line break `\\r` without `\\n`");
    let long = format!("{VALID}    args: [\"{}\"]\n", "y".repeat(2_000_000));
    let fixed = analyze(None, long.as_bytes(), &Options::default()).unwrap().fixed.unwrap();
    common::check_only_additions(long.as_bytes(), &fixed, false).unwrap();
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    assert_error("deep-flow.yaml", flow.as_bytes(), "deep-flow.yaml:1:");
    let block = format!("{}x\n", "- ".repeat(100_000));
    assert_error("deep-block.yaml", block.as_bytes(), "deep-block.yaml:1:");
    let stderr = fix_beside_valid("deep-flow2.yaml", flow.as_bytes());
    assert!(stderr.contains("error: invalid YAML"), "{stderr}");
}

#[test]
fn an_alias_bomb_is_not_expanded() {
    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (prev, c) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        bomb.push_str(&format!("{c}: &{c} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
    }
    bomb.push_str("kind: Pod\nspec:\n  containers:\n  - name: x\n    image: y\n    env: *i\n");
    assert!(bomb.len() < 600, "a small file: {} bytes", bomb.len());
    let o = analyze(None, bomb.as_bytes(), &Options::default()).unwrap();
    assert!(o.fixed.is_none());
    let reason = format!("{:?}", o.findings[0].status);
    assert!(reason.contains("repetition limit exceeded"), "{reason}");
}

#[test]
fn a_duplicate_key_in_an_edited_mapping_refuses_that_container_only() {
    let text = "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x\n    image: y\n  - name: b\n    image: z\n";
    let o = analyze(None, text.as_bytes(), &Options::default()).unwrap();
    let Status::Refused(reason) = &o.findings[0].status else { panic!("{:?}", o.findings[0].status) };
    assert!(reason.to_string().contains("the key `image` twice"), "{reason}");
    // serde_yaml cannot read a file with a duplicate key, so nothing in it can be verified.
    assert!(o.fixed.is_none());
}

#[test]
fn a_million_documents_complete() {
    let text = "---\na: 1\n".repeat(1_000_000);
    let o = analyze(None, text.as_bytes(), &Options::default()).unwrap();
    assert!(o.findings.is_empty() && o.fixed.is_none());
}

/// Files in a tree killed at several moments of a `fix` run must each parse and equal either
/// the original or exactly what `fix` makes of it: writes are atomic.
#[test]
fn a_killed_run_leaves_every_file_old_or_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut originals = Vec::new();
    for i in 0..3000 {
        let text = VALID
            .replace("name: ok", &format!("name: pod-{i}"))
            .replace("nginx", &format!("nginx:{i}{}", "x".repeat(i % 500)));
        let path = dir.path().join(format!("m{i:05}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let fixed = analyze(None, text.as_bytes(), &Options::default()).unwrap().fixed.unwrap();
        originals.push((path, text.into_bytes(), fixed));
    }
    let (mut old, mut new) = (0, 0);
    for delay_ms in [150u64, 500, 1000] {
        let mut child = command(dir.path(), &["fix", "."]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        for (path, original, fixed) in &originals {
            let now = std::fs::read(path).unwrap();
            assert!(&now == original || &now == fixed, "{} is neither old nor new", path.display());
            if &now == original { old += 1 } else { new += 1 }
        }
        let leftovers = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".kube-rofs-"));
        // A temp file of a killed write may remain (hidden, never a .yaml the walk would read).
        for e in leftovers {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
    }
    println!("after the kills: {old} file states old, {new} new");
    assert!(Path::new(&originals[0].0).exists());
}
