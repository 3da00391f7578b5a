//! Unified diffs (via `similar`) that `git apply` and `patch -p1` apply byte for byte.

use std::io;

use similar::TextDiff;

use crate::yaml::edit::Edit;

/// Lines of context around each change, as `diff -u` and git use.
const CONTEXT: usize = 3;

/// A unified diff of `old` -> `new` with `a/PATH` and `b/PATH` headers; empty when equal.
/// A path with a space gets a tab after it, as git writes it, so `patch` reads it whole.
#[cfg(test)]
fn unified(old: &str, new: &str, path: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(CONTEXT)
        .header(&old_name(path), &new_name(path))
        .to_string()
}

fn old_name(path: &str) -> String {
    header_name("a/", path)
}

fn new_name(path: &str) -> String {
    header_name("b/", path)
}

/// A path in a diff header as git writes it: C-quoted when it holds a control character, a
/// double quote or a backslash (a file name with a line break must not split the header);
/// otherwise as it is, with a tab after it when it holds a space, so `patch` reads it whole.
fn header_name(prefix: &str, path: &str) -> String {
    if !path.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return format!("{prefix}{path}{}", if path.contains(' ') { "\t" } else { "" });
    }
    let mut out = format!("\"{prefix}");
    for c in path.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The diff [`unified`] gives for `old` and `old` with `edits` applied (non-overlapping, at
/// most one insertion per offset, as a file's fixes are), in pieces (the header, then the
/// hunks), computed from the edits: only the lines around the changes are handed to `similar`
/// (a window per group of nearby changes, its new side built from the window's edits), so a
/// large file with a few edits is not diffed whole and the fixed file is never needed. The
/// windows are far enough apart that their hunks never touch.
pub fn unified_edits(old: &str, edits: &[&Edit], path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let collected: io::Result<()> = unified_edits_each(old, edits, path, &mut |piece| {
        out.push(piece);
        Ok(())
    });
    collected.expect("collecting into a Vec cannot fail");
    out
}

/// [`unified_edits`], each piece handed to `emit` as soon as it is made: a large file's diff is
/// written without ever being held whole.
pub fn unified_edits_each(
    old: &str,
    edits: &[&Edit],
    path: &str,
    emit: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    unified_edits_with(old, edits, path, DIRECT_FROM, emit)
}

/// Windows of more lines than this are rendered straight from their edits ([`direct`]) instead
/// of through `similar`: a file whose every few lines change is one window, and diffing it
/// whole would hold the fixed file and the line tables of both sides at once.
const DIRECT_FROM: usize = 4096;

fn unified_edits_with(
    old: &str,
    edits: &[&Edit],
    path: &str,
    direct_from: usize,
    emit: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<()> {
    if edits.iter().all(|e| e.start == e.end && e.text.is_empty()) {
        return Ok(());
    }
    emit(format!("--- {}\n+++ {}\n", old_name(path), new_name(path)))?;
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(old.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < old.len())).collect();
    let line_of = |byte: usize| line_starts.partition_point(|&s| s <= byte).saturating_sub(1);
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| (e.start, e.end));
    // Groups of edits: (first line, last line, the group's edits as a range of `edits`).
    let mut groups: Vec<(usize, usize, std::ops::Range<usize>)> = Vec::new();
    for (i, e) in edits.iter().enumerate() {
        let (first, last) = (line_of(e.start), line_of(e.end));
        match groups.last_mut() {
            // Changes whose context would meet (gap of 2 * CONTEXT lines, one more for a
            // change at a line start) go into one window, where similar groups the hunks.
            Some(g) if first <= g.1 + 2 * CONTEXT + 2 => {
                g.1 = g.1.max(last);
                g.2.end = i + 1;
            }
            _ => groups.push((first, last, i..i + 1)),
        }
    }
    let mut line_shift = 0isize;
    for (first, last, group) in groups {
        let line0 = first.saturating_sub(CONTEXT);
        if last + CONTEXT + 1 - line0 > direct_from
            && let Some(changes) = changes(old, &edits[group.clone()])
            && let Some(regions) = regions(old, &line_starts, &changes)
        {
            line_shift = direct(old, &line_starts, &changes, &regions, line_shift, emit)?;
            continue;
        }
        let (a, b) = (line_starts[line0], line_starts.get(last + CONTEXT + 1).copied().unwrap_or(old.len()));
        let old_part = &old[a..b];
        let mut new_part =
            String::with_capacity(old_part.len() + edits[group.clone()].iter().map(|e| e.text.len()).sum::<usize>());
        let mut pos = a;
        for e in &edits[group] {
            new_part.push_str(&old[pos..e.start]);
            new_part.push_str(&e.text);
            pos = e.end;
        }
        new_part.push_str(&old[pos..b]);
        let window = TextDiff::from_lines(old_part, new_part.as_str());
        for hunk in window.unified_diff().context_radius(CONTEXT).iter_hunks() {
            let ops = hunk.ops();
            let (Some(head), Some(tail)) = (ops.first(), ops.last()) else { continue };
            let new0 = line0.saturating_add_signed(line_shift);
            let (old_start, old_end) = (head.old_range().start, tail.old_range().end);
            let (new_start, new_end) = (head.new_range().start, tail.new_range().end);
            let old_range = hunk_range(old_start + line0, old_end - old_start);
            let new_range = hunk_range(new_start + new0, new_end - new_start);
            // The body straight from similar's writer, in pieces of whole lines: a hunk that spans
            // a large file (changes every few lines) is never one string.
            let header = format!("@@ -{old_range} +{new_range} @@\n").into_bytes();
            let mut body = Lines { emit: &mut *emit, buf: header, header: true };
            hunk.to_writer(&mut body)?;
            io::Write::flush(&mut body)?;
        }
        line_shift += lines(&new_part) as isize - lines(old_part) as isize;
    }
    Ok(())
}

