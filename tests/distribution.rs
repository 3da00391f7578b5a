//! The ways kube-rofs is distributed agree with each other: the release workflow's assets, the
//! names `cargo binstall` (Cargo.toml) and the GitHub Action (action.yml) download, the container
//! image the Dockerfile builds and the `docker_image` pre-commit hooks run. None of these can run
//! here (no GitHub runner, no Docker engine); tests/action.rs runs the Action against the
//! release workflow's packaging scripts.

use std::path::Path;

use serde_yaml::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const IMAGE: &str = "ghcr.io/kube-rofs/kube-rofs";
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn read(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn yaml(name: &str) -> Value {
    serde_yaml::from_str(&read(name)).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"))
}

/// `key = "value"` in the `[section]` of Cargo.toml (a string value on one line).
fn cargo_toml(section: &str, key: &str) -> Option<String> {
    let text = read("Cargo.toml");
    let mut current = "";
    for line in text.lines() {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s;
        } else if current == section
            && let Some((k, v)) = line.split_once(" = ")
            && k == key
        {
            return Some(v.trim_matches('"').to_owned());
        }
    }
    None
}

/// cargo-binstall's `{ var }` templates.
fn render(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_owned(), |t, (k, v)| t.replace(&format!("{{ {k} }}"), v))
}

fn windows(target: &str) -> bool {
    target.contains("-windows-")
}

#[test]
fn the_release_builds_the_assets_that_binstall_and_the_action_download() {
    let release = yaml(".github/workflows/release.yml");
    let matrix: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("no matrix.include")
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(matrix, TARGETS, "release targets");

    // The Action maps each runner to one of these targets.
    let action = yaml("action.yml");
    let install = action["runs"]["steps"][0]["run"].as_str().unwrap();
    let mut mapped: Vec<&str> = install
        .lines()
        .filter_map(|l| l.trim().split_once(") target="))
        .map(|(_, t)| t.trim_end_matches(" ;;"))
        .collect();
    mapped.retain(|t| !t.starts_with('"'));
    assert_eq!(mapped, TARGETS, "targets in action.yml");
    for needle in [
        "base=\"$KUBE_ROFS_RELEASES/download/v$version\"",
        "name=\"kube-rofs-v$version-$target\"",
        "fetch --output \"$tmp/$name.$ext\" \"$base/$name.$ext\"",
        "mv -f \"$tmp/$name/kube-rofs$exe\"",
    ] {
        assert!(install.contains(needle), "action.yml's install step lacks {needle}");
    }
    let package = release["jobs"]["build"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Package")
        .and_then(|s| s["run"].as_str())
        .expect("no Package step");
    assert!(package.contains("name=\"kube-rofs-$GITHUB_REF_NAME-$TARGET\""), "asset name in release.yml");

    // cargo binstall: the same URL as the Action with its default releases-url, the same path
    // inside the archive.
    let repo = cargo_toml("package", "repository").expect("no repository");
    let releases = action["inputs"]["releases-url"]["default"].as_str().unwrap();
    assert_eq!(releases, format!("{repo}/releases"));
    let meta = "package.metadata.binstall";
    for target in TARGETS {
        let over = format!("{meta}.overrides.{target}");
        let get = |key| cargo_toml(&over, key).or_else(|| cargo_toml(meta, key)).unwrap_or_else(|| panic!("no {key}"));
        let (ext, fmt, exe) = if windows(target) { ("zip", "zip", ".exe") } else { ("tar.gz", "tgz", "") };
        let vars = [("repo", repo.as_str()), ("name", "kube-rofs"), ("version", VERSION), ("target", target)];
        let name = format!("kube-rofs-v{VERSION}-{target}");
        assert_eq!(render(&get("pkg-url"), &vars), format!("{releases}/download/v{VERSION}/{name}.{ext}"), "{target}");
        assert_eq!(get("pkg-fmt"), fmt, "{target}");
        let bin_dir = render(&get("bin-dir"), &[("bin", "kube-rofs"), ("binary-ext", exe)]);
        assert_eq!(render(&bin_dir, &vars), format!("{name}/kube-rofs{exe}"), "{target}");
    }
}

#[test]
fn the_release_runs_on_version_tags_with_actions_pinned_to_a_version() {
    let release = yaml(".github/workflows/release.yml");
    assert_eq!(release["on"]["push"]["tags"], serde_yaml::from_str::<Value>("[\"v*\"]").unwrap());
    assert_eq!(release["permissions"]["contents"], "read", "default permissions");
    assert_eq!(release["jobs"]["release"]["permissions"]["contents"], "write");
    assert_eq!(release["jobs"]["image"]["permissions"]["packages"], "write");
    for (job, spec) in release["jobs"].as_mapping().unwrap() {
        for step in spec["steps"].as_sequence().unwrap() {
            if let Some(uses) = step.get("uses").and_then(Value::as_str) {
                let (_, version) = uses.split_once('@').unwrap_or_else(|| panic!("{uses} has no version"));
                assert!(
                    version.strip_prefix('v').is_some_and(|v| v.split('.').all(|n| n.parse::<u32>().is_ok())),
                    "job {job:?}: {uses} is not pinned to a version"
                );
            } else {
                let run = step["run"].as_str().expect("a step with neither uses nor run");
                assert!(!run.contains("${{"), "job {job:?}: a run: uses an expression; map it in env: instead");
            }
        }
    }
}

#[test]
fn the_docker_hooks_mirror_the_rust_hooks_and_run_this_versions_image() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().unwrap();
    let by_id = |id: &str| hooks.iter().find(|h| h["id"] == id);
    let rust: Vec<&Value> = hooks.iter().filter(|h| h["language"] == "rust").collect();
    assert_eq!(rust.len(), 2);
    assert_eq!(hooks.len(), 2 * rust.len(), "a docker_image hook for each rust hook, nothing else");
    for hook in rust {
        let id = hook["id"].as_str().unwrap();
        let docker = by_id(&format!("{id}-docker")).unwrap_or_else(|| panic!("no {id}-docker hook"));
        assert_eq!(docker["language"], "docker_image");
        for key in ["description", "types", "files", "exclude", "require_serial"] {
            assert_eq!(docker[key], hook[key], "{id}-docker: {key}");
        }
        let subcommand = hook["entry"].as_str().unwrap().strip_prefix("kube-rofs ").unwrap();
        assert_eq!(docker["entry"].as_str().unwrap(), format!("{IMAGE}:{VERSION} {subcommand}"), "{id}-docker: entry");
    }
    let release = read(".github/workflows/release.yml");
    assert!(release.contains(&format!("image={IMAGE}\n")), "release.yml does not push {IMAGE}");
    assert!(release.contains("echo \"$image:${GITHUB_REF_NAME#v}\""), "release.yml does not tag the image X.Y.Z");
}

