//! PostgreSQL batched loops: backfills and repairs in `DO` blocks that commit each batch
//! (so outside a transaction), throttled by time per batch and replica lag, each batch
//! retried on a lock timeout.

use tera::Context;

use super::writer::{q, Postgres};
use crate::action::Source;
use crate::model::Constraint;
use crate::sql::ddl::source_sql;
use crate::sql::render::{Chunk, Rendered};
use crate::sql::text::string_literal;
use crate::sql::Dialect;

impl Postgres<'_> {
    /// What every batch loop (backfill, repair) is throttled and retried by.
    fn batch_context(&self, context: &mut Context, table: &str) {
        let settings = &self.config.postgres;
        context.insert("batch_size", &settings.backfill_batch_size);
        context.insert("pause_ms", &settings.backfill_pause_ms);
        context.insert("max_batch_ms", &settings.backfill_max_batch_ms);
        context.insert("max_replica_lag_ms", &settings.backfill_max_replica_lag_ms);
        context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
        context.insert(
            "table_name_literal",
            &string_literal(Dialect::Postgres, table),
        );
    }

    pub(super) fn backfill(
        &self,
        table: &str,
        column: &str,
        source: &Source,
        out: &mut Rendered,
    ) -> Chunk {
        out.no_transaction = true;
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(column));
        context.insert("expr", &source_sql(Dialect::Postgres, source));
        context.insert(
            "table_literal",
            &string_literal(Dialect::Postgres, &q(table)),
        );
        context.insert("column_literal", &string_literal(Dialect::Postgres, column));
        self.batch_context(&mut context, table);
        Ok(Ok(self.template("backfill", &context)?))
    }

    pub(super) fn repair(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        constraint: &Constraint,
        primary_key: &[String],
        out: &mut Rendered,
    ) -> Chunk {
        out.no_transaction = true;
        let batch = self.config.postgres.backfill_batch_size;
        let mut context = Context::new();
        context.insert("table", table);
        context.insert("constraint", &constraint.name);
        context.insert(
            "update",
            &crate::sql::ddl::repair_update(
                Dialect::Postgres,
                table,
                column,
                expr,
                constraint,
                primary_key,
                Some(batch),
            ),
        );
        self.batch_context(&mut context, table);
        Ok(Ok(self.template("repair", &context)?))
    }
}
