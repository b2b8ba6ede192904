//! A NOT NULL column added with a `backfill_sql` on MariaDB: InnoDB sets NOT NULL on an
//! existing column only by rebuilding the table (every row copied, then writers held
//! while what they wrote meanwhile is applied), so the column is added NOT NULL at once,
//! with a stand-in default until its fill trigger is in place. The contract then has
//! nothing to rebuild. What must hold: no rebuild in either phase, every row decided by
//! the expression (also rows written under the stand-in default), R-1's inserts filled,
//! R's own values kept; a row R-1 writes that the expression gives NULL for is kept with
//! the stand-in and stops the contract by name, and an existing one stops the backfill.

use crate::common;

use common::{migrate, select_one, stderr, stdout, table_id, Server};
use tandem::apply::database::Database;
use tandem::apply::scratch::Scratch;
use tandem::sql::split::split_mysql_statements;

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(100)", nullable = true }
"#;

const ADD: &str = r#"release = "1.1.0"

[[op]]
type = "add_column"
table = "users"
column = { name = "email_lower", type = "varchar(100)" }
backfill_sql = "lower(email)"
"#;

const EXPAND: &str = "migrations/1.1.0/V2000__expand_0002_change.sql";

fn one(db: &mut Database, sql: &str) -> Option<String> {
    db.query_text(sql).unwrap()[0][0].clone()
}

/// A fresh MariaDB database at contract(1.0.0) of a project of `schema` whose 1.1.0 is
/// `change` (1.2.0 changes nothing), after `rows` ran: the rows R-1 wrote before.
struct Setup {
    _scratch: Scratch,
    dir: tempfile::TempDir,
    url: String,
    db: Database,
}

