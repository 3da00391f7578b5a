//! Helm values and Kustomizations as YAML: the security contexts a values file holds, the
//! bases a kustomization names.

use crate::yaml::path::{Path as NodePath, Seg};
use crate::yaml::tree::{Kind, Node};

/// Keys whose mapping value is a container security context in Helm values by convention.
pub const VALUES_KEYS: &[&str] = &["securityContext", "containerSecurityContext"];

/// Every mapping under one of `VALUES_KEYS` (or a null there), with its dotted name and path.
pub fn values_security_contexts<'t, 'a>(
    node: &'t Node<'a>,
    path: &NodePath,
    out: &mut Vec<(String, NodePath, &'t Node<'a>)>,
) {
    match &node.kind {
        Kind::Map { entries, .. } => {
            for e in entries {
                let Some(key) = e.key.as_str() else { continue };
                let mut p = path.clone();
                p.push(Seg::Key(key.to_owned()));
                if VALUES_KEYS.contains(&key) && e.value.entries().is_some() {
                    out.push((dotted(&p), p.clone(), &e.value));
                } else {
                    values_security_contexts(&e.value, &p, out);
                }
            }
        }
        Kind::Seq { items, .. } => {
            for (i, item) in items.iter().enumerate() {
                let mut p = path.clone();
                p.push(Seg::Index(i));
                values_security_contexts(item, &p, out);
            }
        }
        _ => {}
    }
}

fn dotted(path: &NodePath) -> String {
    crate::yaml::path::Dotted(path).to_string()
}

/// The `resources`, `bases` and `components` entries of a Kustomization document.
pub fn kustomize_resources(root: &Node) -> Vec<String> {
    let is_kustomization = root.get("kind").and_then(Node::as_str) == Some("Kustomization")
        || root.get("apiVersion").and_then(Node::as_str).is_some_and(|v| v.starts_with("kustomize.config.k8s.io"));
    if !is_kustomization {
        return Vec::new();
    }
    ["resources", "bases", "components"]
        .iter()
        .filter_map(|k| root.get(k)?.items())
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}
