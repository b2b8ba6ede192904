//! Strings written into SQL read back byte-equal on the real servers: column defaults
//! (written by CREATE TABLE, ADD COLUMN and SET DEFAULT) hold any string, whatever the
//! session's SQL mode; user SQL inside a Postgres dollar-quoted body cannot close it; a
//! default cannot smuggle SQL in.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::{database_url, project_with, stderr, tandem, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use tandem::action::Action;
use tandem::apply::database::Database;
use tandem::config::Config;
use tandem::diag::SourceFile;
use tandem::model::{Column, Default, Table};
use tandem::sql::dialects::renderer;
use tandem::sql::physical::Physical;
use tandem::sql::render::render_actions;
use tandem::templates::Templates;
use tandem::types::{ColumnType, Literal};

/// Pieces that SQL, drivers or templates treat specially, mixed with any character.
fn tricky_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("\\'".to_string()),
        Just("''".to_string()),
        Just("$$".to_string()),
        Just("$tandem$".to_string()),
        Just("$tandem_1$".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("%".to_string()),
        Just("?".to_string()),
        Just(":name".to_string()),
        Just("$1".to_string()),
        Just("--".to_string()),
        Just("/*".to_string()),
        Just(";".to_string()),
        Just("END;".to_string()),
        Just("\"".to_string()),
        Just("`".to_string()),
        Just("\\0".to_string()),
        Just("\\n".to_string()),
        Just("\u{1a}".to_string()),
        Just("é".to_string()),
        Just("😀".to_string()),
        Just("C:\\new\\table".to_string()),
        any::<char>()
            .prop_filter("no NUL", |c| *c != '\0')
            .prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn config(dialect: &str) -> Config {
    let file = SourceFile::new("tandem.toml", format!("dialect = \"{dialect}\"\n"));
    Config::from_source(Path::new("."), Arc::clone(&file)).unwrap()
}

fn column(name: &str, ty: ColumnType, value: &str) -> Column {
    Column {
        name: name.into(),
        ty,
        nullable: false,
        default: Some(Default::Literal(Literal::Str(value.to_string()))),
        comment: None,
        on_update: None,
    }
}

/// The SQL tandem writes for: a table whose column `a` defaults to `s`, a column `b`
/// added with default `s`, and a column `c` added without one then given `s`.
fn defaults_sql(config: &Config, table: &str, s: &str) -> String {
    let templates = Templates::builtin();
    let renderer = renderer(config, &templates);
    let text = ColumnType::Text;
    let varchar = ColumnType::Varchar(2000);
    let mut id = column("id", ColumnType::Integer, "");
    id.default = None;
    let create = Action::CreateTable {
        table: Table {
            name: table.into(),
            columns: vec![id, column("a", text, s)],
            primary_key: vec!["id".into()],
            constraints: vec![],
            comment: None,
            engine: None,
            partition_by: None,
            not_valid: Vec::new(),
            deferrable: std::collections::BTreeMap::new(),
        },
        keys: vec![],
    };
    let add = Action::AddColumn {
        table: table.into(),
        column: column("b", varchar.clone(), s),
        not_null_at_once: None,
    };
    let mut bare = column("c", varchar.clone(), s);
    bare.default = None;
    bare.nullable = true;
    let add_bare = Action::AddColumn {
        table: table.into(),
        column: bare,
        not_null_at_once: None,
    };
    let set_default = Action::SetDefault {
        table: table.into(),
        column: column("c", varchar, s),
    };
    let mut physical = Physical::default();
    let rendered = render_actions(
        renderer.as_ref(),
        &mut physical,
        &[&create, &add, &add_bare, &set_default],
    )
    .unwrap()
    .unwrap();
    rendered.chunks.join("\n\n")
}

/// Session settings that change how a server reads string literals.
fn session_modes(server: Server) -> &'static [&'static str] {
    match server {
        Server::Sqlite => &[""],
        Server::Postgres => &[
            "SET standard_conforming_strings = on",
            "SET standard_conforming_strings = off",
        ],
        Server::Mysql => &[
            "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'",
            "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES,ANSI_QUOTES'",
        ],
    }
}

