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
