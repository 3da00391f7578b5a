//! Edits as data (a byte range and its replacement) and their one-pass application.

/// Replace `start..end` of the source body with `text`; an insertion has `start == end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Nesting depth of the node the edit extends. Insertions at the same offset are applied
    /// deepest first, so an inner block's new lines come before an outer block's.
    pub depth: usize,
}

impl Edit {
    pub fn insertion(at: usize, text: String, depth: usize) -> Edit {
        Edit { start: at, end: at, text, depth }
    }

    pub fn replacement(start: usize, end: usize, text: String, depth: usize) -> Edit {
        Edit { start, end, text, depth }
    }

    pub fn deletion(start: usize, end: usize, depth: usize) -> Edit {
        Edit { start, end, text: String::new(), depth }
    }
}

/// Two edits touch the same bytes; the plan is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub at: usize,
}

/// Application order: by position, deepest first at one position; a stable sort on this key
/// keeps the planned order otherwise.
pub fn order(e: &Edit) -> (usize, std::cmp::Reverse<usize>) {
    (e.start, std::cmp::Reverse(e.depth))
}

/// Put edits in application order (see `order`).
pub fn sort(edits: &mut [Edit]) {
    edits.sort_by_key(order);
}

/// Apply `edits` (any order) to `text` in one pass.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, Overlap> {
    let mut sorted = edits.to_vec();
    sort(&mut sorted);
    let mut out = String::with_capacity(text.len() + sorted.iter().map(|e| e.text.len()).sum::<usize>());
    let mut pos = 0;
    for e in &sorted {
        if e.start < pos || e.end < e.start || e.end > text.len() {
            return Err(Overlap { at: e.start });
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_offset_insertions_go_deepest_first_then_in_plan_order() {
        let edits = [
            Edit::insertion(2, "outer".into(), 1),
            Edit::insertion(2, "inner1".into(), 3),
            Edit::insertion(2, "inner2".into(), 3),
            Edit::replacement(0, 1, "X".into(), 0),
        ];
        assert_eq!(apply("ab|", &edits).unwrap(), "Xbinner1inner2outer|");
    }

    #[test]
    fn overlapping_edits_are_rejected() {
        let edits = [Edit::replacement(0, 3, "x".into(), 0), Edit::insertion(1, "y".into(), 0)];
        assert_eq!(apply("abcd", &edits), Err(Overlap { at: 1 }));
    }
}
