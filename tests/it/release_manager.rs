//! What a release manager relies on: the code contract of each release (and the check of
//! recorded queries against it), release bundles for deploy pipelines, and the fleet gate
//! before a contract.

use crate::common;

use std::fs;

use common::{stderr, stdout, tandem, users_project, INCIDENT};

#[test]
fn the_code_contract_lists_what_a_release_stops_using() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    let out = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        value["stops_using"],
        serde_json::json!([{"table": "users", "column": "legacy_email"}])
    );
    let users = value["uses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "users")
        .unwrap();
    assert!(!users["columns"]
        .as_array()
        .unwrap()
        .contains(&"legacy_email".into()));

    let plan = tandem(p)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(
        plan["releases"][0]["stops_using"][0]["column"],
        "legacy_email"
    );
    assert_eq!(plan["releases"][1]["stops_using"], serde_json::json!([]));

    let rails = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    assert!(
        stdout(&rails).contains("class User < ApplicationRecord"),
        "{}",
        stdout(&rails)
    );
    assert!(
        stdout(&rails).contains("self.ignored_columns += [\"legacy_email\"]"),
        "{}",
        stdout(&rails)
    );
    let python = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "sqlalchemy"])
        .output()
        .unwrap();
    assert!(
        stdout(&python).contains("\"users\": [\"legacy_email\"]"),
        "{}",
        stdout(&python)
    );
}

/// Tables whose class names the naive rule got wrong, each retiring a column in 1.4.0.
const ODD_NAMES: &str = r#"
[tables.addresses]
primary_key = ["id"]
[tables.addresses.columns]
id = { type = "bigint" }
old = { type = "text", nullable = true }

[tables.people]
primary_key = ["id"]
[tables.people.columns]
id = { type = "bigint" }
old = { type = "text", nullable = true }

[tables.news]
primary_key = ["id"]
[tables.news.columns]
id = { type = "bigint" }
old = { type = "text", nullable = true }

[tables.legacy_staff]
primary_key = ["id"]
[tables.legacy_staff.columns]
id = { type = "bigint" }
old = { type = "text", nullable = true }
"#;

fn odd_names_project(settings: &str) -> tempfile::TempDir {
    let changes: Vec<(String, String)> = ["addresses", "people", "news", "legacy_staff"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("000{i}_{t}.toml"),
                format!("release = \"1.4.0\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"{t}\"\ncolumn = \"old\"\n"),
            )
        })
        .collect();
    let changes: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    common::project_dir(
        &format!("dialect = \"sqlite\"\n{settings}"),
        ODD_NAMES,
        &changes,
    )
}

#[test]
fn activerecord_models_are_named_by_rails_inflection_or_the_projects_map() {
    let dir = odd_names_project("");
    let out = tandem(dir.path())
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    let rails = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    for class in ["Address", "Person", "News", "LegacyStaff"] {
        assert!(
            rails.contains(&format!("class {class} < ApplicationRecord")),
            "{class}: {rails}"
        );
    }
    assert!(
        !rails.contains("Addresse") && !rails.contains("People"),
        "{rails}"
    );

    // The project's map wins over the inflection.
    let dir = odd_names_project(
        "\n[code_contract.models]\nlegacy_staff = \"Hr::Employee\"\npeople = \"Member\"\n",
    );
    let out = tandem(dir.path())
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    let rails = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        rails.contains("class Hr::Employee < ApplicationRecord"),
        "{rails}"
    );
    assert!(
        rails.contains("class Member < ApplicationRecord"),
        "{rails}"
    );
    assert!(
        rails.contains("class Address < ApplicationRecord"),
        "{rails}"
    );
    tandem(dir.path()).arg("check").assert().success();
}

#[test]
fn a_bad_model_map_is_an_input_error_naming_its_place() {
    for (settings, at, expected) in [
        (
            "\n[code_contract]\nmodel = { people = \"Person\" }\n",
            "tandem.toml:4:1",
            "unknown field",
        ),
        (
            "\n[code_contract.models]\npeople = \"person\"\n",
            "tandem.toml:4:10",
            "not a class name",
        ),
        (
            "\n[code_contract.models]\npeople = \"\"\n",
            "tandem.toml:4:10",
            "not a class name",
        ),
        (
            "\n[code_contract.models]\npeople = \"Per son\"\n",
            "tandem.toml:4:10",
            "not a class name",
        ),
        (
            "\n[code_contract.models]\npeople = 3\n",
            "tandem.toml:4:10",
            "string",
        ),
        (
            "\n[code_contract.models]\npeple = \"Person\"\n",
            "tandem.toml:4:1",
            "people",
        ),
    ] {
        let dir = odd_names_project(settings);
        for args in [
            &["code-contract", "1.4.0", "--format", "activerecord"][..],
            &["check"][..],
        ] {
            let out = tandem(dir.path()).args(args).output().unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{settings} {args:?}: {err}");
            assert!(err.contains(at), "{settings} {args:?}: {err}");
            assert!(err.contains(expected), "{settings} {args:?}: {err}");
        }
    }
}

