//! Fuzz the whole pipeline: bytes -> `kube_rofs::analyze`.
//!
//! Per input, under the default options and under `--fix-explicit-false --no-log-dir`:
//! no panic; `process` gives an error, or nothing to change, or fixed bytes that
//! (a) serde_yaml re-reads (BOM stripped) as the same number of documents, when it could read
//!     the input (verification is per changed document, so a document serde_yaml rejects,
//!     e.g. one with a duplicate key, may sit unchanged next to fixed ones),
//! (b) are a fixed point (processing them again changes nothing), and
//! (c) contain the input as a subsequence (the fix only inserted text) whenever the input has
//!     nothing the fix may replace by design: a null scalar (`~`, `null`), or `false` when
//!     explicit false is flipped.
//!
//! With `KUBE_ROFS_FUZZ_STRICT=1`, a `FileError::Verify` (the patched text did not re-read as
//! intended, which the README calls a kube-rofs bug) is a crash too.
#![no_main]

use std::sync::OnceLock;

use kube_rofs::internals::load_all;
use kube_rofs::{FileError, Options, analyze};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check(data, &Options::default(), "default options");
    let mut opts = Options::default();
    opts.policy.fix_explicit_false = true;
    opts.writable_paths = vec!["/tmp".into()];
    check(data, &opts, "--fix-explicit-false --no-log-dir");
});

fn check(data: &[u8], opts: &Options, label: &str) {
    let outcome = match analyze(None, data, opts) {
        Ok(o) => o,
        Err(e @ FileError::Verify { .. }) if strict() => panic!("{label}: {e}"),
        Err(_) => return,
    };
    let Some(fixed) = outcome.fixed else { return };
    assert!(fixed != data, "{label}: `fixed` is Some but equals the input");

    // (a) the fixed file re-parses, with as many documents as the input.
    let text = std::str::from_utf8(&fixed).unwrap_or_else(|e| panic!("{label}: fixed output is not UTF-8: {e}"));
    if let Some(before) = std::str::from_utf8(data).ok().and_then(|t| load_all(strip_bom(t)).ok()) {
        let docs = load_all(strip_bom(text))
            .unwrap_or_else(|e| panic!("{label}: serde_yaml cannot read the fixed output: {e}\n{text}"));
        assert_eq!(before.len(), docs.len(), "{label}: document count changed\n{text}");
    }

    // (b) a fixed point.
    match analyze(None, &fixed, opts) {
        Ok(again) => assert!(again.fixed.is_none(), "{label}: not idempotent; fixed output:\n{text}"),
        Err(e) => panic!("{label}: the fixed output is an error: {e}\n{text}"),
    }

    // (c) only insertions, unless the input holds something the fix replaces on purpose.
    let lower = data.to_ascii_lowercase();
    let replaceable = lower.contains(&b'~')
        || contains(&lower, b"null")
        || (opts.policy.fix_explicit_false && contains(&lower, b"false"));
    if !replaceable {
        assert!(is_subsequence(data, &fixed), "{label}: the fix removed or changed input bytes\n{text}");
    }
}

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("KUBE_ROFS_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every byte of `small`, in order, appears in `big`.
fn is_subsequence(small: &[u8], big: &[u8]) -> bool {
    let mut rest = big.iter();
    small.iter().all(|b| rest.any(|c| c == b))
}
