//! Machine formats: every golden case and every real-corpus file, applying the edits from the
//! JSON output, the SARIF fixes and the rdjsonl suggestions to the original bytes must give
//! exactly the bytes `fix` writes; and each SARIF fix and each rdjsonl suggestion applied alone
//! gives a file that parses, with no mount whose volume is missing. Each format is applied through the coordinates its consumers
//! use (JSON: byte offsets and line/column; SARIF: line/column in code points; rdjsonl:
//! line/column in UTF-8 bytes). SARIF output is validated against the 2.1.0 schema.

use std::path::{Path, PathBuf};

mod common;

use kube_rofs::{Options, analyze};
use serde_json::Value;

fn inputs() -> Vec<(PathBuf, Vec<String>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("golden")).unwrap() {
        let dir = e.unwrap().path();
        let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
        out.push((dir.join("input.yaml"), args.split_whitespace().map(str::to_owned).collect()));
    }
    let real = root.join("../shared/corpus/real");
    if real.is_dir() {
        for e in walkdir::WalkDir::new(&real).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() && matches!(e.path().extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
            {
                out.push((e.into_path(), Vec::new()));
            }
        }
    } else {
        println!("note: ../shared/corpus/real is absent; only golden inputs are checked");
    }
    out.sort();
    out
}

fn options(args: &[String]) -> Options {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    kube_rofs::cli::entry::options_from_args(&words).unwrap()
}

/// `kube-rofs diff --format FORMAT ARGS... PATH`'s standard output.
fn emitted(path: &Path, args: &[String], format: &str) -> String {
    let mut words = vec!["diff", "--no-config", "--format", format];
    words.extend(args.iter().map(String::as_str));
    words.push(path.to_str().unwrap());
    common::cli(&words, b"").1
}

/// Byte offset of a 1-based line/column; `bytes_per_col` false counts code points. Columns
/// and lines are taken on the text after a BOM, which is not part of the first line.
fn offset(file: &[u8], line: u64, col: u64, byte_cols: bool) -> usize {
    let text = std::str::from_utf8(file).unwrap();
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[bom..];
    let mut start = 0;
    for _ in 1..line {
        start += body[start..].find('\n').expect("line beyond the end") + 1;
    }
    let col = (col - 1) as usize;
    let within =
        if byte_cols { col } else { body[start..].char_indices().nth(col).map_or(body.len() - start, |(i, _)| i) };
    bom + start + within
}

/// Apply (start, end, text) replacements given in any order.
fn apply(file: &[u8], mut edits: Vec<(usize, usize, String)>) -> Vec<u8> {
    edits.sort_by_key(|e| e.0);
    let mut out = Vec::new();
    let mut pos = 0;
    for (s, e, t) in edits {
        assert!(s >= pos && e >= s, "overlapping or inverted edit at {s}");
        out.extend_from_slice(&file[pos..s]);
        out.extend_from_slice(t.as_bytes());
        pos = e;
    }
    out.extend_from_slice(&file[pos..]);
    out
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn json_edits(doc: &Value, file: &[u8], by_offset: bool) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in doc["findings"].as_array().unwrap() {
        // Findings of one pod spec share its fix.
        if f["fix"].is_null() || !seen.insert(n(&f["fix"]["id"])) {
            continue;
        }
        for e in f["fix"]["edits"].as_array().unwrap() {
            let text = e["text"].as_str().unwrap().to_owned();
            if by_offset {
                edits.push((n(&e["offset"]) as usize, (n(&e["offset"]) + n(&e["length"])) as usize, text));
            } else {
                let s = offset(file, n(&e["start"]["line"]), n(&e["start"]["column"]), false);
                let t = offset(file, n(&e["end"]["line"]), n(&e["end"]["column"]), false);
                edits.push((s, t, text));
            }
        }
    }
    edits
}

type Replacements = Vec<(usize, usize, String)>;

