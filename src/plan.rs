//! Plan the edits that make a pod spec's writable containers read-only (pure: returns data).

use std::collections::{HashMap, HashSet};

use granit_parser::ScalarStyle;

use crate::edit::Edit;
use crate::fixer::Options;
use crate::policy::image_matches;
use crate::render::{Layout, New, Writer};
use crate::source::Source;
use crate::tree::{Document, Entry, Kind, Node};
use crate::workload::{Path, PodSpec, Seg};

/// A change of meaning, stated independently of the text: the verifier applies these to the
/// original document as parsed by serde_yaml and expects exactly the re-read patched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set `key` of the mapping at `at` to `value` (adding or replacing it).
    Set { at: Path, key: String, value: New },
    /// Append `items` to the sequence at `at`.
    Append { at: Path, items: Vec<New> },
}

/// Text edits together with the meaning they are meant to have.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub edits: Vec<Edit>,
    pub ops: Vec<Op>,
}

/// The plan for one pod spec: one result per container asked for, plus pod-level edits
/// (the added `volumes`).
#[derive(Debug)]
pub struct PodPlan {
    pub containers: Vec<Result<Change, String>>,
    pub pod: Change,
}

/// Normalise a mount path for comparison (`/tmp/` is `/tmp`).
pub fn norm(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    }
}

/// Deterministic DNS-1123 label for the volume backing `path`: `/tmp` -> `tmp`,
/// `/var/log/app` -> `app-logs`, `/data/cache` -> `data-cache`.
pub fn volume_base_name(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let raw = match segs.as_slice() {
        ["var", "log", rest @ ..] if !rest.is_empty() => format!("{}-logs", rest.join("-")),
        [] => "root".to_owned(),
        s => s.join("-"),
    };
    let mut name = String::new();
    for c in raw.to_ascii_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    name.truncate(56);
    let name = name.trim_end_matches('-');
    if name.is_empty() { "writable".to_owned() } else { name.to_owned() }
}

/// Volume names for the writable paths of one pod: an existing `emptyDir` that some container
/// already mounts at the path is reused; otherwise a fresh name that no volume (or, for a
/// StatefulSet, no volume claim template) uses.
struct Volumes {
    taken: HashSet<String>,
    reuse: HashMap<String, String>,
    fresh: HashMap<String, String>,
}

impl Volumes {
    fn new(pod: &PodSpec) -> Result<Volumes, String> {
        let mut taken = HashSet::new();
        let mut empty_dirs = HashSet::new();
        if let Some(items) = pod.spec.get("volumes").and_then(Node::items) {
            for v in items {
                let name = v.get("name").and_then(Node::as_str).ok_or("a pod volume has no plain name (alias?)")?;
                taken.insert(name.to_owned());
                if v.get("emptyDir").is_some() {
                    empty_dirs.insert(name.to_owned());
                }
            }
        }
        let claims = pod.object.get("spec").and_then(|s| s.get("volumeClaimTemplates")).and_then(Node::items);
        for t in claims.unwrap_or_default() {
            if let Some(name) = t.get("metadata").and_then(|m| m.get("name")).and_then(Node::as_str) {
                taken.insert(name.to_owned());
            }
        }
        let mut reuse = HashMap::new();
        for c in &pod.containers {
            for m in c.node.get("volumeMounts").and_then(Node::items).unwrap_or_default() {
                let (Some(name), Some(path)) =
                    (m.get("name").and_then(Node::as_str), m.get("mountPath").and_then(Node::as_str))
                else {
                    continue;
                };
                if empty_dirs.contains(name) {
                    reuse.entry(norm(path).to_owned()).or_insert_with(|| name.to_owned());
                }
            }
        }
        Ok(Volumes { taken, reuse, fresh: HashMap::new() })
    }

    /// The volume name for `path`, and whether it is a new volume the pod must get.
    fn for_path(&mut self, path: &str) -> (String, bool) {
        if let Some(name) = self.reuse.get(norm(path)) {
            return (name.clone(), false);
        }
        if let Some(name) = self.fresh.get(path) {
            return (name.clone(), true);
        }
        let base = volume_base_name(path);
        let mut name = base.clone();
        let mut i = 0;
        while self.taken.contains(&name) {
            i += 1;
            name = format!("{base}-{i}");
        }
        self.taken.insert(name.clone());
        self.fresh.insert(path.to_owned(), name.clone());
        (name, true)
    }
}

