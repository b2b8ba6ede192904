//! Golden files of the generated Postgres SQL, one per op (and per composition the
//! planner must get right). The same SQL is applied to a real server by the migrate and
//! verify tests; these snapshots make every change to it visible in review.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]

[tables.users.columns]
id           = { type = "bigint" }
email        = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname     = { type = "text", nullable = true }
score        = { type = "integer", default = 0 }
"#;

/// Generates a project made of `changes` (name, TOML) and returns every file, in order.
fn generate(changes: &[(&str, &str)]) -> String {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("tandem.toml"), "dialect = \"postgres\"\n").unwrap();
    fs::write(dir.path().join("schema.toml"), SCHEMA).unwrap();
    fs::create_dir_all(dir.path().join("changes")).unwrap();
    for (name, text) in changes {
        fs::write(dir.path().join("changes").join(name), text).unwrap();
    }
    let out = Command::cargo_bin("tandem")
        .unwrap()
        .arg("--project")
        .arg(dir.path())
        .arg("generate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let root = dir.path().join("migrations");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort_by_key(|(path, _)| version(path));
    files
        .into_iter()
        .filter(|(path, _)| !path.ends_with("baseline.sql"))
        .map(|(path, text)| format!("==> {path}\n{text}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn version(path: &str) -> i64 {
    let name = path.rsplit('/').next().unwrap();
    name[1..].split("__").next().unwrap().parse().unwrap()
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, fs::read_to_string(&path).unwrap()));
        }
    }
}

/// A change in 1.0.0 plus an empty-ish change in 1.1.0 and 1.2.0 so later steps land.
fn with_later_releases(op: &str) -> String {
    let main = format!("release = \"1.0.0\"\n\n[[op]]\n{op}\n");
    generate(&[
        ("0001_main.toml", &main),
        (
            "0002_next.toml",
            "release = \"1.1.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
        ),
        (
            "0003_after.toml",
            "release = \"1.2.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 2\"\n",
        ),
    ])
}

#[test]
fn create_table() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"create_table\"\ntable = \"teams\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, name = { type = \"varchar(80)\" }, active = { type = \"boolean\", default = true } }"
    ));
}

#[test]
fn drop_table() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"drop_table\"\ntable = \"users\""
    ));
}

#[test]
fn add_column_nullable_and_with_default() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", default = \"free\" }"
    ));
}

#[test]
fn add_column_not_null_with_backfill() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\" }\nbackfill_sql = \"lower(email)\""
    ));
}

#[test]
fn drop_column_with_down_sql() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ndown_sql = \"email\""
    ));
}

#[test]
fn rename_column_with_its_index() {
    insta::assert_snapshot!(generate(&[
        ("0001_index.toml", "release = \"1.0.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nunique = true\n"),
        ("0002_rename.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"primary_email\"\n"),
        ("0003_next.toml", "release = \"1.2.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n"),
    ]));
}

#[test]
fn rename_then_drop_in_the_next_release() {
    insta::assert_snapshot!(generate(&[
        ("0001_rename.toml", "release = \"1.0.0\"\n[[op]]\ntype = \"rename_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nto = \"old_email\"\n"),
        ("0002_drop.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"old_email\"\n"),
        ("0003_next.toml", "release = \"1.2.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n"),
    ]));
}

#[test]
fn index_create_and_drop() {
    insta::assert_snapshot!(generate(&[
        ("0001_index.toml", "release = \"1.0.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_nick_idx\"\ncolumns = [\"nickname\"]\n"),
        ("0002_drop.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"drop_index\"\nname = \"users_nick_idx\"\n"),
        ("0003_next.toml", "release = \"1.2.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n"),
    ]));
}

#[test]
fn sql_destructive() {
    insta::assert_snapshot!(with_later_releases(
        "type = \"sql\"\nexpand = \"CREATE TABLE audit (id bigint)\"\ncontract = \"DROP TABLE audit\"\ndestructive = true"
    ));
}
