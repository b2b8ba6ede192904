//! A bundle applied with `migrate --bundle`, as a deploy pipeline does with no project:
//! it applies only on top of the releases before it, reads only its own pre-deploy/ and
//! post-deploy/ files, and a malformed manifest is an input error, never a crash.

use crate::common;

use std::fs;
use std::path::Path;

use common::{select_one, stderr, stdout, tandem, users_project, Server, INCIDENT};

fn run(p: &Path, args: &[&str]) -> std::process::Output {
    tandem(p).args(args).output().unwrap()
}

/// A users project with 1.3.0 (nothing), 1.4.0 (drops legacy_email) and 1.5.0 (adds
/// bio), 1.5.0 cut and bundled into `<project>/b`.
fn bundled(dialect: &str) -> tempfile::TempDir {
    let dir = users_project(
        dialect,
        &[
            ("0006_start.toml", &select_one("1.3.0")),
            INCIDENT[0],
            INCIDENT[1],
        ],
    );
    let p = dir.path();
    let cut = run(p, &["release", "cut", "1.5.0"]);
    assert!(cut.status.success(), "{}", stderr(&cut));
    let made = run(
        p,
        &[
            "release",
            "bundle",
            "1.5.0",
            "--out",
            p.join("b").to_str().unwrap(),
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    dir
}

fn migrate_bundle(p: &Path, bundle: &Path, url: &str, phase: &str) -> std::process::Output {
    run(
        p,
        &[
            "migrate",
            "--bundle",
            bundle.to_str().unwrap(),
            "--phase",
            phase,
            "--database-url",
            url,
        ],
    )
}

fn migrate_project(p: &Path, url: &str, release: &str, phase: &str) {
    let out = common::migrate(p, url, release, phase);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

/// A database that never ran 1.4.0 (or ran only its expand) is refused by 1.5.0's bundle,
/// naming what it lacks, and nothing runs; once 1.4.0 is in, the bundle applies.
#[test]
fn a_bundle_refuses_a_database_without_the_releases_before_it() {
    for server in [Server::Sqlite, Server::Postgres] {
        let Some(scratch) = server.fresh() else {
            continue;
        };
        let dir = bundled(server.dialect());
        let p = dir.path();
        let url = common::database_url(server, &scratch, p);
        let bundle = p.join("b");
        migrate_project(p, &url, "1.3.0", "contract");
        let count = |url: &str| {
            let mut db = common::connect(url, p);
            db.query_text("SELECT COUNT(*) FROM refinery_schema_history")
                .unwrap()[0][0]
                .clone()
        };
        let before = count(&url);
        for phase in ["expand", "contract"] {
            let out = migrate_bundle(p, &bundle, &url, phase);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}: {err}{}",
                server.dialect(),
                stdout(&out)
            );
            assert!(err.contains("lacks release 1.4.0"), "{err}");
            assert!(err.contains("expand(1.4.0)"), "{err}");
            assert_eq!(count(&url), before, "the refused bundle applied files");
        }
        // 1.4.0's contract holds no file (its drop waits for contract(1.5.0)): once its
        // expand is in, the bundle applies.
        migrate_project(p, &url, "1.4.0", "expand");
        let out = migrate_bundle(p, &bundle, &url, "contract");
        assert!(out.status.success(), "{}", stderr(&out));
        let status = run(p, &["status", "--database-url", &url]);
        assert!(
            stdout(&status).contains("every generated file is applied"),
            "{}",
            stdout(&status)
        );
    }
}

/// The manifest of bundle `b` of `p`, as JSON.
fn manifest(p: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(p.join("b/manifest.json")).unwrap()).unwrap()
}

fn sqlite_at_1_4(p: &Path) -> String {
    migrate_project(
        p,
        &format!("sqlite://{}", p.join("app.db").display()),
        "1.4.0",
        "contract",
    );
    format!("sqlite://{}", p.join("app.db").display())
}