fn child(path: &Path, key: &str) -> Path {
    let mut p = path.clone();
    p.push(Seg::Key(key.to_owned()));
    p
}

fn entry<'n, 'a>(map: &'n Node<'a>, key: &str) -> Option<&'n Entry<'a>> {
    map.entries()?.iter().find(|e| e.key.as_str() == Some(key))
}

/// Set `readOnlyRootFilesystem: true` in the mapping `map` (at `at`), for Helm values files,
/// where `securityContext` mappings stand alone with no container around them.
pub fn plan_set_true(src: &Source, doc: &Document, map: &Node, at: Path) -> Result<Change, String> {
    let p = Planner { src, doc, json: doc.root.as_ref().is_some_and(json_style) };
    p.editable(map, "the mapping")?;
    let mut change = Change::default();
    match entry(map, "readOnlyRootFilesystem") {
        Some(e) => change.edits.push(Edit::replacement(e.value.start, e.value.end, "true".into(), map.depth)),
        None => {
            let key = [("readOnlyRootFilesystem".to_owned(), New::Bool(true))];
            change.edits.extend(p.insert_keys(map, &key, &[map])?);
        }
    }
    change.ops.push(Op::Set { at, key: "readOnlyRootFilesystem".into(), value: New::Bool(true) });
    Ok(change)
}

/// A tag on any node or key from the document root along `path` changes how the independent
/// reader sees the path (a tagged key is not the plain key), so nothing under it is edited.
fn tagged_on_the_way(doc: &Document, path: &Path) -> Option<String> {
    let reason = || Some("a tag (`!...`) on the way to the pod spec changes how it reads; not edited".to_owned());
    let mut node = doc.root.as_ref()?;
    if node.tagged {
        return reason();
    }
    for seg in path {
        let next = match seg {
            Seg::Key(k) => {
                let e = entry(node, k)?;
                if e.key.tagged {
                    return reason();
                }
                &e.value
            }
            Seg::Index(i) => node.items()?.get(*i)?,
        };
        if next.tagged {
            return reason();
        }
        node = next;
    }
    None
}

/// The writable paths of one container: the global ones, then those for its image.
fn writable_paths(c: &crate::workload::Container, opts: &Options) -> Vec<String> {
    let mut paths = opts.writable_paths.clone();
    if let Some(image) = &c.image {
        for (pattern, extra) in &opts.image_paths {
            if image_matches(pattern, image) {
                paths.extend(
                    extra.iter().filter(|p| !paths.iter().any(|q| norm(q) == norm(p))).cloned().collect::<Vec<_>>(),
                );
            }
        }
    }
    paths
}

/// The `emptyDir` of an added volume: `{}`, or with the configured `medium` and `sizeLimit`.
fn empty_dir(opts: &Options) -> New {
    let entries = [("medium", &opts.medium), ("sizeLimit", &opts.size_limit)];
    New::Map(entries.into_iter().filter_map(|(k, v)| Some((k.to_owned(), New::str(v.as_ref()?)))).collect())
}

/// Plan the fix of the containers `fixable` (indexes into `pod.containers`).
pub fn plan_pod(src: &Source, doc: &Document, pod: &PodSpec, fixable: &[usize], opts: &Options) -> PodPlan {
    let p = Planner { src, doc, json: doc.root.as_ref().is_some_and(json_style) };
    let shared = pod.chain.iter().find(|n| n.anchor != 0 && doc.aliased.contains(&n.anchor)).map(|_| {
        "the pod template is anchored and reused through an alias; editing it would change the alias too".to_owned()
    });
    let shared = shared.or_else(|| tagged_on_the_way(doc, &pod.path));
    let mut volumes = Volumes::new(pod);
    let mut results = Vec::new();
    let mut wanted: Vec<Vec<String>> = Vec::new();
    for &i in fixable {
        let c = &pod.containers[i];
        let r = match (&shared, &mut volumes) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Err(reason)) => Err(reason.clone()),
            (None, Ok(v)) => match tagged_on_the_way(doc, &c.path) {
                Some(reason) => Err(reason),
                None => p.plan_container(pod, c, v, &writable_paths(c, opts)),
            },
        };
        wanted.push(r.as_ref().map(|(_, names)| names.clone()).unwrap_or_default());
        results.push(r.map(|(change, _)| change));
    }
    let mut pod_change = Change::default();
    let mut new_names: Vec<String> = Vec::new();
    for name in wanted.iter().flatten() {
        if !new_names.contains(name) {
            new_names.push(name.clone());
        }
    }
    if !new_names.is_empty() {
        match p.plan_volumes(pod, &new_names, &empty_dir(opts)) {
            Ok(change) => pod_change = change,
            Err(reason) => {
                for (r, w) in results.iter_mut().zip(&wanted) {
                    if !w.is_empty() {
                        *r = Err(reason.clone());
                    }
                }
            }
        }
    }
    PodPlan { containers: results, pod: pod_change }
}

