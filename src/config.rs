//! `tandem.toml`: the project settings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{Diag, Location, Result, SourceFile};
use crate::parse::serde_error;
use crate::release::ReleaseOrder;
use crate::sql::Dialect;

pub const CONFIG_FILE: &str = "tandem.toml";

/// How `rename_column` keeps the old and the new name usable while both releases run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RenameMode {
    /// A new column, kept in sync by a trigger and backfilled; the old one dropped later.
    /// Works with any connection; copies every row.
    #[default]
    Copy,
    /// Per-release schemas of views that the code selects through `search_path`: a
    /// rename changes no row (PostgreSQL only).
    Views,
}

impl RenameMode {
    pub fn name(self) -> &'static str {
        match self {
            RenameMode::Copy => "copy",
            RenameMode::Views => "views",
        }
    }
}

fn default_view_schema_prefix() -> String {
    "app".into()
}

fn default_dialect() -> Dialect {
    Dialect::Postgres
}
fn default_schema() -> String {
    "schema.toml".into()
}
fn default_changes() -> String {
    "changes".into()
}
fn default_migrations() -> String {
    "migrations".into()
}
fn default_gap() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}
/// Short: a DDL that waits for a lock queues every later query of the table behind it,
/// so it gives up soon and `migrate` tries again (see `lock_retries`).
fn default_lock_timeout() -> String {
    "500ms".into()
}
fn default_lock_retries() -> u32 {
    30
}
/// Backfill batches and pause, measured under a write load on 1,000,000 rows. Postgres
/// (pgbench): what slows the application's commits is the WAL each batch makes them
/// flush, so many small batches (250 rows, 10 ms apart, each committing without waiting
/// for its own flush) keep their p99 near the unloaded figure where batches of 1,000 rows
/// 40 ms apart, as fast in all, doubled it. MariaDB: batches of 1,000 took a third of the
/// time but tripled the writers' p99; 250, adaptive, kept it within 1.3-1.7x.
fn default_batch() -> u64 {
    250
}
fn default_pause() -> u64 {
    10
}
/// A backfill batch longer than this makes the next ones smaller and the pause longer.
fn default_max_batch() -> u64 {
    20
}
fn default_lock_wait() -> u32 {
    1
}

/// Settings for generated PostgreSQL files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSettings {
    /// Set at the top of every generated file, so a blocked DDL fails fast instead of
    /// queueing every query behind it.
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: String,
    /// Rows per batch when backfilling.
    #[serde(default = "default_batch")]
    pub backfill_batch_size: u64,
    /// Pause between backfill batches, so that the writes of the application keep their
    /// latency while a large table is filled.
    #[serde(default = "default_pause")]
    pub backfill_pause_ms: u64,
    /// Adaptive backfill: a batch that takes longer halves the next ones and doubles the
    /// pause; 0 turns it off.
    #[serde(default = "default_max_batch")]
    pub backfill_max_batch_ms: u64,
    /// Wait between batches while a replica's `replay_lag` exceeds this; 0: no check.
    #[serde(default)]
    pub backfill_max_replica_lag_ms: u64,
    /// The schema the project's tables and tandem's own tables live in; `public` when
    /// unset. tandem works there whatever `search_path` the connection's URL selects (a
    /// views-mode application's URL selects its release's views first).
    #[serde(default)]
    pub schema: Option<String>,
}

/// The base schema of a Postgres project where tandem.toml names none.
pub const DEFAULT_BASE_SCHEMA: &str = "public";

impl PostgresSettings {
    /// The schema the project's tables live in: `[postgres] schema`, else `public`.
    pub fn base_schema(&self) -> &str {
        self.schema.as_deref().unwrap_or(DEFAULT_BASE_SCHEMA)
    }
}

impl Default for PostgresSettings {
    fn default() -> Self {
        PostgresSettings {
            lock_timeout: default_lock_timeout(),
            backfill_batch_size: default_batch(),
            backfill_pause_ms: default_pause(),
            backfill_max_batch_ms: default_max_batch(),
            backfill_max_replica_lag_ms: 0,
            schema: None,
        }
    }
}

