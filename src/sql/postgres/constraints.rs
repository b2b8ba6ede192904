//! PostgreSQL keys and constraints: checks and foreign keys added `NOT VALID` and
//! validated in a transaction of their own; unique and primary keys built concurrently
//! as an index, then attached.

use sea_query::PostgresQueryBuilder;
use tera::Context;

use super::writer::{q, Postgres};
use crate::model::{Constraint, ConstraintKind, Index};
use crate::sql::ddl::{foreign_key, unique_index};
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered};
use crate::sql::text::string_literal;
use crate::sql::Dialect;

pub(super) fn rename_constraint(table: &str, from: &Constraint, to: &str) -> Chunk {
    Ok(Ok(format!(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
        q(table),
        q(&from.name),
        q(to)
    )))
}

pub(super) fn drop_constraint(table: &str, constraint: &Constraint) -> Chunk {
    Ok(Ok(format!(
        "ALTER TABLE {} DROP CONSTRAINT {};",
        q(table),
        q(&constraint.name)
    )))
}

/// The `DO` block that drops the old primary key (`replaces`), whatever its name, and
/// makes the index `index` the new one `name`, in one statement.
fn swap_primary_key(table: &str, name: &str, index: &str, replaces: &[String]) -> String {
    let lit = |s: &str| string_literal(Dialect::Postgres, s);
    let body = format!(
        "EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',\n    \
         {}, (SELECT conname FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'p'),\n    {}, {});",
        lit(table),
        lit(&q(table)),
        lit(name),
        lit(index)
    );
    let tag = crate::sql::text::dollar_tag(&body);
    format!(
        "-- One statement swaps the keys: the old primary key ({}), whatever its name,\n\
         -- is dropped, and the index built above becomes the new one.\n\
         DO {tag}\nBEGIN\n  {body}\nEND\n{tag};",
        replaces.join(", ")
    )
}

impl Postgres<'_> {
    /// Built concurrently under a helper name, then attached: the constraint takes the
    /// index (renamed to the constraint's name), and with NOT NULL columns nothing is
    /// scanned under the lock.
    pub(super) fn set_primary_key(
        &self,
        table: &str,
        columns: &[String],
        name: &str,
        replaces: &[String],
        out: &mut Rendered,
    ) -> Chunk {
        out.no_transaction = true;
        let index = Index {
            name: crate::sql::ddl::primary_key_index_name(table),
            table: table.to_string(),
            columns: columns.to_vec(),
            unique: true,
            options: Default::default(),
        };
        out.chunks.push(self.index_build(&index)?);
        if !replaces.is_empty() {
            return Ok(Ok(swap_primary_key(table, name, &index.name, replaces)));
        }
        Ok(Ok(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};",
            q(table),
            q(name),
            q(&index.name)
        )))
    }

    /// Each statement in its own transaction: VALIDATE must not hold the lock that ADD
    /// took, and a concurrent index build cannot run inside one.
    pub(super) fn add_constraint(
        &self,
        table: &str,
        constraint: &Constraint,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Chunk {
        out.no_transaction = true;
        let (add, validate) = match &constraint.kind {
            ConstraintKind::Check { expr } => (
                format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({expr}) NOT VALID",
                    q(table),
                    q(&constraint.name)
                ),
                true,
            ),
            ConstraintKind::ForeignKey { .. } => (
                match crate::sql::ddl::deferrable_foreign_key_clause(constraint) {
                    Some(clause) => format!("ALTER TABLE {} ADD {clause} NOT VALID", q(table)),
                    None => format!(
                        "{} NOT VALID",
                        foreign_key(table, constraint).to_string(PostgresQueryBuilder)
                    ),
                },
                true,
            ),
            ConstraintKind::Unique { columns } => {
                // Built concurrently, then attached: the constraint takes the index.
                let index = unique_index(table, constraint, columns);
                out.chunks.push(self.index_build(&index)?);
                (
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                        q(table),
                        q(&constraint.name),
                        q(&constraint.name)
                    ),
                    false,
                )
            }
        };
        // Postgres adds no NOT VALID constraint to a partitioned table: it checks the
        // rows of every partition as it adds one, under the lock that blocks writes.
        let partitioned = physical
            .table(table)
            .is_some_and(|t| t.partition_by.is_some());
        let (add, validate) = match add.strip_suffix(" NOT VALID") {
            Some(plain) if partitioned => (plain.to_string(), false),
            _ => (add, validate),
        };
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("constraint", &q(&constraint.name));
        context.insert("add", &add);
        context.insert("validate", &validate);
        Ok(Ok(self.template("add_constraint", &context)?))
    }
}
