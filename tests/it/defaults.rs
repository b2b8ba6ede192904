//! A literal `default` the column's type cannot hold is an input error where it is
//! written (schema.toml, create_table, add_column, alter_column); one that tandem lets
//! through applies on the real servers.

use crate::common;

use common::{project_files, stderr, tandem, Server};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use tandem::apply::database::Database;
use tandem::diag::SourceFile;
use tandem::parse::schema::parse_schema;
use tandem::sql::ddl::create_table;
use tandem::sql::text::terminate;
use tandem::sql::Dialect;

/// (type, TOML literal, what the message must say) that no dialect can store.
const MISFITS: &[(&str, &str, &str)] = &[
    ("integer", "\"abc\"", "whole numbers"),
    ("smallint", "99999999999", "-32768 to 32767"),
    ("integer", "2147483648", "-2147483648 to 2147483647"),
    ("integer", "1.5", "whole numbers"),
    ("varchar(3)", "\"abcd\"", "at most 3 characters"),
    ("boolean", "\"yes\"", "`true` or `false`"),
    (
        "decimal(5,2)",
        "1234.5",
        "at most 3 digits before the point",
    ),
    ("decimal(5,2)", "1.005", "2 after it"),
    ("date", "\"tomorrow\"", "YYYY-MM-DD"),
    ("date", "\"2023-02-29\"", "YYYY-MM-DD"),
    ("time", "\"25:00:00\"", "HH:MM:SS"),
    ("timestamp", "\"2024-01-01\"", "YYYY-MM-DD HH:MM:SS"),
    ("uuid", "\"not-a-uuid\"", "8-4-4-4-12"),
    ("json", "\"{oops\"", "JSON"),
    ("text", "12", "in quotes"),
];

const USERS: &str = r#"[tables.users]
primary_key = ["id"]
columns = { id = { type = "bigint" }, note = { type = "text", nullable = true } }
"#;

/// Runs `plan` and checks the refusal: exit 2, at `file:line:`, saying what fits.
fn assert_refused(dir: &std::path::Path, at: &str, says: &str, what: &str) {
    let out = tandem(dir).arg("plan").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(err.contains("does not fit its type"), "{what}: {err}");
    assert!(err.contains(at), "{what}: expected {at} in {err}");
    assert!(err.contains(says), "{what}: expected `{says}` in {err}");
}

#[test]
fn a_default_the_type_cannot_hold_is_refused_in_schema_toml() {
    for (ty, lit, says) in MISFITS {
        let schema = format!(
            "[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\nid = {{ type = \"bigint\" }}\n\
             v = {{ type = \"{ty}\", default = {lit} }}\n"
        );
        let dir = project_files("sqlite", &schema, &[]);
        let col = "v = { type = \"\", default = ".len() + ty.len() + 1;
        assert_refused(
            dir.path(),
            &format!("schema.toml:6:{col}"),
            says,
            &format!("{ty} {lit}"),
        );
    }
}

#[test]
fn a_default_the_type_cannot_hold_is_refused_in_every_op_that_writes_one() {
    for (ty, lit, says) in MISFITS {
        let ops = [
            (
                "create_table",
                format!(
                    "type = \"create_table\"\ntable = \"t\"\nprimary_key = [\"id\"]\n\
                     columns = {{ id = {{ type = \"bigint\" }}, v = {{ type = \"{ty}\", default = {lit} }} }}\n"
                ),
            ),
            (
                "add_column",
                format!(
                    "type = \"add_column\"\ntable = \"users\"\n\
                     column = {{ name = \"v\", type = \"{ty}\", nullable = true, default = {lit} }}\n"
                ),
            ),
            (
                "alter_column with its type",
                format!(
                    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"note\"\n\
                     column_type = \"{ty}\"\nnew_name = \"note2\"\ndefault = {lit}\n"
                ),
            ),
        ];
        for (what, op) in ops {
            let change = format!("release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\n{op}");
            let dir = project_files("sqlite", USERS, &[("0001_c.toml", &change)]);
            assert_refused(
                dir.path(),
                "changes/0001_c.toml:",
                says,
                &format!("{what}: {ty} {lit}"),
            );
        }
    }
}

