//! Backfills over tables larger than one batch: every row is filled, in batches, on every
//! database, whatever the batch size and pause.

use crate::common;

use common::{project_files, stderr, tandem, users_project, Server};
use tandem::apply::database::Database;
use tandem::apply::scratch::Scratch;

const ADD_STATUS: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"handle\", type = \"varchar(300)\" }\nbackfill_sql = \"email\"\n";

#[test]
fn a_backfill_fills_every_row_of_a_table_larger_than_a_batch() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), &[("0001_handle.toml", ADD_STATUS)]);
        let p = dir.path();
        let toml = p.join("tandem.toml");
        let text = std::fs::read_to_string(&toml).unwrap();
        std::fs::write(
            &toml,
            format!("{text}\n[postgres]\nbackfill_batch_size = 97\nbackfill_pause_ms = 1\n\n[mysql]\nbackfill_batch_size = 97\nbackfill_pause_ms = 1\n"),
        )
        .unwrap();
        assert!(tandem(p).arg("generate").output().unwrap().status.success());
        let url = common::database_url(server, &scratch, p);
        // The baseline, then 3,000 rows written by the code before the change.
        let out = common::migrate(p, &url, "1.4.0", "expand");
        assert!(out.status.success(), "{}", stderr(&out));
        let mut db = common::connect(&url, p);
        common::insert_unfilled_users(&mut db, server, 3000, "handle");
        // Run the expand file's SQL again as a runner would: the backfill fills them all.
        let file = tandem::layout::list_sql_files(&p.join("migrations"))
            .unwrap()
            .into_iter()
            .find(|f| f.starts_with("1.4.0/") && f.contains("expand"))
            .unwrap();
        let sql = std::fs::read_to_string(p.join("migrations").join(&file)).unwrap();
        let backfill = tandem::sql::split::statements(server_dialect(server), &sql)
            .into_iter()
            .filter(|s| {
                (s.contains("Backfill")
                    || s.contains("PROCEDURE")
                    || s.contains("CALL")
                    || s.contains("UPDATE"))
                    && !s.contains("TRIGGER")
            });
        for statement in backfill {
            db.run_script(&statement)
                .unwrap_or_else(|e| panic!("{}: {e}\n{statement}", server.dialect()));
        }
        let left = db
            .query_text("SELECT COUNT(*) FROM users WHERE handle IS NULL")
            .unwrap();
        assert_eq!(left[0][0].as_deref(), Some("0"), "{}", server.dialect());
        let wrong = db
            .query_text("SELECT COUNT(*) FROM users WHERE handle <> email")
            .unwrap();
        assert_eq!(wrong[0][0].as_deref(), Some("0"), "{}", server.dialect());
    }
}

fn server_dialect(server: Server) -> tandem::sql::Dialect {
    match server {
        Server::Sqlite => tandem::sql::Dialect::Sqlite,
        Server::Postgres => tandem::sql::Dialect::Postgres,
        Server::Mysql => tandem::sql::Dialect::Mysql,
    }
}

const ACCOUNTS_BY_TENANT: &str = r#"
[tables.accounts]
primary_key = ["tenant", "id"]

[tables.accounts.columns]
tenant  = { type = "varchar(20)" }
id      = { type = "integer" }
balance = { type = "integer" }
"#;

const ADD_SCORE: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"accounts\"\ncolumn = { name = \"score\", type = \"integer\" }\nbackfill_sql = \"balance + 1\"\n";

