//! The fleet gate: a contract runs only once no deployment of an older release is still
//! running, and an expand only while nothing older than the release before it runs.
//! What runs is read from the database's own list of connections (Postgres
//! `pg_stat_activity.application_name`, MariaDB/MySQL connection attributes, which MariaDB
//! exposes only with `performance_schema=ON`), or from a file or a command that prints
//! one running release per line. Each connection names its release through a pattern,
//! `*@{release}` by default (`shop-api@1.4.0`).

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::database::{Database, DbError, Target};
use crate::config::Config;
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::layout::inert;
use crate::release::Releases;
use crate::sql::server;
use crate::sql::Dialect;

/// The table that keeps every skipped gate with its reason, beside the history.
pub use crate::sql::bookkeeping::SKIP_LOG_TABLE;

/// Where the gate learns what runs, and whether it was told to stand aside.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub file: Option<PathBuf>,
    pub command: Option<String>,
    /// `--skip-fleet-check --reason TEXT`.
    pub skip_reason: Option<String>,
    /// How a connection's name carries its release: `*` for anything, `{release}` once.
    pub pattern: String,
    /// How long the command may run.
    pub command_timeout: Duration,
}

impl FleetOptions {
    /// The options of the gate: the command line's first (`--fleet-file`, `--fleet-cmd`,
    /// `--skip-fleet-check --reason`), then tandem.toml's `[fleet]` (when there is a
    /// project); `TANDEM_SKIP_FLEET_CHECK=<reason>` skips the gate as the flag does.
    pub fn resolve(
        file: Option<PathBuf>,
        command: Option<String>,
        skip_reason: Option<String>,
        config: Option<&Config>,
    ) -> FleetOptions {
        let settings = config.map(|c| c.fleet.clone()).unwrap_or_default();
        let env_reason = std::env::var("TANDEM_SKIP_FLEET_CHECK")
            .ok()
            .filter(|r| !r.trim().is_empty());
        FleetOptions {
            file: file.or_else(|| {
                let file = settings.file.as_ref()?;
                Some(
                    config
                        .map(|c| c.root.join(file))
                        .unwrap_or_else(|| file.into()),
                )
            }),
            command: command.or(settings.command),
            skip_reason: skip_reason.or(env_reason),
            pattern: settings.pattern,
            command_timeout: settings.command_timeout,
        }
    }
}

/// One running client and the release it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub release: String,
    /// Where it was seen: `pid 4711 (shop-api@1.3.0)`, `fleet.txt:3`.
    pub seen: String,
}

/// What the gate decided.
#[derive(Debug)]
pub enum Verdict {
    Passed { source: String, clients: usize },
    Skipped { reason: String },
    NoSource { note: String },
}

impl Verdict {
    /// Says on stderr what the gate did.
    pub fn report(self) {
        match self {
            Verdict::Passed { source, clients } => {
                eprintln!("fleet gate: passed ({clients} tagged client(s) read from {source})")
            }
            Verdict::Skipped { reason } => {
                eprintln!("fleet gate: SKIPPED, reason recorded in {SKIP_LOG_TABLE}: {reason}")
            }
            Verdict::NoSource { note } => eprintln!("fleet gate: {note}"),
        }
    }
}

/// Runs the gate before a migrate of `target` and says what it decided. A SQLite
/// database with no file or command to ask is not even opened: there is no fleet to
/// check, and no reason to create the file before migrate's own checks.
pub fn gate_before_migrate(
    target: &Target,
    options: &FleetOptions,
    releases: &Releases,
    r: usize,
    contract: bool,
) -> Result<()> {
    if target.dialect() == Dialect::Sqlite && options.file.is_none() && options.command.is_none() {
        eprintln!("fleet gate: a SQLite database has no fleet to check");
        return Ok(());
    }
    let mut db = super::connect(target, true)?;
    gate(&mut db, options, releases, r, contract)?.report();
    Ok(())
}

