//! `tandem diff`: drift of a live database against the plan at its applied point, and the
//! declarative path (a desired schema -> the change file that reaches it), whose proposal
//! plans, applies on a real database, and reads back as the desired schema.

use crate::common;

use std::fs;

use common::normal::{normal, unordered};
use common::{
    migrate, parse_schema, parse_schema_for, run, select_one, stderr, stdout, users_project,
    Server, INCIDENT,
};

/// A project of `dialect` over `schema` whose one change, of release 1.0.0, runs
/// `SELECT 1`; its files generated.
fn at_first_release(dialect: &str, schema: &str) -> tempfile::TempDir {
    common::project_with(
        dialect,
        schema,
        &[("0001_start.toml", &select_one("1.0.0"))],
    )
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
        assert!(migrate(p, &url, "1.5.0", "expand").status.success());
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

        let mut db = common::connect(&url, p);
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
        fs::write(p.join("changes/0010_next.toml"), select_one("1.7.0")).unwrap();
        let generate = run(p, &["generate"]);
        assert!(
            generate.status.success(),
            "{}: {}\n{proposal}",
            server.dialect(),
            stderr(&generate)
        );
        let url = common::database_url(server, &scratch, p);
        let out = migrate(p, &url, "1.7.0", "contract");
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );

        // Read back, the database is the desired schema.
        let text = common::introspect(p, &url)
            .unwrap_or_else(|e| panic!("{}: introspect: {e}", server.dialect()));
        let parsed = parse_schema("read.toml", &text).unwrap();
        let want = parse_schema("desired.toml", DESIRED).unwrap();
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
        assert!(!parsed.indexes_named("users_age_idx").is_empty(), "{text}");
        // Nothing more to propose.
        fs::remove_file(p.join("changes/0010_next.toml")).unwrap();
        let again = run(p, &["diff", "--to", desired, "--release", "1.8.0"]);
        assert_eq!(again.status.code(), Some(2), "{}", stdout(&again));
    }
}

/// The schema at release 1.0.0 of the projects below: every kind of thing a desired
/// schema may add, drop or change.
const START: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
nickname = { type = "text", nullable = true }
score = { type = "integer", default = 0 }
legacy = { type = "varchar(40)", nullable = true }

[[tables.users.constraints]]
type = "unique"
name = "users_email_key"
columns = ["email"]

[[tables.users.indexes]]
name = "users_score_idx"
columns = ["score"]

