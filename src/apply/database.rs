//! One connection to a live database, whichever of the three dialects it speaks, with the
//! few operations tandem needs: run a script, read rows as text, look at the catalogue.
//! It also implements refinery's sync traits, so refinery keeps the history table and
//! its divergence checks while tandem decides how each file is executed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use refinery_core::mysql::{self, prelude::Queryable};
use refinery_core::postgres::{self, NoTls};
use refinery_core::rusqlite;
use refinery_core::traits::sync::{Migrate, Query, Transaction};
use refinery_core::Migration;

use crate::layout::NO_TRANSACTION_MARK;
use crate::sql::catalogue;
use crate::sql::inspect::Catalogue;
use crate::sql::server;
use crate::sql::split::split_statements;
use crate::sql::Dialect;

/// A database error with the driver's whole chain of causes in one line: the top-level
/// Display of some drivers is only "db error", and the server's message is the cause.
#[derive(Debug, Clone, PartialEq)]
pub struct DbError(pub String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

impl DbError {
    pub fn from_chain(err: &dyn std::error::Error) -> DbError {
        let mut parts = vec![err.to_string()];
        let mut source = err.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !parts.iter().any(|p| p.contains(&text)) {
                parts.push(text);
            }
            source = s.source();
        }
        // "db error: ERROR: x" reads better as just the server's words.
        if parts.len() > 1 && (parts[0] == "db error" || parts[0].starts_with("db error")) {
            parts.remove(0);
        }
        DbError(parts.join(": "))
    }
}

macro_rules! db {
    ($e:expr) => {
        $e.map_err(|e| DbError::from_chain(&e))
    };
}

/// SQLite's syntax errors carry the whole script; keep the message and where it failed.
fn lite<T>(r: Result<T, rusqlite::Error>) -> Result<T, DbError> {
    r.map_err(|e| match &e {
        rusqlite::Error::SqlInputError {
            msg, sql, offset, ..
        } => {
            let at = usize::try_from(*offset).unwrap_or(0).min(sql.len());
            let line = sql[..at].matches('\n').count() + 1;
            DbError(format!("{msg} (line {line} of the script)"))
        }
        _ => DbError::from_chain(&e),
    })
}

/// Where a database is, parsed from a URL.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    SqliteFile(PathBuf),
    SqliteMemory,
    Postgres(String),
    Mysql(String),
}

impl Target {
    /// `sqlite://PATH` (relative to `root`), `sqlite::memory:`, `postgres://...`,
    /// `postgresql://...`, `mysql://...` or `mariadb://...`.
    pub fn parse(url: &str, root: &Path) -> Result<Target, String> {
        let url = url.trim();
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Target::SqliteMemory);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err("a sqlite URL needs a file: sqlite://PATH".into());
            }
            let path = Path::new(path);
            return Ok(Target::SqliteFile(if path.is_absolute() {
                path.to_path_buf()
            } else {
                root.join(path)
            }));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_string()));
        }
        if let Some(rest) = url.strip_prefix("mariadb://") {
            return Ok(Target::Mysql(format!("mysql://{rest}")));
        }
        if url.starts_with("mysql://") {
            return Ok(Target::Mysql(url.to_string()));
        }
        Err(format!(
            "`{url}` is not a database URL tandem knows: expected sqlite://PATH, \
             sqlite::memory:, postgres://... or mysql://..."
        ))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Target::SqliteFile(_) | Target::SqliteMemory => Dialect::Sqlite,
            Target::Postgres(_) => Dialect::Postgres,
            Target::Mysql(_) => Dialect::Mysql,
        }
    }

    /// The URL with any password hidden, for messages.
    pub fn display(&self) -> String {
        match self {
            Target::SqliteFile(p) => format!("sqlite://{}", p.display()),
            Target::SqliteMemory => "sqlite::memory:".into(),
            Target::Postgres(u) => redact(&split_base_schema(u).0),
            Target::Mysql(u) => redact(u),
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How long connecting may take, the TCP connection and the server's handshake
/// together, unless the URL's `connect_timeout` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL parameter that bounds connecting, in seconds, on both server schemes.
pub const CONNECT_TIMEOUT_PARAM: &str = "connect_timeout";

/// The URL without its `connect_timeout` parameter, and the timeout it names (the
/// default without one). tandem reads the parameter itself: the MySQL driver refuses
/// parameters it does not know, and the Postgres one bounds only the TCP connection.
pub fn split_connect_timeout(url: &str) -> Result<(String, Duration), DbError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), DEFAULT_CONNECT_TIMEOUT));
    };
    let mut timeout = DEFAULT_CONNECT_TIMEOUT;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((CONNECT_TIMEOUT_PARAM, value)) => {
                timeout = parse_seconds(value).ok_or_else(|| {
                    DbError(format!(
                        "{CONNECT_TIMEOUT_PARAM}={value} is not a number of seconds greater than 0"
                    ))
                })?;
            }
            _ => kept.push(pair),
        }
    }
    Ok(if kept.is_empty() {
        (base.to_string(), timeout)
    } else {
        (format!("{base}?{}", kept.join("&")), timeout)
    })
}

