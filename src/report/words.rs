//! The sentences every format shares: the rule's names and texts, and how a workload or a
//! container is described.

use crate::fix::model::Why;
use crate::fix::outcome::{Finding, Outcome};
use crate::k8s::status::Status;

/// The check kube-rofs implements, as machine formats name it.
pub mod rule {
    pub const ID: &str = "infrastructure-hardening.access-control-rbac.read-only-filesystem";
    pub const NAME: &str = "ReadOnlyRootFilesystem";
    pub const TITLE: &str = "Containers should run with a read-only root filesystem";
    pub const SEVERITY: &str = "medium";
    pub const HELP_URI: &str = "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/";
    pub const HELP: &str = "A writable root filesystem lets malware dropped into a container persist (modified binaries, \
backdoors, cron jobs). Set securityContext.readOnlyRootFilesystem: true on stateless containers and mount emptyDir \
volumes at the few paths that must stay writable (at least /tmp, usually a log directory). `kube-rofs fix` does both. \
Opt a workload out with the annotation kube-rofs.io/skip: \"<reason>\".";
    /// (id, url) of the controls this check implements.
    pub const REFERENCES: &[(&str, &str)] = &[
        ("NIST 800-53 CM-7", "https://csf.tools/reference/nist-sp-800-53/r5/cm/cm-7/"),
        ("CIS Kubernetes 5.2.3", "https://www.cisecurity.org/benchmark/kubernetes"),
    ];
}

/// The control's detail line for a workload.
pub fn workload_detail(f: &Finding) -> String {
    format!(
        "{} '{}' lacks readOnlyRootFilesystem: true. Stateless web application could run with read-only root.",
        f.kind, f.name
    )
}

/// The message for one reported container: writable (fixable or not), or read-only but
/// lacking writable paths it needs.
pub fn container_message(f: &Finding) -> String {
    let word = container_word(&f.list);
    let who = format!("{}{} '{}'", word[..1].to_uppercase(), &word[1..], f.container);
    if incomplete(f) {
        let mut m = format!(
            "{} '{}': {who} has a read-only root filesystem but no writable {}; it may fail to start.",
            f.kind,
            f.name,
            f.missing.join(", ")
        );
        if let Some(reason) = &f.unfixed {
            m.push_str(&format!(" Not fixed automatically: {reason}."));
        }
        return m;
    }
    let mut m = format!("{} {who} has a writable root filesystem.", workload_detail(f));
    match &f.status {
        Status::Refused(reason) => m.push_str(&format!(" Not fixed automatically: {reason}.")),
        _ if !f.writable.is_empty() => m.push_str(&format!(" Writable paths it gets: {}.", paths_and_reasons(f))),
        _ => {}
    }
    m
}

/// Why a path is writable, in words.
pub fn reason(why: &Why) -> String {
    match why {
        Why::Tmp => "default".to_owned(),
        Why::LogDir => "log directory".to_owned(),
        Why::Config => "configuration writablePaths".to_owned(),
        Why::ImageConfig(pattern) => format!("configuration imageWritablePaths '{pattern}'"),
        Why::Profile { name, source } => format!("image profile {name}, {source}"),
        Why::ImageVolume(source) => format!("image VOLUME, {source}"),
    }
}

/// `/tmp (default); /var/cache/nginx, /var/run (image profile nginx, https://...)`: the
/// container's writable paths, grouped by reason, copied directories marked.
pub fn paths_and_reasons(f: &Finding) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for n in &f.writable {
        let path = if n.copy { format!("{} (copied from the image first)", n.path) } else { n.path.clone() };
        let why = reason(&n.why);
        match groups.last_mut() {
            Some((w, paths)) if *w == why => paths.push(path),
            _ => groups.push((why, vec![path])),
        }
    }
    let groups: Vec<String> = groups.into_iter().map(|(why, paths)| format!("{} ({why})", paths.join(", "))).collect();
    groups.join("; ")
}

/// The note for an image nothing describes.
pub fn unknown_image_note(f: &Finding) -> String {
    format!(
        "unknown image {}: only /tmp and the log directory; run it once with a read-only root before merging",
        f.image.as_deref().unwrap_or("(none)")
    )
}

pub fn container_word(list: &str) -> &'static str {
    match list {
        "initContainers" => "init container",
        "ephemeralContainers" => "ephemeral container",
        "steps" => "step",
        "sidecars" => "sidecar container",
        _ => "container",
    }
}

/// Not read-only and counted: what the audit reports as failing.
pub fn failing(f: &Finding) -> bool {
    matches!(f.status, Status::Writable | Status::Refused(_))
}

/// Read-only, but lacking writable paths it needs.
pub fn incomplete(f: &Finding) -> bool {
    f.status == Status::ReadOnly && !f.missing.is_empty()
}

/// Reported by every format: failing or incomplete.
pub fn reported(f: &Finding) -> bool {
    failing(f) || incomplete(f)
}

/// The findings fix number `i` of a file fixes, in file order.
pub fn fixed_by(o: &Outcome, i: usize) -> Vec<&Finding> {
    o.findings.iter().filter(|f| f.fix == Some(i)).collect()
}

/// `container 'a', init container 'b'`.
pub fn container_names(findings: &[&Finding]) -> String {
    let names: Vec<String> =
        findings.iter().map(|f| format!("{} '{}'", container_word(&f.list), f.container)).collect();
    names.join(", ")
}

/// What fix number `i` of a file does, in one sentence.
pub fn fix_description(o: &Outcome, i: usize) -> String {
    let fixed = fixed_by(o, i);
    let Some(first) = fixed.first() else { return String::new() };
    format!(
        "Set securityContext.readOnlyRootFilesystem: true on {} of {} '{}', and mount writable emptyDir volumes \
         where missing",
        container_names(&fixed),
        first.kind,
        first.name
    )
}
