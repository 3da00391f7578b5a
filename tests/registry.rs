//! `--resolve-images` against the real CNCF distribution registry (Debian's `docker-registry`),
//! which each test starts on a free loopback port with storage of its own, and images the test
//! writes (`support/image.rs`) pushed with skopeo; then the kube-rofs binary, run as users run it.
//!
//! Covered: anonymous, htpasswd (Basic) and token (Bearer, `support/token_server.py`)
//! registries; the credentials of the Docker configuration (`auths`, `credHelpers`, a failing
//! `credsStore` helper); the disk cache, with the registry stopped; a multi-platform index; a
//! closed port and a registry that never answers. Failures are notes: the run goes on and its
//! exit code is what it would be without `--resolve-images`. And archives written by skopeo and
//! umoci, read with `--image-archive`.
//!
//! Needs docker-registry, skopeo, umoci, htpasswd (apache2-utils), openssl and python3, which
//! `.ci/run` installs: a missing one fails the test that needs it, saying so (never skipped).

mod common;
#[path = "support/image.rs"]
mod image;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Run;
use image::REF_NAME;

const USER: &str = "testuser";
const PASSWORD: &str = "testpass";
const FALLBACK: &str = "only profile and default paths used";

/// Fail, naming what installs it, when `tool` is not on PATH.
fn require(tool: &str) {
    let found = std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()));
    assert!(
        found,
        "`{tool}` is not installed. .ci/run installs what these tests need (apt-get install docker-registry \
         skopeo umoci apache2-utils openssl); they are never skipped"
    );
}

/// A tool's run that must succeed; its standard output.
fn must(cmd: &mut Command) -> String {
    let out = cmd.env("NO_PROXY", "127.0.0.1,localhost").output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether an HTTP server answers at `addr` (any status).
fn answers(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr.parse::<SocketAddr>().unwrap(), Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = String::new();
    s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: test\r\n\r\n").is_ok()
        && s.read_to_string(&mut reply).is_ok()
        && reply.starts_with("HTTP/1.")
}

/// A child process killed (by its own id) when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

enum Auth {
    Anonymous,
    /// htpasswd with USER:PASSWORD (bcrypt: distribution accepts no other hash).
    Basic,
    /// Bearer tokens from the token server at this realm, signed with the key of this certificate.
    Token {
        realm: String,
        cert: PathBuf,
    },
}

/// A `docker-registry serve` of our own: loopback, a free port, temporary storage.
struct Registry {
    process: Option<Process>,
    addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start(auth: &Auth) -> Registry {
        require("docker-registry");
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let d = dir.path();
            let addr = format!("127.0.0.1:{}", free_port());
            let auth = match auth {
                Auth::Anonymous => String::new(),
                Auth::Basic => {
                    require("htpasswd");
                    let file = d.join("htpasswd");
                    must(Command::new("htpasswd").arg("-Bbc").arg(&file).args([USER, PASSWORD]));
                    format!("auth:\n  htpasswd:\n    realm: kube-rofs-test\n    path: {}\n", file.display())
                }
                Auth::Token { realm, cert } => format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: kube-rofs-test\n    issuer: kube-rofs-test-issuer\n    \
                     rootcertbundle: {}\n",
                    cert.display()
                ),
            };
            // level info: one "response completed" line per request, which the tests count.
            let config = format!(
                "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    \
                 rootdirectory: {}\nhttp:\n  addr: {addr}\n  secret: kube-rofs-test-secret\n{auth}",
                d.join("storage").display()
            );
            std::fs::write(d.join("config.yml"), config).unwrap();
            let log = d.join("registry.log");
            let file = std::fs::File::create(&log).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(d.join("config.yml"))
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .expect("starting docker-registry");
            let mut process = Process(child);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) && process.0.try_wait().unwrap().is_none() {
                if answers(&addr) {
                    return Registry { process: Some(process), addr, log, _dir: dir };
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            // The port was taken meanwhile, or it did not start: another port.
            let _ = std::fs::read_to_string(&log).map(|e| eprintln!("registry did not start: {e}"));
        }
        panic!("docker-registry did not start on any of 5 ports");
    }

    /// The requests kube-rofs made so far, as `METHOD URI STATUS`.
    fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap();
        let field = |line: &str, key: &str| -> String {
            let rest = line.split(&format!(" {key}=")).nth(1).unwrap_or("");
            match rest.strip_prefix('"') {
                Some(q) => q.split('"').next().unwrap_or("").to_owned(),
                None => rest.split(' ').next().unwrap_or("").to_owned(),
            }
        };
        log.lines()
            .filter(|l| {
                l.contains("msg=\"response completed") && field(l, "http.request.useragent").starts_with("kube-rofs/")
            })
            .map(|l| {
                format!(
                    "{} {} {}",
                    field(l, "http.request.method"),
                    field(l, "http.request.uri"),
                    field(l, "http.response.status")
                )
            })
            .collect()
    }

    fn stop(&mut self) {
        self.process = None;
        assert!(!answers(&self.addr), "the registry still answers");
    }

    /// Push the image tagged `tag` in the layout `dir` as `repository:tag`, digests kept.
    fn push(&self, dir: &Path, tag: &str, repository: &str, creds: bool, all: bool) {
        require("skopeo");
        let mut cmd = Command::new("skopeo");
        cmd.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false", "--preserve-digests"]);
        if all {
            cmd.arg("--all");
        }
        if creds {
            cmd.args(["--dest-creds", &format!("{USER}:{PASSWORD}")]);
        }
        cmd.arg(format!("oci:{}:{tag}", dir.display())).arg(format!("docker://{}/{repository}:{tag}", self.addr));
        must(&mut cmd);
    }
}