/// One side of a hunk header, for `len` lines after the 0-based line `start`, as diff writes it
/// (`start + 1`, with `,len` unless it is 1; an empty side names the line before it).
fn hunk_range(start: usize, len: usize) -> String {
    match len {
        1 => format!("{}", start + 1),
        0 => format!("{start},0"),
        len => format!("{},{len}", start + 1),
    }
}

/// An edit as the direct path reads it. An insertion that starts with a line break, made just
/// before a line break (`b|` + `\n  c,` gives `b\n  c,\n`), is the same text as the rest and a
/// line break inserted at the next line's start (`  c,\n`): read so, the line before it stays
/// context, as `similar`'s shortest diff has it, instead of being removed and added again.
struct Change<'e> {
    start: usize,
    end: usize,
    text: std::borrow::Cow<'e, str>,
}

/// The window's edits as [`Change`]s, in order, or `None` when moving one would put it past
/// another (an edit between the two bytes of a `\r\n`): `similar` handles that window.
fn changes<'e>(old: &str, edits: &[&'e Edit]) -> Option<Vec<Change<'e>>> {
    let out: Vec<Change> = edits
        .iter()
        .map(|e| {
            let rest = &old[e.start..];
            let eol = if rest.starts_with("\r\n") {
                "\r\n"
            } else if rest.starts_with('\n') {
                "\n"
            } else {
                ""
            };
            match e.start == e.end && !eol.is_empty() && e.text.starts_with(eol) {
                true => {
                    let at = e.start + eol.len();
                    Change { start: at, end: at, text: format!("{}{eol}", &e.text[eol.len()..]).into() }
                }
                false => Change { start: e.start, end: e.end, text: e.text.as_str().into() },
            }
        })
        .collect();
    out.windows(2).all(|w| w[0].end <= w[1].start).then_some(out)
}

/// A stretch of old lines `[lo, hi)` that a group of edits changes (`lo == hi`: lines are only
/// added before line `lo`), and those edits (a range of the group's).
#[derive(Debug)]
struct Region {
    lo: usize,
    hi: usize,
    edits: std::ops::Range<usize>,
}

