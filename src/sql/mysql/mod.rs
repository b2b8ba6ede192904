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
//! are listed with their sources in `tests/mysql8_constructs.rs`, which checks every
//! generated file against them. Where the two servers differ, the choice is made here:
//! - a literal default of a `longtext`, `json` or `longblob` column is written as an
//!   expression, `DEFAULT ('x')`: MySQL 8 refuses a plain literal there, MariaDB takes both;
//! - a check is dropped with `DROP CONSTRAINT` (MySQL 8.0.19+, MariaDB), not MySQL's
//!   `DROP CHECK`, which MariaDB lacks, and with no `ALGORITHM`: each server picks its
//!   cheapest;
//! - dropping a column with `ALGORITHM=INSTANT` needs MySQL 8.0.29 (MariaDB 10.4).

pub mod inspect;

use tera::Context;

use super::physical::without_columns;
use super::trigger_row::over_row;
use crate::action::{Action, Source};
use crate::config::Config;
use crate::diag::Result;
use crate::model::{Column, ConstraintKind, Default, Index};
use crate::sql::ddl::{create_table, default_sql, unique_index};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Renderer};
use crate::sql::text::{quote, quoted_list, string_literal, terminate};
use crate::sql::types::type_name;
use crate::sql::Dialect;
use crate::sql::Unsupported;
use crate::templates::Templates;
use crate::types::ColumnType;

/// MySQL's limit on identifier length.
const MAX_NAME: usize = 64;

pub struct Mysql<'a> {
    config: &'a Config,
    templates: &'a Templates,
}

impl<'a> Mysql<'a> {
    pub fn new(config: &'a Config, templates: &'a Templates) -> Self {
        Mysql { config, templates }
    }

    fn template(&self, name: &str, context: &Context) -> Result<String> {
        crate::sql::render::template(self.templates, Dialect::Mysql, name, context)
    }
}

fn q(name: &str) -> String {
    quote(Dialect::Mysql, name)
}

