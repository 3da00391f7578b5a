//! What a pod spec's fix adds: `readOnlyRootFilesystem: true` in each writable container, a
//! mount per writable path a container lacks (writable or already read-only), the pod volumes
//! those mounts use, and init containers that fill volumes over directories the image fills.

use std::collections::HashSet;

use super::guard::{shared_on_the_way, tagged_on_the_way};
use super::needs::{COPY_PREFIX, Needs};
use super::text::Planner;
use super::volumes::{Volumes, norm};
use crate::fix::model::{Fix, Need, Op};
use crate::fix::options::Options;
use crate::k8s::status::Refusal;
use crate::k8s::workload::{Container, PodSpec};
use crate::yaml::edit::Edit;
use crate::yaml::path::{Path, child};
use crate::yaml::render::New;
use crate::yaml::tree::{Entry, Kind, Node};

/// The plan for one pod spec: per container asked for, whether it is fixed; and the one fix
/// that fixes all of those (their keys and mounts, the pod volumes and init containers).
#[derive(Debug)]
pub struct PodPlan {
    pub containers: Vec<Result<(), Refusal>>,
    pub fix: Fix,
}

/// A container the fix covers: made read-only (unless it is already), and given what it needs.
#[derive(Debug)]
pub struct Target {
    pub index: usize,
    pub needs: Needs,
    pub make_read_only: bool,
}

/// An init container to add: it copies `path` of `image` into the new volume `volume`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Copy {
    volume: String,
    path: String,
    image: String,
}

/// What one container adds: its part of the fix, new volume names, init containers.
type Planned = (Fix, Vec<String>, Vec<Copy>);

const READ_ONLY: &str = "readOnlyRootFilesystem";

fn entry<'n, 'a>(map: &'n Node<'a>, key: &str) -> Option<&'n Entry<'a>> {
    map.entries()?.iter().find(|e| e.key.as_str() == Some(key))
}

/// Plan the fix of the containers `targets` (indexes into `pod.containers`).
pub fn plan_pod(p: &Planner, pod: &PodSpec, targets: &[Target], opts: &Options) -> PodPlan {
    let blocked = shared_on_the_way(p.doc, &pod.path, 0, pod.path.len(), "the pod template")
        .or_else(|| tagged_on_the_way(p.doc, &pod.path));
    let mut volumes = Volumes::new(pod);
    let mut planned: Vec<Result<Planned, Refusal>> = Vec::new();
    for t in targets {
        let c = &pod.containers[t.index];
        planned.push(match (&blocked, &mut volumes) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Err(reason)) => Err(reason.clone()),
            (None, Ok(v)) => {
                let list =
                    shared_on_the_way(p.doc, &c.path, pod.path.len() + 1, c.path.len() - 1, "the container list");
                match list.or_else(|| tagged_on_the_way(p.doc, &c.path)) {
                    Some(reason) => Err(reason),
                    None => plan_container(p, pod, c, v, t),
                }
            }
        });
    }
    let (mut names, mut copies): (Vec<String>, Vec<Copy>) = (Vec::new(), Vec::new());
    for (_, n, c) in planned.iter().flatten() {
        for name in n {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        copies.extend(c.iter().cloned());
    }
    let mut fix = Fix { doc: pod.doc, ..Fix::default() };
    if !names.is_empty() {
        match plan_pod_additions(p, pod, &names, &copies, &empty_dir(opts)) {
            Ok(additions) => fix.extend(additions),
            Err(reason) => {
                for r in planned.iter_mut().filter(|r| r.as_ref().is_ok_and(|(_, n, _)| !n.is_empty())) {
                    *r = Err(reason.clone());
                }
            }
        }
    }
    let containers = planned.into_iter().map(|r| r.map(|(container_fix, _, _)| fix.extend(container_fix))).collect();
    PodPlan { containers, fix }
}

/// The `emptyDir` of an added volume: `{}`, or with the configured `medium` and `sizeLimit`.
fn empty_dir(opts: &Options) -> New {
    let entries = [("medium", &opts.medium), ("sizeLimit", &opts.size_limit)];
    New::Map(entries.into_iter().filter_map(|(k, v)| Some((k.to_owned(), New::str(v.as_ref()?)))).collect())
}

