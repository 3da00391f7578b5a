//! `kube-rofs explain`: the rule, why it matters, what `fix` changes and how to opt out.

use std::fmt::Write;

use crate::fix::options::DEFAULT_LOG_DIR;
use crate::fix::plan::volumes::volume_base_name;
use crate::k8s::kinds::built_in;
use crate::k8s::policy::{DEFAULT_STATEFUL_IMAGES, PEER_ANNOTATIONS, SKIP_ANNOTATION, STATELESS_EXCEPTIONS};
use crate::k8s::workload::CONTAINER_LISTS;
use crate::report::words::rule;

/// Line width of the explanation.
const WIDTH: usize = 100;

/// The text `kube-rofs explain` prints.
pub fn text() -> String {
    let mut s = String::new();
    let w = &mut s;
    // Writing to a String cannot fail.
    let _ = write_all(w);
    s
}

fn write_all(w: &mut String) -> std::fmt::Result {
    writeln!(w, "{} ({})", rule::NAME, rule::ID)?;
    writeln!(w, "{}. Severity: {}.", rule::TITLE, rule::SEVERITY)?;
    what_it_checks(w)?;
    why(w)?;
    what_fix_does(w)?;
    opting_out(w)
}

fn what_it_checks(w: &mut String) -> std::fmt::Result {
    writeln!(w, "\nWHAT IT CHECKS")?;
    let kinds: Vec<String> = built_in()
        .iter()
        .map(|e| match e.group.as_str() {
            "" => e.kinds.join(", "),
            g => format!("{} ({g})", e.kinds.join(", ")),
        })
        .collect();
    let lists: Vec<String> = CONTAINER_LISTS.iter().map(|l| format!("`{l}`")).collect();
    paragraph(
        w,
        "  ",
        &format!(
            "Every container in {} of every pod spec, and every container that workload custom resources keep \
             elsewhere, should set `securityContext.readOnlyRootFilesystem: true`. Kinds read (API group in \
             brackets; the items of List and *List too): {}. More kinds can be declared in .kube-rofs.yaml \
             (`kinds:`); a document of another kind that holds containers is reported as not checked. \
             `kube-rofs check` lists the writable containers and the share that is read-only, and fails (exit 1) \
             below --threshold (default 80%).",
            lists.join(", "),
            kinds.join("; ")
        ),
    )
}

fn why(w: &mut String) -> std::fmt::Result {
    writeln!(w, "\nWHY")?;
    // The first sentence of the rule's help text: the threat.
    let threat = rule::HELP.split_once(". ").map_or(rule::HELP, |(first, _)| first);
    paragraph(
        w,
        "  ",
        &format!(
            "{threat}. With a read-only root, the image stays what was scanned and signed; the few paths an \
             application must write go to emptyDir volumes that disappear with the pod."
        ),
    )?;
    writeln!(w, "  References:")?;
    for (id, url) in rule::REFERENCES {
        writeln!(w, "    {id}: {url}")?;
    }
    writeln!(w, "    Kubernetes: {}", rule::HELP_URI)
}

fn what_fix_does(w: &mut String) -> std::fmt::Result {
    writeln!(w, "\nWHAT `kube-rofs fix` DOES")?;
    let log_volume = volume_base_name(DEFAULT_LOG_DIR);
    let tmp_volume = volume_base_name("/tmp");
    paragraph(w, "  ", "For every writable container that is not opted out, it inserts (and changes nothing else):")?;
    paragraph(w, "  1. ", "`securityContext.readOnlyRootFilesystem: true` (adding the securityContext when missing);")?;
    paragraph(
        w,
        "  2. ",
        &format!(
            "`volumeMounts` at /tmp and at the log directory {DEFAULT_LOG_DIR} (--log-dir PATH to change it, \
             --no-log-dir for /tmp only), unless the container already mounts something there;"
        ),
    )?;
    paragraph(
        w,
        "  3. ",
        &format!(
            "one `emptyDir: {{}}` pod volume per path (`{tmp_volume}`, `{log_volume}`; `-1`, `-2` appended when a \
             name is taken; an existing emptyDir mounted at the same path is reused)."
        ),
    )?;
    paragraph(
        w,
        "  ",
        "Comments, key order, indentation, quoting and line endings stay as they were; each fixed file is \
         re-read by an independent YAML parser before it is written. `kube-rofs diff` shows the change first.",
    )
}