/// Without `column_type`, the default is checked against the column's type in the
/// model, pointing at the default.
#[test]
fn an_alter_column_default_is_checked_against_the_type_the_column_has() {
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n\
                  columns = { id = { type = \"bigint\" }, n = { type = \"smallint\" } }\n";
    let change = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"alter_column\"\n\
                  table = \"users\"\ncolumn = \"n\"\ndefault = 99999999999\n";
    let dir = project_files("postgres", schema, &[("0001_c.toml", change)]);
    assert_refused(
        dir.path(),
        "changes/0001_c.toml:8:11",
        "-32768 to 32767",
        "alter_column",
    );
}

/// What tandem lets through for a type applies on every server; what it refuses is
/// refused as an input error. Random pairs of types and literals.
fn type_and_literal() -> impl Strategy<Value = (String, String)> {
    let ty = prop_oneof![
        Just("smallint".to_string()),
        Just("integer".to_string()),
        Just("bigint".to_string()),
        Just("boolean".to_string()),
        Just("real".to_string()),
        Just("double".to_string()),
        (1u32..12, 0u32..4).prop_map(|(p, s)| format!("decimal({},{})", p.max(s), s)),
        Just("text".to_string()),
        (1u32..8).prop_map(|n| format!("varchar({n})")),
        (1u32..8).prop_map(|n| format!("char({n})")),
        Just("date".to_string()),
        Just("time".to_string()),
        Just("timestamp".to_string()),
        Just("timestamptz".to_string()),
        Just("uuid".to_string()),
        Just("json".to_string()),
    ];
    let digits = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        (-40_000i64..40_000).prop_map(|i| i.to_string()),
        (-3_000_000_000i64..3_000_000_000).prop_map(|i| i.to_string()),
    ];
    let lit = prop_oneof![
        digits,
        (-1.0e6f64..1.0e6).prop_map(|f| format!("{f:?}")),
        (0u32..10_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        Just("1e39".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z0-9 ]{0,10}".prop_map(|s| format!("\"{s}\"")),
        (999u32..10_001, 0u32..14, 0u32..33)
            .prop_map(|(y, m, d)| format!("\"{y:04}-{m:02}-{d:02}\"")),
        (0u32..26, 0u32..61, 0u32..61).prop_map(|(h, m, s)| format!("\"{h:02}:{m:02}:{s:02}\"")),
        (1990u32..2030, 1u32..13, 1u32..29, 0u32..24, prop::bool::ANY).prop_map(
            |(y, m, d, h, t)| format!(
                "\"{y:04}-{m:02}-{d:02}{}{h:02}:15:30.25\"",
                if t { "T" } else { " " }
            )
        ),
        Just("\"123e4567-e89b-12d3-a456-426614174000\"".to_string()),
        Just("\"123e4567e89b12d3a456426614174000\"".to_string()),
        Just("\"{\\\"a\\\": [1, 2]}\"".to_string()),
        Just("\"[1,\"".to_string()),
        Just("\"true\"".to_string()),
    ];
    // Half the time a literal close to what the type holds, at the edges of its range.
    (ty, lit).prop_flat_map(|(ty, lit)| {
        let near = near_literal(&ty);
        (Just(ty), prop_oneof![Just(lit), near])
    })
}