/// Seconds, whole or decimal, greater than zero.
pub fn parse_seconds(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0 && seconds < 1e9)
        .then(|| Duration::from_secs_f64(seconds))
}

/// Runs `connect` on a thread of its own and gives up after `timeout`: a server that
/// accepts the TCP connection but never answers would otherwise hang the handshake,
/// which neither driver bounds. The abandoned thread ends when the socket does.
fn within<T: Send + 'static>(
    timeout: Duration,
    connect: impl FnOnce() -> Result<T, DbError> + Send + 'static,
) -> Result<T, DbError> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(connect());
    });
    match receive.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(DbError(format!(
            "no answer from the server within {} ({CONNECT_TIMEOUT_PARAM}); set \
             {CONNECT_TIMEOUT_PARAM} in tandem.toml or as a URL parameter to wait longer",
            seconds_text(timeout)
        ))),
    }
}

/// `10 s`, `0.5 s`.
pub fn seconds_text(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The advisory lock key of `migrate` on Postgres (per database, as advisory locks are).
pub const MIGRATE_LOCK_KEY: i64 = 0x7461_6e64_656d; // "tandem"

/// The advisory lock key that serialises making tandem's own tables on Postgres: not the
/// migrate lock's, which one run holds for all its files.
pub const OWN_TABLES_LOCK_KEY: i64 = 0x7461_6e64_656e;

pub enum Database {
    Sqlite(rusqlite::Connection),
    Postgres(Box<postgres::Client>, Option<Box<BaseSchema>>),
    Mysql(Box<mysql::Conn>),
}

/// The URL parameter that names a Postgres project's base schema (`[postgres] schema`);
/// tandem reads and removes it, as it does `connect_timeout`.
pub const BASE_SCHEMA_PARAM: &str = "tandem_base_schema";

/// The URL parameter that names the prefix of a project's release schemas
/// (`view_schema_prefix`); with it, the connection works in the base schema.
pub const VIEW_PREFIX_PARAM: &str = "tandem_view_prefix";

/// Where a connection of a Postgres project works, whatever `search_path` its URL sets:
/// the schema of the project's tables and of tandem's own, first in `search_path`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseSchema {
    pub name: String,
    /// `SET search_path TO ...` that puts it first.
    pub search_path: String,
}

