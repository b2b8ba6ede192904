//! A type change that keeps the column's name where the dialect cannot make it online in
//! place: integer to bigint on Postgres and MariaDB goes through a shadow column, synced
//! and backfilled in expand and swapped in at contract(R) without rewriting the table.
//! SQLite changes the type in place (an affinity).

use crate::common;

use common::{migrate, run, select_one, stderr, stdout, Server};

const SCHEMA: &str = r#"
[tables.accounts]
primary_key = ["id"]
[tables.accounts.columns]
id = { type = "integer", identity = true }
score = { type = "integer", default = 7 }
label = { type = "text" }

[[tables.accounts.constraints]]
type = "check"
name = "accounts_score_positive"
check = "score > 0"

[[tables.accounts.indexes]]
columns = ["score"]
unique = true
name = "accounts_score_idx"

[tables.posts]
primary_key = ["id"]
[tables.posts.columns]
id = { type = "bigint" }
account_id = { type = "integer" }

[[tables.posts.constraints]]
type = "foreign_key"
name = "posts_account_fkey"
columns = ["account_id"]
references = "accounts(id)"
"#;

/// The MariaDB schema: no check (MariaDB adds one only by copying the table), no key
/// widened (the primary key is the clustered index).
const MYSQL_SCHEMA: &str = r#"
[tables.accounts]
primary_key = ["id"]
[tables.accounts.columns]
id = { type = "integer", identity = true }
score = { type = "integer", default = 7 }
label = { type = "text" }

[[tables.accounts.indexes]]
columns = ["score"]
unique = true
name = "accounts_score_idx"
"#;

fn widen(columns: &[&str]) -> String {
    let mut text = String::from("release = \"1.1.0\"\n");
    for c in columns {
        text.push_str(&format!(
            "\n[[op]]\ntype = \"alter_column\"\ntable = \"accounts\"\ncolumn = \"{c}\"\ncolumn_type = \"bigint\"\n"
        ));
    }
    text
}

fn ok(out: &std::process::Output) {
    assert!(out.status.success(), "{}{}", stdout(out), stderr(out));
}

