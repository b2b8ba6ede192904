//! Names tandem makes for copied and default objects fit the identifier limits (63
//! characters in Postgres, 64 in MySQL) with a hash, never by cutting a name down onto
//! another: applied on the real servers.

use crate::common;

use common::{database_url, project_with, stderr, Server};

fn schema() -> String {
    let plain = "i".repeat(63);
    let unique = "u".repeat(63);
    let named = format!("users_email_{}", "x".repeat(51));
    format!(
        r#"[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = {{ type = "bigint" }}
email = {{ type = "varchar(100)" }}

[[tables.users.indexes]]
name = "{plain}"
columns = ["email"]

[[tables.users.indexes]]
name = "{named}"
columns = ["email", "id"]

[[tables.users.constraints]]
type = "unique"
name = "{unique}"
column = "email"
"#
    )
}

/// 63-character index and constraint names on a renamed column are copied under hashed
/// names, then the originals dropped; the unique key still holds on the new column.
#[test]
fn long_index_and_constraint_names_are_copied_by_rename_column_on_every_server() {
    let rename = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"rename_column\"\n\
                  table = \"users\"\ncolumn = \"email\"\nto = \"primary_email\"\n";
    let later = "release = \"1.2.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"create_index\"\n\
                 table = \"users\"\ncolumns = [\"id\"]\n";
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(
            server.dialect(),
            &schema(),
            &[("0001_rename.toml", rename), ("0002_later.toml", later)],
        );
        let url = database_url(server, &scratch, dir.path());
        for (release, phase) in [("1.1.0", "expand"), ("1.2.0", "contract")] {
            let out = common::migrate(dir.path(), &url, release, phase);
            assert!(
                out.status.success(),
                "{server:?} {phase}({release}): {}",
                stderr(&out)
            );
        }
        let mut db = common::connect(&url, dir.path());
        let names = db.object_names("users").unwrap();
        let copies: Vec<&String> = names
            .iter()
            .filter(|n| {
                n.len() == 63
                    && (n.starts_with("iii")
                        || n.starts_with("uuu")
                        || n.starts_with("users_primary_email"))
            })
            .collect();
        assert_eq!(copies.len(), 3, "{server:?}: {names:?}");
        for original in ["i".repeat(63), "u".repeat(63)] {
            assert!(!names.contains(&original), "{server:?}: {names:?}");
        }
        db.run_script("INSERT INTO users (id, primary_email) VALUES (1, 'a')")
            .unwrap();
        assert!(
            db.run_script("INSERT INTO users (id, primary_email) VALUES (2, 'a')")
                .is_err(),
            "{server:?}: the unique key did not follow the rename"
        );
    }
}

/// Two default index names that share their first 63 characters stay two indexes.
#[test]
fn long_default_index_names_stay_distinct_on_every_server() {
    let long = "c".repeat(60);
    let schema = format!(
        "[tables.t]\nprimary_key = [\"id\"]\n[tables.t.columns]\nid = {{ type = \"bigint\" }}\n\
         {long}_a = {{ type = \"integer\" }}\n{long}_b = {{ type = \"integer\" }}\n"
    );
    let change = format!(
        "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"t\"\n\
         columns = [\"{long}_a\"]\n\n[[op]]\ntype = \"create_index\"\ntable = \"t\"\n\
         columns = [\"{long}_b\"]\n"
    );
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(server.dialect(), &schema, &[("0001_idx.toml", &change)]);
        let url = database_url(server, &scratch, dir.path());
        let out = common::migrate(dir.path(), &url, "1.1.0", "contract");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let mut db = common::connect(&url, dir.path());
        let names = db.object_names("t").unwrap();
        let indexes = names.iter().filter(|n| n.starts_with("t_ccc")).count();
        assert_eq!(indexes, 2, "{server:?}: {names:?}");
    }
}

