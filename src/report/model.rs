//! What the formats render: one report per file, and the summary of a run (counts, verdict,
//! exit code).

use std::io;

use crate::fix::outcome::Outcome;
use crate::k8s::status::Status;
use crate::yaml::source::{Pos, Source};

/// The share of read-only containers `check` requires unless told otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Diff,
    Fix,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Check => "check",
            Mode::Diff => "diff",
            Mode::Fix => "fix",
        }
    }
}

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing to report (check passed, no diff, fix succeeded).
    Ok = 0,
    /// check: ratio below the threshold; diff: there are changes.
    Findings = 1,
    /// Any file could not be read, parsed, verified or written.
    Error = 2,
}

/// A file that could not be handled.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    pub pos: Option<Pos>,
}

/// What happened to one input.
#[derive(Debug)]
pub struct FileReport {
    /// As shown and used in diff headers (`-` or `--stdin-filename` for standard input).
    pub path: String,
    /// Standard input (`fix -` prints the YAML).
    pub stdin: bool,
    /// The file as read (empty when it could not be read).
    pub bytes: Vec<u8>,
    pub result: Result<Outcome, Failure>,
    /// Unified diff of the change (diff mode), in pieces to write one after the other; made
    /// when the file was processed, or when it is printed (see [`FileReport::write_diff`]).
    pub diff: Diff,
    /// `fix` could not write the file.
    pub write_error: Option<String>,
}

/// A file's unified diff in diff mode.
#[derive(Debug, Default)]
pub enum Diff {
    /// None: not diff mode, or nothing changed.
    #[default]
    None,
    /// Made on the worker thread that processed the file.
    Pieces(Vec<String>),
    /// Made piece by piece while it is printed, from the file and its fix: a large file's diff
    /// (several times the file) is never held whole.
    WhenPrinted,
}

/// Files at least this large get [`Diff::WhenPrinted`].
pub const DIFF_WHEN_PRINTED_FROM: usize = 1 << 20;

impl FileReport {
    /// Hand the pieces of the file's unified diff to `write`, in order.
    pub fn write_diff(&self, write: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        match &self.diff {
            Diff::None => Ok(()),
            Diff::Pieces(pieces) => pieces.iter().try_for_each(|p| write(p)),
            Diff::WhenPrinted => {
                let Ok(outcome) = &self.result else { return Ok(()) };
                let edits: Vec<_> = outcome.fixes.iter().flat_map(|f| &f.edits).collect();
                // Valid UTF-8: the input was decoded.
                let old = String::from_utf8_lossy(&self.bytes);
                super::diff::unified_edits_each(&old, &edits, &self.path, &mut |p| write(&p))
            }
        }
    }

    /// Line and column of a byte offset of the file (a BOM included); the file was decoded
    /// once already, so this cannot fail for an offset the pipeline reported.
    pub fn locator(&self) -> Locator<'_> {
        let src = Source::decode(&self.bytes).ok();
        let bom = src.as_ref().map_or(0, |s| s.bom.len());
        Locator { src, bom }
    }
}

/// Positions of file offsets in one file.
pub struct Locator<'a> {
    src: Option<Source<'a>>,
    bom: usize,
}

impl Locator<'_> {
    pub fn pos(&self, offset: usize) -> Pos {
        self.src.as_ref().map_or_else(Pos::default, |s| s.pos(offset - self.bom))
    }

    pub fn bom(&self) -> usize {
        self.bom
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub files: usize,
    pub changed_files: usize,
    pub read_only: usize,
    /// Of the read-only ones, those lacking writable paths they need.
    pub incomplete: usize,
    /// Writable and fixable (fixed, after `fix`).
    pub fixable: usize,
    pub refused: usize,
    pub not_applicable: usize,
    pub explicit_false: usize,
    pub skipped_files: usize,
    pub errors: usize,
}

impl Tally {
    /// Count one file's report. Counts say what reached the disk: a file `fix` could not write
    /// is an error, and neither it nor its containers count as fixed.
    pub fn add_report(&mut self, r: &FileReport) {
        let Ok(o) = &r.result else {
            self.errors += 1;
            return;
        };
        self.add(o);
        if r.write_error.is_some() {
            self.errors += 1;
            self.changed_files -= usize::from(!o.fixes.is_empty());
            self.fixable -= o.findings.iter().filter(|f| f.status == Status::Writable).count();
        }
    }

    pub fn add(&mut self, outcome: &Outcome) {
        self.files += 1;
        self.changed_files += usize::from(!outcome.fixes.is_empty());
        self.skipped_files += usize::from(outcome.skipped.is_some());
        for f in &outcome.findings {
            match f.status {
                Status::ReadOnly => {
                    self.read_only += 1;
                    self.incomplete += usize::from(f.lacks_paths());
                }
                Status::Writable => self.fixable += 1,
                Status::Refused(_) => self.refused += 1,
                Status::NotApplicable(_) => self.not_applicable += 1,
                Status::ExplicitFalse => self.explicit_false += 1,
            }
        }
    }

    /// Containers counted by the audit ratio: all but the not applicable ones. An explicit
    /// `readOnlyRootFilesystem: false` is a writable container and counts.
    pub fn counted(&self) -> usize {
        self.read_only + self.fixable + self.refused + self.explicit_false
    }

    /// Containers that pass: read-only ones, without those lacking writable paths when `strict`.
    pub fn passing(&self, strict: bool) -> usize {
        if strict { self.read_only - self.incomplete } else { self.read_only }
    }

    /// The audit ratio, None when there is nothing to count.
    pub fn ratio(&self, strict: bool) -> Option<f64> {
        (self.counted() > 0).then(|| self.passing(strict) as f64 / self.counted() as f64)
    }
}

/// Whether the audit passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Pass(f64),
    Fail(f64),
    /// No containers to count.
    NotApplicable,
}

/// What the emitters need once every file has been seen.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub mode: Mode,
    pub threshold: f64,
    /// Read-only containers lacking writable paths do not pass (`--strict`).
    pub strict: bool,
    pub tally: Tally,
    /// Standard input was one of the inputs (`fix -` prints YAML on stdout).
    pub stdin: bool,
}

impl Summary {
    pub fn verdict(&self) -> Verdict {
        match self.tally.ratio(self.strict) {
            None => Verdict::NotApplicable,
            Some(r) if r >= self.threshold => Verdict::Pass(r),
            Some(r) => Verdict::Fail(r),
        }
    }

    pub fn exit(&self) -> Exit {
        if self.tally.errors > 0 {
            return Exit::Error;
        }
        match self.mode {
            Mode::Check if matches!(self.verdict(), Verdict::Fail(_)) => Exit::Findings,
            Mode::Diff if self.tally.changed_files > 0 => Exit::Findings,
            _ => Exit::Ok,
        }
    }
}
