//! Primary keys added and replaced, and comments on tables and columns: where the plan
//! places them, what the live database holds after `migrate` on each server, and the
//! input each refuses where it is written.

use crate::common;

use common::{stderr, stdout, tandem, Server};

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]
comment = "People who sign in"

[tables.users.columns]
id       = { type = "bigint" }
email    = { type = "varchar(255)", comment = "Where we write" }
score    = { type = "integer", default = 7 }
nickname = { type = "text", nullable = true }

[tables.events]
[tables.events.columns]
id     = { type = "bigint" }
source = { type = "varchar(40)" }
note   = { type = "text", nullable = true }
"#;

fn change(release: &str, ops: &str) -> String {
    format!("release = \"{release}\"\n\n[[op]]\n{ops}\n")
}

const NOOP: &str = "type = \"sql\"\nexpand = \"SELECT 1\"";

/// The phase of each step description of the plan, as `phase(release): description`.
fn placements(dir: &std::path::Path) -> Vec<String> {
    let out = tandem(dir)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mut found = Vec::new();
    for release in plan["releases"].as_array().unwrap() {
        for phase in ["expand", "contract"] {
            for file in release[phase].as_array().unwrap() {
                for step in file["steps"].as_array().unwrap() {
                    found.push(format!(
                        "{phase}({}): {}",
                        release["name"].as_str().unwrap(),
                        step["description"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn a_key_over_columns_older_code_writes_waits_for_a_later_contract_and_comments_go_in_expand() {
    let key = "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]\n\n[[op]]\ntype = \"set_comment\"\ntable = \"events\"\ncolumn = \"note\"\ncomment = \"Free text\"\n\n[[op]]\ntype = \"create_table\"\ntable = \"tags\"\ncolumns = { id = { type = \"bigint\" }, label = { type = \"text\" } }\n\n[[op]]\ntype = \"add_primary_key\"\ntable = \"tags\"\ncolumns = [\"id\"]";
    let (c1, c2, c3) = (
        change("1.0.0", NOOP),
        change("1.1.0", key),
        change("1.2.0", NOOP),
    );
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[
            ("0001_a.toml", &c1),
            ("0002_key.toml", &c2),
            ("0003_c.toml", &c3),
        ],
    );
    let steps = placements(dir.path());
    let find = |needle: &str| {
        steps
            .iter()
            .find(|s| s.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in {steps:#?}"))
            .clone()
    };
    // 1.0.0's code writes events.id: the key could break its inserts until it is gone.
    assert!(
        find("primary key of events").starts_with("contract(1.2.0)"),
        "{steps:#?}"
    );
    // Only 1.1.0's code knows tags: at once.
    assert!(
        find("primary key of tags").starts_with("expand(1.1.0)"),
        "{steps:#?}"
    );
    assert!(
        find("comment of column events.note").starts_with("expand(1.1.0)"),
        "{steps:#?}"
    );

    // The change may assert that the older code already writes unique keys.
    let asserted = change("1.1.0", "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]\nold_code_complies = true");
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[("0001_a.toml", &c1), ("0002_key.toml", &asserted)],
    );
    let steps = placements(dir.path());
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("expand(1.1.0)") && s.contains("asserted by the change")),
        "{steps:#?}"
    );
}

#[test]
fn bad_keys_and_comments_are_refused_where_they_are_written() {
    let cases = [
        (
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"note\"]",
            "0002_bad.toml:7:11",
            "primary key column `events.note` is nullable",
        ),
        (
            "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]",
            "0002_bad.toml:6:9",
            "set `replace = true`",
        ),
        (
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"idd\"]",
            "0002_bad.toml:7:11",
            "did you mean `id`?",
        ),
        (
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"email\"",
            "0002_bad.toml:4:1",
            "is missing `comment`",
        ),
        (
            "type = \"set_comment\"\ntable = \"users\"\ncomment = 3",
            "0002_bad.toml:7:11",
            "must be a string",
        ),
        (
            "type = \"set_coment\"\ntable = \"users\"\ncomment = \"x\"",
            "0002_bad.toml:5:8",
            "did you mean `set_comment`?",
        ),
        (
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true, coment = \"x\" }",
            "0002_bad.toml:7:58",
            "did you mean `comment`?",
        ),
    ];
    for (op, at, message) in cases {
        let c1 = change("1.0.0", NOOP);
        let bad = format!("# a change\nrelease = \"1.1.0\"\n\n[[op]]\n{op}\n");
        let dir = common::project_files(
            "postgres",
            SCHEMA,
            &[("0001_a.toml", &c1), ("0002_bad.toml", &bad)],
        );
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{op}: {err}");
        assert!(err.contains(at), "{op}: expected {at}\n{err}");
        assert!(err.contains(message), "{op}: expected {message}\n{err}");
    }
}

#[test]
fn mysql_refuses_a_comment_it_would_read_by_the_session_settings_at_plan_time() {
    let c1 = change(
        "1.0.0",
        "type = \"set_comment\"\ntable = \"users\"\ncomment = \"Personnes inscrites, événements\"",
    );
    let dir = common::project_files("mysql", SCHEMA, &[("0001_comment.toml", &c1)]);
    let out = tandem(dir.path()).arg("plan").output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("changes/0001_comment.toml"), "{text}");
    assert!(text.contains("set_comment"), "{text}");
    assert!(text.contains("plain string literal"), "{text}");
    // The same comment is kept by Postgres (and by SQLite's model).
    for dialect in ["postgres", "sqlite"] {
        let dir = common::project_files(dialect, SCHEMA, &[("0001_comment.toml", &c1)]);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        assert!(out.status.success(), "{dialect}: {}", stderr(&out));
    }
}

/// The live database after `migrate`, as `introspect` reads it.
fn introspected(dir: &std::path::Path, url: &str) -> String {
    let out = tandem(dir)
        .args(["introspect", "--database-url", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn keys_are_replaced_and_comments_kept_in_the_live_database_on_every_server() {
    let c1 = change(
        "1.0.0",
        "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]\nreplace = true\nold_code_complies = true\n\n[[op]]\ntype = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"source\", \"id\"]\nold_code_complies = true\n\n[[op]]\ntype = \"set_comment\"\ntable = \"users\"\ncolumn = \"score\"\ncomment = \"Points\"\n\n[[op]]\ntype = \"set_comment\"\ntable = \"users\"\ncolumn = \"email\"\nremove = true\n\n[[op]]\ntype = \"set_comment\"\ntable = \"events\"\ncomment = \"What happened\"",
    );
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(server.dialect(), SCHEMA, &[("0001_keys.toml", &c1)]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );
        let text = introspected(p, &url);
        let dialect = server.dialect();
        let users = &text[text.find("[tables.users]").unwrap()..];
        let events = &text[text.find("[tables.events]").unwrap()..];
        assert!(
            users.starts_with("[tables.users]\nprimary_key = [\"email\"]\n"),
            "{dialect}:\n{text}"
        );
        assert!(
            events.starts_with("[tables.events]\nprimary_key = [\"source\", \"id\"]\n"),
            "{dialect}:\n{text}"
        );
        // A comment change restates nothing else of the column: type, NOT NULL and
        // default are as they were.
        let (score, email, users_comment, events_comment) = if server == Server::Sqlite {
            (
                "score = { type = \"integer\", default = 7 }",
                "email = { type = \"varchar(255)\" }",
                None,
                None,
            )
        } else {
            (
                "score = { type = \"integer\", default = 7, comment = \"Points\" }",
                "email = { type = \"varchar(255)\" }",
                Some("comment = \"People who sign in\""),
                Some("comment = \"What happened\""),
            )
        };
        assert!(text.contains(score), "{dialect}:\n{text}");
        assert!(text.contains(email), "{dialect}:\n{text}");
        for (comment, table) in [(users_comment, users), (events_comment, events)] {
            let head = &table[..table.find(".columns]").unwrap()];
            match comment {
                Some(c) => assert!(head.contains(c), "{dialect}:\n{text}"),
                None => assert!(!head.contains("comment"), "{dialect}:\n{text}"),
            }
        }
        // Postgres: the helper index became the key, under the key's default name.
        if server == Server::Postgres {
            let target = tandem::apply::database::Target::parse(&url, p).unwrap();
            let mut db = tandem::apply::database::Database::connect(&target).unwrap();
            let rows = db
                .query_text(
                    "SELECT conname FROM pg_constraint WHERE contype = 'p' \
                     AND conrelid = '\"users\"'::regclass",
                )
                .unwrap();
            assert_eq!(rows, vec![vec![Some("users_pkey".to_string())]]);
            let helpers = db
                .query_text("SELECT relname FROM pg_class WHERE relname LIKE 'tandem_pkey%'")
                .unwrap();
            assert!(helpers.is_empty(), "{helpers:?}");
        }
    }
}

#[test]
fn a_key_over_duplicate_rows_fails_its_step_and_keeps_the_old_key_on_every_server() {
    let c0 = change("0.9.0", NOOP);
    let c1 = change(
        "1.0.0",
        "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"score\"]\nreplace = true\nold_code_complies = true",
    );
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(
            server.dialect(),
            SCHEMA,
            &[("0000_noop.toml", &c0), ("0001_keys.toml", &c1)],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let migrate = |release: &str, phase: &str| common::migrate(p, &url, release, phase);
        let out = migrate("0.9.0", "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        let target = tandem::apply::database::Target::parse(&url, p).unwrap();
        let mut db = tandem::apply::database::Database::connect(&target).unwrap();
        db.run_script(
            "INSERT INTO users (id, email, score) VALUES (1, 'a@example.com', 5);
             INSERT INTO users (id, email, score) VALUES (2, 'b@example.com', 5);",
        )
        .unwrap();
        let out = migrate("1.0.0", "expand");
        assert!(
            !out.status.success(),
            "{}: a duplicate key was accepted",
            server.dialect()
        );
        let text = introspected(p, &url);
        assert!(
            text.contains("[tables.users]\nprimary_key = [\"id\"]\n"),
            "{}:\n{text}",
            server.dialect()
        );
    }
}

#[test]
fn diff_proposes_keys_and_comments_that_apply_and_read_back_on_every_server() {
    let desired = SCHEMA
        .replace(
            "[tables.events]\n",
            "[tables.events]\nprimary_key = [\"id\"]\ncomment = \"What happened\"\n",
        )
        .replace(
            "email    = { type = \"varchar(255)\", comment = \"Where we write\" }",
            "email    = { type = \"varchar(255)\" }",
        )
        .replace(
            "source = { type = \"varchar(40)\" }",
            "source = { type = \"varchar(40)\", comment = \"Who sent it\" }",
        );
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let c0 = change("1.0.0", NOOP);
        let dir = common::project_with(server.dialect(), SCHEMA, &[("0001_noop.toml", &c0)]);
        let p = dir.path();
        let to = p.join("desired.toml");
        std::fs::write(&to, &desired).unwrap();
        let out = tandem(p)
            .args(["diff", "--release", "1.1.0", "--to"])
            .arg(&to)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let proposal = stdout(&out);
        for needle in [
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]",
            "type = \"set_comment\"\ntable = \"events\"\ncomment = \"What happened\"",
            "type = \"set_comment\"\ntable = \"events\"\ncolumn = \"source\"\ncomment = \"Who sent it\"",
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"email\"\nremove = true",
        ] {
            assert!(proposal.contains(needle), "{needle}\n{proposal}");
        }
        std::fs::write(p.join("changes/0002_reach.toml"), &proposal).unwrap();
        // The key waits for contract(1.2.0): 1.0.0's code writes events.id.
        std::fs::write(p.join("changes/0003_next.toml"), change("1.2.0", NOOP)).unwrap();
        let out = tandem(p).arg("generate").output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.2.0", "contract");
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );
        let text = introspected(p, &url);
        assert!(
            text.contains("[tables.events]\nprimary_key = [\"id\"]\n"),
            "{}:\n{text}",
            server.dialect()
        );
        if server != Server::Sqlite {
            for needle in [
                "comment = \"What happened\"",
                "source = { type = \"varchar(40)\", comment = \"Who sent it\" }",
                "email = { type = \"varchar(255)\" }",
            ] {
                assert!(
                    text.contains(needle),
                    "{}: {needle}\n{text}",
                    server.dialect()
                );
            }
        }
    }
}

#[test]
fn new_scaffolds_a_key_and_a_comment_that_check_accepts() {
    let c0 = change("1.0.0", NOOP);
    let dir = common::project_files("postgres", SCHEMA, &[("0001_noop.toml", &c0)]);
    let p = dir.path();
    for args in [
        &["add-primary-key", "events", "--columns", "source,id"][..],
        &["set-comment", "events.note"][..],
        &["set-comment", "users"][..],
    ] {
        let out = tandem(p)
            .arg("new")
            .args(args)
            .args(["--release", "1.1.0"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let key = std::fs::read_to_string(p.join("changes/0002_add_primary_key_events.toml")).unwrap();
    assert!(key.contains("columns = [\"source\", \"id\"]"), "{key}");
    let out = tandem(p).arg("check").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A key needs its columns; a comment, a known column.
    let out = tandem(p)
        .args(["new", "add-primary-key", "events", "--release", "1.1.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--columns"), "{}", stderr(&out));
    let out = tandem(p)
        .args(["new", "set-comment", "events.nope", "--release", "1.1.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown column"), "{}", stderr(&out));
}

#[test]
fn a_comment_reads_back_byte_equal_on_every_server_that_keeps_one() {
    // Postgres takes any text (a backslash is written E'...'); MySQL a plain literal.
    for (server, text) in [
        (
            Server::Postgres,
            "It's a \\ path, 100% \"sure\"; naïve\ttab",
        ),
        (Server::Mysql, "It's 100% \"sure\"; -- not a comment"),
    ] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let ops = format!(
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"nickname\"\ncomment = {}\n\n[[op]]\ntype = \"set_comment\"\ntable = \"events\"\ncomment = {}",
            toml::Value::String(text.into()),
            toml::Value::String(text.into())
        );
        let c1 = change("1.0.0", &ops);
        let dir = common::project_with(server.dialect(), SCHEMA, &[("0001_c.toml", &c1)]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));
        let read = introspected(p, &url);
        let parsed = tandem::parse::schema::parse_schema(&tandem::diag::SourceFile::new(
            "introspected.toml",
            read.clone(),
        ))
        .unwrap();
        let users = parsed.table("users").unwrap();
        assert_eq!(
            users.column("nickname").unwrap().comment.as_deref(),
            Some(text),
            "{}:\n{read}",
            server.dialect()
        );
        assert_eq!(
            parsed.table("events").unwrap().comment.as_deref(),
            Some(text),
            "{}:\n{read}",
            server.dialect()
        );
    }
}

#[test]
fn a_commented_identity_column_keeps_its_numbering_on_every_server() {
    // A column's comment and its identity clause both sit in MySQL's column definition;
    // one must not replace the other.
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let small = if server == Server::Mysql {
            "mediumint unsigned"
        } else {
            "integer"
        };
        let schema = format!(
            "[tables.tokens]\nprimary_key = [\"id\"]\n\n[tables.tokens.columns]\n\
             id = {{ type = \"{small}\", identity = true, comment = \"Row number\" }}\n\
             label = {{ type = \"varchar(20)\", comment = \"It's shown\" }}\n"
        );
        let c1 = common::select_one("1.0.0");
        let dir = common::project_with(server.dialect(), &schema, &[("0001_noop.toml", &c1)]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let mut db = common::connect(&url, p);
        db.run_script(
            "INSERT INTO tokens (label) VALUES ('a'); INSERT INTO tokens (label) VALUES ('b')",
        )
        .unwrap();
        let ids = db.query_text("SELECT id FROM tokens ORDER BY id").unwrap();
        assert_eq!(
            ids,
            vec![vec![Some("1".to_string())], vec![Some("2".to_string())]],
            "{server:?}"
        );
        let text = introspected(p, &url);
        let id_line = text.lines().find(|l| l.starts_with("id = ")).unwrap();
        assert!(id_line.contains("identity = true"), "{server:?}: {id_line}");
        if server != Server::Sqlite {
            assert!(
                id_line.contains("comment = \"Row number\""),
                "{server:?}: {id_line}"
            );
        }
    }
}

/// MySQL numbers an AUTO_INCREMENT column only while an index leads with it: a key
/// replaced away from such a column keeps it keyed (an index made before the key is
/// dropped), so the replace applies on MariaDB with rows in the table, inserts are still
/// numbered, and drift sees the index in the model.
#[test]
fn a_key_replaced_away_from_an_auto_increment_column_keeps_it_keyed_on_mariadb() {
    let schema = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id   = { type = "bigint", identity = true }
kind = { type = "varchar(10)" }
code = { type = "varchar(20)" }

[tables."line-items"]
primary_key = ["id", "kind"]
[tables."line-items".columns]
id   = { type = "bigint", identity = true }
kind = { type = "varchar(10)" }
"#;
    let c1 = change(
        "1.0.0",
        "type = \"add_primary_key\"\ntable = \"orders\"\ncolumns = [\"code\"]\nreplace = true\nold_code_complies = true\n\n[[op]]\ntype = \"add_primary_key\"\ntable = \"line-items\"\ncolumns = [\"kind\", \"id\"]\nreplace = true\nold_code_complies = true",
    );
    let c0 = change("0.9.0", NOOP);
    let changes = [
        ("0000_noop.toml", c0.as_str()),
        ("0001_keys.toml", c1.as_str()),
    ];
    let dir = common::project_with("mysql", schema, &changes);
    let plan = stdout(&tandem(dir.path()).arg("plan").output().unwrap());
    assert!(plan.contains("keeps it keyed"), "{plan}");
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = common::migrate(p, &url, "0.9.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let target = tandem::apply::database::Target::parse(&url, p).unwrap();
    let mut db = tandem::apply::database::Database::connect(&target).unwrap();
    db.run_script("INSERT INTO orders (kind, code) VALUES ('a', 'p'), ('b', 'q')")
        .unwrap();
    db.run_script("INSERT INTO `line-items` (kind) VALUES ('a'), ('b')")
        .unwrap();
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = tandem(p)
        .args(["diff", "--database-url", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    db.run_script("INSERT INTO orders (kind, code) VALUES ('a', 'x'), ('b', 'y')")
        .unwrap();
    db.run_script("INSERT INTO `line-items` (kind) VALUES ('a'), ('a')")
        .unwrap();
    let rows = db.query_text("SELECT id FROM orders ORDER BY id").unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.windows(2).all(|w| w[0][0] != w[1][0]), "{rows:?}");
    let keys = db
        .query_text("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'PRIMARY' AND column_name = 'code'")
        .unwrap();
    assert_eq!(keys[0][0].as_deref(), Some("1"), "{keys:?}");
}

/// The last index that leads with an AUTO_INCREMENT column cannot be dropped on MySQL
/// (error 1075 at apply): the plan refuses it, exit 1, naming the column; with another
/// index over the column first, the same drop is planned.
#[test]
fn the_last_index_over_an_auto_increment_column_is_not_dropped_on_mysql() {
    let schema = "[tables.orders]\nprimary_key = [\"code\"]\n[tables.orders.columns]\nid = { type = \"bigint\", identity = true }\ncode = { type = \"varchar(20)\" }\n\n[[tables.orders.indexes]]\nname = \"orders_by_id\"\ncolumns = [\"id\"]\n\n[[tables.orders.constraints]]\ntype = \"unique\"\nname = \"orders_id_code\"\ncolumns = [\"id\", \"code\"]\n";
    let drop_both = change(
        "1.0.0",
        "type = \"drop_index\"\nname = \"orders_by_id\"\n\n[[op]]\ntype = \"drop_constraint\"\nname = \"orders_id_code\"",
    );
    let dir = common::project_files("mysql", schema, &[("0001_drop.toml", &drop_both)]);
    let out = tandem(dir.path()).arg("plan").output().unwrap();
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("leaves the AUTO_INCREMENT column `orders.id` without an index"),
        "{text}"
    );
    assert!(text.contains("0001_drop.toml:9:"), "{text}");
    // One of them alone leaves the other.
    let drop_one = change("1.0.0", "type = \"drop_index\"\nname = \"orders_by_id\"");
    let dir = common::project_files("mysql", schema, &[("0001_drop.toml", &drop_one)]);
    tandem(dir.path()).arg("plan").assert().success();
    // Postgres has no such rule.
    let dir = common::project_files("postgres", schema, &[("0001_drop.toml", &drop_both)]);
    tandem(dir.path()).arg("plan").assert().success();
}

/// A key set by a tightening waits for a later contract; a replacement of it before that
/// contract would run first and be undone by it, leaving the database on another key than
/// the model. It is refused, naming the key; one release after that contract it applies,
/// and the database ends on the model's key.
#[test]
fn a_key_is_not_replaced_before_the_contract_that_sets_it() {
    let schema = "[tables.orders]\nprimary_key = [\"id\"]\n[tables.orders.columns]\nid = { type = \"bigint\" }\ncode = { type = \"varchar(20)\" }\n";
    let first = change(
        "1.0.0",
        "type = \"add_primary_key\"\ntable = \"orders\"\ncolumns = [\"code\"]\nreplace = true",
    );
    let second = |release: &str| {
        change(
            release,
            "type = \"add_primary_key\"\ntable = \"orders\"\ncolumns = [\"id\", \"code\"]\nreplace = true\nold_code_complies = true",
        )
    };
    let early = second("1.1.0");
    let dir = common::project_files(
        "postgres",
        schema,
        &[("0001_key.toml", &first), ("0002_again.toml", &early)],
    );
    let out = tandem(dir.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.contains("the primary key (code) of `orders` is not in the database yet"),
        "{text}"
    );
    assert!(text.contains("0002_again.toml:5:"), "{text}");

    let late = second("1.2.0");
    let middle = change("1.1.0", NOOP);
    let changes = [
        ("0001_key.toml", first.as_str()),
        ("0002_again.toml", late.as_str()),
        ("0003_middle.toml", middle.as_str()),
    ];
    let dir = common::project_with("postgres", schema, &changes);
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    let out = common::migrate(p, &url, "1.2.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(introspected(p, &url).contains("primary_key = [\"id\", \"code\"]"));
}

/// MySQL numbers an AUTO_INCREMENT column only while an index leads with it, and refuses
/// a CREATE TABLE without one (error 1075): where no primary or unique key leads with
/// it, the declared index that does is built inside the CREATE TABLE, in the baseline and
/// in a `create_table` op alike.
#[test]
fn an_auto_increment_column_keyed_by_a_secondary_index_is_created_on_mariadb() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let schema = "[tables.processes]\nprimary_key = [\"pid\", \"task\"]\n\n\
                  [tables.processes.columns]\nid = { type = \"bigint unsigned\", identity = true }\n\
                  pid = { type = \"integer\" }\ntask = { type = \"varchar(20)\" }\n\n\
                  [[tables.processes.indexes]]\nname = \"task\"\ncolumns = [\"task\"]\n\n\
                  [[tables.processes.indexes]]\nname = \"id\"\ncolumns = [\"id\"]\n";
    let create = "release = \"1.0.0\"\n\n[[op]]\ntype = \"create_table\"\ntable = \"jobs\"\n\
                  primary_key = [\"name\"]\ncolumns = { seq = { type = \"integer\", identity = true }, name = { type = \"varchar(20)\" } }\n\
                  indexes = [{ name = \"jobs_seq\", columns = [\"seq\"], unique = true }]\n";
    let dir = common::project_with("mysql", schema, &[("0001_jobs.toml", create)]);
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, p);
    db.run_script(
        "INSERT INTO processes (pid, task) VALUES (1, 'a'), (1, 'b');
         INSERT INTO jobs (name) VALUES ('x'), ('y');",
    )
    .unwrap();
    let ids = db
        .query_text("SELECT id FROM processes ORDER BY id")
        .unwrap();
    assert_eq!(ids, vec![vec![Some("1".into())], vec![Some("2".into())]]);
    let seqs = db.query_text("SELECT seq FROM jobs ORDER BY seq").unwrap();
    assert_eq!(seqs, vec![vec![Some("1".into())], vec![Some("2".into())]]);
    let drift = tandem(p)
        .args(["diff", "--database-url", &url])
        .output()
        .unwrap();
    assert!(drift.status.success(), "{}", stdout(&drift));
}
