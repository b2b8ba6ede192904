//! PostgreSQL columns: added and dropped in place, retyped only where Postgres does not
//! rewrite the table, NOT NULL set through a validated check so that no scan runs under
//! the exclusive lock. The views that read a column are dropped and made again around a
//! change Postgres refuses while they exist.

use sea_query::{PostgresQueryBuilder, Table as SqTable};
use tera::Context;

use super::writer::{q, Postgres};
use crate::action::Action;
use crate::model::Column;
use crate::sql::ddl::column_def;
use crate::sql::physical::{without_columns, Physical};
use crate::sql::render::{Chunk, Rendered};
use crate::sql::text::{iden, terminate};
use crate::sql::{Dialect, Unsupported};
use crate::types::ColumnType;

/// The scratch check that lets SET NOT NULL skip its scan: a helper name, which no
/// constraint of the model can take.
fn constraint_name(table: &str, column: &str) -> String {
    crate::model::fit_identifier(format!("tandem_not_null_{table}_{column}"), 63)
}

/// Type changes Postgres makes without rewriting the table: a longer varchar, varchar to
/// text, more precision at the same scale.
fn in_place(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (Varchar(n), Varchar(m)) => m >= n,
        (Varchar(_), Text) => true,
        (Decimal(p, s), Decimal(p2, s2)) => s2 == s && p2 >= p,
        _ => from == to || crate::sql::types::postgres_in_place(from, to),
    }
}

/// `statement`, run with the views that read the column it changes dropped before and
/// created again after (Postgres refuses to drop or retype a column a view reads), in
/// one DO block: atomic even in a file that runs outside a transaction, so the code
/// reading through a view never finds it missing.
pub(super) fn around_views(views: &[Action], statement: String) -> String {
    if views.is_empty() {
        return statement;
    }
    let mut body = Vec::new();
    for view in views {
        if let Action::CreateCompatView { view, .. } = view {
            body.push(crate::sql::ddl::drop_view(Dialect::Postgres, view));
        }
    }
    body.push(statement);
    for view in views {
        if let Action::CreateCompatView { view, table } = view {
            body.push(format!(
                "CREATE VIEW {} AS {};",
                q(view),
                crate::sql::ddl::view_query(Dialect::Postgres, table)
            ));
        }
    }
    let body = body.join("\n  ");
    let tag = crate::sql::text::dollar_tag(&body);
    format!(
        "-- Views kept for the previous release read this column: dropped and made again around it.\n\
         DO {tag}\nBEGIN\n  {body}\nEND\n{tag};"
    )
}

pub(super) fn add_column(table: &str, column: &Column) -> Chunk {
    let mut sql = terminate(
        &SqTable::alter()
            .table(iden(table))
            .add_column(column_def(Dialect::Postgres, column))
            .to_string(PostgresQueryBuilder),
    );
    if let Some(text) = &column.comment {
        sql.push('\n');
        sql.push_str(&crate::sql::ddl::comment_on(
            table,
            Some(&column.name),
            Some(text),
        ));
    }
    Ok(Ok(sql))
}

pub(super) fn drop_column(table: &str, column: &str, physical: &Physical) -> Chunk {
    let drop = terminate(
        &SqTable::alter()
            .table(iden(table))
            .drop_column(iden(column))
            .to_string(PostgresQueryBuilder),
    );
    let views: Vec<Action> = physical
        .views_selecting(table, column)
        .map(|v| without_columns(v, |c| c != column))
        .collect();
    Ok(Ok(around_views(&views, drop)))
}

pub(super) fn alter_column_type(
    table: &str,
    from: &ColumnType,
    column: &Column,
    physical: &Physical,
) -> Chunk {
    if !in_place(from, &column.ty) {
        return Ok(Err(Unsupported(format!(
            "Postgres rewrites {table} and its indexes under an exclusive lock to \
             change {table}.{} from {from} to {}; set `new_name` to change it through \
             a new column",
            column.name, column.ty
        ))));
    }
    let alter = format!(
        "ALTER TABLE {} ALTER COLUMN {} TYPE {};",
        q(table),
        q(&column.name),
        crate::sql::types::type_name(Dialect::Postgres, &column.ty)
    );
    let views: Vec<Action> = physical
        .views_selecting(table, &column.name)
        .cloned()
        .collect();
    let alter = crate::sql::views::around_release_views(physical, table, &column.name, &alter)
        .unwrap_or(alter);
    Ok(Ok(around_views(&views, alter)))
}

pub(super) fn set_default(table: &str, column: &Column) -> Chunk {
    Ok(Ok(match &column.default {
        Some(d) => format!(
            "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};",
            q(table),
            q(&column.name),
            crate::sql::ddl::typed_default_sql(Dialect::Postgres, &column.ty, d)
        ),
        None => format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
            q(table),
            q(&column.name)
        ),
    }))
}

impl Postgres<'_> {
    pub(super) fn drop_not_null(&self, table: &str, column: &Column) -> Chunk {
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(&column.name));
        Ok(Ok(self.template("drop_not_null", &context)?))
    }

    pub(super) fn set_not_null(&self, table: &str, column: &Column, out: &mut Rendered) -> Chunk {
        // Each statement in its own transaction, or VALIDATE would scan under the
        // exclusive lock that ADD CONSTRAINT took.
        out.no_transaction = true;
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(&column.name));
        context.insert("constraint", &q(&constraint_name(table, &column.name)));
        Ok(Ok(self.template("set_not_null", &context)?))
    }
}
