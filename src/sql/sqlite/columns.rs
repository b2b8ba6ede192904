//! SQLite columns: added and dropped in place where `ALTER TABLE` can; otherwise (an
//! expression default, a column an index or trigger uses, any change of type,
//! nullability or default) by a table rebuild, inside the file's transaction.

use sea_query::{SqliteQueryBuilder, Table as SqTable};

use super::writer::{push, q, unknown, Sqlite};
use crate::action::Action;
use crate::model::{Column, Default};
use crate::sql::ddl::column_def;
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Step};
use crate::sql::text::{iden, terminate};
use crate::sql::{Dialect, Unsupported};

/// SQLite adds a column in place only when its default is a constant: a NOT NULL column
/// needs a non-NULL default, and no default may be an expression in parentheses or
/// CURRENT_TIMESTAMP and the like.
fn addable_in_place(column: &Column) -> bool {
    match &column.default {
        None => column.nullable,
        Some(Default::Literal(_)) => true,
        Some(Default::Sql(_) | Default::Identity) => false,
        // ALTER TABLE adds a virtual generated column, never a stored one.
        Some(Default::Generated { stored, .. }) => !stored,
    }
}

impl Sqlite<'_> {
    pub(super) fn add_column(
        &self,
        table: &str,
        column: &Column,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        if addable_in_place(column) {
            return push(
                out,
                terminate(
                    &SqTable::alter()
                        .table(iden(table))
                        .add_column(column_def(Dialect::Sqlite, column))
                        .to_string(SqliteQueryBuilder),
                ),
            );
        }
        let Some(mut after) = physical.table(table).cloned() else {
            return Ok(Err(unknown(table, None)));
        };
        after.columns.push(column.clone());
        self.rebuild(
            &format!("add {} with an expression default", column.name),
            physical,
            &after,
            out,
        )
    }

    pub(super) fn drop_column(
        &self,
        table: &str,
        column: &str,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let Some(current) = physical.table(table) else {
            return Ok(Err(unknown(table, None)));
        };
        // DROP COLUMN refuses a column that a key, an index, a trigger or a view uses.
        let used = current.primary_key.iter().any(|c| c == column)
            || physical
                .indexes_of(table)
                .any(|i| i.uses(Some(Dialect::Sqlite), column))
            || physical.triggers_of(table).any(|t| match t {
                Action::FillTrigger { column: c, .. } => c == column,
                Action::SyncTrigger { old, new, .. } => old == column || new == column,
                _ => false,
            })
            || physical.views_selecting(table, column).next().is_some();
        if current.primary_key.iter().any(|c| c == column) {
            return Ok(Err(Unsupported(format!(
                "{table}.{column} is part of the primary key"
            ))));
        }
        if used {
            let mut after = current.clone();
            after.columns.retain(|c| c.name != column);
            return self.rebuild(
                &format!("drop {column} while an index, trigger or view uses it"),
                physical,
                &after,
                out,
            );
        }
        push(
            out,
            format!("ALTER TABLE {} DROP COLUMN {};", q(table), q(column)),
        )
    }

    pub(super) fn drop_not_null(
        &self,
        table: &str,
        column: &Column,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let relax = |c: &mut Column| c.nullable = true;
        self.rebuild_column(physical, table, column, "drop NOT NULL from", relax, out)
    }

    pub(super) fn alter_column_type(
        &self,
        table: &str,
        column: &Column,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let retype = |c: &mut Column| c.ty = column.ty.clone();
        self.rebuild_column(physical, table, column, "change the type of", retype, out)
    }

    /// Copying a row whose value is still NULL fails a new NOT NULL: the check the
    /// tightening needs, inside the file's transaction.
    pub(super) fn set_not_null(
        &self,
        table: &str,
        column: &Column,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let tighten = |c: &mut Column| c.nullable = false;
        self.rebuild_column(physical, table, column, "set NOT NULL on", tighten, out)
    }

    pub(super) fn set_default(
        &self,
        table: &str,
        column: &Column,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let set = |c: &mut Column| c.default = column.default.clone();
        self.rebuild_column(physical, table, column, "change the default of", set, out)
    }
}
