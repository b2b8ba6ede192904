//! A NOT NULL column added with a `backfill_sql` on MariaDB: InnoDB sets NOT NULL on an
//! existing column only by rebuilding the table (every row copied, then writers held
//! while what they wrote meanwhile is applied), so the column is added NOT NULL at once,
//! with a stand-in default until its fill trigger is in place. The contract then has
//! nothing to rebuild. What must hold: no rebuild in either phase, every row decided by
//! the expression (also rows written under the stand-in default), R-1's inserts filled,
//! R's own values kept, and a row the expression gives NULL for refused with a message
//! that names the column, in the trigger and in the backfill alike.

mod common;

use common::{migrate, select_one, stderr, stdout, Server};
use tandem::apply::database::{Database, Target};
use tandem::apply::scratch::Scratch;
use tandem::apply::split::split_mysql_statements;

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

const EXPAND: &str = "migrations/1.1.0/V2000__expand_0002_add.sql";

/// InnoDB's id of `table`: a rebuild makes a new one.
fn table_id(db: &mut Database, table: &str) -> String {
    let rows = db
        .query_text(&format!(
            "SELECT TABLE_ID FROM information_schema.INNODB_SYS_TABLES \
             WHERE NAME = CONCAT(DATABASE(), '/{table}')"
        ))
        .unwrap();
    rows[0][0].clone().expect("a table id")
}

fn one(db: &mut Database, sql: &str) -> Option<String> {
    db.query_text(sql).unwrap()[0][0].clone()
}

