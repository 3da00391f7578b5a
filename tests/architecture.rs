//! The house as the crate doc describes it: every `use crate::...` / `use super::...` between
//! files of `src/` follows the layers (each layer imports only the layers below it), and no
//! files import each other in a circle. Test modules (from `#[cfg(test)]` to the end of a file)
//! do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each layer and the layers it may import (besides itself), top to bottom as in src/lib.rs.
const LAYERS: &[(&str, &[&str])] = &[
    ("cli", &["run", "report", "oci", "fix", "k8s", "yaml", "fs", "config"]),
    ("run", &["report", "fix", "k8s", "yaml", "fs"]),
    ("report", &["fix", "k8s", "yaml"]),
    ("oci", &["fix", "k8s"]),
    ("fix", &["k8s", "yaml", "fs"]),
    ("k8s", &["yaml"]),
    ("yaml", &[]),
    ("config", &["k8s", "yaml"]),
    ("fs", &[]),
];

/// Module path (`crate::fix::plan::pod`) -> file source, for every file of src/ but main.rs.
fn modules() -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut segs: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            match segs.last().map(String::as_str) {
                Some("main") => continue,
                Some("lib") | Some("mod") => {
                    segs.pop();
                }
                _ => {}
            }
            let text = std::fs::read_to_string(&p).unwrap();
            out.insert(std::iter::once("crate".to_owned()).chain(segs).collect::<Vec<_>>().join("::"), text);
        }
    }
    out
}

/// The code of a file without comments and without its test module.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every path a `crate::` or `super::` reference names, use-tree groups expanded.
fn references(code: &str) -> Vec<Vec<String>> {
    fn path(chars: &[char], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
        let mut segs = prefix;
        loop {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            if i > start {
                segs.push(chars[start..i].iter().collect());
            }
            if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
                i += 2;
                if chars.get(i) == Some(&'{') {
                    i += 1;
                    loop {
                        while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                            i += 1;
                        }
                        if i >= chars.len() || chars[i] == '}' {
                            return i + 1;
                        }
                        i = path(chars, i, segs.clone(), out);
                    }
                }
                continue;
            }
            out.push(segs);
            return i;
        }
    }
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        if word_start && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            i = path(&chars, i, Vec::new(), &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// The module file a reference from `from` lands in: the longest prefix that is a module.
fn resolve(from: &str, reference: &[String], modules: &BTreeMap<String, String>) -> Option<String> {
    let mut base: Vec<String> = from.split("::").map(str::to_owned).collect();
    let mut segs = reference.to_vec();
    if segs.first().map(String::as_str) == Some("crate") {
        base = vec!["crate".to_owned()];
        segs.remove(0);
    }
    while segs.first().map(String::as_str) == Some("super") {
        segs.remove(0);
        base.pop();
    }
    let mut best = None;
    let mut path = base;
    if modules.contains_key(&path.join("::")) {
        best = Some(path.join("::"));
    }
    for s in segs.iter().filter(|s| s.as_str() != "self") {
        path.push(s.clone());
        if modules.contains_key(&path.join("::")) {
            best = Some(path.join("::"));
        } else {
            break;
        }
    }
    best
}

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, text) in &modules {
        let edges = graph.entry(name.clone()).or_default();
        for r in references(&code(text)) {
            if let Some(to) = resolve(name, &r, &modules).filter(|to| to != name) {
                edges.insert(to);
            }
        }
    }
    graph
}

fn layer(module: &str) -> &str {
    module.split("::").nth(1).unwrap_or("crate")
}

#[test]
fn the_parser_of_this_test_sees_use_trees() {
    let refs = references("use super::x::{self, y::Z, w};\nuse crate::a::{b, c::{d, e}};\nlet q = crate::f::g();");
    let shown: Vec<String> = refs.iter().map(|r| r.join("::")).collect();
    assert_eq!(
        shown,
        [
            "super::x::self",
            "super::x::y::Z",
            "super::x::w",
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::f::g"
        ]
    );
}

#[test]
fn no_file_imports_a_layer_above_it() {
    let graph = imports();
    assert!(graph.len() > 30, "only {} modules found", graph.len());
    let mut wrong = Vec::new();
    for (from, tos) in &graph {
        let l = layer(from);
        let Some((_, allowed)) = LAYERS.iter().find(|(name, _)| *name == l) else {
            continue; // the crate root re-exports the public API
        };
        for to in tos {
            let t = layer(to);
            if t != l && !allowed.contains(&t) {
                wrong.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycles() {
    let graph = imports();
    // Depth-first search; a back edge closes a cycle.
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                0 => visit(m, graph, state, stack, cycles),
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    cycles.push(format!("{} -> {m}", stack[at..].join(" -> ")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
    }
    let (mut state, mut cycles) = (BTreeMap::new(), Vec::new());
    for n in graph.keys() {
        if !state.contains_key(n.as_str()) {
            visit(n, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    println!("{} files, {edges} imports between them, no cycle", graph.len());
}

/// README's table of supported kinds names every kind of data/kinds.yaml under its group, so
/// the two cannot drift.
#[test]
fn readme_lists_every_kind_of_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let table: Vec<serde_yaml::Value> =
        serde_yaml::from_str(&std::fs::read_to_string(root.join("data/kinds.yaml")).unwrap()).unwrap();
    let mut missing = Vec::new();
    for e in &table {
        let group = e["group"].as_str().unwrap();
        let label = if group.is_empty() { "core (`v1`)" } else { group };
        let row = readme.lines().find(|l| l.starts_with(&format!("| {label} |")));
        for kind in e["kinds"].as_sequence().unwrap() {
            let kind = kind.as_str().unwrap();
            if !row.is_some_and(|r| r.split(['|', ',']).any(|cell| cell.trim() == kind)) {
                missing.push(format!("{kind} ({label})"));
            }
        }
    }
    assert!(missing.is_empty(), "README's supported kinds lack: {}", missing.join(", "));
    assert!(table.len() >= 40);
}
