//! The command line's entry: parse the words, then run a mode or print a text.

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{FromArgMatches, Parser};

use super::args::{self, Cli, Command};
use super::resolve::Check;
use super::{explain, generate, resolve};
use crate::config::ConfigError;
use crate::fix::options::Options;
use crate::fs::discover::{self, Input};
use crate::report::escape::say;
use crate::report::model::{Exit, Mode};
use crate::run::{Settings, run};

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
    let parsed = args::command().try_get_matches_from(args).and_then(|m| {
        if let Some(flag) = args::misplaced_config_flag(&m) {
            let message =
                format!("kube-rofs config prints the configuration in force as YAML; {flag} for check, diff and fix");
            let mut cmd = args::command();
            cmd.build();
            let config = cmd.find_subcommand_mut("config").expect("config is a subcommand");
            return Err(config.error(clap::error::ErrorKind::ArgumentConflict, message));
        }
        Cli::from_arg_matches(&m)
    });
    let cli = match parsed {
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
    let (mode, check, args) = match cli.command {
        Command::Check(c) => (Mode::Check, Check::of(&c), c.fix),
        Command::Diff(a) => (Mode::Diff, Check::default(), a),
        Command::Fix(a) => (Mode::Fix, Check::default(), a),
        Command::Config(c) => return printed(resolve::effective_config(&c)),
        Command::Explain => return printed(Ok(explain::text())),
        Command::Profiles(p) => return printed(explain::profiles(p.config.as_deref(), p.no_config)),
        Command::Completions { shell } => return printed(Ok(generate::completions(args::command(), shell))),
        Command::Man { command } => {
            return match generate::man(args::command(), command.as_deref()) {
                Ok(page) => printed(Ok(page)),
                Err(message) => say(err, &format!("error: {message}")).map(|_| Exit::Error),
            };
        }
    };
    let (color, output) = (args.ui.color, args.ui.output.clone());
    let mut settings = match resolve::settings(mode, args, check) {
        Ok(settings) => settings,
        Err(e) => return say(err, &e.to_string()).map(|_| Exit::Error),
    };
    match output.filter(|p| p.as_os_str() != "-") {
        None => run(&settings, stdin, out, err),
        Some(path) if read_by(&settings, &path) => {
            let message = format!("{}: error: --output names a file this run reads; not overwritten", path.display());
            say(err, &message).map(|_| Exit::Error)
        }
        Some(path) => {
            let file = match std::fs::File::create(&path) {
                Ok(file) => file,
                Err(e) => return say(err, &format!("{}: error: --output: {e}", path.display())).map(|_| Exit::Error),
            };
            settings.color = color.resolve(&file);
            let mut file = BufWriter::new(file);
            let exit = run(&settings, stdin, &mut file, err)?;
            file.flush()?;
            Ok(exit)
        }
    }
}

/// Whether the run would read `output` as one of its manifests: `--output` must not truncate a
/// file before it is read (an existing file only; a new one cannot be an input).
fn read_by(settings: &Settings, output: &Path) -> bool {
    let Ok(target) = std::fs::canonicalize(output) else { return false };
    let (inputs, _) = discover::discover(&settings.paths, settings.respect_ignores);
    inputs.iter().any(|i| matches!(i, Input::File(p) if std::fs::canonicalize(p).is_ok_and(|p| p == target)))
}

/// Options from extra command-line words of `fix` (as in a golden case's `args` file). No
/// configuration file is read unless the words name one with `--config`.
pub fn options_from_args(words: &[&str]) -> Result<Options, String> {
    let config = if words.contains(&"--config") { None } else { Some("--no-config") };
    let argv = ["kube-rofs", "fix"].into_iter().chain(config).chain(words.iter().copied());
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Fix(args) = cli.command else { return Err("not parsed as fix".into()) };
    let (_, file, _) = resolve::load_config(&args).map_err(|e| e.to_string())?;
    let c = resolve::effective(&args, Check::default(), file);
    resolve::options(&c, args.helm_values).map_err(|e| e.to_string())
}