/// Settings for generated MySQL/MariaDB files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MysqlSettings {
    /// Seconds a DDL waits for its metadata lock (`lock_wait_timeout`).
    #[serde(default = "default_lock_wait")]
    pub lock_wait_timeout: u32,
    #[serde(default = "default_batch")]
    pub backfill_batch_size: u64,
    /// Pause between backfill batches.
    #[serde(default = "default_pause")]
    pub backfill_pause_ms: u64,
    /// As Postgres's: adaptive batches by batch time; 0 turns it off. It applies to a
    /// table with a primary key or a unique key over NOT NULL columns, whose batches are
    /// key ranges; a table with neither is filled by batches that search from its start,
    /// which smaller ones do not shorten.
    #[serde(default = "default_max_batch")]
    pub backfill_max_batch_ms: u64,
    /// Between batches, wait while InnoDB's redo log is fuller than this percentage of
    /// what it holds (MariaDB's checkpoint age): near full, InnoDB flushes pages
    /// synchronously and every writer of the server stalls. 0 (the default) turns it
    /// off: measured, it kept p99 low but made backfills 5-10 times longer on a server
    /// that flushes slowly, and its writers still met flushing stalls meanwhile.
    #[serde(default)]
    pub backfill_max_redo_pct: u64,
}

impl Default for MysqlSettings {
    fn default() -> Self {
        MysqlSettings {
            lock_wait_timeout: default_lock_wait(),
            backfill_batch_size: default_batch(),
            backfill_pause_ms: default_pause(),
            backfill_max_batch_ms: default_max_batch(),
            backfill_max_redo_pct: 0,
        }
    }
}

/// How the fleet gate before a migrate learns which releases still run.
#[derive(Debug, Clone)]
pub struct FleetSettings {
    /// How a connection's application name carries its release: `*` for any text,
    /// `{release}` once.
    pub pattern: String,
    /// A file listing one running release per line (relative to the project).
    pub file: Option<String>,
    /// A command printing one running release per line.
    pub command: Option<String>,
    /// How long the command may run before the gate gives up on it.
    pub command_timeout: std::time::Duration,
    /// `source = "none"` with its reason: the project says it has no way to know what
    /// runs, so a contract where the database shows nothing goes ahead, the reason
    /// recorded each time.
    pub no_source_reason: Option<String>,
    /// Refuse a contract while a connection that names no release is open.
    pub require_tags: bool,
}

/// Seconds a fleet command may run by default.
pub const DEFAULT_FLEET_COMMAND_TIMEOUT: u64 = 30;

/// `[fleet]` as written, with where each value is, to check it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    #[serde(default)]
    pattern: Option<Spanned<String>>,
    #[serde(default)]
    file: Option<Spanned<String>>,
    #[serde(default)]
    command: Option<Spanned<String>>,
    #[serde(default)]
    command_timeout: Option<Spanned<f64>>,
    #[serde(default)]
    source: Option<Spanned<String>>,
    #[serde(default)]
    reason: Option<Spanned<String>>,
    #[serde(default)]
    require_tags: Option<Spanned<bool>>,
}

impl Default for FleetSettings {
    fn default() -> Self {
        FleetSettings {
            pattern: DEFAULT_PATTERN.to_string(),
            file: None,
            command: None,
            command_timeout: std::time::Duration::from_secs(DEFAULT_FLEET_COMMAND_TIMEOUT),
            no_source_reason: None,
            require_tags: false,
        }
    }
}

/// Settings of `tandem diff --database-url` (`[drift]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSettings {
    /// What a team chooses not to manage: `table`, or `table.name` for one column,
    /// index or constraint of it; `*` stands for any run of characters
    /// (`audit_*`, `*.legacy_*`).
    #[serde(default)]
    pub ignore: Vec<String>,
}

impl DriftSettings {
    /// Whether `table` (whole) is ignored.
    pub fn ignores_table(&self, table: &str) -> bool {
        self.ignore
            .iter()
            .any(|p| !p.contains('.') && glob_matches(p, table))
    }

    /// Whether `name` (a column, index or constraint) of `table` is ignored, or the
    /// whole table is.
    pub fn ignores(&self, table: &str, name: &str) -> bool {
        let full = format!("{table}.{name}");
        self.ignores_table(table)
            || self
                .ignore
                .iter()
                .any(|p| p.contains('.') && glob_matches(p, &full))
    }
}

impl DriftSettings {
    /// Whether an `[[objects]]` item is ignored: a pattern matches its name as
    /// introspect writes it (`recent_films`, `film.film_touch`, `f(integer)`).
    pub fn ignores_object(&self, name: &str) -> bool {
        self.ignore.iter().any(|p| glob_matches(p, name))
    }
}

