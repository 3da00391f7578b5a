//! Verify: re-read the patched text with serde_yaml (libyaml) and compare it with the original
//! meaning plus exactly the intended changes.

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use crate::edit::Edit;
use crate::plan::Op;
use crate::render::New;
use crate::workload::Seg;

/// Every document of `text` as serde_yaml reads it, merge keys resolved.
pub fn load_all(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        let mut v = Value::deserialize(de).map_err(|e| e.to_string())?;
        v.apply_merge().map_err(|e| e.to_string())?;
        docs.push(v);
    }
    Ok(docs)
}

pub fn to_value(new: &New) -> Value {
    match new {
        New::Bool(b) => Value::Bool(*b),
        New::Str(s) => Value::String(s.clone()),
        New::Map(entries) => {
            Value::Mapping(entries.iter().map(|(k, v)| (Value::String(k.clone()), to_value(v))).collect::<Mapping>())
        }
        New::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
    }
}

fn walk<'v>(mut v: &'v mut Value, path: &[Seg]) -> Result<&'v mut Value, String> {
    for seg in path {
        v = match (seg, v) {
            (Seg::Key(k), Value::Mapping(m)) => m.get_mut(k.as_str()).ok_or_else(|| format!("no key {k}"))?,
            (Seg::Index(i), Value::Sequence(s)) => s.get_mut(*i).ok_or_else(|| format!("no item {i}"))?,
            (seg, _) => return Err(format!("cannot follow {seg:?}")),
        };
    }
    Ok(v)
}

/// Apply an intended change to a parsed document.
pub fn apply_op(doc: &mut Value, op: &Op) -> Result<(), String> {
    match op {
        Op::Set { at, key, value } => match walk(doc, at)? {
            Value::Mapping(m) => {
                m.insert(Value::String(key.clone()), to_value(value));
                Ok(())
            }
            _ => Err(format!("{at:?} is not a mapping")),
        },
        Op::Append { at, items } => match walk(doc, at)? {
            Value::Sequence(s) => {
                s.extend(items.iter().map(to_value));
                Ok(())
            }
            _ => Err(format!("{at:?} is not a sequence")),
        },
    }
}

/// Why verification did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// serde_yaml cannot read the original, or reads other documents than the editor: nothing
    /// can be verified, so nothing may be changed.
    Unverifiable(String),
    /// Document `0` of the patched text does not mean what was intended.
    Mismatch(usize, String),
}

/// Verify each changed document on its own (the others are byte for byte unchanged), which
/// spares re-reading the rest of a large multi-document file. `starts` are the documents'
/// start offsets in `original`. Falls back to the whole file when the file has directives or a
/// slice does not read as exactly one document.
pub fn verify_documents(
    original: &str,
    patched: &str,
    starts: &[usize],
    edits: &[Edit],
    ops: &[(usize, Op)],
) -> Result<(), Failure> {
    let mut changed: Vec<usize> = ops.iter().map(|(d, _)| *d).collect();
    changed.sort_unstable();
    changed.dedup();
    let range = |k: usize| (starts[k], starts.get(k + 1).copied().unwrap_or(original.len()));
    let unreadable = |e: String| Failure::Unverifiable(format!("the verifier (serde_yaml) cannot read this file: {e}"));
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.start);
    // The document holding an edit: the last one starting before it (an insertion right at a
    // document's `---` belongs to the document above).
    let holds = |e: &Edit| {
        let k = starts.partition_point(|&s| s < e.start).saturating_sub(1);
        changed.binary_search(&k).is_ok() && e.end <= range(k).1
    };
    let per_document = !original.lines().any(|l| l.starts_with('%'))
        && changed.last().is_some_and(|&k| k < starts.len())
        && sorted.iter().all(|e| holds(e));
    if per_document {
        // Offsets move by the edits before them. One sweep (the ranges only grow), so a file
        // with a million documents does not take a million times a million steps.
        let (mut next, mut delta) = (0, 0isize);
        let mut shifted = |x: usize| {
            while next < sorted.len() && sorted[next].start <= x {
                delta += sorted[next].text.len() as isize - (sorted[next].end - sorted[next].start) as isize;
                next += 1;
            }
            x.checked_add_signed(delta).unwrap_or(x)
        };
        let mut by_doc: std::collections::HashMap<usize, Vec<(usize, Op)>> = std::collections::HashMap::new();
        for (d, op) in ops {
            by_doc.entry(*d).or_default().push((0, op.clone()));
        }
        let mut all_single = true;
        for &k in &changed {
            let (a, b) = range(k);
            let (pa, pb) = (shifted(a), shifted(b));
            let before = load_all(&original[a..b]).map_err(unreadable)?;
            if before.len() != 1 {
                all_single = false;
                break;
            }
            let doc_ops = by_doc.get(&k).map_or(&[][..], Vec::as_slice);
            verify(before, doc_ops, patched.get(pa..pb).unwrap_or("")).map_err(|(_, m)| Failure::Mismatch(k, m))?;
        }
        if all_single {
            return Ok(());
        }
    }
    let before = load_all(original).map_err(unreadable)?;
    if before.len() != starts.len() {
        return Err(Failure::Unverifiable(format!(
            "the verifier (serde_yaml) reads {} documents where the editor reads {}; cannot verify",
            before.len(),
            starts.len()
        )));
    }
    verify(before, ops, patched).map_err(|(d, m)| Failure::Mismatch(d, m))
}

