//! Raw SQL the model can see: a `sql` op's DDL is folded into the model, so later ops and
//! the probes know its tables; its destructive statements are under the rule whatever
//! `destructive` says; SQL tandem cannot parse runs verbatim, with a warning.

use crate::common;

use common::{project_files, project_with, stderr, stdout, tandem, Server, USERS};

fn sql_op(release: &str, field: &str, sql: &str, extra: &str) -> String {
    format!(
        "release = \"{release}\"\n\n[[op]]\ntype = \"sql\"\n{field} = \"\"\"{sql}\"\"\"\n{extra}"
    )
}

fn plan(dir: &std::path::Path) -> std::process::Output {
    tandem(dir).arg("plan").output().unwrap()
}

/// `ALTER TABLE users DROP COLUMN nickname` in an expand is refused without any flag:
/// exit 1, naming the change file, the op, the statement and where it may go.
#[test]
fn a_raw_drop_column_in_expand_is_refused_without_any_flag() {
    for dialect in ["postgres", "mysql", "sqlite"] {
        let change = sql_op(
            "1.1.0",
            "expand",
            "ALTER TABLE users DROP COLUMN nickname",
            "",
        );
        let dir = project_files(dialect, USERS, &[("0001_drop_nickname.toml", &change)]);
        let out = plan(dir.path());
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{dialect}: {text}");
        for wanted in [
            "refused",
            "changes/0001_drop_nickname.toml",
            "sql",
            "ALTER TABLE users DROP COLUMN nickname",
            "drops column users.nickname",
            "`contract`",
            "destructive = true",
            "own",
        ] {
            assert!(
                text.contains(wanted),
                "{dialect}: `{wanted}` missing in {text}"
            );
        }
        // `generate` refuses too: nothing is written.
        let out = tandem(dir.path()).arg("generate").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{dialect}: {}", stderr(&out));
    }
}

