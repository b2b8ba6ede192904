//! Writing the planned tree: compare with what is on disk, refuse to overwrite a hand
//! edit, and swap the whole tree in only once every file is written. A release is cut
//! here too, since it freezes the files written: only once they are in line with the plan.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::layout::{is_pristine, list_sql_files};
use crate::lock::{sha256_hex, CutRelease, Lock, LockedFile};
use crate::plan::{Plan, PlannedFile};

/// How a file on disk differs from the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "snake_case")]
pub enum Drift {
    /// Planned, not on disk.
    Missing(String),
    /// On disk as tandem wrote it, but the plan now says something else.
    Stale(String),
    /// On disk and edited by hand (or not written by tandem): never overwritten silently.
    HandEdited(String),
    /// On disk, written by tandem, no longer planned.
    Obsolete(String),
}

impl Drift {
    pub fn path(&self) -> &str {
        match self {
            Drift::Missing(p) | Drift::Stale(p) | Drift::HandEdited(p) | Drift::Obsolete(p) => p,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Drift::Missing(p) => format!("missing: {p}"),
            Drift::Stale(p) => format!("stale: {p}"),
            Drift::HandEdited(p) => format!("edited by hand: {p}"),
            Drift::Obsolete(p) => format!("no longer planned: {p}"),
        }
    }
}

/// `tandem release cut`: freezes `release` (and the baseline and every earlier release
/// not cut yet, see [`cut_lock`]) in tandem.lock, once the migration files on disk are
/// those the plan writes; returns the releases it froze, in order.
pub fn cut(plan: &Plan, config: &Config, lock: &Lock, release: &str) -> Result<Vec<String>> {
    let (lock, frozen) = cut_lock(lock, plan, release)?;
    let drift = drift(plan, config)?;
    if !drift.is_empty() {
        let mut diag = Diag::refused(format!(
            "refused: the migration files are not in line with the plan; cannot cut {release}"
        ));
        for d in drift.iter().take(10) {
            diag = diag.note(d.describe());
        }
        return Err(Error::from(diag.help("run `tandem generate` first")));
    }
    lock.write(config)?;
    Ok(frozen)
}

/// The lock once `release` is cut: `release`, the baseline and every earlier release
/// not cut yet are frozen with the files `plan` places in them; also the releases it
/// freezes, in order. Refuses a release unknown, already cut, or in a plan with
/// problems. Nothing is written: see [`Lock::write`]. It lives here, above both the lock
/// and the plan, because cutting reads a plan into the lock.
fn cut_lock(lock: &Lock, plan: &Plan, release: &str) -> Result<(Lock, Vec<String>)> {
    let r = plan.release_index(release)?;
    if lock.is_cut(release) {
        return Err(Diag::input(format!("release {release} is already cut")).into());
    }
    if !plan.problems.is_empty() {
        return Err(plan.problems.clone().into());
    }
    // Every database that applies R has applied the baseline and every release before
    // R first: a cut freezes them too.
    let mut lock = upgraded(lock, plan).unwrap_or_else(|| lock.clone());
    if lock.baseline.is_none() {
        lock.baseline = plan.files.first().map(locked);
    }
    let mut frozen = Vec::new();
    for earlier in 0..=r {
        let name = plan.releases.name(earlier);
        if lock.is_cut(name) {
            continue;
        }
        lock.releases.push(CutRelease {
            name: name.to_string(),
            files: plan
                .files
                .iter()
                .filter(|f| f.slot.release() == Some(earlier))
                .map(locked)
                .collect(),
        });
        frozen.push(name.to_string());
    }
    Ok((lock, frozen))
}

/// The lock as tandem records a frozen file: its path, checksum and steps digest.
fn locked(f: &PlannedFile) -> LockedFile {
    LockedFile {
        path: f.path.clone(),
        sha256: sha256_hex(f.content.as_bytes()),
        steps: Some(f.steps_digest()),
    }
}

/// A lock written by an earlier tandem, upgraded: the steps digest of each frozen file
/// that has none, and the baseline once a release is cut. A digest is taken from the plan
/// only for a file the plan keeps with the frozen bytes (the layout adopts the file on
/// disk when it still holds what the lock recorded); the baseline is the plan's, which
/// is the file on disk when tandem wrote it. `None` when there is nothing to upgrade, or
/// the plan has problems (the lock is then left as it is).
pub fn upgraded(lock: &Lock, plan: &Plan) -> Option<Lock> {
    if !plan.problems.is_empty() || lock.releases.is_empty() {
        return None;
    }
    let by_path: BTreeMap<&str, &PlannedFile> =
        plan.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut out = lock.clone();
    if out.baseline.is_none() {
        out.baseline = plan.files.first().map(locked);
    }
    let files = out.releases.iter_mut().flat_map(|c| c.files.iter_mut());
    for file in files.chain(out.baseline.as_mut()) {
        if file.steps.is_some() {
            continue;
        }
        if let Some(planned) = by_path.get(file.path.as_str()) {
            if sha256_hex(planned.content.as_bytes()) == file.sha256 {
                file.steps = Some(planned.steps_digest());
            }
        }
    }
    (out != *lock).then_some(out)
}

