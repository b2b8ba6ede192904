//! A load test, ignored by default: old-code and new-code clients (threads, each with
//! its own connection, running read-then-update transactions as an ORM does) against a
//! real server while `tandem migrate` runs every phase of a drop_column, a rename_column,
//! an add_column with backfill, an alter_column type change and a rename_table. It
//! counts the errors per phase per client kind and prints a table.
//!
//! ```sh
//! cargo test --release --test it load:: -- --ignored --nocapture
//! TANDEM_LOAD_CLIENTS=8 TANDEM_LOAD_ROWS=2000 cargo test --release --test it load::load_on_mariadb -- --ignored --nocapture
//! ```
//! `TANDEM_LOAD_THINK_MS` pauses each client between transactions (default 0: the
//! clients keep the table busy all the time). `TANDEM_LOAD_LOCK_WAIT=0` sets `[mysql] lock_wait_timeout` in the project (see the
//! README's MySQL notes).
//!
//! Bounded: each phase runs its clients for at most `TANDEM_LOAD_MAX_OPS` transactions
//! each and stops them once its migrate is done; the servers are the test servers on
//! 127.0.0.1 (`TANDEM_TEST_PG_URL`, `TANDEM_TEST_MYSQL_URL`).

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{stderr, tandem, Server};
use tandem::apply::database::{Database, Target};

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname = { type = "varchar(80)", nullable = true }
score = { type = "integer", default = 0 }
"#;

/// One change per release, in order; release 1.6.0 only makes 1.5.0's contract known.
const CHANGES: &[(&str, &str)] = &[
    (
        "0000_start.toml",
        "release = \"1.0.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
    ),
    (
        "0001_drop.toml",
        "release = \"1.1.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n",
    ),
    (
        "0002_rename.toml",
        "release = \"1.2.0\"\n[[op]]\ntype = \"rename_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nto = \"handle\"\n",
    ),
    (
        "0003_add.toml",
        "release = \"1.3.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\", nullable = true }\nbackfill_sql = \"lower(email)\"\n",
    ),
    (
        "0004_type.toml",
        "release = \"1.4.0\"\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ncolumn_type = \"bigint\"\nnew_name = \"points\"\n",
    ),
    (
        "0005_table.toml",
        "release = \"1.5.0\"\n[[op]]\ntype = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\n",
    ),
    (
        "0006_next.toml",
        "release = \"1.6.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
    ),
];

const RELEASES: &[&str] = &[
    "1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0",
];

/// What the code of a release reads and writes: its table, the column it updates, the
/// column of the score, and the columns its inserts write.
struct Code {
    table: &'static str,
    name_column: &'static str,
    score_column: &'static str,
    /// Extra columns an insert writes, with their values (`{id}` replaced).
    insert: &'static [(&'static str, &'static str)],
    /// A column only this code reads.
    reads: &'static str,
}

fn code(release: &str) -> Code {
    match release {
        "1.0.0" => Code {
            table: "users",
            name_column: "nickname",
            score_column: "score",
            insert: &[("legacy_email", "'old{id}@x'"), ("nickname", "'n{id}'")],
            reads: "legacy_email",
        },
        "1.1.0" => Code {
            table: "users",
            name_column: "nickname",
            score_column: "score",
            insert: &[("nickname", "'n{id}'")],
            reads: "nickname",
        },
        "1.2.0" => Code {
            table: "users",
            name_column: "handle",
            score_column: "score",
            insert: &[("handle", "'h{id}'")],
            reads: "handle",
        },
        "1.3.0" => Code {
            table: "users",
            name_column: "handle",
            score_column: "score",
            insert: &[("handle", "'h{id}'"), ("email_lower", "'u{id}@x'")],
            reads: "email_lower",
        },
        "1.4.0" => Code {
            table: "users",
            name_column: "handle",
            score_column: "points",
            insert: &[("handle", "'h{id}'"), ("email_lower", "'u{id}@x'")],
            reads: "points",
        },
        _ => Code {
            table: "accounts",
            name_column: "handle",
            score_column: "points",
            insert: &[("handle", "'h{id}'"), ("email_lower", "'u{id}@x'")],
            reads: "points",
        },
    }
}

