//! `tandem introspect` reads a live database back as a schema.toml. Round trip: the
//! baseline of a schema, applied to a real database and read back, parses as the same
//! schema (columns, types, nullability, defaults, primary keys, keys and indexes), on
//! SQLite, Postgres and MariaDB.

use crate::common;

use std::fs;

use common::{stderr, stdout, tandem, Server, USERS_AND_ORDERS};
use tandem::diag::SourceFile;
use tandem::model::{ConstraintKind, Schema};
use tandem::parse::schema::parse_schema;

const EXTRA: &str = r#"
[tables.events]
primary_key = ["id"]
[tables.events.columns]
id = { type = "bigint" }
kind = { type = "varchar(32)", default = "it's new" }
amount = { type = "decimal(10,2)", nullable = true }
flag = { type = "boolean", default = true }
at = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP" }
ratio = { type = "double", nullable = true }
code = { type = "char(4)", nullable = true }
body = { type = "text", nullable = true }

[[tables.events.indexes]]
name = "events_kind_at_idx"
columns = ["kind", "at"]

[[tables.events.constraints]]
type = "check"
name = "events_amount_positive"
check = "amount > 0"
"#;

/// A comparable form: per table, the columns and keys the model covers.
fn shape(schema: &Schema, dialect: &str) -> Vec<String> {
    let mut out = Vec::new();
    for t in schema.tables.values() {
        out.push(format!("table {} pk {:?}", t.name, t.primary_key));
        for c in &t.columns {
            // An SQL default reads back in the server's spelling
            // (`current_timestamp(6)`): only its presence is compared.
            let default = match &c.default {
                Some(tandem::model::Default::Sql(_)) => "sql".to_string(),
                other => format!("{other:?}"),
            };
            // SQLite has no time zone type: timestamptz is written, and read, as timestamp.
            let ty = match (&c.ty, dialect) {
                (tandem::types::ColumnType::TimestampTz, "sqlite") => {
                    tandem::types::ColumnType::Timestamp
                }
                (ty, _) => ty.clone(),
            };
            out.push(format!(
                "  column {} {:?} nullable={} default={default}",
                c.name, ty, c.nullable
            ));
        }
        let mut keys: Vec<String> = t
            .constraints
            .iter()
            .filter_map(|k| match &k.kind {
                // MySQL and SQLite keep a unique key as a unique index.
                ConstraintKind::Unique { columns } => Some(format!("  unique {columns:?}")),
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    on_delete,
                    ..
                } => Some(format!(
                    "  fk {columns:?} -> {references}{referenced_columns:?} {on_delete:?}"
                )),
                ConstraintKind::Check { .. } if dialect == "sqlite" => None,
                ConstraintKind::Check { .. } => Some(format!("  check {}", k.name)),
            })
            .collect();
        for i in schema.indexes.values().filter(|i| i.table == t.name) {
            keys.push(if i.unique {
                format!("  unique {:?}", i.columns)
            } else {
                format!("  index {} {:?}", i.name, i.columns)
            });
        }
        keys.sort();
        out.extend(keys);
    }
    out.sort();
    out
}

#[test]
fn a_baseline_reads_back_as_the_same_schema_on_every_database() {
    let schema = format!("{USERS_AND_ORDERS}\n{EXTRA}");
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(
            server.dialect(),
            &schema,
            &[(
                "0001_noop.toml",
                "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
            )],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));

        let read = tandem(p)
            .args(["introspect", "--database-url", &url])
            .output()
            .unwrap();
        assert!(read.status.success(), "{}", stderr(&read));
        let text = stdout(&read);
        assert!(!text.contains("refinery_schema_history"), "{text}");
        let parsed = parse_schema(&SourceFile::new("introspected.toml", text.clone()))
            .unwrap_or_else(|e| panic!("{}: {}\n{text}", server.dialect(), e.render()));
        let original = parse_schema(&SourceFile::new("schema.toml", schema.clone())).unwrap();
        assert_eq!(
            shape(&parsed, server.dialect()),
            shape(&original, server.dialect()),
            "{}:\n{text}",
            server.dialect()
        );
        // The output is a schema.toml a new project can start from.
        let copy = tempfile::TempDir::new().unwrap();
        fs::write(
            copy.path().join("tandem.toml"),
            format!("dialect = \"{}\"\n", server.dialect()),
        )
        .unwrap();
        fs::write(copy.path().join("schema.toml"), &text).unwrap();
        let check = tandem(copy.path()).arg("check").output().unwrap();
        assert!(check.status.success(), "{}", stderr(&check));
    }
}

