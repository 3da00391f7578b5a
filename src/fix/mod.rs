//! From a file's bytes to findings and fixes: the pipeline (`pipeline`: decode, load, find,
//! classify, plan, apply, verify), the planner (`plan`: edits as data, one [`model::Fix`] per
//! pod spec), and the independent verifier (`verify`). Shared types sit below their users:
//! `options` (what to fix), `model` (a fix and its meaning), `outcome` (what is reported).
//! Imports `k8s`, `yaml` and `fs`.
pub(crate) mod model;
pub(crate) mod options;
pub(crate) mod outcome;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod verify;
