//! Text output: audit lines and verdict (check), unified diffs (diff), a summary (fix).

use std::io::{self, Write};

use super::{container_word, failing, workload_detail};
use crate::fixer::Finding;
use crate::policy::Status;
use crate::report::Tally;
use crate::run::{Mode, Report, Verdict};

/// Files that could not be handled, one line each: `path[:line:col]: error: ...`.
pub fn errors(report: &Report, err: &mut dyn Write) -> io::Result<()> {
    for e in &report.walk_errors {
        writeln!(err, "{}: error: {}", crate::discover::display_path(&e.path), e.message)?;
    }
    for f in &report.files {
        match &f.result {
            Err(fail) => match fail.pos {
                Some(p) => writeln!(err, "{}:{p}: {}", f.path, fail.message)?,
                None => writeln!(err, "{}: {}", f.path, fail.message)?,
            },
            Ok(_) => {
                if let Some(e) = &f.write_error {
                    writeln!(err, "{}: error: {e}", f.path)?;
                }
            }
        }
    }
    Ok(())
}

pub fn emit(report: &Report, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
    match report.mode {
        Mode::Check => check(report, out),
        Mode::Diff => {
            for f in &report.files {
                out.write_all(f.diff.as_bytes())?;
            }
            notes(report, err)?;
            writeln!(
                err,
                "kube-rofs: {} containers to fix in {} of {} files; {}",
                report.tally.fixable,
                report.tally.changed_files,
                report.tally.files,
                rest(&report.tally)
            )
        }
        Mode::Fix => {
            for f in &report.files {
                if let Some(yaml) = &f.stdout_yaml {
                    out.write_all(yaml)?;
                }
            }
            notes(report, err)?;
            let t = &report.tally;
            let summary = format!(
                "kube-rofs: fixed {} containers in {} of {} files; {}",
                t.fixable,
                t.changed_files,
                t.files,
                rest(t)
            );
            // With `fix -` standard output carries the YAML.
            if report.stdin { writeln!(err, "{summary}") } else { writeln!(out, "{summary}") }
        }
    }
}

fn rest(t: &Tally) -> String {
    format!(
        "{} already read-only, {} not applicable, {} explicit false, {} refused, {} files skipped, {} errors.",
        t.read_only, t.not_applicable, t.explicit_false, t.refused, t.skipped_files, t.errors
    )
}

fn who(f: &Finding) -> String {
    format!("{} '{}', {} '{}'", f.kind, f.name, container_word(f.list), f.container)
}

fn not_applicable_reason(f: &Finding) -> Option<String> {
    match &f.status {
        Status::NotApplicable(skip) => Some(skip.to_string()),
        Status::ExplicitFalse => {
            Some("explicit readOnlyRootFilesystem: false (intentional opt-out; --fix-explicit-false flips it)".into())
        }
        _ => None,
    }
}

/// What diff and fix leave alone, on standard error (standard output carries the patch or YAML).
fn notes(report: &Report, err: &mut dyn Write) -> io::Result<()> {
    for file in &report.files {
        let Ok(o) = &file.result else { continue };
        if let Some(why) = &o.skipped {
            writeln!(err, "{}: skipped: {why}", file.path)?;
        }
        for u in &o.unreachable {
            writeln!(err, "{}:{}: {} '{}': not checked: {}", file.path, u.pos, u.kind, u.name, u.reason)?;
        }
        for f in &o.findings {
            match (&f.status, not_applicable_reason(f)) {
                (Status::Refused(r), _) => writeln!(err, "{}:{}: {}: not fixed: {r}", file.path, f.pos, who(f))?,
                (_, Some(reason)) => writeln!(err, "{}:{}: {}: not applicable: {reason}", file.path, f.pos, who(f))?,
                _ => {}
            }
        }
    }
    Ok(())
}

fn check(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut excluded = Vec::new();
    let mut unchecked = Vec::new();
    for file in &report.files {
        let Ok(o) = &file.result else { continue };
        if let Some(why) = &o.skipped {
            unchecked.push(format!("{}: skipped: {why}", file.path));
        }
        for u in &o.unreachable {
            unchecked.push(format!("{}:{}: {} '{}': {}", file.path, u.pos, u.kind, u.name, u.reason));
        }
        let mut i = 0;
        while i < o.findings.len() {
            let pod = o.findings[i].workload;
            let group: Vec<&Finding> = o.findings[i..].iter().take_while(|f| f.workload == pod).collect();
            i += group.len();
            for f in &group {
                if let Some(reason) = not_applicable_reason(f) {
                    excluded.push(format!("{}:{}: {}: {reason}", file.path, f.pos, who(f)));
                }
            }
            let failing: Vec<&&Finding> = group.iter().filter(|f| failing(f)).collect();
            let Some(first) = failing.first() else { continue };
            writeln!(out, "{}:{}: {}", file.path, first.pos, workload_detail(first))?;
            for f in failing {
                let state = match &f.status {
                    Status::Refused(r) => format!("writable; not fixed automatically: {r}"),
                    _ => "writable; `kube-rofs fix` adds readOnlyRootFilesystem: true".to_owned(),
                };
                writeln!(out, "  {}:{}: {} '{}': {state}", file.path, f.pos, container_word(f.list), f.container)?;
            }
        }
    }
    if !excluded.is_empty() {
        writeln!(out, "Not applicable ({}, excluded from the ratio):", excluded.len())?;
        for l in excluded {
            writeln!(out, "  {l}")?;
        }
    }
    if !unchecked.is_empty() {
        writeln!(out, "Not checked:")?;
        for l in unchecked {
            writeln!(out, "  {l}")?;
        }
    }
    let t = &report.tally;
    writeln!(out, "{} of {} containers use read-only root filesystem.", t.read_only, t.counted())?;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    match report.verdict() {
        Verdict::Pass(r) => writeln!(out, "PASS: {} >= {} threshold.", pct(r), pct(report.threshold)),
        Verdict::Fail(r) => writeln!(out, "FAIL: {} < {} threshold.", pct(r), pct(report.threshold)),
        Verdict::NotApplicable => writeln!(out, "N/A: no workloads with containers to check."),
    }
}