/// The MySQL types of the primary key's columns, for procedure variables that hold a
/// key; None without a primary key or where this point of the plan does not know it.
fn key_types(table: Option<&crate::model::Table>, primary_key: &[String]) -> Option<Vec<String>> {
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
fn walk_key(table: Option<&crate::model::Table>, primary_key: &[String]) -> Vec<String> {
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
    table: Option<&crate::model::Table>,
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
    table: Option<&crate::model::Table>,
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

/// A column definition as `MODIFY COLUMN` needs it: the whole of it, or the server
/// resets what is left out.
fn column_sql(column: &Column) -> String {
    let mut sql = format!(
        "{} {} {}",
        q(&column.name),
        type_name(Dialect::Mysql, &column.ty),
        if column.nullable { "NULL" } else { "NOT NULL" }
    );
    match &column.default {
        Some(Default::Identity) => sql.push_str(" AUTO_INCREMENT"),
        Some(d) => sql.push_str(&format!(" DEFAULT {}", default_value(d, &column.ty))),
        None => {}
    }
    // Restated, or MODIFY COLUMN would drop it.
    if let Some(text) = &column.comment {
        sql.push_str(&format!(
            " COMMENT {}",
            crate::sql::text::string_literal(Dialect::Mysql, text)
        ));
    }
    sql
}

/// `column` with the comment it has in the database at this point: a `MODIFY COLUMN`
/// restates the comment or drops it, and a step placed in a later contract carries the
/// column as its op saw it, before a `set_comment` of the releases in between.
fn with_live_comment(physical: &Physical, table: &str, column: &Column) -> Column {
    let mut column = column.clone();
    if let Some(live) = physical.table(table).and_then(|t| t.column(&column.name)) {
        column.comment = live.comment.clone();
    }
    column
}

/// Literals as they are; expressions in parentheses (MariaDB 10.2+, MySQL 8.0.13+). A
/// literal for a `longtext`, `json` or `longblob` column is written as an expression
/// too: MySQL 8 refuses a literal default on those types ("BLOB, TEXT, GEOMETRY or JSON
/// column can't have a default value"), and takes the same value in parentheses.
fn default_value(default: &Default, ty: &ColumnType) -> String {
    match default {
        Default::Literal(_) if needs_prefix(ty) => {
            format!("({})", default_sql(Dialect::Mysql, default))
        }
        Default::Literal(_) => default_sql(Dialect::Mysql, default),
        Default::Sql(sql) => format!("({sql})"),
        Default::Identity => "NULL".into(),
    }
}

/// A name of at most 64 characters: long ones keep a readable prefix and a hash.
fn fit(name: String) -> String {
    crate::model::fit_identifier(name, MAX_NAME)
}

/// A fill's triggers: on insert, and on update.
fn fill_trigger_names(trigger: &str) -> [String; 2] {
    [fit(trigger.to_string()), fit(format!("{trigger}_upd"))]
}

fn sync_trigger_names(trigger: &str) -> [String; 2] {
    [fit(format!("{trigger}_ins")), fit(format!("{trigger}_upd"))]
}

/// Types MySQL indexes only with a prefix length, which tandem does not choose for you.
fn needs_prefix(ty: &ColumnType) -> bool {
    let native_blob = matches!(ty, ColumnType::Native(n) if matches!(n.name.as_str(),
        "tinytext" | "text" | "mediumtext" | "longtext" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "json"));
    native_blob || matches!(ty, ColumnType::Text | ColumnType::Json | ColumnType::Binary)
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

/// MERGE keeps the view updatable and insertable for the previous release.
fn compat_view(view: &str, table: &crate::model::Table) -> String {
    format!(
        "CREATE OR REPLACE ALGORITHM=MERGE VIEW {} AS {};",
        q(view),
        crate::sql::ddl::view_query(Dialect::Mysql, table)
    )
}

/// An index built in place while writes go on; refused on a column MySQL indexes only
/// with a prefix.
fn create_index(index: &Index, physical: &Physical) -> std::result::Result<String, Unsupported> {
    if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Mysql, index) {
        return Err(u);
    }
    if let Some(t) = physical.table(&index.table) {
        if let Some(c) = index
            .columns
            .iter()
            .filter(|c| !index.options.fulltext && !index.options.prefix.contains_key(*c))
            .filter_map(|c| t.column(c))
            .find(|c| needs_prefix(&c.ty))
        {
            return Err(Unsupported(format!(
                "MySQL indexes a {} column ({}.{}) only with a prefix length; \
                 write it as `columns = [\"{}(N)\"]`, or make it varchar(n)",
                c.ty, index.table, c.name, c.name
            )));
        }
    }
    Ok(format!(
        "{};",
        crate::sql::ddl::index_sql(Dialect::Mysql, index)
    ))
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
        let mut context = Context::new();
        // A table with a FULLTEXT index adds and drops columns only by a rebuild that
        // blocks writes (MariaDB refuses INSTANT and LOCK=NONE for it).
        if let Action::AddColumn { table, .. } | Action::DropColumn { table, .. } = action {
            if let Some(index) = physical.indexes_of(table).find(|i| i.options.fulltext) {
                return Ok(Err(Unsupported(format!(
                    "{table} has the FULLTEXT index {}, and MySQL and MariaDB add or drop a \
                     column of such a table only by a rebuild that blocks writes; drop the \
                     index in an earlier release, or change the table in a quiet window with \
                     a `sql` op",
                    index.name
                ))));
            }
        }
        let chunk = match action {
            Action::RenameConstraint { table, from, to } => match &from.kind {
                // A unique constraint is an index there.
                ConstraintKind::Unique { .. } => format!(
                    "ALTER TABLE {} RENAME INDEX {} TO {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    q(&from.name),
                    q(to)
                ),
                _ => {
                    return Ok(Err(Unsupported(format!(
                        "MySQL and MariaDB cannot rename a {} ({}) in place: it is dropped \
                         and added again, with a new check of every row; drop it and add it \
                         under the new name",
                        from.noun(),
                        from.name
                    ))))
                }
            },
            Action::CreateTable { table } => terminate(&create_table(Dialect::Mysql, table)),
            // Metadata only: measured on MariaDB 10.11, a comment change of a 1,000,000-row
            // table takes as long as on an empty one (0.07 s; a copy takes 8 s).
            Action::SetComment {
                table,
                column: None,
                comment,
            } => format!(
                "ALTER TABLE {} COMMENT = {}, ALGORITHM=INPLACE, LOCK=NONE;",
                q(table),
                crate::sql::text::string_literal(Dialect::Mysql, comment.as_deref().unwrap_or(""))
            ),
            Action::SetComment {
                table,
                column: Some(column),
                comment,
            } => {
                // The column as it is in the database, restated whole with the new comment.
                let Some(mut live) = physical
                    .table(table)
                    .and_then(|t| t.column(&column.name))
                    .cloned()
                else {
                    return Ok(Err(Unsupported(format!(
                        "{table}.{} is not known at this point of the apply order",
                        column.name
                    ))));
                };
                live.comment = comment.clone();
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    column_sql(&live)
                )
            }
            // Rebuilt in place while reads and writes go on; a duplicate fails it.
            Action::SetPrimaryKey {
                table,
                columns,
                replaces,
                ..
            } => format!(
                "ALTER TABLE {} {}ADD PRIMARY KEY ({}), ALGORITHM=INPLACE, LOCK=NONE;",
                q(table),
                if replaces.is_empty() {
                    ""
                } else {
                    "DROP PRIMARY KEY, "
                },
                quoted_list(Dialect::Mysql, columns)
            ),
            Action::DropTable { table } => crate::sql::ddl::drop_table(Dialect::Mysql, physical, table),
            Action::AddColumn {
                table,
                column,
                not_null_at_once: None,
            } => format!(
                "ALTER TABLE {} ADD COLUMN {}, ALGORITHM=INSTANT;",
                q(table),
                column_sql(column)
            ),
            Action::AddColumn {
                table,
                column,
                not_null_at_once: Some(value),
            } => {
                let mut tight = column.clone();
                tight.nullable = false;
                tight.default = Some(Default::Literal(value.clone()));
                format!(
                    "-- NOT NULL from the start (InnoDB would set it later only by rebuilding the\n\
                     -- table); the rows already there hold {value} until the backfill sets them.\n\
                     ALTER TABLE {} ADD COLUMN {}, ALGORITHM=INSTANT;",
                    q(table),
                    column_sql(&tight),
                    value = default_value(&Default::Literal(value.clone()), &column.ty),
                )
            }
            Action::DropColumn { table, column } => {
                let mut sql = format!(
                    "ALTER TABLE {} DROP COLUMN {}, ALGORITHM=INSTANT;",
                    q(table),
                    q(column)
                );
                // A view that read the column would be left invalid: made again without it.
                for view in physical.views_selecting(table, column) {
                    if let Action::CreateCompatView { view, table } =
                        &without_columns(view, |c| c != column)
                    {
                        sql.push_str(&format!("\n\n{}", compat_view(view, table)));
                    }
                }
                sql
            }
            Action::AlterColumnType {
                table,
                from,
                column,
            } => {
                // In place only while the length prefix keeps its size: up to 255 bytes,
                // 63 characters in utf8mb4.
                let in_place = match (from, &column.ty) {
                    (ColumnType::Varchar(n), ColumnType::Varchar(m)) => {
                        m >= n && (*m <= 63 || *n > 63)
                    }
                    (a, b) => a == b || crate::sql::types::mysql_in_place(a, b),
                };
                if !in_place {
                    return Ok(Err(Unsupported(format!(
                        "MySQL copies {table} under a write lock to change {table}.{} from {from} \
                         to {}; set `new_name` to change it through a new column",
                        column.name, column.ty
                    ))));
                }
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    column_sql(&with_live_comment(physical, table, column))
                )
            }
            Action::DropNotNull {
                table,
                column,
                placeholder: Some(value),
            } => {
                let value = default_value(&Default::Literal(value.clone()), &column.ty);
                format!(
                    "-- Inserts that leave out {column} get {value}: a default is metadata only, where\n\
                     -- dropping NOT NULL would rebuild the table. The contract drops the column.\n\
                     ALTER TABLE {} ALTER COLUMN {column} SET DEFAULT {value}, ALGORITHM=INSTANT;",
                    q(table),
                    column = q(&column.name),
                )
            }
            Action::DropNotNull { table, column, .. } => {
                let mut relaxed = with_live_comment(physical, table, column);
                relaxed.nullable = true;
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    column_sql(&relaxed)
                )
            }
            Action::SetNotNull { table, column } => {
                // Rebuilt in place while writes go on; fails if a NULL is left, which is
                // the check the tightening needs.
                let mut tight = with_live_comment(physical, table, column);
                tight.nullable = false;
                format!(
                    "ALTER TABLE {} MODIFY COLUMN {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    column_sql(&tight)
                )
            }
            Action::SetDefault { table, column } => match &column.default {
                Some(d) => format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};",
                    q(table),
                    q(&column.name),
                    default_value(d, &column.ty)
                ),
                None => format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
                    q(table),
                    q(&column.name)
                ),
            },
            Action::Backfill {
                table,
                column,
                source,
                primary_key,
            } => {
                // The batches commit one by one, not in a transaction around the file.
                out.no_transaction = true;
                let expr = match source {
                    Source::Sql(sql) => sql.clone(),
                    Source::Column(c) => q(c),
                };
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
                context.insert("batch_size", &self.config.mysql.backfill_batch_size);
                context.insert("pause_ms", &self.config.mysql.backfill_pause_ms);
                context.insert("max_batch_ms", &self.config.mysql.backfill_max_batch_ms);
                context.insert("max_redo_pct", &self.config.mysql.backfill_max_redo_pct);
                context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
                context.insert("table_literal", &string_literal(Dialect::Mysql, table));
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
                        self.template("backfill_by_key", &context)?
                    }
                    None => {
                        // Its batches search from the start of the table: smaller ones
                        // would only search more often.
                        context.insert("max_batch_ms", &0);
                        self.template("backfill", &context)?
                    }
                }
            }
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => {
                out.no_transaction = true;
                context.insert("table", &q(table));
                context.insert("table_name", table);
                context.insert("table_literal", &string_literal(Dialect::Mysql, table));
                context.insert("constraint_name", &constraint.name);
                context.insert(
                    "procedure",
                    &q(&fit(format!("tandem_repair_{table}_{column}"))),
                );
                context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
                context.insert("pause_ms", &self.config.mysql.backfill_pause_ms);
                context.insert("max_redo_pct", &self.config.mysql.backfill_max_redo_pct);
                context.insert("batch_size", &self.config.mysql.backfill_batch_size);
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
                let recheck =
                    crate::sql::ddl::repair_condition(Dialect::Mysql, table, column, expr, constraint, primary_key);
                let search =
                    crate::sql::ddl::narrowed_to_repeats(Dialect::Mysql, table, constraint, recheck.clone());
                context.insert("recheck", &recheck);
                context.insert("condition", &search);
                self.template("repair", &context)?
            }
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => {
                if physical.table(table).is_none() {
                    return Ok(Err(Unsupported(format!(
                        "table {table} is not known at this point of the apply order"
                    ))));
                }
                context.insert("table", &q(table));
                context.insert("column", &q(column));
                context.insert("expr", expr);
                context.insert("expr_comment", &crate::sql::text::comment_text(expr));
                let not_null = physical.not_null_at_once(table, column);
                context.insert("not_null", &not_null);
                context.insert("drop_placeholder", &physical.stand_in(table, column).is_some());
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
                self.template("fill_trigger", &context)?
            }
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => {
                let [insert, update] = sync_trigger_names(trigger);
                let forward = match (forward, physical.table(table)) {
                    (Some(expr), Some(_)) => format!("({})", trigger_expr(physical, expr, table, "NEW")),
                    _ => format!("NEW.{}", q(old)),
                };
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
            Action::CreateIndex { index } => match create_index(index, physical) {
                Ok(sql) => sql,
                Err(u) => return Ok(Err(u)),
            },
            Action::DropIndex { index } => format!(
                "ALTER TABLE {} DROP INDEX {}, ALGORITHM=INPLACE, LOCK=NONE;",
                q(&index.table),
                q(&index.name)
            ),
            Action::RenameTable { from, to } => {
                context.insert("from", &q(from));
                context.insert("to", &q(to));
                let Some(table) = physical.table(from) else {
                    return Ok(Err(Unsupported(format!(
                        "table {from} is not known at this point of the apply order"
                    ))));
                };
                context.insert("from_literal", &crate::sql::text::string_literal(Dialect::Mysql, from));
                let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
                context.insert("columns", &quoted_list(Dialect::Mysql, &columns));
                context.insert("next", &q(&fit(format!("tandem_next_{from}"))));
                context.insert("prev", &q(&fit(format!("tandem_prev_{to}"))));
                context.insert("procedure", &q(&fit(format!("tandem_rename_{from}"))));
                // A view that kept an older name of this table now reads the view made
                // under the name it read: still correct, as a view of a view.
                self.template("rename_table", &context)?
            }
            Action::CreateCompatView { view, table } => compat_view(view, table),
            Action::DropCompatView { view, .. } => crate::sql::ddl::drop_view(Dialect::Mysql, view),
            Action::AddConstraint { table, constraint } => {
                match &constraint.kind {
                    ConstraintKind::Unique { columns } => {
                        match create_index(&unique_index(table, constraint, columns), physical) {
                            Ok(sql) => sql,
                            Err(u) => return Ok(Err(u)),
                        }
                    }
                    ConstraintKind::Check { .. } => return Ok(Err(Unsupported(
                        "MySQL and MariaDB add a check only by copying the table, which blocks \
                         writes for the whole copy; add it with a `sql` op in a quiet window"
                            .into(),
                    ))),
                    ConstraintKind::ForeignKey {
                        columns,
                        references,
                        referenced_columns,
                        on_delete,
                        on_update,
                        ..
                    } => {
                        crate::sql::ddl::orphan_conditions(
                            Dialect::Mysql,
                            columns,
                            referenced_columns,
                            &mut context,
                        );
                        context.insert("table", &q(table));
                        context.insert("constraint", &q(&constraint.name));
                        context.insert("columns", &quoted_list(Dialect::Mysql, columns));
                        context.insert("references", &q(references));
                        context.insert(
                            "referenced_columns",
                            &quoted_list(Dialect::Mysql, referenced_columns),
                        );
                        context.insert(
                            "on_delete",
                            &format!(
                                "{}{}",
                                on_delete
                                    .as_ref()
                                    .map(|a| format!(" ON DELETE {}", a.to_uppercase()))
                                    .unwrap_or_default(),
                                on_update
                                    .as_ref()
                                    .map(|a| format!(" ON UPDATE {}", a.to_uppercase()))
                                    .unwrap_or_default()
                            ),
                        );
                        let message: String = format!(
                            "{}: rows of {table} reference missing rows of {references}",
                            constraint.name
                        )
                        .chars()
                        .take(120)
                        .collect();
                        context.insert("message", &crate::sql::text::string_literal(Dialect::Mysql, &message));
                        context.insert(
                            "procedure",
                            &q(&fit(format!("tandem_check_{}", constraint.name))),
                        );
                        self.template("add_foreign_key", &context)?
                    }
                }
            }
            Action::DropConstraint { table, constraint } => match &constraint.kind {
                // The index the server made for the key goes with it, when it made one
                // (it does not when an index of the table already served the key).
                ConstraintKind::ForeignKey { .. } => {
                    context.insert("table", &q(table));
                    context.insert("table_literal", table);
                    context.insert("constraint", &q(&constraint.name));
                    context.insert("constraint_literal", &constraint.name);
                    context.insert(
                        "procedure",
                        &q(&fit(format!("tandem_drop_{}", constraint.name))),
                    );
                    self.template("drop_foreign_key", &context)?
                }
                ConstraintKind::Unique { .. } => format!(
                    "ALTER TABLE {} DROP INDEX {}, ALGORITHM=INPLACE, LOCK=NONE;",
                    q(table),
                    q(&constraint.name)
                ),
                ConstraintKind::Check { .. } => format!(
                    "ALTER TABLE {} DROP CONSTRAINT {};",
                    q(table),
                    q(&constraint.name)
                ),
            },
            Action::Enum {
                name,
                change,
                columns,
            } => {
                use crate::action::EnumChange;
                // Values appended at the end change only the catalogue; a removal
                // copies the table, with writes waiting.
                let algorithm = match change {
                    EnumChange::AddValue { .. } => "ALGORITHM=INSTANT",
                    EnumChange::DropValue { .. } => "ALGORITHM=COPY, LOCK=SHARED",
                    _ => "",
                };
                if columns.is_empty() || algorithm.is_empty() {
                    crate::sql::ddl::enum_note(Dialect::Mysql, name, change)
                } else {
                    columns
                        .iter()
                        .map(|(table, column)| {
                            format!(
                                "ALTER TABLE {} MODIFY COLUMN {}, {algorithm};",
                                q(table),
                                column_sql(column)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
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

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn long_names_fit_in_64_characters() {
        let long = "t".repeat(80);
        let fitted = fit(long.clone());
        assert_eq!(fitted.len(), 64);
        assert_ne!(fit(format!("{long}a")), fit(format!("{long}b")));
    }
}
