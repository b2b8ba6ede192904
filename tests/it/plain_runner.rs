//! The generated tree read by a plain runner that knows nothing of tandem: refinery's own
//! runner over the bare drivers. On MariaDB and SQLite it applies every file; on
//! Postgres it applies every file but those marked `-- tandem:no-transaction`, which it
//! wraps in a transaction the server refuses (what the README's runner table says).

use crate::common;

use common::{example_for, Server};
use refinery_core::{Migration, Runner};

fn migrations(project: &std::path::Path) -> Vec<(Migration, bool)> {
    let dir = project.join("migrations");
    tandem::layout::list_sql_files(&dir)
        .unwrap()
        .into_iter()
        .map(|p| {
            let sql = std::fs::read_to_string(dir.join(&p)).unwrap();
            let stem = p
                .rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".sql")
                .to_string();
            let no_tx = sql.contains(tandem::layout::NO_TRANSACTION_MARK);
            (Migration::unapplied(&stem, &sql).unwrap(), no_tx)
        })
        .collect::<Vec<_>>()
        .tap_sort()
}

trait TapSort {
    fn tap_sort(self) -> Self;
}

impl TapSort for Vec<(Migration, bool)> {
    /// In version order, as refinery applies them.
    fn tap_sort(mut self) -> Self {
        self.sort_by_key(|(m, _)| m.version());
        self
    }
}

#[test]
fn plain_refinery_applies_the_whole_tree_on_mariadb_and_sqlite() {
    let sqlite = example_for("shop", "sqlite");
    let all: Vec<Migration> = migrations(sqlite.path())
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let mut conn = refinery_core::rusqlite::Connection::open_in_memory().unwrap();
    let report = Runner::new(&all).run(&mut conn).unwrap();
    assert_eq!(report.applied_migrations().len(), all.len());

    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = example_for("shop", "mysql");
    let all: Vec<Migration> = migrations(dir.path()).into_iter().map(|(m, _)| m).collect();
    let url = common::database_url(Server::Mysql, &scratch, dir.path());
    let mut conn =
        refinery_core::mysql::Conn::new(refinery_core::mysql::Opts::from_url(&url).unwrap())
            .unwrap();
    let report = Runner::new(&all).run(&mut conn).unwrap();
    assert_eq!(report.applied_migrations().len(), all.len());
}

#[test]
fn plain_refinery_cannot_run_a_postgres_no_transaction_file() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = example_for("shop", "postgres");
    let files = migrations(dir.path());
    let first_no_tx = files
        .iter()
        .position(|(_, no_tx)| *no_tx)
        .expect("the shop has one");
    let all: Vec<Migration> = files.iter().map(|(m, _)| m.clone()).collect();
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    let mut client =
        refinery_core::postgres::Client::connect(&url, refinery_core::postgres::NoTls).unwrap();
    let err = Runner::new(&all).run(&mut client).unwrap_err();
    let report = err.report().expect("a partial report");
    // Every file before the first no-transaction one applied; that one failed.
    // It stops at a no-transaction file (a backfill over an empty table may still pass
    // inside a transaction: the one that stops it builds an index concurrently or
    // commits a batch).
    let stopped_at = report.applied_migrations().len();
    assert!(stopped_at >= first_no_tx, "{stopped_at} < {first_no_tx}");
    assert!(
        files[stopped_at].1,
        "refinery stopped at a file that runs in a transaction: {err}"
    );
    let chain = format!("{err:?}");
    // CREATE INDEX CONCURRENTLY refuses a transaction block; a batch's COMMIT inside a
    // DO block is an invalid transaction termination there.
    assert!(
        chain.contains("transaction block") || chain.contains("invalid transaction termination"),
        "{chain}"
    );
}

/// A baseline whose objects have `;` inside their bodies (a MySQL procedure and trigger,
/// a SQLite trigger) runs under refinery's own runner too: MariaDB's multi-statement
/// reader and SQLite's take a `BEGIN ... END` body as one statement, as tandem's
/// splitter does.
#[test]
fn plain_refinery_applies_objects_with_bodies_on_mariadb_and_sqlite() {
    let table = "\n[tables.t]\nprimary_key = [\"id\"]\n[tables.t.columns]\nid = { type = \"integer\" }\nnote = { type = \"varchar(20)\", nullable = true }\n";
    let sqlite_objects = "[[objects]]\nkind = \"trigger\"\nname = \"t.t_note\"\nsql = '''\nCREATE TRIGGER t_note AFTER INSERT ON t BEGIN UPDATE t SET note = 'a;b' WHERE id = NEW.id; UPDATE t SET note = note || ';' WHERE id = NEW.id; END\n'''\n";
    let mysql_objects = "[[objects]]\nkind = \"procedure\"\nname = \"two\"\nsql = '''\nCREATE PROCEDURE `two`() BEGIN INSERT INTO t VALUES (2, 'x;'); INSERT INTO t VALUES (3, 'y'); END\n'''\n\
        [[objects]]\nkind = \"trigger\"\nname = \"t.t_note\"\nsql = '''\nCREATE TRIGGER t_note BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.note = CONCAT(NEW.note, ';'); SET NEW.note = CONCAT(NEW.note, '!'); END\n'''\n";
    let noop = common::select_one("1.0.0");
    let dir = common::project_with(
        "sqlite",
        &format!("{sqlite_objects}{table}"),
        &[("0001.toml", &noop)],
    );
    let all: Vec<Migration> = migrations(dir.path()).into_iter().map(|(m, _)| m).collect();
    let mut conn = refinery_core::rusqlite::Connection::open_in_memory().unwrap();
    Runner::new(&all).run(&mut conn).unwrap();
    conn.execute_batch("INSERT INTO t (id) VALUES (1)").unwrap();
    let note: String = conn
        .query_row("SELECT note FROM t WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(note, "a;b;");

    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = common::project_with(
        "mysql",
        &format!("{mysql_objects}{table}"),
        &[("0001.toml", &noop)],
    );
    let all: Vec<Migration> = migrations(dir.path()).into_iter().map(|(m, _)| m).collect();
    let url = common::database_url(Server::Mysql, &scratch, dir.path());
    let mut conn =
        refinery_core::mysql::Conn::new(refinery_core::mysql::Opts::from_url(&url).unwrap())
            .unwrap();
    Runner::new(&all).run(&mut conn).unwrap();
    let mut db = common::connect(&url, dir.path());
    db.run_script("CALL two()").unwrap();
    let notes = db.query_text("SELECT note FROM t ORDER BY id").unwrap();
    assert_eq!(
        notes,
        vec![
            vec![Some("x;;!".to_string())],
            vec![Some("y;!".to_string())]
        ]
    );
}
