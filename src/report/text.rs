//! Text output: audit lines and verdict (check), unified diffs (diff), a summary (fix).

use super::escape::say;
use std::io::{self, Write};

use super::color;
use super::emitter::{Emitter, Look};
use super::model::{FileReport, Mode, Summary, Tally, Verdict};
use super::words::{
    EXPLICIT_FALSE_HINT, container_word, count, failing, headline, incomplete, not_applicable_verdict,
    paths_and_reasons, unknown_image_note, workload_detail,
};
use crate::fix::outcome::Finding;
use crate::k8s::status::Status;

pub struct Text {
    mode: Mode,
    look: Look,
    /// check: not-applicable and not-checked lines, printed after all workloads.
    excluded: Vec<String>,
    unchecked: Vec<String>,
}

impl Text {
    pub fn new(mode: Mode, look: Look) -> Text {
        Text { mode, look, excluded: Vec::new(), unchecked: Vec::new() }
    }
}

impl Emitter for Text {
    fn file(&mut self, file: &FileReport, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        let quiet = self.look.quiet;
        match self.mode {
            Mode::Check if quiet => Ok(()),
            Mode::Check => self.check_file(file, out),
            Mode::Diff => {
                match self.look.color {
                    true => {
                        let mut painter = color::DiffPainter::default();
                        file.write_diff(&mut |d| out.write_all(painter.paint(d).as_bytes()))?
                    }
                    false => file.write_diff(&mut |d| out.write_all(d.as_bytes()))?,
                }
                if quiet { Ok(()) } else { notes(file, err) }
            }
            Mode::Fix => {
                // `fix -` prints the YAML: fixed, or as it came.
                if let (true, Ok(o)) = (file.stdin, &file.result) {
                    out.write_all(o.fixed.as_deref().unwrap_or(&file.bytes))?;
                }
                if quiet { Ok(()) } else { notes(file, err) }
            }
        }
    }

