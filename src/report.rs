//! Human-readable lines for findings, and the counts behind the summary lines.

use crate::fixer::{Finding, Outcome, Unreachable};
use crate::policy::Status;

/// Counts over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub files: usize,
    pub changed_files: usize,
    pub read_only: usize,
    /// Writable and fixable (fixed, after `fix`).
    pub fixable: usize,
    pub refused: usize,
    pub not_applicable: usize,
    pub explicit_false: usize,
    pub skipped_files: usize,
    pub errors: usize,
}

impl Tally {
    pub fn add(&mut self, outcome: &Outcome) {
        self.files += 1;
        self.changed_files += usize::from(outcome.fixed.is_some());
        self.skipped_files += usize::from(outcome.skipped.is_some());
        for f in &outcome.findings {
            match f.status {
                Status::ReadOnly => self.read_only += 1,
                Status::Writable => self.fixable += 1,
                Status::Refused(_) => self.refused += 1,
                Status::NotApplicable(_) => self.not_applicable += 1,
                Status::ExplicitFalse => self.explicit_false += 1,
            }
        }
    }

    /// Containers counted by the audit ratio (not-applicable ones and explicit opt-outs excluded).
    pub fn counted(&self) -> usize {
        self.read_only + self.fixable + self.refused
    }

    /// The audit ratio, None when there is nothing to count.
    pub fn ratio(&self) -> Option<f64> {
        (self.counted() > 0).then(|| self.read_only as f64 / self.counted() as f64)
    }

    pub fn audit_line(&self) -> String {
        format!("{} of {} containers use read-only root filesystem.", self.read_only, self.counted())
    }

    pub fn excluded_line(&self) -> String {
        format!(
            "{} not applicable, {} explicit readOnlyRootFilesystem: false (excluded from the ratio).",
            self.not_applicable, self.explicit_false
        )
    }
}

fn who(f: &Finding) -> String {
    format!("{} {}, {} '{}'", f.kind, f.name, container_word(f.list), f.container)
}

fn container_word(list: &str) -> &'static str {
    match list {
        "initContainers" => "init container",
        "ephemeralContainers" => "ephemeral container",
        _ => "container",
    }
}

/// One line for a finding, or None for a read-only container. `fixed` words a fixable
/// container as done.
pub fn finding_line(path: &str, f: &Finding, fixed: bool) -> Option<String> {
    let what = match &f.status {
        Status::ReadOnly => return None,
        Status::Writable if fixed => "fixed: readOnlyRootFilesystem: true added".to_owned(),
        Status::Writable => "writable root filesystem (no readOnlyRootFilesystem: true)".to_owned(),
        Status::Refused(r) => format!("writable root filesystem; not fixed: {r}"),
        Status::NotApplicable(r) => format!("not applicable: {r}"),
        Status::ExplicitFalse => "not applicable: explicit readOnlyRootFilesystem: false (intentional opt-out; --fix-explicit-false flips it)".to_owned(),
    };
    Some(format!("{path}:{}: {}: {what}", f.pos, who(f)))
}

pub fn unreachable_line(path: &str, u: &Unreachable) -> String {
    format!("{path}:{}: {} {}: not checked: {}", u.pos, u.kind, u.name, u.reason)
}
