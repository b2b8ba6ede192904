//! Applying migrations to a live database: connections, refinery's runner, the status
//! report, and throw-away databases for rehearsals and tests.

pub mod adopt;
pub mod bundled;
pub mod database;
pub mod drift;
pub mod fleet;
pub mod fleet_report;
pub mod fleet_run;
pub mod fleet_seen;
pub mod fleet_status;
pub mod late;
pub mod migrate;
pub mod notes;
pub mod progress;
pub mod readopt;
pub mod scratch;
pub mod status;
pub mod targets;

use std::path::Path;

use refinery_core::Migration;

use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::layout::list_sql_files;
use crate::project::Project;
use crate::sql::Dialect;
pub use database::{Database, DbError, Target};

pub use crate::sql::bookkeeping::HISTORY_TABLE;

/// The database used when no URL is given: a SQLite file in the project.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://tandem.db";

/// The database a command talks to: `--database-url`, else tandem.toml's
/// `database_url`, else the SQLite default.
pub fn resolve(config: &Config, url: Option<&str>) -> Result<Target> {
    let url = url
        .or(config.database_url.as_deref())
        .unwrap_or(DEFAULT_DATABASE_URL);
    let target = Target::parse(url, &config.root).map_err(|e| {
        Error::from(Diag::input(e).help("pass --database-url, or set database_url in tandem.toml"))
    })?;
    Ok(in_base_schema(
        with_connect_timeout(target, config.connect_timeout),
        config,
    ))
}

/// A database of a fleet's targets file: `url` as `--database-url` would take it, a
/// relative SQLite path read from `base` (the targets file's directory).
pub fn resolve_in(config: &Config, url: &str, base: &Path) -> std::result::Result<Target, String> {
    let target = Target::parse(url, base)?;
    Ok(in_base_schema(
        with_connect_timeout(target, config.connect_timeout),
        config,
    ))
}

/// A Postgres URL with the project's base schema and release prefix added, so that the
/// connection works in the base schema whatever `search_path` the URL selects (see
/// [`database::BaseSchema`]).
fn in_base_schema(target: Target, config: &Config) -> Target {
    let Target::Postgres(url) = target else {
        return target;
    };
    let mut params = vec![format!(
        "{}={}",
        database::VIEW_PREFIX_PARAM,
        database::percent_encode(&config.view_schema_prefix)
    )];
    if let Some(schema) = &config.postgres.schema {
        params.push(format!(
            "{}={}",
            database::BASE_SCHEMA_PARAM,
            database::percent_encode(schema)
        ));
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    Target::Postgres(format!("{url}{sep}{}", params.join("&")))
}

/// A project opened to talk to one database.
pub struct ProjectOnDatabase {
    /// The project, its dialect switched to the database's when the plan is rendered
    /// for it (a SQLite database under a server-dialect project).
    pub project: Project,
    pub target: Target,
    /// Where the SQL applied to `target` comes from.
    pub source: Source,
    /// The dialect the project's files are written in.
    pub written_for: Dialect,
}

/// Loads the project at `root` for the database `url` names (see [`resolve`]).
pub fn project_for_database(root: &Path, url: Option<&str>) -> Result<ProjectOnDatabase> {
    let mut project = Project::load(root)?;
    let target = resolve(&project.config, url)?;
    let source = source_for(&project.config, &target)?;
    let written_for = project.config.dialect;
    if source == Source::Rendered {
        project.config.dialect = target.dialect();
    }
    Ok(ProjectOnDatabase {
        project,
        target,
        source,
        written_for,
    })
}

/// The database a command that needs no project reads (`introspect`): `--database-url`,
/// else the project's `database_url` when there is a project; a relative SQLite path is
/// taken from the project, else from the current directory.
pub fn resolve_without_project(
    config: Option<&Config>,
    url: Option<&str>,
    command: &str,
) -> Result<Target> {
    let url = url
        .or_else(|| config.and_then(|c| c.database_url.as_deref()))
        .ok_or_else(|| {
            Diag::input(format!("{command} needs a database"))
                .help("pass --database-url postgres://..., mysql://... or sqlite://PATH")
        })?;
    let base = config
        .map(|c| c.root.clone())
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_default());
    Ok(Target::parse(url, &base).map_err(Diag::input)?)
}

