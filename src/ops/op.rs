//! What every operation shares: the `Operation` trait, the context an op folds itself
//! into, and the timed steps it yields. The registry of op types is `ops/mod.rs`.

use std::fmt::Debug;

use crate::action::Action;
use crate::diag::{suggestion, Diag, Location, Result};
use crate::model::{Column, Constraint, Schema, Table, View};
use crate::parse::{Fields, Located};
use crate::sql::Dialect;

/// When a step runs, relative to the release R of the change it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timing {
    /// expand(R): before R's code rolls out; R-1's code must keep working.
    Expand,
    /// contract(R): once every deployment runs R; R-1 (the rollback target) must keep working.
    Contract,
    /// contract(R + gap) or later: breaks code that still uses the old shape, so it waits
    /// until neither the running release nor its rollback target uses it.
    Later(Removal),
}

/// What a step placed later removes or tightens, for refusal messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// "drop", "tightening", "destructive SQL".
    pub noun: String,
    /// "drop it", "tighten it", "run it".
    pub verb: String,
    /// "users.legacy_email".
    pub subject: String,
}

impl Removal {
    pub fn new(noun: &str, verb: &str, subject: impl Into<String>) -> Self {
        Removal {
            noun: noun.into(),
            verb: verb.into(),
            subject: subject.into(),
        }
    }
}

/// One step of an operation: a timing, a description and the actions it runs.
#[derive(Debug, Clone)]
pub struct Step {
    pub timing: Timing,
    pub description: String,
    pub actions: Vec<Action>,
}

impl Step {
    pub fn new(timing: Timing, description: impl Into<String>, actions: Vec<Action>) -> Self {
        Step {
            timing,
            description: description.into(),
            actions,
        }
    }
}

/// What an operation sees while it is applied.
pub struct OpContext<'a> {
    /// The schema the code sees, before this op; the op folds itself into it.
    pub schema: &'a mut Schema,
    /// Index of the change's release in the release order.
    pub release: usize,
    /// Index of the release whose contract receives this op's later steps; `None` while
    /// that release is not known yet (pending).
    pub later_release: Option<usize>,
    /// Where the op is written.
    pub location: Location,
    /// What the code of the release before sees (R-1, still running during expand), when
    /// there is one: a view kept for it must show what it uses.
    pub previous: Option<&'a View>,
    /// The project's dialect; `None` where no project is known (schema declarations).
    pub dialect: Option<Dialect>,
    /// The project's default rename mode (an op's `mode` overrides it).
    pub rename_mode: crate::config::RenameMode,
    /// What the plan should tell about this op, besides its steps.
    pub notes: Vec<OpNote>,
    /// Refusals of this op: the plan shows them all and must not be applied.
    pub problems: Vec<Diag>,
    /// Whether the op is a declaration of schema.toml: what a database already holds
    /// (introspect writes it from one), not a change tandem is asked to make. A
    /// definition the server takes but that can fail a later write is kept there.
    pub declared: bool,
    /// Edits of pending tightenings (an earlier op's later step that adds a constraint)
    /// that this op makes: the planner applies them to that step.
    pub pending_edits: Vec<PendingEdit>,
}

/// What an op does to the pending tightening of constraint `constraint` of `table`,
/// which is in the model but not in the database yet.
#[derive(Debug, Clone)]
pub struct PendingEdit {
    pub table: String,
    pub constraint: Constraint,
    /// `None`: cancel it, so it is never enforced; `Some(name)`: enforce it under that
    /// name instead.
    pub renamed_to: Option<String>,
}

/// A remark on an op that the plan shows: a warning (something tandem cannot see or
/// check) or a note (something it assumed, or an assertion of the user).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpNote {
    pub warning: bool,
    pub message: String,
}

impl OpContext<'_> {
    /// A context for `schema` with no notes or problems yet.
    pub fn new<'a>(
        schema: &'a mut Schema,
        release: usize,
        later_release: Option<usize>,
        location: Location,
        previous: Option<&'a View>,
        dialect: Option<Dialect>,
    ) -> OpContext<'a> {
        OpContext {
            schema,
            release,
            later_release,
            location,
            previous,
            dialect,
            rename_mode: crate::config::RenameMode::default(),
            notes: Vec::new(),
            problems: Vec::new(),
            declared: false,
            pending_edits: Vec::new(),
        }
    }
}