/// A manifest entry that names a file outside pre-deploy/ or post-deploy/ (`..`, an
/// absolute path, a symbolic link that leads out) is refused by name, and nothing runs,
/// even where the file's SHA-256 matches.
#[test]
fn a_bundle_reads_only_its_own_files() {
    let dir = bundled("sqlite");
    let p = dir.path();
    let url = sqlite_at_1_4(p);
    let original = manifest(p);
    let first = original["files"][0]["file"].as_str().unwrap().to_string();
    let name = first.rsplit('/').next().unwrap().to_string();
    let evil = "CREATE TABLE pwned (x int);\n";
    fs::create_dir_all(p.join("elsewhere")).unwrap();
    fs::write(p.join("elsewhere").join(&name), evil).unwrap();
    let sum = tandem::lock::sha256_hex(evil.as_bytes());
    let outside = p.join("elsewhere").join(&name);
    for file in [
        format!("../elsewhere/{name}"),
        format!("pre-deploy/../../elsewhere/{name}"),
        outside.to_str().unwrap().to_string(),
        format!("pre-deploy/sub/{name}"),
        name.clone(),
    ] {
        let mut m = original.clone();
        m["files"][0]["file"] = file.clone().into();
        m["files"][0]["sha256"] = sum.clone().into();
        fs::write(p.join("b/manifest.json"), m.to_string()).unwrap();
        let out = migrate_bundle(p, &p.join("b"), &url, "contract");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}{}", stdout(&out));
        assert!(err.contains(&format!("manifest entry `{file}`")), "{err}");
        assert!(err.contains("manifest.json:"), "no line: {err}");
    }
    // A symbolic link inside pre-deploy/ that leads out.
    let link = p.join("b").join(&first);
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let mut m = original.clone();
    m["files"][0]["sha256"] = sum.into();
    fs::write(p.join("b/manifest.json"), m.to_string()).unwrap();
    let out = migrate_bundle(p, &p.join("b"), &url, "contract");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("manifest entry `{first}`")), "{err}");
    assert!(err.contains("leads out"), "{err}");
    let mut db = common::connect(&url, p);
    assert!(!db.table_names().unwrap().iter().any(|t| t == "pwned"));
}

