//! reviewdog diagnostic format, one JSON object per line (rdjsonl), with suggestions.
//! Positions are 1-based lines and UTF-8 byte columns, ends exclusive.
//!
//! Shaped for reviewdog's GitHub reporter, which attaches a suggestion to lines and requires
//! the comment's line range to be the suggestion's: one diagnostic per fix (a pod spec's), its
//! location the range from the fix's first edit to its last, and its one suggestion the new
//! text of that range, so that accepting one suggestion alone gives a valid pod. A range that
//! starts or ends at a line start is anchored at the end of the line above (the same bytes;
//! the line below may not exist). Applying every suggestion gives exactly what `fix` writes.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::emitter::Emitter;
use super::model::{FileReport, Summary};
use super::words::{container_message, container_names, fixed_by, reported, rule, workload_detail};
use crate::fix::model::Fix;
use crate::fix::outcome::Finding;
use crate::yaml::source::Pos;

fn position(p: Pos) -> Value {
    json!({"line": p.line, "column": p.byte_col})
}

/// The line break that ends just before `at` in `text`, if `at` starts a line.
fn eol_before(text: &str, at: usize) -> Option<&'static str> {
    let before = &text[..at];
    if before.ends_with("\r\n") {
        Some("\r\n")
    } else if before.ends_with('\n') {
        Some("\n")
    } else {
        None
    }
}

/// The fixes of a file in groups whose spans (first edit to last) overlap: fixes of pod specs
/// nested in one another (a Spark driver's pod template inside the application's scope) become
/// one suggestion, which still stands on its own.
fn groups(fixes: &[Fix]) -> Vec<Vec<usize>> {
    let span = |f: &Fix| Some((f.edits.first()?.start, f.edits.last()?.end));
    let mut order: Vec<(usize, usize, usize)> =
        fixes.iter().enumerate().filter_map(|(i, f)| span(f).map(|(a, b)| (a, b, i))).collect();
    order.sort_unstable();
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    for (a, b, i) in order {
        match out.last_mut() {
            Some((end, group)) if a < *end || (a == *end && b == a) => {
                *end = (*end).max(b);
                group.push(i);
            }
            _ => out.push((b, vec![i])),
        }
    }
    out.into_iter().map(|(_, g)| g).collect()
}

/// One replacement covering every edit of the fixes `group` in `text` (file offsets):
/// (start, end, text), anchored on existing lines.
fn suggestion(text: &str, bom: usize, fixes: &[Fix], group: &[usize]) -> Option<(usize, usize, String)> {
    let mut edits: Vec<&crate::yaml::edit::Edit> = group.iter().flat_map(|&i| &fixes[i].edits).collect();
    edits.sort_by_key(|e| (e.start, e.end));
    let (first, last) = (edits.first()?, edits.iter().max_by_key(|e| e.end)?);
    let (mut start, mut end) = (first.start, last.end);
    let mut new = String::new();
    let mut pos = start;
    for e in edits {
        new.push_str(&text[pos..e.start]);
        new.push_str(&e.text);
        pos = e.end;
    }
    if start > bom
        && let Some(eol) = eol_before(text, start)
    {
        start -= eol.len();
        new.insert_str(0, eol);
    }
    if let Some(eol) = eol_before(text, end).filter(|eol| end - eol.len() >= start && new.ends_with(eol)) {
        end -= eol.len();
        new.truncate(new.len() - eol.len());
    }
    Some((start, end, new))
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
        for f in o.findings.iter().filter(|f| reported(f) && f.fix.is_none()) {
            write_line(out, &diagnostic(container_message(f), &file.path, json!({"start": position(f.pos)})))?;
        }
        let at = file.locator();
        let text = std::str::from_utf8(&file.bytes).unwrap_or("");
        for group in groups(&o.fixes) {
            let Some((start, end, new)) = suggestion(text, at.bom(), &o.fixes, &group) else { continue };
            let fixed: Vec<&Finding> = group.iter().flat_map(|&i| fixed_by(o, i)).collect();
            let message = match fixed.as_slice() {
                [one] => container_message(one),
                [] => continue,
                many => format!("{} Writable root filesystem: {}.", workload_detail(many[0]), container_names(many)),
            };
            let range = json!({"start": position(at.pos(start)), "end": position(at.pos(end))});
            let mut d = diagnostic(message, &file.path, range.clone());
            d["suggestions"] = json!([{"range": range, "text": new}]);
            write_line(out, &d)?;
        }
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary, _out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}