fn contract_sql(p: &std::path::Path) -> String {
    let dir = p.join("migrations/1.1.0");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| f.to_string_lossy().contains("contract"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn one(db: &mut tandem::apply::database::Database, sql: &str) -> String {
    db.query_text(sql).unwrap()[0][0]
        .clone()
        .unwrap_or_default()
}

#[test]
fn postgres_widens_a_key_and_a_column_keeping_their_names_without_a_rewrite() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = common::project_with(
        "postgres",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &widen(&["id", "score"])),
        ],
    );
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    ok(&migrate(p, &url, "1.0.0", "contract"));
    let mut db = common::connect(&url, p);
    db.run_script(
        "INSERT INTO accounts (score, label) VALUES (1, 'a'), (2, 'b'), (3, 'c');\
         INSERT INTO posts (id, account_id) VALUES (1, 1), (2, 3)",
    )
    .unwrap();

    ok(&migrate(p, &url, "1.1.0", "expand"));
    // Both releases write the column under its name: R-1's inserts reach the shadow.
    db.run_script(
        "INSERT INTO accounts (score, label) VALUES (4, 'd');\
         INSERT INTO accounts (label) VALUES ('e');\
         UPDATE accounts SET score = 10 WHERE label = 'a'",
    )
    .unwrap();
    let relfilenode = one(
        &mut db,
        "SELECT relfilenode::text FROM pg_class WHERE relname = 'accounts'",
    );
    // Killing here and migrating again does nothing twice.
    ok(&migrate(p, &url, "1.1.0", "expand"));

    ok(&migrate(p, &url, "1.1.0", "contract"));
    let sql = contract_sql(p);
    assert!(!sql.contains(" TYPE "), "the swap retypes in place:\n{sql}");
    assert_eq!(
        one(
            &mut db,
            "SELECT relfilenode::text FROM pg_class WHERE relname = 'accounts'"
        ),
        relfilenode,
        "the swap rewrote the table:\n{sql}"
    );
    let types = db
        .query_text(
            "SELECT column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity \
             FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY column_name",
        )
        .unwrap();
    let types: Vec<Vec<String>> = types
        .into_iter()
        .map(|r| r.into_iter().map(|v| v.unwrap_or_default()).collect())
        .collect();
    assert_eq!(
        types,
        [
            vec!["id", "bigint", "NO", "", "YES"],
            vec!["label", "text", "NO", "", "NO"],
            vec!["score", "bigint", "NO", "7", "NO"],
        ]
    );
    // Rows written before, during and after the rollout, under the old name.
    let rows = db
        .query_text("SELECT id::text, score::text FROM accounts ORDER BY id")
        .unwrap();
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(
        one(
            &mut db,
            "SELECT score::text FROM accounts WHERE label = 'a'"
        ),
        "10"
    );
    assert_eq!(
        one(
            &mut db,
            "SELECT score::text FROM accounts WHERE label = 'e'"
        ),
        "7"
    );
    // The key, the index, the check and the foreign key are there under their names.
    let constraints = one(
        &mut db,
        "SELECT string_agg(conname || ':' || contype::text || ':' || convalidated::text, ',' ORDER BY conname) \
         FROM pg_constraint WHERE conrelid IN ('accounts'::regclass, 'posts'::regclass) AND contype <> 'n'",
    );
    assert_eq!(
        constraints,
        "accounts_pkey:p:true,accounts_score_positive:c:true,posts_account_fkey:f:true,posts_pkey:p:true"
    );
    let indexes = one(
        &mut db,
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'accounts'",
    );
    assert_eq!(indexes, "accounts_pkey,accounts_score_idx");
    // Numbering goes on past the rows, values past 2^31 fit, the checks hold.
    db.run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'big')")
        .unwrap();
    assert_eq!(
        one(&mut db, "SELECT id::text FROM accounts WHERE label = 'big'"),
        "6"
    );
    db.run_script(
        "INSERT INTO accounts (id, score, label) VALUES (3000000001, 5000000000, 'bigger')",
    )
    .unwrap();
    db.run_script("INSERT INTO posts (id, account_id) VALUES (3, 1)")
        .unwrap();
    assert!(db
        .run_script("INSERT INTO posts (id, account_id) VALUES (4, 999)")
        .is_err());
    assert!(db
        .run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'dup')")
        .is_err());
    assert!(db
        .run_script("INSERT INTO accounts (score, label) VALUES (-1, 'neg')")
        .is_err());
    ok(&migrate(p, &url, "1.1.0", "contract"));

    let clean = run(p, &["diff", "--database-url", &url]);
    assert!(
        clean.status.success() && !stdout(&clean).contains("accounts"),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
}

#[test]
fn mariadb_widens_a_column_keeping_its_name_without_copying_the_table() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = common::project_with(
        "mysql",
        MYSQL_SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &widen(&["score"])),
        ],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    ok(&migrate(p, &url, "1.0.0", "contract"));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO accounts (score, label) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        .unwrap();
    ok(&migrate(p, &url, "1.1.0", "expand"));
    db.run_script(
        "INSERT INTO accounts (score, label) VALUES (4, 'd');\
         INSERT INTO accounts (label) VALUES ('e');\
         UPDATE accounts SET score = 10 WHERE label = 'a'",
    )
    .unwrap();
    let table = common::table_id(&mut db, "accounts");
    ok(&migrate(p, &url, "1.1.0", "contract"));
    let sql = contract_sql(p);
    assert_eq!(
        common::table_id(&mut db, "accounts"),
        table,
        "the swap rebuilt the table:\n{sql}"
    );
    assert!(sql.contains("ALGORITHM=NOCOPY"), "{sql}");
    assert!(!sql.contains("MODIFY"), "{sql}");
    let column = db
        .query_text(
            "SELECT COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts' AND COLUMN_NAME = 'score'",
        )
        .unwrap();
    assert_eq!(
        column[0],
        [
            Some("bigint(20)".into()),
            Some("NO".into()),
            Some("7".into())
        ]
    );
    assert_eq!(
        one(&mut db, "SELECT score FROM accounts WHERE label = 'a'"),
        "10"
    );
    assert_eq!(
        one(&mut db, "SELECT score FROM accounts WHERE label = 'e'"),
        "7"
    );
    assert_eq!(
        one(
            &mut db,
            "SELECT GROUP_CONCAT(DISTINCT INDEX_NAME ORDER BY INDEX_NAME) FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'accounts'"
        ),
        "accounts_score_idx,PRIMARY"
    );
    db.run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'big')")
        .unwrap();
    assert!(db
        .run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'dup')")
        .is_err());
    let clean = run(p, &["diff", "--database-url", &url]);
    assert!(
        clean.status.success() && !stdout(&clean).contains("accounts"),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
}

