//! The dialect-neutral actions that steps are made of. Operations decide *what* happens
//! in each phase; a dialect renderer decides *how* each action is written in its SQL.

use serde::Serialize;

use crate::model::{Column, Constraint, Index, Table};
use crate::types::{ColumnType, Literal};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CreateTable {
        table: Table,
        /// Indexes built inside the CREATE TABLE: on MySQL, the one that keys an
        /// AUTO_INCREMENT column no primary or unique key leads with (see
        /// [`key_auto_increment_inline`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        keys: Vec<crate::model::Index>,
    },
    DropTable {
        table: String,
    },
    AddColumn {
        table: String,
        column: Column,
        /// MySQL, for a column that a fill trigger serves and the contract tightens: add it
        /// NOT NULL at once, with this default only until the trigger is in place, since
        /// InnoDB sets NOT NULL later only by rebuilding the table (see
        /// `ops::add_column`). Left out of the serialized form, as `DropNotNull`'s
        /// placeholder: either way the step adds a column that R-1's inserts may omit.
        #[serde(skip)]
        not_null_at_once: Option<Literal>,
    },
    DropColumn {
        table: String,
        column: String,
    },
    /// Give a column a wider type, in place (`from` is its type before).
    AlterColumnType {
        table: String,
        from: ColumnType,
        column: Column,
    },
    /// Let inserts omit the column: drop its NOT NULL.
    DropNotNull {
        table: String,
        column: Column,
        /// For a column on its way out, where the dialect drops NOT NULL only by
        /// rewriting the table: a default that lets inserts omit it instead (see
        /// `ops::omit_placeholder`). Left out of the step's serialized form, so out of
        /// tandem.lock's digest: either way the step lets inserts omit the column.
        #[serde(skip)]
        placeholder: Option<Literal>,
    },
    /// Require a value, without a long exclusive lock where the dialect allows.
    SetNotNull {
        table: String,
        column: Column,
    },
    SetDefault {
        table: String,
        column: Column,
    },
    /// Fill `column` from `source` for existing rows where it is NULL, in batches.
    Backfill {
        table: String,
        column: String,
        source: Source,
        primary_key: Vec<String>,
    },
    /// On insert, fill `column` from `expr` (over the new row's columns) when it is NULL:
    /// serves rows written by code that does not know the column.
    FillTrigger {
        table: String,
        column: String,
        expr: String,
        trigger: String,
        primary_key: Vec<String>,
    },
    /// Keep `old` and `new` equal on every write, whichever of them the writer knows.
    SyncTrigger {
        table: String,
        old: String,
        new: String,
        trigger: String,
        primary_key: Vec<String>,
        /// How `new` follows from a row written through `old`, an SQL expression over
        /// the row (a type change's `using`); `None`: a plain copy. The other way is
        /// always a copy, converted by the database.
        #[serde(skip_serializing_if = "Option::is_none")]
        forward: Option<String>,
    },
    DropTrigger {
        table: String,
        trigger: String,
    },
    CreateIndex {
        index: Index,
    },
    DropIndex {
        index: Index,
    },
    /// Add a constraint without a long lock where the dialect can: existing rows are
    /// checked after it is in place, while writes go on.
    AddConstraint {
        table: String,
        constraint: Constraint,
    },
    DropConstraint {
        table: String,
        constraint: Constraint,
    },
    /// Before `constraint` is enforced: set `column` to `expr` (over the row) on the rows
    /// that break it, in batches by `primary_key`.
    Repair {
        table: String,
        column: String,
        expr: String,
        constraint: Constraint,
        primary_key: Vec<String>,
    },
    /// Give a constraint (`from`, as it was) the name `to`.
    RenameConstraint {
        table: String,
        from: Constraint,
        to: String,
    },
    /// Give a table its new name.
    RenameTable {
        from: String,
        to: String,
    },
    /// Keep the old name of a renamed table usable by the code that still writes it: a
    /// view of `table` (its new name, with the columns that code knows) named `view`.
    CreateCompatView {
        view: String,
        table: Table,
    },
    DropCompatView {
        view: String,
        table: String,
    },
    /// A change to the user enum `name`; `columns` are the columns of that type, with
    /// their table, as they are after it.
    Enum {
        name: String,
        change: EnumChange,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        columns: Vec<(String, Column)>,
    },
    /// Set (`Some`) or remove (`None`) the comment of a table, or of its `column` (given
    /// as it is in the model, with the comment it takes).
    SetComment {
        table: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        column: Option<Column>,
        comment: Option<String>,
    },
    /// Make `columns` the table's primary key, replacing the one it has (`replaces`, its
    /// columns; empty when it has none). `name` is the constraint's, where the dialect
    /// names it.
    SetPrimaryKey {
        table: String,
        columns: Vec<String>,
        name: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        replaces: Vec<String>,
    },
    /// Views mode: make the schema of one release's code anew, with one view per table of
    /// that release's model, each showing the release's column names over the columns
    /// that exist.
    ReleaseViews {
        schema: String,
        views: Vec<ReleaseView>,
    },
    /// Views mode: drop the schema of a release whose code no longer runs.
    DropReleaseSchema {
        schema: String,
    },
    /// Give a column its new name in place: the last step of a views-mode rename (views
    /// name columns by position, so every release's views follow).
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// Put `shadow`, a column of the new type filled and kept equal to `column.name` by
    /// the sync `trigger`, in that column's place in one short step: the sync, the old
    /// column and what only it carried go; the shadow takes its name, and its copies of
    /// the indexes and constraints take theirs. Nothing is rewritten or scanned.
    SwapColumn {
        table: String,
        /// The column as it is after, under its kept name: type, NOT NULL, default,
        /// identity.
        column: Column,
        shadow: String,
        trigger: String,
        /// The original indexes on the column, each with its copy on the shadow.
        indexes: Vec<(Index, Index)>,
        /// The table's constraints on the column, each with its copy on the shadow.
        constraints: Vec<(Constraint, Constraint)>,
        /// The name of the unique index on the shadow that becomes the primary key
        /// (Postgres), when the column is the primary key.
        #[serde(skip_serializing_if = "Option::is_none")]
        primary_key: Option<String>,
        /// Foreign keys of other tables (their table, the key) that reference the
        /// column: dropped before the old column goes and added again, not yet
        /// validated, on the new one.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        referencing: Vec<(String, Constraint)>,
    },
    /// SQL from a `sql` op, passed through verbatim. `effect` is what tandem read of it
    /// (the DDL it understood): never rendered, only folded into what exists.
    Raw {
        sql: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        effect: Vec<RawEffect>,
    },
}