/// MariaDB: migrates a project to expand(1.4.0) with a batch of 97 rows, writes the rows
/// of `insert` as if they predated the expand (`common::insert_unfilled`),
/// and runs the expand file's backfill statements in one session. Returns the session
/// and how many index and table rows the backfill read (the session's `Handler_read_%`),
/// with the scratch database.
fn mysql_backfill(
    schema: &str,
    change: &str,
    insert: &str,
    column: &str,
) -> Option<(Scratch, Database, u64)> {
    let server = Server::Mysql;
    let scratch = server.fresh()?;
    let dir = project_files(server.dialect(), schema, &[("0001_change.toml", change)]);
    let p = dir.path();
    let toml = p.join("tandem.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(
        &toml,
        format!("{text}\n[mysql]\nbackfill_batch_size = 97\nbackfill_pause_ms = 0\n"),
    )
    .unwrap();
    assert!(tandem(p).arg("generate").output().unwrap().status.success());
    let url = common::database_url(server, &scratch, p);
    let out = common::migrate(p, &url, "1.4.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, p);
    // The rows as written before the expand: the backfill has every one to fill.
    let unfilled = common::insert_unfilled(&mut db, server, "accounts", column, insert);
    let filled = db
        .query_text(&format!(
            "SELECT COUNT(*) FROM accounts WHERE NOT ({unfilled})"
        ))
        .unwrap();
    assert_eq!(filled[0][0].as_deref(), Some("0"));
    let file = tandem::layout::list_sql_files(&p.join("migrations"))
        .unwrap()
        .into_iter()
        .find(|f| f.starts_with("1.4.0/") && f.contains("expand"))
        .unwrap();
    let sql = std::fs::read_to_string(p.join("migrations").join(&file)).unwrap();
    let reads = |db: &mut Database| -> u64 {
        db.query_text("SHOW SESSION STATUS LIKE 'Handler_read%'")
            .unwrap()
            .iter()
            .map(|r| r[1].as_deref().unwrap_or("0").parse::<u64>().unwrap())
            .sum()
    };
    let before = reads(&mut db);
    for statement in tandem::sql::split::statements(tandem::sql::Dialect::Mysql, &sql)
        .into_iter()
        .filter(|s| s.contains("PROCEDURE") || s.contains("CALL"))
    {
        db.run_script(&statement)
            .unwrap_or_else(|e| panic!("{e}\n{statement}"));
    }
    let read = reads(&mut db) - before;
    // The scratch database lives as long as the caller holds it.
    Some((scratch, db, read))
}

/// A batch that looked for the next NULL rows from the start of the table read (and, in
/// REPEATABLE READ, locked) every row filled before it: on a busy table, writers to any
/// filled row waited for each later batch, and the whole took time quadratic in the
/// rows. Walking the primary key in ranges reads each row a bounded number of times.
#[test]
fn a_mysql_backfill_reads_each_row_a_bounded_number_of_times() {
    reads_each_row_a_bounded_number_of_times(ACCOUNTS_BY_TENANT);
}

/// A table without a primary key but with a unique key over NOT NULL columns (which
/// InnoDB clusters it by) is walked by that key too: its batches searched from the start
/// of the table, reading it again each time.
#[test]
fn a_mysql_backfill_walks_a_unique_key_where_there_is_no_primary_key() {
    let schema = ACCOUNTS_BY_TENANT.replace("primary_key = [\"tenant\", \"id\"]\n", "")
        + "\n[[tables.accounts.constraints]]\ntype = \"unique\"\ncolumns = [\"tenant\", \"id\"]\n";
    assert!(!schema.contains("primary_key"));
    reads_each_row_a_bounded_number_of_times(&schema);
}

/// Backfills 3,000 rows of the accounts table of `schema` in batches of 97 and checks
/// that every row is filled, each read a bounded number of times.
fn reads_each_row_a_bounded_number_of_times(schema: &str) {
    let rows: Vec<String> = (1..=3000)
        .map(|i| format!("('t{}', {i}, {i})", i % 7))
        .collect();
    let insert = format!(
        "INSERT INTO accounts (tenant, id, balance) VALUES {}",
        rows.join(", ")
    );
    let Some((_scratch, mut db, read)) = mysql_backfill(schema, ADD_SCORE, &insert, "score") else {
        return;
    };
    // Per batch of 97: the next bound (98 index entries) and the range's rows.
    assert!(
        read <= 3 * 3000,
        "the backfill read {read} rows for 3000: batches search the table again"
    );
    let left = db
        .query_text("SELECT COUNT(*) FROM accounts WHERE score IS NULL OR score <> balance + 1")
        .unwrap();
    assert_eq!(left[0][0].as_deref(), Some("0"));
}

/// An empty table, and a table of fewer rows than a batch: the walk ends at once.
#[test]
fn a_mysql_backfill_by_key_ends_on_a_small_or_empty_table() {
    for n in [0, 1, 96, 97, 98] {
        let insert = if n == 0 {
            "SELECT 1".to_string()
        } else {
            let rows: Vec<String> = (1..=n).map(|i| format!("('a', {i}, {i})")).collect();
            format!(
                "INSERT INTO accounts (tenant, id, balance) VALUES {}",
                rows.join(", ")
            )
        };
        let Some((_scratch, mut db, _)) =
            mysql_backfill(ACCOUNTS_BY_TENANT, ADD_SCORE, &insert, "score")
        else {
            return;
        };
        let left = db
            .query_text("SELECT COUNT(*) FROM accounts WHERE NOT (score <=> balance + 1)")
            .unwrap();
        assert_eq!(left[0][0].as_deref(), Some("0"), "{n} rows");
    }
}

/// PostgreSQL: a transaction that `migrate` runs (a whole file, or one statement of a
/// no-transaction file with its progress record) reaches the server in one message, BEGIN
/// to COMMIT, and commits without waiting for its WAL flush. A lock its statements take
/// (ACCESS EXCLUSIVE for an ALTER TABLE, which queues every reader and writer of the
/// table) is then held for the statements alone: not for a client round trip between
/// the last statement and a COMMIT sent after it, nor for the flush. A deferred trigger
/// runs at COMMIT; `statement_timestamp()` is the arrival of the message it runs in.
#[test]
fn a_postgres_transaction_reaches_the_server_in_one_message() {
    let server = Server::Postgres;
    let Some(scratch) = server.fresh() else {
        return;
    };
    let dir = users_project(server.dialect(), &[]);
    let url = common::database_url(server, &scratch, dir.path());
    let mut db = common::connect(&url, dir.path());
    db.run_script(
        "CREATE TABLE seen (at_statement timestamptz, at_commit timestamptz, sync text);\n\
         CREATE FUNCTION seen_commit() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n\
           UPDATE seen SET at_commit = statement_timestamp(),\n\
             sync = current_setting('synchronous_commit');\n\
           RETURN NULL;\n\
         END\n$$;\n\
         CREATE CONSTRAINT TRIGGER seen_at_commit AFTER INSERT ON seen\n\
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION seen_commit();",
    )
    .unwrap();
    db.run_in_transaction("INSERT INTO seen (at_statement) VALUES (statement_timestamp())")
        .unwrap();
    let rows = db
        .query_text("SELECT at_statement = at_commit, sync FROM seen")
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![Some("t".to_string()), Some("off".to_string())]],
        "COMMIT came in a message of its own, or waited for its flush"
    );
    // A failure rolls back and leaves the session usable.
    assert!(db
        .run_in_transaction("INSERT INTO seen VALUES (1)")
        .is_err());
    let rows = db.query_text("SELECT count(*) FROM seen").unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("1"));
}

