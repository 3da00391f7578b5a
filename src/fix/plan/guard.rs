//! Editability guards: nodes whose text cannot be edited without changing more than intended
//! (aliases, anchors reused elsewhere, tags, merge keys, odd or repeated keys).

use crate::k8s::status::Refusal;
use crate::yaml::path::Seg;
use crate::yaml::source::Source;
use crate::yaml::tree::{Document, Kind, Node};

/// Refuse a node whose text cannot be edited without changing more than intended. `what`
/// names it in the refusal.
pub fn editable(src: &Source, doc: &Document, node: &Node, what: &'static str) -> Result<(), Refusal> {
    if matches!(node.kind, Kind::Alias(_)) {
        return Err(Refusal::Alias(what));
    }
    if node.tagged {
        return Err(Refusal::Tagged(what));
    }
    if node.anchor != 0 && doc.aliased.contains(&node.anchor) {
        return Err(Refusal::Shared(what));
    }
    let entries = node.entries().unwrap_or_default();
    for (i, e) in entries.iter().enumerate() {
        // An empty key (`?` alone) is placed at the next token, wherever that is.
        let empty = e.key.start == e.key.end;
        if e.key.tagged || empty || !matches!(e.key.kind, Kind::Scalar { .. }) || explicit_key(src, &e.key) {
            return Err(Refusal::OddKey(what));
        }
        match e.key.as_str() {
            Some("<<") => return Err(Refusal::MergeKey(what)),
            // Mappings here have a few dozen keys at most: a scan beats hashing.
            Some(k) if entries[..i].iter().any(|p| p.key.as_str() == Some(k)) => {
                return Err(Refusal::DuplicateKey(what, k.to_owned()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A key written after `?` (explicit key syntax): the last character before it on its line
/// that is not white space is the `?` indicator.
fn explicit_key(src: &Source, key: &Node) -> bool {
    let line_start = src.line_start(src.line_of(key.start));
    src.body[line_start..key.start].trim_end().ends_with('?')
}

/// A node on `path` is anchored and repeated through an alias: editing below it would change
/// the alias too. Nodes are counted by the steps that reach them (0 is the document root); only
/// those from `from` to `to` (inclusive) are looked at. `what` names them in the refusal.
pub fn shared_on_the_way(doc: &Document, path: &[Seg], from: usize, to: usize, what: &'static str) -> Option<Refusal> {
    let shared = |n: &Node| n.anchor != 0 && doc.aliased.contains(&n.anchor);
    let mut node = doc.root.as_ref()?;
    for depth in 0..=to.min(path.len()) {
        if depth > 0 {
            node = match &path[depth - 1] {
                Seg::Key(k) => &node.entries()?.iter().find(|e| e.key.as_str() == Some(k))?.value,
                Seg::Index(n) => node.items()?.get(*n)?,
            };
        }
        if depth >= from && shared(node) {
            return Some(Refusal::Shared(what));
        }
    }
    None
}

/// A tag on any node or key from the document root along `path` changes how the independent
/// reader sees the path (a tagged key is not the plain key), so nothing under it is edited.
pub fn tagged_on_the_way(doc: &Document, path: &[Seg]) -> Option<Refusal> {
    let mut node = doc.root.as_ref()?;
    if node.tagged {
        return Some(Refusal::TaggedOnTheWay);
    }
    for seg in path {
        let next = match seg {
            Seg::Key(k) => {
                let e = node.entries()?.iter().find(|e| e.key.as_str() == Some(k))?;
                if e.key.tagged {
                    return Some(Refusal::TaggedOnTheWay);
                }
                &e.value
            }
            Seg::Index(i) => node.items()?.get(*i)?,
        };
        if next.tagged {
            return Some(Refusal::TaggedOnTheWay);
        }
        node = next;
    }
    None
}
