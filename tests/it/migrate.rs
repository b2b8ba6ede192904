//! `migrate` and `status` beyond the happy path: the embedded SQLite default, histories
//! that differ from the files, adopting a live database, files that are out of date, a
//! failing file, and the recovery of an INVALID index after a failed concurrent build.

use crate::common;

use std::fs;

use common::{migrate_own_database, stderr, stdout, tandem, users_project, Server, INCIDENT};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use tandem::apply::database::{Database, Target};

#[test]
fn the_default_database_is_the_sqlite_file_of_tandem_toml() {
    let dir = users_project("sqlite", INCIDENT);
    assert!(!dir.path().join("app.db").exists());
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success()
        .stdout(contains("applied V1__baseline.sql"))
        .stdout(contains("at expand(1.4.0)"));
    assert!(dir.path().join("app.db").exists(), "the file is created");

    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success()
        .stdout(contains("nothing to apply"));

    let out = tandem(dir.path()).arg("status").output().unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("1.4.0"), "{text}");
    assert!(text.contains("not applied:\n  1.5.0/"), "{text}");
}

#[test]
fn status_of_a_database_that_does_not_exist_yet_applies_nothing_and_creates_nothing() {
    let dir = users_project("sqlite", INCIDENT);
    tandem(dir.path())
        .args(["status", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"baseline\": \"not_applied\""));
    assert!(!dir.path().join("app.db").exists());
}

#[test]
fn a_history_that_differs_from_the_files_is_refused_naming_the_file() {
    let dir = users_project("sqlite", INCIDENT);
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success();
    let edited = dir.path().join("migrations/1.4.0");
    let file = fs::read_dir(&edited)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("-- step:", "-- a hand edit\n-- step:")).unwrap();
    migrate_own_database(dir.path(), "1.5.0", "contract")
        .assert()
        .code(2)
        .stderr(contains("differs from the files"))
        .stderr(contains(
            file.file_name().unwrap().to_string_lossy().as_ref(),
        ));
}

#[test]
fn a_server_of_another_dialect_is_refused() {
    let Some(url) = Server::Mysql.url() else {
        return;
    };
    let dir = users_project("postgres", INCIDENT);
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .code(2)
        .stderr(contains(
            "is a mysql database, but this project's migrations are written for postgres",
        ));
}

/// The built-in SQLite default works for a project written for a server: the same plan,
/// with the same versions, rendered for SQLite.
#[test]
fn the_sqlite_default_serves_a_postgres_project_with_the_plan_rendered_for_sqlite() {
    let dir = users_project("postgres", INCIDENT);
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success()
        .stderr(contains("applying the same plan rendered for sqlite"))
        .stdout(contains("applied 1.4.0/V1000__expand_0007_drop_legacy.sql"));
    migrate_own_database(dir.path(), "1.5.0", "contract")
        .assert()
        .success()
        .stdout(contains("applied 1.5.0/"));
    tandem(dir.path())
        .args(["status", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"not_applied\": []"));
    let mut db = Database::connect(&Target::SqliteFile(dir.path().join("app.db"))).unwrap();
    let columns: Vec<String> = db
        .columns("users")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(columns, ["id", "email", "nickname", "bio"]);
}

#[test]
fn an_unknown_release_or_url_is_bad_input() {
    let dir = users_project("sqlite", INCIDENT);
    migrate_own_database(dir.path(), "1.4.1", "expand")
        .assert()
        .code(2)
        .stderr(contains("unknown release `1.4.1`"));
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .args(["--database-url", "redis://localhost"])
        .assert()
        .code(2)
        .stderr(contains("not a database URL"));
}

#[test]
fn files_out_of_date_with_the_changes_are_not_applied() {
    let dir = users_project("sqlite", INCIDENT);
    fs::remove_dir_all(dir.path().join("migrations/1.4.0")).unwrap();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .code(2)
        .stderr(contains("run `tandem generate` first"));
    assert!(!dir.path().join("app.db").exists(), "nothing was touched");
}

#[test]
fn a_file_name_refinery_cannot_read_is_bad_input() {
    let dir = users_project("sqlite", INCIDENT);
    fs::write(dir.path().join("migrations/V3__bad-name.sql"), "SELECT 1;").unwrap();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .code(2)
        .stderr(contains("V3__bad-name.sql"));
}

#[test]
fn tables_without_a_history_need_adopt_and_adopt_checks_them() {
    let dir = users_project("sqlite", INCIDENT);
    let db_path = dir.path().join("app.db");
    let mut db = Database::connect(&Target::SqliteFile(db_path.clone())).unwrap();
    // Production as it is: the baseline's table, minus one column.
    db.run_script("CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL, nickname text)")
        .unwrap();

    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .code(2)
        .stderr(contains(
            "no migration history but already has tables of the baseline (users)",
        ))
        .stderr(contains("--adopt"));

    migrate_own_database(dir.path(), "1.4.0", "expand")
        .arg("--adopt")
        .assert()
        .code(2)
        .stderr(contains("do not match the baseline schema"))
        .stderr(contains("column users.legacy_email is missing"));

    db.run_script("ALTER TABLE users ADD COLUMN legacy_email varchar(255) NOT NULL DEFAULT ''")
        .unwrap();
    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'old@x')")
        .unwrap();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .arg("--adopt")
        .assert()
        .success()
        .stdout(contains("baseline recorded as applied"))
        .stdout(contains("applied 1.4.0/"))
        .stdout(contains("applied V1__baseline.sql").not());
    let rows = db
        .query_text("SELECT email FROM users WHERE id = 1")
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![Some("a@x".to_string())]],
        "the live row is untouched"
    );

    migrate_own_database(dir.path(), "1.4.0", "expand")
        .arg("--adopt")
        .assert()
        .code(2)
        .stderr(contains("already has a migration history"));
}

