//! Input the project cannot use is refused where it is written (exit 2, file:line:col)
//! and nothing is written: release names, `tandem new`, bytes that are not UTF-8, and
//! the hints `init`, `plan` and `migrate` give.

use crate::common;

use std::fs;

// tandem as a user runs it, the fleet gate on.
use common::{files_under, tandem_with_fleet_gate as tandem};
use predicates::prelude::*;
use predicates::str::contains;
use tempfile::TempDir;

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]

[tables.users.columns]
id           = { type = "bigint" }
email        = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
"#;

/// A SQLite project over the users table with `settings` in its tandem.toml.
fn project(settings: &str, changes: &[(&str, &str)]) -> TempDir {
    common::project_dir(
        &format!("dialect = \"sqlite\"\n{settings}"),
        SCHEMA,
        changes,
    )
}

fn add(release: &str, column: &str) -> String {
    format!(
        "release = \"{release}\"\nsummary = \"s\"\n\n[[op]]\ntype = \"add_column\"\n\
         table = \"users\"\ncolumn = {{ name = \"{column}\", type = \"text\", nullable = true }}\n"
    )
}

fn drop_legacy(release: &str) -> String {
    format!(
        "release = \"{release}\"\nsummary = \"s\"\n\n[[op]]\ntype = \"drop_column\"\n\
         table = \"users\"\ncolumn = \"legacy_email\"\n"
    )
}

#[test]
fn build_metadata_does_not_make_another_release() {
    // 1.0.0+build.7 has the precedence of 1.0.0: one release, spelled two ways.
    let dir = project(
        "",
        &[
            ("0001_drop.toml", &drop_legacy("1.0.0")),
            ("0002_bio.toml", &add("1.0.0+build.7", "bio")),
        ],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains(
            "`1.0.0` and `1.0.0+build.7` name the same version",
        ))
        .stderr(contains("changes/0002_bio.toml:1:11"))
        .stderr(contains("build metadata"));
    // Also through contract_release, and with a leading `v`.
    let dir = project(
        "",
        &[
            (
                "0001_drop.toml",
                &format!("{}contract_release = \"v1.1.0+x\"\n", drop_legacy("1.0.0")),
            ),
            ("0002_bio.toml", &add("1.1.0", "bio")),
        ],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("name the same version"));
    // Alone, a release with build metadata is an ordinary release.
    let dir = project(
        "",
        &[
            ("0001_drop.toml", &drop_legacy("1.0.0+build.7")),
            ("0002_bio.toml", &add("1.1.0", "bio")),
        ],
    );
    tandem(dir.path()).arg("plan").assert().code(0);
}

#[test]
fn two_spellings_of_one_version_are_refused() {
    let dir = project(
        "",
        &[
            ("0001_drop.toml", &drop_legacy("v1.0.0")),
            ("0002_bio.toml", &add("1.0.0", "bio")),
        ],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("name the same version"))
        .stderr(contains("write it as"));
}

#[test]
fn a_byte_that_is_not_utf8_is_located() {
    // A change file: the byte 0xE9 (Latin-1 é) on line 2, column 14.
    let dir = project("", &[]);
    let mut bytes = b"release = \"1.1.0\"\nsummary = \"caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\"\n\n[[op]]\ntype = \"drop_column\"\n");
    fs::write(dir.path().join("changes/0001_cafe.toml"), &bytes).unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("changes/0001_cafe.toml is not valid UTF-8"))
        .stderr(contains("changes/0001_cafe.toml:2:15"))
        .stderr(contains("byte 0xE9 here"))
        .stderr(contains("summary = \"caf\u{FFFD}\""));
    // schema.toml and tandem.toml, the same way.
    let dir = project("", &[]);
    let mut schema = SCHEMA.as_bytes().to_vec();
    schema.extend_from_slice(b"# \xFF\n");
    fs::write(dir.path().join("schema.toml"), &schema).unwrap();
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("schema.toml:9:3"));
    // An override in templates_dir.
    let dir = project("templates_dir = \"templates\"\n", &[]);
    fs::create_dir_all(dir.path().join("templates")).unwrap();
    fs::write(
        dir.path().join("templates/file_name.tera"),
        b"V{{ version }}\n\xFE",
    )
    .unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("file_name.tera:2:1"))
        .stderr(contains("byte 0xFE here"));
    let dir = project("", &[]);
    fs::write(
        dir.path().join("tandem.toml"),
        b"dialect = \"sqlite\"\n# \xC3\x28\n",
    )
    .unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("tandem.toml:2:3"));
}

