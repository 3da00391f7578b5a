//! JSON output: one versioned object with the summary, every container and every edit.

use std::io::{self, Write};

use serde::Serialize;

use super::rule;
use crate::fixer::{Finding, FixEdit};
use crate::policy::{Skip, Status};
use crate::run::{Mode, Report, Verdict};
use crate::source::Pos;

/// Bumped on any incompatible change of this object's shape.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    command: &'static str,
    check: Check,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Check {
    id: &'static str,
    title: &'static str,
    severity: &'static str,
    help_uri: &'static str,
    references: Vec<Reference>,
}

#[derive(Serialize)]
struct Reference {
    id: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    files_changed: usize,
    files_skipped: usize,
    errors: usize,
    /// Y: containers counted (read-only + writable).
    containers: usize,
    /// X: read-only containers.
    read_only: usize,
    writable: usize,
    fixable: usize,
    refused: usize,
    not_applicable: usize,
    explicit_false: usize,
    ratio: Option<f64>,
    threshold: f64,
    verdict: &'static str,
}

#[derive(Serialize)]
pub struct JsonPos {
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// 1-based, in UTF-8 bytes.
    pub byte_column: usize,
}

impl From<Pos> for JsonPos {
    fn from(p: Pos) -> Self {
        JsonPos { line: p.line, column: p.col, byte_column: p.byte_col }
    }
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    /// Byte offset in the file (a BOM included).
    offset: usize,
    /// Bytes replaced; 0 for an insertion.
    length: usize,
    text: &'a str,
    start: JsonPos,
    /// Exclusive.
    end: JsonPos,
}

#[derive(Serialize)]
struct Annotation<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    container: &'a str,
    container_list: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<Annotation<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: &'a str,
    /// `error`, `skipped` or `not-checked` (a workload whose pod template is an alias).
    status: &'static str,
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

fn status(mode: Mode, f: &Finding, written: bool) -> &'static str {
    match f.status {
        Status::ReadOnly => "read-only",
        Status::Writable if mode == Mode::Fix && written => "fixed",
        Status::Writable => "would-fix",
        Status::ExplicitFalse => "explicit-false",
        Status::NotApplicable(_) => "not-applicable",
        Status::Refused(_) => "refused",
    }
}

fn edit(e: &FixEdit) -> JsonEdit<'_> {
    JsonEdit { offset: e.offset, length: e.length, text: &e.text, start: e.start.into(), end: e.end.into() }
}

pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass(_) => "pass",
        Verdict::Fail(_) => "fail",
        Verdict::NotApplicable => "n/a",
    }
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let t = &report.tally;
    let mut findings = Vec::new();
    let mut files = Vec::new();
    for file in &report.files {
        let o = match &file.result {
            Ok(o) => o,
            Err(fail) => {
                let (line, column) = (fail.pos.map(|p| p.line), fail.pos.map(|p| p.col));
                files.push(JsonFile { file: &file.path, status: "error", message: fail.message.clone(), line, column });
                continue;
            }
        };
        if let Some(e) = &file.write_error {
            files.push(JsonFile { file: &file.path, status: "error", message: e.clone(), line: None, column: None });
        }
        if let Some(why) = &o.skipped {
            files.push(JsonFile {
                file: &file.path,
                status: "skipped",
                message: why.clone(),
                line: None,
                column: None,
            });
        }
        for u in &o.unreachable {
            let message = format!("{} '{}': {}", u.kind, u.name, u.reason);
            files.push(JsonFile {
                file: &file.path,
                status: "not-checked",
                message,
                line: Some(u.pos.line),
                column: Some(u.pos.col),
            });
        }
        let written = file.write_error.is_none();
        for f in &o.findings {
            let (annotation, image) = match &f.status {
                Status::NotApplicable(Skip::Annotation { key, value }) => (Some(Annotation { key, value }), None),
                Status::NotApplicable(Skip::Image { image, .. }) => (None, Some(image.as_str())),
                _ => (None, None),
            };
            let reason = match &f.status {
                Status::NotApplicable(s) => Some(s.to_string()),
                Status::Refused(r) => Some(r.clone()),
                Status::ExplicitFalse => Some("explicit readOnlyRootFilesystem: false".into()),
                _ => None,
            };
            findings.push(JsonFinding {
                file: &file.path,
                line: f.pos.line,
                column: f.pos.col,
                kind: &f.kind,
                name: &f.name,
                namespace: f.namespace.as_deref(),
                container: &f.container,
                container_list: f.list,
                status: status(report.mode, f, written),
                reason,
                annotation,
                image,
                edits: f.edits.iter().map(edit).collect(),
            });
        }
    }
    let output = Output {
        version: VERSION,
        tool: Tool { name: "kube-rofs", version: env!("CARGO_PKG_VERSION") },
        command: report.mode.name(),
        check: Check {
            id: rule::ID,
            title: rule::TITLE,
            severity: rule::SEVERITY,
            help_uri: rule::HELP_URI,
            references: rule::REFERENCES.iter().map(|&(id, url)| Reference { id, url }).collect(),
        },
        summary: Summary {
            files: t.files,
            files_changed: t.changed_files,
            files_skipped: t.skipped_files,
            errors: t.errors,
            containers: t.counted(),
            read_only: t.read_only,
            writable: t.fixable + t.refused,
            fixable: t.fixable,
            refused: t.refused,
            not_applicable: t.not_applicable,
            explicit_false: t.explicit_false,
            ratio: t.ratio(),
            threshold: report.threshold,
            verdict: verdict_name(report.verdict()),
        },
        findings,
        files,
    };
    serde_json::to_writer_pretty(&mut *out, &output).map_err(io::Error::other)?;
    writeln!(out)
}
