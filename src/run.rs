//! Run a mode (check / diff / fix) over inputs: discovered, sorted by path, processed in
//! parallel chunks, reported as a stream, written when fixing.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::fix::options::Options;
use crate::fix::outcome::{NotChecked, Outcome};
use crate::fix::pipeline::analyze;
use crate::fs::discover::{self, Input};
use crate::fs::project;
use crate::fs::write::{self, Durability};
use crate::report::emitter::{self, Format, Look};
use crate::report::escape::say;
use crate::report::model::{
    DEFAULT_THRESHOLD, DIFF_WHEN_PRINTED_FROM, Diff, Exit, Failure, FileReport, Mode, Summary, Tally,
};
use crate::report::progress::{self, Progress, Verbosity};
use crate::report::{self, diff};

/// Everything a run needs, resolved once from flags, configuration and defaults.
pub struct Settings {
    pub mode: Mode,
    pub format: Format,
    pub options: Options,
    pub threshold: f64,
    /// A read-only container passes only with the writable paths it needs (`--strict`).
    pub strict: bool,
    pub paths: Vec<PathBuf>,
    /// Larger files are errors, not read (`--max-file-size`).
    pub max_file_size: u64,
    /// Write through a named symlink whose target is inside the given paths.
    pub follow_symlinks: bool,
    /// What a written file survives: a kill (the default), or a power loss too (`--fsync`).
    pub durability: Durability,
    /// The name standard input goes by in messages and diff headers (`--stdin-filename`).
    pub stdin_name: String,
    /// Colour the text output (`--color`, resolved).
    pub color: bool,
    pub verbosity: Verbosity,
    /// Show a progress bar on standard error for long runs (standard error is a terminal).
    pub progress: bool,
    /// Files (paths as shown) never read (configuration `exclude`).
    pub exclude: globset::GlobSet,
    /// Walks honour .gitignore, .ignore, the global git excludes and skip vendor/ and
    /// node_modules/ (`--no-ignore` turns it off).
    pub respect_ignores: bool,
    /// Said on standard error before the run (configuration files passed over).
    pub notes: Vec<String>,
}

impl Settings {
    /// Settings for `mode` with every other choice at its default.
    pub fn new(mode: Mode, paths: Vec<PathBuf>) -> Settings {
        Settings {
            mode,
            format: Format::Text,
            options: Options::default(),
            threshold: DEFAULT_THRESHOLD,
            strict: false,
            paths,
            max_file_size: 64 << 20,
            follow_symlinks: false,
            durability: Durability::Atomic,
            stdin_name: "-".to_owned(),
            color: false,
            verbosity: Verbosity::Normal,
            progress: false,
            exclude: globset::GlobSet::empty(),
            respect_ignores: true,
            notes: Vec::new(),
        }
    }
}

/// A file of `len` bytes (None: standard input, read only up to the limit) over the limit.
fn too_big(len: Option<u64>, max: u64) -> String {
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let what = match len {
        Some(len) => format!("file is {:.1} MiB,", mib(len)),
        None => "standard input is".to_owned(),
    };
    format!("error: {what} larger than --max-file-size {:.0} (MiB); raise it to process this file", mib(max))
}