/// The base schema and release prefix the URL's tandem parameters name, and the URL
/// without them. `None` without the prefix (a connection that is not a project's).
fn split_base_schema(url: &str) -> (String, Option<(Option<String>, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let (mut schema, mut prefix, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((BASE_SCHEMA_PARAM, v)) => schema = Some(percent_decode(v)),
            Some((VIEW_PREFIX_PARAM, v)) => prefix = Some(percent_decode(v)),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, prefix.map(|p| (schema, p)))
}

/// `text` with every byte but an ASCII letter or digit written `%XX`, for a URL.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Puts the base schema first in the session's `search_path`, after reading what the
/// URL selected: the schemas it lists that exist, less the project's release schemas
/// (`<prefix>_...`), follow it (extensions' types and functions stay found). Without a
/// configured schema, a URL that selects another existing schema first is refused
/// rather than guessed: the project's tables may well live there.
fn pin_base_schema(
    client: &mut postgres::Client,
    configured: Option<String>,
    prefix: &str,
) -> Result<BaseSchema, DbError> {
    let listed: Vec<String> = db!(client.query(
        "SELECT s::text FROM unnest(current_schemas(false)) AS s",
        &[]
    ))?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let release = format!("{prefix}_");
    let others: Vec<&String> = listed.iter().filter(|s| !s.starts_with(&release)).collect();
    let name = configured
        .clone()
        .unwrap_or_else(|| crate::config::DEFAULT_BASE_SCHEMA.to_string());
    if let (None, Some(first)) = (&configured, others.first()) {
        if **first != name {
            return Err(DbError(format!(
                "the URL's search_path selects schema {first} before {name}, tandem's base \
                 schema; set [postgres] schema = \"{}\" in tandem.toml if the project's tables \
                 live there, or take {first} out of the URL's search_path",
                first.escape_default()
            )));
        }
    }
    let path: Vec<String> = std::iter::once(&name)
        .chain(others.into_iter().filter(|s| **s != name))
        .map(|s| crate::sql::text::quote(Dialect::Postgres, s))
        .collect();
    let search_path = format!("SET search_path TO {}", path.join(", "));
    db!(client.batch_execute(&search_path))?;
    Ok(BaseSchema { name, search_path })
}

/// A SQLite connection for schema changes. Foreign keys off, as SQLite's table-rebuild
/// procedure requires: with them on (the bundled library's default), dropping a
/// referenced table deletes its rows first and cascades into the tables that point at
/// it. The pragma does nothing inside a transaction, so it is set before any.
fn sqlite(conn: rusqlite::Connection) -> Result<Database, DbError> {
    db!(conn.execute_batch(&server::sqlite_foreign_keys(false)))?;
    Ok(Database::Sqlite(conn))
}

impl Database {
    pub fn connect(target: &Target) -> Result<Database, DbError> {
        Ok(match target {
            Target::SqliteFile(path) => sqlite(db!(rusqlite::Connection::open(path))?)?,
            Target::SqliteMemory => sqlite(db!(rusqlite::Connection::open_in_memory())?)?,
            Target::Postgres(url) => {
                let (url, base) = split_base_schema(url);
                let (url, timeout) = split_connect_timeout(&url)?;
                let mut config: postgres::Config = db!(url.parse())?;
                config.connect_timeout(timeout);
                if config.get_application_name().is_none() {
                    config.application_name(server::OWN_CONNECTION_NAME);
                }
                // Long steps (backfills) report progress as NOTICEs starting "tandem:".
                config.notice_callback(|notice| {
                    if super::notes::is_note(notice.message()) {
                        super::notes::show(notice.message());
                    }
                });
                let mut conn = within(timeout, move || db!(config.connect(NoTls)))?;
                let base = match base {
                    Some((schema, prefix)) => {
                        Some(Box::new(pin_base_schema(&mut conn, schema, &prefix)?))
                    }
                    None => None,
                };
                Database::Postgres(Box::new(conn), base)
            }
            Target::Mysql(url) => {
                let (url, timeout) = split_connect_timeout(url)?;
                let opts = db!(mysql::Opts::from_url(&url))?;
                let named = opts
                    .get_connect_attrs()
                    .is_some_and(|a| a.contains_key("program_name"));
                let mut opts =
                    mysql::OptsBuilder::from_opts(opts).tcp_connect_timeout(Some(timeout));
                if !named {
                    opts = opts.connect_attrs(Some(std::collections::HashMap::from([(
                        "program_name",
                        server::OWN_CONNECTION_NAME,
                    )])));
                }
                let conn = within(timeout, move || db!(mysql::Conn::new(opts)))?;
                Database::Mysql(Box::new(conn))
            }
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Database::Sqlite(_) => Dialect::Sqlite,
            Database::Postgres(..) => Dialect::Postgres,
            Database::Mysql(_) => Dialect::Mysql,
        }
    }

    /// Where tandem's own tables are on this connection: in the base schema of a
    /// project's Postgres connection, else where unqualified names lead.
    pub fn own_tables(&self) -> crate::sql::bookkeeping::OwnTables {
        match self {
            Database::Postgres(_, Some(base)) => {
                crate::sql::bookkeeping::OwnTables::in_schema(&base.name)
            }
            _ => crate::sql::bookkeeping::OwnTables::unqualified(),
        }
    }

    /// Whether one of tandem's own tables exists (see [`Database::own_tables`]).
    pub fn has_own_table(&mut self, table: &str) -> Result<bool, DbError> {
        match self.own_tables().exists(table) {
            Some(sql) => Ok(!self.query_text(&sql)?.is_empty()),
            None => Ok(self.table_names()?.iter().any(|t| t == table)),
        }
    }

    /// The rows `sql(own tables)` reads from one of tandem's own tables, NULL as empty
    /// text; none when `table` does not exist yet (reading must not create it).
    pub fn own_table_rows(
        &mut self,
        table: &str,
        sql: impl FnOnce(&crate::sql::bookkeeping::OwnTables) -> String,
    ) -> Result<Vec<Vec<String>>, DbError> {
        if !self.has_own_table(table)? {
            return Ok(Vec::new());
        }
        let rows = self.query_text(&sql(&self.own_tables()))?;
        Ok(rows
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect())
    }

    /// Points name resolution back at the tables after a release's views were selected:
    /// the base schema first on a project's Postgres connection, else the URL's own
    /// `search_path`.
    pub fn select_tables(&mut self) -> Result<(), DbError> {
        let sql = match self {
            Database::Postgres(_, Some(base)) => base.search_path.clone(),
            Database::Postgres(_, None) => "RESET search_path".to_string(),
            _ => return Ok(()),
        };
        self.run_script(&sql)
    }

    /// Runs a script of one or more statements with no transaction around it, in
    /// autocommit: each statement commits on its own.
    pub fn run_script(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Database::Sqlite(c) => lite(c.execute_batch(sql)),
            Database::Postgres(c, _) => {
                // A multi-statement simple query is one implicit transaction in Postgres,
                // which CREATE INDEX CONCURRENTLY refuses: send statements one by one.
                for statement in split_statements(sql) {
                    db!(c.batch_execute(&statement))?;
                }
                Ok(())
            }
            Database::Mysql(c) => mysql_script(c.as_mut(), sql),
        }
    }

    /// Makes one of tandem's own tables (`create` is its `CREATE TABLE IF NOT EXISTS`),
    /// safe when other sessions make it at the same moment (see
    /// [`server::postgres_serialised`]); MySQL's metadata lock already serialises it.
    pub fn create_own_table(&mut self, create: &str) -> Result<(), DbError> {
        match self {
            Database::Postgres(c, _) => {
                db!(c.batch_execute(&server::postgres_serialised(create, OWN_TABLES_LOCK_KEY)))
            }
            _ => self.run_script(create),
        }
    }

    /// Runs a script inside one transaction (where the dialect has transactional DDL).
    pub fn run_in_transaction(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            Database::Sqlite(c) => {
                let tx = db!(c.transaction())?;
                lite(tx.execute_batch(sql))?;
                db!(tx.commit())
            }
            Database::Postgres(c, _) => {
                // One round trip, BEGIN to COMMIT: a lock the script takes (ACCESS
                // EXCLUSIVE for most DDL, queueing every reader and writer of the table
                // behind it) is held until COMMIT, so a COMMIT sent only once the
                // script's result came back would hold it for a client round trip more.
                // The commit does not wait for its WAL flush either, which would also
                // be under the lock: the next commit of the session (every file ends
                // with refinery's synchronous history insert) flushes it, and a crash
                // before that loses the script and its progress record together, so a
                // resumed migrate runs it again.
                let script =
                    format!("BEGIN;\n{sql}\n;\nSET LOCAL synchronous_commit = off;\nCOMMIT;");
                match c.batch_execute(&script) {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        // The server skipped the rest of the script; the block is open.
                        let _ = c.batch_execute("ROLLBACK");
                        Err(DbError::from_chain(&e))
                    }
                }
            }
            Database::Mysql(c) => {
                db!(c.query_drop("START TRANSACTION"))?;
                match mysql_script(c.as_mut(), sql) {
                    Ok(()) => db!(c.query_drop("COMMIT")),
                    Err(e) => {
                        let _ = c.query_drop("ROLLBACK");
                        Err(e)
                    }
                }
            }
        }
    }

    /// Rows of a query, every value read as text (NULL as `None`).
    pub fn query_text(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, DbError> {
        match self {
            Database::Sqlite(c) => {
                let mut stmt = lite(c.prepare(sql))?;
                let n = stmt.column_count();
                let rows = db!(stmt.query_map([], |row| {
                    (0..n)
                        .map(|i| {
                            Ok(match row.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => None,
                                rusqlite::types::ValueRef::Integer(v) => Some(v.to_string()),
                                rusqlite::types::ValueRef::Real(v) => Some(v.to_string()),
                                rusqlite::types::ValueRef::Text(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                                rusqlite::types::ValueRef::Blob(b) => {
                                    Some(String::from_utf8_lossy(b).into_owned())
                                }
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                }))?;
                db!(rows.collect::<Result<Vec<_>, _>>())
            }
            Database::Postgres(c, _) => {
                // The simple protocol returns every value as text.
                let messages = db!(c.simple_query(sql))?;
                Ok(messages
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).map(str::to_string))
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect())
            }
            Database::Mysql(c) => {
                let rows: Vec<mysql::Row> = db!(Queryable::query(c.as_mut(), sql))?;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        (0..row.len())
                            .map(|i| match row.as_ref(i) {
                                None | Some(mysql::Value::NULL) => None,
                                Some(mysql::Value::Bytes(b)) => {
                                    Some(String::from_utf8_lossy(b.as_slice()).into_owned())
                                }
                                Some(v) => Some(v.as_sql(true).trim_matches('\'').to_string()),
                            })
                            .collect()
                    })
                    .collect())
            }
        }
    }

    /// Takes the database-wide lock that serialises `migrate` runs, waiting up to
    /// `wait`: two runs at once would both see a file as unapplied. Held until the
    /// connection closes. SQLite needs none: its writers are serialised already.
    pub fn lock_migrations(&mut self, wait: std::time::Duration) -> Result<bool, DbError> {
        match self {
            Database::Sqlite(_) => Ok(true),
            Database::Postgres(c, _) => {
                let deadline = std::time::Instant::now() + wait;
                loop {
                    let row =
                        db!(c.query_one(server::POSTGRES_TRY_MIGRATE_LOCK, &[&MIGRATE_LOCK_KEY]))?;
                    if row.get::<_, bool>(0) {
                        return Ok(true);
                    }
                    if std::time::Instant::now() >= deadline {
                        return Ok(false);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(200));
                }
            }
            Database::Mysql(c) => {
                let got: Option<Option<i64>> = db!(Queryable::exec_first(
                    c.as_mut(),
                    server::MYSQL_MIGRATE_LOCK,
                    (wait.as_secs(),)
                ))?;
                Ok(got.flatten() == Some(1))
            }
        }
    }

    /// Tables of the current database or schema, tandem's history table included.
    pub fn table_names(&mut self) -> Result<Vec<String>, DbError> {
        let sql = catalogue::table_names_query(self.dialect());
        Ok(self
            .query_text(sql)?
            .into_iter()
            .filter_map(|mut r| r.pop().flatten())
            .collect())
    }

    /// The names of the indexes and constraints of `table` that the database lets one
    /// list: all of them in Postgres and MySQL, the indexes in SQLite (whose foreign
    /// keys and checks keep no name).
    pub fn object_names(&mut self, table: &str) -> Result<Vec<String>, DbError> {
        let sql = catalogue::object_names_query(self.dialect(), table);
        Ok(self
            .query_text(&sql)?
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect())
    }

    /// Columns of a table in order, with whether each is nullable.
    pub fn columns(&mut self, table: &str) -> Result<Vec<(String, bool)>, DbError> {
        let sql = catalogue::nullable_columns_query(self.dialect(), table);
        Ok(self
            .query_text(&sql)?
            .into_iter()
            .filter_map(|r| match (r.first(), r.get(1)) {
                (Some(Some(name)), Some(Some(nullable))) => {
                    Some((name.clone(), nullable.eq_ignore_ascii_case("yes")))
                }
                _ => None,
            })
            .collect())
    }
}

