//! A real application's schema, written by hand as its own migrations would leave it
//! (tests/fixtures/apps/forge_*.sql: a code forge in the manner of Gitea, eleven
//! tables, over a hundred columns, composite keys, foreign keys with actions, checks,
//! partial, expression, INCLUDE, hash and brin indexes on Postgres, prefix, DESC and
//! FULLTEXT indexes on MariaDB, plus a view, a trigger and functions): `introspect`
//! reads it without failing, names what it leaves out, and its output re-creates,
//! through tandem's own baseline on a fresh database, a schema that reads back the same.

use crate::common;

use std::fs;

use common::normal::normal;
use common::{stderr, stdout, tandem, Server};
use tandem::apply::database::{Database, Target};
use tandem::diag::SourceFile;
use tandem::model::{ConstraintKind, Schema};
use tandem::parse::schema::parse_schema_in;

fn introspect(dir: &std::path::Path, url: &str) -> (String, String) {
    let out = tandem(dir)
        .args(["introspect", "--database-url", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "introspect: {}", stderr(&out));
    (stdout(&out), stderr(&out))
}

fn parse(name: &str, text: &str, server: Server) -> Schema {
    parse_schema_in(
        &SourceFile::new(name, text.to_string()),
        common::normal::dialect(server),
    )
    .unwrap_or_else(|e| panic!("{name} does not parse: {}\n{text}", e.render()))
}

/// Applies the fixture, reads it back, re-creates it from the output and reads that
/// back; returns the first reading, after asserting the two are the same schema.
fn round_trip(server: Server, fixture: &str) -> Option<(Schema, String)> {
    let original = server.fresh()?;
    let sql = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/apps")
            .join(fixture),
    )
    .unwrap();
    let mut db = Database::connect(&original.target).unwrap();
    db.run_script(&sql).unwrap();
    drop(db);
    let url = match &original.target {
        Target::Postgres(u) | Target::Mysql(u) => u.clone(),
        _ => unreachable!(),
    };
    let scratch_dir = tempfile::TempDir::new().unwrap();
    let (first, summary) = introspect(scratch_dir.path(), &url);
    let read = parse("introspected.toml", &first, server);

    // The views, triggers and functions are written as [[objects]] on both servers,
    // which the baseline below creates again; none is named as left out.
    for name in ["open_issue", "issue_count", "repo_full_name"] {
        assert!(
            first.contains(name),
            "{}: {name} not named\n{first}",
            server.dialect()
        );
        assert!(
            !summary.contains(name),
            "{}: {name} in the summary: {summary}",
            server.dialect()
        );
    }
    assert!(first.contains("[[objects]]"), "{first}");

    // The output is the schema.toml of a new project, whose baseline makes it again.
    let copy = server.fresh()?;
    let dir = common::project_files(
        server.dialect(),
        &first,
        &[(
            "0001_start.toml",
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
        )],
    );
    let p = dir.path();
    let generate = tandem(p).arg("generate").output().unwrap();
    assert!(generate.status.success(), "generate: {}", stderr(&generate));
    let copy_url = common::database_url(server, &copy, p);
    let migrate = common::migrate(p, &copy_url, "1.0.0", "expand");
    assert!(
        migrate.status.success(),
        "migrate: {}\n{}",
        stderr(&migrate),
        fs::read_to_string(p.join("migrations/V1__baseline.sql")).unwrap_or_default()
    );
    let (second, _) = introspect(p, &copy_url);
    let again = parse("introspected-again.toml", &second, server);
    assert_eq!(
        normal(&again, server),
        normal(&read, server),
        "{}: the re-created schema reads back differently\n--- first:\n{first}\n--- second:\n{second}",
        server.dialect()
    );
    Some((read, first))
}

fn foreign_key<'a>(schema: &'a Schema, table: &str, name: &str) -> &'a ConstraintKind {
    &schema.tables[table]
        .constraint(name)
        .unwrap_or_else(|| panic!("no {name} on {table}"))
        .kind
}