/// Writes the lock upgraded (see [`upgraded`]) when it needs to be; whether it did.
pub fn upgrade_lock(lock: &Lock, plan: &Plan, config: &Config) -> Result<bool> {
    match upgraded(lock, plan) {
        Some(lock) => lock.write(config).map(|()| true),
        None => Ok(false),
    }
}

/// The differences between the plan and the migrations directory.
pub fn drift(plan: &Plan, config: &Config) -> Result<Vec<Drift>> {
    let dir = &config.migrations_dir;
    let on_disk = list_sql_files(dir)?;
    let planned: BTreeMap<&str, &str> = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let mut out = Vec::new();
    for (path, content) in &planned {
        let full = dir.join(path);
        match std::fs::read_to_string(&full) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Drift::Missing(path.to_string()))
            }
            Err(e) => return Err(Error::io(&full, e)),
            Ok(existing) if existing == *content => {}
            Ok(existing) => match is_pristine(&existing) {
                Some(true) => out.push(Drift::Stale(path.to_string())),
                _ => out.push(Drift::HandEdited(path.to_string())),
            },
        }
    }
    for path in on_disk {
        if planned.contains_key(path.as_str()) {
            continue;
        }
        let full = dir.join(&path);
        let existing = std::fs::read_to_string(&full).map_err(|e| Error::io(&full, e))?;
        match is_pristine(&existing) {
            Some(true) => out.push(Drift::Obsolete(path)),
            _ => out.push(Drift::HandEdited(path)),
        }
    }
    Ok(out)
}

/// What `generate` did.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub changes: Vec<Drift>,
    pub files: usize,
}

/// Writes the plan's files. Refuses while the plan has problems, and refuses to replace
/// or remove a hand-edited file unless `force`.
pub fn write(plan: &Plan, config: &Config, force: bool) -> Result<Outcome> {
    if !plan.problems.is_empty() {
        return Err(plan.problems.clone().into());
    }
    let changes = drift(plan, config)?;
    let edited: Vec<&Drift> = changes
        .iter()
        .filter(|d| matches!(d, Drift::HandEdited(_)))
        .collect();
    if !edited.is_empty() && !force {
        let diags: Vec<Diag> = edited
            .iter()
            .map(|d| {
                Diag::refused(format!(
                    "refused: {} was edited by hand; generate would overwrite or remove it",
                    config.display(&config.migrations_dir.join(d.path()))
                ))
                .note("edit the change file instead, so the plan and the files agree")
                .help("move the edit into the change file (a `sql` op), or run `tandem generate --force` to discard it")
            })
            .collect();
        return Err(diags.into());
    }
    if changes.is_empty() {
        return Ok(Outcome {
            changes,
            files: plan.files.len(),
        });
    }
    replace_tree(&config.migrations_dir, plan)?;
    Ok(Outcome {
        changes,
        files: plan.files.len(),
    })
}

/// Writes the whole tree into a temporary directory beside the target, then swaps it in.
/// A migrations directory that is a symbolic link (or under one) is written through the
/// link: the tree is staged beside the directory the link leads to and swapped there, so
/// the link stays a link, and the swap stays a rename within one file system.
fn replace_tree(dir: &Path, plan: &Plan) -> Result<()> {
    let resolved = resolve_links(dir)?;
    let dir = resolved.as_path();
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".tandem-staging-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    for file in &plan.files {
        let path = staging.path().join(&file.path);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))?;
        }
        std::fs::write(&path, &file.content).map_err(|e| Error::io(&path, e))?;
    }
    // Keep whatever else lives in the directory (a README, .gitkeep).
    if dir.exists() {
        copy_non_sql(dir, staging.path())?;
    }
    let staged = staging.keep();
    let backup = parent.join(format!(
        ".tandem-previous-{}",
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    if backup.exists() {
        std::fs::remove_dir_all(&backup).map_err(|e| Error::io(&backup, e))?;
    }
    let had_tree = dir.exists();
    if had_tree {
        std::fs::rename(dir, &backup).map_err(|e| Error::io(dir, e))?;
    }
    if let Err(e) = std::fs::rename(&staged, dir) {
        if had_tree {
            let _ = std::fs::rename(&backup, dir);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::io(dir, e));
    }
    if had_tree {
        std::fs::remove_dir_all(&backup).map_err(|e| Error::io(&backup, e))?;
    }
    Ok(())
}

/// The directory `dir` leads to, following every symbolic link of it (a link to a link,
/// a link whose target is missing yet, relative targets read from the link's folder).
fn resolve_links(dir: &Path) -> Result<PathBuf> {
    let mut path = dir.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
                let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                path = base.join(target);
            }
            _ => {
                // The folder that holds it may be a link too: its real path, when it exists.
                let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                    return Ok(path);
                };
                return Ok(match std::fs::canonicalize(parent) {
                    Ok(real) => real.join(name),
                    Err(_) => path.clone(),
                });
            }
        }
    }
    Err(Error::io(
        dir,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

fn copy_non_sql(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| Error::io(&target, e))?;
            copy_non_sql(&path, &target)?;
        } else if path.extension().is_none_or(|e| e != "sql") {
            std::fs::copy(&path, &target).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}
