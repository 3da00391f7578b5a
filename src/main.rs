use std::io;
use std::process::ExitCode;

use clap::Parser;
use kube_rofs::cli::Cli;
use kube_rofs::run::{Exit, run};

fn main() -> ExitCode {
    let settings = Cli::parse().settings();
    let result = run(&settings, &mut io::stdin().lock(), &mut io::stdout().lock(), &mut io::stderr().lock());
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kube-rofs: error: {e}");
            ExitCode::from(Exit::Error as u8)
        }
    }
}
