//! SQLite indexes: built and dropped inside the file's transaction.

use sea_query::{Index as SqIndex, SqliteQueryBuilder};

use super::writer::{index_sql, push};
use crate::model::Index;
use crate::sql::render::{Rendered, Step};
use crate::sql::text::terminate;
use crate::sql::Dialect;

pub(super) fn create_index(index: &Index, out: &mut Rendered) -> Step {
    if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Sqlite, index, false) {
        return Ok(Err(u));
    }
    push(out, index_sql(index))
}

pub(super) fn drop_index(index: &Index, out: &mut Rendered) -> Step {
    push(
        out,
        terminate(
            &SqIndex::drop()
                .name(index.name.as_str())
                .to_string(SqliteQueryBuilder),
        ),
    )
}