/// Where a test's kube-rofs runs keep their state: a cache per name, a Docker configuration.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        Work { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write the Docker configuration kube-rofs reads (`$DOCKER_CONFIG/config.json`).
    fn docker_config(&self, json: &str) {
        common::write(self.path(), "docker/config.json", json);
    }

    /// `kube-rofs ARGS...` with `input` on standard input, the cache `cache`, this work's Docker
    /// configuration and its `bin/` first on PATH, no proxy; with how long it took.
    fn kube_rofs(&self, args: &[&str], input: &str, cache: &str, env: &[(&str, &str)]) -> (Run, Duration) {
        let mut cmd = common::command(self.path(), args);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(std::iter::once(self.path().join("bin")).chain(std::env::split_paths(&path)));
        for var in
            ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "XDG_CACHE_HOME"]
        {
            cmd.env_remove(var);
        }
        cmd.env("NO_PROXY", "127.0.0.1,localhost")
            .env("KUBE_ROFS_CACHE_DIR", self.path().join("cache").join(cache))
            .env("DOCKER_CONFIG", self.path().join("docker"))
            .env("HOME", self.path())
            .env("PATH", path.unwrap())
            .env_remove("KUBE_ROFS_REGISTRY_TIMEOUT")
            .envs(env.iter().copied());
        let start = Instant::now();
        let run = common::finish(cmd, Some(input.as_bytes()));
        (run, start.elapsed())
    }

    /// `kube-rofs fix --resolve-images -` on `yaml`: the mount paths of each container, the run.
    fn fix(&self, yaml: &str, cache: &str) -> (BTreeMap<String, Vec<String>>, Run) {
        let (run, _) = self.kube_rofs(&["fix", "--no-config", "--resolve-images", "-"], yaml, cache, &[]);
        assert_eq!(run.code, 0, "{run}");
        (mounts(&run.stdout), run)
    }
}

/// A Deployment with one container per `(name, image)`.
fn deployment(containers: &[(&str, &str)]) -> String {
    let mut yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n".to_owned();
    for (name, image) in containers {
        yaml.push_str(&format!("      - name: {name}\n        image: {image}\n"));
    }
    yaml
}

/// Container name -> its mount paths, in a fixed Deployment.
fn mounts(yaml: &str) -> BTreeMap<String, Vec<String>> {
    let doc: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}: {yaml}"));
    let containers = doc["spec"]["template"]["spec"]["containers"].as_sequence().unwrap();
    containers
        .iter()
        .map(|c| {
            let paths = c["volumeMounts"].as_sequence().into_iter().flatten();
            let paths = paths.map(|m| m["mountPath"].as_str().unwrap().to_owned()).collect();
            (c["name"].as_str().unwrap().to_owned(), paths)
        })
        .collect()
}

