//! MySQL and MariaDB: online DDL where the server does it (`ALGORITHM=INSTANT` to add or
//! drop a column, `INPLACE, LOCK=NONE` to build or drop an index or change nullability),
//! BEFORE triggers for fill and sync, batched backfills through a short-lived procedure.
//! DDL commits on its own in this dialect, so a failed file is not rolled back: `migrate`
//! records each statement as it completes and a re-run resumes after the last one (see
//! `apply::progress`), so no statement skips what it finds (`IF [NOT] EXISTS`).
//!
//! One output for MySQL 8.0.29+ and MariaDB 10.5+: every statement is written in the
//! syntax both accept. MariaDB-only forms (`ADD COLUMN IF NOT EXISTS`, `CREATE INDEX IF
//! NOT EXISTS`, `DROP ... IF EXISTS` inside `ALTER TABLE`, `CREATE OR REPLACE TRIGGER`...)
//! are listed with their sources in `tests/it/mysql8_constructs.rs`, which checks every
//! generated file against them. Where the two servers differ, the choice is made here:
//! - a literal default of a `longtext`, `json` or `longblob` column is written as an
//!   expression, `DEFAULT ('x')`: MySQL 8 refuses a plain literal there, MariaDB takes both;
//! - a check is dropped with `DROP CONSTRAINT` (MySQL 8.0.19+, MariaDB), not MySQL's
//!   `DROP CHECK`, which MariaDB lacks, and with no `ALGORITHM`: each server picks its
//!   cheapest;
//! - dropping a column with `ALGORITHM=INSTANT` needs MySQL 8.0.29 (MariaDB 10.4).

mod backfills;
mod writer;

pub use writer::*;
mod columns;
mod comments;
mod constraints;
mod enums;
mod indexes;
pub mod inspect;
mod names;
mod tables;
mod triggers;

use tera::Context;

use crate::action::Action;
use crate::diag::Result;
use crate::sql::ddl::{create_table_keyed, drop_table, drop_view, views_mode_refusal};
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered, Renderer};
use crate::sql::text::terminate;
use crate::sql::Dialect;
use crate::sql::Unsupported;

/// Whether `action` writes a literal default of a `timestamp(6)` (timestamptz) column,
/// which MySQL reads in the session's `time_zone` and MariaDB takes with no offset.
fn writes_timestamptz_literal(action: &Action) -> bool {
    use crate::model::{Column, Default};
    use crate::types::Literal;
    let literal = |c: &Column| {
        matches!(c.default, Some(Default::Literal(Literal::Str(_))))
            && crate::sql::ddl::is_timestamptz(&c.ty)
    };
    match action {
        Action::CreateTable { table, .. } => table.columns.iter().any(literal),
        Action::AddColumn { column, .. }
        | Action::SetDefault { column, .. }
        | Action::AlterColumnType { column, .. } => literal(column),
        _ => false,
    }
}

/// `chunk` run with the session's `time_zone` at UTC, then set back: tandem's literals
/// of instants are UTC, and this holds on any runner whatever the server's zone.
fn in_utc(chunk: &str) -> String {
    format!(
        "SET @tandem_time_zone = @@session.time_zone;\nSET SESSION time_zone = '+00:00';\n{}\nSET SESSION time_zone = @tandem_time_zone;",
        chunk.trim_end()
    )
}

impl Renderer for Mysql<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn preamble(&self) -> Result<Vec<String>> {
        let mut context = Context::new();
        context.insert("lock_wait_timeout", &self.config.mysql.lock_wait_timeout);
        Ok(vec![self.template("preamble", &context)?])
    }

    fn render(
        &self,
        action: &Action,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
        if let Some(u) = columns::fulltext_refusal(action, physical) {
            return Ok(Err(u));
        }
        // The batches of a backfill or a repair commit one by one, not in a transaction
        // around the file.
        if matches!(action, Action::Backfill { .. } | Action::Repair { .. }) {
            out.no_transaction = true;
        }
        let chunk: Chunk = match action {
            Action::CreateTable { table, keys } => Ok(Ok(terminate(&create_table_keyed(
                Dialect::Mysql,
                table,
                keys,
            )))),
            Action::DropTable { table } => Ok(Ok(drop_table(Dialect::Mysql, physical, table))),
            Action::RenameTable { from, to } => self.rename_table(from, to, physical),
            Action::CreateCompatView { view, table } => Ok(Ok(tables::compat_view(view, table))),
            Action::DropCompatView { view, .. } => Ok(Ok(drop_view(Dialect::Mysql, view))),
            Action::AddColumn {
                table,
                column,
                not_null_at_once,
            } => self.add_column(table, column, not_null_at_once.as_ref()),
            Action::DropColumn { table, column } => self.drop_column(table, column, physical),
            Action::AlterColumnType {
                table,
                from,
                column,
            } => self.alter_column_type(table, from, column, physical),
            Action::DropNotNull {
                table,
                column,
                placeholder,
            } => self.drop_not_null(table, column, placeholder.as_ref(), physical),
            Action::SetNotNull { table, column } => self.set_not_null(table, column, physical),
            Action::SetDefault { table, column } => self.set_default(table, column),
            Action::SetComment {
                table,
                column,
                comment,
            } => self.set_comment(table, column.as_ref(), comment.as_deref(), physical),
            Action::AddConstraint { table, constraint } => {
                self.add_constraint(table, constraint, physical)
            }
            Action::DropConstraint { table, constraint } => {
                self.drop_constraint(table, constraint, physical)
            }
            Action::RenameConstraint { table, from, to } => self.rename_constraint(table, from, to),
            Action::SetPrimaryKey {
                table,
                columns,
                replaces,
                ..
            } => self.set_primary_key(table, columns, replaces),
            Action::CreateIndex { index } => indexes::create_index(index, physical),
            Action::DropIndex { index } => indexes::drop_index(&index.table, &index.name, physical),
            Action::Backfill {
                table,
                column,
                source,
                primary_key,
            } => self.backfill(table, column, source, primary_key, physical),
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => self.repair(table, column, expr, constraint, primary_key, physical),
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => self.fill_trigger(table, column, expr, trigger, physical),
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => self.sync_trigger(table, old, new, trigger, forward.as_deref(), physical),
            Action::DropTrigger { table, trigger } => self.drop_trigger(table, trigger, physical),
            Action::Enum {
                name,
                change,
                columns,
            } => enums::change_enum(name, change, columns),
            Action::Raw { sql, .. } => Ok(Ok(terminate(sql))),
            Action::SwapColumn { .. } => self.swap_column(action, physical),
            Action::ReleaseViews { .. }
            | Action::DropReleaseSchema { .. }
            | Action::RenameColumn { .. } => Ok(Err(views_mode_refusal())),
        };
        match chunk? {
            Ok(chunk) if writes_timestamptz_literal(action) => out.chunks.push(in_utc(&chunk)),
            Ok(chunk) => out.chunks.push(chunk),
            Err(u) => return Ok(Err(u)),
        }
        Ok(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::names::fit;

    #[test]
    fn long_names_fit_in_64_characters() {
        let long = "t".repeat(80);
        let fitted = fit(long.clone());
        assert_eq!(fitted.len(), 64);
        assert_ne!(fit(format!("{long}a")), fit(format!("{long}b")));
    }
}
