//! Lock retries written into the SQL, for files that a plain runner applies: a
//! transaction holding a row lock makes each attempt of a generated DDL give up after
//! the short lock timeout and try again, while writers of the table wait at most one
//! attempt; the file succeeds once the holder lets go, and fails with a clear error
//! after its last attempt when the holder never does.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{project_files, stderr, tandem, Server, USERS_AND_ORDERS};
use tandem::apply::database::{Database, Target};

/// One change that adds a column to each of two tables: one file, two locks.
const TWO_TABLES: &[(&str, &str)] = &[(
    "0001_notes.toml",
    r#"release = "1.1.0"
summary = "Notes on users and orders"

[[op]]
type = "add_column"
table = "users"
column = { name = "bio", type = "text", nullable = true }

[[op]]
type = "add_column"
table = "orders"
column = { name = "memo", type = "text", nullable = true }
"#,
)];

const LOCK_TIMEOUT_MS: u64 = 300;

/// A Postgres project over users and orders with short lock waits and `retries`.
fn project(dialect: &str, retries: u32) -> tempfile::TempDir {
    let dir = project_files(dialect, USERS_AND_ORDERS, TWO_TABLES);
    let toml = dir.path().join("tandem.toml");
    let mut text = std::fs::read_to_string(&toml).unwrap();
    text.push_str(&format!(
        "lock_retries = {retries}\n\n[postgres]\nlock_timeout = \"{LOCK_TIMEOUT_MS}ms\"\n\n\
         [mysql]\nlock_wait_timeout = 1\n"
    ));
    std::fs::write(&toml, text).unwrap();
    let out = tandem(dir.path()).arg("generate").output().unwrap();
    assert!(out.status.success(), "generate: {}", stderr(&out));
    dir
}

fn file(project: &Path, prefix: &str) -> std::path::PathBuf {
    let mut found = Vec::new();
    let mut dirs = vec![project.join("migrations")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.file_name().unwrap().to_string_lossy().contains(prefix) {
                found.push(p);
            }
        }
    }
    assert_eq!(found.len(), 1, "{prefix}: {found:?}");
    found.pop().unwrap()
}

fn psql(url: &str, file: &Path, single_transaction: bool) -> std::process::Output {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"]);
    if single_transaction {
        cmd.arg("-1");
    }
    cmd.arg("-d").arg(url).arg("-f").arg(file);
    cmd.output().expect("psql runs")
}

/// Baseline applied, a few rows in each table.
fn seeded(url: &str, project: &Path) -> Target {
    let out = psql(url, &file(project, "baseline"), true);
    assert!(out.status.success(), "baseline: {}", stderr(&out));
    let target = Target::parse(url, project).unwrap();
    let mut db = Database::connect(&target).unwrap();
    db.run_script(
        "INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'a'), (2, 'b@x', 'b');\n\
         INSERT INTO orders (id, user_id) VALUES (1, 1), (2, 2);",
    )
    .unwrap();
    target
}

/// A transaction that locks a row of `table` until `release` is set.
fn hold(target: &Target, sql: &str, release: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let target = target.clone();
    let sql = sql.to_string();
    let handle = std::thread::spawn(move || {
        let mut db = Database::connect(&target).unwrap();
        db.run_script("BEGIN").unwrap();
        db.query_text(&sql).unwrap();
        locked_tx.send(()).unwrap();
        while !release.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        db.run_script("COMMIT").unwrap();
    });
    locked_rx.recv().unwrap();
    handle
}

/// Sets `release` after `after`, from a thread of its own: the holder lets go then.
fn release_after(release: &Arc<AtomicBool>, after: Duration) -> std::thread::JoinHandle<()> {
    let release = release.clone();
    std::thread::spawn(move || {
        std::thread::sleep(after);
        release.store(true, Ordering::SeqCst);
    })
}

