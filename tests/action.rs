//! The GitHub Action (`action.yml`) run for real in the emulated CI of `tests/support/ci.rs`:
//! its bash steps in a checkout, with GitHub's file commands, and a release served from a local
//! directory through `file://` (real curl, tar and sha256sum). The release is made by the
//! "Package" and "Checksums" scripts of `.github/workflows/release.yml` from the kube-rofs binary
//! under test, so the Action is tested against the assets the release workflow would publish.
//! `cargo` is a stub that records its arguments (and, for `cargo install`, installs the binary
//! under test). Not exercised: Windows and macOS runners (zip, `.exe`, `shasum`), and
//! `version: latest` (a redirect that file:// cannot give).

#[path = "support/ci.rs"]
mod ci;
mod common;

use ci::*;

use std::path::{Path, PathBuf};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const LINUX_MUSL: &str = "x86_64-unknown-linux-musl";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn binary_under_test() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kube-rofs"))
}

/// A checkout with one writable Deployment (a.yaml) and one read-only Pod (ok.yaml): 1 of 2
/// containers read-only. `cargo` is stubbed: each call is recorded, and `cargo install --root
/// DIR` puts the binary under test in DIR/bin.
fn checkout(files: &[(&str, &str)]) -> Scenario {
    let s = Scenario::new(files, &[("README.md", Some("# app\n"))], Checkout::MergeCommit);
    s.stub(
        "cargo",
        false,
        &format!(
            "root=''\nprev=''\nfor a in \"$@\"; do [ \"$prev\" != --root ] || root=$a; prev=$a; done\n\
             [ \"$1\" = install ] && [ -n \"$root\" ] && mkdir -p \"$root/bin\" && cp '{}' \"$root/bin/kube-rofs\"",
            binary_under_test().display()
        ),
    );
    s
}

fn one_writable() -> Scenario {
    checkout(&[("a.yaml", &deployment("a", "nginx:1.27")), ("ok.yaml", common::READ_ONLY)])
}

/// Where the Action installs to, and what it adds to PATH.
fn install_dir(s: &Scenario) -> PathBuf {
    s.root.join(format!("runner-temp/kube-rofs-{VERSION}/bin"))
}

/// The directory the release assets of vVERSION are served from.
fn assets(s: &Scenario) -> PathBuf {
    s.root.join(format!("releases/download/v{VERSION}"))
}

/// The `releases-url` input for the scenario's local releases.
fn releases_url(s: &Scenario) -> String {
    let dir = s.root.join("releases");
    std::fs::create_dir_all(&dir).unwrap();
    format!("file://{}", dir.display())
}

/// Publish `binary` as the release asset for `target`, the way .github/workflows/release.yml
/// does: its "Package" step on a build tree where `binary` is target/TARGET/release/kube-rofs,
/// then its "Checksums" step on the archives. Returns the `releases-url` input.
fn publish(s: &Scenario, target: &str, binary: &Path) -> String {
    let workflow: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap()).unwrap();
    let build = s.root.join("build");
    std::fs::create_dir_all(build.join(format!("target/{target}/release"))).unwrap();
    std::fs::copy(binary, build.join(format!("target/{target}/release/kube-rofs"))).unwrap();
    for f in ["LICENSE-MIT", "LICENSE-APACHE", "README.md"] {
        std::fs::copy(repo().join(f), build.join(f)).unwrap();
    }
    let exprs = Expressions::new(&[("matrix.target", target)]);
    let tag = format!("v{VERSION}");
    let (ok, printed) =
        s.run_workflow_step(&workflow, "build", "Package", &exprs, &[("GITHUB_REF_NAME", &tag)], &build);
    assert!(ok, "{printed}");
    let (ok, printed) = s.run_workflow_step(&workflow, "release", "Checksums", &exprs, &[], &build);
    assert!(ok, "{printed}");
    std::fs::create_dir_all(assets(s).parent().unwrap()).unwrap();
    std::fs::rename(build.join("dist"), assets(s)).unwrap();
    releases_url(s)
}

