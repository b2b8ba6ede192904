//! Shared by the tests that talk to real databases: the servers (from
//! `TANDEM_TEST_PG_URL` / `TANDEM_TEST_MYSQL_URL`), a fresh database per test, and
//! copies of the examples rendered for a chosen dialect; and the project builders and
//! commands the test files share.
//!
//! Every test runs as a thread of one process, beside tests of other files, so a test:
//! - works in a database of its own (`Server::fresh`) and looks at nothing of the server
//!   beyond it. What tandem reads of the server is scoped the same way: the fleet gate
//!   counts the connections to its own database only (`pg_stat_activity.datname`, the
//!   processlist's `DB`), and the migrate lock is per database;
//! - sets no environment variable and no working directory of the process: it gives
//!   them to the `tandem` command it runs (`TANDEM_SKIP_FLEET_CHECK` in [`tandem`]);
//! - keeps no state in a static that another test reads, beyond counters that keep
//!   names unique.

pub mod mysql8;
pub mod newest_postgres;
pub mod normal;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};
use tandem::apply::database::{Database, Target};
use tandem::apply::scratch::Scratch;
use tandem::diag::SourceFile;
use tandem::model::Schema;
use tempfile::TempDir;

/// The property tests' config: `var` cases (from the environment) or `default`, and the
/// failure cases saved in `<file>.proptest-regressions` beside the test's source file, read
/// again before any new case. (Proptest's default looks for a `main.rs` above the source,
/// finds this binary's, and would use `tests/proptest-regressions/<file>.txt` instead.)
pub fn proptest_config(var: &str, default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var(var)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

pub const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const MYSQL_DEFAULT: &str = "mysql://root@127.0.0.1:3306/test";

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Server {
    Sqlite,
    Postgres,
    Mysql,
}

impl Server {
    pub const ALL: [Server; 3] = [Server::Sqlite, Server::Postgres, Server::Mysql];

    pub fn dialect(self) -> &'static str {
        match self {
            Server::Sqlite => "sqlite",
            Server::Postgres => "postgres",
            Server::Mysql => "mysql",
        }
    }

    /// The server's URL, or `None` (with a loud message) when it is unreachable outside
    /// CI. Under `CI` an unreachable server fails the test.
    pub fn url(self) -> Option<String> {
        let (var, default) = match self {
            Server::Sqlite => return Some("sqlite::memory:".into()),
            Server::Postgres => ("TANDEM_TEST_PG_URL", PG_DEFAULT),
            Server::Mysql => ("TANDEM_TEST_MYSQL_URL", MYSQL_DEFAULT),
        };
        let url = std::env::var(var).unwrap_or_else(|_| default.to_string());
        let target = Target::parse(&url, Path::new(".")).expect("a database URL");
        match Database::connect(&target) {
            Ok(_) => Some(url),
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!(
                    "{} is unreachable at {url} and CI is set: {e}",
                    self.dialect()
                )
            }
            Err(e) => {
                eprintln!(
                    "\n!!!!!!!! SKIPPED: {} is unreachable at {url} ({e}); set {var} or start \
                     the server. Under CI this fails. !!!!!!!!\n",
                    self.dialect()
                );
                None
            }
        }
    }

    /// A fresh database of its own for one test (in-memory for SQLite: use a file in the
    /// project instead, see `database_url`).
    pub fn fresh(self) -> Option<Scratch> {
        let url = self.url()?;
        let target = Target::parse(&url, Path::new(".")).unwrap();
        Some(Scratch::create(&target).expect("create a scratch database"))
    }
}

/// The URL `migrate` should use for a fresh database of `server` inside `project`.
pub fn database_url(server: Server, scratch: &Scratch, project: &Path) -> String {
    match &scratch.target {
        Target::Postgres(u) | Target::Mysql(u) => u.clone(),
        _ => {
            let _ = server;
            format!("sqlite://{}", project.join("test.db").display())
        }
    }
}

/// `tandem verify --database-url URL` on the project in `dir`.
pub fn verify(dir: &Path, url: &str) -> Output {
    run(dir, &["verify", "--database-url", url])
}

/// `tandem ARGS` on the project in `dir`, run to its end.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    tandem(dir).args(args).output().unwrap()
}