fn setup(schema: &str, change: &str, rows: &str) -> Option<Setup> {
    let scratch = Server::Mysql.fresh()?;
    let dir = common::project_with(
        "mysql",
        schema,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_change.toml", change),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let url = common::database_url(Server::Mysql, &scratch, dir.path());
    let out = migrate(dir.path(), &url, "1.0.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let mut db = common::connect(&url, dir.path());
    db.run_script(rows).unwrap();
    Some(Setup {
        _scratch: scratch,
        dir,
        url,
        db,
    })
}

/// `count` users with upper-case emails.
fn users(count: u32) -> String {
    let values: Vec<String> = (1..=count).map(|i| format!("({i}, 'U{i}@X')")).collect();
    format!("INSERT INTO users (id, email) VALUES {}", values.join(", "))
}

fn migrate_ok(s: &Setup, phases: &[(&str, &str)]) {
    for (release, phase) in phases {
        let out = migrate(s.dir.path(), &s.url, release, phase);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
}

#[test]
fn a_backfilled_not_null_column_is_added_and_tightened_without_a_rebuild_on_mariadb() {
    let Some(mut s) = setup(SCHEMA, ADD, &users(600)) else {
        return;
    };
    let before = table_id(&mut s.db, "users");
    migrate_ok(&s, &[("1.1.0", "expand")]);
    let db = &mut s.db;
    assert_eq!(table_id(db, "users"), before, "the expand rebuilt users");
    let shape = db
        .query_text(
            "SELECT IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' \
             AND COLUMN_NAME = 'email_lower'",
        )
        .unwrap();
    assert_eq!(shape[0][0].as_deref(), Some("NO"));
    assert!(
        matches!(shape[0][1].as_deref(), None | Some("NULL")),
        "the stand-in default is left: {shape:?}"
    );
    assert_eq!(
        one(
            db,
            "SELECT COUNT(*) FROM users WHERE NOT (email_lower <=> lower(email))"
        )
        .as_deref(),
        Some("0"),
        "rows the backfill left"
    );

    // R-1 leaves the column out and gets it filled; R's own value is kept, even one
    // that equals the stand-in default.
    db.run_script("INSERT INTO users (id, email) VALUES (1001, 'Old@X')")
        .unwrap();
    db.run_script("INSERT INTO users (id, email, email_lower) VALUES (1002, 'New@X', '')")
        .unwrap();
    db.run_script("UPDATE users SET email = 'Moved@X' WHERE id = 1")
        .unwrap();
    assert_eq!(
        db.query_text("SELECT email_lower FROM users WHERE id IN (1, 1001, 1002) ORDER BY id")
            .unwrap()
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["moved@x", "old@x", ""]
    );
    // R-1 keeps working where the expression gives NULL: its row gets the stand-in, and
    // the contract, not R-1's insert, stops on it by name until the row is set.
    db.run_script("INSERT INTO users (id, email) VALUES (1003, NULL)")
        .unwrap();
    db.run_script("UPDATE users SET email = NULL WHERE id = 2")
        .unwrap();
    assert_eq!(
        db.query_text("SELECT email_lower FROM users WHERE id IN (2, 1003) ORDER BY id")
            .unwrap()
            .into_iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["", ""]
    );
    migrate_ok(&s, &[("1.2.0", "expand")]);
    let out = migrate(s.dir.path(), &s.url, "1.2.0", "contract");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("2 rows of users hold the stand-in for users.email_lower"),
        "{text}"
    );
    s.db.run_script("UPDATE users SET email = CONCAT('M', id, '@X') WHERE email IS NULL")
        .unwrap();
    migrate_ok(&s, &[("1.2.0", "contract")]);
    let db = &mut s.db;
    assert_eq!(
        table_id(db, "users"),
        before,
        "the contract rebuilt users to set a NOT NULL it had"
    );
    assert_eq!(
        one(
            db,
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
        .as_deref(),
        Some("0")
    );
    let status = common::run(s.dir.path(), &["status", "--database-url", &s.url]);
    assert!(
        status.status.success() && !stdout(&status).contains("drift"),
        "{}{}",
        stdout(&status),
        stderr(&status)
    );
}

/// Runs the statements of an expand file one by one, writing a row as R-1 does (`write`,
/// given a fresh id) before the first and after each: every moment of the expand, the
/// stand-in default's and the triggers' changes among them, meets an insert.
fn expand_with_writes_between(db: &mut Database, sql: &str, write: impl Fn(u32) -> String) {
    let statements = split_mysql_statements(sql);
    let drop_default = statements
        .iter()
        .position(|s| s.contains("DROP DEFAULT"))
        .expect("the expand drops the stand-in default");
    let backfill = statements
        .iter()
        .position(|s| s.contains("CREATE PROCEDURE"))
        .expect("a backfill procedure");
    assert!(drop_default < backfill, "{sql}");
    for (i, statement) in statements.iter().enumerate() {
        db.run_script(&write(5000 + i as u32))
            .unwrap_or_else(|e| panic!("R-1's write before {statement}: {e}"));
        db.run_script(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    db.run_script(&write(5000 + statements.len() as u32))
        .unwrap();
}

/// Rows written between the `ADD COLUMN` and the trigger's arrival hold the stand-in
/// default, which no NULL tells apart: the backfill must decide them with the rest.
#[test]
fn rows_written_at_every_moment_of_the_expand_are_filled_on_mariadb() {
    let Some(mut s) = setup(SCHEMA, ADD, &users(300)) else {
        return;
    };
    let sql = std::fs::read_to_string(s.dir.path().join(EXPAND)).unwrap();
    let db = &mut s.db;
    expand_with_writes_between(db, &sql, |id| {
        format!("INSERT INTO users (id, email) VALUES ({id}, 'Early{id}@X')")
    });
    assert_eq!(
        one(
            db,
            "SELECT COUNT(*) FROM users WHERE NOT (email_lower <=> lower(email))"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        one(db, "SELECT email_lower FROM users WHERE id = 5001").as_deref(),
        Some("early5001@x")
    );
}

const ITEMS: &str = r#"
[tables.items]
primary_key = ["id"]
[tables.items.columns]
id = { type = "bigint" }
label = { type = "varchar(40)" }
price = { type = "integer" }
"#;

const COPIES: &str = r#"release = "1.1.0"

[[op]]
type = "rename_column"
table = "items"
column = "label"
to = "title"

[[op]]
type = "alter_column"
table = "items"
column = "price"
column_type = "bigint"
new_name = "price_big"
"#;

/// `count` items, as R-1 writes them.
fn items(count: u32) -> String {
    let values: Vec<String> = (1..=count).map(|i| format!("({i}, 'L{i}', {i})")).collect();
    format!(
        "INSERT INTO items (id, label, price) VALUES {}",
        values.join(", ")
    )
}

/// A copy-mode rename and a type change through a new column: the new NOT NULL column is
/// NOT NULL from the start too. While its stand-in default stands, a bridge trigger takes
/// it for "not written"; the sync's own insert trigger, which takes a written new column
/// for R's, comes only once the default is gone. R-1's rows written at every moment keep
/// their values, also those equal to a stand-in, and get them in the new columns.
#[test]
fn a_copy_into_a_not_null_column_loses_no_write_at_any_moment_on_mariadb() {
    let Some(mut s) = setup(ITEMS, COPIES, &items(400)) else {
        return;
    };
    let sql = std::fs::read_to_string(s.dir.path().join(EXPAND)).unwrap();
    let db = &mut s.db;
    let before = table_id(db, "items");
    expand_with_writes_between(db, &sql, |id| {
        let (label, price) = if id % 2 == 0 {
            (String::new(), 0)
        } else {
            (format!("L{id}"), id)
        };
        format!("INSERT INTO items (id, label, price) VALUES ({id}, '{label}', {price})")
    });
    assert_eq!(table_id(db, "items"), before, "the expand rebuilt items");
    let wrong = db
        .query_text(
            "SELECT id, label, title, price, price_big FROM items WHERE NOT (title <=> label) \
             OR NOT (price_big <=> price) \
             OR (id >= 5000 AND id % 2 = 1 AND (label <> CONCAT('L', id) OR price <> id)) \
             OR (id >= 5000 AND id % 2 = 0 AND (label <> '' OR price <> 0)) \
             OR (id < 5000 AND (label <> CONCAT('L', id) OR price <> id))",
        )
        .unwrap();
    assert!(wrong.is_empty(), "rows that lost a write: {wrong:?}");
}

/// The same through `migrate`: the new columns end NOT NULL without a default, R's rows
/// give their values to the old columns, and neither phase rebuilds the table.
#[test]
fn a_copy_into_a_not_null_column_rebuilds_nothing_on_mariadb() {
    let Some(mut s) = setup(ITEMS, COPIES, &items(400)) else {
        return;
    };
    let before = table_id(&mut s.db, "items");
    migrate_ok(&s, &[("1.1.0", "expand")]);
    let db = &mut s.db;
    let shape = db
        .query_text(
            "SELECT COLUMN_NAME, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' \
             AND COLUMN_NAME IN ('title', 'price_big') ORDER BY COLUMN_NAME",
        )
        .unwrap();
    assert_eq!(shape.len(), 2);
    for row in &shape {
        assert_eq!(row[1].as_deref(), Some("NO"), "{shape:?}");
        assert!(
            matches!(row[2].as_deref(), None | Some("NULL")),
            "{shape:?}"
        );
    }
    // R writes the new columns only, a zero price among them; the old ones follow.
    db.run_script("INSERT INTO items (id, title, price_big) VALUES (9001, 'R', 0)")
        .unwrap();
    assert_eq!(
        db.query_text("SELECT label, price FROM items WHERE id = 9001")
            .unwrap()[0],
        vec![Some("R".to_string()), Some("0".to_string())]
    );
    migrate_ok(
        &s,
        &[
            ("1.1.0", "contract"),
            ("1.2.0", "expand"),
            ("1.2.0", "contract"),
        ],
    );
    let db = &mut s.db;
    assert_eq!(table_id(db, "items"), before, "a contract rebuilt items");
    let status = common::run(s.dir.path(), &["status", "--database-url", &s.url]);
    assert!(
        status.status.success(),
        "{}{}",
        stdout(&status),
        stderr(&status)
    );
}

/// Existing rows the expression gives NULL for stop the expand with a message that says
/// how many and which column, and `migrate` finishes once they are mended.
#[test]
fn a_backfill_that_gives_null_for_a_not_null_column_stops_by_name_on_mariadb() {
    let Some(mut s) = setup(SCHEMA, ADD, &users(600)) else {
        return;
    };
    s.db.run_script("UPDATE users SET email = NULL WHERE id IN (7, 450)")
        .unwrap();
    let out = migrate(s.dir.path(), &s.url, "1.1.0", "expand");
    assert!(!out.status.success(), "{}", stdout(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("1 rows of users would leave users.email_lower NULL"),
        "{text}"
    );
    s.db.run_script("UPDATE users SET email = CONCAT('M', id, '@X') WHERE email IS NULL")
        .unwrap();
    migrate_ok(&s, &[("1.1.0", "expand")]);
    assert_eq!(
        one(
            &mut s.db,
            "SELECT COUNT(*) FROM users WHERE NOT (email_lower <=> lower(email))"
        )
        .as_deref(),
        Some("0")
    );
}

/// With a default, R-1's inserts get the default, as on the other dialects; the column is
/// added NOT NULL with it at once, and the backfill sets every row already there.
#[test]
fn a_backfilled_not_null_column_with_a_default_is_added_without_a_rebuild_on_mariadb() {
    let change = "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
                  column = { name = \"score\", type = \"integer\", default = 7 }\n\
                  backfill_sql = \"length(email)\"\n";
    let Some(mut s) = setup(SCHEMA, change, &users(400)) else {
        return;
    };
    let before = table_id(&mut s.db, "users");
    migrate_ok(&s, &[("1.1.0", "expand"), ("1.1.0", "contract")]);
    let db = &mut s.db;
    assert_eq!(
        one(
            db,
            "SELECT COUNT(*) FROM users WHERE NOT (score <=> length(email))"
        )
        .as_deref(),
        Some("0")
    );
    db.run_script("INSERT INTO users (id, email) VALUES (1001, 'old@x')")
        .unwrap();
    assert_eq!(
        one(db, "SELECT score FROM users WHERE id = 1001").as_deref(),
        Some("7")
    );
    migrate_ok(&s, &[("1.2.0", "expand"), ("1.2.0", "contract")]);
    let db = &mut s.db;
    assert_eq!(table_id(db, "users"), before, "users was rebuilt");
    assert_eq!(
        db.query_text(
            "SELECT IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'score'"
        )
        .unwrap()[0],
        vec![Some("NO".to_string()), Some("7".to_string())]
    );
}
