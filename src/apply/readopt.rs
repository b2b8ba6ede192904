//! `migrate --readopt`: after schema.toml was corrected (a comment, a default), the
//! baseline an adopted database recorded no longer has the checksum of the baseline file,
//! and every migrate refuses the history as divergent. Re-adoption checks the database
//! against the current schema.toml exactly as `--adopt` does, then re-records only the
//! baseline's checksum, logging who did it, when and why, in one transaction.

use super::database::{Database, DbError};
use super::migrate::{check_files_current, missing_baseline, take_lock};
use super::{connect, files_for, history_rows, now_rfc3339, Source, Target};
use crate::config::Config;
use crate::diag::{Diag, Result};
use crate::plan::Plan;
use crate::sql::bookkeeping::Readoption;

/// What a re-adoption did.
#[derive(Debug)]
pub enum Readopted {
    /// The baseline's recorded checksum was replaced, and logged.
    Recorded(Readoption),
    /// The history already has the baseline file's checksum: nothing was written.
    AlreadyCurrent,
}

/// Re-records the baseline of the adopted database at `target` for the current
/// schema.toml, or refuses (exit 1) naming why: no history, no baseline row, a later
/// applied file that diverges, or a database that does not match schema.toml.
pub fn readopt(
    config: &Config,
    plan: &Plan,
    target: &Target,
    source: Source,
    reason: &str,
) -> Result<Readopted> {
    if !plan.problems.is_empty() {
        return Err(crate::diag::Error {
            diags: plan.problems.clone(),
        });
    }
    let baseline_version = plan.files[0].version;
    if source == Source::Files {
        check_files_current(config, plan, baseline_version)?;
    }
    let files = files_for(config, plan, source)?;
    let baseline = files
        .iter()
        .find(|f| f.version == baseline_version)
        .ok_or_else(|| missing_baseline(plan))?;
    let new_checksum = baseline.to_migration()?.checksum().to_string();
    let display = target.display();
    let db_error = |e: DbError| Diag::input(format!("{display}: {e}"));
    let mut db = connect(target, false)?;
    take_lock(&mut db, &display)?;
    let rows = history_rows(&mut db).map_err(db_error)?;
    let Some(row) = rows.iter().find(|r| r.version == baseline_version) else {
        let what = if rows.is_empty() {
            "has no migration history".to_string()
        } else {
            format!("has no baseline (V{baseline_version}) in its history")
        };
        return Err(Diag::refused(format!(
            "refused to re-adopt {display}: it {what}, so there is no adopted baseline to re-record"
        ))
        .help("a database with the baseline's tables and no history is adopted with `tandem migrate --adopt`")
        .into());
    };
    let old_checksum = row.checksum.clone();
    let (divergent, _) = super::status::compare_history(&rows, &files, plan)?;
    let later: Vec<_> = divergent
        .iter()
        .filter(|d| d.version != baseline_version)
        .collect();
    if !later.is_empty() {
        let mut diag = Diag::refused(format!(
            "refused to re-adopt {display}: files after the baseline were applied with other contents than they have now"
        ));
        for d in later {
            diag = diag.note(format!("{} (applied {})", d.path, d.applied_on));
        }
        return Err(diag
            .help("re-adoption re-records the baseline only: restore those files as they were applied")
            .into());
    }
    refuse_mismatch(&mut db, plan, &display)?;
    if old_checksum == new_checksum {
        return Ok(Readopted::AlreadyCurrent);
    }
    let entry = Readoption {
        at: now_rfc3339(),
        by: who(&mut db),
        version: baseline_version,
        old_checksum,
        new_checksum,
        reason: reason.to_string(),
    };
    record(&mut db, &entry).map_err(db_error)?;
    Ok(Readopted::Recorded(entry))
}

/// Refuses (exit 1) a database that does not match schema.toml, listing every difference.
fn refuse_mismatch(db: &mut Database, plan: &Plan, display: &str) -> Result<()> {
    let problems =
        super::adopt::differences(db, plan).map_err(|e| Diag::input(format!("{display}: {e}")))?;
    if problems.is_empty() {
        return Ok(());
    }
    let mut diag = Diag::refused(format!(
        "refused to re-adopt {display}: its tables do not match schema.toml"
    ));
    for p in problems {
        diag = diag.note(p);
    }
    Err(diag
        .help("make schema.toml describe the live database (or the database schema.toml), then run --readopt again")
        .into())
}

/// Writes the new checksum and the log entry together; fails when another run changed
/// the baseline's row meanwhile (the update then matched no row).
fn record(db: &mut Database, entry: &Readoption) -> std::result::Result<(), DbError> {
    let own = db.own_tables();
    db.create_own_table(&own.create_readopt_log())?;
    db.run_in_transaction(&own.readopt(db.dialect(), entry))?;
    let now = super::history_rows(db)?
        .into_iter()
        .find(|r| r.version == entry.version)
        .map(|r| r.checksum);
    if now.as_deref() != Some(entry.new_checksum.as_str()) {
        return Err(DbError(
            "the baseline's row of the history changed while it was re-adopted; nothing was recorded, run --readopt again".to_string(),
        ));
    }
    Ok(())
}

/// Who re-adopts: the operating system's user name as the environment gives it, and
/// the database user the server knows the session by (SQLite has none).
fn who(db: &mut Database) -> String {
    let os = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
    let query = match db.dialect() {
        crate::sql::Dialect::Postgres => Some("SELECT current_user"),
        crate::sql::Dialect::Mysql => Some("SELECT CURRENT_USER()"),
        crate::sql::Dialect::Sqlite => None,
    };
    let database = query
        .and_then(|q| db.query_text(q).ok())
        .and_then(|rows| rows.into_iter().next()?.into_iter().next()?);
    match (os, database) {
        (Some(os), Some(user)) => format!("{os} (database user {user})"),
        (Some(os), None) => os,
        (None, Some(user)) => format!("database user {user}"),
        (None, None) => "unknown".to_string(),
    }
}
