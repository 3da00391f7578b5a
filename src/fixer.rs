//! The per-file pipeline: decode, load, find pod specs, classify, plan, apply, verify.

use std::fmt;

use crate::edit::{self, Edit};
use crate::plan::{self, Op};
use crate::policy::{Policy, Status};
use crate::source::{Pos, Source};
use crate::tree::{self, Kind, Node, SyntaxError};
use crate::verify;
use crate::workload;

/// What to fix and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub policy: Policy,
    /// Paths that get a writable `emptyDir` in every container made read-only.
    pub writable_paths: Vec<String>,
    /// More writable paths for containers whose image matches a glob (see `policy::image_matches`).
    pub image_paths: Vec<(String, Vec<String>)>,
    /// `sizeLimit` and `medium` of the added `emptyDir` volumes, when set.
    pub size_limit: Option<String>,
    pub medium: Option<String>,
}

pub const DEFAULT_LOG_DIR: &str = "/var/log/app";

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: Policy::default(),
            writable_paths: vec!["/tmp".into(), DEFAULT_LOG_DIR.into()],
            image_paths: Vec::new(),
            size_limit: None,
            medium: None,
        }
    }
}

/// One container, as found and (when fixable) as it would be fixed.
#[derive(Debug, Clone)]
pub struct Finding {
    pub doc: usize,
    /// Index of the workload (pod spec) in the file; findings of one workload are adjacent.
    pub workload: usize,
    pub pos: Pos,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    pub list: &'static str,
    pub container: String,
    pub status: Status,
    /// The edits that fix this container (pod-level volume edits go with the pod's first fixed
    /// container).
    pub edits: Vec<FixEdit>,
}

/// One edit as reported: `length` bytes at `offset` in the file (BOM included) are replaced by
/// `text`; `start`/`end` are the same range as line and column (end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixEdit {
    pub offset: usize,
    pub length: usize,
    pub text: String,
    pub start: Pos,
    pub end: Pos,
    /// For an insertion of whole lines at the start of line L > 1: the same change anchored on
    /// an existing line, as an insertion at the end of line L-1 (before its line break) of the
    /// line break followed by the text without its last line break. Review tools that attach
    /// suggestions to lines (reviewdog on GitHub) need this form: line L may not exist.
    pub at_line_end: Option<(usize, Pos, String)>,
}

/// The `at_line_end` form of an insertion at `at` (body offset) of `text`, when it has one.
fn at_line_end(src: &Source, bom: usize, at: usize, text: &str) -> Option<(usize, Pos, String)> {
    let body = src.body;
    let eol = if body[..at].ends_with("\r\n") { "\r\n" } else { "\n" };
    if at == 0 || !body[..at].ends_with('\n') || !text.ends_with(eol) {
        return None;
    }
    let end = at - eol.len();
    Some((end + bom, src.pos(end), format!("{eol}{}", &text[..text.len() - eol.len()])))
}

/// A workload whose containers cannot be read exactly.
#[derive(Debug, Clone)]
pub struct Unreachable {
    pub pos: Pos,
    pub kind: String,
    pub name: String,
    pub reason: String,
}

/// Everything learnt about one file.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub unreachable: Vec<Unreachable>,
    /// The fixed file, when anything changed.
    pub fixed: Option<Vec<u8>>,
    /// Why the file was not looked at (a template that is not YAML yet).
    pub skipped: Option<String>,
    /// `resources`, `bases` and `components` of Kustomization documents, with the document's
    /// position (the run checks whether each is within reach).
    pub resources: Vec<(Pos, String)>,
}

/// A file that cannot be handled; nothing is written for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    Encoding {
        pos: Pos,
        utf16: bool,
        lone_cr: bool,
    },
    /// No YAML content: empty, only comments, only document markers.
    Empty,
    Syntax(SyntaxError),
    /// The patched text did not re-read as intended (a kube-rofs bug; nothing is written).
    Verify {
        doc: usize,
        message: String,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Encoding { pos, utf16: true, .. } => {
                write!(f, "{pos}: error: file is UTF-16 (byte-order mark); YAML manifests must be UTF-8")
            }
            FileError::Encoding { pos, lone_cr: true, .. } => {
                write!(
                    f,
                    "{pos}: error: line break `\\r` without `\\n` (classic Mac OS); convert line endings to LF or CRLF"
                )
            }
            FileError::Encoding { pos, .. } => write!(f, "{pos}: error: invalid UTF-8"),
            FileError::Empty => {
                write!(f, "error: no YAML content (the file is empty, or has only comments or document markers)")
            }
            FileError::Syntax(e) => write!(f, "{}: error: invalid YAML: {}", e.pos, e.message),
            FileError::Verify { doc, message } => {
                write!(f, "document {}: error: verification failed, file left unchanged: {message}", doc + 1)
            }
        }
    }
}