#[test]
fn sqlite_views_and_triggers_are_kept_not_dropped() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("app.db");
    let conn = refinery_core::rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE t (id integer PRIMARY KEY, name text NOT NULL);
         CREATE VIEW v AS SELECT name FROM t;
         CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
    )
    .unwrap();
    let out = tandem(dir.path())
        .args([
            "introspect",
            "--database-url",
            &format!("sqlite://{}", db.display()),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("kind = \"view\"\nname = \"v\""),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("kind = \"trigger\"\nname = \"t.tr\""),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains("left out"), "{}", stderr(&out));
}

const COMMENTED: &str = r#"
[tables.teams]
primary_key = ["id"]
comment = "Groups of users; it's what billing counts"
[tables.teams.columns]
id = { type = "bigint", comment = "Never reused" }
name = { type = "varchar(80)" }
"#;

/// What each dialect has outside the table model: a view, a trigger and a function (a
/// routine in MySQL; SQLite has none), plus Postgres's materialized views, procedures,
/// free sequences and extensions. A sequence a serial column owns is not listed.
fn objects(server: Server) -> (&'static str, &'static [&'static str]) {
    match server {
        Server::Sqlite => (
            "CREATE VIEW team_names AS SELECT name FROM teams;
             CREATE TRIGGER teams_touch AFTER INSERT ON teams BEGIN SELECT 1; END;",
            &[
                "kind = \"view\"\nname = \"team_names\"",
                "kind = \"trigger\"\nname = \"teams.teams_touch\"",
            ],
        ),
        Server::Postgres => (
            "CREATE VIEW team_names AS SELECT name FROM teams;
             CREATE FUNCTION teams_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
             CREATE TRIGGER teams_touch BEFORE INSERT ON teams FOR EACH ROW EXECUTE FUNCTION teams_touch();
             CREATE MATERIALIZED VIEW team_count AS SELECT count(*) AS n FROM teams;
             CREATE PROCEDURE reset_teams() LANGUAGE sql AS $$DELETE FROM teams$$;
             CREATE SEQUENCE invoice_numbers;
             CREATE TABLE tickets (id serial PRIMARY KEY);",
            // Written as [[objects]], not left out.
            &[
                "kind = \"view\"\nname = \"team_names\"",
                "kind = \"trigger\"\nname = \"teams.teams_touch\"",
                "kind = \"function\"\nname = \"teams_touch()\"",
                "kind = \"materialized_view\"\nname = \"team_count\"",
                "kind = \"procedure\"\nname = \"reset_teams()\"",
                "kind = \"sequence\"\nname = \"invoice_numbers\"",
            ],
        ),
        Server::Mysql => (
            "CREATE VIEW team_names AS SELECT name FROM teams;
             CREATE TRIGGER teams_touch BEFORE INSERT ON teams FOR EACH ROW SET NEW.name = TRIM(NEW.name);
             CREATE FUNCTION team_label(n varchar(80)) RETURNS varchar(90) DETERMINISTIC RETURN CONCAT('team ', n);
             CREATE PROCEDURE reset_teams() DELETE FROM teams;",
            &[
                "kind = \"view\"\nname = \"team_names\"",
                "kind = \"trigger\"\nname = \"teams.teams_touch\"",
                "kind = \"function\"\nname = \"team_label\"",
                "kind = \"procedure\"\nname = \"reset_teams\"",
            ],
        ),
    }
}

#[test]
fn comments_read_back_and_views_triggers_and_functions_are_named_on_every_database() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(
            server.dialect(),
            COMMENTED,
            &[(
                "0001_noop.toml",
                "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
            )],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));
        let (sql, expected) = objects(server);
        let target = tandem::apply::database::Target::parse(&url, p).unwrap();
        let mut db = tandem::apply::database::Database::connect(&target).unwrap();
        db.run_script(sql)
            .unwrap_or_else(|e| panic!("{}: {e}", server.dialect()));

        let read = tandem(p)
            .args(["introspect", "--database-url", &url])
            .output()
            .unwrap();
        assert!(read.status.success(), "{}", stderr(&read));
        let (text, summary) = (stdout(&read), stderr(&read));
        // Written as [[objects]] on every dialect, not left out.
        for line in expected.iter() {
            assert!(text.contains(line), "{}: {line}\n{text}", server.dialect());
            assert!(!summary.contains("left out"), "{summary}");
        }
        // The serial column's own sequence goes with its column.
        assert!(!summary.contains("tickets_id_seq"), "{summary}");
        let parsed = parse_schema(&SourceFile::new("introspected.toml", text.clone()))
            .unwrap_or_else(|e| panic!("{}: {}\n{text}", server.dialect(), e.render()));
        let teams = parsed.table("teams").unwrap();
        // SQLite keeps no comments: they live in the model only.
        let (table_comment, column_comment) = match server {
            Server::Sqlite => (None, None),
            _ => (
                Some("Groups of users; it's what billing counts"),
                Some("Never reused"),
            ),
        };
        assert_eq!(teams.comment.as_deref(), table_comment, "{text}");
        assert_eq!(
            teams.column("id").unwrap().comment.as_deref(),
            column_comment,
            "{text}"
        );
        assert_eq!(teams.column("name").unwrap().comment, None, "{text}");
    }
}

