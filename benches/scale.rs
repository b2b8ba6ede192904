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

/// This process's CPU time so far (user + system), from `/proc/self/stat` in clock ticks
/// of 10 ms: the plan's own work, whatever else the machine runs. `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after its `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// One measurement: load + plan (wall and CPU), the write of the tree, and a copy of the
/// tree.
struct Sample {
    plan_cpu: Duration,
    plan: Duration,
    write: Duration,
    copy: Duration,
    files: usize,
}

/// Where the projects are written: `TANDEM_BENCH_DIR`, else `/dev/shm` where it exists.
/// On tmpfs the write and its copy meet the same file system; on a disk, ext4's search
/// for a free inode after the previous run's deletes lands on whichever runs first, and
/// the ratio measures that instead of tandem.
fn bench_root() -> std::path::PathBuf {
    match std::env::var_os("TANDEM_BENCH_DIR") {
        Some(dir) => dir.into(),
        None if Path::new("/dev/shm").is_dir() => "/dev/shm".into(),
        None => std::env::temp_dir(),
    }
}

fn run_once(changes: usize, releases: usize) -> Sample {
    let dir = tempfile::tempdir_in(bench_root()).unwrap();
    synthesize(dir.path(), changes, releases);
    let start = Instant::now();
    let cpu_start = cpu_time().unwrap_or_default();
    let project = Project::load(dir.path()).unwrap();
    let plan = tandem::layout::build_plan(&project).unwrap();
    assert!(plan.problems.is_empty(), "{:?}", plan.problems.first());
    let planned = start.elapsed();
    let plan_cpu = cpu_time().unwrap_or_default().saturating_sub(cpu_start);
    let start = Instant::now();
    tandem::generate::write(&plan, &project.config, false).unwrap();
    let write = start.elapsed();
    let start = Instant::now();
    copy_tree(&dir.path().join("migrations"), &dir.path().join("copy"));
    let copy = start.elapsed();
    Sample {
        plan_cpu,
        plan: planned,
        write,
        copy,
        files: plan.files.len(),
    }
}

/// The best of three runs of each part: the disk of a shared machine is noisy, and the
/// minimum is the figure least disturbed by others.
fn run(changes: usize, releases: usize) -> Sample {
    let samples: Vec<Sample> = (0..3).map(|_| run_once(changes, releases)).collect();
    let min = |f: fn(&Sample) -> Duration| samples.iter().map(f).min().unwrap();
    Sample {
        plan_cpu: min(|s| s.plan_cpu),
        plan: min(|s| s.plan),
        write: min(|s| s.write),
        copy: min(|s| s.copy),
        files: samples[0].files,
    }
}

/// `cargo test --all-targets` runs this too, without `--bench`: then a small run, so the
/// bench is proven to work without holding the test suite up.
fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn main() {
    println!("projects under {}", bench_root().display());
    let (few, many) = if smoke() {
        (250, 1_000)
    } else {
        (2_500, 10_000)
    };
    let (small, big) = (run(few, few / 10), run(many, many / 10));
    for (label, s) in [
        (format!("{few} changes / {} releases", few / 10), &small),
        (format!("{many} changes / {} releases", many / 10), &big),
    ] {
        println!(
            "{label}: load + plan {:?} ({:?} of CPU), write {:?} ({} files), total {:?}; \
             copy of the tree {:?}",
            s.plan,
            s.plan_cpu,
            s.write,
            s.files,
            s.plan + s.write,
            s.copy
        );
    }
    let total = |s: &Sample| (s.plan + s.write).as_secs_f64();
    println!(
        "at {many} changes: write / copy = {:.2}x, plan + generate / copy = {:.1}x; growth \
         {few} -> {many} changes: load + plan {:.1}x, total {:.1}x (4.0x is linear)",
        big.write.as_secs_f64() / big.copy.as_secs_f64(),
        total(&big) / big.copy.as_secs_f64(),
        big.plan.as_secs_f64() / small.plan.as_secs_f64(),
        total(&big) / total(&small)
    );
}