#[test]
fn sqlite_widens_in_place() {
    let dir = common::project_with(
        "sqlite",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &widen(&["id", "score"])),
        ],
    );
    let p = dir.path();
    let url = format!("sqlite://{}", p.join("test.db").display());
    ok(&migrate(p, &url, "1.0.0", "contract"));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO accounts (score, label) VALUES (1, 'a'), (2, 'b')")
        .unwrap();
    ok(&migrate(p, &url, "1.1.0", "expand"));
    db.run_script("INSERT INTO accounts (label) VALUES ('e')")
        .unwrap();
    ok(&migrate(p, &url, "1.1.0", "contract"));
    db.run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'big')")
        .unwrap();
    assert_eq!(
        one(&mut db, "SELECT score FROM accounts WHERE label = 'big'"),
        "3000000000"
    );
    assert_eq!(one(&mut db, "SELECT count(*) FROM accounts"), "4");
    assert!(!p
        .join("migrations/1.1.0")
        .read_dir()
        .unwrap()
        .any(|f| std::fs::read_to_string(f.unwrap().path())
            .unwrap()
            .contains("tandem_retype")));
}

#[test]
fn verify_rehearses_the_swap_on_every_dialect() {
    for server in Server::ALL {
        let schema = if server == Server::Mysql {
            MYSQL_SCHEMA
        } else {
            SCHEMA
        };
        let Some(url) = server.url() else { continue };
        let widened: &[&str] = if server == Server::Mysql {
            &["score"]
        } else {
            &["id", "score"]
        };
        let dir = common::project_with(
            server.dialect(),
            schema,
            &[
                ("0001_start.toml", &select_one("1.0.0")),
                ("0002_widen.toml", &widen(widened)),
                ("0003_next.toml", &select_one("1.2.0")),
            ],
        );
        let url = if server == Server::Sqlite {
            "sqlite::memory:".to_string()
        } else {
            url
        };
        let out = common::verify(dir.path(), &url);
        assert!(
            out.status.success(),
            "{}: {}{}",
            server.dialect(),
            stdout(&out),
            stderr(&out)
        );
    }
}

