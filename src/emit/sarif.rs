//! SARIF 2.1.0: one rule, a result per writable container, and `fixes` whose replacements are
//! the edits `fix` makes (insertions as zero-length deleted regions).

use std::io::{self, Write};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Emitter, container_message, failing, rule};
use crate::fixer::FixEdit;
use crate::run::{FileReport, Summary};

/// Characters kept as they are in a relative URI path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub fn uri(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

/// Columns count Unicode code points (the run says so in `columnKind`); byte offsets are into
/// the file, BOM included. Both describe the same region.
fn region(e: &FixEdit) -> Value {
    json!({
        "startLine": e.start.line,
        "startColumn": e.start.col,
        "endLine": e.end.line,
        "endColumn": e.end.col,
        "byteOffset": e.offset,
        "byteLength": e.length,
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
        for f in o.findings.iter().filter(|f| failing(f)) {
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
            if !f.edits.is_empty() {
                let replacements: Vec<Value> = f
                    .edits
                    .iter()
                    .map(|e| json!({"deletedRegion": region(e), "insertedContent": {"text": e.text}}))
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": "Add securityContext.readOnlyRootFilesystem: true and writable emptyDir mounts"},
                    "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
                }]);
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
