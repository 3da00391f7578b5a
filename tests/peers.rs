//! Agreement with the peers' own test fixtures for this control (../shared/corpus/peers, files
//! copied to a temporary directory): `check --threshold 100%` gives each file the verdict its
//! peer's file name or test gives it. Pass and "allowed" (an opt-out the peer honours) exit 0,
//! fail exits 1.
//!
//! Left aside: the gatekeeper samples that pass only through their constraint's parameters
//! (`example_allowed_exempted.yaml` exempts the image by name, `wildcard-prefix/*` by an image
//! prefix), and `update.yaml`, an AdmissionReview that wraps a Pod rather than a manifest.

mod common;

use std::path::Path;

use common::kube_rofs;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Pass,
    Allowed,
    Fail,
}
use Verdict::{Allowed, Fail, Pass};

const POLARIS: &str = "FairwindsOps__polaris/test/checks/notReadOnlyRootFilesystem";
const CHECKOV: &str = "bridgecrewio__checkov/tests/kubernetes/checks/example_ReadOnlyFilesystem";
const GATEKEEPER: &str = "open-policy-agent__gatekeeper-library/library/pod-security-policy/read-only-root-filesystem/samples/psp-readonlyrootfilesystem";
const KUBEAUDIT: &str = "Shopify__kubeaudit/auditors/rootfs/fixtures";

const CASES: &[(&str, &str, Verdict)] = &[
    (POLARIS, "success.yaml", Pass),
    (POLARIS, "success.pod.yaml", Pass),
    (POLARIS, "failure.yaml", Fail),
    (POLARIS, "failure.pod.yaml", Fail),
    (POLARIS, "failure.two_cont_one_unspecified.yaml", Fail),
    (CHECKOV, "pod-readonly-PASSED.yaml", Pass),
    (CHECKOV, "pod-readonly-false-FAILED.yaml", Fail),
    (CHECKOV, "frontend-replicaset-FAILED.yaml", Fail),
    (GATEKEEPER, "example_allowed.yaml", Pass),
    (GATEKEEPER, "example_disallowed.yaml", Fail),
    (GATEKEEPER, "disallowed_ephemeral.yaml", Fail),
    // kubeaudit_test.go in auditors/rootfs: the override labels allow `false`.
    (KUBEAUDIT, "read-only-root-filesystem-false.yml", Fail),
    (KUBEAUDIT, "read-only-root-filesystem-nil.yml", Fail),
    (KUBEAUDIT, "read-only-root-filesystem-false-allowed.yml", Allowed),
    (KUBEAUDIT, "read-only-root-filesystem-false-allowed-multi-labels.yml", Allowed),
    // One container has its label, the other is still `false`.
    (KUBEAUDIT, "read-only-root-filesystem-false-allowed-single-label.yml", Fail),
    (KUBEAUDIT, "read-only-root-filesystem-redundant-override.yml", Pass),
];

#[test]
fn check_agrees_with_every_peer_fixture_for_this_control() {
    let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/peers");
    assert!(peers.is_dir(), "../shared/corpus/peers is missing: the peers' fixtures are this test's input");
    let mut disagree = Vec::new();
    for (dir, file, want) in CASES {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::copy(peers.join(dir).join(file), tmp.path().join(file)).unwrap();
        let r = kube_rofs(tmp.path(), &["check", "--no-config", "--threshold", "100%", file]);
        let got = match r.code {
            0 => [Pass, Allowed],
            1 => [Fail, Fail],
            _ => panic!("{dir}/{file}: exit {}: {}", r.code, r.stderr),
        };
        if !got.contains(want) {
            disagree.push(format!("{dir}/{file}: the peer says {want:?}, kube-rofs exits {}:\n{}", r.code, r.stdout));
        }
        if *want == Allowed {
            assert!(
                r.stdout.contains("opt-out label kubeaudit.io/")
                    || r.stdout.contains("opt-out label container.kubeaudit.io/"),
                "{file}:\n{}",
                r.stdout
            );
        }
    }
    assert!(disagree.is_empty(), "{} of {} disagree:\n{}", disagree.len(), CASES.len(), disagree.join("\n"));
    println!("{} peer fixtures, all in agreement", CASES.len());
}