/// A kube-rofs that records its arguments under log/kube-rofs/ (see `Scenario::calls`), then
/// runs the binary under test. Also a small stand-in for it in the release archives (the debug
/// binary takes seconds to compress); one test serves the binary itself.
fn recording_binary(s: &Scenario) -> PathBuf {
    let path = s.root.join("recording/kube-rofs");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_executable(
        &path,
        &format!(
            "#!/bin/sh\nset -eu\nd='{}'\nmkdir -p \"$d\"\nn=$(ls \"$d\" | grep -c '^args\\.' || true)\n\
             for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$d/args.$n\"\nexec '{}' \"$@\"\n",
            s.root.join("log/kube-rofs").display(),
            binary_under_test().display()
        ),
    );
    path
}

fn run(s: &Scenario, with: &[(&str, &str)]) -> ActionRun {
    s.run_action(repo(), LINUX_X64, with)
}

fn args(s: &Scenario, stub: &str) -> Vec<Vec<String>> {
    s.calls(stub).into_iter().map(|(args, _)| args).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Install from the release
// ---------------------------------------------------------------------------------------------

#[test]
fn installs_the_verified_release_binary_and_fails_check_on_a_writable_manifest() {
    let s = one_writable();
    let url = publish(&s, LINUX_MUSL, &binary_under_test());
    let r = run(&s, &[("releases-url", &url)]);

    let install = r.step("install");
    assert!(install.success, "{}", install.printed);
    let asset = format!("kube-rofs-v{VERSION}-{LINUX_MUSL}.tar.gz");
    assert!(install.printed.contains(&format!("Verified {asset}: sha256 ")), "{}", install.printed);
    let installed = install_dir(&s).join("kube-rofs");
    assert_eq!(std::fs::read(&installed).unwrap(), std::fs::read(binary_under_test()).unwrap(), "installed binary");
    assert_eq!(r.path, [install_dir(&s).display().to_string()], "GITHUB_PATH");
    assert_eq!(install.outputs["from"], "release");
    assert_eq!(r.output("version"), VERSION);
    assert!(s.calls("cargo").is_empty(), "cargo was called: {:?}", s.calls("cargo"));

    // Defaults: check, annotations, the whole checkout; a.yaml is writable, 50% < 80%.
    let step = r.step("run");
    assert!(step.ran && !step.success, "{}", step.printed);
    assert!(step.printed.contains("::warning file=a.yaml,line=9"), "{}", step.printed);
    assert!(!step.printed.contains("file=ok.yaml"), "{}", step.printed);
    assert!(step.printed.contains("FAIL: 50% < 80% threshold."), "{}", step.printed);
    assert_eq!(r.output("exit-code"), "1");
    assert_eq!(r.output("output-file"), "");
    assert!(!r.success());
}

#[test]
fn writes_sarif_to_the_output_file_and_applies_the_threshold() {
    let s = one_writable();
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));
    let sarif = "reports/kube-rofs.sarif";
    let with =
        |threshold| [("releases-url", url.as_str()), ("format", "sarif"), ("output", sarif), ("threshold", threshold)];

    let r = run(&s, &with("50%"));
    assert!(r.success(), "{}", r.printed());
    assert_eq!(r.output("exit-code"), "0");
    assert_eq!(r.output("output-file"), sarif);
    s.assert_sarif(&s.work.join(sarif), &["a.yaml"]);
    assert!(!r.step("run").printed.contains("\"version\""), "the SARIF went to the log too");

    std::fs::remove_file(s.work.join(sarif)).unwrap();
    let r = run(&s, &with("100%"));
    assert!(!r.success(), "{}", r.printed());
    assert_eq!(r.output("exit-code"), "1");
    s.assert_sarif(&s.work.join(sarif), &["a.yaml"]);
}

#[test]
fn fail_on_findings_false_passes_on_findings_but_not_on_errors() {
    let s = checkout(&[("a.yaml", &deployment("a", "nginx:1.27")), ("broken.yaml", "a: [\n")]);
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));
    let r = run(&s, &[("releases-url", &url), ("fail-on-findings", "false"), ("paths", "a.yaml")]);
    assert!(r.success(), "{}", r.printed());
    assert_eq!(r.output("exit-code"), "1");
    assert!(r.step("run").printed.contains("the step passes (fail-on-findings: false)"), "{}", r.printed());
    let r = run(&s, &[("releases-url", &url), ("fail-on-findings", "false")]);
    assert!(!r.success(), "an unreadable manifest passed: {}", r.printed());
    assert_eq!(r.output("exit-code"), "2");
}

