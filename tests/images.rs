//! `--image-archive` and `imageArchives`: OCI image layouts and `docker save` tarballs, read by
//! the real command line. The golden cases' archives are what `support/image.rs` writes
//! (`KUBE_ROFS_BLESS=1` rewrites them); archives that cannot be read stop the run (exit 2,
//! nothing written); multi-platform indexes resolve to linux/amd64, else the first.

mod common;
#[path = "support/image.rs"]
mod image;

use std::path::{Path, PathBuf};

use image::{CONTAINERD_NAME, REF_NAME};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The golden cases' archives, as the generator writes them into `dir`.
fn write_golden_archives(dir: &Path) {
    image::oci_layout(
        &dir.join("image-archive-oci-layout/image"),
        &[(CONTAINERD_NAME, "registry.example.com/team/app:1.0"), (REF_NAME, "1.0")],
        &["/data", "/var/cache/app"],
    );
    image::docker_archive(
        &dir.join("image-archive-docker-save/image.tar"),
        &["team/worker:2.1"],
        &["/var/lib/worker", "/var/spool/jobs"],
        false,
    );
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(dir).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_golden_archives_are_what_the_generator_writes() {
    let fresh = tempfile::tempdir().unwrap();
    write_golden_archives(fresh.path());
    let golden = root().join("golden");
    for case in ["image-archive-oci-layout", "image-archive-docker-save"] {
        let want = files(&fresh.path().join(case));
        let archive = ["image", "image.tar"].map(|a| golden.join(case).join(a));
        if std::env::var_os("KUBE_ROFS_BLESS").is_some() {
            for a in &archive {
                let _ = std::fs::remove_dir_all(a);
                let _ = std::fs::remove_file(a);
            }
            for (name, bytes) in &want {
                let path = golden.join(case).join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
        let have: Vec<(String, Vec<u8>)> = archive
            .iter()
            .filter(|a| a.exists())
            .flat_map(|a| match a.is_dir() {
                true => files(a).into_iter().map(|(n, b)| (format!("image/{n}"), b)).collect::<Vec<_>>(),
                false => vec![("image.tar".to_owned(), std::fs::read(a).unwrap())],
            })
            .collect();
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&have), names(&want), "{case}: files (KUBE_ROFS_BLESS=1 rewrites them)");
        assert!(have == want, "{case}: the archive differs from what tests/support/image.rs writes");
        let size: usize = want.iter().map(|(_, b)| b.len()).sum();
        assert!(size < 10_000, "{case}: {size} bytes; keep golden archives small");
    }
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: IMAGE
";

fn pod(image: &str) -> Vec<u8> {
    POD.replace("IMAGE", image).into_bytes()
}

/// `kube-rofs ARGS... fix -` in process with `input`: (exit code, stdout, stderr).
fn fix_stdin(args: &[&str], input: &[u8]) -> (i32, String, String) {
    let words: Vec<&str> = ["fix", "--no-config"].into_iter().chain(args.iter().copied()).chain(["-"]).collect();
    common::cli(&words, input)
}

fn mounts(yaml: &str) -> Vec<String> {
    yaml.lines().filter_map(|l| l.trim().strip_prefix("mountPath: ")).map(str::to_owned).collect()
}

#[test]
fn both_golden_archives_match_by_name_tag_and_digest_through_the_command_line() {
    let layout = root().join("golden/image-archive-oci-layout/image");
    let tarball = root().join("golden/image-archive-docker-save/image.tar");
    let args = ["--image-archive", layout.to_str().unwrap(), "--image-archive", tarball.to_str().unwrap()];
    let digest = image::image("linux/amd64", &["/data", "/var/cache/app"]).manifest.digest;
    let cases: [(&str, &[&str]); 7] = [
        ("registry.example.com/team/app:1.0", &["/data", "/var/cache/app"]),
        (&format!("registry.example.com/team/app@{digest}"), &["/data", "/var/cache/app"]),
        (&format!("anything/else:9@{digest}"), &["/data", "/var/cache/app"]),
        ("registry.example.com/team/app:1.1", &[]),
        ("registry.example.com/team/app", &[]),
        ("docker.io/team/worker:2.1", &["/var/lib/worker", "/var/spool/jobs"]),
        ("team/worker", &[]),
    ];
    for (image, extra) in cases {
        let (code, out, err) = fix_stdin(&args, &pod(image));
        assert_eq!(code, 0, "{image}: {err}");
        let mut want = vec!["/tmp".to_owned(), "/var/log/app".to_owned()];
        want.extend(extra.iter().map(|s| s.to_string()));
        assert_eq!(mounts(&out), want, "{image}\n{out}");
        assert!(!err.contains("note:"), "{image}: {err}");
    }
}

#[test]
fn a_docker_25_tarball_holds_the_image_once_with_the_names_of_both_listings() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("worker.tar");
    let written = image::docker_archive(&tar, &["team/worker:3.0", "team/worker:latest"], &["/work"], true);
    let args = ["--image-archive", tar.to_str().unwrap()];
    for image in ["team/worker:3.0", "team/worker", &format!("team/worker@{}", written.manifest.digest)] {
        let (code, out, err) = fix_stdin(&args, &pod(image));
        assert_eq!(
            (code, mounts(&out)),
            (0, vec!["/tmp".into(), "/var/log/app".into(), "/work".into()]),
            "{image}: {err}"
        );
        assert_eq!(err.matches("note:").count(), 0, "{err}");
    }
}

#[test]
fn an_index_resolves_to_linux_amd64_else_the_first_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both");
    let index = image::oci_multi_platform(
        &both,
        &[(REF_NAME, "example.com/multi:1")],
        &[("linux/arm64", &["/arm"]), ("linux/amd64", &["/amd"])],
    );
    let (code, out, err) = fix_stdin(&["--image-archive", both.to_str().unwrap()], &pod("example.com/multi:1"));
    assert_eq!((code, mounts(&out).last().map(String::as_str)), (0, Some("/amd")), "{err}");
    assert!(!err.contains("note:"), "{err}");
    // The index's digest names the image too.
    let (_, out, _) =
        fix_stdin(&["--image-archive", both.to_str().unwrap()], &pod(&format!("example.com/multi@{}", index.digest)));
    assert_eq!(mounts(&out).last().map(String::as_str), Some("/amd"));

    let other = dir.path().join("other");
    image::oci_multi_platform(
        &other,
        &[(REF_NAME, "example.com/multi:2")],
        &[("unknown/unknown", &["/attestation"]), ("linux/arm64", &["/arm"]), ("linux/s390x", &["/s390x"])],
    );
    let (code, out, err) = fix_stdin(&["--image-archive", other.to_str().unwrap()], &pod("example.com/multi:2"));
    assert_eq!((code, mounts(&out).last().map(String::as_str)), (0, Some("/arm")), "{err}");
    assert!(err.contains("no linux/amd64 manifest in its index; used the first, linux/arm64"), "{err}");
}