/// The node's text ends with a block scalar (`|`, `>`), possibly nested in its last entries.
fn ends_in_block_scalar(node: &Node) -> bool {
    match &node.kind {
        Kind::Scalar { style, .. } => matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
        Kind::Map { flow: false, entries } => entries.last().is_some_and(|e| ends_in_block_scalar(&e.value)),
        Kind::Seq { flow: false, items } => items.last().is_some_and(ends_in_block_scalar),
        _ => false,
    }
}

/// A mapping (or a sequence of mappings) whose keys are double-quoted: new keys follow suit.
fn quoted_keys(node: &Node) -> bool {
    match &node.kind {
        Kind::Map { entries, .. } => {
            entries.first().is_some_and(|e| matches!(e.key.kind, Kind::Scalar { style: ScalarStyle::DoubleQuoted, .. }))
        }
        Kind::Seq { items, .. } => items.first().is_some_and(quoted_keys),
        _ => false,
    }
}

/// A JSON-style document: a flow mapping with double-quoted keys.
fn json_style(node: &Node) -> bool {
    match &node.kind {
        Kind::Map { flow: true, entries } => {
            entries.first().is_some_and(|e| matches!(e.key.kind, Kind::Scalar { style: ScalarStyle::DoubleQuoted, .. }))
        }
        Kind::Seq { flow: true, items } => items.first().is_some_and(json_style),
        _ => false,
    }
}

struct Planner<'a> {
    src: &'a Source<'a>,
    doc: &'a Document<'a>,
    json: bool,
}

