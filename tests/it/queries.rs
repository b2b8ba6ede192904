//! A release's real statements (`queries/<release>/*.sql`) run in every cell of the
//! rehearsal beside the probes, by the code of that side; `tandem queries import` makes
//! them from a statement log, a pg_stat_statements export or a plain file.

use crate::common;

use std::fs;
use std::path::Path;

use common::{example_for, stderr, stdout, tandem, Server};
use predicates::str::contains;

/// The incident example for `server`, with its queries imported again from its logs.
fn incident(server: Server) -> tempfile::TempDir {
    let dir = example_for("incident", server.dialect());
    fs::remove_dir_all(dir.path().join("queries")).unwrap();
    for (log, release) in [("orm-1.3.0.log", "1.3.0"), ("orm-1.4.0.log", "1.4.0")] {
        tandem(dir.path())
            .args(["queries", "import"])
            .arg(dir.path().join("logs").join(log))
            .args(["--release", release])
            .assert()
            .success()
            .stdout(contains("imported 3 statement(s)"));
    }
    dir
}

#[test]
fn importing_the_incident_logs_gives_the_committed_queries_and_is_idempotent() {
    let dir = incident(Server::Sqlite);
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/incident/queries");
    for file in ["1.3.0/orm-1.3.0.sql", "1.4.0/orm-1.4.0.sql"] {
        assert_eq!(
            fs::read_to_string(dir.path().join("queries").join(file)).unwrap(),
            fs::read_to_string(example.join(file)).unwrap(),
            "{file}"
        );
    }
    tandem(dir.path())
        .args(["queries", "import"])
        .arg(dir.path().join("logs/orm-1.3.0.log"))
        .args(["--release", "1.3.0"])
        .assert()
        .success()
        .stdout(contains("imported 0 statement(s)"));
}

#[test]
fn a_pg_stat_statements_export_and_a_plain_file_import_deduplicated() {
    let dir = common::users_project("sqlite", common::INCIDENT);
    let csv = dir.path().join("top.csv");
    fs::write(
        &csv,
        "userid,dbid,queryid,query,calls\n10,5,1,\"SELECT id, email FROM users WHERE email = $1\",90\n10,5,2,\"UPDATE users\nSET nickname = $1 WHERE id = $2\",4\n10,5,3,BEGIN,100\n",
    )
    .unwrap();
    tandem(dir.path())
        .args(["queries", "import"])
        .arg(&csv)
        .args(["--release", "1.4.0"])
        .assert()
        .success()
        .stdout(contains(
            "imported 2 statement(s) into queries/1.4.0/top.sql",
        ));
    let plain = dir.path().join("top.sql");
    fs::write(
        &plain,
        "SELECT id,  email FROM users WHERE email = $1;\nSELECT count(*) FROM users;\n",
    )
    .unwrap();
    tandem(dir.path())
        .args(["queries", "import"])
        .arg(&plain)
        .args(["--release", "1.4.0"])
        .assert()
        .success()
        .stdout(contains("imported 1 statement(s)"))
        .stdout(contains("(1 already there)"));
    let text = fs::read_to_string(dir.path().join("queries/1.4.0/top.sql")).unwrap();
    assert_eq!(text.matches(';').count(), 3, "{text}");
    tandem(dir.path())
        .arg("verify")
        .assert()
        .success()
        .stdout(contains("ok: all 8 cells passed"));
}

#[test]
fn a_log_entry_of_a_setting_and_a_query_keeps_the_query_and_no_transaction_control() {
    let dir = common::users_project("sqlite", common::INCIDENT);
    let log = dir.path().join("app.log");
    fs::write(
        &log,
        "2026-01-01 10:00:00 UTC [1] LOG:  statement: /* web */ BEGIN WORK\n\
         2026-01-01 10:00:00 UTC [1] LOG:  statement: SET search_path = public; SELECT id, email FROM users WHERE id = 1\n\
         2026-01-01 10:00:00 UTC [1] LOG:  statement: end\n\
         2026-01-01 10:00:00 UTC [1] LOG:  statement: ABORT\n\
         2026-01-01 10:00:00 UTC [1] LOG:  statement: START TRANSACTION; ROLLBACK TO SAVEPOINT s1; SET TRANSACTION READ ONLY\n",
    )
    .unwrap();
    tandem(dir.path())
        .args(["queries", "import"])
        .arg(&log)
        .args(["--release", "1.4.0"])
        .assert()
        .success()
        .stdout(contains("imported 1 statement(s)"));
    let text = fs::read_to_string(dir.path().join("queries/1.4.0/app.sql")).unwrap();
    assert!(
        text.ends_with("\nSELECT id, email FROM users WHERE id = 1;\n"),
        "{text}"
    );
    tandem(dir.path()).arg("verify").assert().success();
}

