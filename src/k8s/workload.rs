//! Find the containers of each document: pod specs and container scopes of every kind in the
//! kinds table (built in, plus the configuration's), Lists walked item by item, and documents
//! of unknown kinds that hold containers reported instead of passed over.

use super::kinds::{KindEntry, Provides, Step, built_in};
use super::status::Refusal;
use crate::yaml::path::{Dotted, Path, Seg};
use crate::yaml::tree::{Document, Kind, Node};

/// The container lists of a pod spec, in the order they are reported.
pub const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Containers whose mounts use one pod volume list: a pod spec, or containers of a kind that
/// keeps them elsewhere (an Argo template, a Tekton task). One fix covers one of these.
#[derive(Debug)]
pub struct PodSpec<'t> {
    pub doc: usize,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The workload object (the document root, or an item of a List).
    pub object: &'t Node<'t>,
    /// Mappings from the object down to `spec`, outermost first.
    pub chain: Vec<&'t Node<'t>>,
    /// The mapping that holds the pod volume list (the pod spec itself for pod specs).
    pub spec: &'t Node<'t>,
    pub path: Path,
    /// The key of the volume list in `spec` (`volumes`).
    pub volumes_key: String,
    /// `metadata.annotations` of the object and of every template on the way to the spec.
    pub annotations: Vec<(String, String)>,
    /// `metadata.labels` of the same (kubeaudit's overrides are labels).
    pub labels: Vec<(String, String)>,
    pub containers: Vec<Container<'t>>,
    /// What the kind's controller adds to every pod.
    pub provides: &'t Provides,
    /// `spec` is a pod spec, where init containers can be added (not a container scope).
    pub pod_spec: bool,
}

/// A container entry.
#[derive(Debug)]
pub struct Container<'t> {
    /// The list or key it is under (`containers`, `initContainers`, `steps`, `driver`, ...).
    pub list: String,
    pub index: usize,
    pub node: &'t Node<'t>,
    pub name: String,
    pub image: Option<String>,
    pub path: Path,
    /// A mapping whose securityContext and volumeMounts apply to this container too
    /// (Tekton's stepTemplate).
    pub template: Option<&'t Node<'t>>,
    /// The kind's data says these containers are checked but never edited, and why.
    pub refuse: Option<&'t str>,
}

/// A workload whose containers cannot all be read exactly, or a document of an unknown kind
/// that holds containers.
#[derive(Debug)]
pub struct Unchecked<'t> {
    pub object: &'t Node<'t>,
    pub kind: String,
    pub name: String,
    pub reason: String,
}

/// Everything found in a tree.
#[derive(Debug, Default)]
pub struct Found<'t> {
    pub pods: Vec<PodSpec<'t>>,
    pub unchecked: Vec<Unchecked<'t>>,
}

/// Every pod spec and container scope in the tree, in document order. `custom` entries (from
/// the configuration) are consulted before the built-in table.
#[cfg(test)]
pub fn find<'t>(tree: &'t crate::yaml::tree::Tree, custom: &'t [KindEntry]) -> Found<'t> {
    let mut found = Found::default();
    for (doc, d) in tree.docs.iter().enumerate() {
        let one = find_in(doc, d, Vec::new(), custom);
        found.pods.extend(one.pods);
        found.unchecked.extend(one.unchecked);
    }
    found
}

/// Every pod spec and container scope in document number `doc`, whose root is at `at` in the
/// document (empty, or the place of a `List` item handed over alone).
pub fn find_in<'t>(doc: usize, d: &'t Document<'t>, at: Path, custom: &'t [KindEntry]) -> Found<'t> {
    let mut found = Found::default();
    if let Some(root) = &d.root {
        visit_object(d, doc, root, at, custom, &mut found);
    }
    found
}

/// A node reached by a path, with its path and the mappings on the way (the node included).
#[derive(Clone)]
struct Reached<'t> {
    node: &'t Node<'t>,
    path: Path,
    chain: Vec<&'t Node<'t>>,
}

impl<'t> Reached<'t> {
    fn child(&self, node: &'t Node<'t>, seg: Seg) -> Reached<'t> {
        let mut path = self.path.clone();
        path.push(seg);
        let mut chain = self.chain.clone();
        if node.entries().is_some() {
            chain.push(node);
        }
        Reached { node, path, chain }
    }
}

