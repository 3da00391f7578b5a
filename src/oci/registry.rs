//! Image configs from registries, over the distribution API (oci-client): a manifest and the
//! config blob it names, never a layer; anonymous, or with the credentials of the user's Docker
//! configuration; bounded in time; kept in the disk cache by digest.
//!
//! Requests for one image (an uncached tag): `GET /v2/` (where oci-client learns how the
//! registry authenticates; repeated before requests when the registry asks for none), a token
//! request when the registry wants one, `HEAD` of the tag's manifest (its digest, to look it up
//! in the cache), `GET` of the manifest by that digest (and of the linux/amd64 manifest when it
//! is an index), `GET` of the config blob. Cached: a digest reference makes no request, a tag
//! only the `/v2/` probe and the `HEAD`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::ImageIndexEntry;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

use super::cache::Cache;
use super::platform;
use crate::k8s::image::{DOCKER_HUB, ImageRef};

/// The default bound on resolving one image (all its requests together).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(10);
/// Bound on one TCP (and TLS) connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A config, and how it was had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub config: Vec<u8>,
    /// The digest the reference resolved to (an index's for a multi-platform tag).
    pub digest: String,
    pub how: How,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// From the registry.
    Fetched,
    /// From the cache: no request (a digest), or one manifest `HEAD` (a tag).
    Cached,
    /// From the cache, for the digest the tag pointed at when last resolved: the registry
    /// could not be asked (why).
    Stale(Failure),
}

/// Why a registry could not tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Connection refused, no such host, TLS failure: the innermost reason.
    Unreachable(String),
    /// No answer in time: `within 10 s` (the deadline), `(operation timed out)` (a request's).
    Timeout(String),
    /// Authentication failed or access denied.
    Denied(String),
    /// No such repository, tag or manifest (or no platform of an index is an image).
    NotFound(String),
    /// Anything else the registry or the client said.
    Other(String),
}

impl Failure {
    /// Whether the registry could not be reached at all: not tried again this run, and a tag
    /// may fall back to the digest it last had.
    pub fn is_transport(&self) -> bool {
        matches!(self, Failure::Unreachable(_) | Failure::Timeout(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(why) => write!(f, "registry unreachable ({why})"),
            Failure::Timeout(why) => write!(f, "registry did not answer {why}"),
            Failure::Denied(why) => write!(f, "access denied ({why})"),
            Failure::NotFound(why) => write!(f, "not found ({why})"),
            Failure::Other(why) => write!(f, "registry error ({why})"),
        }
    }
}

/// Credentials for one registry, and in words where they come from.
#[derive(Clone)]
struct Credentials {
    auth: RegistryAuth,
    said: &'static str,
}

/// A client of every registry images name, for one run.
#[derive(Debug)]
pub struct Registry {
    cache: Option<Cache>,
    deadline: Duration,
    /// Per registry: the credentials found (a credential helper runs once per registry).
    credentials: Mutex<HashMap<String, Credentials>>,
    /// Registries that could not be reached this run: not tried again.
    down: Mutex<HashMap<String, Failure>>,
    /// Said once each: a credential helper that failed, a cache that cannot be written.
    notes: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.said) // never the secret
    }
}

