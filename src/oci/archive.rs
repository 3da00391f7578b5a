//! Image archives on disk: an OCI image layout (a directory, or a tar of one) and a `docker
//! save` tarball (`manifest.json`; Docker 25 and later write an OCI layout beside it). Read once
//! at the start of a run into the images they hold: names, digests and the config's `Volumes`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, OciLayout};
use serde::Deserialize;
use sha2::{Digest as _, Sha256, Sha512};

use super::platform;
use crate::k8s::image::ImageRef;

/// The largest metadata file read (index, manifest, config, manifest.json): real ones are a
/// few KiB, and a bound keeps a hostile archive from filling memory.
const MAX_JSON: u64 = 4 << 20;
/// The most metadata kept from one tarball.
const MAX_KEPT: u64 = 64 << 20;
/// Image indexes nested deeper than this are not followed.
const MAX_DEPTH: usize = 4;

/// The OCI annotation naming an index entry: a tag (`1.0`, as umoci and skopeo `oci:DIR:TAG`
/// write it) or a whole reference (`test/app:1.0`, skopeo's `oci-archive:`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's (and `docker save` 25+, nerdctl, `ctr export`): the whole reference.
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

const INDEX_TYPES: [&str; 2] =
    ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];
const MANIFEST_TYPES: [&str; 2] =
    ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"];

/// One image an archive holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    /// The references it goes by, each with a tag.
    pub names: Vec<ImageRef>,
    /// Digests that name it: its manifest's, and those of the indexes it was picked from.
    pub digests: Vec<String>,
    /// Its config's digest (the image ID).
    pub config: String,
    /// The config's `Volumes`, absolute and normalised, sorted.
    pub volumes: Vec<String>,
    /// The platform picked from an index (`linux/amd64`), when it came from one.
    pub platform: Option<String>,
}

impl Image {
    /// Whether a container running `r` runs this image: by digest when `r` is pinned to one (a
    /// manifest's or an index's; the tag is then ignored, as the runtime ignores it), else by
    /// full name and tag (`latest` when none).
    pub fn is(&self, r: &ImageRef) -> bool {
        match &r.digest {
            Some(d) => self.digests.contains(d),
            None => {
                let tag = r.tag.as_deref().unwrap_or("latest");
                self.names.iter().any(|n| n.full_name() == r.full_name() && n.tag.as_deref() == Some(tag))
            }
        }
    }

    /// How messages name it: its first name, else its first digest, else its config.
    pub fn shown(&self) -> String {
        match (self.names.first(), self.digests.first()) {
            (Some(n), _) => n.to_string(),
            (None, Some(d)) => d.clone(),
            (None, None) => format!("with config {}", self.config),
        }
    }
}

/// What one archive holds.
#[derive(Debug)]
pub struct Archive {
    pub path: PathBuf,
    pub images: Vec<Image>,
    /// Worth telling, not errors: an image no container can match by name, a platform picked
    /// because linux/amd64 was missing, a volume that is not an absolute path.
    pub notes: Vec<String>,
}

