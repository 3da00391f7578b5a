//! The CI examples in `examples/ci`: their structure, and their scripts run for real. Each
//! scenario builds a bare `origin` repository and a work clone checked out the way the CI
//! checks out a pull/merge request, then runs the workflow's `run:` scripts (GitHub: every
//! step except `uses:` steps and the `Install...` step) or the job's `script:` (GitLab; its
//! `before_script` installs tools and sets credentials) with bash, with the env the workflow's
//! `env:` blocks (or the job's `variables:` and GitLab's predefined variables) would give.
//! `reviewdog` and `gh` are stubs that record their arguments and standard input; the real
//! `kube-rofs` binary and git do the rest, so nothing touches the network.

mod common;

use common::READ_ONLY;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;
use tempfile::TempDir;

const PR_NUMBER: &str = "7";
const FIX_BRANCH: &str = "refs/heads/kube-rofs/fix-7";

/// A Deployment with one writable container.
fn deployment(name: &str, image: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
      - name: app
        image: {image}  # pinned
"
    )
}

fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A scalar YAML value as the string an environment variable would get.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario: repositories, stubs, runs
// ---------------------------------------------------------------------------------------------

struct Scenario {
    _tmp: TempDir,
    root: PathBuf,
    origin: PathBuf,
    work: PathBuf,
    /// The base branch's tip.
    main_sha: String,
    /// The head the CI checked out, before the scripts ran.
    head_sha: String,
}

/// The environment of every process the test starts: no user or system git configuration
/// (a fresh CI machine), temp files inside the scenario.
fn base_env(root: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), root.join("home").display().to_string()),
        ("XDG_CONFIG_HOME".into(), root.join("home/.config").display().to_string()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("TMPDIR".into(), root.join("tmp").display().to_string()),
    ]
}

