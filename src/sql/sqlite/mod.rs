//! SQLite: every file runs in one transaction (SQLite's DDL is transactional), so a
//! failed file leaves nothing behind. What `ALTER TABLE` cannot do in place (relax or
//! tighten a column, change a default, drop a column an index or key still uses, add a
//! NOT NULL column whose default is an expression) is done by SQLite's documented table
//! rebuild, which copies every row and restores the table's indexes and triggers.
//! Triggers cannot change the row being inserted, so fill and sync triggers run after
//! the insert and update it by rowid.

mod backfills;
mod writer;

pub use writer::*;
mod columns;
mod constraints;
mod indexes;
pub mod inspect;
mod rebuild;
mod tables;
mod triggers;

pub use rebuild::GUARD_MARK;

use crate::action::Action;
use crate::diag::Result;
use crate::sql::ddl::{drop_table, drop_view, enum_note, views_mode_refusal};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Renderer, Step};
use crate::sql::text::terminate;
use crate::sql::Dialect;

impl Renderer for Sqlite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn preamble(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn render(&self, action: &Action, physical: &Physical, out: &mut Rendered) -> Step {
        match action {
            Action::CreateTable { table, .. } => tables::create(table, out),
            Action::DropTable { table } => push(out, drop_table(Dialect::Sqlite, physical, table)),
            Action::RenameTable { from, to } => tables::rename(from, to, out),
            Action::CreateCompatView { view, table } => self.compat_view(view, table, out),
            Action::DropCompatView { view, .. } => push(out, drop_view(Dialect::Sqlite, view)),
            Action::AddColumn { table, column, .. } => {
                self.add_column(table, column, physical, out)
            }
            Action::DropColumn { table, column } => self.drop_column(table, column, physical, out),
            Action::AlterColumnType { table, column, .. } => {
                self.alter_column_type(table, column, physical, out)
            }
            Action::DropNotNull { table, column, .. } => {
                self.drop_not_null(table, column, physical, out)
            }
            Action::SetNotNull { table, column } => self.set_not_null(table, column, physical, out),
            Action::SetDefault { table, column } => self.set_default(table, column, physical, out),
            Action::SetComment { .. } => push(
                out,
                "-- SQLite keeps no comments: this one is kept in tandem's model only.".into(),
            ),
            Action::AddConstraint { table, constraint } => {
                self.add_constraint(table, constraint, physical, out)
            }
            Action::DropConstraint { table, constraint } => {
                self.drop_constraint(table, constraint, physical, out)
            }
            Action::RenameConstraint { table, from, to } => {
                self.rename_constraint(table, from, to, out)
            }
            Action::SetPrimaryKey { table, columns, .. } => {
                self.set_primary_key(table, columns, physical, out)
            }
            Action::CreateIndex { index } => indexes::create_index(index, out),
            Action::DropIndex { index } => indexes::drop_index(index, out),
            Action::Backfill {
                table,
                column,
                source,
                ..
            } => backfills::backfill(table, column, source, out),
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => backfills::repair(table, column, expr, constraint, primary_key, out),
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => self.fill_trigger(table, column, expr, trigger, physical, out),
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => self.sync_trigger(table, old, new, trigger, forward.as_deref(), out),
            Action::DropTrigger { table, trigger } => {
                triggers::drop_trigger(table, trigger, physical, out)
            }
            Action::Enum { name, change, .. } => {
                push(out, enum_note(Dialect::Sqlite, name, change))
            }
            Action::Raw { sql, .. } => push(out, terminate(sql)),
            Action::ReleaseViews { .. }
            | Action::DropReleaseSchema { .. }
            | Action::RenameColumn { .. } => Ok(Err(views_mode_refusal())),
            // SQLite changes a type in place (see `retype_in_place`): no op swaps there.
            Action::SwapColumn { .. } => Ok(Err(crate::sql::Unsupported(
                "SQLite changes a column's type in place; it has no shadow column to swap".into(),
            ))),
        }
    }
}
