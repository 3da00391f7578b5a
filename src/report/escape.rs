//! Text from manifests, file names and configuration files, made safe for a terminal or a CI
//! log: control characters (escape sequences, line breaks, carriage returns) and the Unicode
//! controls that reorder or hide text are shown as visible escapes, as `git` and `ls` do, so a
//! manifest cannot clear a screen, retitle a window, or write a line of its own choosing.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Characters shown escaped: C0 and C1 controls, DEL, bidirectional and other invisible
/// formatting controls, line and paragraph separators.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `text` with every hidden character escaped (`\n`, `\t`, `\r`, `\x1b`, `\u{202e}`).
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if hidden(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Write one line whose text may hold values from outside: escaped, then a line break.
pub fn say(out: &mut dyn Write, text: &str) -> io::Result<()> {
    writeln!(out, "{}", shown(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_obeyed() {
        assert_eq!(shown("p\x1b]0;pwned\x07\x1b[2J"), "p\\x1b]0;pwned\\x07\\x1b[2J");
        assert_eq!(shown("c\n::add-mask::x\r"), "c\\n::add-mask::x\\r");
        assert_eq!(shown("a\u{202e}b\u{9b}"), "a\\u{202e}b\\x9b");
        assert_eq!(shown("plain ünïcode: ok"), "plain ünïcode: ok");
        assert!(matches!(shown("nothing to do"), Cow::Borrowed(_)));
    }
}