/// A server URL with tandem.toml's `connect_timeout` added, unless the URL names one.
fn with_connect_timeout(target: Target, seconds: Option<f64>) -> Target {
    let add = |url: String| match seconds {
        Some(s) if !url.contains(&format!("{}=", database::CONNECT_TIMEOUT_PARAM)) => format!(
            "{url}{}{}={s}",
            if url.contains('?') { '&' } else { '?' },
            database::CONNECT_TIMEOUT_PARAM
        ),
        _ => url,
    };
    match target {
        Target::Postgres(u) => Target::Postgres(add(u)),
        Target::Mysql(u) => Target::Mysql(add(u)),
        other => other,
    }
}

/// Where the SQL that `migrate` applies comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The files of the migrations directory, read at run time.
    Files,
    /// The same plan rendered in memory for the database's dialect: a SQLite database (the
    /// built-in default, for development) under a project written for a server dialect.
    Rendered,
}

/// The files speak the project's dialect. A SQLite database of a server-dialect project
/// gets the same plan, versions and names rendered for SQLite; a server of another
/// dialect is refused.
pub fn source_for(config: &Config, target: &Target) -> Result<Source> {
    if target.dialect() == config.dialect {
        return Ok(Source::Files);
    }
    if target.dialect() == Dialect::Sqlite {
        return Ok(Source::Rendered);
    }
    Err(Diag::input(format!(
        "{} is a {} database, but this project's migrations are written for {}",
        target.display(),
        target.dialect().name(),
        config.dialect.name()
    ))
    .help(format!(
        "pass --database-url with a {} URL, or set database_url in tandem.toml",
        config.dialect.name()
    ))
    .into())
}

/// Connects to a resolved database. With `create` false a missing SQLite file is an
/// error instead of being created.
pub fn connect(target: &Target, create: bool) -> Result<Database> {
    if let (Target::SqliteFile(path), false) = (target, create) {
        if !path.exists() {
            return Err(Diag::input(format!("{} does not exist", target.display())).into());
        }
    }
    Database::connect(target).map_err(|e| connect_error(target, e))
}

pub fn connect_error(target: &Target, e: DbError) -> Error {
    Diag::input(format!("cannot connect to {}: {e}", target.display()))
        .help("check the URL and that the server is running")
        .into()
}

/// The versions and names the history table records, oldest first; empty when the
/// table does not exist yet.
pub fn history(db: &mut Database) -> std::result::Result<Vec<(i64, String)>, DbError> {
    if !db.has_own_table(HISTORY_TABLE)? {
        return Ok(Vec::new());
    }
    let rows = db.query_text(&db.own_tables().applied_versions())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match (r.first(), r.get(1)) {
            (Some(Some(v)), Some(name)) => {
                Some((v.parse().ok()?, name.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect())
}

/// The re-adoptions a database logged, oldest first (none without the log table).
pub fn readoptions(
    db: &mut Database,
) -> std::result::Result<Vec<crate::sql::bookkeeping::Readoption>, DbError> {
    let rows = db.own_table_rows(crate::sql::bookkeeping::READOPT_LOG_TABLE, |t| {
        t.readoptions()
    })?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let text = |i: usize| r.get(i).cloned().unwrap_or_default();
            crate::sql::bookkeeping::Readoption {
                at: text(0),
                by: text(1),
                version: text(2).parse().unwrap_or_default(),
                old_checksum: text(3),
                new_checksum: text(4),
                reason: text(5),
            }
        })
        .collect())
}

/// One row of the history table.
#[derive(Debug, Clone)]
pub struct AppliedRow {
    pub version: i64,
    pub name: String,
    pub applied_on: String,
    /// refinery's checksum of the file's name, version and SQL, as it was applied.
    pub checksum: String,
}

/// The rows of the history table, oldest first; empty when the table does not exist yet.
pub fn history_rows(db: &mut Database) -> std::result::Result<Vec<AppliedRow>, DbError> {
    let rows = db.own_table_rows(HISTORY_TABLE, |t| t.applied_rows())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let text = |i: usize| r.get(i).cloned().unwrap_or_default();
            Some(AppliedRow {
                version: text(0).parse().ok()?,
                name: text(1),
                applied_on: text(2),
                checksum: text(3),
            })
        })
        .collect())
}

/// The files `migrate` would apply to `target`: the migrations directory, or the plan
/// rendered in memory for a SQLite database under a server-dialect project.
pub fn files_for(
    config: &Config,
    plan: &crate::plan::Plan,
    source: Source,
) -> Result<Vec<MigrationFile>> {
    match source {
        Source::Files => MigrationFile::load_all(config),
        Source::Rendered => MigrationFile::from_plan(plan),
    }
}