/// Every node `steps` reach from `from`. An alias or a merge key on the way stops that branch
/// and is recorded in `blocked`; an alias reached by the last step is kept when `alias_last`
/// (a container the policy reads through its alias and the planner refuses).
fn reach<'t>(from: &Reached<'t>, steps: &[Step], alias_last: bool, blocked: &mut Vec<Refusal>) -> Vec<Reached<'t>> {
    let mut frontier = vec![from.clone()];
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        let mut next = Vec::new();
        for r in &frontier {
            let children: Vec<(&'t Node<'t>, Seg)> = match (step, &r.node.kind) {
                (Step::Key(k), Kind::Map { .. }) => {
                    r.node.get(k).map(|n| (n, Seg::Key(k.clone()))).into_iter().collect()
                }
                (Step::Items, Kind::Seq { items, .. }) => {
                    items.iter().enumerate().map(|(i, n)| (n, Seg::Index(i))).collect()
                }
                (Step::Values, Kind::Map { entries, .. }) => {
                    entries.iter().filter_map(|e| Some((&e.value, Seg::Key(e.key.as_str()?.to_owned())))).collect()
                }
                _ => Vec::new(),
            };
            for (node, seg) in children {
                let name = match &seg {
                    Seg::Key(k) => k.clone(),
                    Seg::Index(_) => step_name(steps, i),
                };
                // A container itself may be an alias or use a merge key: the policy reads through
                // them, the planner refuses them.
                let container = last && alias_last;
                match &node.kind {
                    Kind::Alias(_) if !container => blocked.push(Refusal::AliasOnTheWay(name)),
                    Kind::Map { .. } if !container && node.get("<<").is_some() => {
                        blocked.push(Refusal::MergeOnTheWay(name))
                    }
                    _ => next.push(r.child(node, seg)),
                }
            }
        }
        frontier = next;
    }
    frontier
}

