//! The statements about a server rather than a schema: the other sessions on the
//! database (the fleet gate reads which releases still run), the database-wide lock
//! that serialises `migrate` runs, SQLite's enforcement of foreign keys (a session's
//! setting), and the throw-away databases of rehearsals and tests.

use crate::sql::Dialect;

/// The other sessions' application names, with their ids, on Postgres.
pub const POSTGRES_SESSIONS: &str = "SELECT application_name, pid::text FROM pg_stat_activity \
     WHERE datname = current_database() AND pid <> pg_backend_pid() \
     AND application_name <> ''";

/// Whether MySQL's performance schema is on (`1`): only then are a session's
/// connection attributes readable.
pub const MYSQL_PERFORMANCE_SCHEMA: &str = "SELECT @@performance_schema";

/// The other sessions' program or application names, with their ids, on MySQL.
pub const MYSQL_SESSIONS: &str = "SELECT a.ATTR_VALUE, CAST(a.PROCESSLIST_ID AS CHAR) \
     FROM performance_schema.session_connect_attrs a \
     JOIN information_schema.PROCESSLIST p ON p.ID = a.PROCESSLIST_ID \
     WHERE a.ATTR_NAME IN ('program_name', 'application_name') \
     AND p.DB = DATABASE() AND a.PROCESSLIST_ID <> CONNECTION_ID()";

/// Where each dialect's session names are read from, as a report names it.
pub fn sessions_source(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "pg_stat_activity",
        _ => "performance_schema.session_connect_attrs",
    }
}

/// Takes Postgres's advisory lock of `migrate` (its key bound as `$1`) without waiting.
pub const POSTGRES_TRY_MIGRATE_LOCK: &str = "SELECT pg_try_advisory_lock($1)";

/// Takes MySQL's named lock of `migrate` for this database, waiting up to `?` seconds.
pub const MYSQL_MIGRATE_LOCK: &str = "SELECT GET_LOCK(CONCAT('tandem_migrate_', DATABASE()), ?)";

/// A statement that makes one of tandem's own tables, on Postgres behind a transaction
/// advisory lock of `key`, sent as one simple query (one transaction): two sessions that
/// run `CREATE TABLE IF NOT EXISTS` at once may both find the table missing, and the
/// second then fails on the catalogue's unique index (`pg_type_typname_nsp_index`)
/// instead of finding the table made. Serialised, the second sees it and does nothing.
pub fn postgres_serialised(create: &str, key: i64) -> String {
    format!("SELECT pg_advisory_xact_lock({key}); {create}")
}

/// Makes a throw-away database (on Postgres a copy of `template`, when given).
pub fn create_database(name: &str, template: Option<&str>) -> String {
    match template {
        Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
        None => format!("CREATE DATABASE {name}"),
    }
}

/// Drops a throw-away database, on Postgres with the sessions still on it.
pub fn drop_database(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    }
}

/// Turns SQLite's enforcement of foreign keys on or off.
pub fn sqlite_foreign_keys(on: bool) -> String {
    format!("PRAGMA foreign_keys = {};", if on { "ON" } else { "OFF" })
}
