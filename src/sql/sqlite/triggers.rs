//! SQLite fill and sync triggers: a trigger cannot change the row being inserted, so
//! they run after the insert or update and update the row by rowid.

use tera::Context;

use super::writer::{push, q, unknown, Sqlite};
use crate::diag::Result;
use crate::model::{Column, Table};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Step};
use crate::sql::Dialect;

/// A fill's triggers: on insert, and on update.
pub(super) fn fill_trigger_names(trigger: &str) -> [String; 2] {
    [trigger.to_string(), format!("{trigger}_upd")]
}

pub(super) fn sync_trigger_names(trigger: &str) -> [String; 3] {
    [
        format!("{trigger}_ins"),
        format!("{trigger}_upd_old"),
        format!("{trigger}_upd_new"),
    ]
}

impl Sqlite<'_> {
    pub(super) fn fill_trigger(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        trigger: &str,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let Some(current) = physical.table(table) else {
            return Ok(Err(unknown(table, None)));
        };
        push(out, self.fill_trigger_sql(current, column, expr, trigger)?)
    }

    /// The triggers that fill `column` of `table` (as it is when they are made) from
    /// `expr`, on insert and on update.
    pub(super) fn fill_trigger_sql(
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
            .filter(|c| crate::sql::lex::reads_column(Some(Dialect::Sqlite), expr, &c.name))
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

    pub(super) fn sync_trigger(
        &self,
        table: &str,
        old: &str,
        new: &str,
        trigger: &str,
        forward: Option<&str>,
        out: &mut Rendered,
    ) -> Step {
        let [insert, old_update, new_update] = sync_trigger_names(trigger);
        let mut context = Context::new();
        context.insert(
            "forward",
            &forward.map_or_else(|| q(old), |expr| format!("({expr})")),
        );
        context.insert("table", &q(table));
        context.insert("old", &q(old));
        context.insert("new", &q(new));
        context.insert("insert_trigger", &q(&insert));
        context.insert("old_update_trigger", &q(&old_update));
        context.insert("new_update_trigger", &q(&new_update));
        push(out, self.template("sync_trigger", &context)?)
    }
}

/// The triggers that make up the fill or sync `trigger` of `table`, dropped.
pub(super) fn drop_trigger(
    table: &str,
    trigger: &str,
    physical: &Physical,
    out: &mut Rendered,
) -> Step {
    push(
        out,
        crate::sql::ddl::drop_triggers(
            Dialect::Sqlite,
            physical,
            table,
            trigger,
            &fill_trigger_names(trigger),
            &sync_trigger_names(trigger),
        ),
    )
}