/// The changed stretches of a window, in order and apart, or `None` when a region's new text
/// would not end at a line break before more old lines (an edit joining two lines): `similar`
/// handles that window.
fn regions(old: &str, line_starts: &[usize], edits: &[Change]) -> Option<Vec<Region>> {
    if old.is_empty() {
        return None;
    }
    let n = line_starts.len();
    let ends_line = old.ends_with('\n');
    // The line a byte is on; the end of a file that ends with a line break starts line `n`.
    let line_at = |b: usize| match b == old.len() && ends_line {
        true => n,
        false => line_starts.partition_point(|&s| s <= b).saturating_sub(1),
    };
    let starts_line = |b: usize| (b == old.len() && ends_line) || line_starts.binary_search(&b).is_ok();
    let mut out: Vec<Region> = Vec::new();
    for (i, e) in edits.iter().enumerate() {
        if e.start == e.end && e.text.is_empty() {
            continue;
        }
        let whole = starts_line(e.start) && starts_line(e.end) && (e.text.is_empty() || e.text.ends_with('\n'));
        let (lo, hi) = match whole {
            true => (line_at(e.start), line_at(e.end)),
            false => {
                let lo = line_at(e.start);
                let last = if e.end > e.start { line_at(e.end - 1) } else { lo };
                (lo, (last + 1).min(n))
            }
        };
        match out.last_mut() {
            Some(r) if lo <= r.hi => {
                r.hi = r.hi.max(hi);
                r.edits.end = i + 1;
            }
            _ => out.push(Region { lo, hi, edits: i..i + 1 }),
        }
    }
    let joins = out.iter().any(|r| {
        let last = region_pieces(old, line_starts, edits, r).into_iter().rfind(|p| !p.is_empty());
        r.hi < n && last.is_some_and(|p| !p.ends_with('\n'))
    });
    (!joins).then_some(out)
}

/// The hunks of one window written straight from its changed regions (every edit kept apart
/// from what it does not change), in unified format with [`CONTEXT`] lines, as `similar`
/// writes them: hunks whose context would meet are one. Returns the line shift after the window.
fn direct(
    old: &str,
    line_starts: &[usize],
    edits: &[Change],
    regions: &[Region],
    mut line_shift: isize,
    emit: &mut dyn FnMut(String) -> io::Result<()>,
) -> io::Result<isize> {
    let n = line_starts.len();
    let start = |l: usize| line_starts.get(l).copied().unwrap_or(old.len());
    // Made twice per region, to count its lines and to print them: holding every region's
    // pieces of a file-long hunk at once measured about 6 MB more on a 23 MB file.
    let new_text = |r: &Region| region_pieces(old, line_starts, edits, r);
    let mut i = 0;
    while i < regions.len() {
        // The regions of one hunk: the unchanged lines between them are at most 2 * CONTEXT.
        let mut j = i + 1;
        while j < regions.len() && regions[j].lo - regions[j - 1].hi <= 2 * CONTEXT {
            j += 1;
        }
        let hunk = &regions[i..j];
        let (lo, hi) = (hunk[0].lo.saturating_sub(CONTEXT), (hunk[hunk.len() - 1].hi + CONTEXT).min(n));
        let added: usize = hunk.iter().map(|r| pieces_lines(&new_text(r))).sum();
        let removed: usize = hunk.iter().map(|r| r.hi - r.lo).sum();
        let new_len = hi - lo - removed + added;
        let new_lo = lo.saturating_add_signed(line_shift);
        let buf = format!("@@ -{} +{} @@\n", hunk_range(lo, hi - lo), hunk_range(new_lo, new_len)).into_bytes();
        let mut body = Lines { emit: &mut *emit, buf, header: false };
        let mut line = lo;
        for r in hunk {
            for l in line..r.lo {
                signed(&mut body, ' ', &old[start(l)..start(l + 1)])?;
            }
            for l in r.lo..r.hi {
                signed(&mut body, '-', &old[start(l)..start(l + 1)])?;
            }
            // Line by line, never the whole region at once: a file whose every line changes
            // is one region.
            let mut l = String::new();
            for piece in new_text(r) {
                for part in piece.split_inclusive('\n') {
                    l.push_str(part);
                    if part.ends_with('\n') {
                        signed(&mut body, '+', &l)?;
                        l.clear();
                    }
                }
            }
            if !l.is_empty() {
                signed(&mut body, '+', &l)?;
            }
            line = r.hi;
        }
        for l in line..hi {
            signed(&mut body, ' ', &old[start(l)..start(l + 1)])?;
        }
        io::Write::flush(&mut body)?;
        line_shift += added as isize - removed as isize;
        i = j;
    }
    Ok(line_shift)
}

