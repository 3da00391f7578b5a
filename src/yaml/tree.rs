//! Load: YAML text to a span tree (exact byte ranges, styles, anchors) using granit-parser events.

use std::borrow::Cow;

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};
use std::collections::HashSet;

use super::source::{Pos, Source};

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
    /// Offset of the `:` after an implicit key.
    pub colon: Option<usize>,
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
    /// Every comment's span (from `#` to the end of its line, line break excluded), in order.
    pub comments: Vec<(usize, usize)>,
}

impl Tree<'_> {
    /// The first comment starting within `from..to`.
    pub fn comment_within(&self, from: usize, to: usize) -> Option<(usize, usize)> {
        comment_within(&self.comments, from, to)
    }
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

/// Comments may pile up while the parser looks ahead; they are bounded by the input's size.
const MAX_BUFFERED_COMMENTS: usize = 1 << 24;

/// One document, handed over as soon as the next one starts (or the text ends); or one item
/// of a large `List` document, handed over as soon as it ends (see [`parse_each`]).
#[derive(Debug)]
pub struct Part<'a> {
    /// The document; for an item, a document whose root is the item.
    pub doc: Document<'a>,
    /// Where the document's text ends: the next document's start, or the end of the text. For
    /// an item, the start of the line where the next item (or what follows the items) starts,
    /// or the end of its own last line when that is on the same line.
    pub end: usize,
    /// The comments before `end` not handed over yet, in order.
    pub comments: Vec<(usize, usize)>,
    /// Set when the part is an item of its document's `items`.
    pub item: Option<ListItem>,
    /// For a whole document: whether its items were handed over apart before it.
    pub items_apart: ItemsApart,
}

/// Whether a document's `List` items were handed over apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ItemsApart {
    #[default]
    No,
    Yes,
    /// Yes, and an alias came after the first item started: an edit of one item may change
    /// another through it, or an item may need an anchor outside it, so the items cannot be
    /// judged apart.
    Entangled,
}

/// An item of a `List` document's block sequence `items`, handed over alone.
#[derive(Debug, Clone, Copy)]
pub struct ListItem {
    /// Its index in `items`.
    pub index: usize,
    /// Its `-` indicator (None when something else, such as an anchor, stands between them).
    pub dash: Option<usize>,
}

/// Parse every document of `src`. Aliases are not expanded; nesting is bounded by the parser.
pub fn parse<'a>(src: &Source<'a>) -> Result<Tree<'a>, SyntaxError> {
    let mut tree = Tree { docs: Vec::new(), comments: Vec::new() };
    parse_each_with(src, Comments::BetweenEvents, Items::InPlace, |part| {
        tree.docs.push(part.doc);
        tree.comments.extend(part.comments);
    })?;
    Ok(tree)
}

/// Parse `src` one document at a time: `each` gets every document with its comments, in order,
/// and the document is dropped after it, so memory holds one document's tree, not the file's.
/// On a syntax error the documents before it have been handed over already.
pub fn parse_each<'a>(src: &Source<'a>, each: impl FnMut(Part<'a>)) -> Result<(), SyntaxError> {
    parse_each_with(src, Comments::BetweenEvents, Items::InPlace, each)
}

/// [`parse_each`], except that the items of a `List` document (a block mapping whose `kind`
/// ends in `List`, given before its block sequence `items`: what `kubectl get -o yaml`
/// writes) are handed over one by one as they end, each before the document, where a
/// placeholder (an empty scalar with the item's span) takes its place: a cluster export of
/// one huge document is never held whole.
pub fn parse_each_apart<'a>(src: &Source<'a>, each: impl FnMut(Part<'a>)) -> Result<(), SyntaxError> {
    parse_each_with(src, Comments::BetweenEvents, Items::Apart, each)
}

/// Whether the items of a `List` document are handed over apart ([`parse_each_apart`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    InPlace,
    Apart,
}

