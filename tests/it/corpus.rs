//! Public applications' schemas, as their projects ship them (tests/fixtures/corpus, one
//! folder each with its source and version, indexed by corpus.toml), taken through
//! adoption as a new user would: load the file with the server's own client, then
//! `introspect` -> `plan` -> the baseline on an empty database -> the same catalogue read
//! back -> `migrate --adopt` on the original -> no drift. No step edits what tandem wrote.
//!
//! Each schema records in corpus.toml the last stage it reaches (`reaches`): a schema that
//! stops earlier fails the test (a regression), one that goes further says so loudly, so
//! that the record is raised with the fix. The large schemas run with
//! `cargo test --test it corpus:: -- --ignored`.

use crate::common;

mod release;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::normal::normal;
use common::{stderr, stdout, tandem, Server};
use tandem::apply::database::Target;
use tandem::apply::scratch::Scratch;
use tandem::diag::SourceFile;
use tandem::parse::schema::parse_project_schema;

/// The stages of adoption, in order.
const STAGES: &[&str] = &[
    "load",
    "introspect",
    "plan",
    "baseline",
    "round_trip",
    "adopt",
    "no_drift",
    "verify",
    "release",
];

#[derive(serde::Deserialize)]
struct Index {
    schema: Vec<Entry>,
}

#[derive(serde::Deserialize, Clone)]
struct Entry {
    name: String,
    dialect: String,
    file: String,
    #[serde(default)]
    large: bool,
    #[serde(default)]
    roles: Vec<String>,
    /// Extensions the file creates.
    #[serde(default)]
    extensions: Vec<String>,
    /// Regexes of lines left out at load (commands that read files not in the corpus).
    #[serde(default)]
    skip_statements: Vec<String>,
    /// The database the file creates and uses itself (MySQL), instead of the one given.
    #[serde(default)]
    database: Option<String>,
    /// Placeholders the project's installer replaces before it loads the file.
    #[serde(default)]
    substitute: std::collections::BTreeMap<String, String>,
    /// How many `[[objects]]` introspect writes (views, triggers, routines, ...), when
    /// recorded.
    #[serde(default)]
    objects: Option<usize>,
    /// The last stage this schema is known to reach.
    #[serde(default = "loaded")]
    reaches: String,
}

fn loaded() -> String {
    "load".into()
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn entries() -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus_dir().join("corpus.toml"))
        .expect("tests/fixtures/corpus/corpus.toml");
    toml::from_str::<Index>(&text).expect("corpus.toml").schema
}

/// Where a schema stopped: the last stage it passed and what the next one said.
struct Outcome {
    reached: usize,
    failure: Option<String>,
}

fn stage_index(name: &str) -> usize {
    STAGES
        .iter()
        .position(|s| *s == name)
        .unwrap_or_else(|| panic!("unknown stage `{name}` in corpus.toml; stages: {STAGES:?}"))
}

fn url_of(target: &Target) -> String {
    match target {
        Target::Postgres(u) | Target::Mysql(u) => u.clone(),
        other => panic!("not a server: {other:?}"),
    }
}

