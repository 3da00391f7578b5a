//! Flags over the configuration file over the defaults, resolved once into the effective
//! configuration; the run's settings and `kube-rofs config` both come from it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::args::{CheckArgs, FixArgs};
use crate::config::{self, Config, ConfigError};
use crate::fix::options::{DEFAULT_LOG_DIR, ImageSource, Options};
use crate::fs::write::Durability;
use crate::k8s::image::ImagePattern;
use crate::k8s::policy::Policy;
use crate::oci::cache::Cache;
use crate::oci::registry::{DEFAULT_DEADLINE, Registry};
use crate::oci::source::Images;
use crate::report::model::{DEFAULT_THRESHOLD, Mode};
use crate::report::progress::Progress;
use crate::run::Settings;

/// What only `check` sets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Check {
    pub threshold: Option<f64>,
    pub strict: bool,
}

impl Check {
    pub fn of(args: &CheckArgs) -> Check {
        Check { threshold: args.threshold, strict: args.strict }
    }
}

/// The configuration file in force (`--config`, else the nearest trusted one), its content, and
/// notes about files passed over.
pub fn load_config(args: &FixArgs) -> Result<(Option<PathBuf>, Config, Vec<String>), ConfigError> {
    load_config_from(args.config.as_deref(), args.no_config)
}

/// [`load_config`] for a command that takes only `--config` and `--no-config`.
pub fn load_config_from(
    config: Option<&Path>,
    no_config: bool,
) -> Result<(Option<PathBuf>, Config, Vec<String>), ConfigError> {
    let (path, notes) = match (config, no_config) {
        (_, true) => (None, Vec::new()),
        (Some(p), _) => (Some(p.to_path_buf()), Vec::new()),
        (None, _) => match std::env::current_dir() {
            Ok(d) => config::discover(&d),
            Err(_) => (None, Vec::new()),
        },
    };
    match path {
        Some(p) => Ok((Some(p.clone()), config::load(&p)?, notes)),
        None => Ok((None, Config::default(), notes)),
    }
}

/// The effective configuration: every key the flags can set is filled in from the flags, else
/// the file, else the default.
pub fn effective(args: &FixArgs, check: Check, file: Config) -> Config {
    let strict = check.strict || file.strict == Some(true);
    let threshold = check.threshold;
    let log_dir = match (args.no_log_dir, &args.log_dir, &file.log_dir) {
        (true, _, _) => String::new(),
        (_, Some(dir), _) | (_, None, Some(dir)) => dir.clone(),
        (_, None, None) => DEFAULT_LOG_DIR.to_owned(),
    };
    let mut stateful_images = file.stateful_images.clone();
    stateful_images.extend(args.stateful_images.iter().cloned());
    let mut image_archives = file.image_archives.clone();
    image_archives.extend(args.image_archives.iter().cloned());
    let resolve_images = !args.no_resolve_images && (args.resolve_images || file.resolve_images == Some(true));
    Config {
        log_dir: Some(log_dir),
        stateful_images,
        default_stateful_images: Some(!args.no_default_stateful_images && file.default_stateful_images != Some(false)),
        threshold: Some(threshold.or(file.threshold).unwrap_or(DEFAULT_THRESHOLD)),
        strict: Some(strict),
        fix_explicit_false: Some(args.fix_explicit_false || file.fix_explicit_false == Some(true)),
        image_archives,
        resolve_images: Some(resolve_images),
        ..file
    }
}

/// The writable paths every container gets: /tmp, the log directory, `writablePaths`. A path
/// that is not absolute and normalised, or that repeats another, is an error naming it.
pub fn writable_paths(c: &Config) -> Result<Vec<String>, ConfigError> {
    let mut paths = vec!["/tmp".to_owned()];
    let log_dir = c.log_dir.iter().filter(|d| !d.is_empty()).map(|d| ("log directory", d));
    for (what, p) in log_dir.chain(c.writable_paths.iter().map(|p| ("writable path", p))) {
        config::check_writable_path(p).map_err(|e| ConfigError(format!("error: {what}: {e}")))?;
        if paths.contains(p) {
            return Err(ConfigError(format!(
                "error: {what} {p} is already among the writable paths ({})",
                paths.join(", ")
            )));
        }
        paths.push(p.clone());
    }
    Ok(paths)
}

/// The environment variable bounding the time spent resolving one image, in seconds.
pub const REGISTRY_TIMEOUT_ENV: &str = "KUBE_ROFS_REGISTRY_TIMEOUT";

/// What images say about themselves, built once per run: the archives read now (one that cannot
/// be read is an error naming it), and a registry client when `resolveImages` is on.
pub fn images(c: &Config) -> Result<Option<Arc<dyn ImageSource>>, ConfigError> {
    let resolve = c.resolve_images == Some(true);
    if c.image_archives.is_empty() && !resolve {
        return Ok(None);
    }
    let registry = match resolve {
        true => Some(Registry::new(Cache::default_dir().map(Cache::new), registry_deadline()?)),
        false => None,
    };
    let images = Images::open(&c.image_archives, registry).map_err(ConfigError)?;
    Ok(Some(Arc::new(images)))
}

