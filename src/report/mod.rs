//! Reporting: one emitter per output format (text, JSON, SARIF, GitHub, GitLab, rdjsonl) over the
//! same per-file reports (`model`), unified diffs (`diff`), colour and progress on a terminal.
//! Formats share their sentences through `words`; nothing here imports `cli` or `run`.
pub(crate) mod color;
pub(crate) mod diff;
pub(crate) mod emitter;
pub(crate) mod escape;
mod github;
mod gitlab;
mod json;
pub(crate) mod model;
pub(crate) mod progress;
mod rdjson;
mod sarif;
mod text;
pub(crate) mod words;

use emitter::{Emitter, Format, Look};
use model::Mode;

/// The emitter of `format`.
pub fn emitter(format: Format, mode: Mode, look: Look) -> Box<dyn Emitter> {
    match format {
        Format::Text => Box::new(text::Text::new(mode, look)),
        Format::Json => Box::new(json::Json::new(mode)),
        Format::Sarif => Box::new(sarif::Sarif::default()),
        Format::Github => Box::new(github::Github),
        Format::Gitlab => Box::new(gitlab::Gitlab::default()),
        Format::Rdjsonl => Box::new(rdjson::Rdjson),
    }
}
