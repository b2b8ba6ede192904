//! MySQL keys and constraints: unique keys are indexes built in place, a foreign key is
//! added after a procedure finds no orphan rows, a primary key is rebuilt in place; a
//! check is refused (MySQL adds one only by copying the table).

use tera::Context;

use super::indexes::{create_index, drop_index};
use super::names::{fit, q};
use super::writer::Mysql;
use crate::model::{Constraint, ConstraintKind};
use crate::sql::ddl::unique_index;
use crate::sql::physical::Physical;
use crate::sql::render::Chunk;
use crate::sql::text::{quoted_list, string_literal};
use crate::sql::{Dialect, Unsupported};

impl Mysql<'_> {
    pub(super) fn rename_constraint(&self, table: &str, from: &Constraint, to: &str) -> Chunk {
        match &from.kind {
            // A unique constraint is an index there.
            ConstraintKind::Unique { .. } => Ok(Ok(format!(
                "ALTER TABLE {} RENAME INDEX {} TO {}, ALGORITHM=INPLACE, LOCK=NONE;",
                q(table),
                q(&from.name),
                q(to)
            ))),
            _ => Ok(Err(Unsupported(format!(
                "MySQL and MariaDB cannot rename a {} ({}) in place: it is dropped \
                 and added again, with a new check of every row; drop it and add it \
                 under the new name",
                from.noun(),
                from.name
            )))),
        }
    }

    /// Rebuilt in place while reads and writes go on; a duplicate fails it.
    pub(super) fn set_primary_key(
        &self,
        table: &str,
        columns: &[String],
        replaces: &[String],
    ) -> Chunk {
        Ok(Ok(format!(
            "ALTER TABLE {} {}ADD PRIMARY KEY ({}), ALGORITHM=INPLACE, LOCK=NONE;",
            q(table),
            if replaces.is_empty() {
                ""
            } else {
                "DROP PRIMARY KEY, "
            },
            quoted_list(Dialect::Mysql, columns)
        )))
    }

    pub(super) fn add_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        physical: &Physical,
    ) -> Chunk {
        match &constraint.kind {
            ConstraintKind::Unique { columns } => {
                create_index(&unique_index(table, constraint, columns), physical)
            }
            ConstraintKind::Check { .. } => Ok(Err(Unsupported(
                "MySQL and MariaDB add a check only by copying the table, which blocks \
                 writes for the whole copy; add it with a `sql` op in a quiet window"
                    .into(),
            ))),
            ConstraintKind::ForeignKey { .. } => self.add_foreign_key(table, constraint),
        }
    }

    /// A procedure finds orphan rows (and fails, naming them) before the key is added.
    fn add_foreign_key(&self, table: &str, constraint: &Constraint) -> Chunk {
        let ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            ..
        } = &constraint.kind
        else {
            unreachable!("a foreign key")
        };
        let mut context = Context::new();
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
        context.insert("message", &string_literal(Dialect::Mysql, &message));
        context.insert(
            "procedure",
            &q(&fit(format!("tandem_check_{}", constraint.name))),
        );
        Ok(Ok(self.template("add_foreign_key", &context)?))
    }

    pub(super) fn drop_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        physical: &Physical,
    ) -> Chunk {
        match &constraint.kind {
            // The index the server made for the key goes with it, when it made one
            // (it does not when an index of the table already served the key).
            ConstraintKind::ForeignKey { .. } => {
                let mut context = Context::new();
                context.insert("table", &q(table));
                context.insert("table_literal", table);
                context.insert("constraint", &q(&constraint.name));
                context.insert("constraint_literal", &constraint.name);
                context.insert(
                    "procedure",
                    &q(&fit(format!("tandem_drop_{}", constraint.name))),
                );
                Ok(Ok(self.template("drop_foreign_key", &context)?))
            }
            ConstraintKind::Unique { .. } => drop_index(table, &constraint.name, physical),
            ConstraintKind::Check { .. } => Ok(Ok(format!(
                "ALTER TABLE {} DROP CONSTRAINT {};",
                q(table),
                q(&constraint.name)
            ))),
        }
    }
}