[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer", default = 1 }
note = { type = "varchar(40)", nullable = true }

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_fk"
columns = ["user_id"]
references = "users(id)"

[[tables.orders.constraints]]
type = "check"
name = "orders_quantity_positive"
check = "quantity > 0"

[tables.audit]
primary_key = ["id"]
[tables.audit.columns]
id = { type = "bigint" }
what = { type = "text" }
"#;

/// START with `users`' columns replaced by `users`, and `rest` (the other tables and
/// the keys) appended.
fn desired(users_columns: &str, users_keys: &str, rest: &str) -> String {
    format!(
        "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\n{users_columns}\n{users_keys}\n{rest}"
    )
}

const ORDERS: &str = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer", default = 1 }
note = { type = "varchar(40)", nullable = true }

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_fk"
columns = ["user_id"]
references = "users(id)"

[[tables.orders.constraints]]
type = "check"
name = "orders_quantity_positive"
check = "quantity > 0"
"#;

const AUDIT: &str = r#"
[tables.audit]
primary_key = ["id"]
[tables.audit.columns]
id = { type = "bigint" }
what = { type = "text" }
"#;

const USERS_KEYS: &str = r#"
[[tables.users.constraints]]
type = "unique"
name = "users_email_key"
columns = ["email"]

[[tables.users.indexes]]
name = "users_score_idx"
columns = ["score"]
"#;

/// The desired schemas, each with its rename hints: (what it changes, schema, hints).
fn scenarios(server: Server) -> Vec<(&'static str, String, Vec<&'static str>)> {
    // Columns: one added, one dropped, one widened, one relaxed with a new default, one
    // renamed by a hint.
    let columns = desired(
        "id = { type = \"bigint\" }\nemail = { type = \"varchar(320)\" }\nhandle = { type = \"text\", nullable = true }\nscore = { type = \"integer\", nullable = true, default = 5 }\nbio = { type = \"text\", nullable = true }\n",
        USERS_KEYS,
        &format!("{ORDERS}{AUDIT}"),
    );
    // Keys: an index dropped and one made with options, a unique key and a foreign key
    // added, a check and a foreign key dropped; a check added (MySQL adds a check only
    // by copying the table: tandem refuses that there).
    let partial = if server == Server::Mysql {
        ""
    } else {
        "where = \"score > 0\"\n"
    };
    let check = if server == Server::Mysql {
        ""
    } else {
        "\n[[tables.users.constraints]]\ntype = \"check\"\nname = \"users_score_small\"\ncheck = \"score < 1000\"\n"
    };
    let keys = desired(
        "id = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\nnickname = { type = \"text\", nullable = true }\nscore = { type = \"integer\", default = 0 }\nlegacy = { type = \"varchar(40)\", nullable = true }\n",
        &format!(
            "\n[[tables.users.constraints]]\ntype = \"unique\"\nname = \"users_email_key\"\ncolumns = [\"email\"]\n{check}\n[[tables.users.indexes]]\nname = \"users_email_score_idx\"\ncolumns = [\"email DESC\", \"score\"]\n{partial}"
        ),
        &format!(
            "{}{AUDIT}",
            r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer", default = 1 }
note = { type = "varchar(40)", nullable = true }

[[tables.orders.constraints]]
type = "unique"
name = "orders_note_key"
columns = ["note"]

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_cascade_fk"
columns = ["user_id"]
references = "users(id)"
on_delete = "cascade"
"#
        ),
    );
    // Tables: one dropped, one created with a foreign key, one renamed by a hint.
    let tables = desired(
        "id = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\nnickname = { type = \"text\", nullable = true }\nscore = { type = \"integer\", default = 0 }\nlegacy = { type = \"varchar(40)\", nullable = true }\n",
        USERS_KEYS,
        &(ORDERS
            .replace("orders", "purchases")
            .replace("purchases_user_fk", "orders_user_fk")
            .replace("purchases_quantity_positive", "orders_quantity_positive")
            + r#"
[tables.teams]
primary_key = ["id"]
[tables.teams.columns]
id = { type = "bigint" }
owner_id = { type = "bigint", nullable = true }
name = { type = "varchar(80)", default = "team" }

[[tables.teams.constraints]]
type = "foreign_key"
name = "teams_owner_fk"
columns = ["owner_id"]
references = "users(id)"
on_delete = "set null"
"#),
    );
    vec![
        ("columns", columns, vec!["users.nickname=handle"]),
        ("keys", keys, vec![]),
        ("tables", tables, vec!["orders=purchases"]),
    ]
}

/// For each desired schema, on each database: the project at 1.0.0 is applied; `diff
/// --to` proposes the change of 1.1.0; saved under changes/, it plans without a
/// problem, migrates through every phase, and the database reads back as the desired
/// schema.
#[test]
fn each_proposed_change_migrates_to_exactly_the_desired_schema() {
    for server in Server::ALL {
        for (what, want, hints) in scenarios(server) {
            let Some(scratch) = server.fresh() else {
                continue;
            };
            let label = format!("{} {what}", server.dialect());
            let dir = at_first_release(server.dialect(), START);
            let p = dir.path();
            let url = common::database_url(server, &scratch, p);
            let contract = |release: &str| migrate(p, &url, release, "contract");
            let out = contract("1.0.0");
            assert!(out.status.success(), "{label}: {}", stderr(&out));

            fs::write(p.join("desired.toml"), &want).unwrap();
            let desired_path = p.join("desired.toml");
            let mut args = vec![
                "diff",
                "--to",
                desired_path.to_str().unwrap(),
                "--release",
                "1.1.0",
            ];
            for h in &hints {
                args.extend(["--rename", h]);
            }
            let out = run(p, &args);
            assert!(out.status.success(), "{label}: {}", stderr(&out));
            let proposal = stdout(&out);
            fs::write(p.join("changes/0002_proposed.toml"), &proposal).unwrap();
            // A later release, so that the contract steps the change defers have a place.
            fs::write(p.join("changes/0003_next.toml"), select_one("1.2.0")).unwrap();
            let plan = run(p, &["plan"]);
            assert_eq!(
                plan.status.code(),
                Some(0),
                "{label}: {}{}\n{proposal}",
                stdout(&plan),
                stderr(&plan)
            );
            let generate = run(p, &["generate"]);
            assert!(
                generate.status.success(),
                "{label}: {}\n{proposal}",
                stderr(&generate)
            );
            for release in ["1.1.0", "1.2.0"] {
                let out = contract(release);
                assert!(
                    out.status.success(),
                    "{label} {release}: {}\n{proposal}",
                    stderr(&out)
                );
            }

            let text = common::introspect(p, &url).unwrap_or_else(|e| panic!("{label}: {e}"));
            let back =
                parse_schema("read.toml", &text).unwrap_or_else(|e| panic!("{label}: {e}\n{text}"));
            let wanted = parse_schema("desired.toml", &want).unwrap();
            let got = unordered(normal(&back, server));
            let want_normal = unordered(normal(&wanted, server));
            assert_eq!(
                got, want_normal,
                "{label}: the database is not the desired schema\n--- proposal:\n{proposal}\n--- read back:\n{text}"
            );
        }
    }
}

/// An index remade by hand without its options is drift: the plan's index sorts email
/// descending (and, where the dialect has partial indexes, covers only some rows).
#[test]
fn an_index_remade_by_hand_without_its_options_is_drift() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let partial = if server == Server::Mysql {
            ""
        } else {
            "where = \"id > 0\"\n"
        };
        let schema = format!(
            "{}\n[[tables.users.indexes]]\nname = \"users_email_idx\"\ncolumns = [\"email DESC\"]\n{partial}",
            common::USERS
        );
        let dir = at_first_release(server.dialect(), &schema);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));
        let clean = run(p, &["diff", "--database-url", &url]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "{}: {}",
            server.dialect(),
            stdout(&clean)
        );
        let mut db = common::connect(&url, p);
        let drop = if server == Server::Mysql {
            "DROP INDEX users_email_idx ON users"
        } else {
            "DROP INDEX users_email_idx"
        };
        db.run_script(drop).unwrap();
        db.run_script("CREATE INDEX users_email_idx ON users (email)")
            .unwrap();
        let drift = run(p, &["diff", "--database-url", &url]);
        assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
        let text = stdout(&drift);
        assert!(
            text.contains("index users_email_idx of users: its DESC columns"),
            "{}: {text}",
            server.dialect()
        );
        if server != Server::Mysql {
            assert!(
                text.contains("its `where` is None in the database"),
                "{}: {text}",
                server.dialect()
            );
        }
    }
}