    fn finish(&mut self, summary: &Summary, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<()> {
        let t = &summary.tally;
        if self.look.quiet {
            return Ok(());
        }
        match self.mode {
            Mode::Check => self.check_summary(summary, out),
            Mode::Diff => writeln!(
                err,
                "kube-rofs: {} to fix in {} of {}; {}",
                count(t.fixable, "container"),
                t.changed_files,
                count(t.files, "file"),
                rest(t)
            ),
            Mode::Fix => {
                let line = format!(
                    "kube-rofs: fixed {} in {} of {}; {}",
                    count(t.fixable, "container"),
                    t.changed_files,
                    count(t.files, "file"),
                    rest(t)
                );
                // With `fix -` standard output carries the YAML.
                if summary.stdin { writeln!(err, "{line}") } else { writeln!(out, "{line}") }
            }
        }
    }
}

/// `1 file`, `2 files`.
fn files(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

fn rest(t: &Tally) -> String {
    format!(
        "{} already read-only, {} not applicable, {} explicit false, {} refused, {} skipped, {}.",
        t.read_only,
        t.not_applicable,
        t.explicit_false,
        t.refused,
        count(t.skipped_files, "file"),
        count(t.errors, "error")
    )
}

fn who(f: &Finding) -> String {
    format!("{} '{}', {} '{}'", f.kind, f.name, container_word(&f.list), f.container)
}

/// What was decided for a container's writable paths, and why: indented lines below it.
fn decisions(f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    if !f.writable.is_empty() {
        say(out, &format!("      writable paths: {}", paths_and_reasons(f)))?;
    }
    for (path, why) in f.omitted.iter() {
        say(out, &format!("      left read-only: {path} ({why})"))?;
    }
    if f.unknown_image {
        say(out, &format!("      {}", unknown_image_note(f)))?;
    }
    Ok(())
}

fn not_applicable_reason(f: &Finding) -> Option<String> {
    match &f.status {
        Status::NotApplicable(skip) => Some(skip.to_string()),
        _ => None,
    }
}

/// What diff and fix leave alone, on standard error (standard output carries the patch or YAML).
fn notes(file: &FileReport, err: &mut dyn Write) -> io::Result<()> {
    let Ok(o) = &file.result else { return Ok(()) };
    if let Some(why) = &o.skipped {
        say(err, &format!("{}: skipped: {why}", file.path))?;
    }
    for u in &o.not_checked {
        say(err, &format!("{}:{}: {} '{}': not checked: {}", file.path, u.pos, u.kind, u.name, u.reason))?;
    }
    for f in &o.findings {
        match (&f.status, not_applicable_reason(f)) {
            (Status::Refused(r), _) => say(err, &format!("{}:{}: {}: not fixed: {r}", file.path, f.pos, who(f)))?,
            (Status::ExplicitFalse, _) => say(
                err,
                &format!(
                    "{}:{}: {}: left alone: explicit readOnlyRootFilesystem: false (--fix-explicit-false flips it)",
                    file.path,
                    f.pos,
                    who(f)
                ),
            )?,
            (_, Some(reason)) => say(err, &format!("{}:{}: {}: not applicable: {reason}", file.path, f.pos, who(f)))?,
            _ => {}
        }
    }
    Ok(())
}

impl Text {
    fn check_file(&mut self, file: &FileReport, out: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        if let Some(why) = &o.skipped {
            self.unchecked.push(format!("{}: skipped: {why}", file.path));
        }
        for u in &o.not_checked {
            self.unchecked.push(format!("{}:{}: {} '{}': {}", file.path, u.pos, u.kind, u.name, u.reason));
        }
        let mut i = 0;
        while i < o.findings.len() {
            let pod = o.findings[i].workload;
            let group: Vec<&Finding> = o.findings[i..].iter().take_while(|f| f.workload == pod).collect();
            i += group.len();
            for f in &group {
                if let Some(reason) = not_applicable_reason(f) {
                    self.excluded.push(format!("{}:{}: {}: {reason}", file.path, f.pos, who(f)));
                }
            }
            let failing: Vec<&&Finding> = group.iter().filter(|f| failing(f)).collect();
            if let Some(first) = failing.first() {
                say(out, &format!("{}:{}: {}", file.path, first.pos, workload_detail(first)))?;
            }
            for f in failing {
                let state = match &f.status {
                    Status::Refused(r) => format!("writable; not fixed automatically: {r}"),
                    Status::ExplicitFalse => format!("writable, {EXPLICIT_FALSE_HINT}"),
                    _ => "writable; `kube-rofs fix` adds readOnlyRootFilesystem: true".to_owned(),
                };
                say(
                    out,
                    &format!("  {}:{}: {} '{}': {state}", file.path, f.pos, container_word(&f.list), f.container),
                )?;
                decisions(f, out)?;
            }
            for f in group.iter().filter(|f| incomplete(f)) {
                let what = match &f.unfixed {
                    Some(r) => format!("not fixed automatically: {r}"),
                    None => "`kube-rofs fix` adds them".to_owned(),
                };
                let missing = f.missing().collect::<Vec<_>>().join(", ");
                say(
                    out,
                    &format!("{}:{}: {}: read-only, but lacks writable {missing}; {what}", file.path, f.pos, who(f)),
                )?;
                decisions(f, out)?;
            }
        }
        Ok(())
    }

    fn check_summary(&mut self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        if !self.excluded.is_empty() {
            writeln!(out, "Not applicable ({}, excluded from the ratio):", self.excluded.len())?;
            for l in &self.excluded {
                say(out, &format!("  {l}"))?;
            }
        }
        if !self.unchecked.is_empty() {
            writeln!(out, "Not checked:")?;
            for l in &self.unchecked {
                say(out, &format!("  {l}"))?;
            }
        }
        let t = &summary.tally;
        writeln!(out, "{}", headline(t.passing(summary.strict), t.counted()))?;
        if t.incomplete > 0 {
            writeln!(
                out,
                "{} of them {} writable paths they need (listed above): they may fail to start.",
                t.incomplete,
                if t.incomplete == 1 { "lacks" } else { "lack" }
            )?;
        }
        if t.errors > 0 {
            // On standard output too: the verdict must not read as complete without them.
            writeln!(
                out,
                "{} with errors (named on standard error): their containers are not counted.",
                files(t.errors)
            )?;
        }
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        let paint = |style, word| color::paint(self.look.color, style, word);
        match summary.verdict() {
            Verdict::Pass(r) => {
                writeln!(out, "{}: {} >= {} threshold.", paint(color::PASS, "PASS"), pct(r), pct(summary.threshold))
            }
            Verdict::Fail(r) => {
                writeln!(out, "{}: {} < {} threshold.", paint(color::FAIL, "FAIL"), pct(r), pct(summary.threshold))
            }
            Verdict::NotApplicable => writeln!(out, "{}", not_applicable_verdict(t)),
        }
    }
}
