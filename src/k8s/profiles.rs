//! Image profiles: the paths an image writes at run time, so that a container running it still
//! starts with a read-only root. Kept as data (`data/images.yaml`, compiled in), each entry with
//! its sources; `.kube-rofs.yaml` `imageWritablePaths` adds images and overrides entries.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::image::{ImagePattern, ImageRef};

/// What to do with a directory the image already fills that the application also writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Leave it read-only and unmounted (an empty volume would hide what the image put there).
    Omit,
    /// Mount an emptyDir there, filled first by an init container (same image) that copies the
    /// image's directory into it, as Bitnami's charts do.
    Copy,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefilled {
    pub path: String,
    pub action: Action,
    pub why: Arc<str>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProfile {
    name: String,
    images: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    log_dir: Option<String>,
    #[serde(default)]
    prefilled: Vec<Prefilled>,
    #[serde(default)]
    writes_nothing: bool,
    #[serde(default)]
    stateful: bool,
    #[serde(default)]
    image_volumes: Vec<String>,
    sources: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Where an image writes its logs, when the profile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDir {
    /// The profile does not say: kube-rofs's default log directory applies.
    Default,
    /// To standard output: no log directory.
    None,
    /// Here, instead of the default.
    Path(String),
}

/// One image profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: Arc<str>,
    pub images: Vec<ImagePattern>,
    /// Directories the image writes that hold nothing from the image.
    pub paths: Vec<String>,
    pub log_dir: LogDir,
    pub prefilled: Vec<Prefilled>,
    /// The image writes nothing at all, not even /tmp.
    pub writes_nothing: bool,
    /// A database or other store: not made read-only unless asked.
    pub stateful: bool,
    /// The first source, shown in reports (all are in the data file).
    pub source: Arc<str>,
    pub sources: Vec<String>,
    pub note: Option<String>,
}

impl Profile {
    fn from_raw(raw: RawProfile) -> Result<Profile, String> {
        let name = raw.name.clone();
        let err = |e: String| format!("profile {name}: {e}");
        if raw.sources.is_empty() {
            return Err(err("no source".into()));
        }
        let paths = raw.paths.iter().chain(raw.prefilled.iter().map(|p| &p.path)).chain(&raw.image_volumes);
        if let Some(p) = paths.clone().find(|p| !p.starts_with('/') || p.len() < 2) {
            return Err(err(format!("{p:?} is not an absolute path below /")));
        }
        let log_dir = match raw.log_dir.as_deref() {
            None => LogDir::Default,
            Some("none") => LogDir::None,
            Some(p) if p.starts_with('/') => LogDir::Path(p.to_owned()),
            Some(p) => return Err(err(format!("logDir {p:?} is neither `none` nor an absolute path"))),
        };
        let images = raw.images.iter().map(|i| ImagePattern::new(i).map_err(&err)).collect::<Result<_, _>>()?;
        Ok(Profile {
            name: raw.name.into(),
            images,
            paths: raw.paths,
            log_dir,
            prefilled: raw.prefilled,
            writes_nothing: raw.writes_nothing,
            stateful: raw.stateful,
            source: raw.sources[0].as_str().into(),
            sources: raw.sources,
            note: raw.note,
        })
    }

    pub fn matches(&self, image: &ImageRef) -> bool {
        self.images.iter().any(|p| p.matches(image))
    }
}

/// `data/images.yaml`, the source (the tests read it as YAML).
#[cfg(test)]
const BUILT_IN: &str = include_str!("../../data/images.yaml");

/// `data/images.yaml` as build.rs compiled it to JSON: read about ten times faster.
const COMPILED: &str = include_str!(concat!(env!("OUT_DIR"), "/images.json"));

/// A table of profiles from its entries as read.
fn from_raw_table(raw: Vec<RawProfile>) -> Result<Vec<Profile>, String> {
    raw.into_iter().map(Profile::from_raw).collect()
}

/// Parse a table of profiles (the data file's shape).
#[cfg(test)]
pub fn parse_table(text: &str) -> Result<Vec<Profile>, String> {
    super::data::parse(text, from_raw_table)
}

/// The built-in profiles, parsed once.
pub fn built_in() -> &'static [Profile] {
    static TABLE: OnceLock<Vec<Profile>> = OnceLock::new();
    TABLE.get_or_init(|| super::data::compiled(COMPILED, from_raw_table, "data/images.yaml"))
}

/// The built-in profile of `image`: the first entry that matches.
pub fn profile_of(image: &ImageRef) -> Option<&'static Profile> {
    built_in().iter().find(|p| p.matches(image))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(image: &str) -> Option<&'static str> {
        profile_of(&ImageRef::parse(image).unwrap()).map(|p| &*p.name)
    }

    #[test]
    fn the_table_parses_covers_the_common_images_and_cites_sources() {
        let table = parse_table(BUILT_IN).unwrap();
        assert!(table.len() >= 30, "{} profiles", table.len());
        for p in &table {
            assert!(p.sources.iter().all(|s| s.starts_with("https://")), "{}: {:?}", p.name, p.sources);
        }
        let names: std::collections::HashSet<&str> = table.iter().map(|p| &*p.name).collect();
        assert_eq!(names.len(), table.len(), "profile names are unique");
        for (image, profile) in [
            ("nginx:1.27", "nginx"),
            ("docker.io/library/nginx:1.27@sha256:0123", "nginx"),
            ("nginxinc/nginx-unprivileged:1.27", "nginx-unprivileged"),
            ("bitnami/nginx:1.27", "bitnami-nginx"),
            ("redis:7", "redis"),
            ("tomcat:10", "tomcat"),
            ("grafana/grafana:11.0.0", "grafana"),
            ("prom/prometheus:v2.53.0", "prometheus"),
            ("registry.k8s.io/ingress-nginx/controller:v1.11.0", "ingress-nginx"),
            ("registry.k8s.io/coredns/coredns:v1.11.1", "coredns"),
            ("quay.io/argoproj/argocd:v2.12.0", "argocd"),
        ] {
            assert_eq!(of(image), Some(profile), "{image}");
        }
        assert_eq!(of("example/app:1"), None);
        let coredns = table.iter().find(|p| &*p.name == "coredns").unwrap();
        assert!(coredns.writes_nothing && coredns.paths.is_empty());
        let nginx = table.iter().find(|p| &*p.name == "nginx").unwrap();
        assert_eq!(nginx.log_dir, LogDir::None);
        assert_eq!(nginx.prefilled[0].action, Action::Omit);
    }

    #[test]
    fn the_compiled_table_is_the_data_file() {
        assert_eq!(built_in(), parse_table(BUILT_IN).unwrap());
    }

    #[test]
    fn an_entry_without_a_source_or_with_a_relative_path_is_refused() {
        assert!(parse_table("- {name: x, images: [x], paths: [/a], sources: []}\n").unwrap_err().contains("no source"));
        assert!(parse_table("- {name: x, images: [x], paths: [a], sources: ['https://e']}\n").is_err());
        assert!(parse_table("- {name: x, images: [x], logDir: logs, sources: ['https://e']}\n").is_err());
    }
}
