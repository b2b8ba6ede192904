//! The statements about a server rather than a schema: the other sessions on the
//! database (the fleet gate reads which releases still run), the database-wide lock
//! that serialises `migrate` runs, SQLite's enforcement of foreign keys (a session's
//! setting), and the throw-away databases of rehearsals and tests.

use crate::sql::Dialect;

/// The application name of tandem's own connections (unless the URL gives one): the
/// fleet gate does not count them among what runs.
pub const OWN_CONNECTION_NAME: &str = "tandem";

/// The other client sessions on this database, on Postgres, one row each: id, user,
/// client address (`local` over a Unix socket) and application name (`''` when none was
/// given). Background processes are left out; a session of another user the role may
/// not inspect has no `backend_type` and is kept.
pub const POSTGRES_SESSIONS: &str = "SELECT pid::text, usename::text, \
     COALESCE(host(client_addr), CASE WHEN client_port = -1 THEN 'local' END), \
     application_name FROM pg_stat_activity \
     WHERE datname = current_database() AND pid <> pg_backend_pid() \
     AND COALESCE(backend_type, 'client backend') = 'client backend'";

/// Whether MySQL's performance schema is on (`1`): only then are a session's
/// connection attributes readable.
pub const MYSQL_PERFORMANCE_SCHEMA: &str = "SELECT @@performance_schema";

/// The other sessions on this database, on MySQL with the performance schema on: id,
/// user, client host, and its `program_name` or `application_name` attribute (a row per
/// attribute, one with NULL when it has neither).
pub const MYSQL_SESSIONS: &str = "SELECT CAST(p.ID AS CHAR), p.USER, p.HOST, a.ATTR_VALUE \
     FROM information_schema.PROCESSLIST p \
     LEFT JOIN performance_schema.session_connect_attrs a ON a.PROCESSLIST_ID = p.ID \
     AND a.ATTR_NAME IN ('program_name', 'application_name') \
     WHERE p.DB = DATABASE() AND p.ID <> CONNECTION_ID() AND p.COMMAND <> 'Daemon'";

/// As [`MYSQL_SESSIONS`], where the performance schema is off: no names to read.
pub const MYSQL_SESSIONS_UNNAMED: &str = "SELECT CAST(ID AS CHAR), USER, HOST, NULL \
     FROM information_schema.PROCESSLIST \
     WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'";

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
