//! Emit a run's report in one of the output formats (one module per format).

mod github;
mod json;
mod rdjson;
mod sarif;
mod text;

use std::io::{self, Write};

use clap::ValueEnum;

use crate::fixer::Finding;
use crate::policy::Status;
use crate::run::{FileReport, Mode, Summary};

/// Output formats of `check`, `diff` and `fix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: audit lines and summary (check), unified diff (diff), summary (fix).
    Text,
    /// One versioned JSON object (see README, "JSON output").
    Json,
    /// SARIF 2.1.0 with fixes, for code scanning and reviewdog.
    Sarif,
    /// GitHub Actions workflow commands (annotations) plus the summary.
    Github,
    /// reviewdog diagnostic JSON lines with suggestions.
    Rdjsonl,
}

/// The check kube-rofs implements, as machine formats name it.
pub mod rule {
    pub const ID: &str = "infrastructure-hardening.access-control-rbac.read-only-filesystem";
    pub const NAME: &str = "ReadOnlyRootFilesystem";
    pub const TITLE: &str = "Containers should run with a read-only root filesystem";
    pub const SEVERITY: &str = "medium";
    pub const HELP_URI: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
    pub const HELP: &str = "A writable root filesystem lets malware dropped into a container persist (modified binaries, \
backdoors, cron jobs). Set securityContext.readOnlyRootFilesystem: true on stateless containers and mount emptyDir \
volumes at the few paths that must stay writable (at least /tmp, usually a log directory). `kube-rofs fix` does both. \
Opt a workload out with the annotation kube-rofs.io/skip: \"<reason>\".";
    /// (id, url) of the controls this check implements.
    pub const REFERENCES: &[(&str, &str)] = &[
        ("NIST 800-53 CM-7", "https://csf.tools/reference/nist-sp-800-53/r5/cm/cm-7/"),
        ("CIS Kubernetes 5.2.3", "https://www.cisecurity.org/benchmark/kubernetes"),
    ];
}

/// The control's detail line for a workload.
pub fn workload_detail(f: &Finding) -> String {
    format!(
        "{} '{}' lacks readOnlyRootFilesystem: true. Stateless web application could run with read-only root.",
        f.kind, f.name
    )
}

/// The message for one failing container (writable, fixable or not).
pub fn container_message(f: &Finding) -> String {
    let word = container_word(f.list);
    let mut m = format!(
        "{} {}{} '{}' has a writable root filesystem.",
        workload_detail(f),
        word[..1].to_uppercase(),
        &word[1..],
        f.container
    );
    if let Status::Refused(reason) = &f.status {
        m.push_str(&format!(" Not fixed automatically: {reason}."));
    }
    m
}

pub fn container_word(list: &str) -> &'static str {
    match list {
        "initContainers" => "init container",
        "ephemeralContainers" => "ephemeral container",
        _ => "container",
    }
}

/// Not read-only and counted: what the audit reports as failing.
pub fn failing(f: &Finding) -> bool {
    matches!(f.status, Status::Writable | Status::Refused(_))
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

pub fn emitter(format: Format, mode: Mode, look: Look) -> Box<dyn Emitter> {
    match format {
        Format::Text => Box::new(text::Text::new(mode, look)),
        Format::Json => Box::new(json::Json::new(mode)),
        Format::Sarif => Box::new(sarif::Sarif::default()),
        Format::Github => Box::new(github::Github),
        Format::Rdjsonl => Box::new(rdjson::Rdjson),
    }
}

/// A file that could not be handled, as text on standard error whatever the format:
/// `path[:line:col]: error: ...`.
pub fn file_errors(f: &FileReport, err: &mut dyn Write) -> io::Result<()> {
    match &f.result {
        Err(fail) => match fail.pos {
            Some(p) => writeln!(err, "{}:{p}: {}", f.path, fail.message),
            None => writeln!(err, "{}: {}", f.path, fail.message),
        },
        Ok(_) => match &f.write_error {
            Some(e) => writeln!(err, "{}: error: {e}", f.path),
            None => Ok(()),
        },
    }
}
