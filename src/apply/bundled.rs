//! `tandem migrate --bundle DIR`: apply a release bundle without the project, as a deploy
//! pipeline does. The bundle holds only its release's files, so refinery's own check for
//! applied files missing from the directory is off; tandem checks instead that every
//! bundled file the database applied is unchanged, and that the files it would apply come
//! after everything the database applied (an earlier one would be applied out of order).

use refinery_core::{Runner, Target as RunTarget};

use super::database::DbError;
use super::{connect, history_rows, MigrationFile, Target};
use crate::bundle::{self, Manifest};
use crate::diag::{Diag, Result};
use crate::sql::Dialect;

/// What a bundle run did.
#[derive(Debug)]
pub struct Outcome {
    pub database: String,
    pub manifest: Manifest,
    pub applied: Vec<super::migrate::AppliedFile>,
}

/// Applies the bundle's files up to `phase` (`expand`: pre-deploy; `contract`: both).
pub fn migrate(
    dir: &std::path::Path,
    phase: &str,
    target: &Target,
    fleet: &super::fleet::FleetOptions,
) -> Result<Outcome> {
    let manifest = bundle::load(dir)?;
    let display = target.display();
    let dialect = Dialect::from_name(&manifest.dialect).ok_or_else(|| {
        Diag::input(format!(
            "the bundle names an unknown dialect `{}`",
            manifest.dialect
        ))
    })?;
    if target.dialect() != dialect {
        return Err(Diag::input(format!(
            "{display} is a {} database, but the bundle is written for {}",
            target.dialect().name(),
            dialect.name()
        ))
        .into());
    }
    let files = read_files(dir, &manifest, phase)?;

    let mut db = connect(target, true)?;
    let db_error = |e: DbError| Diag::input(format!("{display}: {e}"));
    if !db
        .lock_migrations(super::migrate::LOCK_WAIT)
        .map_err(db_error)?
    {
        return Err(Diag::input(format!("another migrate holds the lock of {display}")).into());
    }
    let applied = history_rows(&mut db).map_err(db_error)?;
    if applied.is_empty() {
        return Err(Diag::input(format!(
            "{display} has no migration history: a bundle applies one release on top of the releases before it"
        ))
        .help("migrate the database with the project first (`tandem migrate --release ...`)")
        .into());
    }
    missing_releases(&applied, &manifest, &display)?;
    let pending = pending_files(&files, &applied, &display, &manifest)?;
    // Nothing to apply needs no gate: a refusal would only block a no-op.
    if pending.is_empty() {
        eprintln!("fleet gate: not run, nothing to apply");
    } else {
        // The gate guards the files applied: a contract with none of its own pending
        // applies only expands.
        let contract = pending.iter().any(|f| {
            manifest
                .files
                .iter()
                .any(|m| m.file == f.path && m.phase == "contract")
        });
        pass_gate(target, &manifest, contract, fleet)?;
    }
    let done = apply_pending(&mut db, &files, pending, &display)?;
    Ok(Outcome {
        database: display,
        manifest,
        applied: done,
    })
}

/// The bundle's files up to `phase`, read, in version order.
fn read_files(
    dir: &std::path::Path,
    manifest: &Manifest,
    phase: &str,
) -> Result<Vec<MigrationFile>> {
    let mut files = Vec::new();
    for f in manifest
        .files
        .iter()
        .filter(|f| phase == "contract" || f.phase == "expand")
    {
        let sql = std::fs::read_to_string(dir.join(&f.file))
            .map_err(|e| Diag::input(format!("cannot read {}: {e}", f.file)))?;
        let stem = f
            .file
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".sql"))
            .unwrap_or_default()
            .to_string();
        files.push(MigrationFile {
            path: f.file.clone(),
            version: f.version,
            stem,
            sql,
        });
    }
    files.sort_by_key(|f| f.version);
    Ok(files)
}

/// The fleet gate, held against the manifest's releases.
fn pass_gate(
    target: &Target,
    manifest: &Manifest,
    contract: bool,
    fleet: &super::fleet::FleetOptions,
) -> Result<()> {
    let releases = crate::release::Releases::new(
        &crate::release::ReleaseOrder::List(manifest.releases.clone()),
        manifest.releases.clone(),
    );
    // `bundle::load` made sure the list holds the bundle's release, last.
    let r = manifest.releases.len().saturating_sub(1);
    let mut gate_db = connect(target, true)?;
    super::fleet::gate(&mut gate_db, fleet, &releases, r, contract)?.report();
    Ok(())
}

