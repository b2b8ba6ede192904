//! `verify` must fail a plan that breaks running code, naming the release, the step, the
//! code version and the column, even when the break comes from a raw `sql` op.

use crate::common;

use common::{stdout, tandem, users_project, Server, INCIDENT};
use predicates::str::contains;

/// 1.5.0's contract drops users.nickname by hand, while 1.4.0 (the rollback target of
/// 1.5.0) still reads and writes it; `destructive = false` wrongly asserts it is safe,
/// which keeps it in contract(1.5.0) instead of under the rule.
const UNSAFE_RAW_DROP: (&str, &str) = (
    "0009_drop_nickname.toml",
    "release = \"1.5.0\"\nsummary = \"stop using nickname\"\n\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users DROP COLUMN nickname\"\ndestructive = false\n",
);

fn unsafe_plan_fails(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = users_project(
        server.dialect(),
        &[INCIDENT[0], INCIDENT[1], UNSAFE_RAW_DROP],
    );
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed: Vec<&str> = text.lines().filter(|l| l.contains("FAILED")).collect();
    assert!(!failed.is_empty(), "{text}");
    // The rollback target's code breaks in 1.5.0's contract, on nickname.
    assert!(
        failed.iter().any(|l| l.starts_with("1.5.0")
            && l.contains("contract")
            && l.contains("1.4.0")
            && l.contains("nickname")),
        "{text}"
    );
    // Nothing before it failed.
    assert!(
        text.lines()
            .filter(|l| l.starts_with("1.4.0"))
            .all(|l| l.ends_with(" ok")),
        "{text}"
    );
}

#[test]
fn an_unsafe_raw_drop_fails_on_sqlite() {
    unsafe_plan_fails(Server::Sqlite);
}

#[test]
fn an_unsafe_raw_drop_fails_on_postgres() {
    unsafe_plan_fails(Server::Postgres);
}

#[test]
fn an_unsafe_raw_drop_fails_on_mariadb() {
    unsafe_plan_fails(Server::Mysql);
}

