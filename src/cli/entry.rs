//! The command line's entry: parse the words, then run a mode or print a text.

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use super::args::{Cli, Command};
use super::{explain, generate, resolve};
use crate::config::ConfigError;
use crate::fix::options::Options;
use crate::report::escape::say;
use crate::report::model::{Exit, Mode};
use crate::run::run;

/// `kube-rofs` on this process's arguments and standard streams.
pub fn main() -> ExitCode {
    // Buffered: a run over many files writes many short lines. Standard error is not held
    // locked: the progress bar draws on it from the worker threads.
    let (mut out, mut err) = (BufWriter::new(io::stdout().lock()), BufWriter::new(io::stderr()));
    let result = run_args(std::env::args_os(), &mut io::stdin().lock(), &mut out, &mut err);
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

/// `kube-rofs` on `args` (the program name first) with the given streams: what the binary does,
/// in process.
pub fn run_args<I, T>(args: I, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Exit>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            return match e.use_stderr() {
                true => write!(err, "{text}").map(|_| Exit::Error),
                false => write!(out, "{text}").map(|_| Exit::Ok),
            };
        }
    };
    let mut printed = |text: Result<String, ConfigError>| match text {
        Ok(text) => write!(out, "{text}").map(|_| Exit::Ok),
        Err(e) => say(err, &e.to_string()).map(|_| Exit::Error),
    };
    let (mode, args, threshold) = match cli.command {
        Command::Check(c) => (Mode::Check, c.fix, c.threshold),
        Command::Diff(a) => (Mode::Diff, a, None),
        Command::Fix(a) => (Mode::Fix, a, None),
        Command::Config(c) => return printed(resolve::effective_config(&c)),
        Command::Explain => return printed(Ok(explain::text())),
        Command::Completions { shell } => return printed(Ok(generate::completions(Cli::command(), shell))),
        Command::Man { command } => {
            return match generate::man(Cli::command(), command.as_deref()) {
                Ok(page) => printed(Ok(page)),
                Err(message) => say(err, &format!("error: {message}")).map(|_| Exit::Error),
            };
        }
    };
    match resolve::settings(mode, args, threshold) {
        Ok(settings) => run(&settings, stdin, out, err),
        Err(e) => say(err, &e.to_string()).map(|_| Exit::Error),
    }
}

/// Options from extra command-line words of `fix` (as in a golden case's `args` file). No
/// configuration file is read unless the words name one with `--config`.
pub fn options_from_args(words: &[&str]) -> Result<Options, String> {
    let config = if words.contains(&"--config") { None } else { Some("--no-config") };
    let argv = ["kube-rofs", "fix"].into_iter().chain(config).chain(words.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Fix(args) = cli.command else { return Err("not parsed as fix".into()) };
    let (_, file, _) = resolve::load_config(&args).map_err(|e| e.to_string())?;
    let c = resolve::effective(&args, None, file);
    resolve::writable_paths(&c).map_err(|e| e.to_string())?;
    resolve::options(&c, args.helm_values).map_err(|e| e.to_string())
}