/// Every malformed manifest shape is an input error (exit 2), never a crash (101).
#[test]
fn a_malformed_manifest_is_an_input_error() {
    use serde_json::{json, Value};
    let dir = bundled("sqlite");
    let p = dir.path();
    let url = sqlite_at_1_4(p);
    let good = manifest(p);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut m = good.clone();
        edit(&mut m);
        m.to_string()
    };
    let huge = "9".repeat(40);
    let cases: Vec<(&str, String)> = vec![
        ("empty releases", with(&|m| m["releases"] = json!([]))),
        (
            "releases without the release",
            with(&|m| m["releases"] = json!(["1.4.0"])),
        ),
        (
            "duplicate releases",
            with(&|m| m["releases"] = json!(["1.4.0", "1.5.0", "1.5.0"])),
        ),
        ("empty release name", with(&|m| m["release"] = json!(""))),
        (
            "empty release in list",
            with(&|m| m["releases"] = json!(["", "1.5.0"])),
        ),
        (
            "release with a slash",
            with(&|m| m["release"] = json!("../x")),
        ),
        (
            "releases not a list",
            with(&|m| m["releases"] = json!("1.5.0")),
        ),
        ("release a number", with(&|m| m["release"] = json!(15))),
        (
            "missing release",
            with(&|m| {
                m.as_object_mut().unwrap().remove("release");
            }),
        ),
        (
            "missing files",
            with(&|m| {
                m.as_object_mut().unwrap().remove("files");
            }),
        ),
        (
            "missing dialect",
            with(&|m| {
                m.as_object_mut().unwrap().remove("dialect");
            }),
        ),
        ("unknown dialect", with(&|m| m["dialect"] = json!("oracle"))),
        ("empty dialect", with(&|m| m["dialect"] = json!(""))),
        ("files not a list", with(&|m| m["files"] = json!({}))),
        (
            "file entry a string",
            with(&|m| m["files"] = json!(["pre-deploy/x.sql"])),
        ),
        ("file entry null", with(&|m| m["files"][0] = Value::Null)),
        ("empty file", with(&|m| m["files"][0]["file"] = json!(""))),
        (
            "file a directory",
            with(&|m| m["files"][0]["file"] = json!("pre-deploy")),
        ),
        (
            "file with a NUL",
            with(&|m| m["files"][0]["file"] = json!("pre-deploy/V1__a\u{0}.sql")),
        ),
        (
            "unknown phase",
            with(&|m| m["files"][0]["phase"] = json!("baseline")),
        ),
        ("empty phase", with(&|m| m["files"][0]["phase"] = json!(""))),
        (
            "phase in the other folder",
            with(&|m| {
                let f = m["files"][0]["file"]
                    .as_str()
                    .unwrap()
                    .replace("pre-deploy", "post-deploy");
                m["files"][0]["file"] = json!(f);
            }),
        ),
        (
            "version zero",
            with(&|m| m["files"][0]["version"] = json!(0)),
        ),
        (
            "version negative",
            with(&|m| m["files"][0]["version"] = json!(-5)),
        ),
        (
            "version past i32",
            with(&|m| m["files"][0]["version"] = json!(4_294_967_296_i64)),
        ),
        (
            "version past i64",
            with(&|m| m["files"][0]["version"] = serde_json::from_str::<Value>(&huge).unwrap()),
        ),
        (
            "version a float",
            with(&|m| m["files"][0]["version"] = json!(1.5)),
        ),
        (
            "version a string",
            with(&|m| m["files"][0]["version"] = json!("2000")),
        ),
        (
            "version not the file's",
            with(&|m| {
                let v = m["files"][0]["version"].as_i64().unwrap();
                m["files"][0]["version"] = json!(v + 1);
            }),
        ),
        (
            "duplicate entry",
            with(&|m| {
                let f = m["files"][0].clone();
                m["files"].as_array_mut().unwrap().push(f);
            }),
        ),
        (
            "empty sha256",
            with(&|m| m["files"][0]["sha256"] = json!("")),
        ),
        (
            "sha256 not hex",
            with(&|m| m["files"][0]["sha256"] = json!("z".repeat(64))),
        ),
        (
            "wrong sha256",
            with(&|m| m["files"][0]["sha256"] = json!("0".repeat(64))),
        ),
        (
            "missing sha256",
            with(&|m| {
                m["files"][0].as_object_mut().unwrap().remove("sha256");
            }),
        ),
        (
            "no_transaction a string",
            with(&|m| m["files"][0]["no_transaction"] = json!("yes")),
        ),
        (
            "changes not a list",
            with(&|m| m["files"][0]["changes"] = json!(7)),
        ),
        (
            "requires a version past i32",
            with(&|m| {
                m["requires"] = json!([{"release": "1.4.0", "phase": "expand", "versions": [4_294_967_296_i64]}])
            }),
        ),
        (
            "requires not a list",
            with(&|m| m["requires"] = json!("1.4.0")),
        ),
        (
            "stops_using wrong",
            with(&|m| m["stops_using"] = json!([1, 2])),
        ),
        ("not an object", "[]".to_string()),
        ("null", "null".to_string()),
        ("empty", String::new()),
        ("truncated", good.to_string()[..40].to_string()),
        (
            "deeply nested",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
        (
            "not UTF-8",
            "{\"release\": \"\u{FFFD}\"}".replace('\u{FFFD}', "\u{0}"),
        ),
    ];
    for (what, text) in &cases {
        fs::write(p.join("b/manifest.json"), text).unwrap();
        for phase in ["expand", "contract"] {
            let out = migrate_bundle(p, &p.join("b"), &url, phase);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what}: {}{}",
                stderr(&out),
                stdout(&out)
            );
            assert!(
                !stderr(&out).contains("panicked"),
                "{what}: {}",
                stderr(&out)
            );
        }
    }
    // Bytes that are not UTF-8.
    fs::write(p.join("b/manifest.json"), b"{\"release\": \"\xff\"}").unwrap();
    let out = migrate_bundle(p, &p.join("b"), &url, "expand");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // The history is untouched: the good manifest still applies.
    fs::write(p.join("b/manifest.json"), good.to_string()).unwrap();
    let out = migrate_bundle(p, &p.join("b"), &url, "contract");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A database that ran the previous release's expand but not its contract (which drops
/// what an earlier release retired) is refused too, naming that contract.
#[test]
fn a_bundle_refuses_a_database_without_the_previous_contract() {
    let drop_130 = INCIDENT[0].1.replace("1.4.0", "1.3.0");
    let dir = users_project(
        "sqlite",
        &[
            ("0006_drop.toml", &drop_130),
            ("0007_next.toml", &select_one("1.4.0")),
            INCIDENT[1],
        ],
    );
    let p = dir.path();
    assert!(run(p, &["release", "cut", "1.5.0"]).status.success());
    let made = run(
        p,
        &[
            "release",
            "bundle",
            "1.5.0",
            "--out",
            p.join("b").to_str().unwrap(),
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let url = format!("sqlite://{}", p.join("app.db").display());
    migrate_project(p, &url, "1.4.0", "expand");
    let out = migrate_bundle(p, &p.join("b"), &url, "expand");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}{}", stdout(&out));
    assert!(err.contains("lacks release 1.4.0"), "{err}");
    assert!(err.contains("contract(1.4.0)"), "{err}");
    assert!(!err.contains("expand(1.4.0)"), "{err}");
    migrate_project(p, &url, "1.4.0", "contract");
    let out = migrate_bundle(p, &p.join("b"), &url, "contract");
    assert!(out.status.success(), "{}", stderr(&out));
}