/// Checks the fleet before `phase` of release `r`: refuses (exit 1) while a client of a
/// release that must no longer run is connected.
pub fn gate(
    db: &mut Database,
    options: &FleetOptions,
    releases: &Releases,
    r: usize,
    contract: bool,
) -> Result<Verdict> {
    let release = releases.name(r);
    let phase = if contract { "contract" } else { "expand" };
    let told = options.file.is_some() || options.command.is_some();
    if db.dialect() == Dialect::Sqlite && !told {
        return Ok(Verdict::NoSource {
            note: "a SQLite database has no fleet to check".into(),
        });
    }
    if let Some(reason) = &options.skip_reason {
        record_skip(db, release, phase, reason)
            .map_err(|e| Diag::input(format!("cannot record the skipped fleet check: {e}")))?;
        return Ok(Verdict::Skipped {
            reason: reason.clone(),
        });
    }
    let (source, clients) = match (&options.file, &options.command) {
        (Some(file), _) => (format!("{}", file.display()), from_file(file, releases)?),
        (None, Some(cmd)) => (
            format!("`{cmd}`"),
            from_command(cmd, options.command_timeout, releases)?,
        ),
        (None, None) => match from_database(db)? {
            Some((source, names)) => (
                source,
                names
                    .into_iter()
                    .filter_map(|(name, seen)| {
                        Some(Client {
                            release: release_of(&options.pattern, &name)?.to_string(),
                            seen,
                        })
                    })
                    .collect(),
            ),
            None => return Err(no_source(release, phase)),
        },
    };
    // Contract(R) waits for every release before R to be gone; expand(R) tolerates R-1.
    let oldest_allowed = if contract { r } else { r.saturating_sub(1) };
    let clients: Vec<Client> = clients
        .into_iter()
        .filter(|c| orderable(releases, &c.release))
        .collect();
    let blocking: Vec<&Client> = clients
        .iter()
        .filter(|c| older_than(releases, &c.release, oldest_allowed))
        .collect();
    if blocking.is_empty() {
        return Ok(Verdict::Passed {
            source,
            clients: clients.len(),
        });
    }
    let mut diag = Diag::refused(format!(
        "refused: {phase}({release}) while {} client(s) of an older release still run",
        blocking.len()
    ));
    for c in &blocking {
        diag = diag.note(format!("release {} ({})", c.release, inert(&c.seen)));
    }
    let why = if contract {
        format!("contract({release}) removes what releases before {release} still use")
    } else {
        format!(
            "expand({release}) keeps only {} working, not the releases before it",
            releases.previous_name(r)
        )
    };
    Err(diag
        .note(format!("{why}; the fleet was read from {source}"))
        .help("finish the rollout first, then run migrate again; or pass --skip-fleet-check --reason \"...\" (recorded with the history)")
        .into())
}

/// The gate's refusal where the database cannot say what runs.
fn no_source(release: &str, phase: &str) -> crate::diag::Error {
    Diag::refused(format!(
        "refused: the fleet gate before {phase}({release}) has no source on this database"
    ))
    .note("MariaDB shows connection attributes only with performance_schema=ON, which is off by default")
    .help("turn performance_schema on, or pass --fleet-file FILE or --fleet-cmd CMD (one running release per line), or --skip-fleet-check --reason \"...\"")
    .into()
}

/// `shop-api@1.4.0` under `*@{release}` -> `1.4.0`. A `*` before the release takes as
/// much as it can, so `a@b@2.0.0` runs `2.0.0`.
pub fn release_of<'a>(pattern: &str, name: &'a str) -> Option<&'a str> {
    let (pre, post) = pattern.split_once("{release}")?;
    (0..=name.len())
        .rev()
        .filter(|&i| name.is_char_boundary(i) && glob(pre, &name[..i]))
        .find_map(|i| {
            let release = name[i..].strip_suffix(post)?;
            (!release.is_empty() && !glob_has_wildcard(post)).then_some(release)
        })
}

fn glob_has_wildcard(p: &str) -> bool {
    p.contains('*')
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((literal, rest)) => match text.strip_prefix(literal) {
            None => false,
            Some(after) => (0..=after.len())
                .filter(|&i| after.is_char_boundary(i))
                .any(|i| glob(rest, &after[i..])),
        },
    }
}

/// Whether `release` can be placed among the project's releases: one of them, or a
/// semantic version of a project whose releases are.
fn orderable(releases: &Releases, release: &str) -> bool {
    releases.index(release).is_some()
        || (releases.is_semver() && crate::release::parse_semver(release).is_ok())
}

/// Whether `release` is older than release `oldest_allowed` of the project.
fn older_than(releases: &Releases, release: &str, oldest_allowed: usize) -> bool {
    if let Some(i) = releases.index(release) {
        return i < oldest_allowed;
    }
    if oldest_allowed >= releases.len() {
        return false;
    }
    match (
        crate::release::parse_semver(release),
        crate::release::parse_semver(releases.name(oldest_allowed)),
    ) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

fn from_file(path: &std::path::Path, releases: &Releases) -> Result<Vec<Client>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diag::input(format!("cannot read --fleet-file {}: {e}", path.display())))?;
    let source = SourceFile::new(path.display().to_string(), text);
    lines(&source, releases)
}

