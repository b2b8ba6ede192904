//! Writing TOML by hand where tandem prints a file for people to read and keep
//! (`introspect`'s schema.toml, `diff --to`'s change file): values quoted by the TOML
//! writer itself, keys bare where TOML allows.

/// A TOML string, quoted and escaped.
pub fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A key: bare when TOML allows it, else quoted.
pub fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// An inline array of strings.
pub fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| quoted(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
