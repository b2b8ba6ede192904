//! `tandem migrate`: apply the generated files, read from the migrations directory at run
//! time, through refinery up to one point of the apply order. refinery keeps the history
//! table and refuses a history that differs from the files; tandem picks the target
//! version from the plan, checks the files are current, and reports file by file.

use std::collections::BTreeMap;

use refinery_core::error::Kind as RefineryKind;
use refinery_core::{Migrate, Migration, Runner, Target as RunTarget};
use serde::Serialize;

use super::database::{Database, DbError};
use super::progress::{Resumable, PROGRESS_TABLE};
use super::{connect, history, history_rows, MigrationFile, Source, Target};
use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::generate::{drift, Drift};
use crate::plan::{Plan, Slot};
use crate::sql::sqlite::GUARD_MARK;
use crate::sql::Dialect;

/// How long `migrate` waits for another run on the same database to finish.
pub(crate) const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub database: String,
    /// "expand(1.4.0)"
    pub target: String,
    /// Whether the baseline was recorded as applied without running it.
    pub adopted: bool,
    /// Files applied by this run, in order, relative to the migrations directory, with
    /// how long each took.
    pub applied: Vec<AppliedFile>,
    /// Files of an earlier release this run applied after later ones (a hotfix).
    pub out_of_order: Vec<String>,
    /// Files that differ from what tandem would generate but were applied as they are.
    pub hand_edited: Vec<String>,
    /// The database had applied files beyond the target before this run.
    pub past_target: bool,
    /// Set when the plan was rendered in memory for this database's dialect.
    pub rendered_for: Option<&'static str>,
}

/// A file a run applied, and how long it took.
#[derive(Debug, Serialize)]
pub struct AppliedFile {
    pub path: String,
    pub seconds: f64,
}

impl AppliedFile {
    /// `12 ms`, `1.4 s`: what a person reads of the duration.
    pub fn duration(&self) -> String {
        if self.seconds < 1.0 {
            format!("{} ms", (self.seconds * 1000.0).round() as u64)
        } else {
            format!("{:.1} s", self.seconds)
        }
    }
}

/// The highest version of the plan at or before `slot`: what a migrate to it applies up to.
pub fn target_version(plan: &Plan, slot: Slot) -> i64 {
    plan.files
        .iter()
        .filter(|f| f.slot.order() <= slot.order())
        .map(|f| f.version)
        .max()
        .unwrap_or(0)
}

/// The latest slot up to `slot` with a file the database at `target` has not applied
/// (every file counts when it does not exist yet): `None` means a migrate has nothing to
/// do, and the fleet gate guards this slot, not the one asked for. With `adopt` the
/// baseline does not count: adopting records it without running it.
pub fn latest_pending(
    plan: &Plan,
    slot: Slot,
    target: &Target,
    adopt: bool,
) -> Result<Option<Slot>> {
    let up_to = target_version(plan, slot);
    let baseline = plan.files.first().map(|f| f.version).filter(|_| adopt);
    let applied = match target {
        Target::SqliteFile(path) if !path.exists() => Vec::new(),
        _ => {
            let mut db = connect(target, false)?;
            history(&mut db).map_err(|e| Diag::input(format!("{}: {e}", target.display())))?
        }
    };
    Ok(plan
        .files
        .iter()
        .filter(|f| f.version <= up_to && !applied.iter().any(|(v, _)| *v == f.version))
        .filter(|f| Some(f.version) != baseline)
        .map(|f| f.slot)
        .max_by_key(|s| s.order()))
}