fn paths(extra: &[&str]) -> Vec<String> {
    ["/tmp", "/var/log/app"].iter().chain(extra).map(|s| s.to_string()).collect()
}

const VOLUMES: [&str; 2] = ["/data", "/var/cache/app"];

#[test]
fn anonymous_registry_then_the_cache_with_the_registry_stopped() {
    let mut registry = Registry::start(&Auth::Anonymous);
    let work = Work::new();
    let layout = work.path().join("layout");
    let image = image::oci_layout(&layout, &[(REF_NAME, "1.0")], &VOLUMES);
    registry.push(&layout, "1.0", "test/app", false, false);
    let tagged = format!("{}/test/app:1.0", registry.addr);
    let pinned = format!("{}/test/app@{}", registry.addr, image.manifest.digest);
    let missing = format!("{}/test/app:nope", registry.addr);

    // 1. Fetched: both references get the image's Volumes; a missing tag is a note.
    let (got, run) = work.fix(&deployment(&[("tagged", &tagged), ("pinned", &pinned), ("missing", &missing)]), "c");
    assert_eq!(got["tagged"], paths(&VOLUMES), "{run}");
    assert_eq!(got["pinned"], paths(&VOLUMES), "{run}");
    assert_eq!(got["missing"], paths(&[]), "{run}");
    assert!(run.stderr.contains(&format!("note: image {missing}: not found (manifest unknown); {FALLBACK}")), "{run}");
    let requests = registry.requests();
    assert!(requests.iter().any(|r| r.starts_with(&format!("GET /v2/test/app/blobs/{} 200", image.config.digest))));
    assert!(!requests.iter().any(|r| r.contains(&image.layer.digest)), "a layer was requested: {requests:?}");

    // 2. Again, registry up: the digest asks nothing, the tag one HEAD (and the /v2/ probe).
    let two = deployment(&[("tagged", &tagged), ("pinned", &pinned)]);
    let before = registry.requests().len();
    let (got, run) = work.fix(&two, "c");
    assert_eq!((&got["tagged"], &got["pinned"]), (&paths(&VOLUMES), &paths(&VOLUMES)), "{run}");
    assert_eq!(run.stderr.matches("note:").count(), 0, "{run}");
    let second: Vec<String> = registry.requests()[before..].to_vec();
    let heads: Vec<&String> = second.iter().filter(|r| !r.starts_with("GET /v2/ ")).collect();
    assert_eq!(heads, ["HEAD /v2/test/app/manifests/1.0 200"], "second run's requests: {second:?}");

    // 3. Registry stopped: the digest from the cache, silently; the tag from the digest it had
    // last time, with a note.
    registry.stop();
    let (got, run) = work.fix(&two, "c");
    assert_eq!((&got["tagged"], &got["pinned"]), (&paths(&VOLUMES), &paths(&VOLUMES)), "{run}");
    let note = format!(
        "note: image {tagged}: registry unreachable (Connection refused (os error 111)); used the cached config of {}, \
         what the tag named when last resolved",
        image.manifest.digest
    );
    assert!(run.stderr.contains(&note), "{run}");
    assert_eq!(run.stderr.matches("note:").count(), 1, "{run}");

    // 4. Registry stopped, nothing cached: notes, the defaults, exit 0, at once.
    let start = Instant::now();
    let (got, run) = work.fix(&two, "empty");
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
    assert_eq!((&got["tagged"], &got["pinned"]), (&paths(&[]), &paths(&[])), "{run}");
    for image in [&tagged, &pinned] {
        let note = format!("note: image {image}: registry unreachable (Connection refused (os error 111)); {FALLBACK}");
        assert!(run.stderr.contains(&note), "{run}");
    }
}

