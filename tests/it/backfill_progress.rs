//! A backfill says how far it got, at least every 2 seconds, on both servers: Postgres
//! through NOTICEs, MySQL through one-row results of its procedure, both shown by
//! `tandem migrate` on stderr (plain lines when stderr is not a terminal).

use crate::common;

use common::{stderr, tandem, users_project, Server};
use tandem::apply::database::{Database, Target};

const ADD_HANDLE: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"handle\", type = \"varchar(300)\" }\nbackfill_sql = \"email\"\n";

fn progress_is_reported(server: Server, settings: &str) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = users_project(server.dialect(), &[("0001_handle.toml", ADD_HANDLE)]);
    let p = dir.path();
    let toml = p.join("tandem.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n{settings}")).unwrap();
    let out = tandem(p).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let url = common::database_url(server, &scratch, p);
    let target = Target::parse(&url, p).unwrap();
    let mut db = Database::connect(&target).unwrap();
    // The baseline by hand, with 4,000 rows, then adopted: the backfill has work to do.
    let baseline = std::fs::read_to_string(p.join("migrations/V1__baseline.sql")).unwrap();
    for statement in tandem::sql::split::statements(target.dialect(), &baseline) {
        db.run_script(&statement).unwrap();
    }
    common::insert_users(&mut db, 4000);
    if server == Server::Postgres {
        db.run_script("ANALYZE users").unwrap();
    }
    let out = tandem(p)
        .args([
            "migrate",
            "--adopt",
            "--release",
            "1.4.0",
            "--phase",
            "expand",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{}: {err}", server.dialect());
    let notes: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("tandem: backfill of users.handle: "))
        .collect();
    assert!(
        !notes.is_empty(),
        "{}: no progress line in\n{err}",
        server.dialect()
    );
    for note in &notes {
        // "N of about M rows (P %)"
        let rest = note.trim_start_matches("tandem: backfill of users.handle: ");
        let words: Vec<&str> = rest.split(' ').collect();
        let done: u64 = words[0].parse().unwrap();
        let total: u64 = words[3].parse().unwrap();
        assert!(done > 0 && done <= 4000, "{note}");
        assert!((3000..=6000).contains(&total), "estimate far off: {note}");
        assert!(tandem::apply::notes::percent(note).is_some(), "{note}");
    }
    let left = db
        .query_text("SELECT COUNT(*) FROM users WHERE handle IS NULL")
        .unwrap();
    assert_eq!(left[0][0].as_deref(), Some("0"));
}

#[test]
fn a_postgres_backfill_reports_progress() {
    // Pages of 100 rows or more: some 35 batches, 150 ms apart.
    progress_is_reported(
        Server::Postgres,
        "[postgres]\nbackfill_batch_size = 10\nbackfill_pause_ms = 150\n",
    );
}

#[test]
fn a_mariadb_backfill_reports_progress() {
    // With the redo log wait on, so that its status read runs between the batches (a
    // server this idle does not wait).
    progress_is_reported(
        Server::Mysql,
        "[mysql]\nbackfill_batch_size = 10\nbackfill_pause_ms = 10\nbackfill_max_redo_pct = 99\n",
    );
}

/// A MariaDB backfill run by the plain client meets a row that another transaction holds
/// locked: its procedure's handler catches the lock wait timeout (1205), says so, and
/// tries the batch again until the holder lets go; every row ends up filled.
#[test]
fn a_mariadb_backfill_retries_a_batch_behind_a_locked_row() {
    let server = Server::Mysql;
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = users_project(server.dialect(), &[("0001_handle.toml", ADD_HANDLE)]);
    let p = dir.path();
    let url = common::database_url(server, &scratch, p);
    let out = common::migrate(p, &url, "1.4.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let target = Target::parse(&url, p).unwrap();
    let mut db = Database::connect(&target).unwrap();
    common::insert_unfilled_users(&mut db, server, 500, "handle");
    // The backfill's statements of the expand file, as the client would run them.
    let file = tandem::layout::list_sql_files(&p.join("migrations"))
        .unwrap()
        .into_iter()
        .find(|f| f.starts_with("1.4.0/") && f.contains("expand"))
        .unwrap();
    let sql = std::fs::read_to_string(p.join("migrations").join(&file)).unwrap();
    let backfill: Vec<String> = tandem::sql::split::statements(target.dialect(), &sql)
        .into_iter()
        .filter(|s| s.contains("tandem_backfill"))
        .collect();
    assert_eq!(backfill.len(), 4, "{sql}");

    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = {
        let target = target.clone();
        std::thread::spawn(move || {
            let mut db = Database::connect(&target).unwrap();
            db.run_script("START TRANSACTION").unwrap();
            db.query_text("SELECT * FROM users WHERE id = 250 FOR UPDATE")
                .unwrap();
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(3000));
            db.run_script("COMMIT").unwrap();
        })
    };
    locked_rx.recv().unwrap();
    let out = common::mariadb_client(
        &url,
        &backfill,
        Some("SET SESSION innodb_lock_wait_timeout = 1"),
    );
    holder.join().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{said}", stderr(&out));
    assert!(
        said.contains("tandem: lock wait on users, attempt 1 of 31, retrying"),
        "{said}"
    );
    let left = db
        .query_text("SELECT COUNT(*) FROM users WHERE handle IS NULL")
        .unwrap();
    assert_eq!(left[0][0].as_deref(), Some("0"));
}

