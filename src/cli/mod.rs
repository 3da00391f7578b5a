//! The command line, on top of everything: clap's definitions (`args`), flags and
//! configuration resolved once (`resolve`), the entry point (`entry`), and the texts it prints
//! besides reports (`explain`, `generate` for completions and man pages).
pub(crate) mod args;
pub mod entry;
pub(crate) mod explain;
pub(crate) mod generate;
pub(crate) mod resolve;