/// A comment changed or dropped by hand is drift, and a database whose comments are not
/// schema.toml's is not adopted; SQLite keeps none and is not asked.
#[test]
fn a_comment_changed_by_hand_is_drift_and_is_not_adopted() {
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let schema = common::USERS.replace(
            "primary_key = [\"id\"]\n",
            "primary_key = [\"id\"]\ncomment = \"who signs in\"\n",
        ) + "\n";
        let schema = schema.replace(
            "nickname     = { type = \"text\", nullable = true }",
            "nickname     = { type = \"text\", nullable = true, comment = \"shown to others\" }",
        );
        assert!(schema.contains("shown to others"), "{schema}");
        let dir = at_first_release(server.dialect(), &schema);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));
        let clean = run(p, &["diff", "--database-url", &url]);
        assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
        let mut db = common::connect(&url, p);
        let by_hand = if server == Server::Mysql {
            "ALTER TABLE users COMMENT = 'someone'; \
             ALTER TABLE users MODIFY nickname text NULL"
        } else {
            "COMMENT ON TABLE users IS 'someone'; COMMENT ON COLUMN users.nickname IS NULL"
        };
        db.run_script(by_hand).unwrap();
        let drift = run(p, &["diff", "--database-url", &url]);
        assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
        let text = stdout(&drift);
        for want in [
            "the comment of table users is \"someone\" in the database but \"who signs in\" in the plan",
            "the comment of column users.nickname is none in the database but \"shown to others\" in the plan",
        ] {
            assert!(text.contains(want), "{}: {text}", server.dialect());
        }
        drop(db);
        let out = common::adopt(p, &url, "1.0.0", "expand");
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(
                "the comment of table users is \"someone\" in the database but \"who signs in\" in schema.toml"
            ),
            "{}",
            stderr(&out)
        );
    }
}