impl std::error::Error for FileError {}

const TEMPLATE_HINT: &str = "Go/Helm template, not YAML until rendered; audit the rendered output instead, e.g. `helm template . | kube-rofs check -`";

/// Run the whole pipeline on one file's bytes. Never writes anything.
pub fn process(bytes: &[u8], opts: &Options) -> Result<Outcome, FileError> {
    pipeline(bytes, opts, Target::Workloads)
}

/// The pipeline for a Helm chart's values file: every `securityContext` /
/// `containerSecurityContext` mapping gets `readOnlyRootFilesystem: true` (`--helm-values`).
pub fn process_helm_values(bytes: &[u8], opts: &Options) -> Result<Outcome, FileError> {
    pipeline(bytes, opts, Target::HelmValues)
}

enum Target {
    Workloads,
    HelmValues,
}

/// Edits planned so far, each with the index of the finding it fixes, and their meaning.
#[derive(Default)]
struct Pending {
    out: Outcome,
    planned: Vec<(usize, Edit)>,
    ops: Vec<(usize, Op)>,
}

fn pipeline(bytes: &[u8], opts: &Options, target: Target) -> Result<Outcome, FileError> {
    let src =
        Source::decode(bytes).map_err(|e| FileError::Encoding { pos: e.pos, utf16: e.utf16, lone_cr: e.lone_cr })?;
    let templated = src.body.contains("{{");
    let tree = match tree::parse(&src) {
        Ok(t) => t,
        Err(_) if templated => {
            return Ok(Outcome { skipped: Some(TEMPLATE_HINT.into()), ..Outcome::default() });
        }
        Err(e) => return Err(FileError::Syntax(e)),
    };
    if templated && tree.docs.iter().filter_map(|d| d.root.as_ref()).any(|r| has_template_braces(&src, r)) {
        return Ok(Outcome { skipped: Some(TEMPLATE_HINT.into()), ..Outcome::default() });
    }
    if tree.docs.iter().all(|d| d.root.as_ref().is_none_or(|r| r.is_null() && r.start == r.end)) {
        return Err(FileError::Empty);
    }
    let mut pending = Pending::default();
    match target {
        Target::Workloads => plan_workloads(&src, &tree, opts, &mut pending),
        Target::HelmValues => plan_values(&src, &tree, &mut pending),
    }
    finish(&src, &tree, pending)
}

fn plan_workloads(src: &Source, tree: &tree::Tree, opts: &Options, pending: &mut Pending) {
    let out = &mut pending.out;
    for d in &tree.docs {
        if let Some(root) = &d.root {
            out.resources
                .extend(crate::charts::kustomize_resources(root).into_iter().map(|r| (src.pos(root.start), r)));
        }
    }
    for (w, pod) in workload::find(tree).into_iter().enumerate() {
        if let Some(reason) = &pod.unreachable {
            let pos = src.pos(pod.object.start);
            out.unreachable.push(Unreachable {
                pos,
                kind: pod.kind.clone(),
                name: pod.name.clone(),
                reason: reason.clone(),
            });
        }
        let first = out.findings.len();
        let mut fixable = Vec::new();
        for (i, c) in pod.containers.iter().enumerate() {
            let status = opts.policy.classify(&tree.docs[pod.doc], &pod, c);
            if status == Status::Writable {
                fixable.push(i);
            }
            out.findings.push(Finding {
                doc: pod.doc,
                workload: w,
                pos: src.pos(c.node.start),
                kind: pod.kind.clone(),
                name: pod.name.clone(),
                namespace: pod.namespace.clone(),
                list: c.list,
                container: c.name.clone(),
                status,
                edits: Vec::new(),
            });
        }
        if fixable.is_empty() {
            continue;
        }
        let pod_plan = plan::plan_pod(src, &tree.docs[pod.doc], &pod, &fixable, opts);
        let mut pod_edits = Some(pod_plan.pod);
        for (&i, result) in fixable.iter().zip(pod_plan.containers) {
            match result {
                Ok(mut change) => {
                    if let Some(p) = pod_edits.take() {
                        change.edits.extend(p.edits);
                        change.ops.extend(p.ops);
                    }
                    pending.ops.extend(change.ops.into_iter().map(|op| (pod.doc, op)));
                    pending.planned.extend(change.edits.into_iter().map(|e| (first + i, e)));
                }
                Err(reason) => out.findings[first + i].status = Status::Refused(reason),
            }
        }
    }
}