#[test]
fn a_tag_alone_is_no_name_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let written = image::oci_layout(dir.path(), &[(REF_NAME, "1.0")], &["/data"]);
    let args = ["--image-archive", dir.path().to_str().unwrap()];
    let (code, out, err) = fix_stdin(&args, &pod("app:1.0"));
    assert_eq!((code, mounts(&out).len()), (0, 2), "{err}");
    assert!(err.contains(&format!("image {} names no repository", written.manifest.digest)), "{err}");
    let (_, out, _) = fix_stdin(&args, &pod(&format!("app@{}", written.manifest.digest)));
    assert_eq!(mounts(&out).last().map(String::as_str), Some("/data"));
}

/// An archive the user asked for and kube-rofs cannot read: exit 2, the file named, nothing
/// written.
#[test]
fn an_unreadable_archive_stops_the_run_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    common::write(d, "app.yaml", pod("registry.example.com/team/app:1.0"));
    image::oci_layout(&d.join("layout"), &[(REF_NAME, "x/y:1")], &["/data"]);
    let config = image::image("linux/amd64", &["/data"]).config;
    std::fs::write(d.join("layout/blobs/sha256").join(config.hex()), b"{}").unwrap();
    image::docker_archive(&d.join("good.tar"), &["a/b:1"], &["/x"], false);
    let gz = std::process::Command::new("gzip").arg("-k").arg(d.join("good.tar")).status().unwrap();
    assert!(gz.success());
    std::fs::write(d.join("junk.tar"), vec![b'x'; 2048]).unwrap();
    std::fs::create_dir(d.join("empty")).unwrap();
    let cases = [
        ("missing.tar", "No such file or directory"),
        ("layout", "does not match its digest (corrupt archive)"),
        ("good.tar.gz", "gzip-compressed file; decompress it first (gunzip)"),
        ("junk.tar", "not a tar archive"),
        ("empty", "neither index.json (an OCI image layout) nor manifest.json (docker save)"),
    ];
    for (archive, why) in cases {
        let run = common::kube_rofs(d, &["fix", "--no-config", "--image-archive", archive, "app.yaml"]);
        assert_eq!(run.code, 2, "{archive}: {run}");
        assert!(run.stderr.contains(&format!("{archive}: error: cannot read image archive: ")), "{archive}: {run}");
        assert!(run.stderr.contains(why), "{archive}: {run}");
        assert_eq!(
            common::read_str(d, "app.yaml"),
            String::from_utf8(pod("registry.example.com/team/app:1.0")).unwrap()
        );
    }
    // The good one works, from the configuration file too (relative to the file).
    common::write(d, "conf/k.yaml", "imageArchives: [../good.tar]\n");
    let run = common::kube_rofs_stdin(d, &["fix", "--config", "conf/k.yaml", "-"], &pod("a/b:1"));
    assert_eq!((run.code, mounts(&run.stdout).last().map(String::as_str)), (0, Some("/x")), "{run}");
    common::write(d, "conf/k.yaml", "threshold: 0.5\nimageArchives: [nowhere.tar]\n");
    let run = common::kube_rofs(d, &["check", "--config", "conf/k.yaml", "app.yaml"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("conf/k.yaml:2:1: error: imageArchives: nowhere.tar: "), "{run}");
}

