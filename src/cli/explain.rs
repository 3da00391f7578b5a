//! `kube-rofs explain`: the rule, why it matters, what `fix` changes and how to opt out.

use std::fmt::Write;

use crate::config::ConfigError;
use crate::fix::options::DEFAULT_LOG_DIR;
use crate::fix::plan::needs::COPY_PREFIX;
use crate::fix::plan::volumes::volume_base_name;
use crate::k8s::kinds::built_in;
use crate::k8s::policy::{PEER_ANNOTATIONS, SKIP_ANNOTATION};
use crate::k8s::workload::CONTAINER_LISTS;
use crate::k8s::{profiles, stateful};
use crate::report::escape::shown;
use crate::report::words::rule;

/// `kube-rofs profiles`: the configuration's image paths (they replace a built-in profile for
/// the images they match), then every built-in profile with its sources.
pub fn profiles(config: Option<&std::path::Path>, no_config: bool) -> Result<String, ConfigError> {
    let (path, file, _) = super::resolve::load_config_from(config, no_config)?;
    let mut w = String::new();
    if let Some(p) = &path
        && !file.image_writable_paths.is_empty()
    {
        // Text from the file is shown escaped, as every output does.
        let _ =
            writeln!(w, "From {} (imageWritablePaths; replaces a built-in profile):", shown(&p.display().to_string()));
        for (pattern, paths) in &file.image_writable_paths {
            let _ = writeln!(w, "  {}: {}", shown(pattern), shown(&paths.join(", ")));
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "Built-in profiles ({}; data/images.yaml):", profiles::built_in().len());
    for p in profiles::built_in() {
        let images: Vec<&str> = p.images.iter().map(|i| i.as_str()).collect();
        let _ = writeln!(w, "\n{} ({})", p.name, images.join(", "));
        let paths = if p.writes_nothing { "none (writes nothing)".to_owned() } else { p.paths.join(", ") };
        let _ = writeln!(w, "  writable: {paths}");
        match &p.log_dir {
            profiles::LogDir::None => {
                let _ = writeln!(w, "  logs: standard output (no log directory)");
            }
            profiles::LogDir::Path(d) => {
                let _ = writeln!(w, "  logs: {d}");
            }
            profiles::LogDir::Default => {}
        }
        for pre in &p.prefilled {
            let action = match pre.action {
                profiles::Action::Copy => "copied into its volume by an init container",
                profiles::Action::Omit => "left read-only",
            };
            let _ = writeln!(w, "  {}: {action} ({})", pre.path, pre.why);
        }
        if p.stateful {
            let _ = writeln!(w, "  a store: not applicable unless made stateless in the configuration");
        }
        if let Some(note) = &p.note {
            let _ = writeln!(w, "  note: {note}");
        }
        for s in &p.sources {
            let _ = writeln!(w, "  source: {s}");
        }
    }
    Ok(w)
}

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
            "`volumeMounts` for every path the container must be able to write, unless it already mounts \
             something there: /tmp; the log directory {DEFAULT_LOG_DIR} (--log-dir PATH to change it, \
             --no-log-dir for none) unless the image's profile says where it logs; the paths of the image's \
             profile; the VOLUMEs its image declares (--image-archive, --resolve-images); the configuration's \
             writablePaths and imageWritablePaths;"
        ),
    )?;
    paragraph(
        w,
        "  3. ",
        &format!(
            "one `emptyDir: {{}}` pod volume per path (`{tmp_volume}`, `{log_volume}`; `-1`, `-2` appended when a \
             name is taken; an existing emptyDir is reused for a path only when every mount of it is at that \
             path);"
        ),
    )?;
    paragraph(
        w,
        "  4. ",
        &format!(
            "for a directory the image already fills that the application also writes (a profile's `copy`), an \
             init container `{COPY_PREFIX}<volume>` of the same image that copies it into the new volume before \
             the container starts; a profile's `omit` directory stays read-only and unmounted, and the report \
             says why."
        ),
    )?;
    paragraph(
        w,
        "  ",
        &format!(
            "A container that is already read-only gets the mounts it lacks (/tmp, its profile's and image's \
             paths). Image profiles are data ({} images, each with its sources: `kube-rofs profiles` lists \
             them); an image without a profile or image data gets only /tmp and the log directory, and the \
             report says so: run it once with a read-only root before merging. A profile cannot know what a \
             configuration or a plugin of the application writes; the application starting is the final proof.",
            profiles::built_in().len()
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
    let signals = stateful::built_in();
    paragraph(
        w,
        "  ",
        &format!(
            "Containers running a database or another store are not applicable. The signals, with their \
             sources in data/stateful.yaml: a database name anywhere in the image's name ({}; not when a part of \
             the name says it is a helper: {}), an environment variable only the server reads \
             (MYSQL_ROOT_PASSWORD, PGDATA, MONGO_INITDB_*, ...), a port a store listens on (3306, 5432, 27017, \
             ...), a volume claim template the container mounts. --stateful-image GLOB adds a pattern \
             (repeatable), statelessImages in the configuration exempts images, --no-default-stateful-images \
             drops the built-in signals.",
            signals.names.iter().map(|n| n.name.as_str()).collect::<Vec<_>>().join(", "),
            signals.exceptions.iter().map(|e| format!("{} ({})", e.name, e.why)).collect::<Vec<_>>().join("; ")
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
        for name in stateful::built_in().names.iter().map(|n| &n.name) {
            assert!(t.contains(name.as_str()), "missing {name}");
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
            let want = Status::NotApplicable(Box::new(Skip::Annotation { key: key.into(), value: value.into() }));
            assert_eq!(o.findings[0].status, want, "{key}: {value}");
        }
    }
}