/// The distinct fixes of the SARIF results (results of one pod spec carry the same fix).
fn sarif_fixes(doc: &Value, file: &[u8]) -> Vec<Replacements> {
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let mut fixes: Vec<Replacements> = Vec::new();
    for r in run["results"].as_array().unwrap() {
        for fix in r["fixes"].as_array().into_iter().flatten() {
            let mut edits = Vec::new();
            for change in fix["artifactChanges"].as_array().unwrap() {
                for rep in change["replacements"].as_array().unwrap() {
                    let d = &rep["deletedRegion"];
                    let s = offset(file, n(&d["startLine"]), n(&d["startColumn"]), false);
                    let e = offset(file, n(&d["endLine"]), n(&d["endColumn"]), false);
                    assert_eq!(
                        (s as u64, (e - s) as u64),
                        (n(&d["byteOffset"]), n(&d["byteLength"])),
                        "line/column and bytes disagree"
                    );
                    edits.push((s, e, rep["insertedContent"]["text"].as_str().unwrap().to_owned()));
                }
            }
            if !fixes.contains(&edits) {
                fixes.push(edits);
            }
        }
    }
    fixes
}

/// Each rdjsonl suggestion, as a one-replacement fix.
fn rdjson_fixes(lines: &str, file: &[u8]) -> Vec<Replacements> {
    let mut fixes = Vec::new();
    for line in lines.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        let suggestions = d["suggestions"].as_array().cloned().unwrap_or_default();
        // reviewdog's GitHub reporter: one suggestion per comment, on the comment's lines,
        // and those lines must exist in the file.
        assert!(suggestions.len() <= 1, "more than one suggestion: {line}");
        let lines = std::str::from_utf8(file).unwrap().lines().count().max(1) as u64;
        for s in &suggestions {
            assert_eq!(s["range"], d["location"]["range"], "location range differs from the suggestion's: {line}");
            assert!(n(&s["range"]["end"]["line"]) <= lines, "suggestion on a line past the end: {line}");
            let r = &s["range"];
            let a = offset(file, n(&r["start"]["line"]), n(&r["start"]["column"]), true);
            let b = offset(file, n(&r["end"]["line"]), n(&r["end"]["column"]), true);
            fixes.push(vec![(a, b, s["text"].as_str().unwrap().to_owned())]);
        }
    }
    fixes
}

/// Mounts whose volume the pod does not have: (document, location, mount name). In a mapping
/// that holds a `containers` list (a pod spec, or an Argo containerSet) every container's mount
/// must name a volume of that mapping or of a mapping above it; any other mount (containers that custom resources keep elsewhere: Argo
/// templates, Tekton steps, Spark drivers) must name a volume listed somewhere in its document.
fn dangling_mounts(bytes: &[u8]) -> Result<Vec<(usize, String, String)>, String> {
    use serde_yaml::Value as Y;
    fn mounts(c: &Y) -> impl Iterator<Item = &str> {
        let items = c.get("volumeMounts").and_then(Y::as_sequence).into_iter().flatten();
        items.map(|m| m.get("name").and_then(Y::as_str).unwrap_or(""))
    }
    /// Every volume name listed anywhere under `v`.
    fn volume_names<'v>(v: &'v Y, out: &mut Vec<&'v str>) {
        match v {
            Y::Mapping(m) => {
                for vol in m.get("volumes").and_then(Y::as_sequence).into_iter().flatten() {
                    out.extend(vol.get("name").and_then(Y::as_str));
                }
                m.values().for_each(|v| volume_names(v, out));
            }
            Y::Sequence(items) => items.iter().for_each(|v| volume_names(v, out)),
            _ => {}
        }
    }
    fn walk<'v>(
        v: &'v Y,
        at: String,
        doc: usize,
        all: &[&str],
        above: &[&'v str],
        out: &mut Vec<(usize, String, String)>,
    ) {
        match v {
            Y::Mapping(m) => {
                let pod = matches!(m.get("containers"), Some(Y::Sequence(_)));
                let mut names: Vec<&str> = above.to_vec();
                let own = m.get("volumes").and_then(Y::as_sequence).into_iter().flatten();
                names.extend(own.filter_map(|vol| vol.get("name").and_then(Y::as_str)));
                if pod {
                    for list in ["containers", "initContainers", "ephemeralContainers"] {
                        for c in m.get(list).and_then(Y::as_sequence).into_iter().flatten() {
                            out.extend(
                                mounts(c).filter(|n| !names.contains(n)).map(|n| (doc, at.clone(), n.to_owned())),
                            );
                        }
                    }
                } else {
                    out.extend(mounts(v).filter(|n| !all.contains(n)).map(|n| (doc, at.clone(), n.to_owned())));
                }
                for (k, child) in m {
                    let key = k.as_str().unwrap_or("?");
                    if pod && ["containers", "initContainers", "ephemeralContainers"].contains(&key) {
                        continue;
                    }
                    walk(child, format!("{at}.{key}"), doc, all, &names, out);
                }
            }
            Y::Sequence(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, format!("{at}[{i}]"), doc, all, above, out);
                }
            }
            _ => {}
        }
    }
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    let docs = common::load_all(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let mut all = Vec::new();
        volume_names(d, &mut all);
        walk(d, String::new(), i, &all, &[], &mut out);
    }
    Ok(out)
}

