//! No user object is lost or masked: a SQLite table rebuild refuses to drop an index or
//! trigger tandem did not make, tandem's helper objects take names no user object can,
//! and `migrate --adopt` compares every part of a live table with schema.toml.

use crate::common;

use std::fs;

use common::{migrate_own_database, stderr, tandem, users_project, Server};
use tandem::apply::database::{Database, Target};

/// A `sql` op of 1.4.0 that makes a unique index and a trigger on users, neither of which
/// tandem reads (the index is over an expression); the unique index asserts that the code
/// before already keeps it.
const USER_OBJECTS: &str = r#"release = "1.4.0"
[[op]]
type = "sql"
expand = '''
CREATE UNIQUE INDEX users_nickname_uq ON users (lower(nickname));
CREATE TABLE audit (id integer);
CREATE TRIGGER users_audit AFTER UPDATE ON users BEGIN INSERT INTO audit VALUES (NEW.id); END
'''
destructive = false
"#;

fn sqlite_db(dir: &std::path::Path) -> Database {
    common::connect("sqlite://app.db", dir)
}

fn objects_of_users(db: &mut Database) -> Vec<Vec<Option<String>>> {
    db.query_text(
        "SELECT type, name FROM sqlite_master WHERE tbl_name = 'users' AND sql IS NOT NULL \
         AND type IN ('index', 'trigger') ORDER BY name",
    )
    .unwrap()
}

/// The files of a release, concatenated.
fn release_sql(dir: &std::path::Path, release: &str) -> String {
    let mut files: Vec<_> = fs::read_dir(dir.join("migrations").join(release))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn a_sqlite_rebuild_refuses_to_lose_an_index_and_a_trigger_a_sql_op_made() {
    let relax = "release = \"1.5.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
    let dir = users_project(
        "sqlite",
        &[
            ("0001_objects.toml", USER_OBJECTS),
            ("0002_relax.toml", relax),
        ],
    );
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .assert()
        .success();
    let mut db = sqlite_db(dir.path());
    db.run_script(
        "INSERT INTO users (id, email, legacy_email, nickname) VALUES (1, 'a@x', 'old@x', 'ann')",
    )
    .unwrap();
    let before = objects_of_users(&mut db);
    assert_eq!(before.len(), 2, "{before:?}");

    let out = migrate_own_database(dir.path(), "1.5.0", "expand")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("rebuilds table users"), "{err}");
    assert!(err.contains("index users_nickname_uq"), "{err}");
    assert!(err.contains("trigger users_audit"), "{err}");
    assert!(err.contains("help:"), "{err}");

    // Nothing changed: the rows and both objects are there, and the file is not recorded.
    assert_eq!(objects_of_users(&mut db), before);
    assert_eq!(
        db.query_text("SELECT email, legacy_email, nickname FROM users")
            .unwrap(),
        vec![vec![
            Some("a@x".to_string()),
            Some("old@x".to_string()),
            Some("ann".to_string())
        ]]
    );
    db.run_script("UPDATE users SET nickname = 'bob'").unwrap();
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM audit").unwrap(),
        vec![vec![Some("1".to_string())]],
        "the trigger still fires"
    );

    // The file refuses by itself too, on any runner: its guard fails the transaction.
    let sql = release_sql(dir.path(), "1.5.0");
    let err = db.run_in_transaction(&sql).unwrap_err();
    assert!(
        err.0
            .contains("refused: rebuilding users would lose an index or trigger"),
        "{err}"
    );
    assert_eq!(objects_of_users(&mut db), before);
}

/// The recipe the refusal suggests: drop the object before the rebuilding op and make it
/// again after it, in `sql` ops of the same change; the drop of the index asserts
/// `destructive = false`, since it comes back in the same phase.
#[test]
fn a_user_index_dropped_before_the_rebuild_and_made_again_after_it_survives() {
    let relax = r#"release = "1.5.0"
[[op]]
type = "sql"
expand = "DROP INDEX users_nickname_uq; DROP TRIGGER users_audit"
destructive = false

[[op]]
type = "drop_column"
table = "users"
column = "legacy_email"

[[op]]
type = "sql"
expand = '''
CREATE UNIQUE INDEX users_nickname_uq ON users (lower(nickname));
CREATE TRIGGER users_audit AFTER UPDATE ON users BEGIN INSERT INTO audit VALUES (NEW.id); END
'''
destructive = false
"#;
    let dir = users_project(
        "sqlite",
        &[
            ("0001_objects.toml", USER_OBJECTS),
            ("0002_relax.toml", relax),
        ],
    );
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .assert()
        .success();
    let mut db = sqlite_db(dir.path());
    let before = objects_of_users(&mut db);
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .assert()
        .success();
    assert_eq!(objects_of_users(&mut db), before);
}

