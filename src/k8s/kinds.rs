//! The table of workload kinds: for each API group and kind, where its containers and their
//! pod volumes live. Kept as data (`data/kinds.yaml`, compiled in, each entry with its source);
//! `.kube-rofs.yaml` `kinds:` adds entries of the same shape.

use std::sync::OnceLock;

use serde::Deserialize;

/// One step of a path into a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    /// Every item of a sequence (`[]`).
    Items,
    /// Every value of a mapping (`*`).
    Values,
}

/// A parsed path: `spec.templates[].container` -> Key(spec), Key(templates), Items, Key(container).
pub type Steps = Vec<Step>;

/// Parse a dotted path with `[]` and `*`; the empty path is the object itself.
pub fn parse_path(text: &str) -> Result<Steps, String> {
    let mut steps = Vec::new();
    if text.is_empty() {
        return Ok(steps);
    }
    for part in text.split('.') {
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        match name {
            "" if rest.is_empty() => return Err(format!("empty segment in path {text:?}")),
            "" => {}
            "*" => steps.push(Step::Values),
            n if n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$')) => {
                steps.push(Step::Key(n.to_owned()))
            }
            n => return Err(format!("{n:?} in path {text:?} is not a key, `*` or `[]`")),
        }
        while !rest.is_empty() {
            rest = rest.strip_prefix("[]").ok_or_else(|| format!("only `[]` may follow a key in path {text:?}"))?;
            steps.push(Step::Items);
        }
    }
    Ok(steps)
}

/// Containers outside a pod spec, as one entry's data says.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    at: String,
    containers: Vec<String>,
    volumes: String,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    refuse: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Provides {
    /// Paths the controller mounts writable in every container.
    #[serde(default)]
    pub mounts: Vec<String>,
    /// Volume names the controller uses itself.
    #[serde(default)]
    pub volume_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawKind {
    group: String,
    kinds: Vec<String>,
    #[serde(default)]
    pod_specs: Vec<String>,
    #[serde(default)]
    scopes: Vec<RawScope>,
    #[serde(default)]
    provides: Provides,
    source: String,
}

/// Containers outside a pod spec: paths parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub at: Steps,
    /// (path from `at`, its text: the last key names the list in reports).
    pub containers: Vec<(Steps, String)>,
    pub volumes: Steps,
    pub template: Option<Steps>,
    pub refuse: Option<String>,
}

/// One entry of the table: a group, kinds, and where their containers live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindEntry {
    pub group: String,
    pub kinds: Vec<String>,
    pub pod_specs: Vec<Steps>,
    pub scopes: Vec<Scope>,
    pub provides: Provides,
    pub source: String,
}

/// Groups a document without `apiVersion` is taken to belong to.
const BUILT_IN_GROUPS: &[&str] = &["", "apps", "batch", "extensions"];

