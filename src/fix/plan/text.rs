//! Additions as text: new keys at the end of a mapping, new items at the end of a sequence, a
//! value for a null key, each written in the style of the neighbouring lines (block or flow,
//! indentation, quoting, line endings) and placed so that no existing byte changes.

use super::guard::editable;
use super::style::{ends_in_block_scalar, item_layout, key_col, layout, quoted_keys};
use crate::k8s::status::Refusal;
use crate::yaml::edit::Edit;
use crate::yaml::render::{Layout, New, Writer};
use crate::yaml::source::Source;
use crate::yaml::tree::{Document, Entry, Kind, Node, comment_within};

/// Writes additions into one document of one file.
pub struct Planner<'a> {
    pub src: &'a Source<'a>,
    pub doc: &'a Document<'a>,
    /// Every comment of the file, in order.
    pub comments: &'a [(usize, usize)],
    /// The document's own key quoting (a JSON-style document quotes every key).
    pub quoted: bool,
}

const EOF_IN_BLOCK_SCALAR: Refusal = Refusal::Layout("the file ends inside a block scalar without a final newline");

impl<'a> Planner<'a> {
    pub fn new(src: &'a Source<'a>, doc: &'a Document<'a>, comments: &'a [(usize, usize)]) -> Planner<'a> {
        let quoted = doc.root.as_ref().is_some_and(|r| r.is_flow() && quoted_keys(r, false));
        Planner { src, doc, comments, quoted }
    }

    pub fn editable(&self, node: &Node, what: &'static str) -> Result<(), Refusal> {
        editable(self.src, self.doc, node, what)
    }

    fn writer(&self, at: usize, layout: Layout, quote: bool) -> Writer<'static> {
        Writer { layout, eol: self.src.eol_at(at), quote }
    }

    /// Where a line inserted after a node that ends at `end` goes: the start of the next line
    /// (a trailing comment stays with the line it is on).
    fn after_line(&self, end: usize) -> usize {
        if end > 0 && self.src.body.as_bytes()[end - 1] == b'\n' { end } else { self.src.next_line_start(end) }
    }

    /// The comment that is the only thing (after spaces) on the line starting at `at`, if any.
    fn own_line_comment(&self, at: usize) -> Option<(usize, usize)> {
        let next = self.src.next_line_start(at);
        comment_within(self.comments, at, next).filter(|c| self.src.body[at..c.0].bytes().all(|b| b == b' '))
    }

    /// An insertion of whole lines whose first line is indented by `indent`. Full-line comments
    /// indented deeper than that belong to the block above, so the insertion goes below them.
    /// At the end of a file without a final newline the line break moves to the front, so the
    /// file still ends without one.
    fn insert_lines(&self, at: usize, text: String, depth: usize, indent: usize) -> Edit {
        let body = self.src.body;
        let mut at = at;
        while let Some((c, _)) = self.own_line_comment(at).filter(|&(c, _)| at < body.len() && c - at > indent) {
            at = self.src.next_line_start(c);
        }
        if at == body.len() && self.src.ends_without_newline() {
            let eol = self.src.eol_at(at);
            let text = format!("{eol}{}", text.strip_suffix(eol).unwrap_or(&text));
            return Edit::insertion(at, text, depth);
        }
        Edit::insertion(at, text, depth)
    }