/// Applied alone to the pristine file, each fix gives a file that parses and mounts nothing
/// its pod lacks (beyond what the input already lacked). Returns how many fixes were checked.
fn each_fix_stands_alone(p: &str, file: &[u8], fixes: &[Replacements], what: &str) -> usize {
    if fixes.is_empty() {
        return 0;
    }
    let before = dangling_mounts(file).unwrap_or_default();
    for (i, fix) in fixes.iter().enumerate() {
        let alone = apply(file, fix.clone());
        match dangling_mounts(&alone) {
            Ok(after) => {
                let new: Vec<_> = after.iter().filter(|d| !before.contains(d)).collect();
                assert!(new.is_empty(), "{p}: {what} {i} applied alone mounts volumes the pod lacks: {new:?}");
            }
            Err(e) => panic!("{p}: {what} {i} applied alone does not parse: {e}"),
        }
    }
    fixes.len()
}

#[test]
fn every_format_reproduces_fix_exactly() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json"),
        )
        .unwrap_or_else(|_| "{}".into()),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let (mut checked, mut changed, mut alone) = (0, 0, 0);
    for (path, args) in inputs() {
        let opts = options(&args);
        let file = std::fs::read(&path).unwrap();
        let want = match analyze(None, &file, &opts) {
            Ok(o) => o.fixed.unwrap_or_else(|| file.clone()),
            Err(_) => file.clone(),
        };
        changed += usize::from(want != file);
        let json: Value = serde_json::from_str(&emitted(&path, &args, "json")).unwrap();
        let sarif: Value = serde_json::from_str(&emitted(&path, &args, "sarif")).unwrap();
        let rdjsonl = emitted(&path, &args, "rdjsonl");
        let p = path.display();
        assert!(apply(&file, json_edits(&json, &file, true)) == want, "{p}: JSON offsets");
        assert!(apply(&file, json_edits(&json, &file, false)) == want, "{p}: JSON line/column");
        let (sarif_fixes, rdjson_fixes) = (sarif_fixes(&sarif, &file), rdjson_fixes(&rdjsonl, &file));
        assert!(apply(&file, sarif_fixes.concat()) == want, "{p}: SARIF fixes");
        assert!(apply(&file, rdjson_fixes.concat()) == want, "{p}: rdjsonl suggestions");
        alone += each_fix_stands_alone(&p.to_string(), &file, &sarif_fixes, "SARIF fix");
        alone += each_fix_stands_alone(&p.to_string(), &file, &rdjson_fixes, "rdjsonl suggestion");
        if let Err(e) = validator.validate(&sarif) {
            panic!("{p}: SARIF does not validate: {e}");
        }
        let gitlab: Value = serde_json::from_str(&emitted(&path, &args, "gitlab")).unwrap();
        code_quality_issues(&gitlab, &format!("{p}"));
        let lines = |v: &[Value], at: &dyn Fn(&Value) -> &Value| v.iter().map(|r| n(at(r))).collect::<Vec<_>>();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        assert_eq!(
            lines(gitlab.as_array().unwrap(), &|i| &i["location"]["lines"]["begin"]),
            lines(results, &|r| &r["locations"][0]["physicalLocation"]["region"]["startLine"]),
            "{p}: GitLab issues and SARIF results differ"
        );
        checked += 1;
    }
    println!("{checked} files checked in every format, {changed} of them changed by fix");
    println!("{alone} SARIF fixes and rdjsonl suggestions each applied alone: all parse, none leaves a mount dangling");
    assert!(checked >= 40 && changed > 0 && alone >= 2 * changed);
}