#[test]
fn mariadb_refuses_a_key_a_foreign_key_references_naming_it() {
    let schema = r#"
[tables.accounts]
primary_key = ["id"]
[tables.accounts.columns]
id = { type = "integer" }

[tables.posts]
primary_key = ["id"]
[tables.posts.columns]
id = { type = "bigint" }
account_id = { type = "integer" }

[[tables.posts.constraints]]
type = "foreign_key"
name = "posts_account_fkey"
columns = ["account_id"]
references = "accounts(id)"
"#;
    let dir = common::project_files(
        "mysql",
        schema,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &widen(&["id"])),
        ],
    );
    let out = run(dir.path(), &["plan"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stderr(&out);
    assert!(text.contains("posts_account_fkey"), "{text}");
    assert!(text.contains("widen both sides"), "{text}");
    assert!(text.contains("0002_widen.toml:"), "{text}");
}

#[test]
fn diff_to_proposes_the_widening_and_plan_takes_it() {
    for server in [Server::Postgres, Server::Mysql] {
        let schema = if server == Server::Mysql {
            MYSQL_SCHEMA
        } else {
            SCHEMA
        };
        let dir = common::project_files(
            server.dialect(),
            schema,
            &[("0001_start.toml", &select_one("1.0.0"))],
        );
        let p = dir.path();
        let wanted = schema.replace(
            "score = { type = \"integer\", default = 7 }",
            "score = { type = \"bigint\", default = 7 }",
        );
        let wanted_path = p.join("wanted.toml");
        std::fs::write(&wanted_path, wanted).unwrap();
        let out = run(
            p,
            &[
                "diff",
                "--to",
                wanted_path.to_str().unwrap(),
                "--release",
                "1.1.0",
            ],
        );
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        let proposed = stdout(&out);
        assert!(proposed.contains("column_type = \"bigint\""), "{proposed}");
        std::fs::write(p.join("changes/0002_widen.toml"), &proposed).unwrap();
        let plan = run(p, &["plan"]);
        assert!(
            plan.status.success(),
            "{}: {proposed}\n{}{}",
            server.dialect(),
            stdout(&plan),
            stderr(&plan)
        );
        assert!(
            stdout(&plan).contains("tandem_retype_score"),
            "{}",
            stdout(&plan)
        );
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let url = common::database_url(server, &scratch, p);
        ok(&run(p, &["generate"]));
        ok(&migrate(p, &url, "1.1.0", "contract"));
    }
}

/// Names a shadow must survive: a reserved word, `-` and `$` in the column, a table name
/// at the length limit (the shadow's, its index's and its trigger's names are fitted to
/// 63 bytes).
#[test]
fn hostile_names_keep_their_names_through_the_swap() {
    let table = format!("t-${}", "x".repeat(60));
    assert_eq!(table.len(), 63);
    let schema = format!(
        r#"
[tables."{table}"]
primary_key = ["id"]
[tables."{table}".columns]
id = {{ type = "bigint" }}
order = {{ type = "integer", default = 1 }}
"size-$" = {{ type = "integer", nullable = true }}

[[tables."{table}".indexes]]
columns = ["order", "size-$"]
unique = true
"#
    );
    let op = |column: &str| {
        format!("\n[[op]]\ntype = \"alter_column\"\ntable = \"{table}\"\ncolumn = \"{column}\"\ncolumn_type = \"bigint\"\n")
    };
    // Both under one key in one release: refused, pointing at the second.
    let both = format!("release = \"1.1.0\"\n{}{}", op("order"), op("size-$"));
    let dir = common::project_files(
        "postgres",
        &schema,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &both),
        ],
    );
    let out = run(dir.path(), &["plan"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("in a later release"),
        "{}",
        stderr(&out)
    );
    let change = format!("release = \"1.1.0\"\n{}", op("order"));
    let next = format!("release = \"1.2.0\"\n{}", op("size-$"));
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = common::project_with(
            server.dialect(),
            &schema,
            &[
                ("0001_start.toml", &select_one("1.0.0")),
                ("0002_widen.toml", &change),
                ("0003_widen.toml", &next),
            ],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        ok(&migrate(p, &url, "1.0.0", "contract"));
        let mut db = common::connect(&url, p);
        let q = |s: &str| match server {
            Server::Mysql => format!("`{}`", s.replace('`', "``")),
            _ => format!("\"{}\"", s.replace('"', "\"\"")),
        };
        let insert = |id: u64, order: u64, size: u64| {
            format!(
                "INSERT INTO {} (id, {}, {}) VALUES ({id}, {order}, {size})",
                q(&table),
                q("order"),
                q("size-$")
            )
        };
        db.run_script(&insert(1, 1, 1)).unwrap();
        ok(&migrate(p, &url, "1.1.0", "expand"));
        db.run_script(&insert(2, 2, 2)).unwrap();
        ok(&migrate(p, &url, "1.2.0", "expand"));
        ok(&migrate(p, &url, "1.2.0", "contract"));
        db.run_script(&insert(3, 3_000_000_000, 4_000_000_000))
            .unwrap();
        assert!(db
            .run_script(&insert(4, 3_000_000_000, 4_000_000_000))
            .is_err());
        let sum = one(
            &mut db,
            &format!(
                "SELECT CAST(SUM({}) + SUM({}) AS CHAR(40)) FROM {}",
                q("order"),
                q("size-$"),
                q(&table)
            )
            .replace(
                "CHAR(40)",
                if server == Server::Mysql {
                    "CHAR(40)"
                } else {
                    "text"
                },
            ),
        );
        assert_eq!(sum, "7000000006", "{}", server.dialect());
        let clean = run(p, &["diff", "--database-url", &url]);
        assert!(
            clean.status.success(),
            "{}: {}{}",
            server.dialect(),
            stdout(&clean),
            stderr(&clean)
        );
    }
}