/// Every op whose SQLite rendering rebuilds the table carries the guard, and `migrate`
/// refuses it while a user's index is on the table.
#[test]
fn every_sqlite_rebuild_refuses_to_lose_a_user_index() {
    let ops = [
        ("drop_column", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n"),
        (
            "alter_column nullable",
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnullable = false\nusing = \"'x'\"\n",
        ),
        (
            "alter_column default",
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ndefault = \"none\"\n",
        ),
        (
            "alter_column type",
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"text\"\n",
        ),
        (
            "add_column with an expression default",
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"seen\", type = \"timestamp\", default_sql = \"CURRENT_TIMESTAMP\" }\n",
        ),
        (
            "add_check",
            "type = \"add_check\"\ntable = \"users\"\ncheck = \"length(email) > 0\"\nold_code_complies = true\n",
        ),
        (
            "add_foreign_key",
            "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"id\"\nreferences = \"users\"\nold_code_complies = true\n",
        ),
    ];
    for (what, op) in ops {
        let change = format!("release = \"1.5.0\"\n[[op]]\n{op}");
        let later = "release = \"1.6.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
        let dir = users_project(
            "sqlite",
            &[
                ("0001_objects.toml", USER_OBJECTS),
                ("0002_op.toml", &change),
                ("0003_later.toml", later),
            ],
        );
        let sql = release_sql(dir.path(), "1.5.0") + &release_sql(dir.path(), "1.6.0");
        assert!(
            sql.contains("INSERT INTO tandem_guard"),
            "{what}: no guard in\n{sql}"
        );
        migrate_own_database(dir.path(), "1.4.0", "contract")
            .assert()
            .success();
        let out = migrate_own_database(dir.path(), "1.6.0", "contract")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("index users_nickname_uq"),
            "{what}: {}",
            stderr(&out)
        );
    }
}

/// An index a `sql` op makes over plain columns is read into the model: a SQLite rebuild
/// restores it instead of refusing, and it keeps working.
#[test]
fn a_sqlite_rebuild_restores_an_index_a_sql_op_made_over_columns() {
    let objects = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"CREATE UNIQUE INDEX users_nickname_uq ON users (nickname)\"\ndestructive = false\n";
    let relax = "release = \"1.5.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
    let dir = users_project(
        "sqlite",
        &[("0001_objects.toml", objects), ("0002_relax.toml", relax)],
    );
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .assert()
        .success();
    let mut db = sqlite_db(dir.path());
    let before = objects_of_users(&mut db);
    assert_eq!(before.len(), 1, "{before:?}");
    let sql = release_sql(dir.path(), "1.5.0");
    assert!(sql.contains("users_nickname_uq"), "{sql}");
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .assert()
        .success();
    assert_eq!(objects_of_users(&mut db), before);
    db.run_script("INSERT INTO users (id, email, nickname) VALUES (1, 'a@x', 'ann')")
        .unwrap();
    assert!(
        db.run_script("INSERT INTO users (id, email, nickname) VALUES (2, 'b@x', 'ann')")
            .is_err(),
        "the restored index is still unique"
    );
}

/// tandem's own objects never trip the guard: a table with a fill trigger, a sync, an
/// index and a unique constraint of tandem's is rebuilt and keeps them.
#[test]
fn a_rebuild_keeps_tandems_own_indexes_and_triggers() {
    let first = r#"release = "1.4.0"
[[op]]
type = "create_index"
table = "users"
column = "nickname"

[[op]]
type = "add_unique"
table = "users"
column = "email"

[[op]]
type = "rename_column"
table = "users"
column = "nickname"
to = "handle"

[[op]]
type = "add_column"
table = "users"
column = { name = "domain", type = "text", nullable = true }
backfill_sql = "'example.org'"
"#;
    let second = "release = \"1.4.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
    let dir = users_project(
        "sqlite",
        &[("0001_first.toml", first), ("0002_relax.toml", second)],
    );
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success();
    let mut db = sqlite_db(dir.path());
    let objects = objects_of_users(&mut db);
    assert!(objects.len() >= 6, "{objects:?}");
    let _ = Server::ALL;
}