/// A `backfill_sql` that counts rows of another table through a correlated subquery,
/// naming the row by its table (`users.id`), as SQL writes it: the backfill fills the
/// rows there before, the fill trigger the rows written during the rollout (a MySQL
/// trigger must name the row `NEW`, and failed every insert with `1054 Unknown column
/// 'users.id'`), and the contract's NOT NULL holds, on every database.
#[test]
fn a_backfill_and_its_trigger_read_another_table_through_a_correlated_subquery() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let count = "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
            column = { name = \"order_count\", type = \"integer\" }\n\
            backfill_sql = \"(SELECT COUNT(*) FROM orders WHERE orders.user_id = users.id)\"\n";
        let changes = [
            ("0001_before.toml", common::select_one("1.0.0")),
            ("0002_count.toml", count.to_string()),
            ("0003_after.toml", common::select_one("1.2.0")),
        ];
        let dir = common::project_with(
            server.dialect(),
            common::USERS_AND_ORDERS,
            &common::as_refs(&changes),
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out = common::migrate(p, &url, "1.0.0", "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        let mut db = common::connect(&url, p);
        common::insert_users(&mut db, 3);
        db.run_script("INSERT INTO orders (id, user_id) VALUES (1, 1), (2, 1), (3, 2)")
            .unwrap();
        let out = common::migrate(p, &url, "1.1.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        db.run_script(
            "INSERT INTO users (id, email, legacy_email) VALUES (4, 'u4@x', 'l4');\n\
             UPDATE users SET nickname = 'n' WHERE id = 4",
        )
        .unwrap_or_else(|e| panic!("{server:?}: the old code's writes fail: {e}"));
        let out = common::migrate(p, &url, "1.2.0", "contract");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let counts = db
            .query_text("SELECT id, order_count FROM users ORDER BY id")
            .unwrap();
        let counts: Vec<(String, String)> = counts
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
            .collect();
        let want: Vec<(String, String)> = [("1", "2"), ("2", "1"), ("3", "0"), ("4", "0")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(counts, want, "{server:?}");
    }
}