/// Read the archive at `path`: a directory (OCI image layout, or an unpacked `docker save`) or
/// a tar file of either. An archive that cannot be read is an error saying why.
pub fn read(path: &Path) -> Result<Archive, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let store = match meta.is_dir() {
        true => Store::Dir(path.to_path_buf()),
        false if meta.is_file() => Store::tar(path)?,
        false => return Err("neither a directory nor a regular file".into()),
    };
    let mut archive = Archive { path: path.to_path_buf(), images: Vec::new(), notes: Vec::new() };
    let shown = path.display().to_string();
    let (index, manifest) = (store.get("index.json")?, store.get("manifest.json")?);
    if index.is_none() && manifest.is_none() {
        return Err("neither index.json (an OCI image layout) nor manifest.json (docker save) in it".into());
    }
    let mut found = Vec::new();
    if let Some(bytes) = index {
        if let Some(layout) = store.get("oci-layout")? {
            let layout = OciLayout::from_reader(&layout[..]).map_err(|e| format!("oci-layout: {e}"))?;
            if !layout.image_layout_version().starts_with("1.") {
                return Err(format!("oci-layout: unsupported version {}", layout.image_layout_version()));
            }
        }
        let index = ImageIndex::from_reader(&bytes[..]).map_err(|e| format!("index.json: {e}"))?;
        for desc in index.manifests() {
            let mut digests = Vec::new();
            let Some((manifest, platform)) = resolve(&store, desc, 0, &mut digests)? else { continue };
            let config = store.blob(manifest.config().digest().as_ref())?;
            let (volumes, odd) = volumes(&config).map_err(|e| format!("config {}: {e}", manifest.config().digest()))?;
            let image = Image {
                names: names(desc),
                digests,
                config: manifest.config().digest().to_string(),
                volumes,
                platform: platform.as_ref().map(|(p, _)| p.clone()),
            };
            if let Some((p, false)) = &platform {
                archive.notes.push(format!(
                    "note: {shown}: {}: no {} manifest in its index; used the first, {p}",
                    image.shown(),
                    platform::PREFERRED
                ));
            }
            odd_volumes(&mut archive.notes, &shown, &image, &odd);
            found.push(image);
        }
    }
    if let Some(bytes) = manifest {
        let entries: Vec<DockerEntry> = serde_json::from_slice(&bytes).map_err(|e| format!("manifest.json: {e}"))?;
        for e in entries {
            let name =
                normal(Path::new(&e.config)).ok_or_else(|| format!("manifest.json: odd Config {:?}", e.config))?;
            let config = store.get(&name)?.ok_or_else(|| format!("{name}, named in manifest.json, is missing"))?;
            let digest = format!("sha256:{}", hex(&Sha256::digest(&config)));
            // The file is named after its digest (`<hex>.json`, `blobs/sha256/<hex>`).
            let stem = name.rsplit('/').next().unwrap_or(&name).trim_end_matches(".json");
            if stem.len() == 64 && stem.bytes().all(|b| b.is_ascii_hexdigit()) && !digest.ends_with(stem) {
                return Err(format!("{name} does not match its digest (corrupt archive)"));
            }
            let (volumes, odd) = volumes(&config).map_err(|e| format!("{name}: {e}"))?;
            let names = e.repo_tags.iter().flatten().filter_map(|t| tagged(t)).collect();
            let image = Image { names, config: digest, volumes, ..Image::default() };
            odd_volumes(&mut archive.notes, &shown, &image, &odd);
            found.push(image);
        }
    }
    // Docker 25+ lists each image twice (manifest.json and index.json): one image per config.
    for image in found {
        match archive.images.iter_mut().find(|i| i.config == image.config) {
            Some(known) => {
                for n in image.names {
                    if !known.names.contains(&n) {
                        known.names.push(n);
                    }
                }
                for d in image.digests {
                    if !known.digests.contains(&d) {
                        known.digests.push(d);
                    }
                }
                known.platform = known.platform.take().or(image.platform);
            }
            None => archive.images.push(image),
        }
    }
    for image in archive.images.iter().filter(|i| i.names.is_empty()) {
        archive.notes.push(match image.digests.first() {
            Some(d) => format!(
                "note: {shown}: image {d} names no repository (a tag alone is not a name); only an image pinned to @{d} matches it"
            ),
            None => format!("note: {shown}: image {} has neither a name nor a manifest digest; no container can match it", image.config),
        });
    }
    if archive.images.is_empty() {
        archive.notes.push(format!("note: {shown}: holds no image"));
    }
    Ok(archive)
}

/// One entry of `docker save`'s manifest.json (not an OCI format, so not in oci-spec).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
}

/// An image manifest, and the platform picked for it from an index (with whether it was the
/// preferred one) when it came from one.
type Resolved = (ImageManifest, Option<(String, bool)>);

/// The image manifest an index entry leads to, following nested indexes; None for an entry
/// that is not an image (an artifact, an index of attestations). `digests` collects the
/// digests on the way.
fn resolve(
    store: &Store,
    desc: &Descriptor,
    depth: usize,
    digests: &mut Vec<String>,
) -> Result<Option<Resolved>, String> {
    let digest = desc.digest().to_string();
    let bytes = store.blob(&digest)?;
    digests.push(digest.clone());
    let media_type = desc.media_type().to_string();
    let is_index = INDEX_TYPES.contains(&media_type.as_str())
        || (!MANIFEST_TYPES.contains(&media_type.as_str()) && sniff(&bytes) == Some("manifests"));
    let is_manifest = MANIFEST_TYPES.contains(&media_type.as_str()) || (!is_index && sniff(&bytes) == Some("config"));
    if is_index {
        if depth >= MAX_DEPTH {
            return Err(format!("{digest}: image indexes nested more than {MAX_DEPTH} deep"));
        }
        let index = ImageIndex::from_reader(&bytes[..]).map_err(|e| format!("index {digest}: {e}"))?;
        let platforms: Vec<Option<String>> = index
            .manifests()
            .iter()
            .map(|d| d.platform().as_ref().map(|p| format!("{}/{}", p.os(), p.architecture())))
            .collect();
        let Some((i, preferred)) = platform::pick(&platforms) else { return Ok(None) };
        let found = resolve(store, &index.manifests()[i], depth + 1, digests)?;
        let picked = platforms[i].clone().unwrap_or_else(|| "no platform named".into());
        return Ok(found.map(|(m, inner)| (m, inner.or(Some((picked, preferred))))));
    }
    if is_manifest {
        let manifest = ImageManifest::from_reader(&bytes[..]).map_err(|e| format!("manifest {digest}: {e}"))?;
        return Ok(Some((manifest, None)));
    }
    Ok(None)
}