/// Every destructive kind of statement is refused in expand, on every dialect; the
/// harmless ones plan.
#[test]
fn destructive_statements_of_every_kind_are_refused_in_expand() {
    let destructive = [
        "DROP TABLE users",
        "ALTER TABLE users DROP COLUMN legacy_email",
        "ALTER TABLE users ALTER COLUMN nickname SET NOT NULL",
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(10)",
        "TRUNCATE TABLE users",
        "DELETE FROM users",
        "UPDATE users SET nickname = 'x'",
        "DROP INDEX users_email_idx",
        "REVOKE SELECT ON users FROM PUBLIC",
        "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE users DISABLE TRIGGER users_fill",
        "ALTER TABLE users DETACH PARTITION users_old",
        "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone",
        "EXPLAIN ANALYZE UPDATE users SET nickname = NULL",
    ];
    for sql in destructive {
        let change = sql_op("1.1.0", "expand", sql, "");
        let dir = project_files("postgres", USERS, &[("0001_raw.toml", &change)]);
        let out = plan(dir.path());
        assert_eq!(
            out.status.code(),
            Some(1),
            "{sql}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let harmless = [
        "SELECT 1",
        "DELETE FROM users WHERE id = 0",
        "UPDATE users SET nickname = 'x' WHERE id = 0",
        "ALTER TABLE users ALTER COLUMN email TYPE varchar(300)",
        "ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL",
        "ALTER TABLE users ADD COLUMN bio text",
        "CREATE INDEX users_nickname_idx ON users (nickname)",
    ];
    for sql in harmless {
        let change = sql_op("1.1.0", "expand", sql, "");
        let dir = project_files("postgres", USERS, &[("0001_raw.toml", &change)]);
        let out = plan(dir.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{sql}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    // MySQL's redeclaration of a column, narrowing it.
    let change = sql_op(
        "1.1.0",
        "expand",
        "ALTER TABLE users MODIFY COLUMN email VARCHAR(10) NOT NULL",
        "",
    );
    let dir = project_files("mysql", USERS, &[("0001_raw.toml", &change)]);
    assert_eq!(plan(dir.path()).status.code(), Some(1));
}

/// `destructive = false` asserts that tandem misjudges a statement: the plan goes on and
/// says so, in text and JSON.
#[test]
fn destructive_false_is_an_assertion_the_plan_shows() {
    let change = sql_op(
        "1.1.0",
        "expand",
        "ALTER TABLE users DROP COLUMN nickname",
        "destructive = false\n",
    );
    let dir = project_files("postgres", USERS, &[("0001_drop_nickname.toml", &change)]);
    let out = plan(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("note: changes/0001_drop_nickname.toml (op 1, sql)"),
        "{text}"
    );
    assert!(text.contains("`destructive = false` asserts"), "{text}");
    let out = tandem(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = json["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{json}");
    assert_eq!(notes[0]["warning"], false);
    assert_eq!(notes[0]["op_index"], 1);
    assert!(notes[0]["message"]
        .as_str()
        .unwrap()
        .contains("ALTER TABLE users DROP COLUMN nickname"));
}

/// A destructive statement in `contract` waits for the rule without `destructive = true`.
#[test]
fn a_destructive_contract_statement_waits_for_the_rule_without_the_flag() {
    let change = sql_op(
        "1.1.0",
        "contract",
        "ALTER TABLE users DROP COLUMN nickname",
        "",
    );
    let dir = project_files(
        "postgres",
        USERS,
        &[
            ("0001_drop_nickname.toml", &change),
            ("0002_next.toml", &sql_op("1.2.0", "expand", "SELECT 1", "")),
        ],
    );
    let out = plan(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let contract_12 = text.split("contract(1.2.0)").nth(1).unwrap();
    assert!(contract_12.contains("[destructive]"), "{text}");
    let contract_11 = text
        .split("contract(1.1.0)")
        .nth(1)
        .unwrap()
        .split("release 1.2.0")
        .next()
        .unwrap();
    assert!(contract_11.contains("(nothing)"), "{text}");
}

/// SQL tandem cannot parse may drop or tighten anything: in expand it is refused unless
/// the op asserts `destructive = false`; then it runs verbatim, and the plan warns that the
/// model does not see it.
#[test]
fn unparseable_sql_plans_with_a_warning() {
    let change = sql_op("1.1.0", "expand", "FROBNICATE THE users TABLE", "");
    let dir = project_files("sqlite", USERS, &[("0001_odd.toml", &change)]);
    let out = plan(dir.path());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    for wanted in [
        "refused: SQL tandem cannot read",
        "FROBNICATE THE users TABLE",
        "destructive = false",
    ] {
        assert!(text.contains(wanted), "`{wanted}` missing in {text}");
    }
    let change = sql_op(
        "1.1.0",
        "expand",
        "FROBNICATE THE users TABLE",
        "destructive = false\n",
    );
    let dir = project_files("sqlite", USERS, &[("0001_odd.toml", &change)]);
    let out = plan(dir.path());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("warning: changes/0001_odd.toml (op 1, sql)"),
        "{text}"
    );
    assert!(text.contains("the model does not see"), "{text}");
    let out = tandem(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert!(
        json["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["warning"] == true),
        "{json}"
    );
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sql = std::fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .flat_map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                std::fs::read_dir(p)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                vec![p]
            }
        })
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    assert!(sql.contains("FROBNICATE THE users TABLE"), "{sql}");
}

const TEAMS: &str = "CREATE TABLE teams (\n  id BIGINT NOT NULL PRIMARY KEY,\n  name VARCHAR(100) NOT NULL,\n  owner_id BIGINT,\n  score INTEGER DEFAULT 0,\n  UNIQUE (name),\n  CONSTRAINT teams_owner_fk FOREIGN KEY (owner_id) REFERENCES users (id)\n)";

fn teams_changes() -> Vec<(&'static str, String)> {
    vec![
        ("0001_teams.toml", sql_op("1.1.0", "expand", TEAMS, "")),
        (
            "0002_team_motto.toml",
            "release = \"1.2.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"teams\"\ncolumn = { name = \"motto\", type = \"text\", nullable = true }\n\n[[op]]\ntype = \"create_index\"\ntable = \"teams\"\ncolumns = [\"owner_id\", \"score\"]\n\n[[op]]\ntype = \"alter_column\"\ntable = \"teams\"\ncolumn = \"score\"\ndefault = 5\n".to_string(),
        ),
    ]
}

/// A table created by raw SQL is known to later ops, which plan without `unknown table`.
#[test]
fn a_table_created_by_raw_sql_is_known_to_later_ops() {
    for dialect in ["postgres", "mysql", "sqlite"] {
        let changes = teams_changes();
        let refs: Vec<(&str, &str)> = changes.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let dir = project_files(dialect, USERS, &refs);
        let out = plan(dir.path());
        let text = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{dialect}: {text}{}",
            stderr(&out)
        );
        assert!(text.contains("add column teams.motto"), "{text}");
        // Before: the same later ops on a table the model did not see.
        let mut unknown = changes.clone();
        unknown[0].1 = sql_op(
            "1.1.0",
            "expand",
            "FROBNICATE teams",
            "destructive = false\n",
        );
        let refs: Vec<(&str, &str)> = unknown.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let dir = project_files(dialect, USERS, &refs);
        let out = plan(dir.path());
        assert_eq!(out.status.code(), Some(2), "{dialect}");
        assert!(
            stderr(&out).contains("unknown table `teams`"),
            "{}",
            stderr(&out)
        );
    }
}

/// ... and the whole history rehearses on every server: the probes write rows into the
/// table raw SQL created, through the code of each release.
fn raw_table_rehearses(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let changes = teams_changes();
    let refs: Vec<(&str, &str)> = changes.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let dir = project_with(server.dialect(), USERS, &refs);
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "{}: {}{}",
        server.dialect(),
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("1.2.0"), "{}", stdout(&out));
}

#[test]
fn a_table_created_by_raw_sql_rehearses_on_sqlite() {
    raw_table_rehearses(Server::Sqlite);
}

#[test]
fn a_table_created_by_raw_sql_rehearses_on_postgres() {
    raw_table_rehearses(Server::Postgres);
}

#[test]
fn a_table_created_by_raw_sql_rehearses_on_mariadb() {
    raw_table_rehearses(Server::Mysql);
}

/// Where the files of change `0001_raw.toml` (release 1.1.0, one `sql` op with `field`
/// = `sql`, then `extra`) land in the plan, with a release 1.2.0 after it: "expand 1.1.0",
/// "contract 1.2.0", ...; or the exit code and output when the plan does not succeed.
pub fn placed(
    dialect: &str,
    schema: &str,
    field: &str,
    sql: &str,
    extra: &str,
) -> Result<Vec<String>, (Option<i32>, String)> {
    let change = sql_op("1.1.0", field, sql, extra);
    let next = common::select_one("1.2.0");
    let dir = project_files(
        dialect,
        schema,
        &[("0001_raw.toml", &change), ("0002_next.toml", &next)],
    );
    let out = tandem(dir.path())
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    if !out.status.success() {
        return Err((
            out.status.code(),
            format!("{}{}", stdout(&out), stderr(&out)),
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = Vec::new();
    for release in json["releases"].as_array().unwrap() {
        for phase in ["expand", "contract"] {
            for file in release[phase].as_array().unwrap() {
                if file["change"] == "changes/0001_raw.toml" {
                    found.push(format!("{phase} {}", release["name"].as_str().unwrap()));
                }
            }
        }
    }
    Ok(found)
}

/// `sql` in an expand is refused (exit 1, the output naming `why`), and the same `sql` in
/// a contract waits for the rule: contract(1.2.0), not contract(1.1.0).
fn refused_in_expand_held_in_contract(dialect: &str, sql: &str, why: &str) {
    match placed(dialect, USERS, "expand", sql, "") {
        Err((Some(1), text)) => assert!(
            text.contains("refused") && text.contains(why),
            "{dialect}: {sql}: `{why}` missing in {text}"
        ),
        other => panic!("{dialect}: {sql} in expand: {other:?}"),
    }
    assert_eq!(
        placed(dialect, USERS, "contract", sql, ""),
        Ok(vec!["contract 1.2.0".to_string()]),
        "{dialect}: {sql} in contract"
    );
}

/// Renames break the running code as drops do: refused in expand, held for the contract
/// of a later release, whatever the spelling (Postgres, MySQL's CHANGE and RENAME TABLE).
#[test]
fn raw_renames_are_refused_in_expand_and_held_in_contract() {
    for sql in [
        "ALTER TABLE users RENAME COLUMN nickname TO handle",
        "ALTER TABLE public.users RENAME COLUMN \"nickname\" TO handle",
        "ALTER TABLE users RENAME TO members",
        "alter table USERS rename to members",
        "ALTER TYPE mood RENAME TO feeling",
    ] {
        refused_in_expand_held_in_contract("postgres", sql, "renames");
    }
    for sql in [
        "ALTER TABLE users CHANGE nickname handle text",
        "ALTER TABLE users CHANGE COLUMN `nickname` `handle` TEXT NULL",
        "RENAME TABLE users TO members",
        "ALTER TABLE users RENAME COLUMN nickname TO handle",
        "ALTER TABLE users RENAME TO members",
    ] {
        refused_in_expand_held_in_contract("mysql", sql, "renames");
    }
    // The refusal points at the ops that keep both names working.
    let Err((_, text)) = placed(
        "postgres",
        USERS,
        "expand",
        "ALTER TABLE users RENAME COLUMN nickname TO handle",
        "",
    ) else {
        panic!("planned");
    };
    assert!(text.contains("`rename_column`"), "{text}");
}

/// A type change is safe only when tandem knows both types and the change widens: a type
/// it does not know (arrays, inet, xml; MySQL ENUM, SET, TINYTEXT) or a change of
/// character set is no proof; nor is a USING that rewrites the values.
#[test]
fn a_type_change_to_a_type_tandem_does_not_know_is_not_a_widening() {
    for sql in [
        "ALTER TABLE users ALTER COLUMN email TYPE varchar[]",
        "ALTER TABLE users ALTER COLUMN email TYPE inet USING email::inet",
        "ALTER TABLE users ALTER COLUMN nickname TYPE xml USING nickname::xml",
        "ALTER TABLE users ALTER COLUMN nickname TYPE inet USING nickname::inet",
        "ALTER TABLE users ALTER COLUMN email TYPE text USING 'x'",
    ] {
        refused_in_expand_held_in_contract("postgres", sql, "users.");
    }
    for sql in [
        "ALTER TABLE users MODIFY email ENUM('a','b') NOT NULL",
        "ALTER TABLE users MODIFY email SET('a','b') NOT NULL",
        "ALTER TABLE users MODIFY nickname TINYTEXT",
        "ALTER TABLE users MODIFY email VARCHAR(255) CHARACTER SET latin1 NOT NULL",
    ] {
        refused_in_expand_held_in_contract("mysql", sql, "users.");
    }
    // Known widenings stay in expand.
    for (dialect, sql) in [
        (
            "postgres",
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(300)",
        ),
        ("postgres", "ALTER TABLE users ALTER COLUMN email TYPE text"),
        (
            "postgres",
            "ALTER TABLE users ALTER COLUMN email TYPE text USING email::text",
        ),
        (
            "mysql",
            "ALTER TABLE users MODIFY email VARCHAR(300) NOT NULL",
        ),
        ("mysql", "ALTER TABLE users MODIFY nickname TEXT"),
    ] {
        assert_eq!(
            placed(dialect, USERS, "expand", sql, ""),
            Ok(vec!["expand 1.1.0".to_string()]),
            "{dialect}: {sql}"
        );
    }
}

/// Each statement is read and judged on its own: a statement the parser does not know
/// no longer hides a drop beside it; `DROP INDEX CONCURRENTLY` is read as the drop it is;
/// maintenance statements are harmless; an unreadable statement holds its SQL for the
/// rule unless the op asserts `destructive = false`.
#[test]
fn statements_are_judged_one_by_one() {
    for sql in [
        "ALTER TABLE users DROP COLUMN nickname; VACUUM ANALYZE users",
        "REINDEX TABLE users; ALTER TABLE users DROP COLUMN nickname",
        "ALTER TABLE users DROP COLUMN nickname; FROBNICATE users",
    ] {
        refused_in_expand_held_in_contract("postgres", sql, "drops column users.nickname");
    }
    refused_in_expand_held_in_contract(
        "postgres",
        "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx",
        "drops index users_email_idx",
    );
    refused_in_expand_held_in_contract(
        "postgres",
        "SELECT 1; FROBNICATE users",
        "FROBNICATE users",
    );
    for (dialect, sql) in [
        (
            "postgres",
            "VACUUM ANALYZE users; REINDEX TABLE users; ANALYZE users",
        ),
        ("postgres", "VACUUM (VERBOSE, ANALYZE) users; CLUSTER users"),
        ("mysql", "OPTIMIZE TABLE users; ANALYZE TABLE users"),
    ] {
        assert_eq!(
            placed(dialect, USERS, "expand", sql, ""),
            Ok(vec!["expand 1.1.0".to_string()]),
            "{dialect}: {sql}"
        );
    }
    // `destructive = false` asserts that an unreadable statement is safe where written.
    for field in ["expand", "contract"] {
        let at = if field == "expand" {
            "expand 1.1.0"
        } else {
            "contract 1.1.0"
        };
        assert_eq!(
            placed(
                "postgres",
                USERS,
                field,
                "SELECT 1; FROBNICATE users",
                "destructive = false\n"
            ),
            Ok(vec![at.to_string()]),
            "{field}"
        );
    }
}

/// A constraint or unique index that raw SQL adds over columns the code of the release
/// before writes is a tightening, as the same constraint as an op is: refused in expand,
/// held for contract(R + gap). Over columns only R's code knows it stays in expand.
#[test]
fn raw_constraints_over_written_columns_are_tightenings() {
    for sql in [
        "ALTER TABLE users ADD CONSTRAINT users_email_at CHECK (email LIKE '%@%')",
        "ALTER TABLE users ADD CONSTRAINT users_email_at CHECK (email LIKE '%@%') NOT VALID",
        "ALTER TABLE users ADD CONSTRAINT users_legacy_key UNIQUE (legacy_email)",
        "ALTER TABLE users ADD PRIMARY KEY (email)",
        "CREATE UNIQUE INDEX users_legacy_idx ON users (legacy_email)",
        "CREATE UNIQUE INDEX CONCURRENTLY users_legacy_idx ON public.users (lower(legacy_email))",
        "ALTER TABLE users ADD COLUMN rank integer NOT NULL",
    ] {
        refused_in_expand_held_in_contract("postgres", sql, "users.");
    }
    for sql in [
        "ALTER TABLE users ADD UNIQUE INDEX users_legacy_idx (legacy_email)",
        "ALTER TABLE users ADD UNIQUE KEY (legacy_email)",
        "ALTER TABLE users MODIFY legacy_email VARCHAR(255) NOT NULL UNIQUE",
    ] {
        refused_in_expand_held_in_contract("mysql", sql, "tightening");
    }
    // The same as ops, for comparison: held.
    let op = "release = \"1.1.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n";
    let dir = common::project_with(
        "postgres",
        USERS,
        &[
            ("0001_raw.toml", op),
            ("0002_next.toml", &common::select_one("1.2.0")),
        ],
    );
    let plan = stdout(&tandem(dir.path()).arg("plan").output().unwrap());
    let contract_12 = plan.split("contract(1.2.0)").nth(1).unwrap();
    assert!(contract_12.contains("0001_raw"), "{plan}");
    // Over a column this release adds, and on a table it creates: expand.
    for sql in [
        "ALTER TABLE users ADD COLUMN rank integer; CREATE UNIQUE INDEX users_rank_idx ON users (rank)",
        "ALTER TABLE users ADD COLUMN rank integer; ALTER TABLE users ADD CONSTRAINT users_rank_ok CHECK (rank > 0)",
        "ALTER TABLE users ADD COLUMN rank integer NOT NULL DEFAULT 0",
        "CREATE TABLE teams (id bigint PRIMARY KEY, name text); CREATE UNIQUE INDEX teams_name_idx ON teams (name)",
    ] {
        assert_eq!(
            placed("postgres", USERS, "expand", sql, ""),
            Ok(vec!["expand 1.1.0".to_string()]),
            "{sql}"
        );
    }
    // The op's assertion keeps a tightening in expand.
    assert_eq!(
        placed(
            "postgres",
            USERS,
            "expand",
            "CREATE UNIQUE INDEX users_legacy_idx ON users (legacy_email)",
            "destructive = false\n"
        ),
        Ok(vec!["expand 1.1.0".to_string()])
    );
}

/// The statements of a script Postgres runs one by one (a no-transaction file) split where
/// the server does: not inside an escape string, a tagged dollar quote, a nested comment
/// or a string holding `--`.
#[test]
fn a_postgres_script_splits_where_the_server_does() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let mut db = tandem::apply::database::Database::connect(&scratch.target).unwrap();
    db.run_script(
        "CREATE TABLE notes (body text);\n\
         INSERT INTO notes VALUES (E'it\\'s; ok');\n\
         INSERT INTO notes VALUES ($body$a; $$ b$body$);\n\
         /* outer; /* inner; */ still; */ INSERT INTO notes VALUES ('-- not; a comment');\n\
         INSERT INTO notes VALUES (e'\\\\'); INSERT INTO notes VALUES ($é$x;y$é$)",
    )
    .unwrap();
    let rows = db
        .query_text("SELECT body FROM notes ORDER BY body")
        .unwrap();
    let bodies: Vec<&str> = rows.iter().map(|r| r[0].as_deref().unwrap()).collect();
    assert_eq!(
        bodies,
        ["-- not; a comment", "\\", "a; $$ b", "it's; ok", "x;y"]
    );
}

/// What a statement of the grammar does to what the code of the release before uses.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Destructive,
    Tightening,
    Additive,
}

use Kind::{Additive, Destructive, Tightening};

/// Statements over `common::USERS_AND_ORDERS` for both dialects (`*`) or one: `{t}` is
/// users, `{o}` orders, `{nick}`, `{legacy}`, `{email}` columns of users (each decorated
/// by the property), `{n}` a number of the statement, for names of its own. Keywords are
/// upper case, for the property to change their case; literals hold none.
const GRAMMAR: &[(&str, Kind, &str)] = &[
    ("*", Destructive, "ALTER TABLE {t} DROP COLUMN {legacy}"),
    ("*", Destructive, "ALTER TABLE {t} DROP {nick}"),
    ("*", Destructive, "DROP TABLE {o}"),
    ("*", Destructive, "DROP TABLE IF EXISTS {o}, {t}"),
    ("*", Destructive, "TRUNCATE TABLE {o}"),
    ("*", Destructive, "DELETE FROM {t}"),
    ("*", Destructive, "UPDATE {t} SET {nick} = 'x; y'"),
    ("*", Destructive, "ALTER TABLE {t} RENAME TO members{n}"),
    ("*", Destructive, "ALTER TABLE {t} RENAME COLUMN {nick} TO handle{n}"),
    ("*", Destructive, "WITH gone AS (DELETE FROM {t} RETURNING id) SELECT count(*) FROM gone"),
    ("postgres", Destructive, "DROP INDEX users_email_key"),
    ("postgres", Destructive, "DROP INDEX CONCURRENTLY IF EXISTS users_email_key"),
    ("postgres", Destructive, "ALTER TABLE {t} DROP CONSTRAINT users_email_key"),
    ("postgres", Destructive, "ALTER TABLE {o} DROP CONSTRAINT orders_user_fk"),
    ("postgres", Destructive, "ALTER TABLE {t} ALTER COLUMN {email} TYPE VARCHAR(10)"),
    ("postgres", Destructive, "ALTER TABLE {t} ALTER COLUMN {email} TYPE VARCHAR[]"),
    ("postgres", Destructive, "ALTER TABLE {t} ALTER COLUMN {nick} TYPE INET USING {nick}::inet"),
    ("postgres", Destructive, "ALTER TABLE {t} ALTER {nick} TYPE TEXT USING 'gone'"),
    ("postgres", Destructive, "ALTER TABLE {t} ALTER COLUMN score DROP DEFAULT"),
    ("postgres", Destructive, "TRUNCATE {t} CASCADE"),
    ("postgres", Destructive, "EXPLAIN ANALYZE DELETE FROM {t}"),
    ("postgres", Destructive, "REVOKE SELECT ON {t} FROM PUBLIC"),
    ("postgres", Destructive, "ALTER TABLE {t} ENABLE ROW LEVEL SECURITY"),
    ("mysql", Destructive, "ALTER TABLE {t} CHANGE {nick} handle{n} TEXT"),
    ("mysql", Destructive, "RENAME TABLE {t} TO members{n}"),
    ("mysql", Destructive, "ALTER TABLE {t} MODIFY {email} VARCHAR(10) NOT NULL"),
    ("mysql", Destructive, "ALTER TABLE {t} MODIFY {email} ENUM('a','b') NOT NULL"),
    ("mysql", Destructive, "ALTER TABLE {t} MODIFY COLUMN {nick} TINYTEXT"),
    ("mysql", Destructive, "ALTER TABLE {t} MODIFY {email} VARCHAR(255) CHARACTER SET latin1 NOT NULL"),
    ("mysql", Destructive, "ALTER TABLE {t} DROP INDEX email"),
    ("mysql", Destructive, "ALTER TABLE {o} DROP FOREIGN KEY orders_user_fk"),
    ("postgres", Tightening, "ALTER TABLE {t} ALTER COLUMN {nick} SET NOT NULL"),
    ("postgres", Tightening, "ALTER TABLE {t} ADD CHECK (length({email}) > 3) NOT VALID"),
    ("postgres", Tightening, "CREATE UNIQUE INDEX CONCURRENTLY users_lower{n} ON {t} (lower({legacy}))"),
    ("postgres", Tightening, "ALTER TABLE ONLY {t} ADD CONSTRAINT users_legacy_key{n} UNIQUE ({legacy})"),
    ("*", Tightening, "ALTER TABLE {t} ADD CONSTRAINT users_score_ok{n} CHECK (score >= 0)"),
    ("*", Tightening, "ALTER TABLE {o} ADD CONSTRAINT orders_qty_fk{n} FOREIGN KEY (quantity) REFERENCES {t} (id)"),
    ("*", Tightening, "CREATE UNIQUE INDEX users_legacy{n} ON {t} ({legacy})"),
    ("*", Tightening, "ALTER TABLE {t} ADD COLUMN flag{n} INTEGER NOT NULL"),
    ("mysql", Tightening, "ALTER TABLE {t} MODIFY {nick} TEXT NOT NULL"),
    ("mysql", Tightening, "ALTER TABLE {t} ADD UNIQUE INDEX users_legacy_idx{n} ({legacy})"),
    ("mysql", Tightening, "ALTER TABLE {t} ADD UNIQUE KEY ({legacy})"),
    ("*", Additive, "ALTER TABLE {t} ADD COLUMN bio{n} TEXT"),
    ("*", Additive, "ALTER TABLE {t} ADD COLUMN rank{n} INTEGER NOT NULL DEFAULT 0"),
    ("*", Additive, "CREATE TABLE audit{n} (id BIGINT PRIMARY KEY, note TEXT)"),
    ("*", Additive, "CREATE INDEX users_legacy_idx{n} ON {t} ({legacy})"),
    ("*", Additive, "UPDATE {t} SET {nick} = 'x' WHERE id = 0"),
    ("*", Additive, "DELETE FROM {t} WHERE id = 0"),
    ("*", Additive, "SELECT 1"),
    ("*", Additive, "ALTER TABLE {t} ADD COLUMN bio{n} TEXT, ADD COLUMN code{n} VARCHAR(8)"),
    ("postgres", Additive, "COMMENT ON TABLE {t} IS 'rows; of users -- all'"),
    ("postgres", Additive, "ALTER TABLE {t} ALTER COLUMN {nick} DROP NOT NULL"),
    ("postgres", Additive, "ALTER TABLE {t} ALTER COLUMN {email} TYPE VARCHAR(300)"),
    ("postgres", Additive, "ALTER TABLE {t} ALTER COLUMN {email} TYPE TEXT USING {email}::text"),
    ("postgres", Additive, "ALTER TABLE {t} ALTER COLUMN {nick} SET DEFAULT 'anon'"),
    ("postgres", Additive, "VACUUM ANALYZE {t}"),
    ("postgres", Additive, "CREATE INDEX CONCURRENTLY users_nick{n} ON {t} ({nick})"),
    ("mysql", Additive, "ALTER TABLE {t} MODIFY {email} VARCHAR(300) NOT NULL"),
    ("mysql", Additive, "ALTER TABLE {t} ADD INDEX users_leg{n} ({legacy})"),
    ("mysql", Additive, "OPTIMIZE TABLE {t}"),
];

/// `word` in the case `mode` gives keywords: as written, lower, or mixed.
fn keyword_case(word: &str, mode: u8) -> String {
    match mode % 3 {
        0 => word.to_string(),
        1 => word.to_ascii_lowercase(),
        _ => word
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect(),
    }
}

/// `name` as the SQL may write it: plain, in another case, quoted, or (a table) qualified
/// by its schema.
fn decorated(dialect: &str, name: &str, table: bool, how: u8) -> String {
    let quoted = if dialect == "mysql" {
        format!("`{name}`")
    } else {
        format!("\"{name}\"")
    };
    let schema = if dialect == "mysql" { "test" } else { "public" };
    match how % if table { 5 } else { 3 } {
        0 => name.to_string(),
        1 => name.to_ascii_uppercase(),
        2 => quoted,
        3 => format!("{schema}.{name}"),
        _ => format!("{schema}.{quoted}"),
    }
}

/// A comment as the dialect writes it, holding a `;` and a quote, or none.
fn comment(dialect: &str, how: u8) -> &'static str {
    match (how % 5, dialect) {
        (1, _) => "-- it's; a note\n",
        (2, _) => "/* a; b 'c */ ",
        (3, "mysql") => "# hash; it's\n",
        (3, _) => "/* outer; /* inner; */ 'x */ ",
        _ => "",
    }
}

/// One statement of the grammar, decorated by `d`.
fn statement(dialect: &str, template: &str, n: usize, d: [u8; 5]) -> String {
    let mut out = String::new();
    let mut words = template.split(' ').peekable();
    let mut first = true;
    while let Some(word) = words.next() {
        let is_keyword = word.len() > 1 && word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        out.push_str(&if is_keyword {
            keyword_case(word, d[0])
        } else {
            word.to_string()
        });
        if first {
            // A comment after the first word.
            out.push(' ');
            out.push_str(comment(dialect, d[3]));
            first = false;
        } else if words.peek().is_some() {
            out.push(' ');
        }
    }
    let out = out
        .replace("{t}", &decorated(dialect, "users", true, d[1]))
        .replace("{o}", &decorated(dialect, "orders", true, d[1] / 5))
        .replace("{nick}", &decorated(dialect, "nickname", false, d[2]))
        .replace(
            "{legacy}",
            &decorated(dialect, "legacy_email", false, d[2] / 3),
        )
        .replace("{email}", &decorated(dialect, "email", false, d[2] / 9))
        .replace("{n}", &n.to_string());
    format!("{}{out}", comment(dialect, d[4]))
}

proptest::proptest! {
    #![proptest_config(common::proptest_config("TANDEM_RAW_SQL_CASES", 64))]

    /// Raw SQL from a grammar of destructive, tightening and additive statements,
    /// decorated with comments, mixed case, schema qualifiers and quoted names, one or
    /// several in an op: no destructive or tightening statement is ever planned in an
    /// expand (refused there) or in the contract of its own release (held for the next);
    /// additive SQL stays where it is written.
    #[test]
    fn destructive_and_tightening_raw_sql_never_lands_in_an_expand(
        mysql in proptest::bool::ANY,
        contract in proptest::bool::ANY,
        picks in proptest::collection::vec((0..1000usize, proptest::array::uniform5(0..45u8)), 1..4),
        trailing in proptest::bool::ANY,
    ) {
        let dialect = if mysql { "mysql" } else { "postgres" };
        let grammar: Vec<&(&str, Kind, &str)> = GRAMMAR
            .iter()
            .filter(|(d, _, _)| *d == "*" || *d == dialect)
            .collect();
        let mut kinds = Vec::new();
        let mut statements = Vec::new();
        for (n, (pick, d)) in picks.iter().enumerate() {
            let (_, kind, template) = grammar[pick % grammar.len()];
            kinds.push(*kind);
            statements.push(statement(dialect, template, n, *d));
        }
        let mut sql = statements.join(";\n");
        if trailing {
            sql.push_str(";\n-- end; of it\n");
        }
        let harmful = kinds.iter().any(|k| *k != Additive);
        let field = if contract { "contract" } else { "expand" };
        let got = placed(dialect, common::USERS_AND_ORDERS, field, &sql, "");
        match (contract, harmful, &got) {
            (false, true, Err((Some(1), text))) => {
                proptest::prop_assert!(text.contains("refused"), "{sql}\n{text}");
            }
            (true, true, Ok(at)) => {
                proptest::prop_assert_eq!(at, &vec!["contract 1.2.0".to_string()], "{}", sql);
            }
            (false, false, Ok(at)) => {
                proptest::prop_assert_eq!(at, &vec!["expand 1.1.0".to_string()], "{}", sql);
            }
            (true, false, Ok(at)) => {
                proptest::prop_assert_eq!(at, &vec!["contract 1.1.0".to_string()], "{}", sql);
            }
            _ => proptest::prop_assert!(
                false,
                "{dialect} {field} {kinds:?}:\n{sql}\n=> {got:?}"
            ),
        }
    }
}

/// A column that hand-written contract SQL adds is not in the database during the expand
/// of its own release, nor, under the rule, of the release after: an op there that
/// uses it is refused, naming the column; the release after its contract may use it.
#[test]
fn an_op_that_uses_a_column_before_its_contract_adds_it_is_refused() {
    let adds = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN rank integer\"\n";
    let late = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN tier integer\"\ndestructive = true\n";
    let check = |release: &str, column: &str| {
        format!("release = \"{release}\"\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_{column}_ok\"\ncheck = \"{column} > 0\"\n")
    };
    let next = "release = \"1.5.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    for (column, release, ok) in [
        ("rank", "1.4.0", false),
        ("rank", "1.5.0", true),
        ("tier", "1.5.0", false),
        ("tier", "1.6.0", true),
    ] {
        let uses = check(release, column);
        let changes = [
            ("0001_adds.toml", adds),
            ("0002_late.toml", late),
            ("0003_uses.toml", uses.as_str()),
            ("0004_next.toml", next),
        ];
        let dir = project_files("postgres", USERS, &changes);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        if ok {
            assert!(
                out.status.success(),
                "{column} in {release}: {}",
                stderr(&out)
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{column} in {release}");
            let text = stderr(&out);
            assert!(
                text.contains(&format!(
                    "column `users.{column}` is not in the database yet"
                )),
                "{text}"
            );
            assert!(text.contains("0003_uses.toml:6:"), "{text}");
        }
    }
}
