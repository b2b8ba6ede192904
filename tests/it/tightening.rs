//! A new constraint over columns the code before its release writes is a tightening:
//! enforced in contract(R + gap) after `repair_sql` fixed existing rows, unless the change
//! asserts `old_code_complies = true`, which keeps it in expand(R) and is shown as the
//! user's assertion. Over columns only R's code knows it stays in expand(R).

use crate::common;

use common::{stderr, stdout, tandem, Server};
use predicates::str::contains;

const SCHEMA: &str = r#"
[tables.teams]
primary_key = ["id"]
[tables.teams.columns]
id = { type = "bigint" }

[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
code = { type = "varchar(32)", nullable = true }
score = { type = "integer", default = 0 }
team_id = { type = "bigint", nullable = true }
"#;

const NEXT: (&str, &str) = (
    "0009_next.toml",
    "release = \"1.5.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
);

fn plan_json(dir: &std::path::Path) -> serde_json::Value {
    let out = tandem(dir)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Where the file that serves `change` lands: "expand 1.4.0" or "contract 1.5.0".
fn placement(dir: &std::path::Path, change: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(&dir.join("migrations")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        if text.contains(&format!("changes/{change}")) {
            let release = text
                .lines()
                .find_map(|l| l.strip_prefix("-- release: "))
                .unwrap()
                .trim()
                .to_string();
            let phase = text
                .lines()
                .find_map(|l| l.strip_prefix("-- phase:"))
                .unwrap()
                .trim()
                .split(':')
                .next()
                .unwrap()
                .to_string();
            found.push(format!("{phase} {release}"));
        }
    }
    found.sort();
    found
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn each_constraint_op_over_written_columns_is_enforced_in_the_next_contract() {
    for op in [
        "type = \"add_check\"\ntable = \"users\"\nname = \"users_score_ok\"\ncheck = \"score >= 0\"",
        "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"code\"",
        "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"team_id\"\nreferences = \"teams\"",
    ] {
        let change = format!("release = \"1.4.0\"\n[[op]]\n{op}\n");
        let dir = common::project_with("sqlite", SCHEMA, &[("0001_key.toml", &change), NEXT]);
        assert_eq!(placement(dir.path(), "0001_key.toml"), ["contract 1.5.0"], "{op}");

        // The change's assertion keeps it in expand, and says so.
        let asserted = format!("{change}old_code_complies = true\n");
        let dir = common::project_with("sqlite", SCHEMA, &[("0001_key.toml", &asserted), NEXT]);
        assert_eq!(placement(dir.path(), "0001_key.toml"), ["expand 1.4.0"], "{op}");
        let plan = plan_json(dir.path()).to_string();
        assert!(plan.contains("asserted by the change"), "{plan}");
        tandem(dir.path())
            .args(["runbook", "1.4.0"])
            .assert()
            .success()
            .stdout(contains("asserted by the change"));
    }
}

#[test]
fn a_constraint_over_a_column_only_the_new_code_knows_stays_in_expand() {
    let change = "release = \"1.4.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"rank\", type = \"integer\", nullable = true }\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_rank_ok\"\ncheck = \"rank > 0\"\n";
    let dir = common::project_with("sqlite", SCHEMA, &[("0001_rank.toml", change), NEXT]);
    assert_eq!(placement(dir.path(), "0001_rank.toml"), ["expand 1.4.0"]);
    let plan = plan_json(dir.path()).to_string();
    assert!(!plan.contains("asserted by the change"), "{plan}");
}

/// A change that drops a constraint whose enforcement is still pending (an earlier change
/// tightens columns the code before it writes) cancels that tightening: the constraint is
/// never enforced, and rows that would break it survive both releases' files.
fn a_pending_tightening_dropped_by_the_next_release_is_cancelled(server: Server) {
    let add = String::from(
        "release = \"1.4.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"code\"\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"team_id\"\nreferences = \"teams\"\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_score_ok\"\ncheck = \"score >= 0\"\nrepair_sql = \"0\"\n",
    );
    let drop = "release = \"1.5.0\"\n[[op]]\ntype = \"drop_constraint\"\nname = \"users_code_key\"\n\n[[op]]\ntype = \"drop_constraint\"\ntable = \"users\"\nname = \"users_team_id_fkey\"\n\n[[op]]\ntype = \"drop_constraint\"\nname = \"users_score_ok\"\n";
    let next = (
        "0003_next.toml",
        "release = \"1.6.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
    );
    let changes = [
        ("0001_keys.toml", add.as_str()),
        ("0002_drop.toml", drop),
        next,
    ];
    let dir = common::project_with(server.dialect(), SCHEMA, &changes);
    let plan = plan_json(dir.path()).to_string();
    assert!(plan.contains("cancels"), "{plan}");
    // Nothing enforces them, anywhere.
    for path in walk(&dir.path().join("migrations")) {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("-- phase:") {
            for name in ["users_code_key", "users_team_id_fkey", "users_score_ok"] {
                assert!(!text.contains(name), "{}:\n{text}", path.display());
            }
        }
    }
    let Some(scratch) = server.fresh() else {
        return;
    };
    let url = common::database_url(server, &scratch, dir.path());
    let migrate = |release: &str, phase: &str| common::migrate(dir.path(), &url, release, phase);
    let out = migrate("1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, dir.path());
    let rows = "INSERT INTO users (id, email, code, score, team_id) VALUES \
                (1, 'a', 'same', -5, 77), (2, 'b', 'same', 3, NULL)";
    db.run_script(rows).unwrap();
    let out = migrate("1.6.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // The rows are as written, and the rules are still not enforced.
    let kept = db
        .query_text("SELECT id, code, score, team_id FROM users ORDER BY id")
        .unwrap();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(kept[0][2].as_deref(), Some("-5"), "{kept:?}");
    db.run_script(
        "INSERT INTO users (id, email, code, score, team_id) VALUES (3, 'c', 'same', -1, 99)",
    )
    .unwrap();
}

#[test]
fn a_pending_tightening_dropped_later_is_cancelled_on_sqlite() {
    a_pending_tightening_dropped_by_the_next_release_is_cancelled(Server::Sqlite);
}

#[test]
fn a_pending_tightening_dropped_later_is_cancelled_on_postgres() {
    a_pending_tightening_dropped_by_the_next_release_is_cancelled(Server::Postgres);
}

#[test]
fn a_pending_tightening_dropped_later_is_cancelled_on_mariadb() {
    a_pending_tightening_dropped_by_the_next_release_is_cancelled(Server::Mysql);
}

#[test]
fn repair_sql_needs_a_constraint_enforced_later() {
    let change = "release = \"1.4.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"code\"\nrepair_sql = \"NULL\"\nold_code_complies = true\n";
    let dir = common::project_files("sqlite", SCHEMA, &[("0001.toml", change), NEXT]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("repair_sql"));
}

/// Rows written before the key is enforced break it; `repair_sql` fixes them, in
/// batches, before the contract enforces it; without it the contract fails.
fn repair_fixes_existing_rows(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let mut ops = String::from(
        "release = \"1.4.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"code\"\nrepair_sql = \"NULL\"\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"team_id\"\nreferences = \"teams\"\nrepair_sql = \"NULL\"\n",
    );
    if server != Server::Mysql {
        ops.push_str("\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_score_ok\"\ncheck = \"score >= 0\"\nrepair_sql = \"0\"\n");
    }
    let dir = common::project_with(server.dialect(), SCHEMA, &[("0001_keys.toml", &ops), NEXT]);
    let url = common::database_url(server, &scratch, dir.path());
    let migrate = |release: &str, phase: &str| common::migrate(dir.path(), &url, release, phase);
    let out = migrate("1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, dir.path());
    db.run_script(
        "INSERT INTO users (id, email, code, score, team_id) VALUES \
         (1, 'a', 'same', -5, 77), (2, 'b', 'same', 3, NULL), (3, 'c', 'other', -1, 78)",
    )
    .unwrap();
    let out = migrate("1.5.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let rows = db
        .query_text("SELECT id, code, score, team_id FROM users ORDER BY id")
        .unwrap();
    let text = format!("{rows:?}");
    // One of the duplicates keeps its code; no orphan team; no negative score.
    assert_eq!(
        rows.iter()
            .filter(|r| r[1].as_deref() == Some("same"))
            .count(),
        1,
        "{text}"
    );
    assert!(rows.iter().all(|r| r[3].is_none()), "{text}");
    if server != Server::Mysql {
        assert!(
            rows.iter()
                .all(|r| r[2].as_deref().unwrap().parse::<i64>().unwrap() >= 0),
            "{text}"
        );
    }
    // In force now.
    assert!(db
        .run_script("INSERT INTO users (id, email, code) VALUES (9, 'z', 'other')")
        .is_err());
}

#[test]
fn repair_fixes_existing_rows_on_sqlite() {
    repair_fixes_existing_rows(Server::Sqlite);
}

#[test]
fn repair_fixes_existing_rows_on_postgres() {
    repair_fixes_existing_rows(Server::Postgres);
}

#[test]
fn repair_fixes_existing_rows_on_mariadb() {
    repair_fixes_existing_rows(Server::Mysql);
}

/// 1.4.0 adds teams and a key to them on users.team_id, which the code before 1.4.0 writes without
/// knowing teams. Asserting that old code complies is caught by the rehearsal (on SQLite
/// too: it enforces keys while the probes run); by default the key waits for the next
/// contract, where the rows old code wrote break it unless `repair_sql` fixes them.
fn a_false_assertion_is_caught_and_the_default_needs_its_repair(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let key = "release = \"1.4.0\"\n[[op]]\ntype = \"create_table\"\ntable = \"teams\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" } }\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"team_id\"\nreferences = \"teams\"\n";
    // The code before 1.4.0 knows no teams.
    let schema = SCHEMA.replace(
        "[tables.teams]\nprimary_key = [\"id\"]\n[tables.teams.columns]\nid = { type = \"bigint\" }\n",
        "",
    );
    assert!(!schema.contains("teams"));
    let run = |extra: &str| {
        let change = format!("{key}{extra}");
        let dir = common::project_with(
            server.dialect(),
            &schema,
            &[("0001_key.toml", &change), NEXT],
        );
        let out = common::verify(dir.path(), &url);
        (
            out.status.success(),
            format!("{}{}", stdout(&out), stderr(&out)),
        )
    };
    let (ok, text) = run("old_code_complies = true\n");
    assert!(!ok, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("1.4.0") && l.contains("before 1.4.0") && l.contains("FAILED")),
        "{text}"
    );
    let (ok, text) = run("");
    assert!(!ok, "{text}");
    assert!(text.contains("applying 1.5.0/"), "{text}");
    let (ok, text) = run("repair_sql = \"NULL\"\n");
    assert!(ok, "{text}");
}

#[test]
fn a_false_assertion_is_caught_on_sqlite() {
    a_false_assertion_is_caught_and_the_default_needs_its_repair(Server::Sqlite);
}

#[test]
fn a_false_assertion_is_caught_on_postgres() {
    a_false_assertion_is_caught_and_the_default_needs_its_repair(Server::Postgres);
}

#[test]
fn a_false_assertion_is_caught_on_mariadb() {
    a_false_assertion_is_caught_and_the_default_needs_its_repair(Server::Mysql);
}

/// `repair_sql` may also be a whole UPDATE, run as written before the constraint.
#[test]
fn a_repair_statement_runs_as_written() {
    let change = "release = \"1.4.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\", \"code\"]\nrepair_sql = \"UPDATE users SET code = NULL WHERE id > 1\"\n";
    let dir = common::project_with("sqlite", SCHEMA, &[("0001_key.toml", change), NEXT]);
    let contract = walk(&dir.path().join("migrations/1.5.0"))
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .find(|t| t.contains("0001_key"))
        .unwrap();
    let update = contract
        .find("UPDATE users SET code = NULL WHERE id > 1;")
        .unwrap();
    let index = contract.find("CREATE UNIQUE INDEX").unwrap();
    assert!(update < index, "{contract}");
}

/// Dropping a unique key waits for contract(R + gap): R-1's code may name it as the arbiter
/// of an upsert, which fails once the key is gone. A check is only a relaxing: expand.
#[test]
fn a_unique_key_is_dropped_in_the_next_contract_and_old_upserts_keep_working() {
    let schema = format!("{SCHEMA}\n[[tables.users.constraints]]\ntype = \"unique\"\ncolumn = \"email\"\n\n[[tables.users.constraints]]\ntype = \"check\"\nname = \"users_score_ok\"\ncheck = \"score >= 0\"\n");
    let drop_key =
        "release = \"1.4.0\"\n[[op]]\ntype = \"drop_constraint\"\nname = \"users_email_key\"\n";
    let relax =
        "release = \"1.4.0\"\n[[op]]\ntype = \"drop_constraint\"\nname = \"users_score_ok\"\n";
    let changes = [
        ("0001_drop_key.toml", drop_key),
        ("0002_relax.toml", relax),
        NEXT,
    ];
    let dir = common::project_with("postgres", &schema, &changes);
    assert_eq!(
        placement(dir.path(), "0001_drop_key.toml"),
        ["contract 1.5.0"]
    );
    assert_eq!(placement(dir.path(), "0002_relax.toml"), ["expand 1.4.0"]);

    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    let out = common::migrate(dir.path(), &url, "1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    // 1.3.0's code still runs after expand(1.4.0), and after contract(1.4.0).
    let mut db = common::connect(&url, dir.path());
    let upsert = "INSERT INTO users (id, email) VALUES (1, 'a@x') \
                  ON CONFLICT (email) DO UPDATE SET score = users.score + 1";
    db.run_script(upsert).unwrap();
    db.run_script(upsert).unwrap();
    drop(db);
    let out = common::migrate(dir.path(), &url, "1.5.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, dir.path());
    let err = db.run_script(upsert).unwrap_err();
    assert!(err.to_string().contains("ON CONFLICT"), "{err}");
}

/// A chain over three releases with `min_release_gap = 2`: 1.4.0 tightens three
/// constraints (enforced in contract(1.6.0)), 1.5.0 renames them before they are
/// enforced, 1.6.0 drops one of them before that contract. The contract enforces the
/// others under their new names and never the dropped one; rows that break the dropped
/// one survive.
fn pending_tightenings_renamed_then_dropped(server: Server) {
    let check = server != Server::Mysql;
    let mut add = String::from("release = \"1.4.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"code\"\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"team_id\"\nreferences = \"teams\"\nrepair_sql = \"NULL\"\n");
    let mut rename = String::from("release = \"1.5.0\"\n[[op]]\ntype = \"rename_constraint\"\ntable = \"users\"\nname = \"users_code_key\"\nto = \"users_code_uq\"\n\n[[op]]\ntype = \"rename_constraint\"\ntable = \"users\"\nname = \"users_team_id_fkey\"\nto = \"users_team_fk\"\n");
    let mut drop = String::from(
        "release = \"1.6.0\"\n[[op]]\ntype = \"drop_constraint\"\nname = \"users_team_fk\"\n",
    );
    if check {
        add.push_str("\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_score_ok\"\ncheck = \"score >= 0\"\n");
        rename.push_str("\n[[op]]\ntype = \"rename_constraint\"\ntable = \"users\"\nname = \"users_score_ok\"\nto = \"users_score_nonneg\"\n");
        drop.push_str("\n[[op]]\ntype = \"drop_constraint\"\ntable = \"users\"\nname = \"users_score_nonneg\"\n");
    }
    let next = "release = \"1.7.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let changes = [
        ("0001_add.toml", add.as_str()),
        ("0002_rename.toml", rename.as_str()),
        ("0003_drop.toml", drop.as_str()),
        ("0004_next.toml", next),
    ];
    let dir = common::project_dir(
        &format!("dialect = \"{}\"\nmin_release_gap = 2\n", server.dialect()),
        SCHEMA,
        &changes,
    );
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(placement(dir.path(), "0001_add.toml"), ["contract 1.6.0"]);
    assert!(placement(dir.path(), "0002_rename.toml").is_empty());
    assert!(placement(dir.path(), "0003_drop.toml").is_empty());
    let Some(scratch) = server.fresh() else {
        return;
    };
    let url = common::database_url(server, &scratch, dir.path());
    let migrate = |release: &str, phase: &str| common::migrate(dir.path(), &url, release, phase);
    let out = migrate("1.5.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, dir.path());
    db.run_script(
        "INSERT INTO users (id, email, code, score, team_id) VALUES (1, 'a', 'x', -5, 77)",
    )
    .unwrap();
    let out = migrate("1.7.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let here = if server == Server::Mysql {
        "DATABASE()"
    } else {
        "current_schema()"
    };
    let names = db
        .query_text(&format!(
            "SELECT constraint_name FROM information_schema.table_constraints \
             WHERE table_schema = {here} AND table_name = 'users' \
             AND constraint_type <> 'PRIMARY KEY' ORDER BY 1"
        ))
        .unwrap();
    let names: Vec<String> = names
        .into_iter()
        .filter_map(|r| r[0].clone())
        .filter(|n| !n.ends_with("_not_null"))
        .collect();
    assert_eq!(names, ["users_code_uq"], "{names:?}");
    // The dropped key was never enforced: the orphan row is there, and more may come.
    db.run_script(
        "INSERT INTO users (id, email, code, score, team_id) VALUES (2, 'b', 'y', -1, 78)",
    )
    .unwrap();
    assert!(db
        .run_script("INSERT INTO users (id, email, code) VALUES (3, 'c', 'x')")
        .is_err());
}

#[test]
fn pending_tightenings_renamed_then_dropped_on_postgres() {
    pending_tightenings_renamed_then_dropped(Server::Postgres);
}

#[test]
fn pending_tightenings_renamed_then_dropped_on_mariadb() {
    pending_tightenings_renamed_then_dropped(Server::Mysql);
}