#[test]
fn a_table_whose_derived_name_is_no_class_must_be_mapped() {
    let schema = "[tables.order-items]\nprimary_key = [\"id\"]\n[tables.order-items.columns]\nid = { type = \"bigint\" }\nold = { type = \"text\", nullable = true }\n";
    let change = "release = \"1.4.0\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"order-items\"\ncolumn = \"old\"\n";
    let dir = common::project_dir("dialect = \"sqlite\"\n", schema, &[("0001_a.toml", change)]);
    let args = ["code-contract", "1.4.0", "--format", "activerecord"];
    let out = tandem(dir.path()).args(args).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}{err}", stdout(&out));
    assert!(
        err.contains("order-items") && err.contains("[code_contract.models]"),
        "{err}"
    );
    fs::write(
        dir.path().join("tandem.toml"),
        "dialect = \"sqlite\"\n[code_contract.models]\n\"order-items\" = \"OrderItem\"\n",
    )
    .unwrap();
    let out = tandem(dir.path()).args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("class OrderItem < ApplicationRecord"));
}

#[test]
fn orm_templates_are_overridable() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    fs::create_dir_all(p.join("tpl/orm")).unwrap();
    fs::write(
        p.join("tpl/orm/activerecord.rb.tera"),
        "{% for t in tables %}{{ t.model }}:{{ t.columns | join(sep=\",\") }}{% endfor %}\n",
    )
    .unwrap();
    let toml = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        format!("{toml}templates_dir = \"tpl\"\n"),
    )
    .unwrap();
    let out = tandem(p)
        .args(["code-contract", "1.4.0", "--format", "activerecord"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "User:legacy_email\n", "{}", stderr(&out));
}