/// The statements of the generated file whose name contains `prefix` that mention
/// `marker`, as a plain client would run them.
fn statements_of(project: &Path, target: &Target, prefix: &str, marker: &str) -> Vec<String> {
    let sql = std::fs::read_to_string(file(project, prefix)).unwrap();
    let found: Vec<String> = tandem::sql::split::statements(target.dialect(), &sql)
        .into_iter()
        .filter(|s| s.contains(marker))
        .collect();
    assert_eq!(found.len(), 4, "create, call and drop of {marker}: {sql}");
    found
}

/// Runs `statements` through the plain mariadb client, with lock waits of 1 s, while
/// another transaction holds what `held` (a `SELECT ... FOR UPDATE`) locks; asserts that
/// they succeed without waiting for it.
fn runs_past_a_held_row(target: &Target, url: &str, held: &str, statements: &[String]) {
    let release = Arc::new(AtomicBool::new(false));
    let holder = hold(target, held, release.clone());
    let started = Instant::now();
    let out = common::mariadb_client(
        url,
        statements,
        Some("SET SESSION innodb_lock_wait_timeout = 1"),
    );
    let took = started.elapsed();
    release.store(true, Ordering::SeqCst);
    holder.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        took < Duration::from_millis(900),
        "waited for the held row: {took:?}"
    );
}

/// A MariaDB project over `schema` with `changes`, migrated up to the expand of
/// `release` on a fresh database of its own (dropped with it).
struct Expanded {
    dir: tempfile::TempDir,
    /// Held to the end of the test: dropping it drops the database.
    _scratch: tandem::apply::scratch::Scratch,
    url: String,
    target: Target,
    db: Database,
}

fn expanded(schema: &str, changes: &[(&str, &str)], release: &str) -> Option<Expanded> {
    let server = Server::Mysql;
    let scratch = server.fresh()?;
    let dir = common::project_with("mysql", schema, changes);
    let url = common::database_url(server, &scratch, dir.path());
    let out = common::migrate(dir.path(), &url, release, "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let target = Target::parse(&url, dir.path()).unwrap();
    let db = Database::connect(&target).unwrap();
    Some(Expanded {
        dir,
        _scratch: scratch,
        url,
        target,
        db,
    })
}

/// Runs `sql` in a loop until `stop`, returning the longest single write.
fn writer(target: &Target, sql: &str, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    let target = target.clone();
    let sql = sql.to_string();
    std::thread::spawn(move || {
        let mut db = Database::connect(&target).unwrap();
        let mut longest = Duration::ZERO;
        while !stop.load(Ordering::SeqCst) {
            let t = Instant::now();
            db.run_script(&sql).unwrap();
            longest = longest.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(5));
        }
        longest
    })
}

