//! Hotfix releases: 1.4.1 is added after production runs 1.4.0 and staging has applied
//! expand(1.5.0). Its files take versions between the two releases and change no existing
//! file; production migrates it in order; staging, already past it, applies it out of
//! order when it commutes with what staging applied since, and refuses it otherwise.
//! refinery's history table is the source of truth on every database.

use crate::common;

use std::fs;
use std::path::Path;

use common::{migrate, run, stderr, stdout, users_project, Server};
use tandem::apply::scratch::Scratch;

const ADD_SCORE_140: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"score\", type = \"integer\", nullable = true }\n";
const ADD_BIO_150: &str = "release = \"1.5.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n";
const INDEX_EMAIL_141: &str = "release = \"1.4.1\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n";
const RELAX_SCORE_141: &str = "release = \"1.4.1\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nnullable = true\n";
const INDEX_LEGACY_150: &str = "release = \"1.5.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]\n";
const DROP_NICK_141: &str = "release = \"1.4.1\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"\n";

/// Two databases of one project: production and staging, fresh on `server`.
fn two_databases(server: Server, p: &Path) -> Option<(Scratch, Scratch, String, String)> {
    let production = server.fresh()?;
    let staging = server.fresh()?;
    let (prod_url, stage_url) = match server {
        Server::Sqlite => (
            format!("sqlite://{}", p.join("production.db").display()),
            format!("sqlite://{}", p.join("staging.db").display()),
        ),
        _ => (
            common::database_url(server, &production, p),
            common::database_url(server, &staging, p),
        ),
    };
    Some((production, staging, prod_url, stage_url))
}

#[test]
fn a_hotfix_runs_in_order_in_production_and_out_of_order_on_staging() {
    for server in Server::ALL {
        let dir = users_project(
            server.dialect(),
            &[
                ("0001_score.toml", ADD_SCORE_140),
                ("0002_bio.toml", ADD_BIO_150),
            ],
        );
        let p = dir.path();
        let Some((_prod, _stage, prod, stage)) = two_databases(server, p) else {
            continue;
        };
        assert!(migrate(p, &prod, "1.4.0", "contract").status.success());
        let out = migrate(p, &stage, "1.5.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));

        let before = tandem::layout::list_sql_files(&p.join("migrations")).unwrap();
        fs::write(p.join("changes/0003_hotfix.toml"), INDEX_EMAIL_141).unwrap();
        assert!(run(p, &["generate"]).status.success());
        let after = tandem::layout::list_sql_files(&p.join("migrations")).unwrap();
        assert!(
            before.iter().all(|f| after.contains(f)),
            "{before:?} -> {after:?}"
        );

        // Staging shows the hotfix as out of order, but no problem.
        let status = run(p, &["status", "--database-url", &stage, "--format", "json"]);
        assert!(
            status.status.success(),
            "{}: {}",
            server.dialect(),
            stdout(&status)
        );
        let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(
            value["out_of_order"].as_array().unwrap().len(),
            1,
            "{value}"
        );

        // Production takes 1.4.1 in order.
        let out = migrate(p, &prod, "1.4.1", "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(!stdout(&out).contains("out of order"), "{}", stdout(&out));
        // Staging takes it out of order on its next migrate, whatever the target.
        let out = migrate(p, &stage, "1.5.0", "expand");
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );
        assert!(stdout(&out).contains("out of order"), "{}", stdout(&out));
        let status = run(p, &["status", "--database-url", &stage]);
        assert!(status.status.success(), "{}", stdout(&status));
        assert!(
            stdout(&status).contains("expand: applied"),
            "{}",
            stdout(&status)
        );
        let out = migrate(p, &stage, "1.5.0", "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        for url in [&prod, &stage] {
            let out = migrate(p, url, "1.5.0", "contract");
            assert!(out.status.success(), "{}", stderr(&out));
            let status = run(p, &["status", "--database-url", url]);
            assert!(
                stdout(&status).contains("every generated file is applied"),
                "{}",
                stdout(&status)
            );
        }
    }
}

#[test]
fn a_hotfix_that_touches_what_staging_applied_since_is_refused_there() {
    for server in Server::ALL {
        let dir = users_project(
            server.dialect(),
            &[
                ("0001_score.toml", ADD_SCORE_140),
                ("0002_index.toml", INDEX_LEGACY_150),
            ],
        );
        let p = dir.path();
        let Some((_prod, _stage, _prod_url, stage)) = two_databases(server, p) else {
            continue;
        };
        assert!(migrate(p, &stage, "1.5.0", "expand").status.success());
        fs::write(p.join("changes/0003_hotfix.toml"), RELAX_SCORE_141).unwrap();
        assert!(run(p, &["generate"]).status.success());

        let status = run(p, &["status", "--database-url", &stage]);
        assert_eq!(status.status.code(), Some(1), "{}", stdout(&status));
        let out = migrate(p, &stage, "1.5.0", "expand");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );
        let err = stderr(&out);
        assert!(
            err.contains("1.4.1/") && err.contains("cannot run out of order"),
            "{err}"
        );
        assert!(
            err.contains("legacy_email") || err.contains("table users"),
            "{err}"
        );
    }
}

