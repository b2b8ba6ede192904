//! `tandem status`: which releases and phases a database has applied, from its history
//! table compared with the generated files.

use serde::Serialize;

use super::{
    connect, files_for, history_rows, progress, AppliedRow, MigrationFile, Source, Target,
};
use crate::config::Config;
use crate::diag::{Diag, Result};
use crate::plan::{Plan, Slot};
use crate::sql::split;

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    /// No file serves this phase.
    Empty,
    Applied,
    Partial,
    NotApplied,
}

impl PhaseState {
    pub fn word(self) -> &'static str {
        match self {
            PhaseState::Empty => "-",
            PhaseState::Applied => "applied",
            PhaseState::Partial => "partly applied",
            PhaseState::NotApplied => "not applied",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReleaseStatus {
    pub release: String,
    pub expand: PhaseState,
    pub contract: PhaseState,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub database: String,
    pub baseline: PhaseState,
    pub releases: Vec<ReleaseStatus>,
    /// Generated files the database has not applied, in apply order.
    pub not_applied: Vec<String>,
    /// Versions in the history that no generated file has.
    pub unknown_applied: Vec<String>,
    /// Applied files whose contents differ from what the database applied.
    pub divergent: Vec<Divergent>,
    /// Applied files that the plan makes under another name, their change file having
    /// been renamed (or under another version): `migrate` refuses, saying how to undo it.
    pub renamed: Vec<RenamedChange>,
    /// Files not applied whose version is below the last applied one (a hotfix release)
    /// that commute with what came after them: `migrate` applies them out of order.
    pub out_of_order: Vec<String>,
    /// Such files that do not commute: `migrate` refuses them, with the reasons.
    pub skipped: Vec<super::late::Late>,
    /// Files a run stopped in: some of their statements completed, the file is not
    /// recorded as applied.
    pub partly_applied: Vec<PartlyApplied>,
    /// Each time `migrate --readopt` re-recorded the baseline: when, by whom, why.
    pub readopted: Vec<crate::sql::bookkeeping::Readoption>,
    /// No history problem and no file left half-way: `migrate` would not refuse this
    /// database for its history.
    pub ok: bool,
}

/// A file a run stopped in.
#[derive(Debug, Serialize)]
pub struct PartlyApplied {
    pub path: String,
    pub version: i64,
    /// Statements recorded as completed.
    pub completed: usize,
    /// Statements the file has now (none when no file has this version).
    pub statements: Option<usize>,
    /// Whether the completed statements ran from the contents the file has now: `migrate`
    /// resumes it then, and refuses it otherwise.
    pub same_contents: bool,
}

/// An applied file that changed since.
#[derive(Debug, Serialize)]
pub struct Divergent {
    pub path: String,
    pub version: i64,
    pub applied_on: String,
    /// The change file the file serves, when it is one.
    pub change: Option<String>,
}

/// What `status` reads the history of, and the files to hold it against.
pub fn status(config: &Config, plan: &Plan, target: &Target, source: Source) -> Result<Status> {
    let (applied, started, readopted) = match target {
        Target::SqliteFile(path) if !path.exists() => (Vec::new(), Vec::new(), Vec::new()),
        _ => {
            let mut db = connect(target, false)?;
            let read =
                |e: super::database::DbError| Diag::input(format!("{}: {e}", target.display()));
            let applied = history_rows(&mut db).map_err(read)?;
            let started = progress::started_files(&mut db).map_err(read)?;
            let readopted = super::readoptions(&mut db).map_err(read)?;
            (applied, started, readopted)
        }
    };
    let files = files_for(config, plan, source)?;
    let is_applied = |v: i64| applied.iter().any(|a| a.version == v);
    let partly_applied = partly_applied(&files, &started, &applied, target);
    let is_started = |v: i64| partly_applied.iter().any(|p| p.version == v);
    let state = |slot: Slot| {
        let versions: Vec<i64> = plan.files_in(slot).map(|f| f.version).collect();
        let done = versions.iter().filter(|v| is_applied(**v)).count();
        let begun = versions.iter().any(|v| is_started(*v));
        match (versions.len(), done) {
            (0, _) => PhaseState::Empty,
            (n, d) if d == n => PhaseState::Applied,
            (_, 0) if !begun => PhaseState::NotApplied,
            _ => PhaseState::Partial,
        }
    };
    let releases = (0..plan.releases.len())
        .map(|r| ReleaseStatus {
            release: plan.releases.name(r).to_string(),
            expand: state(Slot::Expand(r)),
            contract: state(Slot::Contract(r)),
        })
        .collect();
    let (divergent, unknown_applied) = compare_history(&applied, &files, plan)?;
    let renamed = renamed_changes(&applied, &files, plan)?;
    let not_applied: Vec<&MigrationFile> =
        files.iter().filter(|f| !is_applied(f.version)).collect();
    let late = super::late::late_files(plan, &files, &applied, target.dialect());
    let out_of_order: Vec<String> = late
        .iter()
        .filter(|l| l.blocked_by.is_empty())
        .map(|l| l.path.clone())
        .collect();
    let skipped: Vec<super::late::Late> = late
        .into_iter()
        .filter(|l| !l.blocked_by.is_empty())
        .collect();
    Ok(Status {
        database: target.display(),
        baseline: state(Slot::Baseline),
        releases,
        not_applied: not_applied.iter().map(|f| f.path.clone()).collect(),
        ok: divergent.is_empty()
            && renamed.is_empty()
            && unknown_applied.is_empty()
            && skipped.is_empty()
            && partly_applied.is_empty(),
        unknown_applied,
        divergent,
        renamed,
        out_of_order,
        skipped,
        partly_applied,
        readopted,
    })
}

/// The files a run stopped in (statements recorded in the progress table, the file not
/// in the history): each with how far it got, and whether it ran from the contents the
/// file has now (`migrate` resumes it) or from others (`migrate` refuses it).
fn partly_applied(
    files: &[MigrationFile],
    started: &[progress::Started],
    applied: &[AppliedRow],
    target: &Target,
) -> Vec<PartlyApplied> {
    started
        .iter()
        .filter(|s| !applied.iter().any(|a| a.version == s.version))
        .map(|s| {
            let file = files.iter().find(|f| f.version == s.version);
            PartlyApplied {
                path: file.map_or_else(|| format!("V{}", s.version), |f| f.path.clone()),
                version: s.version,
                completed: s.completed,
                statements: file.map(|f| split::statements(target.dialect(), &f.sql).len()),
                same_contents: file.is_some_and(|f| progress::checksum(&f.sql) == s.checksum),
            }
        })
        .collect()
}

/// The applied files that changed since (with the change each serves), and the applied
/// versions no file has.
pub fn compare_history(
    applied: &[AppliedRow],
    files: &[MigrationFile],
    plan: &Plan,
) -> Result<(Vec<Divergent>, Vec<String>)> {
    let change_of = |path: &str| {
        plan.files
            .iter()
            .find(|f| f.path == path)
            .and_then(|f| f.change_path.clone())
    };
    let mut divergent = Vec::new();
    let mut unknown = Vec::new();
    for row in applied {
        let Some(file) = files.iter().find(|f| f.version == row.version) else {
            unknown.push(format!("V{}__{}", row.version, row.name));
            continue;
        };
        let checksum = file.to_migration()?.checksum().to_string();
        if checksum != row.checksum.trim() {
            divergent.push(Divergent {
                path: file.path.clone(),
                version: row.version,
                applied_on: row.applied_on.clone(),
                change: change_of(&file.path),
            });
        }
    }
    Ok((divergent, unknown))
}

/// An applied file whose change file was renamed since (the plan makes the same file
/// under the new name), or that has another version now (`from` and `to` the same).
#[derive(Debug, Clone, Serialize)]
pub struct RenamedChange {
    /// The change file's name when the file was applied, and its name now.
    pub from: String,
    pub to: String,
    /// `V1000__expand_0007_drop_legacy`, as the history records it.
    pub applied: String,
    /// The path the plan gives the same file now.
    pub now: String,
}

/// The applied files no file of the same version and name matches, whose contents are a
/// planned file's once its change file's former name (read from the applied name) is put
/// back: refinery's checksum of the history row proves it.
pub fn renamed_changes(
    applied: &[AppliedRow],
    files: &[MigrationFile],
    plan: &Plan,
) -> Result<Vec<RenamedChange>> {
    let mut out = Vec::new();
    for row in applied {
        let stem = format!("V{}__{}", row.version, row.name);
        if files
            .iter()
            .any(|f| f.version == row.version && f.stem == stem)
        {
            continue;
        }
        for planned in &plan.files {
            let Some(to) = planned.change_path.as_deref() else {
                continue;
            };
            // The same name under another version: renumbered, not renamed.
            let renumbered =
                crate::layout::migration_name(&planned.path).is_some_and(|n| n == row.name);
            let from = if renumbered {
                to.to_string()
            } else {
                match crate::layout::former_change_path(planned, &row.name) {
                    Some(from) => from,
                    None => continue,
                }
            };
            let content = files
                .iter()
                .find(|f| f.path == planned.path)
                .map_or(planned.content.as_str(), |f| f.sql.as_str());
            let before = MigrationFile {
                path: planned.path.clone(),
                version: row.version,
                stem: stem.clone(),
                sql: crate::layout::as_if_from(content, to, &from),
            };
            if before.to_migration()?.checksum().to_string() == row.checksum.trim() {
                out.push(RenamedChange {
                    from,
                    to: to.to_string(),
                    applied: stem.clone(),
                    now: planned.path.clone(),
                });
                break;
            }
        }
    }
    Ok(out)
}

impl Status {
    pub fn text(&self) -> String {
        let mut out = format!("database: {}\n", self.database);
        out.push_str(&format!("  {:<20} {}\n", "baseline", self.baseline.word()));
        for r in &self.readopted {
            out.push_str(&format!(
                "  baseline re-adopted {} by {}: {}\n",
                r.at, r.by, r.reason
            ));
        }
        for r in &self.releases {
            out.push_str(&format!(
                "  {:<20} expand: {:<15} contract: {}\n",
                r.release,
                r.expand.word(),
                r.contract.word()
            ));
        }
        if self.not_applied.is_empty() && self.ok {
            out.push_str("every generated file is applied\n");
        } else if self.not_applied.is_empty() {
            out.push_str("no file left to apply, but see the problems below\n");
        } else {
            out.push_str("not applied:\n");
            for p in &self.not_applied {
                out.push_str(&format!("  {p}\n"));
            }
        }
        for r in &self.renamed {
            let what = if r.from == r.to {
                "an applied file was renumbered".to_string()
            } else {
                format!("its change file was renamed: {} -> {}", r.from, r.to)
            };
            out.push_str(&format!(
                "problem: {} was applied, and the plan now makes it as {}: {what} (migrate refuses, and says how to undo it)\n",
                r.applied, r.now
            ));
        }
        if !self.unknown_applied.is_empty() {
            out.push_str("problem: applied, but no file has this version (migrate refuses):\n");
            for p in &self.unknown_applied {
                out.push_str(&format!("  {p}\n"));
            }
        }
        if !self.divergent.is_empty() {
            out.push_str(
                "problem: applied with other contents than the file has now (migrate refuses):\n",
            );
            for d in &self.divergent {
                out.push_str(&format!("  {} (applied {})", d.path, d.applied_on));
                if let Some(change) = &d.change {
                    out.push_str(&format!("; its steps come from {change}"));
                }
                out.push('\n');
            }
        }
        for p in &self.partly_applied {
            let of = p.statements.map(|n| format!(" of {n}")).unwrap_or_default();
            if p.same_contents {
                out.push_str(&format!(
                    "problem: {} is partly applied: a migrate stopped in it after {}{of} statements; the next migrate resumes it at the statement that failed\n",
                    p.path, p.completed
                ));
            } else {
                out.push_str(&format!(
                    "problem: {} is partly applied from other contents than the file has now ({}{of} statements completed; migrate refuses): restore the file that ran, or finish or undo its statements by hand and delete its rows of {}\n",
                    p.path, p.completed, progress::PROGRESS_TABLE
                ));
            }
        }
        if !self.out_of_order.is_empty() {
            out.push_str("out of order: older than the last applied file; migrate applies them next, as they commute with what came after:\n");
            for p in &self.out_of_order {
                out.push_str(&format!("  {p}\n"));
            }
        }
        if !self.skipped.is_empty() {
            out.push_str(
                "problem: not applied, older than the last applied file, and cannot run out of order (migrate refuses):\n",
            );
            for l in &self.skipped {
                out.push_str(&format!("  {}: {}\n", l.path, l.blocked_by.join("; ")));
            }
        }
        out
    }
}
