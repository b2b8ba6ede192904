//! Views mode on PostgreSQL: a rename that changes no row. The code of each release
//! selects its own schema of views through `search_path`; these tests run the code of
//! two releases side by side, on a real server, at every step of the rollout.

use crate::common;

use std::fs;
use std::path::Path;
use std::time::Instant;

use common::Server;
use refinery_core::postgres::{Client, NoTls};

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]

[tables.users.columns]
id         = { type = "bigint" }
email      = { type = "varchar(255)" }
score      = { type = "integer", default = 0 }
created_at = { type = "timestamptz", default_sql = "CURRENT_TIMESTAMP" }
"#;

const RENAME: &str = "release = \"1.4.0\"\n[[op]]\ntype = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\"\n";
const ADD: &str = "release = \"1.5.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"nick\", type = \"text\", nullable = true }\n";
const NEXT: &str = "release = \"1.6.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";

/// A views-mode Postgres project with `changes`, its files generated.
fn views_project(changes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = common::project_files("postgres", SCHEMA, changes);
    let config = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, format!("{text}rename_mode = \"views\"\n")).unwrap();
    let out = common::tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "generate: {}", common::stderr(&out));
    dir
}

fn migrate(dir: &Path, url: &str, release: &str, phase: &str) {
    let out = common::migrate(dir, url, release, phase);
    assert!(
        out.status.success(),
        "migrate {release} {phase}: {}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
}

/// A connection of one release's code: `schema` is what it puts in `search_path`
/// (`None`: the tables themselves, as code from before views mode does).
fn code(url: &str, schema: Option<&str>) -> Client {
    match schema {
        // The connection option form, as an application's URL carries it.
        Some(s) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Client::connect(&format!("{url}{sep}options=-csearch_path%3D{s}"), NoTls).unwrap()
        }
        None => Client::connect(url, NoTls).unwrap(),
    }
}

/// What the code of one release does with a user: insert one (leaving the defaulted
/// columns to their defaults, reading them back through RETURNING), update it, and read
/// the row that the other release's code wrote. `column` is that code's name of the
/// e-mail column.
fn exercise(client: &mut Client, column: &str, id: i64, other: i64, other_mail: &str) {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO users (id, {column}) VALUES ($1, $2) RETURNING {column}, score, created_at IS NOT NULL"
            ),
            &[&id, &format!("u{id}@example.com")],
        )
        .unwrap_or_else(|e| panic!("insert through {column}: {e:?}"));
    assert_eq!(row.get::<_, String>(0), format!("u{id}@example.com"));
    assert_eq!(
        row.get::<_, i32>(1),
        0,
        "the column default applies through the view"
    );
    assert!(
        row.get::<_, bool>(2),
        "the SQL default applies through the view"
    );
    let row = client
        .query_one(
            &format!("UPDATE users SET {column} = $2, score = score + 1 WHERE id = $1 RETURNING {column}, score"),
            &[&id, &format!("v{id}@example.com")],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), format!("v{id}@example.com"));
    assert_eq!(row.get::<_, i32>(1), 1);
    let row = client
        .query_one(
            &format!("SELECT {column} FROM users WHERE id = $1"),
            &[&other],
        )
        .unwrap_or_else(|e| panic!("read the other release's row: {e:?}"));
    assert_eq!(row.get::<_, String>(0), other_mail);
}

/// Old and new code, each through its own name, at one point of the rollout: both
/// write, and each reads what the other wrote.
fn both_work(old: &mut Client, old_column: &str, new: &mut Client, new_column: &str, base: i64) {
    exercise(old, old_column, base, 1, "one@example.com");
    exercise(
        new,
        new_column,
        base + 1,
        base,
        &format!("v{base}@example.com"),
    );
    let row = old
        .query_one(
            &format!("SELECT {old_column} FROM users WHERE id = $1"),
            &[&(base + 1)],
        )
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        format!("v{}@example.com", base + 1)
    );
}

