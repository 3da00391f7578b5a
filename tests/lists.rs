//! A `List` document is read item by item (issue 12, memory on one huge document): the result
//! must be what reading it whole gives, and where it cannot be judged item by item the file is
//! read whole instead.

mod common;

use std::path::{Path, PathBuf};

use kube_rofs::{Options, Outcome, Status, analyze};

fn outcome(bytes: &[u8], lists_apart: bool) -> Result<Outcome, String> {
    let opts = Options { lists_apart, ..Options::default() };
    analyze(None, bytes, &opts)
        .map_err(|e| format!("{}: {}", e.pos().map(|p| p.to_string()).unwrap_or_default(), e.message()))
}

/// Findings, fixes and the fixed text, as one comparable text.
fn shown(o: &Result<Outcome, String>) -> String {
    match o {
        Ok(o) => format!(
            "{:#?}\n{:#?}\n{:#?}\n{:?}\n{}",
            o.findings,
            o.fixes,
            o.not_checked,
            o.skipped,
            o.fixed.as_deref().map(String::from_utf8_lossy).unwrap_or_default()
        ),
        Err(e) => format!("error {e}"),
    }
}

const POD: &str = "apiVersion: v1
    kind: Pod
    metadata:
      name: NAME
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1 # pinned
";

/// A List of `n` pods written as `kubectl get -o yaml` writes them, with `dash` before each item.
fn list(n: usize, items_key: &str) -> String {
    let mut s = format!("apiVersion: v1\nkind: List\n{items_key}\n");
    for i in 0..n {
        s.push_str(&format!("  - {}", POD.replace("NAME", &format!("pod-{i}"))));
        if i % 2 == 0 {
            s.push_str("  # between items\n");
        }
    }
    s.push_str("metadata:\n  resourceVersion: \"\"\n");
    s
}

/// Lists that take each way through the item-by-item reading: read apart, and read whole again.
fn edge_cases() -> Vec<(&'static str, String)> {
    let plain = list(3, "items:");
    let indentless = plain.replace("\n  - ", "\n- ").replace("\n    ", "\n  ").replace("\n  # between", "\n# between");
    vec![
        ("kubectl style", plain.clone()),
        ("indentless items", indentless),
        ("CRLF", plain.replace('\n', "\r\n")),
        ("no final line break", plain.trim_end().replace("metadata:\n  resourceVersion: \"\"", "metadata: {}")),
        ("item on the line after its dash", plain.replace("  - apiVersion: v1\n    kind: Pod", "  -\n    apiVersion: v1\n    kind: Pod")),
        ("tagged item", plain.replacen("  - apiVersion: v1", "  - !!map\n    apiVersion: v1", 1)),
        (
            "flow items",
            "apiVersion: v1\nkind: PodList\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: a}, spec: {containers: [{name: c, image: x}]}}\n  - {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {containers: [{name: c, image: y}]}}\n".to_owned(),
        ),
        (
            "alias across items",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec:\n      containers:\n        - &c\n          name: app\n          image: x\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n    spec:\n      containers:\n        - *c\n".to_owned(),
        ),
        ("kind after items", plain.replacen("kind: List\n", "", 1).replace("metadata:\n  resourceVersion", "kind: List\nmetadata:\n  resourceVersion")),
        ("items twice", format!("{plain}items: []\n")),
        ("a key twice in the List's metadata", plain.replace("resourceVersion: \"\"", "resourceVersion: \"\"\n  resourceVersion: \"1\"")),
        (
            "a List in a List",
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n      - apiVersion: v1\n        kind: Pod\n        metadata: {name: inner}\n        spec:\n          containers:\n            - name: app\n              image: x\n".to_owned(),
        ),
        (
            "Deployment with volumes and init containers",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n  spec:\n    template:\n      spec:\n        initContainers:\n        - name: init\n          image: busybox\n        containers:\n        - name: web\n          image: nginx:1.25\n        volumes:\n        - name: data\n          emptyDir: {}\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: web\n".to_owned(),
        ),
        (
            "comments inside items",
            plain
                .replace("# pinned\n", "# pinned\n          # resources: later\n# at column 0\n")
                .replace("    spec:\n", "    spec: # the pod\n      # first the containers\n"),
        ),
        ("many documents", format!("{plain}---\n{}", list(2, "items:"))),
    ]
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn a_list_read_item_by_item_gives_what_reading_it_whole_gives() {
    let mut cases: Vec<(String, Vec<u8>)> =
        edge_cases().into_iter().map(|(name, text)| (name.to_owned(), text.into_bytes())).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["golden", "examples", "../shared/corpus/real", "../shared/corpus/peers"] {
        if root.join(dir).is_dir() {
            files_under(&root.join(dir), &mut files);
        }
    }
    for f in &files {
        cases.push((f.display().to_string(), std::fs::read(f).unwrap()));
    }
    let mut lists = 0;
    for (name, bytes) in &cases {
        let (apart, whole) = (outcome(bytes, true), outcome(bytes, false));
        assert_eq!(shown(&apart), shown(&whole), "{name}");
        lists += usize::from(String::from_utf8_lossy(bytes).contains("List\n"));
    }
    assert!(cases.len() > 300 && lists >= 13, "{} files, {lists} with a List", cases.len());
    // The edge cases do get fixed (the comparison above is not between two refusals), but
    // for the two that serde_yaml or an alias make unfixable either way.
    for (name, text) in edge_cases() {
        let o = outcome(text.as_bytes(), true).unwrap();
        let fixed = o.findings.iter().filter(|f| f.fix.is_some()).count();
        let expect_some = !matches!(name, "alias across items" | "items twice" | "a key twice in the List's metadata");
        assert_eq!(fixed > 0, expect_some, "{name}: {:#?}", o.findings);
        if let Some(text) = &o.fixed {
            common::docs(text).unwrap_or_else(|| panic!("{name}: the fixed List does not read"));
        }
    }
}

#[test]
fn an_item_the_verifier_cannot_read_refuses_only_its_own_containers() {
    // The second pod has a label twice: serde_yaml (the verifier) reads no document holding
    // it. Read whole, every container of the List is refused; item by item, only that pod's,
    // as a document is in a file of many. The first pod is fixed, and the file still reads
    // exactly as before everywhere else.
    let text = list(2, "items:").replacen("name: pod-1\n", "name: pod-1\n      labels: {app: a, app: b}\n", 1);
    let o = outcome(text.as_bytes(), true).unwrap();
    let status: Vec<(&str, bool)> = o.findings.iter().map(|f| (&*f.name, f.fix.is_some())).collect();
    assert_eq!(status, [("pod-0", true), ("pod-1", false)]);
    let Status::Refused(why) = &o.findings[1].status else { panic!("{:?}", o.findings[1].status) };
    assert!(why.to_string().contains("serde_yaml"), "{why}");
    let whole = outcome(text.as_bytes(), false).unwrap();
    assert!(whole.findings.iter().all(|f| f.fix.is_none()), "{:#?}", whole.findings);
    // Only the first pod changed, by insertions.
    let fixed = String::from_utf8(o.fixed.unwrap()).unwrap();
    let first_end = text.find("  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: pod-1").unwrap();
    assert!(fixed.ends_with(&text[first_end..]), "{fixed}");
    assert!(fixed.contains("readOnlyRootFilesystem: true"));
}