impl Registry {
    pub fn new(cache: Option<Cache>, deadline: Duration) -> Registry {
        Registry {
            cache,
            deadline,
            credentials: Mutex::new(HashMap::new()),
            down: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Notes gathered so far, taken.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.notes))
    }

    fn note(&self, note: String) {
        let mut notes = lock(&self.notes);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// The config of `image` (for an index, of the platform `platform::pick` picks), with
    /// what a platform choice away from linux/amd64 needs saying.
    pub fn fetch(&self, image: &ImageRef) -> (Result<Fetched, Failure>, Option<String>) {
        // A digest names its content forever: a cached one needs no request at all.
        if let (Some(d), Some(cache)) = (&image.digest, &self.cache)
            && let Some(config) = cache.config(d)
        {
            return (Ok(Fetched { config, digest: d.clone(), how: How::Cached }), None);
        }
        let known_down = lock(&self.down).get(&image.registry).cloned();
        let (result, picked) = match known_down {
            Some(failure) => (Err(failure), None),
            None => self.ask(image),
        };
        let result = match result {
            Err(failure) if failure.is_transport() => {
                lock(&self.down).entry(image.registry.clone()).or_insert_with(|| failure.clone());
                self.stale(image, &failure).ok_or(failure)
            }
            other => other,
        };
        (result, picked)
    }

    /// For a tag whose registry cannot be reached: the config of the digest it pointed at when
    /// last resolved.
    fn stale(&self, image: &ImageRef, failure: &Failure) -> Option<Fetched> {
        let (cache, tag) = (self.cache.as_ref()?, image.tag.as_deref().filter(|_| image.digest.is_none())?);
        let digest = cache.tag(&format!("{}:{tag}", image.full_name()))?;
        let config = cache.config(&digest)?;
        Some(Fetched { config, digest, how: How::Stale(failure.clone()) })
    }

    /// Ask the registry, within the deadline.
    fn ask(&self, image: &ImageRef) -> (Result<Fetched, Failure>, Option<String>) {
        static PROVIDER: Once = Once::new();
        PROVIDER.call_once(|| {
            // Fails only when a provider is installed already, which then serves as well.
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let credentials = self.credentials(&image.registry);
        let reference = match (&image.digest, &image.tag) {
            (Some(d), _) => Reference::with_digest(image.registry.clone(), image.repository.clone(), d.clone()),
            (None, tag) => Reference::with_tag(
                image.registry.clone(),
                image.repository.clone(),
                tag.clone().unwrap_or_else(|| "latest".into()),
            ),
        };
        let picked: Arc<Mutex<Option<(String, bool)>>> = Arc::default();
        let seen = Arc::clone(&picked);
        let resolver = move |entries: &[ImageIndexEntry]| {
            let platforms: Vec<Option<String>> =
                entries.iter().map(|e| e.platform.as_ref().map(|p| format!("{}/{}", p.os, p.architecture))).collect();
            let (i, preferred) = platform::pick(&platforms)?;
            *lock(&seen) = Some((platforms[i].clone().unwrap_or_default(), preferred));
            Some(entries[i].digest.clone())
        };
        let registry = reference.resolve_registry().to_owned();
        let config = ClientConfig {
            // Plain HTTP only to this machine (a registry on localhost is how kind and
            // minikube users push images); TLS everywhere else.
            protocol: match loopback(&registry) {
                true => ClientProtocol::HttpsExcept(vec![registry.clone()]),
                false => ClientProtocol::Https,
            },
            connect_timeout: Some(CONNECT_TIMEOUT.min(self.deadline)),
            read_timeout: Some(self.deadline),
            platform_resolver: Some(Box::new(resolver)),
            user_agent: concat!("kube-rofs/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let client = match Client::try_from(config) {
            Ok(c) => c,
            Err(e) => return (Err(Failure::Other(innermost(&e))), None),
        };
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(r) => r,
            Err(e) => return (Err(Failure::Other(format!("cannot start the network runtime: {e}"))), None),
        };
        let work = pull(&client, &reference, &credentials.auth, self.cache.as_ref());
        let result = runtime.block_on(async { tokio::time::timeout(self.deadline, work).await });
        let pulled = match result {
            Err(_) => return (Err(Failure::Timeout(format!("within {} s", self.deadline.as_secs_f64()))), None),
            Ok(Err(e)) => return (Err(failure(&e, credentials.said)), None),
            Ok(Ok(p)) => p,
        };
        let picked = lock(&picked).take().filter(|(_, preferred)| !preferred).map(|(p, _)| p);
        if let (Some(cache), Some(config_digest)) = (&self.cache, &pulled.config_digest) {
            let mut digests = vec![pulled.digest.as_str()];
            digests.extend(pulled.list.as_deref());
            digests.extend(pulled.head.as_deref());
            let tag = image.tag.as_ref().filter(|_| image.digest.is_none());
            let tag_digest = pulled.head.as_ref().or(pulled.list.as_ref()).unwrap_or(&pulled.digest);
            let stored = cache.store(&digests, config_digest, &pulled.config).and_then(|()| match tag {
                Some(tag) => cache.store_tag(&format!("{}:{tag}", image.full_name()), tag_digest),
                None => Ok(()),
            });
            if let Err(e) = stored {
                self.note(format!(
                    "note: image cache {}: cannot write ({e}); images are fetched again next run",
                    cache.root().display()
                ));
            }
        }
        let how = if pulled.config_digest.is_some() { How::Fetched } else { How::Cached };
        let digest = pulled.head.or(pulled.list).unwrap_or(pulled.digest);
        (Ok(Fetched { config: pulled.config, digest, how }), picked)
    }

    /// The credentials for `registry` from the user's Docker configuration, looked up once.
    fn credentials(&self, registry: &str) -> Credentials {
        if let Some(c) = lock(&self.credentials).get(registry) {
            return c.clone();
        }
        let anonymous = Credentials { auth: RegistryAuth::Anonymous, said: "anonymous" };
        // Docker's name for Docker Hub in config.json and to credential helpers.
        let server = match registry {
            DOCKER_HUB => "https://index.docker.io/v1/",
            other => other,
        };
        use docker_credential::{CredentialRetrievalError as E, DockerCredential as C};
        let found = match docker_credential::get_credential(server) {
            Ok(C::UsernamePassword(user, password)) => Credentials {
                auth: RegistryAuth::Basic(user, password),
                said: "with the credentials of the Docker configuration",
            },
            Ok(C::IdentityToken(_)) => {
                self.note(format!(
                    "note: registry {registry}: the Docker configuration holds an identity token, which kube-rofs cannot use; asking anonymously"
                ));
                anonymous
            }
            Err(E::NoCredentialConfigured | E::ConfigNotFound) => anonymous,
            Err(E::ConfigReadError) => {
                if docker_config_exists() {
                    self.note(
                        "note: the Docker configuration (config.json) cannot be read; registries are asked anonymously"
                            .into(),
                    );
                }
                anonymous
            }
            Err(E::HelperFailure { helper, stdout, stderr }) => {
                let said = format!("{} {}", stdout.trim(), stderr.trim());
                self.note(format!(
                    "note: registry {registry}: {helper} failed ({}); asking anonymously",
                    first_line(said.trim())
                ));
                anonymous
            }
            Err(e) => {
                self.note(format!("note: registry {registry}: credentials: {e}; asking anonymously"));
                anonymous
            }
        };
        lock(&self.credentials).insert(registry.to_owned(), found.clone());
        found
    }
}

/// What one resolution brought.
struct Pulled {
    config: Vec<u8>,
    /// The config's digest; None when it came from the cache.
    config_digest: Option<String>,
    /// The image manifest's digest.
    digest: String,
    /// The index's digest, when the reference named one.
    list: Option<String>,
    /// What the tag's `HEAD` said.
    head: Option<String>,
}

async fn pull(
    client: &Client,
    reference: &Reference,
    auth: &RegistryAuth,
    cache: Option<&Cache>,
) -> Result<Pulled, OciDistributionError> {
    if !matches!(auth, RegistryAuth::Anonymous) {
        // Asked first so that a token server's refusal is seen; within the pulls below,
        // oci-client would swallow it and report only "not authorized".
        client.auth(reference, auth, RegistryOperation::Pull).await?;
    }
    let mut pinned = reference.clone();
    let mut head = None;
    if let (None, Some(cache)) = (reference.digest(), cache) {
        let digest = client.fetch_manifest_digest(reference, auth).await?;
        if let Some(config) = cache.config(&digest) {
            return Ok(Pulled { config, config_digest: None, digest: digest.clone(), list: None, head: Some(digest) });
        }
        // Pulled by the digest just seen, so that what is cached is what the tag named.
        pinned = reference.clone_with_digest(digest.clone());
        head = Some(digest);
    }
    let (manifest, digest, config, list) = client.pull_manifest_and_config_and_list_digest(&pinned, auth).await?;
    Ok(Pulled { config: config.into_bytes(), config_digest: Some(manifest.config.digest), digest, list, head })
}

/// A client error as a failure kind; `said`: the credentials used, in words.
fn failure(e: &OciDistributionError, said: &str) -> Failure {
    use OciDistributionError as E;
    let codes = |envelope: &oci_client::errors::OciEnvelope| -> (bool, bool, String) {
        let not_found = envelope.errors.iter().any(|e| {
            matches!(e.code, OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::BlobUnknown)
                || matches!(e.code, OciErrorCode::NotFound)
        });
        let denied =
            envelope.errors.iter().any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied));
        let messages: Vec<&str> = envelope.errors.iter().map(|e| e.message.as_str()).collect();
        (not_found, denied, messages.join("; "))
    };
    match e {
        E::RequestError(r) if r.is_timeout() => Failure::Timeout(format!("({})", innermost(e))),
        E::RequestError(r) if r.is_connect() => Failure::Unreachable(innermost(e)),
        E::UnauthorizedError { .. } => Failure::Denied(format!("{said}: not authorized")),
        E::AuthenticationFailure(body) => Failure::Denied(format!("{said}: {}", first_line(body.trim()))),
        E::RegistryError { envelope, .. } => match codes(envelope) {
            (true, _, m) => Failure::NotFound(m),
            (_, true, m) => Failure::Denied(format!("{said}: {m}")),
            (_, _, m) => Failure::Other(m),
        },
        E::ImageManifestNotFoundError(m) => Failure::NotFound(m.clone()),
        E::ServerError { code, message, .. } => Failure::Other(format!("HTTP {code}: {}", first_line(message))),
        _ => Failure::Other(innermost(e)),
    }
}