impl OpContext<'_> {
    /// Fails when `table` (with `column`: that column of it) is added by a contract this
    /// op's release reaches before (hand-written SQL): the op's expand steps run earlier.
    pub fn ensure_arrived(&self, table: &str, column: Option<&str>, at: &Location) -> Result<()> {
        let Some(until) = self.schema.arriving.iter().find_map(|((t, c), until)| {
            (t == table
                && (c.is_none() || c.as_deref() == column)
                && until.is_none_or(|u| u >= self.release))
            .then_some(*until)
        }) else {
            return Ok(());
        };
        let subject = match column {
            Some(c) => format!("column `{table}.{c}`"),
            None => format!("table `{table}`"),
        };
        Err(Diag::input(format!(
            "{subject} is not in the database yet: hand-written contract SQL adds it{}",
            match until {
                Some(_) => " in a contract after this release's expand",
                None => " in a contract whose release is not known yet",
            }
        ))
        .at(at.clone())
        .label("used before the contract that adds it")
        .note("what a contract adds is there for the code of the release after it")
        .help("tag this change with a release after the one whose contract adds it")
        .into())
    }

    /// Fails when `table.column` changes type through a shadow column in this release:
    /// another op of the release would change the column the swap drops.
    pub fn ensure_not_retyping(&self, table: &str, column: &str, at: &Location) -> Result<()> {
        if !self
            .schema
            .retyping
            .iter()
            .any(|(t, c, r)| t == table && c == column && *r == self.release)
        {
            return Ok(());
        }
        Err(Diag::input(format!(
            "column `{table}.{column}` changes type through a new column in this release, which takes its place at this release's contract"
        ))
        .at(at.clone())
        .label("changed again in the same release")
        .note("until that contract the database holds the old column and its shadow: what this op did to the old column would be lost in the swap")
        .help("tag this change with a later release")
        .into())
    }

    /// The table named by `name`, or an error pointing at it with the nearest name.
    pub fn table(&self, name: &Located<String>) -> Result<&Table> {
        self.ensure_arrived(&name.value, None, &name.location)?;
        self.schema.table(&name.value).ok_or_else(|| {
            let mut diag = Diag::input(format!("unknown table `{}`", name.value))
                .at(name.location.clone())
                .label("no such table in the schema this release's code sees");
            if self
                .schema
                .is_physically_present(&name.value, None, self.release)
            {
                diag = diag.note(format!(
                    "`{}` was dropped by an earlier change; its removal is still pending",
                    name.value
                ));
            } else if !self.schema.tables.is_empty() {
                diag = diag.help(suggestion(&name.value, &self.schema.table_names()));
            }
            diag.into()
        })
    }

    /// The column `table.column`, or an error pointing at it with the nearest name.
    pub fn column(&self, table: &Located<String>, column: &Located<String>) -> Result<&Column> {
        let t = self.table(table)?;
        self.ensure_arrived(&table.value, Some(&column.value), &column.location)?;
        self.ensure_not_retyping(&table.value, &column.value, &column.location)?;
        if let Some(p) = self.schema.physical_name(&table.value, &column.value) {
            return Err(Diag::input(format!(
                "column `{}.{}` still exists as `{}`: its views-mode rename completes in a later contract",
                table.value, column.value, p.physical
            ))
            .at(column.location.clone())
            .label("renamed through views, not yet in the table")
            .note("until the contract step that renames it in place, only the release views show it under this name; tandem's steps work on the table itself")
            .help("tag this change with a release after the contract that completes the rename, or rename it with mode = \"copy\"")
            .into());
        }
        t.column(&column.value).ok_or_else(|| {
            let mut diag = Diag::input(format!("unknown column `{}.{}`", table.value, column.value))
                .at(column.location.clone())
                .label("no such column in the schema this release's code sees");
            if self
                .schema
                .is_physically_present(&table.value, Some(&column.value), self.release)
            {
                diag = diag.note(format!(
                    "`{}.{}` was dropped or renamed by an earlier change; later changes cannot use it",
                    table.value, column.value
                ));
            } else {
                diag = diag.help(suggestion(&column.value, &t.column_names()));
            }
            diag.into()
        })
    }

    /// Fails when the name of `constraint`, about to be added to `table`, is taken where
    /// the dialect needs it free: on the same table always; across the schema for a
    /// unique constraint (an index) or where the dialect names constraints schema-wide.
    /// MySQL names indexes, and so unique keys, per table, and foreign keys and checks
    /// across the schema in a namespace of their own.
    pub fn ensure_free_constraint_name(
        &self,
        table: &str,
        constraint: &Constraint,
        at: &Location,
    ) -> Result<()> {
        let is_index =
            |c: &Constraint| matches!(c.kind, crate::model::ConstraintKind::Unique { .. });
        let name = &constraint.name;
        let per_table_indexes = self.schema.index_names_per_table();
        if !self.schema.constraint_names_per_table && !per_table_indexes {
            return self.ensure_new_constraint_name(name, at);
        }
        let clash = self.schema.constraints_named(name).find(|(t, c)| {
            if per_table_indexes {
                is_index(constraint) == is_index(c) && (!is_index(c) || t.name == table)
            } else {
                t.name == table || is_index(constraint) && is_index(c)
            }
        });
        let index_taken = is_index(constraint)
            && if per_table_indexes {
                self.schema.index_name_taken(table, name)
            } else {
                !self.schema.indexes_named(name).is_empty()
            };
        let taken = match clash {
            Some((t, c)) => Some(format!("{} of `{}`", c.noun(), t.name)),
            None if index_taken => Some("an index".to_string()),
            None => None,
        };
        let label = match (is_index(constraint), per_table_indexes) {
            (true, true) => {
                "a unique constraint is an index, whose name is unique within its table"
            }
            (true, false) => {
                "a unique constraint is an index, whose name is unique across the schema"
            }
            (false, true) => "foreign key and check names are unique across the schema",
            (false, false) => "constraint names are unique within a table",
        };
        match taken {
            None => Ok(()),
            Some(what) => Err(Diag::input(format!("`{name}` is taken: it names {what}"))
                .at(at.clone())
                .label(label)
                .help("give this constraint another `name`")
                .into()),
        }
    }

    /// Fails when `table.column` exists, or still exists physically, awaiting its drop.
    pub fn ensure_new_column(
        &self,
        table: &Located<String>,
        column: &Located<String>,
    ) -> Result<()> {
        let t = self.table(table)?;
        if t.column(&column.value).is_some() {
            return Err(Diag::input(format!(
                "column `{}.{}` already exists",
                table.value, column.value
            ))
            .at(column.location.clone())
            .label("already a column of this table")
            .into());
        }
        if self
            .schema
            .is_physically_present(&table.value, Some(&column.value), self.release)
        {
            return Err(Diag::input(format!(
                "column `{}.{}` still exists in the database until an earlier change's contract step drops it",
                table.value, column.value
            ))
            .at(column.location.clone())
            .label("name still taken")
            .help("choose another name, or tag this change with a release after that drop")
            .into());
        }
        Ok(())
    }

    /// Fails unless every name of `columns` is a column of `table`.
    pub fn columns(&self, table: &Located<String>, columns: &Located<Vec<String>>) -> Result<()> {
        let t = self.table(table)?;
        for col in &columns.value {
            self.ensure_arrived(&table.value, Some(col), &columns.location)?;
            self.ensure_not_retyping(&table.value, col, &columns.location)?;
            if t.column(col).is_none() {
                return Err(
                    Diag::input(format!("unknown column `{}.{col}`", table.value))
                        .at(columns.location.clone())
                        .label("no such column in the schema this release's code sees")
                        .help(suggestion(col, &t.column_names()))
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// Fails when a constraint or index already has `name`: both share one namespace in
    /// the databases that back a unique constraint with an index.
    pub fn ensure_new_constraint_name(&self, name: &str, at: &Location) -> Result<()> {
        let taken = if let Some((t, c)) = self.schema.constraint(name) {
            Some(format!("{} of `{}`", c.noun(), t.name))
        } else if !self.schema.indexes_named(name).is_empty() {
            Some("an index".to_string())
        } else {
            None
        };
        match taken {
            None => Ok(()),
            Some(what) => Err(Diag::input(format!("`{name}` is taken: it names {what}"))
                .at(at.clone())
                .label("constraint and index names are unique across the schema")
                .help("give this constraint another `name`")
                .into()),
        }
    }

    /// Fails when a constraint uses `table.column` (or, with no column, points at
    /// `table` from another table): the database refuses to drop what it relies on.
    pub fn ensure_no_constraint_uses(
        &self,
        table: &str,
        column: Option<&str>,
        at: &Location,
        doing: &str,
    ) -> Result<()> {
        self.ensure_no_other_constraint_uses(table, column, at, doing, |_, _| false)
    }

    /// As [`Self::ensure_no_constraint_uses`], except for the constraints that `goes_along`
    /// says the op removes itself.
    pub fn ensure_no_other_constraint_uses(
        &self,
        table: &str,
        column: Option<&str>,
        at: &Location,
        doing: &str,
        goes_along: impl Fn(&Table, &Constraint) -> bool,
    ) -> Result<()> {
        let Some((owner, constraint)) = self
            .schema
            .constraints_using(table, column)
            .find(|(owner, c)| !goes_along(owner, c))
        else {
            return Ok(());
        };
        let subject = match column {
            Some(c) => format!("{table}.{c}"),
            None => table.to_string(),
        };
        Err(Diag::input(format!(
            "cannot {doing} {subject}: {} `{}` of `{}` uses it",
            constraint.noun(),
            constraint.name,
            owner.name
        ))
        .at(at.clone())
        .label("still used by a constraint")
        .help(format!(
            "drop the constraint first: a `drop_constraint` op with name = \"{}\", in this change before this op or in an earlier one",
            constraint.name
        ))
        .into())
    }

    /// Adds `constraint` to `table`, once its name is known to be free (`at` points at the
    /// name, or the op): the expand step of every op that adds a constraint.
    pub fn add_constraint(
        &mut self,
        table: &str,
        constraint: Constraint,
        at: &Location,
        description: String,
    ) -> Result<Vec<Step>> {
        self.ensure_free_constraint_name(table, &constraint, at)?;
        if let Some(t) = self.schema.tables.get_mut(table) {
            t.constraints.push(constraint.clone());
        }
        Ok(vec![Step::new(
            Timing::Expand,
            description,
            vec![Action::AddConstraint {
                table: table.to_string(),
                constraint,
            }],
        )])
    }

    /// The ones of `columns` that the code of the release before writes: a rule over
    /// them that code may break waits for a later contract.
    pub fn written_before(&self, table: &str, columns: &[String]) -> Vec<String> {
        match self.previous.and_then(|v| v.table(table)) {
            Some(t) => columns
                .iter()
                .filter(|c| t.column(c).is_some())
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// Drops NOT NULL from a column R's code no longer writes (dropped, or left behind
    /// by a move), with the stand-in default MySQL needs unless something could reject
    /// it: `keyed`, a key, index or constraint that goes with the column; `filled`, a
    /// trigger fills it.
    pub fn relax_retired(&self, table: &str, column: &Column, keyed: bool, filled: bool) -> Action {
        let constrained = keyed || self.still_enforced_on(table, &column.name);
        Action::DropNotNull {
            table: table.to_string(),
            column: column.clone(),
            placeholder: omit_placeholder(self.dialect, column, constrained, filled),
        }
    }

    /// Whether a constraint over `table.columns` waits for a later contract: the code of
    /// the release before writes one of them, and the change does not assert it complies.
    pub fn is_tightening(&self, table: &str, columns: &[String], tightening: &Tightening) -> bool {
        !tightening.old_code_complies
            && self
                .previous
                .and_then(|v| v.table(table))
                .is_some_and(|t| columns.iter().any(|c| t.column(c).is_some()))
    }

    /// The release whose contract adds constraint `name` of `table`, when a tightening placed it
    /// there (`Some(None)`: pending).
    pub fn pending_constraint(&self, table: &str, name: &str) -> Option<Option<usize>> {
        self.schema
            .pending_constraints
            .iter()
            .find(|(t, n, _)| t == table && n == name)
            .map(|(_, _, until)| *until)
    }

    /// Whether constraint `name` of `table` waits for a contract at or after this op's
    /// release (or one not known yet): it is in the model but not in the database yet.
    pub fn is_pending_here(&self, table: &str, name: &str) -> bool {
        self.pending_constraint(table, name)
            .is_some_and(|until| until.is_none_or(|u| u >= self.release))
    }

    /// Cancels the pending tightening that adds constraint `name` of `table`: the model
    /// drops it, and the planner removes the later step of the op that enforces it.
    pub fn cancel_pending(&mut self, table: &str, constraint: &Constraint) {
        self.schema
            .pending_constraints
            .retain(|(t, n, _)| !(t == table && *n == constraint.name));
        if let Some(t) = self.schema.tables.get_mut(table) {
            t.constraints.retain(|c| c.name != constraint.name);
        }
        self.pending_edits.push(PendingEdit {
            table: table.to_string(),
            constraint: constraint.clone(),
            renamed_to: None,
        });
    }

    /// Renames the pending tightening that adds constraint `constraint` of `table`: the
    /// planner gives its later step the name `to` (the model's is renamed by the caller).
    pub fn rename_pending(&mut self, table: &str, constraint: &Constraint, to: &str) {
        for (t, n, _) in &mut self.schema.pending_constraints {
            if t == table && *n == constraint.name {
                *n = to.to_string();
            }
        }
        self.pending_edits.push(PendingEdit {
            table: table.to_string(),
            constraint: constraint.clone(),
            renamed_to: Some(to.to_string()),
        });
    }

    /// Adds `constraint` to `table` over `columns`: where the code of the release before
    /// writes any of them, a tightening placed under the rule (in contract(R + gap),
    /// after its repair), unless the change asserts that that code keeps the rule.
    pub fn add_tightening(
        &mut self,
        table: &str,
        constraint: Constraint,
        columns: &[String],
        at: &Location,
        description: String,
        tightening: &Tightening,
    ) -> Result<Vec<Step>> {
        let written_before = self.written_before(table, columns);
        if written_before.is_empty() || tightening.old_code_complies {
            let description = if written_before.is_empty() {
                description
            } else {
                format!(
                    "{description} (asserted by the change: the code before this release already keeps this rule)"
                )
            };
            if let Some(r) = &tightening.repair {
                return Err(Diag::input(format!(
                    "`repair_sql` on a constraint over columns only this release's code writes: {}",
                    columns.join(", ")
                ))
                .at(r.location.clone())
                .label("nothing to repair: the constraint is added at once, in expand")
                .into());
            }
            return self.add_constraint(table, constraint, at, description);
        }
        self.ensure_free_constraint_name(table, &constraint, at)?;
        let t = self
            .schema
            .table(table)
            .cloned()
            .expect("checked by the op");
        let mut actions = self.repair_actions(table, &t, &constraint, columns, tightening)?;
        actions.push(Action::AddConstraint {
            table: table.to_string(),
            constraint: constraint.clone(),
        });
        let subject = format!("{} on {table}", constraint.name);
        if let Some(t) = self.schema.tables.get_mut(table) {
            t.constraints.push(constraint.clone());
        }
        self.schema.pending_constraints.push((
            table.to_string(),
            constraint.name.clone(),
            self.later_release,
        ));
        Ok(vec![Step::new(
            Timing::Later(Removal::new("tightening", "enforce it", subject)),
            format!(
                "{description}, enforced once no running code predates it (the code before this release writes {}){}",
                written_before.join(", "),
                if tightening.repair.is_some() {
                    ", after repair_sql fixed existing rows"
                } else {
                    ""
                }
            ),
            actions,
        )])
    }

    /// The statements that fix existing rows ahead of a tightening: the change's own
    /// UPDATE as written, or its `repair_sql` expression set in batches over one column.
    fn repair_actions(
        &self,
        table: &str,
        t: &Table,
        constraint: &Constraint,
        columns: &[String],
        tightening: &Tightening,
    ) -> Result<Vec<Action>> {
        let mut actions = Vec::new();
        let statement = tightening.repair.as_ref().filter(|r| {
            r.value
                .trim_start()
                .get(..7)
                .is_some_and(|w| w.eq_ignore_ascii_case("update "))
        });
        if let Some(update) = statement {
            // A whole UPDATE of the user's: run as written, once.
            actions.push(Action::Raw {
                sql: update.value.trim().to_string(),
                effect: Vec::new(),
            });
        } else if let Some(expr) = &tightening.repair {
            let column = match (&tightening.repair_column, columns) {
                (Some(c), _) => {
                    if t.column(&c.value).is_none() {
                        return Err(Diag::input(format!("unknown column `{table}.{}`", c.value))
                            .at(c.location.clone())
                            .label("no such column in the schema this release's code sees")
                            .help(suggestion(&c.value, &t.column_names()))
                            .into());
                    }
                    c.value.clone()
                }
                (None, [only]) => only.clone(),
                (None, _) => {
                    return Err(Diag::input(format!(
                        "`repair_sql` over {} columns: which one does it set?",
                        columns.len()
                    ))
                    .at(expr.location.clone())
                    .label("the new value of one column")
                    .help(format!(
                        "add `repair_column`, one of: {}",
                        columns.join(", ")
                    ))
                    .into())
                }
            };
            if t.primary_key.is_empty() {
                return Err(Diag::input(format!(
                    "`repair_sql` on `{table}`, which has no primary key to batch by"
                ))
                .at(expr.location.clone())
                .label("cannot repair in batches")
                .into());
            }
            actions.push(Action::Repair {
                table: table.to_string(),
                column,
                expr: expr.value.trim().to_string(),
                constraint: constraint.clone(),
                primary_key: t.primary_key.clone(),
            });
        }
        Ok(actions)
    }

    /// MySQL: refuses (in the plan's problems) the drop of index or unique key `dropped`
    /// of `table` when it is the last index that leads with the table's AUTO_INCREMENT
    /// column: MySQL refuses that drop at apply (error 1075).
    pub fn refuse_unkeying_auto_increment(&mut self, table: &str, dropped: &str, at: &Location) {
        if self.dialect != Some(Dialect::Mysql) {
            return;
        }
        let Some(t) = self.schema.table(table) else {
            return;
        };
        let others = self
            .schema
            .indexes_of(table)
            .filter(|i| i.name != dropped)
            .map(|i| i.columns.as_slice());
        let Some(auto) = t.unkeyed_identity(&t.primary_key, others, Some(dropped)) else {
            return;
        };
        let column = auto.name.clone();
        self.problems.push(
            Diag::refused(format!(
                "refused: dropping `{dropped}` leaves the AUTO_INCREMENT column `{table}.{column}` without an index that leads with it"
            ))
            .at(at.clone())
            .label("the last index over this AUTO_INCREMENT column")
            .note("MySQL and MariaDB number an AUTO_INCREMENT column only while an index leads with it, and refuse this drop (error 1075)")
            .help(format!(
                "create another index that leads with `{column}` first (a `create_index` op with columns = [\"{column}\"]), or keep this one"
            )),
        );
    }

    /// Whether a constraint or unique index the code no longer sees still holds
    /// `table.column` in the database at this release: its contract has not dropped it yet.
    pub fn still_enforced_on(&self, table: &str, column: &str) -> bool {
        let holds = |until: &Option<usize>| until.is_none_or(|d| d >= self.release);
        self.schema
            .retired_constraints
            .iter()
            .any(|(owner, c, until)| {
                holds(until) && c.involves(self.dialect, owner, table, Some(column))
            })
            || self.schema.retired_indexes.iter().any(|(i, until)| {
                holds(until) && i.unique && i.table == table && i.uses(self.dialect, column)
            })
    }

    /// The release whose contract drops a retired index that holds `name` in the
    /// database while this release's expand runs (`Some(None)` while that is pending);
    /// `None` when no dropped index holds it.
    pub fn index_name_still_held(&self, table: &str, name: &str) -> Option<Option<usize>> {
        let key = self.schema.index_key(table, name);
        self.schema
            .retired_indexes
            .iter()
            .find(|(i, until)| {
                until.is_none_or(|d| d >= self.release)
                    && self.schema.index_key(&i.table, &i.name) == key
            })
            .map(|(_, until)| *until)
    }

    /// Records that `index` stays in the database until this op's later steps drop it.
    pub fn retire_index(&mut self, index: &crate::model::Index) {
        self.schema
            .retired_indexes
            .push((index.clone(), self.later_release));
    }

    /// Records that `constraint` of `table` stays in the database until this op's later
    /// steps drop it.
    pub fn retire_constraint(&mut self, table: &str, constraint: &Constraint) {
        self.schema.retired_constraints.push((
            table.to_string(),
            constraint.clone(),
            self.later_release,
        ));
    }

    /// Records that a column or table stays in the database until this op's later steps.
    pub fn retire(&mut self, table: &str, column: Option<&str>) {
        self.schema.retired.insert(
            (table.to_string(), column.map(str::to_string)),
            self.later_release,
        );
    }
}

/// How an op that adds a constraint over columns the code before R writes is placed:
/// enforced in contract(R + gap) by default, after `repair_sql` fixed existing rows; in
/// expand(R) when the change asserts that the code before R already keeps the rule.
#[derive(Debug, Default)]
pub struct Tightening {
    /// `old_code_complies = true`: the user's assertion, shown in plans and runbooks.
    pub old_code_complies: bool,
    /// `repair_sql`: an SQL expression over the row, the new value of `repair_column`
    /// for rows that break the constraint, run in batches before it is enforced; or a
    /// whole `UPDATE` statement, run as written.
    pub repair: Option<Located<String>>,
    /// `repair_column`: which column the repair sets; default the constraint's only one.
    pub repair_column: Option<Located<String>>,
}

impl Tightening {
    pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Tightening> {
        let old_code_complies = fields
            .opt_bool(&["old_code_complies"])?
            .is_some_and(|b| b.value);
        let repair = fields.opt_str(&["repair_sql", "repair", "up"])?;
        let repair_column = fields.opt_str(&["repair_column"])?;
        if let (Some(r), true) = (&repair, old_code_complies) {
            return Err(Diag::input(
                "`repair_sql` with `old_code_complies = true`: the repair runs before a \
                 constraint enforced later, not one added at once",
            )
            .at(r.location.clone())
            .label("remove one of them")
            .into());
        }
        Ok(Tightening {
            old_code_complies,
            repair,
            repair_column,
        })
    }
}

/// An operation of a change file.
pub trait Operation: Debug + Send + Sync {
    /// The `type` name as written in change files.
    fn kind(&self) -> &'static str;

    /// One line for plans and headers: "drop column users.legacy_email".
    fn describe(&self) -> String;

    /// Validates the op against the schema the code sees, folds it in, and returns the
    /// steps, in the order they run within each phase.
    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>>;

    /// Whether the index or key this op adds starts with `column` (MySQL numbers an
    /// AUTO_INCREMENT column only when one does).
    fn leads_key(&self, _column: &str) -> bool {
        false
    }
}

/// Reads a column list written `columns = ["a", "b"]` or `column = "a"`.
pub fn column_list(
    fields: &mut Fields<'_, '_>,
    list: &'static str,
    single: &'static str,
    expected: &str,
) -> Result<Located<Vec<String>>> {
    match fields.opt_str_list(&[list])? {
        Some(c) if !c.value.is_empty() => Ok(c),
        Some(c) => Err(Diag::input(format!("`{list}` is empty"))
            .at(c.location)
            .label("list at least one column")
            .into()),
        None => match fields.opt_str(&[single])? {
            Some(c) => Ok(Located {
                value: vec![c.value],
                location: c.location,
            }),
            None => Err(fields.missing(list, expected).into()),
        },
    }
}

/// How R's inserts may leave out a column that is on its way out, when its NOT NULL is in
/// the way: `Some(value)` to give it that default instead of dropping NOT NULL. InnoDB
/// drops NOT NULL only by rebuilding the table (every row rewritten, hours on a large
/// one, then a pause of writers to apply what they wrote meanwhile); a default is
/// metadata only, and the contract drops the column anyway. Only where the default
/// cannot fail an insert that would succeed with NULL: no key, foreign key or check
/// involves the column (`constrained`: a second row would repeat the value, or it would
/// not satisfy them), and no trigger fills it when it arrives NULL (`filled`).
pub fn omit_placeholder(
    dialect: Option<Dialect>,
    column: &Column,
    constrained: bool,
    filled: bool,
) -> Option<crate::types::Literal> {
    if dialect != Some(Dialect::Mysql) || constrained || filled || column.may_be_omitted() {
        return None;
    }
    placeholder_for(&column.ty)
}

/// A value of `ty` that MySQL accepts as a literal default and every such column holds
/// (a zero, false, an empty string), for a default that only stands in for a while;
/// `None` where there is none (dates, text, JSON, enums).
pub fn placeholder_for(ty: &crate::types::ColumnType) -> Option<crate::types::Literal> {
    use crate::types::{ColumnType::*, Literal};
    match ty {
        SmallInt | Integer | BigInt | Decimal(..) | Real | Double => Some(Literal::Int(0)),
        Boolean => Some(Literal::Bool(false)),
        Varchar(_) | Char(_) | Uuid => Some(Literal::Str(String::new())),
        _ => None,
    }
}

/// A default name for an object of `table` over `columns`, `{table}_{columns}_{suffix}`,
/// kept within the 63-character limit of identifiers.
pub fn default_name(table: &str, columns: &[String], suffix: &str) -> String {
    crate::model::fit_identifier(format!("{table}_{}_{suffix}", columns.join("_")), 63)
}

pub use crate::model::key_leads_with;