#[test]
fn the_dockerfile_builds_an_image_pre_commit_can_run() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> = dockerfile.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
    let last = lines.iter().rposition(|l| l.starts_with("FROM ")).unwrap();
    assert_eq!(lines[last], "FROM scratch", "the image is the binary alone");
    let image = &lines[last..];
    // pre-commit: `docker run ... -v "$PWD:/src:rw,Z" --workdir /src IMAGE fix FILES...`.
    for line in ["WORKDIR /src", "ENTRYPOINT [\"/kube-rofs\"]", "COPY --from=check /kube-rofs /kube-rofs"] {
        assert!(image.contains(&line), "the last stage lacks {line}");
    }
    assert!(!image.iter().any(|l| l.starts_with("USER ")), "a USER would keep pre-commit's `fix` from writing");

    // Everything the build copies is in the build context.
    let allowed = dockerignore_exceptions();
    for line in lines.iter().filter(|l| l.starts_with("COPY ") && !l.contains("--from=")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for src in &words[1..words.len() - 1] {
            assert!(allowed.iter().any(|a| a == src.trim_end_matches('/')), ".dockerignore keeps out {src}");
        }
    }
    // Cargo reads every target a manifest declares.
    assert_eq!(
        read("Cargo.toml").contains("[[bench]]"),
        dockerfile.contains("COPY benches ./benches"),
        "Cargo.toml declares a bench target: the build needs benches/ (and without one, does not)"
    );

    // Files compiled in (include_str!, include_bytes!) are copied: each top-level directory they
    // live in has its COPY line.
    let mut compiled_in = std::collections::BTreeSet::new();
    for e in walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let e = e.unwrap();
        let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
        for (at, _) in text.match_indices("include_str!(\"").chain(text.match_indices("include_bytes!(\"")) {
            let rel = text[at..].split('"').nth(1).unwrap();
            let target = e.path().parent().unwrap().join(rel);
            let target = target.canonicalize().unwrap_or_else(|err| panic!("{rel} from {}: {err}", e.path().display()));
            let top = target.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).canonicalize().unwrap()).unwrap();
            compiled_in.insert(top.components().next().unwrap().as_os_str().to_string_lossy().into_owned());
        }
    }
    assert!(compiled_in.contains("data"), "data/kinds.yaml is compiled in: {compiled_in:?}");
    for dir in compiled_in.iter().filter(|d| *d != "src") {
        assert!(
            dockerfile.contains(&format!("COPY {dir} ./{dir}")),
            "the build compiles in {dir}/ but does not copy it"
        );
    }
    // HTTPS to registries (--resolve-images) needs trusted roots in an image that has nothing else.
    assert!(
        image.iter().any(|l| l.starts_with("COPY --from=build /etc/ssl/certs/ca-certificates.crt ")),
        "the image has no CA bundle"
    );

    let arg = lines.iter().find_map(|l| l.strip_prefix("ARG RUST_VERSION=")).expect("no ARG RUST_VERSION");
    let floor = cargo_toml("package", "rust-version").expect("no rust-version");
    let version = |v: &str| v.split('.').map(|n| n.parse::<u32>().unwrap()).collect::<Vec<_>>();
    assert!(version(arg) >= version(&floor), "the image builds with Rust {arg}, below rust-version {floor}");
}

/// The paths .dockerignore lets into the build context: it leaves out everything (`*`), then
/// lets in (`!PATH`) what the build needs.
fn dockerignore_exceptions() -> Vec<String> {
    let text = read(".dockerignore");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(lines[0], "*", ".dockerignore starts by leaving everything out");
    lines[1..]
        .iter()
        .map(|l| l.strip_prefix('!').expect("only exceptions after *").trim_end_matches('/').to_owned())
        .collect()
}
