//! PostgreSQL: concurrent index builds, batched backfills that commit as they go, NOT
//! NULL through a validated check. No statement skips what it finds (`IF [NOT] EXISTS`):
//! a file in a transaction rolls back whole on a failure, and one that runs outside a
//! transaction is resumed by `migrate` after its last completed statement (see
//! `apply::progress`), so an object the file meets unexpectedly fails it, named.

mod backfills;
mod writer;

pub use writer::*;
mod columns;
mod constraints;
mod enums;
mod indexes;
pub mod inspect;
mod locks;
mod tables;
mod triggers;

use tera::Context;

use crate::action::Action;
use crate::diag::Result;
use crate::sql::ddl::{comment_on, drop_table, drop_view};
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered, Renderer};
use crate::sql::text::{string_literal, terminate};
use crate::sql::Dialect;
use crate::sql::Unsupported;

impl Renderer for Postgres<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn preamble(&self) -> Result<Vec<String>> {
        let mut context = Context::new();
        context.insert(
            "lock_timeout",
            &string_literal(Dialect::Postgres, &self.config.postgres.lock_timeout),
        );
        Ok(vec![self.template("preamble", &context)?])
    }

    fn render(
        &self,
        action: &Action,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
        let chunk: Chunk = match action {
            Action::CreateTable { table, .. } => tables::create(table),
            Action::DropTable { table } => Ok(Ok(drop_table(Dialect::Postgres, physical, table))),
            Action::RenameTable { from, to } => self.rename_table(from, to),
            Action::CreateCompatView { view, table } => tables::compat_view(view, table),
            Action::DropCompatView { view, .. } => Ok(Ok(drop_view(Dialect::Postgres, view))),
            Action::AddColumn { table, column, .. } => columns::add_column(table, column),
            Action::DropColumn { table, column } => columns::drop_column(table, column, physical),
            Action::AlterColumnType {
                table,
                from,
                column,
            } => columns::alter_column_type(table, from, column, physical),
            Action::DropNotNull { table, column, .. } => self.drop_not_null(table, column),
            Action::SetNotNull { table, column } => self.set_not_null(table, column, out),
            Action::SetDefault { table, column } => columns::set_default(table, column),
            Action::SetComment {
                table,
                column,
                comment,
            } => Ok(Ok(comment_on(
                table,
                column.as_ref().map(|c| c.name.as_str()),
                comment.as_deref(),
            ))),
            Action::AddConstraint { table, constraint } => {
                self.add_constraint(table, constraint, physical, out)
            }
            Action::DropConstraint { table, constraint } => {
                constraints::drop_constraint(table, constraint)
            }
            Action::RenameConstraint { table, from, to } => {
                constraints::rename_constraint(table, from, to)
            }
            Action::SetPrimaryKey {
                table,
                columns,
                name,
                replaces,
            } => self.set_primary_key(table, columns, name, replaces, out),
            Action::CreateIndex { index } => self.create_index(index, physical, out),
            Action::DropIndex { index } => indexes::drop_index(index, out),
            Action::Backfill {
                table,
                column,
                source,
                ..
            } => self.backfill(table, column, source, out),
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => self.repair(table, column, expr, constraint, primary_key, out),
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => self.fill_trigger(table, column, expr, trigger),
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => self.sync_trigger(table, old, new, trigger, forward.as_deref()),
            Action::DropTrigger { table, trigger } => self.drop_trigger(table, trigger),
            Action::Enum {
                name,
                change,
                columns,
            } => enums::change_enum(name, change, columns, physical, out),
            Action::Raw { sql, .. } => Ok(Ok(terminate(sql))),
            Action::SwapColumn { .. } => self.swap_column(action),
            Action::ReleaseViews { .. }
            | Action::DropReleaseSchema { .. }
            | Action::RenameColumn { .. } => Ok(Ok(
                crate::sql::views::render(action, physical).expect("a views-mode action")
            )),
        };
        let chunk = match chunk? {
            Ok(chunk) => chunk,
            Err(u) => return Ok(Err(u)),
        };
        let chunk = self.with_lock_retries(action, physical, chunk)?;
        out.chunks.push(chunk);
        Ok(Ok(()))
    }

    fn prologue_tables(&self, actions: &[&Action]) -> Vec<String> {
        self.lock_prologue_tables(actions)
    }

    fn prologue(
        &self,
        actions: &[&Action],
        existed: &[String],
        out: &Rendered,
    ) -> Result<Option<String>> {
        self.lock_prologue(actions, existed, out)
    }
}
