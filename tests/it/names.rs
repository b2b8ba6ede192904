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