impl Planner<'_> {
    fn plan_container(
        &self,
        pod: &PodSpec,
        c: &crate::workload::Container,
        volumes: &mut Volumes,
        writable_paths: &[String],
    ) -> Result<(Change, Vec<String>), String> {
        let node = c.node;
        self.editable(node, "the container")?;
        let near: Vec<&Node> = [node, pod.spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
        let mut change = Change::default();
        let mut new_keys: Vec<(String, New)> = Vec::new();
        let ro = New::map([("readOnlyRootFilesystem", New::Bool(true))]);
        match entry(node, "securityContext") {
            None => new_keys.push(("securityContext".into(), ro.clone())),
            Some(e) if e.value.is_null() => {
                change.edits.extend(self.set_null(node, e, &ro, &near)?);
                change.ops.push(Op::Set { at: c.path.clone(), key: "securityContext".into(), value: ro.clone() });
            }
            Some(e) if e.value.entries().is_some() => {
                let sc = &e.value;
                self.editable(sc, "securityContext")?;
                match entry(sc, "readOnlyRootFilesystem") {
                    // Only an explicit `false` the user asked us to flip reaches here.
                    Some(f) => {
                        change.edits.push(Edit::replacement(f.value.start, f.value.end, "true".into(), sc.depth))
                    }
                    None => {
                        let mut near_sc = vec![sc];
                        near_sc.extend(&near);
                        let key = [("readOnlyRootFilesystem".to_owned(), New::Bool(true))];
                        change.edits.extend(self.insert_keys(sc, &key, &near_sc)?);
                    }
                }
                let at = child(&c.path, "securityContext");
                change.ops.push(Op::Set { at, key: "readOnlyRootFilesystem".into(), value: New::Bool(true) });
            }
            Some(e) if matches!(e.value.kind, Kind::Alias(_)) => {
                return Err(
                    "securityContext is an alias; it cannot be edited without changing what else uses it".into()
                );
            }
            Some(_) => return Err("securityContext is not a mapping".into()),
        }

        let mounts = entry(node, "volumeMounts");
        let existing = match mounts {
            None => &[][..],
            Some(e) if e.value.is_null() => &[][..],
            Some(e) => e.value.items().ok_or("volumeMounts is not a sequence")?,
        };
        let mut mounted = HashSet::new();
        for m in existing {
            if m.entries().is_none() {
                return Err("volumeMounts holds an item that is not a mapping (alias?)".into());
            }
            if let Some(path) = m.get("mountPath").and_then(Node::as_str) {
                mounted.insert(norm(path).to_owned());
            }
        }
        let mut items = Vec::new();
        let mut new_volumes = Vec::new();
        for path in writable_paths.iter().filter(|p| !mounted.contains(norm(p))) {
            let (name, fresh) = volumes.for_path(path);
            if fresh {
                new_volumes.push(name.clone());
            }
            items.push(New::map([("name", New::Str(name)), ("mountPath", New::str(path))]));
        }
        if !items.is_empty() {
            match mounts {
                None => new_keys.push(("volumeMounts".into(), New::Seq(items))),
                Some(e) if e.value.is_null() => {
                    let value = New::Seq(items);
                    change.edits.extend(self.set_null(node, e, &value, &near)?);
                    change.ops.push(Op::Set { at: c.path.clone(), key: "volumeMounts".into(), value });
                }
                Some(e) => {
                    change.edits.extend(self.append_items(&e.value, &items, &near)?);
                    change.ops.push(Op::Append { at: child(&c.path, "volumeMounts"), items });
                }
            }
        }
        if !new_keys.is_empty() {
            change.edits.extend(self.insert_keys(node, &new_keys, &near)?);
            for (key, value) in new_keys {
                change.ops.push(Op::Set { at: c.path.clone(), key, value });
            }
        }
        Ok((change, new_volumes))
    }

    fn plan_volumes(&self, pod: &PodSpec, names: &[String], empty_dir: &New) -> Result<Change, String> {
        let spec = pod.spec;
        self.editable(spec, "the pod spec")?;
        let near: Vec<&Node> = [spec].into_iter().chain(pod.chain.iter().rev().copied()).collect();
        let items: Vec<New> =
            names.iter().map(|n| New::map([("name", New::str(n)), ("emptyDir", empty_dir.clone())])).collect();
        let mut change = Change::default();
        match entry(spec, "volumes") {
            None => {
                let key = [("volumes".to_owned(), New::Seq(items.clone()))];
                change.edits.extend(self.insert_keys(spec, &key, &near)?);
                change.ops.push(Op::Set { at: pod.path.clone(), key: "volumes".into(), value: New::Seq(items) });
            }
            Some(e) if e.value.is_null() => {
                let value = New::Seq(items);
                change.edits.extend(self.set_null(spec, e, &value, &near)?);
                change.ops.push(Op::Set { at: pod.path.clone(), key: "volumes".into(), value });
            }
            Some(e) if e.value.items().is_some() => {
                change.edits.extend(self.append_items(&e.value, &items, &near)?);
                change.ops.push(Op::Append { at: child(&pod.path, "volumes"), items });
            }
            Some(_) => return Err("the pod's volumes is not a sequence".into()),
        }
        Ok(change)
    }

    /// Refuse nodes whose text cannot be edited without changing more than intended.
    fn editable(&self, node: &Node, what: &str) -> Result<(), String> {
        if matches!(node.kind, Kind::Alias(_)) {
            return Err(format!("{what} is an alias"));
        }
        if node.tagged {
            return Err(format!("{what} has an explicit tag"));
        }
        if node.anchor != 0 && self.doc.aliased.contains(&node.anchor) {
            return Err(format!(
                "{what} is anchored and reused through an alias; editing it would change the alias too"
            ));
        }
        let entries = node.entries().unwrap_or_default();
        for (i, e) in entries.iter().enumerate() {
            // An empty key (`?` alone) is placed at the next token, wherever that is.
            let empty = e.key.start == e.key.end;
            if e.key.tagged || empty || !matches!(e.key.kind, Kind::Scalar { .. }) || self.explicit_key(&e.key) {
                return Err(format!("{what} has an explicit (`?`), complex or tagged key"));
            }
            match e.key.as_str() {
                Some("<<") => return Err(format!("{what} uses a merge key (<<)")),
                // Mappings here have a few dozen keys at most: a scan beats hashing.
                Some(k) if entries[..i].iter().any(|p| p.key.as_str() == Some(k)) => {
                    return Err(format!("{what} has the key `{k}` twice"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A key written after `?` (explicit key syntax): the last character before it on its line
    /// that is not white space is the `?` indicator.
    fn explicit_key(&self, key: &Node) -> bool {
        let line_start = self.src.line_start(self.src.line_of(key.start));
        self.src.body[line_start..key.start].trim_end().ends_with('?')
    }

    fn writer(&self, at: usize, layout: Layout, quote: bool) -> Writer<'static> {
        Writer { layout, eol: self.src.eol_at(at), quote }
    }

    /// Where a line inserted after a node that ends at `end` goes: the start of the next line
    /// (a trailing comment stays with the line it is on).
    fn after_line(&self, end: usize) -> usize {
        if end > 0 && self.src.body.as_bytes()[end - 1] == b'\n' { end } else { self.src.next_line_start(end) }
    }

    /// An insertion of whole lines whose first line is indented by `indent`. Full-line comments
    /// indented deeper than that belong to the block above, so the insertion goes below them.
    /// At the end of a file without a final newline the line break moves to the front, so the
    /// file still ends without one.
    fn insert_lines(&self, at: usize, text: String, depth: usize, indent: usize) -> Edit {
        let body = self.src.body;
        let mut at = at;
        while at < body.len() {
            let next = self.src.next_line_start(at);
            let line = &body[at..next];
            let code = line.trim_start_matches(' ');
            if !(code.starts_with('#') && line.len() - code.len() > indent) {
                break;
            }
            at = next;
        }
        if at == body.len() && self.src.ends_without_newline() {
            let eol = self.src.eol_at(at);
            let text = format!("{eol}{}", text.strip_suffix(eol).unwrap_or(&text));
            return Edit::insertion(at, text, depth);
        }
        Edit::insertion(at, text, depth)
    }

    /// Indentation column of a block mapping key (its mapping's indentation; a key written
    /// after an anchor or tag, `- &a name: x`, starts further right).
    fn key_col(&self, key: &Node) -> usize {
        key.indent.unwrap_or_else(|| self.src.column(key.start))
    }

    /// Indentation step and sequence style measured from the nearest block collections.
    fn layout(&self, near: &[&Node]) -> Layout {
        let mut layout = Layout::default();
        let (mut step, mut seq) = (None, None);
        for m in near.iter().filter(|m| !m.is_flow()) {
            for e in m.entries().unwrap_or_default() {
                let key_col = self.key_col(&e.key);
                let key_line = self.src.line_of(e.key.start);
                match &e.value.kind {
                    Kind::Map { flow: false, entries } if step.is_none() => {
                        if let Some(first) = entries.first() {
                            let col = self.key_col(&first.key);
                            if col > key_col && self.src.line_of(first.key.start) > key_line {
                                step = Some(col - key_col);
                            }
                        }
                    }
                    Kind::Seq { flow: false, .. } if seq.is_none() => {
                        let dash_col = self.src.column(e.value.start);
                        if dash_col >= key_col
                            && self.src.line_of(e.value.start) > key_line
                            && let Some(items) = self.item_layout(&e.value)
                        {
                            seq = Some((dash_col - key_col, items));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(s) = step {
            layout.map_step = s;
        }
        if let Some((offset, (item_offset, alone))) = seq {
            layout.seq_offset = offset;
            layout.item_offset = item_offset;
            layout.dash_alone = alone;
        }
        layout
    }

    /// Column of the first item mapping's keys relative to the `-`, and whether it starts on
    /// the line after the dash.
    fn item_layout(&self, seq: &Node) -> Option<(usize, bool)> {
        let first = seq.items()?.first()?;
        let key = first.entries()?.first()?;
        if first.is_flow() {
            return None;
        }
        let (dash_col, key_col) = (self.src.column(seq.start), self.key_col(&key.key));
        // A lone `-` (nothing but white space after it); `- # note` is an inline item with a label.
        let dash_line_rest = &self.src.body[seq.start + 1..self.src.next_line_start(seq.start)];
        let alone = self.src.line_of(key.key.start) > self.src.line_of(seq.start) && dash_line_rest.trim().is_empty();
        (key_col > dash_col).then(|| (key_col - dash_col, alone))
    }

    fn quote_for(&self, node: &Node) -> bool {
        match &node.kind {
            Kind::Map { entries, .. } if !entries.is_empty() => json_style(node),
            Kind::Seq { items, .. } if !items.is_empty() => items.iter().any(json_style),
            _ => self.json,
        }
    }

    /// Add keys at the end of a mapping.
    fn insert_keys(&self, map: &Node, keys: &[(String, New)], near: &[&Node]) -> Result<Vec<Edit>, String> {
        if map.is_flow() {
            let w = self.writer(map.end, self.layout(near), self.quote_for(map));
            return self.flow_insert(map, keys.iter().map(|(k, v)| w.flow_entry(k, v)).collect());
        }
        let entries = map.entries().unwrap_or_default();
        let (first, last) = entries.first().zip(entries.last()).ok_or("empty mapping")?;
        let indent = self.key_col(&first.key);
        let mut at = self.after_line(map.end);
        if at == self.src.body.len() && self.src.ends_without_newline() && ends_in_block_scalar(map) {
            // The file ends inside a block scalar with no final line break: a line break added
            // after it would become part of its value. Key order carries no meaning, so the new
            // keys go above the last entry instead, when that entry starts its own line.
            let line_start = self.src.line_start(self.src.line_of(last.key.start));
            if !self.src.body[line_start..last.key.start].trim().is_empty() {
                return Err("the file ends inside a block scalar without a final newline".into());
            }
            at = line_start;
        }
        let w = self.writer(at, self.layout(near), quoted_keys(map));
        let mut text = String::new();
        w.block_entries(&mut text, keys, indent, None);
        Ok(vec![self.insert_lines(at, text, map.depth, indent)])
    }

    /// Add items at the end of a sequence, in the style of its existing items.
    fn append_items(&self, seq: &Node, items: &[New], near: &[&Node]) -> Result<Vec<Edit>, String> {
        self.editable(seq, "the sequence")?;
        let existing = seq.items().unwrap_or_default();
        if existing.iter().any(|n| matches!(n.kind, Kind::Alias(_))) {
            return Err("the sequence holds an alias".into());
        }
        if seq.is_flow() {
            let w = self.writer(seq.end, self.layout(near), self.quote_for(seq));
            return self.flow_insert(seq, items.iter().map(|v| w.flow(v)).collect());
        }
        let mut layout = self.layout(near);
        if let Some((offset, alone)) = self.item_layout(seq) {
            layout.item_offset = offset;
            layout.dash_alone = alone;
        }
        layout.flow_items = existing.last().is_some_and(|n| n.entries().is_some() && n.is_flow());
        let quote = existing.last().is_some_and(quoted_keys);
        let at = self.after_line(seq.end);
        if at == self.src.body.len() && self.src.ends_without_newline() && ends_in_block_scalar(seq) {
            return Err("the file ends inside a block scalar without a final newline".into());
        }
        let w = self.writer(at, layout, quote);
        let mut text = String::new();
        let dash = self.src.column(seq.start);
        w.block_items(&mut text, items, dash);
        Ok(vec![self.insert_lines(at, text, seq.depth, dash)])
    }

    /// Give a key whose value is null (`key:`, `key: ~`, `key: null`) a new value.
    fn set_null(&self, parent: &Node, e: &Entry, value: &New, near: &[&Node]) -> Result<Vec<Edit>, String> {
        let v = &e.value;
        self.editable(v, "the null value")?;
        let body = self.src.body;
        if parent.is_flow() {
            if v.start == v.end {
                return Err("an empty value in a flow mapping cannot be replaced exactly".into());
            }
            let w = self.writer(v.start, self.layout(near), self.quote_for(parent));
            return Ok(vec![Edit::replacement(v.start, v.end, w.flow(value), v.depth)]);
        }
        let after_key = &body[e.key.end..];
        let colon = e.key.end + after_key.len() - after_key.trim_start_matches([' ', '\t']).len();
        if body.as_bytes().get(colon) != Some(&b':') {
            return Err("cannot find the `:` after the key".into());
        }
        let mut edits = Vec::new();
        let mut last = colon + 1;
        if v.end > v.start {
            if !body[colon + 1..v.start].chars().all(|c| c == ' ' || c == '\t') {
                return Err("the null value is not on its key's line".into());
            }
            edits.push(Edit::deletion(colon + 1, v.end, v.depth));
            last = v.end;
        }
        let at = self.after_line(last);
        let layout = self.layout(near);
        let w = self.writer(at, layout, quoted_keys(parent));
        let key_col = self.key_col(&e.key);
        let mut text = String::new();
        let indent = match value {
            New::Map(_) => key_col + layout.map_step,
            New::Seq(_) => key_col + layout.seq_offset,
            _ => return Err("internal: a scalar replacement for a null".into()),
        };
        match value {
            New::Map(entries) => w.block_entries(&mut text, entries, indent, None),
            New::Seq(items) => w.block_items(&mut text, items, indent),
            _ => {}
        }
        edits.push(self.insert_lines(at, text, v.depth, indent));
        Ok(edits)
    }

    /// Add comma-separated pieces at the end of a flow mapping or sequence. On one line they
    /// follow the last entry; in a multi-line collection each goes on its own line at the last
    /// entry's column, below a comment that ends the last entry's line. A trailing comma is kept.
    fn flow_insert(&self, node: &Node, pieces: Vec<String>) -> Result<Vec<Edit>, String> {
        let body = self.src.body;
        // A single `key: value` pair inside a flow sequence is a mapping without braces.
        if !matches!(body.as_bytes().get(node.start), Some(b'{' | b'[')) {
            return Err("a single-pair mapping inside a flow sequence has no braces to extend".into());
        }
        let close = node.end.checked_sub(1).filter(|&i| matches!(body.as_bytes()[i], b'}' | b']'));
        let close = close.ok_or("cannot find the end of the flow collection")?;
        let last = match &node.kind {
            Kind::Map { entries, .. } => match entries.last() {
                Some(l) if l.value.end == l.value.start => {
                    return Err("the flow mapping ends with an empty value; cannot place a new entry after it".into());
                }
                _ => entries.first().zip(entries.last()).map(|(f, l)| (f.key.start, l.key.start, l.value.end)),
            },
            Kind::Seq { items, .. } => items.first().zip(items.last()).map(|(f, l)| (f.start, l.start, l.end)),
            _ => return Err("not a collection".into()),
        };
        let Some((first, last_start, last_end)) = last else {
            return Ok(vec![Edit::insertion(node.start + 1, pieces.join(", "), node.depth)]);
        };
        if last_end > close {
            return Err("cannot find the end of the flow collection".into());
        }
        let comma = code_comma(&body[last_end..close]).map(|i| last_end + i);
        let after = comma.map_or(last_end, |c| c + 1);
        if self.src.line_of(first) == self.src.line_of(node.start) {
            let text: String = match comma {
                Some(_) => pieces.iter().map(|p| format!(" {p},")).collect(),
                None => pieces.iter().map(|p| format!(", {p}")).collect(),
            };
            return Ok(vec![Edit::insertion(after, text, node.depth)]);
        }
        let eol = self.src.eol_at(self.src.next_line_start(last_end));
        let indent = " ".repeat(self.src.column(last_start));
        let line_end = self.src.next_line_start(after).min(close);
        if !body[after..line_end].trim_start().starts_with('#') {
            let text: String = match comma {
                Some(_) => pieces.iter().map(|p| format!("{eol}{indent}{p},")).collect(),
                None => pieces.iter().map(|p| format!(",{eol}{indent}{p}")).collect(),
            };
            return Ok(vec![Edit::insertion(after, text, node.depth)]);
        }
        // `last: 1  # comment`: the comma goes before the comment, the new entries below it.
        let mut edits = Vec::new();
        if comma.is_none() {
            edits.push(Edit::insertion(last_end, ",".into(), node.depth));
        }
        let n = pieces.len();
        let text: String = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{indent}{p}{}{eol}", if comma.is_some() || i + 1 < n { "," } else { "" }))
            .collect();
        edits.push(Edit::insertion(self.src.next_line_start(after), text, node.depth));
        Ok(edits)
    }
}

/// Offset of the first comma in `text` (between a flow collection's last entry and its
/// closing bracket) that is not inside a comment.
fn code_comma(text: &str) -> Option<usize> {
    let mut in_comment = false;
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '\n' => in_comment = false,
            '#' if prev.is_whitespace() => in_comment = true,
            ',' if !in_comment => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(volume_base_name("/tmp"), "tmp");
        assert_eq!(volume_base_name("/var/log/app"), "app-logs");
        assert_eq!(volume_base_name("/var/log/My_App/"), "my-app-logs");
        assert_eq!(volume_base_name("/data//cache"), "data-cache");
        assert_eq!(volume_base_name("/"), "root");
        assert!(volume_base_name(&"/x".repeat(100)).len() <= 56);
    }
}