/// Applies every file up to and including `slot` to `target`. With `Source::Files` the
/// plan must have been built for the project's dialect, with `Source::Rendered` for the
/// target's.
pub fn migrate(
    config: &Config,
    plan: &Plan,
    slot: Slot,
    target: &Target,
    source: Source,
    adopt: bool,
) -> Result<Outcome> {
    if !plan.problems.is_empty() {
        return Err(Error {
            diags: plan.problems.clone(),
        });
    }
    let target_version = target_version(plan, slot);
    let (files, hand_edited) = match source {
        Source::Files => {
            let hand_edited = check_files_current(config, plan, target_version)?;
            (MigrationFile::load_all(config)?, hand_edited)
        }
        Source::Rendered => (MigrationFile::from_plan(plan)?, Vec::new()),
    };
    let migrations = files
        .iter()
        .map(MigrationFile::to_migration)
        .collect::<Result<Vec<_>>>()?;
    let display = target.display();
    let mut db = connect(target, true)?;
    take_lock(&mut db, &display)?;
    let applied_before = history(&mut db).map_err(|e| Diag::input(format!("{display}: {e}")))?;
    if adopt {
        adopt_baseline(&mut db, plan, &files, &applied_before, &display)?;
    } else if applied_before.is_empty() {
        refuse_unrecorded_tables(&mut db, plan, &display)?;
    }
    refuse_renamed(&mut db, (config, plan), &files, &display)?;
    refuse_divergent(&mut db, plan, &files, &display)?;
    // Files of a release inserted before ones already applied (a hotfix) run late where
    // they commute with what came after them; refinery would refuse them as missing.
    let rows = history_rows(&mut db).map_err(|e| Diag::input(format!("{display}: {e}")))?;
    let out_of_order = super::late::apply_late(&mut db, plan, &files, &rows, &display)?;
    let applied = apply_pending(
        &mut db,
        config,
        (&files, &migrations),
        target_version,
        &display,
    )?;
    Ok(Outcome {
        database: display,
        target: slot_label(plan, slot),
        adopted: adopt,
        out_of_order,
        applied,
        hand_edited,
        past_target: applied_before.iter().any(|(v, _)| *v > target_version),
        rendered_for: (source == Source::Rendered).then(|| target.dialect().name()),
    })
}

/// Takes the migrate lock of the database, waiting up to [`LOCK_WAIT`] for another run.
pub(super) fn take_lock(db: &mut Database, display: &str) -> Result<()> {
    if !db
        .lock_migrations(LOCK_WAIT)
        .map_err(|e| Diag::input(format!("{display}: {e}")))?
    {
        return Err(Diag::input(format!(
            "another migrate holds the lock of {display}; gave up after {} s",
            LOCK_WAIT.as_secs()
        ))
        .help("wait for it to finish, then run migrate again")
        .into());
    }
    Ok(())
}

/// `--adopt`: a database with no history whose tables match the baseline gets the
/// baseline recorded as applied, without running it.
fn adopt_baseline(
    db: &mut Database,
    plan: &Plan,
    files: &[MigrationFile],
    applied_before: &[(i64, String)],
    display: &str,
) -> Result<()> {
    if !applied_before.is_empty() {
        return Err(Diag::input(format!(
            "{display} already has a migration history ({} applied); --adopt is for a \
             database that has the baseline schema but no history",
            applied_before.len()
        ))
        .into());
    }
    check_matches_baseline(db, plan).map_err(|problems| {
        let mut diag = Diag::input(format!(
            "refused to adopt {display}: its tables do not match the baseline schema"
        ));
        for p in problems {
            diag = diag.note(p);
        }
        diag.help("make schema.toml describe the live database, then run --adopt again")
    })?;
    let baseline = files
        .iter()
        .find(|f| f.version == plan.files[0].version)
        .ok_or_else(|| missing_baseline(plan))?;
    Runner::new(&[baseline.to_migration()?])
        .set_target(RunTarget::FakeVersion(baseline.version as i32))
        .set_migration_table_name(db.own_tables().history())
        .run(db)
        .map_err(|e| refinery_error(e, files, display, None))?;
    Ok(())
}

/// A database with no history must not have the baseline's tables: the baseline would
/// run over them.
fn refuse_unrecorded_tables(db: &mut Database, plan: &Plan, display: &str) -> Result<()> {
    let existing: Vec<String> = db
        .table_names()
        .map_err(|e| Diag::input(format!("{display}: {e}")))?
        .into_iter()
        .filter(|t| plan.views[0].tables.contains_key(t))
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(Diag::input(format!(
        "{display} has no migration history but already has tables of the baseline ({})",
        existing.join(", ")
    ))
    .help(
        "run `tandem migrate --adopt ...` to check it against schema.toml and record \
         the baseline as applied without running it",
    )
    .into())
}