#[test]
fn a_failing_file_is_named_and_the_next_run_resumes_after_the_fix() {
    let broken = "release = \"1.4.0\"\nsummary = \"raw\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE no_such_table ADD COLUMN x integer\"\n";
    let dir = users_project("sqlite", &[("0001_raw.toml", broken)]);
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .code(2)
        .stderr(contains("applying 1.4.0/V"))
        .stderr(contains("no such table"));
    // The baseline before it stays applied and recorded.
    tandem(dir.path())
        .args(["status", "--format", "json"])
        .assert()
        .success()
        .stdout(contains("\"baseline\": \"applied\""));

    let fixed = broken.replace("no_such_table", "users");
    fs::write(dir.path().join("changes/0001_raw.toml"), fixed).unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success()
        .stdout(contains("applied 1.4.0/"))
        .stdout(contains("V1__baseline").not());
}

/// A concurrent unique index build that fails on duplicates leaves an INVALID index; once
/// the data is fixed, the next run drops it and builds it again instead of wedging.
#[test]
fn an_invalid_index_left_by_a_failed_concurrent_build_is_rebuilt() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let Target::Postgres(url) = scratch.target.clone() else {
        unreachable!()
    };
    let index = "release = \"1.5.0\"\nsummary = \"unique email\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email_key\"\ncolumns = [\"email\"]\nunique = true\n";
    let dir = users_project("postgres", &[INCIDENT[0], ("0009_index.toml", index)]);
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = Database::connect(&scratch.target).unwrap();
    db.run_script("INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'a@x')")
        .unwrap();

    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .code(2)
        .stderr(contains("could not create unique index"));
    let valid = "SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'users_email_key'";
    assert_eq!(
        db.query_text(valid).unwrap(),
        vec![vec![Some("false".into())]]
    );

    db.run_script("DELETE FROM users WHERE id = 2").unwrap();
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success()
        .stdout(contains("applied 1.5.0/"));
    assert_eq!(
        db.query_text(valid).unwrap(),
        vec![vec![Some("true".into())]]
    );
}

/// MariaDB reports an error in the second statement of a script only to a caller that
/// reads that result set; a failure there must not pass silently.
#[test]
fn an_error_late_in_a_mariadb_script_is_reported() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let mut db = Database::connect(&scratch.target).unwrap();
    let err = db
        .run_script("CREATE TABLE t (a integer); INSERT INTO t (nope) VALUES (1); CREATE TABLE u (b integer);")
        .unwrap_err();
    assert!(err.0.contains("nope"), "{err}");
    let tables = db.table_names().unwrap();
    assert!(
        tables.contains(&"t".to_string()) && !tables.contains(&"u".to_string()),
        "{tables:?}"
    );
}

/// Postgres runs a no-transaction script statement by statement, so a concurrent index
/// build inside it works.
#[test]
fn a_concurrent_index_build_runs_outside_a_transaction_on_postgres() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let mut db = Database::connect(&scratch.target).unwrap();
    db.run_script(
        "CREATE TABLE t (a integer);\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nDO $x$ BEGIN PERFORM 1; END $x$;",
    )
    .unwrap();
    let err = db
        .run_in_transaction("CREATE INDEX CONCURRENTLY t_a2 ON t (a);")
        .unwrap_err();
    assert!(
        err.0.contains("cannot run inside a transaction block"),
        "{err}"
    );
}

#[test]
fn an_earlier_target_applies_nothing_and_says_the_database_is_past_it() {
    let dir = users_project("sqlite", INCIDENT);
    migrate_own_database(dir.path(), "1.5.0", "contract")
        .assert()
        .success();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .success()
        .stdout(contains("is past expand(1.4.0) already: nothing to apply"));
}

/// Two runs at once would both apply the same file: the second waits for the first's lock.
fn a_second_run_waits_for_the_lock_of_the_first(server: Server, lock_sql: &str) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let url = common::database_url(server, &scratch, std::path::Path::new("."));
    let dir = users_project(server.dialect(), INCIDENT);
    let mut holder = Database::connect(&scratch.target).unwrap();
    holder.query_text(lock_sql).unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        drop(holder);
    });
    let start = std::time::Instant::now();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success()
        .stdout(contains("applied V1__baseline.sql"));
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(1200),
        "migrate did not wait for the lock: {:?}",
        start.elapsed()
    );
    release.join().unwrap();
}

#[test]
fn a_second_run_waits_for_the_lock_on_postgres() {
    a_second_run_waits_for_the_lock_of_the_first(
        Server::Postgres,
        &format!(
            "SELECT pg_advisory_lock({})::text",
            tandem::apply::database::MIGRATE_LOCK_KEY
        ),
    );
}

#[test]
fn a_second_run_waits_for_the_lock_on_mariadb() {
    a_second_run_waits_for_the_lock_of_the_first(
        Server::Mysql,
        "SELECT GET_LOCK(CONCAT('tandem_migrate_', DATABASE()), 10)",
    );
}

