//! Terminal colour: when to colour (`--color`, and for `auto` anstream's reading of the
//! terminal and `NO_COLOR` / `CLICOLOR_FORCE` / `CLICOLOR`) and how.

use anstyle::{AnsiColor, Style};
use clap::ValueEnum;

/// `--color`: when text output is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// When the output is a terminal, unless NO_COLOR is set; CLICOLOR_FORCE colours anyway.
    #[default]
    Auto,
    /// Always (even with NO_COLOR set or output piped).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour what is written to `stream` (standard output, or the `--output`
    /// file). `auto` asks anstream, as clap and other Rust tools do: `NO_COLOR` (non-empty)
    /// turns colour off, then `CLICOLOR_FORCE` turns it on, then `CLICOLOR=0` off; otherwise
    /// colour when the stream is a terminal that supports it.
    pub fn resolve<S: anstream::stream::RawStream>(self, stream: &S) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never,
        }
    }
}

pub const ADDED: Style = AnsiColor::Green.on_default();
pub const REMOVED: Style = AnsiColor::Red.on_default();
pub const HUNK: Style = AnsiColor::Cyan.on_default();
pub const HEADER: Style = Style::new().bold();
pub const PASS: Style = AnsiColor::Green.on_default().bold();
pub const FAIL: Style = AnsiColor::Red.on_default().bold();

/// `text` in `style`, or as it is when `on` is false.
pub fn paint(on: bool, style: Style, text: &str) -> String {
    if on { format!("{}{text}{}", style.render(), style.render_reset()) } else { text.to_owned() }
}

/// Colours a unified diff of one file handed over in pieces (a header, hunks, parts of a long
/// hunk, each of whole lines): `---`/`+++` headers bold, hunk headers cyan, `+` lines green,
/// `-` lines red, context plain; line endings (CRLF included) stay outside the colour codes.
#[derive(Debug, Default)]
pub struct DiffPainter {
    /// A hunk header was seen: `---` and `+++` lines from here on are removed and added lines.
    in_hunks: bool,
}

impl DiffPainter {
    pub fn paint(&mut self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len() + piece.len() / 4);
        for line in piece.split_inclusive('\n') {
            let body_len = line.strip_suffix('\n').map_or(line.len(), |l| l.strip_suffix('\r').unwrap_or(l).len());
            let (body, end) = line.split_at(body_len);
            self.in_hunks |= body.starts_with("@@");
            let style = if body.starts_with("@@") {
                Some(HUNK)
            } else if !self.in_hunks {
                // Before the first hunk: the `--- a/...` / `+++ b/...` headers.
                Some(HEADER)
            } else if body.starts_with('+') {
                Some(ADDED)
            } else if body.starts_with('-') {
                Some(REMOVED)
            } else {
                None
            };
            match style {
                Some(s) if !body.is_empty() => out.push_str(&paint(true, s, body)),
                _ => out.push_str(body),
            }
            out.push_str(end);
        }
        out
    }
}

/// A whole unified diff of one file, coloured as [`DiffPainter`] does.
#[cfg(test)]
fn diff(d: &str) -> String {
    DiffPainter::default().paint(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_diff_lines_by_role_and_keeps_line_endings() {
        let d =
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,2 +1,3 @@\n a: 1\r\n-b: 2\n+b: 3\n+---\n\\ No newline at end of file\n";
        let c = diff(d);
        let g = |s: Style, t: &str| paint(true, s, t);
        let want = format!(
            "{}\n{}\n{}\n a: 1\r\n{}\n{}\n{}\n\\ No newline at end of file\n",
            g(HEADER, "--- a/x.yaml"),
            g(HEADER, "+++ b/x.yaml"),
            g(HUNK, "@@ -1,2 +1,3 @@"),
            g(REMOVED, "-b: 2"),
            g(ADDED, "+b: 3"),
            g(ADDED, "+---"),
        );
        assert_eq!(c, want);
        assert_eq!(paint(false, ADDED, "x"), "x");
    }
}