#[test]
fn a_release_that_cannot_be_ordered_is_refused() {
    let dir = common::users_project("sqlite", common::INCIDENT);
    let plain = dir.path().join("q.sql");
    fs::write(&plain, "SELECT 1;").unwrap();
    tandem(dir.path())
        .args(["queries", "import"])
        .arg(&plain)
        .args(["--release", "next"])
        .assert()
        .code(2)
        .stderr(contains("not a semantic version"));
}

/// 1.4.0 drops users.legacy_email by hand in its expand, asserting (wrongly) that the
/// statement is safe there, so that plan lets it through, while 1.3.0's code (the one that
/// crashed) still selects it: its imported ORM query fails, named by file and line.
fn the_old_orm_query_fails_the_unsafe_plan(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = incident(server);
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "the safe plan: {}{}",
        stdout(&out),
        stderr(&out)
    );

    fs::write(
        dir.path().join("changes/0007_users_stop_legacy_email.toml"),
        "release = \"1.4.0\"\nsummary = \"drop legacy_email by hand\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE users DROP COLUMN legacy_email\"\ndestructive = false\n",
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let line = text
        .lines()
        .find(|l| l.starts_with("1.4.0") && l.contains("expand") && l.contains("before 1.4.0"))
        .unwrap();
    assert!(
        line.contains("query queries/1.3.0/orm-1.3.0.sql:3: ") && line.contains("legacy_email"),
        "{text}"
    );
}

#[test]
fn the_old_orm_query_fails_the_unsafe_plan_on_sqlite() {
    the_old_orm_query_fails_the_unsafe_plan(Server::Sqlite);
}

#[test]
fn the_old_orm_query_fails_the_unsafe_plan_on_postgres() {
    the_old_orm_query_fails_the_unsafe_plan(Server::Postgres);
}

#[test]
fn the_old_orm_query_fails_the_unsafe_plan_on_mariadb() {
    the_old_orm_query_fails_the_unsafe_plan(Server::Mysql);
}

/// A release with no queries of its own runs the nearest earlier release's; the probes
/// alone pass, so the failure is the query's.
fn queries_are_inherited_and_a_failure_names_the_file_and_line(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = common::users_project(server.dialect(), common::INCIDENT);
    fs::create_dir_all(dir.path().join("queries/1.4.0")).unwrap();
    // The second statement reads a column no release has.
    fs::write(
        dir.path().join("queries/1.4.0/report.sql"),
        "-- the weekly report\nSELECT count(*) FROM users WHERE id > :min;\n\nSELECT region\n  FROM users WHERE email = ?;\n",
    )
    .unwrap();
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    for l in text.lines().filter(|l| l.starts_with("1.")) {
        let code_14_or_15 = l.contains(" 1.4.0  ") && l.split_whitespace().nth(2) == Some("1.4.0")
            || l.split_whitespace().nth(2) == Some("1.5.0");
        if code_14_or_15 {
            assert!(
                l.contains("FAILED: query queries/1.4.0/report.sql:4: "),
                "{text}"
            );
        } else {
            assert!(l.ends_with(" ok"), "{text}");
        }
    }
}

#[test]
fn queries_are_inherited_on_sqlite() {
    queries_are_inherited_and_a_failure_names_the_file_and_line(Server::Sqlite);
}

#[test]
fn queries_are_inherited_on_postgres() {
    queries_are_inherited_and_a_failure_names_the_file_and_line(Server::Postgres);
}

#[test]
fn queries_are_inherited_on_mariadb() {
    queries_are_inherited_and_a_failure_names_the_file_and_line(Server::Mysql);
}