/// The same for alter_column's `new_name`, which copies indexes as rename_column does.
#[test]
fn long_index_names_are_copied_by_alter_column_new_name_on_every_server() {
    let schema = format!(
        "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = {{ type = \"bigint\" }}\n\
         code = {{ type = \"integer\" }}\n\n[[tables.users.indexes]]\nname = \"{}\"\ncolumns = [\"code\"]\n",
        "k".repeat(63)
    );
    let change = "release = \"1.1.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"alter_column\"\n\
                  table = \"users\"\ncolumn = \"code\"\ncolumn_type = \"varchar(20)\"\n\
                  new_name = \"code_text\"\nusing = \"CAST(code AS char(20))\"\n";
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = project_with(server.dialect(), &schema, &[("0001_alter.toml", change)]);
        let url = database_url(server, &scratch, dir.path());
        let out = common::migrate(dir.path(), &url, "1.1.0", "expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        let mut db = common::connect(&url, dir.path());
        let names = db.object_names("users").unwrap();
        let copies = names
            .iter()
            .filter(|n| n.starts_with("kkk") && n.len() == 63)
            .count();
        assert_eq!(
            copies, 2,
            "{server:?}: the original and its copy: {names:?}"
        );
    }
}

/// A users table with `extra` among its columns and the mood enum of `values`, with the
/// index declarations of `indexes`.
fn cased_schema(extra: &str, values: &str, indexes: &str) -> String {
    format!(
        "[enums.mood]\nvalues = [{values}]\n\n[tables.users]\nprimary_key = [\"id\"]\n\n\
         [tables.users.columns]\nid = {{ type = \"bigint\" }}\nemail = {{ type = \"varchar(100)\" }}\n\
         {extra}mood = {{ type = \"mood\", nullable = true }}\n{indexes}"
    )
}

/// `check` of a project over `schema` and `changes`: its exit code and stderr.
fn check_of(dialect: &str, schema: &str, changes: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = common::project_files(dialect, schema, changes);
    let out = common::run(dir.path(), &["check"]);
    (out.status.code(), stderr(&out))
}

/// MySQL and MariaDB read column, index and (where folded) table names without case, and
/// compare ENUM values without case and trailing spaces: a schema or a change that gives
/// them two such names or values is an input error at plan time, at its place in the
/// file, on MySQL only; Postgres keeps them apart and accepts it.
#[test]
fn names_and_enum_values_mysql_cannot_keep_apart_are_refused_at_plan_time() {
    let plain = cased_schema("", "\"happy\", \"sad\"", "");
    let index = |name: &str, column: &str| {
        format!("\n[[tables.users.indexes]]\nname = \"{name}\"\ncolumns = [\"{column}\"]\n")
    };
    let baselines = [
        (
            cased_schema("Email = { type = \"text\" }\n", "\"happy\", \"sad\"", ""),
            "schema.toml:10:1",
        ),
        (cased_schema("", "\"happy\", \"Happy\"", ""), "schema.toml:2:10"),
        (cased_schema("", "\"happy\", \"sad \"", ""), "schema.toml:2:10"),
        (
            format!("{plain}\n[tables.Users]\nprimary_key = [\"id\"]\n[tables.Users.columns]\nid = {{ type = \"bigint\" }}\n"),
            "schema.toml:",
        ),
        (
            cased_schema("", "\"happy\", \"sad\"", &(index("ix_a", "email") + &index("IX_A", "mood"))),
            "schema.toml:",
        ),
    ];
    for (schema, at) in &baselines {
        let (code, err) = check_of("mysql", schema, &[]);
        assert_eq!(code, Some(2), "{schema}\n{err}");
        assert!(err.contains(at) && err.contains("help:"), "{schema}\n{err}");
        let (code, err) = check_of("postgres", schema, &[]);
        assert_eq!(code, Some(0), "{schema}\n{err}");
    }
    let changes = [
        "[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"EMAIL\", type = \"text\", nullable = true }\n",
        "[[op]]\ntype = \"add_enum_value\"\nenum = \"mood\"\nvalue = \"Sad\"\n",
        "[[op]]\ntype = \"add_enum_value\"\nenum = \"mood\"\nvalue = \"meh \"\n",
        "[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"Users_Email\"\ncolumns = [\"email\"]\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email\"\ncolumns = [\"mood\"]\n",
        "[[op]]\ntype = \"create_table\"\ntable = \"USERS\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" } }\n",
        "[[op]]\ntype = \"rename_column\"\ntable = \"users\"\nfrom = \"email\"\nto = \"eMail\"\n",
    ];
    for ops in changes {
        let change = format!("release = \"1.0.0\"\n\n{ops}");
        let files = [("0001_x.toml", change.as_str())];
        let (code, err) = check_of("mysql", &plain, &files);
        assert_eq!(code, Some(2), "{ops}\n{err}");
        assert!(
            err.contains("changes/0001_x.toml:") && err.contains("help:"),
            "{ops}\n{err}"
        );
        let (code, err) = check_of("postgres", &plain, &files);
        assert_eq!(code, Some(0), "{ops}\n{err}");
    }
}

