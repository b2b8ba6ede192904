//! A fleet's targets file: the databases one release runs over, each with a name, a URL
//! and the canary wave it belongs to, read from a file (`--targets FILE`) or from what a
//! command prints (`--targets-cmd CMD`).
//!
//! ```toml
//! [[target]]
//! name = "tenant-042"
//! url = "postgres://app@db-3/tenant_042"
//! wave = 1          # optional: wave 0 (the default) runs first
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Diag, Location, Result, SourceFile};
use crate::parse::serde_error;

/// How long `--targets-cmd` may take to print the list.
pub const TARGETS_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// One database of the fleet, as the targets file names it.
#[derive(Debug, Clone)]
pub struct FleetTarget {
    pub name: String,
    pub url: String,
    pub wave: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    target: Vec<RawTarget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    wave: Option<Spanned<i64>>,
}

/// Where the list comes from.
#[derive(Debug, Clone)]
pub enum TargetsSource {
    File(PathBuf),
    Command(String),
}

/// The targets, and the directory a relative SQLite path in them is read from (the
/// file's own directory; the current one for a command).
pub struct Targets {
    pub list: Vec<FleetTarget>,
    pub base: PathBuf,
}

/// Reads the list from its file or command.
pub fn load(source: &TargetsSource) -> Result<Targets> {
    match source {
        TargetsSource::File(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                Diag::input(format!("cannot read targets file {}: {e}", path.display()))
            })?;
            let file = SourceFile::from_bytes(path.display().to_string(), bytes)?;
            let full = path.canonicalize().unwrap_or_else(|_| path.clone());
            let base = full
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            Ok(Targets {
                list: parse(&file)?,
                base,
            })
        }
        TargetsSource::Command(cmd) => {
            let out = super::fleet::run_command(cmd, TARGETS_COMMAND_TIMEOUT, "--targets-cmd")?;
            let file = SourceFile::new(format!("`{cmd}`"), out);
            Ok(Targets {
                list: parse(&file)?,
                base: std::env::current_dir().unwrap_or_default(),
            })
        }
    }
}

/// Parses a targets file: every target named once, with a URL, in a wave >= 0.
pub fn parse(file: &Arc<SourceFile>) -> Result<Vec<FleetTarget>> {
    let raw: RawFile =
        toml::from_str(&file.text).map_err(|e| serde_error(file, &e, "targets file"))?;
    let at = |span: std::ops::Range<usize>| Location::new(file, span);
    let mut out: Vec<(FleetTarget, std::ops::Range<usize>)> = Vec::new();
    for t in raw.target {
        let name_span = t.name.span();
        let name = t.name.into_inner();
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            return Err(
                Diag::input("a target's name is blank or has control characters")
                    .at(at(name_span))
                    .label("expected a name such as \"tenant-042\"")
                    .into(),
            );
        }
        if let Some((_, first)) = out.iter().find(|(o, _)| o.name == name) {
            let (line, col) = file.line_col(first.start);
            return Err(Diag::input(format!("target `{name}` is listed twice"))
                .at(at(name_span))
                .label("second time")
                .note(format!("first at {}:{line}:{col}", file.path))
                .help("give each target a name of its own")
                .into());
        }
        if t.url.get_ref().trim().is_empty() {
            return Err(Diag::input(format!("target `{name}` has a blank url"))
                .at(at(t.url.span()))
                .label("expected postgres://..., mysql://... or sqlite://PATH")
                .into());
        }
        let wave = match t.wave {
            None => 0,
            Some(w) => u32::try_from(*w.get_ref()).map_err(|_| {
                Diag::input(format!("target `{name}` has wave {}", w.get_ref()))
                    .at(at(w.span()))
                    .label("expected a wave number from 0 (the first) up")
            })?,
        };
        out.push((
            FleetTarget {
                name,
                url: t.url.into_inner(),
                wave,
            },
            name_span,
        ));
    }
    if out.is_empty() {
        return Err(Diag::input(format!("{} lists no target", file.path))
            .help("add [[target]] tables: name = \"tenant-042\", url = \"postgres://...\", and wave = 1 for a later wave")
            .into());
    }
    Ok(out.into_iter().map(|(t, _)| t).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> std::result::Result<Vec<FleetTarget>, String> {
        parse(&SourceFile::new("targets.toml", text.to_string())).map_err(|e| e.render())
    }

    #[test]
    fn reads_names_urls_and_waves() {
        let list = read(
            "[[target]]\nname = \"a\"\nurl = \"sqlite://a.db\"\n\n[[target]]\nname = \"b\"\nurl = \"sqlite://b.db\"\nwave = 2\n",
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].wave, list[1].wave), (0, 2));
        assert_eq!(list[1].url, "sqlite://b.db");
    }

    #[test]
    fn bad_files_are_located() {
        let dup =
            read("[[target]]\nname = \"a\"\nurl = \"x\"\n[[target]]\nname = \"a\"\nurl = \"y\"\n")
                .unwrap_err();
        assert!(
            dup.contains("listed twice") && dup.contains("targets.toml:5:8"),
            "{dup}"
        );
        assert!(dup.contains("first at targets.toml:2:8"), "{dup}");
        let missing = read("[[target]]\nname = \"a\"\n").unwrap_err();
        assert!(
            missing.contains("missing field `url`") && missing.contains("targets.toml:1:1"),
            "{missing}"
        );
        let unknown = read("[[target]]\nname = \"a\"\nurl = \"x\"\nwaev = 1\n").unwrap_err();
        assert!(
            unknown.contains("targets.toml:4:1") && unknown.contains("`wave`"),
            "{unknown}"
        );
        let wave = read("[[target]]\nname = \"a\"\nurl = \"x\"\nwave = -1\n").unwrap_err();
        assert!(wave.contains("targets.toml:4:8"), "{wave}");
        assert!(read("").unwrap_err().contains("lists no target"));
        assert!(read("[[target]]\nname = \" \"\nurl = \"x\"\n")
            .unwrap_err()
            .contains("blank"));
    }
}
