//! Plan the edits that make a pod spec's writable containers read-only. Pure: reads the span
//! tree, returns a [`Fix`](super::model::Fix) (edits plus their meaning) or a typed refusal.
//!
//! `pod` decides what to add (keys, mounts, volumes); `volumes` names the volumes; `guard`
//! refuses nodes whose text cannot be edited exactly; `text` turns an addition into text edits
//! in the style of the neighbouring lines (`style` measures that style).
pub(crate) mod guard;
pub(crate) mod needs;
pub(crate) mod pod;
pub(crate) mod style;
pub(crate) mod text;
pub(crate) mod volumes;