/// Runs the fleet command, for at most `timeout`: past it the command (and what it
/// started) is killed and the gate fails.
fn from_command(cmd: &str, timeout: Duration, releases: &Releases) -> Result<Vec<Client>> {
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| Diag::input(format!("cannot run --fleet-cmd `{cmd}`: {e}")))?;
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = reader(Box::new(child.stdout.take().expect("piped")));
    let stderr = reader(Box::new(child.stderr.take().expect("piped")));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(None) => {
                kill_group(&mut child);
                return Err(Diag::input(format!(
                    "--fleet-cmd `{cmd}` did not finish within {} s; killed",
                    timeout.as_secs_f64()
                ))
                .help("make the command answer sooner, or raise `command_timeout` (seconds) under [fleet] in tandem.toml")
                .into());
            }
            Err(e) => {
                kill_group(&mut child);
                return Err(
                    Diag::input(format!("cannot wait for --fleet-cmd `{cmd}`: {e}")).into(),
                );
            }
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(Diag::input(format!(
            "--fleet-cmd `{cmd}` failed ({status}): {}",
            String::from_utf8_lossy(&err).trim()
        ))
        .into());
    }
    let source = SourceFile::new(
        format!("`{cmd}`"),
        String::from_utf8_lossy(&out).into_owned(),
    );
    lines(&source, releases)
}

/// Kills the command and every process it started (its process group).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One running release per line; blank lines and `#` comments skipped, a byte-order mark
/// at the start ignored. Any other line must be a release the project can order: a line
/// that is not (`app@1.0.0`, `1.0.0 (3 pods)`, `"1.0.0"`) would otherwise go unseen.
fn lines(source: &std::sync::Arc<SourceFile>, releases: &Releases) -> Result<Vec<Client>> {
    let text = &source.text;
    let mut clients = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let line = if i == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let release = line.trim();
        if release.is_empty() || release.starts_with('#') {
            continue;
        }
        if !orderable(releases, release) {
            let lead = raw.find(release).unwrap_or(0);
            let at = start + lead..start + lead + release.len();
            let expected = if releases.is_semver() {
                "a release name (a semantic version, e.g. `1.4.0`)"
            } else {
                "a release name of the `releases` list of tandem.toml"
            };
            return Err(Diag::input(format!(
                "`{}` in the fleet list is not a release",
                inert(release)
            ))
            .at(Location::new(source, at))
            .label(format!("expected {expected}"))
            .help("list one running release per line, nothing else on it (a `#` line is a comment)")
            .into());
        }
        clients.push(Client {
            release: release.to_string(),
            seen: format!("{}:{}", source.path, i + 1),
        });
    }
    Ok(clients)
}

/// An application name as a connection gave it, and where it was seen.
type Named = (String, String);

/// The application names of the other connections to this database; `None` where the
/// database does not expose them.
fn from_database(db: &mut Database) -> Result<Option<(String, Vec<Named>)>> {
    let err = |e: DbError| Diag::input(format!("cannot read the connections: {e}"));
    let rows = match db.dialect() {
        Dialect::Sqlite => return Ok(None),
        Dialect::Postgres => db.query_text(server::POSTGRES_SESSIONS).map_err(err)?,
        Dialect::Mysql => {
            let on = db
                .query_text(server::MYSQL_PERFORMANCE_SCHEMA)
                .map_err(err)?
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .is_some_and(|v| v == "1");
            if !on {
                return Ok(None);
            }
            db.query_text(server::MYSQL_SESSIONS).map_err(err)?
        }
    };
    let source = server::sessions_source(db.dialect());
    Ok(Some((
        source.to_string(),
        rows.into_iter()
            .filter_map(|r| {
                let name = r.first().cloned().flatten()?;
                let id = r.get(1).cloned().flatten().unwrap_or_default();
                Some((name.clone(), format!("connection {id}: {name}")))
            })
            .collect(),
    )))
}

/// Keeps the skip and its reason in the database, beside the history.
fn record_skip(
    db: &mut Database,
    release: &str,
    phase: &str,
    reason: &str,
) -> std::result::Result<(), DbError> {
    let at = super::now_rfc3339();
    let insert = db
        .own_tables()
        .record_skip(db.dialect(), &at, release, phase, reason);
    let create = db.own_tables().create_skip_log();
    db.create_own_table(&create)?;
    db.run_script(&insert)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PATTERN;

    #[test]
    fn connection_names_carry_their_release() {
        assert_eq!(release_of(DEFAULT_PATTERN, "shop-api@1.4.0"), Some("1.4.0"));
        assert_eq!(release_of(DEFAULT_PATTERN, "a@b@2.0.0"), Some("2.0.0"));
        assert_eq!(release_of(DEFAULT_PATTERN, "psql"), None);
        assert_eq!(
            release_of("shop-api/{release}", "shop-api/1.4.0"),
            Some("1.4.0")
        );
        assert_eq!(release_of("shop-api/{release}", "other/1.4.0"), None);
        assert_eq!(
            release_of("*-{release}-web", "shop-1.4.0-web"),
            Some("1.4.0")
        );
    }
}