/// What the new side has in place of a region's old lines, in pieces: old text between the
/// edits, and the edits' text.
fn region_pieces<'t>(old: &'t str, line_starts: &[usize], edits: &'t [Change], r: &Region) -> Vec<&'t str> {
    let start = |l: usize| line_starts.get(l).copied().unwrap_or(old.len());
    let (a, b) = (start(r.lo), start(r.hi));
    let mut pieces = Vec::with_capacity(2 * r.edits.len() + 1);
    let mut pos = a;
    for e in &edits[r.edits.clone()] {
        pieces.push(&old[pos..e.start]);
        pieces.push(&*e.text);
        pos = e.end;
    }
    pieces.push(&old[pos..b]);
    pieces
}

/// Lines in the text the pieces make, a last one without a line break included.
fn pieces_lines(pieces: &[&str]) -> usize {
    let ends_open = pieces.iter().rfind(|p| !p.is_empty()).is_some_and(|p| !p.ends_with('\n'));
    pieces.iter().map(|p| lines(p)).sum::<usize>() + usize::from(ends_open)
}

/// One line of a hunk with its sign, and git's marker when it has no line break.
fn signed(out: &mut impl io::Write, sign: char, line: &str) -> io::Result<()> {
    let mut buf = [0; 4];
    out.write_all(sign.encode_utf8(&mut buf).as_bytes())?;
    out.write_all(line.as_bytes())?;
    if !line.ends_with('\n') {
        out.write_all(b"\n\\ No newline at end of file\n")?;
    }
    Ok(())
}

/// A writer that skips similar's own hunk header (its first line) and hands what follows to
/// `emit` in pieces of about [`PIECE`] bytes, cut after a line break.
struct Lines<'e> {
    emit: &'e mut dyn FnMut(String) -> io::Result<()>,
    buf: Vec<u8>,
    header: bool,
}

const PIECE: usize = 1 << 16;

impl io::Write for Lines<'_> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let len = data.len();
        if self.header {
            match data.iter().position(|&b| b == b'\n') {
                Some(i) => (self.header, data) = (false, &data[i + 1..]),
                None => return Ok(len),
            }
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE
            && let Some(end) = self.buf.iter().rposition(|&b| b == b'\n')
        {
            let rest = self.buf.split_off(end + 1);
            let piece = std::mem::replace(&mut self.buf, rest);
            (self.emit)(String::from_utf8(piece).map_err(io::Error::other)?)?;
        }
        Ok(len)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let piece = std::mem::take(&mut self.buf);
            (self.emit)(String::from_utf8(piece).map_err(io::Error::other)?)?;
        }
        Ok(())
    }
}