fn physical_columns(client: &mut Client) -> Vec<String> {
    client
        .query(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' ORDER BY ordinal_position",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn old_and_new_code_both_read_and_write_through_a_rename_in_views_mode() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = views_project(&[
        ("0001_rename.toml", RENAME),
        ("0002_add.toml", ADD),
        ("0003_next.toml", NEXT),
    ]);
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    // Before 1.4.0: the code reads the table itself.
    migrate(dir.path(), &url, "1.4.0", "expand");
    let mut admin = code(&url, None);
    admin
        .execute(
            "INSERT INTO users (id, email) VALUES (1, 'one@example.com')",
            &[],
        )
        .unwrap();
    // expand(1.4.0) changed no column: the table still has `email`.
    assert_eq!(
        physical_columns(&mut admin),
        ["id", "email", "score", "created_at"]
    );

    let mut v13 = code(&url, None);
    let mut v14 = code(&url, Some("app_1_4_0"));
    both_work(&mut v13, "email", &mut v14, "mail", 100);
    migrate(dir.path(), &url, "1.4.0", "contract");
    both_work(&mut v13, "email", &mut v14, "mail", 200);

    // 1.5.0 adds a column; its views show it, 1.4.0's do not.
    migrate(dir.path(), &url, "1.5.0", "expand");
    let mut v15 = code(&url, Some("app_1_5_0"));
    both_work(&mut v14, "mail", &mut v15, "mail", 300);
    v15.execute("UPDATE users SET nick = 'n' WHERE id = 301", &[])
        .unwrap();
    assert!(v14.execute("SELECT nick FROM users", &[]).is_err());

    // contract(1.5.0) renames the column in place: both releases' views follow it.
    migrate(dir.path(), &url, "1.5.0", "contract");
    assert_eq!(
        physical_columns(&mut admin),
        ["id", "mail", "score", "created_at", "nick"]
    );
    both_work(&mut v14, "mail", &mut v15, "mail", 400);
    let mut v14_again = code(&url, Some("app_1_4_0"));
    both_work(&mut v14_again, "mail", &mut v15, "mail", 500);

    // 1.6.0's contract drops 1.4.0's schema, whose code no longer runs.
    migrate(dir.path(), &url, "1.6.0", "expand");
    let mut v16 = code(&url, Some("app_1_6_0"));
    both_work(&mut v15, "mail", &mut v16, "mail", 600);
    migrate(dir.path(), &url, "1.6.0", "contract");
    let schemas: Vec<String> = admin
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'app\\_%' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(schemas, ["app_1_5_0", "app_1_6_0"]);
    both_work(&mut v15, "mail", &mut v16, "mail", 700);

    // The rehearsal of the same plan passes with each release's search_path.
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}", common::stdout(&out));
}

#[test]
fn a_rename_in_views_mode_rewrites_no_row() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = views_project(&[("0001_rename.toml", RENAME), ("0002_add.toml", ADD)]);
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    migrate(dir.path(), &url, "1.4.0", "expand");
    let mut admin = code(&url, None);
    admin
        .batch_execute(
            "INSERT INTO users (id, email) SELECT g, 'u' || g FROM generate_series(1, 1000) g",
        )
        .unwrap();
    let ctid = |c: &mut Client| -> String {
        c.query_one("SELECT ctid::text FROM users WHERE id = 500", &[])
            .unwrap()
            .get(0)
    };
    let before = ctid(&mut admin);
    migrate(dir.path(), &url, "1.4.0", "contract");
    migrate(dir.path(), &url, "1.5.0", "expand");
    migrate(dir.path(), &url, "1.5.0", "contract");
    // Every row where it was: no UPDATE touched it (an update moves a row's ctid).
    assert_eq!(ctid(&mut admin), before);
    let mut v15 = code(&url, Some("app_1_5_0"));
    let row = v15
        .query_one("SELECT mail FROM users WHERE id = 500", &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "u500");
}