/// `text` matches `pattern`, where `*` stands for any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = parts.split_first().expect("split yields one part");
    let Some(mut left) = text.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for part in middle {
        match left.find(part) {
            Some(i) => left = &left[i + part.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

/// Checks a fleet pattern: `{release}` exactly once, and no `*` after it (the release
/// would have no end).
pub fn check_fleet_pattern(pattern: &str) -> Result<(), String> {
    match pattern.split_once("{release}") {
        None => Err(format!(
            "pattern `{pattern}` has no `{{release}}`: no connection name would ever name a release, and the gate would see no one"
        )),
        Some((_, rest)) if rest.contains("{release}") => {
            Err(format!("pattern `{pattern}` has `{{release}}` more than once"))
        }
        Some((_, rest)) if rest.contains('*') => Err(format!(
            "pattern `{pattern}` has a `*` after `{{release}}`: where the release ends would be unknown"
        )),
        Some(_) => Ok(()),
    }
}

impl RawFleet {
    /// The settings, each value checked: a pattern that names a release, a file and a
    /// command that are not blank, a timeout of some seconds.
    fn settings(self, file: &Arc<SourceFile>) -> Result<FleetSettings> {
        let at = |span: std::ops::Range<usize>| Location::new(file, span);
        let mut settings = FleetSettings {
            require_tags: self.require_tags.as_ref().is_some_and(|t| *t.get_ref()),
            no_source_reason: self.no_source(file)?,
            ..FleetSettings::default()
        };
        if let Some(p) = self.pattern {
            if let Err(message) = check_fleet_pattern(p.get_ref()) {
                return Err(Diag::input(message)
                    .at(at(p.span()))
                    .label("expected `{release}` once")
                    .help(format!("e.g. pattern = \"{DEFAULT_PATTERN}\" (the default) or \"shop-api/{{release}}\""))
                    .into());
            }
            settings.pattern = p.into_inner();
        }
        for (key, value) in [("file", &self.file), ("command", &self.command)] {
            if let Some(v) = value {
                if v.get_ref().trim().is_empty() {
                    return Err(Diag::input(format!("[fleet] {key} is empty"))
                        .at(at(v.span()))
                        .label("blank")
                        .help(format!(
                            "give a {key} that lists one running release per line, or remove `{key}` to read the database's connections"
                        ))
                        .into());
                }
            }
        }
        settings.file = self.file.map(Spanned::into_inner);
        settings.command = self.command.map(Spanned::into_inner);
        if let Some(t) = self.command_timeout {
            let seconds = *t.get_ref();
            if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e6) {
                return Err(Diag::input(
                    "[fleet] command_timeout must be a number of seconds greater than 0",
                )
                .at(at(t.span()))
                .label(format!("found {seconds}"))
                .into());
            }
            settings.command_timeout = std::time::Duration::from_secs_f64(seconds);
        }
        Ok(settings)
    }

    /// `source = "none"` and its `reason`, which only make sense together, and not
    /// beside a source (`file`, `command`) or a demand for tags the project says it
    /// cannot see.
    fn no_source(&self, file: &Arc<SourceFile>) -> Result<Option<String>> {
        let at = |span: std::ops::Range<usize>| Location::new(file, span);
        let (source, reason) = match (&self.source, &self.reason) {
            (None, None) => return Ok(None),
            (None, Some(r)) => {
                return Err(Diag::input("[fleet] reason without source = \"none\"")
                    .at(at(r.span()))
                    .label("a reason for nothing")
                    .help("the reason goes with source = \"none\", which says the project has no way to know what runs")
                    .into())
            }
            (Some(s), None) => {
                return Err(Diag::input("[fleet] source = \"none\" needs a reason")
                    .at(at(s.span()))
                    .label("no reason given")
                    .help("add reason = \"...\" under [fleet]: it is recorded with every contract the gate lets through blind")
                    .into())
            }
            (Some(s), Some(r)) => (s, r),
        };
        if source.get_ref() != "none" {
            return Err(Diag::input(format!(
                "[fleet] source = {:?} is not a source tandem knows",
                source.get_ref()
            ))
            .at(at(source.span()))
            .label("expected \"none\"")
            .help("the database's connections are read by default; give file = \"...\" or command = \"...\" for another source, or source = \"none\" with a reason")
            .into());
        }
        if reason.get_ref().trim().is_empty() {
            return Err(Diag::input("[fleet] reason is blank")
                .at(at(reason.span()))
                .label("blank")
                .help("say why the project cannot know what runs: it is the record of every contract let through")
                .into());
        }
        let beside = [
            ("file", self.file.is_some()),
            ("command", self.command.is_some()),
            (
                "require_tags",
                self.require_tags.as_ref().is_some_and(|t| *t.get_ref()),
            ),
        ];
        if let Some((key, _)) = beside.iter().find(|(_, set)| *set) {
            return Err(Diag::input(format!(
                "[fleet] source = \"none\" beside `{key}`: the project says both that it has no fleet source and that it has one"
            ))
            .at(at(source.span()))
            .label("no source")
            .help(format!("remove `{key}`, or remove source and reason"))
            .into());
        }
        Ok(Some(reason.get_ref().clone()))
    }
}

/// Settings of the rehearsal (`[verify]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifySettings {
    /// Real values per `"table.column"`, used before made-up ones: strings, numbers or
    /// booleans, written to the column as SQL string literals.
    #[serde(default)]
    pub values: indexmap::IndexMap<String, Vec<toml::Value>>,
    /// Where each release's real statements live: `<queries>/<release>/*.sql`.
    #[serde(default)]
    pub queries: Option<String>,
    /// The start of the rehearsal database's name (`<prefix>_<pid>_<n>`), for servers
    /// whose naming rules or grants expect one.
    #[serde(default)]
    pub scratch_prefix: Option<String>,
    /// PostgreSQL: the database the rehearsal database is copied from (`CREATE DATABASE
    /// ... TEMPLATE`), e.g. one holding the extensions the schema needs.
    #[serde(default)]
    pub scratch_template: Option<String>,
}

impl VerifySettings {
    /// The values of `[verify.values]` as text.
    pub fn value_lists(&self) -> Vec<(String, Vec<String>)> {
        self.values
            .iter()
            .map(|(k, vs)| {
                let text = vs
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                (k.clone(), text)
            })
            .collect()
    }
}

/// `[code_contract]`: how `tandem code-contract` names the models of its ORM lists.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeContractSettings {
    /// Table -> the class of its model, for a model not named as Rails' inflection names
    /// it (`legacy_staff = "Hr::Employee"`); it wins over the inflection.
    #[serde(default)]
    pub models: indexmap::IndexMap<Spanned<String>, Spanned<String>>,
}