/// Read, analyze and (by mode) diff or write one input.
fn run_one(path: &str, input: &Input, stdin: &[u8], settings: &Settings) -> FileReport {
    let file = match input {
        Input::File(p) => Some(p.as_path()),
        Input::Stdin => None,
    };
    let mut report = FileReport {
        path: path.to_owned(),
        stdin: file.is_none(),
        bytes: Vec::new(),
        result: Err(Failure { message: String::new(), pos: None }),
        diff: Diff::None,
        write_error: None,
    };
    let max = settings.max_file_size;
    let bytes = match file {
        None if stdin.len() as u64 > max => Err(too_big(None, max)),
        None => Ok(stdin.to_vec()),
        Some(p) => match read_at_most(p, max) {
            Ok(b) => Ok(b),
            Err(ReadError::NotRegular(what)) => {
                let why = format!("{what}, not a regular file; not read");
                report.result = Ok(Outcome { skipped: Some(why), ..Outcome::default() });
                return report;
            }
            Err(ReadError::TooBig(len)) => Err(too_big(Some(len), max)),
            Err(ReadError::Io(e)) => Err(format!("error: cannot read: {e}")),
        },
    };
    report.bytes = match bytes {
        Ok(b) => b,
        Err(message) => {
            report.result = Err(Failure { message, pos: None });
            return report;
        }
    };
    let mut outcome = match analyze(file, &report.bytes, &settings.options) {
        Ok(o) => o,
        Err(e) => {
            report.result = Err(Failure { message: e.message(), pos: e.pos() });
            return report;
        }
    };
    if let Some(p) = file {
        bases_out_of_reach(p, &mut outcome, &settings.paths);
    }
    match (settings.mode, file, &outcome.fixed) {
        // Only the text format prints the diff; the machine formats carry the edits instead.
        (Mode::Diff, _, _) if outcome.fixes.is_empty() || settings.format != Format::Text => {}
        (Mode::Diff, _, _) if report.bytes.len() >= DIFF_WHEN_PRINTED_FROM => report.diff = Diff::WhenPrinted,
        (Mode::Diff, _, _) => {
            // Valid UTF-8: the input was decoded.
            let edits: Vec<_> = outcome.fixes.iter().flat_map(|f| &f.edits).collect();
            let old = String::from_utf8_lossy(&report.bytes);
            report.diff = Diff::Pieces(diff::unified_edits(&old, &edits, &report.path));
        }
        (Mode::Fix, Some(p), Some(fixed)) => {
            let target = match settings.follow_symlinks {
                true => symlink_target(p, &settings.paths),
                false => Ok(p.to_path_buf()),
            };
            if let Err(e) = target.and_then(|t| write::atomic_write(&t, &report.bytes, fixed, settings.durability)) {
                report.write_error = Some(format!("{e:#}"));
            }
        }
        _ => {}
    }
    report.result = Ok(outcome);
    report
}

/// Kustomize bases the run cannot fix in place become "not checked" entries.
fn bases_out_of_reach(file: &Path, outcome: &mut Outcome, roots: &[PathBuf]) {
    let resources: Vec<String> = outcome.resources.iter().map(|(_, r)| r.clone()).collect();
    for (resource, reason) in project::kustomize_out_of_reach(file, &resources, roots) {
        let pos = outcome.resources.iter().find(|(_, r)| *r == resource).map(|(p, _)| *p).unwrap_or_default();
        outcome.not_checked.push(NotChecked { pos, kind: "Kustomization".into(), name: resource, reason });
    }
}

enum ReadError {
    TooBig(u64),
    /// A FIFO, socket or device: never read (it could block the run forever).
    NotRegular(&'static str),
    Io(std::io::Error),
}

/// Open for reading without blocking on a FIFO (the open of a FIFO waits for a writer).
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    options.open(path)
}

/// What a file that is not a regular file is, in words.
fn file_kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() { "a directory" } else { "not a regular file" }
}

/// The file's bytes, unless it is larger than `max` or not a regular file: one open, and reads
/// that stop past `max` (a file growing while it is read counts as it is read).
fn read_at_most(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_nonblocking(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(file_kind(meta.file_type())));
    }
    // Sized from the metadata (one byte more to see the end): a large file is not read into a
    // buffer that doubles its way up.
    let mut bytes = Vec::with_capacity(meta.len().min(max).saturating_add(1) as usize);
    (&file).take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooBig(file.metadata().map_or(bytes.len() as u64, |m| m.len())));
    }
    Ok(bytes)
}

/// Where `--follow-symlinks` writes: a symlink's final target, which must lie inside one of the
/// given paths (a given path that is itself a symlink counts as where it stands, not where it
/// points), so nothing outside them is ever written.
fn symlink_target(path: &Path, roots: &[PathBuf]) -> anyhow::Result<PathBuf> {
    if !std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Ok(path.to_path_buf());
    }
    let target = std::fs::canonicalize(path)?;
    let location = |r: &PathBuf| match std::fs::symlink_metadata(r) {
        Ok(m) if m.file_type().is_symlink() => {
            let parent = r.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(std::fs::canonicalize(parent).ok()?.join(r.file_name()?))
        }
        _ => std::fs::canonicalize(r).ok(),
    };
    if !roots.iter().filter_map(location).any(|root| target.starts_with(root)) {
        anyhow::bail!("a symlink pointing outside the given paths (to {}); not written", target.display());
    }
    Ok(target)
}

