//! Verify: re-read the patched text with serde_yaml (libyaml) and compare it with the original
//! meaning plus exactly the intended changes.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_yaml::{Mapping, Value};

use super::model::Op;
use crate::yaml::path::Seg;
use crate::yaml::render::New;
use crate::yaml::tree::{Document, Kind, Node};

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

/// What serde_yaml reads for a document, derived from the editor's own tree instead of a second
/// libyaml pass. None when unsure: aliases, merge keys, tags, duplicate keys, nesting deeper than
/// serde_yaml allows, and plain scalars whose resolution is not certain (radix prefixes, `.inf`,
/// integers beyond 64 bits). The caller then reads the original with serde_yaml as well.
pub fn expected_value(doc: &Document) -> Option<Value> {
    if !doc.aliased.is_empty() {
        return None;
    }
    doc.root.as_ref().map_or(Some(Value::Null), |root| node_value(root, 0))
}

/// serde_yaml's recursion limit; deeper documents do not load there.
const MAX_DEPTH: usize = 128;

fn node_value(node: &Node, depth: usize) -> Option<Value> {
    if node.tagged || depth > MAX_DEPTH {
        return None;
    }
    Some(match &node.kind {
        Kind::Scalar { value, style: granit_parser::ScalarStyle::Plain } => plain_scalar(value)?,
        Kind::Scalar { value, .. } => Value::String(value.to_string()),
        Kind::Seq { items, .. } => {
            Value::Sequence(items.iter().map(|n| node_value(n, depth + 1)).collect::<Option<_>>()?)
        }
        Kind::Map { entries, .. } => {
            let mut map = Mapping::with_capacity(entries.len());
            for e in entries {
                if e.key.as_str() == Some("<<") {
                    return None;
                }
                let key = node_value(&e.key, depth + 1)?;
                if map.insert(key, node_value(&e.value, depth + 1)?).is_some() {
                    return None;
                }
            }
            Value::Mapping(map)
        }
        Kind::Alias(_) => return None,
    })
}

/// serde_yaml's reading of a plain scalar (its `visit_untagged_scalar`), for the forms where it
/// is certain; None for the rest.
fn plain_scalar(v: &str) -> Option<Value> {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let string = || Some(Value::String(v.to_owned()));
    if !v.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return string();
    }
    let unsigned = v.strip_prefix(['+', '-']).unwrap_or(v);
    if v.len() > unsigned.len() && unsigned.starts_with(['+', '-']) {
        return None; // a doubled sign (`++.0`, `+-1`)
    }
    if unsigned.starts_with(['0', '.', '+', '-']) && unsigned.len() > 1 && !unsigned[1..].starts_with('.') {
        // Radix prefixes, leading zeros, `.inf`, `.nan`, doubled signs.
        let leading_zeros = unsigned.starts_with('0') && unsigned.bytes().all(|b| b.is_ascii_digit());
        return if leading_zeros { string() } else { None };
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return match v.starts_with('-') {
            true => v.parse::<i64>().ok().map(|n| Value::Number(n.into())),
            false => unsigned.parse::<u64>().ok().map(|n| Value::Number(n.into())),
        };
    }
    match unsigned.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(Value::Number(if v.starts_with('-') { -f } else { f }.into())),
        Ok(_) => None,
        Err(_) => string(),
    }
}

/// Whether serde_yaml reads `text` as exactly one document equal to `want`, compared while it
/// reads instead of building a second value (the same equality as `Value`'s: mapping order
/// aside, and a repeated key fails as it does there).
pub fn reads_as(text: &str, want: &Value) -> bool {
    let mut docs = serde_yaml::Deserializer::from_str(text);
    docs.next().is_some_and(|de| Same(want).deserialize(de).is_ok()) && docs.next().is_none()
}

/// Compares what serde_yaml reads with an expected value; any difference is an error.
struct Same<'v>(&'v Value);

fn differ<E: de::Error>() -> E {
    E::custom("differs from the expected value")
}

fn same<E: de::Error>(equal: bool) -> Result<(), E> {
    if equal { Ok(()) } else { Err(differ()) }
}