impl CodeContractSettings {
    /// The class the project maps `table` to, if it does.
    pub fn model(&self, table: &str) -> Option<&str> {
        self.models
            .iter()
            .find(|(t, _)| t.get_ref() == table)
            .map(|(_, class)| class.get_ref().as_str())
    }

    /// Each table named, each class a class name (`Person`, `Crm::Account`), so that a
    /// typo fails at load with its place instead of printing code that does not load.
    fn check(&self, file: &Arc<SourceFile>) -> Result<()> {
        for (table, class) in &self.models {
            if table.get_ref().trim().is_empty() {
                return Err(
                    Diag::input("[code_contract.models] has an empty table name")
                        .at(Location::new(file, table.span()))
                        .label("no table")
                        .help(
                            "write the table's name as the schema names it: `people = \"Person\"`",
                        )
                        .into(),
                );
            }
            if !is_class_name(class.get_ref()) {
                return Err(Diag::input(format!(
                    "[code_contract.models] {} = {:?} is not a class name",
                    table.get_ref(),
                    class.get_ref()
                ))
                .at(Location::new(file, class.span()))
                .label("expected a class name")
                .help("a name of letters, digits and `_` starting with an upper-case letter, its namespaces joined by `::` or `.`: \"Person\", \"Hr::Employee\"")
                .into());
            }
        }
        Ok(())
    }
}