/// Where the comments come from. The parser can report them as events, but asking for them costs
/// about 4% of a whole `diff` run (granit's comment queue, checked before every event); a comment
/// can only sit in the text between two events' spans, where a `#` after white space or at a
/// line start always starts one, so the tree finds them there itself. The parser's own comment
/// events stay for the test that holds the two to the same spans.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Comments {
    BetweenEvents,
    #[cfg_attr(not(test), allow(dead_code))]
    FromParser,
}

fn parse_each_with<'a>(
    src: &Source<'a>,
    from: Comments,
    items: Items,
    mut each: impl FnMut(Part<'a>),
) -> Result<(), SyntaxError> {
    let text = src.body;
    let options = granit_parser::options! {
        emit_comments: from == Comments::FromParser,
        max_buffered_comment_events: MAX_BUFFERED_COMMENTS,
        block_scalar_eof_without_line_feed: true,
    };
    let mut b = Builder {
        text,
        done: None,
        stack: Vec::new(),
        root: None,
        aliased: HashSet::new(),
        doc_start: 0,
        started: false,
        comments: Vec::new(),
        items_apart: items == Items::Apart,
        apart: ItemsApart::No,
    };
    // The end of the text the events so far have covered.
    let mut seen = 0;
    for next in Parser::new_from_str_with_options(text, options) {
        let (event, span) = next.map_err(|e| syntax_error(src, &e))?;
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        if from == Comments::BetweenEvents && start > seen {
            comments_between(text, seen, start, &mut b.comments);
        }
        seen = seen.max(end);
        if matches!(event, Event::DocumentStart(..)) && b.done.is_some() {
            b.hand_over(start, &mut each);
        }
        let starts_node =
            matches!(event, Event::Scalar(..) | Event::Alias(..) | Event::SequenceStart(..) | Event::MappingStart(..));
        if starts_node && b.apart == ItemsApart::No && b.list_item_index().is_some() {
            b.apart = ItemsApart::Yes;
        }
        if let Some(node) = b.event(event, start, end, span.indent) {
            match b.list_item_index() {
                Some(index) => b.hand_over_item(node, index, start, &mut each),
                None => b.attach(node),
            }
        }
    }
    if from == Comments::BetweenEvents && seen < text.len() {
        comments_between(text, seen, text.len(), &mut b.comments);
    }
    b.hand_over(text.len(), &mut each);
    Ok(())
}

/// The comments in `text[from..to]`, text that lies between two events (indentation, line
/// breaks, indicators, anchors, tags): each runs from a `#` at a line start or after a space or
/// tab to the end of its line, line break excluded.
fn comments_between(text: &str, from: usize, to: usize, out: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut at = from;
    while let Some(i) = bytes[at..to].iter().position(|&b| b == b'#') {
        let hash = at + i;
        let line_end = bytes[hash..].iter().position(|&b| b == b'\n').map_or(text.len(), |j| hash + j);
        if hash == 0 || matches!(bytes[hash - 1], b' ' | b'\t' | b'\n' | b'\r') {
            let end = if line_end > hash && bytes[line_end - 1] == b'\r' { line_end - 1 } else { line_end };
            out.push((hash, end));
            at = line_end.min(to);
        } else {
            at = hash + 1;
        }
    }
}

fn syntax_error(src: &Source, e: &granit_parser::ScanError) -> SyntaxError {
    let m = e.marker();
    let pos = match m.byte_offset() {
        Some(b) if b <= src.body.len() => src.pos(b),
        _ => Pos { line: m.line(), col: m.col() + 1, byte_col: m.col() + 1 },
    };
    SyntaxError { pos, message: e.info() }
}

