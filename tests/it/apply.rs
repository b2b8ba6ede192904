//! Every example applied for real with `migrate`, on SQLite, PostgreSQL and MariaDB, each
//! test on a fresh database; between the steps, the INSERT and SELECT of the code on
//! both sides of the release (and the read-back of renames) must succeed. Then `verify`
//! rehearses the same plan on each server.

use crate::common;

use common::{database_url, example_for, stderr, stdout, tandem, Server};
use tandem::layout;
use tandem::project::Project;
use tandem::verify::probe_database;

/// Migrates `example` release by release on `server`, probing after every step.
fn migrate_step_by_step(example: &str, server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = example_for(example, server.dialect());
    let url = database_url(server, &scratch, dir.path());
    let project = Project::load(dir.path()).unwrap();
    let plan = layout::build_plan(&project).unwrap();
    assert!(plan.problems.is_empty());

    for r in 0..plan.releases.len() {
        let release = plan.releases.name(r);
        for phase in ["expand", "contract"] {
            let out = common::migrate(dir.path(), &url, release, phase);
            assert!(
                out.status.success(),
                "{example} on {server:?}: migrate {phase}({release}) failed:\n{}",
                stderr(&out)
            );
            let mut db = common::connect(&url, dir.path());
            for (code, result) in probe_database(&mut db, &plan, r) {
                if let Err(e) = result {
                    panic!("{example} on {server:?}, {phase}({release}), code of {code}: {e}");
                }
            }
        }
    }

    // A second run applies nothing, and status sees every file applied.
    let last = plan.releases.name(plan.releases.len() - 1);
    let out = common::migrate(dir.path(), &url, last, "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("nothing to apply"),
        "{}",
        stdout(&out)
    );

    let out = tandem(dir.path())
        .args(["status", "--format", "json", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["not_applied"], serde_json::json!([]), "{status}");
    assert_eq!(status["baseline"], "applied");
    for release in status["releases"].as_array().unwrap() {
        for phase in ["expand", "contract"] {
            assert!(
                release[phase] == "applied" || release[phase] == "empty",
                "{status}"
            );
        }
    }
}

/// `verify` on a scratch database of `server` passes for the example.
fn verify_passes(example: &str, server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = example_for(example, server.dialect());
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "verify {example} on {server:?}:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("ok: all"), "{text}");
    assert!(!text.contains("FAILED"), "{text}");
}

macro_rules! on_every_server {
    ($($name:ident: $example:literal, $server:expr;)*) => {
        $(
            mod $name {
                use super::*;

                #[test]
                fn migrates_step_by_step_with_probes() {
                    migrate_step_by_step($example, $server);
                }

                #[test]
                fn verify_passes_on_a_scratch_database() {
                    verify_passes($example, $server);
                }
            }
        )*
    };
}

on_every_server! {
    incident_sqlite: "incident", Server::Sqlite;
    incident_postgres: "incident", Server::Postgres;
    incident_mysql: "incident", Server::Mysql;
    shop_sqlite: "shop", Server::Sqlite;
    shop_postgres: "shop", Server::Postgres;
    shop_mysql: "shop", Server::Mysql;
    // Postgres-native types, identity, an enum and partial indexes: Postgres only.
    pgnative_postgres: "pgnative", Server::Postgres;
}
