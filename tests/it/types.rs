//! Native types, per-dialect mappings, identity and enums as input: what is refused is
//! refused where it is written (exit 2, file:line:col) with the nearest name or the
//! form to use.

use crate::common;

use std::fs;

use common::{tandem, Server};
use tempfile::TempDir;

fn project(dialect: &str, schema: &str, change: Option<&str>) -> TempDir {
    let dir = TempDir::new().unwrap();
    fs::write(
        dir.path().join("tandem.toml"),
        format!("dialect = \"{dialect}\"\n"),
    )
    .unwrap();
    fs::write(dir.path().join("schema.toml"), schema).unwrap();
    fs::create_dir_all(dir.path().join("changes")).unwrap();
    if let Some(text) = change {
        fs::write(dir.path().join("changes/0001_x.toml"), text).unwrap();
    }
    dir
}

const USERS: &str = "[tables.users]\nprimary_key = [\"id\"]\n\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"text\" }\n";

/// `plan`'s exit code and its stderr.
fn plan(dir: &TempDir) -> (Option<i32>, String) {
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    (out.status.code(), common::stderr(&out))
}

fn assert_all(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

fn add_column(ty: &str) -> String {
    format!(
        "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = {{ name = \"doc\", type = {ty}, nullable = true }}\n"
    )
}

#[test]
fn a_misspelled_native_type_gets_the_nearest_native_name() {
    let dir = project("postgres", USERS, Some(&add_column("\"jsnob\"")));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &[
            "changes/0001_x.toml:6:33",
            "unknown type `jsnob`",
            "did you mean `jsonb`?",
        ],
    );

    let schema = USERS.replace("type = \"text\"", "type = \"mediumtxt\"");
    let dir = project("mysql", &schema, None);
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["schema.toml:6:18", "did you mean `mediumtext`?"]);
}

#[test]
fn a_native_type_of_another_dialect_names_it_and_suggests_the_mapping() {
    let dir = project("mysql", USERS, Some(&add_column("\"jsonb\"")));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &[
            "changes/0001_x.toml:6:33",
            "`jsonb` is a type of postgres, not of mysql",
            "type = { postgres = \"jsonb\", mysql = \"...\" }",
        ],
    );
    // Arrays are Postgres's.
    let dir = project("sqlite", USERS, Some(&add_column("\"int[]\"")));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &[
            "changes/0001_x.toml:6:33",
            "type of postgres, not of sqlite",
        ],
    );
}

#[test]
fn a_mapping_is_read_for_each_dialect_and_needs_the_projects() {
    // A misspelling in another dialect's entry is still an error, pointing at it.
    let ty = "{ postgres = \"jsonb\", mysql = \"jsn\" }";
    let dir = project("postgres", USERS, Some(&add_column(ty)));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["changes/0001_x.toml:6:63", "did you mean `json`?"]);

    let dir = project(
        "sqlite",
        USERS,
        Some(&add_column("{ postgres = \"jsonb\", mysql = \"json\" }")),
    );
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &["changes/0001_x.toml:6:33", "names no type for sqlite"],
    );

    let dir = project(
        "sqlite",
        USERS,
        Some(&add_column("{ postgre = \"jsonb\" }")),
    );
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &["unknown dialect `postgre`", "did you mean `postgres`?"],
    );
}

#[test]
fn a_misspelled_enum_gets_the_nearest_enum() {
    let schema = format!("[enums.status]\nvalues = [\"a\", \"b\"]\n\n{USERS}");
    let dir = project("postgres", &schema, Some(&add_column("\"stauts\"")));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &[
            "changes/0001_x.toml:6:33",
            "unknown type `stauts`",
            "did you mean `status`?",
        ],
    );
    // A default that is not a value of the enum.
    let change = "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"state\", type = \"status\", default = \"c\" }\n";
    let dir = project("postgres", &schema, Some(change));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &[
            "changes/0001_x.toml:6:35",
            "enum status holds one of its values",
        ],
    );
}