/// One container's part of the fix: its key (when it is made read-only) and mounts, the names
/// of the new volumes they use, and the init containers that fill copied directories.
fn plan_container(
    p: &Planner,
    pod: &PodSpec,
    c: &Container,
    volumes: &mut Volumes,
    t: &Target,
) -> Result<Planned, Refusal> {
    let node = c.node;
    p.editable(node, "the container")?;
    let near: Vec<&Node> = [node, pod.spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
    let mut fix = Fix::default();
    let mut new_keys: Vec<(String, New)> = Vec::new();
    if t.make_read_only {
        set_read_only(p, c, &near, &mut new_keys, &mut fix)?;
    }
    let mut items = Vec::new();
    let (mut new_volumes, mut copies) = (Vec::new(), Vec::new());
    for need in missing(pod, c, &t.needs)? {
        let (name, fresh) = volumes.for_path(&need.path);
        if fresh {
            new_volumes.push(name.clone());
        }
        if need.copy && pod.pod_spec {
            let image = c.image.clone().unwrap_or_default();
            copies.push(Copy { volume: name.clone(), path: need.path.clone(), image });
        }
        items.push(New::map([("name", New::Str(name)), ("mountPath", New::str(&need.path))]));
    }
    if !items.is_empty() {
        add_items(p, (node, &c.path), ("volumeMounts", "volumeMounts"), items, &near, &mut new_keys, &mut fix)?;
    }
    insert_new_keys(p, node, &c.path, new_keys, &near, &mut fix)?;
    Ok((fix, new_volumes, copies))
}

/// The needs of `c` that nothing mounts yet (its own mounts, its template's, the
/// controller's), in order. A directory to copy is left out where no init container can be
/// added (a container scope outside a pod spec).
pub fn missing<'n>(pod: &PodSpec, c: &Container, needs: &'n Needs) -> Result<Vec<&'n Need>, Refusal> {
    let mut mounted = mount_paths(c.node)?;
    if let Some(template) = c.template {
        mounted.extend(mount_paths(template)?);
    }
    mounted.extend(pod.provides.mounts.iter().map(|m| norm(m)));
    let wanted = needs.paths.iter().filter(|n| pod.pod_spec || !n.copy);
    Ok(wanted.filter(|n| !mounted.contains(&norm(&n.path))).collect())
}

