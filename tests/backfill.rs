//! Backfills over tables larger than one batch: every row is filled, in batches, on every
//! database, whatever the batch size and pause.

mod common;

use common::{stderr, tandem, users_project, Server};
use tandem::apply::database::{Database, Target};

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
        let out = tandem(p)
            .args([
                "migrate",
                "--release",
                "1.4.0",
                "--phase",
                "expand",
                "--database-url",
                &url,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let mut db = Database::connect(&Target::parse(&url, p).unwrap()).unwrap();
        // Rows the trigger did not fill: as if they were there before the expand.
        let rows: Vec<String> = (1..=3000)
            .map(|i| format!("({i}, 'u{i}@x', 'l{i}')"))
            .collect();
        db.run_script(&format!(
            "INSERT INTO users (id, email, legacy_email) VALUES {}",
            rows.join(", ")
        ))
        .unwrap();
        db.run_script("UPDATE users SET handle = NULL").unwrap();
        // Run the expand file's SQL again as a runner would: the backfill fills them all.
        let file = tandem::layout::list_sql_files(&p.join("migrations"))
            .unwrap()
            .into_iter()
            .find(|f| f.starts_with("1.4.0/") && f.contains("expand"))
            .unwrap();
        let sql = std::fs::read_to_string(p.join("migrations").join(&file)).unwrap();
        let backfill = tandem::apply::split::statements(server_dialect(server), &sql)
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

fn server_dialect(server: Server) -> tandem::config::Dialect {
    match server {
        Server::Sqlite => tandem::config::Dialect::Sqlite,
        Server::Postgres => tandem::config::Dialect::Postgres,
        Server::Mysql => tandem::config::Dialect::Mysql,
    }
}