/// Files processed in parallel between two rounds of output: memory stays bounded by this many
/// files (and the largest of them), however many files there are.
const CHUNK: usize = 256;

/// The inputs named by the settings, as shown, sorted, exclusions applied.
fn inputs(settings: &Settings) -> (Vec<(String, Input)>, Vec<discover::WalkError>) {
    let (inputs, walk_errors) = discover::discover(&settings.paths, settings.respect_ignores);
    let mut inputs: Vec<(String, Input)> = inputs
        .into_iter()
        .map(|i| match &i {
            Input::Stdin => (settings.stdin_name.clone(), i),
            Input::File(p) => (discover::display_path(p), i),
        })
        .collect();
    inputs.retain(|(path, i)| *i == Input::Stdin || !settings.exclude.is_match(path));
    inputs.sort_by(|a, b| a.0.cmp(&b.0));
    (inputs, walk_errors)
}

/// Run and print, streaming: inputs sorted by path, processed in parallel chunks, each file's
/// report printed and dropped in order. Returns the exit code.
pub fn run(settings: &Settings, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Exit> {
    let (inputs, walk_errors) = inputs(settings);
    let has_stdin = inputs.iter().any(|(_, i)| *i == Input::Stdin);
    let mut stdin_bytes = Vec::new();
    if has_stdin {
        // One byte past the limit is enough to know it is too big: `yes | kube-rofs check -`
        // must not read until memory runs out.
        stdin.take(settings.max_file_size.saturating_add(1)).read_to_end(&mut stdin_bytes)?;
    }
    for note in settings.notes.iter().filter(|_| settings.verbosity != Verbosity::Quiet) {
        say(err, note)?;
    }
    let mut tally = Tally { errors: walk_errors.len(), ..Tally::default() };
    for e in &walk_errors {
        say(err, &format!("{}: error: {}", discover::display_path(&e.path), e.message))?;
    }
    let look = Look { color: settings.color, quiet: settings.verbosity == Verbosity::Quiet };
    let mut emitter = report::emitter(settings.format, settings.mode, look);
    emitter.begin(out)?;
    let progress = Progress::new(settings.progress, inputs.len(), settings.mode);
    for chunk in inputs.chunks(CHUNK) {
        let one = |(path, i): &(String, Input)| {
            let r = run_one(path, i, &stdin_bytes, settings);
            progress.inc();
            r
        };
        // One file (a pre-commit hook, an editor) is not worth starting the thread pool for.
        let reports: Vec<FileReport> = match chunk.len() {
            1 => chunk.iter().map(one).collect(),
            _ => chunk.par_iter().map(one).collect(),
        };
        progress.suspend(|| -> io::Result<()> {
            for r in &reports {
                tally.add_report(r);
                emitter::file_errors(r, err)?;
                emitter.file(r, out, err)?;
                if settings.verbosity == Verbosity::Verbose {
                    say(err, &progress::verbose_line(settings.mode, r))?;
                }
            }
            if progress.shown() {
                // Out before the bar is drawn again.
                out.flush()?;
                err.flush()?;
            }
            Ok(())
        })?;
    }
    progress.finish();
    // What image sources could not tell (a registry offline, a request denied): notes, never
    // errors.
    for note in settings.options.images.iter().flat_map(|i| i.take_notes()) {
        if settings.verbosity != Verbosity::Quiet {
            say(err, &note)?;
        }
    }
    let summary = Summary {
        mode: settings.mode,
        threshold: settings.threshold,
        strict: settings.strict,
        tally,
        stdin: has_stdin,
    };
    emitter.finish(&summary, out, err)?;
    Ok(summary.exit())
}