/// The innermost cause of an error: "Connection refused (os error 111)" rather than "error
/// sending request for url (...)".
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut e = e;
    while let Some(next) = e.source() {
        e = next;
    }
    first_line(&e.to_string())
}

/// One line of at most 200 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_owned(),
    }
}

/// Whether the registry `host[:port]` is this machine.
fn loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether a Docker configuration file exists where docker_credential looks.
fn docker_config_exists() -> bool {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".docker")));
    dir.is_some_and(|d| d.join("config.json").exists())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves data that is still whole.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        for yes in ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "localhost"] {
            assert!(loopback(yes), "{yes}");
        }
        for no in ["docker.io", "registry.example.com:5000", "10.0.0.1:5000", "localhost.example.com", "[fe80::1]:5000"]
        {
            assert!(!loopback(no), "{no}");
        }
    }

    #[test]
    fn a_cached_digest_needs_no_registry_at_all() {
        // The registry named does not exist; a request would fail (or hang until the deadline).
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Volumes":{"/data":{}}}}"#;
        let config_digest =
            format!("sha256:{}", super::super::archive::hex(&<sha2::Sha256 as sha2::Digest>::digest(config)));
        let manifest = format!("sha256:{}", "5".repeat(64));
        cache.store(&[&manifest], &config_digest, config).unwrap();
        let registry = Registry::new(Some(cache), Duration::from_millis(1));
        let image = ImageRef::parse(&format!("registry.invalid/test/app@{manifest}")).unwrap();
        let (fetched, picked) = registry.fetch(&image);
        assert_eq!(fetched, Ok(Fetched { config: config.to_vec(), digest: manifest, how: How::Cached }));
        assert_eq!(picked, None);
        assert!(registry.take_notes().is_empty());
    }

    #[test]
    fn errors_become_failures_that_say_why() {
        let e = OciDistributionError::UnauthorizedError { url: "http://x/v2/".into() };
        assert_eq!(failure(&e, "anonymous"), Failure::Denied("anonymous: not authorized".into()));
        let e = OciDistributionError::AuthenticationFailure("{\"details\": \"invalid credentials\"}\n".into());
        assert!(failure(&e, "with x").to_string().contains("invalid credentials"));
        assert_eq!(Failure::Timeout("within 10 s".into()).to_string(), "registry did not answer within 10 s");
        assert_eq!(first_line(&"x".repeat(300)).len(), 203);
    }
}