impl<'de> DeserializeSeed<'de> for Same<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Same<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        same(self.0.is_null())
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(), E> {
        same(self.0.as_bool() == Some(b))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<(), E> {
        same(matches!(self.0, Value::Number(x) if *x == n.into()))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<(), E> {
        same(matches!(self.0, Value::Number(x) if *x == n.into()))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<(), E> {
        same(matches!(self.0, Value::Number(x) if *x == n.into()))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        same(self.0.as_str() == Some(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Value::Sequence(items) = self.0 else { return Err(differ()) };
        for item in items {
            seq.next_element_seed(Same(item))?.ok_or_else(differ)?;
        }
        same(seq.next_element::<IgnoredAny>()?.is_none())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Value::Mapping(m) = self.0 else { return Err(differ()) };
        let mut seen: Vec<*const Value> = Vec::with_capacity(m.len());
        while let Some(found) = map.next_key_seed(Key(m))? {
            let value = found.ok_or_else(differ)?;
            if seen.contains(&(value as *const Value)) {
                return Err(differ());
            }
            seen.push(value);
            map.next_value_seed(Same(value))?;
        }
        same(seen.len() == m.len())
    }
}

/// Reads a mapping key and looks it up in the expected mapping, without allocating for
/// string keys. Collection keys are not compared (an error, so the caller falls back).
struct Key<'v>(&'v Mapping);

impl<'de, 'v> DeserializeSeed<'de> for Key<'v> {
    type Value = Option<&'v Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'v> Visitor<'de> for Key<'v> {
    type Value = Option<&'v Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar key")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.get(Value::Null))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
        Ok(self.0.get(Value::Bool(b)))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(self.0.get(Value::Number(n.into())))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(self.0.get(Value::Number(n.into())))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
        Ok(self.0.get(Value::Number(n.into())))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(self.0.get(s))
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

fn unreadable(e: String) -> Failure {
    Failure::Unverifiable(format!("the verifier (serde_yaml) cannot read this file: {e}"))
}

/// Verify one changed document on its own (the others are byte for byte unchanged), which
/// spares re-reading the rest of a large multi-document file: `before` is its original text,
/// `after` its patched text, `ops` what the edits must mean. The patched text is always read by
/// serde_yaml; the original's meaning comes from the editor's tree (`doc`) when
/// [`expected_value`] is sure of it and both agree, and from serde_yaml otherwise. `Ok(false)`:
/// the texts do not read as exactly one document, so the whole file must be verified instead.
pub fn verify_document(doc: &Document, k: usize, before: &str, after: &str, ops: &[&Op]) -> Result<bool, Failure> {
    verify_alone(doc, k, before, after, ops, false)
}

/// [`verify_document`] for the edits of one `List` item: `before` and `after` are the item's
/// lines (from its `-`), which read as a sequence of one item, and `ops` are placed within that
/// sequence; `doc`'s root is the item. `Ok(false)`: `before` does not read as one item.
pub fn verify_item(doc: &Document, k: usize, before: &str, after: &str, ops: &[&Op]) -> Result<bool, Failure> {
    verify_alone(doc, k, before, after, ops, true)
}

fn verify_alone(doc: &Document, k: usize, before: &str, after: &str, ops: &[&Op], item: bool) -> Result<bool, Failure> {
    let wrap = |v: Value| if item { Value::Sequence(vec![v]) } else { v };
    if let Some(mut want) = expected_value(doc).map(wrap)
        && ops.iter().all(|op| apply_op(&mut want, op).is_ok())
        && reads_as(after, &want)
    {
        return Ok(true);
    }
    let one_item = |v: &Value| v.as_sequence().is_some_and(|s| s.len() == 1);
    let original = match load_all(before) {
        Ok(v) if v.len() == 1 && (!item || one_item(&v[0])) => v,
        Ok(_) => return Ok(false),
        Err(e) => return Err(unreadable(e)),
    };
    let ops: Vec<(usize, &Op)> = ops.iter().map(|op| (0, *op)).collect();
    verify(original, &ops, after).map_err(|(_, m)| Failure::Mismatch(k, m))?;
    Ok(true)
}

/// Verify the whole file at once (a file with directives, or a document serde_yaml does not
/// read on its own): `docs` documents, `ops` each tagged with its document. Documents that
/// `verified_alone` says were verified on their own already are not compared again (their
/// intended changes were dropped).
pub fn verify_file(
    original: &str,
    patched: &str,
    docs: usize,
    ops: &[(usize, &Op)],
    verified_alone: &dyn Fn(usize) -> bool,
) -> Result<(), Failure> {
    let before = load_all(original).map_err(unreadable)?;
    if before.len() != docs {
        return Err(Failure::Unverifiable(format!(
            "the verifier (serde_yaml) reads {} documents where the editor reads {docs}; cannot verify",
            before.len(),
        )));
    }
    compare(before, ops, patched, verified_alone).map_err(|(d, m)| Failure::Mismatch(d, m))
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
pub fn verify(original: Vec<Value>, ops: &[(usize, &Op)], patched: &str) -> Result<(), (usize, String)> {
    compare(original, ops, patched, &|_| false)
}

/// [`verify`], skipping the documents `skip` names.
fn compare(
    mut original: Vec<Value>,
    ops: &[(usize, &Op)],
    patched: &str,
    skip: &dyn Fn(usize) -> bool,
) -> Result<(), (usize, String)> {
    for (doc, op) in ops {
        let target = original.get_mut(*doc).ok_or((*doc, "document missing".to_owned()))?;
        apply_op(target, op).map_err(|e| (*doc, format!("cannot apply intended change: {e}")))?;
    }
    let actual = load_all(patched).map_err(|e| (0, format!("patched text does not parse: {e}")))?;
    if actual.len() != original.len() {
        return Err((0, format!("{} documents after the edit, {} before", actual.len(), original.len())));
    }
    for (i, (want, got)) in original.iter().zip(&actual).enumerate() {
        if !skip(i) && want != got {
            let what = first_difference(want, got, "").unwrap_or_else(|| "values differ".into());
            return Err((i, what));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_ro() -> Op {
        let at = vec![Seg::Key("c".into())];
        Op::Set { at, key: "readOnlyRootFilesystem".into(), value: New::Bool(true) }
    }

    #[test]
    fn accepts_exactly_the_intended_change() {
        let original = load_all("a: 1\n---\nc: {x: 1}\n").unwrap();
        assert_eq!(verify(original, &[(1, &set_ro())], "a: 1\n---\nc: {x: 1, readOnlyRootFilesystem: true}\n"), Ok(()));
    }

    #[test]
    fn one_document_is_verified_on_its_own_and_its_changes_still_caught() {
        let original = "a: 1\n---\nc: {x: 1}\n---\nz: [1]\n";
        let source = crate::yaml::source::Source::decode(original.as_bytes()).unwrap();
        let docs = crate::yaml::tree::parse(&source).unwrap().docs;
        let before = &original[docs[1].start..docs[2].start];
        let op = set_ro();
        let good = before.replace('}', ", readOnlyRootFilesystem: true}");
        assert_eq!(verify_document(&docs[1], 1, before, &good, &[&op]), Ok(true));
        let bad = before.replace('}', ", readOnlyRootFilesystem: false}");
        let err = verify_document(&docs[1], 1, before, &bad, &[&op]);
        assert!(matches!(err, Err(Failure::Mismatch(1, _))), "{err:?}");
        let unreadable = "c: {x: 1}\nc: 2\n";
        let docs = crate::yaml::tree::parse(&crate::yaml::source::Source::decode(unreadable.as_bytes()).unwrap())
            .unwrap()
            .docs;
        let err = verify_document(&docs[0], 0, unreadable, unreadable, &[&op]);
        assert!(matches!(err, Err(Failure::Unverifiable(_))), "{err:?}");
        assert_eq!(verify_document(&docs[0], 0, "a: 1\n---\nb: 2\n", "a: 1\n", &[]), Ok(false), "two documents");
    }

    /// serde_yaml's own reading of one plain scalar.
    fn serde_reads(v: &str) -> Option<Value> {
        let doc = load_all(&format!("k: {v}\n")).ok()?.pop()?;
        doc.get("k").cloned()
    }

    #[test]
    fn plain_scalars_resolve_as_serde_yaml_does_or_not_at_all() {
        #[rustfmt::skip]
        let tricky = [
            "", "~", "null", "NULL", "nul", "true", "True", "tRUE", "false", "yes", "on", "0", "-0", "+0", "00",
            "007", "-007", "+1", "-1", "1_000", "1e5", "1E5", "0e5", "1.", ".5", "-.5", "+.5", "0.5", "-0.0",
            "1.0.0", "0x1F", "0o17", "0b11", "-0x1F", "+0x1F", "0x", "inf", "-inf", ".inf", "-.inf", ".nan", "nan",
            "NaN", "infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "18446744073709551616", "1.5e400", "+", "-", "--1",
            "+-1", "100m", "256Mi", "1.25", "3s", "v1", "0.1.2", "1:2", "12:30", "1,5", "٣",
        ];
        for v in tricky {
            if let (Some(mine), Some(theirs)) = (plain_scalar(v), serde_reads(v)) {
                assert_eq!(mine, theirs, "{v:?}");
            }
        }
        // The common forms must resolve, or every document would take the slow path.
        for v in ["", "null", "true", "8080", "-1", "0.5", "nginx:1.25", "100m", "007"] {
            assert!(plain_scalar(v).is_some(), "{v:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn random_plain_scalars_resolve_as_serde_yaml_does(v in "[-+.0-9eExob_a-f]{1,8}") {
            if let (Some(mine), Some(theirs)) = (plain_scalar(&v), serde_reads(&v)) {
                proptest::prop_assert_eq!(mine, theirs, "{:?}", v);
            }
        }
    }

    #[test]
    fn reads_as_is_value_equality() {
        let want = load_all("a: 1\nb: [x, {c: true}]\n").unwrap().pop().unwrap();
        assert!(reads_as("a: 1\nb: [x, {c: true}]\n", &want));
        assert!(reads_as("b: [x, {c: true}]\na: 1\n", &want), "mapping order does not matter, as for Value");
        assert!(reads_as("a: 1\nb: &x [x, {c: true}]\n", &want));
        for other in [
            "a: 1\n",
            "a: 1\nb: [x, {c: true}]\nd: 0\n",
            "a: 1\nb: [x, {c: true}]\na: 1\n",
            "a: 1\nb: [x, {c: true}, y]\n",
            "a: 1\nb: [x]\n",
            "a: \"1\"\nb: [x, {c: true}]\n",
            "a: 1\nb: [x, {c: 'true'}]\n",
            "a: 1\nb: [x, !t {c: true}]\n",
            "a: 1\nb: [x, {c: true}]\n---\na: 1\n",
            "a: 1\nb: [x, {c: true\n",
        ] {
            assert!(!reads_as(other, &want), "{other:?}");
        }
    }

    #[test]
    fn documents_the_tree_cannot_vouch_for_are_verified_by_serde_yaml_alone() {
        // A hex number and an alias: the tree gives no expected value, so both sides are read by
        // serde_yaml. The right edit passes, a wrong one is still caught.
        let original = "p: 0x1F\nb: &a 1\nd: *a\nc: {x: 1}\n";
        let source = crate::yaml::source::Source::decode(original.as_bytes()).unwrap();
        let docs = crate::yaml::tree::parse(&source).unwrap().docs;
        assert!(expected_value(&docs[0]).is_none());
        let op = set_ro();
        let good = original.replace('}', ", readOnlyRootFilesystem: true}");
        assert_eq!(verify_document(&docs[0], 0, original, &good, &[&op]), Ok(true));
        let bad = original.replace('}', ", readOnlyRootFilesystem: 1}");
        let err = verify_document(&docs[0], 0, original, &bad, &[&op]);
        assert!(matches!(err, Err(Failure::Mismatch(0, _))), "{err:?}");
    }

    #[test]
    fn names_the_document_and_the_difference() {
        let original = load_all("a: 1\n---\nc: {x: 1}\n").unwrap();
        let err = verify(original.clone(), &[(1, &set_ro())], "a: 1\n---\nc: {x: 2, readOnlyRootFilesystem: true}\n");
        assert_eq!(err, Err((1, ".c.x: expected Number(1), found Number(2)".into())));
        let err =
            verify(original.clone(), &[(1, &set_ro())], "a: 1\n---\nc: {x: 1, readOnlyRootFilesystem: true, y: 0}\n");
        assert!(matches!(err, Err((1, ref m)) if m.contains("unexpected key")), "{err:?}");
        let err = verify(original, &[(1, &set_ro())], "a: 1\n");
        assert!(matches!(err, Err((0, ref m)) if m.contains("1 documents after the edit, 2 before")), "{err:?}");
    }
}