#[test]
fn a_hand_edited_file_is_applied_as_it_is_with_a_warning() {
    let dir = users_project("sqlite", INCIDENT);
    let file = dir
        .path()
        .join("migrations/1.5.0/V2000__expand_0008_bio.sql");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        text.replace("-- step:", "-- reviewed by hand\n-- step:"),
    )
    .unwrap();
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .assert()
        .success()
        .stderr(contains(
            "1.5.0/V2000__expand_0008_bio.sql was edited by hand",
        ))
        .stdout(contains("applied 1.5.0/V2000__expand_0008_bio.sql"));
}

#[test]
fn a_refused_plan_is_not_applied() {
    let dir = users_project("sqlite", INCIDENT);
    let too_early = format!("{}contract_release = \"1.4.0\"\n", INCIDENT[0].1);
    fs::write(dir.path().join("changes/0007_drop_legacy.toml"), too_early).unwrap();
    migrate_own_database(dir.path(), "1.4.0", "expand")
        .assert()
        .code(1)
        .stderr(contains(
            "refused: drop of users.legacy_email placed in release 1.4.0",
        ));
    assert!(!dir.path().join("app.db").exists());
}

/// A foreign key added over a row that points nowhere fails its file with the key named;
/// once the row is fixed the next run succeeds (from the top in a transaction, from the
/// failed check where the file cannot run in one).
fn an_orphan_row_fails_the_foreign_key_until_it_is_fixed(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let orders = "release = \"1.4.0\"\n[[op]]\ntype = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" } }\n";
    // Added at once, on the change's word that 1.4.0's code writes only real users.
    let key = "release = \"1.5.0\"\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users\"\nold_code_complies = true\n";
    let dir = users_project(
        server.dialect(),
        &[("0001_orders.toml", orders), ("0002_key.toml", key)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    db.run_script("INSERT INTO orders (id, user_id) VALUES (1, 42)")
        .unwrap();

    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .code(2)
        .stderr(contains("orders_user_id_fkey"));

    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (42, 'a@x', 'a@x')")
        .unwrap();
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success()
        .stdout(contains("applied 1.5.0/"));
    // In force from now on: a row that points nowhere is refused (SQLite enforces keys
    // only on connections that ask for it).
    if server != Server::Sqlite {
        let err = db
            .run_script("INSERT INTO orders (id, user_id) VALUES (2, 7)")
            .unwrap_err();
        assert!(err.0.to_lowercase().contains("foreign key"), "{err}");
    }
}

#[test]
fn an_orphan_row_fails_the_foreign_key_on_postgres() {
    an_orphan_row_fails_the_foreign_key_until_it_is_fixed(Server::Postgres);
}

#[test]
fn an_orphan_row_fails_the_foreign_key_on_mariadb() {
    an_orphan_row_fails_the_foreign_key_until_it_is_fixed(Server::Mysql);
}

#[test]
fn an_orphan_row_fails_the_foreign_key_on_sqlite() {
    an_orphan_row_fails_the_foreign_key_until_it_is_fixed(Server::Sqlite);
}

/// SQLite rebuilds a table to relax a column; the rows of a table whose foreign key
/// cascades from it must survive the rebuild's DROP TABLE.
#[test]
fn a_sqlite_rebuild_of_a_referenced_table_keeps_the_rows_that_point_at_it() {
    let orders = "release = \"1.4.0\"\n[[op]]\ntype = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" } }\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_delete = \"cascade\"\n";
    let relax = "release = \"1.5.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
    let dir = users_project(
        "sqlite",
        &[("0001_orders.toml", orders), ("0002_relax.toml", relax)],
    );
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .assert()
        .success();
    let target = Target::parse("sqlite://app.db", dir.path()).unwrap();
    let mut db = Database::connect(&target).unwrap();
    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'a@x'); INSERT INTO orders (id, user_id) VALUES (10, 1);")
        .unwrap();
    let expand = fs::read_dir(dir.path().join("migrations/1.5.0"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(
        expand.contains("DROP TABLE \"users\""),
        "a rebuild: {expand}"
    );

    migrate_own_database(dir.path(), "1.5.0", "expand")
        .assert()
        .success();
    assert_eq!(
        db.query_text("SELECT COUNT(*) FROM orders").unwrap(),
        vec![vec![Some("1".into())]]
    );
}

/// A type change through a new column converts what R-1 writes with `using`: a value
/// too long for the new column is cut to fit, on insert and on update, where a plain
/// copy would fail R-1's write.
fn a_narrowing_through_a_new_column_converts_what_the_previous_release_writes(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let schema = "[tables.notes]\nprimary_key = [\"id\"]\n[tables.notes.columns]\nid = { type = \"bigint\" }\nbody = { type = \"varchar(40)\" }\n";
    let change = "release = \"1.1.0\"\n[[op]]\ntype = \"alter_column\"\ntable = \"notes\"\ncolumn = \"body\"\ncolumn_type = \"varchar(10)\"\nnew_name = \"short_body\"\nusing = \"substr(body, 1, 10)\"\n";
    let dir = common::project_with(server.dialect(), schema, &[("0001_short.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    migrate_own_database(dir.path(), "1.1.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success();
    // 1.0.0's code writes body only.
    db.run_script("INSERT INTO notes (id, body) VALUES (1, 'abcdefghijklmnopqrstuvwxyz')")
        .unwrap();
    let read = |db: &mut Database| {
        db.query_text("SELECT short_body FROM notes WHERE id = 1")
            .unwrap()
    };
    assert_eq!(read(&mut db), vec![vec![Some("abcdefghij".to_string())]]);
    db.run_script("UPDATE notes SET body = 'zyxwvutsrqponm' WHERE id = 1")
        .unwrap();
    assert_eq!(read(&mut db), vec![vec![Some("zyxwvutsrq".to_string())]]);
    // 1.1.0's code writes short_body; 1.0.0's still reads body.
    db.run_script("INSERT INTO notes (id, short_body) VALUES (2, 'short')")
        .unwrap();
    assert_eq!(
        db.query_text("SELECT body FROM notes WHERE id = 2")
            .unwrap(),
        vec![vec![Some("short".to_string())]]
    );
    let body = db
        .query_text("SELECT body FROM notes WHERE id = 1")
        .unwrap();
    assert_eq!(
        body,
        vec![vec![Some("zyxwvutsrqponm".to_string())]],
        "R-1's value kept"
    );
}

#[test]
fn a_narrowing_converts_the_previous_releases_writes_on_postgres() {
    a_narrowing_through_a_new_column_converts_what_the_previous_release_writes(Server::Postgres);
}

#[test]
fn a_narrowing_converts_the_previous_releases_writes_on_mariadb() {
    a_narrowing_through_a_new_column_converts_what_the_previous_release_writes(Server::Mysql);
}

#[test]
fn a_narrowing_converts_the_previous_releases_writes_on_sqlite() {
    a_narrowing_through_a_new_column_converts_what_the_previous_release_writes(Server::Sqlite);
}

/// A table renamed twice: while both views exist, each still reads the table under its
/// newest name (in MySQL, as a view of the view made under the name it read).
fn a_table_renamed_twice_keeps_both_old_names_readable(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let first = "release = \"1.4.0\"\n[[op]]\ntype = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\n";
    let second = "release = \"1.5.0\"\n[[op]]\ntype = \"rename_table\"\ntable = \"accounts\"\nto = \"members\"\n";
    let dir = users_project(
        server.dialect(),
        &[("0001_first.toml", first), ("0002_second.toml", second)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    db.run_script("INSERT INTO members (id, email, legacy_email) VALUES (1, 'a@x', 'a@x')")
        .unwrap();
    for name in ["users", "accounts", "members"] {
        let rows = db
            .query_text(&format!("SELECT email FROM {name} WHERE id = 1"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(rows, vec![vec![Some("a@x".to_string())]], "{name}");
    }
}

#[test]
fn a_table_renamed_twice_keeps_both_old_names_readable_on_mariadb() {
    a_table_renamed_twice_keeps_both_old_names_readable(Server::Mysql);
}

#[test]
fn a_table_renamed_twice_keeps_both_old_names_readable_on_postgres() {
    a_table_renamed_twice_keeps_both_old_names_readable(Server::Postgres);
}

#[test]
fn a_table_renamed_twice_keeps_both_old_names_readable_on_sqlite() {
    a_table_renamed_twice_keeps_both_old_names_readable(Server::Sqlite);
}

/// `--adopt` also checks the indexes and constraints schema.toml declares: a live
/// database without them is refused, naming each; once they exist it is adopted.
fn adopt_checks_declared_indexes_and_constraints(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\nnickname = { type = \"varchar(40)\", nullable = true }\n\n[[tables.users.constraints]]\ntype = \"unique\"\ncolumn = \"email\"\n\n[[tables.users.indexes]]\ncolumns = [\"nickname\"]\n";
    let change = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_with(server.dialect(), schema, &[("0001_noop.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    db.run_script("CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL, nickname varchar(40) NULL)")
        .unwrap();
    migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url, "--adopt"])
        .assert()
        .code(2)
        .stderr(contains(
            "unique constraint users_email_key of users is missing",
        ))
        .stderr(contains("index users_nickname_idx of users is missing"));

    let unique = match server {
        Server::Sqlite => "CREATE UNIQUE INDEX users_email_key ON users (email)",
        _ => "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
    };
    db.run_script(unique).unwrap();
    db.run_script("CREATE INDEX users_nickname_idx ON users (nickname)")
        .unwrap();
    migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url, "--adopt"])
        .assert()
        .success()
        .stdout(contains("baseline recorded as applied"));
}

#[test]
fn adopt_checks_declared_indexes_and_constraints_on_sqlite() {
    adopt_checks_declared_indexes_and_constraints(Server::Sqlite);
}

#[test]
fn adopt_checks_declared_indexes_and_constraints_on_postgres() {
    adopt_checks_declared_indexes_and_constraints(Server::Postgres);
}

#[test]
fn adopt_checks_declared_indexes_and_constraints_on_mariadb() {
    adopt_checks_declared_indexes_and_constraints(Server::Mysql);
}

/// A listener on 127.0.0.1 that accepts connections and never says a word, as a hung
/// server or a wrong port behind a proxy does. Returns its port.
fn silent_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// Connecting to a server that accepts TCP but never answers gives up after the
/// timeout, with exit 2 naming the URL (without its password) and the timeout, for
/// `status`, `migrate` and `verify`, on both server schemes.
fn a_silent_server_times_out(dialect: &str, scheme: &str) {
    let port = silent_server();
    let dir = users_project(dialect, INCIDENT);
    let url = format!("{scheme}://app:secret@127.0.0.1:{port}/db?connect_timeout=0.5");
    for args in [
        vec!["status"],
        vec!["migrate", "--release", "1.4.0", "--phase", "expand"],
        vec!["verify"],
    ] {
        let started = std::time::Instant::now();
        let out = tandem(dir.path())
            .args(&args)
            .args(["--database-url", &url])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(err.contains("within 0.5 s (connect_timeout)"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }

    // The same bound from tandem.toml, for a URL that names none.
    let toml = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(
        &toml,
        format!(
            "connect_timeout = 1\n{}",
            text.replace(
                "sqlite://app.db",
                &format!("{scheme}://app@127.0.0.1:{port}/db")
            )
        ),
    )
    .unwrap();
    tandem(dir.path())
        .arg("status")
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains("within 1 s (connect_timeout)"));
}

#[test]
fn a_postgres_server_that_never_answers_times_out() {
    a_silent_server_times_out("postgres", "postgres");
}

#[test]
fn a_mysql_server_that_never_answers_times_out() {
    a_silent_server_times_out("mysql", "mysql");
}

#[test]
fn a_connect_timeout_that_is_not_a_number_is_bad_input() {
    let dir = users_project("postgres", INCIDENT);
    tandem(dir.path())
        .args([
            "status",
            "--database-url",
            "postgres://app@127.0.0.1:1/db?connect_timeout=soon",
        ])
        .assert()
        .code(2)
        .stderr(contains("connect_timeout=soon is not a number"));
}

/// A column that someone added by hand under the name a change adds, with another type,
/// fails the file with the server's own error naming it: no `IF NOT EXISTS` hides it and
/// leaves the live column differing from the plan. The same for an index of the name
/// a change creates.
fn an_object_added_by_hand_fails_the_file_naming_it(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let index = "release = \"1.6.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email_idx\"\ncolumns = [\"email\"]\n";
    let dir = users_project(
        server.dialect(),
        &[INCIDENT[0], INCIDENT[1], ("0009_index.toml", index)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    db.run_script("ALTER TABLE users ADD COLUMN bio integer")
        .unwrap();
    let out = migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bio"), "{err}");
    assert!(
        err.to_lowercase().contains("already exists")
            || err.to_lowercase().contains("duplicate column"),
        "{err}"
    );

    db.run_script("ALTER TABLE users DROP COLUMN bio").unwrap();
    migrate_own_database(dir.path(), "1.5.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();
    db.run_script("CREATE INDEX users_email_idx ON users (id)")
        .unwrap();
    let out = migrate_own_database(dir.path(), "1.6.0", "expand")
        .args(["--database-url", &url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("users_email_idx"), "{err}");
}

#[test]
fn a_column_added_by_hand_fails_the_file_on_postgres() {
    an_object_added_by_hand_fails_the_file_naming_it(Server::Postgres);
}

#[test]
fn a_column_added_by_hand_fails_the_file_on_mariadb() {
    an_object_added_by_hand_fails_the_file_naming_it(Server::Mysql);
}

#[test]
fn a_column_added_by_hand_fails_the_file_on_sqlite() {
    an_object_added_by_hand_fails_the_file_naming_it(Server::Sqlite);
}

/// A file that cannot run in one transaction fails half-way (another connection holds a
/// lock on the table its third statement alters, longer than the file's lock timeout):
/// the statements before are recorded, and once the lock is released the next migrate
/// resumes at the failed statement. Running the file's first statements again would fail
/// (`audit` exists), so success proves the resume; the end is the planned shape.
fn a_file_failed_half_way_resumes_at_its_failing_statement(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let change = "release = \"1.5.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"CREATE TABLE audit (id integer)\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"varchar(40)\", nullable = true }\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"bio\"]\n";
    let dir = common::project_files(
        server.dialect(),
        common::USERS,
        &[INCIDENT[0], ("0009_audit.toml", change)],
    );
    let toml = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&toml).unwrap();
    // No retries: this run is to fail at the lock, not wait it out.
    fs::write(
        &toml,
        format!("lock_retries = 0\n{text}\n[postgres]\nlock_timeout = \"1s\"\n\n[mysql]\nlock_wait_timeout = 1\n"),
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    let url = common::database_url(server, &scratch, dir.path());
    migrate_own_database(dir.path(), "1.4.0", "contract")
        .args(["--database-url", &url])
        .assert()
        .success();

    let target = Target::parse(&url, dir.path()).unwrap();
    let mut holder = Database::connect(&target).unwrap();
    match server {
        Server::Postgres => holder
            .run_script("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            .unwrap(),
        _ => holder
            .run_script("START TRANSACTION; SELECT * FROM users")
            .unwrap(),
    }
    let out = migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("statement 3 of"), "{err}");
    assert!(err.contains("resumes at the failing statement"), "{err}");
    let mut db = Database::connect(&target).unwrap();
    let recorded = db
        .query_text("SELECT statement FROM tandem_progress ORDER BY statement")
        .unwrap();
    assert_eq!(
        recorded,
        vec![vec![Some("0".to_string())], vec![Some("1".to_string())]]
    );

    holder.run_script("ROLLBACK").unwrap();
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success()
        .stdout(contains("applied 1.5.0/"));
    let columns = db.columns("users").unwrap();
    assert!(columns.iter().any(|(c, _)| c == "bio"), "{columns:?}");
    let objects = db.object_names("users").unwrap();
    assert!(objects.iter().any(|o| o == "users_bio_idx"), "{objects:?}");
    assert!(
        db.query_text("SELECT * FROM tandem_progress")
            .unwrap()
            .is_empty(),
        "a finished file's progress is forgotten"
    );
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .success()
        .stdout(contains("nothing to apply"));
}

#[test]
fn a_no_transaction_file_failed_half_way_resumes_on_postgres() {
    a_file_failed_half_way_resumes_at_its_failing_statement(Server::Postgres);
}

#[test]
fn a_file_failed_half_way_resumes_on_mariadb() {
    a_file_failed_half_way_resumes_at_its_failing_statement(Server::Mysql);
}

/// `--adopt` compares what an index and a foreign key say, not only their columns: a
/// live index without its DESC and a key without its ON DELETE rule are refused,
/// naming each.
fn adopt_compares_index_options_and_key_rules(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\n\n[[tables.users.indexes]]\nname = \"users_email_idx\"\ncolumns = [\"email DESC\"]\n\n[tables.posts]\nprimary_key = [\"id\"]\n[tables.posts.columns]\nid = { type = \"bigint\" }\nuser_id = { type = \"bigint\" }\n\n[[tables.posts.constraints]]\ntype = \"foreign_key\"\nname = \"posts_user_fk\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_delete = \"cascade\"\n";
    let change = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_with(server.dialect(), schema, &[("0001_noop.toml", change)]);
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    db.run_script(
        "CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL)",
    )
    .unwrap();
    db.run_script("CREATE TABLE posts (id bigint NOT NULL PRIMARY KEY, user_id bigint NOT NULL, CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id))")
        .unwrap();
    db.run_script("CREATE INDEX users_email_idx ON users (email)")
        .unwrap();
    migrate_own_database(dir.path(), "1.0.0", "expand")
        .args(["--database-url", &url, "--adopt"])
        .assert()
        .code(2)
        .stderr(contains("index users_email_idx of users: its DESC columns"))
        .stderr(contains(
            "foreign key posts_user_fk of posts is ON DELETE no action in the database but ON DELETE cascade in schema.toml",
        ));
}

#[test]
fn adopt_compares_index_options_and_key_rules_on_sqlite() {
    adopt_compares_index_options_and_key_rules(Server::Sqlite);
}

#[test]
fn adopt_compares_index_options_and_key_rules_on_postgres() {
    adopt_compares_index_options_and_key_rules(Server::Postgres);
}

#[test]
fn adopt_compares_index_options_and_key_rules_on_mariadb() {
    adopt_compares_index_options_and_key_rules(Server::Mysql);
}

/// A MySQL file that failed half-way is neither applied nor not applied: `status` says it
/// is partly applied, how far it got, and whether migrate resumes it (same contents) or
/// refuses it (other contents); exit 1 either way, as migrate has work to finish there.
#[test]
fn status_shows_a_file_failed_half_way_as_partly_applied_on_mariadb() {
    let server = Server::Mysql;
    let Some(scratch) = server.fresh() else {
        return;
    };
    let change = "release = \"1.5.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"CREATE TABLE audit (id integer); INSERT INTO no_such_table VALUES (1)\"\n";
    let dir = common::project_with(
        server.dialect(),
        common::USERS,
        &[INCIDENT[0], ("0009_audit.toml", change)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    let out = migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let status = tandem(dir.path())
        .args(["status", "--database-url", &url])
        .output()
        .unwrap();
    let text = stdout(&status);
    assert_eq!(status.status.code(), Some(1), "{text}");
    assert!(text.contains("partly applied"), "{text}");
    assert!(text.contains("resumes it"), "{text}");
    assert!(!text.contains("every generated file is applied"), "{text}");
    let json = tandem(dir.path())
        .args(["status", "--format", "json", "--database-url", &url])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["ok"], false, "{json}");
    let r = json["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["release"] == "1.5.0")
        .unwrap();
    assert_eq!(r["expand"], "partial", "{json}");
    let partly = &json["partly_applied"][0];
    assert_eq!(partly["same_contents"], true, "{json}");
    assert!(partly["completed"].as_u64().unwrap() >= 1, "{json}");

    // Progress recorded from other contents: migrate refuses it, and status says so.
    let mut db = common::connect(&url, dir.path());
    db.run_script("UPDATE tandem_progress SET checksum = 'other'")
        .unwrap();
    let status = tandem(dir.path())
        .args(["status", "--database-url", &url])
        .output()
        .unwrap();
    let text = stdout(&status);
    assert_eq!(status.status.code(), Some(1), "{text}");
    assert!(text.contains("from other contents"), "{text}");
    migrate_own_database(dir.path(), "1.5.0", "expand")
        .args(["--database-url", &url])
        .assert()
        .code(2)
        .stderr(contains("partly applied from other contents"));
}

/// With neither --release nor --phase, migrate goes to the expand of the latest release
/// that has files, says so, and never runs a contract; each applied file is printed with
/// how long it took.
#[test]
fn migrate_without_a_release_applies_the_latest_expand_and_times_each_file() {
    let dir = users_project("sqlite", INCIDENT);
    let out = tandem(dir.path()).arg("migrate").output().unwrap();
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{err}");
    assert!(err.contains("migrating to expand(1.5.0)"), "{err}");
    assert!(text.contains("at expand(1.5.0)"), "{text}");
    assert!(!text.contains("contract"), "{text}");
    for line in text.lines().filter(|l| l.starts_with("applied ")) {
        assert!(line.ends_with(" ms)") || line.ends_with(" s)"), "{line}");
    }
    let status = tandem(dir.path())
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let last = json["releases"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["release"], "1.5.0");
    assert_eq!(last["expand"], "applied", "{json}");
    assert_ne!(last["contract"], "applied", "{json}");
    // --phase alone names no release: a usage error.
    tandem(dir.path())
        .args(["migrate", "--phase", "contract"])
        .assert()
        .code(2)
        .stderr(contains("--phase needs --release"));
}

/// A migrate with nothing to apply does not ask the fleet: it cannot harm a running
/// release, so a gate that would refuse must not fail it.
#[test]
fn the_fleet_gate_is_not_run_when_there_is_nothing_to_apply() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    migrate_own_database(p, "1.5.0", "contract")
        .assert()
        .success();
    let fleet = p.join("fleet.txt");
    fs::write(&fleet, "1.4.0\n").unwrap();
    let out = common::tandem_with_fleet_gate(p)
        .args([
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--fleet-file",
        ])
        .arg(&fleet)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to apply"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("fleet gate: not run"),
        "{}",
        stderr(&out)
    );
}

/// `migrate` runs started at once on a fresh database, each skipping the fleet gate, all
/// succeed: tandem's own tables (the skip log, the history, the progress table) are made
/// once whatever runs race to make them, on Postgres (whose `CREATE TABLE IF NOT EXISTS`
/// is not safe under concurrency) and on MariaDB.
#[test]
fn concurrent_migrates_make_tandem_tables_once() {
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), INCIDENT);
        let url = common::database_url(server, &scratch, dir.path());
        let outs: Vec<std::process::Output> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..8)
                .map(|_| {
                    let (p, url) = (dir.path(), url.as_str());
                    s.spawn(move || common::migrate(p, url, "1.4.0", "expand"))
                })
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        for out in &outs {
            assert!(
                out.status.success(),
                "{}: {}{}",
                server.dialect(),
                stdout(out),
                stderr(out)
            );
        }
        let mut db = common::connect(&url, dir.path());
        let skips = db
            .query_text("SELECT count(*) FROM tandem_fleet_skips")
            .unwrap();
        // Each run that had files to apply recorded its skip: the first one at least.
        let recorded: u32 = skips[0][0].as_deref().unwrap().parse().unwrap();
        assert!((1..=8).contains(&recorded), "{}", server.dialect());
    }
}

/// As [`concurrent_migrates_make_tandem_tables_once`], sessions held at a barrier so that
/// they all make tandem's tables at the same instant: the skipped gate's log and the
/// progress table of resumable files, on a database that has neither yet.
#[test]
fn sessions_racing_to_make_tandem_tables_all_succeed() {
    use tandem::apply::fleet::{gate, FleetOptions};
    use tandem::release::{ReleaseOrder, Releases};
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let releases = Releases::new(&ReleaseOrder::Semver, vec!["1.0.0".to_string()]);
        let options = FleetOptions {
            file: None,
            command: None,
            skip_reason: Some("test database: no fleet".into()),
            pattern: "*".into(),
            command_timeout: std::time::Duration::from_secs(10),
            no_source_reason: None,
            require_tags: false,
        };
        for round in 0..5 {
            let n = 12;
            let barrier = std::sync::Barrier::new(n);
            std::thread::scope(|s| {
                let runs: Vec<_> = (0..n)
                    .map(|i| {
                        let (barrier, target) = (&barrier, &scratch.target);
                        let (options, releases) = (&options, &releases);
                        s.spawn(move || {
                            let mut db = Database::connect(target).unwrap();
                            barrier.wait();
                            if i % 2 == 0 {
                                gate(&mut db, options, releases, 0, false)
                                    .map(|_| ())
                                    .map_err(|e| e.render())
                            } else {
                                tandem::apply::progress::completed(&mut db, 1, "x")
                                    .map(|_| ())
                                    .map_err(|e| e.0)
                            }
                        })
                    })
                    .collect();
                for r in runs {
                    let result = r.join().unwrap();
                    assert!(
                        result.is_ok(),
                        "{} round {round}: {result:?}",
                        server.dialect()
                    );
                }
            });
            let mut db = Database::connect(&scratch.target).unwrap();
            db.run_script("DROP TABLE tandem_fleet_skips").unwrap();
            db.run_script("DROP TABLE tandem_progress").unwrap();
        }
    }
}

/// The live `users` table schema.toml describes (comment only where the dialect keeps it).
const ADOPTED_SCHEMA: &str = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\", default = \"none@x\" COMMENT }\n";

fn adopted_schema(comment: Option<&str>) -> String {
    let comment = comment
        .map(|c| format!(", comment = \"{c}\""))
        .unwrap_or_default();
    ADOPTED_SCHEMA.replace(" COMMENT", &comment)
}

/// A project over the live `users` table (made by hand, as production before tandem),
/// with one later release; the database adopted by `migrate --adopt` with no release.
fn adopted_project(
    server: Server,
) -> Option<(tempfile::TempDir, String, tandem::apply::scratch::Scratch)> {
    let scratch = server.fresh()?;
    let comment = (server != Server::Sqlite).then_some("wrong comment");
    let change = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"CREATE TABLE later_table (id integer)\"\n";
    let dir = common::project_with(
        server.dialect(),
        &adopted_schema(comment),
        &[("0001_later.toml", change)],
    );
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    let create = match server {
        Server::Postgres => "CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL DEFAULT 'none@x'); COMMENT ON COLUMN users.email IS 'right comment'",
        Server::Mysql => "CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL DEFAULT 'none@x' COMMENT 'right comment')",
        Server::Sqlite => "CREATE TABLE users (id bigint NOT NULL PRIMARY KEY, email varchar(255) NOT NULL DEFAULT 'none@y')",
    };
    db.run_script(create).unwrap();
    Some((dir, url, scratch))
}

/// `migrate --adopt` with no release records the baseline and applies nothing after it;
/// a project whose schema.toml was wrong about a comment (or a default's value, which
/// adoption does not compare) is re-adopted after the fix with `--readopt --reason`,
/// which re-records the baseline's checksum, logs who/when/why for `status`, and lets
/// the next migrate through.
fn adopt_without_release_then_readopt_after_a_schema_fix(server: Server) {
    let Some((dir, url, _scratch)) = adopted_project(server) else {
        return;
    };
    let migrate = |args: &[&str]| {
        let mut cmd = tandem(dir.path());
        cmd.args(["migrate", "--database-url", &url]).args(args);
        cmd.output().unwrap()
    };
    if server != Server::Sqlite {
        // The comment is wrong: adoption refuses and names it.
        let out = migrate(&["--adopt"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("comment of column users.email"),
            "{}",
            stderr(&out)
        );
        // Adopt with the comment as it was believed, by making the database agree.
        let fix = match server {
            Server::Postgres => "COMMENT ON COLUMN users.email IS 'wrong comment'",
            _ => "ALTER TABLE users MODIFY email varchar(255) NOT NULL DEFAULT 'none@x' COMMENT 'wrong comment'",
        };
        common::connect(&url, dir.path()).run_script(fix).unwrap();
    }
    let out = migrate(&["--adopt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("baseline recorded as applied"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("applied 1.0.0/"), "{}", stdout(&out));
    let mut db = common::connect(&url, dir.path());
    assert!(!db
        .table_names()
        .unwrap()
        .contains(&"later_table".to_string()));

    // The fix: schema.toml now says what the database really has.
    let (schema, live_fix) = match server {
        Server::Sqlite => (adopted_schema(None).replace("none@x", "none@y"), None),
        Server::Postgres => (
            adopted_schema(Some("right comment")),
            Some("COMMENT ON COLUMN users.email IS 'right comment'"),
        ),
        Server::Mysql => (
            adopted_schema(Some("right comment")),
            Some("ALTER TABLE users MODIFY email varchar(255) NOT NULL DEFAULT 'none@x' COMMENT 'right comment'"),
        ),
    };
    if let Some(sql) = live_fix {
        db.run_script(sql).unwrap();
    }
    fs::write(dir.path().join("schema.toml"), schema).unwrap();
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = migrate(&["--release", "1.0.0", "--phase", "expand"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "divergent baseline: {}",
        stderr(&out)
    );

    // Usage: --readopt without --reason, with --adopt, --reason alone.
    for args in [
        &["--readopt"][..],
        &["--readopt", "--adopt", "--reason", "x"],
        &["--reason", "x"],
        &["--readopt", "--reason", "  "],
    ] {
        let out = migrate(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = migrate(&["--readopt", "--reason", "comment of users.email corrected"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("re-adopted"), "{}", stdout(&out));
    let out = tandem(dir.path())
        .args(["status", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("baseline re-adopted")
            && stdout(&out).contains("comment of users.email corrected"),
        "{}",
        stdout(&out)
    );
    let out = migrate(&["--readopt", "--reason", "again"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to re-record"),
        "{}",
        stdout(&out)
    );
    let out = migrate(&["--release", "1.0.0", "--phase", "expand"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("applied 1.0.0/"), "{}", stdout(&out));

    // A schema.toml the database does not match is refused (exit 1), listing it all.
    let wrong = adopted_schema(None).replace(
        "id = { type = \"bigint\" }",
        "id = { type = \"bigint\" }\nnick = { type = \"text\", nullable = true }",
    );
    fs::write(dir.path().join("schema.toml"), wrong).unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    let out = migrate(&["--readopt", "--reason", "nick added"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("column users.nick is missing"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn adopt_without_release_then_readopt_after_a_schema_fix_on_sqlite() {
    adopt_without_release_then_readopt_after_a_schema_fix(Server::Sqlite);
}

#[test]
fn adopt_without_release_then_readopt_after_a_schema_fix_on_postgres() {
    adopt_without_release_then_readopt_after_a_schema_fix(Server::Postgres);
}

#[test]
fn adopt_without_release_then_readopt_after_a_schema_fix_on_mariadb() {
    adopt_without_release_then_readopt_after_a_schema_fix(Server::Mysql);
}

/// Re-adoption refuses (exit 1) a database with no history, and one where a file after
/// the baseline was applied with other contents than it has now.
#[test]
fn readopt_refuses_without_history_and_with_a_later_divergent_file() {
    let Some((dir, url, _scratch)) = adopted_project(Server::Sqlite) else {
        return;
    };
    let readopt = || {
        tandem(dir.path())
            .args([
                "migrate",
                "--database-url",
                &url,
                "--readopt",
                "--reason",
                "fix",
            ])
            .output()
            .unwrap()
    };
    let out = readopt();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no migration history"),
        "{}",
        stderr(&out)
    );
    let fixed = adopted_schema(None).replace("none@x", "none@y");
    fs::write(dir.path().join("schema.toml"), &fixed).unwrap();
    tandem(dir.path()).arg("generate").assert().success();
    tandem(dir.path())
        .args([
            "migrate",
            "--database-url",
            &url,
            "--adopt",
            "--release",
            "1.0.0",
            "--phase",
            "expand",
        ])
        .assert()
        .success();
    let mut db = common::connect(&url, dir.path());
    db.run_script("UPDATE refinery_schema_history SET checksum = '1' WHERE version > 1")
        .unwrap();
    let out = readopt();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("files after the baseline"),
        "{}",
        stderr(&out)
    );
}