/// Which key tells a JSON object of unknown media type apart: `manifests` (an index) or
/// `config` (an image manifest).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if v.get("manifests").is_some_and(|m| m.is_array()) {
        return Some("manifests");
    }
    v.get("config").is_some_and(|c| c.is_object()).then_some("config")
}

/// The names an index entry's annotations give: containerd's whole reference, and the OCI
/// ref name when it is a reference (holds `/` or `:`) rather than a tag alone.
fn names(desc: &Descriptor) -> Vec<ImageRef> {
    let Some(a) = desc.annotations() else { return Vec::new() };
    let mut out: Vec<ImageRef> = Vec::new();
    let whole = a.get(CONTAINERD_NAME).into_iter().chain(a.get(REF_NAME).filter(|n| n.contains(['/', ':'])));
    for n in whole.filter_map(|n| tagged(n)) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// A reference with its tag (`latest` when it names none); None for one pinned to a digest
/// only, or that does not parse.
fn tagged(text: &str) -> Option<ImageRef> {
    let mut r = ImageRef::parse(text)?;
    if r.tag.is_none() && r.digest.is_some() {
        return None;
    }
    r.tag.get_or_insert_with(|| "latest".to_owned());
    r.digest = None;
    Some(r)
}

fn odd_volumes(notes: &mut Vec<String>, shown: &str, image: &Image, odd: &[String]) {
    if !odd.is_empty() {
        notes.push(format!(
            "note: {shown}: {}: volumes that are not absolute paths left out: {}",
            image.shown(),
            odd.join(", ")
        ));
    }
}

/// The `Volumes` of an image config (JSON): absolute paths normalised (`/data/` is `/data`),
/// sorted; and, apart, those that are not absolute paths below the root.
pub fn volumes(config: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    let config = ImageConfiguration::from_reader(config).map_err(|e| e.to_string())?;
    let raw = config.config().as_ref().and_then(|c| c.volumes().clone()).unwrap_or_default();
    let (mut good, mut odd) = (Vec::new(), Vec::new());
    for v in raw {
        match clean(&v) {
            Some(p) if !good.contains(&p) => good.push(p),
            Some(_) => {}
            None => odd.push(v),
        }
    }
    good.sort();
    odd.sort();
    Ok((good, odd))
}

/// `/var//cache/./app/` as `/var/cache/app`; None for a relative path, one with `..`, or `/`.
fn clean(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    if segs.is_empty() || segs.contains(&"..") {
        return None;
    }
    Some(format!("/{}", segs.join("/")))
}

/// A path inside an archive as `a/b/c`: relative, no `..`; None otherwise.
fn normal(path: &Path) -> Option<String> {
    let mut segs = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::Normal(s) => segs.push(s.to_str()?),
            _ => return None,
        }
    }
    (!segs.is_empty()).then(|| segs.join("/"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the files of an archive are: a directory, or the metadata of a tarball kept in memory
/// (layers are not kept).
enum Store {
    Dir(PathBuf),
    Tar { kept: HashMap<String, Vec<u8>>, big: HashSet<String> },
}

impl Store {
    /// One pass over a tarball, keeping its small JSON files.
    fn tar(path: &Path) -> Result<Store, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let mut magic = [0u8; 6];
        let n = file.read(&mut magic).map_err(|e| e.to_string())?;
        let compressed = [
            (&[0x1f, 0x8b][..], "gzip", "gunzip"),
            (&[0x28, 0xb5, 0x2f, 0xfd][..], "zstd", "unzstd"),
            (&[0xfd, b'7', b'z', b'X', b'Z', 0][..], "xz", "unxz"),
            (&b"BZh"[..], "bzip2", "bunzip2"),
        ];
        if let Some((_, what, tool)) = compressed.iter().find(|(m, _, _)| magic[..n].starts_with(m)) {
            return Err(format!("a {what}-compressed file; decompress it first ({tool})"));
        }
        file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        let not_tar = |e: std::io::Error| format!("not a tar archive: {e}");
        let mut archive = tar::Archive::new(file);
        let (mut kept, mut big, mut total) = (HashMap::new(), HashSet::new(), 0u64);
        for entry in archive.entries_with_seek().map_err(not_tar)? {
            let mut entry = entry.map_err(not_tar)?;
            if !entry.header().entry_type().is_file() {
                continue; // directories, and the symlinks of old `docker save` layouts
            }
            let Some(name) = entry.path().ok().and_then(|p| normal(&p)) else { continue };
            if !(name.ends_with(".json") || name == "oci-layout" || name.starts_with("blobs/")) {
                continue;
            }
            if entry.size() > MAX_JSON {
                big.insert(name);
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            (&mut entry).take(MAX_JSON + 1).read_to_end(&mut bytes).map_err(not_tar)?;
            // A small layer is a blob too; metadata blobs are JSON objects.
            if name.starts_with("blobs/") && bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                continue;
            }
            total += bytes.len() as u64;
            if total > MAX_KEPT {
                return Err(format!("more than {} MiB of metadata; not an image archive", MAX_KEPT >> 20));
            }
            kept.insert(name, bytes);
        }
        Ok(Store::Tar { kept, big })
    }

    /// The file `name` (`index.json`, `blobs/sha256/...`), None when there is none.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let too_big = || format!("{name} is larger than {} MiB", MAX_JSON >> 20);
        match self {
            Store::Tar { big, .. } if big.contains(name) => Err(too_big()),
            Store::Tar { kept, .. } => Ok(kept.get(name).cloned()),
            Store::Dir(root) => {
                let path = root.join(name);
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(format!("{name}: {e}")),
                };
                let meta = file.metadata().map_err(|e| format!("{name}: {e}"))?;
                if !meta.is_file() {
                    return Err(format!("{name}: not a regular file"));
                }
                if meta.len() > MAX_JSON {
                    return Err(too_big());
                }
                let mut bytes = Vec::with_capacity(meta.len() as usize);
                file.take(MAX_JSON + 1).read_to_end(&mut bytes).map_err(|e| format!("{name}: {e}"))?;
                Ok(Some(bytes))
            }
        }
    }

    /// The blob of `digest`, checked against it.
    fn blob(&self, digest: &str) -> Result<Vec<u8>, String> {
        let (algorithm, value) = digest.split_once(':').unwrap_or(("", digest));
        let sum = |b: &[u8]| match algorithm {
            "sha256" => Some(hex(&Sha256::digest(b))),
            "sha512" => Some(hex(&Sha512::digest(b))),
            _ => None,
        };
        if sum(b"").is_none_or(|s| s.len() != value.len()) || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("unsupported digest {digest}"));
        }
        let name = format!("blobs/{algorithm}/{value}");
        let bytes = self.get(&name)?.ok_or_else(|| format!("blob {digest} is missing"))?;
        if sum(&bytes).as_deref() != Some(value) {
            return Err(format!("blob {digest} does not match its digest (corrupt archive)"));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap()
    }

    #[test]
    fn a_container_matches_by_full_name_and_tag_or_by_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let index = format!("sha256:{}", "b".repeat(64));
        let image = Image {
            names: vec![r("docker.io/test/app:1.0"), r("nginx:latest")],
            digests: vec![d.clone(), index.clone()],
            ..Image::default()
        };
        assert!(image.is(&r("test/app:1.0")));
        assert!(image.is(&r("index.docker.io/test/app:1.0")));
        assert!(!image.is(&r("test/app:1.1")));
        assert!(!image.is(&r("test/app")), "no tag is latest, and test/app has only 1.0");
        assert!(image.is(&r("nginx")), "no tag is latest");
        assert!(image.is(&r("docker.io/library/nginx:latest")));
        assert!(!image.is(&r("quay.io/test/app:1.0")), "another registry");
        assert!(image.is(&r(&format!("other/name@{d}"))), "a digest is the image, whatever the name");
        assert!(image.is(&r(&format!("test/app:9@{index}"))), "an index digest too; the tag is ignored");
        assert!(!image.is(&r(&format!("test/app:1.0@sha256:{}", "c".repeat(64)))), "pinned elsewhere");
    }

    #[test]
    fn names_come_from_both_annotations_and_a_tag_alone_is_no_name() {
        let desc = |pairs: &[(&str, &str)]| -> Descriptor {
            let a: serde_json::Map<String, serde_json::Value> =
                pairs.iter().map(|(k, v)| (k.to_string(), serde_json::Value::from(*v))).collect();
            serde_json::from_value(serde_json::json!({
                "mediaType": MANIFEST_TYPES[0], "digest": format!("sha256:{}", "a".repeat(64)), "size": 1,
                "annotations": a,
            }))
            .unwrap()
        };
        let shown = |d: Descriptor| names(&d).iter().map(ImageRef::to_string).collect::<Vec<_>>();
        assert_eq!(
            shown(desc(&[(REF_NAME, "1.0"), (CONTAINERD_NAME, "example.com/hand/made:1.0")])),
            ["example.com/hand/made:1.0"]
        );
        assert_eq!(shown(desc(&[(REF_NAME, "test/app:1.0")])), ["docker.io/test/app:1.0"]);
        assert_eq!(shown(desc(&[(REF_NAME, "localhost/app")])), ["localhost/app:latest"]);
        assert!(shown(desc(&[(REF_NAME, "latest")])).is_empty());
        assert_eq!(tagged(&format!("app@sha256:{}", "a".repeat(64))), None);
    }

    #[test]
    fn volumes_are_normalised_sorted_and_odd_ones_set_apart() {
        let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},
            "config":{"Volumes":{"/var/cache/app/":{},"/data":{},"//data":{},"relative":{},"/":{},"/a/../b":{}}}}"#;
        let (good, odd) = volumes(config).unwrap();
        assert_eq!(good, ["/data", "/var/cache/app"]);
        assert_eq!(odd, ["/", "/a/../b", "relative"]);
        let none = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        assert_eq!(volumes(none).unwrap(), (vec![], vec![]));
        assert!(volumes(b"{").is_err());
    }

    fn golden(case: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("golden").join(case)
    }

    fn shown(names: &[ImageRef]) -> Vec<String> {
        names.iter().map(ImageRef::to_string).collect()
    }

    #[test]
    fn an_oci_layout_directory_and_the_same_layout_in_a_tar() {
        let dir = golden("image-archive-oci-layout/image");
        let manifest = "sha256:8727b2ebd1cad0787cac859521b956180e13834618ec2c79d7803e2e49d07c37";
        let tmp = tempfile::tempdir().unwrap();
        let tarball = tmp.path().join("layout.tar");
        let mut builder = tar::Builder::new(File::create(&tarball).unwrap());
        builder.append_dir_all(".", &dir).unwrap();
        builder.finish().unwrap();
        drop(builder);
        for path in [dir, tarball] {
            let a = read(&path).unwrap();
            assert_eq!(a.images.len(), 1, "{}", path.display());
            let i = &a.images[0];
            assert_eq!(shown(&i.names), ["registry.example.com/team/app:1.0"]);
            assert_eq!(i.digests, [manifest]);
            assert_eq!(i.volumes, ["/data", "/var/cache/app"]);
            assert_eq!(i.platform, None);
            assert!(a.notes.is_empty(), "{:?}", a.notes);
        }
    }

    #[test]
    fn a_docker_save_tarball() {
        let a = read(&golden("image-archive-docker-save/image.tar")).unwrap();
        assert_eq!(a.images.len(), 1);
        let i = &a.images[0];
        assert_eq!(shown(&i.names), ["docker.io/team/worker:2.1"]);
        assert!(i.digests.is_empty(), "a classic docker save has no manifest digest");
        assert_eq!(i.volumes, ["/var/lib/worker", "/var/spool/jobs"]);
        assert!(i.is(&ImageRef::parse("team/worker:2.1").unwrap()));
        assert!(!i.is(&ImageRef::parse("team/worker").unwrap()));
    }

    #[test]
    fn paths_inside_an_archive_stay_inside() {
        assert_eq!(normal(Path::new("./blobs/sha256/ab")).as_deref(), Some("blobs/sha256/ab"));
        assert_eq!(normal(Path::new("../etc/passwd")), None);
        assert_eq!(normal(Path::new("/etc/passwd")), None);
        assert_eq!(normal(Path::new(".")), None);
    }
}
