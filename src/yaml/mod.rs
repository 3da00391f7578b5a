//! YAML text as kube-rofs reads and edits it: bytes to text (`source`), text to a span tree
//! (`tree`), paths into a document (`path`), new content in the style of its neighbours
//! (`render`), and edits applied in one pass (`edit`). Knows nothing of Kubernetes; imports
//! nothing from the rest of the crate.
pub(crate) mod edit;
pub(crate) mod path;
pub(crate) mod render;
pub(crate) mod source;
pub(crate) mod tree;