#[test]
fn a_hotfix_that_stops_using_a_column_drops_it_in_the_next_minor_release() {
    let dir = users_project(
        "sqlite",
        &[
            ("0001_score.toml", ADD_SCORE_140),
            ("0002_bio.toml", ADD_BIO_150),
            ("0003_hotfix.toml", DROP_NICK_141),
        ],
    );
    let p = dir.path();
    let plan = run(p, &["plan", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let names: Vec<&str> = value["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["1.4.0", "1.4.1", "1.5.0"]);
    let drop_in = value["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["contract"].as_array().unwrap().iter().any(|f| {
                f["steps"]
                    .to_string()
                    .contains("drop column users.nickname")
            })
        })
        .map(|r| r["name"].as_str().unwrap());
    assert_eq!(drop_in, Some("1.5.0"));
    // 1.5.0's code runs when the drop does, and may have been built beside the hotfix:
    // its code contract says so.
    assert_eq!(
        value["releases"][2]["stops_using"],
        serde_json::json!([{"table": "users", "column": "nickname"}])
    );
    let contract = stdout(&run(p, &["code-contract", "1.5.0"]));
    assert!(contract.contains("- users.nickname"), "{contract}");
    let text = stdout(&run(p, &["plan"]));
    let at_141 = text.find("release 1.4.1").unwrap();
    assert!(
        text.find("release 1.4.0").unwrap() < at_141
            && at_141 < text.find("release 1.5.0").unwrap(),
        "{text}"
    );
}

const DROP_LEGACY_150: &str = "release = \"1.5.0\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
const UNIQUE_LEGACY_141: &str = "release = \"1.4.1\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]\nunique = true\n";
const PLAIN_LEGACY_141: &str = "release = \"1.4.1\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]\n";

