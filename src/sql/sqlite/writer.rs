//! The SQLite renderer's state and the helpers every family file writes with, apart
//! from the dispatch in `mod.rs`, so that the family files need not import it.

use crate::diag::Result;
use crate::sql::render::{Rendered, Step};
use crate::sql::text::{quote, terminate};
use crate::sql::{Dialect, Unsupported};
use crate::templates::Templates;
use tera::Context;

pub struct Sqlite<'a> {
    pub(super) templates: &'a Templates,
}

impl<'a> Sqlite<'a> {
    pub fn new(templates: &'a Templates) -> Self {
        Sqlite { templates }
    }

    pub(super) fn template(&self, name: &str, context: &Context) -> Result<String> {
        crate::sql::render::template(self.templates, Dialect::Sqlite, name, context)
    }
}

/// The renderer walks the same actions as the planner, so this means a `sql` op changed
/// the table behind tandem's back.
pub(super) fn unknown(table: &str, column: Option<&str>) -> Unsupported {
    Unsupported(match column {
        Some(c) => format!("{table}.{c} is not known at this point of the apply order"),
        None => format!("table {table} is not known at this point of the apply order"),
    })
}

pub(super) fn q(name: &str) -> String {
    quote(Dialect::Sqlite, name)
}

pub(super) fn index_sql(index: &crate::model::Index) -> String {
    terminate(&crate::sql::ddl::index_sql(Dialect::Sqlite, index))
}

/// Appends one chunk of SQL: the step of an action done in one piece.
pub(super) fn push(out: &mut Rendered, chunk: String) -> Step {
    out.chunks.push(chunk);
    Ok(Ok(()))
}
