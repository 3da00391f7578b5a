//! A path from a document's root to a node: keys and sequence indexes.

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub type Path = Vec<Seg>;

/// `path` with `key` appended.
pub fn child(path: &Path, key: &str) -> Path {
    let mut p = path.clone();
    p.push(Seg::Key(key.to_owned()));
    p
}

/// A path as people write it: `spec.template.spec.containers[0]`.
pub struct Dotted<'p>(pub &'p [Seg]);

impl fmt::Display for Dotted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
