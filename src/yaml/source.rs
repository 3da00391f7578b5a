//! Raw file bytes to text: UTF-8 check, BOM split, line table and line-ending detection.

use std::fmt;

/// Where something is in a file: 1-based line and column. `col` counts characters (what
/// editors show); `byte_col` counts UTF-8 bytes (what reviewdog's format uses). A BOM is not
/// part of the first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
    pub byte_col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A decoded source file. `body` is the text after an optional UTF-8 BOM; every byte offset
/// used by the rest of the crate is an offset into `body`.
pub struct Source<'a> {
    pub bom: &'a str,
    pub body: &'a str,
    line_starts: Vec<usize>,
}

/// Why the bytes are not text kube-rofs can edit; `pos` names the first bad byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    pub pos: Pos,
    pub utf16: bool,
    /// A line break `\r` not followed by `\n` (classic Mac OS line endings).
    pub lone_cr: bool,
}

const BOM: &str = "\u{feff}";

impl<'a> Source<'a> {
    pub fn decode(bytes: &'a [u8]) -> Result<Source<'a>, NotUtf8> {
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            return Err(NotUtf8 { pos: Pos { line: 1, col: 1, byte_col: 1 }, utf16: true, lone_cr: false });
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let good = &bytes[..e.valid_up_to()];
                // The prefix is valid UTF-8 by construction.
                let good = std::str::from_utf8(good).unwrap_or_default();
                let line = good.matches('\n').count() + 1;
                let last = good.rsplit('\n').next().unwrap_or("");
                let pos = Pos { line, col: last.chars().count() + 1, byte_col: last.len() + 1 };
                return Err(NotUtf8 { pos, utf16: false, lone_cr: false });
            }
        };
        let (bom, body) = match text.strip_prefix(BOM) {
            Some(rest) => (BOM, rest),
            None => ("", text),
        };
        let source = Source::with_bom(bom, body);
        // YAML reads a lone `\r` as a line break; line positions here count `\n` only.
        if let Some(i) =
            body.bytes().enumerate().position(|(i, b)| b == b'\r' && body.as_bytes().get(i + 1) != Some(&b'\n'))
        {
            return Err(NotUtf8 { pos: source.pos(i), utf16: false, lone_cr: true });
        }
        Ok(source)
    }

    fn with_bom(bom: &'a str, body: &'a str) -> Source<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        Source { bom, body, line_starts }
    }

    /// 0-based line index of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line]
    }

    /// Indentation (in bytes, i.e. columns: YAML indents with spaces only) of `offset` within its line.
    pub fn column(&self, offset: usize) -> usize {
        offset - self.line_starts[self.line_of(offset)]
    }

    /// 1-based line and character column of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let before = &self.body[start..offset.min(self.body.len())];
        Pos { line: line + 1, col: before.chars().count() + 1, byte_col: before.len() + 1 }
    }

    /// Offset where a new line inserted after the line holding `offset` starts: just past the
    /// next `\n`, or the end of the text when that line is the last one.
    pub fn next_line_start(&self, offset: usize) -> usize {
        let line = self.line_of(offset);
        self.line_starts.get(line + 1).copied().unwrap_or(self.body.len())
    }

    /// True when the text does not end with a line break (insertions at the end must add one).
    pub fn ends_without_newline(&self) -> bool {
        !self.body.is_empty() && !self.body.ends_with('\n')
    }

    /// Line ending to use for a line inserted at `offset`: that of the line just above it,
    /// else the first line ending of the file, else `\n`.
    pub fn eol_at(&self, offset: usize) -> &'static str {
        let above = &self.body[..offset];
        if above.ends_with("\r\n") {
            return "\r\n";
        }
        if above.ends_with('\n') {
            return "\n";
        }
        match self.body.find('\n') {
            Some(i) if i > 0 && self.body.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_split_off_and_offsets_are_body_relative() {
        let s = Source::decode("\u{feff}a: 1\nb: 2".as_bytes()).unwrap();
        assert_eq!(s.bom, BOM);
        assert_eq!(s.body, "a: 1\nb: 2");
        assert_eq!(s.pos(5), Pos { line: 2, col: 1, byte_col: 1 });
        assert_eq!(s.next_line_start(6), 9);
        assert!(s.ends_without_newline());
        let s = Source::decode("k: ✓x".as_bytes()).unwrap();
        assert_eq!(s.pos(6), Pos { line: 1, col: 5, byte_col: 7 }, "columns in characters and in bytes");
    }

    #[test]
    fn non_utf8_names_the_position() {
        let e = Source::decode(b"a: 1\nb: \xff\n").err().unwrap();
        assert_eq!(e.pos, Pos { line: 2, col: 4, byte_col: 4 });
        assert!(Source::decode(b"\xff\xfea\x00").err().unwrap().utf16);
        let cr = Source::decode(b"a: 1\r\nb: 2\rc: 3\r").err().unwrap();
        assert!(cr.lone_cr);
        assert_eq!((cr.pos.line, cr.pos.col), (2, 5));
    }

    #[test]
    fn eol_follows_neighbour_then_file() {
        let s = Source::decode(b"a: 1\r\nb: 2").unwrap();
        assert_eq!(s.eol_at(6), "\r\n");
        assert_eq!(s.eol_at(s.body.len()), "\r\n");
        let s = Source::decode(b"a: 1\nb: 2\r\n").unwrap();
        assert_eq!(s.eol_at(5), "\n");
    }
}
