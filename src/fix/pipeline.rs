//! The per-file pipeline: decode, then document by document load, find pod specs, classify,
//! plan and verify; at the end apply every fix. Only one document's tree is held at a time.

use std::path::Path;
use std::sync::Arc;

use super::model::{Fix, Need};
use super::options::Options;
use super::outcome::{FileError, Finding, NotChecked, Omitted, Outcome};
use super::plan;
use super::plan::needs::needs;
use super::plan::pod::{Target, plan_pod, plan_set_true};
use super::plan::text::Planner;
use super::verify::{self, Failure};
use crate::fs::project;
use crate::k8s::charts;
use crate::k8s::status::{Refusal, Status};
use crate::k8s::workload;
use crate::yaml::edit;
use crate::yaml::path::Seg;
use crate::yaml::source::Source;
use crate::yaml::tree::{self, Document, ItemsApart, Kind, ListItem, Node, Part};

/// Why a file with Go template actions is skipped: the command that renders it when it is part
/// of a Helm chart, else only that it must be rendered first.
fn template_hint(path: Option<&Path>) -> String {
    match path.and_then(project::chart_of) {
        Some(chart) => format!(
            "Go/Helm template, not YAML until rendered; audit the rendered chart instead: helm template {} | kube-rofs check -",
            project::shown_dir(&chart)
        ),
        None => "Go template (`{{ ... }}`), not YAML until rendered; audit the rendered output instead".to_owned(),
    }
}

/// Everything kube-rofs learns about one file, exactly as the command line sees it: a finding
/// per container, a fix per pod spec, and the fixed bytes. `path` (when the bytes come from a
/// file) tells a Helm chart's templates (skipped) and values files (edited with
/// `Options::helm_values`) apart; only `Chart.yaml` next to it is looked at. Writes nothing.
pub fn analyze(path: Option<&Path>, bytes: &[u8], opts: &Options) -> Result<Outcome, FileError> {
    if let Some(why) = path.and_then(project::template_skip) {
        return Ok(Outcome { skipped: Some(why), ..Outcome::default() });
    }
    let values = opts.helm_values && path.is_some_and(project::is_values_file);
    let src =
        Source::decode(bytes).map_err(|e| FileError::Encoding { pos: e.pos, utf16: e.utf16, lone_cr: e.lone_cr })?;
    let templated = src.body.contains("{{");
    let skipped = |why: String| Ok(Outcome { skipped: Some(why), ..Outcome::default() });
    let directives = src.body.lines().any(|l| l.starts_with('%'));
    // The items of a List are read apart, so one huge document is never held whole; Helm
    // values (not workloads) and files with directives (an item cannot be read without them)
    // keep it whole, and so does a second reading when an item cannot be judged apart, so
    // reading apart never changes a result.
    let mut apart = opts.lists_apart && !values && !directives;
    let (mut pass, parsed) = loop {
        let mut pass = Pass::new(&src, opts, values, templated, directives);
        let parsed = match apart {
            true => tree::parse_each_apart(&src, |part| pass.document(part)),
            false => tree::parse_each(&src, |part| pass.document(part)),
        };
        if !pass.whole_lists {
            break (pass, parsed);
        }
        apart = false;
    };
    match parsed {
        Ok(()) => {}
        Err(_) if templated => return skipped(template_hint(path)),
        Err(e) => return Err(FileError::Syntax(e)),
    }
    if pass.template_braces {
        return skipped(template_hint(path));
    }
    if !pass.content {
        // Placeholders and kustomize stubs are common; no checker fails on them.
        return skipped("no YAML content (empty, or only comments or document markers)".to_owned());
    }
    if let Some(e) = pass.mismatch.take() {
        return Err(e);
    }
    pass.finish()
}

