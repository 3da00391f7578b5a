//! What a pod spec's fix adds: `readOnlyRootFilesystem: true` in each writable container, a
//! mount per writable path it lacks, and the pod volumes those mounts use.

use std::collections::HashSet;

use super::guard::{shared_on_the_way, tagged_on_the_way};
use super::text::Planner;
use super::volumes::{Volumes, norm};
use crate::fix::model::{Fix, Op};
use crate::fix::options::Options;
use crate::k8s::image::ImageRef;
use crate::k8s::policy::image_matches;
use crate::k8s::status::Refusal;
use crate::k8s::workload::{Container, PodSpec};
use crate::yaml::edit::Edit;
use crate::yaml::path::{Path, child};
use crate::yaml::render::New;
use crate::yaml::tree::{Entry, Kind, Node};

/// The plan for one pod spec: per container asked for, whether it is fixed; and the one fix
/// that fixes all of those (their keys and mounts, and the pod volumes they use).
#[derive(Debug)]
pub struct PodPlan {
    pub containers: Vec<Result<(), Refusal>>,
    pub fix: Fix,
}

const READ_ONLY: &str = "readOnlyRootFilesystem";

fn entry<'n, 'a>(map: &'n Node<'a>, key: &str) -> Option<&'n Entry<'a>> {
    map.entries()?.iter().find(|e| e.key.as_str() == Some(key))
}

/// Plan the fix of the containers `fixable` (indexes into `pod.containers`).
pub fn plan_pod(p: &Planner, pod: &PodSpec, fixable: &[usize], opts: &Options) -> PodPlan {
    let blocked = shared_on_the_way(p.doc, &pod.path, 0, pod.path.len(), "the pod template")
        .or_else(|| tagged_on_the_way(p.doc, &pod.path));
    let mut volumes = Volumes::new(pod);
    let mut planned: Vec<Result<(Fix, Vec<String>), Refusal>> = Vec::new();
    for &i in fixable {
        let c = &pod.containers[i];
        planned.push(match (&blocked, &mut volumes) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Err(reason)) => Err(reason.clone()),
            (None, Ok(v)) => {
                let list =
                    shared_on_the_way(p.doc, &c.path, pod.path.len() + 1, c.path.len() - 1, "the container list");
                match list.or_else(|| tagged_on_the_way(p.doc, &c.path)) {
                    Some(reason) => Err(reason),
                    None => plan_container(p, pod, c, v, &writable_paths(c, opts)),
                }
            }
        });
    }
    let mut new_names: Vec<String> = Vec::new();
    for name in planned.iter().flatten().flat_map(|(_, names)| names) {
        if !new_names.contains(name) {
            new_names.push(name.clone());
        }
    }
    let mut fix = Fix { doc: pod.doc, ..Fix::default() };
    if !new_names.is_empty() {
        match plan_volumes(p, pod, &new_names, &empty_dir(opts)) {
            Ok(volumes) => fix.extend(volumes),
            Err(reason) => {
                for r in planned.iter_mut().filter(|r| r.as_ref().is_ok_and(|(_, names)| !names.is_empty())) {
                    *r = Err(reason.clone());
                }
            }
        }
    }
    let containers = planned
        .into_iter()
        .map(|r| {
            r.map(|(container_fix, _)| {
                fix.extend(container_fix);
            })
        })
        .collect();
    PodPlan { containers, fix }
}

/// The writable paths of one container: the global ones, those configured for its image, and
/// the volumes its image declares.
fn writable_paths(c: &Container, opts: &Options) -> Vec<String> {
    let mut paths = opts.writable_paths.clone();
    let mut add = |p: &String| {
        if !paths.iter().any(|q| norm(q) == norm(p)) {
            paths.push(p.clone());
        }
    };
    let Some(image) = &c.image else { return paths };
    for (_, extra) in opts.image_paths.iter().filter(|(pattern, _)| image_matches(pattern, image)) {
        extra.iter().for_each(&mut add);
    }
    let facts = opts.images.as_ref().zip(ImageRef::parse(image)).and_then(|(source, r)| source.lookup(&r));
    facts.iter().flat_map(|f| &f.volumes).for_each(&mut add);
    paths
}

/// The `emptyDir` of an added volume: `{}`, or with the configured `medium` and `sizeLimit`.
fn empty_dir(opts: &Options) -> New {
    let entries = [("medium", &opts.medium), ("sizeLimit", &opts.size_limit)];
    New::Map(entries.into_iter().filter_map(|(k, v)| Some((k.to_owned(), New::str(v.as_ref()?)))).collect())
}

/// One container's part of the fix, and the names of the new volumes its mounts use.
fn plan_container(
    p: &Planner,
    pod: &PodSpec,
    c: &Container,
    volumes: &mut Volumes,
    writable_paths: &[String],
) -> Result<(Fix, Vec<String>), Refusal> {
    let node = c.node;
    p.editable(node, "the container")?;
    let near: Vec<&Node> = [node, pod.spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
    let mut fix = Fix::default();
    let mut new_keys: Vec<(String, New)> = Vec::new();
    set_read_only(p, c, &near, &mut new_keys, &mut fix)?;
    let mut mounted = mount_paths(node)?;
    if let Some(template) = c.template {
        mounted.extend(mount_paths(template)?);
    }
    mounted.extend(pod.provides.mounts.iter().map(|m| norm(m)));
    let mut items = Vec::new();
    let mut new_volumes = Vec::new();
    for path in writable_paths.iter().filter(|p| !mounted.contains(&norm(p))) {
        let (name, fresh) = volumes.for_path(path);
        if fresh {
            new_volumes.push(name.clone());
        }
        items.push(New::map([("name", New::Str(name)), ("mountPath", New::str(path))]));
    }
    if !items.is_empty() {
        add_items(p, (node, &c.path), ("volumeMounts", "volumeMounts"), items, &near, &mut new_keys, &mut fix)?;
    }
    insert_new_keys(p, node, &c.path, new_keys, &near, &mut fix)?;
    Ok((fix, new_volumes))
}

/// `readOnlyRootFilesystem: true` in the container's securityContext (a new securityContext
/// is queued in `new_keys`, to be written with the container's other new keys).
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

/// The pod volumes named `names`, each an `emptyDir`.
fn plan_volumes(p: &Planner, pod: &PodSpec, names: &[String], empty_dir: &New) -> Result<Fix, Refusal> {
    let spec = pod.spec;
    p.editable(spec, "the pod spec")?;
    let near: Vec<&Node> = [spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
    let items = names.iter().map(|n| New::map([("name", New::str(n)), ("emptyDir", empty_dir.clone())])).collect();
    let mut fix = Fix::default();
    let mut new_keys = Vec::new();
    let key = pod.volumes_key.as_str();
    add_items(p, (spec, &pod.path), (key, "the pod's volumes"), items, &near, &mut new_keys, &mut fix)?;
    insert_new_keys(p, spec, &pod.path, new_keys, &near, &mut fix)?;
    Ok(fix)
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
