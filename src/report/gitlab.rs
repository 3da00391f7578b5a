//! GitLab Code Quality: a JSON array with an issue per writable container (or read-only
//! container lacking writable paths), with the fields GitLab documents: `description`,
//! `check_name`, `fingerprint`, `severity`, `location.path`, `location.lines.begin`.
//!
//! The fingerprint names the container, not its line: the same container keeps its
//! fingerprint when lines above it move, so GitLab's merge-request widget shows it as the
//! same issue; two containers never share one (GitLab would show only the first).

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::emitter::Emitter;
use super::model::{FileReport, Summary};
use super::words::{container_message, incomplete, reported, rule};
use crate::fix::outcome::Finding;

/// GitLab's severity: a writable root filesystem is the control's finding (`major`, its
/// `medium`); a read-only container without a path it writes is a start-up risk (`minor`).
fn severity(f: &Finding) -> &'static str {
    if incomplete(f) { "minor" } else { "major" }
}

/// What identifies a finding across runs: the file, the workload, the container, the kind of
/// finding; `nth` tells identical ones apart.
fn fingerprint(path: &str, f: &Finding, nth: usize) -> String {
    let what = if incomplete(f) { "incomplete" } else { "writable" };
    let ns = f.namespace.as_deref().unwrap_or("");
    let key = [rule::ID, path, &f.kind, ns, &f.name, &f.list, &f.container, what, &nth.to_string()].join("\0");
    Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Default)]
pub struct Gitlab {
    issues: usize,
}

impl Emitter for Gitlab {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "[")
    }

    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        let mut seen: HashMap<String, usize> = HashMap::new();
        for f in o.findings.iter().filter(|f| reported(f)) {
            let first = fingerprint(&file.path, f, 0);
            let nth = seen.entry(first.clone()).or_default();
            let fingerprint = if *nth == 0 { first } else { fingerprint(&file.path, f, *nth) };
            *nth += 1;
            let issue = json!({
                "type": "issue",
                "description": container_message(f),
                "check_name": rule::ID,
                "fingerprint": fingerprint,
                "severity": severity(f),
                "categories": ["Security"],
                "location": {"path": file.path, "lines": {"begin": f.pos.line}},
            });
            write!(out, "{}\n  ", if self.issues == 0 { "" } else { "," })?;
            serde_json::to_writer(&mut *out, &issue).map_err(io::Error::other)?;
            self.issues += 1;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}]", if self.issues == 0 { "" } else { "\n" })
    }
}
