//! `tandem.lock`: the cut releases, with every migration file of each and its checksum.
//! A cut release is frozen: no edit may change, add or remove one of its files.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::action::Action;
use crate::config::Config;
use crate::diag::{Diag, Error, Result, SourceFile};
use crate::parse::serde_error;
use crate::sql::Dialect;

pub const LOCK_FILE: &str = "tandem.lock";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The dialect the frozen files are written in. A lock written before it was
    /// recorded has none; the next write records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<Dialect>,
    /// The baseline file, frozen by the first cut: every database that applied a cut
    /// release applied it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<LockedFile>,
    #[serde(default, rename = "release")]
    pub releases: Vec<CutRelease>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CutRelease {
    pub name: String,
    #[serde(default)]
    pub files: Vec<LockedFile>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LockedFile {
    /// Path relative to the migrations directory.
    pub path: String,
    pub sha256: String,
    /// What the file does, as a digest of its steps ([`steps_digest`]): a later tandem that
    /// writes the same steps in other words keeps the frozen file instead of refusing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<String>,
}

/// One step as its digest reads it: the op it serves, whether it waits for the rule, and
/// its actions as data (not their SQL).
pub struct DigestedStep<'a> {
    /// 1-based index of the op in its change file.
    pub op_index: usize,
    pub op_kind: &'a str,
    pub destructive: bool,
    pub actions: &'a [Action],
}

/// A digest of what a planned file does, not of how it is written: its path and, per
/// step, the op it serves, whether it is destructive and its actions (tables, columns,
/// types, expressions, as data). The same steps rendered by another tandem version or
/// another template give the same digest; a step added, removed, moved to another file
/// or changed in what it does (a column more in the baseline) does not.
pub fn steps_digest<'a>(path: &str, steps: impl IntoIterator<Item = DigestedStep<'a>>) -> String {
    let mut text = format!("{path}\n");
    for step in steps {
        let actions = serde_json::to_string(step.actions).unwrap_or_default();
        text.push_str(&format!(
            "{} {} {} {actions}\n",
            step.op_index, step.op_kind, step.destructive
        ));
    }
    sha256_hex(text.as_bytes())
}

/// The SHA-256 of `bytes` in lower-case hex: the checksum of a file in the lock and in a
/// generated file's trailer.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(2 * digest.len());
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

impl Lock {
    pub fn path(config: &Config) -> PathBuf {
        config.root.join(LOCK_FILE)
    }

    pub fn load(config: &Config) -> Result<Lock> {
        let path = Lock::path(config);
        if !path.exists() {
            return Ok(Lock::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let file = SourceFile::new(LOCK_FILE, text);
        let lock: Lock =
            toml::from_str(&file.text).map_err(|e| serde_error(&file, &e, "tandem.lock"))?;
        match lock.dialect {
            Some(cut) if cut != config.dialect => Err(dialect_mismatch(&file, cut, config)),
            _ => Ok(lock),
        }
    }

    pub fn release(&self, name: &str) -> Option<&CutRelease> {
        self.releases.iter().find(|r| r.name == name)
    }

    pub fn is_cut(&self, name: &str) -> bool {
        self.release(name).is_some()
    }

    /// Writes the lock to the project's `tandem.lock`, with the project's dialect (the
    /// one the frozen files are written in).
    pub fn write(&self, config: &Config) -> Result<()> {
        let path = Lock::path(config);
        let mut lock = self.clone();
        lock.dialect.get_or_insert(config.dialect);
        std::fs::write(&path, lock.to_toml()).map_err(|e| Error::io(&path, e))
    }

    /// The problems of the files of the baseline and the cut releases on disk: each must
    /// still hold what the lock recorded.
    pub fn files_on_disk(&self, config: &Config) -> Vec<Diag> {
        let dir = &config.migrations_dir;
        let mut out = Vec::new();
        let baseline = self
            .baseline
            .iter()
            .map(|f| (f, "the baseline".to_string()));
        let cut_files = self.releases.iter().flat_map(|cut| {
            cut.files
                .iter()
                .map(|f| (f, format!("cut release {}", cut.name)))
        });
        for (f, owner) in baseline.chain(cut_files) {
            let path = dir.join(&f.path);
            match std::fs::read(&path) {
                Ok(bytes) if sha256_hex(&bytes) == f.sha256 => {}
                Ok(_) => out.push(
                    Diag::refused(format!(
                        "{} of {owner} differs from tandem.lock",
                        config.display(&path),
                    ))
                    .help("restore it (git checkout); a cut release is frozen"),
                ),
                Err(_) => out.push(
                    Diag::refused(format!("{} of {owner} is missing", config.display(&path),))
                        .help("run `tandem generate` to write it back, or restore it"),
                ),
            }
        }
        out
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!("# tandem.lock: releases frozen by `tandem release cut`. Do not edit by hand.\n\n{body}")
    }
}

/// The lock's files are written in `cut`, and tandem.toml now names another dialect: the
/// tree would mix the frozen files of one with new files of the other.
fn dialect_mismatch(file: &std::sync::Arc<SourceFile>, cut: Dialect, config: &Config) -> Error {
    let span = file
        .text
        .find("dialect")
        .map(|start| start..start + file.text[start..].find('\n').unwrap_or(7))
        .unwrap_or(0..0);
    Diag::input(format!(
        "tandem.lock froze files written for {}, but tandem.toml's dialect is {}",
        cut.name(),
        config.dialect.name()
    ))
    .at(crate::diag::Location::new(file, span))
    .label(format!("cut for {}", cut.name()))
    .note("the cut releases' files are frozen as they were written; new files of another dialect beside them would leave a tree no database can run")
    .help(format!(
        "set dialect = \"{}\" back in tandem.toml; to try the project on SQLite, migrate a sqlite:// database, which gets the plan rendered for it in memory",
        cut.name()
    ))
    .into()
}
