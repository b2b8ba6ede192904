//! `verify` on a large schema: 1,000 tables, one in nine with a check that made-up values
//! cannot satisfy (`num_nonnulls`, `jsonb_typeof`, a regex, an OR of two columns), foreign
//! keys in chains, and one release that touches 3 tables. Timed against applying the same
//! baseline with `migrate` in the same run (the server's own cost of creating the tables),
//! so the ratio says what the rehearsal adds.
//!
//! Run: `cargo bench --bench verify_scale` (PostgreSQL at TANDEM_TEST_PG_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres; TANDEM_BENCH_TABLES changes the size).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use tandem::apply::database::Target;
use tandem::apply::scratch::Scratch;
use tandem::project::Project;

/// The checks of the kinds real schemas carry that the probe generator cannot read.
const HARD_CHECKS: &[&str] = &[
    "num_nonnulls(a, b) = 1",
    "jsonb_typeof(doc) = 'array'",
    "code ~ '^[A-Z]{3}-[0-9]{4}$'",
    "(a IS NULL AND b > 0) OR (b IS NULL AND a > 0)",
];

/// Writes a Postgres project of `tables` tables and one release touching t1, t2, t3.
pub fn synthesize(root: &Path, tables: usize) {
    std::fs::create_dir_all(root.join("changes")).unwrap();
    std::fs::write(root.join("tandem.toml"), "dialect = \"postgres\"\n").unwrap();
    let mut schema = String::new();
    for t in 0..tables {
        writeln!(
            schema,
            "[tables.t{t}]\nprimary_key = [\"id\"]\n[tables.t{t}.columns]\nid = {{ type = \"bigint\" }}\n\
             name = {{ type = \"varchar(64)\" }}\na = {{ type = \"integer\", nullable = true }}\n\
             b = {{ type = \"integer\", nullable = true }}\ndoc = {{ type = \"jsonb\", nullable = true }}\n\
             code = {{ type = \"text\", nullable = true }}\nparent_id = {{ type = \"bigint\", nullable = true }}\n"
        )
        .unwrap();
        if t % 9 == 4 {
            let check = HARD_CHECKS[(t / 9) % HARD_CHECKS.len()];
            writeln!(
                schema,
                "[[tables.t{t}.constraints]]\ntype = \"check\"\nname = \"t{t}_hard\"\ncheck = \"{}\"\n",
                check.replace('\\', "\\\\")
            )
            .unwrap();
        }
        // Chains of foreign keys: each table but every tenth points at the one before.
        if t % 10 != 0 {
            writeln!(
                schema,
                "[[tables.t{t}.constraints]]\ntype = \"foreign_key\"\ncolumn = \"parent_id\"\nreferences = \"t{}\"\n",
                t - 1
            )
            .unwrap();
        }
    }
    std::fs::write(root.join("schema.toml"), schema).unwrap();
    for (i, t) in [1, 2, 6].iter().enumerate() {
        std::fs::write(
            root.join("changes").join(format!("000{i}_add.toml")),
            format!(
                "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"t{t}\"\n\
                 column = {{ name = \"extra\", type = \"text\", nullable = true }}\n"
            ),
        )
        .unwrap();
    }
}

/// `cargo test --all-targets` runs this too, without `--bench`: then a small run, so the
/// bench is proven to work without holding the test suite up.
fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn main() {
    let url = std::env::var("TANDEM_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let tables: usize = std::env::var("TANDEM_BENCH_TABLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke() { 20 } else { 1000 });
    let dir = tempfile::tempdir().unwrap();
    synthesize(dir.path(), tables);
    let server = Target::Postgres(url);
    let project = Project::load(dir.path()).unwrap();
    let plan = tandem::layout::build_plan(&project).unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems.first());

    // The baseline alone, as `migrate` applies it: what any rehearsal must at least pay.
    let start = Instant::now();
    {
        let scratch = Scratch::create(&server).unwrap();
        let mut db = tandem::apply::database::Database::connect(&scratch.target).unwrap();
        let baseline: Vec<String> = plan
            .files_in(tandem::plan::Slot::Baseline)
            .map(|f| f.path.clone())
            .collect();
        for file in tandem::apply::MigrationFile::from_plan(&plan).unwrap() {
            if baseline.contains(&file.path) {
                db.run_script(&file.sql).unwrap();
            }
        }
    }
    let baseline = start.elapsed();

    let start = Instant::now();
    let report = tandem::verify::rehearse(Project::load(dir.path()).unwrap(), &server).unwrap();
    let verify = start.elapsed();
    print!("{}", report.text());
    assert!(report.ok, "the rehearsal failed");
    println!(
        "{tables} tables, one release touching 3: verify {verify:?}; the baseline alone {baseline:?}; \
         verify / baseline = {:.1}x",
        verify.as_secs_f64() / baseline.as_secs_f64()
    );
}
