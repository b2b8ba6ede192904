//! The statements a rehearsal's probes send (`tandem verify`): each release's code
//! writes a row of the columns it knows and reads it back, through the tables or through
//! its release's views, and a column renamed or converted is read back under its other
//! name. Values come in as SQL literals already; names are quoted here.

use crate::sql::text::quote;
use crate::sql::Dialect;

/// The names, quoted and joined by commas.
pub fn column_list<S: AsRef<str>>(dialect: Dialect, columns: &[S]) -> String {
    columns
        .iter()
        .map(|c| quote(dialect, c.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts one row: `values` are SQL literals, in the order of `columns`.
pub fn insert_row<S: AsRef<str>>(
    dialect: Dialect,
    table: &str,
    columns: &[S],
    values: &[&str],
) -> String {
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(dialect, table),
        column_list(dialect, columns),
        values.join(", ")
    )
}

/// Reads one row of `columns`.
pub fn select_one_row<S: AsRef<str>>(dialect: Dialect, table: &str, columns: &[S]) -> String {
    format!(
        "SELECT {} FROM {} LIMIT 1",
        column_list(dialect, columns),
        quote(dialect, table)
    )
}

/// Counts the rows where every condition holds.
pub fn count_where(dialect: Dialect, table: &str, conditions: &[String]) -> String {
    format!(
        "SELECT COUNT(*) FROM {} WHERE {}",
        quote(dialect, table),
        conditions.join(" AND ")
    )
}

/// Reads no row of `table.column`: fails where the column does not exist.
pub fn column_exists_probe(dialect: Dialect, table: &str, column: &str) -> String {
    format!(
        "SELECT {} FROM {} WHERE 1 = 0",
        quote(dialect, column),
        quote(dialect, table)
    )
}

/// `a IS NOT NULL AND b IS NOT NULL`.
fn none_null(dialect: Dialect, columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("{} IS NOT NULL", quote(dialect, c)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The values of `columns` where none is NULL, in their order (`ordered`), or as they
/// come.
pub fn non_null_values(dialect: Dialect, table: &str, columns: &[String], ordered: bool) -> String {
    let list = column_list(dialect, columns);
    let not_null = none_null(dialect, columns);
    let table = quote(dialect, table);
    if ordered {
        format!("SELECT {list} FROM {table} WHERE {not_null} ORDER BY {list}")
    } else {
        format!("SELECT {list} FROM {table} WHERE {not_null}")
    }
}

/// One column of the row at `offset` among those whose `key` has no NULL, in key
/// order, as a scalar subquery: a probe row takes its parent's key so.
pub fn nth_key_value(
    dialect: Dialect,
    table: &str,
    column: &str,
    key: &[String],
    offset: usize,
) -> String {
    format!(
        "(SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT 1 OFFSET {offset})",
        quote(dialect, column),
        quote(dialect, table),
        none_null(dialect, key),
        column_list(dialect, key)
    )
}

/// A binary literal of the bytes `hex` spells.
pub fn binary_literal(dialect: Dialect, hex: &str) -> String {
    match dialect {
        Dialect::Postgres => format!("'\\x{hex}'::bytea"),
        Dialect::Mysql | Dialect::Sqlite => format!("X'{hex}'"),
    }
}

/// Points Postgres's name resolution at a release's view schema (the connection's
/// `select_tables` points it back at the tables).
pub fn search_path(schema: &str) -> String {
    format!("SET search_path TO {}", quote(Dialect::Postgres, schema))
}
