//! PostgreSQL tables: created with their comments, renamed behind a view that keeps the
//! old name for the previous release (compat views).

use tera::Context;

use super::writer::{q, Postgres};
use crate::model::Table;
use crate::sql::ddl::create_table;
use crate::sql::render::Chunk;
use crate::sql::text::terminate;
use crate::sql::Dialect;

pub(super) fn create(table: &Table) -> Chunk {
    let mut sql = terminate(&create_table(Dialect::Postgres, table));
    for comment in crate::sql::ddl::comment_statements(table) {
        sql.push('\n');
        sql.push_str(&comment);
    }
    Ok(Ok(sql))
}

pub(super) fn compat_view(view: &str, table: &Table) -> Chunk {
    Ok(Ok(format!(
        "CREATE OR REPLACE VIEW {} AS {};",
        q(view),
        crate::sql::ddl::view_query(Dialect::Postgres, table)
    )))
}

impl Postgres<'_> {
    pub(super) fn rename_table(&self, from: &str, to: &str) -> Chunk {
        let mut context = Context::new();
        context.insert("from", &q(from));
        context.insert("to", &q(to));
        Ok(Ok(self.template("rename_table", &context)?))
    }
}
