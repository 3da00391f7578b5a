//! Signals that a container runs a database or another store: its image's name, the server
//! settings in its environment, the ports it listens on, and volume claim templates it mounts.
//! The names, variables and ports are data (`data/stateful.yaml`, compiled in, each with its
//! source); the claim templates are read from the workload.

use std::sync::OnceLock;

use serde::Deserialize;

use super::image::ImageRef;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    pub name: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    pub name: String,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    pub what: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub port: u16,
    pub what: String,
    pub source: String,
}

/// The signals of `data/stateful.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signals {
    pub names: Vec<Name>,
    pub exceptions: Vec<Exception>,
    pub environment: Vec<Variable>,
    pub ports: Vec<Port>,
}

/// `data/stateful.yaml`, the source (the tests read it as YAML).
#[cfg(test)]
const BUILT_IN: &str = include_str!("../../data/stateful.yaml");

/// `data/stateful.yaml` as build.rs compiled it to JSON: read about ten times faster.
const COMPILED: &str = include_str!(concat!(env!("OUT_DIR"), "/stateful.json"));

/// Parse signals (the data file's shape).
#[cfg(test)]
pub fn parse(text: &str) -> Result<Signals, String> {
    super::data::parse(text, checked)
}

/// The signals as read, if every source is an address and every variable has a name or a
/// prefix.
fn checked(s: Signals) -> Result<Signals, String> {
    let sources = s.names.iter().map(|n| &n.source).chain(s.exceptions.iter().map(|e| &e.source));
    let sources = sources.chain(s.environment.iter().map(|v| &v.source)).chain(s.ports.iter().map(|p| &p.source));
    if let Some(bad) = sources.into_iter().find(|s| !s.starts_with("https://")) {
        return Err(format!("source {bad:?} is not a https:// address"));
    }
    if let Some(v) = s.environment.iter().find(|v| v.name.is_some() == v.prefix.is_some()) {
        return Err(format!("variable entry {v:?} needs exactly one of name and prefix"));
    }
    Ok(s)
}

/// The built-in signals, parsed once.
pub fn built_in() -> &'static Signals {
    static SIGNALS: OnceLock<Signals> = OnceLock::new();
    SIGNALS.get_or_init(|| super::data::compiled(COMPILED, checked, "data/stateful.yaml"))
}

impl Signals {
    /// The database name in the image's last segment, unless a token of it says it is a helper
    /// (`postgres-exporter`, `redis-operator`, `mysql-client`, `mongo-express`).
    pub fn name_in(&self, image: &ImageRef) -> Option<&str> {
        let last = image.last_segment();
        let tokens: Vec<&str> = last.split(['-', '_', '.']).collect();
        if self.exceptions.iter().any(|e| tokens.contains(&e.name.as_str())) {
            return None;
        }
        self.names.iter().map(|n| n.name.as_str()).find(|n| last.contains(n))
    }

    /// The store whose server reads the environment variable `name`.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.environment
            .iter()
            .find(|v| v.name.as_deref() == Some(name) || v.prefix.as_deref().is_some_and(|p| name.starts_with(p)))
            .map(|v| v.what.as_str())
    }

    /// A port name that says database: it holds `db`, `sql`, or a store's name (`mysql`,
    /// `tcp-redis`, `postgresql`).
    pub fn db_like(&self, port_name: &str) -> bool {
        let n = port_name.to_ascii_lowercase();
        n.contains("db") || n.contains("sql") || self.names.iter().any(|s| n.contains(s.name.as_str()))
    }

    /// The store that listens on `port` by default.
    pub fn port(&self, port: u16) -> Option<&str> {
        self.ports.iter().find(|p| p.port == port).map(|p| p.what.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_signals_are_the_data_file() {
        assert_eq!(built_in(), &parse(BUILT_IN).unwrap());
    }

    #[test]
    fn the_signals_parse_and_tell_stores_from_their_helpers() {
        let s = parse(BUILT_IN).unwrap();
        let name = |i: &str| s.name_in(&ImageRef::parse(i).unwrap());
        assert_eq!(name("postgres:16"), Some("postgres"));
        assert_eq!(name("bitnami/postgresql:16"), Some("postgres"));
        assert_eq!(name("registry.example/acme-influxdb:2"), Some("influxdb"), "a vendor prefix");
        assert_eq!(name("ghcr.io/acme/documentdb-local:1"), Some("documentdb"));
        for helper in [
            "quay.io/prometheuscommunity/postgres-exporter",
            "oliver006/redis_exporter:v1",
            "spotahome/redis-operator:v1",
            "example/mysql-client:8",
            "mongo-express:1",
            "clickhouse/clickhouse-server:24",
        ] {
            let expect_none = !helper.starts_with("clickhouse");
            assert_eq!(name(helper).is_none(), expect_none, "{helper}");
        }
        assert_eq!(name("nginx:1.27"), None);
        assert_eq!(s.variable("MYSQL_ROOT_PASSWORD"), Some("MySQL server"));
        assert_eq!(s.variable("MONGO_INITDB_ROOT_USERNAME"), Some("MongoDB server"));
        assert_eq!(s.variable("POSTGRES_PASSWORD"), None, "a client sets it too");
        assert_eq!(s.port(3306), Some("MySQL/MariaDB"));
        assert_eq!(s.port(8080), None);
        assert!(s.db_like("mysql") && s.db_like("tcp-redis") && s.db_like("db"));
        assert!(!s.db_like("gcs-server"));
    }
}