/// `Person`, `Hr::Employee`, `models.Person`: parts of ASCII letters, digits and `_`
/// joined by `::` or `.`, the last one starting with an upper-case letter.
pub fn is_class_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split("::").flat_map(|p| p.split('.')).collect();
    let plain = |p: &&str| {
        p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    parts.iter().all(plain)
        && parts
            .last()
            .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "default_dialect")]
    dialect: Dialect,
    #[serde(default = "default_schema")]
    schema: String,
    #[serde(default = "default_changes")]
    changes_dir: String,
    #[serde(default = "default_migrations")]
    migrations_dir: String,
    #[serde(default = "default_gap")]
    min_release_gap: Spanned<i64>,
    #[serde(default = "default_lock_retries")]
    lock_retries: u32,
    #[serde(default)]
    releases: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    rename_mode: Option<Spanned<RenameMode>>,
    #[serde(default = "default_view_schema_prefix")]
    view_schema_prefix: String,
    #[serde(default)]
    templates_dir: Option<String>,
    #[serde(default)]
    database_url: Option<String>,
    #[serde(default)]
    connect_timeout: Option<Spanned<f64>>,
    #[serde(default)]
    postgres: PostgresSettings,
    #[serde(default)]
    mysql: MysqlSettings,
    #[serde(default)]
    fleet: RawFleet,
    #[serde(default)]
    drift: DriftSettings,
    #[serde(default)]
    verify: VerifySettings,
    #[serde(default)]
    code_contract: CodeContractSettings,
}

/// The loaded settings, with paths resolved against the project directory.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    pub file: Arc<SourceFile>,
    pub dialect: Dialect,
    pub schema: PathBuf,
    pub changes_dir: PathBuf,
    pub migrations_dir: PathBuf,
    pub min_release_gap: usize,
    /// How many times `migrate` runs a file again after it gave up waiting for a lock
    /// (the short `lock_timeout` / `lock_wait_timeout`), with a growing, jittered pause.
    pub lock_retries: u32,
    pub order: ReleaseOrder,
    /// The project's default for renames (an op's `mode` overrides it).
    pub rename_mode: RenameMode,
    /// Views mode: release R's views live in the schema `<prefix>_<R>`.
    pub view_schema_prefix: String,
    /// Release names of the explicit list, with where each is written.
    pub listed_releases: Vec<(String, Location)>,
    pub templates_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    /// Seconds that connecting to a server may take, handshake included; a URL's own
    /// `connect_timeout` parameter wins.
    pub connect_timeout: Option<f64>,
    pub postgres: PostgresSettings,
    pub mysql: MysqlSettings,
    pub fleet: FleetSettings,
    pub verify: VerifySettings,
    pub drift: DriftSettings,
    pub code_contract: CodeContractSettings,
}

impl Config {
    /// Reads `tandem.toml` from the project directory.
    pub fn load(root: &Path) -> Result<Config> {
        let path = root.join(CONFIG_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            Diag::input(format!("cannot read {}: {e}", path.display())).help(
                "run `tandem init` to create a project, or pass --project DIR to point at one",
            )
        })?;
        let file = SourceFile::from_bytes(CONFIG_FILE, bytes)?;
        Config::from_source(root, file)
    }

    pub fn from_source(root: &Path, file: Arc<SourceFile>) -> Result<Config> {
        let raw: RawConfig =
            toml::from_str(&file.text).map_err(|e| serde_error(&file, &e, "tandem.toml"))?;
        let gap = *raw.min_release_gap.get_ref();
        if gap < 1 {
            return Err(Diag::input("min_release_gap must be at least 1")
                .at(Location::new(&file, raw.min_release_gap.span()))
                .label(format!("found {gap}"))
                .note("a destructive step can never share a release with the code that stops using what it removes")
                .into());
        }
        let mut listed = Vec::new();
        if let Some(list) = &raw.releases {
            for entry in list {
                let name = entry.get_ref().clone();
                if let Err((message, help)) = crate::release::check_directory_name(&name) {
                    return Err(Diag::input(message)
                        .at(Location::new(&file, entry.span()))
                        .label("not a directory name")
                        .help(help)
                        .into());
                }
                if let Some((_, first)) = listed
                    .iter()
                    .find(|(n, _): &&(String, Location)| *n == name)
                {
                    return Err(Diag::input(format!("release `{name}` is listed twice"))
                        .at(Location::new(&file, entry.span()))
                        .label("second entry")
                        .note(format!("first listed at {}", Location::display(first)))
                        .into());
                }
                listed.push((name, Location::new(&file, entry.span())));
            }
        }
        let order = match &raw.releases {
            Some(_) => ReleaseOrder::List(listed.iter().map(|(n, _)| n.clone()).collect()),
            None => ReleaseOrder::Semver,
        };
        if let Some(t) = &raw.connect_timeout {
            let seconds = *t.get_ref();
            if !(seconds.is_finite() && seconds > 0.0 && seconds < 1e9) {
                return Err(Diag::input(
                    "connect_timeout must be a number of seconds greater than 0",
                )
                .at(Location::new(&file, t.span()))
                .label(format!("found {seconds}"))
                .into());
            }
        }
        if let Some(mode) = &raw.rename_mode {
            if *mode.get_ref() == RenameMode::Views && raw.dialect != Dialect::Postgres {
                return Err(Diag::input(format!(
                    "rename_mode = \"views\" needs PostgreSQL; this project's dialect is {}",
                    raw.dialect.name()
                ))
                .at(Location::new(&file, mode.span()))
                .label("views mode")
                .note("views mode selects each release's views through the PostgreSQL search_path; MySQL and SQLite have no equivalent that keeps both releases writing")
                .help("use rename_mode = \"copy\" (the default), which renames through a new column kept in sync")
                .into());
            }
        }
        check_names(&raw, &file)?;
        check_lock_timeout(&raw, &file)?;
        let fleet = raw.fleet.settings(&file)?;
        raw.code_contract.check(&file)?;
        let mut postgres = raw.postgres;
        if postgres.backfill_batch_size == 0 {
            postgres.backfill_batch_size = default_batch();
        }
        let mut mysql = raw.mysql;
        if mysql.backfill_batch_size == 0 {
            mysql.backfill_batch_size = default_batch();
        }
        Ok(Config {
            root: root.to_path_buf(),
            file,
            dialect: raw.dialect,
            schema: root.join(&raw.schema),
            changes_dir: root.join(&raw.changes_dir),
            migrations_dir: root.join(&raw.migrations_dir),
            min_release_gap: gap as usize,
            lock_retries: raw.lock_retries,
            order,
            rename_mode: raw.rename_mode.map(|m| *m.get_ref()).unwrap_or_default(),
            view_schema_prefix: raw.view_schema_prefix,
            listed_releases: listed,
            templates_dir: raw.templates_dir.map(|d| root.join(d)),
            database_url: raw.database_url,
            connect_timeout: raw.connect_timeout.map(|t| *t.get_ref()),
            postgres,
            mysql,
            fleet,
            verify: raw.verify,
            drift: raw.drift,
            code_contract: raw.code_contract,
        })
    }

    /// A path inside the project as shown in messages: relative to the project.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }
}

