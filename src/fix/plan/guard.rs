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

/// The pod template (any mapping from the object down to the pod spec) is anchored and
/// repeated through an alias: editing it would change the alias too.
pub fn shared_template(doc: &Document, chain: &[&Node]) -> Option<Refusal> {
    chain
        .iter()
        .any(|n| n.anchor != 0 && doc.aliased.contains(&n.anchor))
        .then_some(Refusal::Shared("the pod template"))
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
