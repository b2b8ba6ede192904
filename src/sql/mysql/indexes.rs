//! MySQL indexes: built and dropped in place while writes go on.

use super::columns::needs_prefix;
use super::names::q;
use crate::model::Index;
use crate::sql::physical::Physical;
use crate::sql::render::Chunk;
use crate::sql::{Dialect, Unsupported};

/// An index built in place while writes go on; refused on a column MySQL indexes only
/// with a prefix.
pub(super) fn create_index(index: &Index, physical: &Physical) -> Chunk {
    let table = physical.table(&index.table);
    let hash_ok = table.is_some_and(|t| t.in_memory());
    if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Mysql, index, hash_ok) {
        return Ok(Err(u));
    }
    if let Some(t) = physical.table(&index.table) {
        if let Some(c) = index
            .columns
            .iter()
            .filter(|c| !index.options.fulltext && !index.options.prefix.contains_key(*c))
            .filter_map(|c| t.column(c))
            .find(|c| needs_prefix(&c.ty))
        {
            return Ok(Err(Unsupported(format!(
                "MySQL indexes a {} column ({}.{}) only with a prefix length; \
                 write it as `columns = [\"{}(N)\"]`, or make it varchar(n)",
                c.ty, index.table, c.name, c.name
            ))));
        }
    }
    // Only InnoDB builds an index while writes go on; MEMORY and MyISAM tables are
    // locked for the build whatever the statement asks.
    let online = table.is_none_or(|t| t.innodb());
    Ok(Ok(format!(
        "{};",
        crate::sql::ddl::index_sql_built(Dialect::Mysql, index, online)
    )))
}

/// Drops the index `name` of `table` in place (a unique constraint's index too).
pub(super) fn drop_index(table: &str, name: &str, physical: &Physical) -> Chunk {
    let online = physical.table(table).is_none_or(|t| t.innodb());
    Ok(Ok(format!(
        "ALTER TABLE {} DROP INDEX {}{};",
        q(table),
        q(name),
        if online {
            ", ALGORITHM=INPLACE, LOCK=NONE"
        } else {
            ""
        }
    )))
}
