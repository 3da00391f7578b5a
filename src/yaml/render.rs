//! New YAML content as data (`New`) and its rendering in the style of the surrounding text.

/// A value kube-rofs adds. The planner renders it as text; the verifier turns the same value
/// into the meaning it must have after re-parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum New {
    Bool(bool),
    Str(String),
    Map(Vec<(String, New)>),
    Seq(Vec<New>),
}

impl New {
    pub fn map<const N: usize>(entries: [(&str, New); N]) -> New {
        New::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    pub fn str(s: &str) -> New {
        New::Str(s.to_owned())
    }
}

/// How the block text around an edit is laid out, measured from its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Extra indentation of a nested mapping's keys relative to its parent key.
    pub map_step: usize,
    /// Column of a sequence's `-` relative to its parent key (0 for `- ` at the key's column).
    pub seq_offset: usize,
    /// Column of an item mapping's keys relative to the `-`.
    pub item_offset: usize,
    /// The item mapping starts on the line after a lone `-`.
    pub dash_alone: bool,
    /// Items are written as one-line flow mappings (`- {name: a, mountPath: /b}`).
    pub flow_items: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { map_step: 2, seq_offset: 0, item_offset: 2, dash_alone: false, flow_items: false }
    }
}

/// Renders `New` values into block or flow YAML with a given line ending.
pub struct Writer<'a> {
    pub layout: Layout,
    pub eol: &'a str,
    /// Quote keys and strings with `"` (JSON-style flow text).
    pub quote: bool,
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

impl Writer<'_> {
    /// `key: value` lines of a block mapping whose keys sit at column `indent`.
    pub fn block_entries(
        &self,
        out: &mut String,
        entries: &[(String, New)],
        indent: usize,
        first_lead: Option<String>,
    ) {
        for (i, (key, value)) in entries.iter().enumerate() {
            let lead = match (&first_lead, i) {
                (Some(lead), 0) => lead.clone(),
                _ => spaces(indent),
            };
            match value {
                New::Map(e) if !e.is_empty() => {
                    out.push_str(&format!("{lead}{}:{}", self.scalar(key), self.eol));
                    self.block_entries(out, e, indent + self.layout.map_step, None);
                }
                New::Seq(items) if !items.is_empty() => {
                    out.push_str(&format!("{lead}{}:{}", self.scalar(key), self.eol));
                    self.block_items(out, items, indent + self.layout.seq_offset);
                }
                _ => out.push_str(&format!("{lead}{}: {}{}", self.scalar(key), self.flow(value), self.eol)),
            }
        }
    }

    /// `- item` lines of a block sequence whose dashes sit at column `dash`.
    pub fn block_items(&self, out: &mut String, items: &[New], dash: usize) {
        let l = self.layout;
        for item in items {
            match item {
                New::Map(e) if !e.is_empty() && !l.flow_items => {
                    if l.dash_alone {
                        out.push_str(&format!("{}-{}", spaces(dash), self.eol));
                        self.block_entries(out, e, dash + l.item_offset, None);
                    } else {
                        let lead = format!("{}-{}", spaces(dash), spaces(l.item_offset.max(2) - 1));
                        self.block_entries(out, e, dash + l.item_offset.max(2), Some(lead));
                    }
                }
                _ => out.push_str(&format!("{}- {}{}", spaces(dash), self.flow(item), self.eol)),
            }
        }
    }

    /// One-line flow rendering.
    pub fn flow(&self, value: &New) -> String {
        match value {
            New::Bool(b) => b.to_string(),
            New::Str(s) => self.scalar(s),
            New::Map(e) => {
                let inner: Vec<String> = e.iter().map(|(k, v)| self.flow_entry(k, v)).collect();
                format!("{{{}}}", inner.join(", "))
            }
            New::Seq(items) => {
                let inner: Vec<String> = items.iter().map(|v| self.flow(v)).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    pub fn flow_entry(&self, key: &str, value: &New) -> String {
        format!("{}: {}", self.scalar(key), self.flow(value))
    }

    /// A string scalar: plain when that reads back as the same string, else double-quoted.
    pub fn scalar(&self, s: &str) -> String {
        if !self.quote && plain_safe(s) {
            s.to_owned()
        } else {
            let mut q = String::from("\"");
            for ch in s.chars() {
                match ch {
                    '"' => q.push_str("\\\""),
                    '\\' => q.push_str("\\\\"),
                    c if (c as u32) < 0x20 => q.push_str(&format!("\\u{:04x}", c as u32)),
                    c => q.push(c),
                }
            }
            q.push('"');
            q
        }
    }
}

/// Strings that read back unchanged as plain scalars in both block and flow context.
fn plain_safe(s: &str) -> bool {
    let special = matches!(
        s.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | ".nan" | ".inf" | "-.inf"
    );
    // `:` and `@` inside a word (image references: `nginx:1.27`, `app@sha256:...`) read back
    // the same; a `:` at the end would start a mapping.
    !special
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | ':' | '@'))
        && !s.starts_with(['-', '.', ':', '@'])
        && !s.ends_with(':')
        && s.parse::<f64>().is_err()
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount() -> New {
        New::map([("name", New::str("tmp")), ("mountPath", New::str("/tmp"))])
    }

    #[test]
    fn block_items_follow_the_layout() {
        let mut w = Writer { layout: Layout::default(), eol: "\n", quote: false };
        let mut out = String::new();
        w.block_items(&mut out, &[mount()], 4);
        assert_eq!(out, "    - name: tmp\n      mountPath: /tmp\n");
        w.layout.dash_alone = true;
        w.layout.item_offset = 4;
        out.clear();
        w.block_items(&mut out, &[mount()], 0);
        assert_eq!(out, "-\n    name: tmp\n    mountPath: /tmp\n");
    }

    #[test]
    fn nested_block_entries_and_json_flow() {
        let w = Writer { layout: Layout { map_step: 4, ..Layout::default() }, eol: "\r\n", quote: false };
        let mut out = String::new();
        let sc = New::map([("readOnlyRootFilesystem", New::Bool(true))]);
        w.block_entries(&mut out, &[("securityContext".into(), sc.clone())], 2, None);
        assert_eq!(out, "  securityContext:\r\n      readOnlyRootFilesystem: true\r\n");
        let j = Writer { layout: Layout::default(), eol: "\n", quote: true };
        assert_eq!(j.flow_entry("securityContext", &sc), "\"securityContext\": {\"readOnlyRootFilesystem\": true}");
        assert_eq!(j.flow(&New::map([("emptyDir", New::Map(vec![]))])), "{\"emptyDir\": {}}");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let w = Writer { layout: Layout::default(), eol: "\n", quote: false };
        assert_eq!(w.scalar("/var/log/app"), "/var/log/app");
        assert_eq!(w.scalar("on"), "\"on\"");
        assert_eq!(w.scalar("1e3"), "\"1e3\"");
        assert_eq!(w.scalar("/a b: c"), "\"/a b: c\"");
        assert_eq!(w.scalar("bitnami/nginx:1.27"), "bitnami/nginx:1.27");
        assert_eq!(w.scalar("app@sha256:0123"), "app@sha256:0123");
        assert_eq!(w.scalar("key:"), "\"key:\"");
    }
}
