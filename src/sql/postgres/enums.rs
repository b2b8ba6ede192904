//! PostgreSQL enums: an enum is a type of its own, created, given values and dropped
//! with `CREATE`/`ALTER`/`DROP TYPE`; removing a value makes the type again.

use crate::action::EnumChange;
use crate::model::Column;
use crate::sql::ddl::default_sql;
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
                let (t, c) = (quote(d, table), quote(d, &column.name));
                let default = match &column.default {
                    Some(def @ crate::model::Default::Literal(_))
                    | Some(def @ crate::model::Default::Sql(_)) => Some(default_sql(d, def)),
                    _ => None,
                };
                if default.is_some() {
                    sql.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"));
                }
                sql.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} TYPE {} USING {c}::text::{};",
                    quote(d, name),
                    quote(d, name)
                ));
                if let Some(default) = default {
                    sql.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default};"
                    ));
                }
            }
            sql.push(format!("DROP TYPE {};", quote(d, &old)));
            sql.join("\n")
        }
        EnumChange::Drop => format!("DROP TYPE {};", quote(d, name)),
    }))
}
