//! Helm charts and Kustomize: chart templates are skipped with the command that audits the
//! rendered chart; `--helm-values` edits values files in place; kustomization resources out of
//! reach (remote bases, paths outside the given ones) are reported instead of failing.

mod common;

use common::{dir_with, kube_rofs, read_str};

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
    let dir = dir_with(&[
        ("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"),
        ("charts/web/templates/pod.yaml", TEMPLATE),
    ]);
    let r = kube_rofs(dir.path(), &["check", "."]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("charts/web/templates/pod.yaml: skipped: Helm chart template; audit the rendered chart instead: helm template charts/web | kube-rofs check -"), "{}", r.stdout);
    kube_rofs(dir.path(), &["fix", "."]);
    assert_eq!(read_str(dir.path(), "charts/web/templates/pod.yaml"), TEMPLATE);
}

#[test]
fn helm_values_are_edited_only_when_asked() {
    let dir =
        dir_with(&[("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n"), ("chart/values.yaml", VALUES)]);
    let r = kube_rofs(dir.path(), &["fix", "chart"]);
    assert_eq!(r.code, 0, "{r}");
    assert_eq!(read_str(dir.path(), "chart/values.yaml"), VALUES);
    let r = kube_rofs(dir.path(), &["fix", "--helm-values", "chart"]);
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stdout.contains("fixed 2 containers in 1 of 2 files"), "{}", r.stdout);
    let want = VALUES.replace("securityContext: {}", "securityContext: {readOnlyRootFilesystem: true}").replace(
        "    runAsNonRoot: true  # keep\n",
        "    runAsNonRoot: true  # keep\n    readOnlyRootFilesystem: true\n",
    );
    assert_eq!(read_str(dir.path(), "chart/values.yaml"), want);
    let r = kube_rofs(dir.path(), &["diff", "--helm-values", "chart"]);
    assert_eq!(r.code, 0, "a second run has nothing left to change");
}

#[test]
fn kustomize_bases_out_of_reach_are_reported() {
    let dir = dir_with(&[
        ("repo/base/pod.yaml", TEMPLATE),
        ("shared/base/pod.yaml", TEMPLATE),
        (
            "repo/overlay/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\n- ../../shared/base\n- github.com/acme/apps//base?ref=v1\n",
        ),
    ]);
    let r = kube_rofs(dir.path(), &["fix", "repo"]);
    assert_eq!(r.code, 0, "{r}");
    let err = &r.stderr;
    assert!(err.contains("Kustomization '../../shared/base': not checked: outside the given paths"), "{err}");
    assert!(err.contains("Kustomization 'github.com/acme/apps//base?ref=v1': not checked: remote base"), "{err}");
    assert!(err.contains("kustomize build repo/overlay | kube-rofs check -"), "{err}");
    assert!(read_str(dir.path(), "repo/base/pod.yaml").contains("readOnlyRootFilesystem: true"));
    assert_eq!(read_str(dir.path(), "shared/base/pod.yaml"), TEMPLATE);
}