/// The tree under construction: open collections, the current document, comments seen.
struct Builder<'a> {
    text: &'a str,
    /// The last document ended, waiting for the next one to start (its text ends there).
    done: Option<Document<'a>>,
    stack: Vec<Open<'a>>,
    root: Option<Node<'a>>,
    aliased: HashSet<usize>,
    doc_start: usize,
    /// A document started already (the first one starts at offset 0).
    started: bool,
    comments: Vec<(usize, usize)>,
    /// Hand `List` items over apart ([`parse_each_apart`]).
    items_apart: bool,
    /// Whether the current document's items are being handed over apart (from the start of
    /// the first one).
    apart: ItemsApart,
}

impl<'a> Builder<'a> {
    /// Hand the ended document over, with the comments before `end`.
    fn hand_over(&mut self, end: usize, each: &mut impl FnMut(Part<'a>)) {
        let Some(doc) = self.done.take() else { return };
        let comments = self.comments_before(end);
        let items_apart = std::mem::take(&mut self.apart);
        each(Part { doc, end, comments, item: None, items_apart });
    }

    /// Take the comments that start before `end`.
    fn comments_before(&mut self, end: usize) -> Vec<(usize, usize)> {
        self.comments.sort_unstable();
        let split = self.comments.partition_point(|c| c.0 < end);
        let rest = self.comments.split_off(split);
        std::mem::replace(&mut self.comments, rest)
    }

    /// The index a node completed now takes in `items` when it is an item of a `List`
    /// document to hand over apart: the root is a block mapping without anchor or tag that
    /// has a `kind` ending in `List` and no `items` yet, and the node is an item of the block
    /// sequence (without anchor or tag) under its key `items`.
    fn list_item_index(&self) -> Option<usize> {
        if !self.items_apart || self.stack.len() != 2 {
            return None;
        }
        let (Open::Map { node: root, entries, key: Some(key) }, Open::Seq { node: seq, items }) =
            (&self.stack[0], &self.stack[1])
        else {
            return None;
        };
        let plain = |n: &Node| n.anchor == 0 && !n.tagged && !n.is_flow();
        let is_list =
            |e: &Entry| e.key.as_str() == Some("kind") && e.value.as_str().is_some_and(|k| k.ends_with("List"));
        let apart = plain(root)
            && plain(seq)
            && key.as_str() == Some("items")
            && plain(key)
            && entries.iter().any(is_list)
            && !entries.iter().any(|e| e.key.as_str() == Some("items"));
        apart.then_some(items.len())
    }

    /// Hand an item of a `List` over alone, and leave a placeholder with its span in `items`.
    /// Its text runs to the line of `next`, the event that ended it (the next item's, or what
    /// follows the sequence), so the comment lines after its content go with it.
    fn hand_over_item(&mut self, node: Node<'a>, index: usize, next: usize, each: &mut impl FnMut(Part<'a>)) {
        let text = self.text;
        let line_end = text[node.end..].find('\n').map_or(text.len(), |i| node.end + i + 1);
        let next_line = text[..next].rfind('\n').map_or(0, |i| i + 1);
        let end = match text[next_line..next].trim_start_matches([' ', '\t']).is_empty() {
            true => next_line.max(line_end),
            false => line_end,
        };
        let dash = self.dash_before(node.start);
        let comments = self.comments_before(end);
        let placeholder = Node {
            start: node.start,
            end: node.end,
            depth: node.depth,
            indent: None,
            anchor: 0,
            tagged: false,
            kind: Kind::Scalar { value: Cow::Borrowed(""), style: ScalarStyle::Plain },
        };
        let doc = Document { start: self.doc_start, root: Some(node), aliased: self.aliased.clone() };
        each(Part { doc, end, comments, item: Some(ListItem { index, dash }), items_apart: ItemsApart::No });
        self.attach(placeholder);
    }

