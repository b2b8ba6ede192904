//! `tandem verify`: the rollout rehearsal. On a scratch database, for each release R in
//! order: apply expand(R), run the probes of R-1's and R's code, apply contract(R), run
//! them again. A probe writes and reads exactly the columns one release's code knows, as
//! the plan's model of that release says (not the SQL text), so a raw `sql` op that
//! breaks running code fails here too.

mod probe;
pub mod queries;
mod scope;

use std::collections::{HashMap, HashSet};

use refinery_core::{Migration, Runner, Target as RunTarget};
use serde::Serialize;

use crate::action::Action;
use crate::apply::database::{Database, DbError, Target};
use crate::apply::scratch::Scratch;
use crate::apply::{self, connect_error, MigrationFile};
use crate::config::Config;
use crate::diag::Result;
use crate::model::{Table, View};
use crate::plan::{Plan, Slot};
use crate::project::Project;
use crate::sql::rehearsal;
use crate::sql::text::quote;
use crate::sql::types::type_name;
use crate::sql::Dialect;

pub use probe::made_up;
use probe::Generator;
use scope::Scope;

/// What the project tells the rehearsal beyond its plan.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `[verify.values]`: real values per `"table.column"`, used before made-up ones.
    pub values: Vec<(String, Vec<String>)>,
    /// The real statements of each code version, indexed as `Plan::views`: see
    /// [`queries::load`].
    pub queries: Vec<Vec<queries::Statement>>,
    /// `[verify] scratch_prefix` and `scratch_template`: how the rehearsal database is
    /// named and, on Postgres, what it is copied from.
    pub scratch_prefix: Option<String>,
    pub scratch_template: Option<String>,
}

/// One cell of the matrix: a release, a step of it, a code version, and how its probes
/// fared.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub release: String,
    /// "expand" or "contract".
    pub step: &'static str,
    /// The release whose code the probes play.
    pub code: String,
    /// "ok", or the first failure: the probe and the database's own error.
    pub result: String,
    pub ok: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub database: String,
    pub dialect: &'static str,
    pub cells: Vec<Cell>,
    /// A migration file that failed to apply, which ends the rehearsal.
    pub apply_failure: Option<String>,
    /// What the rehearsal left out and why: tables whose checks refuse made-up values
    /// where the release does not change them.
    pub notes: Vec<String>,
    pub ok: bool,
}

/// Where `verify` rehearses: `--database-url`; else tandem.toml's `database_url` when it
/// names a server (never a file the project migrates for real); else SQLite in memory.
pub fn rehearsal_target(config: &Config, url: Option<&str>) -> Result<Target> {
    if let Some(url) = url {
        return apply::resolve(config, Some(url));
    }
    if let Some(url) = config.database_url.as_deref() {
        let target = apply::resolve(config, Some(url))?;
        if matches!(target, Target::Postgres(_) | Target::Mysql(_)) {
            return Ok(target);
        }
    }
    Ok(Target::SqliteMemory)
}

