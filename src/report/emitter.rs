//! The emitter interface every output format implements, and the formats' names.

use super::escape::say;
use std::io::{self, Write};

use clap::ValueEnum;

use super::model::{FileReport, Summary};

/// Output formats of `check`, `diff` and `fix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: audit lines and summary (check), unified diff (diff), summary (fix).
    Text,
    /// One versioned JSON object (docs/formats.md, "JSON output").
    Json,
    /// SARIF 2.1.0 with fixes, for code scanning and reviewdog.
    Sarif,
    /// GitHub Actions workflow commands (annotations) plus the summary.
    Github,
    /// GitLab Code Quality JSON (artifacts:reports:codequality).
    Gitlab,
    /// reviewdog diagnostic JSON lines with suggestions.
    Rdjsonl,
}

impl Format {
    /// The format prints each fix's edits (as edits, SARIF fixes or suggestions).
    pub fn shows_edits(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Rdjsonl)
    }
}

/// Streams a run's output: `begin`, then `file` for each file in order, then `finish`.
pub trait Emitter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn file(&mut self, file: &FileReport, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()>;
    fn finish(&mut self, summary: &Summary, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()>;
}

/// How the text format looks; the machine formats ignore it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Look {
    /// Colour the diff and the verdict (`--color`).
    pub color: bool,
    /// Only errors: no audit lines, summary or notes (`--quiet`); a diff or `fix -`'s YAML is still printed.
    pub quiet: bool,
}

/// A file that could not be handled, as text on standard error whatever the format:
/// `path[:line:col]: error: ...`.
pub fn file_errors(f: &FileReport, err: &mut dyn Write) -> io::Result<()> {
    match &f.result {
        Err(fail) => match fail.pos {
            Some(p) => say(err, &format!("{}:{p}: {}", f.path, fail.message)),
            None => say(err, &format!("{}: {}", f.path, fail.message)),
        },
        Ok(_) => match &f.write_error {
            Some(e) => say(err, &format!("{}: error: {e}", f.path)),
            None => Ok(()),
        },
    }
}