fn defaults_round_trip(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let db = std::cell::RefCell::new(Database::connect(&scratch.target).unwrap());
    let config = config(server.dialect());
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 48,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let n = std::cell::Cell::new(0);
    runner
        .run(&tricky_string(), |s| {
            n.set(n.get() + 1);
            let n = n.get();
            let mut db = db.borrow_mut();
            let mode = session_modes(server)[n % session_modes(server).len()];
            if !mode.is_empty() {
                db.run_script(mode).unwrap();
            }
            let table = format!("t{n}");
            let sql = defaults_sql(&config, &table, &s);
            db.run_script(&sql)
                .map_err(|e| TestCaseError::fail(format!("{mode}: {e}\n{sql}")))?;
            db.run_script(&format!("INSERT INTO {table} (id) VALUES (1)"))
                .unwrap();
            let rows = db
                .query_text(&format!("SELECT a, b, c FROM {table}"))
                .unwrap();
            let want = Some(s.clone());
            prop_assert_eq!(
                &rows,
                &vec![vec![want.clone(), want.clone(), want]],
                "{}: {}",
                mode,
                sql
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_string_default_reads_back_byte_equal_on_sqlite() {
    defaults_round_trip(Server::Sqlite);
}

#[test]
fn any_string_default_reads_back_byte_equal_on_postgres() {
    defaults_round_trip(Server::Postgres);
}

#[test]
fn any_string_default_reads_back_byte_equal_on_mariadb() {
    defaults_round_trip(Server::Mysql);
}

const VICTIM: &str = r#"
[tables.users]
primary_key = ["id"]
columns = { id = { type = "bigint" } }

[tables.victim]
primary_key = ["id"]
columns = { id = { type = "bigint" } }
"#;

/// A default ending in `\'` once closed the MySQL literal and ran the rest as SQL.
#[test]
fn a_default_cannot_run_sql_on_any_server() {
    let payload = r"x\', 1); DROP TABLE victim; -- ";
    let change = format!(
        "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
         column = {{ name = \"path\", type = \"varchar(200)\", default = '''{payload}''' }}\n\n\
         [[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
         column = {{ name = \"dir\", type = \"varchar(200)\", default = 'C:\\new\\table' }}\n"
    );
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(server.dialect(), VICTIM, &[("0001_path.toml", &change)]);
        let url = database_url(server, &scratch, dir.path());
        let out = common::migrate(dir.path(), &url, "1.1.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let mut db = common::connect(&url, dir.path());
        db.run_script("INSERT INTO users (id) VALUES (1)").unwrap();
        let rows = db.query_text("SELECT path, dir FROM users").unwrap();
        assert_eq!(
            rows,
            vec![vec![
                Some(payload.to_string()),
                Some(r"C:\new\table".to_string())
            ]],
            "{server:?}"
        );
        let tables = db.table_names().unwrap();
        assert!(
            tables.contains(&"victim".to_string()),
            "{server:?}: {tables:?}"
        );
    }
}

/// User SQL that contains the dollar-quote tag tandem uses cannot close the Postgres
/// `DO` or function body it is written in.
#[test]
fn user_sql_containing_the_dollar_tag_stays_inside_the_body_on_postgres() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let change = r#"release = "1.1.0"
summary = "s"

[[op]]
type = "add_column"
table = "users"
column = { name = "tag", type = "text" }
backfill_sql = "'a$tandem$b' || id"

[[op]]
type = "add_check"
table = "users"
name = "users_id_tagged"
check = "id > 0 OR '$tandem$' <> '$tandem_1$'"
old_code_complies = true
"#;
    // A row already there when the backfill runs, and one inserted after it.
    let seed = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"sql\"\n\
                expand = \"INSERT INTO users (id) VALUES (7)\"\n";
    let dir = project_with(
        "postgres",
        VICTIM,
        &[("0000_seed.toml", seed), ("0001_tag.toml", change)],
    );
    let url = database_url(Server::Postgres, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    let out = common::migrate(dir.path(), &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    db.run_script("INSERT INTO users (id) VALUES (8)").unwrap();
    assert!(
        db.object_names("users")
            .unwrap()
            .contains(&"users_id_tagged".to_string()),
        "the check made inside a DO block is missing"
    );
    let rows = db.query_text("SELECT tag FROM users ORDER BY id").unwrap();
    assert_eq!(
        rows,
        vec![
            vec![Some("a$tandem$b7".to_string())],
            vec![Some("a$tandem$b8".to_string())]
        ]
    );
}

/// A NUL character cannot be stored in Postgres text: refused when the file is read.
#[test]
fn a_nul_in_a_string_default_is_an_input_error() {
    let change = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"add_column\"\n\
                  table = \"users\"\ncolumn = { name = \"p\", type = \"text\", default = \"a\\u0000b\" }\n";
    let dir = common::project_files("postgres", VICTIM, &[("0001_nul.toml", change)]);
    let out = tandem(dir.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("NUL"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0001_nul.toml:7:"),
        "{}",
        stderr(&out)
    );
}

/// A multi-line expression quoted in a comment of the generated SQL stays a comment.
#[test]
fn a_multi_line_backfill_expression_applies_on_every_server() {
    let change = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"add_column\"\n\
                  table = \"users\"\ncolumn = { name = \"code\", type = \"varchar(20)\" }\n\
                  backfill_sql = \"\"\"lower(\n  'AB') -- a comment\n\"\"\"\n";
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(server.dialect(), VICTIM, &[("0001_code.toml", change)]);
        let url = database_url(server, &scratch, dir.path());
        let out = common::migrate(dir.path(), &url, "1.1.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let mut db = common::connect(&url, dir.path());
        db.run_script("INSERT INTO users (id) VALUES (1)").unwrap();
        let rows = db.query_text("SELECT code FROM users").unwrap();
        assert_eq!(rows, vec![vec![Some("ab".to_string())]], "{server:?}");
    }
}