#[test]
fn builds_the_command_line_from_its_inputs() {
    let s = one_writable();
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));

    // Defaults.
    let r = run(&s, &[("releases-url", &url)]);
    assert_eq!(r.output("exit-code"), "1", "{}", r.printed());
    // diff; paths and args split on any whitespace.
    let r = run(
        &s,
        &[
            ("releases-url", &url),
            ("command", "diff"),
            ("paths", "a.yaml\n  ok.yaml "),
            ("format", "rdjsonl"),
            ("args", "--no-log-dir  --color never"),
            ("output", "out/diff.jsonl"),
        ],
    );
    assert_eq!(r.output("exit-code"), "1", "diff has a change to show: {}", r.printed());
    let diff = std::fs::read_to_string(s.work.join("out/diff.jsonl")).unwrap();
    assert!(diff.lines().count() > 0 && diff.lines().all(|l| l.contains("\"path\":\"a.yaml\"")), "{diff}");
    // check with a threshold; a glob is passed as it is, not expanded by the shell.
    let r = run(&s, &[("releases-url", &url), ("threshold", "90%"), ("args", "--quiet"), ("paths", "*.yaml")]);
    assert_eq!(r.output("exit-code"), "2", "no file is named *.yaml: {}", r.printed());

    let version = strings(&["--version"]);
    assert_eq!(
        args(&s, "kube-rofs"),
        [
            version.clone(),
            strings(&["check", "--format", "github", "--", "."]),
            version.clone(),
            strings(&["diff", "--format", "rdjsonl", "--no-log-dir", "--color", "never", "--", "a.yaml", "ok.yaml"]),
            version,
            strings(&["check", "--format", "github", "--threshold", "90%", "--quiet", "--", "*.yaml"]),
        ]
    );
}

#[test]
fn refuses_a_binary_that_does_not_match_the_checksums() {
    let s = one_writable();
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));
    let sums_path = assets(&s).join("SHA256SUMS");
    let sums = std::fs::read_to_string(&sums_path).unwrap();
    let asset = format!("kube-rofs-v{VERSION}-{LINUX_MUSL}.tar.gz");
    assert_eq!(sums.lines().collect::<Vec<_>>().len(), 1, "{sums}");
    assert!(sums.trim_end().ends_with(&format!("  {asset}")), "{sums}");

    let flipped = match sums.as_bytes()[0] {
        b'0' => format!("1{}", &sums[1..]),
        _ => format!("0{}", &sums[1..]),
    };
    let missing_entry = sums.replace(&asset, "kube-rofs-something-else.tar.gz");
    for (sums, says) in [
        (Some(flipped), "does not match SHA256SUMS (listed: "),
        (Some(missing_entry), "does not match SHA256SUMS (listed: nothing,"),
        (None, "/SHA256SUMS to verify"),
    ] {
        match sums {
            Some(text) => std::fs::write(&sums_path, text).unwrap(),
            None => std::fs::remove_file(&sums_path).unwrap(),
        }
        let r = run(&s, &[("releases-url", &url)]);
        let install = r.step("install");
        assert!(!install.success, "{}", install.printed);
        assert!(install.printed.contains(says), "expected {says:?}:\n{}", install.printed);
        assert!(!r.step("run").ran, "kube-rofs ran after a failed install");
        assert!(!install_dir(&s).join("kube-rofs").exists(), "the unverified binary was installed");
        assert!(r.path.is_empty(), "PATH changed: {:?}", r.path);
        assert!(s.calls("cargo").is_empty(), "a verification failure fell back to cargo: {:?}", s.calls("cargo"));
    }
}

// ---------------------------------------------------------------------------------------------
// Install with cargo
// ---------------------------------------------------------------------------------------------

fn cargo_install(s: &Scenario, version: &str) -> Vec<String> {
    let root = s.root.join(format!("runner-temp/kube-rofs-{version}"));
    strings(&["install", "--locked", "kube-rofs", "--version", version, "--root", root.to_str().unwrap()])
}

