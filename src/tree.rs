//! Load: YAML text to a span tree (exact byte ranges, styles, anchors) using granit-parser events.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle};
use std::collections::HashSet;

use crate::source::{Pos, Source};

/// One YAML node with the byte range of its content in the source body.
///
/// `end` is exact for scalars and flow collections; for a block collection it is the end of its
/// last child; for a block scalar it is just past its last content line break (trailing blank
/// lines that are not part of the value are left outside).
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub start: usize,
    pub end: usize,
    /// Number of collections enclosing this node within its document.
    pub depth: usize,
    /// For a block mapping key: the mapping's indentation column (it differs from the key's
    /// own column when the key carries an anchor or tag, as in `- &a name: x`).
    pub indent: Option<usize>,
    /// Anchor id (`&name`), 0 when none. Ids are unique within a file.
    pub anchor: usize,
    pub tagged: bool,
    pub kind: Kind<'a>,
}

#[derive(Debug, Clone)]
pub enum Kind<'a> {
    /// Borrowed from the source when the parser could (plain scalars without escapes).
    Scalar {
        value: Cow<'a, str>,
        style: ScalarStyle,
    },
    Seq {
        flow: bool,
        items: Vec<Node<'a>>,
    },
    Map {
        flow: bool,
        entries: Vec<Entry<'a>>,
    },
    /// `*name`, with the id of the anchor it refers to.
    Alias(usize),
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub key: Node<'a>,
    pub value: Node<'a>,
}

#[derive(Debug)]
pub struct Document<'a> {
    /// Where the document's text starts: its `---`, or its first token (0 for the first
    /// document). It runs to the next document's start; directives (`%`) are not handled here.
    pub start: usize,
    pub root: Option<Node<'a>>,
    /// Anchor ids referenced by at least one alias in this document.
    pub aliased: HashSet<usize>,
}

#[derive(Debug)]
pub struct Tree<'a> {
    pub docs: Vec<Document<'a>>,
}