/// Enums: `diff --to` proposes a new enum, a value appended and a value removed (the
/// removal placed by the rule in a later contract), which migrate to exactly the
/// desired schema on Postgres and MariaDB (where an enum is its column's, named
/// `<table>_<column>` when read back). A column becoming identity is named as what no op
/// does, never proposed as a default change.
#[test]
fn enum_changes_are_proposed_and_migrate_to_the_desired_schema() {
    let start = "[enums.tickets_state]\nvalues = [\"open\", \"closed\", \"spam\"]\n\n[tables.tickets]\nprimary_key = [\"id\"]\n\n[tables.tickets.columns]\nid = { type = \"bigint\" }\nstate = { type = \"tickets_state\", default = \"open\" }\n";
    let want = "[enums.tickets_state]\nvalues = [\"open\", \"closed\", \"archived\"]\n\n[enums.tickets_mood]\nvalues = [\"calm\", \"it's bad\"]\n\n[tables.tickets]\nprimary_key = [\"id\"]\n\n[tables.tickets.columns]\nid = { type = \"bigint\" }\nstate = { type = \"tickets_state\", default = \"open\" }\nmood = { type = \"tickets_mood\", nullable = true }\n";
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let label = server.dialect();
        let dir = at_first_release(server.dialect(), start);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let contract = |release: &str| migrate(p, &url, release, "contract");
        let out = contract("1.0.0");
        assert!(out.status.success(), "{label}: {}", stderr(&out));

        // Identity is noticed, and not proposed as anything else.
        let identity = want.replace(
            "id = { type = \"bigint\" }",
            "id = { type = \"bigint\", identity = true }",
        );
        fs::write(p.join("identity.toml"), &identity).unwrap();
        let path = p.join("identity.toml");
        let out = run(
            p,
            &["diff", "--to", path.to_str().unwrap(), "--release", "1.1.0"],
        );
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("# not proposed: tickets.id becomes identity"),
            "{label}: {text}"
        );
        assert!(!text.contains("drop_default"), "{label}: {text}");

        fs::write(p.join("desired.toml"), want).unwrap();
        let path = p.join("desired.toml");
        let out = run(
            p,
            &["diff", "--to", path.to_str().unwrap(), "--release", "1.1.0"],
        );
        assert!(out.status.success(), "{label}: {}", stderr(&out));
        let proposal = stdout(&out);
        for op in [
            "type = \"create_enum\"\nenum = \"tickets_mood\"",
            "type = \"add_enum_value\"\nenum = \"tickets_state\"\nvalue = \"archived\"",
            "type = \"drop_enum_value\"\nenum = \"tickets_state\"\nvalue = \"spam\"",
        ] {
            assert!(proposal.contains(op), "{label}: {op}\n{proposal}");
        }
        assert!(!proposal.contains("alter_column"), "{label}: {proposal}");
        fs::write(p.join("changes/0002_proposed.toml"), &proposal).unwrap();
        fs::write(p.join("changes/0003_next.toml"), select_one("1.2.0")).unwrap();
        let generate = run(p, &["generate"]);
        assert!(
            generate.status.success(),
            "{label}: {}\n{proposal}",
            stderr(&generate)
        );
        for release in ["1.1.0", "1.2.0"] {
            let out = contract(release);
            assert!(
                out.status.success(),
                "{label} {release}: {}\n{proposal}",
                stderr(&out)
            );
        }
        let text = common::introspect(p, &url).unwrap_or_else(|e| panic!("{label}: {e}"));
        let parse = |name: &str, text: &str| {
            parse_schema_for(server, name, text).unwrap_or_else(|e| panic!("{label}: {e}\n{text}"))
        };
        assert_eq!(
            unordered(normal(&parse("read.toml", &text), server)),
            unordered(normal(&parse("desired.toml", want), server)),
            "{label}: the database is not the desired schema\n--- proposal:\n{proposal}\n--- read back:\n{text}"
        );
    }
}

