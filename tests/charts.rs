//! Helm charts and Kustomize: chart templates are skipped with the command that audits the
//! rendered chart; `--helm-values` edits values files in place; kustomization resources out of
//! reach (remote bases, paths outside the given ones) are reported instead of failing.

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kube-rofs")).args(args).current_dir(dir).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn write(root: &Path, name: &str, text: &str) {
    let p = root.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const TEMPLATE: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\nspec:\n  containers:\n  - name: a\n    image: b\n";

const VALUES: &str = "\
replicaCount: 1
# container settings
securityContext: {}
podSecurityContext:
  fsGroup: 1000
sidecar:
  containerSecurityContext:
    runAsNonRoot: true  # keep
  image: busybox
";

#[test]
fn chart_templates_are_skipped_with_the_render_command() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n");
    write(dir.path(), "charts/web/templates/pod.yaml", TEMPLATE);
    let (code, out, _) = run(dir.path(), &["check", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("charts/web/templates/pod.yaml: skipped: Helm chart template; audit the rendered chart instead: helm template charts/web | kube-rofs check -"), "{out}");
    run(dir.path(), &["fix", "."]);
    assert_eq!(std::fs::read_to_string(dir.path().join("charts/web/templates/pod.yaml")).unwrap(), TEMPLATE);
}

#[test]
fn helm_values_are_edited_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n");
    write(dir.path(), "chart/values.yaml", VALUES);
    let (code, out, err) = run(dir.path(), &["fix", "chart"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("chart/values.yaml")).unwrap(), VALUES);
    let (code, out, err) = run(dir.path(), &["fix", "--helm-values", "chart"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("fixed 2 containers in 1 of 2 files"), "{out}");
    let want = VALUES.replace("securityContext: {}", "securityContext: {readOnlyRootFilesystem: true}").replace(
        "    runAsNonRoot: true  # keep\n",
        "    runAsNonRoot: true  # keep\n    readOnlyRootFilesystem: true\n",
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("chart/values.yaml")).unwrap(), want);
    let (code, _, _) = run(dir.path(), &["diff", "--helm-values", "chart"]);
    assert_eq!(code, 0, "a second run has nothing left to change");
}

#[test]
fn kustomize_bases_out_of_reach_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "repo/base/pod.yaml", TEMPLATE);
    write(dir.path(), "shared/base/pod.yaml", TEMPLATE);
    write(
        dir.path(),
        "repo/overlay/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\n- ../../shared/base\n- github.com/acme/apps//base?ref=v1\n",
    );
    let (code, out, err) = run(dir.path(), &["fix", "repo"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("Kustomization '../../shared/base': not checked: outside the given paths"), "{err}");
    assert!(err.contains("Kustomization 'github.com/acme/apps//base?ref=v1': not checked: remote base"), "{err}");
    assert!(err.contains("kustomize build repo/overlay | kube-rofs check -"), "{err}");
    assert!(
        std::fs::read_to_string(dir.path().join("repo/base/pod.yaml"))
            .unwrap()
            .contains("readOnlyRootFilesystem: true")
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("shared/base/pod.yaml")).unwrap(), TEMPLATE);
}
