//! The command line as clap sees it: subcommands, flags and their help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::color::ColorChoice;
use crate::report::emitter::Format;
use crate::report::progress::Verbosity;

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

/// Flags of `check`'s arguments that are about a run, not the configuration: `kube-rofs
/// config` hides them and refuses them rather than ignore them.
pub const NOT_FOR_CONFIG: &[&str] = &[
    "format",
    "paths",
    "output",
    "stdin_filename",
    "color",
    "quiet",
    "verbose",
    "follow_symlinks",
    "fsync",
    "max_file_size",
    "no_ignore",
];

/// The command line as parsed and documented: [`Cli`], with `config` showing only the flags
/// that change the configuration.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommand("config", |c| NOT_FOR_CONFIG.iter().fold(c, |c, id| c.mut_arg(*id, |a| a.hide(true))))
}

/// The first flag of [`NOT_FOR_CONFIG`] given to `kube-rofs config`, as the user wrote it,
/// with its verb ("--format is", "paths are").
pub fn misplaced_config_flag(matches: &clap::ArgMatches) -> Option<String> {
    let ("config", sub) = matches.subcommand()? else { return None };
    let given = |id: &&&str| sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    NOT_FOR_CONFIG.iter().find(given).map(|id| match *id {
        "paths" => "paths are".to_owned(),
        id => format!("--{} is", id.replace('_', "-")),
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit: list writable containers and the share that is read-only (exit 1 below the threshold).
    Check(CheckArgs),
    /// Print the unified diff `fix` would apply (exit 1 when there is one).
    Diff(FixArgs),
    /// Fix files in place (`fix -` writes the fixed YAML to standard output).
    Fix(FixArgs),
    /// Print the effective configuration (file and flags combined) as YAML; it reads no manifests.
    Config(CheckArgs),
    /// Explain the rule: what it checks, why, what `fix` changes, and how to opt a workload out.
    Explain,
    /// List the image profiles in force: the configuration's imageWritablePaths, then the
    /// built-in table (image, writable paths, source).
    Profiles(ProfilesArgs),
    /// Print a shell completion script (`kube-rofs completions bash > ...`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: crate::cli::generate::CompletionShell,
    },
    /// Print the man page in roff (`kube-rofs man | man -l -`); with a subcommand, its own page.
    Man {
        /// A subcommand (check, diff, fix, ...) whose page to print instead.
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// Configuration file (default: the nearest .kube-rofs.yaml from the current directory up to
    /// the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub fix: FixArgs,
    /// Pass when at least this share of containers is read-only (0.8 or 80%; default 0.8).
    #[arg(long, value_parser = crate::config::parse_threshold)]
    pub threshold: Option<f64>,
    /// Count a read-only container as passing only when it also has writable emptyDirs at the
    /// paths it needs (at least /tmp), as the control's pass criteria say.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Files or directories (walked for *.yaml / *.yml); `-` reads standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Configuration file (default: the nearest .kube-rofs.yaml from the current directory up;
    /// docs/usage.md, "Configuration file").
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
    /// Drop the built-in list of stateful images (postgres, mysql, redis, ...; docs/editing.md,
    /// "Skip rules").
    #[arg(long)]
    pub no_default_stateful_images: bool,
    /// Files larger than this many MiB are reported as errors instead of being read.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
    /// fix: write the target of a symlink named on the command line, when that target lies
    /// inside one of the given paths (default: a symlink is an error, never written through).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// fix: flush each written file and its directory to the disk (fsync), so that it survives a
    /// power loss (default: old or new content under a kill, no flush; RELIABILITY.md).
    #[arg(long)]
    pub fsync: bool,
    /// Walk every directory: do not honour .gitignore, .ignore and the global git excludes, and
    /// do not skip vendor/ and node_modules/.
    #[arg(long)]
    pub no_ignore: bool,
    /// Also add readOnlyRootFilesystem: true to `securityContext` / `containerSecurityContext`
    /// mappings in Helm charts' values files (values*.yaml next to Chart.yaml).
    #[arg(long)]
    pub helm_values: bool,
    /// An OCI image layout (directory or tar) or a `docker save` tarball: the Volumes of the
    /// images it holds get writable emptyDir mounts in containers running them. Repeatable.
    #[arg(long = "image-archive", value_name = "PATH")]
    pub image_archives: Vec<PathBuf>,
    /// Fetch each image's manifest and config (never its layers) from its registry for the
    /// Volumes it declares; cached by digest. Unreachable or denied: a note, never an error.
    #[arg(long)]
    pub resolve_images: bool,
    /// Do not contact registries, whatever the configuration file says.
    #[arg(long, conflicts_with = "resolve_images")]
    pub no_resolve_images: bool,
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
    /// Write what would go to standard output (the report, the diff, `fix -`'s YAML) to FILE
    /// instead; messages and errors stay on standard error.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
