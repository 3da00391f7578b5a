//! Run a mode (check / diff / fix) over inputs: files in parallel, output in input order.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use rayon::prelude::*;

use crate::discover::{self, Input};
use crate::fixer::{self, Options, Outcome};
use crate::policy::Status;
use crate::report::{self, Tally};
use crate::{diff, write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Diff,
    Fix,
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
    pub options: Options,
    pub threshold: f64,
    pub paths: Vec<PathBuf>,
}

/// What happened to one input.
struct FileRun {
    path: String,
    outcome: Result<Outcome, String>,
    /// diff text (diff mode) or fixed bytes for stdout (`fix -`).
    output: Vec<u8>,
    write_error: Option<String>,
}

fn run_one(input: &Input, stdin: &[u8], settings: &Settings) -> FileRun {
    let (path, bytes) = match input {
        Input::Stdin => ("-".to_owned(), Ok(stdin.to_vec())),
        Input::File(p) => {
            (discover::display_path(p), std::fs::read(p).map_err(|e| format!(" error: cannot read: {e}")))
        }
    };
    let mut run = FileRun { path, outcome: Err(String::new()), output: Vec::new(), write_error: None };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            run.outcome = Err(e);
            return run;
        }
    };
    let outcome = match fixer::process(&bytes, &settings.options) {
        Ok(o) => o,
        Err(e) => {
            let sep = if matches!(e, fixer::FileError::Verify { .. }) { " " } else { "" };
            run.outcome = Err(format!("{sep}{e}"));
            return run;
        }
    };
    match (settings.mode, input, &outcome.fixed) {
        (Mode::Diff, _, Some(fixed)) => {
            // Both sides are valid UTF-8: the input was decoded, the output only adds text.
            let old = String::from_utf8_lossy(&bytes);
            let new = String::from_utf8_lossy(fixed);
            run.output = diff::unified(&old, &new, &run.path).into_bytes();
        }
        (Mode::Fix, Input::Stdin, fixed) => run.output = fixed.clone().unwrap_or(bytes),
        (Mode::Fix, Input::File(p), Some(fixed)) => {
            if let Err(e) = write::atomic_write(p, fixed) {
                run.write_error = Some(format!("{e:#}"));
            }
        }
        _ => {}
    }
    run.outcome = Ok(outcome);
    run
}

/// Run and print; returns the exit code.
pub fn run(settings: &Settings, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Exit> {
    let (inputs, walk_errors) = discover::discover(&settings.paths);
    let mut stdin_bytes = Vec::new();
    if inputs.contains(&Input::Stdin) {
        stdin.read_to_end(&mut stdin_bytes).context("reading standard input").map_err(io::Error::other)?;
    }
    let runs: Vec<FileRun> = inputs.par_iter().map(|i| run_one(i, &stdin_bytes, settings)).collect();

    let mut tally = Tally::default();
    for e in &walk_errors {
        tally.errors += 1;
        writeln!(err, "{}: error: {}", discover::display_path(&e.path), e.message)?;
    }
    let fixed_words = settings.mode == Mode::Fix;
    for r in &runs {
        let outcome = match &r.outcome {
            Ok(o) => o,
            Err(e) => {
                tally.errors += 1;
                writeln!(err, "{}:{e}", r.path)?;
                continue;
            }
        };
        tally.add(outcome);
        if let Some(e) = &r.write_error {
            tally.errors += 1;
            writeln!(err, "{}: error: {e}", r.path)?;
        }
        if let Some(why) = &outcome.skipped {
            writeln!(err, "{}: skipped: {why}", r.path)?;
        }
        for u in &outcome.unreachable {
            writeln!(err, "{}", report::unreachable_line(&r.path, u))?;
        }
        for f in &outcome.findings {
            // check lists everything on stdout; diff and fix keep stdout for the diff / YAML
            // and only explain what they leave alone.
            let line = report::finding_line(&r.path, f, fixed_words);
            match (settings.mode, line) {
                (Mode::Check, Some(l)) => writeln!(out, "{l}")?,
                (_, Some(l)) if f.status != Status::Writable => writeln!(err, "{l}")?,
                _ => {}
            }
        }
        out.write_all(&r.output)?;
    }

    let exit = match settings.mode {
        Mode::Check => {
            writeln!(out, "{}", tally.audit_line())?;
            writeln!(out, "{}", tally.excluded_line())?;
            let pct = |x: f64| format!("{:.0}%", x * 100.0);
            match tally.ratio() {
                None => {
                    writeln!(out, "N/A: no containers to check.")?;
                    Exit::Ok
                }
                Some(r) if r >= settings.threshold => {
                    writeln!(out, "PASS: {} >= {} threshold.", pct(r), pct(settings.threshold))?;
                    Exit::Ok
                }
                Some(r) => {
                    writeln!(out, "FAIL: {} < {} threshold.", pct(r), pct(settings.threshold))?;
                    Exit::Findings
                }
            }
        }
        Mode::Diff => {
            writeln!(
                err,
                "kube-rofs: {} containers to fix in {} of {} files; {}",
                tally.fixable,
                tally.changed_files,
                tally.files,
                rest(&tally)
            )?;
            if tally.changed_files > 0 { Exit::Findings } else { Exit::Ok }
        }
        Mode::Fix => {
            let summary = format!(
                "kube-rofs: fixed {} containers in {} of {} files; {}",
                tally.fixable,
                tally.changed_files,
                tally.files,
                rest(&tally)
            );
            // With `fix -` stdout carries the YAML.
            if inputs.contains(&Input::Stdin) {
                writeln!(err, "{summary}")?
            } else {
                writeln!(out, "{summary}")?
            }
            Exit::Ok
        }
    };
    Ok(if tally.errors > 0 { Exit::Error } else { exit })
}

fn rest(t: &Tally) -> String {
    format!(
        "{} already read-only, {} not applicable, {} explicit false, {} refused, {} files skipped, {} errors.",
        t.read_only, t.not_applicable, t.explicit_false, t.refused, t.skipped_files, t.errors
    )
}
