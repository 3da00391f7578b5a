//! Property tests over generated manifests.
//!
//! The generator builds a small Kubernetes model (Pod, Deployment, StatefulSet, DaemonSet, Job,
//! CronJob, List, plus ConfigMaps and comment-only documents; 1-3 containers, optional init and
//! ephemeral containers; securityContext absent, null in four spellings, block or flow (one line
//! or one key per line, trailing comma) with other keys, explicit `true` / `false` spelt as YAML
//! 1.2 allows; volumeMounts absent, `[]`, null or items that may mount `/tmp`, `/tmp/` or the
//! log directory; pod volumes and StatefulSet claim templates that may already be called `tmp`;
//! stateful images and opt-out annotations; block scalars of every chomping, empty ones too,
//! multi-line plain, quoted and flow scalars as last values; flow containers and flow container
//! lists; unrelated anchors, aliases and tags) and renders it as YAML text in a random layout:
//! indentation 2 or 4 with per-collection changes (odd steps, sequences indented the other way,
//! lone dashes, wide gaps after `-`), keys in random order, comments (full-line at any column,
//! trailing, non-ASCII), blank lines, tabs and extra spaces after colons, `key :`, quoted keys,
//! trailing spaces, LF / CRLF / mixed line ends, BOM, missing final newline, several documents
//! with `---` and `...`.
//!
//! For each input and random options (`--fix-explicit-false`, log directory default / none /
//! custom), the properties are the fuzz target's (no panic; the fixed file re-parses with as many
//! documents, is a fixed point, and only inserts text unless the input holds a null or a flipped
//! `false`) plus: no error on a valid manifest, the independent semantic check
//! (`check_only_additions`), nothing left to fix (`left_to_fix`), every container found and
//! classified as the model says (never refused: the generated manifests hold nothing the README
//! lets the fixer refuse), and every fixed container read-only with a mount at each writable
//! path, every mount naming a volume of its pod (or a claim template), no path mounted twice.
//!
//! `file_ends_fix_exactly` narrows the same generator to one container that ends the file, so
//! the edges of a file meet every kind of last value often.
//!
//! Failures found before are replayed first from `proptest_manifests.proptest-regressions`.
//! `KUBE_ROFS_PROPTEST_CASES=N` runs N cases per test instead of the CI default (256).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use kube_rofs::Options;
use kube_rofs::Status;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_yaml::Value;

// ---------------------------------------------------------------------------------------------
// A YAML tree with layout choices, and its renderer.

#[derive(Debug, Clone)]
enum Y {
    /// A scalar or one-line flow collection, written as is.
    Text(String),
    /// `key:` with nothing after it.
    Empty,
    /// A block scalar: header (`|`, `>-`, `|+`, ...) and content lines ("" is a blank line).
    Block(String, Vec<String>),
    /// A plain scalar over several lines.
    Plain(Vec<String>),
    /// A flow mapping with one entry per line, optionally with a trailing comma.
    FlowLines(Vec<(String, String)>, bool),
    /// A flow sequence with one item per line (`[` and `]` on lines of their own).
    FlowSeqLines(Vec<String>, bool),
    /// A scalar or flow collection over several lines, written as is: the first line after the
    /// key, the others one step deeper (`["a",` / `"b"]`, a multi-line double-quoted string).
    Raw(Vec<String>),
    /// A node with properties (`&anchor`, `!!tag`) in front.
    Props(String, Box<Y>),
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
}

fn text(s: impl Into<String>) -> Y {
    Y::Text(s.into())
}