    /// Add keys at the end of a mapping.
    pub fn insert_keys(&self, map: &Node, keys: &[(String, New)], near: &[&Node]) -> Result<Vec<Edit>, Refusal> {
        if map.is_flow() {
            let w = self.writer(map.end, layout(self.src, near), quoted_keys(map, self.quoted));
            return self.flow_insert(map, keys.iter().map(|(k, v)| w.flow_entry(k, v)).collect());
        }
        let entries = map.entries().unwrap_or_default();
        let (first, last) = entries.first().zip(entries.last()).ok_or(Refusal::Layout("empty mapping"))?;
        let indent = key_col(self.src, &first.key);
        let mut at = self.after_line(map.end);
        if at == self.src.body.len() && self.src.ends_without_newline() && ends_in_block_scalar(map) {
            // The file ends inside a block scalar with no final line break: a line break added
            // after it would become part of its value. Key order carries no meaning, so the new
            // keys go above the last entry instead, when that entry starts its own line.
            let line_start = self.src.line_start(self.src.line_of(last.key.start));
            if !self.src.body[line_start..last.key.start].trim().is_empty() {
                return Err(EOF_IN_BLOCK_SCALAR);
            }
            at = line_start;
        }
        let w = self.writer(at, layout(self.src, near), quoted_keys(map, self.quoted));
        let mut text = String::new();
        w.block_entries(&mut text, keys, indent, None);
        Ok(vec![self.insert_lines(at, text, map.depth, indent)])
    }

    /// Add items at the end of a sequence, in the style of its existing items.
    pub fn append_items(&self, seq: &Node, items: &[New], near: &[&Node]) -> Result<Vec<Edit>, Refusal> {
        self.editable(seq, "the sequence")?;
        let existing = seq.items().unwrap_or_default();
        if existing.iter().any(|n| matches!(n.kind, Kind::Alias(_))) {
            return Err(Refusal::Alias("an item of the sequence"));
        }
        let quote = quoted_keys(seq, self.quoted);
        if seq.is_flow() {
            let w = self.writer(seq.end, layout(self.src, near), quote);
            return self.flow_insert(seq, items.iter().map(|v| w.flow(v)).collect());
        }
        let mut layout = layout(self.src, near);
        if let Some((offset, alone)) = item_layout(self.src, seq) {
            layout.item_offset = offset;
            layout.dash_alone = alone;
        }
        layout.flow_items = existing.last().is_some_and(|n| n.entries().is_some() && n.is_flow());
        let at = self.after_line(seq.end);
        if at == self.src.body.len() && self.src.ends_without_newline() && ends_in_block_scalar(seq) {
            return Err(EOF_IN_BLOCK_SCALAR);
        }
        let w = self.writer(at, layout, quote);
        let mut text = String::new();
        let dash = self.src.column(seq.start);
        w.block_items(&mut text, items, dash);
        Ok(vec![self.insert_lines(at, text, seq.depth, dash)])
    }

    /// Give a key whose value is null (`key:`, `key: ~`, `key: null`) a collection.
    pub fn set_null(&self, parent: &Node, e: &Entry, value: &New, near: &[&Node]) -> Result<Vec<Edit>, Refusal> {
        let v = &e.value;
        self.editable(v, "the null value")?;
        if parent.is_flow() {
            if v.start == v.end {
                return Err(Refusal::Layout("an empty value in a flow mapping cannot be replaced exactly"));
            }
            let w = self.writer(v.start, layout(self.src, near), quoted_keys(parent, self.quoted));
            return Ok(vec![Edit::replacement(v.start, v.end, w.flow(value), v.depth)]);
        }
        let colon = e.colon.ok_or(Refusal::Layout("cannot find the `:` after the key"))?;
        let mut edits = Vec::new();
        let mut last = colon + 1;
        if v.end > v.start {
            if !self.src.body[colon + 1..v.start].chars().all(|c| c == ' ' || c == '\t') {
                return Err(Refusal::Layout("the null value is not on its key's line"));
            }
            edits.push(Edit::deletion(colon + 1, v.end, v.depth));
            last = v.end;
        }
        let at = self.after_line(last);
        let layout = layout(self.src, near);
        let w = self.writer(at, layout, quoted_keys(parent, self.quoted));
        let col = key_col(self.src, &e.key);
        let mut text = String::new();
        let indent = match value {
            New::Map(entries) => {
                w.block_entries(&mut text, entries, col + layout.map_step, None);
                col + layout.map_step
            }
            New::Seq(items) => {
                w.block_items(&mut text, items, col + layout.seq_offset);
                col + layout.seq_offset
            }
            New::Bool(_) | New::Str(_) => return Err(Refusal::Layout("a scalar cannot replace a null here")),
        };
        edits.push(self.insert_lines(at, text, v.depth, indent));
        Ok(edits)
    }