#[test]
fn an_op_on_a_column_still_renamed_only_in_views_is_refused_until_the_rename_completes() {
    let index = "release = \"1.5.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"mail\"]\n";
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[("0001_rename.toml", RENAME), ("0002_index.toml", index)],
    );
    let config = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, format!("{text}rename_mode = \"views\"\n")).unwrap();
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for needle in [
        "changes/0002_index.toml:2:1",
        "`users.mail`, which still exists as `email` until contract(1.5.0)",
        "release after",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    // Tagged after the contract that renames it in place (1.5.0), it is planned.
    let later = index.replace("1.5.0", "1.6.0");
    fs::write(dir.path().join("changes/0002_index.toml"), later).unwrap();
    fs::write(
        dir.path().join("changes/0003_next.toml"),
        NEXT.replace("1.6.0", "1.5.0"),
    )
    .unwrap();
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn views_mode_on_mysql_or_sqlite_is_an_input_error_naming_the_dialect() {
    // Project-wide, in tandem.toml.
    for dialect in ["mysql", "sqlite"] {
        let dir = common::project_files(dialect, SCHEMA, &[("0001_rename.toml", RENAME)]);
        let config = dir.path().join("tandem.toml");
        let text = fs::read_to_string(&config).unwrap();
        fs::write(&config, format!("{text}rename_mode = \"views\"\n")).unwrap();
        let out = common::tandem(dir.path()).arg("plan").output().unwrap();
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for needle in [
            "tandem.toml:3:15",
            &format!("this project's dialect is {dialect}"),
            "rename_mode = \"copy\"",
        ] {
            assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
        }
    }
    // On one op.
    for (dialect, op) in [("mysql", "rename_column"), ("sqlite", "rename_table")] {
        let change = if op == "rename_column" {
            format!("{RENAME}mode = \"views\"\n")
        } else {
            "release = \"1.4.0\"\n[[op]]\ntype = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\nmode = \"views\"\n".to_string()
        };
        let dir = common::project_files(dialect, SCHEMA, &[("0001_rename.toml", &change)]);
        let out = common::tandem(dir.path()).arg("plan").output().unwrap();
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        let line = change.lines().position(|l| l.starts_with("mode")).unwrap() + 1;
        for needle in [
            format!("changes/0001_rename.toml:{line}:8"),
            format!("this project's dialect is {dialect}"),
            "mode = \"copy\"".to_string(),
        ] {
            assert!(err.contains(&needle), "missing {needle:?} in:\n{err}");
        }
    }
    // An unknown mode names the two there are.
    let dir = common::project_files(
        "postgres",
        SCHEMA,
        &[("0001_rename.toml", &format!("{RENAME}mode = \"view\"\n"))],
    );
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown rename mode `view`") && err.contains("views"),
        "{err}"
    );
}

/// The target of views mode: a rename of a column of a 1,000,000-row table in under a
/// second, expand and the in-place rename alike. Ignored by default (it loads a
/// million rows): `cargo test --release --test it views:: -- --ignored`.
#[test]
#[ignore]
fn a_rename_in_views_mode_takes_under_a_second_on_a_million_rows() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let before = "release = \"1.3.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = views_project(&[
        ("0000_before.toml", before),
        ("0001_rename.toml", RENAME),
        ("0002_add.toml", ADD),
    ]);
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    // The baseline only: a target before expand(1.4.0) is the baseline's version.
    let mut admin = code(&url, None);
    let baseline = fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("baseline.sql"))
        .unwrap();
    admin
        .batch_execute(&fs::read_to_string(baseline).unwrap())
        .unwrap();
    admin
        .batch_execute("INSERT INTO users (id, email) SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 1000000) g")
        .unwrap();
    admin.batch_execute("VACUUM ANALYZE users").unwrap();
    let out = common::tandem(dir.path())
        .args([
            "migrate",
            "--adopt",
            "--release",
            "1.3.0",
            "--phase",
            "contract",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    if !out.status.success() {
        panic!("adopt: {}", common::stderr(&out));
    }
    let timed = |release: &str, phase: &str| {
        let start = Instant::now();
        migrate(dir.path(), &url, release, phase);
        let took = start.elapsed();
        eprintln!("views mode, 1,000,000 rows: {phase}({release}) took {took:?}");
        took
    };
    // expand(1.4.0) makes 1.4.0's views; contract(1.5.0) renames the column in place.
    let expand = timed("1.4.0", "expand");
    timed("1.4.0", "contract");
    timed("1.5.0", "expand");
    let contract = timed("1.5.0", "contract");
    assert!(expand.as_secs_f64() < 1.0, "{expand:?}");
    assert!(contract.as_secs_f64() < 1.0, "{contract:?}");
    let row = code(&url, Some("app_1_5_0"))
        .query_one("SELECT count(*) FROM users WHERE mail LIKE 'u%'", &[])
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1_000_000);
}

#[test]
fn the_runbook_says_which_schema_the_release_code_selects() {
    let dir = views_project(&[("0001_rename.toml", RENAME), ("0002_add.toml", ADD)]);
    let out = common::tandem(dir.path())
        .args(["runbook", "1.5.0"])
        .output()
        .unwrap();
    let text = common::stdout(&out);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(text.contains("`SET search_path TO app_1_5_0`"), "{text}");
    assert!(
        text.contains("rename users.email to mail in place"),
        "{text}"
    );
}