/// Every migration file of the project, with its bytes.
fn migration_files(p: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = p.join("migrations");
    tandem::layout::list_sql_files(&dir)
        .unwrap()
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

/// Production's path through a hotfix on MariaDB: 1.4.0, the hotfix 1.4.1, then
/// expand(1.5.0), whose code inserts two users without `legacy_email`; the error of the
/// first insert that fails.
fn release_150_inserts_after_the_hotfix(p: &Path, url: &str) -> Option<String> {
    for (release, phase) in [("1.4.1", "contract"), ("1.5.0", "expand")] {
        let out = migrate(p, url, release, phase);
        assert!(out.status.success(), "{release}: {}", stderr(&out));
    }
    let mut db = common::connect(url, p);
    ["(1, 'a@x')", "(2, 'b@x')"].iter().find_map(|row| {
        db.run_script(&format!("INSERT INTO users (id, email) VALUES {row}"))
            .err()
            .map(|e| e.to_string())
    })
}

#[test]
fn a_hotfix_that_constrains_a_column_a_later_release_relaxes_with_a_placeholder_is_refused() {
    for cut in [true, false] {
        let dir = users_project(
            "mysql",
            &[
                ("0001_score.toml", ADD_SCORE_140),
                ("0002_retire.toml", DROP_LEGACY_150),
            ],
        );
        let p = dir.path();
        let Some(production) = Server::Mysql.fresh() else {
            return;
        };
        let prod = common::database_url(Server::Mysql, &production, p);
        if cut {
            let out = run(p, &["release", "cut", "1.5.0"]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        assert!(migrate(p, &prod, "1.4.0", "contract").status.success());
        let before = migration_files(p);
        let expand_150 = before
            .iter()
            .find(|(f, _)| f.starts_with("1.5.0/") && f.contains("expand"))
            .map(|(f, bytes)| (f.clone(), String::from_utf8_lossy(bytes).into_owned()))
            .unwrap();
        assert!(expand_150.1.contains("SET DEFAULT ''"), "{}", expand_150.1);

        fs::write(p.join("changes/0003_hotfix.toml"), UNIQUE_LEGACY_141).unwrap();
        let out = run(p, &["generate"]);
        if out.status.success() {
            // Accepted: the files 1.5.0 was written with must still serve its code.
            assert_eq!(
                migration_files(p)
                    .iter()
                    .find(|(f, _)| *f == expand_150.0)
                    .map(|(_, b)| String::from_utf8_lossy(b).into_owned()),
                Some(expand_150.1.clone()),
                "cut: {cut}: the hotfix rewrote {}",
                expand_150.0
            );
            let failed = release_150_inserts_after_the_hotfix(p, &prod);
            panic!("cut: {cut}: the hotfix was accepted; 1.5.0's inserts: {failed:?}");
        }
        assert_eq!(out.status.code(), Some(1), "cut: {cut}: {}", stderr(&out));
        let err = stderr(&out);
        for part in [
            "1.4.1",
            "1.5.0",
            "users.legacy_email",
            "''",
            "0003_hotfix.toml",
            &expand_150.0,
        ] {
            assert!(err.contains(part), "cut: {cut}: no {part} in {err}");
        }
        assert!(err.contains("help:"), "{err}");
        assert_eq!(migration_files(p), before, "cut: {cut}");
        let plan = run(p, &["plan"]);
        assert_eq!(plan.status.code(), Some(1), "{}", stderr(&plan));

        // The suggested way out: an index that does not refuse the placeholder twice.
        fs::write(p.join("changes/0003_hotfix.toml"), PLAIN_LEGACY_141).unwrap();
        let out = run(p, &["generate"]);
        assert!(out.status.success(), "cut: {cut}: {}", stderr(&out));
        assert!(
            before.iter().all(|f| migration_files(p).contains(f)),
            "cut: {cut}"
        );
        assert_eq!(
            release_150_inserts_after_the_hotfix(p, &prod),
            None,
            "cut: {cut}"
        );
    }
}

/// The release whose contract file holds the drop of `users.nickname`, by `plan --format json`.
fn nickname_dropped_in(p: &Path) -> Option<String> {
    let plan = run(p, &["plan", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    value["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["contract"]
                .to_string()
                .contains("drop column users.nickname")
        })
        .map(|r| r["name"].as_str().unwrap().to_string())
}

#[test]
fn a_hotfix_drops_what_it_stops_using_only_after_every_release_cut_before_it() {
    let dir = users_project(
        "sqlite",
        &[
            ("0001_score.toml", ADD_SCORE_140),
            ("0002_bio.toml", ADD_BIO_150),
        ],
    );
    let p = dir.path();
    assert!(run(p, &["release", "cut", "1.5.0"]).status.success());
    fs::write(p.join("changes/0003_hotfix.toml"), DROP_NICK_141).unwrap();
    fs::write(
        p.join("changes/0004_next.toml"),
        common::select_one("1.6.0"),
    )
    .unwrap();

    // 1.5.0 was cut before the hotfix: its code still reads nickname, and it is 1.6.0's
    // rollback target. The drop waits for the release after 1.6.0.
    let out = run(p, &["plan"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("the last release whose code predates 1.4.1"),
        "{}",
        stdout(&out)
    );
    assert_eq!(nickname_dropped_in(p), None);
    fs::write(
        p.join("changes/0005_after.toml"),
        common::select_one("1.7.0"),
    )
    .unwrap();
    assert_eq!(nickname_dropped_in(p).as_deref(), Some("1.7.0"));
    let out = run(p, &["generate"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // 1.6.0 is the first release whose code can know of the hotfix: its contract says
    // to stop using nickname; 1.5.0's, frozen before it, does not.
    let contract = |release: &str| {
        let out = run(p, &["code-contract", release, "--format", "json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["stops_using"].clone()
    };
    let nickname = serde_json::json!([{"table": "users", "column": "nickname"}]);
    assert_eq!(contract("1.4.1"), nickname);
    assert_eq!(contract("1.5.0"), serde_json::json!([]));
    assert_eq!(contract("1.6.0"), nickname);
    assert_eq!(contract("1.7.0"), serde_json::json!([]));

    // Asking for the drop under 1.5.0's rollback is refused, naming why.
    let pinned = format!("{DROP_NICK_141}contract_release = \"1.6.0\"\n");
    fs::write(p.join("changes/0003_hotfix.toml"), pinned).unwrap();
    let out = run(p, &["plan"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stdout(&out) + &stderr(&out);
    assert!(
        err.contains("1.5.0 was cut before the hotfix 1.4.1") && err.contains("contract(1.7.0)"),
        "{err}"
    );
    fs::write(p.join("changes/0003_hotfix.toml"), DROP_NICK_141).unwrap();

    // Production: the column stays through contract(1.6.0), whose rollback target is
    // 1.5.0, and goes in contract(1.7.0).
    let url = format!("sqlite://{}", p.join("production.db").display());
    let has_nickname = |url: &str| {
        let mut db = common::connect(url, p);
        db.query_text("SELECT nickname FROM users").is_ok()
    };
    for (release, present) in [("1.6.0", true), ("1.7.0", false)] {
        let out = migrate(p, &url, release, "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(has_nickname(&url), present, "after contract({release})");
    }
}

/// A lock written before hotfixes waited for the releases cut before them may hold a
/// hotfix's drop frozen in contract(1.6.0), the release after the one cut before the
/// hotfix: it stays there, as every frozen file does, rather than refusing the project.
#[test]
fn a_hotfix_drop_frozen_by_an_earlier_lock_stays_where_it_was_cut() {
    let pinned = format!("{DROP_NICK_141}contract_release = \"1.6.0\"\n");
    let dir = users_project(
        "sqlite",
        &[
            ("0001_score.toml", ADD_SCORE_140),
            ("0002_bio.toml", ADD_BIO_150),
            ("0003_hotfix.toml", &pinned),
            ("0004_next.toml", &common::select_one("1.6.0")),
        ],
    );
    let p = dir.path();
    assert!(run(p, &["release", "cut", "1.6.0"]).status.success());
    // As the earlier tandem wrote it: 1.5.0 cut first, then 1.4.1 with 1.6.0.
    let lock = fs::read_to_string(p.join("tandem.lock")).unwrap();
    let blocks: Vec<&str> = lock.split("[[release]]").collect();
    let position = |name: &str| {
        blocks
            .iter()
            .position(|b| b.contains(&format!("name = \"{name}\"")))
            .unwrap()
    };
    let (hotfix, cut_first) = (position("1.4.1"), position("1.5.0"));
    let mut reordered: Vec<&str> = blocks.clone();
    reordered.swap(hotfix, cut_first);
    fs::write(p.join("tandem.lock"), reordered.join("[[release]]")).unwrap();

    let out = run(p, &["check"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(nickname_dropped_in(p).as_deref(), Some("1.6.0"));
}