/// The file as the project's installer would hand it to the client: placeholders
/// replaced, skipped lines left out, and the lines of `skips` too. A file that makes its
/// own database (`entry.database`) makes `database` instead.
fn prepared(entry: &Entry, skips: &[String], database: &str) -> String {
    let mut text = std::fs::read_to_string(corpus_dir().join(&entry.file)).expect("the file");
    for (from, to) in &entry.substitute {
        text = text.replace(from, to);
    }
    if let Some(own) = &entry.database {
        let own = regex::escape(own);
        let statements = regex::Regex::new(&format!(
            r"(?im)^(\s*(?:(?:DROP|CREATE)\s+(?:DATABASE|SCHEMA)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?|USE\s+))`?{own}`?"
        ))
        .unwrap();
        text = statements
            .replace_all(&text, format!("${{1}}{database}"))
            .into_owned();
        let qualified = regex::Regex::new(&format!(r"\b{own}\.")).unwrap();
        text = qualified
            .replace_all(&text, format!("{database}."))
            .into_owned();
    }
    let skips: Vec<regex::Regex> = entry
        .skip_statements
        .iter()
        .chain(skips)
        .map(|r| regex::Regex::new(r).expect("a regex in skip_statements"))
        .collect();
    text.lines()
        .filter(|l| !skips.iter().any(|r| r.is_match(l)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The database a server URL names.
fn database_name(url: &str) -> &str {
    let path = url.rsplit('/').next().unwrap_or(url);
    path.split('?').next().unwrap_or(path)
}

/// Loads `entry`'s file with the server's own client, as the project's docs do.
fn load(server: Server, url: &str, entry: &Entry) -> Result<(), String> {
    use std::io::Write;
    let roles = &entry.roles;
    let skips = match server {
        Server::Postgres => unavailable_extensions(url, entry)?,
        _ => Vec::new(),
    };
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("schema.sql");
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(prepared(entry, &skips, database_name(url)).as_bytes()))
        .unwrap();
    let file = file.as_path();
    let output = match server {
        Server::Postgres => {
            for role in roles {
                let create = format!(
                    "DO $$ BEGIN CREATE ROLE \"{role}\"; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                );
                Command::new("psql")
                    .args(["-X", "-q", "-d", url, "-c", &create])
                    .output()
                    .map_err(|e| format!("psql: {e}"))?;
            }
            Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
                .arg(file)
                .output()
        }
        Server::Mysql => {
            let rest = url.split('@').nth(1).expect("user@host");
            let (host_port, name) = rest.split_once('/').expect("a database name");
            let port = host_port.split(':').nth(1).unwrap_or("3306");
            let name = name.split('?').next().unwrap_or(name);
            let input = std::fs::File::open(file).map_err(|e| e.to_string())?;
            let mut client = Command::new("mariadb");
            client
                .args(["-h", "127.0.0.1", "-u", "root", "--batch"])
                .arg(format!("--port={port}"));
            // A file that makes its own database is loaded without choosing one.
            if entry.database.is_none() {
                client.arg(name);
            }
            client.stdin(input).output()
        }
        Server::Sqlite => unreachable!(),
    }
    .map_err(|e| format!("the server's client does not run: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(stderr(&output).chars().take(2000).collect())
    }
}

/// A fresh database on the server at `base`, or on the test server of `server`.
fn fresh(server: Server, base: Option<&str>) -> Option<Scratch> {
    match base {
        Some(url) => {
            let target = Target::parse(url, Path::new(".")).expect("a database URL");
            Some(Scratch::create(&target).expect("create a scratch database"))
        }
        None => server.fresh(),
    }
}

/// The lines that create or comment on an extension `entry` needs and the server at
/// `url` cannot install (a server built without it, e.g. pgcrypto without OpenSSL), said
/// loudly: a schema that calls into such an extension fails to load, one that only
/// declares it loads without it.
fn unavailable_extensions(url: &str, entry: &Entry) -> Result<Vec<String>, String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-At", "-d", url, "-c"])
        .arg("SELECT name FROM pg_available_extensions")
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    let available = stdout(&out);
    let available: Vec<&str> = available.lines().collect();
    let mut skips = Vec::new();
    for ext in entry
        .extensions
        .iter()
        .filter(|e| !available.contains(&e.as_str()))
    {
        eprintln!(
            "!!!!!!!! corpus {}: this server cannot install extension {ext}; its CREATE and \
             COMMENT lines are left out of the load !!!!!!!!",
            entry.name
        );
        let ext = regex::escape(ext);
        skips.push(format!(
            r"^\s*(CREATE EXTENSION (IF NOT EXISTS )?{ext}\b|COMMENT ON EXTENSION {ext}\b)"
        ));
    }
    Ok(skips)
}

/// Takes one schema as far as it goes, on the server at `base` (else the test server).
fn adopt(entry: &Entry, base: Option<&str>) -> Option<Outcome> {
    let server = match entry.dialect.as_str() {
        "postgres" => Server::Postgres,
        "mysql" => Server::Mysql,
        other => panic!("{}: unknown dialect {other}", entry.name),
    };
    let original = fresh(server, base)?;
    // A file that makes its own database makes the scratch one instead (its name in the
    // file is replaced), so that runs side by side do not share it.
    let url = url_of(&original.target);
    let mut reached = 0;
    let mut step =
        |result: Result<(), String>| -> Result<(), String> { result.map(|()| reached += 1) };
    let run = |dir: &Path, args: &[&str]| tandem(dir).args(args).output().unwrap();
    let said = |what: &str, out: &std::process::Output| {
        format!(
            "{what} exited {:?}\n{}\n{}",
            out.status.code(),
            stderr(out).chars().take(3000).collect::<String>(),
            stdout(out).chars().take(1000).collect::<String>()
        )
    };
    let dir = common::project_files(
        server.dialect(),
        "",
        &[(
            "0001_adopt.toml",
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
        )],
    );
    let p = dir.path();
    let copy = fresh(server, base)?;
    let copy_url = url_of(&copy.target);
    let failure = (|| -> Result<(), String> {
        step(load(server, &url, entry))?;
        let out = run(p, &["introspect", "--database-url", &url]);
        step(if out.status.success() {
            std::fs::write(p.join("schema.toml"), stdout(&out)).unwrap();
            kept_as_objects(entry, &stdout(&out))
        } else {
            Err(said("introspect", &out))
        })?;
        let first = stdout(&out);
        let out = run(p, &["generate"]);
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("generate", &out)),
        )?;
        let out = common::migrate(p, &copy_url, "1.0.0", "expand");
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("migrate", &out)),
        )?;
        let out = run(p, &["introspect", "--database-url", &copy_url]);
        if !out.status.success() {
            return Err(said("introspect of the copy", &out));
        }
        let second = stdout(&out);
        let read = |name: &str, text: &str| {
            parse_project_schema(
                &SourceFile::new(name, text.to_string()),
                server_dialect(server),
            )
            .map_err(|e| e.render())
        };
        let (a, b) = (read("first.toml", &first)?, read("second.toml", &second)?);
        step(if normal(&a, server) == normal(&b, server) {
            Ok(())
        } else {
            Err(format!(
                "the baseline's catalogue reads back differently\n{}",
                lines_apart(&first, &second)
            ))
        })?;
        let out = common::migrate_command(p, &url, "1.0.0", "expand")
            .arg("--adopt")
            .output()
            .unwrap();
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("migrate --adopt", &out)),
        )?;
        let out = run(p, &["diff", "--database-url", &url]);
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("diff (drift)", &out)),
        )?;
        // One ordinary release on the adopted schema, rehearsed on the server.
        std::fs::write(
            p.join("changes/0002_note.toml"),
            ordinary_release(&std::fs::read_to_string(p.join("schema.toml")).unwrap()),
        )
        .unwrap();
        let out = run(p, &["generate"]);
        if !out.status.success() {
            return Err(said("generate of the ordinary release", &out));
        }
        let out = run(p, &["verify", "--database-url", &copy_url]);
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("verify", &out)),
        )?;
        // A release of ordinary changes through both phases on the adopted database,
        // with rows, then no drift and the whole plan rehearsed again.
        let schema = read(
            "schema.toml",
            &std::fs::read_to_string(p.join("schema.toml")).unwrap(),
        )?;
        let chosen = release::choose(&schema, &mut common::connect(&url, p))?;
        for (name, text) in release::change_files(&chosen, server_dialect(server)) {
            std::fs::write(p.join("changes").join(name), text).unwrap();
        }
        let out = run(p, &["generate"]);
        if !out.status.success() {
            return Err(said("generate of the ordinary changes", &out));
        }
        release::run(p, &url, &chosen)?;
        let out = run(p, &["diff", "--database-url", &url]);
        if !out.status.success() {
            return Err(said("diff (drift) after the ordinary changes", &out));
        }
        let out = run(p, &["verify", "--database-url", &copy_url]);
        step(
            out.status
                .success()
                .then_some(())
                .ok_or_else(|| said("verify of the ordinary changes", &out)),
        )?;
        Ok(())
    })()
    .err();
    Some(Outcome { reached, failure })
}

