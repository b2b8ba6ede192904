//! MySQL batched loops: backfills and repairs, each in a short-lived procedure that
//! walks the table in batches (or rows), commits as it goes and is dropped after.

use tera::Context;

use super::names::{fit, q};
use super::writer::Mysql;
use crate::action::Source;
use crate::model::{Constraint, ConstraintKind, Table};
use crate::sql::ddl::source_sql;
use crate::sql::physical::Physical;
use crate::sql::render::Chunk;
use crate::sql::text::string_literal;
use crate::sql::types::type_name;
use crate::sql::{Dialect, Unsupported};

/// The MySQL types of the primary key's columns, for procedure variables that hold a
/// key; None without a primary key or where this point of the plan does not know it.
fn key_types(table: Option<&Table>, primary_key: &[String]) -> Option<Vec<String>> {
    let table = table?;
    if primary_key.is_empty() {
        return None;
    }
    primary_key
        .iter()
        .map(|name| Some(type_name(Dialect::Mysql, &table.column(name)?.ty)))
        .collect()
}

/// The key a backfill walks in ranges: the primary key, else a unique key over NOT NULL
/// columns, which InnoDB then clusters the table by (so its ranges are as cheap as a
/// primary key's). None (empty) for a table with neither, whose batches search from its
/// start.
fn walk_key(table: Option<&Table>, primary_key: &[String]) -> Vec<String> {
    if !primary_key.is_empty() {
        return primary_key.to_vec();
    }
    let Some(table) = table else {
        return Vec::new();
    };
    table
        .constraints
        .iter()
        .find_map(|c| match &c.kind {
            ConstraintKind::Unique { columns }
                if columns
                    .iter()
                    .all(|col| table.column(col).is_some_and(|c| !c.nullable)) =>
            {
                Some(columns.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Puts the key the procedure finds rows by into `context`: its columns, quoted
/// (`key_columns`), and their MySQL types (`key_types`), for the local variables that
/// hold a key. The templates write the declarations, lists and comparisons of them.
/// False where the table has no such key (or one this point of the plan does not know).
fn insert_key(context: &mut Context, table: Option<&Table>, key: &[String]) -> bool {
    let Some(types) = key_types(table, key) else {
        return false;
    };
    let columns: Vec<String> = key.iter().map(|c| q(c)).collect();
    context.insert("key_columns", &columns);
    context.insert("key_types", &types);
    true
}

impl Mysql<'_> {
    pub(super) fn backfill(
        &self,
        table: &str,
        column: &str,
        source: &Source,
        primary_key: &[String],
        physical: &Physical,
    ) -> Chunk {
        let expr = source_sql(Dialect::Mysql, source);
        let mut context = self.loop_context(table);
        context.insert("table", &q(table));
        context.insert("column", &q(column));
        context.insert("expr", &expr);
        // A column NOT NULL already has no NULL to find: every row that differs
        // from its expression is set (the rows R-1 wrote under the stand-in default
        // among them), and rows it gives NULL for are counted instead.
        let not_null = physical.not_null_at_once(table, column);
        let unfilled = if not_null {
            format!("NOT ({} <=> ({expr})) AND ({expr}) IS NOT NULL", q(column))
        } else {
            format!("{} IS NULL AND ({expr}) IS NOT NULL", q(column))
        };
        context.insert("not_null", &not_null);
        context.insert("unfilled", &unfilled);
        context.insert(
            "null_message",
            &string_literal(
                Dialect::Mysql,
                &format!(
                    "rows of {table} would leave {table}.{column} NULL, which is NOT NULL: \
                     what fills it gives NULL for them"
                ),
            ),
        );
        context.insert("max_batch_ms", &self.config.mysql.backfill_max_batch_ms);
        context.insert("column_literal", &string_literal(Dialect::Mysql, column));
        context.insert(
            "procedure",
            &q(&fit(format!("tandem_backfill_{table}_{column}"))),
        );
        // A backfill that walks a key in ranges (`walk_key`); else its batches search
        // from the start of the table, and smaller ones would only search more often.
        let walked = walk_key(physical.table(table), primary_key);
        if !insert_key(&mut context, physical.table(table), &walked) {
            context.insert("max_batch_ms", &0);
            return Ok(Ok(self.template("backfill", &context)?));
        }
        let kind = if primary_key.is_empty() {
            "unique key"
        } else {
            "primary key"
        };
        context.insert("key_kind", kind);
        Ok(Ok(self.template("backfill_by_key", &context)?))
    }

    pub(super) fn repair(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        constraint: &Constraint,
        primary_key: &[String],
        physical: &Physical,
    ) -> Chunk {
        let mut context = self.loop_context(table);
        context.insert("table", &q(table));
        context.insert("table_name", table);
        context.insert("constraint_name", &constraint.name);
        context.insert(
            "procedure",
            &q(&fit(format!("tandem_repair_{table}_{column}"))),
        );
        context.insert("column", &q(column));
        context.insert("expr", expr);
        if !insert_key(&mut context, physical.table(table), primary_key) {
            return Ok(Err(Unsupported(format!(
                "repairing {table} needs its primary key to find each row again"
            ))));
        }
        // The cursor searches the table; each row is checked again alone.
        let recheck = crate::sql::ddl::repair_condition(
            Dialect::Mysql,
            table,
            column,
            expr,
            constraint,
            primary_key,
        );
        let search = crate::sql::ddl::narrowed_to_repeats(
            Dialect::Mysql,
            table,
            constraint,
            recheck.clone(),
        );
        context.insert("recheck", &recheck);
        context.insert("condition", &search);
        Ok(Ok(self.template("repair", &context)?))
    }

    /// What every batch loop (backfill, repair) is throttled and retried by.
    fn loop_context(&self, table: &str) -> Context {
        let settings = &self.config.mysql;
        let mut context = Context::new();
        context.insert("batch_size", &settings.backfill_batch_size);
        context.insert("pause_ms", &settings.backfill_pause_ms);
        context.insert("max_redo_pct", &settings.backfill_max_redo_pct);
        context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
        context.insert("table_literal", &string_literal(Dialect::Mysql, table));
        context
    }
}
