//! The command line end to end: exit codes, error texts, the rule's edges, and what
//! `generate` does to the files on disk.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{as_refs, files_under, select_one, set_dialect, stderr, stdout, tandem, USERS};
use predicates::str::contains;
use tempfile::TempDir;

/// A temporary Postgres project: tandem.toml with `settings`, the users schema, and
/// changes.
fn project(settings: &str, changes: &[(&str, &str)]) -> TempDir {
    common::project_dir(
        &format!("dialect = \"postgres\"\n{settings}"),
        USERS,
        changes,
    )
}

/// A project made by `tandem init`, over the users schema.
fn initialized() -> TempDir {
    let dir = TempDir::new().unwrap();
    tandem(dir.path()).arg("init").assert().code(0);
    fs::write(dir.path().join("schema.toml"), USERS).unwrap();
    dir
}

/// The incident: 1.4.0 stops using users.legacy_email, and 1.5.0 exists.
fn incident() -> TempDir {
    project(
        "",
        &[
            ("0007_drop.toml", &drop_legacy("1.4.0", "")),
            ("0008_bio.toml", &add_bio("1.5.0")),
        ],
    )
}

fn drop_legacy(release: &str, extra: &str) -> String {
    format!(
        "# the incident\nrelease = \"{release}\"\nsummary = \"retire legacy_email\"\n\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n{extra}"
    )
}

fn add_bio(release: &str) -> String {
    format!("release = \"{release}\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = {{ name = \"bio_{}\", type = \"text\", nullable = true }}\n", release.replace(['.', '-'], "_"))
}

fn plan_json(dir: &Path) -> serde_json::Value {
    let out = tandem(dir)
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The release whose contract holds the drop of users.legacy_email.
fn drop_release(plan: &serde_json::Value) -> Option<String> {
    plan["releases"].as_array().unwrap().iter().find_map(|r| {
        r["contract"].as_array().unwrap().iter().find_map(|f| {
            f["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["description"] == "drop column users.legacy_email")
                .then(|| r["name"].as_str().unwrap().to_string())
        })
    })
}

#[test]
fn incident_drop_lands_in_the_next_release_contract() {
    let dir = incident();
    let plan = plan_json(dir.path());
    assert_eq!(drop_release(&plan).as_deref(), Some("1.5.0"));
    let expand = &plan["releases"][0]["expand"][0];
    assert_eq!(expand["steps"][0]["destructive"], false);
    assert!(expand["path"].as_str().unwrap().starts_with("1.4.0/V"));
}

#[test]
fn same_release_drop_is_refused_with_the_spec_message() {
    let dir = project(
        "",
        &[
            (
                "0007_users_stop_legacy_email.toml",
                &drop_legacy("1.4.0", "contract_release = \"1.4.0\"\n"),
            ),
            ("0008_bio.toml", &add_bio("1.5.0")),
        ],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains("error: refused: drop of users.legacy_email placed in release 1.4.0"))
        .stdout(contains("--> changes/0007_users_stop_legacy_email.toml:9:1"))
        .stdout(contains("release 1.4.0 is the release whose code stops using users.legacy_email"))
        .stdout(contains("help: drop it in contract(1.5.0) or later (remove contract_release, or set it to \"1.5.0\")"));
    tandem(dir.path()).arg("check").assert().code(1);
    tandem(dir.path()).arg("generate").assert().code(1);
    assert!(
        !dir.path().join("migrations").exists(),
        "a refused plan writes nothing"
    );
}

/// With no release known before or after 1.4.0, the refusal still speaks as SPEC
/// section 5 does: the 1.3.x deployments, and contract(1.5.0) as the earliest place.
#[test]
fn a_refusal_names_the_release_lines_around_a_lone_release() {
    let dir = project(
        "",
        &[(
            "0007_users_stop_legacy_email.toml",
            &drop_legacy("1.4.0", "contract_release = \"1.4.0\"\n"),
        )],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains(
            "deployments of 1.3.x still read it while 1.4.0 rolls out, and 1.3.x is",
        ))
        .stdout(contains("the rollback target of 1.4.0"))
        .stdout(contains("help: drop it in contract(1.5.0) or later"));
}

#[test]
fn gap_of_two_places_the_drop_two_releases_later_and_refuses_one() {
    let changes = [
        ("0007_drop.toml", drop_legacy("1.4.0", "")),
        ("0008_bio.toml", add_bio("1.5.0")),
        ("0009_bio.toml", add_bio("1.6.0")),
    ];
    let dir = project("min_release_gap = 2\n", &as_refs(&changes));
    assert_eq!(
        drop_release(&plan_json(dir.path())).as_deref(),
        Some("1.6.0")
    );

    fs::write(
        dir.path().join("changes/0007_drop.toml"),
        drop_legacy("1.4.0", "contract_release = \"1.5.0\"\n"),
    )
    .unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains("placed in release 1.5.0"))
        .stdout(contains("min_release_gap is 2"))
        .stdout(contains("set it to \"1.6.0\""));
}

#[test]
fn gap_below_one_is_an_input_error() {
    let dir = project(
        "min_release_gap = 0\n",
        &[("0007_drop.toml", &drop_legacy("1.4.0", ""))],
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("min_release_gap must be at least 1"))
        .stderr(contains("tandem.toml:"));
}

#[test]
fn a_later_contract_release_is_honoured() {
    let changes = [
        (
            "0007_drop.toml",
            drop_legacy("1.4.0", "contract_release = \"1.6.0\"\n"),
        ),
        ("0008_bio.toml", add_bio("1.5.0")),
    ];
    let dir = project("", &as_refs(&changes));
    // 1.6.0 is known because contract_release names it.
    assert_eq!(
        drop_release(&plan_json(dir.path())).as_deref(),
        Some("1.6.0")
    );
}

#[test]
fn drop_in_the_last_release_is_pending_not_an_error() {
    let dir = project("", &[("0007_drop.toml", &drop_legacy("1.4.0", ""))]);
    let plan = plan_json(dir.path());
    assert_eq!(drop_release(&plan), None);
    assert_eq!(
        plan["pending"][0]["description"],
        "drop column users.legacy_email"
    );
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(0)
        .stdout(contains("pending"));
    tandem(dir.path()).arg("generate").assert().code(0);
    let files = files_under(&dir.path().join("migrations"));
    assert!(files.iter().all(|f| !f.contains("contract")), "{files:?}");
}

#[test]
fn explicit_release_list_orders_calendar_names() {
    let dir = project(
        "releases = [\"2026.06\", \"2026.07\"]\n",
        &[
            ("0007_drop.toml", &drop_legacy("2026.06", "")),
            ("0008_bio.toml", &add_bio("2026.07")),
        ],
    );
    assert_eq!(
        drop_release(&plan_json(dir.path())).as_deref(),
        Some("2026.07")
    );
    fs::write(dir.path().join("changes/0008_bio.toml"), add_bio("2026.7")).unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("release `2026.7` is not in the `releases` list"))
        .stderr(contains("changes/0008_bio.toml:1:11"))
        .stderr(contains("did you mean `2026.07`?"));
}