fn near_literal(ty: &str) -> BoxedStrategy<String> {
    let base = ty.split('(').next().unwrap_or(ty);
    let args: Vec<u32> = ty
        .trim_start_matches(base)
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter_map(|a| a.parse().ok())
        .collect();
    match base {
        "smallint" => (-32_770i64..32_770).prop_map(|i| i.to_string()).boxed(),
        "integer" => prop_oneof![
            Just("2147483647".to_string()),
            Just("-2147483648".to_string()),
            Just("2147483648".to_string()),
            any::<i32>().prop_map(|i| i.to_string()),
        ]
        .boxed(),
        "bigint" => any::<i64>().prop_map(|i| i.to_string()).boxed(),
        "decimal" => {
            let (p, s) = (args[0], args[1]);
            (0u64..10u64.pow(p.min(18) + 1), 0u32..3, prop::bool::ANY)
                .prop_map(move |(digits, extra, neg)| {
                    let scale = s + extra % 2;
                    let text = format!("{digits:0>width$}", width = scale as usize + 1);
                    let (whole, fraction) = text.split_at(text.len() - scale as usize);
                    let sign = if neg { "-" } else { "" };
                    if fraction.is_empty() {
                        format!("{sign}{whole}")
                    } else {
                        format!("{sign}{whole}.{fraction}")
                    }
                })
                .boxed()
        }
        "varchar" | "char" => {
            let n = args[0] as usize;
            prop::collection::vec(
                prop::sample::select(vec!['a', 'é', ' ', '😀', 'Z']),
                0..n + 2,
            )
            .prop_map(|v| format!("\"{}\"", v.into_iter().collect::<String>()))
            .boxed()
        }
        "date" => (999u32..10_001, 1u32..13, 1u32..32)
            .prop_map(|(y, m, d)| format!("\"{y:04}-{m:02}-{d:02}\""))
            .boxed(),
        "time" => (0u32..25, 0u32..61, 0u32..61, 0u32..1_000_000)
            .prop_map(|(h, m, s, f)| format!("\"{h:02}:{m:02}:{s:02}.{f}\""))
            .boxed(),
        "timestamp" | "timestamptz" => (
            prop_oneof![999u32..10_000, 1969u32..2040],
            1u32..13,
            1u32..32,
            0u32..25,
        )
            .prop_map(|(y, m, d, h)| format!("\"{y:04}-{m:02}-{d:02} {h:02}:00:00\""))
            .boxed(),
        "uuid" => "[0-9a-fA-F]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-g]{12}"
            .prop_map(|s| format!("\"{s}\""))
            .boxed(),
        "boolean" => prop_oneof![Just("true".to_string()), Just("\"false\"".to_string())].boxed(),
        _ => (-1.0e30f64..1.0e30).prop_map(|f| format!("{f:?}")).boxed(),
    }
}