/// Placeholders are bound by the column they are written to, so an INSERT of the real
/// code keeps the keys: a foreign key's column points at a parent row, the primary key
/// is new.
fn real_writes_keep_the_keys(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = common::project_with(server.dialect(), common::USERS_AND_ORDERS, common::INCIDENT);
    fs::write(
        dir.path().join("tandem.toml"),
        format!(
            "{}[verify]\nqueries = \"sql/real\"\n",
            fs::read_to_string(dir.path().join("tandem.toml")).unwrap()
        ),
    )
    .unwrap();
    fs::create_dir_all(dir.path().join("sql/real/1.4.0")).unwrap();
    fs::write(
        dir.path().join("sql/real/1.4.0/orders.sql"),
        "INSERT INTO orders (id, user_id, quantity) VALUES ($1, $2, $3);\nUPDATE orders SET note = ? WHERE id = ?;\nSELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = :email;\n",
    )
    .unwrap();
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn real_writes_keep_the_keys_on_sqlite() {
    real_writes_keep_the_keys(Server::Sqlite);
}

#[test]
fn real_writes_keep_the_keys_on_postgres() {
    real_writes_keep_the_keys(Server::Postgres);
}

#[test]
fn real_writes_keep_the_keys_on_mariadb() {
    real_writes_keep_the_keys(Server::Mysql);
}

/// The shop's queries come from a pg_stat_statements export (1.9.0, the code before
/// 2.0.0), a statement log (2.0.0) and a plain file (2.1.0); a 2.0.0 that renames
/// customers.name in place (in its expand, asserted safe with `destructive = false`)
/// breaks 1.9.0's query, named by file and line.
fn shop_queries_catch_an_in_place_rename(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = example_for("shop", server.dialect());
    let committed = dir.path().join("queries");
    let before: Vec<String> = ["1.9.0/top.sql", "2.0.0/orm.sql", "2.1.0/orm.sql"]
        .iter()
        .map(|f| fs::read_to_string(committed.join(f)).unwrap())
        .collect();
    fs::remove_dir_all(&committed).unwrap();
    for (log, release) in [
        ("1.9.0/top.csv", "1.9.0"),
        ("2.0.0/orm.log", "2.0.0"),
        ("2.1.0/orm.sql", "2.1.0"),
    ] {
        tandem(dir.path())
            .args(["queries", "import"])
            .arg(dir.path().join("logs").join(log))
            .args(["--release", release])
            .assert()
            .success();
    }
    let after: Vec<String> = ["1.9.0/top.sql", "2.0.0/orm.sql", "2.1.0/orm.sql"]
        .iter()
        .map(|f| fs::read_to_string(committed.join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    fs::write(
        dir.path().join("changes/0001_customers_full_name.toml"),
        "release = \"2.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE customers RENAME COLUMN name TO full_name\"\ndestructive = false\n",
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.lines().any(|l| l.starts_with("2.0.0")
            && l.contains("before 2.0.0")
            && l.contains("query queries/1.9.0/top.sql:3: ")),
        "{text}"
    );
}

#[test]
fn shop_queries_catch_an_in_place_rename_on_sqlite() {
    shop_queries_catch_an_in_place_rename(Server::Sqlite);
}

#[test]
fn shop_queries_catch_an_in_place_rename_on_postgres() {
    shop_queries_catch_an_in_place_rename(Server::Postgres);
}

#[test]
fn shop_queries_catch_an_in_place_rename_on_mariadb() {
    shop_queries_catch_an_in_place_rename(Server::Mysql);
}

/// A real INSERT into a table whose foreign key is also unique (a profile per user), and
/// one whose key is composite: each reference points at a parent row of its own.
fn real_inserts_keep_one_to_one_and_composite_keys(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let members_and_tasks = r#"
[tables.members]
primary_key = ["team", "user_id"]
[tables.members.columns]
team = { type = "varchar(8)" }
user_id = { type = "bigint" }

[tables.tasks]
primary_key = ["id"]
[tables.tasks.columns]
id = { type = "bigint" }
team = { type = "varchar(8)" }
user_id = { type = "bigint" }

[[tables.tasks.constraints]]
type = "foreign_key"
columns = ["team", "user_id"]
references = "members(team, user_id)"
"#;
    let schema = format!("{}{members_and_tasks}", common::ONE_TO_ONE);
    let dir = common::project_with(server.dialect(), &schema, common::INCIDENT[1..].as_ref());
    fs::create_dir_all(dir.path().join("queries/1.5.0")).unwrap();
    fs::write(
        dir.path().join("queries/1.5.0/writes.sql"),
        "INSERT INTO profiles (id, user_id) VALUES ($1, $2);\nINSERT INTO tasks (id, team, user_id) VALUES (?, ?, ?);\n",
    )
    .unwrap();
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn real_inserts_keep_one_to_one_and_composite_keys_on_sqlite() {
    real_inserts_keep_one_to_one_and_composite_keys(Server::Sqlite);
}

#[test]
fn real_inserts_keep_one_to_one_and_composite_keys_on_postgres() {
    real_inserts_keep_one_to_one_and_composite_keys(Server::Postgres);
}

#[test]
fn real_inserts_keep_one_to_one_and_composite_keys_on_mariadb() {
    real_inserts_keep_one_to_one_and_composite_keys(Server::Mysql);
}

/// A value the file gives (`-- tandem:bind`) is used for its placeholder before any
/// made-up one: a statement that only a real value satisfies (a cast of a placeholder
/// that no column types) passes with it and fails without it.
#[test]
fn given_values_bind_first_on_postgres() {
    let Some(url) = Server::Postgres.url() else {
        return;
    };
    let dir = common::users_project("postgres", common::INCIDENT);
    fs::create_dir_all(dir.path().join("queries/1.4.0")).unwrap();
    let report = "SELECT count(*) FROM users WHERE id > :min AND CAST(:day AS date) < now();\n";
    fs::write(
        dir.path().join("queries/1.4.0/report.sql"),
        format!(
            "-- the daily report\n-- tandem:bind :day = '2026-01-31', :note = 'a, b'\n{report}"
        ),
    )
    .unwrap();
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    fs::write(dir.path().join("queries/1.4.0/report.sql"), report).unwrap();
    let out = common::verify(dir.path(), &url);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("queries/1.4.0/report.sql:1"),
        "{}",
        stdout(&out)
    );
}
