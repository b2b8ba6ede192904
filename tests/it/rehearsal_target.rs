//! Where `verify` rehearses, and what it refuses before rehearsing: the project's own plan
//! must hold in its own dialect, and a rehearsal on another dialect says so loudly.

use crate::common;

use common::{stderr, tandem, users_project, Server, INCIDENT};

const MYSQL_CHECK: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_id_positive\"\ncheck = \"id > 0\"\nold_code_complies = true\n";

#[test]
fn a_plan_refused_in_its_own_dialect_fails_verify_on_sqlite_too() {
    // MySQL has no lock-safe way to add a check: the mysql project's plan is refused,
    // though the same change rehearses fine on SQLite.
    let dir = common::project_files("mysql", common::USERS, &[("0001_check.toml", MYSQL_CHECK)]);
    let out = tandem(dir.path())
        .args(["verify", "--database-url", "sqlite::memory:"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mysql cannot do this safely"),
        "{}",
        stderr(&out)
    );

    let sqlite = users_project("sqlite", &[("0001_check.toml", MYSQL_CHECK)]);
    let out = tandem(sqlite.path()).arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_rehearsal_on_another_dialect_says_it_approximates() {
    let dir = users_project("postgres", INCIDENT);
    let out = tandem(dir.path()).arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("approximates") && err.contains("written for postgres"),
        "{err}"
    );

    let sqlite = users_project("sqlite", INCIDENT);
    let out = tandem(sqlite.path()).arg("verify").output().unwrap();
    assert!(!stderr(&out).contains("approximates"), "{}", stderr(&out));
}

#[test]
fn verify_uses_the_server_tandem_toml_names() {
    let Some(url) = Server::Postgres.url() else {
        return;
    };
    let dir = users_project("postgres", INCIDENT);
    let toml = dir.path().join("tandem.toml");
    std::fs::write(
        &toml,
        format!("dialect = \"postgres\"\ndatabase_url = \"{url}\"\n"),
    )
    .unwrap();
    let out = tandem(dir.path()).arg("verify").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("approximates"), "{}", stderr(&out));
    assert!(
        common::stdout(&out).contains("postgres"),
        "{}",
        common::stdout(&out)
    );
}
