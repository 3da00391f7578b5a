//! What a run says on standard error besides errors: a progress bar on a terminal, the
//! `--verbose` file list, and the `--quiet` / `--verbose` levels.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::model::{FileReport, Mode, Tally};
use super::words::count;

/// `--quiet`, default, `--verbose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Only errors (and the exit code): no summary, no notes, no progress bar.
    Quiet,
    #[default]
    Normal,
    /// Also one line per file processed, on standard error.
    Verbose,
}

/// Runs over more files than this show a progress bar (when standard error is a terminal).
pub const MIN_FILES: usize = 300;

/// A progress bar on standard error, or nothing.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar over `total` files when `wanted` (standard error is a terminal and not `--quiet`)
    /// and the run is long enough to need one.
    pub fn new(wanted: bool, total: usize, mode: Mode) -> Progress {
        if !wanted || total <= MIN_FILES {
            return Progress(None);
        }
        let style = ProgressStyle::with_template("{prefix} [{wide_bar}] {pos}/{len} files ({elapsed}, eta {eta})")
            .expect("a valid template")
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_prefix(format!("kube-rofs {}", mode.name()));
        Progress(Some(bar))
    }

    /// Whether this process should show one: standard error is a terminal.
    pub fn wanted(verbosity: Verbosity) -> bool {
        verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()
    }

    pub fn shown(&self) -> bool {
        self.0.is_some()
    }

    /// One more file done (called from any thread).
    pub fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    /// Run `f`, which writes to the terminal, with the bar cleared.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.0 {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Remove the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// The `--verbose` line for one file: `path: what happened (counts)`.
pub fn verbose_line(mode: Mode, file: &FileReport) -> String {
    let o = match &file.result {
        Err(_) => return format!("{}: error", file.path),
        Ok(o) if o.skipped.is_some() => return format!("{}: skipped", file.path),
        Ok(o) => o,
    };
    let mut t = Tally::default();
    t.add(o);
    let what = match (mode, !o.fixes.is_empty(), &file.write_error) {
        (_, _, Some(_)) => "not written",
        (Mode::Fix, true, None) => "fixed",
        (Mode::Fix, false, None) => "unchanged",
        (Mode::Diff, true, None) => "would change",
        (Mode::Diff, false, None) => "nothing to fix",
        (Mode::Check, _, None) if t.counted() > t.read_only => "not all read-only",
        (Mode::Check, _, None) => "read-only",
    };
    let fixable = if mode == Mode::Fix { "fixed" } else { "to fix" };
    format!(
        "{}: {what} ({}: {} read-only, {} {fixable}, {} refused, {} not applicable, {} explicit false)",
        file.path,
        count(t.read_only + t.fixable + t.refused + t.not_applicable + t.explicit_false, "container"),
        t.read_only,
        t.fixable,
        t.refused,
        t.not_applicable,
        t.explicit_false
    )
}
