//! Where a file sits in a project: Helm chart templates (skipped), chart values files
//! (edited with `--helm-values`), Kustomize bases out of reach.

use std::path::{Path, PathBuf};

use super::discover::display_path;

/// The chart a file belongs to: the nearest directory above it holding a `Chart.yaml`.
pub fn chart_of(file: &Path) -> Option<PathBuf> {
    file.ancestors().skip(1).find(|d| d.join("Chart.yaml").is_file()).map(Path::to_path_buf)
}

/// For a file under a chart's `templates/`: why it is skipped, with the command that audits the
/// rendered output instead.
pub fn template_skip(file: &Path) -> Option<String> {
    // Checked first because it costs no syscalls: most files are under no `templates/`.
    if !file.ancestors().skip(1).any(|d| d.file_name().is_some_and(|n| n == "templates")) {
        return None;
    }
    let chart = chart_of(file)?;
    let rest = file.strip_prefix(&chart).ok()?;
    if rest.components().next()?.as_os_str() != "templates" {
        return None;
    }
    Some(format!(
        "Helm chart template; audit the rendered chart instead: helm template {} | kube-rofs check -",
        shown_dir(&chart)
    ))
}

/// A directory as shown in a command to run: relative to the current one, `.` for itself.
pub fn shown_dir(dir: &Path) -> String {
    let shown = display_path(dir);
    if shown.is_empty() { ".".to_owned() } else { shown }
}

/// A chart's values file (`values.yaml`, `values-prod.yaml`, ... next to `Chart.yaml`).
pub fn is_values_file(file: &Path) -> bool {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with("values")
        && matches!(file.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        && file.parent().is_some_and(|d| d.join("Chart.yaml").is_file())
}

/// Resources of a kustomization that kube-rofs cannot fix in place: remote bases, and local
/// paths outside the given paths. Each with the reason.
pub fn kustomize_out_of_reach(file: &Path, resources: &[String], roots: &[PathBuf]) -> Vec<(String, String)> {
    if resources.is_empty() {
        return Vec::new();
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let build = shown_dir(dir);
    let roots: Vec<PathBuf> = roots.iter().filter_map(|r| std::fs::canonicalize(r).ok()).collect();
    let mut out = Vec::new();
    for r in resources {
        let remote = r.contains("://") || r.starts_with("github.com/") || r.starts_with("git@") || r.contains("?ref=");
        if remote {
            out.push((
                r.clone(),
                format!(
                    "remote base, not fixed here; audit the built output: kustomize build {build} | kube-rofs check -"
                ),
            ));
            continue;
        }
        match std::fs::canonicalize(dir.join(r)) {
            Ok(target) if !roots.iter().any(|root| target.starts_with(root)) => {
                out.push((r.clone(), "outside the given paths, not fixed; pass its directory too".to_owned()));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn templates_of_a_chart_are_skipped_with_the_render_command() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("charts/web");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "name: web\n").unwrap();
        let why = template_skip(&chart.join("templates/deployment.yaml")).unwrap();
        assert!(why.ends_with("| kube-rofs check -") && why.contains("helm template "), "{why}");
        assert!(template_skip(&chart.join("values.yaml")).is_none());
        assert!(is_values_file(&chart.join("values.yaml")) && is_values_file(&chart.join("values-prod.yaml")));
        assert!(!is_values_file(&chart.join("templates/values.yaml")));
    }

    #[test]
    fn remote_and_outside_bases_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/overlay")).unwrap();
        std::fs::create_dir_all(dir.path().join("shared/base")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/base")).unwrap();
        let file = dir.path().join("repo/overlay/kustomization.yaml");
        let resources =
            ["../base".to_owned(), "../../shared/base".to_owned(), "github.com/acme/apps//base?ref=v1".to_owned()];
        let out = kustomize_out_of_reach(&file, &resources, &[dir.path().join("repo")]);
        let names: Vec<&str> = out.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(names, ["../../shared/base", "github.com/acme/apps//base?ref=v1"]);
    }
}