/// Catalogue reading (`sql::catalogue`) runs its queries through this connection.
impl Catalogue for Database {
    type Error = DbError;

    fn dialect(&self) -> Dialect {
        Database::dialect(self)
    }

    fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<String>>, DbError> {
        Ok(self
            .query_text(sql)?
            .into_iter()
            .map(|r| r.into_iter().map(Option::unwrap_or_default).collect())
            .collect())
    }
}

/// Sends a multi-statement script and reads every result set: the driver only reports
/// an error in the second or later statement to a caller that asks for that set.
fn mysql_script(conn: &mut mysql::Conn, sql: &str) -> Result<(), DbError> {
    let mut result = db!(conn.query_iter(sql))?;
    while let Some(set) = result.iter() {
        for row in set {
            // A procedure's notes (backfill progress, lock retries): one-row results.
            let row = db!(row)?;
            if let Some(Ok(note)) = row.get_opt::<String, usize>(0) {
                if super::notes::is_note(&note) {
                    super::notes::show(&note);
                }
            }
        }
    }
    Ok(())
}

/// refinery hands each migration's SQL, then its history insert, to `execute` one at a
/// time. A file marked no-transaction runs statement by statement in autocommit; every
/// other file runs in a transaction, as refinery's own drivers do.
impl Transaction for Database {
    type Error = DbError;