/// Properties the model does not hold are named by class with what carries them, on
/// stdout's header and stderr, instead of being read as something plainer in silence.
#[test]
fn properties_the_model_lacks_are_named_by_class() {
    let cases: &[(Server, &str, &[&str])] = &[
        (
            Server::Postgres,
            "CREATE EXTENSION IF NOT EXISTS btree_gist;
             CREATE TABLE rooms (id bigint PRIMARY KEY, code text COLLATE \"C\",
                 area numeric, area2 numeric GENERATED ALWAYS AS (area * 2) STORED,
                 slot int4range, CONSTRAINT rooms_code_key UNIQUE (code) DEFERRABLE,
                 EXCLUDE USING gist (id WITH =, slot WITH &&));
             ALTER TABLE rooms ADD CONSTRAINT rooms_area CHECK (area > 0) NOT VALID;
             CREATE INDEX rooms_area_idx ON rooms (area NULLS FIRST);
             CREATE INDEX rooms_code_idx ON rooms (id, (code || 'x') COLLATE \"POSIX\");
             CREATE TABLE visits (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
             CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
            &[
                "1 column collation(s): rooms.code (C)",
                "1 index key with a collation(s): rooms_code_idx",
            ],
        ),
        (
            Server::Mysql,
            "CREATE TABLE rooms (id bigint PRIMARY KEY, area int,
                 area2 int GENERATED ALWAYS AS (area * 2) STORED,
                 code varchar(20) COLLATE utf8mb4_bin,
                 touched timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)
                 COLLATE latin1_swedish_ci;
             CREATE TABLE visits (id bigint, at date NOT NULL, PRIMARY KEY (id, at))
                 PARTITION BY RANGE (YEAR(at)) SUBPARTITION BY HASH (id) SUBPARTITIONS 2
                 (PARTITION p2026 VALUES LESS THAN (2027));",
            &[
                "1 subpartitioned table(s): visits",
                "1 table collation(s): rooms (latin1_swedish_ci)",
                "1 column collation(s): rooms.code (utf8mb4_bin)",
            ],
        ),
    ];
    for (server, sql, expected) in cases {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let url = match &scratch.target {
            tandem::apply::database::Target::Postgres(u)
            | tandem::apply::database::Target::Mysql(u) => u.clone(),
            _ => unreachable!(),
        };
        let mut db = common::connect(&url, std::path::Path::new("."));
        db.run_script(sql)
            .unwrap_or_else(|e| panic!("{}: {e}", server.dialect()));
        drop(db);
        let dir = tempfile::TempDir::new().unwrap();
        let read = tandem(dir.path())
            .args(["introspect", "--database-url", &url])
            .output()
            .unwrap();
        assert!(read.status.success(), "{}", stderr(&read));
        let (text, summary) = (stdout(&read), stderr(&read));
        assert!(!text.contains("Nothing was left out"), "{text}");
        for line in *expected {
            assert!(
                text.contains(&format!("#   {line}")),
                "{}: {line}\n{text}",
                server.dialect()
            );
            assert!(
                summary.contains(&format!("left out: {line}")),
                "{}: {line}\n{summary}",
                server.dialect()
            );
        }
        // What the model now holds is not named (see tests/it/live_properties.rs).
        for held in [
            "generated column",
            "exclusion constraint",
            "partition(s)",
            "deferrable key",
            "NOT VALID",
            "NULLS",
        ] {
            assert!(
                !summary.contains(held),
                "{}: {held}\n{summary}",
                server.dialect()
            );
        }
        if *server == Server::Postgres {
            assert!(!summary.contains("partitioned table"), "{summary}");
        }
    }
}

/// A check added NOT VALID reads back as its expression (the state is named as left
/// out), so the schema.toml introspect writes builds on an empty database.
#[test]
fn a_not_valid_check_and_a_generated_column_read_back_as_what_builds() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let url = match &scratch.target {
        tandem::apply::database::Target::Postgres(u) => u.clone(),
        _ => unreachable!(),
    };
    let mut db = common::connect(&url, std::path::Path::new("."));
    db.run_script(
        "CREATE TABLE scanners (id bigint PRIMARY KEY, vendor text NOT NULL,
             twice bigint GENERATED ALWAYS AS (id * 2) STORED);
         ALTER TABLE scanners ADD CONSTRAINT vendor_length CHECK ((char_length(vendor) <= 255)) NOT VALID;",
    )
    .unwrap();
    drop(db);
    let dir = tempfile::TempDir::new().unwrap();
    let read = tandem(dir.path())
        .args(["introspect", "--database-url", &url])
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", stderr(&read));
    let text = stdout(&read);
    assert!(!text.contains("NOT VALID\""), "{text}");
    // A generated column's expression is not its default.
    assert!(!text.contains("default_sql = \"(id * 2)\""), "{text}");
    assert!(text.contains("char_length(vendor) <= 255"), "{text}");
    // The state is kept, not named as left out.
    assert!(
        text.contains(
            "name = \"vendor_length\"\ncheck = \"char_length(vendor) <= 255\"\nvalid = false"
        ),
        "{text}"
    );
    assert!(!stderr(&read).contains("NOT VALID"), "{}", stderr(&read));
    let copy = Server::Postgres.fresh().unwrap();
    let project = common::project_files(
        "postgres",
        &text,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let p = project.path();
    assert!(tandem(p).arg("generate").output().unwrap().status.success());
    let copy_url = common::database_url(Server::Postgres, &copy, p);
    let out = common::migrate(p, &copy_url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `introspect` of `url`, which must succeed.
fn introspected(url: &str) -> String {
    let dir = tempfile::TempDir::new().unwrap();
    let out = tandem(dir.path())
        .args(["introspect", "--database-url", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

/// A project of `schema`, its baseline generated and migrated to a fresh database of
/// `server`: the database (kept while it is held), the project and its URL.
fn baseline_copy(
    server: Server,
    schema: &str,
) -> (tandem::apply::scratch::Scratch, tempfile::TempDir, String) {
    let copy = server.fresh().unwrap();
    let project = common::project_files(
        server.dialect(),
        schema,
        &[("0001_start.toml", &common::select_one("1.0.0"))],
    );
    let p = project.path();
    let generate = tandem(p).arg("generate").output().unwrap();
    assert!(generate.status.success(), "{}", stderr(&generate));
    let url = common::database_url(server, &copy, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    (copy, project, url)
}

/// An introspection without its comment lines (what was left out, when it was read).
fn without_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// MySQL's `timestamp` and `time` without fractional seconds are not the portable
/// `timestamp` and `time` (MySQL writes those `datetime(6)` and `time(6)`): introspect
/// writes them in a mapping, which reads the dialect's own name, and the baseline built
/// from it reads back the same.
#[test]
fn mysql_types_named_like_portable_ones_read_back_as_themselves() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let url = common::database_url(Server::Mysql, &scratch, std::path::Path::new("."));
    let mut db = common::connect(&url, std::path::Path::new("."));
    db.run_script(
        "CREATE TABLE visits (id bigint PRIMARY KEY, at timestamp NOT NULL DEFAULT current_timestamp(),
             opens time NULL, seen datetime NULL, exact timestamp(6) NULL)",
    )
    .unwrap();
    drop(db);
    let text = introspected(&url);
    assert!(
        text.contains("at = { type = { mysql = \"timestamp\" }"),
        "{text}"
    );
    assert!(
        text.contains("opens = { type = { mysql = \"time\" }"),
        "{text}"
    );
    assert!(text.contains("exact = { type = \"timestamptz\""), "{text}");
    let (_copy, _project, copy_url) = baseline_copy(Server::Mysql, &text);
    assert_eq!(
        without_comments(&introspected(&copy_url)),
        without_comments(&text)
    );
}

/// Postgres's `json` is not the portable `json` (jsonb there): it reads back as json.
#[test]
fn a_postgres_json_column_stays_json_through_a_baseline() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let url = common::database_url(Server::Postgres, &scratch, std::path::Path::new("."));
    let mut db = common::connect(&url, std::path::Path::new("."));
    db.run_script("CREATE TABLE hooks (id bigint PRIMARY KEY, raw json, parsed jsonb)")
        .unwrap();
    drop(db);
    let text = introspected(&url);
    assert!(
        text.contains("raw = { type = { postgres = \"json\" }"),
        "{text}"
    );
    assert!(text.contains("parsed = { type = \"json\""), "{text}");
    let (_copy, project, copy_url) = baseline_copy(Server::Postgres, &text);
    let mut db = common::connect(&copy_url, project.path());
    let types = db
        .query_text(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_name = 'hooks' AND column_name <> 'id' ORDER BY column_name",
        )
        .unwrap();
    assert_eq!(
        types,
        vec![
            vec![Some("parsed".into()), Some("jsonb".into())],
            vec![Some("raw".into()), Some("json".into())]
        ]
    );
}

/// MySQL tables kept by another engine than InnoDB (MEMORY, whose indexes are hashes
/// unless they say BTREE; MyISAM) read back with their engine and index methods, and the
/// baseline rebuilds them the same.
#[test]
fn mysql_tables_of_other_engines_read_back_with_their_engine_and_index_methods() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let url = common::database_url(Server::Mysql, &scratch, std::path::Path::new("."));
    let mut db = common::connect(&url, std::path::Path::new("."));
    db.run_script(
        "CREATE TABLE pollers (id int NOT NULL, pid int NOT NULL, host varchar(64) NOT NULL,
             PRIMARY KEY (id), KEY pid (pid), KEY host (host) USING BTREE) ENGINE=MEMORY;
         CREATE TABLE archive (id int NOT NULL PRIMARY KEY, note varchar(20) NULL) ENGINE=MyISAM;",
    )
    .unwrap();
    drop(db);
    let text = introspected(&url);
    assert!(text.contains("engine = \"MEMORY\""), "{text}");
    assert!(text.contains("engine = \"MyISAM\""), "{text}");
    assert!(text.contains("method = \"hash\""), "{text}");
    assert!(text.contains("method = \"btree\""), "{text}");
    let (_copy, _project, copy_url) = baseline_copy(Server::Mysql, &text);
    assert_eq!(
        without_comments(&introspected(&copy_url)),
        without_comments(&text)
    );

    // Engines are MySQL's: another dialect's project refuses one where it is written.
    let pg = common::project_files("postgres", &text, &[]);
    let out = tandem(pg.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`engine` is a MySQL table option"),
        "{}",
        stderr(&out)
    );
}

/// A Postgres schema whose tables lean on objects outside the table model: a domain a
/// column is typed by, a SQL function an expression index calls, a view, a sequence a
/// default draws from, a composite type, and a trigger function with its trigger.
const PG_OBJECTS: &str = r#"
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
CREATE TYPE money_amount AS (amount numeric(12,2), currency char(3));
CREATE SEQUENCE film_codes START WITH 100 INCREMENT BY 5;
CREATE FUNCTION timestamp_coalesce(a timestamp, b timestamp) RETURNS timestamp
    LANGUAGE sql IMMUTABLE AS $$ SELECT COALESCE(a, b) $$;
CREATE FUNCTION join_text(acc text, item text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc IS NULL THEN item ELSE acc || ', ' || item END $$;
CREATE AGGREGATE group_concat(text) (SFUNC = join_text, STYPE = text);
CREATE TABLE film (
    id integer PRIMARY KEY,
    code integer NOT NULL DEFAULT nextval('film_codes'),
    title text NOT NULL,
    release_year year,
    created_at timestamp,
    updated_at timestamp
);
CREATE INDEX film_touched_idx ON film (timestamp_coalesce(updated_at, created_at));
CREATE FUNCTION film_label(f film) RETURNS text LANGUAGE sql AS $$ SELECT f.title $$;
CREATE VIEW film_count AS SELECT 1::bigint AS n;
CREATE VIEW recent_films AS SELECT id, title FROM film WHERE release_year > 2000;
CREATE VIEW recent_titles AS SELECT group_concat(title) AS titles FROM recent_films;
CREATE OR REPLACE VIEW film_count AS SELECT count(*) AS n FROM recent_titles;
CREATE FUNCTION film_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER film_touch BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION film_touch();
"#;

/// Domains, types, sequences, functions, views and triggers are written into schema.toml
/// as `[[objects]]`; the baseline made from it creates them around the tables (an index
/// calls a function, a column is of a domain), the copy reads back the same, and drift
/// finds a view changed by hand.
#[test]
fn postgres_objects_outside_the_table_model_go_through_a_baseline_and_drift() {
    let server = Server::Postgres;
    let (Some(source), Some(copy)) = (server.fresh(), server.fresh()) else {
        return;
    };
    let noop = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let scratch_dir = common::project_with("postgres", "", &[("0001_noop.toml", noop)]);
    let source_url = common::database_url(server, &source, scratch_dir.path());
    common::connect(&source_url, scratch_dir.path())
        .run_script(PG_OBJECTS)
        .unwrap();
    let text = common::introspect(scratch_dir.path(), &source_url).unwrap();
    for made in [
        "kind = \"domain\"",
        "kind = \"type\"",
        "kind = \"sequence\"",
        "kind = \"function\"",
        "kind = \"aggregate\"",
        "kind = \"view\"",
        "kind = \"trigger\"",
    ] {
        assert!(text.contains(made), "{made}\n{text}");
    }
    assert!(!text.contains("#   "), "nothing is left out:\n{text}");
    // A function of a table's row needs the table.
    assert!(
        text.contains("name = \"film_label(film)\"\nafter_tables = true"),
        "{text}"
    );

    let dir = common::project_with("postgres", &text, &[("0001_noop.toml", noop)]);
    let p = dir.path();
    let url = common::database_url(server, &copy, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    let again = common::introspect(p, &url).unwrap();
    assert_eq!(again, text);

    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let mut db = common::connect(&url, p);
    db.run_script(
        "CREATE OR REPLACE VIEW recent_films AS SELECT id, title FROM film WHERE release_year > 1990;
         DROP TRIGGER film_touch ON film;",
    )
    .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    let report = stdout(&drift);
    assert!(report.contains("view recent_films"), "{report}");
    assert!(
        report.contains("trigger film.film_touch is missing"),
        "{report}"
    );
    // An object the team keeps by hand is ignored by its name.
    let settings = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        format!("{settings}\n[drift]\nignore = [\"recent_films\"]\n"),
    )
    .unwrap();
    let ignored = stdout(&common::run(p, &["diff", "--database-url", &url]));
    assert!(!ignored.contains("recent_films"), "{ignored}");
    assert!(ignored.contains("film.film_touch"), "{ignored}");
}

/// MySQL's and SQLite's objects: a view that reads a view named before it, routines and
/// triggers whose bodies hold `;` (in strings too), two triggers of one event in their
/// order (MySQL), an INSTEAD OF trigger on a view (SQLite), an event (MySQL), names
/// with quotes and spaces. Each is the hand-made database's, and what drift is shown.
fn other_objects(server: Server) -> (&'static str, &'static [&'static str], &'static str) {
    match server {
        Server::Mysql => (
            "CREATE TABLE film (id int PRIMARY KEY, title varchar(80) NOT NULL, seen int NOT NULL DEFAULT 0);
             CREATE TABLE film_log (film_id int NOT NULL, note varchar(200) NOT NULL);
             CREATE VIEW z_films AS SELECT id, title FROM film;
             CREATE VIEW a_titles AS SELECT title FROM z_films;
             CREATE DEFINER=CURRENT_USER VIEW `odd \"name\" é` AS SELECT 1 AS one;
             CREATE FUNCTION film_label(t varchar(80)) RETURNS varchar(90) DETERMINISTIC RETURN CONCAT('film; ', t);
             CREATE PROCEDURE see_films() BEGIN UPDATE film SET seen = seen + 1; INSERT INTO film_log VALUES (0, 'seen; all'); END;
             CREATE TRIGGER film_made AFTER INSERT ON film FOR EACH ROW BEGIN INSERT INTO film_log VALUES (NEW.id, 'made'); INSERT INTO film_log VALUES (NEW.id, film_label(NEW.title)); END;
             CREATE TRIGGER film_made_too AFTER INSERT ON film FOR EACH ROW PRECEDES film_made INSERT INTO film_log VALUES (NEW.id, 'first');
             CREATE EVENT purge_log ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DO DELETE FROM film_log;",
            &[
                "kind = \"view\"\nname = \"z_films\"",
                "kind = \"view\"\nname = \"a_titles\"",
                "kind = \"function\"\nname = \"film_label\"",
                "kind = \"procedure\"\nname = \"see_films\"",
                "kind = \"trigger\"\nname = \"film.film_made_too\"",
                "kind = \"trigger\"\nname = \"film.film_made\"",
                "kind = \"event\"\nname = \"purge_log\"",
            ],
            "CREATE OR REPLACE VIEW z_films AS SELECT id FROM film; DROP TRIGGER film_made",
        ),
        Server::Sqlite => (
            "CREATE TABLE film (id integer PRIMARY KEY, title text NOT NULL, seen integer NOT NULL DEFAULT 0);
             CREATE TABLE film_log (film_id integer NOT NULL, note text NOT NULL);
             CREATE VIEW z_films AS SELECT id, title FROM film;
             CREATE VIEW a_titles AS SELECT title FROM \"z_films\";
             CREATE VIEW \"odd \"\"name\"\" é\" AS SELECT 1 AS one;
             CREATE TRIGGER film_made AFTER INSERT ON film BEGIN INSERT INTO film_log VALUES (NEW.id, 'made'); INSERT INTO film_log VALUES (NEW.id, 'film; ' || NEW.title); END;
             CREATE TRIGGER a_titles_insert INSTEAD OF INSERT ON a_titles BEGIN INSERT INTO film (title) VALUES (NEW.title); END;",
            &[
                "kind = \"view\"\nname = \"z_films\"",
                "kind = \"view\"\nname = \"a_titles\"",
                "kind = \"trigger\"\nname = \"film.film_made\"",
                "kind = \"trigger\"\nname = \"a_titles.a_titles_insert\"",
            ],
            "DROP VIEW a_titles; DROP VIEW z_films; CREATE VIEW z_films AS SELECT id FROM film; \
             CREATE VIEW a_titles AS SELECT id AS title FROM z_films; DROP TRIGGER film_made",
        ),
        Server::Postgres => unreachable!("see postgres_objects_outside_the_table_model_go_through_a_baseline_and_drift"),
    }
}

fn other_objects_go_through_a_baseline_and_drift(server: Server) {
    let (Some(source), Some(copy)) = (server.fresh(), server.fresh()) else {
        return;
    };
    let (made, expected, drifted) = other_objects(server);
    let noop = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let scratch_dir = common::project_with(server.dialect(), "", &[("0001_noop.toml", noop)]);
    let source_url = match server {
        Server::Sqlite => format!(
            "sqlite://{}",
            scratch_dir.path().join("source.db").display()
        ),
        _ => common::database_url(server, &source, scratch_dir.path()),
    };
    common::connect(&source_url, scratch_dir.path())
        .run_script(made)
        .unwrap();
    let text = common::introspect(scratch_dir.path(), &source_url).unwrap();
    for made in expected {
        assert!(text.contains(made), "{made}\n{text}");
    }
    assert!(!text.contains("#   "), "nothing is left out:\n{text}");
    assert!(!text.contains("DEFINER=`"), "{text}");
    // The view that reads another comes after it.
    let at = |name: &str| text.find(&format!("name = \"{name}\"")).unwrap();
    assert!(at("z_films") < at("a_titles"), "{text}");

    let dir = common::project_with(server.dialect(), &text, &[("0001_noop.toml", noop)]);
    let p = dir.path();
    let url = common::database_url(server, &copy, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    let again = common::introspect(p, &url).unwrap();
    assert_eq!(again, text);
    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    // The copy's objects work as the original's: the triggers fire, in order.
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO film (id, title) VALUES (7, 'Heat')")
        .unwrap();
    // No key: rows come back in the order they were written.
    let notes = db
        .query_text("SELECT note FROM film_log WHERE film_id = 7")
        .unwrap();
    let notes: Vec<String> = notes.into_iter().flatten().flatten().collect();
    let want: &[&str] = match server {
        Server::Mysql => &["first", "made", "film; Heat"],
        _ => &["made", "film; Heat"],
    };
    assert_eq!(notes, want);

    db.run_script(drifted).unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    let report = stdout(&drift);
    assert!(report.contains("view z_films differs"), "{report}");
    assert!(
        report.contains("trigger film.film_made is missing"),
        "{report}"
    );
}

#[test]
fn mariadb_objects_go_through_a_baseline_and_drift() {
    other_objects_go_through_a_baseline_and_drift(Server::Mysql);
}

#[test]
fn sqlite_objects_go_through_a_baseline_and_drift() {
    other_objects_go_through_a_baseline_and_drift(Server::Sqlite);
}

/// Row-level security (enabled and forced), a permissive and a restrictive policy (one
/// for a role named with a quote) and an event trigger: written as `[[objects]]`,
/// created by the baseline, read back the same, no drift.
#[test]
fn postgres_policies_and_event_triggers_go_through_a_baseline() {
    let server = Server::Postgres;
    let (Some(source), Some(copy)) = (server.fresh(), server.fresh()) else {
        return;
    };
    let noop = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let scratch_dir = common::project_with("postgres", "", &[("0001_noop.toml", noop)]);
    let source_url = common::database_url(server, &source, scratch_dir.path());
    let mut db = common::connect(&source_url, scratch_dir.path());
    db.run_script(
        "DO $$ BEGIN CREATE ROLE \"tandem it's reader\"; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
         CREATE TABLE notes (id bigint PRIMARY KEY, owner text NOT NULL, body text);
         ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
         ALTER TABLE notes FORCE ROW LEVEL SECURITY;
         CREATE POLICY own_notes ON notes USING (owner = current_user) WITH CHECK (owner = current_user);
         CREATE POLICY \"no empty\" ON notes AS RESTRICTIVE FOR INSERT TO \"tandem it's reader\", postgres WITH CHECK (body <> '');
         CREATE FUNCTION no_drops() RETURNS event_trigger LANGUAGE plpgsql AS $f$BEGIN RAISE NOTICE 'ddl'; END$f$;
         CREATE EVENT TRIGGER no_drops ON ddl_command_start WHEN TAG IN ('DROP TABLE') EXECUTE FUNCTION no_drops();",
    )
    .unwrap();
    let text = common::introspect(scratch_dir.path(), &source_url);
    // Event triggers belong to the database: the copy's must not meet the source's.
    db.run_script("DROP EVENT TRIGGER no_drops").unwrap();
    let text = text.unwrap();
    for made in [
        "kind = \"row_security\"\nname = \"notes\"",
        "ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY",
        "kind = \"policy\"\nname = \"notes.own_notes\"",
        "kind = \"policy\"\nname = \"notes.no empty\"",
        "AS RESTRICTIVE FOR INSERT TO \"tandem it's reader\", postgres",
        "kind = \"event_trigger\"\nname = \"no_drops\"",
        "WHEN TAG IN ('DROP TABLE')",
    ] {
        assert!(text.contains(made), "{made}\n{text}");
    }
    assert!(!text.contains("#   "), "nothing is left out:\n{text}");

    let dir = common::project_with("postgres", &text, &[("0001_noop.toml", noop)]);
    let p = dir.path();
    let url = common::database_url(server, &copy, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    let again = common::introspect(p, &url);
    common::connect(&url, p)
        .run_script("DROP EVENT TRIGGER IF EXISTS no_drops")
        .unwrap();
    assert_eq!(again.unwrap(), text);
}

/// MySQL's `ON UPDATE CURRENT_TIMESTAMP`, with and without a precision: introspect writes
/// it, the baseline and `add_column` make it, an UPDATE fills it, drift finds it removed
/// by hand.
#[test]
fn mariadb_on_update_columns_go_through_a_baseline_add_column_and_drift() {
    let server = Server::Mysql;
    let (Some(source), Some(copy)) = (server.fresh(), server.fresh()) else {
        return;
    };
    let noop = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let scratch_dir = common::project_with("mysql", "", &[("0001_noop.toml", noop)]);
    let source_url = common::database_url(server, &source, scratch_dir.path());
    common::connect(&source_url, scratch_dir.path())
        .run_script(
            "CREATE TABLE rooms (id bigint PRIMARY KEY, name varchar(20) NOT NULL,
                 touched timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
                 fine datetime(6) NULL ON UPDATE current_timestamp(6))",
        )
        .unwrap();
    let text = common::introspect(scratch_dir.path(), &source_url).unwrap();
    assert!(text.contains("on_update = \"CURRENT_TIMESTAMP\""), "{text}");
    assert!(
        text.contains("on_update = \"CURRENT_TIMESTAMP(6)\""),
        "{text}"
    );
    assert!(!text.contains("#   "), "nothing is left out:\n{text}");
    let add = "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"rooms\"\n\
        column = { name = \"seen\", type = \"timestamp\", nullable = true, on_update = \"current_timestamp\" }\n";
    let dir = common::project_with(
        "mysql",
        &text,
        &[("0001_noop.toml", noop), ("0002_seen.toml", add)],
    );
    let p = dir.path();
    let url = common::database_url(server, &copy, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    assert_eq!(common::introspect(p, &url).unwrap(), text);
    let out = common::migrate(p, &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    let mut db = common::connect(&url, p);
    db.run_script(
        "INSERT INTO rooms (id, name, touched) VALUES (1, 'a', '2001-01-01 00:00:00');
         UPDATE rooms SET name = 'b'",
    )
    .unwrap();
    let filled = db
        .query_text("SELECT touched > '2001-01-02', fine IS NOT NULL, seen IS NOT NULL FROM rooms")
        .unwrap();
    assert_eq!(
        filled,
        vec![vec![
            Some("1".to_string()),
            Some("1".to_string()),
            Some("1".to_string())
        ]]
    );
    db.run_script("ALTER TABLE rooms MODIFY seen timestamp NULL")
        .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    let report = stdout(&drift);
    assert!(
        report.contains("the ON UPDATE of column rooms.seen is none in the database but CURRENT_TIMESTAMP(6) in the plan"),
        "{report}"
    );
}

/// `on_update` is MySQL's, and only `CURRENT_TIMESTAMP` on a time column: anything else
/// is an input error at its place (exit 2).
#[test]
fn an_on_update_that_cannot_be_made_is_refused_where_written() {
    let cases = [
        (
            "postgres",
            "at = { type = \"timestamp\", on_update = \"CURRENT_TIMESTAMP\" }",
            "`on_update` is MySQL's",
            "schema.toml:5:",
        ),
        (
            "mysql",
            "at = { type = \"timestamp\", on_update = \"NOW()\" }",
            "invalid `on_update` of `at`",
            "schema.toml:5:",
        ),
        (
            "mysql",
            "at = { type = \"bigint\", on_update = \"CURRENT_TIMESTAMP\" }",
            "needs a timestamp or datetime column",
            "schema.toml:5:",
        ),
    ];
    for (dialect, column, said, at) in cases {
        let schema = format!("[tables.t]\nprimary_key = [\"id\"]\n[tables.t.columns]\nid = {{ type = \"bigint\" }}\n{column}\n");
        let dir = common::project_files(dialect, &schema, &[]);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{column}\n{err}");
        assert!(err.contains(said), "{said}\n{err}");
        assert!(err.contains(at), "{at}\n{err}");
    }
}
