//! The fleet gate: a contract runs only once no deployment of an older release is still
//! running, and an expand only while nothing older than the release before it runs.
//! What runs is read from the database's own list of connections (Postgres
//! `pg_stat_activity.application_name`, MariaDB/MySQL connection attributes, which MariaDB
//! exposes only with `performance_schema=ON`), or from a file or a command that prints
//! one running release per line. Each connection names its release through a pattern,
//! `*@{release}` by default (`shop-api@1.4.0`). Where the database shows no names at all
//! (MariaDB's default), an expand goes ahead and says so, and a contract is refused
//! unless tandem.toml says, with a reason, that the project has no way to know.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::database::{Database, DbError, Target};
pub use super::fleet_seen::Client;
use super::fleet_seen::{classify, grouped, place, shown, Connection, Placed, Unchecked};
use crate::config::Config;
use crate::diag::{Diag, Location, Result, SourceFile};
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
    /// tandem.toml's `[fleet] source = "none"` reason: a contract where nothing shows
    /// what runs goes ahead, with this reason recorded.
    pub no_source_reason: Option<String>,
    /// `[fleet] require_tags`: a contract waits while an untagged connection is open.
    pub require_tags: bool,
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
            no_source_reason: settings.no_source_reason,
            require_tags: settings.require_tags,
        }
    }
}

/// What the gate decided.
#[derive(Debug)]
pub enum Verdict {
    /// Nothing runs that must not; `unchecked` are the connections it could not place.
    Passed {
        gated: String,
        source: String,
        clients: usize,
        unchecked: Vec<Unchecked>,
    },
    Skipped {
        reason: String,
    },
    NoSource {
        note: String,
    },
    /// An expand where nothing shows what runs: it goes ahead, saying what it saw.
    Unseen {
        gated: String,
        why: String,
        seen: Vec<Unchecked>,
    },
    /// A contract where nothing shows what runs, let through by `[fleet] source = "none"`.
    Declared {
        gated: String,
        reason: String,
        seen: Vec<Unchecked>,
    },
}

impl Verdict {
    /// Says on stderr what the gate did.
    pub fn report(self) {
        match self {
            Verdict::Passed {
                gated,
                source,
                clients,
                unchecked,
            } => {
                eprintln!(
                    "fleet gate: passed {gated} ({clients} tagged client(s) read from {source})"
                );
                if !unchecked.is_empty() {
                    eprintln!("fleet gate: {} connection(s) not checked:", unchecked.len());
                    print_seen(&unchecked);
                    eprintln!("  hint: tag each application's connections with its release (`shop-api@1.4.0`), and set [fleet] require_tags = true to hold a contract while an untagged one is open");
                }
            }
            Verdict::Skipped { reason } => {
                eprintln!("fleet gate: SKIPPED, reason recorded in {SKIP_LOG_TABLE}: {reason}")
            }
            Verdict::NoSource { note } => eprintln!("fleet gate: {note}"),
            Verdict::Unseen { gated, why, seen } => {
                eprintln!("fleet gate: {gated} not checked ({why}); an expand keeps the release before it working, so it goes ahead");
                report_seen(&seen);
            }
            Verdict::Declared {
                gated,
                reason,
                seen,
            } => {
                eprintln!("fleet gate: {gated} not checked: no source, and tandem.toml says [fleet] source = \"none\": {reason} (recorded in {SKIP_LOG_TABLE})");
                report_seen(&seen);
            }
        }
    }
}

fn report_seen(seen: &[Unchecked]) {
    if seen.is_empty() {
        eprintln!("fleet gate: no other connection to this database");
    } else {
        eprintln!(
            "fleet gate: {} connection(s) seen, not checked:",
            seen.len()
        );
        print_seen(seen);
    }
}

