//! SQLite: every file runs in one transaction (SQLite's DDL is transactional), so a
//! failed file leaves nothing behind. What `ALTER TABLE` cannot do in place (relax or
//! tighten a column, change a default, drop a column an index or key still uses, add a
//! NOT NULL column whose default is an expression) is done by SQLite's documented table
//! rebuild, which copies every row and restores the table's indexes and triggers.
//! Triggers cannot change the row being inserted, so fill and sync triggers run after
//! the insert and update it by rowid.

pub mod inspect;

use sea_query::{Index as SqIndex, SqliteQueryBuilder, Table as SqTable};
use tera::Context;

use super::physical::without_columns;
use crate::action::{Action, Source};
use crate::diag::Result;
use crate::model::{Column, ConstraintKind, Default, Table};
use crate::sql::ddl::default_sql;
use crate::sql::ddl::{column_def, create_table};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Renderer};
use crate::sql::text::{iden, quote, terminate};
use crate::sql::Dialect;
use crate::sql::Unsupported;
use crate::templates::Templates;

pub struct Sqlite<'a> {
    templates: &'a Templates,
}

impl<'a> Sqlite<'a> {
    pub fn new(templates: &'a Templates) -> Self {
        Sqlite { templates }
    }

    fn template(&self, name: &str, context: &Context) -> Result<String> {
        crate::sql::render::template(self.templates, Dialect::Sqlite, name, context)
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
            .filter(|c| before.column(&c.name).is_some())
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
                    .push(self.fill_trigger(after, column, expr, trigger)?);
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

    /// The triggers that fill `column` of `table` (as it is when they are made) from
    /// `expr`, on insert and on update.
    fn fill_trigger(
        &self,
        table: &Table,
        column: &str,
        expr: &str,
        trigger: &str,
    ) -> Result<String> {
        // Only the columns `expr` reads: a trigger that names a column keeps SQLite from
        // dropping it in place.
        let read: Vec<&Column> = table
            .columns
            .iter()
            .filter(|c| mentions(expr, &c.name))
            .collect();
        let row = |r: &str| {
            read.iter()
                .map(|c| format!("{r}.{0} AS {0}", q(&c.name)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let [insert, update] = fill_trigger_names(trigger);
        let mut context = Context::new();
        context.insert("table", &q(&table.name));
        context.insert("column", &q(column));
        context.insert("expr", expr);
        context.insert("expr_comment", &crate::sql::text::comment_text(expr));
        context.insert("trigger", &q(&insert));
        context.insert("update_trigger", &q(&update));
        context.insert("new_row", &row("NEW"));
        context.insert("old_row", &row("OLD"));
        self.template("fill_trigger", &context)
    }

    /// Rebuilds `table` with one column changed by `change`.
    fn rebuild_column(
        &self,
        physical: &Physical,
        table: &str,
        column: &Column,
        verb: &str,
        change: impl FnOnce(&mut Column),
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
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

/// The renderer walks the same actions as the planner, so this means a `sql` op changed
/// the table behind tandem's back.
fn unknown(table: &str, column: Option<&str>) -> Unsupported {
    Unsupported(match column {
        Some(c) => format!("{table}.{c} is not known at this point of the apply order"),
        None => format!("table {table} is not known at this point of the apply order"),
    })
}

/// Marks, in a generated file, the statement that checks a rebuild loses nothing;
/// `tandem migrate` finds the query after it to name what would be lost.
pub const GUARD_MARK: &str = "INSERT INTO tandem_guard SELECT NOT EXISTS (";

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

fn q(name: &str) -> String {
    quote(Dialect::Sqlite, name)
}

fn index_sql(index: &crate::model::Index) -> String {
    terminate(&crate::sql::ddl::index_sql(Dialect::Sqlite, index))
}

/// SQLite adds a column in place only when its default is a constant: a NOT NULL column
/// needs a non-NULL default, and no default may be an expression in parentheses or
/// CURRENT_TIMESTAMP and the like.
fn addable_in_place(column: &Column) -> bool {
    match &column.default {
        None => column.nullable,
        Some(Default::Literal(_)) => true,
        Some(Default::Sql(_) | Default::Identity) => false,
    }
}

/// Whether `expr` names `column` (as a word, in any case, outside string literals).
fn mentions(expr: &str, column: &str) -> bool {
    let mut in_literal = false;
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if in_literal {
            in_literal = c != '\'';
        } else if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if word.eq_ignore_ascii_case(column) {
                return true;
            }
            word.clear();
            in_literal = c == '\'';
        }
    }
    false
}

/// A fill's triggers: on insert, and on update.
fn fill_trigger_names(trigger: &str) -> [String; 2] {
    [trigger.to_string(), format!("{trigger}_upd")]
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
            Action::RenameConstraint { table, from, to } => match &from.kind {
                // A unique constraint is a unique index there: built again under the new
                // name, then the old one dropped.
                ConstraintKind::Unique { columns } => {
                    let renamed = crate::model::Constraint {
                        name: to.clone(),
                        kind: from.kind.clone(),
                    };
                    format!(
                        "{}\n{}",
                        index_sql(&crate::sql::ddl::unique_index(table, &renamed, columns)),
                        terminate(
                            &SqIndex::drop()
                                .name(from.name.as_str())
                                .to_string(SqliteQueryBuilder)
                        )
                    )
                }
                // SQLite keeps no name for a foreign key: only the model changes.
                ConstraintKind::ForeignKey { .. } => {
                    "-- SQLite keeps no name for a foreign key: nothing to change.".to_string()
                }
                ConstraintKind::Check { .. } => {
                    return Ok(Err(Unsupported(format!(
                        "SQLite cannot rename a check ({}) without rebuilding the table; \
                         drop it and add it under the new name",
                        from.name
                    ))))
                }
            },
            Action::SetComment { .. } => {
                "-- SQLite keeps no comments: this one is kept in tandem's model only.".to_string()
            }
            Action::SetPrimaryKey { table, columns, .. } => {
                // Copying the rows into the new table checks the key; a duplicate fails
                // the file, whose transaction undoes the rebuild.
                let Some(mut after) = physical.table(table).cloned() else {
                    return Ok(Err(unknown(table, None)));
                };
                after.primary_key = columns.clone();
                let why = format!("make ({}) its primary key", columns.join(", "));
                return self.rebuild(&why, physical, &after, out);
            }
            Action::CreateTable { table } => {
                let mut sql = terminate(&create_table(Dialect::Sqlite, table));
                for index in crate::sql::ddl::unique_indexes(table) {
                    sql.push_str("\n\n");
                    sql.push_str(&index_sql(&index));
                }
                sql
            }
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => terminate(&crate::sql::ddl::repair_update(
                Dialect::Sqlite,
                table,
                column,
                expr,
                constraint,
                primary_key,
                None,
            )),
            Action::DropTable { table } => crate::sql::ddl::drop_table(Dialect::Sqlite, physical, table),
            Action::AddColumn { table, column, .. } => {
                if addable_in_place(column) {
                    terminate(
                        &SqTable::alter()
                            .table(iden(table))
                            .add_column(column_def(Dialect::Sqlite, column))
                            .to_string(SqliteQueryBuilder),
                    )
                } else {
                    let Some(mut after) = physical.table(table).cloned() else {
                        return Ok(Err(unknown(table, None)));
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
                    return Ok(Err(unknown(table, None)));
                };
                // DROP COLUMN refuses a column that a key, an index, a trigger or a view uses.
                let used = current.primary_key.contains(column)
                    || physical.indexes_of(table).any(|i| i.uses(column))
                    || physical.triggers_of(table).any(|t| match t {
                        Action::FillTrigger { column: c, .. } => c == column,
                        Action::SyncTrigger { old, new, .. } => old == column || new == column,
                        _ => false,
                    })
                    || physical.views_selecting(table, column).next().is_some();
                if current.primary_key.contains(column) {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{column} is part of the primary key"
                    ))));
                }
                if used {
                    let mut after = current.clone();
                    after.columns.retain(|c| &c.name != column);
                    return self.rebuild(
                        &format!("drop {column} while an index, trigger or view uses it"),
                        physical,
                        &after,
                        out,
                    );
                }
                format!("ALTER TABLE {} DROP COLUMN {};", q(table), q(column))
            }
            // Copying a row whose value is still NULL fails a new NOT NULL: the check the
            // tightening needs, inside the file's transaction.
            Action::DropNotNull { table, column, .. } => {
                let relax = |c: &mut Column| c.nullable = true;
                return self.rebuild_column(
                    physical,
                    table,
                    column,
                    "drop NOT NULL from",
                    relax,
                    out,
                );
            }
            Action::AlterColumnType { table, column, .. } => {
                let retype = |c: &mut Column| c.ty = column.ty.clone();
                return self.rebuild_column(
                    physical,
                    table,
                    column,
                    "change the type of",
                    retype,
                    out,
                );
            }
            Action::SetNotNull { table, column } => {
                let tighten = |c: &mut Column| c.nullable = false;
                return self.rebuild_column(
                    physical,
                    table,
                    column,
                    "set NOT NULL on",
                    tighten,
                    out,
                );
            }
            Action::SetDefault { table, column } => {
                let set = |c: &mut Column| c.default = column.default.clone();
                return self.rebuild_column(
                    physical,
                    table,
                    column,
                    "change the default of",
                    set,
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
                let Some(current) = physical.table(table) else {
                    return Ok(Err(unknown(table, None)));
                };
                self.fill_trigger(current, column, expr, trigger)?
            }
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => {
                let [insert, old_update, new_update] = sync_trigger_names(trigger);
                context.insert(
                    "forward",
                    &forward
                        .as_ref()
                        .map_or_else(|| q(old), |expr| format!("({expr})")),
                );
                context.insert("table", &q(table));
                context.insert("old", &q(old));
                context.insert("new", &q(new));
                context.insert("insert_trigger", &q(&insert));
                context.insert("old_update_trigger", &q(&old_update));
                context.insert("new_update_trigger", &q(&new_update));
                self.template("sync_trigger", &context)?
            }
            Action::DropTrigger { table, trigger } => {
                let names = crate::sql::ddl::triggers_to_drop(
                    physical,
                    table,
                    trigger,
                    fill_trigger_names(trigger).to_vec(),
                    sync_trigger_names(trigger).to_vec(),
                );
                names
                    .iter()
                    .map(|n| format!("DROP TRIGGER IF EXISTS {};", q(n)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Action::CreateIndex { index } => {
                if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Sqlite, index) {
                    return Ok(Err(u));
                }
                index_sql(index)
            }
            Action::DropIndex { index } => terminate(
                &SqIndex::drop()
                    .name(index.name.as_str())
                    .to_string(SqliteQueryBuilder),
            ),
            Action::RenameTable { from, to } => {
                format!("ALTER TABLE {} RENAME TO {};", q(from), q(to))
            }
            Action::CreateCompatView { view, table } => {
                if table.primary_key.is_empty() {
                    return Ok(Err(Unsupported(format!(
                        "the view that keeps the old name {view} writable needs a primary key \
                         on {}",
                        table.name
                    ))));
                }
                let (columns, values): (Vec<String>, Vec<String>) = table
                    .columns
                    .iter()
                    .map(|c| {
                        // A view passes NULL for a column the writer left out: put the
                        // table's default back in its place.
                        let value = match &c.default {
                            Some(d) if !c.is_identity() => format!(
                                "COALESCE(NEW.{}, {})",
                                q(&c.name),
                                match d {
                                    Default::Literal(_) => default_sql(Dialect::Sqlite, d),
                                    Default::Sql(sql) => format!("({sql})"),
                                    Default::Identity => "NULL".into(),
                                }
                            ),
                            _ => format!("NEW.{}", q(&c.name)),
                        };
                        (q(&c.name), value)
                    })
                    .unzip();
                let assignments: Vec<String> = table
                    .columns
                    .iter()
                    .map(|c| format!("{0} = NEW.{0}", q(&c.name)))
                    .collect();
                let key: Vec<String> = table
                    .primary_key
                    .iter()
                    .map(|c| format!("{0} = OLD.{0}", q(c)))
                    .collect();
                context.insert("view", &q(view));
                context.insert("table", &q(&table.name));
                context.insert("query", &crate::sql::ddl::view_query(Dialect::Sqlite, table));
                context.insert("columns", &columns.join(", "));
                context.insert("values", &values.join(", "));
                context.insert("assignments", &assignments.join(", "));
                context.insert("key", &key.join(" AND "));
                context.insert("insert_trigger", &q(&format!("tandem_view_{view}_ins")));
                context.insert("update_trigger", &q(&format!("tandem_view_{view}_upd")));
                context.insert("delete_trigger", &q(&format!("tandem_view_{view}_del")));
                self.template("compat_view", &context)?
            }
            Action::DropCompatView { view, .. } => crate::sql::ddl::drop_view(Dialect::Sqlite, view),
            Action::AddConstraint { table, constraint } => {
                if let ConstraintKind::Unique { columns } = &constraint.kind {
                    index_sql(&crate::sql::ddl::unique_index(table, constraint, columns))
                } else {
                    // Copying the rows into the new table checks them against it; a
                    // violation fails the file, whose transaction undoes the rebuild.
                    let Some(mut after) = physical.table(table).cloned() else {
                        return Ok(Err(unknown(table, None)));
                    };
                    after.constraints.retain(|c| c.name != constraint.name);
                    after.constraints.push(constraint.clone());
                    let why = format!("add {} {}", constraint.noun(), constraint.name);
                    if let Err(u) = self.rebuild(&why, physical, &after, out)? {
                        return Ok(Err(u));
                    }
                    if let ConstraintKind::ForeignKey {
                        columns,
                        references,
                        referenced_columns,
                        ..
                    } = &constraint.kind
                    {
                        crate::sql::ddl::orphan_conditions(
                            Dialect::Sqlite,
                            columns,
                            referenced_columns,
                            &mut context,
                        );
                        context.insert("table", &q(table));
                        context.insert("references", &q(references));
                        context.insert(
                            "check",
                            &q(&format!("{}_has_no_orphan_rows", constraint.name)),
                        );
                        out.chunks
                            .push(self.template("check_foreign_key", &context)?);
                    }
                    return Ok(Ok(()));
                }
            }
            Action::DropConstraint { table, constraint } => {
                if let ConstraintKind::Unique { .. } = &constraint.kind {
                    format!("DROP INDEX {};", q(&constraint.name))
                } else {
                    let Some(mut after) = physical.table(table).cloned() else {
                        return Ok(Err(unknown(table, None)));
                    };
                    after.constraints.retain(|c| c.name != constraint.name);
                    let why = format!("drop {} {}", constraint.noun(), constraint.name);
                    return self.rebuild(&why, physical, &after, out);
                }
            }
            Action::Enum { name, change, .. } => crate::sql::ddl::enum_note(Dialect::Sqlite, name, change),
            Action::Raw { sql, .. } => terminate(sql),
            Action::ReleaseViews { .. }
            | Action::DropReleaseSchema { .. }
            | Action::RenameColumn { .. } => {
                return Ok(Err(Unsupported(
                    "views mode (release schemas selected through search_path) needs PostgreSQL; use the copy mode of renames".into(),
                )))
            }
        };
        out.chunks.push(chunk);
        Ok(Ok(()))
    }
}