fn opting_out(w: &mut String) -> std::fmt::Result {
    writeln!(w, "\nHOW TO OPT A WORKLOAD OUT")?;
    paragraph(
        w,
        "  ",
        "Opted-out containers are reported as not applicable and left out of the ratio. On the workload's \
         metadata.annotations (or its pod template's):",
    )?;
    writeln!(w, "    {SKIP_ANNOTATION}: \"<reason>\"")?;
    paragraph(w, "  ", "The annotations other scanners use for this control are honoured too:")?;
    for (tool, keys) in PEER_ANNOTATIONS {
        paragraph(w, "    ", &format!("{tool}:"))?;
        for (key, value) in *keys {
            writeln!(w, "      {key}: \"{value}\"")?;
        }
    }
    paragraph(
        w,
        "  ",
        "A container with an explicit `readOnlyRootFilesystem: false` has opted out on purpose: it is reported \
         and left alone (--fix-explicit-false flips it to true).",
    )?;
    paragraph(
        w,
        "  ",
        &format!(
            "Containers running a database or another stateful image are not applicable. An image matches when \
             the last path segment of its repository (tag and digest removed; `*` matches any run of \
             characters) matches one of: {}; except {}. --stateful-image GLOB adds a pattern (repeatable), \
             --no-default-stateful-images drops the built-in list.",
            DEFAULT_STATEFUL_IMAGES.join(", "),
            STATELESS_EXCEPTIONS.join(", ")
        ),
    )?;
    Ok(())
}

/// `text` wrapped at [`WIDTH`], the first line after `first`, the others indented to match.
fn paragraph(w: &mut String, first: &str, text: &str) -> std::fmt::Result {
    let indent = " ".repeat(first.len());
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > WIDTH {
            writeln!(w, "{line}")?;
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(w, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::options::Options;
    use crate::fix::pipeline::analyze;
    use crate::k8s::policy::annotations;
    use crate::k8s::status::{Skip, Status};

    #[test]
    fn names_the_rule_the_references_and_the_opt_outs() {
        let t = text();
        for needle in [rule::ID, "readOnlyRootFilesystem", "CIS Kubernetes 5.2.3", "NIST 800-53 CM-7", "malware"] {
            assert!(t.contains(needle), "missing {needle:?}:\n{t}");
        }
        for needle in ["/tmp", DEFAULT_LOG_DIR, "emptyDir", "volumeMounts", "--stateful-image", "postgres"] {
            assert!(t.contains(needle), "missing {needle:?}:\n{t}");
        }
        assert!(t.contains("kube-rofs.io/skip: \"<reason>\""), "{t}");
        assert!(t.contains("readOnlyRootFilesystem: false"), "{t}");
        for (key, value) in annotations() {
            assert!(t.contains(&format!("{key}: \"{value}\"")), "missing {key}:\n{t}");
        }
        for image in DEFAULT_STATEFUL_IMAGES {
            assert!(t.contains(image), "missing {image}");
        }
        assert!(t.lines().all(|l| l.chars().count() <= WIDTH), "{t}");
    }

    /// Every annotation the explanation lists really opts a workload out.
    #[test]
    fn every_listed_annotation_opts_out() {
        for (key, value) in annotations() {
            let yaml = format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n  annotations:\n    {key}: {value:?}\n\
                 spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx\n"
            );
            let o = analyze(None, yaml.as_bytes(), &Options::default()).unwrap();
            let want = Status::NotApplicable(Skip::Annotation { key: key.into(), value: value.into() });
            assert_eq!(o.findings[0].status, want, "{key}: {value}");
        }
    }
}
