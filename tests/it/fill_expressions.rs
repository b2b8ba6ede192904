//! A fill trigger computes what the backfill computes. The backfill evaluates
//! `backfill_sql` in an `UPDATE` of the table; the triggers that fill the rows the old
//! code writes meanwhile evaluate it over the trigger's row, which each dialect names its
//! own way (MySQL's `NEW.col`, Postgres's `NEW` as a one-row table). Random expressions,
//! made of bare and qualified column names in every quoting, string literals that look
//! like names, and correlated subqueries over another table (whose own names resolve to
//! it first), are applied to the real servers: after an insert and after an update of the
//! old code, every row holds what the expression gives over the table.

use crate::common;

use common::{stderr, Server, USERS_AND_ORDERS};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tandem::apply::database::Database;

/// The pieces an expression is made of, per dialect (`q` is the identifier quote).
fn terms(server: Server) -> Vec<String> {
    let q = if server == Server::Mysql { '`' } else { '"' };
    vec![
        "email".into(),
        "users.email".into(),
        format!("{q}users{q}.{q}legacy_email{q}"),
        "users . legacy_email".into(),
        "'users.id'".into(),
        "'it''s users.email'".into(),
        "id".into(),
        "users.id * 2".into(),
        "(SELECT COUNT(*) FROM orders WHERE orders.user_id = users.id)".into(),
        format!("(SELECT MAX(o.quantity) FROM orders o WHERE o.user_id = {q}users{q}.id)"),
        "(SELECT COUNT(*) FROM orders WHERE user_id = users.id AND orders.note = users.email)"
            .into(),
        // `id` here is the order's: SQL resolves a name in the innermost query first.
        "(SELECT COUNT(*) FROM orders WHERE id > 1 AND user_id = users.id)".into(),
        "(SELECT note FROM orders WHERE id = 1)".into(),
        "nickname".into(),
        "/* users.id */ score".into(),
    ]
}

/// The terms joined with `|`, as one text.
fn joined(server: Server, picks: &[usize]) -> String {
    let all = terms(server);
    let parts: Vec<&str> = picks.iter().map(|&i| all[i].as_str()).collect();
    match server {
        Server::Sqlite => parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" || '|' || "),
        _ => format!("CONCAT({})", parts.join(", '|', ")),
    }
}

/// Applies one expression on a fresh database of `server`; returns what went wrong.
fn check(server: Server, expr: &str) -> Result<(), String> {
    let scratch = server.fresh().ok_or("no server")?;
    let change = format!(
        "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
         column = {{ name = \"derived\", type = \"varchar(500)\", nullable = true }}\n\
         backfill_sql = {}\n",
        toml::Value::String(expr.to_string())
    );
    let dir = common::project_with(
        server.dialect(),
        USERS_AND_ORDERS,
        &[("0001.toml", change.as_str())],
    );
    let p = dir.path();
    let url = common::database_url(server, &scratch, p);
    let out = common::migrate(p, &url, "1.1.0", "expand");
    if !out.status.success() {
        return Err(format!("expand: {}", stderr(&out)));
    }
    let mut db = common::connect(&url, p);
    // Orders first, for users the old code inserts next: the trigger sees them.
    let no_key_checks = match server {
        Server::Postgres => "ALTER TABLE orders DISABLE TRIGGER ALL",
        Server::Mysql => "SET foreign_key_checks = 0",
        Server::Sqlite => "PRAGMA foreign_keys = OFF",
    };
    let same = match server {
        Server::Mysql => "<=>",
        _ => "IS NOT DISTINCT FROM",
    };
    let writes = [
        no_key_checks.to_string(),
        "INSERT INTO orders (id, user_id, quantity, note) VALUES \
         (1, 1, 3, 'u1@x'), (2, 1, 5, NULL), (3, 2, 7, 'u2@x')"
            .into(),
        "INSERT INTO users (id, email, legacy_email, nickname, score) VALUES \
         (1, 'u1@x', 'l1', NULL, 4), (2, 'u2@x', 'l2', 'two', 5), (3, 'u3@x', 'l3', 'three', 6)"
            .into(),
    ];
    for sql in &writes {
        db.run_script(sql).map_err(|e| format!("{sql}: {e}"))?;
    }
    let differing = format!("SELECT id FROM users WHERE NOT (derived {same} ({expr})) ORDER BY id");
    let after = |db: &mut Database, what: &str| -> Result<(), String> {
        let rows = db.query_text(&differing).map_err(|e| e.to_string())?;
        if rows.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "after {what}, users {rows:?} differ from the expression"
            ))
        }
    };
    after(&mut db, "the insert")?;
    // An update of what the expression reads, by code that does not know the column.
    db.run_script("UPDATE users SET email = CONCAT(email, '.org'), legacy_email = 'changed', score = score + 1")
        .or_else(|_| {
            db.run_script(
                "UPDATE users SET email = email || '.org', legacy_email = 'changed', score = score + 1",
            )
        })
        .map_err(|e| format!("update: {e}"))?;
    after(&mut db, "the update")
}

fn fuzz(server: Server) {
    if server.url().is_none() {
        return;
    }
    let count = terms(server).len();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(0..count, 1..5), |picks| {
        let expr = joined(server, &picks);
        check(server, &expr).map_err(|e| TestCaseError::fail(format!("{expr}\n{e}")))
    });
    if let Err(e) = result {
        panic!("{}: {e}", server.dialect());
    }
}

#[test]
fn mariadb_fill_triggers_compute_what_the_expression_gives() {
    fuzz(Server::Mysql);
}

#[test]
fn postgres_fill_triggers_compute_what_the_expression_gives() {
    fuzz(Server::Postgres);
}

#[test]
fn sqlite_fill_triggers_compute_what_the_expression_gives() {
    fuzz(Server::Sqlite);
}