#[test]
fn a_forge_schema_on_postgres_reads_back_and_recreates_the_same() {
    let Some((read, text)) = round_trip(Server::Postgres, "forge_postgres.sql") else {
        return;
    };
    // The model keeps no name for a primary key: the output says what it re-creates.
    assert!(
        text.contains("# the primary key is the constraint delivery_pk; re-created, it is named delivery_pkey"),
        "{text}"
    );
    assert_eq!(read.tables.len(), 13);
    let columns: usize = read.tables.values().map(|t| t.columns.len()).sum();
    assert!(columns >= 100, "{columns} columns");
    // The options were read, not lost on both sides.
    let open = &read.indexes_named("issue_open_idx")[0];
    assert_eq!(open.options.predicate.as_deref(), Some("is_closed = false"));
    assert_eq!(open.options.desc, ["created_at"]);
    assert_eq!(
        read.indexes_named("repository_public_idx")[0]
            .options
            .include,
        ["num_stars"]
    );
    assert_eq!(
        read.indexes_named("issue_title_idx")[0]
            .options
            .method
            .as_deref(),
        Some("hash")
    );
    assert_eq!(
        read.indexes_named("users_email_lower_idx")[0]
            .options
            .expressions
            .len(),
        1
    );
    assert_eq!(
        read.indexes_named("repository_name_pattern_idx")[0]
            .options
            .opclass["lower_name"],
        "text_pattern_ops"
    );
    assert!(matches!(
        foreign_key(&read, "issue", "issue_milestone_fk"),
        ConstraintKind::ForeignKey { initially_deferred: true, on_delete: Some(d), .. } if d == "set null"
    ));
    assert!(matches!(
        foreign_key(&read, "issue", "issue_repo_fk"),
        ConstraintKind::ForeignKey { on_update: Some(u), .. } if u == "cascade"
    ));
    // Serial and identity keys, the enum, native types, arrays and comments.
    let action = &read.tables["action"];
    let ty = |c: &str| action.column(c).unwrap().ty.to_string();
    assert!(action.column("id").unwrap().is_identity());
    assert!(read.tables["delivery"].column("id").unwrap().is_identity());
    assert_eq!(read.enums["action_kind"], ["push", "issue", "it's other"]);
    assert_eq!(ty("kind"), "action_kind");
    assert_eq!(ty("payload"), "json");
    assert_eq!(ty("ip"), "inet");
    assert_eq!(ty("ref_names"), "text[]");
    assert_eq!(ty("issue_ids"), "integer[]");
    assert_eq!(ty("at_local"), "timetz");
    assert_eq!(ty("amount"), "numeric");
    assert_eq!(
        action.comment.as_deref(),
        Some("activity feed: one row per event")
    );
    assert_eq!(
        action.column("ip").unwrap().comment.as_deref(),
        Some("the client's address")
    );
}

#[test]
fn a_forge_schema_on_mariadb_reads_back_and_recreates_the_same() {
    let Some((read, _)) = round_trip(Server::Mysql, "forge_mariadb.sql") else {
        return;
    };
    assert_eq!(read.tables.len(), 13);
    let columns: usize = read.tables.values().map(|t| t.columns.len()).sum();
    assert!(columns >= 100, "{columns} columns");
    assert_eq!(
        read.indexes_named("issue_title_idx")[0].options.prefix["title"],
        100
    );
    assert!(
        read.indexes_named("repository_description_ft")[0]
            .options
            .fulltext
    );
    assert_eq!(
        read.indexes_named("user_created_at_idx")[0].options.desc,
        ["created_at"]
    );
    assert_eq!(
        read.tables["user"].column("settings").unwrap().ty,
        tandem::types::ColumnType::Json
    );
    assert!(matches!(
        foreign_key(&read, "issue", "issue_repo_fk"),
        ConstraintKind::ForeignKey { on_update: Some(u), on_delete: Some(d), .. }
            if u == "cascade" && d == "cascade"
    ));
    // The AUTO_INCREMENT keys, the ENUM column, unsigned and datetime, and comments.
    let action = &read.tables["action"];
    let ty = |c: &str| action.column(c).unwrap().ty.to_string();
    assert!(action.column("id").unwrap().is_identity());
    assert!(read.tables["delivery"].column("id").unwrap().is_identity());
    assert_eq!(read.enums["action_kind"], ["push", "issue", "it's other"]);
    assert_eq!(ty("kind"), "action_kind");
    assert_eq!(ty("num"), "int unsigned");
    assert_eq!(ty("seen"), "tinyint");
    assert_eq!(ty("is_private"), "boolean");
    assert_eq!(ty("created_at"), "datetime");
    assert_eq!(ty("body"), "mediumtext");
    assert_eq!(
        read.tables["delivery"].column("id").unwrap().ty.to_string(),
        "int unsigned"
    );
    assert_eq!(
        action.comment.as_deref(),
        Some("activity feed: one row per event")
    );
    assert_eq!(
        action.column("ip").unwrap().comment.as_deref(),
        Some("the client's address")
    );
}

/// Foreign keys that a CREATE TABLE cannot hold, as real schemas have them: two tables
/// that reference each other, and a key made only by a unique index. The baseline adds
/// them after every table and index, and it applies on each server.
#[test]
fn a_baseline_with_a_cycle_and_an_index_only_key_applies_on_every_server() {
    const CYCLE: &str = r#"
[tables.projects]
primary_key = ["id"]
[tables.projects.columns]
id = { type = "bigint" }
owner_id = { type = "bigint", nullable = true }
[[tables.projects.constraints]]
type = "foreign_key"
name = "projects_owner_fkey"
column = "owner_id"
references = "members(id)"

[tables.members]
primary_key = ["id"]
[tables.members.columns]
id = { type = "bigint" }
project_id = { type = "bigint" }
session_key = { type = "varchar(64)" }
[[tables.members.constraints]]
type = "foreign_key"
name = "members_project_fkey"
column = "project_id"
references = "projects(id)"
[[tables.members.indexes]]
name = "members_session_key"
columns = ["session_key"]
unique = true

[tables.logins]
primary_key = ["id"]
[tables.logins.columns]
id = { type = "bigint" }
session_key = { type = "varchar(64)" }
[[tables.logins.constraints]]
type = "foreign_key"
name = "logins_session_fkey"
column = "session_key"
references = "members(session_key)"
"#;
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(
            server.dialect(),
            CYCLE,
            &[("0001_start.toml", &common::select_one("1.0.0"))],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(
            out.status.success(),
            "{}: {}\n{}",
            server.dialect(),
            stderr(&out),
            fs::read_to_string(p.join("migrations/V1__baseline.sql")).unwrap_or_default()
        );
        let drift = tandem(p)
            .args(["diff", "--database-url", &url])
            .output()
            .unwrap();
        assert_eq!(
            drift.status.code(),
            Some(0),
            "{}: {}{}",
            server.dialect(),
            stdout(&drift),
            stderr(&drift)
        );
    }
}