/// `tandem migrate --release RELEASE --phase PHASE` on the project in `dir`, on the
/// database its tandem.toml names, for more arguments to be added.
pub fn migrate_own_database(dir: &Path, release: &str, phase: &str) -> Command {
    let mut cmd = tandem(dir);
    cmd.args(["migrate", "--release", release, "--phase", phase]);
    cmd
}

/// `tandem migrate --release RELEASE --phase PHASE --database-url URL` on the project in
/// `dir`, for more arguments to be added.
pub fn migrate_command(dir: &Path, url: &str, release: &str, phase: &str) -> Command {
    let mut cmd = migrate_own_database(dir, release, phase);
    cmd.args(["--database-url", url]);
    cmd
}

/// A connection to the database at `url`, a relative SQLite path read from `project`.
pub fn connect(url: &str, project: &Path) -> Database {
    Database::connect(&Target::parse(url, project).unwrap()).unwrap()
}

/// `tandem migrate` up to `phase` of `release` on the database at `url`.
pub fn migrate(dir: &Path, url: &str, release: &str, phase: &str) -> Output {
    migrate_command(dir, url, release, phase).output().unwrap()
}

/// The database at `url` without its migration history, as one tandem did not make, then
/// `tandem migrate --adopt` up to `phase` of `release`.
pub fn adopt(dir: &Path, url: &str, release: &str, phase: &str) -> Output {
    let mut db = connect(url, dir);
    db.run_script("DROP TABLE refinery_schema_history").unwrap();
    drop(db);
    migrate_command(dir, url, release, phase)
        .arg("--adopt")
        .output()
        .unwrap()
}

/// `tandem introspect --database-url URL` on the project in `dir`: the schema.toml it
/// prints, or what it said when it failed.
pub fn introspect(dir: &Path, url: &str) -> Result<String, String> {
    let out = run(dir, &["introspect", "--database-url", url]);
    if out.status.success() {
        Ok(stdout(&out))
    } else {
        Err(stderr(&out))
    }
}

/// `text` read as the schema.toml file `name`: the model, or the error as printed.
pub fn parse_schema(name: &str, text: &str) -> Result<Schema, String> {
    tandem::parse::schema::parse_schema(&SourceFile::new(name, text.to_string()))
        .map_err(|e| e.render())
}

/// As [`parse_schema`], read for `server`'s dialect (its native types, and mappings
/// resolved to it).
pub fn parse_schema_for(server: Server, name: &str, text: &str) -> Result<Schema, String> {
    tandem::parse::schema::parse_schema_in(
        &SourceFile::new(name, text.to_string()),
        normal::dialect(server),
    )
    .map_err(|e| e.render())
}

/// `tandem --project DIR`, with the fleet gate skipped: a test database has no fleet
/// (MariaDB's default `performance_schema=OFF` gives the gate no source, and a contract
/// with no source is refused; an expand is not, so expands run as well with
/// [`tandem_with_fleet_gate`], which the tests of the gate itself use).
pub fn tandem(dir: &Path) -> Command {
    let mut cmd = tandem_with_fleet_gate(dir);
    cmd.env("TANDEM_SKIP_FLEET_CHECK", "test database: no fleet");
    cmd
}

pub fn tandem_with_fleet_gate(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tandem").unwrap();
    cmd.arg("--project").arg(dir);
    cmd.env_remove("TANDEM_SKIP_FLEET_CHECK");
    cmd
}

