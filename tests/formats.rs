//! Machine formats: every golden case and every real-corpus file, applying the edits from the
//! JSON output, the SARIF fixes and the rdjsonl suggestions to the original bytes must give
//! exactly the bytes `fix` writes. Each format is applied through the coordinates its consumers
//! use (JSON: byte offsets and line/column; SARIF: line/column in code points; rdjsonl:
//! line/column in UTF-8 bytes). SARIF output is validated against the 2.1.0 schema.

use std::path::{Path, PathBuf};

use kube_rofs::emit::Format;
use kube_rofs::run::{Mode, Settings, run};
use kube_rofs::{Options, process};
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
    kube_rofs::cli::options_from_words(&words).unwrap()
}

fn emitted(path: &Path, opts: &Options, format: Format) -> String {
    let settings = Settings { format, options: opts.clone(), ..Settings::new(Mode::Diff, vec![path.to_path_buf()]) };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    run(&settings, &mut std::io::empty(), &mut out, &mut err).unwrap();
    String::from_utf8(out).unwrap()
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
    for f in doc["findings"].as_array().unwrap() {
        for e in f["edits"].as_array().into_iter().flatten() {
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

fn sarif_edits(doc: &Value, file: &[u8]) -> Vec<(usize, usize, String)> {
    let run = &doc["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let mut edits = Vec::new();
    for r in run["results"].as_array().unwrap() {
        for fix in r["fixes"].as_array().into_iter().flatten() {
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
        }
    }
    edits
}

fn rdjson_edits(lines: &str, file: &[u8]) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
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
        }
        for s in &suggestions {
            let r = &s["range"];
            let a = offset(file, n(&r["start"]["line"]), n(&r["start"]["column"]), true);
            let b = offset(file, n(&r["end"]["line"]), n(&r["end"]["column"]), true);
            edits.push((a, b, s["text"].as_str().unwrap().to_owned()));
        }
    }
    edits
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
    let (mut checked, mut changed) = (0, 0);
    for (path, args) in inputs() {
        let opts = options(&args);
        let file = std::fs::read(&path).unwrap();
        let want = match process(&file, &opts) {
            Ok(o) => o.fixed.unwrap_or_else(|| file.clone()),
            Err(_) => file.clone(),
        };
        changed += usize::from(want != file);
        let json: Value = serde_json::from_str(&emitted(&path, &opts, Format::Json)).unwrap();
        let sarif: Value = serde_json::from_str(&emitted(&path, &opts, Format::Sarif)).unwrap();
        let rdjsonl = emitted(&path, &opts, Format::Rdjsonl);
        let p = path.display();
        assert!(apply(&file, json_edits(&json, &file, true)) == want, "{p}: JSON offsets");
        assert!(apply(&file, json_edits(&json, &file, false)) == want, "{p}: JSON line/column");
        assert!(apply(&file, sarif_edits(&sarif, &file)) == want, "{p}: SARIF fixes");
        assert!(apply(&file, rdjson_edits(&rdjsonl, &file)) == want, "{p}: rdjsonl suggestions");
        if let Err(e) = validator.validate(&sarif) {
            panic!("{p}: SARIF does not validate: {e}");
        }
        checked += 1;
    }
    println!("{checked} files checked in every format, {changed} of them changed by fix");
    assert!(checked >= 40 && changed > 0);
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