/// A Postgres `lock_timeout` in milliseconds, read as Postgres reads the setting: a whole
/// number of milliseconds, or a number and one of its units (`us`, `ms`, `s`, `min`, `h`,
/// `d`), up to 2147483647 ms; 0 turns the timeout off.
pub fn lock_timeout_ms(value: &str) -> Result<f64, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = (&value[..split], value[split..].trim_start());
    let ms_per = match unit {
        "" if !number.contains('.') => 1.0,
        "" => return Err("a number without a unit must be whole milliseconds".into()),
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        other => return Err(format!("`{other}` is not a unit Postgres knows")),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| "expected a number of milliseconds, or a number and a unit".to_string())?;
    let ms = n * ms_per;
    if ms > 2_147_483_647.0 {
        return Err("more than 2147483647 ms, the most Postgres accepts".into());
    }
    Ok(ms)
}

/// The settings that become names of schemas and databases: plain identifiers, and a
/// scratch template only where PostgreSQL makes databases from one.
fn check_names(raw: &RawConfig, file: &Arc<SourceFile>) -> Result<()> {
    let file = file.clone();
    for (key, value) in [
        ("scratch_prefix", &raw.verify.scratch_prefix),
        ("scratch_template", &raw.verify.scratch_template),
    ] {
        if let Some(message) = value
            .as_deref()
            .and_then(|v| check_scratch_name(key, v).err())
        {
            return Err(Diag::input(message)
                .at(Location::new(&file, 0..0))
                .help("lower-case letters, digits and `_`, starting with a letter, at most 30 characters")
                .into());
        }
    }
    if raw.verify.scratch_template.is_some() && raw.dialect != Dialect::Postgres {
        return Err(Diag::input(format!(
            "[verify] scratch_template needs PostgreSQL; this project's dialect is {}",
            raw.dialect.name()
        ))
        .at(Location::new(&file, 0..0))
        .help("remove scratch_template: only PostgreSQL makes a database from a template")
        .into());
    }
    if let Some(schema) = &raw.postgres.schema {
        if schema.is_empty() || schema.len() > 63 || schema.contains('\0') {
            return Err(Diag::input(format!(
                "[postgres] schema = \"{}\" is not a schema name PostgreSQL keeps",
                schema.escape_default()
            ))
            .at(Location::new(&file, postgres_key_span(&file.text, "schema")))
            .label("not a schema name")
            .help("the schema the project's tables live in: 1 to 63 bytes, no NUL (\"public\" when unset)")
            .into());
        }
    }
    if let Err(message) = check_prefix(&raw.view_schema_prefix) {
        return Err(Diag::input(message)
            .at(Location::new(&file, 0..0))
            .help("a prefix of lower-case letters, digits and `_`, starting with a letter, e.g. \"app\"")
            .into());
    }
    Ok(())
}

