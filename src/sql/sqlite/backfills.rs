//! SQLite backfills and repairs: one statement each. SQLite has a single writer, and the
//! file's transaction makes the fill all or nothing, so there is no batch loop.

use super::writer::{push, q};
use crate::action::Source;
use crate::model::Constraint;
use crate::sql::ddl::source_sql;
use crate::sql::render::{Rendered, Step};
use crate::sql::text::terminate;
use crate::sql::Dialect;

pub(super) fn backfill(table: &str, column: &str, source: &Source, out: &mut Rendered) -> Step {
    let expr = source_sql(Dialect::Sqlite, source);
    push(
        out,
        format!(
            "UPDATE {} SET {col} = ({expr}) WHERE {col} IS NULL;",
            q(table),
            col = q(column)
        ),
    )
}

pub(super) fn repair(
    table: &str,
    column: &str,
    expr: &str,
    constraint: &Constraint,
    primary_key: &[String],
    out: &mut Rendered,
) -> Step {
    push(
        out,
        terminate(&crate::sql::ddl::repair_update(
            Dialect::Sqlite,
            table,
            column,
            expr,
            constraint,
            primary_key,
            None,
        )),
    )
}