/// Whether introspect wrote the schema's views, triggers and routines as `[[objects]]`
/// (as many as recorded) and named none of them as left out in its header.
fn kept_as_objects(entry: &Entry, text: &str) -> Result<(), String> {
    let kinds = [
        "view(s)",
        "trigger(s)",
        "function(s)",
        "procedure(s)",
        "event(s)",
    ];
    let left_out: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .filter(|l| kinds.iter().any(|k| l.contains(&format!(" {k}:"))))
        .collect();
    if !left_out.is_empty() {
        return Err(format!("introspect left out objects: {left_out:?}"));
    }
    let written = text.matches("\n[[objects]]\n").count();
    match entry.objects {
        Some(n) if n != written => Err(format!(
            "introspect wrote {written} [[objects]], recorded: {n}"
        )),
        _ => Ok(()),
    }
}

/// A release that adds a nullable column to the first table with a foreign key (else the
/// first table) of an introspected schema.toml: what an application's next release does.
fn ordinary_release(schema: &str) -> String {
    let mut tables: Vec<String> = Vec::new();
    let mut keyed: Vec<String> = Vec::new();
    for line in schema.lines() {
        let header = line.trim_start_matches('[').strip_prefix("tables.");
        if let Some(rest) = header.filter(|_| line.starts_with('[')) {
            let name = match rest.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or(quoted),
                None => rest.split(['.', ']']).next().unwrap_or(rest),
            };
            if tables.last().map(String::as_str) != Some(name) {
                tables.push(name.to_string());
            }
        } else if line.contains("references") {
            if let Some(t) = tables.last() {
                keyed.push(t.clone());
            }
        }
    }
    let table = keyed.first().or(tables.first()).expect("a table");
    format!(
        "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"{table}\"\n\
         column = {{ name = \"release_note\", type = \"text\", nullable = true }}\n"
    )
}