#[test]
fn the_matrix_is_available_as_json() {
    let dir = users_project("sqlite", &[INCIDENT[0], INCIDENT[1], UNSAFE_RAW_DROP]);
    let out = tandem(dir.path())
        .args(["verify", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let cells = report["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 8, "2 releases x 2 steps x 2 code versions");
    let bad = cells
        .iter()
        .find(|c| c["ok"] == false)
        .expect("a failing cell");
    assert_eq!(bad["release"], "1.5.0");
    assert_eq!(bad["step"], "contract");
    assert!(bad["result"].as_str().unwrap().contains("nickname"));
}

#[test]
fn a_plan_whose_sql_does_not_apply_fails_and_names_the_file() {
    let broken = "release = \"1.4.0\"\nsummary = \"raw\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE no_such_table ADD COLUMN x integer\"\n";
    let dir = users_project("sqlite", &[("0001_raw.toml", broken)]);
    tandem(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stdout(contains("FAILED: applying 1.4.0/V"))
        .stdout(contains("no such table"));
}

#[test]
fn a_refused_plan_is_not_rehearsed() {
    let too_early = INCIDENT[0].1.to_string() + "contract_release = \"1.4.0\"\n";
    let dir = tempfile::TempDir::new().unwrap();
    common::copy_dir(users_project("sqlite", &[]).path(), dir.path());
    std::fs::write(dir.path().join("changes/0007.toml"), too_early).unwrap();
    tandem(dir.path())
        .arg("verify")
        .assert()
        .code(1)
        .stderr(contains(
            "refused: drop of users.legacy_email placed in release 1.4.0",
        ));
}

#[test]
fn a_safe_plan_passes_on_the_sqlite_default() {
    let dir = users_project("sqlite", INCIDENT);
    tandem(dir.path())
        .arg("verify")
        .assert()
        .success()
        .stdout(contains("rehearsal on sqlite::memory:"))
        .stdout(contains("ok: all 8 cells passed"));
}

/// A baseline that declares a table before the table its foreign key references, with
/// a unique key, a check and an index; 1.1.0 drops the key. The baseline file creates
/// the parent first, and the rehearsal passes.
fn a_baseline_with_constraints_verifies(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let schema = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer", default = 1 }

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_fk"
column = "user_id"
references = "users(id)"

[[tables.orders.constraints]]
type = "check"
name = "orders_quantity_positive"
check = "quantity > 0"

[[tables.orders.indexes]]
columns = ["user_id"]

[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }

[[tables.users.constraints]]
type = "unique"
column = "email"
"#;
    let relax =
        "release = \"1.1.0\"\n[[op]]\ntype = \"drop_constraint\"\nname = \"orders_user_fk\"\n";
    let start = "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let dir = common::project_with(
        server.dialect(),
        schema,
        &[("0001_start.toml", start), ("0002_relax.toml", relax)],
    );
    let baseline = std::fs::read_to_string(dir.path().join("migrations/V1__baseline.sql")).unwrap();
    let users = baseline
        .find("\"users\"")
        .or(baseline.find("`users`"))
        .unwrap();
    let orders = baseline
        .find("\"orders\"")
        .or(baseline.find("`orders`"))
        .unwrap();
    assert!(users < orders, "the referenced table first:\n{baseline}");
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        common::stderr(&out)
    );
}

#[test]
fn a_baseline_with_constraints_verifies_on_sqlite() {
    a_baseline_with_constraints_verifies(Server::Sqlite);
}

#[test]
fn a_baseline_with_constraints_verifies_on_postgres() {
    a_baseline_with_constraints_verifies(Server::Postgres);
}

#[test]
fn a_baseline_with_constraints_verifies_on_mariadb() {
    a_baseline_with_constraints_verifies(Server::Mysql);
}

/// Probe values keep a check tandem knows (the generator reads its LIKE pattern), so the
/// rehearsal passes, also for one added by raw SQL that tandem reads; the same check
/// added by SQL tandem cannot read, which the model does not know, fails it.
fn a_known_check_is_kept_an_unknown_one_fails(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let known = "release = \"1.4.0\"\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_email_has_at\"\ncheck = \"email LIKE '%@%'\"\n";
    let dir = users_project(server.dialect(), &[("0001_check.toml", known)]);
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        common::stderr(&out)
    );

    if server == Server::Postgres {
        let read = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"ALTER TABLE users ADD CONSTRAINT users_email_has_at CHECK (email LIKE '%@%')\"\ndestructive = false\n";
        let dir = users_project(server.dialect(), &[("0001_check.toml", read)]);
        let out = common::verify(dir.path(), &url);
        assert!(out.status.success(), "{}", stdout(&out));
        let raw = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"\"\"DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD CONSTRAINT users_email_has_at CHECK (email LIKE ''%@%'')'; END $$\"\"\"\ndestructive = false\n";
        let dir = users_project(server.dialect(), &[("0001_check.toml", raw)]);
        let out = common::verify(dir.path(), &url);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("users_email_has_at"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn a_known_check_is_kept_by_probe_values_on_postgres() {
    a_known_check_is_kept_an_unknown_one_fails(Server::Postgres);
}

#[test]
fn a_known_check_is_kept_by_probe_values_on_sqlite() {
    a_known_check_is_kept_an_unknown_one_fails(Server::Sqlite);
}

/// Probes write strings as long as their column allows, as real code may: a narrowing
/// through a new column without a `using` that cuts values fails R-1's probe; with one,
/// the rehearsal passes.
fn a_narrowing_needs_its_using(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let plain = "release = \"1.4.0\"\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ncolumn_type = \"varchar(10)\"\nnew_name = \"short_email\"\n";
    let dir = users_project(server.dialect(), &[("0001_short.toml", plain)]);
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", common::stderr(&out));
    assert!(
        text.lines()
            .any(|l| l.starts_with("1.4.0") && l.contains("expand") && l.contains("FAILED")),
        "{text}"
    );

    let cut = plain.replace(
        "new_name = \"short_email\"\n",
        "new_name = \"short_email\"\nusing = \"substr(legacy_email, 1, 10)\"\n",
    );
    let dir = users_project(server.dialect(), &[("0001_short.toml", &cut)]);
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        common::stderr(&out)
    );
}

#[test]
fn a_narrowing_needs_its_using_on_postgres() {
    a_narrowing_needs_its_using(Server::Postgres);
}

#[test]
fn a_narrowing_needs_its_using_on_mariadb() {
    a_narrowing_needs_its_using(Server::Mysql);
}

/// A schema that needs an extension rehearses on a database copied from a template that
/// has it (`[verify] scratch_template`); without one its index cannot be built, and a
/// scratch name that is not a plain identifier is refused before anything runs.
#[test]
fn verify_rehearses_on_a_copy_of_the_configured_template_with_its_prefix() {
    let Some(url) = Server::Postgres.url() else {
        return;
    };
    let template = format!("tandem_tpl_{}", std::process::id());
    let mut admin = common::connect(&url, std::path::Path::new("."));
    admin
        .run_script(&format!("DROP DATABASE IF EXISTS {template}"))
        .unwrap();
    admin
        .run_script(&format!("CREATE DATABASE {template}"))
        .unwrap();
    let template_url = tandem::apply::scratch::with_database(&url, &template);
    let mut db = common::connect(&template_url, std::path::Path::new("."));
    db.run_script("CREATE EXTENSION pg_trgm").unwrap();
    drop(db);
    let schema = format!(
        "{}\n[[tables.users.indexes]]\nname = \"users_email_trgm\"\ncolumns = [\"email\"]\nmethod = \"gin\"\nopclass = {{ email = \"gin_trgm_ops\" }}\n",
        common::USERS
    );
    let dir = common::project_with("postgres", &schema, &[INCIDENT[0]]);
    let p = dir.path();
    let without = common::verify(p, &url);
    assert_ne!(without.status.code(), Some(0), "{}", stdout(&without));

    let toml = std::fs::read_to_string(p.join("tandem.toml")).unwrap();
    let with = |settings: &str| {
        std::fs::write(
            p.join("tandem.toml"),
            format!("{toml}\n[verify]\n{settings}\n"),
        )
        .unwrap();
        common::verify(p, &url)
    };
    let out = with(&format!(
        "scratch_prefix = \"rehearsal\"\nscratch_template = \"{template}\""
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        common::stderr(&out)
    );
    let bad = with("scratch_prefix = \"x; DROP DATABASE postgres\"");
    assert_eq!(bad.status.code(), Some(2), "{}", common::stderr(&bad));
    assert!(
        common::stderr(&bad).contains("scratch_prefix"),
        "{}",
        common::stderr(&bad)
    );
    let mut admin = common::connect(&url, std::path::Path::new("."));
    admin
        .run_script(&format!("DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
        .unwrap();
}

/// What a release's contract adds by hand (a column, a table) exists only from that
/// contract: the code of the next release uses it, not the release's own, whose probes
/// run before it. Under the rule (`destructive = true`), it arrives in the contract of the
/// release after, and the release after that uses it.
fn contract_additions_belong_to_the_next_release(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let added = (
        "0001_contract_adds.toml",
        "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN flag integer; CREATE TABLE audit (id bigint PRIMARY KEY, note varchar(20))\"\n\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN late_flag integer\"\ndestructive = true\n",
    );
    let next = |name: &'static str, release: &str| {
        (
            name,
            format!("release = \"{release}\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n"),
        )
    };
    let (n2, t2) = next("0002_next.toml", "1.5.0");
    let (n3, t3) = next("0003_after.toml", "1.6.0");
    let dir = users_project(
        server.dialect(),
        &[added, (n2, t2.as_str()), (n3, t3.as_str())],
    );
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", common::stderr(&out));
    // The code contract says the same: who may use what.
    let uses = |release: &str| {
        let out = tandem(dir.path())
            .args(["code-contract", release, "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::stderr(&out));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut names = Vec::new();
        for t in value["uses"].as_array().unwrap() {
            for c in t["columns"].as_array().unwrap() {
                names.push(format!(
                    "{}.{}",
                    t["table"].as_str().unwrap(),
                    c.as_str().unwrap()
                ));
            }
        }
        names
    };
    let (r4, r5, r6) = (uses("1.4.0"), uses("1.5.0"), uses("1.6.0"));
    assert!(
        !r4.iter()
            .any(|c| c == "users.flag" || c.starts_with("audit.")),
        "{r4:?}"
    );
    assert!(r5.contains(&"users.flag".to_string()), "{r5:?}");
    assert!(r5.contains(&"audit.note".to_string()), "{r5:?}");
    assert!(!r5.contains(&"users.late_flag".to_string()), "{r5:?}");
    assert!(r6.contains(&"users.late_flag".to_string()), "{r6:?}");
}

#[test]
fn contract_additions_belong_to_the_next_release_on_sqlite() {
    contract_additions_belong_to_the_next_release(Server::Sqlite);
}

#[test]
fn contract_additions_belong_to_the_next_release_on_postgres() {
    contract_additions_belong_to_the_next_release(Server::Postgres);
}

#[test]
fn contract_additions_belong_to_the_next_release_on_mariadb() {
    contract_additions_belong_to_the_next_release(Server::Mysql);
}

/// Tables with checks of the kinds real schemas carry that made-up values cannot satisfy:
/// "exactly one of two" (`num_nonnulls` on Postgres), a regex, a JSON shape, an OR of two
/// columns. `orders` points at each of them through a nullable key; `loose` has such a
/// check and no relation to anything.
fn hard_checks_schema(server: Server) -> String {
    let (one_of, regex, json, doc_type) = match server {
        Server::Postgres => (
            "num_nonnulls(a, b) = 1",
            "code ~ '^[A-Z]{3}-[0-9]{4}$'",
            "jsonb_typeof(doc) = 'array'",
            "jsonb",
        ),
        _ => (
            "(a IS NULL) <> (b IS NULL)",
            "code REGEXP '^[A-Z]{3}-[0-9]{4}$'",
            "JSON_TYPE(doc) = 'ARRAY'",
            "text",
        ),
    };
    let mut schema = String::new();
    for (table, check) in [
        ("accounts", one_of),
        ("tags", regex),
        ("docs", json),
        ("pairs", "(a IS NULL AND b > 0) OR (b IS NULL AND a > 0)"),
        ("loose", one_of),
    ] {
        schema.push_str(&format!(
            "[tables.{table}]\nprimary_key = [\"id\"]\n[tables.{table}.columns]\n\
             id = {{ type = \"bigint\" }}\na = {{ type = \"integer\", nullable = true }}\n\
             b = {{ type = \"integer\", nullable = true }}\ncode = {{ type = \"varchar(20)\", nullable = true }}\n\
             doc = {{ type = \"{doc_type}\", nullable = true }}\n\
             [[tables.{table}.constraints]]\ntype = \"check\"\nname = \"{table}_shape\"\ncheck = '''{check}'''\n\n"
        ));
    }
    schema.push_str(
        "[tables.orders]\nprimary_key = [\"id\"]\n[tables.orders.columns]\nid = { type = \"bigint\" }\n",
    );
    for parent in ["accounts", "tags", "docs", "pairs"] {
        schema.push_str(&format!(
            "{parent}_id = {{ type = \"bigint\", nullable = true }}\n"
        ));
    }
    for parent in ["accounts", "tags", "docs", "pairs"] {
        schema.push_str(&format!(
            "[[tables.orders.constraints]]\ntype = \"foreign_key\"\ncolumn = \"{parent}_id\"\nreferences = \"{parent}\"\n"
        ));
    }
    schema
}

const ADD_TO_ORDERS: (&str, &str) = (
    "0001_orders_note.toml",
    "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"orders\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }\n",
);

/// The probes write only to the tables a release changes and their parents; a parent
/// whose check refuses made-up values is skipped with a note naming it and its check,
/// and the rows that point at it get NULL keys. A table no release touches is not
/// written at all, whatever its checks.
fn unsatisfiable_checks_of_untouched_tables_are_skipped(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let dir = common::project_with(
        server.dialect(),
        &hard_checks_schema(server),
        &[ADD_TO_ORDERS],
    );
    let out = common::verify(dir.path(), &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", common::stderr(&out));
    for parent in ["accounts", "tags", "docs", "pairs"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("note: 1.1.0: no probe rows in ")
                    && l.contains(&format!(" {parent}, "))
                    && l.contains(&format!("{parent}_shape"))),
            "{parent}: {text}"
        );
    }
    assert!(!text.contains("loose"), "{text}");
    let json = tandem(dir.path())
        .args(["verify", "--format", "json", "--database-url", &url])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        report["notes"].as_array().map(Vec::len),
        Some(4),
        "{report}"
    );
}

#[test]
fn unsatisfiable_checks_of_untouched_tables_are_skipped_on_postgres() {
    unsatisfiable_checks_of_untouched_tables_are_skipped(Server::Postgres);
}

#[test]
fn unsatisfiable_checks_of_untouched_tables_are_skipped_on_mariadb() {
    unsatisfiable_checks_of_untouched_tables_are_skipped(Server::Mysql);
}

/// A table the release changes whose check refuses the probe row fails its cell with a
/// message that names the check, its expression and where to give real values; so does a
/// changed table whose required key must point at a table that refuses its rows.
fn a_changed_table_whose_check_refuses_the_probe_fails_naming_it(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    for (table, check, change) in [
        ("tags", "tags_shape", "type = \"add_column\"\ntable = \"tags\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }"),
        ("docs", "docs_shape", "type = \"add_column\"\ntable = \"docs\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }"),
        ("pairs", "pairs_shape", "type = \"add_column\"\ntable = \"pairs\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }"),
        ("accounts", "accounts_shape", "type = \"create_table\"\ntable = \"invoices\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, account_id = { type = \"bigint\" } }\nconstraints = [{ type = \"foreign_key\", column = \"account_id\", references = \"accounts\" }]"),
    ] {
        let change = format!("release = \"1.1.0\"\n[[op]]\n{change}\n");
        let dir = common::project_with(
            server.dialect(),
            &hard_checks_schema(server),
            &[("0001_change.toml", &change)],
        );
        let out = common::verify(dir.path(), &url);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{table}: {text}{}", common::stderr(&out));
        let failed: Vec<&str> = text.lines().filter(|l| l.contains("FAILED")).collect();
        assert!(!failed.is_empty(), "{text}");
        assert!(
            failed.iter().all(|l| l.contains(&format!("the check {check} (")) || l.contains(&format!("its check {check} ("))),
            "{table}: {text}"
        );
        assert!(failed.iter().all(|l| l.contains("[verify.values]")), "{text}");
    }
}

#[test]
fn a_changed_table_whose_check_refuses_the_probe_fails_naming_it_on_postgres() {
    a_changed_table_whose_check_refuses_the_probe_fails_naming_it(Server::Postgres);
}

#[test]
fn a_changed_table_whose_check_refuses_the_probe_fails_naming_it_on_mariadb() {
    a_changed_table_whose_check_refuses_the_probe_fails_naming_it(Server::Mysql);
}

/// `[verify] scratch_template` is PostgreSQL's: a postgres project rehearsed on MariaDB
/// starts from an empty database and says so, instead of failing to create it.
#[test]
fn a_scratch_template_is_left_out_with_a_note_on_mariadb() {
    let Some(url) = Server::Mysql.url() else {
        return;
    };
    let dir = users_project("postgres", &[INCIDENT[0]]);
    let p = dir.path();
    let toml = std::fs::read_to_string(p.join("tandem.toml")).unwrap();
    std::fs::write(
        p.join("tandem.toml"),
        format!("{toml}\n[verify]\nscratch_prefix = \"rehearse\"\nscratch_template = \"app_template\"\n"),
    )
    .unwrap();
    let out = common::verify(p, &url);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", common::stderr(&out));
    assert!(
        text.contains("note: [verify] scratch_template = \"app_template\" is PostgreSQL's"),
        "{text}"
    );
}