/// The first place two values differ, as a readable path.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            for (k, v) in x {
                let p = format!("{path}.{}", serde_yaml::to_string(k).unwrap_or_default().trim());
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{p}: missing after the edit")),
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map(|k| format!("{path}: unexpected key {k:?}"))
        }
        (Value::Sequence(x), Value::Sequence(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (v, w))| first_difference(v, w, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: expected {a:?}, found {b:?}")),
    }
}

/// Check that `patched` means `original` plus `ops` (each op tagged with its document index).
/// Returns the index of the first bad document and what differs.
pub fn verify(mut original: Vec<Value>, ops: &[(usize, Op)], patched: &str) -> Result<(), (usize, String)> {
    for (doc, op) in ops {
        let target = original.get_mut(*doc).ok_or((*doc, "document missing".to_owned()))?;
        apply_op(target, op).map_err(|e| (*doc, format!("cannot apply intended change: {e}")))?;
    }
    let actual = load_all(patched).map_err(|e| (0, format!("patched text does not parse: {e}")))?;
    if actual.len() != original.len() {
        return Err((0, format!("{} documents after the edit, {} before", actual.len(), original.len())));
    }
    for (i, (want, got)) in original.iter().zip(&actual).enumerate() {
        if want != got {
            let what = first_difference(want, got, "").unwrap_or_else(|| "values differ".into());
            return Err((i, what));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_ro(doc: usize) -> (usize, Op) {
        let at = vec![Seg::Key("c".into())];
        (doc, Op::Set { at, key: "readOnlyRootFilesystem".into(), value: New::Bool(true) })
    }

    #[test]
    fn accepts_exactly_the_intended_change() {
        let original = load_all("a: 1\n---\nc: {x: 1}\n").unwrap();
        assert_eq!(verify(original, &[set_ro(1)], "a: 1\n---\nc: {x: 1, readOnlyRootFilesystem: true}\n"), Ok(()));
    }

    #[test]
    fn checks_only_changed_documents_but_still_catches_their_changes() {
        let original = "a: 1\n---\nc: {x: 1}\n---\nz: [1]\n";
        let starts = [0, 5, 19];
        let insert = |at: usize, text: &str| Edit::insertion(at, text.into(), 1);
        let good = [insert(17, ", readOnlyRootFilesystem: true")];
        let patched = crate::edit::apply(original, &good).unwrap();
        assert_eq!(verify_documents(original, &patched, &starts, &good, &[set_ro(1)]), Ok(()));
        let bad = [insert(17, ", readOnlyRootFilesystem: false")];
        let patched = crate::edit::apply(original, &bad).unwrap();
        let err = verify_documents(original, &patched, &starts, &bad, &[set_ro(1)]);
        assert!(matches!(err, Err(Failure::Mismatch(1, _))), "{err:?}");
        let unreadable = "a: 1\n---\nc: {x: 1}\nc: 2\n";
        let patched = crate::edit::apply(unreadable, &good).unwrap();
        let err = verify_documents(unreadable, &patched, &[0, 5], &good, &[set_ro(1)]);
        assert!(matches!(err, Err(Failure::Unverifiable(_))), "{err:?}");
    }

    #[test]
    fn names_the_document_and_the_difference() {
        let original = load_all("a: 1\n---\nc: {x: 1}\n").unwrap();
        let err = verify(original.clone(), &[set_ro(1)], "a: 1\n---\nc: {x: 2, readOnlyRootFilesystem: true}\n");
        assert_eq!(err, Err((1, ".c.x: expected Number(1), found Number(2)".into())));
        let err = verify(original.clone(), &[set_ro(1)], "a: 1\n---\nc: {x: 1, readOnlyRootFilesystem: true, y: 0}\n");
        assert!(matches!(err, Err((1, ref m)) if m.contains("unexpected key")), "{err:?}");
        let err = verify(original, &[set_ro(1)], "a: 1\n");
        assert!(matches!(err, Err((0, ref m)) if m.contains("1 documents after the edit, 2 before")), "{err:?}");
    }
}
