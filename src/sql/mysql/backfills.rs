//! MySQL batched loops: backfills and repairs, each in a short-lived procedure that
//! walks the table in batches (or rows), commits as it goes and is dropped after.

use tera::Context;

use super::{fit, q, Mysql};
use crate::action::Source;
use crate::model::{Constraint, ConstraintKind, Table};
use crate::sql::ddl::source_sql;
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered};
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

/// The pieces of a backfill that walks a key in ranges ([`walk_key`]) (`backfill_by_key`):
/// local variables typed as the key columns, the key list, and the lexicographic
/// comparisons of a row's key with the range's bounds. None where the table has no
/// such key (or one this point of the plan does not know): the batches then search.
fn backfill_key(
    table: Option<&Table>,
    primary_key: &[String],
) -> Option<Vec<(&'static str, String)>> {
    let mut declare = Vec::new();
    for (i, ty) in key_types(table, primary_key)?.iter().enumerate() {
        declare.push(format!(
            "  DECLARE tandem_lo_{n} {ty};\n  DECLARE tandem_hi_{n} {ty};",
            n = i + 1
        ));
    }
    let cols: Vec<String> = primary_key.iter().map(|c| q(c)).collect();
    let vars = |side: &str| -> Vec<String> {
        (1..=cols.len())
            .map(|n| format!("tandem_{side}_{n}"))
            .collect()
    };
    // c1 > v1 OR (c1 = v1 AND (... cn >= vn)): a form the range optimizer reads.
    fn lex(cols: &[String], vars: &[String], strict: &str, last: &str) -> String {
        if cols.len() == 1 {
            return format!("{} {last} {}", cols[0], vars[0]);
        }
        format!(
            "({c} {strict} {v} OR ({c} = {v} AND {rest}))",
            c = cols[0],
            v = vars[0],
            rest = lex(&cols[1..], &vars[1..], strict, last)
        )
    }
    let (lo, hi) = (vars("lo"), vars("hi"));
    let advance: Vec<String> = lo
        .iter()
        .zip(&hi)
        .map(|(l, h)| format!("{l} = {h}"))
        .collect();
    Some(vec![
        ("declare", declare.join("\n")),
        ("key", cols.join(", ")),
        ("lo", lo.join(", ")),
        ("hi", hi.join(", ")),
        ("from_lo", lex(&cols, &lo, ">", ">=")),
        ("before_hi", lex(&cols, &hi, "<", "<")),
        ("advance", advance.join(", ")),
    ])
}

/// What a repair's procedure needs to find a row again by its primary key: the
/// declarations of one variable per key column (`declare`), the list of those variables
/// (`vars`), the key of the cursor's row (`row_key`) and the conditions that match a row
/// of the table (`key_match`) or the row `tandem_row` (`row_match`) to them.
fn repair_key(
    table: Option<&Table>,
    primary_key: &[String],
) -> Option<Vec<(&'static str, String)>> {
    let mut declare = Vec::new();
    let mut vars = Vec::new();
    for (i, ty) in key_types(table, primary_key)?.iter().enumerate() {
        declare.push(format!("  DECLARE tandem_key_{} {ty};", i + 1));
        vars.push(format!("tandem_key_{}", i + 1));
    }
    let matching = |prefix: &str| -> String {
        primary_key
            .iter()
            .zip(&vars)
            .map(|(c, v)| format!("{prefix}{} = {v}", q(c)))
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    Some(vec![
        ("declare", declare.join("\n")),
        ("vars", vars.join(", ")),
        (
            "row_key",
            crate::sql::ddl::row_columns(Dialect::Mysql, primary_key),
        ),
        ("key_match", matching("")),
        ("row_match", matching("tandem_row.")),
    ])
}

impl Mysql<'_> {
    pub(super) fn backfill(
        &self,
        table: &str,
        column: &str,
        source: &Source,
        primary_key: &[String],
        physical: &Physical,
        out: &mut Rendered,
    ) -> Chunk {
        // The batches commit one by one, not in a transaction around the file.
        out.no_transaction = true;
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
        let walked = walk_key(physical.table(table), primary_key);
        match backfill_key(physical.table(table), &walked) {
            Some(key) => {
                let kind = if primary_key.is_empty() {
                    "unique key"
                } else {
                    "primary key"
                };
                context.insert("key_kind", kind);
                for (name, value) in key {
                    context.insert(name, &value);
                }
                Ok(Ok(self.template("backfill_by_key", &context)?))
            }
            None => {
                // Its batches search from the start of the table: smaller ones
                // would only search more often.
                context.insert("max_batch_ms", &0);
                Ok(Ok(self.template("backfill", &context)?))
            }
        }
    }

    pub(super) fn repair(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        constraint: &Constraint,
        primary_key: &[String],
        physical: &Physical,
        out: &mut Rendered,
    ) -> Chunk {
        out.no_transaction = true;
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
        let Some(key) = repair_key(physical.table(table), primary_key) else {
            return Ok(Err(Unsupported(format!(
                "repairing {table} needs its primary key to find each row again"
            ))));
        };
        for (name, value) in key {
            context.insert(name, &value);
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