/// The keys of `[verify.values]` that name no column any release has: values that would
/// never be used, for a column misspelt or gone. Each is an input error at its key.
pub fn unknown_value_keys(config: &Config, plan: &Plan) -> Vec<crate::diag::Diag> {
    let known = |table: &str, column: &str| {
        plan.views.iter().chain([&plan.latest]).any(|v| {
            v.table(table)
                .is_some_and(|t| t.columns.iter().any(|c| c.name == column))
        })
    };
    let text = &config.file.text;
    config
        .verify
        .values
        .keys()
        .filter(|key| {
            key.split_once('.')
                .is_none_or(|(table, column)| !known(table, column))
        })
        .map(|key| {
            let span = [format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .find_map(|q| text.find(q.as_str()).map(|i| i..i + q.len()))
                .unwrap_or(0..0);
            let mut columns: Vec<String> = plan
                .views
                .iter()
                .flat_map(|v| {
                    v.tables.values().flat_map(|t| {
                        t.columns
                            .iter()
                            .map(move |c| format!("{}.{}", t.name, c.name))
                    })
                })
                .collect();
            columns.sort();
            columns.dedup();
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            crate::diag::Diag::input(format!(
                "[verify.values] \"{key}\" names no column of any release"
            ))
            .at(crate::diag::Location::new(&config.file, span))
            .label("expected \"table.column\"")
            .help(crate::diag::suggestion(key, &names))
        })
        .collect()
}

/// Rehearses `project` on `server`, with the project's options: the plan is rendered in
/// the server's dialect, whatever the project's files are written in, and refused when
/// it has problems in that dialect.
pub fn rehearse(mut project: Project, server: &Target) -> Result<Report> {
    project.config.dialect = server.dialect();
    let plan = crate::layout::build_plan(&project)?;
    if !plan.problems.is_empty() {
        return Err(plan.problems.into());
    }
    let unknown = unknown_value_keys(&project.config, &plan);
    if !unknown.is_empty() {
        return Err(unknown.into());
    }
    let options = Options {
        values: project.config.verify.value_lists(),
        queries: queries::load(&project.config, &plan)?,
        scratch_prefix: project.config.verify.scratch_prefix.clone(),
        scratch_template: project.config.verify.scratch_template.clone(),
    };
    verify_with(&plan, server, &options)
}

/// Rehearses the plan on a scratch database made next to `server` (an in-memory SQLite
/// database for a SQLite target). The plan must have been rendered for that dialect.
pub fn verify(plan: &Plan, server: &Target) -> Result<Report> {
    verify_with(plan, server, &Options::default())
}

/// [`verify`] with the project's [`Options`].
pub fn verify_with(plan: &Plan, server: &Target, options: &Options) -> Result<Report> {
    let mut notes = Vec::new();
    // Only PostgreSQL copies a database from a template: a postgres project rehearsed
    // on another server starts from an empty one.
    let template = match (options.scratch_template.as_deref(), server) {
        (Some(t), Target::Postgres(_)) => Some(t),
        (Some(t), _) => {
            notes.push(format!(
                "[verify] scratch_template = \"{t}\" is PostgreSQL's; this rehearsal on {} starts from an empty database",
                server.dialect().name()
            ));
            None
        }
        (None, _) => None,
    };
    let scratch = Scratch::create_with(
        server,
        options
            .scratch_prefix
            .as_deref()
            .unwrap_or("tandem_scratch"),
        template,
    )
    .map_err(|e| connect_error(server, e))?;
    let mut db = Database::connect(&scratch.target).map_err(|e| connect_error(server, e))?;
    let dialect = db.dialect();
    let mut rehearsal = Rehearsal {
        plan,
        db: &mut db,
        dialect,
        counter: 0,
        migrations: Vec::new(),
        values: Generator::new(plan, dialect, &options.values),
        queries: options.queries.clone(),
        scope: Scope::default(),
        release: 0,
        blocked: None,
        refused: HashMap::new(),
        notes,
    };
    rehearsal.migrations = MigrationFile::from_plan(plan)?
        .iter()
        .map(MigrationFile::to_migration)
        .collect::<Result<Vec<_>>>()?;

    let mut cells = Vec::new();
    let mut apply_failure = rehearsal.apply(Slot::Baseline).err();
    for r in 0..plan.releases.len() {
        if apply_failure.is_some() {
            break;
        }
        rehearsal.scope = Scope::of_release(plan, r, &rehearsal.values, dialect);
        rehearsal.release = r;
        for slot in [Slot::Expand(r), Slot::Contract(r)] {
            if let Err(e) = rehearsal.apply(slot) {
                apply_failure = Some(e);
                break;
            }
            for (code, result) in probe_release(&mut rehearsal, r) {
                cells.push(Cell {
                    release: plan.releases.name(r).to_string(),
                    step: slot.phase(),
                    code,
                    ok: result.is_ok(),
                    result: result.err().unwrap_or_else(|| "ok".into()),
                });
            }
        }
    }
    let ok = apply_failure.is_none() && cells.iter().all(|c| c.ok);
    let notes = std::mem::take(&mut rehearsal.notes);
    Ok(Report {
        database: match server {
            Target::SqliteFile(_) | Target::SqliteMemory => "sqlite::memory:".into(),
            other => format!("a scratch database on {}", other.display()),
        },
        dialect: dialect.name(),
        cells,
        apply_failure,
        notes,
        ok,
    })
}

/// Runs the probes of the code on both sides of release `r` (R-1's, then R's), each
/// with its result: on a database that is at expand(r) or contract(r).
fn probe_release(
    rehearsal: &mut Rehearsal<'_>,
    r: usize,
) -> Vec<(String, std::result::Result<(), String>)> {
    let plan = rehearsal.plan;
    // A probe's timestamptz values are UTC: MySQL reads them in the session's zone.
    if rehearsal.dialect == Dialect::Mysql {
        let _ = rehearsal.db.run_script("SET SESSION time_zone = '+00:00'");
    }
    [
        (previous_code(plan, r), r),
        (plan.releases.name(r).to_string(), r + 1),
    ]
    .into_iter()
    .map(|(code, v)| {
        let view = &plan.views[v];
        // Views mode: the code selects its release's views, as the application does.
        let schema = plan.view_schemas.get(v).cloned().flatten();
        let selected = rehearsal.select_views(v);
        // SQLite enforces foreign keys while the code runs, as the application opens
        // it; the files are applied with them off, as `migrate` applies them.
        let probes = selected
            .and_then(|()| rehearsal.foreign_keys(true))
            .and_then(|()| rehearsal.probe(view));
        let queries = rehearsal.run_queries(v);
        if schema.is_some() && rehearsal.dialect == Dialect::Postgres {
            let _ = rehearsal.db.select_tables();
        }
        // A copied column's read-back writes each side's columns to the table itself,
        // where both names exist; one renamed through views, through each side's views.
        let probes = probes
            .and_then(|()| rehearsal.renames(r))
            .and_then(|()| rehearsal.view_renames(r));
        let _ = rehearsal.foreign_keys(false);
        let result = match (probes, queries) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
            (Err(a), Err(b)) => Err(format!("{a}; {b}")),
        };
        (code, result)
    })
    .collect()
}