/// `KUBE_ROFS_REGISTRY_TIMEOUT` (seconds, more than 0 and at most 600), else 10 s.
fn registry_deadline() -> Result<Duration, ConfigError> {
    let Some(v) = std::env::var_os(REGISTRY_TIMEOUT_ENV) else { return Ok(DEFAULT_DEADLINE) };
    let text = v.to_string_lossy();
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(ConfigError(format!(
            "error: {REGISTRY_TIMEOUT_ENV} must be a number of seconds above 0 and at most 600, not {text:?}"
        ))),
    }
}

/// Image patterns of the configuration, in the one glob dialect; an invalid one is an error
/// naming it.
fn patterns(texts: &[String]) -> Result<Vec<ImagePattern>, ConfigError> {
    texts.iter().map(|t| ImagePattern::new(t).map_err(|e| ConfigError(format!("error: {e}")))).collect()
}

/// What to fix, from an effective configuration: an error when a path or pattern in it is not
/// valid (the file's own checks already ran; flags are checked here).
pub fn options(c: &Config, helm_values: bool) -> Result<Options, ConfigError> {
    writable_paths(c)?;
    let mut image_paths = Vec::new();
    for (pattern, paths) in &c.image_writable_paths {
        image_paths.push((ImagePattern::new(pattern).map_err(|e| ConfigError(format!("error: {e}")))?, paths.clone()));
    }
    Ok(Options {
        policy: Policy {
            stateful_images: patterns(&c.stateful_images)?,
            stateless_images: patterns(&c.stateless_images)?,
            default_signals: c.default_stateful_images != Some(false),
            fix_explicit_false: c.fix_explicit_false == Some(true),
        },
        log_dir: c.log_dir.clone().filter(|d| !d.is_empty()),
        writable_paths: c.writable_paths.clone(),
        image_paths,
        size_limit: c.empty_dir.size_limit.clone(),
        medium: c.empty_dir.medium.clone(),
        helm_values,
        // Validated when the file was read.
        kinds: c.kinds.iter().filter_map(|k| k.entry().ok()).collect(),
        images: images(c)?,
        fixed_text: true,
        keep_edits: true,
        lists_apart: true,
    })
}

/// The run's settings for `mode`.
pub fn settings(mode: Mode, args: FixArgs, check: Check) -> Result<Settings, ConfigError> {
    let (_, file, notes) = load_config(&args)?;
    if args.log_dir.as_deref() == Some("") {
        return Err(ConfigError("error: --log-dir needs a path (--no-log-dir adds no log directory)".into()));
    }
    let c = effective(&args, check, file);
    let mut options = options(&c, args.helm_values)?;
    // check and diff work from the fixes' edits; only fix writes the fixed file.
    options.fixed_text = mode == Mode::Fix;
    // The diff and the machine formats with fixes (JSON, SARIF, rdjsonl) are made from the edits.
    options.keep_edits = mode == Mode::Diff || args.format.shows_edits();
    let mut exclude = globset::GlobSetBuilder::new();
    for g in &c.exclude {
        exclude.add(crate::k8s::image::glob(g).map_err(|e| ConfigError(format!("exclude: {e}")))?);
    }
    Ok(Settings {
        format: args.format,
        options,
        threshold: c.threshold.unwrap_or(DEFAULT_THRESHOLD),
        strict: c.strict == Some(true),
        max_file_size: args.max_file_size.saturating_mul(1 << 20),
        follow_symlinks: args.follow_symlinks,
        durability: if args.fsync { Durability::Fsync } else { Durability::Atomic },
        stdin_name: args.ui.stdin_filename.clone(),
        color: args.ui.color.resolve(&std::io::stdout()),
        verbosity: args.ui.verbosity(),
        progress: Progress::wanted(args.ui.verbosity()),
        exclude: exclude.build().map_err(|e| ConfigError(format!("exclude: {e}")))?,
        notes,
        respect_ignores: !args.no_ignore,
        ..Settings::new(mode, args.paths)
    })
}

/// The configuration in force, as a file that would give it, with its source in a comment.
pub fn effective_config(args: &CheckArgs) -> Result<String, ConfigError> {
    let (path, file, _) = load_config(&args.fix)?;
    let effective = effective(&args.fix, Check::of(args), file);
    let source = match path {
        Some(p) => format!("# configuration file: {}", p.display()),
        None => "# no configuration file found; built-in defaults".to_owned(),
    };
    let yaml = serde_yaml::to_string(&effective).map_err(|e| ConfigError(format!("error: {e}")))?;
    Ok(format!("{source}\n{yaml}"))
}
