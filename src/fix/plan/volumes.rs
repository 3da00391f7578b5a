//! Volume names for the writable paths of one pod: reuse an existing `emptyDir` mounted at the
//! path, else a fresh name no volume uses.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::k8s::status::Refusal;
use crate::k8s::workload::PodSpec;
use crate::yaml::tree::Node;

/// Normalise a mount path for comparison, as the kernel resolves it: `/tmp/`, `//tmp` and
/// `/./tmp` are `/tmp`.
pub fn norm(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    match (path.starts_with('/'), segs.is_empty()) {
        (true, _) => format!("/{}", segs.join("/")),
        (false, true) => path.to_owned(),
        (false, false) => segs.join("/"),
    }
}

/// Deterministic DNS-1123 label for the volume backing `path`: `/tmp` -> `tmp`,
/// `/var/log/app` -> `app-logs`, `/data/cache` -> `data-cache`.
pub fn volume_base_name(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let raw = match segs.as_slice() {
        ["var", "log", rest @ ..] if !rest.is_empty() => format!("{}-logs", rest.join("-")),
        [] => "root".to_owned(),
        s => s.join("-"),
    };
    let mut name = String::new();
    for c in raw.to_ascii_lowercase().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if !(c == '-' && (name.is_empty() || name.ends_with('-'))) {
            name.push(c);
        }
    }
    name.truncate(56);
    let name = name.trim_end_matches('-');
    if name.is_empty() { "writable".to_owned() } else { name.to_owned() }
}

/// Volume names for the writable paths of one pod: an existing `emptyDir` that some container
/// already mounts at the path is reused; otherwise a fresh name that no volume (or, for a
/// StatefulSet, no volume claim template) uses.
pub struct Volumes {
    taken: HashSet<String>,
    reuse: HashMap<String, String>,
    fresh: HashMap<String, String>,
}

impl Volumes {
    pub fn new(pod: &PodSpec) -> Result<Volumes, Refusal> {
        let mut taken = HashSet::new();
        let mut empty_dirs = HashSet::new();
        taken.extend(pod.provides.volume_names.iter().cloned());
        if let Some(items) = pod.spec.get(&pod.volumes_key).and_then(Node::items) {
            for v in items {
                let name = v.get("name").and_then(Node::as_str).ok_or(Refusal::UnnamedVolume)?;
                taken.insert(name.to_owned());
                if v.get("emptyDir").is_some() {
                    empty_dirs.insert(name.to_owned());
                }
            }
        }
        let claims = pod.object.get("spec").and_then(|s| s.get("volumeClaimTemplates")).and_then(Node::items);
        for t in claims.unwrap_or_default() {
            if let Some(name) = t.get("metadata").and_then(|m| m.get("name")).and_then(Node::as_str) {
                taken.insert(name.to_owned());
            }
        }
        // Every path each emptyDir is mounted at, by any container of the pod. A volume is
        // reused for a path only when that is its one mount path: a volume another container
        // mounts elsewhere (say as a web root) must not become this container's /tmp.
        let mut mounted_at: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for c in &pod.containers {
            for m in c.node.get("volumeMounts").and_then(Node::items).unwrap_or_default() {
                let (Some(name), Some(path)) =
                    (m.get("name").and_then(Node::as_str), m.get("mountPath").and_then(Node::as_str))
                else {
                    continue;
                };
                mounted_at.entry(name.to_owned()).or_default().insert(norm(path));
            }
        }
        let mut reuse = HashMap::new();
        for (name, paths) in mounted_at.into_iter().filter(|(n, _)| empty_dirs.contains(n)) {
            if let [path] = paths.into_iter().collect::<Vec<_>>().as_slice() {
                reuse.entry(path.clone()).or_insert(name);
            }
        }
        Ok(Volumes { taken, reuse, fresh: HashMap::new() })
    }

    /// The volume name for `path`, and whether it is a new volume the pod must get.
    pub fn for_path(&mut self, path: &str) -> (String, bool) {
        if let Some(name) = self.reuse.get(&norm(path)) {
            return (name.clone(), false);
        }
        if let Some(name) = self.fresh.get(path) {
            return (name.clone(), true);
        }
        let base = volume_base_name(path);
        let mut name = base.clone();
        let mut i = 0;
        while self.taken.contains(&name) {
            i += 1;
            name = format!("{base}-{i}");
        }
        self.taken.insert(name.clone());
        self.fresh.insert(path.to_owned(), name.clone());
        (name, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_compare_as_the_kernel_resolves_them() {
        for p in ["/tmp", "/tmp/", "//tmp", "/./tmp", "/tmp//"] {
            assert_eq!(norm(p), "/tmp", "{p}");
        }
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("/var//log/./app"), "/var/log/app");
    }

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(volume_base_name("/tmp"), "tmp");
        assert_eq!(volume_base_name("/var/log/app"), "app-logs");
        assert_eq!(volume_base_name("/var/log/My_App/"), "my-app-logs");
        assert_eq!(volume_base_name("/data//cache"), "data-cache");
        assert_eq!(volume_base_name("/"), "root");
        assert!(volume_base_name(&"/x".repeat(100)).len() <= 56);
    }
}
