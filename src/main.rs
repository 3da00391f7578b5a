use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use kube_rofs::cli::{Action, Cli};
use kube_rofs::run::{Exit, run};

fn main() -> ExitCode {
    let settings = match Cli::parse().action() {
        Ok(Action::Run(settings)) => settings,
        Ok(Action::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(Exit::Error as u8);
        }
    };
    // Buffered: a run over many files writes many short lines. Standard error is not held
    // locked: the progress bar draws on it from the worker threads.
    let (mut out, mut err) = (BufWriter::new(io::stdout().lock()), BufWriter::new(io::stderr()));
    let result = run(&settings, &mut io::stdin().lock(), &mut out, &mut err);
    let result = result.and_then(|exit| {
        err.flush()?;
        out.flush()?;
        Ok(exit)
    });
    drop(err);
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-rofs: error: {e}");
            ExitCode::from(Exit::Error as u8)
        }
    }
}

/// Allocation-heavy work (a tree per file, serde_yaml values for verification): measured
/// faster than the system allocator (bench/run.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
