//! A file, once applied, never changes: its bytes depend only on its own steps. Adding a
//! release, a hotfix, or editing a summary leaves every existing file as it was; a cut
//! freezes its release, the releases before it and the baseline, and nothing after it;
//! a second `generate` changes nothing; and `status` shows what `migrate` would refuse.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{stderr, stdout, tandem, users_project, Server, INCIDENT, USERS};
use proptest::prelude::*;

/// Every file of the migrations directory, by relative path.
fn tree(project: &Path) -> BTreeMap<String, String> {
    let dir = project.join("migrations");
    tandem::layout::list_sql_files(&dir)
        .unwrap()
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(dir.join(&p)).unwrap();
            (p, text)
        })
        .collect()
}

/// The files of `before` that `after` has with other bytes, or lacks.
fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    before
        .iter()
        .filter(|(p, text)| after.get(*p) != Some(*text))
        .map(|(p, _)| p.clone())
        .collect()
}

fn run(project: &Path, args: &[&str]) -> std::process::Output {
    tandem(project).args(args).output().unwrap()
}

fn ok(project: &Path, args: &[&str]) -> String {
    let out = run(project, args);
    assert!(
        out.status.success(),
        "tandem {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn write_change(project: &Path, name: &str, text: &str) {
    fs::write(project.join("changes").join(name), text).unwrap();
}

const ADD_INDEX_150: &str = "release = \"1.5.0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n";

#[test]
fn adding_the_next_release_changes_no_applied_file() {
    // 1.4.0 retires legacy_email: its drop waits for a release not known yet.
    let dir = users_project("sqlite", &INCIDENT[..1]);
    let p = dir.path();
    ok(p, &["migrate", "--release", "1.4.0", "--phase", "expand"]);
    let before = tree(p);

    write_change(p, "0009_index.toml", ADD_INDEX_150);
    let out = ok(p, &["generate"]);
    assert!(!out.contains("updated"), "{out}");
    assert_eq!(changed(&before, &tree(p)), Vec::<String>::new());

    let status = run(p, &["status"]);
    assert!(status.status.success(), "{}", stdout(&status));
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
}

#[test]
fn a_hotfix_release_and_a_summary_edit_change_no_existing_file() {
    let dir = users_project(
        "sqlite",
        &[
            INCIDENT[0],
            ("0008_bio.toml", &INCIDENT[1].1.replace("1.5.0", "2.0.0")),
        ],
    );
    let p = dir.path();
    ok(p, &["migrate", "--release", "2.0.0", "--phase", "contract"]);
    let before = tree(p);

    // A summary edit, on more than one line.
    let path = p.join("changes/0007_drop_legacy.toml");
    let text = fs::read_to_string(&path).unwrap().replace(
        "summary = \"retire legacy_email\"",
        "summary = \"\"\"retire\nlegacy_email for good\"\"\"",
    );
    fs::write(&path, text).unwrap();
    let out = ok(p, &["generate"]);
    assert!(out.contains("0 changed"), "{out}");

    // A hotfix release between 1.4.0 and 2.0.0.
    write_change(
        p,
        "0010_hotfix.toml",
        &ADD_INDEX_150.replace("1.5.0", "1.4.1"),
    );
    ok(p, &["generate"]);
    let after = tree(p);
    assert_eq!(changed(&before, &after), Vec::<String>::new());
    assert!(after.keys().any(|k| k.starts_with("1.4.1/")), "{after:?}");
}

#[test]
fn a_cut_with_a_pending_drop_does_not_block_the_next_release() {
    let dir = users_project("sqlite", &INCIDENT[..1]);
    let p = dir.path();
    ok(p, &["release", "cut", "1.4.0"]);
    write_change(p, "0009_index.toml", ADD_INDEX_150);
    ok(p, &["check"]);
    let out = ok(p, &["generate"]);
    assert!(out.contains("1.5.0/"), "{out}");
    ok(p, &["check"]);
    let plan = ok(p, &["plan"]);
    assert!(plan.contains("drop column users.legacy_email"), "{plan}");
}

#[test]
fn a_cut_freezes_the_baseline_and_the_releases_before_it() {
    let dir = users_project(
        "sqlite",
        &[
            INCIDENT[0],
            ("0008_bio.toml", INCIDENT[1].1),
            ("0009_index.toml", &ADD_INDEX_150.replace("1.5.0", "1.6.0")),
        ],
    );
    let p = dir.path();
    let out = ok(p, &["release", "cut", "1.5.0"]);
    assert!(out.contains("1.4.0"), "{out}");
    let lock = fs::read_to_string(p.join("tandem.lock")).unwrap();
    assert!(lock.contains("V1__baseline.sql"), "{lock}");
    assert!(lock.contains("name = \"1.4.0\""), "{lock}");

    // The baseline is frozen: editing schema.toml is refused by check and generate.
    fs::write(
        p.join("schema.toml"),
        USERS.replace("nickname     = { type = \"text\", nullable = true }", "nickname     = { type = \"text\", nullable = true }\nage = { type = \"integer\", nullable = true }"),
    )
    .unwrap();
    let check = run(p, &["check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(
        stderr(&check).contains("baseline is frozen"),
        "{}",
        stderr(&check)
    );
    let generate = run(p, &["generate"]);
    assert_eq!(generate.status.code(), Some(1), "{}", stderr(&generate));
    assert!(fs::read_to_string(p.join("migrations/V1__baseline.sql"))
        .unwrap()
        .find("\"age\"")
        .is_none());
    fs::write(p.join("schema.toml"), USERS).unwrap();

    // A change tagged with an earlier, implicitly cut release is refused; 1.6.0 is free.
    write_change(
        p,
        "0010_late.toml",
        &ADD_INDEX_150
            .replace("1.5.0", "1.4.0")
            .replace("email", "nickname"),
    );
    let check = run(p, &["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("release 1.4.0 is cut"),
        "{}",
        stderr(&check)
    );
    fs::remove_file(p.join("changes/0010_late.toml")).unwrap();
    write_change(
        p,
        "0011_next.toml",
        &ADD_INDEX_150
            .replace("1.5.0", "1.6.0")
            .replace("email", "nickname"),
    );
    ok(p, &["check"]);
}

#[test]
fn change_files_that_map_to_one_name_are_an_input_error() {
    let dir = common::project_files(
        "sqlite",
        USERS,
        &[
            ("0004_a.toml", ADD_INDEX_150),
            ("0004-a.toml", &ADD_INDEX_150.replace("email", "nickname")),
        ],
    );
    let p = dir.path();
    let out = run(p, &["generate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("0004_a.toml") && err.contains("0004-a.toml"),
        "{err}"
    );
    assert!(!p.join("migrations").exists());
}

#[test]
fn status_and_migrate_name_an_applied_file_whose_steps_changed() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "expand"]);
    let before = tree(p);
    // The steps of an applied change are edited: its expand file changes.
    let path = p.join("changes/0008_bio.toml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        format!(
            "{text}\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n"
        ),
    )
    .unwrap();
    ok(p, &["generate"]);
    let edited = changed(&before, &tree(p));
    assert_eq!(edited.len(), 1, "{edited:?}");

    let status = run(p, &["status"]);
    assert_eq!(status.status.code(), Some(1), "{}", stdout(&status));
    let text = stdout(&status);
    assert!(
        text.contains(&edited[0]) && text.contains("changes/0008_bio.toml"),
        "{text}"
    );
    let json = run(p, &["status", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
    assert_eq!(value["divergent"][0]["path"], edited[0].as_str());

    let migrate = run(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    assert_eq!(migrate.status.code(), Some(2));
    let err = stderr(&migrate);
    assert!(
        err.contains(&edited[0]) && err.contains("changes/0008_bio.toml"),
        "{err}"
    );
}

#[test]
fn status_names_a_file_missing_from_the_history() {
    let dir = users_project(
        "sqlite",
        &[
            INCIDENT[0],
            ("0008_bio.toml", &INCIDENT[1].1.replace("1.5.0", "2.0.0")),
        ],
    );
    let p = dir.path();
    ok(p, &["migrate", "--release", "2.0.0", "--phase", "expand"]);
    // An applied file's SQL disappears.
    let applied = tree(p)
        .into_keys()
        .find(|k| k.starts_with("2.0.0/"))
        .unwrap();
    fs::remove_file(p.join("migrations").join(&applied)).unwrap();
    let status = run(p, &["status", "--format", "json"]);
    assert_eq!(status.status.code(), Some(1), "{}", stdout(&status));
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        value["unknown_applied"].as_array().unwrap().len(),
        1,
        "{value}"
    );
}

#[test]
fn applied_files_keep_their_bytes_on_the_servers_too() {
    for server in [Server::Postgres, Server::Mysql] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), &INCIDENT[..1]);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        ok(
            p,
            &[
                "migrate",
                "--release",
                "1.4.0",
                "--phase",
                "expand",
                "--database-url",
                &url,
            ],
        );
        write_change(p, "0009_index.toml", ADD_INDEX_150);
        ok(p, &["generate"]);
        ok(p, &["status", "--database-url", &url]);
        ok(
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
        let status = ok(p, &["status", "--database-url", &url]);
        assert!(
            status.contains("every generated file is applied"),
            "{status}"
        );
    }
}

