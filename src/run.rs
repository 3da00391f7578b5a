//! Run a mode (check / diff / fix) over inputs: sorted by path, processed in parallel chunks,
//! reported as a stream.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::charts;
use crate::discover::{self, Input};
use crate::emit::{self, Format};
use crate::fixer::{self, FileError, Options, Outcome};
use crate::progress::{self, Progress, Verbosity};
use crate::report::Tally;
use crate::source::Pos;
use crate::{diff, write};

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

pub struct Settings {
    pub mode: Mode,
    pub format: Format,
    pub options: Options,
    pub threshold: f64,
    pub paths: Vec<PathBuf>,
    /// Larger files are errors, not read (`--max-file-size`).
    pub max_file_size: u64,
    /// Write through a named symlink whose target is inside the given paths.
    pub follow_symlinks: bool,
    /// The name standard input goes by in messages and diff headers (`--stdin-filename`).
    pub stdin_name: String,
    /// Colour the text output (`--color`, resolved).
    pub color: bool,
    pub verbosity: Verbosity,
    /// Show a progress bar on standard error for long runs (standard error is a terminal).
    pub progress: bool,
    /// Files (paths as shown) never read (configuration `exclude`).
    pub exclude: globset::GlobSet,
    /// Also edit Helm charts' values files (`--helm-values`).
    pub helm_values: bool,
}

/// Settings for `mode` with every other choice at its default.
impl Settings {
    pub fn new(mode: Mode, paths: Vec<PathBuf>) -> Settings {
        Settings {
            mode,
            format: Format::Text,
            options: Options::default(),
            threshold: 0.8,
            paths,
            max_file_size: 64 << 20,
            follow_symlinks: false,
            stdin_name: "-".to_owned(),
            color: false,
            verbosity: Verbosity::Normal,
            progress: false,
            exclude: globset::GlobSet::empty(),
            helm_values: false,
        }
    }
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
    pub result: Result<Outcome, Failure>,
    /// Unified diff of the change (diff mode).
    pub diff: String,
    /// The YAML to print (`fix -`).
    pub stdout_yaml: Option<Vec<u8>>,
    /// `fix` could not write the file.
    pub write_error: Option<String>,
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
    pub tally: Tally,
    /// Standard input was one of the inputs (`fix -` prints YAML on stdout).
    pub stdin: bool,
}