#[test]
fn the_effective_configuration_shows_both_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    image::docker_archive(&d.join("a.tar"), &["a/b:1"], &["/x"], false);
    common::write(d, ".kube-rofs.yaml", "imageArchives: [a.tar]\nresolveImages: true\n");
    let run = common::kube_rofs(d, &["config", "--image-archive", "b.tar"]);
    assert_eq!(run.code, 0, "{run}");
    let want = format!("imageArchives:\n- {}\n- b.tar\nresolveImages: true\n", d.join("a.tar").display());
    assert!(run.stdout.contains(&want), "{run}");
    let run = common::kube_rofs(d, &["config", "--no-resolve-images"]);
    assert!(run.stdout.contains("resolveImages: false"), "{run}");
    let run = common::kube_rofs(d, &["config", "--no-config"]);
    assert!(run.stdout.contains("resolveImages: false") && !run.stdout.contains("imageArchives"), "{run}");
}

/// The pre-commit hooks run on every commit, offline and fast: none of them resolves images
/// (a repository that sets `resolveImages: true` opts its own hooks in).
#[test]
fn the_pre_commit_hooks_never_resolve_images() {
    let hooks: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap()).unwrap();
    let hooks = hooks.as_sequence().unwrap();
    assert!(hooks.len() >= 2);
    for hook in hooks {
        let text = serde_yaml::to_string(hook).unwrap();
        assert!(!text.contains("resolve-images"), "{text}");
    }
}