#[test]
fn unorderable_release_name_is_an_input_error() {
    let dir = project("", &[("0007_drop.toml", &drop_legacy("2026.07", ""))]);
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("is not a semantic version"))
        .stderr(contains("releases = [...]"));
}

#[test]
fn semver_orders_1_10_after_1_9_and_versions_follow() {
    let dir = project(
        "",
        &[
            ("0001.toml", &add_bio("1.10.0")),
            ("0002.toml", &add_bio("1.9.0")),
        ],
    );
    let plan = plan_json(dir.path());
    assert_eq!(plan["releases"][0]["name"], "1.9.0");
    assert_eq!(plan["releases"][1]["name"], "1.10.0");
    let v0 = plan["releases"][0]["expand"][0]["version"]
        .as_i64()
        .unwrap();
    let v1 = plan["releases"][1]["expand"][0]["version"]
        .as_i64()
        .unwrap();
    assert!(v0 < v1);
}

#[test]
fn unknown_field_and_op_type_point_at_the_fault() {
    let dir = project("", &[("0007_drop.toml", "release = \"1.4.0\"\n[[op]]\ntype = \"drop_colunm\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n")]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("unknown op type `drop_colunm`"))
        .stderr(contains("--> changes/0007_drop.toml:3:8"))
        .stderr(contains("^"))
        .stderr(contains("did you mean `drop_column`?"));
    fs::write(
        dir.path().join("changes/0007_drop.toml"),
        drop_legacy("1.4.0", "dwn_sql = \"email\"\n"),
    )
    .unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("unknown field `dwn_sql`"))
        .stderr(contains("changes/0007_drop.toml:9:1"))
        .stderr(contains("did you mean `down_sql`?"));
}

#[test]
fn unknown_column_names_the_change_file() {
    let dir = project("", &[("0007_drop.toml", "release = \"1.4.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_mail\"\n")]);
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("unknown column `users.legacy_mail`"))
        .stderr(contains("changes/0007_drop.toml:5:10"))
        .stderr(contains("did you mean `legacy_email`?"));
}