/// An array of GitLab Code Quality issues with the fields GitLab documents
/// (docs.gitlab.com/ci/testing/code_quality, "Code Quality report format"): `description`,
/// `check_name`, `fingerprint` (unique), `severity` (info, minor, major, critical, blocker),
/// `location.path` and `location.lines.begin`.
fn code_quality_issues(report: &Value, p: &str) {
    let issues = report.as_array().unwrap_or_else(|| panic!("{p}: GitLab report is not an array"));
    let mut fingerprints = std::collections::HashSet::new();
    for i in issues {
        for key in ["description", "check_name", "fingerprint"] {
            assert!(i[key].as_str().is_some_and(|s| !s.is_empty()), "{p}: {key} missing in {i}");
        }
        assert!(fingerprints.insert(i["fingerprint"].as_str().unwrap()), "{p}: fingerprint repeated: {i}");
        let severity = i["severity"].as_str().unwrap_or_default();
        assert!(["info", "minor", "major", "critical", "blocker"].contains(&severity), "{p}: severity {i}");
        assert!(i["location"]["path"].as_str().is_some_and(|s| !s.is_empty()), "{p}: location.path in {i}");
        assert!(i["location"]["lines"]["begin"].as_u64().is_some_and(|l| l >= 1), "{p}: lines.begin in {i}");
    }
}

#[test]
fn gitlab_fingerprints_follow_the_container_not_its_line() {
    let dir = common::dir_with(&[("w.yaml", common::WRITABLE)]);
    let report = |dir: &Path| -> Value {
        let r = common::kube_rofs(dir, &["check", "--no-config", "--format", "gitlab", "w.yaml"]);
        assert_eq!(r.code, 1, "{r}");
        serde_json::from_str(&r.stdout).unwrap()
    };
    let before = report(dir.path());
    code_quality_issues(&before, "w.yaml");
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}");
    assert_eq!(before[0]["location"]["path"], "w.yaml");
    assert_eq!(before[0]["severity"], "major");
    // Lines added above: the same issue, a line further down.
    common::write(dir.path(), "w.yaml", format!("# owner: team-a\n{}", common::WRITABLE));
    let after = report(dir.path());
    assert_eq!(after[0]["fingerprint"], before[0]["fingerprint"]);
    assert_eq!(n(&after[0]["location"]["lines"]["begin"]), n(&before[0]["location"]["lines"]["begin"]) + 1);
    // The same workload twice in a file: two issues, two fingerprints; another container name:
    // another fingerprint.
    common::write(dir.path(), "w.yaml", format!("{}---\n{}", common::WRITABLE, common::WRITABLE));
    let twice = report(dir.path());
    code_quality_issues(&twice, "twice");
    assert_eq!(twice.as_array().unwrap().len(), 2);
    common::write(dir.path(), "w.yaml", common::WRITABLE.replace("name: app", "name: other"));
    assert_ne!(report(dir.path())[0]["fingerprint"], before[0]["fingerprint"]);
    // Nothing to report: an empty array.
    common::write(dir.path(), "w.yaml", common::READ_ONLY);
    let r = common::kube_rofs(dir.path(), &["check", "--no-config", "--format", "gitlab", "w.yaml"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "[]\n"), "{r}");
}

#[test]
fn sarif_schema_is_the_real_one() {
    // Guard against validating against an empty schema when ../shared is missing.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-schema-2.1.0.json");
    if !path.exists() {
        println!("note: SARIF schema absent; validation skipped");
        return;
    }
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(
        !validator.is_valid(&serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]})),
        "a run without a tool must fail"
    );
}