/// A derived column follows its source when code that does not know it updates the
/// source; an update that writes the derived column itself keeps what it wrote. Both for
/// `add_column` with `backfill_sql` (R-1 writes the source) and `drop_column` with
/// `down_sql` (R writes the source of the column R-1 still reads).
fn a_filled_column_follows_updates_of_its_source(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let change = r#"release = "1.1.0"
[[op]]
type = "add_column"
table = "users"
column = { name = "email_lower", type = "varchar(255)", nullable = true }
backfill_sql = "lower(email)"

[[op]]
type = "drop_column"
table = "users"
column = "legacy_email"
down_sql = "upper(email)"
"#;
    let dir = users_project(server.dialect(), &[("0001_derived.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.1.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    let read = |db: &mut Database| {
        let rows = db
            .query_text("SELECT email_lower, legacy_email FROM users WHERE id = 1")
            .unwrap();
        let row = rows.into_iter().next().expect("the row");
        (
            row[0].clone().unwrap_or_default(),
            row[1].clone().unwrap_or_default(),
        )
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    // 1.0.0's code: writes email and legacy_email, knows nothing of email_lower.
    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (1, 'Ann@X', 'ann-legacy')")
        .unwrap();
    assert_eq!(read(&mut db), pair("ann@x", "ann-legacy"));
    db.run_script("UPDATE users SET email = 'Bob@Y' WHERE id = 1")
        .unwrap();
    assert_eq!(
        read(&mut db).0,
        "bob@y",
        "R-1's update of the source is followed"
    );
    db.run_script("UPDATE users SET nickname = 'b' WHERE id = 1")
        .unwrap();
    // 1.1.0's code: writes email and email_lower, knows nothing of legacy_email.
    db.run_script("UPDATE users SET email = 'Cat@Z' WHERE id = 1")
        .unwrap();
    assert_eq!(
        read(&mut db),
        pair("cat@z", "CAT@Z"),
        "R's update of the source is followed by the column R-1 reads"
    );
    db.run_script("UPDATE users SET email = 'Dan@W', email_lower = 'custom' WHERE id = 1")
        .unwrap();
    assert_eq!(read(&mut db).0, "custom", "a value written explicitly wins");
    db.run_script("UPDATE users SET nickname = 'd' WHERE id = 1")
        .unwrap();
    assert_eq!(
        read(&mut db).0,
        "custom",
        "an update that leaves the source alone leaves it alone"
    );
    // 1.0.0's code writes legacy_email itself: kept.
    db.run_script("UPDATE users SET email = 'Eve@V', legacy_email = 'eve-legacy' WHERE id = 1")
        .unwrap();
    assert_eq!(read(&mut db), pair("eve@v", "eve-legacy"));
}

#[test]
fn a_filled_column_follows_updates_of_its_source_on_postgres() {
    a_filled_column_follows_updates_of_its_source(Server::Postgres);
}

#[test]
fn a_filled_column_follows_updates_of_its_source_on_mariadb() {
    a_filled_column_follows_updates_of_its_source(Server::Mysql);
}

#[test]
fn a_filled_column_follows_updates_of_its_source_on_sqlite() {
    a_filled_column_follows_updates_of_its_source(Server::Sqlite);
}

/// The name a helper statement creates, for the statements that make helpers: triggers,
/// functions, procedures, temporary tables, a rebuild's new table, and the scratch check
/// of a NOT NULL tightening.
fn helper_name(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = [
        "CREATE TRIGGER ",
        "CREATE OR REPLACE FUNCTION ",
        "CREATE PROCEDURE ",
        "CREATE TEMP TABLE ",
    ]
    .iter()
    .find_map(|p| line.strip_prefix(p))
    .or_else(|| {
        let at = line.find("ADD CONSTRAINT ")?;
        line.contains(" IS NOT NULL) NOT VALID")
            .then(|| &line[at + "ADD CONSTRAINT ".len()..])
    })?;
    let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
    let name: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '(')
        .filter(|c| !matches!(c, '"' | '`'))
        .collect();
    Some(name)
}

/// Every helper object in the SQL of every golden case, in every dialect, takes a name
/// with the reserved prefix; a rebuild's new table too.
#[test]
fn every_helper_object_takes_a_reserved_name() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut seen = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            if let Some(name) = helper_name(line) {
                seen += 1;
                assert!(
                    name.starts_with("tandem_"),
                    "{}: helper `{name}` in: {line}",
                    path.display()
                );
            }
            if let Some(rest) = line.trim().strip_prefix("CREATE TABLE ") {
                if rest.contains("tandem_") {
                    assert!(rest.starts_with("\"tandem_new_"), "{line}");
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} helper statements found");
}

/// A table, column, index or constraint of the model may not take the reserved prefix,
/// in schema.toml or in an op (any case): an input error at the name.
#[test]
fn a_user_name_with_the_reserved_prefix_is_refused_at_its_place() {
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nTandem_x = { type = \"text\" }\n";
    let dir = common::project_files("sqlite", schema, &[]);
    let out = tandem(dir.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("schema.toml:5:1"), "{}", stderr(&out));
    assert!(stderr(&out).contains("is reserved"), "{}", stderr(&out));

    let cases = [
        ("table", "type = \"create_table\"\ntable = \"tandem_t\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" } }\n"),
        ("table", "type = \"rename_table\"\ntable = \"users\"\nto = \"tandem_users\"\n"),
        ("column", "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"tandem_c\", type = \"text\", nullable = true }\n"),
        ("column", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nto = \"TANDEM_nick\"\n"),
        ("index", "type = \"create_index\"\ntable = \"users\"\ncolumn = \"email\"\nname = \"tandem_fill_users_email\"\n"),
        ("constraint", "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"\nname = \"tandem_u\"\n"),
        ("constraint", "type = \"add_check\"\ntable = \"users\"\ncheck = \"id > 0\"\nname = \"tandem_not_null_users_email\"\n"),
        ("constraint", "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"id\"\nreferences = \"users\"\nname = \"tandem_fk\"\n"),
    ];
    for (what, op) in cases {
        let change = format!("release = \"1.1.0\"\n[[op]]\n{op}");
        let dir = common::project_files("postgres", common::USERS, &[("0001_x.toml", &change)]);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{op}: {err}");
        assert!(err.contains(&format!("the {what} name")), "{op}: {err}");
        assert!(err.contains("changes/0001_x.toml:"), "{op}: {err}");
    }
}

/// Postgres tightens NOT NULL through a scratch check it drops by name: a user's check
/// named as that scratch check once was (`<table>_<column>_not_null`) survives.
#[test]
fn a_users_check_named_like_the_old_not_null_helper_survives_a_tightening_on_postgres() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let user_check = "release = \"1.1.0\"\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_nickname_not_null\"\ncheck = \"length(nickname) < 100\"\n";
    let tighten = "release = \"1.2.0\"\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnullable = false\nusing = \"'none'\"\n";
    let later = "release = \"1.3.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = users_project(
        "postgres",
        &[
            ("0001_check.toml", user_check),
            ("0002_tighten.toml", tighten),
            ("0003_later.toml", later),
        ],
    );
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.3.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    let checks = db
        .query_text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass \
             AND contype = 'c' ORDER BY conname",
        )
        .unwrap();
    assert_eq!(
        checks,
        vec![vec![Some("users_nickname_not_null".to_string())]],
        "the user's check is there, the scratch check is gone"
    );
    let nullable = db
        .query_text(
            "SELECT is_nullable FROM information_schema.columns \
             WHERE table_name = 'users' AND column_name = 'nickname'",
        )
        .unwrap();
    assert_eq!(nullable, vec![vec![Some("NO".to_string())]]);
    let err = db
        .run_script("INSERT INTO users (id, email, legacy_email, nickname) VALUES (9, 'a', 'b', repeat('x', 200))")
        .unwrap_err();
    assert!(err.0.contains("users_nickname_not_null"), "{err}");
}

