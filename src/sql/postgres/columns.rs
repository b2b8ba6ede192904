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
use crate::sql::text::{iden, string_literal, terminate};
use crate::sql::{Dialect, Unsupported};
use crate::types::ColumnType;

/// The scratch check that lets SET NOT NULL skip its scan: a helper name, which no
/// constraint of the model can take.
fn constraint_name(table: &str, column: &str) -> String {
    crate::model::fit_identifier(format!("tandem_not_null_{table}_{column}"), 63)
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
    if !crate::sql::types::retype_in_place(Dialect::Postgres, from, &column.ty) {
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

impl Postgres<'_> {
    /// `Action::SwapColumn`: one `DO` block, atomic even in a file that runs outside a
    /// transaction and retried while the lock is held elsewhere, that drops the sync and
    /// the old column and gives the shadow its name, its copies their names, the primary
    /// key (over the unique index built in expand), the default or identity (numbered on
    /// from where the old one was) and the foreign keys that reference it, not yet
    /// valid. Nothing in it rewrites or scans the table: the foreign keys are validated
    /// after it, each under a lock that lets writes go on.
    pub(super) fn swap_column(&self, action: &Action) -> Chunk {
        let Action::SwapColumn {
            table,
            column,
            shadow,
            trigger,
            indexes,
            constraints,
            primary_key,
            referencing,
        } = action
        else {
            unreachable!("a swap")
        };
        let lit = |s: &str| string_literal(Dialect::Postgres, s);
        let (t, name) = (q(table), q(&column.name));
        let mut body = vec![
            format!("DROP TRIGGER {} ON {t}", q(trigger)),
            format!("DROP FUNCTION {}()", q(trigger)),
        ];
        for (owner, key) in referencing {
            body.push(format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                q(owner),
                q(&key.name)
            ));
        }
        if primary_key.is_some() {
            body.push(format!(
                "PERFORM set_config('tandem.retype_pkey', (SELECT conname FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'p'), true)",
                lit(&t)
            ));
        }
        let sequence = format!("pg_get_serial_sequence({}, {})", lit(&t), lit(&column.name));
        if column.is_identity() {
            body.push(format!(
                "PERFORM set_config('tandem.retype_next', nextval({sequence})::text, true)"
            ));
        }
        body.push(format!("ALTER TABLE {t} DROP COLUMN {name}"));
        body.push(format!(
            "ALTER TABLE {t} RENAME COLUMN {} TO {name}",
            q(shadow)
        ));
        for (original, copy) in indexes {
            body.push(format!(
                "ALTER INDEX {} RENAME TO {}",
                q(&copy.name),
                q(&original.name)
            ));
        }
        for (original, copy) in constraints {
            body.push(format!(
                "ALTER TABLE {t} RENAME CONSTRAINT {} TO {}",
                q(&copy.name),
                q(&original.name)
            ));
        }
        if let Some(index) = primary_key {
            body.push(format!(
                "EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I', {}, current_setting('tandem.retype_pkey'), {})",
                lit(table),
                lit(index)
            ));
        }
        match &column.default {
            Some(crate::model::Default::Identity) => {
                body.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {name} ADD GENERATED BY DEFAULT AS IDENTITY"
                ));
                body.push(format!(
                    "PERFORM setval({sequence}, GREATEST(current_setting('tandem.retype_next')::bigint, (SELECT coalesce(max({name}), 0) + 1 FROM {t})), false)"
                ));
            }
            Some(_) => body.push(
                set_default(table, column)?
                    .expect("a default")
                    .trim_end_matches(';')
                    .to_string(),
            ),
            None => {}
        }
        if let Some(text) = &column.comment {
            body.push(
                crate::sql::ddl::comment_on(table, Some(&column.name), Some(text))
                    .trim_end_matches(';')
                    .to_string(),
            );
        }
        for (owner, key) in referencing {
            body.push(match crate::sql::ddl::deferrable_foreign_key_clause(key) {
                Some(clause) => format!("ALTER TABLE {} ADD {clause} NOT VALID", q(owner)),
                None => format!(
                    "{} NOT VALID",
                    crate::sql::ddl::foreign_key(owner, key).to_string(PostgresQueryBuilder)
                ),
            });
        }
        let statement = body.join(";\n      ");
        let mut tables = vec![table.as_str()];
        tables.extend(referencing.iter().map(|(t, _)| t.as_str()));
        let block = if self.config.lock_retries == 0 {
            let tag = crate::sql::text::dollar_tag(&statement);
            format!("DO {tag}\nBEGIN\n      {statement};\nEND\n{tag};")
        } else {
            self.retry_block(&statement, &tables)?
        };
        let mut out = vec![format!(
            "-- {table}.{shadow} takes the place of {table}.{}: one short step, no rewrite.\n{block}",
            column.name
        )];
        for (owner, key) in referencing {
            out.push(format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                q(owner),
                q(&key.name)
            ));
        }
        Ok(Ok(out.join("\n\n")))
    }
}
