//! The examples ship their generated migrations: they must stay exactly what
//! `tandem generate` writes today (golden files of the generated SQL).

use std::path::PathBuf;

use assert_cmd::Command;

fn examples() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("tandem.toml").is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn every_example_plans_cleanly_and_its_migrations_are_in_sync() {
    let examples = examples();
    assert!(examples.len() >= 2, "{examples:?}");
    for dir in examples {
        let out = Command::cargo_bin("tandem")
            .unwrap()
            .arg("--project")
            .arg(&dir)
            .args(["generate", "--check"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: run `cargo run -- --project {} generate`\n{}{}",
            dir.display(),
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
