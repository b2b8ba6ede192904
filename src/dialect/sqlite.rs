//! SQLite: every file runs in one transaction (SQLite's DDL is transactional), so a
//! failed file leaves nothing behind. What `ALTER TABLE` cannot do in place (relax or
//! tighten a column, change a default, drop a column an index or key still uses, add a
//! NOT NULL column whose default is an expression) is done by SQLite's documented table
//! rebuild, which copies every row and restores the table's indexes and triggers.
//! Triggers cannot change the row being inserted, so fill and sync triggers run after
//! the insert and update it by rowid.

use sea_query::{Index as SqIndex, SqliteQueryBuilder, Table as SqTable};
use tera::Context;

use super::{
    column_def, create_table, iden, index_statement, quote, terminate, Physical, Rendered,
    Renderer, Unsupported,
};
use crate::action::{Action, Source};
use crate::config::Dialect;
use crate::diag::Result;
use crate::model::{Column, Default, Table};
use crate::templates::Templates;

pub struct Sqlite<'a> {
    templates: &'a Templates,
}

impl<'a> Sqlite<'a> {
    pub fn new(templates: &'a Templates) -> Self {
        Sqlite { templates }
    }

    fn template(&self, name: &str, context: &Context) -> Result<String> {
        let text = self
            .templates
            .render(&format!("sqlite/{name}.sql.tera"), context)?;
        Ok(text.trim().to_string())
    }

    /// Rebuilds `table` as `after` (same name), copying the columns both share, then
    /// restores the indexes and triggers that still apply.
    fn rebuild(
        &self,
        why: &str,
        physical: &Physical,
        after: &Table,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
        let Some(before) = physical.table(&after.name) else {
            return Ok(Err(Unsupported(format!(
                "table {} is not known at this point, so it cannot be rebuilt",
                after.name
            ))));
        };
        let new_name = format!("tandem_new_{}", after.name);
        let mut staging = after.clone();
        staging.name = new_name.clone();
        let create = create_table(Dialect::Sqlite, &staging).replacen(" IF NOT EXISTS", "", 1);
        let shared: Vec<String> = after
            .columns
            .iter()
            .filter(|c| before.column(&c.name).is_some())
            .map(|c| q(&c.name))
            .collect();
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
        for trigger in physical.triggers_of(&after.name) {
            let columns: Vec<&String> = match trigger {
                Action::FillTrigger { column, .. } => vec![column],
                Action::SyncTrigger { old, new, .. } => vec![old, new],
                _ => Vec::new(),
            };
            if columns.into_iter().all(present) {
                if let Err(u) = self.render(trigger, physical, out)? {
                    return Ok(Err(u));
                }
            }
        }
        Ok(Ok(()))
    }

    /// The table as it is, with one column changed.
    fn with_column(
        physical: &Physical,
        table: &str,
        column: &str,
        change: impl FnOnce(&mut Column),
    ) -> Option<Table> {
        let mut t = physical.table(table)?.clone();
        change(t.column_mut(column)?);
        Some(t)
    }
}

fn q(name: &str) -> String {
    quote(Dialect::Sqlite, name)
}

fn index_sql(index: &crate::model::Index) -> String {
    terminate(
        &index_statement(index)
            .if_not_exists()
            .to_string(SqliteQueryBuilder),
    )
}

/// SQLite adds a column in place only when its default is a constant: a NOT NULL column
/// needs a non-NULL default, and no default may be an expression in parentheses or
/// CURRENT_TIMESTAMP and the like.
fn addable_in_place(column: &Column) -> bool {
    match &column.default {
        None => column.nullable,
        Some(Default::Literal(_)) => true,
        Some(Default::Sql(_)) => false,
    }
}

fn sync_trigger_names(trigger: &str) -> [String; 3] {
    [
        format!("{trigger}_ins"),
        format!("{trigger}_upd_old"),
        format!("{trigger}_upd_new"),
    ]
}