/// Every portable type, nullable or not, with a default, a composite primary key, a
/// unique key and an index: made by the baseline file itself, the live tables match
/// schema.toml on every server (no false difference from the catalogue's spelling).
fn adopt_accepts_the_baselines_own_tables(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let schema = r#"
[tables.everything]
primary_key = ["a", "b"]
[tables.everything.columns]
a = { type = "bigint" }
b = { type = "integer" }
c = { type = "smallint", nullable = true }
d = { type = "boolean", default = false }
e = { type = "real", nullable = true }
f = { type = "double", nullable = true }
g = { type = "decimal(10,2)", nullable = true }
h = { type = "text", nullable = true }
i = { type = "varchar(40)" }
j = { type = "char(3)", nullable = true }
k = { type = "date", nullable = true }
l = { type = "time", nullable = true }
m = { type = "timestamp", nullable = true }
n = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP" }
o = { type = "uuid", nullable = true }
p = { type = "json", nullable = true }
q = { type = "binary", nullable = true }

[[tables.everything.constraints]]
type = "unique"
columns = ["i", "b"]

[[tables.everything.indexes]]
columns = ["k", "c"]

[[tables.everything.constraints]]
type = "foreign_key"
columns = ["b", "a"]
references = "parents"

[tables.parents]
primary_key = ["id", "part"]
[tables.parents.columns]
id = { type = "integer" }
part = { type = "bigint" }
"#;
    let change = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_with(server.dialect(), schema, &[("0001_noop.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    db.run_script("DROP TABLE refinery_schema_history").unwrap();
    let out = migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url, "--adopt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn adopt_accepts_the_baselines_own_tables_on_postgres() {
    adopt_accepts_the_baselines_own_tables(Server::Postgres);
}

#[test]
fn adopt_accepts_the_baselines_own_tables_on_mariadb() {
    adopt_accepts_the_baselines_own_tables(Server::Mysql);
}

#[test]
fn adopt_accepts_the_baselines_own_tables_on_sqlite() {
    adopt_accepts_the_baselines_own_tables(Server::Sqlite);
}

/// A live table that differs from schema.toml in a column's type, the primary key, an
/// index's uniqueness and another index's columns: `--adopt` refuses and names every
/// difference in one error.
fn adopt_reports_every_difference_at_once(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\nnickname = { type = \"varchar(40)\", nullable = true }\nscore = { type = \"integer\", default = 0 }\nteam = { type = \"bigint\" }\n\n[[tables.users.constraints]]\ntype = \"unique\"\ncolumn = \"email\"\n\n[[tables.users.constraints]]\ntype = \"foreign_key\"\nname = \"users_team_fk\"\ncolumn = \"team\"\nreferences = \"teams(id)\"\n\n[[tables.users.indexes]]\ncolumns = [\"nickname\"]\n\n[tables.teams]\nprimary_key = [\"id\"]\n[tables.teams.columns]\nid = { type = \"bigint\" }\ncode = { type = \"bigint\" }\n\n[[tables.teams.constraints]]\ntype = \"unique\"\ncolumn = \"code\"\n";
    let change = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_with(server.dialect(), schema, &[("0001_noop.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    db.run_script("CREATE TABLE teams (id bigint NOT NULL PRIMARY KEY, code bigint NOT NULL)")
        .unwrap();
    db.run_script(match server {
        Server::Sqlite => "CREATE UNIQUE INDEX teams_code_key ON teams (code)",
        _ => "ALTER TABLE teams ADD CONSTRAINT teams_code_key UNIQUE (code)",
    })
    .unwrap();
    db.run_script(
        "CREATE TABLE users (id integer NOT NULL, email varchar(100) NOT NULL, \
         nickname varchar(40) NULL, score integer NOT NULL, team bigint NOT NULL, \
         PRIMARY KEY (email, id), \
         CONSTRAINT users_team_fk FOREIGN KEY (team) REFERENCES teams (code))",
    )
    .unwrap();
    db.run_script("CREATE INDEX users_email_key ON users (email)")
        .unwrap();
    db.run_script("CREATE INDEX users_nickname_idx ON users (nickname, id)")
        .unwrap();
    let out = migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url, "--adopt"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for expected in [
        "column users.id is ",
        "but bigint in schema.toml",
        "column users.email is ",
        "but varchar(255) in schema.toml",
        "column users.score has no default in the database but one in schema.toml",
        "the primary key of users is (email, id) in the database but (id) in schema.toml",
        "unique constraint users_email_key of users is not unique in the database but unique in schema.toml",
        "index users_nickname_idx of users is on (nickname, id) in the database but on (nickname) in schema.toml",
        "foreign key users_team_fk of users is (team) -> teams(code) in the database but (team) -> teams(id) in schema.toml",
    ] {
        assert!(err.contains(expected), "`{expected}` not in:\n{err}");
    }
    assert!(
        !err.contains("column users.nickname")
            && !err.contains("of teams")
            && !err.contains("column teams"),
        "no false difference:\n{err}"
    );
}

#[test]
fn adopt_reports_every_difference_at_once_on_postgres() {
    adopt_reports_every_difference_at_once(Server::Postgres);
}

#[test]
fn adopt_reports_every_difference_at_once_on_mariadb() {
    adopt_reports_every_difference_at_once(Server::Mysql);
}

#[test]
fn adopt_reports_every_difference_at_once_on_sqlite() {
    adopt_reports_every_difference_at_once(Server::Sqlite);
}

/// Readers of the old name never see it missing while `rename_table`'s expand runs: a
/// reader loop on its own connection counts the errors of `SELECT ... FROM users`.
fn a_renamed_table_is_never_missing_for_readers(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let rename = "release = \"1.4.0\"\n[[op]]\ntype = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\n";
    let before = "release = \"1.3.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = users_project(
        server.dialect(),
        &[("0000_before.toml", before), ("0001_rename.toml", rename)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.3.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let target = Target::parse(&url, dir.path()).unwrap();
    let mut db = Database::connect(&target).unwrap();
    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'a@x')")
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let target = target.clone();
        std::thread::spawn(move || {
            let mut db = Database::connect(&target).unwrap();
            let (mut reads, mut errors) = (0u32, Vec::new());
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && std::time::Instant::now() < deadline
            {
                match db.query_text("SELECT email FROM users WHERE id = 1") {
                    Ok(rows) if rows.len() == 1 => reads += 1,
                    Ok(rows) => errors.push(format!("{} rows", rows.len())),
                    Err(e) => errors.push(e.0),
                }
            }
            (reads, errors)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success();
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (reads, errors) = reader.join().unwrap();
    assert!(reads > 10, "only {reads} reads");
    assert!(
        errors.is_empty(),
        "{} errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    // A re-run of the file keeps both names: MariaDB's file renames only while the old
    // name is still the table; a Postgres file runs in one transaction, so a re-run by
    // hand fails whole on the table that exists and changes nothing.
    let file = release_sql(dir.path(), "1.4.0");
    match server {
        Server::Postgres => {
            let err = db.run_script(&file).unwrap_err();
            assert!(err.0.contains("already exists"), "{}", err.0);
        }
        _ => db.run_script(&file).unwrap(),
    }
    for name in ["users", "accounts"] {
        assert_eq!(
            db.query_text(&format!("SELECT email FROM {name} WHERE id = 1"))
                .unwrap(),
            vec![vec![Some("a@x".to_string())]],
            "{name}"
        );
    }
}

#[test]
fn a_renamed_table_is_never_missing_for_readers_on_mariadb() {
    a_renamed_table_is_never_missing_for_readers(Server::Mysql);
}

#[test]
fn a_renamed_table_is_never_missing_for_readers_on_postgres() {
    a_renamed_table_is_never_missing_for_readers(Server::Postgres);
}

/// A MariaDB DDL statement that times out on a metadata lock held by an open transaction
/// (1205) fails its file; `migrate` runs the file again until the lock is free.
#[test]
fn migrate_runs_a_mariadb_file_again_after_a_lock_wait_timeout() {
    let add = "release = \"1.4.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n";
    let Some(out) = add_a_column_while_a_transaction_reads_the_table(add) else {
        return;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("retry 1/"), "{}", stderr(&out));
}

/// A `sql` op's file is retried too: the progress record resumes it at the statement that
/// met the lock, so no statement that completed runs twice.
#[test]
fn migrate_resumes_a_sql_ops_file_at_the_statement_that_met_the_lock() {
    let add = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE users ADD COLUMN bio text\"\n";
    let Some(out) = add_a_column_while_a_transaction_reads_the_table(add) else {
        return;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("retry 1/"), "{}", stderr(&out));
}

/// Applies `add` (a change of release 1.4.0) with `lock_wait_timeout = 1` while a
/// transaction that has read users stays open for 3.5 s.
fn add_a_column_while_a_transaction_reads_the_table(add: &str) -> Option<std::process::Output> {
    let scratch = Server::Mysql.fresh()?;
    let before = "release = \"1.3.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_files(
        "mysql",
        common::USERS,
        &[("0000_before.toml", before), ("0001_add.toml", add)],
    );
    let toml = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, format!("{text}\n[mysql]\nlock_wait_timeout = 1\n")).unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    let url = common::database_url(Server::Mysql, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.3.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let target = Target::parse(&url, dir.path()).unwrap();
    let holder = std::thread::spawn(move || {
        let mut db = Database::connect(&target).unwrap();
        db.run_script("START TRANSACTION").unwrap();
        db.query_text("SELECT COUNT(*) FROM users").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3500));
        db.run_script("COMMIT").unwrap();
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = migrate_own_database(dir.path(), "1.4.0", "expand")
        .args(["--database-url", &url])
        .output()
        .unwrap();
    holder.join().unwrap();
    Some(out)
}