    /// Add comma-separated pieces at the end of a flow mapping or sequence. On one line they
    /// follow the last entry; in a multi-line collection each goes on its own line at the last
    /// entry's column, below a comment that ends the last entry's line. A trailing comma is kept.
    fn flow_insert(&self, node: &Node, pieces: Vec<String>) -> Result<Vec<Edit>, Refusal> {
        let body = self.src.body;
        // A single `key: value` pair inside a flow sequence is a mapping without braces.
        if !matches!(body.as_bytes().get(node.start), Some(b'{' | b'[')) {
            return Err(Refusal::Layout("a single-pair mapping inside a flow sequence has no braces to extend"));
        }
        let no_end = Refusal::Layout("cannot find the end of the flow collection");
        let close = node.end.checked_sub(1).filter(|&i| matches!(body.as_bytes()[i], b'}' | b']'));
        let close = close.ok_or(no_end.clone())?;
        let last = match &node.kind {
            Kind::Map { entries, .. } => match entries.last() {
                Some(l) if l.value.end == l.value.start => {
                    return Err(Refusal::Layout(
                        "the flow mapping ends with an empty value; cannot place a new entry after it",
                    ));
                }
                _ => entries.first().zip(entries.last()).map(|(f, l)| (f.key.start, l.key.start, l.value.end)),
            },
            Kind::Seq { items, .. } => items.first().zip(items.last()).map(|(f, l)| (f.start, l.start, l.end)),
            _ => return Err(Refusal::NotA { what: "the node", shape: "collection" }),
        };
        let Some((first, last_start, last_end)) = last else {
            return Ok(vec![Edit::insertion(node.start + 1, pieces.join(", "), node.depth)]);
        };
        if last_end > close {
            return Err(no_end);
        }
        let comma = self.code_comma(last_end, close);
        let after = comma.map_or(last_end, |c| c + 1);
        if self.src.line_of(first) == self.src.line_of(node.start) {
            let text: String = match comma {
                Some(_) => pieces.iter().map(|p| format!(" {p},")).collect(),
                None => pieces.iter().map(|p| format!(", {p}")).collect(),
            };
            return Ok(vec![Edit::insertion(after, text, node.depth)]);
        }
        let eol = self.src.eol_at(self.src.next_line_start(last_end));
        let indent = " ".repeat(self.src.column(last_start));
        let line_end = self.src.next_line_start(after).min(close);
        if comment_within(self.comments, after, line_end).is_none() {
            let text: String = match comma {
                Some(_) => pieces.iter().map(|p| format!("{eol}{indent}{p},")).collect(),
                None => pieces.iter().map(|p| format!(",{eol}{indent}{p}")).collect(),
            };
            return Ok(vec![Edit::insertion(after, text, node.depth)]);
        }
        // `last: 1  # comment`: the comma goes before the comment, the new entries below it.
        let mut edits = Vec::new();
        if comma.is_none() {
            edits.push(Edit::insertion(last_end, ",".into(), node.depth));
        }
        let n = pieces.len();
        let text: String = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{indent}{p}{}{eol}", if comma.is_some() || i + 1 < n { "," } else { "" }))
            .collect();
        edits.push(Edit::insertion(self.src.next_line_start(after), text, node.depth));
        Ok(edits)
    }

    /// Offset of the first comma in `from..to` (between a flow collection's last entry and its
    /// closing bracket) that is not inside a comment.
    fn code_comma(&self, from: usize, to: usize) -> Option<usize> {
        let mut at = from;
        while at < to {
            let comment = comment_within(self.comments, at, to);
            let code_end = comment.map_or(to, |c| c.0);
            if let Some(i) = self.src.body[at..code_end].find(',') {
                return Some(at + i);
            }
            at = comment.map_or(to, |c| c.1);
        }
        None
    }
}