/// The text is not valid YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl<'a> Node<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// A null scalar: empty, `~` or `null` (plain style only; `"null"` is a string).
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, style: ScalarStyle::Plain }
            if matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn is_flow(&self) -> bool {
        matches!(self.kind, Kind::Seq { flow: true, .. } | Kind::Map { flow: true, .. })
    }

    pub fn entries(&self) -> Option<&[Entry<'a>]> {
        match &self.kind {
            Kind::Map { entries, .. } => Some(entries),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node<'a>]> {
        match &self.kind {
            Kind::Seq { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The value of `key` in a mapping (the first one if the key is duplicated).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entries()?.iter().find(|e| e.key.as_str() == Some(key)).map(|e| &e.value)
    }
}

impl<'a> Document<'a> {
    /// The node an alias refers to (the node itself when it is not an alias).
    pub fn resolve<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match (&node.kind, &self.root) {
            (Kind::Alias(id), Some(root)) => find_anchor(root, *id).unwrap_or(node),
            _ => node,
        }
    }
}

fn find_anchor<'n, 'a>(node: &'n Node<'a>, id: usize) -> Option<&'n Node<'a>> {
    if node.anchor == id {
        return Some(node);
    }
    match &node.kind {
        Kind::Seq { items, .. } => items.iter().find_map(|n| find_anchor(n, id)),
        Kind::Map { entries, .. } => {
            entries.iter().find_map(|e| find_anchor(&e.key, id).or_else(|| find_anchor(&e.value, id)))
        }
        _ => None,
    }
}

enum Open<'a> {
    Seq { node: Node<'a>, items: Vec<Node<'a>> },
    Map { node: Node<'a>, entries: Vec<Entry<'a>>, key: Option<Node<'a>> },
}

/// Parse every document of `src`. Aliases are not expanded; nesting is bounded by the parser.
pub fn parse<'a>(src: &Source<'a>) -> Result<Tree<'a>, SyntaxError> {
    let text = src.body;
    let options = granit_parser::options! {
        emit_comments: false,
        block_scalar_eof_without_line_feed: true,
    };
    let mut docs = Vec::new();
    let mut stack: Vec<Open<'a>> = Vec::new();
    let mut root: Option<Node<'a>> = None;
    let mut aliased = HashSet::new();
    let mut doc_start = 0;
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| {
            let m = e.marker();
            let pos = match m.byte_offset() {
                Some(b) if b <= text.len() => src.pos(b),
                _ => Pos { line: m.line(), col: m.col() + 1, byte_col: m.col() + 1 },
            };
            SyntaxError { pos, message: e.info() }
        })?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        let depth = stack.len();
        let finished = match event {
            Event::DocumentStart(..) => {
                doc_start = if docs.is_empty() { 0 } else { start };
                root = None;
                aliased = HashSet::new();
                None
            }
            Event::DocumentEnd => {
                docs.push(Document { start: doc_start, root: root.take(), aliased: std::mem::take(&mut aliased) });
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let end = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    block_scalar_end(text, start, end, &value)
                } else {
                    end
                };
                let start = start.min(end);
                // An empty scalar (`key:` with no value, `? key` alone, `-` alone) can be reported
                // at the next token, lines below: place it right after the text before it.
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let (start, end) = match start == end && !block {
                    true => {
                        let at = text[..start].trim_end_matches([' ', '\t', '\r', '\n']).len();
                        (at, at)
                    }
                    false => (start, end),
                };
                let kind = Kind::Scalar { value, style };
                Some(Node { start, end, depth, indent: span.indent, anchor, tagged: tag.is_some(), kind })
            }
            Event::Alias(id) => {
                aliased.insert(id);
                Some(Node { start, end, depth, indent: None, anchor: 0, tagged: false, kind: Kind::Alias(id) })
            }
            Event::SequenceStart(style, anchor, tag) => {
                let flow = style == granit_parser::StructureStyle::Flow;
                let kind = Kind::Seq { flow, items: Vec::new() };
                let node = Node { start, end: start, depth, indent: None, anchor, tagged: tag.is_some(), kind };
                stack.push(Open::Seq { node, items: Vec::new() });
                None
            }
            Event::MappingStart(style, anchor, tag) => {
                let flow = style == granit_parser::StructureStyle::Flow;
                let kind = Kind::Map { flow, entries: Vec::new() };
                let node = Node { start, end: start, depth, indent: None, anchor, tagged: tag.is_some(), kind };
                stack.push(Open::Map { node, entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq { mut node, items }) => {
                    if node.is_flow() {
                        node.end = end;
                    } else {
                        node.end = items.last().map_or(node.start, |n| n.end);
                        // An indentless sequence starts at its first item, not at the `-`.
                        if let Some(dash) = items.first().and_then(|first| dash_before(text, first.start)) {
                            node.start = dash;
                        }
                    }
                    node.kind = Kind::Seq { flow: node.is_flow(), items };
                    Some(node)
                }
                Some(Open::Map { mut node, entries, .. }) => {
                    node.end = if node.is_flow() { end } else { entries.last().map_or(node.start, |e| e.value.end) };
                    node.kind = Kind::Map { flow: node.is_flow(), entries };
                    Some(node)
                }
                None => None,
            },
            _ => None,
        };
        if let Some(node) = finished {
            match stack.last_mut() {
                Some(Open::Seq { items, .. }) => items.push(node),
                Some(Open::Map { entries, key, .. }) => match key.take() {
                    Some(k) => entries.push(Entry { key: k, value: node }),
                    None => *key = Some(node),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(Tree { docs })
}

/// The `-` that introduces a block sequence item starting at `item`: the last character before
/// it that is neither white space nor part of a comment (None when something else, e.g. an
/// anchor, is there).
fn dash_before(text: &str, item: usize) -> Option<usize> {
    let mut end = item;
    loop {
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..end];
        let code = line[..comment_start(line).unwrap_or(line.len())].trim_end();
        if !code.trim_start().is_empty() {
            return code.ends_with('-').then(|| line_start + code.len() - 1);
        }
        if line_start == 0 {
            return None;
        }
        end = line_start - 1;
    }
}

/// Where a comment starts in a line of block structure (`#` at the start or after a blank).
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || matches!(b[i - 1], b' ' | b'\t')))
}

