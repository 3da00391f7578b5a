//! The style of the text around an edit point: key quoting, indentation step, sequence layout.

use granit_parser::ScalarStyle;

use crate::yaml::render::Layout;
use crate::yaml::source::Source;
use crate::yaml::tree::{Kind, Node};

/// Whether new keys in `node` are double-quoted: a mapping follows its first key, a sequence
/// its first mapping item; an empty collection (or a scalar) takes `otherwise`, the document's
/// own style. The one quoting decision for block and flow text alike.
pub fn quoted_keys(node: &Node, otherwise: bool) -> bool {
    match &node.kind {
        Kind::Map { entries, .. } => match entries.first() {
            Some(e) => matches!(e.key.kind, Kind::Scalar { style: ScalarStyle::DoubleQuoted, .. }),
            None => otherwise,
        },
        Kind::Seq { items, .. } => items
            .iter()
            .find(|n| n.entries().is_some_and(|e| !e.is_empty()))
            .map_or(otherwise, |n| quoted_keys(n, otherwise)),
        _ => otherwise,
    }
}

/// The node's text ends with a block scalar (`|`, `>`), possibly nested in its last entries.
pub fn ends_in_block_scalar(node: &Node) -> bool {
    match &node.kind {
        Kind::Scalar { style, .. } => matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
        Kind::Map { flow: false, entries } => entries.last().is_some_and(|e| ends_in_block_scalar(&e.value)),
        Kind::Seq { flow: false, items } => items.last().is_some_and(ends_in_block_scalar),
        _ => false,
    }
}

/// Indentation column of a block mapping key (its mapping's indentation; a key written after
/// an anchor or tag, `- &a name: x`, starts further right).
pub fn key_col(src: &Source, key: &Node) -> usize {
    key.indent.unwrap_or_else(|| src.column(key.start))
}

/// Indentation step and sequence style measured from the nearest block collections.
pub fn layout(src: &Source, near: &[&Node]) -> Layout {
    let mut layout = Layout::default();
    let (mut step, mut seq) = (None, None);
    for m in near.iter().filter(|m| !m.is_flow()) {
        for e in m.entries().unwrap_or_default() {
            let (col, line) = (key_col(src, &e.key), src.line_of(e.key.start));
            match &e.value.kind {
                Kind::Map { flow: false, entries } if step.is_none() => {
                    step = entries.first().and_then(|first| {
                        let c = key_col(src, &first.key);
                        (c > col && src.line_of(first.key.start) > line).then(|| c - col)
                    });
                }
                Kind::Seq { flow: false, .. } if seq.is_none() => {
                    let dash = src.column(e.value.start);
                    if dash >= col && src.line_of(e.value.start) > line {
                        seq = item_layout(src, &e.value).map(|items| (dash - col, items));
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(s) = step {
        layout.map_step = s;
    }
    if let Some((offset, (item_offset, alone))) = seq {
        layout.seq_offset = offset;
        layout.item_offset = item_offset;
        layout.dash_alone = alone;
    }
    layout
}

/// Column of the first item mapping's keys relative to the `-`, and whether it starts on the
/// line after the dash.
pub fn item_layout(src: &Source, seq: &Node) -> Option<(usize, bool)> {
    let first = seq.items()?.first()?;
    let key = first.entries()?.first()?;
    if first.is_flow() {
        return None;
    }
    let (dash_col, col) = (src.column(seq.start), key_col(src, &key.key));
    // A lone `-` (nothing but white space after it); `- # note` is an inline item with a label.
    let dash_line_rest = &src.body[seq.start + 1..src.next_line_start(seq.start)];
    let alone = src.line_of(key.key.start) > src.line_of(seq.start) && dash_line_rest.trim().is_empty();
    (col > dash_col).then(|| (col - dash_col, alone))
}