/// Ids of inserted rows, unique across clients and phases.
static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default, Clone)]
struct Tally {
    ok: usize,
    errors: BTreeMap<String, usize>,
}

impl Tally {
    fn error_count(&self) -> usize {
        self.errors.values().sum()
    }
}

/// The kind of an error, short: the server's code where it gives one.
fn kind_of(message: &str) -> String {
    for marker in ["ERROR ", "SQLSTATE "] {
        if let Some(at) = message.find(marker) {
            let rest = &message[at + marker.len()..];
            return rest.chars().take_while(|c| !c.is_whitespace()).collect();
        }
    }
    message.chars().take(60).collect()
}

/// One client: read-then-update transactions (and an insert now and then) as the code
/// of `release` writes them, until `stop` or `max_ops`.
fn client(
    target: Target,
    release: &'static str,
    seed: u64,
    rows: usize,
    max_ops: usize,
    go: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally::default();
    while !go.load(Ordering::Relaxed) {
        if stop.load(Ordering::Relaxed) {
            return tally;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let Ok(mut db) = Database::connect(&target) else {
        tally.errors.insert("connect".into(), 1);
        return tally;
    };
    let begin = match target {
        Target::Postgres(_) => "BEGIN",
        _ => "START TRANSACTION",
    };
    let code = code(release);
    let think = env_usize("TANDEM_LOAD_THINK_MS", 0) as u64;
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for op in 0..max_ops {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if think > 0 {
            std::thread::sleep(Duration::from_millis(think));
        }
        let result = if op % 10 == 9 {
            let id = 1_000_000 + NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let (columns, values): (Vec<&str>, Vec<String>) = code
                .insert
                .iter()
                .map(|(c, v)| (*c, v.replace("{id}", &id.to_string())))
                .unzip();
            db.run_script(&format!(
                "INSERT INTO {} (id, email, {}) VALUES ({id}, 'U{id}@X', {})",
                code.table,
                columns.join(", "),
                values.join(", ")
            ))
        } else {
            let id = 1 + next() % rows;
            db.run_script(begin)
                .and_then(|()| {
                    db.query_text(&format!(
                        "SELECT id, email, {}, {}, {} FROM {} WHERE id = {id}",
                        code.name_column, code.score_column, code.reads, code.table
                    ))
                })
                .and_then(|_| {
                    db.run_script(&format!(
                        "UPDATE {} SET {} = '{release}-{op}', {score} = {score} + 1, email = 'U{id}@X' WHERE id = {id}",
                        code.table,
                        code.name_column,
                        score = code.score_column
                    ))
                })
                .and_then(|()| db.run_script("COMMIT"))
        };
        match result {
            Ok(()) => tally.ok += 1,
            Err(e) => {
                let _ = db.run_script("ROLLBACK");
                *tally.errors.entry(kind_of(&e.0)).or_default() += 1;
            }
        }
    }
    tally
}

fn load(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let clients = env_usize("TANDEM_LOAD_CLIENTS", 4);
    let rows = env_usize("TANDEM_LOAD_ROWS", 500);
    let max_ops = env_usize("TANDEM_LOAD_MAX_OPS", 20_000);
    let dir = common::project_files(server.dialect(), SCHEMA, CHANGES);
    if let Ok(wait) = std::env::var("TANDEM_LOAD_LOCK_WAIT") {
        let path = dir.path().join("tandem.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            format!("{text}\n[mysql]\nlock_wait_timeout = {wait}\n"),
        )
        .unwrap();
    }
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let url = common::database_url(server, &scratch, dir.path());
    let target = Target::parse(&url, dir.path()).unwrap();
    let run = |release: &str, phase: &str| {
        let started = Instant::now();
        let out = common::migrate(dir.path(), &url, release, phase);
        (out, started.elapsed())
    };
    let (out, _) = run("1.0.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = Database::connect(&target).unwrap();
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(100) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| format!("({i}, 'U{i}@X', 'old{i}@x', 'n{i}', 0)"))
            .collect();
        db.run_script(&format!(
            "INSERT INTO users (id, email, legacy_email, nickname, score) VALUES {}",
            values.join(", ")
        ))
        .unwrap();
    }

    let mut table = Vec::new();
    for window in RELEASES.windows(2) {
        let (old, new) = (window[0], window[1]);
        for phase in ["expand", "contract"] {
            // R's code rolls out once expand(R) is done: during the expand only R-1's
            // clients run, R's start the moment it ends. During contract(R) both run:
            // R everywhere, R-1 as the rollback target.
            let stop = Arc::new(AtomicBool::new(false));
            let now = Arc::new(AtomicBool::new(true));
            let after = Arc::new(AtomicBool::new(phase == "contract"));
            let mut handles = Vec::new();
            for i in 0..clients {
                for (kind, release) in [("old", old), ("new", new)] {
                    let go = if kind == "new" {
                        after.clone()
                    } else {
                        now.clone()
                    };
                    let (target, stop) = (target.clone(), stop.clone());
                    let release: &'static str = release;
                    let seed = (i * 2 + usize::from(kind == "new")) as u64 + 1;
                    handles.push((
                        kind,
                        std::thread::spawn(move || {
                            client(target, release, seed, rows, max_ops, go, stop)
                        }),
                    ));
                }
            }
            std::thread::sleep(Duration::from_millis(300));
            let (out, took) = run(new, phase);
            after.store(true, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(500));
            stop.store(true, Ordering::Relaxed);
            let mut old_tally = Tally::default();
            let mut new_tally = Tally::default();
            for (kind, handle) in handles {
                let t = handle.join().unwrap();
                let sum = if kind == "old" {
                    &mut old_tally
                } else {
                    &mut new_tally
                };
                sum.ok += t.ok;
                for (k, n) in t.errors {
                    *sum.errors.entry(k).or_default() += n;
                }
            }
            let migrate = if out.status.success() {
                format!("ok {:.1}s", took.as_secs_f64())
            } else {
                format!(
                    "FAILED: {}",
                    stderr(&out).lines().next().unwrap_or_default()
                )
            };
            table.push((
                format!("{phase}({new})"),
                format!("{old} vs {new}"),
                migrate,
                old_tally,
                new_tally,
            ));
            assert!(out.status.success(), "{phase}({new}): {}", stderr(&out));
        }
    }

    println!(
        "\nload on {} ({clients} old + {clients} new clients, {rows} rows)",
        server.dialect()
    );
    println!(
        "{:<16} {:<16} {:<12} {:>8} {:>7} {:>8} {:>7}  errors",
        "phase", "code", "migrate", "old ok", "old err", "new ok", "new err"
    );
    let mut total = 0;
    for (phase, codes, migrate, old, new) in &table {
        let mut kinds: BTreeMap<String, usize> = old.errors.clone();
        for (k, n) in &new.errors {
            *kinds.entry(k.clone()).or_default() += n;
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} x{n}")).collect();
        total += old.error_count() + new.error_count();
        println!(
            "{phase:<16} {codes:<16} {migrate:<12} {:>8} {:>7} {:>8} {:>7}  {}",
            old.ok,
            old.error_count(),
            new.ok,
            new.error_count(),
            kinds.join(", ")
        );
    }
    println!("total client errors: {total}\n");
    if std::env::var_os("TANDEM_LOAD_ALLOW_ERRORS").is_some() {
        return;
    }
    // MariaDB's metadata locks: a DDL waiting for its lock and a transaction that read the
    // table before it and writes after it deadlock, and the server picks the transaction
    // (1213). Not tandem's to remove; see the README's MySQL notes. Anything else fails.
    let unexpected: Vec<String> = table
        .iter()
        .flat_map(|(phase, _, _, old, new)| {
            old.errors
                .keys()
                .chain(new.errors.keys())
                .filter(|k| !(server == Server::Mysql && k.as_str() == "1213"))
                .map(move |k| format!("{phase}: {k}"))
        })
        .collect();
    assert!(unexpected.is_empty(), "client errors: {unexpected:?}");
}

#[test]
#[ignore = "a load test: cargo test --release --test it load:: -- --ignored --nocapture"]
fn load_on_mariadb() {
    load(Server::Mysql);
}

#[test]
#[ignore = "a load test: cargo test --release --test it load:: -- --ignored --nocapture"]
fn load_on_postgres() {
    load(Server::Postgres);
}
