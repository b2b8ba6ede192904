//! `verify` must fail a plan that breaks running code, naming the release, the step, the
//! code version and the column, even when the break comes from a raw `sql` op.

mod common;

use common::{stdout, tandem, users_project, Server, INCIDENT};
use predicates::str::contains;

/// 1.5.0's contract drops users.nickname by hand, while 1.4.0 (the rollback target of
/// 1.5.0) still reads and writes it.
const UNSAFE_RAW_DROP: (&str, &str) = (
    "0009_drop_nickname.toml",
    "release = \"1.5.0\"\nsummary = \"stop using nickname\"\n\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users DROP COLUMN nickname\"\n",
);

fn unsafe_plan_fails(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = users_project(
        server.dialect(),
        &[INCIDENT[0], INCIDENT[1], UNSAFE_RAW_DROP],
    );
    let out = tandem(dir.path())
        .args(["verify", "--database-url", &url])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed: Vec<&str> = text.lines().filter(|l| l.contains("FAILED")).collect();
    assert!(!failed.is_empty(), "{text}");
    // The rollback target's code breaks in 1.5.0's contract, on nickname.
    assert!(
        failed.iter().any(|l| l.starts_with("1.5.0")
            && l.contains("contract")
            && l.contains("1.4.0")
            && l.contains("nickname")),
        "{text}"
    );
    // Nothing before it failed.
    assert!(
        text.lines()
            .filter(|l| l.starts_with("1.4.0"))
            .all(|l| l.ends_with(" ok")),
        "{text}"
    );
}

#[test]
fn an_unsafe_raw_drop_fails_on_sqlite() {
    unsafe_plan_fails(Server::Sqlite);
}

#[test]
fn an_unsafe_raw_drop_fails_on_postgres() {
    unsafe_plan_fails(Server::Postgres);
}

#[test]
fn an_unsafe_raw_drop_fails_on_mariadb() {
    unsafe_plan_fails(Server::Mysql);
}

#[test]
fn the_matrix_is_available_as_json() {
    let dir = users_project("sqlite", &[INCIDENT[0], INCIDENT[1], UNSAFE_RAW_DROP]);
    let out = tandem(dir.path())
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let cells = report["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 8, "2 releases x 2 steps x 2 code versions");
    let bad = cells
        .iter()
        .find(|c| c["ok"] == false)
        .expect("a failing cell");
    assert_eq!(bad["release"], "1.5.0");
    assert_eq!(bad["step"], "contract");
    assert!(bad["result"].as_str().unwrap().contains("nickname"));
}

#[test]
fn a_plan_whose_sql_does_not_apply_fails_and_names_the_file() {
    let broken = "release = \"1.4.0\"\nsummary = \"raw\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE no_such_table ADD COLUMN x integer\"\n";
    let dir = users_project("sqlite", &[("0001_raw.toml", broken)]);
    tandem(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stdout(contains("FAILED: applying 1.4.0/V"))
        .stdout(contains("no such table"));
}

#[test]
fn a_refused_plan_is_not_rehearsed() {
    let too_early = INCIDENT[0].1.to_string() + "contract_release = \"1.4.0\"\n";
    let dir = tempfile::TempDir::new().unwrap();
    common::copy_dir(users_project("sqlite", &[]).path(), dir.path());
    std::fs::write(dir.path().join("changes/0007.toml"), too_early).unwrap();
    tandem(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stderr(contains(
            "refused: drop of users.legacy_email placed in release 1.4.0",
        ));
}

#[test]
fn a_safe_plan_passes_on_the_sqlite_default() {
    let dir = users_project("sqlite", INCIDENT);
    tandem(dir.path())
        .arg("verify")
        .assert()
        .success()
        .stdout(contains("rehearsal on sqlite::memory:"))
        .stdout(contains("ok: all 8 cells passed"));
}
