//! Dropping a column takes with it only the checks and indexes that read it: a word of a
//! string literal, a comment or another name is not a read (`channel IN ('sms', 'email')`
//! does not read a column `email`), each dialect's strings read as its server reads them.

use crate::common;

use common::{project_with, select_one, stderr, stdout, Server};

const DROP_EMAIL: &str = "release = \"1.1.0\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"email\"\n";

fn schema(server: Server) -> String {
    let (strings, partial) = match server {
        // MySQL reads "..." as a string and a backslash as an escape.
        Server::Mysql => (r#"channel IN ("sms", 'email', 'it\'s email', 'push')"#, ""),
        _ => (
            "channel IN ('sms', 'email', 'push') /* email */",
            "\n[[tables.users.indexes]]\nname = \"users_email_channel_idx\"\ncolumns = [\"id\"]\nwhere = \"channel = 'email'\"\n",
        ),
    };
    format!(
        r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = {{ type = "bigint" }}
email = {{ type = "varchar(100)", nullable = true }}
channel = {{ type = "varchar(10)" }}

[[tables.users.constraints]]
type = "check"
name = "users_channel_check"
check = {strings:?}

[[tables.users.constraints]]
type = "check"
name = "users_email_check"
check = "email IS NULL OR email LIKE '%@%'"
{partial}"#
    )
}

/// The names of the checks and indexes of `users` on the server.
fn objects(db: &mut tandem::apply::database::Database, server: Server) -> Vec<String> {
    let sql = match server {
        Server::Postgres => {
            "SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'c' \
             UNION SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1"
        }
        _ => {
            "SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND CONSTRAINT_TYPE = 'CHECK' \
             ORDER BY 1"
        }
    };
    db.query_text(sql)
        .unwrap()
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect()
}

#[test]
fn dropping_a_column_keeps_the_checks_and_indexes_that_only_quote_its_name() {
    for server in [Server::Mysql, Server::Postgres] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(
            server.dialect(),
            &schema(server),
            &[
                ("0001_start.toml", &select_one("1.0.0")),
                ("0002_drop.toml", DROP_EMAIL),
                ("0003_next.toml", &select_one("1.2.0")),
            ],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        for (release, phase) in [("1.0.0", "contract"), ("1.2.0", "contract")] {
            let out = common::migrate(p, &url, release, phase);
            assert!(
                out.status.success(),
                "{}: {}{}",
                server.dialect(),
                stdout(&out),
                stderr(&out)
            );
        }
        let mut db = common::connect(&url, p);
        let left = objects(&mut db, server);
        assert!(
            left.contains(&"users_channel_check".to_string()),
            "{}: {left:?}",
            server.dialect()
        );
        assert!(!left.contains(&"users_email_check".to_string()), "{left:?}");
        if server == Server::Postgres {
            assert!(
                left.contains(&"users_email_channel_idx".to_string()),
                "{left:?}"
            );
        }
        // The check still holds on the server.
        let refused = db.run_script("INSERT INTO users (id, channel) VALUES (1, 'fax')");
        assert!(refused.is_err(), "{}: the check is gone", server.dialect());
        db.run_script("INSERT INTO users (id, channel) VALUES (2, 'email')")
            .unwrap();
        // The plan of the last release still knows them: nothing drifts.
        let status = common::run(p, &["status", "--database-url", &url]);
        assert!(
            status.status.success() && !stdout(&status).contains("drift"),
            "{}: {}{}",
            server.dialect(),
            stdout(&status),
            stderr(&status)
        );
    }
}
