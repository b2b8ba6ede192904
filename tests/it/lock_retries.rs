//! Short lock waits with retries: a transaction that holds a lock on the table makes a
//! migrate step give up after the short lock timeout and try again, said on stderr, until
//! the holder lets go; then migrate finishes with no manual re-run.

use crate::common;

use std::time::{Duration, Instant};

use common::{stderr, users_project, Server, INCIDENT};
use tandem::apply::database::{Database, Target};

fn held_lock_delays_but_does_not_fail(server: Server, hold: &str) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = users_project(server.dialect(), INCIDENT);
    let p = dir.path();
    let url = common::database_url(server, &scratch, p);
    let out = common::migrate(p, &url, "1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));

    let target = Target::parse(&url, p).unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = {
        let hold = hold.to_string();
        std::thread::spawn(move || {
            let mut db = Database::connect(&target).unwrap();
            db.run_script("BEGIN").unwrap();
            db.query_text(&hold).unwrap();
            locked_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(2500));
            db.run_script("COMMIT").unwrap();
        })
    };
    locked_rx.recv().unwrap();
    let started = Instant::now();
    let out = common::migrate(p, &url, "1.5.0", "expand");
    holder.join().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        server.dialect(),
        stderr(&out)
    );
    // Postgres files retry a lock-taking statement themselves (their notices shown);
    // MariaDB's run again through migrate.
    let said = match server {
        Server::Postgres => "tandem: lock wait on users, attempt 1 of 31",
        _ => "retry 1/",
    };
    assert!(stderr(&out).contains(said), "{}", stderr(&out));
    assert!(
        started.elapsed() >= Duration::from_millis(2000),
        "it did not wait for the holder"
    );
}

#[test]
fn a_held_lock_makes_migrate_retry_on_postgres() {
    held_lock_delays_but_does_not_fail(Server::Postgres, "SELECT * FROM users FOR UPDATE");
}

#[test]
fn a_held_lock_makes_migrate_retry_on_mariadb() {
    held_lock_delays_but_does_not_fail(Server::Mysql, "SELECT * FROM users");
}
