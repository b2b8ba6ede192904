//! SQLite's documented table rebuild, for what `ALTER TABLE` cannot do in place: a new
//! table under a scratch name, the rows copied, the old one dropped and the new one
//! renamed, then the indexes, views and triggers that still apply made again. A guard
//! first fails the file when the table has an index or trigger tandem did not make.

use tera::Context;

use super::triggers::{fill_trigger_names, sync_trigger_names};
use super::writer::{index_sql, q, unknown, Sqlite};
use crate::action::Action;
use crate::diag::Result;
use crate::model::{Column, Table};
use crate::sql::ddl::create_table;
use crate::sql::physical::{without_columns, Physical};
use crate::sql::render::{Rendered, Renderer, Step};
use crate::sql::Dialect;

/// Marks, in a generated file, the statement that checks a rebuild loses nothing;
/// `tandem migrate` finds the query after it to name what would be lost.
pub const GUARD_MARK: &str = "INSERT INTO tandem_guard SELECT NOT EXISTS (";

impl Sqlite<'_> {
    /// Rebuilds `table` as `after` (same name), copying the columns both share, then
    /// restores the indexes and triggers that still apply.
    pub(super) fn rebuild(
        &self,
        why: &str,
        physical: &Physical,
        after: &Table,
        out: &mut Rendered,
    ) -> Step {
        let Some(before) = physical.table(&after.name) else {
            return Ok(Err(unknown(&after.name, None)));
        };
        out.chunks.push(self.guard(physical, before)?);
        let new_name = format!("tandem_new_{}", after.name);
        let mut staging = after.clone();
        staging.name = new_name.clone();
        let create = create_table(Dialect::Sqlite, &staging).replacen(" IF NOT EXISTS", "", 1);
        let shared: Vec<String> = after
            .columns
            .iter()
            // A generated column is computed again in the new table, never copied.
            .filter(|c| !c.is_generated())
            .filter(|c| before.column(&c.name).is_some_and(|b| !b.is_generated()))
            .map(|c| q(&c.name))
            .collect();
        // SQLite refuses to drop or rename a table that a view reads: the views that keep
        // an old name go first and come back after the swap.
        // (Made again below with the columns the new table keeps.)
        let views: Vec<&Action> = physical.views_of(&after.name).collect();
        for view in physical.view_names_of(&after.name) {
            out.chunks
                .push(crate::sql::ddl::drop_view(Dialect::Sqlite, view));
        }
        let mut context = Context::new();
        context.insert("why", why);
        context.insert("table", &q(&after.name));
        context.insert("new_table", &q(&new_name));
        context.insert("create", &create);
        context.insert("columns", &shared.join(", "));
        out.chunks.push(self.template("rebuild", &context)?);

        let present = |c: &String| after.column(c).is_some();
        for index in physical.indexes_of(&after.name) {
            if index.columns.iter().all(present) {
                out.chunks.push(index_sql(index));
            }
        }
        for index in crate::sql::ddl::unique_indexes(after) {
            out.chunks.push(index_sql(&index));
        }
        for view in views {
            let view = without_columns(view, |c| after.column(c).is_some());
            if let Err(u) = self.render(&view, physical, out)? {
                return Ok(Err(u));
            }
        }
        self.restore_triggers(physical, after, out)
    }

    /// The fill and sync triggers of the table as rebuilt whose columns it still has.
    fn restore_triggers(&self, physical: &Physical, after: &Table, out: &mut Rendered) -> Step {
        let present = |c: &String| after.column(c).is_some();
        for trigger in physical.triggers_of(&after.name) {
            let columns: Vec<&String> = match trigger {
                Action::FillTrigger { column, .. } => vec![column],
                Action::SyncTrigger { old, new, .. } => vec![old, new],
                _ => Vec::new(),
            };
            if !columns.into_iter().all(present) {
                continue;
            }
            // A fill reads the whole row: made over the table as rebuilt.
            if let Action::FillTrigger {
                column,
                expr,
                trigger,
                ..
            } = trigger
            {
                out.chunks
                    .push(self.fill_trigger_sql(after, column, expr, trigger)?);
            } else if let Err(u) = self.render(trigger, physical, out)? {
                return Ok(Err(u));
            }
        }
        Ok(Ok(()))
    }

    /// A statement that fails the file when `table` has an index or trigger tandem did
    /// not make (a `sql` op's, or one made by hand): the rebuild would silently lose it.
    fn guard(&self, physical: &Physical, table: &Table) -> Result<String> {
        let mut context = Context::new();
        context.insert(
            "message",
            &q(&format!(
                "refused: rebuilding {} would lose an index or trigger that tandem did not \
                 create; run tandem migrate to see which",
                table.name
            )),
        );
        context.insert("query", &guard_query(physical, table));
        self.template("rebuild_guard", &context)
    }

    /// Rebuilds `table` with one column changed by `change`.
    pub(super) fn rebuild_column(
        &self,
        physical: &Physical,
        table: &str,
        column: &Column,
        verb: &str,
        change: impl FnOnce(&mut Column),
        out: &mut Rendered,
    ) -> Step {
        let mut after = match physical.table(table) {
            Some(t) if t.column(&column.name).is_some() => t.clone(),
            _ => return Ok(Err(unknown(table, Some(&column.name)))),
        };
        if let Some(c) = after.column_mut(&column.name) {
            change(c);
        }
        self.rebuild(&format!("{verb} {}", column.name), physical, &after, out)
    }
}

/// The `type` and `name` of every index and trigger on `table` that tandem did not make,
/// as a query over `sqlite_master` (automatic indexes have no SQL and come back with
/// the table).
fn guard_query(physical: &Physical, table: &Table) -> String {
    let mut known: Vec<String> = physical
        .indexes_of(&table.name)
        .map(|i| i.name.clone())
        .chain(crate::sql::ddl::unique_indexes(table).map(|i| i.name))
        .collect();
    for trigger in physical.triggers_of(&table.name) {
        match trigger {
            Action::FillTrigger { trigger, .. } => known.extend(fill_trigger_names(trigger)),
            Action::SyncTrigger { trigger, .. } => known.extend(sync_trigger_names(trigger)),
            _ => {}
        }
    }
    let known: Vec<String> = known.iter().map(|n| format!("'{n}'")).collect();
    format!(
        "SELECT type, name FROM sqlite_master WHERE tbl_name = '{}' \
         AND type IN ('index', 'trigger') AND sql IS NOT NULL AND name NOT IN ({})",
        table.name,
        known.join(", ")
    )
}
