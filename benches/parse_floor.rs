//! The parse floor: time for the span parser alone (granit-parser events, no tree) to read
//! every YAML file under DIR once, files in parallel on the same thread pool and with the same
//! allocator kube-rofs uses.
//! With `--verifier`: the verifier's floor instead, the time serde_yaml alone takes to read
//! (into `IgnoredAny`, no value built) the patched documents kube-rofs re-reads to verify a
//! fix; which documents those are is worked out first, untimed, with the library.
//! With `--writes` (DIR is a scratch copy; its files get fixed): the write floor, the time the
//! atomic writes alone take (temporary file, compare, rename, as `fix` writes), with the fixed
//! bytes worked out first, untimed; with `--writes --fsync`, as `fix --fsync` writes (the
//! temporary file fsynced before the rename, the directory after it).
//! Usage: cargo bench --bench parse_floor -- DIR [--verifier | --writes [--fsync]]   (RAYON_NUM_THREADS sets the threads)
//! Prints: `parse_floor files=N bytes=B seconds=S mb_per_s=M threads=T` (`verifier_floor ...`,
//! `write_floor ...`).

use std::collections::BTreeSet;
use std::time::Instant;

use granit_parser::Parser;
use rayon::prelude::*;
use serde::Deserialize;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir =
        args.iter().find(|a| !a.starts_with("--")).expect("usage: parse_floor DIR [--verifier | --writes [--fsync]]");
    let files: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && matches!(e.path().extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        })
        .map(|e| e.into_path())
        .collect();
    let threads = rayon::current_num_threads();
    if args.iter().any(|a| a == "--writes") {
        let durability = match args.iter().any(|a| a == "--fsync") {
            true => kube_rofs::internals::Durability::Fsync,
            false => kube_rofs::internals::Durability::Atomic,
        };
        let fixed: Vec<_> = files.par_iter().filter_map(|p| fixed_file(p).map(|(a, b)| (p, a, b))).collect();
        let start = Instant::now();
        let bytes: usize = fixed
            .par_iter()
            .map(|(p, original, new)| {
                kube_rofs::internals::atomic_write(p, original, new, durability).expect("write");
                new.len()
            })
            .sum();
        let secs = start.elapsed().as_secs_f64();
        println!("write_floor files={} bytes={bytes} seconds={secs:.4} threads={threads}", fixed.len());
        return;
    }
    if args.iter().any(|a| a == "--verifier") {
        let texts: Vec<String> = files.par_iter().flat_map_iter(|p| reread_by_verifier(p)).collect();
        let start = Instant::now();
        let (bytes, docs): (usize, usize) = texts
            .par_iter()
            .map(|t| {
                let mut n = 0;
                for de in serde_yaml::Deserializer::from_str(t) {
                    n += serde::de::IgnoredAny::deserialize(de).is_ok() as usize;
                }
                (t.len(), n)
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let secs = start.elapsed().as_secs_f64();
        println!(
            "verifier_floor docs={docs} bytes={bytes} seconds={secs:.4} mb_per_s={:.1} threads={threads}",
            bytes as f64 / secs / 1e6
        );
        return;
    }
    let start = Instant::now();
    let (bytes, events): (usize, usize) = files
        .par_iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let options = granit_parser::options! { emit_comments: false };
            let events = Parser::new_from_str_with_options(&text, options).take_while(Result::is_ok).count();
            (text.len(), events)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse_floor files={} bytes={bytes} events={events} seconds={secs:.4} mb_per_s={:.1} threads={threads}",
        files.len(),
        bytes as f64 / secs / 1e6,
    );
}

/// The file's bytes and its fixed bytes, when a fix changes it.
fn fixed_file(path: &std::path::Path) -> Option<(Vec<u8>, Vec<u8>)> {
    let bytes = std::fs::read(path).ok()?;
    let fixed = kube_rofs::analyze(None, &bytes, &kube_rofs::Options::default()).ok()?.fixed?;
    Some((bytes, fixed))
}

/// The patched documents verification re-reads in this file: those a fix changes.
fn reread_by_verifier(path: &std::path::Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else { return Vec::new() };
    let Ok(outcome) = kube_rofs::analyze(None, &bytes, &kube_rofs::Options::default()) else { return Vec::new() };
    let Some(fixed) = outcome.fixed else { return Vec::new() };
    let changed: BTreeSet<usize> = outcome.findings.iter().filter(|f| f.fix.is_some()).map(|f| f.doc).collect();
    let Ok(src) = kube_rofs::internals::Source::decode(&fixed) else { return Vec::new() };
    let Ok(tree) = kube_rofs::internals::parse(&src) else { return Vec::new() };
    let starts: Vec<usize> = tree.docs.iter().map(|d| d.start).collect();
    changed
        .into_iter()
        .filter(|&k| k < starts.len())
        .map(|k| src.body[starts[k]..starts.get(k + 1).copied().unwrap_or(src.body.len())].to_owned())
        .collect()
}