#[test]
fn header_lines_are_comments_whatever_the_steps_say() {
    // A check written over several lines, and a default_sql with a line break.
    let change = "release = \"1.4.0\"\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_id_small\"\ncheck = \"\"\"id > 0\nOR id < -5\"\"\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"age\", type = \"integer\", default_sql = \"\"\"1\n+ 1\"\"\" }\n";
    let dir = users_project("sqlite", &[("0001_multi.toml", change)]);
    let p = dir.path();
    for (path, text) in tree(p) {
        let body_start = text.find("\n\n").unwrap_or(text.len());
        for line in text[..body_start].lines() {
            assert!(
                line.starts_with("-- "),
                "{path}: header line runs as SQL: {line:?}"
            );
        }
    }
    ok(p, &["migrate", "--release", "1.4.0", "--phase", "contract"]);
}

/// Simple ops whose release is picked at random: enough to make files in every phase.
const OPS: &[&str] = &[
    "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"c{n}\", type = \"text\", nullable = true }",
    "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nname = \"i{n}\"",
    "type = \"sql\"\nexpand = \"SELECT {n}\"\ncontract = \"SELECT {n}\"\ndestructive = true",
    "type = \"sql\"\nexpand = \"SELECT {n}\"",
];
const RELEASES: &[&str] = &["1.0.0", "1.1.0", "1.2.0", "2.0.0"];
const NAMES: &[&str] = &["{n:04}_a", "{n:04}-b", "{n:04}_B", "x{n}"];