#[test]
fn a_later_change_using_a_dropped_column_is_an_input_error() {
    let later = "release = \"1.5.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]\n";
    let dir = project(
        "",
        &[
            ("0007_drop.toml", &drop_legacy("1.4.0", "")),
            ("0008_index.toml", later),
        ],
    );
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("changes/0008_index.toml"));
}

#[test]
fn malformed_toml_is_located_and_never_panics() {
    for text in [
        "release = ",
        "[[op]\n",
        "release = 1\n[[op]]\ntype = \"sql\"\nexpand = \"x\"",
        "\u{0}\u{1}",
        "op = 3\nrelease=\"1.0.0\"",
    ] {
        let dir = project("", &[("0001_bad.toml", text)]);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(
            stderr.contains("changes/0001_bad.toml:"),
            "{text:?}: {stderr}"
        );
    }
}

#[test]
fn missing_project_is_exit_2_with_a_hint() {
    let dir = TempDir::new().unwrap();
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("tandem init"));
}

#[test]
fn bad_usage_is_exit_2() {
    let dir = TempDir::new().unwrap();
    tandem(dir.path())
        .arg("plan")
        .arg("--format")
        .arg("yaml")
        .assert()
        .code(2);
    tandem(dir.path()).arg("frobnicate").assert().code(2);
}

