//! The `kube-rofs` binary: the library's command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    kube_rofs::cli::entry::main()
}

/// Allocation-heavy work (a tree per file, serde_yaml values for verification): measured
/// faster than the system allocator (bench/run.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