/// A migration file read from the migrations directory at run time.
#[derive(Debug, Clone)]
pub struct MigrationFile {
    /// Relative to the migrations directory, `/`-separated.
    pub path: String,
    pub version: i64,
    /// `V<version>__<name>`, what refinery parses.
    pub stem: String,
    pub sql: String,
}

impl MigrationFile {
    /// The version of a refinery file name `V<digits>__<word chars>.sql`, if it is one.
    pub fn version_of(path: &str) -> Option<i64> {
        let file = path.rsplit('/').next()?;
        let stem = file.strip_suffix(".sql")?;
        let rest = stem.strip_prefix('V')?;
        let (digits, name) = rest.split_once("__")?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return None;
        }
        digits.parse().ok()
    }

    /// Every `.sql` file of the migrations directory, in version order. A name refinery
    /// would skip or choke on, or a version used twice, is an input error.
    pub fn load_all(config: &Config) -> Result<Vec<MigrationFile>> {
        let dir = &config.migrations_dir;
        let mut out: Vec<MigrationFile> = Vec::new();
        for path in list_sql_files(dir)? {
            let version = Self::version_of(&path)
                .filter(|v| *v >= 0 && *v <= i64::from(i32::MAX))
                .ok_or_else(|| {
                    Error::from(
                        Diag::input(format!(
                            "{}/{path} is not a migration file name",
                            config.display(dir)
                        ))
                        .note("expected V<version>__<name>.sql, the name in letters, digits and _")
                        .help("rename or remove the file"),
                    )
                })?;
            if let Some(other) = out.iter().find(|f| f.version == version) {
                return Err(Diag::input(format!(
                    "{path} and {} both have version {version}",
                    other.path
                ))
                .help("versions must be unique; remove one of the files")
                .into());
            }
            let full = dir.join(&path);
            let sql = std::fs::read_to_string(&full).map_err(|e| Error::io(&full, e))?;
            let stem = path
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix(".sql"))
                .unwrap_or_default()
                .to_string();
            out.push(MigrationFile {
                path,
                version,
                stem,
                sql,
            });
        }
        out.sort_by_key(|f| f.version);
        Ok(out)
    }

    /// The files of a plan as rendered in memory, not read from disk.
    pub fn from_plan(plan: &crate::plan::Plan) -> Result<Vec<MigrationFile>> {
        if let Some(f) = plan.files.iter().find(|f| f.version > i64::from(i32::MAX)) {
            return Err(Diag::input(format!(
                "{} has version {}, beyond the 32-bit versions of refinery's history table",
                f.path, f.version
            ))
            .into());
        }
        Ok(plan
            .files
            .iter()
            .map(|f| MigrationFile {
                path: f.path.clone(),
                version: f.version,
                stem: f
                    .path
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.strip_suffix(".sql"))
                    .unwrap_or_default()
                    .to_string(),
                sql: f.content.clone(),
            })
            .collect())
    }

    pub fn to_migration(&self) -> Result<Migration> {
        Migration::unapplied(&self.stem, &self.sql)
            .map_err(|e| Diag::input(format!("{}: {e}", self.path)).into())
    }
}

/// Now, in RFC 3339 and UTC, written with the library refinery reads `applied_on` back
/// with, so a row tandem adds to the history parses like one refinery wrote.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::{now_rfc3339, MigrationFile};

    #[test]
    fn history_timestamps_parse_back_as_refinery_reads_them() {
        let text = now_rfc3339();
        let parsed =
            time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                .expect("refinery parses applied_on with unwrap");
        assert!(parsed.year() >= 2024, "{text}");
        assert!(text.ends_with('Z'), "UTC: {text}");
    }

    #[test]
    fn only_refinery_names_have_versions() {
        assert_eq!(
            MigrationFile::version_of("1.4.0/V1010__expand_x.sql"),
            Some(1010)
        );
        assert_eq!(MigrationFile::version_of("V1__baseline.sql"), Some(1));
        assert_eq!(MigrationFile::version_of("V3__bad-name.sql"), None);
        assert_eq!(MigrationFile::version_of("|1__x.sql"), None);
        assert_eq!(MigrationFile::version_of("V__x.sql"), None);
        assert_eq!(MigrationFile::version_of("V2__.sql"), None);
    }
}