fn random_project(picks: &[(usize, usize, usize)]) -> tempfile::TempDir {
    let changes: Vec<(String, String)> = picks
        .iter()
        .enumerate()
        .map(|(n, &(name, release, op))| {
            let file = NAMES[name % NAMES.len()]
                .replace("{n:04}", &format!("{:04}", n % 3))
                .replace("{n}", &n.to_string());
            let body = OPS[op % OPS.len()].replace("{n}", &n.to_string());
            (
                format!("{file}.toml"),
                format!(
                    "release = \"{}\"\nsummary = \"change {n}\"\n\n[[op]]\n{body}\n",
                    RELEASES[release % RELEASES.len()]
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    common::project_files("sqlite", USERS, &refs)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the project: after one `generate`, a second changes nothing and
    /// `generate --check` agrees; a later release, a hotfix release or a summary edit
    /// changes no existing file.
    #[test]
    fn generate_is_idempotent_and_files_depend_only_on_their_steps(
        picks in proptest::collection::vec((0usize..4, 0usize..4, 0usize..4), 1..7)
    ) {
        let dir = random_project(&picks);
        let p = dir.path();
        let first = run(p, &["generate"]);
        if first.status.code() == Some(2) {
            // Two change files under one name: refused, nothing written.
            prop_assert!(stderr(&first).contains("would both be written as"), "{}", stderr(&first));
            prop_assert!(!p.join("migrations").exists());
            return Ok(());
        }
        prop_assert!(first.status.success(), "{}", stderr(&first));
        let before = tree(p);
        let second = ok(p, &["generate"]);
        prop_assert!(second.contains(" 0 changed"), "{}", second);
        prop_assert!(run(p, &["generate", "--check"]).status.success());

        for entry in fs::read_dir(p.join("changes")).unwrap() {
            let path = entry.unwrap().path();
            let text = fs::read_to_string(&path).unwrap().replace("summary = \"change", "summary = \"edited change");
            fs::write(&path, text).unwrap();
        }
        write_change(p, "9999_later.toml", "release = \"9.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 9\"\n");
        write_change(p, "9998_hotfix.toml", "release = \"1.0.1\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 8\"\n");
        ok(p, &["generate"]);
        prop_assert_eq!(changed(&before, &tree(p)), Vec::<String>::new());
    }
}

/// A newer tandem, or another template, may write the same steps in other words. A cut
/// release keeps its frozen bytes then (the lock holds a digest of its steps) instead of
/// refusing every plan: the files after it take the new wording, `check` and `generate
/// --check` agree, and `migrate` applies the frozen file. A frozen file that is gone
/// cannot be written again and is refused; a cut release whose steps change still is.
#[test]
fn a_cut_release_keeps_its_files_when_its_steps_are_written_in_other_words() {
    let dir = users_project("sqlite", &[INCIDENT[0], ("0009_index.toml", ADD_INDEX_150)]);
    let p = dir.path();
    ok(p, &["release", "cut", "1.4.0"]);
    let lock = fs::read_to_string(p.join("tandem.lock")).unwrap();
    assert!(lock.contains("steps = "), "{lock}");
    let before = tree(p);

    // Another wording of every file: a header of the project's own.
    fs::create_dir_all(p.join("tpl")).unwrap();
    fs::write(
        p.join("tpl/migration.sql.tera"),
        "-- ACME {{ release }} {{ phase }} {{ change }}\n{{ body }}\n",
    )
    .unwrap();
    let config = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        format!("templates_dir = \"tpl\"\n{config}"),
    )
    .unwrap();
    ok(p, &["plan"]);
    ok(p, &["generate"]);
    let after = tree(p);
    for (path, text) in &before {
        let frozen = path.starts_with("1.4.0/") || path.starts_with("V1__");
        assert_eq!(after.get(path) == Some(text), frozen, "{path}");
        if !frozen {
            assert!(
                after[path].starts_with("-- ACME 1.5.0"),
                "{path}: {}",
                after[path]
            );
        }
    }
    ok(p, &["check"]);
    ok(p, &["generate", "--check"]);
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    let status = ok(p, &["status"]);
    assert!(status.contains("1.5.0"), "{status}");

    // The frozen file is gone, and tandem now words it otherwise: refused, not rewritten.
    let frozen = before
        .keys()
        .find(|k| k.starts_with("1.4.0/"))
        .unwrap()
        .clone();
    fs::remove_file(p.join("migrations").join(&frozen)).unwrap();
    let out = run(p, &["generate"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not on disk as tandem.lock recorded it")
            && stderr(&out).contains(&frozen),
        "{}",
        stderr(&out)
    );
    assert!(!p.join("migrations").join(&frozen).exists());
    fs::write(p.join("migrations").join(&frozen), &before[&frozen]).unwrap();
    ok(p, &["check"]);

    // New steps in the cut release are refused as ever.
    write_change(
        p,
        "0008_more.toml",
        &ADD_INDEX_150
            .replace("1.5.0", "1.4.0")
            .replace("email", "nickname"),
    );
    let out = run(p, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("release 1.4.0 is cut"),
        "{}",
        stderr(&out)
    );
}

/// With every file applied and one of them changed since, status does not say that all is
/// applied above the file it refuses.
#[test]
fn status_does_not_call_a_divergent_history_all_applied() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    let text = ok(p, &["status"]);
    assert!(text.contains("every generated file is applied"), "{text}");
    let path = p.join("changes/0008_bio.toml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("type = \"text\"", "type = \"varchar(80)\""),
    )
    .unwrap();
    ok(p, &["generate"]);
    let status = run(p, &["status"]);
    let text = stdout(&status);
    assert_eq!(status.status.code(), Some(1), "{text}");
    assert!(
        text.contains("problem: applied with other contents"),
        "{text}"
    );
    assert!(!text.contains("every generated file is applied"), "{text}");
}

/// The lock records the dialect its frozen files are written in: switching tandem.toml's
/// dialect after a cut is an input error naming both, instead of a tree of two dialects.
/// A lock written before the dialect was recorded is not refused, and gets it on the next
/// write.
#[test]
fn a_cut_lock_refuses_another_dialect_and_an_old_lock_learns_its_own() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    ok(p, &["release", "cut", "1.4.0"]);
    let lock = fs::read_to_string(p.join("tandem.lock")).unwrap();
    assert!(lock.contains("dialect = \"sqlite\""), "{lock}");

    common::set_dialect(p, "postgres");
    for command in [&["check"][..], &["generate"], &["plan"]] {
        let out = run(p, command);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        assert!(
            err.contains("written for sqlite") && err.contains("dialect is postgres"),
            "{command:?}: {err}"
        );
        assert!(err.contains("tandem.lock:"), "{command:?}: {err}");
    }
    assert!(!p.join("migrations/1.5.0").exists() || files_are_sqlite(p));

    // A lock from before the field: accepted, and the next cut records the dialect.
    common::set_dialect(p, "sqlite");
    let old: String = lock
        .lines()
        .filter(|l| !l.starts_with("dialect"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(p.join("tandem.lock"), old).unwrap();
    ok(p, &["check"]);
    ok(p, &["release", "cut", "1.5.0"]);
    let lock = fs::read_to_string(p.join("tandem.lock")).unwrap();
    assert!(lock.contains("dialect = \"sqlite\""), "{lock}");
}

/// Whether every file of the project's migrations is still written for SQLite (none
/// carries a Postgres `SET lock_timeout`).
fn files_are_sqlite(p: &Path) -> bool {
    common::files_under(&p.join("migrations")).iter().all(|f| {
        !fs::read_to_string(p.join("migrations").join(f))
            .unwrap()
            .contains("lock_timeout")
    })
}

/// The tandem.lock an earlier tandem wrote for `release`: its files, path and checksum,
/// and no steps digest nor baseline.
fn old_lock(project: &Path, release: &str) -> String {
    let mut text = String::from(
        "# tandem.lock: releases frozen by `tandem release cut`. Do not edit by hand.\n\n",
    );
    text.push_str(&format!("[[release]]\nname = \"{release}\"\n"));
    for (path, body) in tree(project) {
        if path.starts_with(&format!("{release}/")) {
            let sha = tandem::lock::sha256_hex(body.as_bytes());
            text.push_str(&format!(
                "\n[[release.files]]\npath = \"{path}\"\nsha256 = \"{sha}\"\n"
            ));
        }
    }
    text
}

/// A lock cut by an earlier tandem records no steps digest and no baseline. After an
/// upgrade that words every file otherwise, the frozen files on disk stay, `check`,
/// `plan` and `generate` pass, and `generate` upgrades the lock in place (digests and
/// baseline), after which the baseline is frozen and the cut release's steps too.
#[test]
fn a_lock_cut_by_an_earlier_tandem_is_upgraded_in_place() {
    let dir = users_project("sqlite", &[INCIDENT[0], ("0009_index.toml", ADD_INDEX_150)]);
    let p = dir.path();
    // What the earlier tandem wrote: its own wording of every file, and its lock.
    fs::create_dir_all(p.join("tpl")).unwrap();
    fs::write(
        p.join("tpl/migration.sql.tera"),
        "-- OLD {{ release }} {{ phase }} {{ change }}\n{{ body }}\n",
    )
    .unwrap();
    let config = fs::read_to_string(p.join("tandem.toml")).unwrap();
    fs::write(
        p.join("tandem.toml"),
        format!("templates_dir = \"tpl\"\n{config}"),
    )
    .unwrap();
    ok(p, &["generate"]);
    let lock = old_lock(p, "1.4.0");
    assert!(!lock.contains("steps") && !lock.contains("[baseline]"));
    fs::write(p.join("tandem.lock"), &lock).unwrap();
    let before = tree(p);
    // This tandem words them otherwise.
    fs::remove_file(p.join("tpl/migration.sql.tera")).unwrap();

    ok(p, &["check"]);
    ok(p, &["plan"]);
    assert_eq!(fs::read_to_string(p.join("tandem.lock")).unwrap(), lock);
    let out = ok(p, &["generate"]);
    assert!(out.contains("upgraded tandem.lock"), "{out}");
    let after = tree(p);
    for (path, text) in &before {
        let frozen = path.starts_with("1.4.0/") || path.starts_with("V1__");
        assert_eq!(after.get(path) == Some(text), frozen, "{path}");
    }
    let upgraded = fs::read_to_string(p.join("tandem.lock")).unwrap();
    assert!(
        upgraded.contains("[baseline]") && upgraded.matches("steps = ").count() == 2,
        "{upgraded}"
    );
    ok(p, &["check"]);
    ok(p, &["generate", "--check"]);
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    ok(p, &["release", "cut", "1.5.0"]);

    // Upgraded, the lock freezes the baseline and the cut release's steps.
    let schema = fs::read_to_string(p.join("schema.toml")).unwrap();
    fs::write(
        p.join("schema.toml"),
        schema.replace(
            "nickname ",
            "nick = { type = \"text\", nullable = true }\nnickname ",
        ),
    )
    .unwrap();
    let out = run(p, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the baseline is frozen"),
        "{}",
        stderr(&out)
    );
    fs::write(p.join("schema.toml"), &schema).unwrap();
    write_change(
        p,
        "0008_more.toml",
        &ADD_INDEX_150
            .replace("1.5.0", "1.4.0")
            .replace("email", "nickname"),
    );
    let out = run(p, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("release 1.4.0 is cut"),
        "{}",
        stderr(&out)
    );
}

/// The `table` and `column` of a `sql` op only name what its SQL works on in messages,
/// as a summary does: adding, editing or removing them leaves every applied file as it
/// was, whatever phase the SQL runs in.
#[test]
fn message_only_fields_of_a_sql_op_change_no_applied_file() {
    const SQL_OP: &str = "release = \"1.4.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"UPDATE users SET nickname = 'x' WHERE id < 0\"\ncontract = \"ALTER TABLE users DROP COLUMN legacy_email\"\ndestructive = true\n";
    let dir = users_project(
        "sqlite",
        &[
            ("0007_sql.toml", SQL_OP),
            ("0008_next.toml", &common::select_one("1.5.0")),
        ],
    );
    let p = dir.path();
    ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    let before = tree(p);
    assert!(
        before.keys().any(|k| k.contains("contract_0007")),
        "{before:?}"
    );
    for fields in [
        "table = \"users\"\n",
        "table = \"users\"\ncolumn = \"legacy_email\"\n",
        "table = \"people\"\ncolumn = \"nickname\"\n",
    ] {
        write_change(
            p,
            "0007_sql.toml",
            &SQL_OP.replace("type = \"sql\"\n", &format!("type = \"sql\"\n{fields}")),
        );
        let out = ok(p, &["generate"]);
        assert!(out.contains("0 changed"), "{fields}: {out}");
        assert_eq!(changed(&before, &tree(p)), Vec::<String>::new());
        ok(p, &["status"]);
    }
}

/// A migrations directory that is a symbolic link, or lies under one, is written through
/// the link: after `generate` the link is still a link, the files are in the directory it
/// leads to (with what else lives there), and a second `generate` keeps it so.
#[cfg(unix)]
#[test]
fn generate_writes_through_a_symlinked_migrations_directory() {
    use std::os::unix::fs::symlink;
    for under_link in [false, true] {
        let dir = common::project_files("sqlite", USERS, &[INCIDENT[0]]);
        let p = dir.path();
        let elsewhere = tempfile::TempDir::new().unwrap();
        let real = elsewhere.path().join("shared");
        fs::create_dir_all(real.join("migrations")).unwrap();
        fs::write(real.join("migrations/README"), "kept\n").unwrap();
        let link = if under_link {
            // db -> <elsewhere>/shared; migrations_dir = "db/migrations".
            symlink(&real, p.join("db")).unwrap();
            let config = fs::read_to_string(p.join("tandem.toml")).unwrap();
            fs::write(
                p.join("tandem.toml"),
                format!("migrations_dir = \"db/migrations\"\n{config}"),
            )
            .unwrap();
            p.join("db")
        } else {
            // migrations -> ../<elsewhere>/shared/migrations, a relative link.
            let rel = Path::new("..")
                .join(elsewhere.path().file_name().unwrap())
                .join("shared/migrations");
            assert!(p.parent() == elsewhere.path().parent());
            symlink(&rel, p.join("migrations")).unwrap();
            p.join("migrations")
        };
        for _ in 0..2 {
            ok(p, &["generate"]);
            assert!(
                fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink(),
                "{}",
                link.display()
            );
            let files = common::files_under(&real.join("migrations"));
            assert!(files.contains(&"V1__baseline.sql".to_string()), "{files:?}");
            assert!(files.contains(&"README".to_string()), "{files:?}");
            let stray: Vec<_> = fs::read_dir(&real)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(stray, ["migrations"], "{stray:?}");
            write_change(p, "0009_index.toml", ADD_INDEX_150);
        }
        ok(p, &["check"]);
        ok(p, &["migrate", "--release", "1.5.0", "--phase", "contract"]);
    }
}

/// Renames `changes/<from>` to `changes/<to>`.
fn rename_change(project: &Path, from: &str, to: &str) {
    let changes = project.join("changes");
    fs::rename(changes.join(from), changes.join(to)).unwrap();
}

#[test]
fn renaming_an_applied_change_file_is_named_as_a_rename_on_every_server() {
    for server in Server::ALL {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = users_project(server.dialect(), INCIDENT);
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let migrate = |phase: &str| {
            run(
                p,
                &[
                    "migrate",
                    "--release",
                    "1.5.0",
                    "--phase",
                    phase,
                    "--database-url",
                    &url,
                ],
            )
        };
        let out = migrate("expand");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));
        rename_change(p, "0007_drop_legacy.toml", "0009_drop_legacy.toml");
        ok(p, &["generate"]);
        let out = migrate("contract");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{server:?}: {err}");
        assert!(
            err.contains("changes/0007_drop_legacy.toml -> changes/0009_drop_legacy.toml"),
            "{server:?}: {err}"
        );
        assert!(err.contains("renamed"), "{server:?}: {err}");
        assert!(!err.contains("out of order"), "{server:?}: {err}");
        let status = run(p, &["status", "--database-url", &url]);
        assert!(
            stdout(&status).contains(
                "its change file was renamed: changes/0007_drop_legacy.toml -> changes/0009_drop_legacy.toml"
            ),
            "{server:?}: {}",
            stdout(&status)
        );
        assert!(
            err.contains("git mv changes/0009_drop_legacy.toml changes/0007_drop_legacy.toml"),
            "{server:?}: {err}"
        );
        // Done as the help says, the files are the applied ones again and the contract runs.
        rename_change(p, "0009_drop_legacy.toml", "0007_drop_legacy.toml");
        let mv = err.split("`mv ").nth(1).and_then(|r| r.split('`').next());
        let (now, applied) = mv.and_then(|m| m.split_once(' ')).expect(&err);
        fs::rename(p.join(now), p.join(applied)).unwrap();
        ok(p, &["generate"]);
        let out = migrate("contract");
        assert!(out.status.success(), "{server:?}: {}", stderr(&out));

        // Renamed back without the file: it is named as renumbered.
        rename_change(p, "0007_drop_legacy.toml", "0009_drop_legacy.toml");
        ok(p, &["generate"]);
        rename_change(p, "0009_drop_legacy.toml", "0007_drop_legacy.toml");
        ok(p, &["generate"]);
        let out = migrate("contract");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{server:?}: {err}");
        assert!(err.contains("renumbered"), "{server:?}: {err}");
    }
}

#[test]
fn renaming_a_change_file_of_a_cut_release_is_named_as_a_rename() {
    let dir = users_project("sqlite", INCIDENT);
    let p = dir.path();
    ok(p, &["release", "cut", "1.4.0"]);
    rename_change(p, "0007_drop_legacy.toml", "0009_drop_legacy.toml");
    for args in [&["check"][..], &["generate"][..]] {
        let out = run(p, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("changes/0007_drop_legacy.toml -> changes/0009_drop_legacy.toml"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("git mv changes/0009_drop_legacy.toml changes/0007_drop_legacy.toml"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("would add"), "{args:?}: {err}");
        assert!(!err.contains("would remove"), "{args:?}: {err}");
    }
    rename_change(p, "0009_drop_legacy.toml", "0007_drop_legacy.toml");
    ok(p, &["check"]);
}