#[test]
fn init_then_new_drop_column_as_written_in_the_spec() {
    let dir = initialized();
    tandem(dir.path())
        .args([
            "new",
            "drop-column",
            "users.legacy_email",
            "--release",
            "1.4.0",
        ])
        .assert()
        .code(0)
        .stdout(contains("changes/0001_drop_column_users_legacy_email.toml"));
    tandem(dir.path())
        .args([
            "new",
            "add-column",
            "users.bio",
            "--release",
            "1.5.0",
            "--type",
            "text",
        ])
        .assert()
        .code(0);
    tandem(dir.path())
        .args([
            "new",
            "rename-column",
            "users.email",
            "--to",
            "primary_email",
            "--release",
            "1.5.0",
        ])
        .assert()
        .code(0);
    tandem(dir.path())
        .args([
            "new",
            "create-index",
            "users",
            "--columns",
            "email,id",
            "--release",
            "1.4.0",
        ])
        .assert()
        .code(0);
    tandem(dir.path()).arg("check").assert().code(0);
    let plan = plan_json(dir.path());
    assert_eq!(drop_release(&plan).as_deref(), Some("1.5.0"));
    tandem(dir.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(contains("already exists"));
    tandem(dir.path())
        .args(["new", "drop-colum", "users.x", "--release", "1.4.0"])
        .assert()
        .code(2)
        .stderr(contains("did you mean `drop-column`?"));
}

/// `tandem init` writes a tandem.toml whose settings are tandem's defaults (short lock
/// waits, small batches), not other figures that a new project would take as advice.
#[test]
fn init_leaves_the_lock_waits_and_batches_at_their_defaults() {
    let dir = initialized();
    let config = tandem::config::Config::load(dir.path()).unwrap();
    let (pg, my) = (
        tandem::config::PostgresSettings::default(),
        tandem::config::MysqlSettings::default(),
    );
    assert_eq!(config.postgres.lock_timeout, pg.lock_timeout);
    assert_eq!(config.postgres.lock_timeout, "500ms");
    assert_eq!(config.postgres.backfill_batch_size, pg.backfill_batch_size);
    assert_eq!(config.mysql.lock_wait_timeout, my.lock_wait_timeout);
    assert_eq!(config.mysql.backfill_batch_size, my.backfill_batch_size);
    assert_eq!(config.mysql.backfill_max_batch_ms, my.backfill_max_batch_ms);
}

fn find(dir: &Path, needle: &str) -> PathBuf {
    let rel = files_under(dir)
        .into_iter()
        .find(|f| f.contains(needle))
        .unwrap_or_else(|| panic!("no {needle}"));
    dir.join(rel)
}

#[test]
fn hand_edits_are_never_overwritten_without_force() {
    let dir = incident();
    tandem(dir.path()).arg("generate").assert().code(0);
    tandem(dir.path())
        .args(["generate", "--check"])
        .assert()
        .code(0);
    let migrations = dir.path().join("migrations");
    let expand = find(&migrations, "expand_0007");
    let edited = fs::read_to_string(&expand)
        .unwrap()
        .replace("DROP NOT NULL", "DROP NOT NULL /* reviewed */");
    fs::write(&expand, &edited).unwrap();
    tandem(dir.path())
        .args(["generate", "--check"])
        .assert()
        .code(1)
        .stdout(contains("edited by hand"));
    tandem(dir.path())
        .arg("generate")
        .assert()
        .code(1)
        .stderr(contains("was edited by hand"))
        .stderr(contains("expand_0007_drop.sql"));
    assert_eq!(
        fs::read_to_string(&expand).unwrap(),
        edited,
        "the edit survives"
    );
    tandem(dir.path())
        .args(["generate", "--force"])
        .assert()
        .code(0);
    assert_ne!(fs::read_to_string(&expand).unwrap(), edited);
    tandem(dir.path())
        .args(["generate", "--check"])
        .assert()
        .code(0);
}

#[test]
fn stale_and_obsolete_files_are_reported_then_replaced() {
    let dir = incident();
    tandem(dir.path()).arg("generate").assert().code(0);
    fs::remove_file(dir.path().join("changes/0008_bio.toml")).unwrap();
    tandem(dir.path())
        .args(["generate", "--check"])
        .assert()
        .code(1)
        .stdout(contains("no longer planned"));
    tandem(dir.path())
        .arg("generate")
        .assert()
        .code(0)
        .stdout(contains("removed"));
    tandem(dir.path())
        .args(["generate", "--check"])
        .assert()
        .code(0);
}

#[test]
fn an_input_error_leaves_the_tree_untouched() {
    let dir = incident();
    tandem(dir.path()).arg("generate").assert().code(0);
    let before = files_under(&dir.path().join("migrations"));
    fs::write(
        dir.path().join("changes/0009_bad.toml"),
        "release = \"1.6.0\"\n[[op]]\ntype = \"drop_table\"\ntable = \"nope\"\n",
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().code(2);
    assert_eq!(files_under(&dir.path().join("migrations")), before);
}

#[test]
fn a_hotfix_release_never_renumbers_existing_files() {
    let dir = incident();
    tandem(dir.path()).arg("generate").assert().code(0);
    let before = files_under(&dir.path().join("migrations"));
    fs::write(
        dir.path().join("changes/0009_hotfix.toml"),
        add_bio("1.4.1"),
    )
    .unwrap();
    let plan = plan_json(dir.path());
    // The drop was written into contract(1.5.0): it stays there, though 1.4.1 now comes
    // first after 1.4.0.
    assert_eq!(drop_release(&plan).as_deref(), Some("1.5.0"));
    tandem(dir.path()).arg("generate").assert().code(0);
    let after = files_under(&dir.path().join("migrations"));
    for f in &before {
        assert!(
            after.contains(f),
            "{f} was renumbered or removed: {after:?}"
        );
    }
    let hotfix = after
        .iter()
        .find(|f| f.starts_with("1.4.1/"))
        .expect("hotfix file");
    let version = |f: &str| -> i64 {
        f.rsplit('/').next().unwrap()[1..]
            .split("__")
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let v14 = before
        .iter()
        .filter(|f| f.starts_with("1.4.0/"))
        .map(|f| version(f))
        .max()
        .unwrap();
    let v15 = before
        .iter()
        .filter(|f| f.starts_with("1.5.0/"))
        .map(|f| version(f))
        .min()
        .unwrap();
    assert!(
        version(hotfix) > v14 && version(hotfix) < v15,
        "{hotfix} between {v14} and {v15}"
    );
}

#[test]
fn a_cut_release_is_frozen() {
    let dir = incident();
    tandem(dir.path())
        .args(["release", "cut", "1.4.0"])
        .assert()
        .code(1)
        .stderr(contains("run `tandem generate` first"));
    tandem(dir.path()).arg("generate").assert().code(0);
    tandem(dir.path())
        .args(["release", "cut", "1.4.0"])
        .assert()
        .code(0);
    let lock = fs::read_to_string(dir.path().join("tandem.lock")).unwrap();
    assert!(
        lock.contains("name = \"1.4.0\"") && lock.contains("sha256"),
        "{lock}"
    );
    tandem(dir.path()).arg("check").assert().code(0);
    fs::write(
        dir.path().join("changes/0009_late.toml"),
        add_bio("1.4.0").replace("bio_1_4_0", "late"),
    )
    .unwrap();
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(1)
        .stderr(contains("release 1.4.0 is cut"))
        .stderr(contains("changes/0009_late.toml"))
        .stderr(contains("tag this change with a release after 1.4.0"));
    tandem(dir.path()).arg("generate").assert().code(1);
    fs::remove_file(dir.path().join("changes/0009_late.toml")).unwrap();
    let expand = find(&dir.path().join("migrations"), "expand_0007");
    fs::write(&expand, "-- tampered\n").unwrap();
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(1)
        .stderr(contains("differs from tandem.lock"));
}

#[test]
fn runbook_lists_the_deploy_steps_in_order() {
    let dir = incident();
    let out = tandem(dir.path())
        .args(["runbook", "1.5.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let expand = text.find("--phase expand").unwrap();
    let rollout = text.find("Roll out 1.5.0").unwrap();
    let contract = text.find("--phase contract").unwrap();
    assert!(expand < rollout && rollout < contract, "{text}");
    assert!(text.contains("(destructive)"), "{text}");
    tandem(dir.path()).args(["runbook", "1.5"]).assert().code(2);
}

#[test]
fn templates_dir_overrides_a_built_in_template() {
    let dir = project(
        "templates_dir = \"tpl\"\n",
        &[("0007_drop.toml", &drop_legacy("1.4.0", ""))],
    );
    fs::create_dir_all(dir.path().join("tpl")).unwrap();
    fs::write(
        dir.path().join("tpl/migration.sql.tera"),
        "-- ACME header {{ release }} {{ phase }} {{ change }}\n{{ body }}\n",
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().code(0);
    let expand = find(&dir.path().join("migrations"), "expand_0007");
    assert!(fs::read_to_string(expand)
        .unwrap()
        .starts_with("-- ACME header 1.4.0 expand changes/0007_drop.toml"));
    fs::write(
        dir.path().join("tpl/file_name.tera"),
        "{{ release }}/bad name.sql",
    )
    .unwrap();
    tandem(dir.path())
        .arg("generate")
        .assert()
        .code(2)
        .stderr(contains("not a refinery migration name"));
}

/// A MySQL project with a backfill by key (users), one by search (notes, no primary
/// key) and a repair (orders.code), its templates in `tpl`.
fn mysql_batch_loops() -> TempDir {
    let schema = format!(
        "{USERS}\n[tables.notes]\n[tables.notes.columns]\nbody = {{ type = \"text\", nullable = true }}\n"
    );
    let changes = [
        (
            "0001_fill.toml",
            "release = \"1.0.0\"\n[[op]]\ntype = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, code = { type = \"varchar(32)\", nullable = true } }\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\" }\nbackfill_sql = \"lower(email)\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"notes\"\ncolumn = { name = \"size\", type = \"integer\" }\nbackfill_sql = \"length(body)\"\n".to_string(),
        ),
        (
            "0002_key.toml",
            "release = \"1.1.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"code\"]\nrepair_sql = \"NULL\"\n".to_string(),
        ),
        ("0003_next.toml", select_one("1.2.0")),
        ("0004_last.toml", select_one("1.3.0")),
    ];
    let dir = common::project_files("mysql", &schema, &as_refs(&changes));
    let toml = dir.path().join("tandem.toml");
    let text = fs::read_to_string(&toml).unwrap();
    fs::write(&toml, format!("{text}templates_dir = \"tpl\"\n")).unwrap();
    fs::create_dir_all(dir.path().join("tpl/mysql")).unwrap();
    dir
}

/// Every generated file of the project in `dir`, one after the other.
fn all_sql(dir: &Path) -> String {
    let root = dir.join("migrations");
    files_under(&root)
        .iter()
        .map(|f| fs::read_to_string(root.join(f)).unwrap())
        .collect()
}

/// The MySQL backfills (by key and by search) and repairs take their retry handler,
/// progress and adaptive batches from the macros of mysql/batch_loop.sql.tera: an
/// override of that file reaches all three, and an override of one of them that does
/// not import it is used as it is, beside the others that still do.
#[test]
fn templates_dir_overrides_the_shared_mysql_batch_loop_and_each_loop_alone() {
    let dir = mysql_batch_loops();
    let handler = "DECLARE EXIT HANDLER FOR 1205, 1213";
    tandem(dir.path()).arg("generate").assert().code(0);
    let sql = all_sql(dir.path());
    assert_eq!(sql.matches(handler).count(), 3, "{sql}");
    assert!(sql.contains("CREATE PROCEDURE `tandem_backfill_users_email_lower`()"));
    assert!(sql.contains("CREATE PROCEDURE `tandem_backfill_notes_size`()"));
    assert!(sql.contains("CREATE PROCEDURE `tandem_repair_orders_code`()"));

    let builtin = include_str!("../../templates/mysql/batch_loop.sql.tera");
    assert_eq!(builtin.matches(handler).count(), 1);
    let marked = format!("{handler} -- ACME handler");
    fs::write(
        dir.path().join("tpl/mysql/batch_loop.sql.tera"),
        builtin.replace(handler, &marked),
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().code(0);
    let sql = all_sql(dir.path());
    assert_eq!(sql.matches(&marked).count(), 3, "{sql}");

    fs::write(
        dir.path().join("tpl/mysql/backfill.sql.tera"),
        "-- ACME backfill of {{ table }}.{{ column }}\nUPDATE {{ table }} SET {{ column }} = ({{ expr }}) WHERE {{ column }} IS NULL;\n",
    )
    .unwrap();
    tandem(dir.path()).arg("generate").assert().code(0);
    let sql = all_sql(dir.path());
    assert!(sql.contains("-- ACME backfill of `notes`.`size`\nUPDATE `notes` SET `size` = (length(body)) WHERE `size` IS NULL;"), "{sql}");
    assert!(!sql.contains("tandem_backfill_notes_size"), "{sql}");
    assert_eq!(sql.matches(&marked).count(), 2, "{sql}");
    assert_eq!(sql.matches(handler).count(), 2, "{sql}");
}

#[test]
fn a_step_the_dialect_cannot_do_safely_is_refused_at_plan_time() {
    let dir = project(
        "",
        &[(
            "0001_index.toml",
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"nickname\"]\n",
        )],
    );
    set_dialect(dir.path(), "mysql");
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains("mysql cannot do this safely"))
        .stdout(contains("changes/0001_index.toml:3:1"))
        .stdout(contains("create_index op"))
        .stdout(contains("dialect: mysql"));
    tandem(dir.path()).arg("generate").assert().code(1);
    assert!(!dir.path().join("migrations").exists(), "nothing written");
}

/// Every op type that change files accept can be scaffolded by `tandem new`, and the
/// scaffold plans as it is.
#[test]
fn every_op_type_scaffolds_a_change_that_plans() {
    for op in tandem::ops::type_names() {
        let kebab = op.replace('_', "-");
        let dir = initialized();
        let mut args: Vec<&str> = match op {
            "create_table" => vec!["teams"],
            "drop_table" => vec!["users"],
            "rename_table" => vec!["users", "--to", "accounts"],
            "add_column" => vec!["users.bio"],
            "drop_column" => vec!["users.legacy_email"],
            "rename_column" => vec!["users.email", "--to", "mail"],
            "alter_column" => vec!["users.email", "--type", "varchar(300)"],
            "create_index" => vec!["users", "--columns", "email"],
            "drop_index" => {
                tandem(dir.path())
                    .args([
                        "new",
                        "create-index",
                        "users",
                        "--columns",
                        "email",
                        "--release",
                        "1.0.0",
                    ])
                    .assert()
                    .code(0);
                vec!["users_email_idx"]
            }
            "add_unique" => vec!["users", "--columns", "email"],
            "add_foreign_key" => {
                tandem(dir.path())
                    // Over a column older code writes: enforced in contract(1.0.0).
                    .args(["new", "add-unique", "users.email", "--release", "0.9.0"])
                    .assert()
                    .code(0);
                vec!["users.legacy_email", "--references", "users(email)"]
            }
            "add_check" => vec!["users", "--check", r#"email LIKE '%@%' AND email <> "\""#],
            "drop_constraint" => {
                tandem(dir.path())
                    .args(["new", "add-unique", "users.email", "--release", "1.0.0"])
                    .assert()
                    .code(0);
                // Added in expand(1.0.0) on the change's word that older code keeps it,
                // so that 1.1.0 may drop it.
                for entry in std::fs::read_dir(dir.path().join("changes")).unwrap() {
                    let path = entry.unwrap().path();
                    let text = std::fs::read_to_string(&path).unwrap();
                    std::fs::write(&path, format!("{text}old_code_complies = true\n")).unwrap();
                }
                vec!["users.users_email_key"]
            }
            "rename_constraint" => {
                tandem(dir.path())
                    .args(["new", "add-unique", "users.email", "--release", "1.0.0"])
                    .assert()
                    .code(0);
                vec!["users.users_email_key", "--to", "users_email_unique"]
            }
            // users has a key: the scaffold replaces it.
            "add_primary_key" => vec!["users", "--columns", "id,email"],
            "set_comment" => vec!["users.email"],
            "sql" => vec!["users"],
            "create_object" => vec!["user_names"],
            "replace_object" | "drop_object" => {
                tandem(dir.path())
                    .args(["new", "create-object", "user_names", "--release", "1.0.0"])
                    .assert()
                    .code(0);
                vec!["user_names"]
            }
            "create_enum" => vec!["mood"],
            "drop_enum" | "add_enum_value" | "drop_enum_value" => {
                tandem(dir.path())
                    .args(["new", "create-enum", "mood", "--release", "1.0.0"])
                    .assert()
                    .code(0);
                match op {
                    "drop_enum" => vec!["mood"],
                    "add_enum_value" => vec!["mood.third"],
                    _ => vec!["mood.second"],
                }
            }
            other => panic!("no scaffold arguments for op type {other}: add them here"),
        };
        args.extend(["--release", "1.1.0"]);
        tandem(dir.path())
            .arg("new")
            .arg(&kebab)
            .args(&args)
            .assert()
            .code(0);
        let out = tandem(dir.path()).arg("check").output().unwrap();
        assert!(
            out.status.success(),
            "{op}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

/// Constraints in schema.toml are checked like the ops that add them: an unknown
/// constraint type suggests the nearest, and a key to a column that is not unique is
/// refused, both pointing into schema.toml; exit 2.
#[test]
fn bad_constraints_in_the_baseline_point_into_schema_toml() {
    let dir = project("", &[]);
    let bad_type =
        format!("{USERS}\n[[tables.users.constraints]]\ntype = \"uniqe\"\ncolumns = [\"email\"]\n");
    fs::write(dir.path().join("schema.toml"), bad_type).unwrap();
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("unknown constraint type `uniqe`"))
        .stderr(contains("schema.toml:12:8"))
        .stderr(contains("did you mean `unique`?"));

    let bad_key = format!("{USERS}\n[[tables.users.constraints]]\ntype = \"foreign_key\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"\n");
    fs::write(dir.path().join("schema.toml"), bad_key).unwrap();
    tandem(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(contains("neither the primary key nor unique"))
        .stderr(contains("schema.toml:14:14"));
}

/// A foreign key in schema.toml may reference a unique key declared further down.
#[test]
fn a_baseline_key_may_reference_a_unique_key_declared_later() {
    let dir = project("", &[]);
    let schema = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }

[[tables.orders.constraints]]
type = "foreign_key"
column = "email"
references = "users(email)"

[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }

[[tables.users.constraints]]
type = "unique"
column = "email"
"#;
    fs::write(dir.path().join("schema.toml"), schema).unwrap();
    tandem(dir.path()).arg("check").assert().code(0);
}

/// Index and foreign key options a dialect has no way to build are refused when the plan
/// is made, pointing at the op that asks for them (the second op of its file here), with
/// the reason and the dialect; nothing is written.
#[test]
fn index_and_key_options_a_dialect_cannot_build_are_refused_at_plan_time() {
    let cases: &[(&str, &str, &str)] = &[
        ("mysql", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nwhere = \"email <> ''\"", "no partial index"),
        ("mysql", "type = \"create_index\"\ntable = \"users\"\nexpressions = [\"lower(email)\"]", "no functional key parts"),
        ("mysql", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nmethod = \"gin\"", "no `gin` index method"),
        ("mysql", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nmethod = \"hash\"", "InnoDB has no hash index"),
        ("mysql", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\ninclude = [\"id\"]", "no INCLUDE columns"),
        ("sqlite", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\ninclude = [\"id\"]", "no INCLUDE columns"),
        ("sqlite", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nmethod = \"hash\"", "no `hash` index method"),
        ("sqlite", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nopclass = { email = \"text_pattern_ops\" }", "no operator classes"),
        ("postgres", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email(20)\"]", "no prefix lengths"),
        ("postgres", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"nickname\"]\nfulltext = true", "no FULLTEXT index"),
        ("mysql", "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"\ndeferrable = true\nold_code_complies = true", "no deferrable ones"),
        ("sqlite", "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"\ninitially_deferred = true\nold_code_complies = true", "no deferrable ones"),
    ];
    for (dialect, op, reason) in cases {
        let first = if op.contains("add_foreign_key") || op.contains("rename_constraint") {
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"\nold_code_complies = true"
        } else {
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\", \"id\"]"
        };
        let dir = project(
            "",
            &[(
                "0001_index.toml",
                &format!("release = \"1.0.0\"\n\n[[op]]\n{first}\n\n[[op]]\n{op}\n"),
            )],
        );
        set_dialect(dir.path(), dialect);
        let out = tandem(dir.path()).arg("plan").output().unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{dialect} {op}:\n{text}");
        // The second op starts on the line after the first, whose length differs.
        let at = format!("changes/0001_index.toml:{}:1", 5 + first.lines().count());
        for needle in [
            &format!("{dialect} cannot do this safely"),
            at.as_str(),
            &format!("dialect: {dialect}"),
            reason,
        ] {
            assert!(
                text.contains(needle),
                "{dialect}: missing {needle:?} in:\n{text}"
            );
        }
        tandem(dir.path()).arg("generate").assert().code(1);
        assert!(!dir.path().join("migrations").exists(), "nothing written");
    }
}

/// Postgres names foreign keys per table: the same name on two tables plans; the same
/// name twice on one table, or a unique constraint sharing an index's name, does not.
#[test]
fn postgres_takes_one_foreign_key_name_on_two_tables_but_not_twice_on_one() {
    let orders = "type = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" }, email = { type = \"varchar(255)\" } }";
    let key = |table: &str, column: &str| {
        format!("type = \"add_foreign_key\"\ntable = \"{table}\"\nname = \"fk_users_id\"\ncolumn = \"{column}\"\nreferences = \"users(id)\"")
    };
    let two_tables = format!(
        "release = \"1.0.0\"\n\n[[op]]\n{orders}\n\n[[op]]\ntype = \"create_table\"\ntable = \"invoices\"\nprimary_key = [\"id\"]\ncolumns = {{ id = {{ type = \"bigint\" }}, user_id = {{ type = \"bigint\" }} }}\n\n[[op]]\n{}\n\n[[op]]\n{}\n",
        key("orders", "user_id"),
        key("invoices", "user_id")
    );
    let dir = project("", &[("0001_keys.toml", &two_tables)]);
    tandem(dir.path()).arg("plan").assert().success();
    // MySQL names foreign keys across the schema: the same files are refused there.
    set_dialect(dir.path(), "mysql");
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("`fk_users_id` is taken"));

    let one_table = format!(
        "release = \"1.0.0\"\n\n[[op]]\n{orders}\n\n[[op]]\n{}\n\n[[op]]\n{}\n",
        key("orders", "user_id"),
        key("orders", "user_id")
    );
    let dir = project("", &[("0001_keys.toml", &one_table)]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains(
            "`fk_users_id` is taken: it names foreign key of `orders`",
        ))
        .stderr(contains("changes/0001_keys.toml:19:8"));

    let unique_clash = format!(
        "release = \"1.0.0\"\n\n[[op]]\n{orders}\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"email_key\"\ncolumns = [\"legacy_email\"]\n\n[[op]]\ntype = \"add_unique\"\ntable = \"orders\"\nname = \"email_key\"\ncolumn = \"email\"\n"
    );
    let dir = project("", &[("0001_keys.toml", &unique_clash)]);
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(2)
        .stderr(contains("`email_key` is taken: it names an index"));
}

/// MariaDB adds or drops a column of a table with a FULLTEXT index only by a rebuild that
/// blocks writes: the plan refuses the column change, naming the index.
#[test]
fn mysql_refuses_a_column_change_on_a_table_with_a_fulltext_index() {
    let dir = project(
        "",
        &[
            (
                "0001_index.toml",
                "release = \"1.0.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_nickname_text\"\ncolumns = [\"nickname\"]\nfulltext = true\n",
            ),
            (
                "0002_bio.toml",
                "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n",
            ),
        ],
    );
    set_dialect(dir.path(), "mysql");
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains("changes/0002_bio.toml:3:1"))
        .stdout(contains("FULLTEXT index users_nickname_text"));
}

/// MySQL renames a unique constraint (an index) in place, but not a foreign key: the plan
/// refuses that, pointing at the op.
#[test]
fn mysql_refuses_to_rename_a_foreign_key() {
    let dir = project(
        "",
        &[(
            "0001_rename.toml",
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"rename_constraint\"\ntable = \"users\"\nname = \"users_email_key\"\nto = \"users_email_unique\"\n\n[[op]]\ntype = \"rename_constraint\"\ntable = \"users\"\nname = \"users_self\"\nto = \"users_legacy_fk\"\n",
        )],
    );
    fs::write(
        dir.path().join("schema.toml"),
        format!("{USERS}\n[[tables.users.constraints]]\ntype = \"unique\"\ncolumn = \"email\"\n\n[[tables.users.constraints]]\ntype = \"foreign_key\"\nname = \"users_self\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"\n"),
    )
    .unwrap();
    tandem(dir.path()).arg("plan").assert().success();
    set_dialect(dir.path(), "mysql");
    tandem(dir.path())
        .arg("plan")
        .assert()
        .code(1)
        .stdout(contains("changes/0001_rename.toml:9:1"))
        .stdout(contains("cannot rename a foreign key (users_self)"));
}

/// `tandem new` checks names against the schema the new release's code sees: a column
/// that hand-written contract SQL adds is there for a release after that contract, not
/// for the release whose contract adds it.
#[test]
fn new_sees_a_column_from_the_release_after_the_contract_that_adds_it() {
    let adds = "release = \"1.4.0\"\n[[op]]\ntype = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN flag integer\"\n";
    let dir = common::project_files("sqlite", common::USERS, &[("0001_adds.toml", adds)]);
    let new = |release: &str| {
        tandem(dir.path())
            .args(["new", "drop-column", "users.flag", "--release", release])
            .output()
            .unwrap()
    };
    let out = new("1.4.0");
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("unknown column `users.flag`"));
    let out = new("1.5.0");
    assert!(out.status.success(), "{}", common::stderr(&out));
    tandem(dir.path()).arg("check").assert().code(0);
}
