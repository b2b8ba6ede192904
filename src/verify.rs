//! `tandem verify`: the rollout rehearsal. On a scratch database, for each release R in
//! order: apply expand(R), run the probes of R-1's and R's code, apply contract(R), run
//! them again. A probe writes and reads exactly the columns one release's code knows, as
//! the plan's model of that release says (not the SQL text), so a raw `sql` op that
//! breaks running code fails here too.

use std::collections::HashMap;

use refinery_core::{Migration, Runner, Target as RunTarget};
use serde::Serialize;

use crate::action::Action;
use crate::apply::database::{Database, DbError, Target};
use crate::apply::scratch::Scratch;
use crate::apply::{connect_error, MigrationFile};
use crate::config::Dialect;
use crate::diag::Result;
use crate::dialect::{literal_sql, quote};
use crate::model::{ColumnType, ConstraintKind, Literal, Table, View};
use crate::plan::{Plan, Slot};

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
    pub ok: bool,
}

/// Rehearses the plan on a scratch database made next to `server` (an in-memory SQLite
/// database for a SQLite target). The plan must have been rendered for that dialect.
pub fn verify(plan: &Plan, server: &Target) -> Result<Report> {
    let scratch = Scratch::create(server).map_err(|e| connect_error(server, e))?;
    let mut db = Database::connect(&scratch.target).map_err(|e| connect_error(server, e))?;
    let dialect = db.dialect();
    let mut rehearsal = Rehearsal {
        plan,
        db: &mut db,
        dialect,
        counter: 0,
        migrations: Vec::new(),
        keys: Keys::of(plan),
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
    Ok(Report {
        database: match server {
            Target::SqliteFile(_) | Target::SqliteMemory => "sqlite::memory:".into(),
            other => format!("a scratch database on {}", other.display()),
        },
        dialect: dialect.name(),
        cells,
        apply_failure,
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
    [
        (previous_code(plan, r), &plan.views[r]),
        (plan.releases.name(r).to_string(), &plan.views[r + 1]),
    ]
    .into_iter()
    .map(|(code, view)| {
        let result = rehearsal.probe(view).and_then(|()| rehearsal.renames(r));
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
        keys: Keys::of(plan),
    };
    probe_release(&mut rehearsal, r)
}

struct Rehearsal<'a> {
    plan: &'a Plan,
    db: &'a mut Database,
    dialect: Dialect,
    /// Makes every probe row's values distinct (primary keys, unique indexes).
    counter: u64,
    migrations: Vec<Migration>,
    /// What the plan's releases know of keys, gathered once: see [`Keys`].
    keys: Keys,
}

/// The checks and foreign keys of every release's schema. A key exists in the database
/// from the release that adds it, whatever the code of a release knows; looked up per
/// probe column, so gathered once rather than scanned across all releases each time.
#[derive(Default)]
struct Keys {
    checks: Vec<String>,
    /// (table, column) -> the (table, column) it references, newest release first.
    references: HashMap<(String, String), Vec<(String, String)>>,
}

impl Keys {
    fn of(plan: &Plan) -> Keys {
        let mut keys = Keys::default();
        for table in plan.views.iter().rev().flat_map(|v| v.tables.values()) {
            for c in &table.constraints {
                match &c.kind {
                    ConstraintKind::Check { .. } => {
                        if !keys.checks.contains(&c.name) {
                            keys.checks.push(c.name.clone());
                        }
                    }
                    ConstraintKind::ForeignKey {
                        columns,
                        references,
                        referenced_columns,
                        ..
                    } => {
                        for (col, key) in columns.iter().zip(referenced_columns) {
                            let target = (references.clone(), key.clone());
                            let known = keys
                                .references
                                .entry((table.name.clone(), col.clone()))
                                .or_default();
                            if !known.contains(&target) {
                                known.push(target);
                            }
                        }
                    }
                    ConstraintKind::Unique { .. } => {}
                }
            }
        }
        keys
    }
}

impl Rehearsal<'_> {
    /// Applies the files of one slot through refinery, as `migrate` would.
    fn apply(&mut self, slot: Slot) -> std::result::Result<(), String> {
        for file in self.plan.files_in(slot) {
            Runner::new(&self.migrations)
                .set_target(RunTarget::Version(file.version as i32))
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
        for table in crate::model::parents_first(view.tables.values()) {
            let (insert, _) = self.insert_sql(table, view);
            if let Err(e) = self.db.run_script(&insert) {
                // Made-up values need not satisfy a check that tandem added: the code
                // writes real ones. A check tandem does not know fails the probe.
                if !self
                    .keys
                    .checks
                    .iter()
                    .any(|name| e.0.contains(name.as_str()))
                {
                    return Err(failure(&format!("insert into {}", describe(table)), e));
                }
            }
            let select = format!(
                "SELECT {} FROM {} LIMIT 1",
                self.column_list(table),
                quote(self.dialect, &table.name)
            );
            self.db
                .query_text(&select)
                .map_err(|e| failure(&format!("select from {}", describe(table)), e))?;
        }
        Ok(())
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
        for (table, old, new, converted) in renames {
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
                let (insert, values) = self.insert_sql(writer, code);
                self.db.run_script(&insert).map_err(|e| {
                    failure(
                        &format!("insert into {} for read-back", describe(writer)),
                        e,
                    )
                })?;
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
                conditions.push(if converted && reader_col == &new {
                    format!("{} IS NOT NULL", quote(self.dialect, reader_col))
                } else {
                    format!("{} = {}", quote(self.dialect, reader_col), written.1)
                });
                let sql = format!(
                    "SELECT COUNT(*) FROM {} WHERE {}",
                    quote(self.dialect, &table),
                    conditions.join(" AND ")
                );
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

    /// The table and column that `table.column` references, as the code of `view` names
    /// them: its own schema first, then any release's, where `view` knows the table.
    fn reference(&self, view: &View, table: &str, column: &str) -> Option<(String, String)> {
        let usable =
            |(parent, _): &(String, String)| parent != table && view.table(parent).is_some();
        let own = view.table(table).and_then(|t| {
            t.constraints.iter().find_map(|c| match &c.kind {
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    ..
                } => columns
                    .iter()
                    .position(|x| x == column)
                    .map(|i| (references.clone(), referenced_columns[i].clone())),
                _ => None,
            })
        });
        own.filter(usable).or_else(|| {
            self.keys
                .references
                .get(&(table.to_string(), column.to_string()))?
                .iter()
                .find(|k| usable(k))
                .cloned()
        })
    }

    /// An INSERT of every column of `table` with made-up values, as the code of `view`
    /// writes it; returns the values too. A foreign key column takes its value from a
    /// row of the referenced table, when that code knows the table.
    fn insert_sql(&mut self, table: &Table, view: &View) -> (String, Vec<(String, String)>) {
        self.counter += 1;
        let n = self.counter;
        let values: Vec<(String, String)> = table
            .columns
            .iter()
            .map(|c| {
                let referenced = self.reference(view, &table.name, &c.name);
                let value = match referenced {
                    Some((parent, key)) => format!(
                        "(SELECT {k} FROM {p} ORDER BY {k} LIMIT 1)",
                        k = quote(self.dialect, &key),
                        p = quote(self.dialect, &parent)
                    ),
                    None => made_up(self.dialect, &c.ty, n),
                };
                (c.name.clone(), value)
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(self.dialect, &table.name),
            self.column_list(table),
            values
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        (sql, values)
    }

    fn column_list(&self, table: &Table) -> String {
        table
            .columns
            .iter()
            .map(|c| quote(self.dialect, &c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn describe(table: &Table) -> String {
    format!("{}({})", table.name, table.column_names().join(", "))
}

fn failure(probe: &str, e: DbError) -> String {
    format!("{probe}: {e}")
}

/// A value of a portable type, distinct for each `n`, as an SQL literal.
pub fn made_up(dialect: Dialect, ty: &ColumnType, n: u64) -> String {
    let text = |s: String| literal_sql(dialect, &Literal::Str(s));
    match ty {
        ColumnType::SmallInt => (n % 32_000).to_string(),
        ColumnType::Integer | ColumnType::BigInt => n.to_string(),
        ColumnType::Boolean => literal_sql(dialect, &Literal::Bool(n % 2 == 0)),
        ColumnType::Real | ColumnType::Double => format!("{n}.5"),
        ColumnType::Decimal(p, s) => {
            let whole_digits = p.saturating_sub(*s);
            if whole_digits == 0 {
                "0".into()
            } else {
                (n % 10u64.pow(whole_digits.min(18))).to_string()
            }
        }
        ColumnType::Text => text(format!("probe {n}")),
        // As long as the type allows: what the code may write, so that a narrower
        // column it is copied to fails here and not in production.
        ColumnType::Varchar(len) | ColumnType::Char(len) => {
            let len = (*len as usize).min(1000);
            let mut s = format!("p{n}");
            s.truncate(len);
            while s.len() < len {
                s.push('x');
            }
            text(s)
        }
        // Distinct per `n` too, for unique keys over dates and times.
        ColumnType::Date => text(made_up_date(n)),
        ColumnType::Time => text(made_up_time(n)),
        ColumnType::Timestamp | ColumnType::TimestampTz => {
            text(format!("{} {}", made_up_date(n), made_up_time(n)))
        }
        ColumnType::Uuid => text(format!(
            "00000000-0000-4000-8000-{:012}",
            n % 1_000_000_000_000
        )),
        ColumnType::Json => text(format!("{{\"probe\": {n}}}")),
        ColumnType::Binary => match dialect {
            Dialect::Postgres => "'\\x01'::bytea".into(),
            Dialect::Mysql | Dialect::Sqlite => "X'01'".into(),
        },
    }
}

fn made_up_date(n: u64) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        // MySQL timestamps end in 2038.
        2000 + (n / 336) % 30,
        1 + (n / 28) % 12,
        1 + n % 28
    )
}

fn made_up_time(n: u64) -> String {
    format!("{:02}:{:02}:{:02}", (n / 3600) % 24, (n / 60) % 60, n % 60)
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