    fn execute<'a, T: Iterator<Item = &'a str>>(&mut self, queries: T) -> Result<usize, DbError> {
        let queries: Vec<&str> = queries.collect();
        // A file and its history row commit together where the DDL is transactional: a
        // run killed between two commits would leave the file applied but unrecorded,
        // and the next run would apply it again.
        if self.dialect() != Dialect::Mysql
            && queries.len() > 1
            && !queries.iter().any(|q| q.contains(NO_TRANSACTION_MARK))
        {
            self.run_in_transaction(&queries.join("\n;\n"))?;
            return Ok(queries.len());
        }
        let mut count = 0;
        for query in queries {
            if query.contains(NO_TRANSACTION_MARK) {
                self.run_script(query)?;
            } else {
                self.run_in_transaction(query)?;
            }
            count += 1;
        }
        Ok(count)
    }
}

impl Query<Vec<Migration>> for Database {
    fn query(&mut self, query: &str) -> Result<Vec<Migration>, DbError> {
        match self {
            Database::Sqlite(c) => db!(Query::<Vec<Migration>>::query(c, query)),
            Database::Postgres(c, _) => db!(Query::<Vec<Migration>>::query(c.as_mut(), query)),
            Database::Mysql(c) => db!(Query::<Vec<Migration>>::query(c.as_mut(), query)),
        }
    }
}

