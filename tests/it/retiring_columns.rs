//! A NOT NULL column on its way out (dropped, or the old half of a copy-mode rename or
//! type change) must let R's inserts omit it from expand(R) to its drop. On MariaDB,
//! dropping NOT NULL rebuilds the table (every row rewritten, then writers held while
//! what they wrote meanwhile is applied), so a column that no key, foreign key or check
//! involves gets a placeholder default instead, metadata only; a constrained one still
//! drops NOT NULL, where a repeated placeholder would break its key.

use crate::common;

use common::{migrate, run, select_one, stderr, stdout, table_id, Server};

const SCHEMA: &str = r#"
[tables.items]
primary_key = ["id"]
[tables.items.columns]
id = { type = "bigint" }
qty = { type = "integer" }
label = { type = "varchar(40)" }
price = { type = "integer" }
flag = { type = "boolean" }

[tables.coded]
primary_key = ["id"]
[tables.coded.columns]
id = { type = "bigint" }
code = { type = "varchar(20)" }
amount = { type = "integer" }

[[tables.coded.constraints]]
type = "unique"
name = "coded_code_key"
columns = ["code"]

[[tables.coded.constraints]]
type = "check"
name = "coded_amount_positive"
expr = "amount > 0"
"#;

const RETIRE: &str = r#"release = "1.1.0"

[[op]]
type = "drop_column"
table = "items"
column = "qty"

[[op]]
type = "drop_column"
table = "items"
column = "flag"

[[op]]
type = "rename_column"
table = "items"
from = "label"
to = "title"

[[op]]
type = "alter_column"
table = "items"
column = "price"
column_type = "bigint"
new_name = "price_big"

[[op]]
type = "drop_column"
table = "coded"
column = "code"

[[op]]
type = "drop_column"
table = "coded"
column = "amount"
"#;

#[test]
fn a_retiring_column_is_left_out_of_inserts_without_rebuilding_its_table_on_mariadb() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let dir = common::project_with(
        "mysql",
        SCHEMA,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_retire.toml", RETIRE),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let ok = |out: std::process::Output| {
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    };
    ok(migrate(p, &url, "1.0.0", "contract"));
    let mut db = common::connect(&url, p);
    db.run_script(
        "INSERT INTO items (id, qty, label, price, flag) VALUES (1, 5, 'a', 10, TRUE);\
         INSERT INTO coded (id, code, amount) VALUES (1, 'x', 3)",
    )
    .unwrap();
    let items = table_id(&mut db, "items");
    let coded = table_id(&mut db, "coded");

    ok(migrate(p, &url, "1.1.0", "expand"));
    assert_eq!(
        table_id(&mut db, "items"),
        items,
        "the expand rebuilt items: {}",
        std::fs::read_to_string(p.join("migrations/1.1.0/V2000__expand_0002_retire.sql"))
            .unwrap_or_default()
    );
    assert_ne!(
        table_id(&mut db, "coded"),
        coded,
        "keyed and checked columns drop NOT NULL (a rebuild on MariaDB)"
    );

    // R's code leaves the retired columns out; the release before still writes them.
    db.run_script(
        "INSERT INTO items (id, title, price_big) VALUES (2, 'b', 20);\
         INSERT INTO items (id, title, price_big) VALUES (3, 'c', 30);\
         INSERT INTO items (id, qty, label, price, flag) VALUES (4, 6, 'd', 40, FALSE);\
         INSERT INTO coded (id) VALUES (2);\
         INSERT INTO coded (id) VALUES (3)",
    )
    .unwrap();
    // Once the contract has dropped the sync triggers and not yet the old columns, R's
    // inserts still succeed.
    let triggers = db
        .query_text(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS \
             WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        .unwrap();
    assert!(!triggers.is_empty());
    for t in &triggers {
        db.run_script(&format!("DROP TRIGGER `{}`", t[0].as_deref().unwrap()))
            .unwrap();
    }
    db.run_script("INSERT INTO items (id, title, price_big) VALUES (5, 'e', 50)")
        .unwrap();
    let rows = db
        .query_text("SELECT qty, label, price, flag FROM items WHERE id = 5")
        .unwrap();
    assert_eq!(
        rows[0],
        ["0", "", "0", "0"].map(|v| Some(v.to_string())),
        "placeholders"
    );
    let coded_rows = db
        .query_text("SELECT COUNT(*) FROM coded WHERE code IS NULL AND amount IS NULL")
        .unwrap();
    assert_eq!(coded_rows[0][0].as_deref(), Some("2"));

    // The plan says what the database holds; a database whose old files dropped NOT
    // NULL instead did the same step.
    let clean = run(p, &["diff", "--database-url", &url]);
    assert!(
        !stdout(&clean).contains("items."),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
    db.run_script("ALTER TABLE items MODIFY COLUMN qty integer NULL")
        .unwrap();
    let older = run(p, &["diff", "--database-url", &url]);
    assert!(
        !stdout(&older).contains("items.qty"),
        "{}{}",
        stdout(&older),
        stderr(&older)
    );

    ok(migrate(p, &url, "1.2.0", "contract"));
    let columns = db
        .query_text(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION",
        )
        .unwrap();
    let names: Vec<_> = columns.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(names, ["id", "title", "price_big"]);
}

/// A unique index or key dropped in R stays in the database until its contract: a column
/// R retires under it must not get a placeholder default, or R's second insert that
/// leaves it out repeats the placeholder and fails.
#[test]
fn a_unique_index_dropped_until_its_contract_keeps_a_retiring_column_from_a_placeholder() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let schema = r#"
[tables.tagged]
primary_key = ["id"]
[tables.tagged.columns]
id = { type = "bigint" }
code = { type = "varchar(20)" }

[[tables.tagged.indexes]]
name = "tagged_code_idx"
columns = ["code"]
unique = true

[tables.keyed]
primary_key = ["id"]
[tables.keyed.columns]
id = { type = "bigint" }
code = { type = "varchar(20)" }

[[tables.keyed.constraints]]
type = "unique"
name = "keyed_code_key"
columns = ["code"]
"#;
    let retire = r#"release = "1.1.0"

[[op]]
type = "drop_index"
name = "tagged_code_idx"

[[op]]
type = "drop_column"
table = "tagged"
column = "code"

[[op]]
type = "drop_constraint"
name = "keyed_code_key"

[[op]]
type = "drop_column"
table = "keyed"
column = "code"
"#;
    let dir = common::project_with(
        "mysql",
        schema,
        &[
            ("0001_start.toml", &select_one("1.0.0")),
            ("0002_retire.toml", retire),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let p = dir.path();
    let url = common::database_url(Server::Mysql, &scratch, p);
    let out = migrate(p, &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, p);
    let expand = std::fs::read_to_string(p.join("migrations/1.1.0/V2000__expand_0002_retire.sql"))
        .unwrap_or_default();
    for table in ["tagged", "keyed"] {
        for id in [1, 2] {
            let insert = format!("INSERT INTO {table} (id) VALUES ({id})");
            if let Err(e) = db.run_script(&insert) {
                panic!("{insert}: {e}\n{expand}");
            }
        }
    }
}
