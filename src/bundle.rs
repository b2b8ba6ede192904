//! `tandem release bundle R --out DIR`: a cut release packed for a deploy pipeline.
//! `pre-deploy/` holds expand(R)'s files (run before R's code rolls out), `post-deploy/`
//! contract(R)'s (run once every deployment runs R), with `runbook.md` and a
//! `manifest.json` that names every file with its SHA-256, the changes it serves, whether
//! it must run outside a transaction, and what R's code must no longer use. Files that
//! must run outside a transaction get Flyway's per-script configuration beside them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::code_contract::{self, CodeContract};
use crate::diag::{Diag, Error, Result};
use crate::lock::sha256_hex;
use crate::plan::{Plan, Slot};
use crate::project::Project;

pub const MANIFEST: &str = "manifest.json";
pub const PRE_DEPLOY: &str = "pre-deploy";
pub const POST_DEPLOY: &str = "post-deploy";

/// The manifest of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub release: String,
    pub dialect: String,
    /// Every release up to and including this one, in order: what the fleet gate holds
    /// running clients against.
    pub releases: Vec<String>,
    pub files: Vec<BundledFile>,
    /// What R's code must no longer read or write (retired in R).
    pub stops_using: Vec<code_contract::Retired>,
    /// What R's code may read and write.
    pub uses: Vec<code_contract::TableUse>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BundledFile {
    /// `expand` or `contract`.
    pub phase: String,
    pub version: i64,
    /// Path inside the bundle: `pre-deploy/V1000__expand_x.sql`.
    pub file: String,
    /// Path in the project's migrations directory.
    pub source: String,
    pub sha256: String,
    /// The change files it serves.
    pub changes: Vec<String>,
    /// Must run outside a transaction (`-- tandem:no-transaction`).
    pub no_transaction: bool,
}

/// Writes the bundle of cut release `release` into `out`, which must not exist or be
/// empty. The bundle is written beside it and moved in whole.
pub fn write(project: &Project, plan: &Plan, release: &str, out: &Path) -> Result<Manifest> {
    let r = plan.release_index(release)?;
    let Some(cut) = project.lock.release(release) else {
        return Err(
            Diag::refused(format!("refused: release {release} is not cut"))
                .note("a bundle ships the frozen files of a release, checked against tandem.lock")
                .help(format!("run `tandem release cut {release}` first"))
                .into(),
        );
    };
    if !plan.problems.is_empty() {
        return Err(plan.problems.clone().into());
    }
    let dir = &project.config.migrations_dir;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for f in plan.files.iter().filter(|f| f.slot.release() == Some(r)) {
        let path = dir.join(&f.path);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(_) => {
                problems.push(
                    Diag::refused(format!(
                        "refused: {} is missing",
                        project.config.display(&path)
                    ))
                    .help("run `tandem generate`, or restore it"),
                );
                continue;
            }
        };
        let sum = sha256_hex(&bytes);
        if !cut
            .files
            .iter()
            .any(|l| l.path == f.path && l.sha256 == sum)
        {
            problems.push(
                Diag::refused(format!(
                    "refused: {} differs from what tandem.lock recorded for release {release}",
                    project.config.display(&path)
                ))
                .help("restore it (git checkout); a cut release is frozen"),
            );
            continue;
        }
        let folder = match f.slot {
            Slot::Expand(_) => PRE_DEPLOY,
            _ => POST_DEPLOY,
        };
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        files.push((
            BundledFile {
                phase: f.slot.phase().to_string(),
                version: f.version,
                file: format!("{folder}/{name}"),
                source: f.path.clone(),
                sha256: sum,
                changes: f.change_path.iter().cloned().collect(),
                no_transaction: f.rendered.no_transaction,
            },
            bytes,
        ));
    }
    for locked in &cut.files {
        if !plan.files.iter().any(|f| f.path == locked.path) {
            problems.push(Diag::refused(format!(
                "refused: tandem.lock records {} for release {release}, but the plan has no such file",
                locked.path
            )));
        }
    }
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let contract: CodeContract = code_contract::of_release(plan, r);
    let manifest = Manifest {
        release: release.to_string(),
        dialect: project.config.dialect.name().to_string(),
        releases: plan.releases.names()[..=r].to_vec(),
        files: files.iter().map(|(f, _)| f.clone()).collect(),
        stops_using: contract.stops_using,
        uses: contract.uses,
    };
    let runbook = crate::report::runbook(project, plan, release)?;

    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| Error::io(out, e))?
            .next()
            .is_some()
    {
        return Err(
            Diag::input(format!("{} exists and is not empty", out.display()))
                .help("name a new directory with --out, or remove this one")
                .into(),
        );
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".tandem-bundle-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io(&parent, e))?;
    let root = staging.path();
    for folder in [PRE_DEPLOY, POST_DEPLOY] {
        let d = root.join(folder);
        std::fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
    }
    for (f, bytes) in &files {
        let path = root.join(&f.file);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
        if f.no_transaction {
            // Flyway reads `<script>.conf` beside a script for its per-script settings.
            let conf = root.join(format!("{}.conf", f.file));
            std::fs::write(&conf, "executeInTransaction=false\n")
                .map_err(|e| Error::io(&conf, e))?;
        }
    }
    let write = |name: &str, text: &str| -> Result<()> {
        let path = root.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
    };
    write("runbook.md", &runbook)?;
    write(
        MANIFEST,
        &(serde_json::to_string_pretty(&manifest).expect("json") + "\n"),
    )?;
    if out.exists() {
        std::fs::remove_dir(out).map_err(|e| Error::io(out, e))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        Error::io(out, e)
    })?;
    Ok(manifest)
}

/// Reads a bundle's manifest and checks every file against its SHA-256.
pub fn load(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::from(
            Diag::input(format!("cannot read {}: {e}", path.display()))
                .help("point --bundle at a directory written by `tandem release bundle`"),
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| Diag::input(format!("{} is not a tandem manifest: {e}", path.display())))?;
    let mut problems = Vec::new();
    for f in &manifest.files {
        let file = dir.join(&f.file);
        match std::fs::read(&file) {
            Ok(bytes) if sha256_hex(&bytes) == f.sha256 => {}
            Ok(_) => problems.push(Diag::input(format!(
                "{} differs from the SHA-256 its manifest records",
                file.display()
            ))),
            Err(e) => problems.push(Diag::input(format!("cannot read {}: {e}", file.display()))),
        }
    }
    if problems.is_empty() {
        Ok(manifest)
    } else {
        Err(problems.into())
    }
}