#[test]
fn identity_is_refused_where_the_dialect_cannot_number_the_column() {
    // SQLite: only the whole primary key.
    let schema = "[tables.t]\nprimary_key = [\"id\", \"n\"]\n\n[tables.t.columns]\nid = { type = \"bigint\", identity = true }\nn = { type = \"integer\" }\n";
    let dir = project("sqlite", schema, None);
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["schema.toml:5:", "whole primary key on SQLite"]);

    // MySQL: a key; Postgres takes it.
    let schema = "[tables.t]\nprimary_key = [\"n\"]\n\n[tables.t.columns]\nid = { type = \"bigint\", identity = true }\nn = { type = \"integer\" }\n";
    let dir = project("mysql", schema, None);
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["schema.toml:5:", "must be a key on MySQL"]);
    let dir = project("postgres", schema, None);
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(0), "{err}");

    // An integer type, no default, and not added to an existing table.
    let schema = "[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\nid = { type = \"text\", identity = true }\n";
    let dir = project("postgres", schema, None);
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["schema.toml:5:", "must be of an integer type"]);
    let dir = project("postgres", USERS, Some("release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"n\", type = \"serial\" }\n"));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(
        &err,
        &["changes/0001_x.toml:6:31", "cannot add the identity column"],
    );

    // Not renamed through a synced second column.
    let schema = "[tables.t]\nprimary_key = [\"n\"]\n\n[tables.t.columns]\nid = { type = \"bigint\", identity = true }\nn = { type = \"integer\" }\n";
    let rename = "release = \"1.0.0\"\n\n[[op]]\ntype = \"rename_column\"\ntable = \"t\"\ncolumn = \"id\"\nto = \"key\"\n";
    let dir = project("postgres", schema, Some(rename));
    let (code, err) = plan(&dir);
    assert_eq!(code, Some(2), "{err}");
    assert_all(&err, &["changes/0001_x.toml:6:", "is an identity column"]);
}

/// A database with native types, enums and identity keys reads back as a schema.toml
/// that declares them so, and that a new project of the dialect takes as its baseline.
#[test]
fn native_types_enums_and_identity_read_back_on_every_server() {
    let schema = "[enums.status]\nvalues = [\"active\", \"it's closed\"]\n\n[tables.items]\nprimary_key = [\"id\"]\n\n[tables.items.columns]\nid = { type = \"bigint\", identity = true }\nstate = { type = \"status\", default = \"active\" }\ndoc = { type = { postgres = \"jsonb\", mysql = \"json\", sqlite = \"text\" }, nullable = true }\nat = { type = { postgres = \"time with time zone\", mysql = \"datetime(3)\", sqlite = \"text\" }, nullable = true }\nn = { type = { postgres = \"int[]\", mysql = \"int unsigned\", sqlite = \"numeric\" }, nullable = true }\n";
    let noop = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(server.dialect(), schema, &[("0001_noop.toml", noop)]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", common::stderr(&out));
        let read = common::tandem(p)
            .args(["introspect", "--database-url", &url])
            .output()
            .unwrap();
        assert!(read.status.success(), "{}", common::stderr(&read));
        let text = common::stdout(&read);
        let wanted: &[&str] = match server {
            Server::Postgres => &[
                "[enums.status]\nvalues = [\"active\", \"it's closed\"]",
                "id = { type = \"bigint\", identity = true }",
                "state = { type = \"status\", default = \"active\" }",
                "doc = { type = \"json\", nullable = true }",
                "at = { type = \"timetz\", nullable = true }",
                "n = { type = \"integer[]\", nullable = true }",
                "# Nothing was left out.",
            ],
            Server::Mysql => &[
                "[enums.items_state]\nvalues = [\"active\", \"it's closed\"]",
                "id = { type = \"bigint\", identity = true }",
                "state = { type = \"items_state\", default = \"active\" }",
                "at = { type = \"datetime(3)\", nullable = true }",
                "n = { type = \"int unsigned\", nullable = true }",
            ],
            Server::Sqlite => &[
                "state = { type = \"text\", default = \"active\" }",
                "n = { type = \"numeric\", nullable = true }",
            ],
        };
        for needle in wanted {
            assert!(
                text.contains(needle),
                "{server:?}: missing {needle:?} in:\n{text}"
            );
        }
        let copy = TempDir::new().unwrap();
        fs::write(
            copy.path().join("tandem.toml"),
            format!("dialect = \"{}\"\n", server.dialect()),
        )
        .unwrap();
        fs::write(copy.path().join("schema.toml"), &text).unwrap();
        let check = common::tandem(copy.path()).arg("check").output().unwrap();
        assert!(
            check.status.success(),
            "{server:?}: {}\n{text}",
            common::stderr(&check)
        );
    }
}

