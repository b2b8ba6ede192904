//! A fleet run at scale: 200 Postgres databases and 50 MariaDB databases made on the
//! local servers, one release of 3 changes taken through expand and contract over each
//! fleet with `--parallel 16` and a canary wave of 2, then a release whose expand is made
//! to fail on 3 targets, to show the failure report. Prints the wall time of each run, the
//! per-target p50/p99, and the effective parallelism (the targets' summed time over the
//! wall time: the figure that holds on another machine). The databases are dropped at the
//! end (each is a scratch database, dropped when the bench lets it go).
//!
//! Run: `cargo bench --bench fleet` (servers from `TANDEM_TEST_PG_URL` and
//! `TANDEM_TEST_MYSQL_URL`, defaults as the tests'; `FLEET_PG=200 FLEET_MYSQL=50` set the
//! sizes).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use tandem::apply::database::Target;
use tandem::apply::scratch::Scratch;

const SCHEMA: &str = "[tables.users]\nprimary_key = [\"id\"]\n\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\nlegacy_email = { type = \"varchar(255)\" }\n";

/// 1.0.0 stops using users.legacy_email (dropped in contract(1.1.0)); 1.1.0 adds two
/// columns and an index: 3 changes over expand(1.1.0) and contract(1.1.0). 1.2.0 adds
/// users.score, the release made to fail.
const CHANGES: &[(&str, &str)] = &[
    ("0001_stop_legacy.toml", "release = \"1.0.0\"\n[[op]]\ntype = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n"),
    ("0002_bio.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n"),
    ("0003_nick.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"nick\", type = \"varchar(64)\", nullable = true }\n"),
    ("0004_email_index.toml", "release = \"1.1.0\"\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n"),
    ("0005_score.toml", "release = \"1.2.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"score\", type = \"bigint\", nullable = true }\n"),
];

fn tandem(project: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .arg("--project")
        .arg(project)
        .args(args)
        .env_remove("TANDEM_SKIP_FLEET_CHECK")
        .output()
        .unwrap()
}

fn project(dialect: &str) -> tempfile::TempDir {
    let dir = tempfile::TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("tandem.toml"),
        format!(
            "dialect = \"{dialect}\"\n\n[fleet]\nsource = \"none\"\nreason = \"benchmark fleet\"\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("schema.toml"), SCHEMA).unwrap();
    std::fs::create_dir_all(dir.path().join("changes")).unwrap();
    for (name, text) in CHANGES {
        std::fs::write(dir.path().join("changes").join(name), text).unwrap();
    }
    let out = tandem(dir.path(), &["generate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// One timed fleet run: wall time, and the targets' outcomes from the JSON report.
fn timed(
    project: &Path,
    targets: &str,
    release: &str,
    phase: &str,
) -> (f64, serde_json::Value, i32) {
    let started = Instant::now();
    let out = tandem(
        project,
        &[
            "migrate",
            "--release",
            release,
            "--phase",
            phase,
            "--targets",
            targets,
            "--parallel",
            "16",
            "--format",
            "json",
        ],
    );
    let wall = started.elapsed().as_secs_f64();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("{}", String::from_utf8_lossy(&out.stderr));
    });
    (wall, report, out.status.code().unwrap_or(-1))
}

fn summarize(label: &str, wall: f64, report: &serde_json::Value) {
    let mut seconds: Vec<f64> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["seconds"].as_f64().unwrap())
        .collect();
    seconds.sort_by(f64::total_cmp);
    let sum: f64 = seconds.iter().sum();
    println!(
        "{label:<28} wall {wall:>6.2} s   per target p50 {:>5.0} ms  p99 {:>5.0} ms   effective parallelism {:.1}x",
        percentile(&seconds, 0.5) * 1000.0,
        percentile(&seconds, 0.99) * 1000.0,
        sum / wall
    );
}

fn fleet(server_url: &str, dialect: &str, count: usize) {
    let server = Target::parse(server_url, Path::new(".")).unwrap();
    let dir = project(dialect);
    let made = Instant::now();
    let scratches: Vec<Scratch> = (0..count)
        .map(|_| Scratch::create_with(&server, "tandem_fleetbench", None).unwrap())
        .collect();
    println!(
        "{dialect}: {count} databases made in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    let mut text = String::new();
    for (i, s) in scratches.iter().enumerate() {
        let url = match &s.target {
            Target::Postgres(u) | Target::Mysql(u) => u.clone(),
            _ => unreachable!(),
        };
        // A canary wave of 2, then the rest.
        text.push_str(&format!(
            "[[target]]\nname = \"{dialect}-{i:03}\"\nurl = \"{url}\"\nwave = {}\n\n",
            u32::from(i >= 2)
        ));
    }
    let targets = dir.path().join("targets.toml");
    std::fs::write(&targets, text).unwrap();
    let targets = targets.display().to_string();
    let (_, _, code) = timed(dir.path(), &targets, "1.0.0", "expand");
    assert_eq!(code, 0, "the fleet's baseline");
    let (wall, report, code) = timed(dir.path(), &targets, "1.1.0", "expand");
    assert_eq!(code, 0);
    summarize(&format!("{dialect} expand(1.1.0)"), wall, &report);
    let (wall, report, code) = timed(dir.path(), &targets, "1.1.0", "contract");
    assert_eq!(code, 0);
    summarize(&format!("{dialect} contract(1.1.0)"), wall, &report);
    // Three targets past the canaries get users.score by hand: expand(1.2.0) fails there.
    for s in scratches.iter().skip(2).step_by(count / 3).take(3) {
        let mut db = tandem::apply::database::Database::connect(&s.target).unwrap();
        db.run_script("ALTER TABLE users ADD COLUMN score bigint")
            .unwrap();
    }
    let started = Instant::now();
    let out = tandem(
        dir.path(),
        &[
            "migrate",
            "--release",
            "1.2.0",
            "--phase",
            "expand",
            "--targets",
            &targets,
            "--parallel",
            "16",
        ],
    );
    let wall = started.elapsed().as_secs_f64();
    let report = String::from_utf8_lossy(&out.stdout);
    println!(
        "{dialect} expand(1.2.0), 3 targets made to fail: exit {:?}, {wall:.2} s; the failure report:",
        out.status.code()
    );
    let mut lines = report.lines().peekable();
    while let Some(line) = lines.next() {
        if line.contains("FAILED") {
            println!("  {line}");
            while let Some(next) = lines.peek().filter(|l| l.starts_with("    ")) {
                println!("  {next}");
                lines.next();
            }
        }
    }
    for line in report
        .lines()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        println!("  {line}");
    }
    let dropping = Instant::now();
    drop(scratches);
    println!(
        "{dialect}: {count} databases dropped in {:.1} s\n",
        dropping.elapsed().as_secs_f64()
    );
}

/// `cargo test --all-targets` runs this too, without `--bench`: then a small run, so the
/// bench is proven to work without holding the test suite up.
fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn main() {
    let size = |var: &str, default: usize| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if smoke() { 6 } else { default })
    };
    let pg = std::env::var("TANDEM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mysql = std::env::var("TANDEM_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    fleet(&pg, "postgres", size("FLEET_PG", 200));
    fleet(&mysql, "mysql", size("FLEET_MYSQL", 50));
}