fn print_seen(seen: &[Unchecked]) {
    for line in grouped(seen) {
        eprintln!("  - {line}");
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

/// What the gate learnt of the fleet: where from (`None`: nothing shows what runs, and
/// `blind` says why), the clients it placed and the connections it could not.
struct Seen {
    source: Option<String>,
    blind: String,
    clients: Vec<Client>,
    unchecked: Vec<Unchecked>,
}

/// Checks the fleet before `phase` of release `r`: refuses (exit 1) while a client of a
/// release that must no longer run is connected, and before a contract while nothing
/// shows what runs, or (`require_tags`) while a connection names no release.
pub fn gate(
    db: &mut Database,
    options: &FleetOptions,
    releases: &Releases,
    r: usize,
    contract: bool,
) -> Result<Verdict> {
    let release = releases.name(r);
    let phase = if contract { "contract" } else { "expand" };
    let gated = format!("{phase}({release})");
    let told = options.file.is_some() || options.command.is_some();
    if db.dialect() == Dialect::Sqlite && !told {
        return Ok(Verdict::NoSource {
            note: "a SQLite database has no fleet to check".into(),
        });
    }
    if let Some(reason) = &options.skip_reason {
        record(db, release, phase, reason)?;
        return Ok(Verdict::Skipped {
            reason: reason.clone(),
        });
    }
    // Contract(R) waits for every release before R to be gone; expand(R) tolerates R-1,
    // and the expand of the first release the code before it, whatever it is.
    let oldest_allowed = if contract { Some(r) } else { r.checked_sub(1) };
    let seen = see(db, options, releases, oldest_allowed)?;
    refuse_older(&seen, releases, oldest_allowed, r, contract)?;
    let Seen {
        source,
        blind,
        clients,
        unchecked,
    } = seen;
    match source {
        None if !contract => Ok(Verdict::Unseen {
            gated,
            why: blind,
            seen: unchecked,
        }),
        None => match &options.no_source_reason {
            Some(reason) => {
                record(
                    db,
                    release,
                    phase,
                    &format!("[fleet] source = \"none\": {reason}"),
                )?;
                Ok(Verdict::Declared {
                    gated,
                    reason: reason.clone(),
                    seen: unchecked,
                })
            }
            None => Err(no_source(&gated, &blind, &unchecked)),
        },
        Some(source) if contract && options.require_tags && !unchecked.is_empty() => {
            Err(untagged(&gated, &source, &unchecked))
        }
        Some(source) => Ok(Verdict::Passed {
            gated,
            source,
            clients: clients.len(),
            unchecked,
        }),
    }
}

/// Keeps a gate let through without a check, and why, in the skip log.
pub fn record(db: &mut Database, release: &str, phase: &str, reason: &str) -> Result<()> {
    record_skip(db, release, phase, reason)
        .map_err(|e| Diag::input(format!("cannot record the skipped fleet check: {e}")).into())
}

/// Reads what runs: the file or the command when given, else the database.
fn see(
    db: &mut Database,
    options: &FleetOptions,
    releases: &Releases,
    oldest_allowed: Option<usize>,
) -> Result<Seen> {
    let listed = |source: String, clients: Vec<Client>| Seen {
        source: Some(source),
        blind: String::new(),
        clients,
        unchecked: Vec::new(),
    };
    if let Some(file) = &options.file {
        let clients = from_file(file, releases, oldest_allowed)?;
        return Ok(listed(format!("{}", file.display()), clients));
    }
    if let Some(cmd) = &options.command {
        let clients = from_command(cmd, options.command_timeout, releases, oldest_allowed)?;
        return Ok(listed(format!("`{cmd}`"), clients));
    }
    let (source, connections) = from_database(db)?;
    let blind = match source {
        None => blind_because(db.dialect()),
        Some(_) => String::new(),
    };
    let (clients, unchecked) = classify(connections, &options.pattern, releases, oldest_allowed);
    Ok(Seen {
        source,
        blind,
        clients,
        unchecked,
    })
}

/// Why the database shows no connection's release.
fn blind_because(dialect: Dialect) -> String {
    match dialect {
        Dialect::Mysql => {
            "performance_schema is off, so the server shows no connection's program name".into()
        }
        _ => "the database shows no connection's name".into(),
    }
}

/// The refusal while a client older than `oldest_allowed` is connected.
fn refuse_older(
    seen: &Seen,
    releases: &Releases,
    oldest_allowed: Option<usize>,
    r: usize,
    contract: bool,
) -> Result<()> {
    let blocking: Vec<&Client> = seen
        .clients
        .iter()
        .filter(|c| place(releases, &c.release, oldest_allowed) == Placed::Older)
        .collect();
    if blocking.is_empty() {
        return Ok(());
    }
    let release = releases.name(r);
    let phase = if contract { "contract" } else { "expand" };
    let mut diag = Diag::refused(format!(
        "refused: {phase}({release}) while {} client(s) of an older release still run",
        blocking.len()
    ));
    const SHOWN: usize = 20;
    for c in blocking.iter().take(SHOWN) {
        diag = diag.note(format!("release {} ({})", shown(&c.release), c.seen));
    }
    if blocking.len() > SHOWN {
        diag = diag.note(format!("and {} more", blocking.len() - SHOWN));
    }
    let why = if contract {
        format!("contract({release}) removes what releases before {release} still use")
    } else {
        format!(
            "expand({release}) keeps only {} working, not the releases before it",
            releases.previous_name(r)
        )
    };
    if !seen.unchecked.is_empty() {
        diag = diag.note(format!(
            "besides, {} connection(s) not checked (no release tag, or one that is no version)",
            seen.unchecked.len()
        ));
    }
    let source = seen.source.as_deref().unwrap_or("the database");
    Err(diag
        .note(format!("{why}; the fleet was read from {source}"))
        .help("finish the rollout first, then run migrate again; or pass --skip-fleet-check --reason \"...\" (recorded with the history)")
        .into())
}

/// The refusal of a contract where nothing shows what runs, with the ways out.
fn no_source(gated: &str, blind: &str, seen: &[Unchecked]) -> crate::diag::Error {
    let mut diag = Diag::refused(format!(
        "refused: {gated} removes what older releases use, and the fleet gate cannot see what runs: {blind}"
    ))
    .note(format!(
        "{} connection(s) seen, none can say its release",
        seen.len()
    ));
    for line in grouped(seen) {
        diag = diag.note(line);
    }
    diag.help("say what runs with --fleet-file FILE or --fleet-cmd CMD (one running release per line; or `file` / `command` under [fleet] in tandem.toml); or pass --skip-fleet-check --reason \"...\" for this run (recorded); or, if the project has no way to know, say so once in tandem.toml: [fleet] source = \"none\" with reason = \"...\" (recorded on every contract). On MariaDB, performance_schema=ON shows the connections' program names")
        .into()
}

/// The refusal of a contract under `require_tags` while connections name no release.
fn untagged(gated: &str, source: &str, unchecked: &[Unchecked]) -> crate::diag::Error {
    let mut diag = Diag::refused(format!(
        "refused: {gated} while {} connection(s) not checked are open ([fleet] require_tags = true)",
        unchecked.len()
    ));
    for line in grouped(unchecked) {
        diag = diag.note(line);
    }
    diag.note(format!("read from {source}"))
        .help("tag each application's connections with its release (`shop-api@1.4.0`), or close them; or pass --skip-fleet-check --reason \"...\" (recorded)")
        .into()
}

fn from_file(
    path: &std::path::Path,
    releases: &Releases,
    oldest_allowed: Option<usize>,
) -> Result<Vec<Client>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diag::input(format!("cannot read --fleet-file {}: {e}", path.display())))?;
    let source = SourceFile::new(path.display().to_string(), text);
    lines(&source, releases, oldest_allowed)
}