#[test]
fn new_refuses_what_the_project_cannot_use_and_writes_nothing() {
    let dir = project("", &[("0001_bio.toml", &add("1.1.0", "bio"))]);
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["drop-column", "users.legacy_email", "--release", "bad"],
            "--release: release `bad` is not a semantic version",
            "1.4.0",
        ),
        (
            &["drop-column", "user.legacy_email", "--release", "1.2.0"],
            "unknown table `user`",
            "did you mean `users`?",
        ),
        (
            &["drop-column", "users.legacy_emial", "--release", "1.2.0"],
            "unknown column `users.legacy_emial`",
            "did you mean `legacy_email`?",
        ),
        (
            &["drop-column", "users.email.x", "--release", "1.2.0"],
            "`users.email.x` is not TABLE or TABLE.COLUMN",
            "one `.`",
        ),
        (
            &["add-column", "users.bio", "--release", "1.2.0"],
            "`users.bio` already exists",
            "",
        ),
        (
            &[
                "rename-column",
                "users.email",
                "--to",
                "bio",
                "--release",
                "1.2.0",
            ],
            "`users.bio` already exists",
            "",
        ),
        (
            &[
                "create-index",
                "users",
                "--columns",
                "emial",
                "--release",
                "1.2.0",
            ],
            "unknown column `users.emial`",
            "did you mean `email`?",
        ),
        (
            &["create-table", "users", "--release", "1.2.0"],
            "table `users` already exists",
            "",
        ),
        (
            &[
                "add-foreign-key",
                "users.email",
                "--references",
                "acounts",
                "--release",
                "1.2.0",
            ],
            "unknown table `acounts`",
            "",
        ),
    ];
    let before = files_under(dir.path());
    for (args, says, hint) in cases {
        tandem(dir.path())
            .arg("new")
            .args(*args)
            .assert()
            .code(2)
            .stderr(contains(*says))
            .stderr(contains(*hint));
        assert_eq!(files_under(dir.path()), before, "{args:?} wrote a file");
    }
    // What the project can use is written, and plans.
    tandem(dir.path())
        .args(["new", "drop-column", "users.bio", "--release", "1.2.0"])
        .assert()
        .code(0);
    tandem(dir.path()).arg("check").assert().code(0);
}

#[test]
fn migrate_to_an_unknown_release_names_the_known_ones() {
    let dir = project(
        "",
        &[
            ("0001_bio.toml", &add("1.1.0", "bio")),
            ("0002_x.toml", &add("1.2.0", "x")),
        ],
    );
    tandem(dir.path()).arg("generate").assert().code(0);
    tandem(dir.path())
        .args(["migrate", "--release", "9.9.9", "--phase", "expand"])
        .assert()
        .code(2)
        .stderr(contains("unknown release `9.9.9`"))
        .stderr(contains("known releases: 1.1.0, 1.2.0"))
        .stderr(contains("expected one of").not());
    // No release at all: how to make one.
    let dir = project("", &[]);
    tandem(dir.path()).arg("generate").assert().code(0);
    tandem(dir.path())
        .args(["migrate", "--release", "1.0.0", "--phase", "expand"])
        .assert()
        .code(2)
        .stderr(contains("the project knows no release yet"))
        .stderr(contains("release = \"1.0.0\""))
        .stderr(contains("expected one of").not());
}

