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
    let text = stdout(&run(p, &["plan"]));
    let at_141 = text.find("release 1.4.1").unwrap();
    assert!(
        text.find("release 1.4.0").unwrap() < at_141
            && at_141 < text.find("release 1.5.0").unwrap(),
        "{text}"
    );
}
