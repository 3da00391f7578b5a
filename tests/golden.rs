//! Golden cases: `golden/<case>/input.yaml` fixed must equal `expected.yaml` byte for byte.
//!
//! Every case has an `about` file: one line saying what it tests, printed when it fails.
//! Optional files per case: `args` (extra command-line words, e.g. `--no-log-dir`),
//! `config.yaml` (a configuration file for the case), `expect` (lines that must each appear in
//! `kube-rofs check` output for the input, e.g. a skip reason or an error position) and
//! `source` (where an upstream input comes from: repository, commit, path, licence). Every case is also checked for idempotence, for nothing
//! left to fix, and for semantic correctness (the fix only adds the intended keys and items).
//! `KUBE_ROFS_BLESS=1` writes a missing `expected.yaml` from the current output;
//! `KUBE_ROFS_BLESS=all` rewrites every one (review the result with `git diff golden/`).

mod common;

use std::path::{Path, PathBuf};

use kube_rofs::cli::entry::options_from_args;

/// Fixtures cannot silently disappear.
const MIN_CASES: usize = 40;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// The case's `about` line: the file must hold exactly one non-empty line.
fn about(dir: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(dir.join("about")).map_err(|e| format!("about: {e}"))?;
    match text.lines().collect::<Vec<_>>()[..] {
        [line] if !line.trim().is_empty() => Ok(line.to_owned()),
        _ => Err(format!("about: must hold exactly one non-empty line, it holds {text:?}")),
    }
}

fn check_output(input: &Path, words: &[&str]) -> String {
    let path = input.to_str().unwrap();
    let config = if words.contains(&"--config") { None } else { Some("--no-config") };
    let args: Vec<&str> = ["check"].into_iter().chain(config).chain(words.iter().copied()).chain([path]).collect();
    let (_, out, err) = common::cli(&args, b"");
    out + &err
}

fn run_case(dir: &Path) -> Result<(), String> {
    let input_path = dir.join("input.yaml");
    let input = std::fs::read(&input_path).map_err(|e| format!("input.yaml: {e}"))?;
    let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let mut words: Vec<&str> = args.split_whitespace().collect();
    let config = dir.join("config.yaml");
    let config = config.to_str().unwrap();
    if Path::new(config).exists() {
        words.extend(["--config", config]);
    }
    let opts = options_from_args(&words).map_err(|e| format!("args: {e}"))?;
    let got = common::fix(&input, &opts).unwrap_or_else(|_| input.clone());
    let expected_path = dir.join("expected.yaml");
    let bless = std::env::var("KUBE_ROFS_BLESS").unwrap_or_default();
    if (!expected_path.exists() && !bless.is_empty()) || bless == "all" {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let expected = std::fs::read(&expected_path).map_err(|e| format!("expected.yaml: {e}"))?;
    if got != expected {
        return Err(format!("fix(input) != expected:\n{}", common::show_diff(&expected, &got)));
    }
    let again = common::fix(&expected, &opts).unwrap_or_else(|_| expected.clone());
    if again != expected {
        return Err(format!("not idempotent:\n{}", common::show_diff(&expected, &again)));
    }
    let left = common::left_to_fix(&expected, &opts);
    if !left.is_empty() {
        return Err(format!("check(expected) still finds containers to fix: {left:?}"));
    }
    common::check_only_additions(&input, &expected, words.contains(&"--fix-explicit-false"))
        .map_err(|e| format!("semantic check: {e}"))?;
    if let Ok(expect) = std::fs::read_to_string(dir.join("expect")) {
        let output = check_output(&input_path, &words);
        for line in expect.lines().filter(|l| !l.trim().is_empty()) {
            if !output.contains(line) {
                return Err(format!("check output lacks {line:?}; it was:\n{output}"));
            }
        }
    }
    Ok(())
}

#[test]
fn golden_cases() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy();
            match (about(dir), run_case(dir)) {
                (Ok(_), Ok(())) => None,
                (Ok(line), Err(e)) => Some(format!("== {name} ({line}): {e}")),
                (Err(about), Ok(())) => Some(format!("== {name}: {about}")),
                (Err(about), Err(e)) => Some(format!("== {name}: {about}\n{e}")),
            }
        })
        .collect();
    assert!(failures.is_empty(), "{} of {} golden cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(cases.len() >= MIN_CASES, "only {} golden cases, expected at least {MIN_CASES}", cases.len());
    println!("{} golden cases passed", cases.len());
}
