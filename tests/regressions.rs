//! Minimised inputs from the fuzz target (`fuzz/fuzz_targets/pipeline.rs`) and the property test
//! (`tests/proptest_manifests.rs`), each checked against the same properties: no panic, no
//! verification failure (`FileError::Verify`, which the README calls a kube-rofs bug; the fuzz
//! target counts it as a crash with `KUBE_ROFS_FUZZ_STRICT=1`), and a fixed file re-parses, is a
//! fixed point, only inserts text (unless the input holds a null), passes the semantic check and
//! leaves nothing to fix.

mod common;

use kube_rofs::{FileError, Options, analyze};

/// The fuzz properties, plus the semantic check. `must_fix` also requires an `Ok` with a fixed
/// file (the manifest is plain enough that refusing it, or failing verification, is a bug).
fn holds(input: &str, must_fix: bool) {
    let opts = Options::default();
    let outcome = match analyze(None, input.as_bytes(), &opts) {
        Ok(o) => o,
        Err(e @ FileError::Verify { .. }) => panic!("verification failed (a kube-rofs bug by README): {e}"),
        Err(e) if must_fix => panic!("error on a valid manifest: {e}"),
        Err(_) => return,
    };
    let Some(fixed) = outcome.fixed else {
        assert!(!must_fix, "nothing fixed: {:?}", outcome.findings);
        return;
    };
    let text = String::from_utf8(fixed.clone()).expect("fixed output is UTF-8");
    common::load_all(&text).unwrap_or_else(|e| panic!("fixed output does not parse: {e}\n{text}"));
    let again = analyze(None, &fixed, &opts).unwrap_or_else(|e| panic!("fixed output is an error: {e}\n{text}"));
    assert!(again.fixed.is_none(), "not a fixed point:\n{text}");
    let replaceable = input.contains('~') || input.to_ascii_lowercase().contains("null");
    if !replaceable {
        let mut rest = fixed.iter();
        assert!(input.bytes().all(|b| rest.any(|&c| c == b)), "the fix removed input bytes:\n{text}");
    }
    common::check_only_additions(input.as_bytes(), &fixed, false).unwrap();
    assert!(common::left_to_fix(&fixed, &opts).is_empty(), "still to fix:\n{text}");
}

/// Fuzz crash: a single-pair flow mapping in a flow sequence (`[key: {}]`) as a container.
/// Panicked in `plan::flow_insert` with "begin > end" slicing the text between the last entry
/// and the closing bracket (the pair's span ends after its value's `]`/`}`).
#[test]
fn fuzz_single_pair_flow_container_does_not_panic() {
    holds("kind: Pod\nspec:\n  containers: [env: []]\n", false);
    holds("kind: Pod\nspec:\n  containers: [securityContext: {}]\n", false);
    holds("{kind: Pod, spec: {containers: [a: {x}]}}\n", false);
    // The input as found by the fuzzer, minimised.
    holds("{s,\"kind\":\"Pod\",\"\":{},\"spec\":{\"containers\":[{}:{ {},[{}]}],[{ {}}]}}", false);
}

/// Property test: a clip (`|`, `>`) or keep (`|+`) block scalar that ends a file without a final
/// newline. The line break inserted in front of the new lines becomes part of the scalar
/// (`"x"` becomes `"x\n"`), so verification fails and the file is not fixed.
#[test]
fn block_scalar_at_eof_without_final_newline() {
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args: |\n      x", true);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args: >\n      x", true);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args:\n    - |+\n      x", true);
}

/// Fuzz (an `Err`, so not a crash of the target): a flow container whose last key has an empty
/// value (`{x: }`). The new keys are inserted after the key instead of after `: `, the patched
/// text does not parse, and verification fails.
#[test]
fn flow_container_last_key_empty_value() {
    holds("kind: Pod\nspec:\n  containers:\n  - {name: c, x: }\n", false);
}