/// Runs the fleet command, for at most `timeout`: past it the command (and what it
/// started) is killed and the gate fails.
fn from_command(
    cmd: &str,
    timeout: Duration,
    releases: &Releases,
    oldest_allowed: Option<usize>,
) -> Result<Vec<Client>> {
    let out = run_command(cmd, timeout, "--fleet-cmd")?;
    let source = SourceFile::new(format!("`{cmd}`"), out);
    lines(&source, releases, oldest_allowed)
}

/// Runs `cmd` through `sh -c` (the `flag` that gave it, for messages) and returns what it
/// printed; it is killed, with every process it started, after `timeout`.
pub fn run_command(cmd: &str, timeout: Duration, flag: &str) -> Result<String> {
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
        .map_err(|e| Diag::input(format!("cannot run {flag} `{cmd}`: {e}")))?;
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
                    "{flag} `{cmd}` did not finish within {} s; killed",
                    timeout.as_secs_f64()
                ))
                .help("make the command answer sooner, or raise `command_timeout` (seconds) under [fleet] in tandem.toml")
                .into());
            }
            Err(e) => {
                kill_group(&mut child);
                return Err(Diag::input(format!("cannot wait for {flag} `{cmd}`: {e}")).into());
            }
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(Diag::input(format!(
            "{flag} `{cmd}` failed ({status}): {}",
            String::from_utf8_lossy(&err).trim()
        ))
        .into());
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
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
fn lines(
    source: &std::sync::Arc<SourceFile>,
    releases: &Releases,
    oldest_allowed: Option<usize>,
) -> Result<Vec<Client>> {
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
        if let Placed::Unplaceable(_) = place(releases, release, oldest_allowed) {
            let lead = raw.find(release).unwrap_or(0);
            let at = start + lead..start + lead + release.len();
            let expected = if releases.is_semver() {
                "a release name (a semantic version, e.g. `1.4.0`)"
            } else {
                "a release name of the `releases` list of tandem.toml"
            };
            return Err(Diag::input(format!(
                "`{}` in the fleet list is not a release",
                shown(release)
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

/// The other connections to this database, and the source that names them (`None`
/// where the database shows no names: MySQL without its performance schema).
fn from_database(db: &mut Database) -> Result<(Option<String>, Vec<Connection>)> {
    let err = |e: DbError| Diag::input(format!("cannot read the connections: {e}"));
    let (named, rows) = match db.dialect() {
        Dialect::Sqlite => return Ok((None, Vec::new())),
        Dialect::Postgres => (true, db.query_text(server::POSTGRES_SESSIONS).map_err(err)?),
        Dialect::Mysql => {
            let on = db
                .query_text(server::MYSQL_PERFORMANCE_SCHEMA)
                .map_err(err)?
                .first()
                .and_then(|r| r.first().cloned().flatten())
                .is_some_and(|v| v == "1");
            let sql = if on {
                server::MYSQL_SESSIONS
            } else {
                server::MYSQL_SESSIONS_UNNAMED
            };
            (on, db.query_text(sql).map_err(err)?)
        }
    };
    // One row per connection and name (MySQL gives a row per attribute): gathered by id.
    let mut connections: Vec<Connection> = Vec::new();
    let mut by_id: std::collections::HashMap<String, usize> = Default::default();
    for row in rows {
        let field = |i: usize| row.get(i).cloned().flatten();
        let id = field(0).unwrap_or_default();
        let i = *by_id.entry(id.clone()).or_insert_with(|| {
            connections.push(Connection {
                id,
                names: Vec::new(),
                user: field(1),
                address: field(2).map(|a| without_port(&a)),
            });
            connections.len() - 1
        });
        if let Some(name) = field(3).filter(|_| named) {
            connections[i].names.push(name);
        }
    }
    let source = named.then(|| server::sessions_source(db.dialect()).to_string());
    Ok((source, connections))
}

/// `10.0.0.7:51234` -> `10.0.0.7` (MySQL's processlist gives the client's port).
fn without_port(host: &str) -> String {
    match host.rsplit_once(':') {
        Some((address, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            address.to_string()
        }
        _ => host.to_string(),
    }
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
