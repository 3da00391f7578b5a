//! JSON output: one versioned object with every container, every edit and the summary.
//! Written as a stream (findings as files come, summary last), so memory does not grow with
//! the number of files.

use std::io::{self, Write};

use serde::Serialize;

use super::emitter::Emitter;
use super::model::{FileReport, Locator, Mode, Summary as RunSummary, Verdict};
use super::words::{self, rule};
use crate::fix::model::{Fix, Why};
use crate::fix::outcome::Finding;
use crate::k8s::status::{Skip, Status};
use crate::yaml::source::Pos;

/// Bumped on any incompatible change of this object's shape. 2: a finding's `edits` became
/// `fix` (its pod spec's fix, shared by that pod's findings).
pub const VERSION: u32 = 2;

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
    /// Read-only containers lacking writable paths they need.
    read_only_incomplete: usize,
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
struct JsonFix<'a> {
    /// The fix's number in its file: findings of one pod spec share one fix.
    id: usize,
    edits: Vec<JsonEdit<'a>>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
    /// The paths the container gets (or, read-only, needs) writable, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    writable_paths: Vec<JsonPath<'a>>,
    /// Of those, the ones nothing mounts yet (what `fix` adds).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    missing: Vec<&'a str>,
    /// Image directories left read-only on purpose.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    left_read_only: Vec<JsonOmitted<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    /// No profile, configuration or image data says what the image writes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    unknown_image: bool,
}

#[derive(Serialize)]
struct JsonPath<'a> {
    path: &'a str,
    /// `default`, `log-dir`, `config`, `image-config`, `profile`, `image-volume`.
    reason: &'static str,
    /// The reason in words, with its source (a profile's first source, where the image data
    /// came from, the configuration's pattern).
    detail: String,
    /// An init container copies the image's files here first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    copy: bool,
}

#[derive(Serialize)]
struct JsonOmitted<'a> {
    path: &'a str,
    why: &'a str,
}

#[derive(Serialize)]
struct JsonFile {
    file: String,
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

fn fix<'a>(id: usize, fix: &'a Fix, at: &Locator) -> JsonFix<'a> {
    let edits = fix
        .edits
        .iter()
        .map(|e| JsonEdit {
            offset: e.start,
            length: e.end - e.start,
            text: &e.text,
            start: at.pos(e.start).into(),
            end: at.pos(e.end).into(),
        })
        .collect();
    JsonFix { id, edits }
}

fn reason_key(why: &Why) -> &'static str {
    match why {
        Why::Tmp => "default",
        Why::LogDir => "log-dir",
        Why::Config => "config",
        Why::ImageConfig(_) => "image-config",
        Why::Profile { .. } => "profile",
        Why::ImageVolume(_) => "image-volume",
    }
}

pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass(_) => "pass",
        Verdict::Fail(_) => "fail",
        Verdict::NotApplicable => "n/a",
    }
}

pub struct Json {
    mode: Mode,
    findings: usize,
    /// Errors, skipped files and unchecked workloads: few, printed after the findings.
    files: Vec<JsonFile>,
}

impl Json {
    pub fn new(mode: Mode) -> Json {
        Json { mode, findings: 0, files: Vec::new() }
    }
}

fn field(out: &mut dyn Write, name: &str, value: &impl Serialize) -> io::Result<()> {
    write!(out, "  \"{name}\": ")?;
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out, ",")
}

impl Emitter for Json {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{{")?;
        field(out, "version", &VERSION)?;
        field(out, "tool", &Tool { name: "kube-rofs", version: env!("CARGO_PKG_VERSION") })?;
        field(out, "command", &self.mode.name())?;
        let check = Check {
            id: rule::ID,
            title: rule::TITLE,
            severity: rule::SEVERITY,
            help_uri: rule::HELP_URI,
            references: rule::REFERENCES.iter().map(|&(id, url)| Reference { id, url }).collect(),
        };
        field(out, "check", &check)?;
        write!(out, "  \"findings\": [")
    }

    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let path = &file.path;
        let o = match &file.result {
            Ok(o) => o,
            Err(fail) => {
                let (line, column) = (fail.pos.map(|p| p.line), fail.pos.map(|p| p.col));
                let message = fail.message.clone();
                self.files.push(JsonFile { file: path.clone(), status: "error", message, line, column });
                return Ok(());
            }
        };
        if let Some(e) = &file.write_error {
            self.files.push(JsonFile {
                file: path.clone(),
                status: "error",
                message: e.clone(),
                line: None,
                column: None,
            });
        }
        if let Some(why) = &o.skipped {
            self.files.push(JsonFile {
                file: path.clone(),
                status: "skipped",
                message: why.clone(),
                line: None,
                column: None,
            });
        }
        for u in &o.not_checked {
            let message = format!("{} '{}': {}", u.kind, u.name, u.reason);
            let (line, column) = (Some(u.pos.line), Some(u.pos.col));
            self.files.push(JsonFile { file: path.clone(), status: "not-checked", message, line, column });
        }
        let written = file.write_error.is_none();
        let at = file.locator();
        for f in &o.findings {
            let annotation = match &f.status {
                Status::NotApplicable(skip) => match &**skip {
                    Skip::Annotation { key, value } => Some(Annotation { key, value }),
                    _ => None,
                },
                _ => None,
            };
            let reason = match &f.status {
                Status::NotApplicable(s) => Some(s.to_string()),
                Status::Refused(r) => Some(r.to_string()),
                Status::ExplicitFalse => Some("explicit readOnlyRootFilesystem: false".into()),
                _ => None,
            };
            let finding = JsonFinding {
                file: path,
                line: f.pos.line,
                column: f.pos.col,
                kind: &f.kind,
                name: &f.name,
                namespace: f.namespace.as_deref(),
                container: &f.container,
                container_list: &f.list,
                status: status(self.mode, f, written),
                reason,
                annotation,
                image: f.image.as_deref(),
                fix: f.fix.map(|i| fix(i, &o.fixes[i], &at)),
                writable_paths: f
                    .writable
                    .iter()
                    .map(|n| JsonPath {
                        path: &n.path,
                        reason: reason_key(&n.why),
                        detail: words::reason(&n.why),
                        copy: n.copy,
                    })
                    .collect(),
                missing: f.missing().collect(),
                left_read_only: f.omitted.iter().map(|(path, why)| JsonOmitted { path, why }).collect(),
                profile: f.profile.as_deref(),
                unknown_image: f.unknown_image,
            };
            write!(out, "{}\n    ", if self.findings == 0 { "" } else { "," })?;
            serde_json::to_writer(&mut *out, &finding).map_err(io::Error::other)?;
            self.findings += 1;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &RunSummary, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "\n  ],")?;
        field(out, "files", &self.files)?;
        let t = &summary.tally;
        let s = Summary {
            files: t.files,
            files_changed: t.changed_files,
            files_skipped: t.skipped_files,
            errors: t.errors,
            containers: t.counted(),
            read_only: t.read_only,
            read_only_incomplete: t.incomplete,
            writable: t.fixable + t.refused,
            fixable: t.fixable,
            refused: t.refused,
            not_applicable: t.not_applicable,
            explicit_false: t.explicit_false,
            ratio: t.ratio(summary.strict),
            threshold: summary.threshold,
            verdict: verdict_name(summary.verdict()),
        };
        write!(out, "  \"summary\": ")?;
        serde_json::to_writer(&mut *out, &s).map_err(io::Error::other)?;
        writeln!(out, "\n}}")
    }
}