impl Renderer for Sqlite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn preamble(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn render(
        &self,
        action: &Action,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
        let mut context = Context::new();
        let chunk = match action {
            Action::CreateTable { table } => terminate(&create_table(Dialect::Sqlite, table)),
            Action::DropTable { table } => terminate(
                &SqTable::drop()
                    .table(iden(table))
                    .if_exists()
                    .to_string(SqliteQueryBuilder),
            ),
            Action::AddColumn { table, column } => {
                if addable_in_place(column) {
                    terminate(
                        &SqTable::alter()
                            .table(iden(table))
                            .add_column(column_def(Dialect::Sqlite, column))
                            .to_string(SqliteQueryBuilder),
                    )
                } else {
                    let Some(mut after) = physical.table(table).cloned() else {
                        return Ok(Err(Unsupported(format!("table {table} is not known here"))));
                    };
                    after.columns.push(column.clone());
                    return self.rebuild(
                        &format!("add {} with an expression default", column.name),
                        physical,
                        &after,
                        out,
                    );
                }
            }
            Action::DropColumn { table, column } => {
                let Some(current) = physical.table(table) else {
                    return Ok(Err(Unsupported(format!("table {table} is not known here"))));
                };
                // DROP COLUMN refuses a column that a key, an index or a trigger uses.
                let used = current.primary_key.contains(column)
                    || physical
                        .indexes_of(table)
                        .any(|i| i.columns.contains(column))
                    || physical.triggers_of(table).any(|t| match t {
                        Action::FillTrigger { column: c, .. } => c == column,
                        Action::SyncTrigger { old, new, .. } => old == column || new == column,
                        _ => false,
                    });
                if current.primary_key.contains(column) {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{column} is part of the primary key"
                    ))));
                }
                if used {
                    let mut after = current.clone();
                    after.columns.retain(|c| &c.name != column);
                    return self.rebuild(
                        &format!("drop {column} while an index or trigger uses it"),
                        physical,
                        &after,
                        out,
                    );
                }
                format!("ALTER TABLE {} DROP COLUMN {};", q(table), q(column))
            }
            Action::DropNotNull { table, column } => {
                let Some(after) =
                    Self::with_column(physical, table, &column.name, |c| c.nullable = true)
                else {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{} is not known here",
                        column.name
                    ))));
                };
                return self.rebuild(
                    &format!("drop NOT NULL from {}", column.name),
                    physical,
                    &after,
                    out,
                );
            }
            Action::SetNotNull { table, column } => {
                let Some(after) =
                    Self::with_column(physical, table, &column.name, |c| c.nullable = false)
                else {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{} is not known here",
                        column.name
                    ))));
                };
                // Copying a row whose value is still NULL fails the NOT NULL: the check
                // the tightening needs, inside the file's transaction.
                return self.rebuild(
                    &format!("set NOT NULL on {}", column.name),
                    physical,
                    &after,
                    out,
                );
            }
            Action::SetDefault { table, column } => {
                let Some(after) = Self::with_column(physical, table, &column.name, |c| {
                    c.default = column.default.clone()
                }) else {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{} is not known here",
                        column.name
                    ))));
                };
                return self.rebuild(
                    &format!("change the default of {}", column.name),
                    physical,
                    &after,
                    out,
                );
            }
            Action::Backfill {
                table,
                column,
                source,
                ..
            } => {
                // One statement: SQLite has a single writer, and the file's transaction
                // makes the fill all or nothing.
                let expr = match source {
                    Source::Sql(sql) => sql.clone(),
                    Source::Column(c) => q(c),
                };
                format!(
                    "UPDATE {} SET {col} = ({expr}) WHERE {col} IS NULL;",
                    q(table),
                    col = q(column)
                )
            }
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => {
                context.insert("table", &q(table));
                context.insert("column", &q(column));
                context.insert("expr", expr);
                context.insert("trigger", &q(trigger));
                self.template("fill_trigger", &context)?
            }
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                ..
            } => {
                let [insert, old_update, new_update] = sync_trigger_names(trigger);
                context.insert("table", &q(table));
                context.insert("old", &q(old));
                context.insert("new", &q(new));
                context.insert("insert_trigger", &q(&insert));
                context.insert("old_update_trigger", &q(&old_update));
                context.insert("new_update_trigger", &q(&new_update));
                self.template("sync_trigger", &context)?
            }
            Action::DropTrigger { table, trigger } => {
                // A sync is three triggers; what created this one tells which to drop.
                let names: Vec<String> = match physical.trigger(table, trigger) {
                    Some(Action::FillTrigger { .. }) => vec![trigger.clone()],
                    Some(Action::SyncTrigger { .. }) => sync_trigger_names(trigger).to_vec(),
                    _ => std::iter::once(trigger.clone())
                        .chain(sync_trigger_names(trigger))
                        .collect(),
                };
                names
                    .iter()
                    .map(|n| format!("DROP TRIGGER IF EXISTS {};", q(n)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Action::CreateIndex { index } => index_sql(index),
            Action::DropIndex { index } => terminate(
                &SqIndex::drop()
                    .name(index.name.as_str())
                    .if_exists()
                    .to_string(SqliteQueryBuilder),
            ),
            Action::Raw { sql } => terminate(sql),
        };
        out.chunks.push(chunk);
        Ok(Ok(()))
    }
}
