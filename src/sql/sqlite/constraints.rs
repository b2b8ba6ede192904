//! SQLite keys and constraints: a unique key is a unique index; a check, a foreign key
//! or a new primary key is added or dropped by a table rebuild, whose copy of the rows
//! checks them, inside the file's transaction.

use sea_query::{Index as SqIndex, SqliteQueryBuilder};
use tera::Context;

use super::writer::{index_sql, push, q, unknown, Sqlite};
use crate::model::{Constraint, ConstraintKind};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Step};
use crate::sql::text::terminate;
use crate::sql::{Dialect, Unsupported};

impl Sqlite<'_> {
    pub(super) fn rename_constraint(
        &self,
        table: &str,
        from: &Constraint,
        to: &str,
        out: &mut Rendered,
    ) -> Step {
        let sql = match &from.kind {
            // A unique constraint is a unique index there: built again under the new
            // name, then the old one dropped.
            ConstraintKind::Unique { columns } => {
                let renamed = Constraint {
                    name: to.to_string(),
                    kind: from.kind.clone(),
                };
                format!(
                    "{}\n{}",
                    index_sql(&crate::sql::ddl::unique_index(table, &renamed, columns)),
                    terminate(
                        &SqIndex::drop()
                            .name(from.name.as_str())
                            .to_string(SqliteQueryBuilder)
                    )
                )
            }
            // SQLite keeps no name for a foreign key: only the model changes.
            ConstraintKind::ForeignKey { .. } => {
                "-- SQLite keeps no name for a foreign key: nothing to change.".to_string()
            }
            ConstraintKind::Check { .. } => {
                return Ok(Err(Unsupported(format!(
                    "SQLite cannot rename a check ({}) without rebuilding the table; \
                     drop it and add it under the new name",
                    from.name
                ))))
            }
        };
        push(out, sql)
    }

    /// Copying the rows into the new table checks the key; a duplicate fails the file,
    /// whose transaction undoes the rebuild.
    pub(super) fn set_primary_key(
        &self,
        table: &str,
        columns: &[String],
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        let Some(mut after) = physical.table(table).cloned() else {
            return Ok(Err(unknown(table, None)));
        };
        after.primary_key = columns.to_vec();
        let why = format!("make ({}) its primary key", columns.join(", "));
        self.rebuild(&why, physical, &after, out)
    }

    pub(super) fn add_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        if let ConstraintKind::Unique { columns } = &constraint.kind {
            return push(
                out,
                index_sql(&crate::sql::ddl::unique_index(table, constraint, columns)),
            );
        }
        // Copying the rows into the new table checks them against it; a
        // violation fails the file, whose transaction undoes the rebuild.
        let Some(mut after) = physical.table(table).cloned() else {
            return Ok(Err(unknown(table, None)));
        };
        after.constraints.retain(|c| c.name != constraint.name);
        after.constraints.push(constraint.clone());
        let why = format!("add {} {}", constraint.noun(), constraint.name);
        if let Err(u) = self.rebuild(&why, physical, &after, out)? {
            return Ok(Err(u));
        }
        if let ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            ..
        } = &constraint.kind
        {
            let mut context = Context::new();
            crate::sql::ddl::orphan_conditions(
                Dialect::Sqlite,
                columns,
                referenced_columns,
                &mut context,
            );
            context.insert("table", &q(table));
            context.insert("references", &q(references));
            context.insert(
                "check",
                &q(&format!("{}_has_no_orphan_rows", constraint.name)),
            );
            out.chunks
                .push(self.template("check_foreign_key", &context)?);
        }
        Ok(Ok(()))
    }

    pub(super) fn drop_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Step {
        if let ConstraintKind::Unique { .. } = &constraint.kind {
            return push(out, format!("DROP INDEX {};", q(&constraint.name)));
        }
        let Some(mut after) = physical.table(table).cloned() else {
            return Ok(Err(unknown(table, None)));
        };
        after.constraints.retain(|c| c.name != constraint.name);
        let why = format!("drop {} {}", constraint.noun(), constraint.name);
        self.rebuild(&why, physical, &after, out)
    }
}