/// psql -1 applies the expand file while a transaction holds a row of orders: the file
/// takes both tables' locks together, retrying, so that the writers of users (whose lock
/// it could have taken first) and of orders wait one attempt at most each time; it
/// succeeds once the holder lets go.
#[test]
fn a_plain_psql_run_retries_a_held_lock_and_writers_wait_one_attempt_at_most() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = project("postgres", 30);
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    let expand = file(p, "expand_0001");
    let sql = std::fs::read_to_string(&expand).unwrap();
    assert!(
        sql.contains("LOCK TABLE \"users\" IN ACCESS EXCLUSIVE MODE;")
            && sql.contains("LOCK TABLE \"orders\" IN ACCESS EXCLUSIVE MODE"),
        "the file takes both locks first:\n{sql}"
    );
    let target = seeded(&url, p);

    let release = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let holder = hold(
        &target,
        "SELECT * FROM users WHERE id = 1 FOR UPDATE",
        release.clone(),
    );
    let users = writer(
        &target,
        "UPDATE users SET nickname = 'w' WHERE id = 2",
        stop.clone(),
    );
    let orders = writer(
        &target,
        "UPDATE orders SET note = 'w' WHERE id = 2",
        stop.clone(),
    );
    let releaser = release_after(&release, Duration::from_millis(2500));
    let started = Instant::now();
    let out = psql(&url, &expand, true);
    let took = started.elapsed();
    releaser.join().unwrap();
    holder.join().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::SeqCst);
    let (users, orders) = (users.join().unwrap(), orders.join().unwrap());

    let err = stderr(&out);
    eprintln!("psql took {took:?}; longest write: users {users:?}, orders {orders:?}");
    assert!(out.status.success(), "psql failed: {err}");
    assert!(
        err.contains("tandem: lock wait on users, orders, attempt 1 of 31"),
        "{err}"
    );
    assert!(
        took >= Duration::from_millis(2000),
        "it did not wait: {took:?}"
    );
    let bound = Duration::from_millis(2 * LOCK_TIMEOUT_MS);
    assert!(
        users < bound && orders < bound,
        "a writer stalled longer than two attempts' waits: users {users:?}, orders {orders:?}"
    );
    let mut db = Database::connect(&target).unwrap();
    let rows = db
        .query_text(
            "SELECT count(*) FROM information_schema.columns \
             WHERE column_name IN ('bio', 'memo')",
        )
        .unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("2"));
}

/// The holder never lets go: the file gives up after its last attempt, naming the
/// tables and the attempts, and leaves nothing half-done.
#[test]
fn a_plain_psql_run_fails_clearly_after_its_last_attempt() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = project("postgres", 2);
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    let target = seeded(&url, p);
    let release = Arc::new(AtomicBool::new(false));
    let holder = hold(
        &target,
        "SELECT * FROM users WHERE id = 1 FOR UPDATE",
        release.clone(),
    );
    // Statement by statement (no -1): each statement's own block retries.
    let out = psql(&url, &file(p, "expand_0001"), false);
    release.store(true, Ordering::SeqCst);
    holder.join().unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "it should have failed: {err}");
    assert!(
        err.contains("tandem: lock wait on users, orders, attempt 2 of 3")
            && err.contains(
                "tandem: gave up waiting for the lock on users, orders after 3 attempts of 300ms"
            ),
        "{err}"
    );
}