#[test]
fn check_refuses_a_release_whose_queries_still_use_what_it_retires() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    fs::create_dir_all(p.join("queries/1.4.0")).unwrap();
    // The ORM of 1.4.0 still selects the column the release retires: the incident.
    fs::write(
        p.join("queries/1.4.0/orm.sql"),
        "SELECT id, email FROM users WHERE id = $1;\n\nSELECT users.id, users.email,\n       users.legacy_email FROM users WHERE id = $1;\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("users.legacy_email"), "{err}");
    assert!(err.contains("queries/1.4.0/orm.sql:4:"), "{err}");

    // Once the code no longer names it (a string or a comment does not count), check passes.
    fs::write(
        p.join("queries/1.4.0/orm.sql"),
        "-- legacy_email is gone\nSELECT id, email FROM users WHERE note <> 'legacy_email';\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// The lines of `file` that `check` names as still using users.legacy_email.
fn stale_lines(err: &str, file: &str) -> Vec<usize> {
    let mut lines: Vec<usize> = err
        .match_indices(&format!("{file}:"))
        .filter_map(|(at, m)| {
            let rest = &err[at + m.len()..];
            rest[..rest.find(':')?].parse().ok()
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

#[test]
fn check_refuses_a_later_release_whose_queries_use_what_an_earlier_one_retired() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    fs::create_dir_all(p.join("queries/1.5.0")).unwrap();
    fs::write(
        p.join("queries/1.5.0/orm.sql"),
        "SELECT id, bio FROM users WHERE id = $1;\nSELECT legacy_email FROM users;\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("queries/1.5.0/orm.sql:2:8"), "{err}");
    assert!(
        err.contains("release 1.5.0") && err.contains("1.4.0"),
        "{err}"
    );

    // A release without queries of its own runs the nearest earlier release's: 1.5.0,
    // which retires users.nickname, inherits 1.4.0's, which still read it.
    fs::remove_dir_all(p.join("queries/1.5.0")).unwrap();
    fs::write(
        p.join("changes/0009_drop_nickname.toml"),
        "release = \"1.5.0\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"\n",
    )
    .unwrap();
    fs::create_dir_all(p.join("queries/1.4.0")).unwrap();
    fs::write(
        p.join("queries/1.4.0/orm.sql"),
        "SELECT id FROM users;\nSELECT users.nickname FROM users;\n",
    )
    .unwrap();
    let out = tandem(p).arg("check").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("queries/1.4.0/orm.sql:2:14"), "{err}");
    assert!(err.contains("users.nickname"), "{err}");
    assert!(err.contains("no queries of its own"), "{err}");
}

#[test]
fn check_reads_each_dialects_strings_quotes_and_comments() {
    // (dialect, file, the lines that read users.legacy_email).
    let cases: [(&str, &str, &[usize]); 3] = [
        (
            "mysql",
            concat!(
                "SELECT id FROM users WHERE nickname = 'o\\'brien' AND legacy_email = ?;\n",
                "SELECT id FROM users WHERE nickname = 'it\\'s legacy_email';\n",
                "SELECT id FROM users WHERE nickname = \"legacy_email\" # legacy_email\n;\n",
                "SELECT id FROM users WHERE nickname = \"say \\\"legacy_email\\\"\";\n",
                "SELECT `legacy_email` FROM users;\n",
                "/* legacy_email; */ SELECT id FROM users -- legacy_email\n;\n",
                "SELECT id FROM users WHERE nickname = 'a''legacy_email';\n",
                "UPDATE users SET nickname = :legacy_email WHERE id = 1;\n",
                "SELECT id FROM users WHERE nickname = _utf8mb4'legacy_email';\n",
            ),
            &[1, 6],
        ),
        (
            "postgres",
            concat!(
                "SELECT id FROM users WHERE nickname = E'o\\'brien' AND legacy_email = $1;\n",
                "SELECT id FROM users WHERE nickname = 'C:\\' AND legacy_email = $1;\n",
                "SELECT id FROM users WHERE nickname = 'it''s legacy_email';\n",
                "SELECT id FROM users WHERE nickname = $$legacy_email; 'x$$;\n",
                "SELECT id FROM users WHERE nickname = $t$ legacy_email $t$;\n",
                "SELECT \"legacy_email\" FROM users;\n",
                "SELECT id FROM users /* a /* nested; */ legacy_email */ WHERE id = 1;\n",
                "SELECT id FROM users WHERE nickname = e'it\\'s legacy_email';\n",
                "SELECT id::text FROM users WHERE nickname = :legacy_email;\n",
                "SELECT \"Legacy_Email\" FROM users;\n",
            ),
            &[1, 2, 6],
        ),
        (
            "sqlite",
            concat!(
                "SELECT id FROM users WHERE nickname = 'C:\\' AND legacy_email = ?;\n",
                "SELECT [legacy_email] FROM users;\n",
                "SELECT id FROM users WHERE nickname = 'it''s legacy_email';\n",
            ),
            &[1, 2],
        ),
    ];
    for (dialect, text, expected) in cases {
        let dir = users_project(dialect, INCIDENT);
        let p = dir.path();
        fs::create_dir_all(p.join("queries/1.4.0")).unwrap();
        fs::write(p.join("queries/1.4.0/orm.sql"), text).unwrap();
        let out = tandem(p).arg("check").output().unwrap();
        let err = stderr(&out);
        let code = if expected.is_empty() { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(code), "{dialect}: {err}");
        assert_eq!(
            stale_lines(&err, "queries/1.4.0/orm.sql"),
            expected,
            "{dialect}: {err}"
        );
    }
}

const INDEX_150: &str = "release = \"1.5.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n";

fn run(p: &std::path::Path, args: &[&str]) -> std::process::Output {
    tandem(p).args(args).output().unwrap()
}

#[test]
fn a_bundle_applies_with_migrate_on_every_database() {
    for server in common::Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(
            server.dialect(),
            &[INCIDENT[0], INCIDENT[1], ("0009_index.toml", INDEX_150)],
        );
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let out_dir = p.join("bundle-1.5.0");
        let bundle = out_dir.to_str().unwrap();

        // Only a cut release is bundled.
        let refused = run(p, &["release", "bundle", "1.5.0", "--out", bundle]);
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert!(stderr(&refused).contains("not cut"), "{}", stderr(&refused));
        assert!(!out_dir.exists());

        let cut = run(p, &["release", "cut", "1.5.0"]);
        assert!(cut.status.success(), "{}", stderr(&cut));
        let made = run(p, &["release", "bundle", "1.5.0", "--out", bundle]);
        assert!(made.status.success(), "{}", stderr(&made));
        let manifest: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(out_dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["release"], "1.5.0");
        let files = manifest["files"].as_array().unwrap();
        assert!(files.iter().any(|f| f["phase"] == "expand"), "{manifest}");
        assert!(files.iter().any(|f| f["phase"] == "contract"), "{manifest}");
        for f in files {
            let bytes = fs::read(out_dir.join(f["file"].as_str().unwrap())).unwrap();
            assert_eq!(
                tandem::lock::sha256_hex(&bytes),
                f["sha256"].as_str().unwrap()
            );
            let conf = out_dir.join(format!("{}.conf", f["file"].as_str().unwrap()));
            assert_eq!(conf.exists(), f["no_transaction"] == true, "{}", f["file"]);
        }
        if server == common::Server::Postgres {
            assert!(
                files.iter().any(|f| f["no_transaction"] == true),
                "{manifest}"
            );
        }
        assert!(fs::read_to_string(out_dir.join("runbook.md"))
            .unwrap()
            .contains("1.5.0"));

        // The database is at contract(1.4.0); the bundle takes it through 1.5.0.
        let base = run(
            p,
            &[
                "migrate",
                "--release",
                "1.4.0",
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        assert!(base.status.success(), "{}", stderr(&base));
        let expand = run(
            p,
            &[
                "migrate",
                "--bundle",
                bundle,
                "--phase",
                "expand",
                "--database-url",
                &url,
            ],
        );
        assert!(
            expand.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&expand)
        );
        assert!(
            stdout(&expand).contains("pre-deploy/"),
            "{}",
            stdout(&expand)
        );
        assert!(
            !stdout(&expand).contains("post-deploy/"),
            "{}",
            stdout(&expand)
        );
        let contract = run(
            p,
            &[
                "migrate",
                "--bundle",
                bundle,
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        assert!(
            contract.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&contract)
        );
        assert!(
            stdout(&contract).contains("post-deploy/"),
            "{}",
            stdout(&contract)
        );
        let again = run(
            p,
            &[
                "migrate",
                "--bundle",
                bundle,
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        assert!(
            stdout(&again).contains("0 files applied"),
            "{}",
            stdout(&again)
        );

        let status = run(p, &["status", "--database-url", &url]);
        assert!(status.status.success(), "{}", stdout(&status));
        assert!(
            stdout(&status).contains("every generated file is applied"),
            "{}",
            stdout(&status)
        );
    }
}

#[test]
fn a_bundle_refuses_tampered_files_and_an_edited_cut_release() {
    let dir = users_project("sqlite", &[INCIDENT[0], INCIDENT[1]]);
    let p = dir.path();
    assert!(run(p, &["release", "cut", "1.5.0"]).status.success());
    let out_dir = p.join("b");
    let bundle = out_dir.to_str().unwrap();
    assert!(run(p, &["release", "bundle", "1.5.0", "--out", bundle])
        .status
        .success());

    // A second bundle into the same, non-empty directory is refused.
    let again = run(p, &["release", "bundle", "1.5.0", "--out", bundle]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));

    // A file changed inside the bundle is refused before anything runs.
    let pre = fs::read_dir(out_dir.join("pre-deploy"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = fs::read_to_string(&pre).unwrap();
    fs::write(&pre, format!("{text}\nDROP TABLE users;\n")).unwrap();
    assert!(
        run(p, &["migrate", "--release", "1.4.0", "--phase", "contract"])
            .status
            .success()
    );
    let url = format!("sqlite://{}", p.join("app.db").display());
    let tampered = run(
        p,
        &[
            "migrate",
            "--bundle",
            bundle,
            "--phase",
            "expand",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(tampered.status.code(), Some(2), "{}", stderr(&tampered));
    assert!(
        stderr(&tampered).contains("SHA-256"),
        "{}",
        stderr(&tampered)
    );

    // A cut file edited in the project is refused by the next bundle.
    let migration = p.join("migrations").join(
        tandem::layout::list_sql_files(&p.join("migrations"))
            .unwrap()
            .into_iter()
            .find(|f| f.starts_with("1.5.0/"))
            .unwrap(),
    );
    let text = fs::read_to_string(&migration).unwrap();
    fs::write(&migration, text.replace("-- step:", "-- edited step:")).unwrap();
    let edited = run(
        p,
        &[
            "release",
            "bundle",
            "1.5.0",
            "--out",
            p.join("c").to_str().unwrap(),
        ],
    );
    assert_eq!(edited.status.code(), Some(1), "{}", stderr(&edited));
    assert!(!p.join("c").exists());
}

/// The URL of `scratch` with a connection parameter appended.
fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

fn gated(p: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::tandem_with_fleet_gate(p)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_fleet_gate_holds_contract_while_an_old_release_is_connected_on_postgres() {
    let Some(scratch) = common::Server::Postgres.fresh() else {
        return;
    };
    let dir = users_project("postgres", INCIDENT);
    let p = dir.path();
    let url = common::database_url(common::Server::Postgres, &scratch, p);
    let first = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.4.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("fleet gate: passed"),
        "{}",
        stderr(&first)
    );

    // A server of 1.4.0 is still connected: expand(1.5.0) may run (1.4.0 is its
    // previous release), contract(1.5.0) may not.
    let target = tandem::apply::database::Target::parse(
        &with_param(&url, "application_name=shop-api%401.4.0"),
        p,
    )
    .unwrap();
    let old_server = tandem::apply::database::Database::connect(&target).unwrap();
    let expand = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "expand",
            "--database-url",
            &url,
        ],
    );
    assert!(expand.status.success(), "{}", stderr(&expand));
    let contract = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
        ],
    );
    assert_eq!(contract.status.code(), Some(1), "{}", stderr(&contract));
    let err = stderr(&contract);
    assert!(
        err.contains("release 1.4.0") && err.contains("shop-api@1.4.0"),
        "{err}"
    );

    // The old server goes away: the contract runs.
    drop(old_server);
    let mut passed = false;
    for _ in 0..50 {
        let contract = gated(
            p,
            &[
                "migrate",
                "--release",
                "1.5.0",
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        if contract.status.success() {
            passed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(passed, "contract stayed refused after the old client left");
}

#[test]
fn the_fleet_gate_reads_a_file_or_a_command_and_records_a_skip_on_mariadb() {
    let Some(scratch) = common::Server::Mysql.fresh() else {
        return;
    };
    let dir = users_project("mysql", INCIDENT);
    let p = dir.path();
    let url = common::database_url(common::Server::Mysql, &scratch, p);
    assert!(gated(
        p,
        &[
            "migrate",
            "--release",
            "1.4.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
            "--fleet-cmd",
            "echo 1.4.0"
        ]
    )
    .status
    .success());

    let fleet = p.join("fleet.txt");
    fs::write(&fleet, "# what runs\n1.4.0\n1.5.0\n").unwrap();
    let fleet = fleet.to_str().unwrap();
    let held = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
            "--fleet-file",
            fleet,
        ],
    );
    assert_eq!(held.status.code(), Some(1), "{}", stderr(&held));
    assert!(stderr(&held).contains("fleet.txt:2"), "{}", stderr(&held));
    let by_cmd = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
            "--fleet-cmd",
            "printf '1.4.0\\n'",
        ],
    );
    assert_eq!(by_cmd.status.code(), Some(1), "{}", stderr(&by_cmd));

    // MariaDB keeps connection attributes only with performance_schema on: without it
    // the gate has no source and says so.
    let target = tandem::apply::database::Target::parse(&url, p).unwrap();
    let mut db = tandem::apply::database::Database::connect(&target).unwrap();
    let ps_on = db.query_text("SELECT @@performance_schema").unwrap()[0][0].as_deref() == Some("1");
    if !ps_on {
        let bare = gated(
            p,
            &[
                "migrate",
                "--release",
                "1.5.0",
                "--phase",
                "contract",
                "--database-url",
                &url,
            ],
        );
        assert_eq!(bare.status.code(), Some(1), "{}", stderr(&bare));
        assert!(
            stderr(&bare).contains("performance_schema"),
            "{}",
            stderr(&bare)
        );
    }

    let skipped = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--database-url",
            &url,
            "--skip-fleet-check",
            "--reason",
            "fleet drained by hand",
        ],
    );
    assert!(skipped.status.success(), "{}", stderr(&skipped));
    assert!(
        stderr(&skipped).contains("fleet drained by hand"),
        "{}",
        stderr(&skipped)
    );
    let rows = db
        .query_text("SELECT release_name, phase, reason FROM tandem_fleet_skips")
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![
            Some("1.5.0".to_string()),
            Some("contract".to_string()),
            Some("fleet drained by hand".to_string())
        ]]
    );

    // --reason is required with the skip.
    let no_reason = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.5.0",
            "--phase",
            "contract",
            "--skip-fleet-check",
        ],
    );
    assert_eq!(no_reason.status.code(), Some(2));
}