/// What the pod gets: the volumes named `names` (each an `emptyDir`), and an init container
/// per copied directory.
fn plan_pod_additions(
    p: &Planner,
    pod: &PodSpec,
    names: &[String],
    copies: &[Copy],
    empty_dir: &New,
) -> Result<Fix, Refusal> {
    let spec = pod.spec;
    p.editable(spec, "the pod spec")?;
    let near: Vec<&Node> = [spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
    let mut fix = Fix::default();
    let mut new_keys = Vec::new();
    if !copies.is_empty() {
        let mut taken: Vec<String> = pod.containers.iter().map(|c| c.name.clone()).collect();
        let mut items = Vec::new();
        for copy in copies {
            let (item, name) = init_container(copy, &taken);
            taken.push(name);
            items.push(item);
        }
        let what = "initContainers";
        add_items(p, (spec, &pod.path), (what, what), items, &near, &mut new_keys, &mut fix)?;
    }
    let items = names.iter().map(|n| New::map([("name", New::str(n)), ("emptyDir", empty_dir.clone())])).collect();
    let key = pod.volumes_key.as_str();
    add_items(p, (spec, &pod.path), (key, "the pod's volumes"), items, &near, &mut new_keys, &mut fix)?;
    insert_new_keys(p, spec, &pod.path, new_keys, &near, &mut fix)?;
    Ok(fix)
}

/// Where a copy init container mounts the new volume while it fills it.
const STAGING: &str = "/kube-rofs-copy";

/// The init container that fills `copy.volume` with `copy.path` of the image before the main
/// container mounts the volume over that path, and its name (unique among `taken`). It runs the
/// same image, read-only itself, with `cp` alone (no shell), and copies symlinks as links.
fn init_container(copy: &Copy, taken: &[String]) -> (New, String) {
    let base: String = format!("{COPY_PREFIX}{}", copy.volume).chars().take(60).collect();
    let base = base.trim_end_matches('-').to_owned();
    let mut name = base.clone();
    let mut i = 0;
    while taken.contains(&name) {
        i += 1;
        name = format!("{base}-{i}");
    }
    let source = format!("{}/.", copy.path.trim_end_matches('/'));
    let command = ["cp", "-a", source.as_str(), "/kube-rofs-copy/"].map(New::str).to_vec();
    let mount = New::map([("name", New::str(&copy.volume)), ("mountPath", New::str(STAGING))]);
    let item = New::map([
        ("name", New::Str(name.clone())),
        ("image", New::str(&copy.image)),
        ("command", New::Seq(command)),
        ("securityContext", New::map([(READ_ONLY, New::Bool(true))])),
        ("volumeMounts", New::Seq(vec![mount])),
    ]);
    (item, name)
}

fn set_read_only(
    p: &Planner,
    c: &Container,
    near: &[&Node],
    new_keys: &mut Vec<(String, New)>,
    fix: &mut Fix,
) -> Result<(), Refusal> {
    let ro = New::map([(READ_ONLY, New::Bool(true))]);
    match entry(c.node, "securityContext") {
        None => new_keys.push(("securityContext".into(), ro)),
        Some(e) if e.value.is_null() => {
            let edits = p.set_null(c.node, e, &ro, near)?;
            fix.push(edits, Op::Set { at: c.path.clone(), key: "securityContext".into(), value: ro });
        }
        Some(e) if e.value.entries().is_some() => {
            let sc = &e.value;
            p.editable(sc, "securityContext")?;
            let edits = match entry(sc, READ_ONLY) {
                // Only an explicit `false` the user asked us to flip reaches here.
                Some(f) => vec![Edit::replacement(f.value.start, f.value.end, "true".into(), sc.depth)],
                None => {
                    let near_sc: Vec<&Node> = std::iter::once(sc).chain(near.iter().copied()).collect();
                    p.insert_keys(sc, &[(READ_ONLY.to_owned(), New::Bool(true))], &near_sc)?
                }
            };
            let at = child(&c.path, "securityContext");
            fix.push(edits, Op::Set { at, key: READ_ONLY.into(), value: New::Bool(true) });
        }
        Some(e) if matches!(e.value.kind, Kind::Alias(_)) => {
            return Err(Refusal::Alias("securityContext"));
        }
        Some(_) => return Err(Refusal::NotA { what: "securityContext", shape: "mapping" }),
    }
    Ok(())
}

/// The mount paths a container already has (normalised).
fn mount_paths(container: &Node) -> Result<HashSet<String>, Refusal> {
    let existing = match entry(container, "volumeMounts") {
        None => &[][..],
        Some(e) if e.value.is_null() => &[][..],
        Some(e) => e.value.items().ok_or(Refusal::NotA { what: "volumeMounts", shape: "sequence" })?,
    };
    let mut mounted = HashSet::new();
    for m in existing {
        if m.entries().is_none() {
            return Err(Refusal::NotA { what: "an item of volumeMounts", shape: "mapping (alias?)" });
        }
        if let Some(path) = m.get("mountPath").and_then(Node::as_str) {
            mounted.insert(norm(path));
        }
    }
    Ok(mounted)
}

/// Add `items` to the sequence under `key` of the mapping `map` (at `path`): as a new key
/// (queued in `new_keys`), as the value of a null key, or appended to the sequence there.
/// `what` names the key in a refusal.
fn add_items(
    p: &Planner,
    (map, path): (&Node, &Path),
    (key, what): (&str, &'static str),
    items: Vec<New>,
    near: &[&Node],
    new_keys: &mut Vec<(String, New)>,
    fix: &mut Fix,
) -> Result<(), Refusal> {
    match entry(map, key) {
        None => new_keys.push((key.to_owned(), New::Seq(items))),
        Some(e) if e.value.is_null() => {
            let value = New::Seq(items);
            fix.push(p.set_null(map, e, &value, near)?, Op::Set { at: path.clone(), key: key.to_owned(), value });
        }
        Some(e) if e.value.items().is_some() => {
            fix.push(p.append_items(&e.value, &items, near)?, Op::Append { at: child(path, key), items });
        }
        Some(_) => return Err(Refusal::NotA { what, shape: "sequence" }),
    }
    Ok(())
}

/// Write the keys queued for `map` at its end, in one insertion.
fn insert_new_keys(
    p: &Planner,
    map: &Node,
    path: &Path,
    new_keys: Vec<(String, New)>,
    near: &[&Node],
    fix: &mut Fix,
) -> Result<(), Refusal> {
    if new_keys.is_empty() {
        return Ok(());
    }
    fix.edits.extend(p.insert_keys(map, &new_keys, near)?);
    for (key, value) in new_keys {
        fix.ops.push(Op::Set { at: path.clone(), key, value });
    }
    Ok(())
}

/// Set `readOnlyRootFilesystem: true` in the mapping `map` (at `at`), for Helm values files,
/// where `securityContext` mappings stand alone with no container around them.
pub fn plan_set_true(p: &Planner, map: &Node, at: Path) -> Result<Fix, Refusal> {
    p.editable(map, "the mapping")?;
    let edits = match entry(map, READ_ONLY) {
        Some(e) => vec![Edit::replacement(e.value.start, e.value.end, "true".into(), map.depth)],
        None => p.insert_keys(map, &[(READ_ONLY.to_owned(), New::Bool(true))], &[map])?,
    };
    let mut fix = Fix::default();
    fix.push(edits, Op::Set { at, key: READ_ONLY.into(), value: New::Bool(true) });
    Ok(fix)
}
