//! MySQL tables: created and dropped whole, renamed behind a view that keeps the old
//! name writable for the previous release (compat views).

use tera::Context;

use super::names::{fit, q};
use super::writer::Mysql;
use crate::model::Table;
use crate::sql::physical::Physical;
use crate::sql::render::Chunk;
use crate::sql::text::{quoted_list, string_literal};
use crate::sql::{Dialect, Unsupported};

/// MERGE keeps the view updatable and insertable for the previous release.
pub(super) fn compat_view(view: &str, table: &Table) -> String {
    format!(
        "CREATE OR REPLACE ALGORITHM=MERGE VIEW {} AS {};",
        q(view),
        crate::sql::ddl::view_query(Dialect::Mysql, table)
    )
}

impl Mysql<'_> {
    pub(super) fn rename_table(&self, from: &str, to: &str, physical: &Physical) -> Chunk {
        let mut context = Context::new();
        context.insert("from", &q(from));
        context.insert("to", &q(to));
        let Some(table) = physical.table(from) else {
            return Ok(Err(Unsupported(format!(
                "table {from} is not known at this point of the apply order"
            ))));
        };
        context.insert("from_literal", &string_literal(Dialect::Mysql, from));
        let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
        context.insert("columns", &quoted_list(Dialect::Mysql, &columns));
        context.insert("next", &q(&fit(format!("tandem_next_{from}"))));
        context.insert("prev", &q(&fit(format!("tandem_prev_{to}"))));
        context.insert("procedure", &q(&fit(format!("tandem_rename_{from}"))));
        // A view that kept an older name of this table now reads the view made
        // under the name it read: still correct, as a view of a view.
        Ok(Ok(self.template("rename_table", &context)?))
    }
}