#[test]
fn a_bundle_run_passes_the_fleet_gate_too() {
    let dir = users_project("sqlite", &[INCIDENT[0], INCIDENT[1]]);
    let p = dir.path();
    assert!(run(p, &["release", "cut", "1.5.0"]).status.success());
    let bundle = p.join("b");
    assert!(run(
        p,
        &[
            "release",
            "bundle",
            "1.5.0",
            "--out",
            bundle.to_str().unwrap()
        ]
    )
    .status
    .success());
    assert!(
        run(p, &["migrate", "--release", "1.4.0", "--phase", "contract"])
            .status
            .success()
    );
    let url = format!("sqlite://{}", p.join("app.db").display());
    let fleet = p.join("fleet.txt");
    fs::write(&fleet, "1.4.0\n").unwrap();
    let args = |phase: &'static str| {
        vec![
            "migrate".to_string(),
            "--bundle".into(),
            bundle.to_str().unwrap().into(),
            "--phase".into(),
            phase.into(),
            "--database-url".into(),
            url.clone(),
            "--fleet-file".into(),
            fleet.to_str().unwrap().into(),
        ]
    };
    let expand = common::tandem_with_fleet_gate(p)
        .args(args("expand"))
        .output()
        .unwrap();
    assert!(expand.status.success(), "{}", stderr(&expand));
    let contract = common::tandem_with_fleet_gate(p)
        .args(args("contract"))
        .output()
        .unwrap();
    assert_eq!(contract.status.code(), Some(1), "{}", stderr(&contract));
    fs::write(&fleet, "1.5.0\n").unwrap();
    let contract = common::tandem_with_fleet_gate(p)
        .args(args("contract"))
        .output()
        .unwrap();
    assert!(contract.status.success(), "{}", stderr(&contract));
}