#[test]
fn builds_with_cargo_install_when_the_release_has_no_binary() {
    let s = checkout(&[("ok.yaml", common::READ_ONLY)]);
    let url = releases_url(&s);
    let r = run(&s, &[("releases-url", &url)]);
    assert!(r.success(), "{}", r.printed());
    assert!(r.step("install").printed.contains("::warning::kube-rofs: no release binary at "), "{}", r.printed());
    assert_eq!(args(&s, "cargo"), [cargo_install(&s, VERSION)]);
    assert_eq!(r.step("install").outputs["from"], "cargo");
    assert_eq!(r.path, [install_dir(&s).display().to_string()], "GITHUB_PATH");
    assert_eq!(r.output("exit-code"), "0");
}

#[test]
fn builds_with_cargo_install_on_a_runner_without_a_release_target_and_for_a_given_version() {
    let s = checkout(&[("ok.yaml", common::READ_ONLY)]);
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));
    let r = s.run_action(repo(), Runner { os: "Linux", arch: "ARM" }, &[("releases-url", &url)]);
    assert!(r.success(), "{}", r.printed());
    assert!(r.step("install").printed.contains("no release binary for Linux/ARM"), "{}", r.printed());
    assert!(!r.step("install").printed.contains("Verified"), "{}", r.printed());
    // An explicit version (a leading v is dropped) that has no release.
    let r = run(&s, &[("releases-url", &url), ("version", "v0.0.9")]);
    assert!(r.success(), "{}", r.printed());
    assert_eq!(r.output("version"), "0.0.9");
    assert_eq!(args(&s, "cargo"), [cargo_install(&s, VERSION), cargo_install(&s, "0.0.9")]);
}

// ---------------------------------------------------------------------------------------------
// Inputs and metadata
// ---------------------------------------------------------------------------------------------

#[test]
fn rejects_inputs_kube_rofs_would_not_take() {
    let s = one_writable();
    let url = publish(&s, LINUX_MUSL, &recording_binary(&s));
    for (with, step, says) in [
        (("command", "fix"), "run", "command must be check or diff, not 'fix'"),
        (("format", "yaml"), "run", "format must be text, json, sarif, github or rdjsonl, not 'yaml'"),
        (("version", "1.2"), "install", "not a version: '1.2'"),
        (("fail-on-findings", "no"), "run", "fail-on-findings must be true or false, not 'no'"),
    ] {
        let r = run(&s, &[("releases-url", &url), with]);
        assert!(!r.step(step).success, "{with:?}: {}", r.printed());
        assert!(r.step(step).printed.contains(says), "{with:?}: expected {says:?}:\n{}", r.printed());
    }
    let r = run(&s, &[("releases-url", &url), ("command", "diff"), ("threshold", "90%")]);
    assert!(r.step("run").printed.contains("threshold is for check, not diff"), "{}", r.printed());
    assert_eq!(r.output("exit-code"), "", "kube-rofs ran");
}

#[test]
fn the_action_declares_its_inputs_and_outputs_and_the_docs_name_them() {
    let action: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(repo().join("action.yml")).unwrap()).unwrap();
    let inputs = action["inputs"].as_mapping().unwrap();
    let names: Vec<&str> = inputs.keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["version", "command", "paths", "format", "threshold", "args", "output", "fail-on-findings", "releases-url"]
    );
    let default = |name: &str| str_of(&action["inputs"][name], "default").unwrap().to_owned();
    assert_eq!(default("command"), "check");
    assert_eq!(default("paths"), ".");
    assert_eq!(default("format"), "github");
    assert_eq!(default("version"), "");
    assert_eq!(default("fail-on-findings"), "true");
    let cargo_toml = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let repository = cargo_toml
        .lines()
        .find_map(|l| l.strip_prefix("repository = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("no repository in Cargo.toml");
    assert_eq!(default("releases-url"), format!("{repository}/releases"), "releases-url is not the repository's");

    let outputs: Vec<&str> = action["outputs"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(outputs, ["exit-code", "output-file", "version"]);
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        assert!(!str_of(step, "run").unwrap().contains("${{"), "a run: uses an expression; map it in env: instead");
    }

    let docs = std::fs::read_to_string(repo().join("docs/github-action.md")).unwrap();
    for name in names.iter().chain(&outputs) {
        assert!(docs.contains(&format!("| `{name}` |")), "docs/github-action.md has no table row for `{name}`");
    }
}
