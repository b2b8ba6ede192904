//! MySQL enums: an enum is a column type, so a change of its values restates each
//! column that uses it.

use super::columns::column_sql;
use super::names::q;
use crate::action::EnumChange;
use crate::model::Column;
use crate::sql::render::Chunk;
use crate::sql::Dialect;

/// Values appended at the end change only the catalogue; a removal copies the table,
/// with writes waiting. Anything else is a note: the columns say their values.
pub(super) fn change_enum(name: &str, change: &EnumChange, columns: &[(String, Column)]) -> Chunk {
    let algorithm = match change {
        EnumChange::AddValue { .. } => "ALGORITHM=INSTANT",
        EnumChange::DropValue { .. } => "ALGORITHM=COPY, LOCK=SHARED",
        _ => "",
    };
    if columns.is_empty() || algorithm.is_empty() {
        return Ok(Ok(crate::sql::ddl::enum_note(Dialect::Mysql, name, change)));
    }
    Ok(Ok(columns
        .iter()
        .map(|(table, column)| {
            format!(
                "ALTER TABLE {} MODIFY COLUMN {}, {algorithm};",
                q(table),
                column_sql(column)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")))
}
