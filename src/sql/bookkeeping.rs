//! The statements over the bookkeeping tables that sit beside a project's own: refinery's
//! history (which files a database applied), tandem's progress table (which statements
//! of a resumable file completed) and the fleet gate's skip log. The same in every
//! dialect.

use crate::sql::ddl::literal_sql;
use crate::sql::text::{quote, string_literal};
use crate::sql::Dialect;
use crate::types::Literal;

/// refinery's default history table, kept so that tools reading it find it.
pub const HISTORY_TABLE: &str = "refinery_schema_history";

/// The table of completed statements: one row per statement of a file that has not
/// finished yet; a file's rows are removed once refinery records the file as applied.
pub const PROGRESS_TABLE: &str = "tandem_progress";

/// Where a skipped fleet gate leaves its reason.
pub const SKIP_LOG_TABLE: &str = "tandem_fleet_skips";

/// Where `migrate --readopt` leaves who re-recorded the baseline, when and why.
pub const READOPT_LOG_TABLE: &str = "tandem_readoptions";

/// Where tandem's own tables are: on Postgres in the project's base schema, named with
/// it in every statement, so that a session whose `search_path` selects something else
/// first (a views-mode application's URL) still finds them, and a file that sets
/// `search_path` does not move them; in MySQL and SQLite, the database connected to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnTables {
    schema: Option<String>,
}

impl OwnTables {
    /// The tables of the database connected to, unqualified.
    pub fn unqualified() -> OwnTables {
        OwnTables { schema: None }
    }

    /// The tables of Postgres schema `schema`.
    pub fn in_schema(schema: &str) -> OwnTables {
        OwnTables {
            schema: Some(schema.to_string()),
        }
    }

    /// The schema they are qualified with, if any.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// `table` as statements name it: `"public".refinery_schema_history`.
    pub fn name(&self, table: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{table}", quote(Dialect::Postgres, schema)),
            None => table.to_string(),
        }
    }

    /// refinery's history table as statements name it (refinery's runner too).
    pub fn history(&self) -> String {
        self.name(HISTORY_TABLE)
    }

    /// Whether `table` exists where these tables are: one row when it does. `None`
    /// where they are unqualified, and the catalogue of the current schema tells.
    pub fn exists(&self, table: &str) -> Option<String> {
        let schema = self.schema.as_deref()?;
        Some(format!(
            "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {}",
            string_literal(Dialect::Postgres, schema),
            string_literal(Dialect::Postgres, table)
        ))
    }

    /// The applied versions and names, oldest first.
    pub fn applied_versions(&self) -> String {
        format!(
            "SELECT version, name FROM {} ORDER BY version",
            self.history()
        )
    }

    /// The applied rows whole, oldest first.
    pub fn applied_rows(&self) -> String {
        format!(
            "SELECT version, name, applied_on, checksum FROM {} ORDER BY version",
            self.history()
        )
    }

    /// Records a file as applied, as refinery would have.
    pub fn record_applied(
        &self,
        version: i64,
        name: &str,
        applied_on: &str,
        checksum: u64,
    ) -> String {
        format!(
            "INSERT INTO {} (version, name, applied_on, checksum) VALUES ({}, '{}', '{}', '{}')",
            self.history(),
            version,
            name.replace('\'', "''"),
            applied_on,
            checksum
        )
    }

    /// Makes the progress table where it is missing.
    pub fn create_progress_table(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             version bigint NOT NULL, \
             statement integer NOT NULL, \
             checksum varchar(64) NOT NULL, \
             PRIMARY KEY (version, statement))",
            self.name(PROGRESS_TABLE)
        )
    }

    /// The completed statements of file `version`, with the checksum each was recorded for.
    pub fn completed_statements(&self, version: i64) -> String {
        format!(
            "SELECT statement, checksum FROM {} WHERE version = {version} \
             ORDER BY statement",
            self.name(PROGRESS_TABLE)
        )
    }

    /// Per file with recorded statements: its version, how many, and the checksums they
    /// were recorded for (the least and the greatest: one file's rows share one).
    pub fn progress_per_file(&self) -> String {
        format!(
            "SELECT version, count(*), min(checksum), max(checksum) FROM {} \
             GROUP BY version ORDER BY version",
            self.name(PROGRESS_TABLE)
        )
    }

    /// How many statements of file `version` are recorded.
    pub fn count_completed(&self, version: i64) -> String {
        format!(
            "SELECT count(*) FROM {} WHERE version = {version}",
            self.name(PROGRESS_TABLE)
        )
    }

    /// Records statement `index` of file `version` as completed.
    pub fn record_completed(&self, version: i64, index: usize, sum: &str) -> String {
        format!(
            "INSERT INTO {} (version, statement, checksum) \
             VALUES ({version}, {index}, '{sum}')",
            self.name(PROGRESS_TABLE)
        )
    }

    /// Forgets the progress of file `version`.
    pub fn forget_progress(&self, version: i64) -> String {
        format!(
            "DELETE FROM {} WHERE version = {version}",
            self.name(PROGRESS_TABLE)
        )
    }

    /// Makes the skip log where it is missing.
    pub fn create_skip_log(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (skipped_at VARCHAR(64), release_name VARCHAR(255), phase VARCHAR(16), reason TEXT)",
            self.name(SKIP_LOG_TABLE)
        )
    }

    /// Records a skipped fleet gate: when, for which release and phase, and why.
    pub fn record_skip(
        &self,
        dialect: Dialect,
        at: &str,
        release: &str,
        phase: &str,
        reason: &str,
    ) -> String {
        let text = |s: &str| literal_sql(dialect, &Literal::Str(s.to_string()));
        format!(
            "INSERT INTO {} (skipped_at, release_name, phase, reason) VALUES ({}, {}, {}, {})",
            self.name(SKIP_LOG_TABLE),
            text(at),
            text(release),
            text(phase),
            text(reason)
        )
    }
}

