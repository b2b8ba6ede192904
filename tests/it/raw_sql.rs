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

/// SQL tandem cannot parse is no error: it runs verbatim, and the plan warns that the
/// model does not see it.
#[test]
fn unparseable_sql_plans_with_a_warning() {
    let change = sql_op("1.1.0", "expand", "FROBNICATE THE users TABLE", "");
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
    assert_eq!(json["notes"][0]["warning"], true, "{json}");
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
        unknown[0].1 = sql_op("1.1.0", "expand", "FROBNICATE teams", "");
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