/// Lets refinery verify the history against every file, then applies the files it has
/// not applied up to `target_version`, one per run, so that a failure names its file and
/// the files before it stay recorded. Says on stderr which file starts.
fn apply_pending(
    db: &mut Database,
    config: &Config,
    (files, migrations): (&[MigrationFile], &[Migration]),
    target_version: i64,
    display: &str,
) -> Result<Vec<AppliedFile>> {
    let pending = db
        .get_unapplied_migrations(migrations, true, true, &db.own_tables().history())
        .map_err(|e| refinery_error(e, files, display, None))?;
    let mut applied = Vec::new();
    for migration in pending
        .iter()
        .filter(|m| i64::from(m.version()) <= target_version)
    {
        let file = files
            .iter()
            .find(|f| f.version == i64::from(migration.version()))
            .expect("loaded from these files");
        check_rebuilds(db, file, display)?;
        // Each file starts where the tables are, as on a connection of its own, even
        // after a file before it set `search_path` for the session.
        db.select_tables()
            .map_err(|e| Diag::input(format!("{display}: {e}")))?;
        // A file that cannot run in one transaction resumes, after a failure, at the
        // first statement its progress record does not have.
        let started = std::time::Instant::now();
        eprintln!("applying {} ...", file.path);
        let history = db.own_tables().history();
        with_lock_retries(config.lock_retries, &file.path, || {
            let mut session = Resumable {
                db: &mut *db,
                version: file.version,
                sql: &file.sql,
            };
            Runner::new(migrations)
                // The file and its history row in one call, so that they commit together.
                .set_grouped(true)
                .set_target(RunTarget::Version(migration.version()))
                .set_migration_table_name(&history)
                .run(&mut session)
                .map(|_| ())
        })
        .map_err(|e| {
            super::notes::end_bar();
            refinery_error(e, files, display, Some(&file.path))
        })?;
        super::notes::end_bar();
        let seconds = started.elapsed().as_secs_f64();
        // As it happens, for whoever watches a long migration; the summary follows.
        eprintln!("applied {} in {seconds:.1} s", file.path);
        applied.push(AppliedFile {
            path: file.path.clone(),
            seconds,
        });
    }
    Ok(applied)
}

/// The start of the error a generated lock-retry block raises after its last attempt.
pub const GAVE_UP: &str = "tandem: gave up waiting for the lock";

/// Lock retries of a bundle run, which has no tandem.toml: the default of `lock_retries`.
pub const BUNDLE_LOCK_RETRIES: u32 = 30;

/// Whether a failure is a lock wait that gave up (Postgres `lock_not_available`, MySQL
/// 1205) or a deadlock the server broke (1213, 40P01): the file may simply run again.
pub fn is_lock_failure(err: &refinery_core::Error) -> bool {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&s.to_string());
        source = s.source();
    }
    let text = text.to_ascii_lowercase();
    // A statement the file itself retried (a Postgres lock-retry block) has already
    // waited `lock_retries` times: running the file again would square that.
    if text.contains(GAVE_UP) {
        return false;
    }
    [
        "lock timeout",
        "lock wait timeout",
        "deadlock",
        "55p03",
        "40p01",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Runs `attempt` again while it fails on a lock, up to `retries` times, pausing a
/// growing, jittered while between attempts (each retry said on stderr). A file that
/// cannot run in one transaction resumes at its failed statement, so a retry repeats
/// only that statement.
pub fn with_lock_retries(
    retries: u32,
    path: &str,
    mut attempt: impl FnMut() -> std::result::Result<(), refinery_core::Error>,
) -> std::result::Result<(), refinery_core::Error> {
    let mut tries = 0;
    loop {
        match attempt() {
            Err(e) if tries < retries && is_lock_failure(&e) => {
                tries += 1;
                let base = 50u64 << tries.min(6);
                let jitter = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| u64::from(d.subsec_nanos()) % (base + 1))
                    .unwrap_or(0);
                let pause = std::time::Duration::from_millis((base + jitter).min(5_000));
                super::notes::end_bar();
                eprintln!(
                    "retry {tries}/{retries}: {path} gave up waiting for a lock; trying again in {} ms",
                    pause.as_millis()
                );
                std::thread::sleep(pause);
            }
            other => return other,
        }
    }
}

pub fn slot_label(plan: &Plan, slot: Slot) -> String {
    match slot.release() {
        Some(r) => format!("{}({})", slot.phase(), plan.releases.name(r)),
        None => "baseline".into(),
    }
}

/// Refuses to apply files that are missing or older than the change files, up to the
/// target; returns the hand-edited ones, which are applied as the user left them.
pub(super) fn check_files_current(
    config: &Config,
    plan: &Plan,
    target_version: i64,
) -> Result<Vec<String>> {
    let versions: BTreeMap<&str, i64> = plan
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.version))
        .collect();
    let mut out_of_date = Vec::new();
    let mut hand_edited = Vec::new();
    for d in drift(plan, config)? {
        match d {
            Drift::Missing(p) | Drift::Stale(p) | Drift::Obsolete(p) => {
                let version = versions
                    .get(p.as_str())
                    .copied()
                    .or_else(|| MigrationFile::version_of(&p));
                if version.is_none_or(|v| v <= target_version) {
                    out_of_date.push(p);
                }
            }
            Drift::HandEdited(p) => hand_edited.push(p),
        }
    }
    if out_of_date.is_empty() {
        return Ok(hand_edited);
    }
    let mut diag = Diag::input(format!(
        "{} is out of date with the change files",
        config.display(&config.migrations_dir)
    ));
    for p in out_of_date {
        diag = diag.note(format!("{p} is missing, stale or no longer planned"));
    }
    Err(diag.help("run `tandem generate` first").into())
}

