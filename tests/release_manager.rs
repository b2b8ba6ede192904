//! What a release manager relies on: the code contract of each release (and the check of
//! recorded queries against it), release bundles for deploy pipelines, and the fleet gate
//! before a contract.

mod common;

use std::fs;

use common::{stderr, stdout, tandem, users_project, INCIDENT};

#[test]
fn the_code_contract_lists_what_a_release_stops_using() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    let out = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        value["stops_using"],
        serde_json::json!([{"table": "users", "column": "legacy_email"}])
    );
    let users = value["uses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "users")
        .unwrap();
    assert!(!users["columns"]
        .as_array()
        .unwrap()
        .contains(&"legacy_email".into()));

    let plan = tandem(p)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(
        plan["releases"][0]["stops_using"][0]["column"],
        "legacy_email"
    );
    assert_eq!(plan["releases"][1]["stops_using"], serde_json::json!([]));

    let rails = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    assert!(
        stdout(&rails).contains("class User < ApplicationRecord"),
        "{}",
        stdout(&rails)
    );
    assert!(
        stdout(&rails).contains("self.ignored_columns += [\"legacy_email\"]"),
        "{}",
        stdout(&rails)
    );
    let python = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "sqlalchemy"])
        .output()
        .unwrap();
    assert!(
        stdout(&python).contains("\"users\": [\"legacy_email\"]"),
        "{}",
        stdout(&python)
    );
}

#[test]
fn orm_templates_are_overridable() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    fs::create_dir_all(p.join("tpl/orm")).unwrap();
    fs::write(
        p.join("tpl/orm/activerecord.rb.tera"),
        "{% for t in tables %}{{ t.model }}:{{ t.columns | join(sep=\",\") }}{% endfor %}\n",
    )
    .unwrap();
    let toml = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        format!("{toml}templates_dir = \"tpl\"\n"),
    )
    .unwrap();
    let out = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "User:legacy_email\n", "{}", stderr(&out));
}

#[test]
fn check_refuses_a_release_whose_queries_still_use_what_it_retires() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    fs::create_dir_all(p.join("queries/1.4.0")).unwrap();
    // The ORM of 1.4.0 still selects the column the release retires: the incident.
    fs::write(
        p.join("queries/1.4.0/orm.sql"),
        "SELECT id, email FROM users WHERE id = $1;\n\nSELECT users.id, users.email,\n       users.legacy_email FROM users WHERE id = $1;\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("users.legacy_email"), "{err}");
    assert!(err.contains("queries/1.4.0/orm.sql:4:"), "{err}");

    // Once the code no longer names it (a string or a comment does not count), check passes.
    fs::write(
        p.join("queries/1.4.0/orm.sql"),
        "-- legacy_email is gone\nSELECT id, email FROM users WHERE note <> 'legacy_email';\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
