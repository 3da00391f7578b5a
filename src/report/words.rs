//! The sentences every format shares: the rule's names and texts, and how a workload or a
//! container is described.

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

/// The message for one failing container (writable, fixable or not).
pub fn container_message(f: &Finding) -> String {
    let word = container_word(&f.list);
    let mut m = format!(
        "{} {}{} '{}' has a writable root filesystem.",
        workload_detail(f),
        word[..1].to_uppercase(),
        &word[1..],
        f.container
    );
    if let Status::Refused(reason) = &f.status {
        m.push_str(&format!(" Not fixed automatically: {reason}."));
    }
    m
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