fn plan_values(src: &Source, tree: &tree::Tree, pending: &mut Pending) {
    for (doc, d) in tree.docs.iter().enumerate() {
        let Some(root) = &d.root else { continue };
        let mut found = Vec::new();
        crate::charts::values_security_contexts(root, &Vec::new(), &mut found);
        for (name, path, map) in found {
            let status = match map.get("readOnlyRootFilesystem").and_then(Node::as_str) {
                Some("true") => Status::ReadOnly,
                Some("false") => Status::ExplicitFalse,
                _ => Status::Writable,
            };
            let index = pending.out.findings.len();
            let key = match path.last() {
                Some(workload::Seg::Key(k)) => k.clone(),
                _ => String::new(),
            };
            let mut finding = Finding {
                doc,
                workload: index,
                pos: src.pos(map.start),
                kind: "HelmValues".into(),
                name,
                namespace: None,
                list: "containers",
                container: key,
                status,
                edits: Vec::new(),
            };
            if finding.status == Status::Writable {
                match plan::plan_set_true(src, d, map, path) {
                    Ok(change) => {
                        pending.ops.extend(change.ops.into_iter().map(|op| (doc, op)));
                        pending.planned.extend(change.edits.into_iter().map(|e| (index, e)));
                    }
                    Err(reason) => finding.status = Status::Refused(reason),
                }
            }
            pending.out.findings.push(finding);
        }
    }
}

/// Apply, verify, and report the edits located in the file.
fn finish(src: &Source, tree: &tree::Tree, pending: Pending) -> Result<Outcome, FileError> {
    let Pending { mut out, mut planned, ops } = pending;
    if planned.is_empty() {
        return Ok(out);
    }
    let all_edits: Vec<Edit> = planned.iter().map(|(_, e)| e.clone()).collect();
    let patched = edit::apply(src.body, &all_edits)
        .map_err(|o| FileError::Verify { doc: 0, message: format!("overlapping edits at byte {}", o.at) })?;
    match verify::verify_documents(src.body, &patched, &tree.docs, &all_edits, &ops) {
        Ok(()) => {}
        Err(verify::Failure::Unverifiable(why)) => {
            refuse_all(&mut out, &why);
            return Ok(out);
        }
        Err(verify::Failure::Mismatch(doc, message)) => return Err(FileError::Verify { doc, message }),
    }
    // Insertions at one offset become one edit, so a consumer applying the reported edits in
    // offset order cannot put them in the wrong order.
    planned.sort_by_key(|(_, e)| edit::order(e));
    let mut merged: Vec<(usize, Edit)> = Vec::new();
    for (owner, e) in planned {
        match merged.last_mut() {
            Some((_, last)) if last.start == last.end && e.start == e.end && last.start == e.start => {
                last.text.push_str(&e.text);
            }
            _ => merged.push((owner, e)),
        }
    }
    let bom = src.bom.len();
    for (owner, e) in merged {
        let line_end = if e.start == e.end { at_line_end(src, bom, e.start, &e.text) } else { None };
        let located = FixEdit {
            offset: e.start + bom,
            length: e.end - e.start,
            start: src.pos(e.start),
            end: src.pos(e.end),
            text: e.text,
            at_line_end: line_end,
        };
        out.findings[owner].edits.push(located);
    }
    let mut fixed = Vec::with_capacity(bom + patched.len());
    fixed.extend_from_slice(src.bom.as_bytes());
    fixed.extend_from_slice(patched.as_bytes());
    out.fixed = Some(fixed);
    Ok(out)
}

fn refuse_all(out: &mut Outcome, why: &str) {
    for f in &mut out.findings {
        if f.status == Status::Writable {
            f.status = Status::Refused(why.to_owned());
        }
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