fn lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &str, changes: &[(usize, usize, &str)]) -> (String, Vec<Edit>) {
        let mut new = old.to_owned();
        for &(start, end, text) in changes.iter().rev() {
            new.replace_range(start..end, text);
        }
        (new, changes.iter().map(|&(start, end, text)| Edit::replacement(start, end, text.into(), 0)).collect())
    }

    #[test]
    fn headers_and_missing_final_newline() {
        let (new, changes) = apply("a: 1\nb: 2", &[(9, 9, "\nc: 3")]);
        let d = unified_edits("a: 1\nb: 2", &changes.iter().collect::<Vec<_>>(), "x.yaml").concat();
        assert!(d.starts_with("--- a/x.yaml\n+++ b/x.yaml\n"), "{d}");
        assert!(d.contains("\\ No newline at end of file"), "{d}");
        assert_eq!(d, unified("a: 1\nb: 2", &new, "x.yaml"));
        assert!(unified_edits("same", &[], "x").is_empty());
    }

    #[test]
    fn names_with_line_breaks_or_quotes_are_c_quoted_as_git_does() {
        assert_eq!(header_name("a/", "x.yaml"), "a/x.yaml");
        assert_eq!(header_name("a/", "f y.yaml"), "a/f y.yaml\t");
        assert_eq!(header_name("a/", "f\ny.yaml"), "\"a/f\\ny.yaml\"");
        assert_eq!(header_name("b/", "q\"\\\x1b.yaml"), "\"b/q\\\"\\\\\\033.yaml\"");
    }

    #[test]
    fn windows_give_the_same_diff_as_the_whole_file() {
        let old: String = (0..60).map(|i| format!("line {i}\n")).collect();
        let at = |line: usize| old.match_indices('\n').nth(line.wrapping_sub(1)).map_or(0, |(i, _)| i + 1);
        let cases: Vec<Vec<(usize, usize, &str)>> = vec![
            vec![(at(0), at(0), "new\n")],
            vec![(at(60), at(60), "end\n")],
            vec![(at(10), at(10), "x\n"), (at(12), at(12), "y\n")],
            // Gaps around 2 * CONTEXT: hunks merge or stay apart exactly as similar decides.
            vec![(at(10), at(10), "x\n"), (at(16), at(16), "y\n")],
            vec![(at(10), at(10), "x\n"), (at(17), at(17), "y\n")],
            vec![(at(10), at(10), "x\n"), (at(18), at(18), "y\n")],
            vec![(at(10) + 2, at(10) + 4, "NE"), (at(30), at(31), "gone\n"), (at(59), at(60), "")],
            vec![(at(1), at(1), "a\nb\nc\n"), (at(40), at(40), "d\n")],
        ];
        for case in cases {
            let (new, changes) = apply(&old, &case);
            let edits: Vec<&Edit> = changes.iter().collect();
            assert_eq!(unified_edits(&old, &edits, "f y").concat(), unified(&old, &new, "f y"), "{case:?}");
        }
    }

    /// The diff [`unified_edits_with`] writes straight from the edits, for windows of any size
    /// (`direct_from` 0), is the one `similar` gives where the lines are all distinct (so there
    /// is one shortest diff): insertions of whole lines, inside lines, at the start and end,
    /// starting with a line break just before one (as a flow collection's trailing comma gets
    /// its next item), with `\n` and `\r\n`, with and without a final line break.
    #[test]
    fn windows_written_from_the_edits_are_the_diff_similar_gives() {
        let (mut seed, mut written) = (0x2545_f491_4f6c_dd1du64, 0);
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for case in 0..600 {
            let eol = if next(3) == 0 { "\r\n" } else { "\n" };
            let lines = 1 + next(40);
            let mut old: String = (0..lines).map(|i| format!("line {i} of {case}{eol}")).collect();
            if next(4) == 0 {
                old.truncate(old.len() - eol.len());
            }
            let inside_crlf = |i: usize| i > 0 && old.as_bytes()[i - 1] == b'\r';
            let mut at: Vec<usize> =
                (0..1 + next(8)).map(|_| next(old.len() + 1)).filter(|&i| !inside_crlf(i)).collect();
            at.sort();
            at.dedup();
            let texts: Vec<String> = (0..at.len())
                .map(|k| match next(6) {
                    0 => format!("new {k}{eol}"),
                    1 => format!(" inline {k}"),
                    2 => format!("a {k}{eol}b {k}{eol}"),
                    3 => format!("{eol}  item {k},"),
                    4 => eol.to_string(),
                    _ => format!(" x {k}{eol}y {k}"),
                })
                .collect();
            let changes: Vec<(usize, usize, &str)> = at.iter().zip(&texts).map(|(&a, t)| (a, a, t.as_str())).collect();
            let (new, edits) = apply(&old, &changes);
            let edits: Vec<&Edit> = edits.iter().collect();
            let mut direct = String::new();
            unified_edits_with(&old, &edits, "f", 0, &mut |p| {
                direct.push_str(&p);
                Ok(())
            })
            .unwrap();
            let starts: Vec<usize> = std::iter::once(0)
                .chain(old.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < old.len()))
                .collect();
            written += usize::from(super::changes(&old, &edits).is_some_and(|c| regions(&old, &starts, &c).is_some()));
            let whole = unified(&old, &new, "f");
            // A region that ends inside a line before more lines is left to similar; either way
            // the text must be similar's.
            assert_eq!(direct, whole, "case {case}: {changes:?} on {old:?}");
        }
        assert!(written > 550, "only {written} of 600 cases were written from their edits");
    }
}