/// Every migration file of the project, by path.
fn files(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let root = dir.join("migrations");
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// In views mode a release's views show its whole model: a hotfix inserted before a
/// later release that changes a table changes that release's views too (a cut release
/// refuses it, as it refuses any change). Files of releases before the hotfix stay.
#[test]
fn a_hotfix_release_gets_its_own_views_and_later_views_show_its_column() {
    let dir = views_project(&[
        ("0001_rename.toml", RENAME),
        ("0002_add.toml", ADD),
        ("0003_next.toml", NEXT),
    ]);
    let before = files(dir.path());
    let hotfix = "release = \"1.4.1\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"flag\", type = \"boolean\", nullable = true }\n";
    fs::write(dir.path().join("changes/0004_hotfix.toml"), hotfix).unwrap();
    let out = common::tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let after = files(dir.path());
    for (path, text) in before.iter().filter(|(p, _)| p.starts_with("1.4.0/")) {
        assert_eq!(after.get(path), Some(text), "{path} changed");
    }
    let expand = |release: &str| {
        after
            .iter()
            .find(|(p, _)| p.starts_with(&format!("{release}/")) && p.contains("expand"))
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    let hotfix_file = expand("1.4.1");
    assert!(
        hotfix_file.contains("CREATE SCHEMA \"app_1_4_1\""),
        "{hotfix_file}"
    );
    assert!(
        hotfix_file.contains("\"flag\" FROM \"users\""),
        "{hotfix_file}"
    );
    assert!(expand("1.5.0").contains("\"flag\", \"nick\" FROM \"users\""));
    let url = match Server::Postgres.url() {
        Some(u) => u,
        None => return,
    };
    let out = common::verify(dir.path(), &url);
    assert!(out.status.success(), "{}", common::stdout(&out));
}

/// `url` with the `search_path` an application of views mode connects with, in the
/// URL's `options` as the README recommends.
fn app_url(url: &str, search_path: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{search_path}")
}

fn status_text(dir: &Path, url: &str) -> String {
    let out = common::run(dir, &["status", "--database-url", url]);
    assert!(out.status.success(), "status: {}", common::stderr(&out));
    common::stdout(&out)
}

/// The relations of schemas other than `public` and the catalogue's, by kind: release
/// schemas hold views only.
fn relations_outside_public(client: &mut Client) -> Vec<String> {
    client
        .query(
            "SELECT n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN \
             ('public', 'pg_catalog', 'information_schema', 'pg_toast') AND c.relkind <> 'v' \
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// An application's URL selects its release's views first. tandem, given that URL,
/// still finds its history, its progress and skip tables and the project's tables in the
/// base schema: status reads what was applied, migrate applies nothing twice and the
/// next files change the tables, not the views; the gate, drift and verify agree.
#[test]
fn tandem_works_in_the_base_schema_whatever_search_path_the_url_selects() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = views_project(&[
        ("0001_rename.toml", RENAME),
        ("0002_add.toml", ADD),
        ("0003_next.toml", NEXT),
    ]);
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    migrate(dir.path(), &url, "1.4.0", "expand");
    let app = app_url(&url, "app_1_4_0");
    let text = status_text(dir.path(), &app);
    assert!(
        text.contains("baseline             applied") && text.contains("expand: applied"),
        "{text}"
    );
    let out = common::migrate(dir.path(), &app, "1.4.0", "expand");
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        !common::stderr(&out).contains("applying"),
        "{}",
        common::stderr(&out)
    );

    // The next files, through the application's URL (the gate skipped with a reason:
    // its log is one of tandem's tables too), change the tables themselves.
    migrate(dir.path(), &app, "1.4.0", "contract");
    let out = common::tandem_with_fleet_gate(dir.path())
        .args(["migrate", "--release", "1.5.0", "--phase", "expand"])
        .args(["--database-url", &app_url(&url, "app_1_5_0,public")])
        .args(["--skip-fleet-check", "--reason", "rollout by hand"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let mut admin = code(&url, None);
    assert_eq!(
        physical_columns(&mut admin),
        ["id", "email", "score", "created_at", "nick"]
    );
    assert_eq!(relations_outside_public(&mut admin), Vec::<String>::new());
    let skips: i64 = admin
        .query_one("SELECT count(*) FROM public.tandem_fleet_skips", &[])
        .unwrap()
        .get(0);
    // contract(1.4.0) skipped it too, as every test's migrate does.
    assert_eq!(skips, 2);
    let text = status_text(dir.path(), &app_url(&url, "app_1_5_0"));
    assert!(
        text.contains("1.5.0                expand: applied"),
        "{text}"
    );

    // Drift reads the tables, not the views; the rehearsal's scratch database is made
    // through the same URL.
    let out = common::run(dir.path(), &["diff", "--database-url", &app]);
    assert!(
        out.status.success(),
        "diff: {}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    let out = common::verify(dir.path(), &app);
    assert!(
        out.status.success(),
        "verify: {}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
}

/// `[postgres] schema` names where the tables live, any name PostgreSQL keeps (a quote
/// and a letter outside ASCII here): the files run there and tandem's tables are made
/// there, found again through an application's URL, by status, migrate and adopt.
/// Without it, a URL that selects some other schema first is refused, not guessed.
#[test]
fn the_base_schema_of_tandem_toml_holds_tables_and_history_and_another_first_is_refused() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let base = "Kern \"Ω\"";
    let url = common::database_url(Server::Postgres, &scratch, Path::new("."));
    let mut admin = code(&url, None);
    admin
        .batch_execute("CREATE SCHEMA \"Kern \"\"Ω\"\"\"; CREATE SCHEMA core")
        .unwrap();
    let dir = common::project_dir(
        "dialect = \"postgres\"\nrename_mode = \"views\"\n[postgres]\nschema = 'Kern \"Ω\"'\n",
        SCHEMA,
        &[("0001_rename.toml", RENAME), ("0002_add.toml", ADD)],
    );
    let out = common::run(dir.path(), &["generate"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    // The baseline made by hand in the base schema, then adopted through an
    // application's URL: adopt compares the tables of the base schema, and the files
    // after the baseline run there.
    let baseline = fs::read_dir(dir.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("baseline.sql"))
        .unwrap();
    admin
        .batch_execute(&format!(
            "SET search_path TO \"Kern \"\"Ω\"\"\"; {}; RESET search_path",
            fs::read_to_string(baseline).unwrap()
        ))
        .unwrap();
    let app = app_url(&url, "app_1_4_0");
    let out = common::tandem(dir.path())
        .args([
            "migrate",
            "--adopt",
            "--release",
            "1.4.0",
            "--phase",
            "expand",
        ])
        .args(["--database-url", &app])
        .output()
        .unwrap();
    assert!(out.status.success(), "adopt: {}", common::stderr(&out));
    let tables = |admin: &mut Client, schema: &str| -> Vec<String> {
        admin
            .query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
                 AND table_type = 'BASE TABLE' ORDER BY 1",
                &[&schema],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(
        tables(&mut admin, base),
        ["refinery_schema_history", "tandem_fleet_skips", "users"]
    );
    assert_eq!(tables(&mut admin, "public"), Vec::<String>::new());
    let text = status_text(dir.path(), &app);
    assert!(
        text.contains("baseline             applied") && text.contains("expand: applied"),
        "{text}"
    );
    migrate(dir.path(), &app, "1.4.0", "contract");
    migrate(dir.path(), &url, "1.5.0", "expand");
    assert_eq!(tables(&mut admin, "public"), Vec::<String>::new());
    let text = status_text(dir.path(), &app_url(&url, "app_1_5_0"));
    assert!(
        text.contains("1.5.0                expand: applied"),
        "{text}"
    );

    // Without the setting the base schema is public; a URL selecting `core` first,
    // before or after a release schema, may mean the tables live there: refused.
    fs::write(
        dir.path().join("tandem.toml"),
        "dialect = \"postgres\"\nrename_mode = \"views\"\n",
    )
    .unwrap();
    for path in ["core", "app_1_4_0,core,public"] {
        let out = common::run(
            dir.path(),
            &["status", "--database-url", &app_url(&url, path)],
        );
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("selects schema core before public")
                && err.contains("[postgres] schema = \"core\""),
            "{err}"
        );
    }
}

/// A `sql` op that sets the session's `search_path` (as a dump's header does) moves
/// neither tandem's own tables nor the files after it, in the same run: each file
/// starts in the base schema, and the history is named with it.
#[test]
fn a_file_that_sets_search_path_moves_neither_the_history_nor_the_next_file() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let reset = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT pg_catalog.set_config('search_path', '', false)\"\n";
    let dir = common::project_with(
        "postgres",
        SCHEMA,
        &[("0001_reset.toml", reset), ("0002_add.toml", ADD)],
    );
    let url = common::database_url(Server::Postgres, &scratch, dir.path());
    let app = app_url(&url, "app_9_9_9");
    migrate(dir.path(), &app, "1.5.0", "expand");
    let text = status_text(dir.path(), &app);
    assert!(text.contains("every generated file is applied"), "{text}");
    let mut admin = code(&url, None);
    assert_eq!(
        physical_columns(&mut admin),
        ["id", "email", "score", "created_at", "nick"]
    );
}