pub(super) fn missing_baseline(plan: &Plan) -> Error {
    Diag::input(format!(
        "the baseline file {} is missing",
        plan.files[0].path
    ))
    .help("run `tandem generate` first")
    .into()
}

/// Every difference between the live tables and the baseline schema, all at once.
fn check_matches_baseline(db: &mut Database, plan: &Plan) -> std::result::Result<(), Vec<String>> {
    match super::adopt::differences(db, plan) {
        Ok(problems) if problems.is_empty() => Ok(()),
        Ok(problems) => Err(problems),
        Err(e) => Err(vec![e.0]),
    }
}

/// A SQLite file that rebuilds a table fails (on any runner) when the table has an index
/// or trigger tandem did not make. Before running such a file, find those objects and
/// name them: the file runs in a transaction up to each of its rebuild guards, the
/// guard's own query lists what it would refuse, and the transaction is rolled back.
fn check_rebuilds(db: &mut Database, file: &MigrationFile, display: &str) -> Result<()> {
    if db.dialect() != Dialect::Sqlite || !file.sql.contains(GUARD_MARK) {
        return Ok(());
    }
    let db_error = |e: DbError| Diag::input(format!("{display}: {e}"));
    db.run_script("BEGIN").map_err(db_error)?;
    let found = lost_in_rebuilds(db, &file.sql);
    db.run_script("ROLLBACK").map_err(db_error)?;
    let found = match found {
        Ok(found) => found,
        // The file fails before its guards: the real run reports that error.
        Err(_) => return Ok(()),
    };
    let Some((table, objects)) = found else {
        return Ok(());
    };
    let mut diag = Diag::input(format!(
        "refused to apply {} to {display}: it rebuilds table {table}, which would lose {} \
         that tandem did not create",
        file.path,
        if objects.len() == 1 {
            "an object"
        } else {
            "objects"
        }
    ));
    for (kind, name) in &objects {
        diag = diag.note(format!(
            "{kind} {name} on {table} (made by a `sql` op or by hand)"
        ));
    }
    Err(diag
        .help(
            "drop it in a `sql` op before the rebuilding op and create it again in a `sql` op \
             after it (in the same change, or in an earlier and a later one), or drop it for good",
        )
        .into())
}

/// Runs `sql` up to each guard, the open transaction's work, and returns the first
/// table whose guard finds objects, with them.
#[allow(clippy::type_complexity)]
fn lost_in_rebuilds(
    db: &mut Database,
    sql: &str,
) -> std::result::Result<Option<(String, Vec<(String, String)>)>, DbError> {
    let mut done = 0;
    while let Some(at) = sql[done..].find(GUARD_MARK).map(|i| done + i) {
        db.run_script(&sql[done..at])?;
        let rest = &sql[at + GUARD_MARK.len()..];
        let query = rest.lines().next().unwrap_or_default();
        let query = query.trim_end().strip_suffix(");").unwrap_or(query);
        let rows = db.query_text(query)?;
        if !rows.is_empty() {
            let table = query
                .split("tbl_name = '")
                .nth(1)
                .and_then(|t| t.split('\'').next())
                .unwrap_or_default()
                .to_string();
            let objects = rows
                .into_iter()
                .map(|r| {
                    let mut r = r.into_iter().map(Option::unwrap_or_default);
                    (r.next().unwrap_or_default(), r.next().unwrap_or_default())
                })
                .collect();
            return Ok(Some((table, objects)));
        }
        done = at;
        // Past the guard statement itself (it passes: its query found nothing).
        if let Some(end) = sql[done..].find(";\n").or_else(|| sql[done..].find(';')) {
            db.run_script(&sql[done..done + end + 1])?;
            done += end + 1;
        } else {
            break;
        }
    }
    Ok(None)
}