/// Another op of the same release on the column would change the old column, which
/// the swap drops: refused, pointing at it. A later release may drop the column.
#[test]
fn the_same_release_may_not_change_the_column_again_and_a_later_one_may_drop_it() {
    let same = format!(
        "{}\n[[op]]\ntype = \"create_index\"\ntable = \"accounts\"\ncolumns = [\"score\", \"label\"]\n",
        widen(&["score"])
    );
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &same),
        ],
    );
    let out = run(dir.path(), &["plan"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stderr(&out);
    assert!(
        text.contains("same release") && text.contains("0002_widen.toml:"),
        "{text}"
    );

    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let schema = if server == Server::Mysql {
            MYSQL_SCHEMA
        } else {
            SCHEMA
        };
        // R's inserts leave out the dropped column: its default may not be unique.
        let schema = schema
            .replace(
                "[[tables.accounts.constraints]]\ntype = \"check\"\nname = \"accounts_score_positive\"\ncheck = \"score > 0\"\n",
                "",
            )
            .replace("columns = [\"score\"]\nunique = true\n", "columns = [\"score\"]\n");
        let dir = common::project_with(
            server.dialect(),
            &schema,
            &[
                ("0001_start.toml", &select_one("1.0.0")),
                ("0002_widen.toml", &widen(&["score"])),
                (
                    "0003_drop.toml",
                    "release = \"1.2.0\"\n\n[[op]]\ntype = \"drop_index\"\ntable = \"accounts\"\nname = \"accounts_score_idx\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"accounts\"\ncolumn = \"score\"\n",
                ),
                ("0004_next.toml", &select_one("1.3.0")),
            ],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        ok(&migrate(p, &url, "1.3.0", "contract"));
        let mut db = common::connect(&url, p);
        db.run_script("INSERT INTO accounts (label) VALUES ('x')")
            .unwrap();
        assert!(db.run_script("SELECT score FROM accounts").is_err());
        let out = common::verify(
            p,
            &common::database_url(server, &server.fresh().unwrap(), p),
        );
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    }
}

/// With `lock_retries = 0` the swap is still one atomic `DO` block, and it applies.
#[test]
fn postgres_swaps_in_one_block_without_lock_retries() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_widen.toml", &widen(&["id", "score"])),
        ],
    );
    let p = dir.path();
    let toml = std::fs::read_to_string(p.join("tandem.toml")).unwrap();
    std::fs::write(p.join("tandem.toml"), format!("lock_retries = 0\n{toml}")).unwrap();
    ok(&run(p, &["generate"]));
    let url = common::database_url(Server::Postgres, &scratch, p);
    ok(&migrate(p, &url, "1.0.0", "contract"));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO accounts (score, label) VALUES (1, 'a')")
        .unwrap();
    ok(&migrate(p, &url, "1.1.0", "contract"));
    let sql = contract_sql(p);
    assert!(sql.contains("DO $") && !sql.contains("attempt"), "{sql}");
    db.run_script("INSERT INTO accounts (score, label) VALUES (3000000000, 'big')")
        .unwrap();
    assert_eq!(
        one(&mut db, "SELECT id::text FROM accounts WHERE label = 'big'"),
        "2"
    );
}