/// What happens to an enum type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnumChange {
    Create {
        values: Vec<String>,
    },
    /// A value added at the end.
    AddValue {
        value: String,
    },
    /// A value removed; `values` are those left.
    DropValue {
        value: String,
        values: Vec<String>,
    },
    Drop,
}

/// One view of a release schema: `name` (the table as the release's code names it) over
/// `table` (as it exists).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseView {
    pub name: String,
    pub table: String,
    /// Each column as it exists (`physical`) and as the release's code sees it (name,
    /// default).
    pub columns: Vec<ViewColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewColumn {
    pub physical: String,
    pub column: Column,
}

/// One change that raw SQL makes to what exists, as tandem read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RawEffect {
    /// What the equivalent action would change.
    Action(Box<Action>),
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// An object outside the table model made or replaced with this definition.
    Object(crate::model::SchemaObject),
    /// An object outside the table model dropped.
    DropObject { kind: String, name: String },
}

impl Action {
    /// Points the action at table `to` where it names table `from`: a step placed to run
    /// after a rename was written with the name the table had when its op was applied.
    pub fn rename_table(&mut self, from: &str, to: &str) {
        let fix = |name: &mut String| {
            if name == from {
                *name = to.to_string();
            }
        };
        match self {
            Action::CreateTable { table, .. } => table.rename_references(from, to),
            Action::DropTable { table }
            | Action::AddColumn { table, .. }
            | Action::DropColumn { table, .. }
            | Action::AlterColumnType { table, .. }
            | Action::DropNotNull { table, .. }
            | Action::SetNotNull { table, .. }
            | Action::SetDefault { table, .. }
            | Action::Backfill { table, .. }
            | Action::FillTrigger { table, .. }
            | Action::SyncTrigger { table, .. }
            | Action::DropTrigger { table, .. }
            | Action::DropConstraint { table, .. }
            | Action::RenameConstraint { table, .. }
            | Action::SetComment { table, .. }
            | Action::SetPrimaryKey { table, .. }
            | Action::RenameColumn { table, .. } => fix(table),
            Action::SwapColumn {
                table, referencing, ..
            } => {
                fix(table);
                for (_, c) in referencing {
                    if let crate::model::ConstraintKind::ForeignKey { references, .. } = &mut c.kind
                    {
                        fix(references);
                    }
                }
            }
            // Made for one point of the apply order, with the names of that point.
            Action::ReleaseViews { .. } | Action::DropReleaseSchema { .. } => {}
            Action::AddConstraint { table, constraint }
            | Action::Repair {
                table, constraint, ..
            } => {
                fix(table);
                if let crate::model::ConstraintKind::ForeignKey { references, .. } =
                    &mut constraint.kind
                {
                    fix(references);
                }
            }
            Action::CreateIndex { index } | Action::DropIndex { index } => fix(&mut index.table),
            // The view keeps its name (the old table name); what it reads follows.
            Action::CreateCompatView { table, .. } => fix(&mut table.name),
            Action::DropCompatView { table, .. } => fix(table),
            Action::Enum { columns, .. } => {
                for (table, _) in columns {
                    fix(table);
                }
            }
            Action::RenameTable { .. } | Action::Raw { .. } => {}
        }
    }
}