/// Where a block scalar's content really ends. The parser's span runs past the final line
/// break into the next line's indentation, and includes trailing blank lines; those blank lines
/// belong to the value only under keep chomping (`|+`), which shows as a value ending in
/// more than one line break.
fn block_scalar_end(text: &str, start: usize, end: usize, value: &str) -> usize {
    // Back over the indentation the span runs into. An empty scalar (`- |` with no content
    // lines) has an empty span at the next line's first token: back to that line's start.
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    if !text[line_start..end].trim_matches([' ', '\t']).is_empty() || (line_start < start && start != end) {
        return end;
    }
    let mut cut = line_start;
    let body = value.strip_suffix('\n').unwrap_or(value);
    if body.ends_with(['\n', ' ', '\t']) {
        return cut; // keep chomping with blank lines, or whitespace content: all of it is value
    }
    // Drop trailing whitespace-only lines: they are not part of a clipped or stripped value.
    while cut > start {
        let line_start = text[..cut - 1].rfind('\n').map_or(0, |i| i + 1).max(start);
        if !text[line_start..cut].trim().is_empty() || line_start == start {
            break;
        }
        cut = line_start;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(s: &str) -> Tree<'_> {
        parse(&Source::decode(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn byte_spans_survive_non_ascii_block_scalars_crlf_and_bom() {
        let s = "\u{feff}k: |\r\n  ✓✓✓\r\n\r\nz: 1\r\n";
        let t = tree(s);
        let root = t.docs[0].root.as_ref().unwrap();
        let z = root.get("z").unwrap();
        let body = &s[3..];
        assert_eq!(&body[z.start..z.end], "1");
        let k = root.get("k").unwrap();
        assert_eq!(&body[k.start..k.end], "✓✓✓\r\n", "clip: trailing blank line left outside");
    }

    #[test]
    fn strip_chomping_leaves_trailing_blank_lines_outside() {
        let s = "a:\n  k: |-\n    x\n\n  z: 1\n";
        let t = tree(s);
        let k = t.docs[0].root.as_ref().unwrap().get("a").unwrap().get("k").unwrap();
        assert_eq!(&s[k.start..k.end], "x\n");
    }

    #[test]
    fn a_comment_between_dash_and_item_is_skipped() {
        let s = "c:\n- # the app\n  name: a\n";
        let t = tree(s);
        let c = t.docs[0].root.as_ref().unwrap().get("c").unwrap();
        assert_eq!(c.start, 3);
    }

    #[test]
    fn an_empty_block_scalar_ends_at_the_line_after_its_header() {
        let s = "a:\n  - |\nb: 1\n";
        let t = tree(s);
        let a = t.docs[0].root.as_ref().unwrap().get("a").unwrap();
        assert_eq!(a.end, s.find("b:").unwrap());
    }

    #[test]
    fn an_empty_value_sits_after_its_key_not_at_the_next_token() {
        let s = "c:\n  limits:\n    ? cpu\nd: 1\n";
        let t = tree(s);
        let c = t.docs[0].root.as_ref().unwrap().get("c").unwrap();
        assert_eq!(&s[c.start..c.end], "limits:\n    ? cpu");
    }

    #[test]
    fn keep_chomping_keeps_trailing_blank_lines() {
        let s = "a:\n  k: |+\n    x\n\n  z: 1\n";
        let t = tree(s);
        let k = t.docs[0].root.as_ref().unwrap().get("a").unwrap().get("k").unwrap();
        assert_eq!(&s[k.start..k.end], "x\n\n");
    }

    #[test]
    fn block_collection_ends_at_last_child() {
        let s = "a:\n  - x: 1\n    y: [1, 2]  # c\n# tail\nb: 2\n";
        let t = tree(s);
        let a = t.docs[0].root.as_ref().unwrap().get("a").unwrap();
        assert_eq!(&s[a.start..a.end], "- x: 1\n    y: [1, 2]");
    }

    #[test]
    fn block_sequences_start_at_their_first_dash() {
        let s = "a:\n- name: x\nc:\n  - y\nd:\n  -\n    e: 1\n";
        let t = tree(s);
        let root = t.docs[0].root.as_ref().unwrap();
        for key in ["a", "c", "d"] {
            let start = root.get(key).unwrap().start;
            assert_eq!(&s[start..start + 1], "-", "{key}");
        }
    }

    #[test]
    fn anchors_and_aliases_are_recorded() {
        let t = tree("a: &x {b: 1}\nc: *x\n---\nd: 1\n");
        assert_eq!(t.docs.len(), 2);
        let a = t.docs[0].root.as_ref().unwrap().get("a").unwrap();
        assert!(t.docs[0].aliased.contains(&a.anchor));
        assert!(t.docs[1].aliased.is_empty());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse(&Source::decode(b"a: 1\nb: [1, 2\nc: 3\n").unwrap()).unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
    }
}