/// What passes `check` on MySQL applies on MariaDB: names and values that differ in more
/// than case, and a change that adds more of them.
#[test]
fn a_schema_that_passes_the_mysql_name_checks_applies_on_mariadb() {
    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let schema = cased_schema(
        "email_2 = { type = \"text\", nullable = true }\n",
        "\"happy\", \"happy_2\", \"sad\"",
        "\n[[tables.users.indexes]]\nname = \"ix_a\"\ncolumns = [\"email\"]\n\n[[tables.users.indexes]]\nname = \"ix_b\"\ncolumns = [\"mood\"]\n",
    );
    let change = "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_enum_value\"\nenum = \"mood\"\nvalue = \"glad\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_3\", type = \"text\", nullable = true }\n";
    let dir = project_with("mysql", &schema, &[("0001_x.toml", change)]);
    let out = common::run(dir.path(), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let url = database_url(Server::Mysql, &scratch, dir.path());
    let out = common::migrate(dir.path(), &url, "1.0.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = common::run(dir.path(), &["status", "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Two tables, each with an index `by_created` and a unique key `one_code`: MySQL names
/// indexes (and the unique keys that are indexes) per table.
const SHARED_INDEX_NAMES: &str = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
code = { type = "varchar(20)" }
created = { type = "timestamp" }

[[tables.orders.indexes]]
name = "by_created"
columns = ["created"]

[[tables.orders.constraints]]
type = "unique"
name = "one_code"
columns = ["code"]

[tables.invoices]
primary_key = ["id"]
[tables.invoices.columns]
id = { type = "bigint" }
code = { type = "varchar(20)" }
created = { type = "timestamp" }

[[tables.invoices.indexes]]
name = "by_created"
columns = ["created"]

[[tables.invoices.constraints]]
type = "unique"
name = "one_code"
columns = ["code"]
"#;

/// The index names of `table`, read from MySQL's catalogue.
fn mysql_index_names(db: &mut tandem::apply::database::Database, table: &str) -> Vec<String> {
    let rows = db
        .query_text(&format!(
            "SELECT DISTINCT index_name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ))
        .unwrap();
    let mut names: Vec<String> = rows.into_iter().filter_map(|r| r[0].clone()).collect();
    names.sort();
    names
}

/// On MySQL an index name repeated across tables is taken (real schemas do it on most
/// tables); `drop_index` says which table's with `table`, and without it an ambiguous
/// name is an input error; raw `DROP INDEX ... ON t` and `RENAME TABLE` keep them apart.
/// Postgres names indexes across the schema and refuses the same schema where it is
/// written.
#[test]
fn mysql_index_names_are_per_table_and_postgres_refuses_them_shared() {
    let (code, err) = check_of("postgres", SHARED_INDEX_NAMES, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("across the schema"), "{err}");

    let ambiguous = "release = \"1.1.0\"\n\n[[op]]\ntype = \"drop_index\"\nname = \"by_created\"\n";
    let (code, err) = check_of(
        "mysql",
        SHARED_INDEX_NAMES,
        &[("0002_drop.toml", ambiguous)],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("more than one table") && err.contains("table ="),
        "{err}"
    );

    let Some(scratch) = Server::Mysql.fresh() else {
        return;
    };
    let changes = [
        ("0001_noop.toml", common::select_one("1.0.0")),
        (
            "0002_drop.toml",
            "release = \"1.1.0\"\n\n[[op]]\ntype = \"drop_index\"\nname = \"by_created\"\ntable = \"invoices\"\n\n\
             [[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\ncontract = \"DROP INDEX one_code ON orders\"\n"
                .to_string(),
        ),
        (
            "0003_index.toml",
            "release = \"1.2.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"orders\"\nname = \"by_code\"\ncolumns = [\"code\"]\n"
                .to_string(),
        ),
        (
            "0004_rename.toml",
            "release = \"1.3.0\"\n\n[[op]]\ntype = \"rename_table\"\ntable = \"orders\"\nto = \"purchases\"\n\n\
             [[op]]\ntype = \"create_index\"\ntable = \"invoices\"\nname = \"by_created\"\ncolumns = [\"created\", \"id\"]\n"
                .to_string(),
        ),
    ];
    let dir = project_with("mysql", SHARED_INDEX_NAMES, &common::as_refs(&changes));
    let p = dir.path();
    let url = database_url(Server::Mysql, &scratch, p);
    for (release, phase) in [
        ("1.0.0", "expand"),
        ("1.1.0", "expand"),
        ("1.1.0", "contract"),
        ("1.2.0", "expand"),
        ("1.2.0", "contract"),
        ("1.3.0", "expand"),
        ("1.3.0", "contract"),
    ] {
        let out = common::migrate(p, &url, release, phase);
        assert!(out.status.success(), "{release} {phase}: {}", stderr(&out));
    }
    let mut db = common::connect(&url, p);
    assert_eq!(
        mysql_index_names(&mut db, "purchases"),
        ["PRIMARY", "by_code", "by_created"],
        "orders keeps its by_created under its new name and loses one_code"
    );
    assert_eq!(
        mysql_index_names(&mut db, "invoices"),
        ["PRIMARY", "by_created", "one_code"]
    );
    let check = common::run(p, &["diff", "--database-url", &url]);
    assert!(
        check.status.success(),
        "drift: {}{}",
        stderr(&check),
        common::stdout(&check)
    );
}

/// A dropped index keeps its name in the database until the contract that drops it: an
/// index made under that name before then is refused where it is written (it failed at
/// apply, "relation already exists" / "Duplicate key name"); one made after is planned.
#[test]
fn an_index_name_is_free_again_only_after_the_contract_that_drops_it() {
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\n\
                  email = { type = \"varchar(100)\" }\n\n[[tables.users.indexes]]\nname = \"by_email\"\ncolumns = [\"email\"]\n";
    let drop = "release = \"1.1.0\"\n\n[[op]]\ntype = \"drop_index\"\nname = \"by_email\"\n";
    let again = |release: &str| {
        format!(
            "release = \"{release}\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"by_email\"\ncolumns = [\"email\", \"id\"]\n"
        )
    };
    for dialect in ["postgres", "mysql", "sqlite"] {
        let early = again("1.2.0");
        let (code, err) = check_of(
            dialect,
            schema,
            &[("0001_drop.toml", drop), ("0002_again.toml", &early)],
        );
        assert_eq!(code, Some(2), "{dialect}: {err}");
        assert!(
            err.contains("still exists in the database"),
            "{dialect}: {err}"
        );
        assert!(err.contains("0002_again.toml:"), "{dialect}: {err}");
        // The drop's contract is the next release's: 1.2.0's, once 1.2.0 exists.
        let late = again("1.3.0");
        let filler = common::select_one("1.2.0");
        let (code, err) = check_of(
            dialect,
            schema,
            &[
                ("0001_drop.toml", drop),
                ("0002_filler.toml", &filler),
                ("0003_again.toml", &late),
            ],
        );
        assert_eq!(code, Some(0), "{dialect}: {err}");
    }
}