impl OwnTables {
    /// Makes the re-adoption log where it is missing.
    pub fn create_readopt_log(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (readopted_at VARCHAR(64), by_whom VARCHAR(255), \
             version BIGINT, old_checksum VARCHAR(64), new_checksum VARCHAR(64), reason TEXT)",
            self.name(READOPT_LOG_TABLE)
        )
    }

    /// Re-records the baseline's checksum and logs it, in one transaction. The update
    /// names the checksum it replaces, so a concurrent re-adoption updates no row and
    /// the log entry is rolled back with it (see [`OwnTables::readopted_row`]).
    pub fn readopt(&self, dialect: Dialect, entry: &Readoption) -> String {
        let text = |s: &str| literal_sql(dialect, &Literal::Str(s.to_string()));
        format!(
            "UPDATE {history} SET checksum = {new} WHERE version = {version} AND checksum = {old};\n\
             INSERT INTO {log} (readopted_at, by_whom, version, old_checksum, new_checksum, reason) \
             SELECT {at}, {by}, {version}, {old}, {new}, {reason} FROM {history} \
             WHERE version = {version} AND checksum = {new};\n",
            history = self.history(),
            log = self.name(READOPT_LOG_TABLE),
            version = entry.version,
            old = text(&entry.old_checksum),
            new = text(&entry.new_checksum),
            at = text(&entry.at),
            by = text(&entry.by),
            reason = text(&entry.reason),
        )
    }

    /// The re-adoptions, oldest first.
    pub fn readoptions(&self) -> String {
        format!(
            "SELECT readopted_at, by_whom, version, old_checksum, new_checksum, reason FROM {} \
             ORDER BY readopted_at",
            self.name(READOPT_LOG_TABLE)
        )
    }
}

/// One re-recording of the baseline's checksum: when, by whom, from what to what, why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Readoption {
    pub at: String,
    pub by: String,
    pub version: i64,
    pub old_checksum: String,
    pub new_checksum: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::OwnTables;

    #[test]
    fn a_base_schema_qualifies_every_statement_and_a_quote_in_it_is_doubled() {
        let own = OwnTables::in_schema("Kern \"Ω\"");
        assert_eq!(own.history(), "\"Kern \"\"Ω\"\"\".refinery_schema_history");
        for sql in [
            own.applied_rows(),
            own.create_progress_table(),
            own.forget_progress(3),
            own.create_skip_log(),
            own.create_readopt_log(),
            own.readoptions(),
        ] {
            assert!(sql.contains("\"Kern \"\"Ω\"\"\"."), "{sql}");
        }
        assert!(own
            .exists("tandem_progress")
            .unwrap()
            .contains("'Kern \"Ω\"'"));
        assert_eq!(
            OwnTables::unqualified().history(),
            "refinery_schema_history"
        );
        assert!(OwnTables::unqualified().exists("x").is_none());
    }
}