/// The same on Postgres, run by psql: a batch that meets the locked row gives up after
/// `lock_timeout`, says so, and is tried again until the holder lets go.
#[test]
fn a_postgres_backfill_retries_a_batch_behind_a_locked_row() {
    batch_loop_retries_behind_a_locked_row(
        &[("0001_handle.toml", ADD_HANDLE)],
        ("1.4.0", "expand", "-- Backfill"),
        // Rows the fill trigger did not fill: as if they were there before the expand.
        "ALTER TABLE users DISABLE TRIGGER USER; UPDATE users SET handle = NULL; \
         ALTER TABLE users ENABLE TRIGGER USER",
        "SELECT COUNT(*) FROM users WHERE handle IS NULL",
    );
}

/// A repair (a tightening's `repair_sql`, in batches before the check is enforced) is a
/// batch loop like a backfill: run by psql, it waits out a locked row the same way.
#[test]
fn a_postgres_repair_retries_a_batch_behind_a_locked_row() {
    batch_loop_retries_behind_a_locked_row(
        &[
            ("0001_check.toml", "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_legacy_email_set\"\ncheck = \"legacy_email <> ''\"\nrepair_sql = \"'none'\"\n"),
            ("0002_next.toml", "release = \"1.5.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n"),
        ],
        ("1.5.0", "contract", "-- Repair"),
        "UPDATE users SET legacy_email = ''",
        "SELECT COUNT(*) FROM users WHERE legacy_email = ''",
    );
}

/// Applies the expand of the first release of `changes`, inserts 500 rows, runs `setup`,
/// then runs the batch loop marked by `loop_marker` in the `phase` file of `release` with
/// psql while another transaction holds row 250 for 2 seconds: the loop must say it
/// waits, try again, and leave `left` counting no row.
fn batch_loop_retries_behind_a_locked_row(
    changes: &[(&str, &str)],
    (release, phase, loop_marker): (&str, &str, &str),
    setup: &str,
    left: &str,
) {
    let server = Server::Postgres;
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = users_project(server.dialect(), changes);
    let p = dir.path();
    let url = common::database_url(server, &scratch, p);
    let first = changes[0].1.split('"').nth(1).unwrap();
    let out = common::migrate(p, &url, first, "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let target = Target::parse(&url, p).unwrap();
    let mut db = Database::connect(&target).unwrap();
    common::insert_users(&mut db, 500);
    db.run_script(setup).unwrap();
    let file = tandem::layout::list_sql_files(&p.join("migrations"))
        .unwrap()
        .into_iter()
        .find(|f| f.starts_with(&format!("{release}/")) && f.contains(phase))
        .unwrap();
    let sql = std::fs::read_to_string(p.join("migrations").join(&file)).unwrap();
    let script: String = tandem::sql::split::statements(target.dialect(), &sql)
        .into_iter()
        .filter(|s| s.ends_with("SET lock_timeout = '500ms'") || s.contains(loop_marker))
        .map(|s| format!("{s};\n"))
        .collect();
    assert!(script.contains("DO $tandem$"), "{sql}");
    let script_path = p.join("batches.sql");
    std::fs::write(&script_path, script).unwrap();

    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = {
        let target = target.clone();
        std::thread::spawn(move || {
            let mut db = Database::connect(&target).unwrap();
            db.run_script("BEGIN").unwrap();
            db.query_text("SELECT * FROM users WHERE id = 250 FOR UPDATE")
                .unwrap();
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2000));
            db.run_script("COMMIT").unwrap();
        })
    };
    locked_rx.recv().unwrap();
    let out = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"])
        .arg(&script_path)
        .output()
        .unwrap();
    holder.join().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("tandem: lock wait on users, attempt 1 of 31"),
        "{err}\n{}",
        std::fs::read_to_string(&script_path).unwrap()
    );
    let left = db.query_text(left).unwrap();
    assert_eq!(left[0][0].as_deref(), Some("0"));
}
