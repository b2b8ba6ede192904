//! MySQL columns: added and dropped in an instant, retyped and made (not) NULL in place
//! while writes go on, defaults as metadata. A `MODIFY COLUMN` restates the whole column,
//! or the server resets what is left out.

use super::names::q;
use super::tables::compat_view;
use super::writer::Mysql;
use crate::action::Action;
use crate::model::{Column, Default};
use crate::sql::ddl::default_sql;
use crate::sql::physical::{without_columns, Physical};
use crate::sql::render::Chunk;
use crate::sql::text::string_literal;
use crate::sql::types::type_name;
use crate::sql::{Dialect, Unsupported};
use crate::types::{ColumnType, Literal};

/// A column definition as `MODIFY COLUMN` needs it: the whole of it, or the server
/// resets what is left out.
pub(super) fn column_sql(column: &Column) -> String {
    if let Some(Default::Generated { expr, stored }) = &column.default {
        let clause =
            crate::sql::ddl::generated_clause(Dialect::Mysql, expr, *stored, column.nullable);
        let mut sql = format!(
            "{} {} {clause}",
            q(&column.name),
            type_name(Dialect::Mysql, &column.ty)
        );
        if let Some(text) = &column.comment {
            sql.push_str(&format!(
                " COMMENT {}",
                string_literal(Dialect::Mysql, text)
            ));
        }
        return sql;
    }
    let mut sql = format!(
        "{} {} {}",
        q(&column.name),
        type_name(Dialect::Mysql, &column.ty),
        if column.nullable { "NULL" } else { "NOT NULL" }
    );
    match &column.default {
        Some(Default::Identity) => sql.push_str(" AUTO_INCREMENT"),
        Some(Default::Generated { .. }) => {}
        Some(d) => sql.push_str(&format!(" DEFAULT {}", default_value(d, &column.ty))),
        None => {}
    }
    // Restated, or MODIFY COLUMN would drop them.
    if let Some(on_update) = crate::sql::ddl::on_update_sql(column) {
        sql.push_str(&format!(" ON UPDATE {on_update}"));
    }
    if let Some(text) = &column.comment {
        sql.push_str(&format!(
            " COMMENT {}",
            string_literal(Dialect::Mysql, text)
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
pub(super) fn default_value(default: &Default, ty: &ColumnType) -> String {
    match default {
        Default::Literal(_) if needs_prefix(ty) => {
            format!("({})", default_sql(Dialect::Mysql, default))
        }
        Default::Literal(_) => default_sql(Dialect::Mysql, default),
        Default::Sql(sql) => format!("({sql})"),
        Default::Identity | Default::Generated { .. } => "NULL".into(),
    }
}

/// Types MySQL indexes only with a prefix length, which tandem does not choose for you.
pub(super) fn needs_prefix(ty: &ColumnType) -> bool {
    let native_blob = matches!(ty, ColumnType::Native(n) if matches!(n.name.as_str(),
        "tinytext" | "text" | "mediumtext" | "longtext" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "json"));
    native_blob || matches!(ty, ColumnType::Text | ColumnType::Json | ColumnType::Binary)
}

/// `ALTER TABLE ... MODIFY COLUMN`, in place while reads and writes go on.
pub(super) fn modify_in_place(table: &str, column: &Column) -> String {
    format!(
        "ALTER TABLE {} MODIFY COLUMN {}, ALGORITHM=INPLACE, LOCK=NONE;",
        q(table),
        column_sql(column)
    )
}

/// A table with a FULLTEXT index adds and drops columns only by a rebuild that blocks
/// writes (MariaDB refuses INSTANT and LOCK=NONE for it).
pub(super) fn fulltext_refusal(action: &Action, physical: &Physical) -> Option<Unsupported> {
    let (Action::AddColumn { table, .. } | Action::DropColumn { table, .. }) = action else {
        return None;
    };
    let index = physical.indexes_of(table).find(|i| i.options.fulltext)?;
    Some(Unsupported(format!(
        "{table} has the FULLTEXT index {}, and MySQL and MariaDB add or drop a \
         column of such a table only by a rebuild that blocks writes; drop the \
         index in an earlier release, or change the table in a quiet window with \
         a `sql` op",
        index.name
    )))
}

impl Mysql<'_> {
    pub(super) fn add_column(
        &self,
        table: &str,
        column: &Column,
        not_null_at_once: Option<&Literal>,
    ) -> Chunk {
        if let Some(Default::Generated { stored: true, .. }) = &column.default {
            return Ok(Err(crate::sql::Unsupported(format!(
                "MySQL computes a stored generated column ({table}.{}) for every row only by                  copying the table, with writes blocked meanwhile: add it virtual                  (`stored = false`), or in a `sql` op of your own",
                column.name
            ))));
        }
        let Some(value) = not_null_at_once else {
            return Ok(Ok(format!(
                "ALTER TABLE {} ADD COLUMN {}, ALGORITHM=INSTANT;",
                q(table),
                column_sql(column)
            )));
        };
        let mut tight = column.clone();
        tight.nullable = false;
        tight.default = Some(Default::Literal(value.clone()));
        Ok(Ok(format!(
            "-- NOT NULL from the start (InnoDB would set it later only by rebuilding the\n\
             -- table); the rows already there hold {value} until the backfill sets them.\n\
             ALTER TABLE {} ADD COLUMN {}, ALGORITHM=INSTANT;",
            q(table),
            column_sql(&tight),
            value = default_value(&Default::Literal(value.clone()), &column.ty),
        )))
    }

    pub(super) fn drop_column(&self, table: &str, column: &str, physical: &Physical) -> Chunk {
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
        Ok(Ok(sql))
    }

    pub(super) fn alter_column_type(
        &self,
        table: &str,
        from: &ColumnType,
        column: &Column,
        physical: &Physical,
    ) -> Chunk {
        if !crate::sql::types::retype_in_place(Dialect::Mysql, from, &column.ty) {
            return Ok(Err(Unsupported(format!(
                "MySQL copies {table} under a write lock to change {table}.{} from {from} \
                 to {}; set `new_name` to change it through a new column",
                column.name, column.ty
            ))));
        }
        Ok(Ok(modify_in_place(
            table,
            &with_live_comment(physical, table, column),
        )))
    }

    pub(super) fn drop_not_null(
        &self,
        table: &str,
        column: &Column,
        placeholder: Option<&Literal>,
        physical: &Physical,
    ) -> Chunk {
        if let Some(value) = placeholder {
            let value = default_value(&Default::Literal(value.clone()), &column.ty);
            return Ok(Ok(format!(
                "-- Inserts that leave out {column} get {value}: a default is metadata only, where\n\
                 -- dropping NOT NULL would rebuild the table. The contract drops the column.\n\
                 ALTER TABLE {} ALTER COLUMN {column} SET DEFAULT {value}, ALGORITHM=INSTANT;",
                q(table),
                column = q(&column.name),
            )));
        }
        let mut relaxed = with_live_comment(physical, table, column);
        relaxed.nullable = true;
        Ok(Ok(modify_in_place(table, &relaxed)))
    }

    pub(super) fn set_not_null(&self, table: &str, column: &Column, physical: &Physical) -> Chunk {
        // Rebuilt in place while writes go on; fails if a NULL is left, which is
        // the check the tightening needs.
        let mut tight = with_live_comment(physical, table, column);
        tight.nullable = false;
        Ok(Ok(modify_in_place(table, &tight)))
    }

    pub(super) fn set_default(&self, table: &str, column: &Column) -> Chunk {
        Ok(Ok(match &column.default {
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
        }))
    }
}

impl Mysql<'_> {
    /// `Action::SwapColumn`: the sync goes and one ALTER TABLE drops the old column and
    /// its indexes, gives the shadow the column's name and definition and its index
    /// copies their names: metadata only (ALGORITHM=NOCOPY), no row copied. The table
    /// is locked for writes from the sync's drop to the ALTER's end, so that no write
    /// lands between them unsynced.
    pub(super) fn swap_column(&self, action: &Action, physical: &Physical) -> Chunk {
        let Action::SwapColumn {
            table,
            column,
            shadow,
            trigger,
            indexes,
            constraints,
            ..
        } = action
        else {
            unreachable!("a swap")
        };
        let dropped = match self.drop_trigger(table, trigger, physical)? {
            Ok(sql) => sql,
            Err(u) => return Ok(Err(u)),
        };
        let unique = |c: &crate::model::Constraint| {
            matches!(c.kind, crate::model::ConstraintKind::Unique { .. })
        };
        let renamed: Vec<(&str, &str)> = indexes
            .iter()
            .map(|(o, c)| (o.name.as_str(), c.name.as_str()))
            .chain(
                constraints
                    .iter()
                    .filter(|(o, _)| unique(o))
                    .map(|(o, c)| (o.name.as_str(), c.name.as_str())),
            )
            .collect();
        let mut clauses: Vec<String> = renamed
            .iter()
            .map(|(original, _)| format!("DROP INDEX {}", q(original)))
            .collect();
        clauses.push(format!("DROP COLUMN {}", q(&column.name)));
        clauses.push(format!(
            "CHANGE COLUMN {} {}",
            q(shadow),
            column_sql(column)
        ));
        clauses.extend(
            renamed
                .iter()
                .map(|(original, copy)| format!("RENAME INDEX {} TO {}", q(copy), q(original))),
        );
        Ok(Ok(format!(
            "-- {table}.{shadow} takes the place of {table}.{}: metadata only, no row copied.\n\
             LOCK TABLES {} WRITE;\n{dropped}\nALTER TABLE {}\n  {},\n  ALGORITHM=NOCOPY, LOCK=NONE;\nUNLOCK TABLES;",
            column.name,
            q(table),
            q(table),
            clauses.join(",\n  ")
        )))
    }
}