#[test]
fn a_multi_platform_tag_resolves_to_linux_amd64_else_the_first() {
    let registry = Registry::start(&Auth::Anonymous);
    let work = Work::new();
    let both = work.path().join("both");
    let index = image::oci_multi_platform(
        &both,
        &[(REF_NAME, "2.0")],
        &[("linux/arm64", &["/arm"]), ("linux/amd64", &["/amd"])],
    );
    registry.push(&both, "2.0", "test/multi", false, true);
    let arm = work.path().join("arm");
    image::oci_multi_platform(&arm, &[(REF_NAME, "3.0")], &[("linux/arm64", &["/arm"]), ("linux/s390x", &["/s390x"])]);
    registry.push(&arm, "3.0", "test/multi", false, true);
    let (two, three) = (format!("{}/test/multi:2.0", registry.addr), format!("{}/test/multi:3.0", registry.addr));
    let pinned = format!("{}/test/multi@{}", registry.addr, index.digest);
    let yaml = deployment(&[("two", &two), ("three", &three), ("pinned", &pinned)]);
    let (got, run) = work.fix(&yaml, "c");
    assert_eq!((&got["two"], &got["three"], &got["pinned"]), (&paths(&["/amd"]), &paths(&["/arm"]), &paths(&["/amd"])));
    assert!(
        run.stderr.contains(&format!(
            "note: image {three}: no linux/amd64 manifest in its index; used the first, linux/arm64"
        ))
    );
    // The index digest the tag's HEAD returns is cached: the second run fetches nothing.
    let before = registry.requests().len();
    let (got, _) = work.fix(&yaml, "c");
    assert_eq!(got["two"], paths(&["/amd"]));
    let second = registry.requests()[before..].to_vec();
    assert!(second.iter().all(|r| r.starts_with("GET /v2/ ") || r.starts_with("HEAD ")), "{second:?}");
}

