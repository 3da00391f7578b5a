//! The knowledge files (`data/*.yaml`): build.rs compiles each to JSON, read at first use, and
//! the tests read the YAML source itself. Either way the file is read as written, then checked
//! and converted by its module.

use serde::de::DeserializeOwned;

/// A data file as build.rs compiled it, checked and converted by `convert`. It cannot fail at
/// run time: each module's tests load the same file.
pub(crate) fn compiled<R: DeserializeOwned, T>(
    json: &str,
    convert: impl FnOnce(R) -> Result<T, String>,
    file: &str,
) -> T {
    let raw = serde_json::from_str(json).map_err(|e| e.to_string());
    raw.and_then(convert).unwrap_or_else(|e| panic!("{file} is valid (tested): {e}"))
}

/// A data file's YAML source, checked and converted by `convert`.
#[cfg(test)]
pub(crate) fn parse<R: DeserializeOwned, T>(
    text: &str,
    convert: impl FnOnce(R) -> Result<T, String>,
) -> Result<T, String> {
    convert(serde_yaml::from_str(text).map_err(|e| e.to_string())?)
}
