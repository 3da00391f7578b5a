//! Test images written byte for byte the same every time: OCI image layouts (one image, or an
//! index of platforms) and `docker save` tarballs (the classic shape, or Docker 25's with an OCI
//! layout inside), each image with one empty layer and a config that declares `Volumes`.
//!
//! The golden cases' archives are written by this (`tests/images.rs` checks that they still are,
//! and `KUBE_ROFS_BLESS=1` rewrites them); the registry tests push layouts from it.
#![allow(dead_code)]

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// An empty tar archive: the one layer of every test image.
pub const EMPTY_LAYER: [u8; 1024] = [0; 1024];

pub fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A blob: its bytes and descriptor.
pub struct Blob {
    pub bytes: Vec<u8>,
    pub digest: String,
}

impl Blob {
    pub fn json(value: &Value) -> Blob {
        Blob::raw(serde_json::to_vec(value).unwrap())
    }
    pub fn raw(bytes: Vec<u8>) -> Blob {
        Blob { digest: sha256(&bytes), bytes }
    }
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
    pub fn descriptor(&self, media_type: &str) -> Value {
        json!({"mediaType": media_type, "digest": self.digest, "size": self.bytes.len()})
    }
}

/// The blobs of one image for `os/arch`, declaring `volumes`: layer, config, manifest.
pub struct Image {
    pub layer: Blob,
    pub config: Blob,
    pub manifest: Blob,
}

pub fn image(platform: &str, volumes: &[&str]) -> Image {
    let (os, arch) = platform.split_once('/').unwrap();
    let layer = Blob::raw(EMPTY_LAYER.to_vec());
    let volumes: serde_json::Map<String, Value> = volumes.iter().map(|v| (v.to_string(), json!({}))).collect();
    let config = Blob::json(&json!({
        "architecture": arch,
        "os": os,
        "config": {"Cmd": ["/app"], "Volumes": volumes},
        "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
    }));
    let manifest = Blob::json(&json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": config.descriptor(CONFIG),
        "layers": [layer.descriptor(LAYER)],
    }));
    Image { layer, config, manifest }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn annotations(pairs: &[(&str, &str)]) -> Value {
    pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>().into()
}

/// What a layout's files are, by path: `oci-layout`, `index.json`, `blobs/sha256/...`.
pub type Files = Vec<(String, Vec<u8>)>;

/// The files of an OCI image layout holding `image` under the annotations given.
pub fn layout_files(image: &Image, names: &[(&str, &str)]) -> Files {
    let mut entry = image.manifest.descriptor(MANIFEST);
    entry["annotations"] = annotations(names);
    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [entry]});
    let mut files = vec![
        ("oci-layout".to_owned(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        ("index.json".to_owned(), serde_json::to_vec(&index).unwrap()),
    ];
    for b in [&image.layer, &image.config, &image.manifest] {
        files.push((format!("blobs/sha256/{}", b.hex()), b.bytes.clone()));
    }
    files
}

/// An OCI image layout in `dir` holding one linux/amd64 image; returns it.
pub fn oci_layout(dir: &Path, names: &[(&str, &str)], volumes: &[&str]) -> Image {
    let image = image("linux/amd64", volumes);
    for (name, bytes) in layout_files(&image, names) {
        write(&dir.join(name), &bytes);
    }
    image
}

/// An OCI image layout in `dir` whose index.json names an image index of one image per
/// `(os/arch, volumes)`; returns the index's blob.
pub fn oci_multi_platform(dir: &Path, names: &[(&str, &str)], platforms: &[(&str, &[&str])]) -> Blob {
    let mut entries = Vec::new();
    for (platform, volumes) in platforms {
        let image = image(platform, volumes);
        let (os, arch) = platform.split_once('/').unwrap();
        let mut entry = image.manifest.descriptor(MANIFEST);
        entry["platform"] = json!({"os": os, "architecture": arch});
        entries.push(entry);
        for b in [&image.layer, &image.config, &image.manifest] {
            write(&dir.join(format!("blobs/sha256/{}", b.hex())), &b.bytes);
        }
    }
    let index = Blob::json(&json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}));
    write(&dir.join(format!("blobs/sha256/{}", index.hex())), &index.bytes);
    let mut entry = index.descriptor(INDEX);
    entry["annotations"] = annotations(names);
    let top = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [entry]});
    write(&dir.join("index.json"), &serde_json::to_vec(&top).unwrap());
    write(&dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#);
    index
}

/// A tarball of `files` in their order, with fixed owners, modes and times.
pub fn tarball(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_path(name).unwrap();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        builder.append(&header, &bytes[..]).unwrap();
    }
    write(path, &builder.into_inner().unwrap());
}

/// A `docker save` tarball of one image tagged `repo_tags` (`team/worker:2.1`): the classic
/// shape (`<config hex>.json`, `<id>/layer.tar`, manifest.json, repositories), or with
/// `oci: true` Docker 25's (an OCI layout whose manifest.json points into `blobs/`).
pub fn docker_archive(path: &Path, repo_tags: &[&str], volumes: &[&str], oci: bool) -> Image {
    let image = image("linux/amd64", volumes);
    let files = if oci {
        let first = repo_tags.first().copied().unwrap_or("");
        let full = format!("docker.io/{first}");
        let tag = first.rsplit_once(':').map_or("latest", |(_, t)| t);
        let mut files = layout_files(&image, &[(CONTAINERD_NAME, &full), (REF_NAME, tag)]);
        let manifest = json!([{
            "Config": format!("blobs/sha256/{}", image.config.hex()),
            "RepoTags": repo_tags,
            "Layers": [format!("blobs/sha256/{}", image.layer.hex())],
        }]);
        files.push(("manifest.json".to_owned(), serde_json::to_vec(&manifest).unwrap()));
        files
    } else {
        let id = image.layer.hex().to_owned();
        let config = format!("{}.json", image.config.hex());
        let manifest = json!([{"Config": config, "RepoTags": repo_tags, "Layers": [format!("{id}/layer.tar")]}]);
        let mut repositories = serde_json::Map::new();
        for t in repo_tags {
            let (repo, tag) = t.rsplit_once(':').unwrap();
            repositories.entry(repo.to_owned()).or_insert_with(|| json!({}))[tag] = json!(id);
        }
        vec![
            (format!("{id}/layer.tar"), image.layer.bytes.clone()),
            (config, image.config.bytes.clone()),
            ("manifest.json".to_owned(), serde_json::to_vec(&manifest).unwrap()),
            ("repositories".to_owned(), serde_json::to_vec(&repositories).unwrap()),
        ]
    };
    tarball(path, &files);
    image
}
