//! SARIF 2.1.0: one rule, a result per writable container, and as its fix the fix of the
//! container's pod spec (every edit it needs to stand on its own; insertions are zero-length
//! deleted regions). Results of one pod spec carry the same fix.

use std::io::{self, Write};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::emitter::Emitter;
use super::model::{FileReport, Locator, Summary};
use super::words::{container_message, fix_description, reported, rule};
use crate::fix::outcome::Outcome;
use crate::yaml::edit::Edit;

/// Characters kept as they are in a relative URI path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub fn uri(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Columns count Unicode code points (the run says so in `columnKind`); byte offsets are into
/// the file, BOM included. Both describe the same region.
fn region(e: &Edit, at: &Locator) -> Value {
    let (start, end) = (at.pos(e.start), at.pos(e.end));
    json!({
        "startLine": start.line,
        "startColumn": start.col,
        "endLine": end.line,
        "endColumn": end.col,
        "byteOffset": e.start,
        "byteLength": e.end - e.start,
    })
}

fn driver() -> Value {
    let tags: Vec<&str> = ["security", "kubernetes"].into_iter().chain(rule::REFERENCES.iter().map(|r| r.0)).collect();
    json!({
        "name": "kube-rofs",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": [{
            "id": rule::ID,
            "name": rule::NAME,
            "shortDescription": {"text": rule::TITLE},
            "fullDescription": {"text": rule::HELP},
            "help": {"text": rule::HELP},
            "helpUri": rule::HELP_URI,
            "defaultConfiguration": {"level": "warning"},
            "properties": {"tags": tags, "security-severity": "5.5", "problem.severity": "warning", "precision": "very-high"},
        }],
    })
}

/// The SARIF `fix` of fix number `i` of the file.
fn sarif_fix(o: &Outcome, i: usize, location: &Value, at: &Locator) -> Value {
    let replacements: Vec<Value> = o.fixes[i]
        .edits
        .iter()
        .map(|e| json!({"deletedRegion": region(e, at), "insertedContent": {"text": e.text}}))
        .collect();
    json!({
        "description": {"text": fix_description(o, i)},
        "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
    })
}

#[derive(Default)]
pub struct Sarif {
    results: usize,
}

impl Emitter for Sarif {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        let tool = serde_json::to_string(&json!({"driver": driver()})).map_err(io::Error::other)?;
        write!(
            out,
            "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [{{\n    \"tool\": {tool},\n    \"columnKind\": \"unicodeCodePoints\",\n    \"results\": ["
        )
    }

    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        let location = json!({"uri": uri(&file.path)});
        let at = file.locator();
        for f in o.findings.iter().filter(|f| reported(f)) {
            let mut result = json!({
                "ruleId": rule::ID,
                "ruleIndex": 0,
                "level": "warning",
                "message": {"text": container_message(f)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": f.pos.line, "startColumn": f.pos.col},
                }}],
            });
            if let Some(i) = f.fix {
                result["fixes"] = json!([sarif_fix(o, i, &location, &at)]);
            }
            write!(out, "{}\n      ", if self.results == 0 { "" } else { "," })?;
            serde_json::to_writer(&mut *out, &result).map_err(io::Error::other)?;
            self.results += 1;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "\n    ]\n  }}]\n}}")
    }
}