#[test]
fn a_release_name_that_cannot_be_a_directory_is_refused_at_the_name() {
    for name in ["1.0/evil", "..", "a\\\\b", "x..y", "a:b"] {
        // In a change file (semver order refuses it there too, at the same place).
        let dir = project("", &[("0001_bio.toml", &add(name, "bio"))]);
        tandem(dir.path())
            .arg("plan")
            .assert()
            .code(2)
            .stderr(contains("changes/0001_bio.toml:1:11"))
            .stderr(contains("file_name.tera").not());
        // In the explicit list of tandem.toml.
        let dir = project(
            &format!("releases = [\"1.0\", \"{name}\"]\n"),
            &[("0001_bio.toml", &add("1.0", "bio"))],
        );
        tandem(dir.path())
            .arg("plan")
            .assert()
            .code(2)
            .stderr(contains("tandem.toml:2:"))
            .stderr(contains("a release names a directory"))
            .stderr(contains("file_name.tera").not());
    }
}

#[test]
fn init_makes_a_sqlite_project_that_needs_no_server() {
    let dir = TempDir::new().unwrap();
    tandem(dir.path()).arg("init").assert().code(0);
    let config = fs::read_to_string(dir.path().join("tandem.toml")).unwrap();
    assert!(config.starts_with("dialect = \"sqlite\""), "{config}");
    fs::write(dir.path().join("schema.toml"), SCHEMA).unwrap();
    tandem(dir.path())
        .args(["new", "add-column", "users.bio", "--release", "1.0.0"])
        .assert()
        .code(0);
    tandem(dir.path()).arg("generate").assert().code(0);
    // Applied on the database the scaffold names, with nothing installed.
    tandem(dir.path())
        .args(["migrate", "--release", "1.0.0", "--phase", "contract"])
        .assert()
        .code(0);
    assert!(dir.path().join("tandem.db").exists());
}