/// MySQL's ENUM takes an empty value (real schemas use it for "none"); PostgreSQL refuses
/// an empty label, so there it is an input error where it is written.
#[test]
fn an_empty_enum_value_is_taken_on_mysql_and_refused_on_postgres() {
    const SCHEMA: &str = r#"
[enums.redirect]
values = ["", "301", "302"]

[tables.pages]
primary_key = ["id"]
[tables.pages.columns]
id = { type = "bigint" }
redirect = { type = "redirect", default = "" }
"#;
    let refused = common::project_files("postgres", SCHEMA, &[]);
    let out = tandem(refused.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("empty only on MySQL"),
        "{}",
        common::stderr(&out)
    );

    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = common::project_with(
        "mysql",
        SCHEMA,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO pages (id) VALUES (1)").unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(drift.status.code(), Some(0), "{}", common::stdout(&drift));
}

/// A zero date default, as MySQL schemas carry it from before strict modes, is taken on
/// MySQL where the server takes it and applies there.
#[test]
fn a_zero_date_default_applies_on_mariadb() {
    const SCHEMA: &str = r#"
[tables.jobs]
primary_key = ["id"]
[tables.jobs.columns]
id = { type = "bigint" }
next_start = { type = "timestamp", default = "0000-00-00 00:00:00" }
born = { type = "date", default = "0000-00-00" }
"#;
    let refused = common::project_files("postgres", SCHEMA, &[]);
    let out = tandem(refused.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));

    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = common::project_with(
        "mysql",
        SCHEMA,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO jobs (id) VALUES (1)").unwrap();
}

/// MySQL's boolean is tinyint(1); one whose default is a number other than 0 or 1 is
/// used as a small integer, and introspect reads it as one, so its schema.toml plans.
#[test]
fn a_tinyint_1_with_a_numeric_default_reads_back_as_a_number_on_mariadb() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let url = match &scratch.target {
        tandem::apply::database::Target::Mysql(u) => u.clone(),
        _ => unreachable!(),
    };
    let mut db = common::connect(&url, std::path::Path::new("."));
    db.run_script(
        "CREATE TABLE devices (id bigint PRIMARY KEY, level tinyint(1) NOT NULL DEFAULT 7, on_off tinyint(1) NOT NULL DEFAULT 1)",
    )
    .unwrap();
    drop(db);
    let dir = TempDir::new().unwrap();
    let read = tandem(dir.path())
        .args(["introspect", "--database-url", &url])
        .output()
        .unwrap();
    let text = common::stdout(&read);
    assert!(
        text.contains("level = { type = \"tinyint(1)\", default = 7 }"),
        "{text}"
    );
    assert!(
        text.contains("on_off = { type = \"boolean\", default = true }"),
        "{text}"
    );
    let project = common::project_files(
        "mysql",
        &text,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let plan = tandem(project.path()).arg("plan").output().unwrap();
    assert!(plan.status.success(), "{}", common::stderr(&plan));
}

/// `server_type` is refused beside `type`, empty, or holding more than one type, where
/// it is written.
#[test]
fn a_server_type_is_one_type_and_not_beside_type() {
    for (column, needles) in [
        (
            "{ name = \"doc\", type = \"text\", server_type = \"ltree\" }",
            &["has both `type` and `server_type`", "a column has one type"][..],
        ),
        (
            "{ name = \"doc\", server_type = \"  \" }",
            &["invalid `server_type`", "0001_x.toml:"][..],
        ),
        (
            "{ name = \"doc\", server_type = \"ltree; DROP TABLE users\" }",
            &["invalid `server_type`"][..],
        ),
        (
            "{ name = \"doc\", server_type = \"set('a'\" }",
            &["invalid `server_type`"][..],
        ),
    ] {
        let change = format!(
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = {column}\n"
        );
        let dir = project("postgres", USERS, Some(&change));
        let (code, err) = plan(&dir);
        assert_eq!(code, Some(2), "{column}: {err}");
        assert_all(&err, needles);
    }
}

/// A type only the server knows (an extension's `ltree`, MySQL's `SET`) is declared with
/// `server_type`: the baseline and an added column carry it as written, rows take its
/// values, and introspect writes it back the same way.
#[test]
fn a_server_type_is_written_as_given_and_reads_back_on_postgres_and_mariadb() {
    let cases = [
        (
            Server::Postgres,
            "extensions = [\"ltree\"]\n\n",
            "ltree",
            "'top.science.astronomy'",
        ),
        (Server::Mysql, "", "set('Red','green','blue')", "'Red,blue'"),
    ];
    for (server, head, ty, value) in cases {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let schema = format!(
            "{head}[tables.things]\nprimary_key = [\"id\"]\n\n[tables.things.columns]\n\
             id = {{ type = \"bigint\" }}\nkind = {{ server_type = \"{ty}\", nullable = true }}\n"
        );
        let change = format!(
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"things\"\n\
             column = {{ name = \"extra\", server_type = \"{ty}\", nullable = true }}\n"
        );
        let dir = common::project_with(server.dialect(), &schema, &[("0001_add.toml", &change)]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", common::stderr(&out));
        let mut db = common::connect(&url, p);
        db.run_script(&format!(
            "INSERT INTO things (id, kind, extra) VALUES (1, {value}, {value})"
        ))
        .unwrap();
        let read = db.query_text("SELECT kind, extra FROM things").unwrap();
        assert_eq!(read[0][0], read[0][1], "{server:?}");
        let out = tandem(p)
            .args(["introspect", "--database-url", &url])
            .output()
            .unwrap();
        let text = common::stdout(&out);
        assert!(
            text.contains(&format!(
                "kind = {{ server_type = \"{ty}\", nullable = true }}"
            )),
            "{server:?}:\n{text}"
        );
        assert!(
            text.contains(&format!(
                "extra = {{ server_type = \"{ty}\", nullable = true }}"
            )),
            "{server:?}:\n{text}"
        );
        let drift = tandem(p)
            .args(["diff", "--database-url", &url])
            .output()
            .unwrap();
        assert!(
            drift.status.success(),
            "{server:?}: {}",
            common::stdout(&drift)
        );
    }
}

/// An enum whose values hold a quote and a double quote, over a
/// table whose check, partial index and expression index compare the column with them.
const ENUM_COMPARED: &str = r#"[enums.status]
values = ["active", "it's paused", "say \"q\"", "retired"]

[tables.items]
primary_key = ["id"]

[tables.items.columns]
id = { type = "bigint" }
state = { type = "status", default = "it's paused" }

[[tables.items.constraints]]
type = "check"
name = "items_state_not_said"
check = "state <> 'say \"q\"' OR id > 0"

[[tables.items.indexes]]
name = "items_unpaused_idx"
columns = ["id"]
where = "state <> 'it''s paused'"

[[tables.items.indexes]]
name = "items_active_idx"
expressions = ["(state = 'active')"]

[[tables.items.indexes]]
name = "items_state_in_idx"
columns = ["id"]
expressions = ["(state IN ('active', 'say \"q\"'))"]
"#;

const DROP_RETIRED: &str =
    "release = \"1.1.0\"\n[[op]]\ntype = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"retired\"\n";

/// A Postgres project over [`ENUM_COMPARED`] (with `extra` appended to tandem.toml) that
/// drops `retired` in 1.1.0, contracted in 1.2.0.
fn enum_project(schema: &str, extra: &str) -> TempDir {
    let dir = common::project_dir(
        &format!("dialect = \"postgres\"\n{extra}"),
        schema,
        &[
            ("0001_drop.toml", DROP_RETIRED),
            ("0002_next.toml", &common::select_one("1.2.0")),
        ],
    );
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "generate: {}", common::stderr(&out));
    dir
}

/// The contract that drops an enum value makes the type again and converts the column:
/// the check, the partial index and the expression index that compare the column are
/// dropped before and made again after, in the same transaction, with rows present;
/// its ALTER TABLEs retry a lock wait as every other ALTER does.
#[test]
fn dropping_an_enum_value_rebuilds_the_checks_and_indexes_that_compare_the_column() {
    for extra in ["", "rename_mode = \"views\"\n"] {
        let Some(scratch) = Server::Postgres.fresh() else {
            return;
        };
        let dir = enum_project(ENUM_COMPARED, extra);
        let url = common::database_url(Server::Postgres, &scratch, dir.path());
        let out = common::migrate(dir.path(), &url, "1.1.0", "expand");
        assert!(out.status.success(), "{}", common::stderr(&out));
        let mut db = common::connect(&url, dir.path());
        db.run_script(
            "INSERT INTO items (id, state) VALUES (1, 'active'), (2, 'it''s paused'), \
             (3, 'say \"q\"'); INSERT INTO items (id) VALUES (4)",
        )
        .unwrap();
        let contract = common::migrate(dir.path(), &url, "1.2.0", "contract");
        assert!(
            contract.status.success(),
            "{extra}: {}",
            common::stderr(&contract)
        );
        let text = common::stdout(&common::run(dir.path(), &["plan"]));
        assert!(!text.is_empty());
        let objects = db
            .query_text(
                "SELECT string_agg(c.relname::text, ',' ORDER BY c.relname) FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass \
                 AND i.indisvalid",
            )
            .unwrap();
        assert_eq!(
            objects[0][0].as_deref(),
            Some("items_active_idx,items_pkey,items_state_in_idx,items_unpaused_idx")
        );
        let check = db
            .query_text(
                "SELECT count(*) FROM pg_constraint WHERE conname = 'items_state_not_said' \
                 AND convalidated",
            )
            .unwrap();
        assert_eq!(check[0][0].as_deref(), Some("1"));
        let rows = db
            .query_text("SELECT count(*) FROM items WHERE state <> 'it''s paused'")
            .unwrap();
        assert_eq!(rows[0][0].as_deref(), Some("2"));
        assert!(db
            .run_script("INSERT INTO items (id, state) VALUES (5, 'retired')")
            .is_err());
        db.run_script("INSERT INTO items (id) VALUES (6)").unwrap();
        let file = fs::read_dir(dir.path().join("migrations/1.2.0"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("contract_0001"))
            .unwrap();
        let sql = fs::read_to_string(file).unwrap();
        // The first statement that takes the table's lock is retried: every one after it
        // finds the lock held.
        let first_retry = sql
            .find("-- Retried while a lock is held")
            .unwrap_or(usize::MAX);
        let first_lock = ["LOCK TABLE \"items\"", "ALTER TABLE \"items\""]
            .iter()
            .filter_map(|s| sql.find(s))
            .min()
            .unwrap();
        let convert = sql.find("TYPE \"status\" USING").unwrap();
        assert!(first_retry < first_lock && first_lock < convert, "{sql}");
        assert!(!sql[..first_lock].contains("DROP INDEX"), "{sql}");
    }
}

/// A check or an index that names the value dropped would mean something else, or
/// nothing, without it: refused at plan time (exit 1), naming the object and the value.
#[test]
fn dropping_an_enum_value_that_a_check_or_index_names_is_refused() {
    for (object, schema) in [
        (
            "index items_live_idx",
            ENUM_COMPARED.replace(
                "[[tables.items.indexes]]\nname = \"items_active_idx\"",
                "[[tables.items.indexes]]\nname = \"items_live_idx\"\ncolumns = [\"id\"]\nwhere = \"state <> 'retired'\"\n\n[[tables.items.indexes]]\nname = \"items_active_idx\"",
            ),
        ),
        (
            "check items_state_not_said",
            ENUM_COMPARED.replace("OR id > 0", "OR state = 'retired'"),
        ),
    ] {
        let dir = common::project_dir("dialect = \"postgres\"\n", &schema, &[
            ("0001_drop.toml", DROP_RETIRED),
            ("0002_next.toml", &common::select_one("1.2.0")),
        ]);
        let out = common::run(dir.path(), &["plan"]);
        let (code, err) = (out.status.code(), common::stdout(&out) + &common::stderr(&out));
        assert_eq!(code, Some(1), "{err}");
        for needle in [
            "changes/0001_drop.toml:2:1",
            object,
            "value 'retired'",
        ] {
            assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
        }
    }
}

/// A reader holding the table while the contract converts its enum column: the contract
/// waits in short retried attempts (said on stderr) and succeeds once the reader is done.
#[test]
fn dropping_an_enum_value_waits_for_a_held_table_in_retried_attempts() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = enum_project(ENUM_COMPARED, "[postgres]\nlock_timeout = \"200ms\"\n");
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    let out = common::migrate(dir.path(), &url, "1.2.0", "expand");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut reader =
        refinery_core::postgres::Client::connect(&url, refinery_core::postgres::NoTls).unwrap();
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM items")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        reader.batch_execute("COMMIT").unwrap();
    });
    let out = common::migrate(dir.path(), &url, "1.2.0", "contract");
    release.join().unwrap();
    let err = common::stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("tandem: lock wait on items"), "{err}");
}
