//! Files that cannot run in one transaction (Postgres files marked no-transaction, and
//! every MySQL/MariaDB file, whose DDL commits on its own) are run statement by
//! statement, and each completed statement is recorded in a table of tandem's own next
//! to refinery's history. A run after a failure (or a killed process) resumes at the
//! first statement not recorded, so no statement needs `IF [NOT] EXISTS` to be run
//! twice, and an object that the file meets unexpectedly (a column added by hand) makes
//! it fail with the server's own error naming that object.
//!
//! On a resume, statements that set session state (`SET ...`) and statements marked
//! [`RERUN_MARK`] (the clean-up of an INVALID index a failed concurrent build left) run
//! again even when recorded: the new connection has lost the first, and the second is
//! what makes the failed statement able to run again.

use refinery_core::traits::sync::{Migrate, Query, Transaction};
use refinery_core::Migration;
use sha2::{Digest, Sha256};

use super::database::{Database, DbError};
use crate::layout::NO_TRANSACTION_MARK;
use crate::sql::split::statements;
use crate::sql::Dialect;

pub use crate::sql::bookkeeping::PROGRESS_TABLE;

/// A comment that makes a statement run again on a resume even when it completed.
pub const RERUN_MARK: &str = "tandem:rerun";

/// Whether a file runs statement by statement with its progress recorded.
pub fn is_resumable(dialect: Dialect, sql: &str) -> bool {
    match dialect {
        Dialect::Mysql => true,
        Dialect::Postgres => sql.contains(NO_TRANSACTION_MARK),
        Dialect::Sqlite => false,
    }
}

/// The checksum a file's progress rows carry: a resume of other contents is refused.
pub fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a completed statement runs again on a resume.
pub fn reruns(statement: &str) -> bool {
    if statement.contains(RERUN_MARK) {
        return true;
    }
    let code = statement
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    code.get(..4)
        .is_some_and(|w| w.eq_ignore_ascii_case("SET "))
}

fn ensure_table(db: &mut Database) -> Result<(), DbError> {
    let create = db.own_tables().create_progress_table();
    db.create_own_table(&create)
}

/// The statements of a file recorded as completed, refused when they were recorded for
/// other contents.
pub fn completed(db: &mut Database, version: i64, sum: &str) -> Result<Vec<usize>, DbError> {
    ensure_table(db)?;
    let rows = db.query_text(&db.own_tables().completed_statements(version))?;
    let mut done = Vec::new();
    for row in rows {
        if row.get(1).cloned().flatten().as_deref() != Some(sum) {
            return Err(DbError(format!(
                "this file was partly applied from other contents ({} of its statements are \
                 recorded in {PROGRESS_TABLE} under version {version}); restore the file that \
                 ran, or finish or undo its statements by hand and delete those rows",
                db.query_text(&db.own_tables().count_completed(version))?
                    .first()
                    .and_then(|r| r.first().cloned().flatten())
                    .unwrap_or_default()
            )));
        }
        if let Some(Some(n)) = row.first() {
            done.push(
                n.parse()
                    .map_err(|_| DbError(format!("bad statement {n}")))?,
            );
        }
    }
    Ok(done)
}

/// A file some of whose statements are recorded as completed: a run stopped in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub version: i64,
    /// How many statements are recorded.
    pub completed: usize,
    /// The checksum of the contents they ran from (empty when the rows disagree).
    pub checksum: String,
}

/// The files a run stopped in, read without creating the progress table: none when it
/// does not exist.
pub fn started_files(db: &mut Database) -> Result<Vec<Started>, DbError> {
    let rows = db.own_table_rows(PROGRESS_TABLE, |t| t.progress_per_file())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let text = |i: usize| r.get(i).cloned().unwrap_or_default();
            let (least, greatest) = (text(2), text(3));
            Some(Started {
                version: text(0).parse().ok()?,
                completed: text(1).parse().ok()?,
                checksum: if least == greatest {
                    least
                } else {
                    String::new()
                },
            })
        })
        .collect())
}

/// Records statement `index` of file `version` as completed.
pub fn record(db: &mut Database, version: i64, index: usize, sum: &str) -> Result<(), DbError> {
    ensure_table(db)?;
    db.run_script(&db.own_tables().record_completed(version, index, sum))
}

/// Whether a Postgres statement may run inside a transaction block, so that it commits
/// together with its progress record: not a concurrent index build, a block that
/// commits as it goes, VACUUM, or a statement on databases, tablespaces or the system.
/// Conservative: a statement that merely mentions one of those words runs on its own.
fn transactional(dialect: Dialect, statement: &str) -> bool {
    let upper = statement.to_ascii_uppercase();
    dialect == Dialect::Postgres
        && ![
            "CONCURRENTLY",
            "COMMIT",
            "ROLLBACK",
            "VACUUM",
            "DATABASE",
            "TABLESPACE",
            "SYSTEM",
            "SUBSCRIPTION",
        ]
        .iter()
        .any(|w| upper.contains(w))
}

/// Forgets the progress of a file refinery has recorded as applied.
pub fn forget(db: &mut Database, version: i64) -> Result<(), DbError> {
    ensure_table(db)?;
    db.run_script(&db.own_tables().forget_progress(version))
}

