//! The per-file pipeline: decode, load, find pod specs, classify, plan, apply, verify.

use std::path::Path;

use super::model::Fix;
use super::options::Options;
use super::outcome::{FileError, Finding, NotChecked, Outcome};
use super::plan::pod::{plan_pod, plan_set_true};
use super::plan::text::Planner;
use super::verify;
use crate::fs::project;
use crate::k8s::charts;
use crate::k8s::status::{Refusal, Status};
use crate::k8s::workload;
use crate::yaml::edit;
use crate::yaml::path::Seg;
use crate::yaml::source::Source;
use crate::yaml::tree::{self, Kind, Node, Tree};

const TEMPLATE_HINT: &str = "Go/Helm template, not YAML until rendered; audit the rendered output instead, e.g. `helm template . | kube-rofs check -`";

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
    let tree = match tree::parse(&src) {
        Ok(t) => t,
        Err(_) if templated => return Ok(Outcome { skipped: Some(TEMPLATE_HINT.into()), ..Outcome::default() }),
        Err(e) => return Err(FileError::Syntax(e)),
    };
    if templated && tree.docs.iter().filter_map(|d| d.root.as_ref()).any(|r| has_template_braces(&src, r)) {
        return Ok(Outcome { skipped: Some(TEMPLATE_HINT.into()), ..Outcome::default() });
    }
    if tree.docs.iter().all(|d| d.root.as_ref().is_none_or(|r| r.is_null() && r.start == r.end)) {
        return Err(FileError::Empty);
    }
    let mut out = Outcome::default();
    match values {
        false => plan_workloads(&src, &tree, opts, &mut out),
        true => plan_values(&src, &tree, &mut out),
    }
    finish(&src, &tree, out)
}

fn plan_workloads(src: &Source, tree: &Tree, opts: &Options, out: &mut Outcome) {
    for d in &tree.docs {
        if let Some(root) = &d.root {
            out.resources.extend(charts::kustomize_resources(root).into_iter().map(|r| (src.pos(root.start), r)));
        }
    }
    let found = workload::find(tree, &opts.kinds);
    for u in found.unchecked {
        out.not_checked.push(NotChecked { pos: src.pos(u.object.start), kind: u.kind, name: u.name, reason: u.reason });
    }
    for (w, pod) in found.pods.into_iter().enumerate() {
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
                list: c.list.clone(),
                container: c.name.clone(),
                image: c.image.clone(),
                status,
                fix: None,
            });
        }
        if fixable.is_empty() {
            continue;
        }
        let planner = Planner::new(src, &tree.docs[pod.doc], &tree.comments);
        let plan = plan_pod(&planner, &pod, &fixable, opts);
        let fix_index = out.fixes.len();
        let mut fixed_any = false;
        for (&i, result) in fixable.iter().zip(plan.containers) {
            match result {
                Ok(()) => {
                    out.findings[first + i].fix = Some(fix_index);
                    fixed_any = true;
                }
                Err(reason) => out.findings[first + i].status = Status::Refused(reason),
            }
        }
        if fixed_any {
            out.fixes.push(plan.fix);
        }
    }
}

fn plan_values(src: &Source, tree: &Tree, out: &mut Outcome) {
    for (doc, d) in tree.docs.iter().enumerate() {
        let Some(root) = &d.root else { continue };
        let mut found = Vec::new();
        charts::values_security_contexts(root, &Vec::new(), &mut found);
        let planner = Planner::new(src, d, &tree.comments);
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
                doc,
                workload: out.findings.len(),
                pos: src.pos(map.start),
                kind: "HelmValues".into(),
                name,
                namespace: None,
                list: "containers".into(),
                container,
                image: None,
                status,
                fix: None,
            };
            if finding.status == Status::Writable {
                match plan_set_true(&planner, map, path) {
                    Ok(fix) => {
                        finding.fix = Some(out.fixes.len());
                        out.fixes.push(Fix { doc, ..fix });
                    }
                    Err(reason) => finding.status = Status::Refused(reason),
                }
            }
            out.findings.push(finding);
        }
    }
}

/// Apply every fix, verify the result, and move the fixes to file offsets.
fn finish(src: &Source, tree: &Tree, mut out: Outcome) -> Result<Outcome, FileError> {
    if out.fixes.is_empty() {
        return Ok(out);
    }
    let all: Vec<edit::Edit> = out.fixes.iter().flat_map(|f| f.edits.iter().cloned()).collect();
    let patched = edit::apply(src.body, &all)
        .map_err(|o| FileError::Verify { doc: 0, message: format!("overlapping edits at byte {}", o.at) })?;
    match verify::verify_documents(src.body, &patched, &tree.docs, &out.fixes) {
        Ok(()) => {}
        Err(verify::Failure::Unverifiable(why)) => {
            out.refuse_all(&Refusal::Unverifiable(why));
            return Ok(out);
        }
        Err(verify::Failure::Mismatch(doc, message)) => return Err(FileError::Verify { doc, message }),
    }
    let bom = src.bom.len();
    for fix in &mut out.fixes {
        fix.edits = edit::merge(std::mem::take(&mut fix.edits))
            .into_iter()
            .map(|e| edit::Edit { start: e.start + bom, end: e.end + bom, depth: 0, ..e })
            .collect();
    }
    let mut fixed = Vec::with_capacity(bom + patched.len());
    fixed.extend_from_slice(src.bom.as_bytes());
    fixed.extend_from_slice(patched.as_bytes());
    out.fixed = Some(fixed);
    Ok(out)
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