/// `tandem.toml` with `text` appended to the users project's settings.
fn with_settings(p: &std::path::Path, text: &str) {
    let toml = p.join("tandem.toml");
    let before = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, format!("{before}\n{text}")).unwrap();
}

/// A `[fleet]` that would blind the gate (a pattern no name matches, a blank command or
/// file, a timeout of nothing) is an input error at its line, found by `check` already.
#[test]
fn fleet_settings_that_would_blind_the_gate_are_input_errors() {
    for (settings, says) in [
        ("[fleet]\npattern = \"shop-api\"\n", "has no `{release}`"),
        (
            "[fleet]\npattern = \"{release}@{release}\"\n",
            "more than once",
        ),
        ("[fleet]\npattern = \"{release}*\"\n", "after `{release}`"),
        ("[fleet]\ncommand = \"\"\n", "[fleet] command is empty"),
        ("[fleet]\nfile = \"  \"\n", "[fleet] file is empty"),
        ("[fleet]\ncommand_timeout = 0\n", "command_timeout"),
    ] {
        let dir = users_project("sqlite", INCIDENT);
        let p = dir.path();
        with_settings(p, settings);
        let out = tandem(p).arg("check").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{settings}: {err}");
        assert!(err.contains(says), "{settings}: {err}");
        assert!(err.contains("tandem.toml:"), "{settings}: {err}");
    }
}