impl KindEntry {
    fn from_raw(raw: RawKind) -> Result<KindEntry, String> {
        if raw.pod_specs.is_empty() && raw.scopes.is_empty() {
            return Err(format!("kind {:?} names neither podSpecs nor scopes", raw.kinds));
        }
        if raw.kinds.is_empty() {
            return Err("an entry without kinds".into());
        }
        let pod_specs = raw.pod_specs.iter().map(|p| parse_path(p)).collect::<Result<_, _>>()?;
        let mut scopes = Vec::new();
        for s in raw.scopes {
            let containers = s
                .containers
                .iter()
                .map(|c| parse_path(c).map(|steps| (steps, c.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            if containers.is_empty() {
                return Err(format!("a scope of {:?} names no containers", raw.kinds));
            }
            let volumes = parse_path(&s.volumes)?;
            if !matches!(volumes.last(), Some(Step::Key(_))) {
                return Err(format!("volumes path {:?} must end with a key", s.volumes));
            }
            let template = s.template.as_deref().map(parse_path).transpose()?;
            scopes.push(Scope { at: parse_path(&s.at)?, containers, volumes, template, refuse: s.refuse });
        }
        Ok(KindEntry {
            group: raw.group,
            kinds: raw.kinds,
            pod_specs,
            scopes,
            provides: raw.provides,
            source: raw.source,
        })
    }

    /// Whether a document with this `apiVersion` (None when absent) and `kind` is this entry's.
    pub fn matches(&self, api_version: Option<&str>, kind: &str) -> bool {
        let group_ok = match api_version {
            Some(v) => group_of(v) == self.group,
            None => BUILT_IN_GROUPS.contains(&self.group.as_str()),
        };
        group_ok && self.kinds.iter().any(|k| k == kind)
    }
}

/// The group part of an `apiVersion`: `apps/v1` -> `apps`, `v1` -> ``.
pub fn group_of(api_version: &str) -> &str {
    match api_version.trim().rsplit_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// `data/kinds.yaml`, the source (the tests read it as YAML).
#[cfg(test)]
const BUILT_IN: &str = include_str!("../../data/kinds.yaml");

/// `data/kinds.yaml` as build.rs compiled it to JSON: read about ten times faster.
const COMPILED: &str = include_str!(concat!(env!("OUT_DIR"), "/kinds.json"));

/// A table of kinds from its entries as read.
fn from_raw_table(raw: Vec<RawKind>) -> Result<Vec<KindEntry>, String> {
    raw.into_iter().map(KindEntry::from_raw).collect()
}

/// Parse a table of kinds (the built-in data file's shape).
#[cfg(test)]
pub fn parse_table(text: &str) -> Result<Vec<KindEntry>, String> {
    super::data::parse(text, from_raw_table)
}

/// The built-in table, parsed once.
pub fn built_in() -> &'static [KindEntry] {
    static TABLE: OnceLock<Vec<KindEntry>> = OnceLock::new();
    TABLE.get_or_init(|| super::data::compiled(COMPILED, from_raw_table, "data/kinds.yaml"))
}

/// A kind declared in the configuration file: `{apiVersion, kind, podSpecs}` or
/// `{apiVersion, kind, containers, volumes}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomKind {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pod_specs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<String>,
}

impl CustomKind {
    /// The table entry for this declaration, or why it is not one.
    pub fn entry(&self) -> Result<KindEntry, String> {
        let scopes = match (self.containers.is_empty(), &self.volumes) {
            (true, None) => Vec::new(),
            (false, Some(v)) => {
                vec![RawScope {
                    at: String::new(),
                    containers: self.containers.clone(),
                    volumes: v.clone(),
                    template: None,
                    refuse: None,
                }]
            }
            (false, None) => {
                return Err(format!("kind {}: `containers` needs `volumes` (where their pod volumes go)", self.kind));
            }
            (true, Some(_)) => return Err(format!("kind {}: `volumes` without `containers`", self.kind)),
        };
        KindEntry::from_raw(RawKind {
            group: group_of(&self.api_version).to_owned(),
            kinds: vec![self.kind.clone()],
            pod_specs: self.pod_specs.clone(),
            scopes,
            provides: Provides::default(),
            source: ".kube-rofs.yaml".into(),
        })
        .map_err(|e| format!("kind {}: {e}", self.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_parses_and_every_entry_has_a_source() {
        let table = parse_table(BUILT_IN).unwrap();
        assert!(table.len() >= 40, "{} entries", table.len());
        for e in &table {
            assert!(e.source.starts_with("https://"), "{:?}: source {:?}", e.kinds, e.source);
        }
        let has = |group: &str, kind: &str| table.iter().any(|e| e.matches(Some(&format!("{group}/v1")), kind));
        for (group, kind) in [
            ("argoproj.io", "Rollout"),
            ("apps.openshift.io", "DeploymentConfig"),
            ("serving.knative.dev", "Service"),
            ("argoproj.io", "Workflow"),
            ("argoproj.io", "CronWorkflow"),
            ("tekton.dev", "Task"),
            ("tekton.dev", "PipelineRun"),
            ("keda.sh", "ScaledJob"),
            ("kubeflow.org", "PyTorchJob"),
            ("ray.io", "RayService"),
            ("batch.volcano.sh", "Job"),
            ("apps.kruise.io", "CloneSet"),
            ("sparkoperator.k8s.io", "SparkApplication"),
        ] {
            assert!(has(group, kind), "{group} {kind}");
        }
    }

    #[test]
    fn the_compiled_table_is_the_data_file() {
        assert_eq!(built_in(), parse_table(BUILT_IN).unwrap());
    }

    #[test]
    fn kinds_match_by_group_as_well_as_name() {
        let table = built_in();
        let find = |v: Option<&str>, k: &str| table.iter().filter(|e| e.matches(v, k)).count();
        let first = |v: Option<&str>, k: &str| table.iter().find(|e| e.matches(v, k)).map(|e| e.group.as_str());
        assert_eq!(find(Some("batch/v1"), "Job"), 1);
        assert_eq!(find(Some("batch.volcano.sh/v1alpha1"), "Job"), 1);
        assert_eq!(find(Some("v1"), "Service"), 0, "a core Service has no containers");
        assert_eq!(find(Some("serving.knative.dev/v1"), "Service"), 1);
        assert_eq!(first(None, "Deployment"), Some("apps"), "no apiVersion: the built-in kind");
        assert_eq!(first(None, "Job"), Some("batch"));
        assert_eq!(find(None, "Rollout"), 0);
        let job = table.iter().find(|e| e.matches(Some("batch.volcano.sh/v1alpha1"), "Job")).unwrap();
        assert_eq!(job.pod_specs, vec![parse_path("spec.tasks[].template.spec").unwrap()]);
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("spec.tfReplicaSpecs.*.template.spec").unwrap(),
            [
                Step::Key("spec".into()),
                Step::Key("tfReplicaSpecs".into()),
                Step::Values,
                Step::Key("template".into()),
                Step::Key("spec".into())
            ]
        );
        assert_eq!(
            parse_path("steps[][].inline").unwrap(),
            [Step::Key("steps".into()), Step::Items, Step::Items, Step::Key("inline".into())]
        );
        assert!(parse_path("spec..x").is_err());
        assert!(parse_path("spec[0]").is_err());
        assert!(parse_path("a b").is_err());
    }
}