impl Migrate for Database {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_resolve_against_the_project() {
        let root = Path::new("/p");
        assert_eq!(
            Target::parse("sqlite://dev.db", root).unwrap(),
            Target::SqliteFile("/p/dev.db".into())
        );
        assert_eq!(
            Target::parse("sqlite:///tmp/x.db", root).unwrap(),
            Target::SqliteFile("/tmp/x.db".into())
        );
        assert_eq!(
            Target::parse("sqlite::memory:", root).unwrap(),
            Target::SqliteMemory
        );
        assert!(Target::parse("redis://x", root).is_err());
        assert_eq!(
            Target::parse("mariadb://root@h/db", root)
                .unwrap()
                .dialect(),
            Dialect::Mysql
        );
    }

    #[test]
    fn the_connect_timeout_parameter_is_read_and_removed() {
        assert_eq!(
            split_connect_timeout("mysql://u@h/db").unwrap(),
            ("mysql://u@h/db".to_string(), DEFAULT_CONNECT_TIMEOUT)
        );
        assert_eq!(
            split_connect_timeout("postgres://u@h/db?sslmode=disable&connect_timeout=2.5").unwrap(),
            (
                "postgres://u@h/db?sslmode=disable".to_string(),
                Duration::from_millis(2500)
            )
        );
        assert_eq!(
            split_connect_timeout("mysql://u@h/db?connect_timeout=3").unwrap(),
            ("mysql://u@h/db".to_string(), Duration::from_secs(3))
        );
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            assert!(
                split_connect_timeout(&format!("mysql://u@h/db?connect_timeout={bad}")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_base_schema_parameters_are_read_removed_and_not_shown() {
        let url = format!(
            "postgres://u@h/db?options=-csearch_path%3Dapp_1_4_0&{VIEW_PREFIX_PARAM}=app&{BASE_SCHEMA_PARAM}={}",
            percent_encode("Kern \"Ω\" & x=1")
        );
        let (rest, base) = split_base_schema(&url);
        assert_eq!(rest, "postgres://u@h/db?options=-csearch_path%3Dapp_1_4_0");
        assert_eq!(
            base,
            Some((Some("Kern \"Ω\" & x=1".to_string()), "app".to_string()))
        );
        assert_eq!(Target::Postgres(url).display(), rest);
        assert_eq!(split_base_schema("postgres://u@h/db").1, None);
    }

    #[test]
    fn passwords_are_hidden_in_messages() {
        let t = Target::Postgres("postgres://u:secret@h:5432/db".into());
        assert_eq!(t.display(), "postgres://u:***@h:5432/db");
    }

    #[test]
    fn a_transaction_rolls_back_on_sqlite() {
        let mut db = Database::connect(&Target::SqliteMemory).unwrap();
        db.run_script("CREATE TABLE t (a integer)").unwrap();
        let err = db
            .run_in_transaction("INSERT INTO t VALUES (1); INSERT INTO nope VALUES (2);")
            .unwrap_err();
        assert!(err.0.contains("no such table"), "{err}");
        assert_eq!(
            db.query_text("SELECT count(*) FROM t").unwrap()[0][0].as_deref(),
            Some("0")
        );
    }
}