/// The key a `[]` or `*` step expands (for messages).
fn step_name(steps: &[Step], i: usize) -> String {
    steps[..i]
        .iter()
        .rev()
        .find_map(|s| match s {
            Step::Key(k) => Some(k.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The metadata of a workload object: kind, name, namespace.
struct Meta {
    doc: usize,
    kind: String,
    name: String,
    namespace: Option<String>,
}

fn visit_object<'t>(
    d: &'t Document,
    doc: usize,
    obj: &'t Node<'t>,
    path: Path,
    custom: &'t [KindEntry],
    found: &mut Found<'t>,
) {
    let Some(kind) = obj.get("kind").and_then(Node::as_str) else { return };
    if kind.ends_with("List") {
        for (i, item) in obj.get("items").and_then(Node::items).unwrap_or_default().iter().enumerate() {
            let mut p = path.clone();
            p.extend([Seg::Key("items".into()), Seg::Index(i)]);
            visit_object(d, doc, item, p, custom, found);
        }
        return;
    }
    let metadata_str = |k: &str| obj.get("metadata").and_then(|m| m.get(k)).and_then(Node::as_str).map(str::to_owned);
    let meta = Meta {
        doc,
        kind: kind.to_owned(),
        name: metadata_str("name").unwrap_or_else(|| "<unnamed>".into()),
        namespace: metadata_str("namespace"),
    };
    let api_version = obj.get("apiVersion").and_then(Node::as_str);
    let root = Reached { node: obj, path, chain: vec![obj] };
    let Some(entry) = custom.iter().chain(built_in()).find(|e| e.matches(api_version, kind)) else {
        if let Some(at) = containers_anywhere(&Reached { node: obj, path: Vec::new(), chain: vec![obj] }) {
            let reason = unknown_kind_reason(api_version, kind, &at);
            found.unchecked.push(Unchecked { object: obj, kind: meta.kind, name: meta.name, reason });
        }
        return;
    };
    let mut blocked = Vec::new();
    let mut units = pod_spec_units(d, &meta, entry, &root, &mut blocked);
    for unit in scope_units(d, &meta, entry, &root, &mut blocked) {
        match units.iter_mut().find(|u| std::ptr::eq(u.spec, unit.spec)) {
            Some(same) => same.containers.extend(unit.containers),
            None => units.push(unit),
        }
    }
    for u in &mut units {
        // Report in text order, whatever the order of the lists.
        u.containers.sort_by_key(|c| c.node.start);
    }
    for reason in blocked {
        let (kind, name) = (meta.kind.clone(), meta.name.clone());
        found.unchecked.push(Unchecked { object: obj, kind, name, reason: reason.to_string() });
    }
    found.pods.extend(units);
}

/// A unit for every pod spec the kind's `podSpecs` reach.
fn pod_spec_units<'t>(
    d: &'t Document,
    meta: &Meta,
    entry: &'t KindEntry,
    root: &Reached<'t>,
    blocked: &mut Vec<Refusal>,
) -> Vec<PodSpec<'t>> {
    let mut units = Vec::new();
    let specs: Vec<Reached<'t>> = entry.pod_specs.iter().flat_map(|p| reach(root, p, false, blocked)).collect();
    for spec in specs {
        if spec.node.entries().is_none() {
            continue;
        }
        let mut containers = Vec::new();
        for list in CONTAINER_LISTS {
            let steps = [Step::Key((*list).into()), Step::Items];
            for (index, c) in reach(&spec, &steps, true, blocked).into_iter().enumerate() {
                containers.push(container(d, c, list, Some(index), None, None));
            }
        }
        let mut u = unit(meta, entry, root, spec, "volumes".into(), containers);
        u.pod_spec = true;
        units.push(u);
    }
    units
}

/// A unit for every scope the kind's `scopes` reach, by the volume list their mounts use.
fn scope_units<'t>(
    d: &'t Document,
    meta: &Meta,
    entry: &'t KindEntry,
    root: &Reached<'t>,
    blocked: &mut Vec<Refusal>,
) -> Vec<PodSpec<'t>> {
    let mut units: Vec<PodSpec<'t>> = Vec::new();
    for scope in &entry.scopes {
        for at in reach(root, &scope.at, false, blocked) {
            let (parent_steps, key) = scope.volumes.split_at(scope.volumes.len() - 1);
            let Some(Step::Key(key)) = key.first() else { continue };
            let Some(parent) =
                reach(&at, parent_steps, false, blocked).into_iter().find(|p| p.node.entries().is_some())
            else {
                continue;
            };
            let template = scope.template.as_ref().and_then(|t| reach(&at, t, false, blocked).pop()).map(|t| t.node);
            let mut containers = Vec::new();
            for (steps, text) in &scope.containers {
                let label = text.trim_end_matches("[]").rsplit('.').next().unwrap_or(text).to_owned();
                let many = matches!(steps.last(), Some(Step::Items));
                for (index, c) in reach(&at, steps, true, blocked).into_iter().enumerate() {
                    let index = many.then_some(index);
                    let refuse = scope.refuse.as_deref();
                    containers.push(container(d, c, &label, index, template, refuse));
                }
            }
            match units.iter_mut().find(|u| std::ptr::eq(u.spec, parent.node)) {
                Some(same) => same.containers.extend(containers),
                None => units.push(unit(meta, entry, root, parent, key.clone(), containers)),
            }
        }
    }
    units
}

fn container<'t>(
    d: &'t Document,
    c: Reached<'t>,
    list: &str,
    index: Option<usize>,
    template: Option<&'t Node<'t>>,
    refuse: Option<&'t str>,
) -> Container<'t> {
    let field = |k: &str| d.resolve(c.node).get(k).and_then(Node::as_str).map(str::to_owned);
    let name = field("name").unwrap_or_else(|| match index {
        Some(i) => format!("{list}[{i}]"),
        None => list.to_owned(),
    });
    Container {
        list: list.to_owned(),
        index: index.unwrap_or(0),
        node: c.node,
        name,
        image: field("image"),
        path: c.path,
        template,
        refuse,
    }
}

fn unit<'t>(
    meta: &Meta,
    entry: &'t KindEntry,
    root: &Reached<'t>,
    spec: Reached<'t>,
    volumes_key: String,
    containers: Vec<Container<'t>>,
) -> PodSpec<'t> {
    // Annotations and labels of the object and of every template on the way (not of the spec).
    let metadata = |what: &str| -> Vec<(String, String)> {
        spec.chain[..spec.chain.len().saturating_sub(1)]
            .iter()
            .filter_map(|m| m.get("metadata")?.get(what)?.entries())
            .flatten()
            .filter_map(|e| Some((e.key.as_str()?.to_owned(), e.value.as_str().unwrap_or("").to_owned())))
            .collect()
    };
    let (annotations, labels) = (metadata("annotations"), metadata("labels"));
    PodSpec {
        doc: meta.doc,
        kind: meta.kind.clone(),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        object: root.node,
        chain: spec.chain,
        spec: spec.node,
        path: spec.path,
        volumes_key,
        annotations,
        labels,
        containers,
        provides: &entry.provides,
        pod_spec: false,
    }
}