/// `[postgres] lock_timeout`, read as Postgres reads it, before anything runs.
fn check_lock_timeout(raw: &RawConfig, file: &Arc<SourceFile>) -> Result<()> {
    let file = file.clone();
    if let Err(message) = lock_timeout_ms(&raw.postgres.lock_timeout) {
        let span = postgres_key_span(&file.text, "lock_timeout");
        return Err(Diag::input(format!(
            "[postgres] lock_timeout = \"{}\": {message}",
            raw.postgres.lock_timeout.escape_default()
        ))
        .at(Location::new(&file, span))
        .label("not a Postgres duration")
        .help("a whole number of milliseconds (\"500\") or a number with a unit Postgres knows: us, ms, s, min, h, d (\"500ms\", \"5s\", \"1min\")")
        .into());
    }
    Ok(())
}

/// Where `key` of `[postgres]` is written, to its line's end (the file's start if not found).
fn postgres_key_span(text: &str, key: &str) -> std::ops::Range<usize> {
    text.find("[postgres]")
        .and_then(|at| text[at..].find(&format!("\n{key}")).map(|i| at + i + 1))
        .map(|start| start..start + text[start..].find('\n').unwrap_or(text.len() - start))
        .unwrap_or(0..0)
}

/// Checks a `view_schema_prefix`: a plain lower-case identifier, so that every schema
/// name made from it needs no quoting in a `search_path`.
pub fn check_prefix(prefix: &str) -> Result<(), String> {
    check_plain_name("view_schema_prefix", prefix)
}

/// Checks a name that becomes part of a database name.
fn check_scratch_name(key: &str, name: &str) -> Result<(), String> {
    check_plain_name(&format!("[verify] {key}"), name)
}

/// A plain lower-case identifier of at most 30 characters, which a schema or database
/// name can be made from without quoting.
fn check_plain_name(what: &str, name: &str) -> Result<(), String> {
    let ok = name.len() <= 30
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{name}` is not a plain lower-case identifier of at most 30 characters"
        ))
    }
}

pub const DEFAULT_PATTERN: &str = "*@{release}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_ignore_patterns_match_tables_and_their_objects() {
        let drift = DriftSettings {
            ignore: vec!["audit_*".into(), "*.legacy_*".into(), "users.tmp".into()],
        };
        assert!(drift.ignores_table("audit_log"));
        assert!(!drift.ignores_table("audit"));
        assert!(!drift.ignores_table("users"));
        assert!(drift.ignores("audit_log", "id"));
        assert!(drift.ignores("orders", "legacy_idx"));
        assert!(drift.ignores("users", "tmp"));
        assert!(!drift.ignores("users", "tmp2"));
        assert!(!drift.ignores("users", "email"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*a", "aa"));
        assert!(!glob_matches("a*a", "a"));
        assert!(glob_matches("*x*y", "axbxy"));
    }

    #[test]
    fn lock_timeout_reads_as_postgres_reads_it() {
        for (text, ms) in [
            ("500ms", 500.0),
            ("5s", 5000.0),
            ("1min", 60_000.0),
            ("250", 250.0),
            ("1.5s", 1500.0),
            (" 2 s ", 2000.0),
            ("0", 0.0),
        ] {
            assert_eq!(lock_timeout_ms(text), Ok(ms), "{text}");
        }
        for bad in [
            "",
            "5 seconds",
            "5S",
            "-1s",
            "1.5",
            "s",
            "5s'; DROP TABLE x; --",
            "30d",
            "1e3ms",
        ] {
            assert!(lock_timeout_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_view_schema_prefix_is_a_plain_lower_case_identifier() {
        assert!(check_prefix("app").is_ok());
        assert!(check_prefix("App").is_err());
        assert!(check_prefix("1app").is_err());
    }
}
