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

/// The control's detail line for a workload: its form, "<Kind> '<name>' lacks
/// readOnlyRootFilesystem: true.", and a second sentence that fits the kind.
pub fn workload_detail(f: &Finding) -> String {
    format!("{} '{}' lacks readOnlyRootFilesystem: true. {}", f.kind, f.name, kind_sentence(&f.kind))
}

fn kind_sentence(kind: &str) -> &'static str {
    match kind {
        "StatefulSet" => "A stateful set keeps its data on volumes; its root filesystem can still be read-only.",
        "DaemonSet" => "A node agent writes to the host paths it mounts; its root filesystem can be read-only.",
        "Job"
        | "CronJob"
        | "Workflow"
        | "WorkflowTemplate"
        | "ClusterWorkflowTemplate"
        | "CronWorkflow"
        | "Task"
        | "ClusterTask"
        | "TaskRun"
        | "Pipeline"
        | "PipelineRun"
        | "ScaledJob"
        | "TFJob"
        | "PyTorchJob"
        | "MPIJob"
        | "XGBoostJob"
        | "PaddleJob"
        | "JAXJob"
        | "RayJob"
        | "SparkApplication"
        | "ScheduledSparkApplication"
        | "BroadcastJob"
        | "AdvancedCronJob"
        | "JobSet" => "A batch job can run with a read-only root and write its scratch data to emptyDir volumes.",
        "Pod" => "Its containers could run with a read-only root and emptyDir volumes for what they write.",
        "HelmValues" => "The chart's containers could run with a read-only root.",
        _ => "Stateless web application could run with read-only root.",
    }
}

/// `1 container`, `2 containers`: a count and a noun made plural when it is not one.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// The audit's headline: `X of Y containers use read-only root filesystem.`
pub fn headline(read_only: usize, counted: usize) -> String {
    let verb = if counted == 1 { "uses" } else { "use" };
    format!("{read_only} of {} {verb} read-only root filesystem.", count(counted, "container"))
}

/// The verdict when nothing counts: say why, so a run that checked nothing cannot read as a
/// pass.
pub fn not_applicable_verdict(t: &crate::report::model::Tally) -> String {
    let found = t.counted() + t.not_applicable;
    if found == 0 {
        format!("N/A: no containers found in {}; nothing was checked against the threshold.", count(t.files, "file"))
    } else if found == 1 {
        "N/A: the one container found is not applicable; nothing was checked against the threshold.".to_owned()
    } else {
        format!("N/A: none of the {found} containers found is applicable; nothing was checked against the threshold.")
    }
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
            f.missing().collect::<Vec<_>>().join(", ")
        );
        if let Some(reason) = &f.unfixed {
            m.push_str(&format!(" Not fixed automatically: {reason}."));
        }
        return m;
    }
    let mut m = format!("{} {who} has a writable root filesystem.", workload_detail(f));
    match &f.status {
        Status::Refused(reason) => m.push_str(&format!(" Not fixed automatically: {reason}.")),
        Status::ExplicitFalse => m.push_str(&format!(" It says {EXPLICIT_FALSE_HINT}.")),
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
    for n in f.writable.iter() {
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
    matches!(f.status, Status::Writable | Status::Refused(_) | Status::ExplicitFalse)
}

/// What to do about an explicit `readOnlyRootFilesystem: false`.
pub const EXPLICIT_FALSE_HINT: &str = "readOnlyRootFilesystem: false; `kube-rofs fix` leaves it alone unless \
--fix-explicit-false; if it must write, exempt it on purpose with the annotation kube-rofs.io/skip: \"<reason>\"";

/// Read-only, but lacking writable paths it needs.
pub fn incomplete(f: &Finding) -> bool {
    f.status == Status::ReadOnly && f.lacks_paths()
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