/// One pass over a file's documents, and what it has found so far.
struct Pass<'s, 'a> {
    src: &'s Source<'a>,
    opts: &'s Options,
    /// A Helm values file (`--helm-values`): security contexts, not workloads.
    values: bool,
    /// The text holds `{{`: a document with template braces makes the file a template.
    templated: bool,
    /// The file has `%` directives: documents cannot be verified one by one.
    directives: bool,
    out: Outcome,
    docs: usize,
    /// A document with content was seen.
    content: bool,
    template_braces: bool,
    /// A document that serde_yaml does not read alone: verify the whole file at the end.
    whole_file: bool,
    /// Documents verified on their own (their fixes' meaning is dropped once verified).
    verified_alone: Vec<usize>,
    mismatch: Option<FileError>,
    reuse: Reuse,
    /// `fix`: the fixed text so far (BOM first), built document by document, and how much of
    /// the body it covers.
    fixed: Option<String>,
    copied: usize,
    /// An item of a List cannot be judged apart from the others: read the file again, with
    /// its Lists whole.
    whole_lists: bool,
}

impl<'s, 'a> Pass<'s, 'a> {
    fn new(src: &'s Source<'a>, opts: &'s Options, values: bool, templated: bool, directives: bool) -> Self {
        Pass {
            src,
            opts,
            values,
            templated,
            directives,
            out: Outcome::default(),
            docs: 0,
            content: false,
            template_braces: false,
            whole_file: false,
            verified_alone: Vec::new(),
            mismatch: None,
            reuse: Reuse::default(),
            fixed: None,
            copied: 0,
            whole_lists: false,
        }
    }
}

/// The last value of each field that findings share. Neighbouring containers mostly repeat
/// them (the same kind, list name and needed paths), so a file of thousands of containers
/// holds each once instead of once per container.
#[derive(Default)]
struct Reuse {
    kind: Last<str>,
    namespace: Last<str>,
    list: Last<str>,
    writable: Last<[Need]>,
    omitted: Last<Omitted>,
}

struct Last<T: ?Sized>(Option<Arc<T>>);

impl<T: ?Sized> Default for Last<T> {
    fn default() -> Self {
        Last(None)
    }
}

impl<T: ?Sized + PartialEq> Last<T> {
    /// `value`, shared with the previous call's when they are equal.
    fn share<'v>(&mut self, value: &'v T) -> Arc<T>
    where
        Arc<T>: From<&'v T>,
    {
        match &self.0 {
            Some(last) if **last == *value => last.clone(),
            _ => self.0.insert(Arc::from(value)).clone(),
        }
    }
}

