//! `migrate --targets` and `status --targets`: one release over many databases. SQLite
//! files in a temp dir for the wave, failure, barrier, catch-up and kill -9 cases, and
//! fresh Postgres and MariaDB databases for the same run on real servers. The gate runs
//! for real here (no `TANDEM_SKIP_FLEET_CHECK`): the project says `[fleet] source =
//! "none"` with a reason, as a project whose fleet shows nothing would.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{connect, stderr, stdout, tandem_with_fleet_gate, Server};
use tempfile::TempDir;

const REASON: &str = "test fleet: nothing else connects";

/// Three releases: expand(1.0.0) adds users.nick; expand(1.1.0) creates t1 and
/// contract(1.1.0) drops users.legacy_email; expand(1.2.0) adds users.bio.
fn project(dialect: &str) -> TempDir {
    let toml = format!(
        "dialect = \"{dialect}\"\ndatabase_url = \"sqlite://app.db\"\n\n[fleet]\nsource = \"none\"\nreason = \"{REASON}\"\n"
    );
    let changes = [
        (
            "0001_nick.toml",
            "release = \"1.0.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"nick\", type = \"text\", nullable = true }\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n",
        ),
        (
            "0002_t1.toml",
            "release = \"1.1.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"CREATE TABLE t1 (id INTEGER)\"\n",
        ),
        (
            "0003_bio.toml",
            "release = \"1.2.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n",
        ),
    ];
    let dir = common::project_dir(&toml, common::USERS, &changes);
    let out = tandem_with_fleet_gate(dir.path())
        .arg("generate")
        .output()
        .unwrap();
    assert!(out.status.success(), "generate: {}", stderr(&out));
    dir
}

/// The versions of each slot, as the project above makes them.
const BASELINE: i64 = 1;
const EXPAND_100: i64 = 1000;
const EXPAND_110: i64 = 2000;
const CONTRACT_110: i64 = 2010;
const EXPAND_120: i64 = 3000;

/// A targets file of `(name, url, wave)` written into the project.
fn targets_file(dir: &Path, file: &str, targets: &[(String, String, u32)]) -> String {
    let mut text = String::new();
    for (name, url, wave) in targets {
        text.push_str(&format!(
            "[[target]]\nname = {}\nurl = {}\nwave = {wave}\n\n",
            toml_str(name),
            toml_str(url)
        ));
    }
    let path = dir.join(file);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn toml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `n` SQLite targets `t0..` in the project, waves given per target.
fn sqlite_targets(dir: &Path, waves: &[u32]) -> Vec<(String, String, u32)> {
    waves
        .iter()
        .enumerate()
        .map(|(i, w)| {
            (
                format!("t{i}"),
                format!("sqlite://{}", dir.join(format!("t{i}.db")).display()),
                *w,
            )
        })
        .collect()
}

fn fleet_migrate(dir: &Path, targets: &str, release: &str, phase: &str, more: &[&str]) -> Output {
    tandem_with_fleet_gate(dir)
        .args([
            "migrate",
            "--release",
            release,
            "--phase",
            phase,
            "--targets",
            targets,
        ])
        .args(more)
        .output()
        .unwrap()
}

/// The versions in a database's history, in the order they were applied.
fn history(url: &str, dir: &Path) -> Vec<i64> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if !Path::new(path).exists() {
            return Vec::new();
        }
    }
    let mut db = connect(url, dir);
    if !db.has_own_table("refinery_schema_history").unwrap() {
        return Vec::new();
    }
    db.query_text("SELECT version FROM refinery_schema_history ORDER BY applied_on, version")
        .unwrap()
        .into_iter()
        .map(|r| r[0].as_deref().unwrap().parse().unwrap())
        .collect()
}

/// Makes the target's expand(1.1.0) fail: t1 exists already (no baseline table, so the
/// baseline still runs).
fn break_expand_110(url: &str, dir: &Path) {
    let mut db = connect(url, dir);
    db.run_script("CREATE TABLE t1 (id INTEGER)").unwrap();
}

