//! Command-line interface: clap definitions, turned into run settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::color::ColorChoice;
use crate::config::{self, Config, ConfigError};
use crate::emit::Format;
use crate::fixer::{DEFAULT_LOG_DIR, Options};
use crate::policy::{DEFAULT_STATEFUL_IMAGES, Policy};
use crate::progress::{Progress, Verbosity};
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
    /// Print the effective configuration (file and flags combined) as YAML.
    Config(CheckArgs),
    /// Explain the rule: what it checks, why, what `fix` changes, and how to opt a workload out.
    Explain,
    /// Print a shell completion script (`kube-rofs completions bash > ...`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page in roff (`kube-rofs man | man -l -`); with a subcommand, its own page.
    Man {
        /// A subcommand (check, diff, fix, ...) whose page to print instead.
        command: Option<String>,
    },
}

/// What the command line asks for.
pub enum Action {
    Run(Box<Settings>),
    /// Text to print on standard output, then exit 0.
    Print(String),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub fix: FixArgs,
    /// Pass when at least this share of containers is read-only (0.8 or 80%; default 0.8).
    #[arg(long, value_parser = parse_threshold)]
    pub threshold: Option<f64>,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Files or directories (walked for *.yaml / *.yml); `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Configuration file (default: the nearest .kube-rofs.yaml from the current directory up).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Log directory that gets a writable emptyDir next to /tmp (default /var/log/app).
    #[arg(long, value_name = "PATH")]
    pub log_dir: Option<String>,
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
    /// Also add readOnlyRootFilesystem: true to `securityContext` / `containerSecurityContext`
    /// mappings in Helm charts' values files (values*.yaml next to Chart.yaml).
    #[arg(long)]
    pub helm_values: bool,
    #[command(flatten)]
    pub ui: UiArgs,
}

/// How a run talks to its caller: names, colour, verbosity.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// The name standard input (`-`) goes by in messages and diff headers (`a/NAME`, `b/NAME`).
    #[arg(long, value_name = "NAME", default_value = "-")]
    pub stdin_filename: String,
    /// Colour the text diff and the check verdict.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only errors: no audit lines, summary or notes (the exit code tells the result).
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also list every file processed, on standard error.
    #[arg(long, short)]
    pub verbose: bool,
}

impl UiArgs {
    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (_, true) => Verbosity::Verbose,
            _ => Verbosity::Normal,
        }
    }
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
    /// The configuration file in force (`--config`, else the nearest one) and its content.
    pub fn load_config(&self) -> Result<(Option<PathBuf>, Config), ConfigError> {
        let path = match (&self.config, self.no_config) {
            (_, true) => None,
            (Some(p), _) => Some(p.clone()),
            (None, _) => std::env::current_dir().ok().and_then(|d| config::discover(&d)),
        };
        match path {
            Some(p) => Ok((Some(p.clone()), config::load(&p)?)),
            None => Ok((None, Config::default())),
        }
    }

    /// The log directory in force: flags, then the file, then the default; None for none.
    fn log_dir(&self, config: &Config) -> Option<String> {
        match (self.no_log_dir, &self.log_dir, &config.log_dir) {
            (true, _, _) => None,
            (_, Some(dir), _) => Some(dir.clone()),
            (_, None, Some(dir)) if dir.is_empty() => None,
            (_, None, Some(dir)) => Some(dir.clone()),
            (_, None, None) => Some(DEFAULT_LOG_DIR.to_owned()),
        }
    }

    fn default_stateful_images(&self, config: &Config) -> bool {
        !self.no_default_stateful_images && config.default_stateful_images != Some(false)
    }

    /// Flags over the configuration file over the defaults.
    pub fn options(&self, config: &Config) -> Options {
        let mut stateful: Vec<String> = match self.default_stateful_images(config) {
            true => DEFAULT_STATEFUL_IMAGES.iter().map(|s| s.to_string()).collect(),
            false => Vec::new(),
        };
        stateful.extend(config.stateful_images.iter().chain(&self.stateful_images).cloned());
        let mut writable_paths = vec!["/tmp".to_owned()];
        writable_paths.extend(self.log_dir(config));
        for p in &config.writable_paths {
            if !writable_paths.iter().any(|q| crate::plan::norm(q) == crate::plan::norm(p)) {
                writable_paths.push(p.clone());
            }
        }
        Options {
            policy: Policy {
                stateful_images: stateful,
                fix_explicit_false: self.fix_explicit_false || config.fix_explicit_false == Some(true),
            },
            writable_paths,
            image_paths: config.image_writable_paths.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            size_limit: config.empty_dir.size_limit.clone(),
            medium: config.empty_dir.medium.clone(),
        }
    }
}

impl Cli {
    pub fn action(self) -> Result<Action, ConfigError> {
        let (mode, args, threshold) = match self.command {
            Command::Check(c) => (Mode::Check, c.fix, c.threshold),
            Command::Diff(a) => (Mode::Diff, a, None),
            Command::Fix(a) => (Mode::Fix, a, None),
            Command::Config(c) => return effective_config(&c).map(Action::Print),
            Command::Explain => return Ok(Action::Print(crate::explain::text())),
            Command::Completions { shell } => return Ok(Action::Print(crate::generate::completions(shell))),
            Command::Man { command } => {
                return Ok(Action::Print(crate::generate::man(command.as_deref()).unwrap_or_else(|e| e.exit())));
            }
        };
        let (_, config) = args.load_config()?;
        let mut exclude = globset::GlobSetBuilder::new();
        for g in &config.exclude {
            exclude.add(globset::Glob::new(g).map_err(|e| ConfigError(format!("exclude: {e}")))?);
        }
        Ok(Action::Run(Box::new(Settings {
            format: args.format,
            options: args.options(&config),
            threshold: threshold.or(config.threshold).unwrap_or(0.8),
            max_file_size: args.max_file_size.saturating_mul(1 << 20),
            follow_symlinks: args.follow_symlinks,
            helm_values: args.helm_values,
            stdin_name: args.ui.stdin_filename.clone(),
            color: args.ui.color.resolve(),
            verbosity: args.ui.verbosity(),
            progress: Progress::wanted(args.ui.verbosity()),
            exclude: exclude.build().map_err(|e| ConfigError(format!("exclude: {e}")))?,
            ..Settings::new(mode, args.paths)
        })))
    }
}

/// The configuration in force, as a file that would give it, with its source in a comment.
fn effective_config(args: &CheckArgs) -> Result<String, ConfigError> {
    let (path, config) = args.fix.load_config()?;
    let mut stateful_images = config.stateful_images.clone();
    stateful_images.extend(args.fix.stateful_images.iter().cloned());
    let effective = Config {
        log_dir: Some(args.fix.log_dir(&config).unwrap_or_default()),
        stateful_images,
        default_stateful_images: Some(args.fix.default_stateful_images(&config)),
        threshold: Some(args.threshold.or(config.threshold).unwrap_or(0.8)),
        fix_explicit_false: Some(args.fix.fix_explicit_false || config.fix_explicit_false == Some(true)),
        ..config
    };
    let source = match path {
        Some(p) => format!("# configuration file: {}", p.display()),
        None => "# no configuration file found; built-in defaults".to_owned(),
    };
    let yaml = serde_yaml::to_string(&effective).map_err(|e| ConfigError(format!("error: {e}")))?;
    Ok(format!("{source}\n{yaml}"))
}

/// Options from extra command-line words (as in a golden case's `args` file); no
/// configuration file is read.
pub fn options_from_words(words: &[&str]) -> Result<Options, clap::Error> {
    let cli = Cli::try_parse_from(["kube-rofs", "fix", "--no-config"].iter().chain(words))?;
    let Command::Fix(args) = cli.command else { unreachable!("parsed as fix") };
    Ok(args.options(&Config::default()))
}
