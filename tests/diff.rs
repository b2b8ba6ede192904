//! `tandem diff`: drift of a live database against the plan at its applied point, and the
//! declarative path (a desired schema -> the change file that reaches it), whose proposal
//! plans, applies on a real database, and reads back as the desired schema.

mod common;

use std::fs;
use std::path::Path;

use common::{stderr, stdout, tandem, users_project, Server, INCIDENT};
use tandem::apply::database::{Database, Target};

fn run(p: &Path, args: &[&str]) -> std::process::Output {
    tandem(p).args(args).output().unwrap()
}

#[test]
fn diff_finds_what_was_changed_by_hand() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), INCIDENT);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        assert!(run(
            p,
            &[
                "migrate",
                "--release",
                "1.5.0",
                "--phase",
                "expand",
                "--database-url",
                &url
            ]
        )
        .status
        .success());
        let clean = run(p, &["diff", "--database-url", &url]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "{}: {}{}",
            server.dialect(),
            stdout(&clean),
            stderr(&clean)
        );
        assert!(
            stdout(&clean).contains("expand(1.5.0)"),
            "{}",
            stdout(&clean)
        );

        let mut db = Database::connect(&Target::parse(&url, p).unwrap()).unwrap();
        db.run_script("ALTER TABLE users ADD COLUMN hand_made integer")
            .unwrap();
        db.run_script("CREATE INDEX hand_idx ON users (email)")
            .unwrap();
        let drift = run(p, &["diff", "--database-url", &url]);
        assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
        let text = stdout(&drift);
        assert!(
            text.contains("users.hand_made exists in the database"),
            "{}: {text}",
            server.dialect()
        );
        assert!(
            text.contains("index hand_idx"),
            "{}: {text}",
            server.dialect()
        );
    }
}

const DESIRED: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(320)" }
bio = { type = "text", nullable = true }
handle = { type = "text", nullable = true }
age = { type = "integer", nullable = true }

[[tables.users.indexes]]
name = "users_age_idx"
columns = ["age"]

[tables.teams]
primary_key = ["id"]
[tables.teams.columns]
id = { type = "bigint" }
name = { type = "varchar(80)", default = "team" }
"#;

#[test]
fn a_proposed_change_plans_applies_and_reaches_the_desired_schema() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), INCIDENT);
        let p = dir.path();
        fs::write(p.join("desired.toml"), DESIRED).unwrap();
        let desired = p.join("desired.toml");
        let desired = desired.to_str().unwrap();
        let out = run(
            p,
            &[
                "diff",
                "--to",
                desired,
                "--release",
                "1.6.0",
                "--rename",
                "users.nickname=handle",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let proposal = stdout(&out);
        assert!(proposal.contains("type = \"rename_column\""), "{proposal}");
        assert!(
            !proposal.contains("column = \"handle\"\n") || proposal.contains("to = \"handle\""),
            "{proposal}"
        );
        fs::write(p.join("changes/0009_proposed.toml"), &proposal).unwrap();
        // A later release makes the drops' contract known.
        fs::write(
            p.join("changes/0010_next.toml"),
            "release = \"1.7.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
        )
        .unwrap();
        let generate = run(p, &["generate"]);
        assert!(
            generate.status.success(),
            "{}: {}\n{proposal}",
            server.dialect(),
            stderr(&generate)
        );
        let url = common::database_url(server, &scratch, p);
        let out = run(
            p,
            &[
                "migrate",
                "--release",
                "1.7.0",
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );

        // Read back, the database is the desired schema.
        let read = run(p, &["introspect", "--database-url", &url]);
        let text = stdout(&read);
        let parsed = tandem::parse::schema::parse_schema(&tandem::diag::SourceFile::new(
            "read.toml",
            text.clone(),
        ))
        .unwrap();
        let want = tandem::parse::schema::parse_schema(&tandem::diag::SourceFile::new(
            "desired.toml",
            DESIRED.to_string(),
        ))
        .unwrap();
        for table in want.tables.values() {
            let got = parsed
                .tables
                .get(&table.name)
                .unwrap_or_else(|| panic!("{}: no {}\n{text}", server.dialect(), table.name));
            let names = |t: &tandem::model::Table| {
                t.columns
                    .iter()
                    .map(|c| (c.name.clone(), c.nullable))
                    .collect::<Vec<_>>()
            };
            let mut a = names(got);
            let mut b = names(table);
            a.sort();
            b.sort();
            assert_eq!(a, b, "{}: {}\n{text}", server.dialect(), table.name);
        }
        assert!(parsed.indexes.contains_key("users_age_idx"), "{text}");
        // Nothing more to propose.
        fs::remove_file(p.join("changes/0010_next.toml")).unwrap();
        let again = run(p, &["diff", "--to", desired, "--release", "1.8.0"]);
        assert_eq!(again.status.code(), Some(2), "{}", stdout(&again));
    }
}