impl<'a> Pass<'_, 'a> {
    /// Find, classify, plan and verify one document, or one item of a `List` document handed
    /// over alone (verified alone, and its edits applied at once).
    fn document(&mut self, part: Part<'a>) {
        let Part { doc, end, comments, item, items_apart } = part;
        let k = self.docs;
        if item.is_none() {
            self.docs += 1;
        }
        let Some(root) = &doc.root else { return };
        self.content |= !(root.is_null() && root.start == root.end);
        if self.templated && has_template_braces(self.src, root) {
            self.template_braces = true;
        }
        if self.template_braces || self.mismatch.is_some() || self.whole_lists {
            return;
        }
        let src = self.src;
        if item.is_none() {
            self.out.resources.extend(charts::kustomize_resources(root).into_iter().map(|r| (src.pos(root.start), r)));
        }
        let (first_finding, first_fix) = (self.out.findings.len(), self.out.fixes.len());
        // An edit of one item could change another through an alias; serde_yaml reads no
        // document with a key twice (read whole, its containers are refused).
        let entangled = match items_apart {
            ItemsApart::No => false,
            ItemsApart::Yes => has_duplicate_keys(root),
            ItemsApart::Entangled => true,
        };
        if entangled {
            self.whole_lists = true;
            return;
        }
        let planner = Planner::new(src, &doc, &comments);
        let at = item.map_or(Vec::new(), |i| vec![Seg::Key("items".into()), Seg::Index(i.index)]);
        match self.values {
            false => self.plan_workloads(k, &doc, at, &planner),
            true => self.plan_values(k, &doc, &planner),
        }
        if self.out.fixes.len() > first_fix {
            match item {
                Some(item) => self.verify_item(k, &doc, item, end, first_finding, first_fix),
                None => self.verify_document(k, &doc, end, first_finding, first_fix),
            }
            if !self.whole_lists {
                self.apply_verified(k, first_fix);
            }
        }
    }

    /// Verify the fixes of one item of a `List` on their own, from the item's lines: the line
    /// of its `-` to the end of its last line (`end`), read by serde_yaml as a sequence of one
    /// item. In context they mean the same when every edit lies within those lines (after the
    /// `-`), every line an edit adds is indented past the `-` (so it stays within the item),
    /// and an edit at the end of the last line ends its own line; otherwise the file is read
    /// again with its Lists whole. An item serde_yaml cannot read refuses its own containers,
    /// as a document does in a file of many.
    fn verify_item(
        &mut self,
        k: usize,
        doc: &Document,
        item: ListItem,
        end: usize,
        first_finding: usize,
        first_fix: usize,
    ) {
        let body = self.src.body;
        let fixes = &self.out.fixes[first_fix..];
        let edits = || fixes.iter().flat_map(|f| &f.edits);
        let Some(dash) = item.dash else {
            self.whole_lists = true;
            return;
        };
        let start = body[..dash].rfind('\n').map_or(0, |i| i + 1);
        let column = dash - start;
        let stays_inside = |e: &edit::Edit| {
            // Every line the edit starts (its first too when it is inserted at a line start).
            let line_start = body.as_bytes()[..e.start].last().is_none_or(|&b| b == b'\n');
            e.start > dash
                && e.end <= end
                && (e.start < end || e.text.ends_with('\n'))
                && e.text.split('\n').skip(usize::from(!line_start)).all(|line| {
                    let indent = line.len() - line.trim_start_matches(' ').len();
                    line.trim().is_empty() || indent > column
                })
        };
        if !body[start..dash].bytes().all(|b| b == b' ') || !edits().all(stays_inside) {
            self.whole_lists = true;
            return;
        }
        // Within the one-item sequence, the item's paths start at its index 0.
        let ops: Vec<super::model::Op> =
            fixes.iter().flat_map(|f| &f.ops).map(|op| op.moved(2, Seg::Index(0))).collect();
        let ops: Vec<&super::model::Op> = ops.iter().collect();
        let Some(after) = self.patched(k, start, end, first_fix) else { return };
        let verified = verify::verify_item(doc, k, &body[start..end], &after, &ops);
        if self.settle(verified, first_finding, first_fix) == Some(false) {
            self.whole_lists = true;
        }
    }

    /// In `fix`, write the fixes from `first_fix` on (of document `k`) into the fixed text now, and drop their
    /// edits when nothing prints them: a large file's edits are not all kept until its end.
    fn apply_verified(&mut self, k: usize, first_fix: usize) {
        if !self.opts.fixed_text || self.mismatch.is_some() {
            return;
        }
        let (body, fixes) = (self.src.body, &mut self.out.fixes[first_fix..]);
        let fixed = self.fixed.get_or_insert_with(|| self.src.bom.to_owned());
        match edit::apply_part(fixed, body, self.copied, fixes.iter().flat_map(|f| &f.edits)) {
            Ok(pos) => self.copied = pos,
            Err(o) => {
                let message = format!("overlapping edits at byte {}", o.at);
                self.mismatch = Some(FileError::Verify { doc: k, message });
                return;
            }
        }
        if !self.opts.keep_edits {
            for fix in fixes {
                fix.edits = Vec::new();
            }
        }
    }

    fn plan_workloads(&mut self, k: usize, doc: &Document, at: crate::yaml::path::Path, planner: &Planner) {
        let (src, out) = (self.src, &mut self.out);
        let found = workload::find_in(k, doc, at, &self.opts.kinds);
        for u in found.unchecked {
            out.not_checked.push(NotChecked {
                pos: src.pos(u.object.start),
                kind: u.kind,
                name: u.name,
                reason: u.reason,
            });
        }
        let reuse = &mut self.reuse;
        for pod in found.pods {
            let workload = out.findings.last().map_or(0, |f| f.workload + 1);
            let first = out.findings.len();
            let mut targets = Vec::new();
            let kind = reuse.kind.share(&pod.kind);
            let name: Arc<str> = Arc::from(pod.name.as_str());
            let namespace = pod.namespace.as_deref().map(|n| reuse.namespace.share(n));
            for (i, c) in pod.containers.iter().enumerate() {
                let status = self.opts.policy.classify(doc, &pod, c);
                let mut finding = Finding {
                    doc: k,
                    workload,
                    pos: src.pos(c.node.start),
                    kind: kind.clone(),
                    name: name.clone(),
                    namespace: namespace.clone(),
                    list: reuse.list.share(&c.list),
                    container: c.name.as_str().into(),
                    image: c.image.as_deref().map(Box::from),
                    ..Finding::undecided(status)
                };
                if let Some(target) = target(&pod, i, &mut finding, self.opts, reuse) {
                    targets.push(target);
                }
                out.findings.push(finding);
            }
            if targets.is_empty() {
                continue;
            }
            let plan = plan_pod(planner, &pod, &targets, self.opts);
            let fix_index = out.fixes.len();
            let mut fixed_any = false;
            for (t, result) in targets.iter().zip(plan.containers) {
                let finding = &mut out.findings[first + t.index];
                match (result, t.make_read_only) {
                    (Ok(()), _) => {
                        finding.fix = Some(fix_index);
                        fixed_any = true;
                    }
                    (Err(reason), true) => finding.status = Status::Refused(Box::new(reason)),
                    (Err(reason), false) => finding.unfixed = Some(Box::new(reason)),
                }
            }
            if fixed_any {
                out.fixes.push(plan.fix);
            }
        }
    }

    fn plan_values(&mut self, k: usize, doc: &Document, planner: &Planner) {
        let Some(root) = &doc.root else { return };
        let mut found = Vec::new();
        charts::values_security_contexts(root, &Vec::new(), &mut found);
        for (name, path, map) in found {
            let status = match map.get("readOnlyRootFilesystem").and_then(Node::as_str) {
                Some("true") => Status::ReadOnly,
                Some("false") => Status::ExplicitFalse,
                _ => Status::Writable,
            };
            let container = match path.last() {
                Some(Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let mut finding = Finding {
                doc: k,
                workload: self.out.findings.len(),
                pos: self.src.pos(map.start),
                kind: self.reuse.kind.share("HelmValues"),
                name: name.into(),
                namespace: None,
                list: self.reuse.list.share("containers"),
                container: container.into(),
                ..Finding::undecided(status)
            };
            if finding.status == Status::Writable {
                match plan_set_true(planner, map, path) {
                    Ok(fix) => {
                        finding.fix = Some(self.out.fixes.len());
                        self.out.fixes.push(Fix { doc: k, ..fix });
                    }
                    Err(reason) => finding.status = Status::Refused(Box::new(reason)),
                }
            }
            self.out.findings.push(finding);
        }
    }

    /// Verify the fixes of document `k` (its text runs to `end`) on their own; an unreadable
    /// document refuses only its own containers.
    fn verify_document(&mut self, k: usize, doc: &Document, end: usize, first_finding: usize, first_fix: usize) {
        let inside =
            self.out.fixes[first_fix..].iter().flat_map(|f| &f.edits).all(|e| e.start >= doc.start && e.end <= end);
        if self.directives || !inside {
            self.whole_file = true;
            return;
        }
        let Some(after) = self.patched(k, doc.start, end, first_fix) else { return };
        let before = &self.src.body[doc.start..end];
        let ops: Vec<&super::model::Op> = self.out.fixes[first_fix..].iter().flat_map(|f| &f.ops).collect();
        let verified = verify::verify_document(doc, k, before, &after, &ops);
        match self.settle(verified, first_finding, first_fix) {
            Some(true) => self.verified_alone.push(k),
            Some(false) => self.whole_file = true,
            None => {}
        }
    }

    /// `body[from..to]` with the edits of the fixes from `first_fix` on (all within it) applied;
    /// None, the file failing, when they overlap.
    fn patched(&mut self, k: usize, from: usize, to: usize, first_fix: usize) -> Option<String> {
        let edits: Vec<edit::Edit> = self.out.fixes[first_fix..]
            .iter()
            .flat_map(|f| &f.edits)
            .map(|e| edit::Edit { start: e.start - from, end: e.end - from, ..e.clone() })
            .collect();
        match edit::apply(&self.src.body[from..to], &edits) {
            Ok(after) => Some(after),
            Err(o) => {
                let message = format!("overlapping edits at byte {}", o.at + from);
                self.mismatch = Some(FileError::Verify { doc: k, message });
                None
            }
        }
    }

    /// Act on the verification of the fixes from `first_fix` on. Verified (`Some(true)`): their
    /// intended meaning is not needed again (on a large file it outweighs the edits). Not
    /// verifiable alone: `Some(false)`. Unreadable: their containers are refused; a mismatch
    /// fails the file.
    fn settle(&mut self, verified: Result<bool, Failure>, first_finding: usize, first_fix: usize) -> Option<bool> {
        match verified {
            Ok(true) => {
                for fix in &mut self.out.fixes[first_fix..] {
                    fix.ops = Vec::new();
                }
                Some(true)
            }
            Ok(false) => Some(false),
            Err(Failure::Unverifiable(why)) => {
                self.refuse_from(first_finding, first_fix, &Refusal::Unverifiable(why));
                None
            }
            Err(Failure::Mismatch(doc, message)) => {
                self.mismatch = Some(FileError::Verify { doc, message });
                None
            }
        }
    }

    /// Refuse the fixable containers from `first_finding` on, and drop their fixes.
    fn refuse_from(&mut self, first_finding: usize, first_fix: usize, why: &Refusal) {
        self.out.fixes.truncate(first_fix);
        for f in &mut self.out.findings[first_finding..] {
            if f.status == Status::Writable {
                f.status = Status::Refused(Box::new(why.clone()));
                f.fix = None;
            }
        }
    }

    /// Apply every fix, verify the whole file when documents could not be verified alone, and
    /// move the fixes to file offsets.
    fn finish(mut self) -> Result<Outcome, FileError> {
        let (src, mut out) = (self.src, std::mem::take(&mut self.out));
        // Grown by doubling while the documents were read; a large file's report is kept until
        // it is printed.
        out.findings.shrink_to_fit();
        out.fixes.shrink_to_fit();
        if out.fixes.is_empty() {
            return Ok(out);
        }
        // The fixed file is built once, BOM first: in `fix` document by document (the rest
        // is copied now), else only when the file must be verified as a whole.
        let bom = src.bom.len();
        let mut fixed = self.fixed.take().unwrap_or_default();
        if self.opts.fixed_text {
            fixed.push_str(&src.body[self.copied..]);
        } else if self.whole_file {
            fixed.push_str(src.bom);
            edit::apply_into(&mut fixed, src.body, out.fixes.iter().flat_map(|f| &f.edits))
                .map_err(|o| FileError::Verify { doc: 0, message: format!("overlapping edits at byte {}", o.at) })?;
        }
        if self.whole_file {
            let patched = &fixed[bom..];
            let ops: Vec<(usize, &super::model::Op)> =
                out.fixes.iter().flat_map(|f| f.ops.iter().map(move |op| (f.doc, op))).collect();
            let alone = &self.verified_alone;
            match verify::verify_file(src.body, patched, self.docs, &ops, &|k| alone.binary_search(&k).is_ok()) {
                Ok(()) => {}
                Err(Failure::Unverifiable(why)) => {
                    out.refuse_all(&Refusal::Unverifiable(why));
                    return Ok(out);
                }
                Err(Failure::Mismatch(doc, message)) => return Err(FileError::Verify { doc, message }),
            }
        }
        for fix in &mut out.fixes {
            let edits = std::mem::take(&mut fix.edits);
            if self.opts.keep_edits {
                fix.edits = edit::merge(edits)
                    .into_iter()
                    .map(|e| edit::Edit { start: e.start + bom, end: e.end + bom, depth: 0, ..e })
                    .collect();
            }
        }
        out.fixed = self.opts.fixed_text.then(|| fixed.into_bytes());
        Ok(out)
    }
}

/// What the fix of container `i` is to do, if anything: make a writable container read-only
/// with what it needs, or give a read-only one what it lacks. Records the decision in `finding`.
fn target(
    pod: &workload::PodSpec,
    i: usize,
    finding: &mut Finding,
    opts: &Options,
    reuse: &mut Reuse,
) -> Option<Target> {
    let c = &pod.containers[i];
    let make_read_only = match finding.status {
        Status::Writable => true,
        Status::ReadOnly => false,
        _ => return None,
    };
    let needs = needs(c, opts, !make_read_only);
    let missing = match plan::pod::missing(pod, c, &needs) {
        Ok(m) => m,
        Err(reason) if make_read_only => {
            finding.status = Status::Refused(Box::new(reason));
            return None;
        }
        Err(reason) => {
            finding.unfixed = Some(Box::new(reason));
            Vec::new()
        }
    };
    let is_missing = |n: &Need| missing.iter().any(|m| std::ptr::eq(*m, n));
    let writable: Vec<Need> = needs.paths.iter().map(|n| Need { missing: is_missing(n), ..n.clone() }).collect();
    finding.writable = reuse.writable.share(&writable);
    finding.omitted = reuse.omitted.share(&needs.omitted);
    finding.profile = needs.profile.clone();
    finding.unknown_image = needs.unknown;
    (make_read_only || finding.lacks_paths()).then_some(Target { index: i, needs, make_read_only })
}

/// A mapping in `node` (a List's items handed over apart are placeholders) with a scalar key
/// twice: serde_yaml reads no document holding it.
fn has_duplicate_keys(node: &Node) -> bool {
    match &node.kind {
        Kind::Map { entries, .. } => {
            let keys: Vec<&str> = entries.iter().filter_map(|e| e.key.as_str()).collect();
            keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k))
                || entries.iter().any(|e| has_duplicate_keys(&e.value))
        }
        Kind::Seq { items, .. } => items.iter().any(has_duplicate_keys),
        _ => false,
    }
}

