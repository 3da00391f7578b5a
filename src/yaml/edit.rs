//! Edits as data (a byte range and its replacement) and their one-pass application.

/// Replace `start..end` of a text with `text`; an insertion has `start == end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// Nesting depth of the node the edit extends. Insertions at the same offset are applied
    /// deepest first, so an inner block's new lines come before an outer block's. Only the
    /// planner sets it; a merged edit list (see [`merge`]) no longer needs it.
    pub(crate) depth: usize,
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

    /// Bytes the edit adds to the text's length (negative when it removes more).
    pub fn delta(&self) -> isize {
        self.text.len() as isize - (self.end - self.start) as isize
    }
}

/// Two edits touch the same bytes; the plan is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub at: usize,
}

/// Application order: by position, deepest first at one position; a stable sort on this key
/// keeps the planned order otherwise.
fn order(e: &Edit) -> (usize, std::cmp::Reverse<usize>) {
    (e.start, std::cmp::Reverse(e.depth))
}

/// Edits in application order, with insertions at one offset joined into one edit (in the
/// order they apply), so that any consumer applying them by offset gets the same text.
pub fn merge(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort_by_key(order);
    let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
    for e in edits {
        match merged.last_mut() {
            Some(last) if last.start == last.end && e.start == e.end && last.start == e.start => {
                last.text.push_str(&e.text);
            }
            _ => merged.push(e),
        }
    }
    merged
}

/// Apply `edits` (any order) to `text` in one pass.
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, Overlap> {
    let mut out = String::new();
    apply_into(&mut out, text, edits)?;
    Ok(out)
}

/// [`apply`], appending the result to `out` (which may hold a prefix, such as a BOM). The
/// edits are borrowed: a large file's edits are not copied to be applied.
pub fn apply_into<'a>(out: &mut String, text: &str, edits: impl IntoIterator<Item = &'a Edit>) -> Result<(), Overlap> {
    let edits: Vec<&Edit> = edits.into_iter().collect();
    out.reserve(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let pos = apply_part(out, text, 0, edits)?;
    out.push_str(&text[pos..]);
    Ok(())
}

/// Apply `edits`, which lie at or after `from`, to `text` from `from` on, appending to `out`
/// the text up to the end of the last edit; returns that end, where the next part starts. A
/// file's documents are applied part by part this way, each as soon as it is verified.
pub fn apply_part<'a>(
    out: &mut String,
    text: &str,
    from: usize,
    edits: impl IntoIterator<Item = &'a Edit>,
) -> Result<usize, Overlap> {
    let mut sorted: Vec<&Edit> = edits.into_iter().collect();
    sorted.sort_by_key(|e| order(e));
    let mut pos = from;
    for e in sorted {
        if e.start < pos || e.end < e.start || e.end > text.len() {
            return Err(Overlap { at: e.start });
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_offset_insertions_go_deepest_first_then_in_plan_order() {
        let edits = vec![
            Edit::insertion(2, "outer".into(), 1),
            Edit::insertion(2, "inner1".into(), 3),
            Edit::insertion(2, "inner2".into(), 3),
            Edit::replacement(0, 1, "X".into(), 0),
        ];
        assert_eq!(apply("ab|", &edits).unwrap(), "Xbinner1inner2outer|");
        let merged = merge(edits);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[1].text, "inner1inner2outer");
        assert_eq!(apply("ab|", &merged).unwrap(), "Xbinner1inner2outer|");
    }

    #[test]
    fn overlapping_edits_are_rejected() {
        let edits = [Edit::replacement(0, 3, "x".into(), 0), Edit::insertion(1, "y".into(), 0)];
        assert_eq!(apply("abcd", &edits), Err(Overlap { at: 1 }));
    }
}
