//! Plan + generate at scale: a synthetic project of 10,000 changes over 1,000 releases,
//! timed against copying the generated tree in the same run (machines are noisy; the
//! ratio is the figure), and at a quarter of the size to show the growth is linear.
//!
//! Run: `cargo bench --bench scale`

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use tandem::project::Project;

/// Writes a project with `changes` change files spread over `releases` releases.
fn synthesize(root: &Path, changes: usize, releases: usize) {
    std::fs::create_dir_all(root.join("changes")).unwrap();
    std::fs::write(root.join("tandem.toml"), "dialect = \"postgres\"\n").unwrap();
    let tables = 100;
    let mut schema = String::new();
    for t in 0..tables {
        writeln!(schema, "[tables.t{t}]\nprimary_key = [\"id\"]\n[tables.t{t}.columns]\nid = {{ type = \"bigint\" }}\nname = {{ type = \"text\" }}\n").unwrap();
    }
    std::fs::write(root.join("schema.toml"), schema).unwrap();
    let per_release = changes.div_ceil(releases);
    for i in 0..changes {
        let release = format!("1.{}.0", i / per_release);
        let t = i % tables;
        let round = i / tables;
        // Each table cycles: add c<round>, index it, rename it, drop it.
        let op = match round % 4 {
            0 => format!("type = \"add_column\"\ntable = \"t{t}\"\ncolumn = {{ name = \"c{round}\", type = \"varchar(64)\", nullable = true }}"),
            1 => format!("type = \"create_index\"\ntable = \"t{t}\"\ncolumns = [\"c{}\"]", round - 1),
            2 => format!("type = \"rename_column\"\ntable = \"t{t}\"\ncolumn = \"c{}\"\nto = \"r{}\"", round - 2, round - 2),
            _ => format!("type = \"drop_column\"\ntable = \"t{t}\"\ncolumn = \"r{}\"", round - 3),
        };
        std::fs::write(
            root.join("changes").join(format!("{i:05}_change.toml")),
            format!("release = \"{release}\"\n[[op]]\n{op}\n"),
        )
        .unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn run(changes: usize, releases: usize) -> (Duration, Duration, usize) {
    let dir = tempfile::tempdir().unwrap();
    synthesize(dir.path(), changes, releases);
    let start = Instant::now();
    let project = Project::load(dir.path()).unwrap();
    let plan = tandem::plan::build(&project).unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems.first());
    tandem::generate::write(&plan, &project.config, false).unwrap();
    let generate = start.elapsed();
    let start = Instant::now();
    copy_tree(&dir.path().join("migrations"), &dir.path().join("copy"));
    let copy = start.elapsed();
    (generate, copy, plan.files.len())
}

fn main() {
    let (small_gen, small_copy, small_files) = run(2_500, 250);
    let (gen, copy, files) = run(10_000, 1_000);
    println!("plan + generate, 2,500 changes / 250 releases: {small_gen:?} ({small_files} files); copy of the tree: {small_copy:?}");
    println!("plan + generate, 10,000 changes / 1,000 releases: {gen:?} ({files} files); copy of the tree: {copy:?}");
    println!(
        "ratio generate / copy: {:.1}x at 10,000 changes; growth 2,500 -> 10,000 changes: {:.1}x (4.0x is linear)",
        gen.as_secs_f64() / copy.as_secs_f64(),
        gen.as_secs_f64() / small_gen.as_secs_f64()
    );
}