impl Summary {
    pub fn verdict(&self) -> Verdict {
        match self.tally.ratio() {
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

fn failure(e: &FileError) -> Failure {
    let pos = match e {
        FileError::Encoding { pos, .. } => Some(*pos),
        FileError::Syntax(s) => Some(s.pos),
        FileError::Verify { .. } | FileError::Empty => None,
    };
    let message = match pos {
        // The position leads the message in text output; keep the rest.
        Some(p) => e.to_string().strip_prefix(&format!("{p}: ")).unwrap_or(&e.to_string()).to_owned(),
        None => e.to_string(),
    };
    Failure { message, pos }
}

fn run_one(path: &str, input: &Input, stdin: &[u8], settings: &Settings) -> FileReport {
    let path = path.to_owned();
    let too_big = |len: u64| {
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        format!(
            "error: file is {:.1} MiB, larger than --max-file-size {:.0} (MiB); raise it to process this file",
            mib(len),
            mib(settings.max_file_size)
        )
    };
    let bytes = match input {
        Input::Stdin if stdin.len() as u64 > settings.max_file_size => Err(too_big(stdin.len() as u64)),
        Input::Stdin => Ok(stdin.to_vec()),
        Input::File(p) => read_at_most(p, settings.max_file_size).map_err(|e| match e {
            ReadError::TooBig(len) => too_big(len),
            ReadError::Io(e) => format!("error: cannot read: {e}"),
        }),
    };
    let mut report = FileReport {
        path,
        result: Err(Failure { message: String::new(), pos: None }),
        diff: String::new(),
        stdout_yaml: None,
        write_error: None,
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(message) => {
            report.result = Err(Failure { message, pos: None });
            return report;
        }
    };
    let file = match input {
        Input::File(p) => Some(p.as_path()),
        Input::Stdin => None,
    };
    if let Some(why) = file.and_then(charts::template_skip) {
        report.result = Ok(Outcome { skipped: Some(why), ..Outcome::default() });
        return report;
    }
    let values = settings.helm_values && file.is_some_and(charts::is_values_file);
    let processed = if values { fixer::process_helm_values } else { fixer::process }(&bytes, &settings.options);
    let mut outcome = match processed {
        Ok(o) => o,
        Err(e) => {
            report.result = Err(failure(&e));
            return report;
        }
    };
    if let Some(p) = file {
        let resources: Vec<String> = outcome.resources.iter().map(|(_, r)| r.clone()).collect();
        for (resource, reason) in charts::kustomize_out_of_reach(p, &resources, &settings.paths) {
            let pos = outcome.resources.iter().find(|(_, r)| *r == resource).map(|(p, _)| *p).unwrap_or_default();
            outcome.unreachable.push(fixer::Unreachable { pos, kind: "Kustomization".into(), name: resource, reason });
        }
    }
    match (settings.mode, input, &outcome.fixed) {
        (Mode::Diff, _, Some(fixed)) => {
            // Both sides are valid UTF-8: the input was decoded, the output only adds text.
            let changes: Vec<diff::Change> = (outcome.findings.iter().flat_map(|f| &f.edits))
                .map(|e| diff::Change { start: e.offset, end: e.offset + e.length, len: e.text.len() })
                .collect();
            let (old, new) = (String::from_utf8_lossy(&bytes), String::from_utf8_lossy(fixed));
            report.diff = diff::unified_changes(&old, &new, &changes, &report.path);
        }
        (Mode::Fix, Input::Stdin, fixed) => report.stdout_yaml = Some(fixed.clone().unwrap_or(bytes)),
        (Mode::Fix, Input::File(p), Some(fixed)) => {
            let target = match settings.follow_symlinks {
                true => symlink_target(p, &settings.paths),
                false => Ok(p.clone()),
            };
            if let Err(e) = target.and_then(|t| write::atomic_write(&t, &bytes, fixed)) {
                report.write_error = Some(format!("{e:#}"));
            }
        }
        _ => {}
    }
    report.result = Ok(outcome);
    report
}

enum ReadError {
    TooBig(u64),
    Io(std::io::Error),
}
/// The file's bytes, unless it is larger than `max`: one open, and reads that stop past `max`
/// (a file growing while it is read counts as it is read).
fn read_at_most(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::with_capacity(16 << 10);
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

/// Run and print, streaming: inputs sorted by path, processed in parallel chunks, each file's
/// report printed and dropped in order. Returns the exit code.
pub fn run(settings: &Settings, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Exit> {
    let (inputs, walk_errors) = discover::discover(&settings.paths);
    let mut inputs: Vec<(String, Input)> = inputs
        .into_iter()
        .map(|i| match &i {
            Input::Stdin => (settings.stdin_name.clone(), i),
            Input::File(p) => (discover::display_path(p), i),
        })
        .collect();
    inputs.retain(|(path, i)| *i == Input::Stdin || !settings.exclude.is_match(path));
    inputs.sort_by(|a, b| a.0.cmp(&b.0));
    let has_stdin = inputs.iter().any(|(_, i)| *i == Input::Stdin);
    let mut stdin_bytes = Vec::new();
    if has_stdin {
        stdin.read_to_end(&mut stdin_bytes)?;
    }
    let mut tally = Tally { errors: walk_errors.len(), ..Tally::default() };
    for e in &walk_errors {
        writeln!(err, "{}: error: {}", discover::display_path(&e.path), e.message)?;
    }
    let look = emit::Look { color: settings.color, quiet: settings.verbosity == Verbosity::Quiet };
    let mut emitter = emit::emitter(settings.format, settings.mode, look);
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
                match &r.result {
                    Ok(o) => tally.add(o),
                    Err(_) => tally.errors += 1,
                }
                tally.errors += usize::from(r.write_error.is_some());
                emit::file_errors(r, err)?;
                emitter.file(r, out, err)?;
                if settings.verbosity == Verbosity::Verbose {
                    writeln!(err, "{}", progress::verbose_line(settings.mode, r))?;
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
    let summary = Summary { mode: settings.mode, threshold: settings.threshold, tally, stdin: has_stdin };
    emitter.finish(&summary, out, err)?;
    Ok(summary.exit())
}