static NEXT_PROBE_BLOCK: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(1_000_000);

/// The probes of release `r` on a database that `migrate` brought to expand(r) or
/// contract(r): what `verify` runs between its steps, for checking a real database.
pub fn probe_database(
    db: &mut Database,
    plan: &Plan,
    r: usize,
) -> Vec<(String, std::result::Result<(), String>)> {
    let dialect = db.dialect();
    let mut rehearsal = Rehearsal {
        plan,
        db,
        dialect,
        // Rows of earlier calls stay in the database: start past their values.
        counter: NEXT_PROBE_BLOCK.fetch_add(1000, std::sync::atomic::Ordering::Relaxed),
        migrations: Vec::new(),
        values: Generator::new(plan, dialect, &[]),
        queries: Vec::new(),
        scope: Scope::default(),
        release: 0,
        blocked: None,
        refused: HashMap::new(),
        notes: Vec::new(),
    };
    rehearsal.scope = Scope::of_release(plan, r, &rehearsal.values, dialect);
    rehearsal.release = r;
    probe_release(&mut rehearsal, r)
}

struct Rehearsal<'a> {
    plan: &'a Plan,
    db: &'a mut Database,
    dialect: Dialect,
    /// Makes every probe row's values distinct (primary keys, unique indexes).
    counter: u64,
    migrations: Vec<Migration>,
    /// Probe values made from the plan's keys, checks and types.
    values: Generator,
    /// The real statements of each code version, indexed as `Plan::views`.
    queries: Vec<Vec<queries::Statement>>,
    /// The tables the release being rehearsed changes: see [`Scope`].
    scope: Scope,
    /// The index of the release being rehearsed, for notes.
    release: usize,
    /// Why the last insert could not be made, where it needs a parent row that cannot
    /// be written (see [`Parent::Refused`]).
    blocked: Option<String>,
    /// Tables (by identity) whose check refused a probe row where the release did not
    /// change them, with the check: no more rows are tried there.
    refused: HashMap<String, String>,
    notes: Vec<String>,
}