/// Runs file `version` statement by statement from the first one not recorded,
/// recording each as it completes. A failure names the statement.
pub fn run(db: &mut Database, version: i64, sql: &str) -> Result<(), DbError> {
    let sum = checksum(sql);
    let done = completed(db, version, &sum)?;
    let parts = statements(db.dialect(), sql);
    let total = parts.len();
    // Between MySQL's LOCK TABLES and UNLOCK TABLES the session may touch no other
    // table: the statements' records wait for the unlock.
    let mut held: Option<Vec<usize>> = None;
    for (index, statement) in parts.iter().enumerate() {
        let code = first_line(statement).to_ascii_uppercase();
        // A locked run is taken again whole on a resume, its lock first.
        let relock = code.starts_with("LOCK TABLES") && !recorded_all(&done, index, &parts);
        if relock {
            held = Some(Vec::new());
        }
        let recorded = done.contains(&index);
        if recorded && !reruns(statement) && !relock {
            continue;
        }
        let named = |e: DbError| {
            DbError(format!(
                "statement {} of {total} ({}): {e}",
                index + 1,
                first_line(statement)
            ))
        };
        if !recorded && transactional(db.dialect(), statement) {
            // The statement and its record commit together: a run killed between them
            // cannot leave a change that the record does not know.
            db.run_in_transaction(&format!(
                "{statement}\n;\n{}",
                db.own_tables().record_completed(version, index, &sum)
            ))
            .map_err(named)?;
            continue;
        }
        // On its own (DDL commits by itself in MySQL; some Postgres statements refuse a
        // transaction block), then recorded.
        db.run_script(statement).map_err(named)?;
        if code.starts_with("UNLOCK TABLES") {
            for earlier in held.take().unwrap_or_default() {
                record(db, version, earlier, &sum)?;
            }
        }
        match (&mut held, recorded) {
            (_, true) => {}
            (Some(pending), false) => pending.push(index),
            (None, false) => record(db, version, index, &sum)?,
        }
    }
    Ok(())
}

/// Whether every statement from `index` (a LOCK TABLES) to its UNLOCK TABLES is
/// recorded: a resume then skips the whole locked run.
fn recorded_all(done: &[usize], index: usize, parts: &[String]) -> bool {
    parts[index..]
        .iter()
        .enumerate()
        .take_while(|(_, s)| {
            !first_line(s)
                .to_ascii_uppercase()
                .starts_with("UNLOCK TABLES")
        })
        .all(|(i, _)| done.contains(&(index + i)))
}

/// The first line of code of a statement, shortened, to name it in a message.
fn first_line(statement: &str) -> String {
    let line = statement
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--") && !l.starts_with('#'))
        .unwrap_or_default();
    if line.chars().count() > 80 {
        format!("{}...", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}

/// The connection as refinery's runner sees it while one file is applied: that file's
/// SQL runs through [`run`] when it is resumable, and its progress is forgotten once
/// refinery's history records it.
pub struct Resumable<'a> {
    pub db: &'a mut Database,
    pub version: i64,
    pub sql: &'a str,
}

impl Transaction for Resumable<'_> {
    type Error = DbError;

    fn execute<'a, T: Iterator<Item = &'a str>>(&mut self, queries: T) -> Result<usize, DbError> {
        if !is_resumable(self.db.dialect(), self.sql) {
            // The file and its history row, in one transaction.
            return self.db.execute(queries);
        }
        let mut count = 0;
        for query in queries {
            if query == self.sql && is_resumable(self.db.dialect(), query) {
                run(self.db, self.version, query)?;
            } else {
                let history_insert = query.trim_start().starts_with("INSERT INTO");
                self.db.execute(std::iter::once(query))?;
                if history_insert && is_resumable(self.db.dialect(), self.sql) {
                    forget(self.db, self.version)?;
                }
            }
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for Resumable<'_> {
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, DbError> {
        Query::<Vec<Migration>>::query(self.db, query)
    }
}

impl Migrate for Resumable<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::database::Target;

    #[test]
    fn only_postgres_statements_that_allow_a_transaction_commit_with_their_record() {
        assert!(transactional(
            Dialect::Postgres,
            "ALTER TABLE t ADD COLUMN c int"
        ));
        assert!(!transactional(
            Dialect::Postgres,
            "CREATE INDEX CONCURRENTLY i ON t (c)"
        ));
        assert!(!transactional(
            Dialect::Postgres,
            "DO $$ BEGIN LOOP COMMIT; END LOOP; END $$"
        ));
        assert!(!transactional(
            Dialect::Mysql,
            "ALTER TABLE t ADD COLUMN c int"
        ));
    }

    #[test]
    fn session_settings_and_marked_statements_run_again() {
        assert!(reruns("-- header\nSET lock_timeout = '5s'"));
        assert!(reruns("set foreign_key_checks = 1"));
        assert!(reruns("-- tandem:rerun\nDO $$ BEGIN END $$"));
        assert!(!reruns(
            "-- SET in a comment\nALTER TABLE t ADD COLUMN settings int"
        ));
        assert!(!reruns("SETTLE"));
    }

    #[test]
    fn a_resume_skips_what_completed_and_refuses_other_contents() {
        let mut db = Database::connect(&Target::SqliteMemory).unwrap();
        let sql =
            "CREATE TABLE a (x integer); CREATE TABLE b (x integer); INSERT INTO a VALUES (1)";
        db.run_script("CREATE TABLE a (x integer)").unwrap();
        record(&mut db, 7, 0, &checksum(sql)).unwrap();
        run(&mut db, 7, sql).unwrap();
        assert_eq!(
            completed(&mut db, 7, &checksum(sql)).unwrap(),
            vec![0, 1, 2]
        );
        let err = run(&mut db, 7, "CREATE TABLE c (x integer)").unwrap_err();
        assert!(
            err.0.contains("partly applied from other contents"),
            "{err}"
        );
        forget(&mut db, 7).unwrap();
        assert!(completed(&mut db, 7, "x").unwrap().is_empty());
    }
}