/// What an action reads or changes, to tell whether two files commute: a hotfix file
/// applied after files of a later release that touch none of the same things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// The whole table: its shape, triggers, views or constraints.
    Table(String),
    Column(String, String),
    Index(String),
    /// Raw SQL: anything.
    Anything,
}

impl Touch {
    /// Whether two touches may interfere.
    pub fn overlaps(&self, other: &Touch) -> bool {
        use Touch::*;
        match (self, other) {
            (Anything, _) | (_, Anything) => true,
            (Table(a), Table(b)) | (Table(a), Column(b, _)) | (Column(b, _), Table(a)) => a == b,
            (Column(t, c), Column(u, d)) => t == u && c == d,
            (Index(a), Index(b)) => a == b,
            _ => false,
        }
    }
}

impl Action {
    /// Whether the action only adds or relaxes, so that running it after later files
    /// that touch other things changes nothing they rely on.
    pub fn is_additive(&self) -> bool {
        matches!(
            self,
            Action::CreateTable { .. }
                | Action::AddColumn { .. }
                | Action::CreateIndex { .. }
                | Action::DropNotNull { .. }
                | Action::SetDefault { .. }
                | Action::Backfill { .. }
                | Action::FillTrigger { .. }
        )
    }

    /// What the action touches. SQLite changes most column properties by rebuilding the
    /// whole table from the columns it knew when the file was written: those touch the
    /// table.
    pub fn touches(&self, dialect: crate::sql::Dialect) -> Vec<Touch> {
        use Touch::*;
        let rebuilds = dialect == crate::sql::Dialect::Sqlite;
        let column = |t: &str, c: &str| {
            if rebuilds {
                Table(t.to_string())
            } else {
                Column(t.to_string(), c.to_string())
            }
        };
        let referenced = |constraint: &Constraint| match &constraint.kind {
            crate::model::ConstraintKind::ForeignKey { references, .. } => {
                Some(Table(references.clone()))
            }
            _ => None,
        };
        match self {
            Action::CreateTable { table, .. } => std::iter::once(Table(table.name.clone()))
                .chain(table.constraints.iter().filter_map(referenced))
                .collect(),
            Action::DropTable { table } => vec![Table(table.clone())],
            Action::AddColumn {
                table, column: c, ..
            } => match (&c.default, rebuilds) {
                (Some(crate::model::Default::Sql(_)), true) => vec![Table(table.clone())],
                _ => vec![Column(table.clone(), c.name.clone())],
            },
            Action::DropColumn { table, column: c } => vec![column(table, c)],
            Action::DropNotNull {
                table, column: c, ..
            }
            | Action::SetNotNull { table, column: c }
            | Action::SetDefault { table, column: c } => vec![column(table, &c.name)],
            Action::Backfill {
                table,
                column: c,
                source,
                ..
            } => match source {
                Source::Column(from) => vec![
                    Column(table.clone(), c.clone()),
                    Column(table.clone(), from.clone()),
                ],
                Source::Sql(_) => vec![Table(table.clone())],
            },
            Action::AlterColumnType { table, .. }
            | Action::SetComment { table, .. }
            | Action::SetPrimaryKey { table, .. }
            | Action::FillTrigger { table, .. }
            | Action::SyncTrigger { table, .. }
            | Action::DropTrigger { table, .. } => vec![Table(table.clone())],
            Action::CreateIndex { index } | Action::DropIndex { index } => {
                std::iter::once(Index(index.name.clone()))
                    .chain(
                        index
                            .columns
                            .iter()
                            .map(|c| Column(index.table.clone(), c.clone())),
                    )
                    .collect()
            }
            Action::AddConstraint { table, constraint }
            | Action::DropConstraint { table, constraint }
            | Action::Repair {
                table, constraint, ..
            }
            | Action::RenameConstraint {
                table,
                from: constraint,
                ..
            } => std::iter::once(Table(table.clone()))
                .chain(referenced(constraint))
                .collect(),
            Action::RenameTable { from, to } => vec![Table(from.clone()), Table(to.clone())],
            Action::CreateCompatView { view, table } => {
                vec![Table(view.clone()), Table(table.name.clone())]
            }
            Action::DropCompatView { view, table } => {
                vec![Table(view.clone()), Table(table.clone())]
            }
            // A type is shared by tables: like raw SQL, it commutes with nothing.
            Action::Enum { .. } => vec![Anything],
            Action::RenameColumn { table, .. } => vec![Table(table.clone())],
            Action::SwapColumn {
                table, referencing, ..
            } => std::iter::once(Table(table.clone()))
                .chain(referencing.iter().map(|(t, _)| Table(t.clone())))
                .collect(),
            Action::ReleaseViews { views, .. } => {
                views.iter().map(|v| Table(v.table.clone())).collect()
            }
            Action::Raw { .. } | Action::DropReleaseSchema { .. } => vec![Anything],
        }
    }
}