fn literals_apply_or_are_refused(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dialect = match server {
        Server::Sqlite => Dialect::Sqlite,
        Server::Postgres => Dialect::Postgres,
        Server::Mysql => Dialect::Mysql,
    };
    let db = std::cell::RefCell::new(Database::connect(&scratch.target).unwrap());
    let n = std::cell::Cell::new(0);
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 64,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    runner
        .run(&type_and_literal(), |(ty, lit)| {
            n.set(n.get() + 1);
            let table = format!("t{}", n.get());
            let schema = format!(
                "[tables.{table}]\nprimary_key = [\"id\"]\n\n[tables.{table}.columns]\n\
                 id = {{ type = \"integer\" }}\nv = {{ type = \"{ty}\", default = {lit} }}\n"
            );
            let parsed = match parse_schema(&SourceFile::new("schema.toml", schema)) {
                Err(e) => {
                    prop_assert_eq!(e.exit_code(), 2, "{} {}: {}", ty, lit, e.render());
                    return Ok(());
                }
                Ok(s) => s,
            };
            let sql = terminate(&create_table(dialect, &parsed.tables[0]));
            let mut db = db.borrow_mut();
            db.run_script(&sql)
                .map_err(|e| TestCaseError::fail(format!("{ty} {lit}: {e}\n{sql}")))?;
            db.run_script(&format!("INSERT INTO {table} (id) VALUES (1)"))
                .map_err(|e| TestCaseError::fail(format!("{ty} {lit}: insert: {e}\n{sql}")))?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn literals_tandem_accepts_apply_on_postgres() {
    literals_apply_or_are_refused(Server::Postgres);
}

#[test]
fn literals_tandem_accepts_apply_on_mariadb() {
    literals_apply_or_are_refused(Server::Mysql);
}

#[test]
fn literals_tandem_accepts_apply_on_sqlite() {
    literals_apply_or_are_refused(Server::Sqlite);
}

/// A table with a timestamptz default, a column for a probe value, and a release that
/// adds a column with another timestamptz default.
const EVENTS: &str = "[tables.events]\nprimary_key = [\"id\"]\n[tables.events.columns]\nid = { type = \"bigint\" }\nat = { type = \"timestamptz\", default = \"2024-01-31 08:30:00\" }\nseen = { type = \"timestamptz\", nullable = true }\n";
const ADD_LATER: &str = "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"events\"\ncolumn = { name = \"later\", type = \"timestamptz\", nullable = true, default = \"2024-02-01 12:00:00\" }\n";
/// The instants of the defaults (UTC by tandem's rule) and of probe value 7.
const AT: i64 = 1_706_689_800;
const LATER: i64 = 1_706_788_800;

/// The instants of row 1 (at, later, seen) as seconds since the epoch.
fn instants(db: &mut Database, server: Server) -> Vec<i64> {
    let sql = match server {
        Server::Postgres => "SELECT extract(epoch FROM at)::bigint, extract(epoch FROM later)::bigint, extract(epoch FROM seen)::bigint FROM events WHERE id = 1",
        _ => "SELECT unix_timestamp(at), unix_timestamp(later), unix_timestamp(seen) FROM events WHERE id = 1",
    };
    db.query_text(sql).unwrap()[0]
        .iter()
        .map(|v| {
            v.as_deref()
                .unwrap()
                .split('.')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// A timestamptz default, a default added by a later release and a probe value mean the
/// same instant whatever the session's time zone that runs the files and the insert:
/// Postgres literals carry `+00:00`; MySQL statements that write one run in UTC. What
/// introspect reads back from a session in another zone is the UTC value schema.toml has.
#[test]
fn timestamptz_defaults_and_probe_values_are_the_same_instant_in_every_session_zone() {
    let probe =
        |dialect| tandem::verify::made_up(dialect, &tandem::types::ColumnType::TimestampTz, 7);
    if Server::Postgres.url().is_some() {
        let mut seen = Vec::new();
        for zone in ["UTC", "America%2FNew_York"] {
            let scratch = Server::Postgres.fresh().unwrap();
            let dir = common::project_with("postgres", EVENTS, &[("0001_later.toml", ADD_LATER)]);
            let url = common::database_url(Server::Postgres, &scratch, dir.path());
            let url = format!("{url}?options=-c%20TimeZone%3D{zone}");
            let out = common::migrate(dir.path(), &url, "1.0.0", "expand");
            assert!(out.status.success(), "{}", stderr(&out));
            let mut db = common::connect(&url, dir.path());
            let shown = db.query_text("SHOW TimeZone").unwrap()[0][0]
                .clone()
                .unwrap();
            assert_eq!(shown, zone.replace("%2F", "/"));
            let insert = format!(
                "INSERT INTO events (id, seen) VALUES (1, {})",
                probe(Dialect::Postgres)
            );
            db.run_script(&insert).unwrap();
            let found = instants(&mut db, Server::Postgres);
            assert_eq!(&found[..2], &[AT, LATER], "{zone}");
            seen.push(found[2]);
            let schema = common::introspect(dir.path(), &url).unwrap();
            assert!(
                schema.contains("\"2024-01-31 08:30:00\""),
                "{zone}: {schema}"
            );
            assert!(
                schema.contains("\"2024-02-01 12:00:00\""),
                "{zone}: {schema}"
            );
        }
        assert_eq!(seen[0], seen[1], "the probe value is one instant");
    }
    if Server::Mysql.url().is_some() {
        let mut seen = Vec::new();
        for zone in ["+00:00", "-05:00"] {
            let scratch = Server::Mysql.fresh().unwrap();
            let dir = common::project_with("mysql", EVENTS, &[("0001_later.toml", ADD_LATER)]);
            let url = common::database_url(Server::Mysql, &scratch, dir.path());
            // The files as another runner in another zone runs them.
            let mut statements = Vec::new();
            let mut files = tandem::layout::list_sql_files(&dir.path().join("migrations")).unwrap();
            let version = |f: &String| -> u64 {
                let name = f.rsplit('/').next().unwrap();
                name[1..name.find("__").unwrap()].parse().unwrap()
            };
            files.sort_by_key(version);
            for file in files {
                let sql =
                    std::fs::read_to_string(dir.path().join("migrations").join(&file)).unwrap();
                statements.extend(tandem::sql::split::statements(Dialect::Mysql, &sql));
            }
            // tandem's probes set their session to UTC (MySQL takes no offset in a literal).
            statements.push("SET time_zone = '+00:00'".into());
            statements.push(format!(
                "INSERT INTO events (id, seen) VALUES (1, {})",
                probe(Dialect::Mysql)
            ));
            let init = format!("SET time_zone = '{zone}'");
            let out = common::mariadb_client(&url, &statements, Some(&init));
            assert!(out.status.success(), "{zone}: {}", stderr(&out));
            let mut db = common::connect(&url, dir.path());
            let found = instants(&mut db, Server::Mysql);
            assert_eq!(&found[..2], &[AT, LATER], "{zone}");
            seen.push(found[2]);
        }
        assert_eq!(seen[0], seen[1], "a probe value in tandem's UTC session");
    }
}