/// Every line of a fleet file or command's output is a release or an error naming its
/// line: a line the gate cannot read would otherwise hide a running release from it.
#[test]
fn a_fleet_line_that_is_not_a_release_is_an_input_error_naming_its_line() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    let fleet = p.join("fleet.txt");
    let migrate = |extra: &[&str]| {
        let mut args = vec!["migrate", "--release", "1.5.0", "--phase", "contract"];
        args.extend_from_slice(extra);
        gated(p, &args)
    };
    for line in ["app@1.4.0", "1.4.0 (3 pods)", "\"1.4.0\"", "1.4.0,1.5.0"] {
        fs::write(&fleet, format!("# running\n{line}\n")).unwrap();
        let out = migrate(&["--fleet-file", fleet.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert!(err.contains("fleet.txt:2"), "{line}: {err}");
        assert!(err.contains("is not a release"), "{line}: {err}");
        let out = migrate(&["--fleet-cmd", &format!("printf '%s\\n' '{line}'")]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert!(err.contains("'`:1:1"), "{line}: {err}");
    }
    // A byte-order mark is the file's encoding, not part of its first release: 1.4.0
    // still runs and holds contract(1.5.0).
    fs::write(&fleet, "\u{feff}1.4.0\r\n").unwrap();
    let out = migrate(&["--fleet-file", fleet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("fleet.txt:1"), "{}", stderr(&out));
    // A release the project does not know is still placed by its version: 1.3.9 is older.
    fs::write(&fleet, "1.3.9\n").unwrap();
    let out = migrate(&["--fleet-file", fleet.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// A fleet command that hangs is killed after `[fleet] command_timeout` seconds: the gate
/// fails with a clear error instead of holding the deploy forever.
#[test]
fn a_fleet_command_that_hangs_is_killed_after_its_timeout() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    with_settings(p, "[fleet]\ncommand_timeout = 1\n");
    let started = std::time::Instant::now();
    let out = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.4.0",
            "--phase",
            "expand",
            "--fleet-cmd",
            "sleep 60",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("did not finish within 1 s"), "{err}");
    assert!(err.contains("command_timeout"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_blank_reason_to_skip_the_fleet_gate_is_a_usage_error() {
    let dir = users_project("sqlite", INCIDENT);
    for reason in ["", "   "] {
        let out = gated(
            dir.path(),
            &[
                "migrate",
                "--release",
                "1.4.0",
                "--phase",
                "expand",
                "--skip-fleet-check",
                "--reason",
                reason,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("reason is blank"), "{}", stderr(&out));
    }
}

/// `migrate --release R --phase PHASE --database-url URL` with the gate on.
fn migrate_gated(
    p: &std::path::Path,
    url: &str,
    release: &str,
    phase: &str,
) -> std::process::Output {
    gated(
        p,
        &[
            "migrate",
            "--release",
            release,
            "--phase",
            phase,
            "--database-url",
            url,
        ],
    )
}

/// A Postgres connection of `url` named `name` (its application_name), held open.
fn connect_named(url: &str, p: &std::path::Path, name: &str) -> tandem::apply::database::Database {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let target = tandem::apply::database::Target::parse(
        &with_param(url, &format!("application_name={encoded}")),
        p,
    )
    .unwrap();
    tandem::apply::database::Database::connect(&target).unwrap()
}

/// A project whose tandem.toml lists its releases places a tag it does not list by
/// semver against the release gated (0.9.0, v1.4.0, 1.4.0+build.7 and 1.5.0-rc.1 are all
/// older than 1.5.0), lists a tag it cannot place and an untagged connection as not
/// checked, and `require_tags` refuses the contract while either is open.
#[test]
fn tags_the_project_does_not_list_are_ordered_by_semver_on_postgres() {
    let Some(scratch) = common::Server::Postgres.fresh() else {
        return;
    };
    let dir = users_project("postgres", INCIDENT);
    let p = dir.path();
    with_settings(p, "releases = [\"1.4.0\", \"1.5.0\"]\n");
    let url = common::database_url(common::Server::Postgres, &scratch, p);
    let first = migrate_gated(p, &url, "1.5.0", "expand");
    assert!(first.status.success(), "{}", stderr(&first));
    for tag in [
        "app@0.9.0",
        "app@v1.4.0",
        "app@1.4.0+build.7",
        "app@1.5.0-rc.1",
        "app@1.4.9",
    ] {
        let old = connect_named(&url, p, tag);
        let out = migrate_gated(p, &url, "1.5.0", "contract");
        assert_eq!(out.status.code(), Some(1), "{tag}: {}", stderr(&out));
        assert!(stderr(&out).contains(tag), "{tag}: {}", stderr(&out));
        drop(old);
    }
    // A tag that names no version, an untagged session, a huge version: not checked,
    // listed, and the contract passes unless tags are required.
    let odd = [
        connect_named(&url, p, "app@1.5.x"),
        connect_named(&url, p, "psql"),
        connect_named(&url, p, "app@99999999999999999999.0.0"),
    ];
    with_settings(p, "[fleet]\nrequire_tags = true\n");
    let refused = migrate_gated(p, &url, "1.5.0", "contract");
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let err = stderr(&refused);
    for says in [
        "not checked",
        "app@1.5.x",
        "psql",
        "99999999999999999999",
        "require_tags",
    ] {
        assert!(err.contains(says), "{says}: {err}");
    }
    let toml = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        toml.replace("require_tags = true", "require_tags = false"),
    )
    .unwrap();
    let passed = migrate_gated(p, &url, "1.5.0", "contract");
    assert!(passed.status.success(), "{}", stderr(&passed));
    let err = stderr(&passed);
    assert!(err.contains("3 connection(s) not checked"), "{err}");
    assert!(err.contains("psql"), "{err}");
    drop(odd);
}

/// Many untagged connections are counted and grouped, not listed one by one; tandem's
/// own connections are not counted.
#[test]
fn many_untagged_connections_are_grouped_on_postgres() {
    let Some(scratch) = common::Server::Postgres.fresh() else {
        return;
    };
    let dir = users_project("postgres", INCIDENT);
    let p = dir.path();
    let url = common::database_url(common::Server::Postgres, &scratch, p);
    let held: Vec<_> = (0..30)
        .map(|i| {
            connect_named(
                &url,
                p,
                if i % 2 == 0 {
                    "worker"
                } else {
                    "wörker\u{202e} x"
                },
            )
        })
        .collect();
    let out = migrate_gated(p, &url, "1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("30 connection(s) not checked"), "{err}");
    assert!(err.contains("15 connection(s)"), "{err}");
    assert!(!err.contains('\u{202e}'), "{err}");
    assert!(err.lines().count() < 20, "{err}");
    drop(held);
}

/// MariaDB with its default configuration (performance_schema off) shows no connection's
/// program name: an expand runs and says what it saw, a contract is refused with the
/// ways out, and `[fleet] source = "none"` with a reason lets it through, recorded.
#[test]
fn mariadb_without_performance_schema_gates_only_the_contract() {
    let Some(scratch) = common::Server::Mysql.fresh() else {
        return;
    };
    let dir = users_project("mysql", INCIDENT);
    let p = dir.path();
    let url = common::database_url(common::Server::Mysql, &scratch, p);
    let target = tandem::apply::database::Target::parse(&url, p).unwrap();
    let mut db = tandem::apply::database::Database::connect(&target).unwrap();
    if db.query_text("SELECT @@performance_schema").unwrap()[0][0].as_deref() == Some("1") {
        return;
    }
    let expand = migrate_gated(p, &url, "1.4.0", "expand");
    assert!(expand.status.success(), "{}", stderr(&expand));
    assert!(
        stderr(&expand).contains("not checked"),
        "{}",
        stderr(&expand)
    );
    let adopt_like = migrate_gated(p, &url, "1.5.0", "expand");
    assert!(adopt_like.status.success(), "{}", stderr(&adopt_like));

    let contract = migrate_gated(p, &url, "1.5.0", "contract");
    assert_eq!(contract.status.code(), Some(1), "{}", stderr(&contract));
    let err = stderr(&contract);
    for says in [
        "--fleet-file",
        "--fleet-cmd",
        "--skip-fleet-check",
        "source = \"none\"",
    ] {
        assert!(err.contains(says), "{says}: {err}");
    }

    with_settings(
        p,
        "[fleet]\nsource = \"none\"\nreason = \"one batch job, stopped before each deploy\"\n",
    );
    let passed = migrate_gated(p, &url, "1.5.0", "contract");
    assert!(passed.status.success(), "{}", stderr(&passed));
    assert!(
        stderr(&passed).contains("one batch job"),
        "{}",
        stderr(&passed)
    );
    let rows = db
        .query_text("SELECT release_name, phase, reason FROM tandem_fleet_skips")
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0][2].as_deref().unwrap().contains("one batch job"),
        "{rows:?}"
    );
}

/// `--adopt` records a baseline that is already there: it is never gated, even where a
/// contract would be refused for lack of a source.
#[test]
fn adopt_is_never_gated_on_mariadb() {
    let Some(scratch) = common::Server::Mysql.fresh() else {
        return;
    };
    let dir = users_project("mysql", INCIDENT);
    let p = dir.path();
    let url = common::database_url(common::Server::Mysql, &scratch, p);
    let target = tandem::apply::database::Target::parse(&url, p).unwrap();
    let mut db = tandem::apply::database::Database::connect(&target).unwrap();
    db.run_script(
        "CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(255) NOT NULL, \
         legacy_email VARCHAR(255) NOT NULL, nickname TEXT NULL)",
    )
    .unwrap();
    let out = gated(
        p,
        &[
            "migrate",
            "--release",
            "1.4.0",
            "--phase",
            "expand",
            "--adopt",
            "--database-url",
            &url,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// `[fleet] source = "none"` is one statement with its reason: each half alone, a blank
/// reason, another value, or beside a file or command is an input error at its place.
#[test]
fn a_fleet_source_of_none_needs_its_reason() {
    for (settings, says) in [
        ("[fleet]\nsource = \"none\"\n", "reason"),
        ("[fleet]\nreason = \"x\"\n", "source = \"none\""),
        ("[fleet]\nsource = \"none\"\nreason = \"  \"\n", "blank"),
        (
            "[fleet]\nsource = \"nothing\"\nreason = \"x\"\n",
            "\"none\"",
        ),
        (
            "[fleet]\nsource = \"none\"\nreason = \"x\"\nfile = \"f.txt\"\n",
            "file",
        ),
        (
            "[fleet]\nsource = \"none\"\nreason = \"x\"\nrequire_tags = true\n",
            "require_tags",
        ),
    ] {
        let dir = users_project("sqlite", INCIDENT);
        let p = dir.path();
        with_settings(p, settings);
        let out = tandem(p).arg("check").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{settings}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{settings}: {err}");
        assert!(err.contains("tandem.toml:"), "{settings}: {err}");
    }
}

/// The gate guards the files a migrate applies: a contract with no file of its own, whose
/// pending files are all expands, is gated as the expand it is, so a database that shows
/// no names does not refuse it.
#[test]
fn a_contract_without_files_is_gated_as_the_expand_it_applies_on_mariadb() {
    let Some(scratch) = common::Server::Mysql.fresh() else {
        return;
    };
    let dir = users_project("mysql", INCIDENT);
    let p = dir.path();
    let plan = tandem(p).arg("plan").output().unwrap();
    assert!(
        stdout(&plan).contains("contract(1.4.0)\n    (nothing)"),
        "{}",
        stdout(&plan)
    );
    let url = common::database_url(common::Server::Mysql, &scratch, p);
    let target = tandem::apply::database::Target::parse(&url, p).unwrap();
    let mut db = tandem::apply::database::Database::connect(&target).unwrap();
    if db.query_text("SELECT @@performance_schema").unwrap()[0][0].as_deref() == Some("1") {
        return;
    }
    let out = migrate_gated(p, &url, "1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expand(1.4.0) not checked"),
        "{}",
        stderr(&out)
    );
    // contract(1.5.0) drops a column: refused.
    let out = migrate_gated(p, &url, "1.5.0", "contract");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}