/// The lines of one introspection missing from the other (at most 20 each way), to say
/// what differs.
fn lines_apart(first: &str, second: &str) -> String {
    let only = |a: &str, b: &str| -> Vec<String> {
        let other: std::collections::HashSet<&str> = b.lines().collect();
        a.lines()
            .filter(|l| !other.contains(l))
            .take(20)
            .map(str::to_string)
            .collect()
    };
    format!(
        "only in the original:\n  {}\nonly in the copy:\n  {}",
        only(first, second).join("\n  "),
        only(second, first).join("\n  ")
    )
}

fn server_dialect(server: Server) -> tandem::sql::Dialect {
    common::normal::dialect(server)
}

/// Runs the schemas that `pick` selects and compares each with its record.
fn check(pick: impl Fn(&Entry) -> bool) {
    check_on(None, pick)
}

/// [`check`] on the server at `base` (else the test server of each schema's dialect).
fn check_on(base: Option<&str>, pick: impl Fn(&Entry) -> bool) {
    let mut regressions = Vec::new();
    for entry in entries().into_iter().filter(|e| pick(e)) {
        let Some(outcome) = adopt(&entry, base) else {
            return;
        };
        let expected = stage_index(&entry.reaches) + 1;
        let last = |n: usize| if n == 0 { "nothing" } else { STAGES[n - 1] };
        eprintln!(
            "corpus {}: reaches {} (recorded: {}){}",
            entry.name,
            last(outcome.reached),
            entry.reaches,
            outcome
                .failure
                .as_deref()
                .map(|f| format!("; next stage failed: {f}"))
                .unwrap_or_default()
        );
        if outcome.reached < expected {
            regressions.push(format!(
                "{} stops after {} but is recorded to reach {}: {}",
                entry.name,
                last(outcome.reached),
                entry.reaches,
                outcome.failure.unwrap_or_default()
            ));
        } else if outcome.reached > expected {
            eprintln!(
                "\n!!!!!!!! corpus {}: now reaches {}; raise `reaches` in corpus.toml !!!!!!!!\n",
                entry.name,
                last(outcome.reached)
            );
        }
    }
    assert!(regressions.is_empty(), "{}", regressions.join("\n\n"));
}

#[test]
fn the_small_postgres_schemas_reach_their_recorded_stage() {
    check(|e| e.dialect == "postgres" && !e.large);
}

#[test]
fn the_small_mysql_schemas_reach_their_recorded_stage() {
    check(|e| e.dialect == "mysql" && !e.large);
}

#[test]
#[ignore = "large schemas: cargo test --test it corpus:: -- --ignored"]
fn the_large_schemas_reach_their_recorded_stage() {
    check(|e| e.large);
}

#[test]
fn every_corpus_entry_names_a_file_with_its_source() {
    let all = entries();
    assert!(all.len() >= 8, "the corpus holds {} schemas", all.len());
    for e in &all {
        let file = corpus_dir().join(&e.file);
        assert!(file.is_file(), "{}: {} is missing", e.name, file.display());
        let source = file.parent().unwrap().join("SOURCE.md");
        assert!(source.is_file(), "{}: SOURCE.md is missing", e.name);
        stage_index(&e.reaches);
    }
    for dialect in ["postgres", "mysql"] {
        let n = all.iter().filter(|e| e.dialect == dialect).count();
        assert!(n >= 4, "{n} {dialect} schemas");
    }
}

/// The Postgres schemas, large ones included, on the newest PostgreSQL (a private server,
/// see `common::newest_postgres`): what adoption reads of the catalogues must hold on the
/// server a new user is likeliest to run.
#[test]
#[ignore = "installs PostgreSQL 18 with pip: cargo test --test it corpus::newest -- --ignored"]
fn newest_postgres_takes_every_postgres_schema_to_its_recorded_stage() {
    let server = common::newest_postgres::NewestPostgres::start();
    let version = Command::new("psql")
        .args([
            "-X",
            "-At",
            "-d",
            &server.url(),
            "-c",
            "SHOW server_version_num",
        ])
        .output()
        .unwrap();
    let version: u32 = stdout(&version).trim().parse().expect("a version number");
    assert!(
        version >= 180000,
        "the private server is {version}, not 18 or newer"
    );
    check_on(Some(&server.url()), |e| e.dialect == "postgres");
}
