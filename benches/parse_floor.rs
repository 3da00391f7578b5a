//! The parse floor: time for the span parser alone (granit-parser events, no tree) to read
//! every YAML file under DIR once, files in parallel on the same thread pool kube-rofs uses.
//! Usage: cargo bench --bench parse_floor -- DIR   (RAYON_NUM_THREADS sets the threads)
//! Prints: `parse_floor files=N bytes=B seconds=S mb_per_s=M threads=T`.

use std::time::Instant;

use granit_parser::Parser;
use rayon::prelude::*;

fn main() {
    let dir = std::env::args().skip(1).find(|a| !a.starts_with("--")).expect("usage: parse_floor DIR");
    let files: Vec<_> = walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && matches!(e.path().extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        })
        .map(|e| e.into_path())
        .collect();
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
        "parse_floor files={} bytes={bytes} events={events} seconds={secs:.4} mb_per_s={:.1} threads={}",
        files.len(),
        bytes as f64 / secs / 1e6,
        rayon::current_num_threads()
    );
}
