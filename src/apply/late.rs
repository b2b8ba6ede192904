//! Files applied out of order: a hotfix release (1.4.1) is numbered between the releases
//! around it, so a database already past it (staging at expand(1.5.0)) has skipped its
//! files, and refinery refuses them as missing. tandem applies such a file late when it
//! commutes with every file the database applied after it: it only adds or relaxes, and
//! it touches no table, column or index those files touch. Otherwise it is refused with
//! the reason.

use refinery_core::traits::sync::Transaction;
use serde::Serialize;

use super::database::DbError;
use super::progress::Resumable;
use super::{AppliedRow, Database, MigrationFile};
use crate::action::Touch;
use crate::diag::{Diag, Result};
use crate::plan::Plan;
use crate::sql::Dialect;

/// A file the database skipped, and what keeps it from running late (nothing: it may).
#[derive(Debug, Clone, Serialize)]
pub struct Late {
    pub path: String,
    pub version: i64,
    pub blocked_by: Vec<String>,
}

/// The files older than the last applied one that the database never applied.
pub fn late_files(
    plan: &Plan,
    files: &[MigrationFile],
    applied: &[AppliedRow],
    dialect: Dialect,
) -> Vec<Late> {
    let last = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let is_applied = |v: i64| applied.iter().any(|a| a.version == v);
    let planned = |v: i64| plan.files.iter().find(|f| f.version == v);
    let touches = |v: i64| -> Option<Vec<Touch>> {
        Some(
            planned(v)?
                .steps
                .iter()
                .flat_map(|s| &s.actions)
                .flat_map(|a| a.touches(dialect))
                .collect(),
        )
    };
    files
        .iter()
        .filter(|f| f.version < last && !is_applied(f.version))
        .map(|f| {
            let mut blocked_by = Vec::new();
            match planned(f.version) {
                None => blocked_by.push("it is not a file of the plan".to_string()),
                Some(p) => {
                    for step in p
                        .steps
                        .iter()
                        .filter(|s| !s.actions.iter().all(|a| a.is_additive()))
                    {
                        blocked_by.push(format!(
                            "its step \"{}\" does more than add or relax",
                            step.description
                        ));
                    }
                    let mine = touches(f.version).unwrap_or_default();
                    for later in applied.iter().filter(|a| a.version > f.version) {
                        let theirs = touches(later.version).unwrap_or(vec![Touch::Anything]);
                        let shared: Vec<String> = mine
                            .iter()
                            .filter(|t| theirs.iter().any(|u| t.overlaps(u)))
                            .map(describe)
                            .collect();
                        if !shared.is_empty() {
                            let name = files
                                .iter()
                                .find(|x| x.version == later.version)
                                .map(|x| x.path.clone())
                                .unwrap_or_else(|| format!("V{}__{}", later.version, later.name));
                            blocked_by.push(format!(
                                "{name}, applied after it, also touches {}",
                                shared.join(", ")
                            ));
                        }
                    }
                }
            }
            Late {
                path: f.path.clone(),
                version: f.version,
                blocked_by,
            }
        })
        .collect()
}

fn describe(t: &Touch) -> String {
    match t {
        Touch::Table(t) => format!("table {t}"),
        Touch::Column(t, c) => format!("{t}.{c}"),
        Touch::Index(i) => format!("index {i}"),
        Touch::Anything => "raw SQL".into(),
    }
}

/// Applies the skipped files that commute, oldest first, each with its history row, as
/// refinery would; refuses, before running any, when one does not.
pub fn apply_late(
    db: &mut Database,
    plan: &Plan,
    files: &[MigrationFile],
    applied: &[AppliedRow],
    display: &str,
) -> Result<Vec<String>> {
    let late = late_files(plan, files, applied, db.dialect());
    let blocked: Vec<&Late> = late.iter().filter(|l| !l.blocked_by.is_empty()).collect();
    if !blocked.is_empty() {
        let mut diag = Diag::refused(format!(
            "refused: {display} is past {} file(s) it never applied, which cannot run out of order",
            blocked.len()
        ));
        for l in &blocked {
            diag = diag.note(format!("{}: {}", l.path, l.blocked_by.join("; ")));
        }
        return Err(diag
            .note("a file runs out of order only when it adds or relaxes, and touches nothing the files applied after it touch")
            .help("apply it by hand in a way that fits this database (then record it), or restore this database from one that is not past it")
            .into());
    }
    let mut done = Vec::new();
    for l in &late {
        let file = files
            .iter()
            .find(|f| f.version == l.version)
            .expect("from these files");
        let migration = file.to_migration()?;
        let insert = db.own_tables().record_applied(
            file.version,
            migration.name(),
            &super::now_rfc3339(),
            migration.checksum(),
        );
        let mut session = Resumable {
            db: &mut *db,
            version: file.version,
            sql: &file.sql,
        };
        session
            .execute([file.sql.as_str(), insert.as_str()].into_iter())
            .map_err(|e: DbError| {
                Diag::input(format!(
                    "applying {} to {display} out of order failed: {e}",
                    file.path
                ))
            })?;
        done.push(file.path.clone());
    }
    Ok(done)
}