    /// Handle one event; a node it completes is returned for its parent.
    fn event(&mut self, event: Event<'a>, start: usize, end: usize, indent: Option<usize>) -> Option<Node<'a>> {
        let depth = self.stack.len();
        match event {
            Event::DocumentStart(..) => {
                self.doc_start = if self.started { start } else { 0 };
                self.started = true;
                self.root = None;
                self.aliased = HashSet::new();
                None
            }
            Event::DocumentEnd => {
                let aliased = std::mem::take(&mut self.aliased);
                self.done = Some(Document { start: self.doc_start, root: self.root.take(), aliased });
                None
            }
            Event::Comment(..) => {
                self.comments.push((start, end));
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let (start, end) = self.scalar_span(start, end, &value, style);
                let kind = Kind::Scalar { value, style };
                Some(Node { start, end, depth, indent, anchor, tagged: tag.is_some(), kind })
            }
            Event::Alias(id) => {
                self.aliased.insert(id);
                if self.apart != ItemsApart::No {
                    self.apart = ItemsApart::Entangled;
                }
                Some(Node { start, end, depth, indent: None, anchor: 0, tagged: false, kind: Kind::Alias(id) })
            }
            Event::SequenceStart(style, anchor, tag) => {
                let kind = Kind::Seq { flow: style == StructureStyle::Flow, items: Vec::new() };
                let node = Node { start, end: start, depth, indent: None, anchor, tagged: tag.is_some(), kind };
                self.stack.push(Open::Seq { node, items: Vec::new() });
                None
            }
            Event::MappingStart(style, anchor, tag) => {
                let kind = Kind::Map { flow: style == StructureStyle::Flow, entries: Vec::new() };
                let node = Node { start, end: start, depth, indent: None, anchor, tagged: tag.is_some(), kind };
                self.stack.push(Open::Map { node, entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(end),
            _ => None,
        }
    }

    /// A scalar's exact span: block scalars end at their last content line, and an empty
    /// scalar (`key:` with no value, `? key` alone, `-` alone), which the parser can report at
    /// the next token lines below, sits right after the text before it.
    fn scalar_span(&self, start: usize, end: usize, value: &str, style: ScalarStyle) -> (usize, usize) {
        let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
        let end = if block { block_scalar_end(self.text, start, end, value) } else { end };
        let start = start.min(end);
        if start == end && !block {
            let at = self.text[..start].trim_end_matches([' ', '\t', '\r', '\n']).len();
            return (at, at);
        }
        (start, end)
    }

    /// Close the innermost collection: its end, and for an indentless block sequence its start.
    fn close(&mut self, end: usize) -> Option<Node<'a>> {
        match self.stack.pop()? {
            Open::Seq { mut node, mut items } => {
                items.shrink_to_fit();
                if node.is_flow() {
                    node.end = end;
                } else {
                    node.end = items.last().map_or(node.start, |n| n.end);
                    // An indentless sequence starts at its first item, not at the `-`.
                    if let Some(dash) = items.first().and_then(|first| self.dash_before(first.start)) {
                        node.start = dash;
                    }
                }
                node.kind = Kind::Seq { flow: node.is_flow(), items };
                Some(node)
            }
            Open::Map { mut node, mut entries, .. } => {
                entries.shrink_to_fit();
                node.end = if node.is_flow() { end } else { entries.last().map_or(node.start, |e| e.value.end) };
                node.kind = Kind::Map { flow: node.is_flow(), entries };
                Some(node)
            }
        }
    }

    /// Give a finished node to its parent (or make it the document's root).
    fn attach(&mut self, node: Node<'a>) {
        match self.stack.last_mut() {
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(k) => {
                    let colon = colon_after(self.text, &k);
                    entries.push(Entry { key: k, value: node, colon });
                }
                None => *key = Some(node),
            },
            None => self.root = Some(node),
        }
    }

    /// The `-` that introduces a block sequence item starting at `item`: the last character
    /// before it that is neither white space nor part of a comment the parser reported (None
    /// when something else, e.g. an anchor, is there).
    fn dash_before(&self, item: usize) -> Option<usize> {
        let text = self.text;
        let mut end = item;
        loop {
            let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            let code_end = match comment_within(&self.comments, line_start, end) {
                Some((c, _)) => c,
                None => end,
            };
            let code = text[line_start..code_end].trim_end();
            if !code.trim_start().is_empty() {
                return code.ends_with('-').then(|| line_start + code.len() - 1);
            }
            if line_start == 0 {
                return None;
            }
            end = line_start - 1;
        }
    }
}

/// The `:` indicator right after an implicit key (blanks between allowed); None for explicit
/// (`?`) keys, whose `:` is on another line.
fn colon_after(text: &str, key: &Node) -> Option<usize> {
    let after = &text[key.end..];
    let at = key.end + after.len() - after.trim_start_matches([' ', '\t']).len();
    (text.as_bytes().get(at) == Some(&b':')).then_some(at)
}

/// The first comment (start, end) that starts within `from..to` in a sorted comment list.
pub fn comment_within(comments: &[(usize, usize)], from: usize, to: usize) -> Option<(usize, usize)> {
    let i = comments.partition_point(|c| c.0 < from);
    comments.get(i).copied().filter(|c| c.0 < to)
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

    /// Comments found between the events are the ones the parser reports, span for span, on
    /// every golden case, the shared corpus of real and peer manifests, and texts made to trip
    /// the scan (`#` inside quoted, plain and block scalars, after anchors and tags, in flow
    /// collections, after block scalar headers, CRLF).
    #[test]
    fn comments_between_events_are_the_parsers_comments() {
        type Spans = Vec<(usize, usize)>;
        fn both(text: &str) -> Option<(Spans, Spans)> {
            let src = Source::decode(text.as_bytes()).ok()?;
            let mut mine = Vec::new();
            parse_each_with(&src, Comments::BetweenEvents, Items::InPlace, |p| mine.extend(p.comments)).ok()?;
            let mut parser = Vec::new();
            parse_each_with(&src, Comments::FromParser, Items::InPlace, |p| parser.extend(p.comments)).ok()?;
            Some((mine, parser))
        }
        let tricky = [
            "a: \"x # y\" # z\nb: 'p #q' #r\n",
            "a: b#c # d\n# e\n  # f\n",
            "k: |  # header\n  text # not\n  # not either\n# after\nz: 1\n",
            "k: >-\n  folded # no\n\n# yes\n",
            "- &a # c1\n  x\n- !!str # c2\n  y\n- *a # c3\n",
            "f: [a, # c1\n  b, {k: v # c2\n  }] # c3\n",
            "--- # doc\na: 1 # one\n... # end\n--- #x\n# only\n",
            "a: 1 # crlf\r\n# line\r\nb: 2\r\n",
            "#first\n%YAML 1.2 # directive\n--- #d\nk: v\n",
            "? # key comment\n  complex\n: # value comment\n  v\n",
            "a:\n# under an empty value\nb: 1\n",
            "plain: multi\n  line # end\n",
            "t: !<tag:x,2000:#a> v # c\n",
            "#",
            "a: 1\n#",
        ];
        for t in tricky {
            let (mine, parser) = both(t).unwrap_or_else(|| panic!("{t:?} does not parse"));
            assert_eq!(mine, parser, "{t:?}");
        }
        let mut texts: Vec<(String, String)> = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in [root.join("golden"), root.join("../shared/corpus"), root.join("examples")] {
            for e in walkdir::WalkDir::new(&dir).into_iter().filter_map(Result::ok) {
                let ok = e.path().extension().is_some_and(|x| x == "yaml" || x == "yml");
                if let (true, Ok(t)) = (ok, std::fs::read_to_string(e.path())) {
                    texts.push((e.path().display().to_string(), t));
                }
            }
        }
        let (mut compared, mut with_comments) = (0, 0);
        for (name, text) in &texts {
            let Some((mine, parser)) = both(text) else { continue };
            assert_eq!(mine, parser, "{name}");
            compared += 1;
            with_comments += usize::from(!parser.is_empty());
        }
        assert!(compared > 500 && with_comments > 150, "{compared} texts compared, {with_comments} with comments");
    }
}