#[test]
fn plan_says_how_to_make_the_next_release_known() {
    let dir = project("", &[("0001_drop.toml", &drop_legacy("1.0.0"))]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(0)
        .stdout(contains("pending"))
        .stdout(contains(
            "hint: a release becomes known when a change is tagged with it",
        ))
        .stdout(contains("releases = [...]"))
        .stdout(contains("contract_release"));
    // Nothing pending: no hint.
    let dir = project("", &[("0001_bio.toml", &add("1.0.0", "bio"))]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(0)
        .stdout(contains("hint").not());
}

/// `new` checks against the release it is for: a column a later release renames is
/// still there for an earlier one.
#[test]
fn new_checks_the_schema_of_its_own_release() {
    let rename = "release = \"1.5.0\"\nsummary = \"s\"\n\n[[op]]\ntype = \"rename_column\"\n\
                  table = \"users\"\ncolumn = \"email\"\nto = \"mail\"\n";
    let dir = project("", &[("0001_rename.toml", rename)]);
    tandem(dir.path())
        .args([
            "new",
            "create-index",
            "users",
            "--columns",
            "email",
            "--release",
            "1.4.0",
        ])
        .assert()
        .code(0);
    tandem(dir.path())
        .args([
            "new",
            "create-index",
            "users",
            "--columns",
            "email",
            "--release",
            "1.6.0",
        ])
        .assert()
        .code(2)
        .stderr(contains("did you mean `mail`?"));
}

/// A summary with quotes, backslashes or line breaks is written as a TOML string that
/// reads back as given.
#[test]
fn new_writes_any_summary_as_toml() {
    let dir = project("", &[]);
    let summary = "say \"hi\" to C:\\new\\table\nsecond line";
    tandem(dir.path())
        .args([
            "new",
            "add-column",
            "users.bio",
            "--release",
            "1.1.0",
            "--summary",
            summary,
        ])
        .assert()
        .code(0);
    let text =
        fs::read_to_string(dir.path().join("changes/0001_add_column_users_bio.toml")).unwrap();
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(parsed["summary"].as_str(), Some(summary));
}

/// A NUL character in an op's string (TOML's `\u0000`) is refused where it is written,
/// in SQL text, a name or a list, and no file is written.
#[test]
fn a_nul_character_in_an_op_is_an_input_error_at_its_place() {
    for (op, line) in [
        ("type = \"sql\"\nexpand = \"SELECT 1;\\u0000 DROP TABLE users\"", 5),
        ("type = \"sql\"\nexpand = \"\"\"\nSELECT 1;\n\\U00000000\n\"\"\"", 7),
        ("type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\\u0000\", type = \"text\", nullable = true }", 6),
        ("type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\", \"id\\u0000\"]", 6),
    ] {
        let change = format!("release = \"1.4.0\"\n\n[[op]]\n{op}\n");
        let dir = project("", &[("0001_nul.toml", &change)]);
        for command in ["check", "generate"] {
            tandem(dir.path())
                .arg(command)
                .assert()
                .code(2)
                .stderr(contains("NUL character"))
                .stderr(contains(format!("0001_nul.toml:{line}:")));
        }
        assert!(files_under(&dir.path().join("migrations")).is_empty(), "{op}");
    }
}

/// `[verify.values]` keys must name a column some release has: a misspelt one would give
/// its values to nothing, and the rehearsal would run on made-up values unawares.
#[test]
fn verify_values_for_an_unknown_column_are_an_input_error() {
    let change = add("1.4.0", "bio");
    let known = "[verify.values]\n\"users.email\" = [\"a@x\"]\n\"users.bio\" = [\"hi\"]\n";
    let dir = project(known, &[("0001_bio.toml", &change)]);
    tandem(dir.path()).arg("check").assert().success();
    for (key, says) in [
        ("users.emial", "did you mean `users.email`?"),
        ("nobody.email", "names no column"),
        ("email", "names no column"),
    ] {
        let settings = format!("{known}\"{key}\" = [\"x\"]\n");
        let dir = project(&settings, &[("0001_bio.toml", &change)]);
        for command in ["check", "verify"] {
            tandem(dir.path())
                .arg(command)
                .assert()
                .code(2)
                .stderr(contains(format!("\"{key}\" names no column")))
                .stderr(contains("tandem.toml:5:"))
                .stderr(contains(says));
        }
    }
}

/// `[postgres] lock_timeout` is read at load as Postgres reads it: a form Postgres
/// refuses is an input error at its line before anything runs, and the forms accepted
/// are ones Postgres accepts.
#[test]
fn lock_timeout_is_checked_at_load_as_postgres_reads_it() {
    let Some(scratch) = common::Server::Postgres.fresh() else {
        return;
    };
    let url = common::database_url(
        common::Server::Postgres,
        &scratch,
        std::path::Path::new("."),
    );
    let settings =
        |value: &str| format!("dialect = \"postgres\"\n\n[postgres]\nlock_timeout = \"{value}\"\n");
    for bad in ["5 seconds", "5S", "1.5", "-1s", "5s'; SELECT 1; --"] {
        let dir = common::project_dir(
            &settings(bad),
            SCHEMA,
            &[("0001_bio.toml", &add("1.4.0", "bio"))],
        );
        for args in [&["check"][..], &["migrate", "--database-url", &url]] {
            tandem(dir.path())
                .args(args)
                .env("TANDEM_SKIP_FLEET_CHECK", "test database")
                .assert()
                .code(2)
                .stderr(contains("lock_timeout"))
                .stderr(contains("tandem.toml:4:"));
        }
    }
    let mut db = common::connect(&url, std::path::Path::new("."));
    assert!(!db
        .table_names()
        .unwrap()
        .iter()
        .any(|t| t == "refinery_schema_history"));
    drop(db);
    for (i, good) in ["1min", "1.5s", "250", "20 ms"].iter().enumerate() {
        let Some(scratch) = common::Server::Postgres.fresh() else {
            return;
        };
        let url = common::database_url(
            common::Server::Postgres,
            &scratch,
            std::path::Path::new("."),
        );
        let dir = common::project_dir(
            &settings(good),
            SCHEMA,
            &[("0001_bio.toml", &add("1.4.0", "bio"))],
        );
        tandem(dir.path()).arg("generate").assert().success();
        let out = common::tandem(dir.path())
            .args(["migrate", "--database-url", &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{i} {good}: {}", common::stderr(&out));
    }
}
