//! A CI machine in a test: a pull/merge request checked out the way GitHub Actions or GitLab CI
//! checks it out, with stubbed tools, and runners for a GitHub workflow's steps and a GitLab
//! job's script. Shared by the tests that run CI configuration for real (`tests/ci_examples.rs`).
//!
//! A scenario builds a bare `origin` repository and a work clone checked out the way the CI
//! checks out a pull/merge request; the runners run the workflow's `run:` scripts (GitHub: every
//! step except `uses:` steps and the `Install...` step) or the job's `script:` (GitLab; its
//! `before_script` installs tools and sets credentials) with bash, with the env the workflow's
//! `env:` blocks (or the job's `variables:` and GitLab's predefined variables) would give.
//! `reviewdog` and `gh` are stubs that record their arguments and standard input; the real
//! `kube-rofs` binary and git do the rest, so nothing touches the network.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;
use tempfile::TempDir;

pub const PR_NUMBER: &str = "7";
pub const FIX_BRANCH: &str = "refs/heads/kube-rofs/fix-7";

/// A Deployment with one writable container.
pub fn deployment(name: &str, image: &str) -> String {
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

pub fn example(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"))
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A scalar YAML value as the string an environment variable would get.
pub fn scalar(v: &Value) -> String {
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

pub struct Scenario {
    _tmp: TempDir,
    pub root: PathBuf,
    pub origin: PathBuf,
    pub work: PathBuf,
    /// The base branch's tip.
    pub main_sha: String,
    /// The head the CI checked out, before the scripts ran.
    pub head_sha: String,
}

/// The environment of every process the test starts: no user or system git configuration
/// (a fresh CI machine), temp files inside the scenario.
pub fn base_env(root: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".into(), root.join("home").display().to_string()),
        ("XDG_CONFIG_HOME".into(), root.join("home/.config").display().to_string()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("TMPDIR".into(), root.join("tmp").display().to_string()),
    ]
}

pub fn output(cmd: &mut Command, what: &str) -> Output {
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
pub fn git(root: &Path, dir: &Path, args: &[&str]) -> String {
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
pub fn git_try(root: &Path, dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").env_clear().envs(base_env(root)).current_dir(dir).args(args).output().unwrap();
    out.status.success().then(|| String::from_utf8(out.stdout).unwrap().trim_end().to_owned())
}

pub fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// How the CI checks out the request.
#[derive(Clone, Copy)]
pub enum Checkout {
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
    pub fn new(main_files: &[(&str, &str)], pr_files: &[(&str, Option<&str>)], checkout: Checkout) -> Scenario {
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

        let s = Scenario { _tmp: tmp, root, origin, work, main_sha, head_sha };
        s.stub("reviewdog", true, "");
        s.stub("gh", false, "");
        s
    }

    /// Put a stub program `name` first on the scripts' PATH: each call leaves args.N
    /// (NUL-separated) and, with `read_stdin`, stdin.N under log/<name>/ (see `calls`), then runs
    /// the shell code `then` with the arguments.
    pub fn stub(&self, name: &str, read_stdin: bool, then: &str) {
        let log = self.root.join("log").join(name);
        let read_stdin = if read_stdin { "cat > \"$d/stdin.$n\"" } else { ":" };
        write_executable(
            &self.root.join("stubs").join(name),
            &format!(
                "#!/bin/sh\nset -eu\nd='{}'\nmkdir -p \"$d\"\nn=$(ls \"$d\" | grep -c '^args\\.' || true)\n\
                 for a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$d/args.$n\"\n{read_stdin}\n{then}\n",
                log.display()
            ),
        );
    }

    /// PATH: the stubs, then the directory of the kube-rofs binary under test, then the system's.
    pub fn script_env(&self, vars: &[(String, String)]) -> Vec<(String, String)> {
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
    pub fn run_script(&self, what: &str, script: &str, vars: &[(String, String)], succeed: bool) -> String {
        let (success, text) = self.bash(what, script, &self.script_env(vars), &self.work);
        assert_eq!(success, succeed, "{text}");
        text
    }

    /// Run a script as `run_script` does, with exactly the environment `env`, in `dir`; returns
    /// whether it succeeded and what it printed (also printed to the test's output).
    pub fn bash(&self, what: &str, script: &str, env: &[(String, String)], dir: &Path) -> (bool, String) {
        let file = self.root.join("tmp/script.sh");
        std::fs::write(&file, script).unwrap();
        let out = Command::new("bash")
            .env_clear()
            .envs(env.iter().cloned())
            .current_dir(dir)
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
        println!("{text}");
        (out.status.success(), text)
    }

    /// The recorded calls of a stub: (arguments, standard input), in call order.
    pub fn calls(&self, stub: &str) -> Vec<(Vec<String>, String)> {
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
    pub fn pushes(&self) -> Vec<(Vec<String>, Vec<String>)> {
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

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        git(&self.root, dir, args)
    }

    /// The fix branch in origin, if it was pushed.
    pub fn fix_branch(&self) -> Option<String> {
        git_try(&self.root, &self.origin, &["rev-parse", "--verify", "--quiet", FIX_BRANCH])
    }

    /// What `kube-rofs fix` makes of `text` (run on a copy).
    pub fn fixed(&self, text: &str) -> String {
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
    pub fn assert_checkout_untouched(&self, untracked: &[&str]) {
        assert_eq!(self.git(&self.work, &["rev-parse", "HEAD"]), self.head_sha, "HEAD moved");
        let worktrees = self.git(&self.work, &["worktree", "list", "--porcelain"]);
        assert_eq!(worktrees.lines().filter(|l| l.starts_with("worktree ")).count(), 1, "{worktrees}");
        let status = self.git(&self.work, &["status", "--porcelain", "--untracked-files=all"]);
        let expected: Vec<String> = untracked.iter().map(|f| format!("?? {f}")).collect();
        assert_eq!(status.lines().collect::<Vec<_>>(), expected, "the checkout changed");
    }

    /// SARIF 2.1.0 that lists a result for each of `files` (none for others).
    /// The GitLab Code Quality report at `path` has issues in exactly `files`.
    pub fn assert_code_quality(&self, path: &Path, files: &[&str]) {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("no report at {}: {e}", path.display()));
        let report: serde_json::Value = serde_json::from_str(&text).expect("the report is not JSON");
        let issues = report.as_array().expect("a Code Quality report is an array");
        let mut paths: Vec<&str> = issues.iter().map(|i| i["location"]["path"].as_str().unwrap()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths, files, "files with issues in the Code Quality report");
    }

    pub fn assert_sarif(&self, path: &Path, files: &[&str]) {
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
pub fn assert_review(s: &Scenario, expected_args: &[&str], files: &[&str]) {
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
pub fn assert_fix_branch(s: &Scenario, fixed: &[&str], untouched: &[&str]) {
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

pub fn assert_no_fix_branch(s: &Scenario) {
    let heads = s.git(&s.origin, &["for-each-ref", "--format=%(refname)", "refs/heads/"]);
    assert_eq!(heads.lines().collect::<Vec<_>>(), ["refs/heads/main", "refs/heads/pr"], "branches in origin");
    assert!(s.pushes().is_empty(), "pushes: {:?}", s.pushes());
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions
// ---------------------------------------------------------------------------------------------

pub fn github_steps(workflow: &Value) -> (&Value, &Vec<Value>) {
    let jobs = workflow["jobs"].as_mapping().expect("no jobs");
    assert_eq!(jobs.len(), 1, "one job expected");
    let job = jobs.values().next().unwrap();
    (job, job["steps"].as_sequence().expect("no steps"))
}

/// What `${{ ... }}` expressions evaluate to in an emulated run: a table of the expressions the
/// files use, no operators or functions. One missing from the table fails the test, so a new
/// expression in a workflow or action is a deliberate addition to its test. A step output
/// that was not set (`steps.ID.outputs.NAME`) is the empty string, as on GitHub.
#[derive(Clone, Debug, Default)]
pub struct Expressions(BTreeMap<String, String>);

impl Expressions {
    pub fn new(pairs: &[(&str, &str)]) -> Expressions {
        Expressions(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// The pull request the example workflow runs on.
    pub fn pull_request(runner_temp: &Path) -> Expressions {
        let runner_temp = runner_temp.display().to_string();
        Expressions::new(&[
            ("github.base_ref", "main"),
            ("github.head_ref", "pr"),
            ("github.event.pull_request.number", PR_NUMBER),
            ("secrets.GITHUB_TOKEN", "dummy-github-token"),
            ("github.token", "dummy-github-token"),
            ("runner.temp", &runner_temp),
        ])
    }

    pub fn set(&mut self, expr: &str, value: &str) {
        self.0.insert(expr.to_owned(), value.to_owned());
    }

    /// `text` with every `${{ expr }}` substituted.
    pub fn eval(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${{") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find("}}").expect("unclosed ${{") + i;
            let expr = rest[i + 3..end].trim();
            match self.0.get(expr) {
                Some(value) => out.push_str(value),
                None if expr.starts_with("steps.") && expr.contains(".outputs.") => {}
                None => panic!("the test does not know the expression {expr:?}; add it to its Expressions"),
            }
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }
}

/// Substitute `${{ expr }}` with the example workflow's values; an unknown expression fails the test.
pub fn github_expr(text: &str, runner_temp: &Path) -> String {
    Expressions::pull_request(runner_temp).eval(text)
}

/// The variables of the `env:` blocks of `blocks` (workflow, job, step: later ones win).
pub fn env_blocks(blocks: &[&Value], exprs: &Expressions) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for block in blocks {
        if let Some(m) = block.get("env").and_then(Value::as_mapping) {
            for (k, v) in m {
                env.push((k.as_str().unwrap().to_owned(), exprs.eval(&scalar(v))));
            }
        }
    }
    env
}

pub fn github_env(blocks: &[&Value], runner_temp: &Path) -> Vec<(String, String)> {
    let mut env = vec![("RUNNER_TEMP".to_owned(), runner_temp.display().to_string())];
    env.extend(env_blocks(blocks, &Expressions::pull_request(runner_temp)));
    env
}

/// Run the workflow's steps in the scenario; returns where its SARIF upload reads from.
pub fn run_github(s: &Scenario) -> PathBuf {
    run_github_steps(s, |_| true, true).0
}

/// Run the steps whose name `select` picks, each expected to succeed (or fail, `!succeed`);
/// returns where the SARIF upload reads from and what the steps printed.
pub fn run_github_steps(s: &Scenario, select: impl Fn(&str) -> bool, succeed: bool) -> (PathBuf, String) {
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

// ---------------------------------------------------------------------------------------------
// GitLab CI
// ---------------------------------------------------------------------------------------------

pub const GITLAB_KEYWORDS: &[&str] =
    &["default", "include", "stages", "variables", "workflow", "image", "services", "cache", "before_script"];

pub fn gitlab_job(ci: &Value) -> &Value {
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

pub fn gitlab_lines<'a>(job: &'a Value, key: &str) -> Vec<&'a str> {
    job[key]
        .as_sequence()
        .unwrap_or_else(|| panic!("{key} is not a list"))
        .iter()
        .map(|l| l.as_str().unwrap_or_else(|| panic!("{key} has a line that is not a string: {l:?}")))
        .collect()
}

/// Run the job's script in the scenario, expecting it to succeed (or fail, `!succeed`); returns
/// where its SARIF artifact is and what the script printed.
pub fn run_gitlab(s: &Scenario, succeed: bool) -> (PathBuf, String) {
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
    let report = job["artifacts"]["reports"]["codequality"].as_str().expect("a Code Quality report artifact");
    (s.work.join(report), printed)
}

// ---------------------------------------------------------------------------------------------
// GitHub: one step of any workflow, and composite actions
// ---------------------------------------------------------------------------------------------

/// The runner machine as GitHub names it to steps (RUNNER_OS, RUNNER_ARCH).
#[derive(Clone, Copy, Debug)]
pub struct Runner {
    pub os: &'static str,
    pub arch: &'static str,
}

pub const LINUX_X64: Runner = Runner { os: "Linux", arch: "X64" };

/// A GitHub file command ($GITHUB_OUTPUT, $GITHUB_ENV): `NAME=value` lines and
/// `NAME<<DELIMITER` ... `DELIMITER` blocks, in order.
pub fn file_command(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let mut pairs = Vec::new();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            pairs.push((name.to_owned(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            pairs.push((name.to_owned(), value.to_owned()));
        } else if !line.is_empty() {
            panic!("not a file command line: {line:?} in {}", path.display());
        }
    }
    pairs
}

/// One step of a composite action's run.
#[derive(Debug)]
pub struct StepRun {
    pub id: String,
    pub name: String,
    /// false when an earlier step failed (the step was skipped).
    pub ran: bool,
    pub success: bool,
    pub printed: String,
    pub outputs: BTreeMap<String, String>,
}

/// What a composite action did: its steps, its outputs, and the directories it added to PATH.
#[derive(Debug)]
pub struct ActionRun {
    pub steps: Vec<StepRun>,
    pub outputs: BTreeMap<String, String>,
    pub path: Vec<String>,
}

impl ActionRun {
    pub fn success(&self) -> bool {
        self.steps.iter().all(|s| s.ran && s.success)
    }

    pub fn step(&self, id: &str) -> &StepRun {
        self.steps.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no step {id}"))
    }

    pub fn output(&self, name: &str) -> &str {
        self.outputs.get(name).unwrap_or_else(|| panic!("no output {name}: {:?}", self.outputs))
    }

    pub fn printed(&self) -> String {
        self.steps.iter().map(|s| s.printed.as_str()).collect()
    }
}

impl Scenario {
    /// PATH for emulated GitHub steps: `added` (GITHUB_PATH, the last added first), the stubs,
    /// then the system's without any directory that holds a `kube-rofs`: only one that a step
    /// installed can run.
    fn github_path(&self, added: &[String]) -> String {
        let system = std::env::var("PATH").unwrap_or_default();
        let system = system.split(':').filter(|d| !d.is_empty() && !Path::new(d).join("kube-rofs").exists());
        let stubs = self.root.join("stubs").display().to_string();
        added.iter().rev().cloned().chain([stubs]).chain(system.map(str::to_owned)).collect::<Vec<_>>().join(":")
    }

    /// The environment the runner gives every step (RUNNER_*, GITHUB_WORKSPACE, CI), with PATH
    /// from `github_path(added)`.
    fn runner_env(&self, runner: Runner, added: &[String]) -> Vec<(String, String)> {
        let mut env = base_env(&self.root);
        env[0].1 = self.github_path(added);
        for (k, v) in [
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("RUNNER_OS", runner.os),
            ("RUNNER_ARCH", runner.arch),
            ("RUNNER_TEMP", &self.root.join("runner-temp").display().to_string()),
            ("GITHUB_WORKSPACE", &self.work.display().to_string()),
        ] {
            env.push((k.to_owned(), v.to_owned()));
        }
        env
    }

    /// Run the `run:` step named `step` of `job` in `workflow`, in `dir` (and its
    /// `working-directory:` there), on a Linux X64 runner, with the env of the workflow's, job's
    /// and step's `env:` blocks (expressions from `exprs`) and `vars`. The step's `if:` is not
    /// evaluated. Returns whether it succeeded and what it printed.
    pub fn run_workflow_step(
        &self,
        workflow: &Value,
        job: &str,
        step: &str,
        exprs: &Expressions,
        vars: &[(&str, &str)],
        dir: &Path,
    ) -> (bool, String) {
        let job_value = &workflow["jobs"][job];
        let steps = job_value["steps"].as_sequence().unwrap_or_else(|| panic!("no job {job} with steps"));
        let st = steps
            .iter()
            .find(|s| str_of(s, "name") == Some(step))
            .unwrap_or_else(|| panic!("job {job} has no step named {step:?}"));
        assert_eq!(str_of(st, "shell"), Some("bash"), "step {step:?} does not say shell: bash");
        let mut env = self.runner_env(LINUX_X64, &[]);
        env.extend(env_blocks(&[workflow, job_value, st], exprs));
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let dir = match str_of(st, "working-directory") {
            Some(sub) => dir.join(sub),
            None => dir.to_owned(),
        };
        self.bash(step, str_of(st, "run").expect("no run:"), &env, &dir)
    }

    /// Run the composite action whose action.yml is in `action_dir`, as GitHub runs a `uses:` of
    /// it with `with` in a job that checked out the work clone: the inputs (given, else their
    /// defaults) as `inputs.*`, every `run:` step with bash in the checkout, GITHUB_OUTPUT,
    /// GITHUB_ENV and GITHUB_PATH honoured between steps, the steps after a failed one skipped,
    /// then the action's outputs. The action may use no `uses:` step and no `if:`.
    pub fn run_action(&self, action_dir: &Path, runner: Runner, with: &[(&str, &str)]) -> ActionRun {
        let path = action_dir.join("action.yml");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let action: Value = serde_yaml::from_str(&text).expect("action.yml is not YAML");
        assert_eq!(str_of(&action["runs"], "using"), Some("composite"), "not a composite action");

        let declared = action["inputs"].as_mapping().expect("no inputs");
        let mut exprs = Expressions::new(&[
            ("github.action_path", &action_dir.display().to_string()),
            ("runner.temp", &self.root.join("runner-temp").display().to_string()),
            ("runner.os", runner.os),
            ("runner.arch", runner.arch),
        ]);
        for (name, _) in with {
            assert!(declared.contains_key(*name), "the action has no input {name}");
        }
        for (name, spec) in declared {
            let name = name.as_str().unwrap();
            let value = match with.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => v.to_string(),
                None => {
                    assert!(spec.get("required").and_then(Value::as_bool) != Some(true), "input {name} is required");
                    spec.get("default").map(scalar).unwrap_or_default()
                }
            };
            exprs.set(&format!("inputs.{name}"), &value);
        }

        let files = self.root.join("runner-temp/_runner_file_commands");
        std::fs::create_dir_all(&files).unwrap();
        let mut added_path: Vec<String> = Vec::new();
        let mut added_env: Vec<(String, String)> = Vec::new();
        let mut failed = false;
        let mut runs = Vec::new();
        for (i, step) in action["runs"]["steps"].as_sequence().expect("no steps").iter().enumerate() {
            assert!(step.get("uses").is_none(), "step {i}: uses: is not emulated");
            assert!(step.get("if").is_none(), "step {i}: if: is not emulated");
            assert_eq!(str_of(step, "shell"), Some("bash"), "step {i}: a composite run step needs shell: bash");
            let id = str_of(step, "id").map(str::to_owned).unwrap_or_else(|| format!("step{i}"));
            let name = str_of(step, "name").unwrap_or(&id).to_owned();
            if failed {
                runs.push(StepRun {
                    id,
                    name,
                    ran: false,
                    success: false,
                    printed: String::new(),
                    outputs: BTreeMap::new(),
                });
                continue;
            }
            let [output, env_file, path_file] = ["output", "env", "path"].map(|f| files.join(format!("{f}_{i}")));
            let mut env = self.runner_env(runner, &added_path);
            env.extend([
                ("GITHUB_ACTION_PATH".to_owned(), action_dir.display().to_string()),
                ("GITHUB_OUTPUT".to_owned(), output.display().to_string()),
                ("GITHUB_ENV".to_owned(), env_file.display().to_string()),
                ("GITHUB_PATH".to_owned(), path_file.display().to_string()),
            ]);
            env.extend(added_env.iter().cloned());
            env.extend(env_blocks(&[step], &exprs));
            let (success, printed) = self.bash(&name, str_of(step, "run").expect("no run:"), &env, &self.work);
            let outputs: BTreeMap<String, String> = file_command(&output).into_iter().collect();
            for (k, v) in &outputs {
                exprs.set(&format!("steps.{id}.outputs.{k}"), v);
            }
            added_env.extend(file_command(&env_file));
            added_path.extend(std::fs::read_to_string(&path_file).unwrap_or_default().lines().map(str::to_owned));
            failed = !success;
            runs.push(StepRun { id, name, ran: true, success, printed, outputs });
        }
        let mut outputs = BTreeMap::new();
        if let Some(declared) = action.get("outputs").and_then(Value::as_mapping) {
            for (name, spec) in declared {
                let value = exprs.eval(str_of(spec, "value").expect("a composite output needs value:"));
                outputs.insert(name.as_str().unwrap().to_owned(), value);
            }
        }
        ActionRun { steps: runs, outputs, path: added_path }
    }
}
