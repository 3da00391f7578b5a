//! reviewdog diagnostic format, one JSON object per line (rdjsonl), with suggestions.
//! Positions are 1-based lines and UTF-8 byte columns, ends exclusive; an insertion is an
//! empty range.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Emitter, container_message, failing, rule};
use crate::run::{FileReport, Summary};
use crate::source::Pos;

fn position(p: Pos) -> Value {
    json!({"line": p.line, "column": p.byte_col})
}

pub struct Rdjson;

impl Emitter for Rdjson {
    fn finish(&mut self, _summary: &Summary, _out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        for f in o.findings.iter().filter(|f| failing(f)) {
            let mut d = json!({
                "message": container_message(f),
                "location": {"path": file.path, "range": {"start": position(f.pos)}},
                "severity": "WARNING",
                "source": {"name": "kube-rofs", "url": rule::HELP_URI},
                "code": {"value": rule::ID, "url": rule::HELP_URI},
            });
            if !f.edits.is_empty() {
                let suggestions: Vec<Value> = f
                    .edits
                    .iter()
                    .map(|e| json!({"range": {"start": position(e.start), "end": position(e.end)}, "text": e.text}))
                    .collect();
                d["suggestions"] = Value::Array(suggestions);
            }
            serde_json::to_writer(&mut *out, &d).map_err(io::Error::other)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