impl Rehearsal<'_> {
    /// Applies the files of one slot through refinery, as `migrate` would.
    fn apply(&mut self, slot: Slot) -> std::result::Result<(), String> {
        for file in self.plan.files_in(slot) {
            Runner::new(&self.migrations)
                .set_target(RunTarget::Version(file.version as i32))
                .set_migration_table_name(self.db.own_tables().history())
                .run(self.db)
                .map_err(|e| {
                    let detail = match e.kind() {
                        refinery_core::error::Kind::Connection(_, source) => {
                            DbError::from_chain(source.as_ref()).0
                        }
                        other => other.to_string(),
                    };
                    format!("applying {} failed: {detail}", file.path)
                })?;
        }
        Ok(())
    }

    /// The probes of one release's code: for every table it knows, an INSERT of exactly
    /// the columns it knows and a SELECT of them. Referenced tables go first, so that a
    /// foreign key finds the row it points at.
    fn probe(&mut self, view: &View) -> std::result::Result<(), String> {
        let probed = self.scope.probed(&self.values, view);
        let tables = view.tables.values().filter(|t| probed.contains(&t.name));
        for table in crate::model::parents_first(tables) {
            let changed = self.scope.changes(&self.values, &table.name);
            if !changed
                && self
                    .refused
                    .contains_key(&self.values.table_identity(&table.name))
            {
                continue;
            }
            let insert = match self.insert_sql(table, view) {
                Ok((insert, _)) => insert,
                Err(message) => match self.blocked.take() {
                    Some(why) if !changed => {
                        self.refuse(table, why);
                        continue;
                    }
                    _ => return Err(message),
                },
            };
            if let Err(e) = self.db.run_script(&insert) {
                match refusing_check_named(self.dialect, table, &e) {
                    Some(check) if !changed => {
                        self.refuse(table, format!("its check {check} refuses made-up values"));
                        continue;
                    }
                    _ => return Err(self.insert_failure(table, "", e)),
                }
            }
            let select =
                rehearsal::select_one_row(self.dialect, &table.name, &table.column_names());
            self.db
                .query_text(&select)
                .map_err(|e| failure(&format!("select from {}", describe(table)), e))?;
        }
        Ok(())
    }

    /// Selects the release schema of code version `v` (an index of `Plan::views`) where
    /// it has one (views mode), else the tables themselves.
    fn select_views(&mut self, v: usize) -> std::result::Result<(), String> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        let Some(schema) = self.plan.view_schemas.get(v).cloned().flatten() else {
            return self
                .db
                .select_tables()
                .map_err(|e| failure("the search_path of the tables", e));
        };
        let sql = rehearsal::search_path(&schema);
        self.db.run_script(&sql).map_err(|e| failure(&sql, e))
    }

    /// For each column release `r` renames through views: a row written by R-1's code
    /// through the old name reads back through the new name in R's views, and the other
    /// way round.
    fn view_renames(&mut self, r: usize) -> std::result::Result<(), String> {
        let plan = self.plan;
        let renames: Vec<_> = plan.view_renames.iter().filter(|x| x.0 == r).collect();
        let mut result = Ok(());
        for (_, table, old, new) in renames {
            let (Some(before), Some(after)) =
                (plan.views[r].table(table), plan.views[r + 1].table(table))
            else {
                continue;
            };
            if before.primary_key.is_empty() {
                continue;
            }
            for (writer, w, write_col, reader, rv, read_col) in [
                (before, r, old, after, r + 1, new),
                (after, r + 1, new, before, r, old),
            ] {
                result = self.select_views(w).and_then(|()| {
                    let (insert, values) = self.insert_sql(writer, &plan.views[w])?;
                    self.db
                        .run_script(&insert)
                        .map_err(|e| self.insert_failure(writer, " for read-back", e))?;
                    self.select_views(rv)?;
                    let written = values.iter().find(|(c, _)| c == write_col);
                    // The key as each side names it: the renamed column may be in it.
                    let mut conditions: Vec<String> = writer
                        .primary_key
                        .iter()
                        .zip(&reader.primary_key)
                        .filter_map(|(pk, name)| {
                            values.iter().find(|(c, _)| c == pk).map(|(_, v)| (name, v))
                        })
                        .map(|(c, v)| format!("{} = {v}", quote(self.dialect, c)))
                        .collect();
                    if let Some((_, value)) = written {
                        conditions.push(format!("{} = {value}", quote(self.dialect, read_col)));
                    }
                    let sql = rehearsal::count_where(self.dialect, table, &conditions);
                    let rows = self.db.query_text(&sql).map_err(|e| {
                        failure(
                            &format!("read-back of {table}.{write_col} as {read_col}"),
                            e,
                        )
                    })?;
                    match rows
                        .first()
                        .and_then(|r| r.first().cloned().flatten())
                        .as_deref()
                    {
                        Some("1") => Ok(()),
                        _ => Err(format!(
                            "read-back of {table}.{write_col} as {table}.{read_col}: a row written \
                             through {write_col} does not show the value through {read_col}"
                        )),
                    }
                });
                let _ = self.db.select_tables();
                result.clone()?;
            }
        }
        result
    }

    /// For each column renamed in release `r`: a row written by R-1's code through the
    /// old name reads back through the new name in R's code, and the other way round.
    fn renames(&mut self, r: usize) -> std::result::Result<(), String> {
        let renames: Vec<(String, String, String, bool)> = self
            .plan
            .files_in(Slot::Expand(r))
            .flat_map(|f| f.steps.iter().flat_map(|s| s.actions.iter()))
            .filter_map(|a| match a {
                Action::SyncTrigger {
                    table,
                    old,
                    new,
                    forward,
                    ..
                } => Some((table.clone(), old.clone(), new.clone(), forward.is_some())),
                _ => None,
            })
            .collect();
        // A shadow column of a type change that keeps the name is swapped in at
        // contract(r): from then on only the name is there.
        let swapped: Vec<(String, String)> = self
            .plan
            .files_in(Slot::Contract(r))
            .flat_map(|f| f.steps.iter().flat_map(|s| s.actions.iter()))
            .filter_map(|a| match a {
                Action::SwapColumn { table, shadow, .. } => Some((table.clone(), shadow.clone())),
                _ => None,
            })
            .collect();
        for (table, old, new, converted) in renames {
            if swapped.contains(&(table.clone(), new.clone()))
                && self
                    .db
                    .query_text(&rehearsal::column_exists_probe(self.dialect, &table, &new))
                    .is_err()
            {
                continue;
            }
            let (Some(before), Some(after)) = (
                self.plan.views[r].table(&table).cloned(),
                self.plan.views[r + 1].table(&table).cloned(),
            ) else {
                continue;
            };
            if before.primary_key.is_empty() {
                continue;
            }
            let plan = self.plan;
            for (writer, code, write_col, reader_col) in [
                (&before, &plan.views[r], &old, &new),
                (&after, &plan.views[r + 1], &new, &old),
            ] {
                let (insert, values) = self.insert_sql(writer, code)?;
                self.db
                    .run_script(&insert)
                    .map_err(|e| self.insert_failure(writer, " for read-back", e))?;
                let Some(written) = values.iter().find(|(c, _)| c == write_col) else {
                    continue;
                };
                let mut conditions: Vec<String> = writer
                    .primary_key
                    .iter()
                    .filter_map(|pk| values.iter().find(|(c, _)| c == pk))
                    .map(|(c, v)| format!("{} = {v}", quote(self.dialect, c)))
                    .collect();
                // A type change converts on the way to the new column: there the value
                // must arrive, not stay equal.
                let reader = quote(self.dialect, reader_col);
                let written_type = writer.column(write_col).map(|c| &c.ty);
                let reader_type = [&before, &after]
                    .iter()
                    .find_map(|t| t.column(reader_col))
                    .map(|c| &c.ty);
                conditions.push(if converted && reader_col == &new {
                    format!("{reader} IS NOT NULL")
                } else {
                    match (written_type, self.dialect) {
                        // Postgres compares values of one type only: read the converted
                        // column back as the type it was written as.
                        (Some(ty), Dialect::Postgres) if Some(ty) != reader_type => format!(
                            "CAST({reader} AS {}) = {}",
                            type_name(self.dialect, ty),
                            written.1
                        ),
                        _ => format!("{reader} = {}", written.1),
                    }
                });
                let sql = rehearsal::count_where(self.dialect, &table, &conditions);
                let rows = self.db.query_text(&sql).map_err(|e| {
                    failure(
                        &format!("read-back of {table}.{write_col} as {reader_col}"),
                        e,
                    )
                })?;
                let count = rows.first().and_then(|r| r.first().cloned().flatten());
                if count.as_deref() != Some("1") {
                    return Err(format!(
                        "read-back of {table}.{write_col} as {table}.{reader_col}: a row written \
                         through {write_col} does not show the value through {reader_col}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Runs the real statements of code version `v` (an index of `Plan::views`), each
    /// with its placeholders bound to probe values; the first failure names the file
    /// and line of the statement.
    fn run_queries(&mut self, v: usize) -> std::result::Result<(), String> {
        let Some(statements) = self.queries.get(v).cloned() else {
            return Ok(());
        };
        let plan = self.plan;
        let view = &plan.views[v];
        for statement in statements {
            // The keys of free parent rows, for the foreign keys of the tables the
            // statement names: a written reference points at a real row.
            let mut references: HashMap<(String, String), String> = HashMap::new();
            for table in view.tables.values() {
                if !queries::names_table(statement.dialect, &statement.sql, &table.name) {
                    continue;
                }
                for fk in self.values.foreign_keys(view, table) {
                    if self.values.same_table(&fk.parent, &table.name) {
                        continue;
                    }
                    if let Parent::Row(row) = self.parent_row(table, view, &fk, 0)? {
                        for (c, value) in fk.columns.iter().zip(row) {
                            references.insert((table.name.clone(), c.clone()), value);
                        }
                    }
                }
            }
            self.counter += 1;
            let n = self.counter;
            let values = &self.values;
            let sql = queries::bind_given(
                statement.dialect,
                &statement.sql,
                view,
                &statement.given,
                &mut |table, column| {
                    if let Some(v) = references.get(&(table.to_string(), column.to_string())) {
                        return v.clone();
                    }
                    match view.table(table).and_then(|t| t.column(column)) {
                        Some(c) => values.value(table, column, &c.ty, n),
                        None => "'1'".into(),
                    }
                },
            );
            let run = if queries::returns_rows(statement.dialect, &sql) {
                self.db.query_text(&sql).map(|_| ())
            } else {
                self.db.run_script(&sql)
            };
            run.map_err(|e| format!("query {}: {e}", statement.at()))?;
        }
        Ok(())
    }

    /// Turns SQLite's enforcement of foreign keys on or off (outside any transaction);
    /// the other databases always enforce them.
    fn foreign_keys(&mut self, on: bool) -> std::result::Result<(), String> {
        if self.dialect != Dialect::Sqlite {
            return Ok(());
        }
        self.db
            .run_script(&crate::sql::server::sqlite_foreign_keys(on))
            .map_err(|e| e.0)
    }

    /// The failure of a probe's insert; where a check of the plan refused the made-up
    /// values, which check, and how to give real values.
    fn insert_failure(&self, table: &Table, what: &str, e: DbError) -> String {
        let refusing = refusing_check(self.dialect, table, &e);
        let check = refusing.map(describe_check);
        let mut message = failure(&format!("insert into {}{what}", describe(table)), e);
        // The columns of the check the error names, else of any check of the table.
        let named = refusing.or_else(|| {
            table
                .constraints
                .iter()
                .filter(|c| matches!(c.kind, crate::model::ConstraintKind::Check { .. }))
                .find(|c| message.contains(c.name.as_str()))
        });
        let checks: Vec<&str> = table
            .columns
            .iter()
            .filter(|c| named.is_none_or(|k| k.uses(Some(self.dialect), &c.name)))
            .filter(|c| !self.values.has_user_values(&table.name, &c.name))
            .map(|c| c.name.as_str())
            .collect();
        let hint = |column: &str| {
            format!(
                "give them in tandem.toml, e.g. [verify.values] \"{}.{column}\" = [\"...\"]",
                table.name
            )
        };
        if let (Some(check), Some(column)) = (&check, checks.first()) {
            // The advice before the database's words, which may run over lines.
            let error = message
                .strip_prefix(&format!("insert into {}{what}: ", describe(table)))
                .unwrap_or(&message)
                .to_string();
            return format!(
                "insert into {}{what}: the check {check} refuses the probe row, whose values \
                 are made up; where a check needs real values, {} ({error})",
                table.name,
                hint(column)
            );
        }
        if (named.is_some() || message.to_ascii_lowercase().contains("check")) && !checks.is_empty()
        {
            message.push_str(&format!(
                " (the probe values are made up; where a check needs real ones, {})",
                hint(checks[0])
            ));
        }
        message
    }

    /// Stops writing probe rows to `table`, which the release does not change, for
    /// `why` (a check refused the made-up values), and says so in the report.
    fn refuse(&mut self, table: &Table, why: String) {
        let id = self.values.table_identity(&table.name);
        if self.refused.contains_key(&id) {
            return;
        }
        self.notes.push(format!(
            "{}: no probe rows in {}, which the release does not change: {why} (give real \
             values in [verify.values] to probe it; rows that point at it get NULL keys)",
            self.plan.releases.name(self.release),
            table.name
        ));
        self.refused.insert(id, why);
    }

    /// For a row of `table` that `fk` binds: subqueries that read the key of a row of
    /// the parent that no row of `table` points at yet (a parent row is written first
    /// when every one is taken), one per column of the key, all of the same row. `None`
    /// where the code of `view` does not know the parent, or it has no rows.
    fn parent_row(
        &mut self,
        table: &Table,
        view: &View,
        fk: &probe::ForeignKey,
        depth: usize,
    ) -> std::result::Result<Parent, String> {
        let Some(parent) = view.table(&fk.parent).cloned() else {
            return Ok(Parent::Unknown);
        };
        let parent_changed = self.scope.changes(&self.values, &parent.name);
        if !parent_changed {
            if let Some(why) = self.refused.get(&self.values.table_identity(&parent.name)) {
                return Ok(Parent::Refused(parent.name.clone(), why.clone()));
            }
        }
        let dialect = self.dialect;
        let keys_sql = rehearsal::non_null_values(dialect, &parent.name, &fk.parent_columns, true);
        let taken_sql = rehearsal::non_null_values(dialect, &table.name, &fk.columns, false);
        let mut offset = None;
        for attempt in 0..2 {
            let keys = self
                .db
                .query_text(&keys_sql)
                .map_err(|e| failure(&format!("read the keys of {}", parent.name), e))?;
            let taken: HashSet<Vec<Option<String>>> = self
                .db
                .query_text(&taken_sql)
                .map_err(|e| failure(&format!("read the keys of {}", table.name), e))?
                .into_iter()
                .collect();
            offset = keys.iter().position(|k| !taken.contains(k));
            if offset.is_some() || attempt == 1 || depth > 4 {
                if offset.is_none() && !keys.is_empty() {
                    offset = Some(0);
                }
                break;
            }
            // Every parent row is taken: write one more.
            let written = match self.insert_at_depth(&parent, view, depth + 1) {
                Ok((insert, _)) => self.db.run_script(&insert).map_err(|e| {
                    let check = refusing_check_named(self.dialect, &parent, &e);
                    (
                        check.map(|c| format!("its check {c} refuses made-up values")),
                        e,
                    )
                }),
                Err(message) => match self.blocked.take() {
                    Some(why) => Err((Some(why), DbError(message))),
                    None => return Err(message),
                },
            };
            match written {
                Ok(()) => {}
                Err((Some(why), _)) if !parent_changed => {
                    self.refuse(&parent, why.clone());
                    return Ok(Parent::Refused(parent.name.clone(), why));
                }
                Err((_, e)) => return Err(self.insert_failure(&parent, " as a parent row", e)),
            }
        }
        Ok(match offset {
            Some(offset) => Parent::Row(
                fk.parent_columns
                    .iter()
                    .map(|p| {
                        rehearsal::nth_key_value(
                            dialect,
                            &parent.name,
                            p,
                            &fk.parent_columns,
                            offset,
                        )
                    })
                    .collect(),
            ),
            None => Parent::Unknown,
        })
    }

    /// An INSERT of every column of `table` that the code of `view` knows, with probe
    /// values; returns the values too. A foreign key's columns take the key of a parent
    /// row that no other row points at yet (a parent row is written first when there is
    /// none), so that a one-to-one key holds, composite keys together.
    fn insert_sql(
        &mut self,
        table: &Table,
        view: &View,
    ) -> std::result::Result<(String, Vec<(String, String)>), String> {
        self.insert_at_depth(table, view, 0)
    }

    fn insert_at_depth(
        &mut self,
        table: &Table,
        view: &View,
        depth: usize,
    ) -> std::result::Result<(String, Vec<(String, String)>), String> {
        self.counter += 1;
        let n = self.counter;
        let mut values: Vec<(String, String)> = table
            .columns
            .iter()
            // The database computes a generated column; writing one fails.
            .filter(|c| !c.is_generated())
            .map(|c| {
                let value = if c.is_identity() {
                    crate::verify::probe::identity_value(&c.ty, n)
                } else {
                    self.values.value(&table.name, &c.name, &c.ty, n)
                };
                (c.name.clone(), value)
            })
            .collect();
        for fk in self.values.foreign_keys(view, table) {
            if self.values.same_table(&fk.parent, &table.name) {
                // A row may point at itself.
                for (c, p) in fk.columns.iter().zip(&fk.parent_columns) {
                    if let Some(v) = values.iter().find(|(x, _)| x == p).map(|x| x.1.clone()) {
                        if let Some(slot) = values.iter_mut().find(|(x, _)| x == c) {
                            slot.1 = v;
                        }
                    }
                }
                continue;
            }
            let parent_values = match self.parent_row(table, view, &fk, depth)? {
                Parent::Row(values) => values,
                Parent::Unknown => continue,
                // No row of the parent can be written: the key stays empty where it may.
                Parent::Refused(parent, why) => {
                    let nullable = fk
                        .columns
                        .iter()
                        .all(|c| table.column(c).is_some_and(|c| c.nullable));
                    if !nullable {
                        let message = format!(
                            "insert into {}: its key ({}) must point at a row of {parent}, \
                             and none can be written there: {why} (give real values in \
                             tandem.toml's [verify.values])",
                            describe(table),
                            fk.columns.join(", ")
                        );
                        self.blocked = Some(format!("it needs a row of {parent}, where {why}"));
                        return Err(message);
                    }
                    vec!["NULL".to_string(); fk.columns.len()]
                }
            };
            for (c, v) in fk.columns.iter().zip(parent_values) {
                if let Some(slot) = values.iter_mut().find(|(x, _)| x == c) {
                    slot.1 = v;
                }
            }
        }
        let literals: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
        let names: Vec<&str> = values.iter().map(|(c, _)| c.as_str()).collect();
        let sql = rehearsal::insert_row(self.dialect, &table.name, &names, &literals);
        Ok((sql, values))
    }
}

/// The check of `table` that refused a row: by the name the database's error gives, or
/// on MySQL by a function of it that failed on the values.
fn refusing_check<'t>(
    dialect: Dialect,
    table: &'t Table,
    e: &DbError,
) -> Option<&'t crate::model::Constraint> {
    let text = e.0.to_ascii_lowercase();
    if !["check", "constraint", "function"]
        .iter()
        .any(|w| text.contains(w))
    {
        return None;
    }
    table.constraints.iter().find(|c| match &c.kind {
        crate::model::ConstraintKind::Check { expr } => {
            let name = c.name.to_ascii_lowercase();
            let quoted = ["\"", "`", "'"]
                .iter()
                .any(|q| text.contains(&format!("{q}{name}{q}")));
            let sqlite = text.contains(&format!("failed: {name}"));
            // MySQL: a function of the check that failed on the values, by name.
            let function = crate::sql::lex::tokens(Some(dialect), expr)
                .windows(2)
                .filter(|w| &expr[w[1].span.clone()] == "(")
                .any(|w| {
                    let f = expr[w[0].span.clone()].to_ascii_lowercase();
                    text.contains(&format!("function '{f}'"))
                });
            quoted || sqlite || function
        }
        _ => false,
    })
}

/// A check as the report names it: `name (expression)`.
fn describe_check(check: &crate::model::Constraint) -> String {
    match &check.kind {
        crate::model::ConstraintKind::Check { expr } => format!("{} ({expr})", check.name),
        _ => check.name.clone(),
    }
}

/// [`refusing_check`], described.
fn refusing_check_named(dialect: Dialect, table: &Table, e: &DbError) -> Option<String> {
    refusing_check(dialect, table, e).map(describe_check)
}

/// A parent row for a foreign key's columns.
enum Parent {
    /// The code does not know the parent table, or it has no row to point at.
    Unknown,
    /// Subqueries that read the key of a free row, one per column.
    Row(Vec<String>),
    /// No row of the parent (named) can be written, and why.
    Refused(String, String),
}

fn describe(table: &Table) -> String {
    format!("{}({})", table.name, table.column_names().join(", "))
}

fn failure(probe: &str, e: DbError) -> String {
    format!("{probe}: {e}")
}

impl Report {
    pub fn text(&self) -> String {
        let mut out = format!("rehearsal on {} ({})\n\n", self.database, self.dialect);
        let width = self
            .cells
            .iter()
            .map(|c| c.code.len().max(c.release.len()))
            .max()
            .unwrap_or(7)
            .max(7);
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<width$}  result\n",
            "release", "step", "code"
        ));
        for c in &self.cells {
            out.push_str(&format!(
                "{:<width$}  {:<8}  {:<width$}  {}\n",
                c.release,
                c.step,
                c.code,
                if c.ok {
                    "ok".to_string()
                } else {
                    format!("FAILED: {}", c.result)
                }
            ));
        }
        if let Some(f) = &self.apply_failure {
            out.push_str(&format!("\nFAILED: {f}\n"));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("note: {note}\n"));
            }
        }
        let failed = self.cells.iter().filter(|c| !c.ok).count();
        out.push('\n');
        if self.ok {
            out.push_str(&format!(
                "ok: all {} cells passed; no step breaks the code that runs beside it\n",
                self.cells.len()
            ));
        } else {
            out.push_str(&format!(
                "failed: {failed} of {} cells{}\n",
                self.cells.len(),
                if self.apply_failure.is_some() {
                    ", and a file failed to apply"
                } else {
                    ""
                }
            ));
        }
        out
    }
}

/// The code that runs before release `r` rolls out: R-1, or for the first release the
/// code of the baseline.
fn previous_code(plan: &Plan, r: usize) -> String {
    if r == 0 {
        format!("before {}", plan.releases.name(0))
    } else {
        plan.releases.name(r - 1).to_string()
    }
}
