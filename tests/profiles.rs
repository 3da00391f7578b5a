//! Image profiles through the command line: `kube-rofs profiles`, `--strict`, and what the
//! machine formats say about each container's writable paths.

mod common;

use common::{dir_with, kube_rofs};

const NGINX_READ_ONLY: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    securityContext:
      readOnlyRootFilesystem: true
";

#[test]
fn profiles_lists_every_built_in_profile_with_its_sources_and_the_configuration_first() {
    let dir = dir_with(&[(".kube-rofs.yaml", "imageWritablePaths:\n  'ghcr.io/acme/*': [/var/lib/api]\n")]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let r = kube_rofs(dir.path(), &["profiles"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (config, built_in) = r.stdout.split_once("Built-in profiles (").expect("both sections");
    assert!(config.contains("ghcr.io/acme/*: /var/lib/api"), "{}", r.stdout);
    assert!(built_in.contains("\nnginx (nginx)\n  writable: /var/cache/nginx, /var/run\n"), "{built_in}");
    assert!(built_in.contains("  /var/log/nginx: left read-only ("), "{built_in}");
    assert!(built_in.contains("\ncoredns (") && built_in.contains("  writable: none (writes nothing)"), "{built_in}");
    let profiles = built_in.lines().filter(|l| !l.starts_with(' ') && l.ends_with(')')).count();
    let sources = built_in.lines().filter(|l| l.starts_with("  source: https://")).count();
    assert!(profiles >= 30 && sources >= profiles, "{profiles} profiles, {sources} sources");
}

#[test]
fn strict_fails_a_read_only_container_that_lacks_the_paths_it_needs() {
    let dir = dir_with(&[("web.yaml", NGINX_READ_ONLY)]);
    let plain = kube_rofs(dir.path(), &["check", "web.yaml"]);
    assert_eq!(plain.code, 0, "the flag alone passes, as the peers' fixtures expect:\n{}", plain.stdout);
    assert!(plain.stdout.contains("1 of them lacks writable paths they need"), "{}", plain.stdout);
    let strict = kube_rofs(dir.path(), &["check", "--strict", "web.yaml"]);
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert!(strict.stdout.contains("FAIL: 0% < 80% threshold."), "{}", strict.stdout);
    let fixed = dir_with(&[("web.yaml", NGINX_READ_ONLY), (".kube-rofs.yaml", "strict: true\n")]);
    assert_eq!(kube_rofs(fixed.path(), &["fix", "web.yaml"]).code, 0);
    assert_eq!(kube_rofs(fixed.path(), &["check", "web.yaml"]).code, 0, "after fix the strict check passes");
}

#[test]
fn json_says_which_writable_paths_a_container_gets_and_why() {
    let dir = dir_with(&[(
        "web.yaml",
        &NGINX_READ_ONLY.replace("    securityContext:\n      readOnlyRootFilesystem: true\n", ""),
    )]);
    let r = kube_rofs(dir.path(), &["check", "--format", "json", "web.yaml"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["profile"], "nginx");
    let paths: Vec<(&str, &str)> = f["writable_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, [("/tmp", "default"), ("/var/cache/nginx", "profile"), ("/var/run", "profile")]);
    assert!(f["writable_paths"][1]["detail"].as_str().unwrap().contains("https://github.com/docker-library/docs/"));
    assert_eq!(f["left_read_only"][0]["path"], "/var/log/nginx");
    let unknown = dir_with(&[("a.yaml", common::WRITABLE)]);
    let r = kube_rofs(unknown.path(), &["check", "--format", "json", "a.yaml"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["findings"][0]["unknown_image"], true);
}
