//! The statements over the bookkeeping tables that sit beside a project's own: refinery's
//! history (which files a database applied), tandem's progress table (which statements
//! of a resumable file completed) and the fleet gate's skip log. The same in every
//! dialect.

use crate::sql::ddl::literal_sql;
use crate::sql::Dialect;
use crate::types::Literal;

/// refinery's default history table, kept so that tools reading it find it.
pub const HISTORY_TABLE: &str = "refinery_schema_history";

/// The table of completed statements: one row per statement of a file that has not
/// finished yet; a file's rows are removed once refinery records the file as applied.
pub const PROGRESS_TABLE: &str = "tandem_progress";

/// Where a skipped fleet gate leaves its reason.
pub const SKIP_LOG_TABLE: &str = "tandem_fleet_skips";

/// The applied versions and names, oldest first.
pub fn applied_versions() -> String {
    format!("SELECT version, name FROM {HISTORY_TABLE} ORDER BY version")
}

/// The applied rows whole, oldest first.
pub fn applied_rows() -> String {
    format!("SELECT version, name, applied_on, checksum FROM {HISTORY_TABLE} ORDER BY version")
}

/// Records a file as applied, as refinery would have.
pub fn record_applied(version: i64, name: &str, applied_on: &str, checksum: u64) -> String {
    format!(
        "INSERT INTO {HISTORY_TABLE} (version, name, applied_on, checksum) VALUES ({}, '{}', '{}', '{}')",
        version,
        name.replace('\'', "''"),
        applied_on,
        checksum
    )
}

/// Makes the progress table where it is missing.
pub fn create_progress_table() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {PROGRESS_TABLE} (\
         version bigint NOT NULL, \
         statement integer NOT NULL, \
         checksum varchar(64) NOT NULL, \
         PRIMARY KEY (version, statement))"
    )
}

/// The completed statements of file `version`, with the checksum each was recorded for.
pub fn completed_statements(version: i64) -> String {
    format!(
        "SELECT statement, checksum FROM {PROGRESS_TABLE} WHERE version = {version} \
         ORDER BY statement"
    )
}

/// Per file with recorded statements: its version, how many, and the checksums they
/// were recorded for (the least and the greatest: one file's rows share one).
pub fn progress_per_file() -> String {
    format!(
        "SELECT version, count(*), min(checksum), max(checksum) FROM {PROGRESS_TABLE} \
         GROUP BY version ORDER BY version"
    )
}

/// How many statements of file `version` are recorded.
pub fn count_completed(version: i64) -> String {
    format!("SELECT count(*) FROM {PROGRESS_TABLE} WHERE version = {version}")
}

/// Records statement `index` of file `version` as completed.
pub fn record_completed(version: i64, index: usize, sum: &str) -> String {
    format!(
        "INSERT INTO {PROGRESS_TABLE} (version, statement, checksum) \
         VALUES ({version}, {index}, '{sum}')"
    )
}

/// Forgets the progress of file `version`.
pub fn forget_progress(version: i64) -> String {
    format!("DELETE FROM {PROGRESS_TABLE} WHERE version = {version}")
}

/// Makes the skip log where it is missing.
pub fn create_skip_log() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {SKIP_LOG_TABLE} (skipped_at VARCHAR(64), release_name VARCHAR(255), phase VARCHAR(16), reason TEXT)"
    )
}

/// Records a skipped fleet gate: when, for which release and phase, and why.
pub fn record_skip(dialect: Dialect, at: &str, release: &str, phase: &str, reason: &str) -> String {
    let text = |s: &str| literal_sql(dialect, &Literal::Str(s.to_string()));
    format!(
        "INSERT INTO {SKIP_LOG_TABLE} (skipped_at, release_name, phase, reason) VALUES ({}, {}, {}, {})",
        text(at),
        text(release),
        text(phase),
        text(reason)
    )
}
