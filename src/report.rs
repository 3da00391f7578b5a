//! The counts behind the summary lines and the audit ratio.

use crate::fixer::Outcome;
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
}
