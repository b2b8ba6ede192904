//! PostgreSQL enums: an enum is a type of its own, created, given values and dropped
//! with `CREATE`/`ALTER`/`DROP TYPE`; removing a value makes the type again.

use crate::action::{Action, EnumChange};
use crate::model::{Column, ConstraintKind};
use crate::sql::ddl::default_sql;
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered};
use crate::sql::text::{quote, string_literal};
use crate::sql::Dialect;

/// The statements of an enum change on Postgres, where an enum is a type of its own.
/// Adding a value runs outside a transaction (a value added in a transaction cannot be
/// used before it commits); removing one makes the type again without it and converts
/// each column, in the file's transaction (the rows must not hold the value).
pub(super) fn change_enum(
    name: &str,
    change: &EnumChange,
    columns: &[(String, Column)],
    physical: &Physical,
    out: &mut Rendered,
) -> Chunk {
    let d = Dialect::Postgres;
    let list = |values: &[String]| {
        values
            .iter()
            .map(|v| string_literal(d, v))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(Ok(match change {
        EnumChange::Create { values } => {
            format!("CREATE TYPE {} AS ENUM ({});", quote(d, name), list(values))
        }
        EnumChange::AddValue { value } => {
            out.no_transaction = true;
            format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {};",
                quote(d, name),
                string_literal(d, value)
            )
        }
        EnumChange::DropValue { values, .. } => {
            let old = crate::model::fit_identifier(format!("tandem_old_{name}"), 63);
            let mut sql = vec![
                format!(
                    "ALTER TYPE {} RENAME TO {};",
                    quote(d, name),
                    quote(d, &old)
                ),
                format!("CREATE TYPE {} AS ENUM ({});", quote(d, name), list(values)),
            ];
            for (table, column) in columns {
                sql.extend(convert_column(name, table, column, physical));
            }
            sql.push(format!("DROP TYPE {};", quote(d, &old)));
            sql.join("\n")
        }
        EnumChange::Drop => format!("DROP TYPE {};", quote(d, name)),
    }))
}

/// The statements that convert `table.column` to the enum `name` made again. The checks
/// and indexes whose expression or predicate reads the column are dropped before and
/// made again after: Postgres would make them again itself, from their text, which
/// compares the column with the old type's values and fails once the column has the
/// new type. The column's default goes the same way, and the views that read it are
/// dropped and made again around the conversion. The table's lock is taken first, by a
/// statement that the file's lock retries wrap (an `ALTER TABLE`, or `LOCK TABLE` where
/// an index goes first), so that no statement after it waits.
fn convert_column(name: &str, table: &str, column: &Column, physical: &Physical) -> Vec<String> {
    let d = Dialect::Postgres;
    let (t, c) = (quote(d, table), quote(d, &column.name));
    let pg = Some(d);
    let indexes: Vec<_> = physical
        .indexes_of(table)
        .filter(|i| {
            let o = &i.options;
            o.expressions
                .iter()
                .chain(&o.predicate)
                .any(|e| crate::sql::lex::reads_column(pg, e, &column.name))
        })
        .cloned()
        .collect();
    let checks: Vec<_> = physical
        .table(table)
        .into_iter()
        .flat_map(|t| &t.constraints)
        .filter(|k| matches!(k.kind, ConstraintKind::Check { .. }) && k.uses(pg, &column.name))
        .cloned()
        .collect();
    let views: Vec<Action> = physical
        .views_selecting(table, &column.name)
        .cloned()
        .collect();
    let default = match &column.default {
        Some(def @ crate::model::Default::Literal(_))
        | Some(def @ crate::model::Default::Sql(_)) => Some(default_sql(d, def)),
        _ => None,
    };
    let mut sql = Vec::new();
    let reading_views = !views.is_empty()
        || physical
            .release_views_reading(table, &column.name)
            .next()
            .is_some();
    if !indexes.is_empty() || (reading_views && checks.is_empty() && default.is_none()) {
        sql.push(format!("LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE;"));
    }
    for check in &checks {
        sql.push(format!(
            "ALTER TABLE {t} DROP CONSTRAINT {};",
            quote(d, &check.name)
        ));
    }
    if default.is_some() {
        sql.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"));
    }
    for index in &indexes {
        sql.push(format!("DROP INDEX {};", quote(d, &index.name)));
    }
    let alter = format!(
        "ALTER TABLE {t} ALTER COLUMN {c} TYPE {} USING {c}::text::{};",
        quote(d, name),
        quote(d, name)
    );
    let alter = crate::sql::views::around_release_views(physical, table, &column.name, &alter)
        .unwrap_or(alter);
    sql.push(super::columns::around_views(&views, alter));
    if let Some(default) = default {
        sql.push(format!(
            "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default};"
        ));
    }
    for check in &checks {
        if let ConstraintKind::Check { expr } = &check.kind {
            sql.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({expr});",
                quote(d, &check.name)
            ));
        }
    }
    for index in &indexes {
        sql.push(format!(
            "{};",
            crate::sql::ddl::index_sql_built(d, index, false)
        ));
    }
    sql
}
