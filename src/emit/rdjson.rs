//! reviewdog diagnostic format, one JSON object per line (rdjsonl), with suggestions.
//! Positions are 1-based lines and UTF-8 byte columns, ends exclusive.
//!
//! Shaped for reviewdog's GitHub reporter, which attaches a suggestion to lines and requires
//! the comment's line range to be the suggestion's: one diagnostic per change, its location the
//! change's range, and every insertion of whole lines anchored at the end of the line above it
//! (the same bytes; the line below may not exist). Changes that touch are merged, so applying
//! every suggestion gives exactly what `fix` writes.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Emitter, container_message, container_word, failing, rule, workload_detail};
use crate::fixer::Finding;
use crate::run::{FileReport, Summary};
use crate::source::Pos;

fn position(p: Pos) -> Value {
    json!({"line": p.line, "column": p.byte_col})
}

/// One contiguous change and the findings it fixes.
struct Change<'a> {
    start: usize,
    end: usize,
    start_pos: Pos,
    end_pos: Pos,
    text: String,
    owners: Vec<&'a Finding>,
}

fn changes(findings: &[Finding]) -> Vec<Change<'_>> {
    let mut all: Vec<Change> = Vec::new();
    for f in findings {
        for e in &f.edits {
            let change = match &e.at_line_end {
                Some((offset, pos, text)) => Change {
                    start: *offset,
                    end: *offset,
                    start_pos: *pos,
                    end_pos: *pos,
                    text: text.clone(),
                    owners: vec![f],
                },
                None => Change {
                    start: e.offset,
                    end: e.offset + e.length,
                    start_pos: e.start,
                    end_pos: e.end,
                    text: e.text.clone(),
                    owners: vec![f],
                },
            };
            all.push(change);
        }
    }
    all.sort_by_key(|c| c.start);
    let mut merged: Vec<Change> = Vec::new();
    for c in all {
        match merged.last_mut() {
            Some(last) if last.end == c.start => {
                last.end = c.end;
                last.end_pos = c.end_pos;
                last.text.push_str(&c.text);
                for o in c.owners {
                    if !last.owners.iter().any(|x| std::ptr::eq(*x, o)) {
                        last.owners.push(o);
                    }
                }
            }
            _ => merged.push(c),
        }
    }
    merged
}

fn diagnostic(message: String, path: &str, range: Value) -> Value {
    json!({
        "message": message,
        "location": {"path": path, "range": range},
        "severity": "WARNING",
        "source": {"name": "kube-rofs", "url": rule::HELP_URI},
        "code": {"value": rule::ID, "url": rule::HELP_URI},
    })
}

fn write_line(out: &mut dyn Write, d: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, d).map_err(io::Error::other)?;
    writeln!(out)
}

pub struct Rdjson;

impl Emitter for Rdjson {
    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        // Writable containers without a fix (refused) get a diagnostic at the container.
        for f in o.findings.iter().filter(|f| failing(f) && f.edits.is_empty()) {
            write_line(out, &diagnostic(container_message(f), &file.path, json!({"start": position(f.pos)})))?;
        }
        for c in changes(&o.findings) {
            let message = match c.owners.as_slice() {
                [one] => container_message(one),
                many => {
                    let names: Vec<String> =
                        many.iter().map(|f| format!("{} '{}'", container_word(f.list), f.container)).collect();
                    format!("{} Writable root filesystem: {}.", workload_detail(many[0]), names.join(", "))
                }
            };
            let range = json!({"start": position(c.start_pos), "end": position(c.end_pos)});
            let mut d = diagnostic(message, &file.path, range.clone());
            d["suggestions"] = json!([{"range": range, "text": c.text}]);
            write_line(out, &d)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary, _out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}