/// `tandem migrate` shows each retry of the file's own loop on stderr, in order.
#[test]
fn migrate_reports_each_retry_of_the_sql_loop() {
    let Some(scratch) = Server::Postgres.fresh() else {
        return;
    };
    let dir = project("postgres", 30);
    let p = dir.path();
    let url = common::database_url(Server::Postgres, &scratch, p);
    let target = seeded(&url, p);
    let release = Arc::new(AtomicBool::new(false));
    let holder = hold(
        &target,
        "SELECT * FROM users WHERE id = 1 FOR UPDATE",
        release.clone(),
    );
    let releaser = release_after(&release, Duration::from_millis(2000));
    // The baseline was applied by psql: adopted, then the expand runs.
    let out = tandem(p)
        .args([
            "migrate",
            "--adopt",
            "--release",
            "1.1.0",
            "--phase",
            "expand",
        ])
        .args(["--database-url", &url])
        .output()
        .unwrap();
    releaser.join().unwrap();
    holder.join().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let attempts: Vec<u32> = err
        .lines()
        .filter_map(|l| l.strip_prefix("tandem: lock wait on users, orders, attempt "))
        .map(|rest| rest.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(!attempts.is_empty(), "no retry reported: {err}");
    assert_eq!(
        attempts,
        (1..=attempts.len() as u32).collect::<Vec<_>>(),
        "{err}"
    );
    assert!(err.contains("applied 1.1.0/"), "{err}");
}

/// MariaDB: the check of the rows already there when a foreign key is added is a
/// consistent read. Run by the plain client while another transaction holds a parent row
/// locked, it does not wait for it (an `IF EXISTS (SELECT ...)` in a procedure is a
/// locking read: it waited for the row and failed with 1205, and the application's
/// writes of the rows it read waited for its whole scan).
#[test]
fn a_mariadb_foreign_key_check_reads_past_a_locked_row() {
    let change = "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"orders\"\n\
                  column = \"user_id\"\nreferences = \"users\"\nname = \"orders_user_again_fk\"\n\
                  old_code_complies = true\n";
    let Some(mut expanded) = expanded(USERS_AND_ORDERS, &[("0001_fk.toml", change)], "1.1.0")
    else {
        return;
    };
    let (url, target) = (expanded.url.clone(), expanded.target.clone());
    let p = expanded.dir.path();
    let db = &mut expanded.db;
    db.run_script(
        "INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'a'), (2, 'b@x', 'b');\n\
         INSERT INTO orders (id, user_id) VALUES (1, 1), (2, 2);",
    )
    .unwrap();
    let check = statements_of(p, &target, "expand_0001", "tandem_check");
    runs_past_a_held_row(
        &target,
        &url,
        "SELECT * FROM users WHERE id = 1 FOR UPDATE",
        &check,
    );

    // It still finds a row whose parent is missing.
    db.run_script(
        "SET foreign_key_checks = 0;\nINSERT INTO orders (id, user_id) VALUES (3, 99);\n\
         SET foreign_key_checks = 1;",
    )
    .unwrap();
    let out = common::mariadb_client(&url, &check, None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("rows of orders reference missing rows of users"),
        "{}",
        stderr(&out)
    );
}

/// A MariaDB repair (rows that break a unique key before the contract enforces it), run
/// by the plain client, finds the broken rows with a read that locks nothing: a row the
/// application holds that the repair does not change does not hold it up (an UPDATE that
/// searched for the duplicates locked every row it read, and waited for this one), and a
/// broken row that is held is waited for, retried, and repaired once let go.
#[test]
fn a_mariadb_repair_reads_past_a_locked_row_and_waits_only_for_the_rows_it_changes() {
    let changes = [
        (
            "0001_unique.toml",
            "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\n\
             column = \"legacy_email\"\nrepair_sql = \"CONCAT(legacy_email, '-', id)\"\n",
        ),
        ("0002_next.toml", &common::select_one("1.2.0")),
    ];
    let Some(mut expanded) = expanded(USERS_AND_ORDERS, &common::as_refs(&changes), "1.2.0") else {
        return;
    };
    let (url, target) = (expanded.url.clone(), expanded.target.clone());
    let p = expanded.dir.path();
    let db = &mut expanded.db;
    common::insert_users(db, 500);
    let duplicate = "UPDATE users SET legacy_email = 'dup' WHERE id BETWEEN 300 AND 310";
    db.run_script(duplicate).unwrap();
    let repair = statements_of(p, &target, "contract_0001", "tandem_repair");
    let repaired = |db: &mut Database| {
        let rows = db
            .query_text(
                "SELECT id, legacy_email FROM users WHERE id BETWEEN 300 AND 310 ORDER BY id",
            )
            .unwrap();
        let values: Vec<String> = rows.iter().map(|r| r[1].clone().unwrap()).collect();
        let mut want = vec!["dup".to_string()];
        want.extend((301..=310).map(|i| format!("dup-{i}")));
        assert_eq!(values, want);
    };

    // A row the repair leaves alone, held: the repair does not wait for it.
    runs_past_a_held_row(
        &target,
        &url,
        "SELECT * FROM users WHERE id = 250 FOR UPDATE",
        &repair,
    );
    repaired(db);

    // A row it changes, held for 1.5 s: it waits, says so, and repairs it after.
    db.run_script(duplicate).unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let holder = hold(
        &target,
        "SELECT * FROM users WHERE id = 305 FOR UPDATE",
        release.clone(),
    );
    let letting_go = release_after(&release, Duration::from_millis(1500));
    let out = common::mariadb_client(
        &url,
        &repair,
        Some("SET SESSION innodb_lock_wait_timeout = 1"),
    );
    letting_go.join().unwrap();
    holder.join().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{said}", stderr(&out));
    assert!(
        said.contains("tandem: lock wait on users, attempt 1 of"),
        "{said}"
    );
    repaired(db);
}

/// A MariaDB backfill, run by the plain client, locks only the rows it fills: a row of
/// another table that its expression reads, held by the application, does not hold it up
/// (in REPEATABLE READ, InnoDB reads such a row with a shared lock and waited for it), nor
/// does a held row of a table without a key that needs no fill (there a batch searches
/// from the start of the table, and locked every row it read).
#[test]
fn a_mariadb_backfill_locks_only_the_rows_it_fills() {
    let schema = format!(
        "{USERS_AND_ORDERS}\n[tables.events]\n[tables.events.columns]\n\
         kind = {{ type = \"varchar(40)\" }}\nsource = {{ type = \"integer\", nullable = true }}\n\n\
         [[tables.events.indexes]]\nname = \"events_source_idx\"\ncolumns = [\"source\"]\n"
    );
    let change = "release = \"1.1.0\"\n\n\
        [[op]]\ntype = \"add_column\"\ntable = \"users\"\n\
        column = { name = \"order_count\", type = \"integer\", nullable = true }\n\
        backfill_sql = \"(SELECT COUNT(*) FROM orders WHERE orders.user_id = users.id)\"\n\n\
        [[op]]\ntype = \"add_column\"\ntable = \"events\"\n\
        column = { name = \"doubled\", type = \"integer\", nullable = true }\n\
        backfill_sql = \"source * 2\"\n";
    let Some(mut expanded) = expanded(&schema, &[("0001_fill.toml", change)], "1.1.0") else {
        return;
    };
    let (url, target) = (expanded.url.clone(), expanded.target.clone());
    let p = expanded.dir.path();
    let db = &mut expanded.db;
    // The fill triggers give rows written meanwhile what the backfill would: the users
    // trigger reads orders through the same subquery.
    db.run_script(
        "INSERT INTO users (id, email, legacy_email) VALUES (1000, 'n@x', 'n');\n\
         INSERT INTO orders (id, user_id) VALUES (1000, 1000);\n\
         UPDATE users SET legacy_email = 'm' WHERE id = 1000;\n\
         INSERT INTO events (kind, source) VALUES ('new', 21);",
    )
    .unwrap();
    let written = db
        .query_text(
            "SELECT (SELECT order_count FROM users WHERE id = 1000), \
             (SELECT doubled FROM events WHERE kind = 'new')",
        )
        .unwrap();
    assert_eq!(written[0], vec![Some("0".into()), Some("42".into())]);
    db.run_script("DELETE FROM orders;\nDELETE FROM users;\nDELETE FROM events;")
        .unwrap();

    // Rows the fill triggers leave unfilled, as rows written before the expand are.
    common::insert_unfilled_users(db, Server::Mysql, 300, "order_count");
    let orders: Vec<String> = (1..=600)
        .map(|i| format!("({i}, {})", (i - 1) % 300 + 1))
        .collect();
    let events: Vec<String> = (1..=600)
        .map(|i| match i {
            450 => "('held', NULL)".to_string(),
            _ => format!("('e', {i})"),
        })
        .collect();
    db.run_script(&format!(
        "INSERT INTO orders (id, user_id) VALUES {};\nINSERT INTO events (kind, source) VALUES {};",
        orders.join(", "),
        events.join(", ")
    ))
    .unwrap();

    // An order of user 1, held: the users backfill reads it without waiting.
    let users = statements_of(p, &target, "expand_0001", "tandem_backfill_users");
    runs_past_a_held_row(
        &target,
        &url,
        "SELECT * FROM orders WHERE id = 1 FOR UPDATE",
        &users,
    );
    let counts = db
        .query_text("SELECT COUNT(*), MIN(order_count), MAX(order_count) FROM users")
        .unwrap();
    assert_eq!(
        counts[0],
        vec![Some("300".into()), Some("2".into()), Some("2".into())]
    );

    // The events row that needs no fill, held: the search passes over it.
    let events = statements_of(p, &target, "expand_0001", "tandem_backfill_events");
    runs_past_a_held_row(
        &target,
        &url,
        "SELECT * FROM events WHERE source IS NULL FOR UPDATE",
        &events,
    );
    let filled = db
        .query_text(
            "SELECT COUNT(*) FROM events WHERE doubled <=> source * 2 AND (kind = 'held') = (doubled IS NULL)",
        )
        .unwrap();
    assert_eq!(filled[0][0].as_deref(), Some("600"));
}

/// Statements of `sql` (a MySQL file) that read a table inside a statement that writes
/// or decides (`UPDATE`, `DELETE`, `INSERT`, `IF`, `WHILE`, `SET`, ...). InnoDB reads
/// such a subquery with locks in REPEATABLE READ: it waits for rows the application
/// holds, and holds every row it read until it commits (found twice: the foreign key
/// check's `IF EXISTS (SELECT ...)` and the repair's `UPDATE ... IN (SELECT ...)`). A
/// plain `SELECT` (into variables, or a cursor's) reads a snapshot without locks.
/// information_schema is not a table of rows.
fn locking_reads(sql: &str) -> Vec<String> {
    let text = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( SELECT", "(SELECT");
    let deciding = [
        "UPDATE", "DELETE", "INSERT", "REPLACE", "IF", "ELSEIF", "WHILE", "UNTIL", "SET", "DO",
        "RETURN",
    ];
    text.split(';')
        .map(str::trim)
        // A block's first statement follows its BEGIN, ELSE or THEN.
        .map(|s| {
            let mut s = s;
            for lead in ["BEGIN ", "ELSE ", "END IF ", "END WHILE ", "END "] {
                s = s.strip_prefix(lead).unwrap_or(s);
            }
            s
        })
        .filter(|s| {
            let first = s.split(' ').next().unwrap_or("").to_ascii_uppercase();
            deciding.contains(&first.as_str())
                && s.contains("(SELECT")
                && !s.contains("information_schema")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn no_generated_mysql_statement_reads_a_table_with_locks() {
    // The check itself finds both forms that were written before.
    assert_eq!(
        locking_reads("BEGIN\n  IF EXISTS (SELECT 1 FROM t) THEN\n  SIGNAL x;\n  END IF;\nEND")
            .len(),
        1
    );
    assert_eq!(
        locking_reads("UPDATE t SET c = 1 WHERE (id) IN (SELECT id FROM (SELECT id FROM t) AS b);")
            .len(),
        1
    );
    assert!(locking_reads(
        "SELECT COUNT(*) INTO n FROM (SELECT 1 FROM t LIMIT 1) AS x;\n\
         IF EXISTS (SELECT 1 FROM information_schema.tables) THEN DO 1; END IF;"
    )
    .is_empty());

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut found = Vec::new();
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("golden__mysql__") {
            let text = std::fs::read_to_string(&path).unwrap();
            found.extend(
                locking_reads(&text)
                    .into_iter()
                    .map(|s| format!("{name}: {s}")),
            );
            read += 1;
        }
    }
    for example in ["incident", "shop"] {
        let project = common::example_for(example, "mysql");
        for file in tandem::layout::list_sql_files(&project.path().join("migrations")).unwrap() {
            let text =
                std::fs::read_to_string(project.path().join("migrations").join(&file)).unwrap();
            found.extend(
                locking_reads(&text)
                    .into_iter()
                    .map(|s| format!("{example}/{file}: {s}")),
            );
            read += 1;
        }
    }
    assert!(read > 20, "only {read} files read");
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}
