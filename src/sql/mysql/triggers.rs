//! MySQL fill and sync triggers: BEFORE triggers on insert and on update (two per fill
//! or sync, since a MySQL trigger has one event), and their drop.

use tera::Context;

use super::columns::default_value;
use super::names::{fit, q};
use super::writer::Mysql;
use crate::action::Action;
use crate::model::Default;
use crate::sql::physical::Physical;
use crate::sql::render::Chunk;
use crate::sql::text::string_literal;
use crate::sql::trigger_row::over_row;
use crate::sql::{Dialect, Unsupported};

/// A fill's triggers: on insert, and on update.
pub(super) fn fill_trigger_names(trigger: &str) -> [String; 2] {
    [fit(trigger.to_string()), fit(format!("{trigger}_upd"))]
}

pub(super) fn sync_trigger_names(trigger: &str) -> [String; 2] {
    [fit(format!("{trigger}_ins")), fit(format!("{trigger}_upd"))]
}

/// `expr`, over a row of `table`, as a trigger on it writes it for its row `row`, with
/// the tables' columns as they stand at this point of the plan.
fn trigger_expr(physical: &Physical, expr: &str, table: &str, row: &str) -> String {
    let columns_of = |t: &str| {
        physical
            .table(t)
            .map(|t| t.column_names().into_iter().map(String::from).collect())
    };
    over_row(expr, table, row, &columns_of)
}

impl Mysql<'_> {
    pub(super) fn fill_trigger(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        trigger: &str,
        physical: &Physical,
    ) -> Chunk {
        if physical.table(table).is_none() {
            return Ok(Err(Unsupported(format!(
                "table {table} is not known at this point of the apply order"
            ))));
        }
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(column));
        context.insert("expr", expr);
        context.insert("expr_comment", &crate::sql::text::comment_text(expr));
        let not_null = physical.not_null_at_once(table, column);
        context.insert("not_null", &not_null);
        // Where the expression gives NULL, R-1's row gets the stand-in, as on the other
        // dialects it would get NULL until the contract: R-1's insert must not fail.
        context.insert(
            "stand_in",
            &stand_in_sql(physical, table, column).unwrap_or_default(),
        );
        context.insert(
            "drop_placeholder",
            &physical.stand_in(table, column).is_some(),
        );
        let message: String = format!(
            "the row gives NULL for {table}.{column}, which is NOT NULL: see its backfill_sql"
        )
        .chars()
        .take(128)
        .collect();
        context.insert("null_message", &string_literal(Dialect::Mysql, &message));
        let [insert, update] = fill_trigger_names(trigger);
        context.insert("new_expr", &trigger_expr(physical, expr, table, "NEW"));
        context.insert("old_expr", &trigger_expr(physical, expr, table, "OLD"));
        context.insert("trigger", &q(&insert));
        context.insert("update_trigger", &q(&update));
        Ok(Ok(self.template("fill_trigger", &context)?))
    }

    pub(super) fn sync_trigger(
        &self,
        table: &str,
        old: &str,
        new: &str,
        trigger: &str,
        forward: Option<&str>,
        physical: &Physical,
    ) -> Chunk {
        let [insert, update] = sync_trigger_names(trigger);
        let forward = match (forward, physical.table(table)) {
            (Some(expr), Some(_)) => format!("({})", trigger_expr(physical, expr, table, "NEW")),
            _ => format!("NEW.{}", q(old)),
        };
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("old", &q(old));
        context.insert("new", &q(new));
        context.insert("forward", &forward);
        context.insert("insert_trigger", &q(&insert));
        context.insert("update_trigger", &q(&update));
        // A new column added NOT NULL at once holds its stand-in default until the
        // sync is in place: the template bridges that moment.
        let stand_in = physical
            .stand_in(table, new)
            .and_then(|c| c.default.as_ref().map(|d| default_value(d, &c.ty)));
        context.insert("stand_in", &stand_in.unwrap_or_default());
        context.insert("bridge_trigger", &q(&fit(format!("{trigger}_br"))));
        Ok(Ok(self.template("sync_trigger", &context)?))
    }
}

/// The stand-in value of `table.column` (added NOT NULL at once, not tightened yet), as
/// SQL.
fn stand_in_sql(physical: &Physical, table: &str, column: &str) -> Option<String> {
    let value = physical.stand_in_value(table, column)?;
    let ty = &physical.table(table)?.column(column)?.ty;
    Some(default_value(&Default::Literal(value.clone()), ty))
}

impl Mysql<'_> {
    /// The triggers that make up the fill or sync `trigger` of `table`, dropped. A fill
    /// trigger of a column added NOT NULL at once first has the rows it gave the stand-in
    /// for a NULL counted: the contract stops while any is left, as it would on a NOT NULL
    /// that meets a NULL elsewhere.
    pub(super) fn drop_trigger(&self, table: &str, trigger: &str, physical: &Physical) -> Chunk {
        let dropped = crate::sql::ddl::drop_triggers(
            Dialect::Mysql,
            physical,
            table,
            trigger,
            &fill_trigger_names(trigger),
            &sync_trigger_names(trigger),
        );
        let Some(Action::FillTrigger { column, expr, .. }) = physical.trigger(table, trigger)
        else {
            return Ok(Ok(dropped));
        };
        // Only a column that stays NOT NULL without a default: one that a later release
        // retires is relaxed by then, and what it holds no longer matters.
        let kept = physical
            .table(table)
            .and_then(|t| t.column(column))
            .is_some_and(|c| !c.nullable && c.default.is_none());
        let stand_in = match stand_in_sql(physical, table, column) {
            Some(s) if kept && physical.not_null_at_once(table, column) => s,
            _ => return Ok(Ok(dropped)),
        };
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(column));
        context.insert("expr", expr);
        context.insert("stand_in", &stand_in);
        context.insert(
            "procedure",
            &q(&fit(format!("tandem_check_{table}_{column}"))),
        );
        let message = format!(
            "rows of {table} hold the stand-in for {table}.{column} where backfill_sql gives NULL: set them"
        );
        context.insert("message", &string_literal(Dialect::Mysql, &message));
        let check = self.template("stand_in_check", &context)?;
        Ok(Ok(format!(
            "{check}

{dropped}"
        )))
    }
}