#[test]
fn basic_auth_with_the_docker_configuration_and_refusals_as_notes() {
    let registry = Registry::start(&Auth::Basic);
    let work = Work::new();
    let layout = work.path().join("layout");
    image::oci_layout(&layout, &[(REF_NAME, "1.0")], &VOLUMES);
    registry.push(&layout, "1.0", "test/app", true, false);
    let tagged = format!("{}/test/app:1.0", registry.addr);
    let yaml = deployment(&[("app", &tagged)]);
    let auth = |user: &str, password: &str| {
        let b64 = base64(&format!("{user}:{password}"));
        format!(r#"{{"auths": {{"{}": {{"auth": "{b64}"}}}}}}"#, registry.addr)
    };

    // No credentials: denied, a note, the defaults; the exit code is what it is without resolving.
    let (got, run) = work.fix(&yaml, "anonymous");
    assert_eq!(got["app"], paths(&[]));
    assert!(
        run.stderr.contains(&format!("note: image {tagged}: access denied (anonymous: not authorized); {FALLBACK}")),
        "{run}"
    );
    common::write(work.path(), "app.yaml", &yaml);
    let check = |resolve: bool| {
        let args: &[&str] = if resolve { &["check", "--resolve-images", "app.yaml"] } else { &["check", "app.yaml"] };
        work.kube_rofs(args, "", "check", &[]).0
    };
    let (with, without) = (check(true), check(false));
    assert_eq!((with.code, without.code), (1, 1), "{with}\n{without}");
    assert_eq!(with.stdout, without.stdout);

    // The right credentials.
    work.docker_config(&auth(USER, PASSWORD));
    let (got, run) = work.fix(&yaml, "right");
    assert_eq!(got["app"], paths(&VOLUMES), "{run}");
    assert!(!run.stderr.contains("note:"), "{run}");

    // Wrong ones.
    work.docker_config(&auth(USER, "wrong"));
    let (got, run) = work.fix(&yaml, "wrong");
    assert_eq!(got["app"], paths(&[]));
    let note = format!(
        "note: image {tagged}: access denied (with the credentials of the Docker configuration: not authorized); {FALLBACK}"
    );
    assert!(run.stderr.contains(&note), "{run}");

    // A credential helper: one that fails is anonymous, one that answers is used.
    let helper = |name: &str, script: &str| {
        // Written by another process: a file this one had open for writing could still be held
        // by a child another test thread is forking, and exec would fail with ETXTBSY.
        let source = work.path().join(format!("{name}.sh"));
        std::fs::write(&source, script).unwrap();
        std::fs::create_dir_all(work.path().join("bin")).unwrap();
        must(
            Command::new("install")
                .args(["-m", "755"])
                .arg(&source)
                .arg(work.path().join(format!("bin/docker-credential-{name}"))),
        );
    };
    helper("broken", "#!/bin/sh\nread server\necho 'credentials not found in native keychain'\nexit 1\n");
    helper(
        "works",
        &format!(
            "#!/bin/sh\nread server\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"
        ),
    );
    work.docker_config(r#"{"credsStore": "broken"}"#);
    let (got, run) = work.fix(&yaml, "broken");
    assert_eq!(got["app"], paths(&[]));
    let note = format!(
        "note: registry {}: docker-credential-broken failed (credentials not found in native keychain); asking anonymously",
        registry.addr
    );
    assert!(run.stderr.contains(&note), "{run}");
    assert!(run.stderr.contains("access denied (anonymous: not authorized)"), "{run}");
    work.docker_config(&format!(r#"{{"credsStore": "broken", "credHelpers": {{"{}": "works"}}}}"#, registry.addr));
    let (got, run) = work.fix(&yaml, "helper");
    assert_eq!(got["app"], paths(&VOLUMES), "{run}");
}

#[test]
fn token_auth_right_wrong_and_no_credentials() {
    require("openssl");
    require("python3");
    let work = Work::new();
    let certs = work.path().join("token");
    std::fs::create_dir_all(&certs).unwrap();
    must(
        Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=kube-rofs-test-issuer"])
            .arg("-keyout")
            .arg(certs.join("key.pem"))
            .arg("-out")
            .arg(certs.join("cert.pem")),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/token_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(&certs)
        .arg("600")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting the token server");
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut port).unwrap();
    let _server = Process(child);
    let realm = format!("http://127.0.0.1:{}/token", port.trim());
    let registry = Registry::start(&Auth::Token { realm, cert: certs.join("cert.pem") });
    let layout = work.path().join("layout");
    image::oci_layout(&layout, &[(REF_NAME, "1.0")], &VOLUMES);
    registry.push(&layout, "1.0", "test/app", true, false);
    let tagged = format!("{}/test/app:1.0", registry.addr);
    let yaml = deployment(&[("app", &tagged)]);
    let auth = |password: &str| {
        format!(r#"{{"auths": {{"{}": {{"auth": "{}"}}}}}}"#, registry.addr, base64(&format!("{USER}:{password}")))
    };

    work.docker_config(&auth(PASSWORD));
    let (got, run) = work.fix(&yaml, "right");
    assert_eq!(got["app"], paths(&VOLUMES), "{run}");
    assert!(!run.stderr.contains("note:"), "{run}");

    // The token server's own answer reaches the note.
    work.docker_config(&auth("wrong"));
    let (got, run) = work.fix(&yaml, "wrong");
    assert_eq!(got["app"], paths(&[]));
    let note = format!(
        "note: image {tagged}: access denied (with the credentials of the Docker configuration: {{\"details\": \"invalid credentials\"}}); {FALLBACK}"
    );
    assert!(run.stderr.contains(&note), "{run}");

    // Anonymous: a token that grants nothing.
    work.docker_config("{}");
    let (got, run) = work.fix(&yaml, "anonymous");
    assert_eq!(got["app"], paths(&[]));
    assert!(
        run.stderr.contains(&format!("note: image {tagged}: access denied (anonymous: not authorized); {FALLBACK}")),
        "{run}"
    );
}

#[test]
fn an_unreachable_registry_is_a_note_and_the_run_completes_at_once() {
    let work = Work::new();
    let closed = format!("127.0.0.1:{}", free_port());
    let images: Vec<String> = ["a:1", "b:2", "c:3"].iter().map(|i| format!("{closed}/test/{i}")).collect();
    let yaml = deployment(&[("a", &images[0]), ("b", &images[1]), ("c", &images[2])]);
    common::write(work.path(), "app.yaml", &yaml);
    let (run, took) = work.kube_rofs(&["check", "--resolve-images", "app.yaml"], "", "c", &[]);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(run.code, 1, "{run}");
    for image in &images {
        let note = format!("note: image {image}: registry unreachable (Connection refused (os error 111)); {FALLBACK}");
        assert!(run.stderr.contains(&note), "{run}");
    }
    let (without, _) = work.kube_rofs(&["check", "app.yaml"], "", "c", &[]);
    assert_eq!((run.code, &run.stdout), (without.code, &without.stdout));
    let (got, _) = work.fix(&yaml, "c");
    assert!(got.values().all(|p| *p == paths(&[])));
}

#[test]
fn a_registry_that_never_answers_is_cut_off_at_the_deadline() {
    let work = Work::new();
    // Listening, never accepting: connections are made, requests go unanswered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let images = [format!("{addr}/test/a:1"), format!("{addr}/test/b:1")];
    let yaml = deployment(&[("a", &images[0]), ("b", &images[1])]);
    let args = ["fix", "--no-config", "--resolve-images", "-"];
    let (run, took) = work.kube_rofs(&args, &yaml, "c", &[("KUBE_ROFS_REGISTRY_TIMEOUT", "1")]);
    assert_eq!(run.code, 0, "{run}");
    // One deadline for the first image; the second is not tried again.
    assert!(took < Duration::from_secs(4), "took {took:?}: {run}");
    assert!(mounts(&run.stdout).values().all(|p| *p == paths(&[])), "{run}");
    for image in &images {
        assert!(run.stderr.contains(&format!("note: image {image}: registry did not answer")), "{run}");
    }
    let (run, _) = work.kube_rofs(&args, &yaml, "c", &[("KUBE_ROFS_REGISTRY_TIMEOUT", "soon")]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("KUBE_ROFS_REGISTRY_TIMEOUT must be a number of seconds"), "{run}");
    drop(silent);
}

/// Archives other tools write: umoci's layout (a tag alone as its name), skopeo's `docker save`
/// tarball (RepoTags fully qualified) and OCI archive (a whole reference as ref name).
#[test]
fn archives_written_by_umoci_and_skopeo_are_read() {
    require("umoci");
    require("skopeo");
    let work = Work::new();
    let layout = work.path().join("umoci");
    let image = format!("{}:latest", layout.display());
    must(Command::new("umoci").args(["init", "--layout"]).arg(&layout));
    must(Command::new("umoci").args(["new", "--image", &image]));
    must(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--config.volume",
        "/data",
        "--config.volume",
        "/var/cache/app",
    ]));
    must(Command::new("umoci").args(["tag", "--image", &image, "1.0"]));
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let skopeo = |dest: String| {
        let from = format!("oci:{}:1.0", layout.display());
        must(Command::new("skopeo").args(["--insecure-policy", "copy", "-q", &from, &dest]));
    };
    let tar = work.path().join("app.tar");
    skopeo(format!("docker-archive:{}:test/app:1.0", tar.display()));
    let oci_tar = work.path().join("app-oci.tar");
    skopeo(format!("oci-archive:{}:test/app:1.0", oci_tar.display()));

    let fix = |archive: &Path, image: &str| {
        let args = ["fix", "--no-config", "--image-archive", archive.to_str().unwrap(), "-"];
        let (run, _) = work.kube_rofs(&args, &deployment(&[("app", image)]), "c", &[]);
        assert_eq!(run.code, 0, "{run}");
        (mounts(&run.stdout).remove("app").unwrap(), run.stderr)
    };
    let (got, err) = fix(&layout, "test/app:1.0");
    assert_eq!(got, paths(&[]));
    assert!(err.contains(&format!("image {digest} names no repository")), "{err}");
    assert_eq!(fix(&layout, &format!("test/app@{digest}")).0, paths(&VOLUMES));
    for archive in [&tar, &oci_tar] {
        let (got, err) = fix(archive, "test/app:1.0");
        assert_eq!(got, paths(&VOLUMES), "{}: {err}", archive.display());
        assert_eq!(fix(archive, "docker.io/test/app:1.1").0, paths(&[]));
    }
}

/// Standard base64, for Docker configurations' `auth`.
fn base64(text: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ABC[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}