/// Where a `containers` list of mappings is in an object of no known kind, if anywhere.
fn containers_anywhere(r: &Reached) -> Option<Path> {
    match &r.node.kind {
        Kind::Map { entries, .. } => {
            let holds = r.node.get("containers").and_then(Node::items).is_some_and(|items| {
                !items.is_empty() && items.iter().all(|i| i.entries().is_some() || matches!(i.kind, Kind::Alias(_)))
            });
            if holds {
                return Some(r.path.clone());
            }
            entries.iter().find_map(|e| containers_anywhere(&r.child(&e.value, Seg::Key(e.key.as_str()?.to_owned()))))
        }
        Kind::Seq { items, .. } => {
            items.iter().enumerate().find_map(|(i, n)| containers_anywhere(&r.child(n, Seg::Index(i))))
        }
        _ => None,
    }
}

/// Why a document of an unknown kind is not checked, with the configuration that would make
/// kube-rofs check it.
fn unknown_kind_reason(api_version: Option<&str>, kind: &str, at: &[Seg]) -> String {
    let groups: Vec<String> = built_in()
        .iter()
        .filter(|e| e.kinds.iter().any(|k| k == kind))
        .map(|e| if e.group.is_empty() { "the core group (v1)".to_owned() } else { e.group.clone() })
        .collect();
    if let (Some(v), false) = (api_version, groups.is_empty()) {
        return format!(
            "apiVersion {v} has no kind {kind} (kube-rofs knows {kind} in {}); the API server would reject it, \
             so its containers at {} are not checked",
            groups.join(", "),
            Dotted(at)
        );
    }
    // The path as the table writes it: every index becomes `[]`.
    let mut path = String::new();
    for seg in at {
        match seg {
            Seg::Key(k) if path.is_empty() => path.push_str(k),
            Seg::Key(k) => path.push_str(&format!(".{k}")),
            Seg::Index(_) => path.push_str("[]"),
        }
    }
    format!(
        "kind {kind} ({}) is not in kube-rofs's table but holds containers at {}; to check it, add to .kube-rofs.yaml: \
         kinds: [{{apiVersion: {}, kind: {kind}, podSpecs: [\"{path}\"]}}]",
        api_version.unwrap_or("no apiVersion"),
        Dotted(at),
        api_version.unwrap_or("<group>/<version>"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{source::Source, tree};

    fn specs(s: &str) -> Vec<(String, String, Vec<String>)> {
        let src = Source::decode(s.as_bytes()).unwrap();
        let t = tree::parse(&src).unwrap();
        let found = find(&t, &[]);
        let mut out: Vec<(String, String, Vec<String>)> = found
            .pods
            .into_iter()
            .map(|p| (p.kind, p.name, p.containers.into_iter().map(|c| format!("{}/{}", c.list, c.name)).collect()))
            .collect();
        out.extend(found.unchecked.into_iter().map(|u| (u.kind, u.name, vec![u.reason])));
        out
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

    #[test]
    fn scopes_with_one_volume_list_are_one_unit() {
        let s = "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  stepTemplate: {securityContext: {readOnlyRootFilesystem: true}}\n  steps:\n  - {name: a, image: x}\n  - {name: b, image: y}\n  sidecars:\n  - {name: s, image: z}\n";
        assert_eq!(
            specs(s),
            vec![("Task".into(), "t".into(), vec!["steps/a".into(), "steps/b".into(), "sidecars/s".into()])]
        );
    }

    #[test]
    fn a_known_kind_in_the_wrong_group_is_not_checked_and_says_why() {
        let s = "apiVersion: v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n";
        let found = specs(s);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].2[0].contains("apiVersion v1 has no kind Deployment (kube-rofs knows Deployment in apps"),
            "{found:?}"
        );
    }

    #[test]
    fn an_unknown_kind_with_containers_says_how_to_check_it() {
        let s = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  runner:\n    template:\n      spec:\n        containers: [{name: a}]\n";
        let found = specs(s);
        assert_eq!(found.len(), 1, "{found:?}");
        let reason = &found[0].2[0];
        assert!(reason.contains("podSpecs: [\"spec.runner.template.spec\"]"), "{reason}");
        assert!(reason.contains("apiVersion: example.com/v1, kind: Widget"), "{reason}");
    }
}