/// A copy of `examples/<name>` whose files are regenerated for `dialect`.
pub fn example_for(name: &str, dialect: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    copy_dir(&src, dir.path());
    let _ = fs::remove_dir_all(dir.path().join("migrations"));
    let _ = fs::remove_file(dir.path().join("tandem.db"));
    set_dialect(dir.path(), dialect);
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(
        out.status.success(),
        "generate {name} for {dialect}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// Rewrites the `dialect = ...` line of a project's tandem.toml.
pub fn set_dialect(project: &Path, dialect: &str) {
    let path = project.join("tandem.toml");
    let text = fs::read_to_string(&path).unwrap();
    let text: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("dialect") {
                format!("dialect = \"{dialect}\"")
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(&path, text.join("\n") + "\n").unwrap();
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub const USERS: &str = r#"
[tables.users]
primary_key = ["id"]

[tables.users.columns]
id           = { type = "bigint" }
email        = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname     = { type = "text", nullable = true }
"#;

/// A project of `dialect` over the users table, with `changes` (file name, TOML) and
/// its files generated.
pub fn users_project(dialect: &str, changes: &[(&str, &str)]) -> TempDir {
    project_with(dialect, USERS, changes)
}

/// A project of `dialect` over `schema`, with `changes` (file name, TOML) and its files
/// generated; its default database is `app.db` in the project.
pub fn project_with(dialect: &str, schema: &str, changes: &[(&str, &str)]) -> TempDir {
    let dir = project_files(dialect, schema, changes);
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "generate: {}", stderr(&out));
    dir
}

/// As [`project_with`], without generating the files.
pub fn project_files(dialect: &str, schema: &str, changes: &[(&str, &str)]) -> TempDir {
    project_dir(
        &format!("dialect = \"{dialect}\"\ndatabase_url = \"sqlite://app.db\"\n"),
        schema,
        changes,
    )
}

/// A project of `tandem_toml`, `schema` and `changes` (file name, TOML), nothing generated.
pub fn project_dir(tandem_toml: &str, schema: &str, changes: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("tandem.toml"), tandem_toml).unwrap();
    fs::write(dir.path().join("schema.toml"), schema).unwrap();
    fs::create_dir_all(dir.path().join("changes")).unwrap();
    for (name, text) in changes {
        fs::write(dir.path().join("changes").join(name), text).unwrap();
    }
    dir
}

/// A change of `release` that runs `SELECT 1` only: a release for later steps to land in.
pub fn select_one(release: &str) -> String {
    format!("release = \"{release}\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n")
}

/// Change files held as owned strings, as the project builders take them.
pub fn as_refs<A: AsRef<str>, B: AsRef<str>>(files: &[(A, B)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(a, b)| (a.as_ref(), b.as_ref()))
        .collect()
}

/// Every file under `dir`, its path relative to `dir` with `/` between the parts, sorted;
/// none when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy();
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// Users and orders, with a unique key, a foreign key and a nullable column on each:
/// the ground for tests of composed ops and keys.
pub const USERS_AND_ORDERS: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname = { type = "text", nullable = true }
score = { type = "integer", default = 0 }

[[tables.users.constraints]]
type = "unique"
column = "email"

[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer", default = 1 }
note = { type = "varchar(40)", nullable = true }

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_fk"
column = "user_id"
references = "users"
"#;

/// A profile per user: the foreign key's column is also unique.
pub const ONE_TO_ONE: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }

[tables.profiles]
primary_key = ["id"]
[tables.profiles.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }

[[tables.profiles.constraints]]
type = "unique"
column = "user_id"

[[tables.profiles.constraints]]
type = "foreign_key"
column = "user_id"
references = "users"
"#;

/// 1.4.0 stops using users.legacy_email; 1.5.0 adds users.bio.
pub const INCIDENT: &[(&str, &str)] = &[
    (
        "0007_drop_legacy.toml",
        "release = \"1.4.0\"\nsummary = \"retire legacy_email\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n",
    ),
    (
        "0008_bio.toml",
        "release = \"1.5.0\"\nsummary = \"add bio\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n",
    ),
];

/// Runs `statements` (of a generated MySQL file) with the plain `mariadb` client on the
/// database of `url` (`mysql://root@127.0.0.1:3306/name`), as a runner other than tandem
/// would: under a delimiter that no procedure body ends a statement with, after
/// `init_command` when given.
pub fn mariadb_client(url: &str, statements: &[String], init_command: Option<&str>) -> Output {
    use std::io::Write;
    let rest = url.split('@').nth(1).unwrap();
    let (host_port, name) = rest.split_once('/').unwrap();
    let port = host_port.split(':').nth(1).unwrap_or("3306");
    let name = name.split('?').next().unwrap();
    let script: String = statements
        .iter()
        .map(|s| format!("{}$$\n", s.trim_end().trim_end_matches(';')))
        .collect();
    let mut command = std::process::Command::new("mariadb");
    command
        .args(["-h", "127.0.0.1", "-u", "root", "--batch"])
        .arg(format!("--port={port}"));
    if let Some(init) = init_command {
        command.arg(format!("--init-command={init}"));
    }
    let mut child = command
        .arg(name)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the mariadb client runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("DELIMITER $$\n{script}").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Inserts users 1..=`count` (`u<i>@x`, legacy email `l<i>`) into the users table.
pub fn insert_users(db: &mut Database, count: u32) {
    db.run_script(&users_insert(count)).unwrap();
}

/// The INSERT of [`insert_users`].
pub fn users_insert(count: u32) -> String {
    let rows: Vec<String> = (1..=count)
        .map(|i| format!("({i}, 'u{i}@x', 'l{i}')"))
        .collect();
    format!(
        "INSERT INTO users (id, email, legacy_email) VALUES {}",
        rows.join(", ")
    )
}

/// Users 1..=`count` as the code before an expand wrote them (see [`insert_unfilled`]),
/// for a backfill to fill: checked to be every row.
pub fn insert_unfilled_users(db: &mut Database, server: Server, count: u32, column: &str) {
    let unfilled = insert_unfilled(db, server, "users", column, &users_insert(count));
    let rows = db
        .query_text(&format!("SELECT COUNT(*) FROM users WHERE {unfilled}"))
        .unwrap();
    assert_eq!(rows[0][0].as_deref(), Some(count.to_string().as_str()));
}

/// Runs `insert`, rows of `table` that leave `column` out, as if the code before an
/// expand wrote them: the fill triggers dropped first, so that `column` holds what such a
/// row holds before the backfill. That is NULL, or on MySQL, for a column the expand added
/// NOT NULL at once, its stand-in default (`0` or `''`, given back for the insert).
/// Returns the condition that tells such rows.
pub fn insert_unfilled(
    db: &mut Database,
    server: Server,
    table: &str,
    column: &str,
    insert: &str,
) -> String {
    drop_triggers(db, server);
    let shape = match server {
        Server::Mysql => db
            .query_text(&format!(
                "SELECT IS_NULLABLE, DATA_TYPE FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
                 AND COLUMN_NAME = '{column}'"
            ))
            .unwrap()
            .pop(),
        _ => None,
    };
    match shape.as_deref() {
        Some([Some(nullable), Some(ty)]) if nullable == "NO" => {
            let stand_in =
                if ty.contains("int") || ["decimal", "double", "float"].contains(&ty.as_str()) {
                    "0"
                } else {
                    "''"
                };
            db.run_script(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {stand_in}"
            ))
            .unwrap();
            db.run_script(insert).unwrap();
            db.run_script(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT"
            ))
            .unwrap();
            format!("{column} = {stand_in}")
        }
        _ => {
            db.run_script(insert).unwrap();
            format!("{column} IS NULL")
        }
    }
}

/// Drops every trigger of the database, so that the rows written next keep NULL in a
/// column the fill triggers would fill, as rows written before an expand do. (Writing NULL
/// over a filled column does not do it: the trigger fills it again.)
pub fn drop_triggers(db: &mut Database, server: Server) {
    let list = match server {
        Server::Postgres => {
            "SELECT format('DROP TRIGGER %I ON %s', tgname, tgrelid::regclass) \
             FROM pg_trigger WHERE NOT tgisinternal"
        }
        Server::Mysql => {
            "SELECT CONCAT('DROP TRIGGER `', TRIGGER_NAME, '`') FROM information_schema.TRIGGERS \
             WHERE EVENT_OBJECT_SCHEMA = DATABASE()"
        }
        Server::Sqlite => {
            "SELECT 'DROP TRIGGER \"' || name || '\"' FROM sqlite_master WHERE type = 'trigger'"
        }
    };
    for drop in db.query_text(list).unwrap() {
        db.run_script(drop[0].as_deref().unwrap()).unwrap();
    }
}

/// MariaDB: InnoDB's id of `table`, which a rebuild of the table changes.
pub fn table_id(db: &mut Database, table: &str) -> String {
    let rows = db
        .query_text(&format!(
            "SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES \
             WHERE NAME = CONCAT(DATABASE(), '/{table}')"
        ))
        .unwrap();
    rows[0][0].clone().expect("a table id")
}