#[test]
fn a_failing_target_in_wave_0_stops_wave_1() {
    let dir = project("sqlite");
    let targets = sqlite_targets(dir.path(), &[0, 0, 1, 1]);
    break_expand_110(&targets[0].1, dir.path());
    let file = targets_file(dir.path(), "targets.toml", &targets);
    let out = fleet_migrate(dir.path(), &file, "1.1.0", "expand", &["--parallel", "2"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("t0  wave 0  FAILED"), "{text}");
    assert!(
        text.contains("already exists"),
        "the database's own error: {text}"
    );
    assert!(text.contains("t1  wave 0  migrated"), "{text}");
    assert!(
        text.contains(
            "1 target(s) of wave 0 failed expand(1.1.0): later waves and phases not started"
        ),
        "{text}"
    );
    for (name, url, _) in &targets[2..] {
        assert!(
            text.contains(&format!("{name}  wave 1  not reached")),
            "{text}"
        );
        // Wave 1 went through the slots before, wave by wave, but not expand(1.1.0).
        assert_eq!(
            history(url, dir.path()),
            vec![BASELINE, EXPAND_100],
            "{name}"
        );
    }
    assert_eq!(
        history(&targets[1].1, dir.path()),
        vec![BASELINE, EXPAND_100, EXPAND_110]
    );
    // Machine-readable: the same outcome as JSON.
    let json = fleet_migrate(dir.path(), &file, "1.1.0", "expand", &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["targets"][0]["state"], "failed");
    assert_eq!(value["targets"][2]["state"], "not_reached");
    assert_eq!(value["targets"][1]["state"], "already_there");
}

#[test]
fn max_failures_stops_starting_targets() {
    let dir = project("sqlite");
    let targets = sqlite_targets(dir.path(), &[0; 6]);
    for t in &targets[..4] {
        break_expand_110(&t.1, dir.path());
    }
    let file = targets_file(dir.path(), "targets.toml", &targets);
    let out = fleet_migrate(
        dir.path(),
        &file,
        "1.1.0",
        "expand",
        &["--parallel", "1", "--max-failures", "2"],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("FAILED").count(), 2, "{text}");
    assert_eq!(text.matches("not reached  ").count(), 4, "{text}");
    assert!(text.contains("--max-failures 2 reached"), "{text}");
    assert_eq!(
        history(&targets[5].1, dir.path()),
        vec![BASELINE, EXPAND_100]
    );
}

#[test]
fn the_barrier_refuses_contract_while_one_target_lacks_expand() {
    let dir = project("sqlite");
    let targets = sqlite_targets(dir.path(), &[0, 0, 0]);
    let ahead = targets_file(dir.path(), "ahead.toml", &targets[..2]);
    let lagging = targets_file(dir.path(), "lagging.toml", &targets[2..]);
    let all = targets_file(dir.path(), "all.toml", &targets);
    assert!(fleet_migrate(dir.path(), &ahead, "1.1.0", "expand", &[])
        .status
        .success());
    assert!(fleet_migrate(dir.path(), &lagging, "1.0.0", "expand", &[])
        .status
        .success());
    let out = fleet_migrate(dir.path(), &all, "1.1.0", "contract", &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("phase barrier: contract(1.1.0) starts on no target until every target has applied expand(1.1.0)"), "{err}");
    assert!(err.contains("t2 is at expand(1.0.0)"), "{err}");
    assert!(!err.contains("t0 is at"), "{err}");
    for t in &targets[..2] {
        assert!(!history(&t.1, dir.path()).contains(&CONTRACT_110));
    }
    // Forced: contracted everywhere, the reason recorded on each target beside the gate's.
    let forced = fleet_migrate(
        dir.path(),
        &all,
        "1.1.0",
        "contract",
        &["--force-barrier", "--reason", "tenant t2 is being retired"],
    );
    assert!(
        forced.status.success(),
        "{}{}",
        stdout(&forced),
        stderr(&forced)
    );
    for t in &targets {
        assert_eq!(
            history(&t.1, dir.path()),
            vec![BASELINE, EXPAND_100, EXPAND_110, CONTRACT_110]
        );
        let mut db = connect(&t.1, dir.path());
        let rows = db
            .query_text("SELECT release_name, phase, reason FROM tandem_fleet_skips")
            .unwrap();
        let reasons: Vec<String> = rows.iter().map(|r| r[2].clone().unwrap()).collect();
        assert!(
            reasons.contains(&"--force-barrier: tenant t2 is being retired".to_string()),
            "{}: {reasons:?}",
            t.0
        );
        assert!(rows
            .iter()
            .all(|r| r[0].as_deref() == Some("1.1.0") && r[1].as_deref() == Some("contract")));
    }
    // --force-barrier without --targets, or without a reason, is bad usage.
    let bare = tandem_with_fleet_gate(dir.path())
        .args([
            "migrate",
            "--release",
            "1.1.0",
            "--phase",
            "contract",
            "--force-barrier",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(2), "{}", stderr(&bare));
    let no_reason = fleet_migrate(dir.path(), &all, "1.1.0", "contract", &["--force-barrier"]);
    assert_eq!(no_reason.status.code(), Some(2));
}

#[test]
fn a_target_two_releases_behind_is_caught_up_release_by_release() {
    let dir = project("sqlite");
    let targets = sqlite_targets(dir.path(), &[0, 0, 1]);
    let two = targets_file(dir.path(), "two.toml", &targets[..2]);
    let behind = targets_file(dir.path(), "behind.toml", &targets[2..]);
    let all = targets_file(dir.path(), "all.toml", &targets);
    assert!(fleet_migrate(dir.path(), &two, "1.2.0", "expand", &[])
        .status
        .success());
    assert!(fleet_migrate(dir.path(), &behind, "1.0.0", "expand", &[])
        .status
        .success());
    let status = tandem_with_fleet_gate(dir.path())
        .args(["status", "--targets", &all])
        .output()
        .unwrap();
    let text = stdout(&status);
    assert!(
        text.contains("t2  wave 1  expand(1.0.0)  (2 release(s) behind 1.2.0)"),
        "{text}"
    );
    assert!(
        text.contains("t0  wave 0  expand(1.2.0)  (up to date)"),
        "{text}"
    );
    assert!(
        text.contains("3 target(s): 1 at expand(1.0.0), 2 at expand(1.2.0)"),
        "{text}"
    );
    let out = fleet_migrate(dir.path(), &all, "1.2.0", "expand", &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("t2  wave 1  migrated       expand(1.0.0) -> expand(1.2.0)  (3 file(s)"),
        "{text}"
    );
    assert!(
        text.contains("t0  wave 0  already there  at expand(1.2.0)"),
        "{text}"
    );
    // In the project's order: expand(1.1.0), contract(1.1.0), then expand(1.2.0).
    assert_eq!(
        history(&targets[2].1, dir.path()),
        vec![BASELINE, EXPAND_100, EXPAND_110, CONTRACT_110, EXPAND_120]
    );
}

#[test]
fn status_shows_positions_errors_and_blocks_as_text_json_html_and_mermaid() {
    let dir = project("sqlite");
    let mut targets = sqlite_targets(dir.path(), &[0, 0]);
    targets[1].0 = "<script>alert(\"x\")</script> | ü".into();
    break_expand_110(&targets[1].1, dir.path());
    let file = targets_file(dir.path(), "targets.toml", &targets);
    let out = fleet_migrate(dir.path(), &file, "1.1.0", "expand", &[]);
    assert_eq!(out.status.code(), Some(1));
    let status = |format: &str| {
        let out = tandem_with_fleet_gate(dir.path())
            .args(["status", "--targets", &file, "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        stdout(&out)
    };
    let text = status("text");
    assert!(
        text.starts_with("t0 ")
            && text.contains("  wave 0  expand(1.1.0)  (1 release(s) behind 1.2.0)"),
        "{text}"
    );
    assert!(
        text.contains("blocked: contract(1.1.0) waits for expand(1.1.0) on <script>"),
        "{text}"
    );
    assert!(
        text.contains("last error: error: applying 1.1.0/V2000__expand_0002_t1.sql"),
        "{text}"
    );
    assert!(
        text.contains("2 target(s): 1 at expand(1.0.0), 1 at expand(1.1.0)"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&status("json")).unwrap();
    assert_eq!(json["targets"][1]["position"], "expand(1.0.0)");
    assert_eq!(json["targets"][1]["behind"], 2);
    assert_eq!(json["targets"][0]["releases"][1]["expand"], "applied");
    assert!(json["targets"][1]["last_error"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let html = status("html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script>"), "escaped: {html}");
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; | ü"),
        "{html}"
    );
    assert!(
        html.contains("<b>blocked</b>: contract(1.1.0) waits for expand(1.1.0)"),
        "{html}"
    );
    let mermaid = status("mermaid");
    assert!(mermaid.contains("```mermaid\nflowchart LR\n"), "{mermaid}");
    assert!(mermaid.contains(":::failed"), "{mermaid}");
    assert!(
        mermaid.contains("\\|"),
        "a | in a name kept out of the table's columns: {mermaid}"
    );
    // A picture of one database is not a thing.
    let one = tandem_with_fleet_gate(dir.path())
        .args(["status", "--format", "html"])
        .output()
        .unwrap();
    assert_eq!(one.status.code(), Some(2));
}

#[test]
fn bad_targets_files_are_errors_with_their_place() {
    let dir = project("sqlite");
    let cases = [
        ("[[target]]\nname = \"a\"\nurl = \"sqlite://a.db\"\n[[target]]\nname = \"a\"\nurl = \"sqlite://b.db\"\n", ":5:8", "listed twice"),
        ("[[target]]\nname = \"a\"\n", ":1:1", "missing field `url`"),
        ("[[target]]\nname = \"a\"\nurl = \"sqlite://a.db\"\nwaves = 1\n", ":4:1", "did you mean `wave`"),
        ("[[target]]\nname = \"a\"\nurl = \"nope://x\"\n", "target `a`", ""),
        ("[[target]]\nname = \"a\"\nurl = \"postgres://u@127.0.0.1/x\"\n", "target `a`", "written for sqlite"),
        ("[[target]]\nname = \"a\"\nurl = \"sqlite::memory:\"\n", "target `a`", "in-memory"),
        ("", "lists no target", ""),
        (
            "[[target]]\nname = \"a\"\nurl = \"sqlite://x.db\"\n[[target]]\nname = \"b\"\nurl = \"sqlite://./x.db\"\n",
            "target `b`",
            "same database as target `a`",
        ),
    ];
    for (text, place, what) in cases {
        let path = dir.path().join("bad.toml");
        fs::write(&path, text).unwrap();
        let out = fleet_migrate(
            dir.path(),
            &path.display().to_string(),
            "1.0.0",
            "expand",
            &[],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(place) && err.contains(what), "{text}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // --targets-cmd: the same TOML from a command's output.
    let targets = sqlite_targets(dir.path(), &[0]);
    let file = targets_file(dir.path(), "targets.toml", &targets);
    let out = tandem_with_fleet_gate(dir.path())
        .args(["migrate", "--release", "1.0.0", "--phase", "expand"])
        .args(["--targets-cmd", &format!("cat '{file}'")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        history(&targets[0].1, dir.path()),
        vec![BASELINE, EXPAND_100]
    );
    let failing = tandem_with_fleet_gate(dir.path())
        .args([
            "migrate",
            "--release",
            "1.0.0",
            "--phase",
            "expand",
            "--targets-cmd",
            "exit 3",
        ])
        .output()
        .unwrap();
    assert_eq!(failing.status.code(), Some(2));
    assert!(stderr(&failing).contains("--targets-cmd `exit 3` failed"));
}

/// The same fleet run on fresh Postgres and MariaDB databases, with a SQLite target
/// beside them: expand then contract, each file once in each history, the gate's
/// "no source" reason recorded on each contract.
#[test]
fn a_fleet_of_server_databases_runs_expand_then_contract() {
    for server in [Server::Postgres, Server::Mysql] {
        let dir = project(server.dialect());
        let scratches: Vec<_> = (0..3).filter_map(|_| server.fresh()).collect();
        if scratches.len() < 3 {
            continue;
        }
        let mut targets: Vec<(String, String, u32)> = scratches
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    format!("{}-{i}", server.dialect()),
                    common::database_url(server, s, dir.path()),
                    u32::from(i > 0),
                )
            })
            .collect();
        targets.push((
            "local".into(),
            format!("sqlite://{}", dir.path().join("local.db").display()),
            1,
        ));
        let file = targets_file(dir.path(), "targets.toml", &targets);
        let expand = fleet_migrate(dir.path(), &file, "1.2.0", "expand", &["--parallel", "3"]);
        assert!(
            expand.status.success(),
            "{server:?}: {}{}",
            stdout(&expand),
            stderr(&expand)
        );
        let contract = fleet_migrate(dir.path(), &file, "1.2.0", "contract", &[]);
        assert!(
            contract.status.success(),
            "{server:?}: {}",
            stderr(&contract)
        );
        let again = fleet_migrate(dir.path(), &file, "1.2.0", "contract", &[]);
        assert_eq!(
            stdout(&again).matches("  already there  ").count(),
            4,
            "{}",
            stdout(&again)
        );
        for (name, url, _) in &targets {
            assert_eq!(
                history(url, dir.path()),
                vec![BASELINE, EXPAND_100, EXPAND_110, CONTRACT_110, EXPAND_120],
                "{server:?} {name}"
            );
        }
        // Server targets: contract(1.1.0) ran through the gate, which had no source on
        // MariaDB (performance_schema off) and recorded the project's reason; Postgres
        // shows its connections, so nothing is recorded there.
        let mut db = connect(&targets[0].1, dir.path());
        let recorded = if db.has_own_table("tandem_fleet_skips").unwrap() {
            db.query_text("SELECT reason FROM tandem_fleet_skips")
                .unwrap()
        } else {
            Vec::new()
        };
        if server == Server::Mysql {
            assert!(
                recorded
                    .iter()
                    .any(|r| r[0].as_deref().unwrap().contains(REASON)),
                "{recorded:?}"
            );
        }
    }
}

/// `kill -9` of a fleet run at a random moment, then the same command again: every
/// target ends at the goal with each file once in its history, and the second run's
/// report names every target.
#[test]
fn a_run_killed_at_any_moment_converges_when_run_again() {
    let seeds: u64 = std::env::var("TANDEM_FLEET_KILL_SEEDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8);
    // How long an uninterrupted run takes here, now: the kills land at fractions of it.
    let full_run = {
        let dir = project("sqlite");
        let targets = sqlite_targets(dir.path(), &[0, 0, 1, 1, 1, 2, 2, 2]);
        let file = targets_file(dir.path(), "targets.toml", &targets);
        let started = std::time::Instant::now();
        let out = fleet_migrate(dir.path(), &file, "1.2.0", "expand", &["--parallel", "3"]);
        assert!(out.status.success(), "{}", stderr(&out));
        started.elapsed()
    };
    let mut killed_midway = 0;
    for seed in 0..seeds {
        let dir = project("sqlite");
        let targets = sqlite_targets(dir.path(), &[0, 0, 1, 1, 1, 2, 2, 2]);
        let file = targets_file(dir.path(), "targets.toml", &targets);
        // A small xorshift: the same delays for the same seed.
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let delay = full_run.mul_f64((x % 1000) as f64 / 1000.0);
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tandem"))
            .args(["--project"])
            .arg(dir.path())
            .args([
                "migrate",
                "--release",
                "1.2.0",
                "--phase",
                "expand",
                "--targets",
                &file,
            ])
            .args(["--parallel", "3"])
            .env_remove("TANDEM_SKIP_FLEET_CHECK")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let full = [BASELINE, EXPAND_100, EXPAND_110, CONTRACT_110, EXPAND_120].len();
        let lengths: Vec<usize> = targets
            .iter()
            .map(|t| history(&t.1, dir.path()).len())
            .collect();
        if lengths.iter().any(|&n| n > 0 && n < full) || lengths.iter().any(|&n| n != lengths[0]) {
            killed_midway += 1;
        }
        eprintln!("seed {seed}: killed after {delay:?}, histories {lengths:?}");
        let out = fleet_migrate(dir.path(), &file, "1.2.0", "expand", &[]);
        let text = stdout(&out);
        assert!(
            out.status.success(),
            "seed {seed} ({delay:?}): {text}{}",
            stderr(&out)
        );
        for (name, url, _) in &targets {
            assert!(
                text.contains(&format!("{name}  wave")),
                "seed {seed}: {name} named: {text}"
            );
            assert_eq!(
                history(url, dir.path()),
                vec![BASELINE, EXPAND_100, EXPAND_110, CONTRACT_110, EXPAND_120],
                "seed {seed} ({delay:?}): {name}"
            );
            let mut db = connect(url, dir.path());
            let t1 = db
                .query_text("SELECT count(*) FROM sqlite_master WHERE name = 't1'")
                .unwrap();
            assert_eq!(t1[0][0].as_deref(), Some("1"));
        }
        // Done targets are skipped: a third run applies nothing.
        let third = fleet_migrate(dir.path(), &file, "1.2.0", "expand", &[]);
        assert_eq!(
            stdout(&third).matches("  already there  ").count(),
            targets.len()
        );
    }
    // The delays do land inside runs, not only before or after them.
    assert!(
        seeds < 4 || killed_midway >= 1,
        "{killed_midway} of {seeds} kills landed mid-run"
    );
}

/// A file and its history row commit together: when the history insert fails, the
/// file's work is rolled back with it, so no run can leave a file applied but
/// unrecorded (the next run would apply it again).
#[test]
fn a_file_and_its_history_row_commit_together() {
    for server in [Server::Sqlite, Server::Postgres] {
        let dir = project(server.dialect());
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let url = common::database_url(server, &scratch, dir.path());
        let file = targets_file(
            dir.path(),
            "targets.toml",
            &[("one".into(), url.clone(), 0)],
        );
        assert!(fleet_migrate(dir.path(), &file, "1.0.0", "expand", &[])
            .status
            .success());
        let mut db = connect(&url, dir.path());
        let trigger = match server {
            Server::Sqlite => "CREATE TRIGGER no_history BEFORE INSERT ON refinery_schema_history BEGIN SELECT RAISE(ABORT, 'history refused'); END;".to_string(),
            _ => "CREATE FUNCTION no_history() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'history refused'; END $$;\nCREATE TRIGGER no_history BEFORE INSERT ON refinery_schema_history FOR EACH ROW EXECUTE FUNCTION no_history();".to_string(),
        };
        db.run_script(&trigger).unwrap();
        let out = fleet_migrate(dir.path(), &file, "1.1.0", "expand", &[]);
        assert_eq!(out.status.code(), Some(1), "{server:?}: {}", stdout(&out));
        assert!(stdout(&out).contains("history refused"), "{}", stdout(&out));
        let t1 = db
            .table_names()
            .unwrap()
            .into_iter()
            .filter(|t| t == "t1")
            .count();
        assert_eq!(
            t1, 0,
            "{server:?}: the file's table was rolled back with its history row"
        );
    }
}