fn setup(rows: u32) -> Option<(Scratch, tempfile::TempDir, String, Database)> {
    let scratch = Server::Mysql.fresh()?;
    let dir = common::project_with(
        "mysql",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_add.toml", ADD),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let url = common::database_url(Server::Mysql, &scratch, dir.path());
    let out = migrate(dir.path(), &url, "1.0.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let mut db = Database::connect(&Target::parse(&url, dir.path()).unwrap()).unwrap();
    let values: Vec<String> = (1..=rows).map(|i| format!("({i}, 'U{i}@X')")).collect();
    db.run_script(&format!(
        "INSERT INTO users (id, email) VALUES {}",
        values.join(", ")
    ))
    .unwrap();
    Some((scratch, dir, url, db))
}

#[test]
fn a_backfilled_not_null_column_is_added_and_tightened_without_a_rebuild_on_mariadb() {
    let Some((_scratch, dir, url, mut db)) = setup(600) else {
        return;
    };
    let p = dir.path();
    let before = table_id(&mut db, "users");

    let out = migrate(p, &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        table_id(&mut db, "users"),
        before,
        "the expand rebuilt users"
    );
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
            &mut db,
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
    // A row the expression gives NULL for is refused by name, not stored as ''.
    let refused = db
        .run_script("INSERT INTO users (id, email) VALUES (1003, NULL)")
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("NULL for users.email_lower, which is NOT NULL"),
        "{refused}"
    );

    for (release, phase) in [("1.2.0", "expand"), ("1.2.0", "contract")] {
        let out = migrate(p, &url, release, phase);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    assert_eq!(
        table_id(&mut db, "users"),
        before,
        "the contract rebuilt users to set a NOT NULL it had"
    );
    assert_eq!(
        one(
            &mut db,
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
        .as_deref(),
        Some("0")
    );
    let status = common::run(p, &["status", "--database-url", &url]);
    assert!(
        status.status.success() && !stdout(&status).contains("drift"),
        "{}{}",
        stdout(&status),
        stderr(&status)
    );
}

/// Rows written between the `ADD COLUMN` and the trigger's arrival hold the stand-in
/// default, which no NULL tells apart: the backfill must decide them with the rest.
#[test]
fn rows_written_under_the_stand_in_default_are_backfilled_on_mariadb() {
    let Some((_scratch, dir, _url, mut db)) = setup(300) else {
        return;
    };
    let sql = std::fs::read_to_string(dir.path().join(EXPAND)).unwrap();
    let statements = split_mysql_statements(&sql);
    let drop_default = statements
        .iter()
        .position(|s| s.contains("DROP DEFAULT"))
        .expect("the expand drops the stand-in default");
    let backfill = statements
        .iter()
        .position(|s| s.contains("CREATE PROCEDURE"))
        .expect("a backfill procedure");
    assert!(drop_default < backfill, "{sql}");
    let run = |db: &mut Database, range: std::ops::Range<usize>| {
        for statement in &statements[range] {
            db.run_script(statement)
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
    };
    // Up to the trigger: R-1's rows get the stand-in default.
    run(&mut db, 0..drop_default);
    db.run_script("INSERT INTO users (id, email) VALUES (2001, 'Early@X')")
        .unwrap();
    assert_eq!(
        one(&mut db, "SELECT email_lower FROM users WHERE id = 2001").as_deref(),
        Some("")
    );
    run(&mut db, drop_default..statements.len());
    assert_eq!(
        one(
            &mut db,
            "SELECT COUNT(*) FROM users WHERE NOT (email_lower <=> lower(email))"
        )
        .as_deref(),
        Some("0")
    );
    assert_eq!(
        one(&mut db, "SELECT email_lower FROM users WHERE id = 2001").as_deref(),
        Some("early@x")
    );
}

/// Existing rows the expression gives NULL for stop the expand with a message that says
/// how many and which column, and `migrate` finishes once they are mended.
#[test]
fn a_backfill_that_gives_null_for_a_not_null_column_stops_by_name_on_mariadb() {
    let Some((_scratch, dir, url, mut db)) = setup(600) else {
        return;
    };
    let p = dir.path();
    db.run_script("UPDATE users SET email = NULL WHERE id IN (7, 450)")
        .unwrap();
    let out = migrate(p, &url, "1.1.0", "expand");
    assert!(!out.status.success(), "{}", stdout(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("1 rows of users give NULL for users.email_lower"),
        "{text}"
    );
    db.run_script("UPDATE users SET email = CONCAT('M', id, '@X') WHERE email IS NULL")
        .unwrap();
    let out = migrate(p, &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        one(
            &mut db,
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
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let change = "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
                  column = { name = \"score\", type = \"integer\", default = 7 }\n\
                  backfill_sql = \"length(email)\"\n";
    let dir = common::project_with(
        "mysql",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_add.toml", change),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = migrate(p, &url, "1.0.0", "contract");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let mut db = Database::connect(&Target::parse(&url, p).unwrap()).unwrap();
    let values: Vec<String> = (1..=400).map(|i| format!("({i}, 'user{i}@x')")).collect();
    db.run_script(&format!(
        "INSERT INTO users (id, email) VALUES {}",
        values.join(", ")
    ))
    .unwrap();
    let before = table_id(&mut db, "users");
    for (release, phase) in [("1.1.0", "expand"), ("1.1.0", "contract")] {
        let out = migrate(p, &url, release, phase);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    assert_eq!(
        one(
            &mut db,
            "SELECT COUNT(*) FROM users WHERE NOT (score <=> length(email))"
        )
        .as_deref(),
        Some("0")
    );
    db.run_script("INSERT INTO users (id, email) VALUES (1001, 'old@x')")
        .unwrap();
    assert_eq!(
        one(&mut db, "SELECT score FROM users WHERE id = 1001").as_deref(),
        Some("7")
    );
    for (release, phase) in [("1.2.0", "expand"), ("1.2.0", "contract")] {
        let out = migrate(p, &url, release, phase);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
    assert_eq!(table_id(&mut db, "users"), before, "users was rebuilt");
    assert_eq!(
        db.query_text(
            "SELECT IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'score'"
        )
        .unwrap()[0],
        vec![Some("NO".to_string()), Some("7".to_string())]
    );
}