fn map(entries: Vec<(&str, Y)>) -> Y {
    Y::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// One-line flow rendering (for flow containers and flow lists).
fn flow(y: &Y) -> String {
    match y {
        Y::Text(t) => t.clone(),
        Y::Empty => "~".into(),
        Y::Block(_, lines) | Y::Plain(lines) | Y::Raw(lines) => format!("{:?}", lines.join(" ")),
        Y::FlowSeqLines(items, _) => format!("[{}]", items.join(", ")),
        Y::Props(p, y) => format!("{p} {}", flow(y)),
        Y::FlowLines(es, _) => {
            format!("{{{}}}", es.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "))
        }
        Y::Map(es) => {
            format!("{{{}}}", es.iter().map(|(k, v)| format!("{k}: {}", flow(v))).collect::<Vec<_>>().join(", "))
        }
        Y::Seq(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
    }
}

/// Decoration of one map entry or sequence item, consumed in rendering order.
#[derive(Debug, Clone, Copy, Default)]
struct Deco {
    /// 0 nothing, 1 blank line, 2 comment at the entry's column, 3 comment at column 0,
    /// 4 blank line and a comment indented deeper than the entry.
    before: u8,
    trailing: bool,
    /// 0 `: `, 1 `:  `, 2 `:\t` (scalar values only).
    sep: u8,
    space_before_colon: bool,
    quote_key: bool,
    /// Spaces at the end of the line (when there is no trailing comment).
    trailing_space: bool,
}

/// A per-collection layout change, consumed in rendering order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Tweak {
    #[default]
    None,
    /// This sequence is indented the other way.
    FlipSeq,
    /// This nested mapping uses another step.
    OddStep,
    /// This sequence puts `-` alone on its line.
    LoneDash,
    /// This sequence has three spaces after `-`.
    WideGap,
}

#[derive(Debug, Clone, Copy)]
enum Eol {
    Lf,
    Crlf,
    Mixed,
}

#[derive(Debug, Clone, Copy)]
struct Style {
    indent: usize,
    seq_indented: bool,
    gap: usize,
    lone_dash: bool,
    eol: Eol,
    bom: bool,
    final_newline: bool,
    leading_marker: bool,
}

struct Renderer<'a> {
    out: String,
    style: Style,
    decos: &'a [Deco],
    tweaks: &'a [Tweak],
    n_deco: usize,
    n_tweak: usize,
    n_comment: usize,
    /// Double-quote every key of the current document.
    quote_keys: bool,
}

impl Renderer<'_> {
    fn deco(&mut self) -> Deco {
        let d = self.decos.get(self.n_deco).copied().unwrap_or_default();
        self.n_deco += 1;
        d
    }

    fn tweak(&mut self) -> Tweak {
        let t = self.tweaks.get(self.n_tweak).copied().unwrap_or_default();
        self.n_tweak += 1;
        t
    }

    fn pad(&mut self, col: usize) {
        self.out.extend(std::iter::repeat_n(' ', col));
    }

    fn comment(&mut self) -> String {
        self.n_comment += 1;
        let n = self.n_comment;
        if n.is_multiple_of(3) {
            format!("# note {n}: ünïcödé ✓ — keep me")
        } else {
            format!("# note {n}: keep me")
        }
    }

    fn before(&mut self, d: Deco, col: usize) {
        match d.before {
            1 => self.out.push('\n'),
            2 | 3 => {
                self.pad(if d.before == 2 { col } else { 0 });
                let c = self.comment();
                self.out.push_str(&c);
                self.out.push('\n');
            }
            4 => {
                self.out.push('\n');
                self.pad(col + 2);
                let c = self.comment();
                self.out.push_str(&c);
                self.out.push('\n');
            }
            _ => {}
        }
    }

    fn end_line(&mut self, d: Deco) {
        if d.trailing {
            let c = self.comment();
            self.out.push_str("  ");
            self.out.push_str(&c);
        } else if d.trailing_space {
            self.out.push_str("   ");
        }
        self.out.push('\n');
    }

    /// A block mapping whose keys are at `col`; with `inline`, the first key continues the
    /// current line (after `- `).
    fn map(&mut self, entries: &[(String, Y)], col: usize, inline: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            let d = self.deco();
            if !(inline && i == 0) {
                self.before(d, col);
                self.pad(col);
            }
            if d.quote_key && k.len() % 2 == 0 {
                self.out.push_str(&format!("'{k}'"));
            } else if d.quote_key || self.quote_keys {
                self.out.push_str(&format!("\"{k}\""));
            } else {
                self.out.push_str(k);
            }
            if d.space_before_colon {
                self.out.push(' ');
            }
            self.out.push(':');
            self.value(v, col, d);
        }
    }

    /// A flow collection over several lines: one entry per line, indented one step past `col`,
    /// the closing bracket back at `col`.
    fn flow_lines(
        &mut self,
        (open, close): (char, char),
        entries: &[String],
        trailing_comma: bool,
        col: usize,
        d: Deco,
    ) {
        self.out.push(' ');
        self.out.push(open);
        self.end_line(d);
        for (i, entry) in entries.iter().enumerate() {
            self.pad(col + self.style.indent);
            self.out.push_str(entry);
            if i + 1 < entries.len() || trailing_comma {
                self.out.push(',');
            }
            self.out.push('\n');
        }
        self.pad(col);
        self.out.push(close);
        self.out.push('\n');
    }

    /// The value after `key:` (the key's column is `col`), through the end of its last line.
    fn value(&mut self, v: &Y, col: usize, d: Deco) {
        let step = self.style.indent;
        match v {
            Y::Text(t) => {
                self.out.push_str([" ", "  ", "\t"][d.sep as usize % 3]);
                self.out.push_str(t);
                self.end_line(d);
            }
            Y::Empty => self.end_line(d),
            Y::Block(header, lines) => {
                self.out.push(' ');
                self.out.push_str(header);
                self.end_line(d);
                for l in lines {
                    if !l.is_empty() {
                        self.pad(col + step);
                        self.out.push_str(l);
                    }
                    self.out.push('\n');
                }
            }
            Y::Plain(words) => {
                self.out.push(' ');
                self.out.push_str(&words[0]);
                for w in &words[1..] {
                    self.out.push('\n');
                    self.pad(col + step);
                    self.out.push_str(w);
                }
                self.end_line(d);
            }
            Y::FlowLines(es, trailing_comma) => {
                let entries: Vec<String> = es.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                self.flow_lines(('{', '}'), &entries, *trailing_comma, col, d);
            }
            Y::FlowSeqLines(items, trailing_comma) => self.flow_lines(('[', ']'), items, *trailing_comma, col, d),
            Y::Raw(lines) => {
                self.out.push(' ');
                self.out.push_str(&lines[0]);
                for l in &lines[1..] {
                    self.out.push('\n');
                    self.pad(col + step);
                    self.out.push_str(l);
                }
                self.end_line(d);
            }
            Y::Props(props, inner) => {
                self.out.push(' ');
                self.out.push_str(props);
                match &**inner {
                    Y::Map(es) if !es.is_empty() => self.value(inner, col, d),
                    Y::Seq(items) if !items.is_empty() => self.value(inner, col, d),
                    other => {
                        self.out.push(' ');
                        self.out.push_str(&flow(other));
                        self.end_line(d);
                    }
                }
            }
            Y::Map(es) if es.is_empty() => {
                self.out.push_str(" {}");
                self.end_line(d);
            }
            Y::Map(es) => {
                self.end_line(d);
                let step = if self.tweak() == Tweak::OddStep { step + 1 } else { step };
                self.map(es, col + step, false);
            }
            Y::Seq(items) if items.is_empty() => {
                self.out.push_str(" []");
                self.end_line(d);
            }
            Y::Seq(items) => {
                self.end_line(d);
                let t = self.tweak();
                let indented = self.style.seq_indented != (t == Tweak::FlipSeq);
                self.seq(items, if indented { col + step } else { col }, t);
            }
        }
    }

    /// A block sequence whose `-` are at `col`.
    fn seq(&mut self, items: &[Y], col: usize, t: Tweak) {
        let lone = self.style.lone_dash || t == Tweak::LoneDash;
        let gap = if t == Tweak::WideGap { 3 } else { self.style.gap };
        for item in items {
            let d = self.deco();
            self.before(d, col);
            self.pad(col);
            self.out.push('-');
            match item {
                Y::Map(es) if !es.is_empty() && lone => {
                    self.end_line(d);
                    self.map(es, col + self.style.indent, false);
                }
                Y::Map(es) if !es.is_empty() => {
                    self.pad(gap);
                    self.map(es, col + 1 + gap, true);
                }
                Y::Block(..) | Y::Text(_) | Y::Plain(_) | Y::Raw(_) | Y::FlowSeqLines(..) => {
                    // `value` writes the separator itself; a sequence item takes a plain space.
                    self.value(item, col, Deco { sep: 0, ..d });
                }
                Y::FlowLines(es, trailing_comma) => {
                    self.out.push_str(" {");
                    self.end_line(d);
                    for (i, (k, v)) in es.iter().enumerate() {
                        self.pad(col + 2 + self.style.indent);
                        self.out.push_str(&format!("{k}: {v}"));
                        if i + 1 < es.len() || *trailing_comma {
                            self.out.push(',');
                        }
                        self.out.push('\n');
                    }
                    self.pad(col + 2);
                    self.out.push_str("}\n");
                }
                other => {
                    self.out.push(' ');
                    self.out.push_str(&flow(other));
                    self.end_line(d);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes model.

#[derive(Debug, Clone, Copy, PartialEq)]
enum WKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Annot {
    None,
    Unrelated,
    Skip,
}

#[derive(Debug, Clone)]
enum Sc {
    Absent,
    /// 0 `securityContext:`, 1 `~`, 2 `null`, 3 `Null`.
    Null(u8),
    Block {
        other: Vec<u8>,
        ro: Option<(bool, usize)>,
    },
    Flow {
        other: Vec<u8>,
        ro: Option<(bool, usize)>,
        multiline: bool,
        trailing_comma: bool,
    },
}

/// How a boolean `readOnlyRootFilesystem` is spelt (YAML 1.2 core schema).
const BOOL_SPELLINGS: &[[&str; 2]] = &[["false", "true"], ["False", "True"], ["FALSE", "TRUE"]];

impl Sc {
    fn ro(&self) -> Option<bool> {
        match self {
            Sc::Block { ro, .. } | Sc::Flow { ro, .. } => ro.map(|(v, _)| v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Mounts {
    Absent,
    EmptyFlow,
    /// `volumeMounts:` (0) or `volumeMounts: ~` (1).
    Null(u8),
    Items(Vec<(u8, u8)>, bool),
}

#[derive(Debug, Clone)]
struct C {
    image: u8,
    /// Index into `BOOL_SPELLINGS` for `readOnlyRootFilesystem`.
    spelling: u8,
    quote: u8,
    sc: Sc,
    mounts: Mounts,
    extras: Vec<u8>,
    block_scalar: (u8, Vec<u8>),
    order: Vec<u8>,
    flow: bool,
    /// A flow container with one key per line.
    flow_lines: bool,
}

#[derive(Debug, Clone)]
struct Pod {
    containers: Vec<C>,
    init: Vec<C>,
    ephemeral: Vec<C>,
    volumes: Vec<(u8, u8)>,
    /// When the pod declares no volume: 0 no key, 1 `volumes: []`, 2 `volumes:`, 3 `volumes: ~`.
    no_volumes: u8,
    extras: Vec<u8>,
    order: Vec<u8>,
    flow_list: bool,
    /// A flow `containers` list with one container per line.
    flow_list_lines: bool,
}

#[derive(Debug, Clone)]
struct W {
    kind: WKind,
    annot: Annot,
    template_annot: Annot,
    claim: Option<u8>,
    pod: Pod,
    /// Unrelated anchors, aliases and tags: `app: &app w1` with `*app` in the selector, an
    /// unused anchor on the pod spec, `replicas: !!int 2`.
    props: (bool, bool, bool),
    /// Priorities that reorder the top-level keys.
    order: Vec<u8>,
}

#[derive(Debug, Clone)]
enum DocM {
    Workload(W),
    List(Vec<W>),
    ConfigMap,
    Empty,
}

/// A document and its decoration.
#[derive(Debug, Clone)]
struct DocD {
    doc: DocM,
    end_marker: bool,
    marker_comment: bool,
    /// Full-line comments after the document's last line, at column 0 or deeper.
    trailing_comments: u8,
    /// JSON-ish: every key double-quoted.
    quote_keys: bool,
}

#[derive(Debug, Clone)]
struct Manifest {
    docs: Vec<DocD>,
    style: Style,
    decos: Vec<Deco>,
    tweaks: Vec<Tweak>,
}

const IMAGES: &[&str] =
    &["nginx:1.25", "busybox", "ghcr.io/acme/app@sha256:0123abcd", "postgres:16", "bitnami/redis:7"];
const STATEFUL: &[bool] = &[false, false, false, true, true];
const VOLUME_NAMES: &[&str] = &["tmp", "data", "config", "cache", "app-logs", "nginx-logs", "tmp-1", "scratch"];
const MOUNT_PATHS: &[&str] = &["/tmp", "/tmp/", "/var/log/app", "/data", "/etc/config", "/var/log/nginx", "/var/cache"];
const SC_KEYS: &[(&str, &str)] = &[
    ("runAsUser", "1000"),
    ("runAsNonRoot", "true"),
    ("allowPrivilegeEscalation", "false"),
    ("privileged", "false"),
    ("capabilities", "{drop: [ALL]}"),
];
const BLOCK_HEADERS: &[&str] = &["|", "|-", "|+", ">", ">-", ">+"];
const BLOCK_LINES: &[&str] = &["echo hi", "  nested more", "", "# not a comment", "done", "tail: x"];

/// What the model says about one container, by name.
#[derive(Debug, Clone)]
struct Expect {
    not_applicable: bool,
    ro: Option<bool>,
}

struct Builder {
    n_containers: usize,
    n_workloads: usize,
    expect: BTreeMap<String, Expect>,
}

impl Builder {
    fn container(&mut self, c: &C, force_flow: bool, skipped: bool, used: &mut BTreeSet<String>) -> Y {
        let spelling = BOOL_SPELLINGS[c.spelling as usize % BOOL_SPELLINGS.len()];
        let name = format!("c{}", self.n_containers);
        self.n_containers += 1;
        let flow_style = c.flow || force_flow;
        let image = IMAGES[c.image as usize % IMAGES.len()];
        self.expect.insert(
            name.clone(),
            Expect { not_applicable: skipped || STATEFUL[c.image as usize % IMAGES.len()], ro: c.sc.ro() },
        );
        let image = match c.quote % 3 {
            0 => image.to_owned(),
            1 => format!("'{image}'"),
            _ => format!("\"{image}\""),
        };
        let mut entries: Vec<(String, Y)> = vec![("name".into(), text(name)), ("image".into(), text(image))];
        if let Some(sc) = sc_value(&c.sc, flow_style, spelling) {
            entries.push(("securityContext".into(), sc));
        }
        match &c.mounts {
            Mounts::Absent => {}
            Mounts::EmptyFlow => entries.push(("volumeMounts".into(), text("[]"))),
            Mounts::Null(n) => {
                entries.push(("volumeMounts".into(), if *n == 0 && !flow_style { Y::Empty } else { text("~") }))
            }
            Mounts::Items(items, flow_items) => {
                let mut seen = BTreeSet::new();
                let mut list = Vec::new();
                for &(v, p) in items {
                    let path = MOUNT_PATHS[p as usize % MOUNT_PATHS.len()];
                    if !seen.insert(path.trim_end_matches('/')) {
                        continue;
                    }
                    let vol = VOLUME_NAMES[v as usize % VOLUME_NAMES.len()];
                    used.insert(vol.to_owned());
                    let m = map(vec![("name", text(vol)), ("mountPath", text(path))]);
                    list.push(if *flow_items { text(flow(&m)) } else { m });
                }
                entries.push(("volumeMounts".into(), Y::Seq(list)));
            }
        }
        let (header, lines) = &c.block_scalar;
        // Headers past the list give a block scalar without content lines (an empty string).
        let h = *header as usize;
        let script: Vec<String> = if h < BLOCK_HEADERS.len() {
            std::iter::once("set -e")
                .chain(lines.iter().map(|&l| BLOCK_LINES[l as usize % BLOCK_LINES.len()]))
                .map(String::from)
                .collect()
        } else {
            Vec::new()
        };
        let block = Y::Block(BLOCK_HEADERS[h % BLOCK_HEADERS.len()].into(), script);
        for &x in &c.extras {
            let (k, v) = match x % 14 {
                0 => ("command", text("[\"sh\", \"-c\", \"sleep 1\"]")),
                1 => ("command", Y::Seq(vec![text("sh"), text("-c"), text("'sleep 1'")])),
                2 => ("args", Y::Seq(vec![block.clone()])),
                3 => ("env", Y::Seq(vec![map(vec![("name", text("SCRIPT")), ("value", block.clone())])])),
                4 => ("ports", Y::Seq(vec![map(vec![("containerPort", text("8080")), ("protocol", text("TCP"))])])),
                5 => {
                    ("resources", map(vec![("limits", map(vec![("cpu", text("100m")), ("memory", text("\"64Mi\""))]))]))
                }
                6 => ("workingDir", Y::Plain(vec!["/srv/app".into(), "data".into()])),
                7 => ("imagePullPolicy", text("IfNotPresent")),
                8 => (
                    "lifecycle",
                    map(vec![("preStop", map(vec![("exec", map(vec![("command", Y::Seq(vec![text("true")]))]))]))]),
                ),
                9 => ("stdin", text("true")),
                10 => ("args", Y::Raw(vec!["[\"--port=8080\",".into(), "\"--verbose\"]".into()])),
                11 => (
                    "env",
                    Y::Seq(vec![map(vec![
                        ("name", text("GREETING")),
                        ("value", Y::Raw(vec!["\"hello".into(), "world\"".into()])),
                    ])]),
                ),
                12 => ("command", text("[\"sh\", \"-c\", \"echo a # not a comment: b\"]")),
                _ => ("args", Y::FlowSeqLines(vec!["\"--one\"".into(), "'--two # x'".into()], true)),
            };
            if flow_style && matches!(v, Y::Block(..) | Y::Plain(_) | Y::Raw(_) | Y::FlowSeqLines(..)) {
                continue;
            }
            if !entries.iter().any(|(e, _)| e == k) {
                entries.push((k.into(), v));
            }
        }
        let entries = shuffle(entries, &c.order);
        match (flow_style, c.flow_lines && !force_flow) {
            (false, _) => Y::Map(entries),
            (true, false) => text(flow(&Y::Map(entries))),
            (true, true) => Y::FlowLines(entries.iter().map(|(k, v)| (k.clone(), flow(v))).collect(), c.quote == 1),
        }
    }

    fn pod(&mut self, p: &Pod, skipped: bool, claims: &BTreeSet<String>) -> Y {
        let mut used = BTreeSet::new();
        let mut entries: Vec<(String, Y)> = Vec::new();
        let containers: Vec<Y> =
            p.containers.iter().map(|c| self.container(c, p.flow_list, skipped, &mut used)).collect();
        let containers = match (p.flow_list, p.flow_list_lines) {
            (false, _) => Y::Seq(containers),
            (true, false) => text(flow(&Y::Seq(containers))),
            (true, true) => Y::FlowSeqLines(containers.iter().map(flow).collect(), false),
        };
        entries.push(("containers".into(), containers));
        for (key, list) in [("initContainers", &p.init), ("ephemeralContainers", &p.ephemeral)] {
            if !list.is_empty() {
                let cs = list.iter().map(|c| self.container(c, false, skipped, &mut used)).collect();
                entries.push((key.into(), Y::Seq(cs)));
            }
        }
        let mut volumes: Vec<Y> = Vec::new();
        let mut names = BTreeSet::new();
        let sources = |s: u8| match s % 5 {
            0 => ("emptyDir", text("{}")),
            1 => ("configMap", map(vec![("name", text("app-config"))])),
            2 => ("secret", map(vec![("secretName", text("app-secret"))])),
            3 => ("emptyDir", map(vec![("medium", text("Memory"))])),
            _ => ("emptyDir", Y::Empty),
        };
        for &(n, s) in &p.volumes {
            let name = VOLUME_NAMES[n as usize % VOLUME_NAMES.len()];
            if names.insert(name.to_owned()) {
                let (k, v) = sources(s);
                volumes.push(map(vec![("name", text(name)), (k, v)]));
            }
        }
        for name in used.difference(claims) {
            if names.insert(name.clone()) {
                volumes.push(map(vec![("name", text(name.clone())), ("emptyDir", text("{}"))]));
            }
        }
        if !volumes.is_empty() {
            entries.push(("volumes".into(), Y::Seq(volumes)));
        } else {
            match p.no_volumes % 4 {
                0 => {}
                1 => entries.push(("volumes".into(), text("[]"))),
                2 => entries.push(("volumes".into(), Y::Empty)),
                _ => entries.push(("volumes".into(), text("~"))),
            }
        }
        // Other pod keys go first, so that unshuffled the containers end the pod spec.
        let mut n_extras = 0;
        for &x in &p.extras {
            let (k, v) = match x % 7 {
                0 => ("restartPolicy", text("Always")),
                1 => ("serviceAccountName", text("app")),
                2 => ("nodeSelector", map(vec![("kubernetes.io/os", text("linux"))])),
                3 => ("securityContext", map(vec![("runAsNonRoot", text("true")), ("fsGroup", text("2000"))])),
                4 => ("terminationGracePeriodSeconds", text("30")),
                5 => ("schedulerName", Y::Block(">".into(), vec!["default-".into(), "scheduler".into()])),
                _ => ("priorityClassName", Y::Plain(vec!["high".into(), "priority".into()])),
            };
            if !entries.iter().any(|(e, _)| e == k) {
                entries.insert(n_extras, (k.into(), v));
                n_extras += 1;
            }
        }
        Y::Map(shuffle(entries, &p.order))
    }

    fn workload(&mut self, w: &W) -> Y {
        self.n_workloads += 1;
        let name = format!("w{}", self.n_workloads);
        // A Pod has no template, so only its own annotations count.
        let skipped = w.annot == Annot::Skip || (w.kind != WKind::Pod && w.template_annot == Annot::Skip);
        let annotations = |a: Annot| match a {
            Annot::None => None,
            Annot::Unrelated => Some(map(vec![("example.com/team", text("équipe-paiements ✓"))])),
            Annot::Skip => Some(map(vec![("kube-rofs.io/skip", text("\"writes to /opt; tracked in OPS-1\""))])),
        };
        let mut meta = vec![("name", text(name.clone()))];
        if let Some(a) = annotations(w.annot) {
            meta.push(("annotations", a));
        }
        let claim = w.claim.map(|c| VOLUME_NAMES[c as usize % VOLUME_NAMES.len()].to_owned());
        let claims: BTreeSet<String> =
            if w.kind == WKind::StatefulSet { claim.iter().cloned().collect() } else { BTreeSet::new() };
        let pod = self.pod(&w.pod, skipped, &claims);
        let (alias, spec_anchor, tag) = w.props;
        if alias {
            let n = self.n_workloads;
            meta.push((
                "labels",
                map(vec![("app", text(format!("&app{n} {name}"))), ("copy", text(format!("*app{n}")))]),
            ));
        }
        let (selected, label) = (name.clone(), name.clone());
        let pod = if spec_anchor { Y::Props(format!("&pod{}", self.n_workloads), Box::new(pod)) } else { pod };
        let mut tmeta = vec![("labels", map(vec![("app", text(label))]))];
        if let Some(a) = annotations(w.template_annot) {
            tmeta.push(("annotations", a));
        }
        let template = map(vec![("metadata", map(tmeta)), ("spec", pod.clone())]);
        let selector = map(vec![("matchLabels", map(vec![("app", text(selected))]))]);
        let replicas = if tag { text("!!int 2") } else { text("2") };
        let (api, kind, spec) = match w.kind {
            WKind::Pod => ("v1", "Pod", pod),
            WKind::Deployment => (
                "apps/v1",
                "Deployment",
                map(vec![("replicas", replicas), ("selector", selector), ("template", template)]),
            ),
            WKind::DaemonSet => ("apps/v1", "DaemonSet", map(vec![("selector", selector), ("template", template)])),
            WKind::StatefulSet => {
                let mut spec =
                    vec![("serviceName", text(name.clone())), ("selector", selector), ("template", template)];
                if let Some(c) = &claim {
                    let storage = map(vec![("requests", map(vec![("storage", text("1Gi"))]))]);
                    let claim_spec =
                        map(vec![("accessModes", Y::Seq(vec![text("ReadWriteOnce")])), ("resources", storage)]);
                    let t = map(vec![("metadata", map(vec![("name", text(c.clone()))])), ("spec", claim_spec)]);
                    spec.push(("volumeClaimTemplates", Y::Seq(vec![t])));
                }
                ("apps/v1", "StatefulSet", map(spec))
            }
            WKind::Job => ("batch/v1", "Job", map(vec![("backoffLimit", text("1")), ("template", template)])),
            WKind::CronJob => (
                "batch/v1",
                "CronJob",
                map(vec![
                    ("schedule", text("\"*/5 * * * *\"")),
                    ("jobTemplate", map(vec![("spec", map(vec![("template", template)]))])),
                ]),
            ),
        };
        let top = map(vec![("apiVersion", text(api)), ("kind", text(kind)), ("metadata", map(meta)), ("spec", spec)]);
        match top {
            Y::Map(es) => Y::Map(shuffle(es, &w.order)),
            other => other,
        }
    }
}

fn sc_value(sc: &Sc, flow_style: bool, spelling: [&str; 2]) -> Option<Y> {
    let keys = |other: &[u8], ro: &Option<(bool, usize)>| {
        let mut es: Vec<(String, String)> = Vec::new();
        for &o in other {
            let (k, v) = SC_KEYS[o as usize % SC_KEYS.len()];
            if !es.iter().any(|(e, _)| e == k) {
                es.push((k.into(), v.into()));
            }
        }
        if let Some((v, pos)) = ro {
            es.insert(pos % (es.len() + 1), ("readOnlyRootFilesystem".into(), spelling[*v as usize].to_owned()));
        }
        es
    };
    Some(match sc {
        Sc::Absent => return None,
        Sc::Null(0) if !flow_style => Y::Empty,
        Sc::Null(n) => text(["~", "~", "null", "Null"][*n as usize % 4]),
        Sc::Block { other, ro } => {
            let es = keys(other, ro);
            if es.is_empty() {
                text("{}")
            } else {
                Y::Map(
                    es.into_iter()
                        .map(|(k, v)| {
                            let v = if v.starts_with('{') {
                                map(vec![("drop", Y::Seq(vec![text("ALL")]))])
                            } else {
                                text(v)
                            };
                            (k, v)
                        })
                        .collect(),
                )
            }
        }
        Sc::Flow { other, ro, multiline, trailing_comma } => {
            let es = keys(other, ro);
            if *multiline && !flow_style && !es.is_empty() {
                Y::FlowLines(es, *trailing_comma)
            } else {
                let inner = es.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
                text(format!("{{{inner}}}"))
            }
        }
    })
}

/// Reorder entries by the given priorities (stable; missing priorities are 0).
fn shuffle(entries: Vec<(String, Y)>, order: &[u8]) -> Vec<(String, Y)> {
    let mut keyed: Vec<(u8, usize, (String, Y))> =
        entries.into_iter().enumerate().map(|(i, e)| (order.get(i).copied().unwrap_or(0), i, e)).collect();
    keyed.sort_by_key(|(p, i, _)| (*p, *i));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// The manifest as bytes, and what the model expects of each container.
fn render(m: &Manifest) -> (Vec<u8>, BTreeMap<String, Expect>) {
    let mut b = Builder { n_containers: 0, n_workloads: 0, expect: BTreeMap::new() };
    let mut r = Renderer {
        out: String::new(),
        style: m.style,
        decos: &m.decos,
        tweaks: &m.tweaks,
        n_deco: 0,
        n_tweak: 0,
        n_comment: 0,
        quote_keys: false,
    };
    for (i, d) in m.docs.iter().enumerate() {
        if i > 0 || m.style.leading_marker {
            r.out.push_str(if d.marker_comment { "--- # next document\n" } else { "---\n" });
        }
        r.quote_keys = d.quote_keys;
        // A file of comments only is skipped ("no YAML content"); give it a document.
        let all_empty = m.docs.iter().all(|d| matches!(d.doc, DocM::Empty));
        let doc = if all_empty && i == 0 { &DocM::ConfigMap } else { &d.doc };
        match doc {
            DocM::Workload(w) => {
                let y = b.workload(w);
                if let Y::Map(es) = &y {
                    r.map(es, 0, false);
                }
            }
            DocM::List(ws) => {
                let items = ws.iter().map(|w| b.workload(w)).collect();
                let list = map(vec![("apiVersion", text("v1")), ("kind", text("List")), ("items", Y::Seq(items))]);
                if let Y::Map(es) = &list {
                    r.map(es, 0, false);
                }
            }
            DocM::ConfigMap => {
                let data = map(vec![(
                    "nginx.conf",
                    Y::Block("|".into(), vec!["server {".into(), "  listen 80;".into(), "}".into()]),
                )]);
                let cm = map(vec![
                    ("apiVersion", text("v1")),
                    ("kind", text("ConfigMap")),
                    ("metadata", map(vec![("name", text("cfg"))])),
                    ("data", data),
                ]);
                if let Y::Map(es) = &cm {
                    r.map(es, 0, false);
                }
            }
            DocM::Empty => r.out.push_str("# an empty document\n"),
        }
        for i in 0..d.trailing_comments {
            r.pad(usize::from(i) * 2);
            let c = r.comment();
            r.out.push_str(&c);
            r.out.push('\n');
        }
        // libyaml rejects `...` after a document that is only a comment.
        if d.end_marker && !matches!(d.doc, DocM::Empty) {
            r.out.push_str("...\n");
        }
    }
    let mut out = r.out;
    if !m.style.final_newline && out.ends_with('\n') {
        out.pop();
    }
    let out = match m.style.eol {
        Eol::Lf => out,
        Eol::Crlf => out.replace('\n', "\r\n"),
        // Every third line break is CRLF; a `\r` never ends the file on its own.
        Eol::Mixed => {
            let lines: Vec<&str> = out.split('\n').collect();
            let n = lines.len();
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| if i % 3 == 1 && i + 1 < n { format!("{l}\r") } else { (*l).to_owned() })
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let mut bytes = Vec::new();
    if m.style.bom {
        bytes.extend_from_slice("\u{feff}".as_bytes());
    }
    bytes.extend_from_slice(out.as_bytes());
    (bytes, b.expect)
}

// ---------------------------------------------------------------------------------------------
// Strategies. Every `prop_oneof!` lists its simplest choice first, which is where shrinking goes.

fn small(max: u8) -> impl Strategy<Value = u8> {
    0..max
}

/// Priorities that reorder a mapping's keys; half the time none, keeping the natural order, in
/// which the containers end the pod spec and the multi-line values end the container.
fn order(max: u8, len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(Vec::new()), prop::collection::vec(small(max), 0..len)]
}

fn sc() -> impl Strategy<Value = Sc> {
    let ro = proptest::option::of((any::<bool>(), 0..4usize));
    prop_oneof![
        3 => Just(Sc::Absent),
        2 => small(4).prop_map(Sc::Null),
        3 => (prop::collection::vec(small(5), 0..3), ro.clone()).prop_map(|(other, ro)| Sc::Block { other, ro }),
        3 => (prop::collection::vec(small(5), 0..3), ro, any::<bool>(), any::<bool>())
            .prop_map(|(other, ro, multiline, trailing_comma)| Sc::Flow { other, ro, multiline, trailing_comma }),
    ]
}

fn mounts() -> impl Strategy<Value = Mounts> {
    prop_oneof![
        3 => Just(Mounts::Absent),
        1 => Just(Mounts::EmptyFlow),
        1 => small(2).prop_map(Mounts::Null),
        3 => (prop::collection::vec((small(8), small(7)), 1..4), prop::bool::weighted(0.25))
            .prop_map(|(items, flow)| Mounts::Items(items, flow)),
    ]
}

/// A container extra (see `Builder::container`); values spanning several lines (block
/// scalars, multi-line plain, quoted and flow scalars) are the likeliest, as edits go after them.
fn extra() -> impl Strategy<Value = u8> {
    prop_oneof![
        1 => small(14),
        2 => prop::sample::select(vec![2u8, 3, 6, 10, 11, 13]),
    ]
}

fn container() -> impl Strategy<Value = C> {
    (
        prop_oneof![4 => small(3), 1 => 3..5u8],
        (small(3), prop_oneof![6 => Just(0u8), 1 => small(3)]),
        sc(),
        mounts(),
        prop::collection::vec(extra(), 0..4),
        (small(8), prop::collection::vec(small(6), 0..4)),
        order(6, 8),
        (prop::bool::weighted(0.1), any::<bool>()),
    )
        .prop_map(|(image, (quote, spelling), sc, mounts, extras, block_scalar, order, (flow, flow_lines))| C {
            image,
            spelling,
            quote,
            sc,
            mounts,
            extras,
            block_scalar,
            order,
            flow,
            flow_lines,
        })
}

fn pod() -> impl Strategy<Value = Pod> {
    (
        prop::collection::vec(container(), 1..4),
        prop_oneof![3 => Just(Vec::new()), 1 => prop::collection::vec(container(), 1..3)],
        prop_oneof![8 => Just(Vec::new()), 1 => prop::collection::vec(container(), 1..2)],
        (prop::collection::vec((small(8), small(5)), 0..3), small(4)),
        prop::collection::vec(small(7), 0..3),
        order(7, 8),
        (prop::bool::weighted(0.08), any::<bool>()),
    )
        .prop_map(
            |(containers, init, ephemeral, (volumes, no_volumes), extras, order, (flow_list, flow_list_lines))| Pod {
                containers,
                init,
                ephemeral,
                volumes,
                no_volumes,
                extras,
                order,
                flow_list,
                flow_list_lines,
            },
        )
}

fn annot() -> impl Strategy<Value = Annot> {
    prop_oneof![6 => Just(Annot::None), 2 => Just(Annot::Unrelated), 1 => Just(Annot::Skip)]
}

fn workload() -> impl Strategy<Value = W> {
    let kind = prop_oneof![
        Just(WKind::Pod),
        Just(WKind::Deployment),
        Just(WKind::StatefulSet),
        Just(WKind::DaemonSet),
        Just(WKind::Job),
        Just(WKind::CronJob),
    ];
    let flag = || prop::bool::weighted(0.15);
    (kind, annot(), annot(), proptest::option::of(small(8)), pod(), (flag(), flag(), flag()), order(4, 4)).prop_map(
        |(kind, annot, template_annot, claim, pod, props, order)| W {
            kind,
            annot,
            template_annot,
            claim,
            pod,
            props,
            order,
        },
    )
}

fn doc() -> impl Strategy<Value = DocM> {
    prop_oneof![
        6 => workload().prop_map(DocM::Workload),
        2 => prop::collection::vec(workload(), 1..3).prop_map(DocM::List),
        1 => Just(DocM::ConfigMap),
        1 => Just(DocM::Empty),
    ]
}

fn doc_d() -> impl Strategy<Value = DocD> {
    (
        doc(),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop_oneof![6 => Just(0u8), 1 => 1..3u8],
        prop::bool::weighted(0.05),
    )
        .prop_map(|(doc, end_marker, marker_comment, trailing_comments, quote_keys)| DocD {
            doc,
            end_marker,
            marker_comment,
            trailing_comments,
            quote_keys,
        })
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop_oneof![Just(2usize), Just(4usize)],
        any::<bool>(),
        prop_oneof![4 => Just(1usize), 1 => Just(3usize)],
        prop::bool::weighted(0.1),
        prop_oneof![3 => Just(Eol::Lf), 2 => Just(Eol::Crlf), 1 => Just(Eol::Mixed)],
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(indent, seq_indented, gap, lone_dash, eol, bom, final_newline, leading_marker)| Style {
            indent,
            seq_indented,
            gap,
            lone_dash,
            eol,
            bom,
            final_newline,
            leading_marker,
        })
}

fn deco() -> impl Strategy<Value = Deco> {
    (
        prop_oneof![10 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)],
        prop::bool::weighted(0.15),
        prop_oneof![12 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(before, trailing, sep, space_before_colon, quote_key, trailing_space)| Deco {
            before,
            trailing,
            sep,
            space_before_colon,
            quote_key,
            trailing_space,
        })
}

fn tweak() -> impl Strategy<Value = Tweak> {
    prop_oneof![
        12 => Just(Tweak::None),
        1 => Just(Tweak::FlipSeq),
        1 => Just(Tweak::OddStep),
        1 => Just(Tweak::LoneDash),
        1 => Just(Tweak::WideGap),
    ]
}

fn manifest() -> impl Strategy<Value = Manifest> {
    (
        prop::collection::vec(doc_d(), 1..4),
        style(),
        prop::collection::vec(deco(), 0..80),
        prop::collection::vec(tweak(), 0..40),
    )
        .prop_map(|(docs, style, decos, tweaks)| Manifest { docs, style, decos, tweaks })
}

/// One workload with one container in the natural key order, so the container's last value
/// ends the file: the edges of a file (final newline or not, trailing comments, `...`, CRLF)
/// after every kind of last value, far more often than `manifest` reaches them.
fn file_end_manifest() -> impl Strategy<Value = Manifest> {
    let kind = prop_oneof![
        Just(WKind::Pod),
        Just(WKind::Deployment),
        Just(WKind::StatefulSet),
        Just(WKind::DaemonSet),
        Just(WKind::Job),
        Just(WKind::CronJob),
    ];
    let c = (sc(), mounts(), prop::collection::vec(extra(), 0..3), (small(8), prop::collection::vec(small(6), 0..4)))
        .prop_map(|(sc, mounts, extras, block_scalar)| C {
            image: 0,
            spelling: 0,
            quote: 0,
            sc,
            mounts,
            extras,
            block_scalar,
            order: Vec::new(),
            flow: false,
            flow_lines: false,
        });
    let pod = (c, prop::collection::vec(small(7), 0..2)).prop_map(|(c, extras)| Pod {
        containers: vec![c],
        init: Vec::new(),
        ephemeral: Vec::new(),
        volumes: Vec::new(),
        no_volumes: 0,
        extras,
        order: Vec::new(),
        flow_list: false,
        flow_list_lines: false,
    });
    let w = (kind, pod).prop_map(|(kind, pod)| W {
        kind,
        annot: Annot::None,
        template_annot: Annot::None,
        claim: None,
        pod,
        props: (false, false, false),
        order: Vec::new(),
    });
    let doc = (w, prop::bool::weighted(0.2), prop_oneof![2 => Just(0u8), 1 => 1..3u8]).prop_map(
        |(w, end_marker, trailing_comments)| DocD {
            doc: DocM::Workload(w),
            end_marker,
            marker_comment: false,
            trailing_comments,
            quote_keys: false,
        },
    );
    (doc, style(), any::<bool>(), prop::collection::vec(deco(), 0..30)).prop_map(
        |(doc, style, final_newline, decos)| Manifest {
            docs: vec![doc],
            style: Style { final_newline, ..style },
            decos,
            tweaks: Vec::new(),
        },
    )
}

#[derive(Debug, Clone)]
struct Opts {
    flip_false: bool,
    /// 0 the default log directory, 1 none, 2 `/var/log/nginx`.
    log: u8,
}

impl Opts {
    fn options(&self) -> Options {
        let mut o = Options::default();
        o.policy.fix_explicit_false = self.flip_false;
        o.log_dir = match self.log {
            0 => Some("/var/log/app".into()),
            1 => None,
            _ => Some("/var/log/nginx".into()),
        };
        o
    }
}

fn opts() -> impl Strategy<Value = Opts> {
    (any::<bool>(), small(3)).prop_map(|(flip_false, log)| Opts { flip_false, log })
}

// ---------------------------------------------------------------------------------------------
// The properties.

fn strip_bom(t: &str) -> &str {
    t.strip_prefix('\u{feff}').unwrap_or(t)
}

fn is_subsequence(small: &[u8], big: &[u8]) -> bool {
    let mut rest = big.iter();
    small.iter().all(|b| rest.any(|c| c == b))
}

fn get<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

/// Pod specs of a document as serde_yaml reads it, each with its StatefulSet claim template names.
fn pod_specs<'v>(doc: &'v Value, out: &mut Vec<(&'v Value, BTreeSet<&'v str>)>) {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
    let path: &[&str] = match kind {
        "List" => {
            for item in doc.get("items").and_then(Value::as_sequence).into_iter().flatten() {
                pod_specs(item, out);
            }
            return;
        }
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "" | "ConfigMap" => return,
        _ => &["spec", "template", "spec"],
    };
    let claims = get(doc, &["spec", "volumeClaimTemplates"])
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|t| get(t, &["metadata", "name"]).and_then(Value::as_str))
        .collect();
    out.extend(get(doc, path).map(|spec| (spec, claims)));
}

fn check(input: &[u8], expect: &BTreeMap<String, Expect>, o: &Opts) -> Result<(), String> {
    let opts = o.options();
    let before = common::docs(input).ok_or("generator bug: serde_yaml cannot read the input")?;
    // A container that mounts a volume claim template keeps persistent data: stateful.
    let mut expect = expect.clone();
    let mut input_specs = Vec::new();
    for d in &before {
        pod_specs(d, &mut input_specs);
    }
    for (spec, claims) in &input_specs {
        for c in ["containers", "initContainers", "ephemeralContainers"]
            .iter()
            .flat_map(|l| spec.get(*l).and_then(Value::as_sequence).into_iter().flatten())
        {
            let mounts = c.get("volumeMounts").and_then(Value::as_sequence).into_iter().flatten();
            if mounts.filter_map(|m| m.get("name").and_then(Value::as_str)).any(|n| claims.contains(&n)) {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
                if let Some(e) = expect.get_mut(name) {
                    e.not_applicable = true;
                }
            }
        }
    }
    let expect = &expect;
    let outcome =
        kube_rofs::analyze(None, input, &opts).map_err(|e| format!("process failed on a valid manifest: {e}"))?;

    // Every container found, and classified as the model says.
    let found: BTreeMap<&str, &Status> = outcome.findings.iter().map(|f| (&*f.container, &f.status)).collect();
    if found.len() != outcome.findings.len() || found.len() != expect.len() {
        return Err(format!(
            "found {} containers ({} distinct), the model has {}: {:?}",
            outcome.findings.len(),
            found.len(),
            expect.len(),
            found.keys().collect::<Vec<_>>()
        ));
    }
    for (name, e) in expect {
        let status = found.get(name.as_str()).ok_or(format!("container {name} not found"))?;
        let ok = match status {
            // Opt-outs and stateful images come before an explicit `false`.
            Status::NotApplicable(_) => e.not_applicable && e.ro != Some(true),
            Status::ReadOnly => e.ro == Some(true),
            Status::ExplicitFalse => e.ro == Some(false) && !o.flip_false && !e.not_applicable,
            Status::Writable => !e.not_applicable && (e.ro.is_none() || (e.ro == Some(false) && o.flip_false)),
            Status::Refused(_) => false,
        };
        if !ok {
            return Err(format!("container {name}: status {status:?}, model {e:?}"));
        }
    }
    let must_fix: BTreeSet<&str> =
        outcome.findings.iter().filter(|f| f.status == Status::Writable).map(|f| &*f.container).collect();

    let Some(fixed) = outcome.fixed else {
        return if must_fix.is_empty() {
            Ok(())
        } else {
            Err(format!("containers to fix {must_fix:?}, but nothing changed"))
        };
    };
    if fixed == input {
        return Err("`fixed` is Some but equals the input".into());
    }
    let text = std::str::from_utf8(&fixed).map_err(|e| format!("fixed output is not UTF-8: {e}"))?;
    let after = common::load_all(strip_bom(text)).map_err(|e| format!("fixed output does not parse: {e}"))?;
    if after.len() != before.len() {
        return Err(format!("{} documents became {}", before.len(), after.len()));
    }
    match kube_rofs::analyze(None, &fixed, &opts) {
        Ok(again) if again.fixed.is_none() => {}
        Ok(_) => return Err("not a fixed point: a second run changes the output again".into()),
        Err(e) => return Err(format!("the fixed output is an error: {e}")),
    }
    let lower = input.to_ascii_lowercase();
    let replaceable = lower.contains(&b'~')
        || lower.windows(4).any(|w| w == b"null")
        || (o.flip_false && lower.windows(5).any(|w| w == b"false"));
    if !replaceable && !is_subsequence(input, &fixed) {
        return Err("the fix removed or changed input bytes".into());
    }
    common::check_only_additions(input, &fixed, o.flip_false).map_err(|e| format!("semantic check: {e}"))?;
    let left = common::left_to_fix(&fixed, &opts);
    if !left.is_empty() {
        return Err(format!("still to fix after fix: {left:?}"));
    }

    // Every fixed container is read-only, mounts the writable paths once each, from its pod's
    // volumes (or claim templates).
    let mut specs = Vec::new();
    for d in &after {
        pod_specs(d, &mut specs);
    }
    let mut seen = 0;
    for (spec, claims) in specs {
        let items = spec.get("volumes").and_then(Value::as_sequence).map(Vec::as_slice).unwrap_or_default();
        let volumes: BTreeSet<&str> = items.iter().filter_map(|v| v.get("name").and_then(Value::as_str)).collect();
        if volumes.len() != items.len() {
            return Err(format!("duplicate or unnamed pod volumes: {items:?}"));
        }
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for c in spec.get(list).and_then(Value::as_sequence).into_iter().flatten() {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("?");
                seen += 1;
                let mut paths = BTreeSet::new();
                for m in c.get("volumeMounts").and_then(Value::as_sequence).into_iter().flatten() {
                    let path = m.get("mountPath").and_then(Value::as_str).unwrap_or("?");
                    if !paths.insert(path.trim_end_matches('/').to_owned()) {
                        return Err(format!("container {name} mounts {path} twice"));
                    }
                    let vol = m.get("name").and_then(Value::as_str).unwrap_or("?");
                    if !volumes.contains(vol) && !claims.contains(vol) {
                        return Err(format!("container {name} mounts {vol}, which is no volume of its pod"));
                    }
                }
                if must_fix.contains(name) {
                    let ro = get(c, &["securityContext", "readOnlyRootFilesystem"]);
                    if ro != Some(&Value::Bool(true)) {
                        return Err(format!("container {name} was fixed but readOnlyRootFilesystem is {ro:?}"));
                    }
                    // /tmp always; the log directory unless the image's profile says where it
                    // logs (nginx logs to standard output).
                    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                    let log_dir =
                        opts.log_dir.as_deref().filter(|_| !image.trim_matches(['\'', '"']).starts_with("nginx"));
                    for p in std::iter::once("/tmp").chain(log_dir) {
                        if !paths.contains(p.trim_end_matches('/')) {
                            return Err(format!("container {name} was fixed but mounts nothing at {p}"));
                        }
                    }
                }
            }
        }
    }
    if seen != expect.len() {
        return Err(format!("the fixed file has {seen} containers, the model {}", expect.len()));
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("KUBE_ROFS_PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/proptest_manifests.proptest-regressions"
        )))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_manifests_fix_exactly(m in manifest(), o in opts()) {
        let (input, expect) = render(&m);
        if let Err(e) = check(&input, &expect, &o) {
            prop_assert!(false, "{e}\noptions: {o:?}\ninput:\n{}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn file_ends_fix_exactly(m in file_end_manifest(), o in opts()) {
        let (input, expect) = render(&m);
        if let Err(e) = check(&input, &expect, &o) {
            prop_assert!(false, "{e}\noptions: {o:?}\ninput:\n{}", String::from_utf8_lossy(&input));
        }
    }
}