fn output(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// git with the test's own identity (the scripts must bring theirs).
fn git(root: &Path, dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.env_clear().envs(base_env(root)).current_dir(dir).args(args);
    for (k, v) in [
        ("GIT_AUTHOR_NAME", "Test Author"),
        ("GIT_AUTHOR_EMAIL", "author@example.invalid"),
        ("GIT_COMMITTER_NAME", "Test Committer"),
        ("GIT_COMMITTER_EMAIL", "committer@example.invalid"),
    ] {
        cmd.env(k, v);
    }
    let out = output(&mut cmd, &format!("git {}", args.join(" ")));
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// Like `git`, but `None` when the command fails (e.g. a missing ref).
fn git_try(root: &Path, dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").env_clear().envs(base_env(root)).current_dir(dir).args(args).output().unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim_end().to_owned())
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// How the CI checks out the request.
#[derive(Clone, Copy)]
enum Checkout {
    /// GitHub's `pull_request`: the merge of the PR head into the base branch, detached.
    MergeCommit,
    /// GitLab's merge request pipeline: the source branch's head, detached.
    Head,
}

impl Scenario {
    /// `main_files` are committed on `main`, `pr_files` on top of them on the branch `pr` (`None`
    /// deletes the file); both
    /// are pushed to a bare `origin` that records every push (refs and push options), and a
    /// work clone checks out the request.
    fn new(main_files: &[(&str, &str)], pr_files: &[(&str, Option<&str>)], checkout: Checkout) -> Scenario {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        for d in ["home", "tmp", "stubs", "log", "runner-temp"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let origin = root.join("origin.git");
        let seed = root.join("seed");
        let work = root.join("work");

        git(&root, &root, &["init", "--quiet", "--bare", "origin.git"]);
        git(&root, &origin, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        // `git push -o` needs the receiving end to advertise push options.
        git(&root, &origin, &["config", "receive.advertisePushOptions", "true"]);
        let pushes = root.join("log/pushes");
        write_executable(
            &origin.join("hooks/pre-receive"),
            &format!(
                "#!/bin/sh\n{{\n  echo push\n  cat\n  i=0\n  while [ \"$i\" -lt \"${{GIT_PUSH_OPTION_COUNT:-0}}\" ]; do\n    \
                 eval \"echo \\\"option \\$GIT_PUSH_OPTION_$i\\\"\"\n    i=$((i + 1))\n  done\n}} >> '{}'\n",
                pushes.display()
            ),
        );

        git(&root, &root, &["init", "--quiet", "seed"]);
        git(&root, &seed, &["symbolic-ref", "HEAD", "refs/heads/main"]);
        for (name, text) in main_files {
            write(&seed, name, text);
        }
        git(&root, &seed, &["add", "--all"]);
        git(&root, &seed, &["commit", "--quiet", "--message", "main"]);
        git(&root, &seed, &["checkout", "--quiet", "-b", "pr"]);
        for (name, text) in pr_files {
            match text {
                Some(text) => write(&seed, name, text),
                None => std::fs::remove_file(seed.join(name)).unwrap(),
            }
        }
        git(&root, &seed, &["add", "--all"]);
        git(&root, &seed, &["commit", "--quiet", "--message", "the pull request"]);
        git(&root, &seed, &["remote", "add", "origin", origin.to_str().unwrap()]);
        git(&root, &seed, &["push", "--quiet", "origin", "main", "pr"]);
        std::fs::remove_file(&pushes).ok();

        git(&root, &root, &["clone", "--quiet", origin.to_str().unwrap(), "work"]);
        match checkout {
            Checkout::MergeCommit => {
                git(&root, &work, &["checkout", "--quiet", "--detach", "origin/main"]);
                git(&root, &work, &["merge", "--quiet", "--no-ff", "--no-edit", "origin/pr"]);
            }
            Checkout::Head => {
                git(&root, &work, &["checkout", "--quiet", "--detach", "origin/pr"]);
            }
        }
        let main_sha = git(&root, &origin, &["rev-parse", "refs/heads/main"]);
        let head_sha = git(&root, &work, &["rev-parse", "HEAD"]);

        // Stubs: each call leaves args.N (NUL-separated) and stdin.N under log/<name>/.
        for name in ["reviewdog", "gh"] {
            let log = root.join("log").join(name);
            let read_stdin = if name == "reviewdog" { "cat > \"$d/stdin.$n\"" } else { ":" };
            write_executable(
                &root.join("stubs").join(name),
                &format!(
                    "#!/bin/sh\nset -eu\nd='{}'\nmkdir -p \"$d\"\nn=$(ls \"$d\" | grep -c '^args\\.' || true)\n\
                     for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$d/args.$n\"\n{read_stdin}\n",
                    log.display()
                ),
            );
        }
        Scenario { _tmp: tmp, root, origin, work, main_sha, head_sha }
    }

    /// PATH: the stubs, then the directory of the kube-rofs binary under test, then the system's.
    fn script_env(&self, vars: &[(String, String)]) -> Vec<(String, String)> {
        let bin = Path::new(env!("CARGO_BIN_EXE_kube-rofs")).parent().unwrap();
        let path = format!(
            "{}:{}:{}",
            self.root.join("stubs").display(),
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut env = base_env(&self.root);
        env[0].1 = path;
        env.extend(vars.iter().cloned());
        env
    }

    /// Run a script with bash as the CI would (GitHub's `shell: bash` is
    /// `bash --noprofile --norc -eo pipefail {0}`; GitLab's runner also stops at the first
    /// failing line), in the work clone; panics with its output unless it succeeds (`succeed`)
    /// or fails (`!succeed`). Returns what it printed.
    fn run_script(&self, what: &str, script: &str, vars: &[(String, String)], succeed: bool) -> String {
        let file = self.root.join("tmp/script.sh");
        std::fs::write(&file, script).unwrap();
        let out = Command::new("bash")
            .env_clear()
            .envs(self.script_env(vars))
            .current_dir(&self.work)
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("running {what}: {e}"));
        let text = format!(
            "--- {what} ({})\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.success(), succeed, "{text}");
        println!("{text}");
        text
    }

    /// The recorded calls of a stub: (arguments, standard input), in call order.
    fn calls(&self, stub: &str) -> Vec<(Vec<String>, String)> {
        let dir = self.root.join("log").join(stub);
        let mut calls = Vec::new();
        for n in 0.. {
            let Ok(args) = std::fs::read(dir.join(format!("args.{n}"))) else { break };
            let args = String::from_utf8(args).unwrap();
            let args = args.split_terminator('\0').map(str::to_owned).collect();
            let stdin = std::fs::read_to_string(dir.join(format!("stdin.{n}"))).unwrap_or_default();
            calls.push((args, stdin));
        }
        calls
    }

    /// The pushes `origin` received: (ref lines "old new ref", push options), in order.
    fn pushes(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let text = std::fs::read_to_string(self.root.join("log/pushes")).unwrap_or_default();
        let mut pushes: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for line in text.lines() {
            if line == "push" {
                pushes.push((Vec::new(), Vec::new()));
            } else if let Some(option) = line.strip_prefix("option ") {
                pushes.last_mut().unwrap().1.push(option.to_owned());
            } else {
                pushes.last_mut().unwrap().0.push(line.to_owned());
            }
        }
        pushes
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        git(&self.root, dir, args)
    }

    /// The fix branch in origin, if it was pushed.
    fn fix_branch(&self) -> Option<String> {
        git_try(&self.root, &self.origin, &["rev-parse", "--verify", "--quiet", FIX_BRANCH])
    }

    /// What `kube-rofs fix` makes of `text` (run on a copy).
    fn fixed(&self, text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "m.yaml", text);
        output(
            Command::new(env!("CARGO_BIN_EXE_kube-rofs")).current_dir(dir.path()).args(["fix", "m.yaml"]),
            "kube-rofs fix",
        );
        std::fs::read_to_string(dir.path().join("m.yaml")).unwrap()
    }

    /// The checkout the CI made is as it was: same HEAD, no second worktree left behind, and
    /// no change to tracked files (`untracked` lists the files the run may leave).
    fn assert_checkout_untouched(&self, untracked: &[&str]) {
        assert_eq!(self.git(&self.work, &["rev-parse", "HEAD"]), self.head_sha, "HEAD moved");
        let worktrees = self.git(&self.work, &["worktree", "list", "--porcelain"]);
        assert_eq!(worktrees.lines().filter(|l| l.starts_with("worktree ")).count(), 1, "{worktrees}");
        let status = self.git(&self.work, &["status", "--porcelain", "--untracked-files=all"]);
        let expected: Vec<String> = untracked.iter().map(|f| format!("?? {f}")).collect();
        assert_eq!(status.lines().collect::<Vec<_>>(), expected, "the checkout changed");
    }

    /// SARIF 2.1.0 that lists a result for each of `files` (none for others).
    fn assert_sarif(&self, path: &Path, files: &[&str]) {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no SARIF at {}: {e}", path.display()));
        let sarif: serde_json::Value = serde_json::from_str(&text).expect("the SARIF is not JSON");
        assert_eq!(sarif["version"], "2.1.0", "{text}");
        let mut uris: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .expect("no runs[0].results")
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
            .collect();
        uris.sort();
        uris.dedup();
        assert_eq!(uris, files, "files with results in the SARIF");
    }
}

/// Assert reviewdog was called once with `expected_args` among its arguments, and got rdjsonl
/// lines for exactly `files`, each with at least one suggestion.
fn assert_review(s: &Scenario, expected_args: &[&str], files: &[&str]) {
    let calls = s.calls("reviewdog");
    assert_eq!(calls.len(), 1, "reviewdog calls: {calls:?}");
    let (args, stdin) = &calls[0];
    for a in expected_args {
        assert!(args.iter().any(|x| x == a), "reviewdog args {args:?} lack {a}");
    }
    let mut paths = Vec::new();
    for line in stdin.lines() {
        let d: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "no message: {line}");
        paths.push(d["location"]["path"].as_str().expect("no location.path").to_owned());
        let suggestions = d["suggestions"].as_array().unwrap_or_else(|| panic!("no suggestions: {line}"));
        assert!(!suggestions.is_empty(), "empty suggestions: {line}");
        for sg in suggestions {
            assert!(sg["range"]["start"]["line"].as_u64().is_some_and(|l| l > 0), "bad range: {sg}");
            assert!(sg["text"].as_str().is_some_and(|t| t.contains("readOnlyRootFilesystem: true")), "text: {sg}");
        }
    }
    paths.sort();
    paths.dedup();
    assert_eq!(paths, files, "files reviewdog got diagnostics for:\n{stdin}");
}

/// Assert origin has the fix branch: one commit on top of main that changes exactly `fixed`
/// (each to what `kube-rofs fix` makes of main's version), and leaves `untouched` as on main.
fn assert_fix_branch(s: &Scenario, fixed: &[&str], untouched: &[&str]) {
    let tip = s.fix_branch().expect("the fix branch was not pushed to origin");
    assert_eq!(s.git(&s.origin, &["rev-parse", &format!("{tip}^")]), s.main_sha, "the fix is not on top of main");
    let changed = s.git(&s.origin, &["diff", "--name-only", &s.main_sha, &tip]);
    assert_eq!(changed.lines().collect::<Vec<_>>(), fixed, "files the fix commit changed");
    for f in fixed {
        let before = s.git(&s.origin, &["show", &format!("{}:{f}", s.main_sha)]) + "\n";
        let after = s.git(&s.origin, &["show", &format!("{tip}:{f}")]) + "\n";
        let expected = s.fixed(&before);
        assert_ne!(expected, before, "{f}: kube-rofs fix changes nothing; the scenario is wrong");
        assert_eq!(after, expected, "{f} on the fix branch is not what kube-rofs fix makes");
    }
    for f in untouched {
        let on_main = s.git(&s.origin, &["show", &format!("{}:{f}", s.main_sha)]);
        assert_eq!(s.git(&s.origin, &["show", &format!("{tip}:{f}")]), on_main, "{f} changed on the fix branch");
    }
}

fn assert_no_fix_branch(s: &Scenario) {
    let heads = s.git(&s.origin, &["for-each-ref", "--format=%(refname)", "refs/heads/"]);
    assert_eq!(heads.lines().collect::<Vec<_>>(), ["refs/heads/main", "refs/heads/pr"], "branches in origin");
    assert!(s.pushes().is_empty(), "pushes: {:?}", s.pushes());
}

// ---------------------------------------------------------------------------------------------
// The scenarios every example runs
// ---------------------------------------------------------------------------------------------

/// The PR modifies a.yaml; b.yaml is untouched. a.yaml gets suggestions, b.yaml a fix branch.
fn one_touched(checkout: Checkout) -> Scenario {
    let a = deployment("a", "nginx:1.25");
    let b = deployment("b", "busybox:1.36");
    let a_pr = deployment("a", "nginx:1.27");
    Scenario::new(&[("a.yaml", &a), ("b.yaml", &b), ("README.md", "# app\n")], &[("a.yaml", Some(&a_pr))], checkout)
}

/// The PR touches no manifest, and the one manifest needs no fix: nothing to review or push.
fn nothing_to_do(checkout: Checkout) -> Scenario {
    Scenario::new(
        &[("ok.yaml", READ_ONLY), ("README.md", "# app\n")],
        &[("README.md", Some("# app\n\nMore.\n"))],
        checkout,
    )
}

/// The PR modifies both manifests (one renamed): both reviewed, none left for a fix branch.
fn all_touched(checkout: Checkout) -> Scenario {
    let a = deployment("a", "nginx:1.25");
    let b = deployment("b", "busybox:1.36");
    let a_pr = deployment("a", "nginx:1.27");
    Scenario::new(
        &[("a.yaml", &a), ("b.yaml", &b)],
        &[("a.yaml", Some(&a_pr)), ("b.yaml", None), ("deploy/b.yml", Some(&b))],
        checkout,
    )
}

/// The PR modifies a.yaml and adds a file that is not valid YAML.
fn one_broken(checkout: Checkout) -> Scenario {
    let a = deployment("a", "nginx:1.25");
    let a_pr = deployment("a", "nginx:1.27");
    Scenario::new(&[("a.yaml", &a)], &[("a.yaml", Some(&a_pr)), ("broken.yaml", Some("a: [\n"))], checkout)
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions
// ---------------------------------------------------------------------------------------------

fn github_steps(workflow: &Value) -> (&Value, &Vec<Value>) {
    let jobs = workflow["jobs"].as_mapping().expect("no jobs");
    assert_eq!(jobs.len(), 1, "one job expected");
    let job = jobs.values().next().unwrap();
    (job, job["steps"].as_sequence().expect("no steps"))
}

/// Substitute `${{ expr }}` with the scenario's values; an unknown expression fails the test.
fn github_expr(text: &str, runner_temp: &Path) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("unclosed ${{") + i;
        let value = match rest[i + 3..end].trim() {
            "github.base_ref" => "main".to_owned(),
            "github.head_ref" => "pr".to_owned(),
            "github.event.pull_request.number" => PR_NUMBER.to_owned(),
            "secrets.GITHUB_TOKEN" | "github.token" => "dummy-github-token".to_owned(),
            "runner.temp" => runner_temp.display().to_string(),
            other => panic!("the test does not know the expression {other:?}; add it to github_expr"),
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn github_env(blocks: &[&Value], runner_temp: &Path) -> Vec<(String, String)> {
    let mut env = vec![("RUNNER_TEMP".to_owned(), runner_temp.display().to_string())];
    for block in blocks {
        if let Some(m) = block.get("env").and_then(Value::as_mapping) {
            for (k, v) in m {
                env.push((k.as_str().unwrap().to_owned(), github_expr(&scalar(v), runner_temp)));
            }
        }
    }
    env
}

/// Run the workflow's steps in the scenario; returns where its SARIF upload reads from.
fn run_github(s: &Scenario) -> PathBuf {
    run_github_steps(s, |_| true, true).0
}

/// Run the steps whose name `select` picks, each expected to succeed (or fail, `!succeed`);
/// returns where the SARIF upload reads from and what the steps printed.
fn run_github_steps(s: &Scenario, select: impl Fn(&str) -> bool, succeed: bool) -> (PathBuf, String) {
    let workflow = example("github-actions.yml");
    let (job, steps) = github_steps(&workflow);
    let runner_temp = s.root.join("runner-temp");
    let mut sarif = None;
    let mut printed = String::new();
    for step in steps {
        if let Some(uses) = str_of(step, "uses") {
            if uses.starts_with("github/codeql-action/upload-sarif@") {
                sarif = Some(PathBuf::from(github_expr(str_of(&step["with"], "sarif_file").unwrap(), &runner_temp)));
            }
            continue;
        }
        let name = str_of(step, "name").unwrap_or("");
        if name.starts_with("Install") || !select(name) {
            continue;
        }
        let env = github_env(&[&workflow, job, step], &runner_temp);
        printed += &s.run_script(name, str_of(step, "run").expect("a step without uses: has no run:"), &env, succeed);
    }
    (sarif.expect("no upload-sarif step"), printed)
}

#[test]
fn github_workflow_has_the_steps() {
    let workflow = example("github-actions.yml");
    assert!(workflow["on"].get("pull_request").is_some(), "not triggered on pull_request");
    let (job, steps) = github_steps(&workflow);
    let permissions = workflow.get("permissions").or_else(|| job.get("permissions")).expect("no permissions");
    for (k, v) in [("contents", "write"), ("pull-requests", "write"), ("security-events", "write")] {
        assert_eq!(str_of(permissions, k), Some(v), "permission {k}");
    }

    let position = |what: &str, pred: &dyn Fn(&Value) -> bool| {
        steps.iter().position(pred).unwrap_or_else(|| panic!("no step that {what}"))
    };
    let run = |step: &Value| str_of(step, "run").unwrap_or("").to_owned();
    let uses = |step: &Value| str_of(step, "uses").unwrap_or("").to_owned();

    let checkout = position("checks out", &|st| uses(st).starts_with("actions/checkout@"));
    assert_eq!(steps[checkout]["with"]["fetch-depth"].as_u64(), Some(0), "the base branch must be fetched");
    let install = position("installs kube-rofs", &|st| {
        str_of(st, "name").is_some_and(|n| n.starts_with("Install"))
            && run(st).contains("cargo install --locked --git")
            && run(st).contains(" kube-rofs")
    });
    let setup = position("sets up reviewdog", &|st| uses(st) == "reviewdog/action-setup@v1");
    let review = position("reviews", &|st| {
        let r = run(st);
        r.contains("--diff-filter=AM \"origin/$BASE_REF...HEAD\" -- '*.yaml' '*.yml'")
            && r.contains("kube-rofs diff --format rdjsonl")
            && r.contains(
                "reviewdog -f=rdjsonl -name=kube-rofs -reporter=github-pr-review -filter-mode=diff_context -fail-on-error=false",
            )
    });
    let fix = position("fixes the rest", &|st| {
        let r = run(st);
        r.contains("kube-rofs fix")
            && r.contains("kube-rofs/fix-$PR_NUMBER")
            && r.contains("git push --force origin \"HEAD:refs/heads/$fix_branch\"")
            && r.contains("gh pr create")
    });
    let audit = position("writes SARIF", &|st| run(st).contains("kube-rofs check --format sarif ."));
    let upload = position("uploads SARIF", &|st| uses(st) == "github/codeql-action/upload-sarif@v3");
    assert_eq!(str_of(&steps[upload], "if"), Some("always()"), "the upload must run always()");
    assert!(checkout < install && install < review && setup < review, "order: checkout, install, setup, review");
    assert!(review < fix && fix < audit && audit < upload, "order: review, fix, audit, upload");

    for (i, step) in steps.iter().enumerate() {
        let r = run(step);
        assert!(!r.contains("${{"), "step {i}'s run: uses an expression; map it in env: instead");
        assert!(step.get("shell").is_none_or(|sh| sh == "bash"), "step {i} is not bash");
        if i != install && !r.is_empty() {
            assert!(r.starts_with("set -euo pipefail\n"), "step {i} does not start with set -euo pipefail");
        }
    }
}

#[test]
fn github_workflow_reviews_the_touched_manifest_and_fixes_the_other() {
    let s = one_touched(Checkout::MergeCommit);
    let sarif = run_github(&s);
    assert_review(
        &s,
        &["-f=rdjsonl", "-name=kube-rofs", "-reporter=github-pr-review", "-filter-mode=diff_context"],
        &["a.yaml"],
    );
    assert_fix_branch(&s, &["b.yaml"], &["a.yaml", "README.md"]);
    let gh = s.calls("gh");
    let creates: Vec<&Vec<String>> =
        gh.iter().map(|c| &c.0).filter(|a| a.starts_with(&["pr".into(), "create".into()])).collect();
    assert_eq!(creates.len(), 1, "gh pr create calls: {gh:?}");
    let create = creates[0].join(" ");
    assert!(create.contains("--base main") && create.contains("--head kube-rofs/fix-7"), "{create}");
    assert_eq!(s.pushes().len(), 1, "pushes: {:?}", s.pushes());
    s.assert_checkout_untouched(&[]);
    // The checkout is audited as the PR has it: b.yaml is still writable there.
    s.assert_sarif(&sarif, &["a.yaml", "b.yaml"]);
}

#[test]
fn github_workflow_with_nothing_to_review_or_fix() {
    let s = nothing_to_do(Checkout::MergeCommit);
    let sarif = run_github(&s);
    assert!(s.calls("reviewdog").is_empty(), "reviewdog was called: {:?}", s.calls("reviewdog"));
    assert!(s.calls("gh").is_empty(), "gh was called: {:?}", s.calls("gh"));
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&[]);
    s.assert_sarif(&sarif, &[]);
}

#[test]
fn github_workflow_with_every_manifest_touched() {
    let s = all_touched(Checkout::MergeCommit);
    let sarif = run_github(&s);
    assert_review(&s, &["-reporter=github-pr-review"], &["a.yaml", "deploy/b.yml"]);
    assert!(s.calls("gh").is_empty(), "gh was called: {:?}", s.calls("gh"));
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&[]);
    s.assert_sarif(&sarif, &["a.yaml", "deploy/b.yml"]);
}

#[test]
fn github_review_posts_what_it_can_and_fails_on_an_unreadable_manifest() {
    let s = one_broken(Checkout::MergeCommit);
    let (_, printed) = run_github_steps(&s, |name| name.starts_with("Review"), false);
    assert!(printed.contains("kube-rofs diff exited 2"), "the step failed for another reason");
    assert_review(&s, &["-reporter=github-pr-review"], &["a.yaml"]);
}

// ---------------------------------------------------------------------------------------------
// GitLab CI
// ---------------------------------------------------------------------------------------------

const GITLAB_KEYWORDS: &[&str] =
    &["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script"];

fn gitlab_job(ci: &Value) -> &Value {
    let jobs: Vec<&Value> = ci
        .as_mapping()
        .expect("not a mapping")
        .iter()
        .filter(|(k, _)| {
            let k = k.as_str().unwrap();
            !k.starts_with('.') && !GITLAB_KEYWORDS.contains(&k)
        })
        .map(|(_, v)| v)
        .collect();
    assert_eq!(jobs.len(), 1, "one job expected");
    jobs[0]
}

fn gitlab_lines<'a>(job: &'a Value, key: &str) -> Vec<&'a str> {
    job[key]
        .as_sequence()
        .unwrap_or_else(|| panic!("{key} is not a list"))
        .iter()
        .map(|l| l.as_str().unwrap_or_else(|| panic!("{key} has a line that is not a string: {l:?}")))
        .collect()
}

/// Run the job's script in the scenario, expecting it to succeed (or fail, `!succeed`); returns
/// where its SARIF artifact is and what the script printed.
fn run_gitlab(s: &Scenario, succeed: bool) -> (PathBuf, String) {
    let ci = example("gitlab-ci.yml");
    let job = gitlab_job(&ci);
    let mut env: Vec<(String, String)> = [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_IID", PR_NUMBER),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "pr"),
        ("REVIEWDOG_GITLAB_API_TOKEN", "dummy-gitlab-token"),
        ("KUBE_ROFS_PUSH_TOKEN", "dummy-push-token"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.push(("CI_MERGE_REQUEST_DIFF_BASE_SHA".into(), s.main_sha.clone()));
    env.push(("CI_PROJECT_DIR".into(), s.work.display().to_string()));
    for vars in [ci.get("variables"), job.get("variables")].into_iter().flatten() {
        for (k, v) in vars.as_mapping().expect("variables is not a mapping") {
            env.push((k.as_str().unwrap().to_owned(), scalar(v)));
        }
    }
    let printed = s.run_script("gitlab script", &gitlab_lines(job, "script").join("\n"), &env, succeed);
    let artifacts = gitlab_lines(&job["artifacts"], "paths");
    let sarif: Vec<&str> = artifacts.into_iter().filter(|p| p.ends_with(".sarif")).collect();
    assert_eq!(sarif.len(), 1, "one SARIF artifact expected");
    (s.work.join(sarif[0]), printed)
}

#[test]
fn gitlab_job_has_the_script() {
    let ci = example("gitlab-ci.yml");
    let job = gitlab_job(&ci);
    let rules = serde_yaml::to_string(&job["rules"]).unwrap();
    assert!(rules.contains("$CI_PIPELINE_SOURCE == \"merge_request_event\""), "rules: {rules}");
    let before = gitlab_lines(job, "before_script");
    assert!(before[0].starts_with("cargo install --locked --git ") && before[0].ends_with(" kube-rofs"), "{before:?}");
    let script = gitlab_lines(job, "script").join("\n");
    for needle in [
        "--diff-filter=AM \"$CI_MERGE_REQUEST_DIFF_BASE_SHA...HEAD\" -- '*.yaml' '*.yml'",
        "kube-rofs diff --format rdjsonl",
        "reviewdog -f=rdjsonl -name=kube-rofs -reporter=gitlab-mr-discussion -filter-mode=diff_context -fail-on-error=false",
        "kube-rofs fix",
        "-o merge_request.create",
        "-o \"merge_request.target=$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\"",
        "kube-rofs check --format sarif .",
    ] {
        assert!(script.contains(needle), "the script lacks {needle}");
    }
    assert_eq!(str_of(&job["artifacts"], "when"), Some("always"), "the SARIF artifact must be kept always");
}

#[test]
fn gitlab_job_reviews_the_touched_manifest_and_fixes_the_other() {
    let s = one_touched(Checkout::Head);
    let (sarif, _) = run_gitlab(&s, true);
    assert_review(
        &s,
        &["-f=rdjsonl", "-name=kube-rofs", "-reporter=gitlab-mr-discussion", "-filter-mode=diff_context"],
        &["a.yaml"],
    );
    assert_fix_branch(&s, &["b.yaml"], &["a.yaml", "README.md"]);
    let pushes = s.pushes();
    assert_eq!(pushes.len(), 1, "pushes: {pushes:?}");
    let (refs, options) = &pushes[0];
    assert!(refs.len() == 1 && refs[0].ends_with(&format!(" {FIX_BRANCH}")), "pushed refs: {refs:?}");
    for o in ["merge_request.create", "merge_request.target=main"] {
        assert!(options.iter().any(|x| x == o), "push options {options:?} lack {o}");
    }
    s.assert_checkout_untouched(&["kube-rofs.sarif"]);
    s.assert_sarif(&sarif, &["a.yaml", "b.yaml"]);
}

#[test]
fn gitlab_job_with_nothing_to_review_or_fix() {
    let s = nothing_to_do(Checkout::Head);
    let (sarif, _) = run_gitlab(&s, true);
    assert!(s.calls("reviewdog").is_empty(), "reviewdog was called: {:?}", s.calls("reviewdog"));
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&["kube-rofs.sarif"]);
    s.assert_sarif(&sarif, &[]);
}

#[test]
fn gitlab_job_with_every_manifest_touched() {
    let s = all_touched(Checkout::Head);
    let (sarif, _) = run_gitlab(&s, true);
    assert_review(&s, &["-reporter=gitlab-mr-discussion"], &["a.yaml", "deploy/b.yml"]);
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&["kube-rofs.sarif"]);
    s.assert_sarif(&sarif, &["a.yaml", "deploy/b.yml"]);
}

#[test]
fn gitlab_review_posts_what_it_can_and_fails_on_an_unreadable_manifest() {
    let s = one_broken(Checkout::Head);
    let (_, printed) = run_gitlab(&s, false);
    assert!(printed.contains("kube-rofs diff exited 2"), "the job failed for another reason");
    assert_review(&s, &["-reporter=gitlab-mr-discussion"], &["a.yaml"]);
}