/// `diff --to desired > changes/x.toml`: the shell makes the empty file before tandem
/// reads the project, and `--out` writes the file itself, never over a written one.
#[test]
fn a_proposal_goes_into_the_changes_directory_through_a_redirect_or_out() {
    let dir = users_project("sqlite", &[]);
    let p = dir.path();
    let desired = p.join("desired.toml");
    let schema = std::fs::read_to_string(p.join("schema.toml")).unwrap();
    std::fs::write(
        &desired,
        schema.replace(
            "[tables.users.columns]",
            "[tables.users.columns]\nbio = { type = \"text\", nullable = true }",
        ),
    )
    .unwrap();
    let target = p.join("changes/0009_bio.toml");
    std::fs::write(&target, "").unwrap();
    let desired = desired.to_str().unwrap();
    let printed = run(p, &["diff", "--to", desired, "--release", "1.0.0"]);
    assert!(printed.status.success(), "{}", stderr(&printed));
    assert!(stdout(&printed).contains("bio"), "{}", stdout(&printed));

    let out = target.to_str().unwrap();
    let written = run(
        p,
        &["diff", "--to", desired, "--release", "1.0.0", "--out", out],
    );
    assert!(written.status.success(), "{}", stderr(&written));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), stdout(&printed));
    let plan = run(p, &["plan"]);
    assert!(plan.status.success(), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("bio"), "{}", stdout(&plan));

    // A written file is kept: the second proposal has nothing to add, and even one
    // with something to add would not replace it.
    let again = run(
        p,
        &["diff", "--to", desired, "--release", "1.0.0", "--out", out],
    );
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), stdout(&printed));
    std::fs::write(p.join("changes/0010_other.toml"), "").unwrap();
    let refused = run(
        p,
        &[
            "diff",
            "--to",
            desired,
            "--release",
            "1.0.0",
            "--out",
            target.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), stdout(&printed));
}

/// `[drift] ignore` leaves out what a team chooses not to manage: whole tables, and a
/// table's columns, indexes or foreign keys by name; what it does not name is drift.
#[test]
fn drift_leaves_out_what_the_ignore_list_names() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), INCIDENT);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        assert!(migrate(p, &url, "1.5.0", "expand").status.success());
        let mut db = common::connect(&url, p);
        db.run_script("CREATE TABLE audit_log (id integer PRIMARY KEY)")
            .unwrap();
        db.run_script("ALTER TABLE users ADD COLUMN hand_note integer")
            .unwrap();
        db.run_script("CREATE INDEX hand_idx ON users (email)")
            .unwrap();
        drop(db);
        let drift = run(p, &["diff", "--database-url", &url]);
        assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
        assert_eq!(stdout(&drift).lines().count(), 4, "{}", stdout(&drift));

        let toml = fs::read_to_string(p.join("tandem.toml")).unwrap();
        fs::write(
            p.join("tandem.toml"),
            format!("{toml}\n[drift]\nignore = [\"audit_*\", \"users.hand_*\"]\n"),
        )
        .unwrap();
        let clean = run(p, &["diff", "--database-url", &url]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "{}: {}{}",
            server.dialect(),
            stdout(&clean),
            stderr(&clean)
        );
        fs::write(
            p.join("tandem.toml"),
            format!("{toml}\n[drift]\nignore = [\"audit_*\"]\n"),
        )
        .unwrap();
        let partial = run(p, &["diff", "--database-url", &url]);
        assert_eq!(partial.status.code(), Some(1), "{}", stdout(&partial));
        assert!(
            !stdout(&partial).contains("audit_log"),
            "{}",
            stdout(&partial)
        );
        assert!(
            stdout(&partial).contains("hand_idx"),
            "{}",
            stdout(&partial)
        );
    }
}

/// A desired schema whose `[[objects]]` differ from the baseline's gets no op for them
/// (no op changes an object yet): each is named, so none is dropped in silence.
#[test]
fn objects_a_desired_schema_changes_are_named_not_proposed() {
    let table =
        "\n[tables.t]\nprimary_key = [\"id\"]\n[tables.t.columns]\nid = { type = \"bigint\" }\n";
    let view = |body: &str| {
        format!("[[objects]]\nkind = \"view\"\nname = \"v\"\nsql = \"CREATE VIEW v AS {body}\"\n")
    };
    let dir = at_first_release("postgres", &format!("{}{table}", view("SELECT id FROM t")));
    let p = dir.path();
    let desired = format!(
        "{}[[objects]]\nkind = \"sequence\"\nname = \"s\"\nsql = \"CREATE SEQUENCE s\"\n{table}",
        view("SELECT id + 1 AS id FROM t")
    );
    fs::write(p.join("desired.toml"), desired).unwrap();
    let desired = p.join("desired.toml");
    let out = run(
        p,
        &[
            "diff",
            "--to",
            desired.to_str().unwrap(),
            "--release",
            "1.1.0",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("view v changes its statement"), "{err}");
    assert!(err.contains("sequence s is new"), "{err}");
}