/// Fuzz (strict mode, and the property test once it generated empty block scalars): a block
/// scalar without content lines (`value: |`) is the container's last value and a less indented
/// line follows. The new lines land after that next line's indentation (inside the next key or
/// container), so the patched text does not parse or repeats a key, and verification fails.
#[test]
fn empty_block_scalar_before_a_less_indented_line() {
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args: |\n  restartPolicy: Always\n", true);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args: >-\n\n  restartPolicy: Always\n", true);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    args: |\n  - name: d\n", true);
    holds(
        "kind: Pod\nspec:\n  containers:\n  - name: c\n    env:\n    - name: A\n      value: |\n  restartPolicy: Always\n",
        true,
    );
}

/// Fuzz (strict mode): an explicit key without a value (`? x`, a lone `?`) ends a container that
/// is followed by more text; the edits land in the next container (duplicate `securityContext`)
/// or inside the next pod key, and verification fails. The same after `securityContext:` with a
/// complex key (`? {}`) below it.
#[test]
fn explicit_key_without_value_ends_a_container() {
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    ? x\n  - name: d\n", false);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    ?\n  restartPolicy: Always\n", false);
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    securityContext:\n    ? {}\n  - name: d\n", false);
}

/// Fuzz (strict mode): a tag on a key on the way to the containers (`! containers:`,
/// `!foo containers:`) or on the document's root mapping (`--- !`). serde_yaml keeps the tag,
/// so the verifier cannot follow the path ("no key containers", "cannot follow Key(\"spec\")");
/// by the README's rules the container should be refused (explicitly tagged node) instead.
#[test]
fn tag_on_a_key_or_the_document_root() {
    holds("kind: Pod\nspec:\n  ! containers:\n  - name: c\n", false);
    holds("kind: Pod\nspec:\n  !foo containers:\n  - name: c\n", false);
    holds("--- !\nkind: Pod\nspec:\n  containers:\n  - name: c\n", false);
    holds("!\nkind: Pod\nspec:\n  containers:\n  - name: c\n", false);
}

/// Fuzz (strict mode): a container whose only key is a complex (explicit) mapping key,
/// `- ? name: a`; verification fails with ".spec.containers[0].name: a: missing after the edit".
#[test]
fn container_with_a_complex_key() {
    holds("kind: Pod\nspec:\n  containers:\n  - ? name: a\n", false);
}

/// Fuzz (strict mode), after the fix for the case above: the explicit key without a value is
/// nested deeper, as the last entry of a mapping that ends the container.
#[test]
fn nested_explicit_key_without_value_ends_a_container() {
    holds(
        "kind: Pod\nspec:\n  containers:\n  - name: c\n    resources:\n      limits:\n        ? cpu\n  - name: d\n",
        false,
    );
    holds("kind: Pod\nspec:\n  containers:\n  - name: c\n    env:\n      ? x\n  restartPolicy: Always\n", false);
    // The fuzzer's input, minimised.
    holds("kind: Pod\nspec:\n  containers:\n  - e:\n     ?\n  u: ", false);
}

/// Fuzz (property (a), fixed output re-reads with serde_yaml): a file with a document serde_yaml
/// cannot read (a duplicate key, or YAML 1.2 that libyaml rejects: `:` as an empty implicit key)
/// next to a workload. Verification is per changed document (README, Verification): the
/// workload's document is fixed and re-reads, the unreadable one stays byte for byte as it was.
#[test]
fn document_serde_yaml_cannot_read_elsewhere_in_the_file() {
    for (input, unreadable) in [
        ("a: 1\na: 2\n---\nkind: Pod\nspec:\n  containers:\n  - name: c\n", "a: 1\na: 2\n"),
        (":\n---\nkind: Pod\nspec:\n  containers:\n  - name: c\n", ":\n"),
        ("kind: Pod\nspec:\n  containers:\n  - name: c\n---\n: x\n", "---\n: x\n"),
    ] {
        let fixed = analyze(None, input.as_bytes(), &Options::default()).unwrap().fixed.expect("the pod is fixed");
        let text = String::from_utf8(fixed).unwrap();
        assert!(text.contains(unreadable), "the unreadable document changed:\n{text}");
        let pod = text.split("---\n").find(|d| d.contains("kind: Pod")).unwrap();
        let doc = common::load_all(pod).unwrap();
        assert_eq!(
            doc[0]["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
            serde_yaml::Value::Bool(true)
        );
    }
}
