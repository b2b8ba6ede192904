//! PostgreSQL indexes: built and dropped `CONCURRENTLY`, outside a transaction.

use sea_query::{Index as SqIndex, PostgresQueryBuilder};
use tera::Context;

use super::writer::{q, Postgres};
use crate::diag::Result;
use crate::model::Index;
use crate::sql::physical::Physical;
use crate::sql::render::{Chunk, Rendered};
use crate::sql::text::{string_literal, terminate};
use crate::sql::Dialect;

impl Postgres<'_> {
    /// A concurrent build (outside a transaction), recovering from a failed earlier one.
    pub(super) fn index_build(&self, index: &Index) -> Result<String> {
        let create = crate::sql::ddl::index_sql(Dialect::Postgres, index);
        let mut context = Context::new();
        context.insert(
            "index_name",
            &string_literal(Dialect::Postgres, &index.name),
        );
        context.insert(
            "drop_invalid",
            &string_literal(Dialect::Postgres, &format!("DROP INDEX {}", q(&index.name))),
        );
        context.insert("create", &create);
        self.template("create_index", &context)
    }

    pub(super) fn create_index(
        &self,
        index: &Index,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Chunk {
        if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Postgres, index, false) {
            return Ok(Err(u));
        }
        // Postgres builds no index of a partitioned table concurrently: it is built on
        // every partition in one statement, which writes wait for.
        if physical
            .table(&index.table)
            .is_some_and(|t| t.partition_by.is_some())
        {
            return Ok(Ok(format!(
                "-- {} is partitioned: Postgres builds an index of it on every partition at\n\
                 -- once, not concurrently (writes to the table wait for the build).\n{};",
                index.table,
                crate::sql::ddl::index_sql_built(Dialect::Postgres, index, false)
            )));
        }
        out.no_transaction = true;
        Ok(Ok(self.index_build(index)?))
    }
}

pub(super) fn drop_index(index: &Index, out: &mut Rendered) -> Chunk {
    out.no_transaction = true;
    Ok(Ok(terminate(
        &SqIndex::drop()
            .name(index.name.as_str())
            .concurrently()
            .to_string(PostgresQueryBuilder),
    )))
}
