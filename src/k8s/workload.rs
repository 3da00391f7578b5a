//! Find pod specs and their containers in each document (workload kinds, Lists, CronJobs).

use super::status::Refusal;
use crate::yaml::path::{Path, Seg};
use crate::yaml::tree::{Document, Kind, Node, Tree};

/// Where the pod spec lives in each workload kind. Kept as data so a kind is one line.
pub const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template", "spec"]),
    ("PodTemplate", &["template", "spec"]),
];

/// Container lists of a pod spec, in the order they are reported.
pub const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// A pod spec found in a document.
#[derive(Debug)]
pub struct PodSpec<'t> {
    pub doc: usize,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The workload object (the document root, or an item of a List).
    pub object: &'t Node<'t>,
    /// Mappings from the object down to the pod spec, outermost first (object .. spec).
    pub chain: Vec<&'t Node<'t>>,
    pub spec: &'t Node<'t>,
    pub path: Path,
    /// `metadata.annotations` of the object and of every template on the way to the spec.
    pub annotations: Vec<(String, String)>,
    pub containers: Vec<Container<'t>>,
    /// Set when the pod spec or a container list is an alias or merge: it cannot be read or
    /// edited exactly, so its containers are not listed.
    pub unreachable: Option<Refusal>,
}

/// A container entry of a pod spec.
#[derive(Debug)]
pub struct Container<'t> {
    pub list: &'static str,
    pub index: usize,
    pub node: &'t Node<'t>,
    pub name: String,
    pub image: Option<String>,
    pub path: Path,
}

/// Every pod spec in the tree, in document order.
pub fn find<'t>(tree: &'t Tree) -> Vec<PodSpec<'t>> {
    let mut out = Vec::new();
    for (doc, d) in tree.docs.iter().enumerate() {
        if let Some(root) = &d.root {
            visit_object(d, doc, root, Vec::new(), &mut out);
        }
    }
    out
}

fn visit_object<'t>(d: &'t Document, doc: usize, obj: &'t Node<'t>, path: Path, out: &mut Vec<PodSpec<'t>>) {
    let Some(kind) = obj.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind.ends_with("List") {
        if let Some(items) = obj.get("items").and_then(Node::items) {
            for (i, item) in items.iter().enumerate() {
                let mut p = path.clone();
                p.extend([Seg::Key("items".into()), Seg::Index(i)]);
                visit_object(d, doc, item, p, out);
            }
        }
        return;
    }
    let Some((_, spec_path)) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == kind) else {
        return;
    };
    let mut chain = vec![obj];
    let mut node = obj;
    let mut path = path;
    let mut unreachable = None;
    for key in *spec_path {
        match node.get(key) {
            Some(next) if next.entries().is_some() => {
                node = next;
                chain.push(next);
                path.push(Seg::Key((*key).into()));
            }
            Some(next) if matches!(next.kind, Kind::Alias(_)) => {
                unreachable = Some(Refusal::AliasOnTheWay((*key).to_owned()));
                break;
            }
            _ => return,
        }
        if node.get("<<").is_some() {
            unreachable = Some(Refusal::MergeOnTheWay((*key).to_owned()));
            break;
        }
    }
    let spec = node;
    let metadata_str = |k: &str| obj.get("metadata").and_then(|m| m.get(k)).and_then(Node::as_str).map(str::to_owned);
    let annotations = chain[..chain.len() - 1]
        .iter()
        .filter_map(|m| m.get("metadata")?.get("annotations")?.entries())
        .flatten()
        .filter_map(|e| Some((e.key.as_str()?.to_owned(), e.value.as_str().unwrap_or("").to_owned())))
        .collect();
    let mut containers = Vec::new();
    for list in CONTAINER_LISTS {
        if unreachable.is_some() {
            break;
        }
        if matches!(spec.get(list).map(|n| &n.kind), Some(Kind::Alias(_))) {
            unreachable = Some(Refusal::AliasOnTheWay((*list).to_owned()));
            continue;
        }
        let Some(items) = spec.get(list).and_then(Node::items) else {
            continue;
        };
        for (index, node) in items.iter().enumerate() {
            let field = |k: &str| d.resolve(node).get(k).and_then(Node::as_str).map(str::to_owned);
            let mut p = path.clone();
            p.extend([Seg::Key((*list).into()), Seg::Index(index)]);
            let name = field("name").unwrap_or_else(|| format!("{list}[{index}]"));
            containers.push(Container { list, index, node, name, image: field("image"), path: p });
        }
    }
    // Report in text order, whatever the order of the lists.
    containers.sort_by_key(|c| c.node.start);
    out.push(PodSpec {
        doc,
        kind: kind.to_owned(),
        name: metadata_str("name").unwrap_or_else(|| "<unnamed>".into()),
        namespace: metadata_str("namespace"),
        object: obj,
        chain,
        spec,
        path,
        annotations,
        containers,
        unreachable,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{source::Source, tree};

    fn specs(s: &str) -> Vec<(String, String, Vec<String>)> {
        let src = Source::decode(s.as_bytes()).unwrap();
        let t = tree::parse(&src).unwrap();
        find(&t)
            .into_iter()
            .map(|p| {
                let mut names: Vec<String> =
                    p.containers.into_iter().map(|c| format!("{}/{}", c.list, c.name)).collect();
                names.extend(p.unreachable.map(|r| r.to_string()));
                (p.kind, p.name, names)
            })
            .collect()
    }

    #[test]
    fn finds_cronjob_and_list_items() {
        let s = "kind: List\nitems:\n- kind: CronJob\n  metadata: {name: c}\n  spec:\n    jobTemplate:\n      spec:\n        template:\n          spec:\n            initContainers: [{name: i}]\n            containers: [{name: a}]\n- kind: ConfigMap\n";
        assert_eq!(
            specs(s),
            vec![("CronJob".into(), "c".into(), vec!["initContainers/i".into(), "containers/a".into()])]
        );
    }

    #[test]
    fn ignores_kinds_without_pod_specs() {
        assert!(specs("kind: Service\nspec: {ports: []}\n").is_empty());
        assert!(specs("kind: Deployment\nspec: {replicas: 1}\n").is_empty());
    }

    #[test]
    fn an_aliased_template_is_reported_unreachable() {
        let s = "kind: Deployment\nx: &t {spec: {containers: [{name: a}]}}\nspec:\n  template: *t\n";
        let found = specs(s);
        assert_eq!(found.len(), 1);
        assert!(found[0].2[0].contains("`template` is an alias"), "{found:?}");
    }
}