/// Applies `pending` one by one, each under lock retries, timed.
fn apply_pending(
    db: &mut super::database::Database,
    files: &[MigrationFile],
    pending: Vec<&MigrationFile>,
    display: &str,
) -> Result<Vec<super::migrate::AppliedFile>> {
    let migrations = files
        .iter()
        .map(MigrationFile::to_migration)
        .collect::<Result<Vec<_>>>()?;
    let mut done = Vec::new();
    for file in pending {
        let started = std::time::Instant::now();
        eprintln!("applying {} ...", file.path);
        // The bundle lacks the earlier releases' files: refinery must not count them as
        // missing (tandem checked the history above).
        // As in `migrate`: a file that cannot run in one transaction resumes after a
        // failure at the first statement its progress record does not have.
        let history = db.own_tables().history();
        super::migrate::with_lock_retries(super::migrate::BUNDLE_LOCK_RETRIES, &file.path, || {
            let mut session = super::progress::Resumable {
                db: &mut *db,
                version: file.version,
                sql: &file.sql,
            };
            Runner::new(&migrations)
                // The file and its history row in one call, so that they commit together.
                .set_grouped(true)
                .set_abort_missing(false)
                .set_target(RunTarget::Version(file.version as i32))
                .set_migration_table_name(&history)
                .run(&mut session)
                .map(|_| ())
        })
        .map_err(|e| super::migrate::refinery_error(e, files, display, Some(&file.path)))?;
        done.push(super::migrate::AppliedFile {
            path: file.path.clone(),
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(done)
}

/// Refuses a database that lacks files of the releases before the bundle's: the bundle's
/// steps rest on theirs (a contract's drop on the expand that relaxed the column).
fn missing_releases(
    applied: &[super::AppliedRow],
    manifest: &Manifest,
    display: &str,
) -> Result<()> {
    let have: std::collections::HashSet<i64> = applied.iter().map(|a| a.version).collect();
    let mut releases: Vec<&str> = Vec::new();
    let mut missing = Vec::new();
    for slot in &manifest.requires {
        let lacking: Vec<String> = slot
            .versions
            .iter()
            .filter(|v| !have.contains(v))
            .map(|v| format!("V{v}"))
            .collect();
        if lacking.is_empty() {
            continue;
        }
        if !releases.contains(&slot.release.as_str()) {
            releases.push(&slot.release);
        }
        missing.push(format!(
            "{}({}): {} not applied",
            slot.phase,
            slot.release,
            lacking.join(", ")
        ));
    }
    if missing.is_empty() {
        return Ok(());
    }
    let mut diag = Diag::refused(format!(
        "refused: {display} lacks release {} that bundle {} comes after",
        releases.join(", "),
        manifest.release
    ));
    for m in missing {
        diag = diag.note(m);
    }
    Err(diag
        .help(format!(
            "apply the releases before {} first (their bundles in order, or `tandem migrate` \
             with the project), then this bundle",
            manifest.release
        ))
        .into())
}

/// The bundle's files the database has not applied, once the history fits the bundle:
/// every bundled file it applied is unchanged, and none it lacks comes before the last
/// one it applied.
fn pending_files<'a>(
    files: &'a [MigrationFile],
    applied: &[super::AppliedRow],
    display: &str,
    manifest: &Manifest,
) -> Result<Vec<&'a MigrationFile>> {
    let last = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let mut problems = Vec::new();
    let mut pending = Vec::new();
    for file in files {
        match applied.iter().find(|a| a.version == file.version) {
            Some(row) => {
                if file.to_migration()?.checksum().to_string() != row.checksum.trim() {
                    problems.push(format!(
                        "{} was applied on {} with other contents",
                        file.path, row.applied_on
                    ));
                }
            }
            None if file.version < last => problems.push(format!(
                "{} (version {}) comes before the last applied version {last}",
                file.path, file.version
            )),
            None => pending.push(file),
        }
    }
    if !problems.is_empty() {
        let mut diag = Diag::input(format!(
            "the history of {display} does not fit bundle {}",
            manifest.release
        ));
        for p in problems {
            diag = diag.note(p);
        }
        return Err(diag.into());
    }
    Ok(pending)
}
