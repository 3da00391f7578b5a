//! The CI examples in `examples/ci`: their structure, and their scripts run for real in the
//! emulated CI of `tests/support/ci.rs` (a local origin and checkout, stubbed reviewdog and gh,
//! the real kube-rofs binary and git; nothing touches the network).

#[path = "support/ci.rs"]
mod ci;
mod common;

use ci::*;
use common::READ_ONLY;

use serde_yaml::Value;

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
        "kube-rofs check --format gitlab --output gl-code-quality-report.json .",
    ] {
        assert!(script.contains(needle), "the script lacks {needle}");
    }
    assert_eq!(str_of(&job["artifacts"], "when"), Some("always"), "the Code Quality report must be kept always");
}

#[test]
fn gitlab_job_reviews_the_touched_manifest_and_fixes_the_other() {
    let s = one_touched(Checkout::Head);
    let (report, _) = run_gitlab(&s, true);
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
    s.assert_checkout_untouched(&["gl-code-quality-report.json"]);
    s.assert_code_quality(&report, &["a.yaml", "b.yaml"]);
}

#[test]
fn gitlab_job_with_nothing_to_review_or_fix() {
    let s = nothing_to_do(Checkout::Head);
    let (report, _) = run_gitlab(&s, true);
    assert!(s.calls("reviewdog").is_empty(), "reviewdog was called: {:?}", s.calls("reviewdog"));
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&["gl-code-quality-report.json"]);
    s.assert_code_quality(&report, &[]);
}

#[test]
fn gitlab_job_with_every_manifest_touched() {
    let s = all_touched(Checkout::Head);
    let (report, _) = run_gitlab(&s, true);
    assert_review(&s, &["-reporter=gitlab-mr-discussion"], &["a.yaml", "deploy/b.yml"]);
    assert_no_fix_branch(&s);
    s.assert_checkout_untouched(&["gl-code-quality-report.json"]);
    s.assert_code_quality(&report, &["a.yaml", "deploy/b.yml"]);
}

#[test]
fn gitlab_review_posts_what_it_can_and_fails_on_an_unreadable_manifest() {
    let s = one_broken(Checkout::Head);
    let (_, printed) = run_gitlab(&s, false);
    assert!(printed.contains("kube-rofs diff exited 2"), "the job failed for another reason");
    assert_review(&s, &["-reporter=gitlab-mr-discussion"], &["a.yaml"]);
}