/// Where a backfill takes its values from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An SQL expression over the row's columns, as the user wrote it.
    Sql(String),
    /// Another column of the same row (quoted by the dialect).
    Column(String),
}

/// A trigger name that is stable for a (purpose, table, column) triple and fits the
/// 63-byte identifier limit.
pub fn trigger_name(purpose: &str, table: &str, column: &str) -> String {
    crate::model::fit_identifier(format!("tandem_{purpose}_{table}_{column}"), 63)
}

/// MySQL refuses a table whose AUTO_INCREMENT column no index leads with (error 1075),
/// so a CREATE TABLE cannot leave that index to a later CREATE INDEX: the first index of
/// `actions` that leads with such a column moves into its table's CREATE TABLE.
pub fn key_auto_increment_inline(actions: &mut Vec<Action>) {
    use crate::model::key_leads_with as leads;
    let mut i = 0;
    while i < actions.len() {
        let Action::CreateTable { table, keys } = &actions[i] else {
            i += 1;
            continue;
        };
        let keys = keys.iter().map(|k| k.columns.as_slice());
        let Some(auto) = table.unkeyed_identity(&table.primary_key, keys, None) else {
            i += 1;
            continue;
        };
        let found = actions[i + 1..]
            .iter()
            .position(|a| {
                matches!(a, Action::CreateIndex { index }
                    if index.table == table.name && leads(&index.columns, &auto.name))
            })
            .map(|at| at + i + 1);
        if let Some(at) = found {
            let Action::CreateIndex { index } = actions.remove(at) else {
                unreachable!("matched above")
            };
            if let Action::CreateTable { keys, .. } = &mut actions[i] {
                keys.push(index);
            }
        }
        i += 1;
    }
}