/// A change file renamed after its files were applied makes them again under new names
/// (and versions): refinery would miss the old ones and take the new ones for files never
/// applied (out of order, or twice). Named as the rename it is, before anything runs,
/// with how to undo it.
fn refuse_renamed(
    db: &mut Database,
    (config, plan): (&Config, &Plan),
    files: &[MigrationFile],
    display: &str,
) -> Result<()> {
    let rows = history_rows(db).map_err(|e| Diag::input(format!("{display}: {e}")))?;
    let renamed = super::status::renamed_changes(&rows, files, plan)?;
    let mut diags: Vec<Diag> = Vec::new();
    for r in &renamed {
        let headline = format!("the history of {display} differs from the files");
        let dir = r
            .now
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| format!("{d}/"));
        let on_disk = |path: &str| config.display(&config.migrations_dir.join(path));
        let (now, applied) = (on_disk(&r.now), on_disk(&format!("{dir}{}.sql", r.applied)));
        let give_back =
            format!("give its file the name {display} applied it under: `mv {now} {applied}`");
        let diag = if r.from == r.to {
            Diag::input(format!(
                "{headline}: an applied file was renumbered: {} -> {}",
                r.applied, r.now
            ))
            .note("a file's version is kept from the file on disk; once that file is gone, its change gets a new one")
            .help(format!("{give_back}, then run `tandem generate`"))
        } else {
            Diag::input(format!(
                "{headline}: an applied change file was renamed: {} -> {}",
                r.from, r.to
            ))
            .note("a migration file is named after its change file, so renaming the change file renames its files")
            .note(format!("{display} applied {}; the plan now makes it as {}", r.applied, r.now))
            .help(format!(
                "rename it back: `git mv {} {}`, {give_back}, then run `tandem generate` (a change file keeps its name once its release is applied; its summary and comments may change)",
                r.to, r.from
            ))
        };
        diags.push(diag);
    }
    if diags.is_empty() {
        Ok(())
    } else {
        Err(Error { diags })
    }
}

/// An applied file never changes: every file whose contents differ from what the
/// database applied is named, with the change file it serves, before anything runs.
fn refuse_divergent(
    db: &mut Database,
    plan: &Plan,
    files: &[MigrationFile],
    display: &str,
) -> Result<()> {
    let rows = history_rows(db).map_err(|e| Diag::input(format!("{display}: {e}")))?;
    let (divergent, _) = super::status::compare_history(&rows, files, plan)?;
    if divergent.is_empty() {
        return Ok(());
    }
    let mut diag = Diag::input(format!(
        "the history of {display} differs from the files: {} applied file(s) now hold other contents",
        divergent.len()
    ));
    for d in &divergent {
        let cause = match &d.change {
            Some(change) => {
                format!("its steps come from {change}, edited since, or the file itself was edited")
            }
            None => "schema.toml or the file was edited since".to_string(),
        };
        diag = diag.note(format!(
            "{} was applied on {}; {cause}",
            d.path, d.applied_on
        ));
    }
    Err(diag
        .help("an applied file never changes: undo the edit (e.g. `git checkout` the change file's steps as they were), then run `tandem generate`; put new steps in a new change tagged a later release")
        .into())
}

/// refinery's errors, with the file named and the database's own message.
pub(crate) fn refinery_error(
    err: refinery_core::Error,
    files: &[MigrationFile],
    display: &str,
    applying: Option<&str>,
) -> Error {
    let path_of = |m: &Migration| {
        files
            .iter()
            .find(|f| f.version == i64::from(m.version()))
            .map(|f| f.path.clone())
    };
    let diag = match err.kind() {
        RefineryKind::DivergentVersion(applied, _) => Diag::input(format!(
            "the history of {display} differs from the files: {} was applied with other contents",
            path_of(applied).unwrap_or_else(|| applied.to_string())
        ))
        .help("an applied migration must not change; restore the file, and put new SQL in a new change"),
        RefineryKind::MissingVersion(m) => match path_of(m) {
            Some(path) => Diag::input(format!(
                "the history of {display} differs from the files: {path} comes before the \
                 last applied migration but was never applied"
            ))
            .help("a migration may not be inserted before one already applied; tag the change with a later release"),
            None => Diag::input(format!(
                "the history of {display} differs from the files: {m} was applied but no file has \
                 version {}",
                m.version()
            ))
            .help("restore the file, or point --database-url at the right database"),
        },
        RefineryKind::Connection(message, source) => {
            let detail = DbError::from_chain(source.as_ref());
            match applying {
                Some(path) if detail.0.starts_with("statement ") => {
                    Diag::input(format!("applying {path} to {display} failed: {detail}"))
                        .note(format!(
                            "the files before it are applied, and the statements of this file \
                             before the failing one are recorded in {PROGRESS_TABLE}"
                        ))
                        .help("fix the cause and run migrate again: it resumes at the failing statement")
                }
                Some(path) => Diag::input(format!("applying {path} to {display} failed: {detail}"))
                    .note("the files before it are applied and recorded; fix the cause and run migrate again"),
                None => Diag::input(format!("{display}: {message}: {detail}")),
            }
        }
        other => Diag::input(format!("{display}: {other}")),
    };
    diag.into()
}
