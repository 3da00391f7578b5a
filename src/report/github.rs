//! GitHub Actions workflow commands: a `::warning` annotation per writable container, then the
//! summary (and an `::error` line when the audit fails).

use std::io::{self, Write};

use super::emitter::Emitter;
use super::escape::shown;
use super::model::{FileReport, Summary, Verdict};
use super::words::{container_message, headline, not_applicable_verdict, reported};

/// Escape a workflow command's message (GitHub's rules: `%`, CR and LF as `%25`, `%0D`,
/// `%0A`), after every other control character is shown visibly: an escape sequence in a
/// manifest must not reach the log as one.
fn data(s: &str) -> String {
    shown(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub struct Github;

impl Emitter for Github {
    fn file(&mut self, file: &FileReport, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let Ok(o) = &file.result else { return Ok(()) };
        for f in o.findings.iter().filter(|f| reported(f)) {
            writeln!(
                out,
                "::warning file={},line={},col={},title={}::{}",
                property(&file.path),
                f.pos.line,
                f.pos.col,
                property("readOnlyRootFilesystem"),
                data(&container_message(f))
            )?;
        }
        Ok(())
    }

    fn finish(&mut self, report: &Summary, out: &mut dyn Write, _err: &mut dyn Write) -> io::Result<()> {
        let t = &report.tally;
        let summary = headline(t.passing(report.strict), t.counted());
        writeln!(out, "{summary}")?;
        let pct = |x: f64| format!("{:.0}%", x * 100.0);
        match report.verdict() {
            Verdict::Pass(r) => writeln!(out, "PASS: {} >= {} threshold.", pct(r), pct(report.threshold)),
            Verdict::Fail(r) => {
                writeln!(out, "FAIL: {} < {} threshold.", pct(r), pct(report.threshold))?;
                writeln!(
                    out,
                    "::error title=kube-rofs::{}",
                    data(&format!("{summary} Below the {} threshold.", pct(report.threshold)))
                )
            }
            Verdict::NotApplicable => writeln!(out, "{}", not_applicable_verdict(t)),
        }
    }
}