/// A schema that needs extensions names them (`extensions = [...]`, as introspect
/// writes them): the baseline creates them first, so an index using one builds on an
/// empty database, and introspect reads them back instead of leaving them out.
#[test]
fn extensions_are_part_of_the_schema_and_of_its_baseline() {
    const SCHEMA: &str = r#"
extensions = ["pg_trgm", "btree_gist"]

[tables.tags]
primary_key = ["id"]
[tables.tags.columns]
id = { type = "bigint" }
name = { type = "text" }
[[tables.tags.indexes]]
name = "tags_name_trgm"
columns = ["name"]
method = "gin"
opclass = { name = "gin_trgm_ops" }
"#;
    let refused = common::project_files("mysql", SCHEMA, &[]);
    let out = tandem(refused.path()).arg("plan").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("PostgreSQL's"), "{}", stderr(&out));

    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = common::project_with(
        "postgres",
        SCHEMA,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let (text, summary) = introspect(p, &url);
    assert!(
        text.contains("extensions = [\"btree_gist\", \"pg_trgm\"]"),
        "{text}"
    );
    assert!(!summary.contains("extension"), "{summary}");
    let read = parse("introspected.toml", &text, Server::Postgres);
    assert_eq!(read.extensions, ["btree_gist", "pg_trgm"]);
}

/// `[[objects]]` that cannot be used are refused where they are written (exit 2, the
/// file's line and column, what was expected): an unknown kind, an empty statement, one
/// written twice, a kind the dialect does not have, a field nobody reads.
#[test]
fn objects_that_cannot_be_used_are_refused_where_written() {
    let table =
        "\n[tables.t]\nprimary_key = [\"id\"]\n[tables.t.columns]\nid = { type = \"bigint\" }\n";
    let cases = [
        (
            "postgres",
            "[[objects]]\nkind = \"veiw\"\nname = \"v\"\nsql = \"CREATE VIEW v AS SELECT 1\"\n",
            "unknown object kind `veiw`",
            "schema.toml:2:8",
        ),
        (
            "postgres",
            "[[objects]]\nkind = \"view\"\nname = \"v\"\nsql = \"  \"\n",
            "object `v` has no sql",
            "schema.toml:4:7",
        ),
        (
            "postgres",
            "[[objects]]\nkind = \"view\"\nname = \"v\"\nsql = \"CREATE VIEW v AS SELECT 1\"\n\
             [[objects]]\nkind = \"view\"\nname = \"v\"\nsql = \"CREATE VIEW v AS SELECT 2\"\n",
            "view `v` is written twice",
            "schema.toml:7:8",
        ),
        (
            "postgres",
            "[[objects]]\nkind = \"view\"\nname = \"v\"\nsql = \"CREATE VIEW v AS SELECT 1\"\nafter = true\n",
            "unknown field `after`",
            "schema.toml:5:1",
        ),
        (
            "postgres",
            "[[objects]]\nkind = \"view\"\nsql = \"CREATE VIEW v AS SELECT 1\"\n",
            "name",
            "schema.toml:1:1",
        ),
        (
            "mysql",
            "[[objects]]\nkind = \"domain\"\nname = \"d\"\nsql = \"CREATE DOMAIN d AS int\"\n",
            "unknown object kind `domain` on mysql",
            "schema.toml:2:8",
        ),
        (
            "sqlite",
            "[[objects]]\nkind = \"functoin\"\nname = \"f\"\nsql = \"CREATE FUNCTION f() RETURNS int RETURN 1\"\n",
            "expected one of view, trigger",
            "schema.toml:2:8",
        ),
        (
            "postgres",
            "[[objects]]\nkind = \"event\"\nname = \"e\"\nsql = \"CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO SELECT 1\"\n",
            "unknown object kind `event` on postgres",
            "schema.toml:2:8",
        ),
    ];
    for (dialect, objects, said, at) in cases {
        let dir = common::project_files(dialect, &format!("{objects}{table}"), &[]);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{objects}\n{err}");
        assert!(err.contains(said), "{said}\n{err}");
        assert!(err.contains(at), "{at}\n{err}");
    }
}
