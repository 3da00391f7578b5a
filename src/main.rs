//! The `kube-rofs` binary: the library's command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    no_huge_pages();
    kube_rofs::cli::entry::main()
}

/// mimalloc asks for transparent huge pages, and the kernel then backs each heap page that is
/// touched with 2 MiB of zeroed memory: peak RSS on 2,000 small files was 53 MB with them,
/// 18 MB without, at the same speed (bench/run.sh, docs/performance.md). Set before any work;
/// the flag is checked at every page fault.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Allocation-heavy work (a tree per file, serde_yaml values for verification): measured
/// faster than the system allocator (bench/run.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
