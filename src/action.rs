//! The dialect-neutral actions that steps are made of. Operations decide *what* happens
//! in each phase; a dialect renderer decides *how* each action is written in its SQL.

use serde::Serialize;

use crate::model::{Column, ColumnType, Constraint, Index, Table};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    CreateTable {
        table: Table,
    },
    DropTable {
        table: String,
    },
    AddColumn {
        table: String,
        column: Column,
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
    /// SQL from a `sql` op, passed through verbatim.
    Raw {
        sql: String,
    },
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
            Action::CreateTable { table } => table.rename_references(from, to),
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
            | Action::DropConstraint { table, .. } => fix(table),
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
            Action::RenameTable { .. } | Action::Raw { .. } => {}
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
