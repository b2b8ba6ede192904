//! SQLite tables: created with their unique keys as unique indexes, renamed in place, and
//! an old name kept writable for the previous release by a view with INSTEAD OF triggers
//! (compat views).

use tera::Context;

use super::writer::{index_sql, push, q, Sqlite};
use crate::model::{Default, Table};
use crate::sql::ddl::{create_table, default_sql};
use crate::sql::render::{Rendered, Step};
use crate::sql::text::terminate;
use crate::sql::{Dialect, Unsupported};

pub(super) fn create(table: &Table, out: &mut Rendered) -> Step {
    let mut sql = terminate(&create_table(Dialect::Sqlite, table));
    for index in crate::sql::ddl::unique_indexes(table) {
        sql.push_str("\n\n");
        sql.push_str(&index_sql(&index));
    }
    push(out, sql)
}

pub(super) fn rename(from: &str, to: &str, out: &mut Rendered) -> Step {
    push(out, format!("ALTER TABLE {} RENAME TO {};", q(from), q(to)))
}

/// The value a compat view's insert trigger writes into `column`: a view passes NULL for
/// a column the writer left out, so the table's default goes back in its place.
fn inserted_value(column: &crate::model::Column) -> String {
    match &column.default {
        Some(d) if !column.is_identity() && !column.is_generated() => format!(
            "COALESCE(NEW.{}, {})",
            q(&column.name),
            match d {
                Default::Literal(_) => default_sql(Dialect::Sqlite, d),
                Default::Sql(sql) => format!("({sql})"),
                Default::Identity | Default::Generated { .. } => "NULL".into(),
            }
        ),
        _ => format!("NEW.{}", q(&column.name)),
    }
}

impl Sqlite<'_> {
    /// The view `view` over `table`, writable through INSTEAD OF triggers that find the
    /// row by its primary key.
    pub(super) fn compat_view(&self, view: &str, table: &Table, out: &mut Rendered) -> Step {
        if table.primary_key.is_empty() {
            return Ok(Err(Unsupported(format!(
                "the view that keeps the old name {view} writable needs a primary key \
                 on {}",
                table.name
            ))));
        }
        let (columns, values): (Vec<String>, Vec<String>) = table
            .columns
            .iter()
            .filter(|c| !c.is_generated())
            .map(|c| (q(&c.name), inserted_value(c)))
            .unzip();
        let assignments: Vec<String> = table
            .columns
            .iter()
            .filter(|c| !c.is_generated())
            .map(|c| format!("{0} = NEW.{0}", q(&c.name)))
            .collect();
        let key: Vec<String> = table
            .primary_key
            .iter()
            .map(|c| format!("{0} = OLD.{0}", q(c)))
            .collect();
        let mut context = Context::new();
        context.insert("view", &q(view));
        context.insert("table", &q(&table.name));
        context.insert(
            "query",
            &crate::sql::ddl::view_query(Dialect::Sqlite, table),
        );
        context.insert("columns", &columns.join(", "));
        context.insert("values", &values.join(", "));
        context.insert("assignments", &assignments.join(", "));
        context.insert("key", &key.join(" AND "));
        context.insert("insert_trigger", &q(&format!("tandem_view_{view}_ins")));
        context.insert("update_trigger", &q(&format!("tandem_view_{view}_upd")));
        context.insert("delete_trigger", &q(&format!("tandem_view_{view}_del")));
        push(out, self.template("compat_view", &context)?)
    }
}
