//! The statements over refinery's history table, where `migrate`, `status` and the
//! out-of-order runner read and record which files a database applied. The table is
//! refinery's, in every dialect the same.

/// refinery's default history table, kept so that tools reading it find it.
pub const HISTORY_TABLE: &str = "refinery_schema_history";

/// The applied versions and names, oldest first.
pub fn applied_versions() -> String {
    format!("SELECT version, name FROM {HISTORY_TABLE} ORDER BY version")
}

/// The applied rows whole, oldest first.
pub fn applied_rows() -> String {
    format!("SELECT version, name, applied_on, checksum FROM {HISTORY_TABLE} ORDER BY version")
}

/// Records a file as applied, as refinery would have.
pub fn record(version: i64, name: &str, applied_on: &str, checksum: u64) -> String {
    format!(
        "INSERT INTO {HISTORY_TABLE} (version, name, applied_on, checksum) VALUES ({}, '{}', '{}', '{}')",
        version,
        name.replace('\'', "''"),
        applied_on,
        checksum
    )
}
