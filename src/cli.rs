//! Command-line interface: clap definitions, turned into run settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::emit::Format;
use crate::fixer::{DEFAULT_LOG_DIR, Options};
use crate::policy::{DEFAULT_STATEFUL_IMAGES, Policy};
use crate::run::{Mode, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "kube-rofs",
    version,
    about = "Make Kubernetes workloads run with a read-only root filesystem, and prove it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit: list writable containers and the share that is read-only (exit 1 below the threshold).
    Check(CheckArgs),
    /// Print the unified diff `fix` would apply (exit 1 when there is one).
    Diff(FixArgs),
    /// Fix files in place (`fix -` writes the fixed YAML to standard output).
    Fix(FixArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub fix: FixArgs,
    /// Pass when at least this share of containers is read-only (0.8 or 80%).
    #[arg(long, default_value = "0.8", value_parser = parse_threshold)]
    pub threshold: f64,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Files or directories (walked for *.yaml / *.yml); `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Log directory that gets a writable emptyDir next to /tmp.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_LOG_DIR)]
    pub log_dir: String,
    /// Add only the /tmp emptyDir, no log directory.
    #[arg(long, conflicts_with = "log_dir")]
    pub no_log_dir: bool,
    /// Also flip an explicit `readOnlyRootFilesystem: false` to true (normally left alone as an opt-out).
    #[arg(long)]
    pub fix_explicit_false: bool,
    /// Treat images matching GLOB (on the repository's last path segment, e.g. 'mydb*') as
    /// stateful: not applicable. Repeatable; adds to the built-in list.
    #[arg(long = "stateful-image", value_name = "GLOB")]
    pub stateful_images: Vec<String>,
    /// Drop the built-in list of stateful images (postgres, mysql, redis, ...).
    #[arg(long)]
    pub no_default_stateful_images: bool,
    /// Files larger than this many MiB are reported as errors instead of being read.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
    /// fix: write the target of a symlink named on the command line, when that target lies
    /// inside one of the given paths (default: a symlink is an error, never written through).
    #[arg(long)]
    pub follow_symlinks: bool,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.strip_suffix('%') {
        Some(p) => (p, 100.0),
        None => (s, 1.0),
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("not a number: {s}"))?;
    let v = v / scale;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("threshold must be between 0 and 1 (or 0% and 100%): {s}"))
    }
}

impl FixArgs {
    pub fn options(&self) -> Options {
        let mut stateful: Vec<String> = if self.no_default_stateful_images {
            Vec::new()
        } else {
            DEFAULT_STATEFUL_IMAGES.iter().map(|s| s.to_string()).collect()
        };
        stateful.extend(self.stateful_images.iter().cloned());
        let mut writable_paths = vec!["/tmp".to_owned()];
        if !self.no_log_dir {
            writable_paths.push(self.log_dir.clone());
        }
        Options {
            policy: Policy { stateful_images: stateful, fix_explicit_false: self.fix_explicit_false },
            writable_paths,
        }
    }
}

impl Cli {
    pub fn settings(self) -> Settings {
        let (mode, args, threshold) = match self.command {
            Command::Check(c) => (Mode::Check, c.fix, c.threshold),
            Command::Diff(a) => (Mode::Diff, a, 0.8),
            Command::Fix(a) => (Mode::Fix, a, 0.8),
        };
        let max_file_size = args.max_file_size.saturating_mul(1 << 20);
        Settings {
            mode,
            format: args.format,
            options: args.options(),
            threshold,
            paths: args.paths,
            max_file_size,
            follow_symlinks: args.follow_symlinks,
        }
    }
}

/// Options from extra command-line words (as in a golden case's `args` file).
pub fn options_from_words(words: &[&str]) -> Result<Options, clap::Error> {
    let cli = Cli::try_parse_from(["kube-rofs", "fix"].iter().chain(words))?;
    Ok(cli.settings().options)
}