/// Go template actions like `{{ .Values.x }}` that happen to parse as nested flow mappings.
fn has_template_braces(src: &Source, node: &Node) -> bool {
    match &node.kind {
        Kind::Map { flow: true, .. } if src.body[node.start..].starts_with("{{") => true,
        Kind::Map { entries, .. } => {
            entries.iter().any(|e| has_template_braces(src, &e.key) || has_template_braces(src, &e.value))
        }
        Kind::Seq { items, .. } => items.iter().any(|n| has_template_braces(src, n)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` is read with its List items apart (no second reading), and how many
    /// items were handed over apart.
    fn read_apart(text: &str) -> (bool, usize) {
        let src = Source::decode(text.as_bytes()).unwrap();
        let opts = Options::default();
        let mut pass = Pass::new(&src, &opts, false, false, false);
        let mut items = 0;
        tree::parse_each_apart(&src, |part| {
            items += usize::from(part.item.is_some());
            pass.document(part)
        })
        .unwrap();
        (!pass.whole_lists, items)
    }

    const ITEM: &str = "  - apiVersion: v1\n    kind: Pod\n    metadata: {name: p}\n    spec:\n      containers:\n        - name: app\n          image: x # pinned\n          # later\n# at column 0\n";

    #[test]
    fn list_items_are_read_apart_unless_they_cannot_be_judged_apart() {
        let list = format!("apiVersion: v1\nkind: List\nitems:\n{ITEM}{ITEM}  # between\n{ITEM}metadata: {{}}\n");
        assert_eq!(read_apart(&list), (true, 3));
        assert_eq!(read_apart(&list.replace("\n", "\r\n")), (true, 3));
        let flow =
            "kind: PodList\nitems:\n- {kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: x}]}}\n";
        assert_eq!(read_apart(flow), (true, 1));
        // Not a List until `kind` says so: the items stay in place.
        assert_eq!(read_apart(&list.replacen("kind: List\n", "", 1)).1, 0);
        let later = list.replacen("  - apiVersion: v1\n", "  -\n    apiVersion: v1\n", 1);
        assert_eq!(read_apart(&later), (true, 3));
        let tagged = list.replacen("  - apiVersion: v1\n", "  - !!map\n    apiVersion: v1\n", 1);
        assert_eq!(read_apart(&tagged), (true, 3));
        // Read again whole: an anchor between an item and its dash, an alias after the first
        // item, a key twice outside the items.
        let anchored = list.replacen("  - apiVersion: v1\n", "  - &first\n    apiVersion: v1\n", 1);
        assert!(!read_apart(&anchored).0);
        let alias = list.replacen("name: app\n", "name: &n app\n", 1).replacen("image: x", "image: *n", 2);
        assert!(!read_apart(&alias).0);
        let twice = format!("{list}items: []\n");
        assert!(!read_apart(&twice).0);
    }
}
