//! SQLite's catalogue: the `pragma_*` table functions and `sqlite_master`. SQLite keeps
//! an index's options and a table's checks only in their statements, which are parsed;
//! it names no foreign key and no check.

use crate::model::{Index, IndexOptions};
use crate::sql::inspect::{is_user_table, strip_parens, Catalogue};
use crate::sql::text::string_literal;
use crate::sql::Dialect;

fn lit(name: &str) -> String {
    string_literal(Dialect::Sqlite, name)
}

/// The tables, SQLite's own left out.
pub const TABLE_NAMES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' \
     AND name NOT LIKE 'sqlite_%' ORDER BY name";

/// The names of a table's indexes (its foreign keys and checks keep none).
pub fn object_names(table: &str) -> String {
    format!("SELECT name FROM pragma_index_list({})", lit(table))
}

/// A table's columns in order, with whether each is nullable (`YES`/`NO`).
pub fn nullable_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT name, CASE WHEN \"notnull\" = 0 THEN 'YES' ELSE 'NO' END \
         FROM pragma_table_xinfo({t}) WHERE hidden <> 1 ORDER BY cid"
    )
}

/// Name, type, nullable, has a default: one row per column, in order.
pub fn live_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT name, type, CASE WHEN \"notnull\" = 0 THEN 'YES' ELSE 'NO' END, \
         CASE WHEN dflt_value IS NULL THEN 'NO' ELSE 'YES' END, {GENERATED_KIND}, '' \
         FROM pragma_table_xinfo({t}) WHERE hidden <> 1 ORDER BY cid"
    )
}

/// How a column of `pragma_table_xinfo` is generated: `v` virtual, `s` stored, empty
/// (its expression is only in the table's statement: see [`sqlite_generated`]).
const GENERATED_KIND: &str = "CASE hidden WHEN 2 THEN 'v' WHEN 3 THEN 's' ELSE '' END";

/// The generated columns of a SQLite table's `CREATE TABLE` statement with their
/// expressions; none where it does not parse.
pub fn sqlite_generated(create: &str) -> Vec<(String, String)> {
    use sqlparser::ast::{ColumnOption, Statement};
    let dialect = sqlparser::dialect::SQLiteDialect {};
    let Ok(statements) = sqlparser::parser::Parser::parse_sql(&dialect, create) else {
        return Vec::new();
    };
    let Some(Statement::CreateTable(ct)) = statements.into_iter().next() else {
        return Vec::new();
    };
    ct.columns
        .iter()
        .filter_map(|c| {
            c.options.iter().find_map(|o| match &o.option {
                ColumnOption::Generated {
                    generation_expr: Some(e),
                    ..
                } => Some((c.name.value.clone(), strip_parens(&e.to_string()))),
                _ => None,
            })
        })
        .collect()
}

/// A table's statement.
pub fn create_statement(table: &str) -> String {
    format!(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {}",
        lit(table)
    )
}

/// Name, type, nullable, default text, has a default: one row per column, in order.
pub fn columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT name, type, CASE WHEN \"notnull\" = 0 THEN 'YES' ELSE 'NO' END, \
         COALESCE(dflt_value, '') , CASE WHEN dflt_value IS NULL THEN 'NO' ELSE 'YES' END, \
         {GENERATED_KIND}, '' \
         FROM pragma_table_xinfo({t}) WHERE hidden <> 1 ORDER BY cid"
    )
}

/// The primary key's columns in order.
pub fn primary_key(table: &str) -> String {
    let t = lit(table);
    format!("SELECT name FROM pragma_table_info({t}) WHERE pk > 0 ORDER BY pk")
}

/// The indexes of `table` with their options (not the primary key's): parsed from their
/// statements, or, for one SQLite made for a UNIQUE in the table's statement, its
/// columns alone.
pub fn indexes<C: Catalogue + ?Sized>(db: &mut C, table: &str) -> Result<Vec<Index>, C::Error> {
    let t = lit(table);
    let sql = format!(
        "SELECT il.name, il.\"unique\", COALESCE(m.sql, '') \
         FROM pragma_index_list({t}) AS il \
         LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name \
         WHERE il.origin <> 'pk' ORDER BY il.name"
    );
    let mut out: Vec<Index> = Vec::new();
    for r in db.text_rows(&sql)? {
        let [name, unique, create] = <[String; 3]>::try_from(r).unwrap_or_default();
        if let Some(index) = sqlite_index(table, &name, unique == "1", &create) {
            out.push(index);
            continue;
        }
        // An index SQLite made for a UNIQUE in the table's statement: no SQL.
        let columns = db.text_rows(&format!(
            "SELECT name FROM pragma_index_info({}) ORDER BY seqno",
            lit(&name)
        ))?;
        let columns = columns
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect();
        match out.last_mut() {
            Some(last) if last.name == name => last.columns = columns,
            _ => out.push(Index {
                name,
                table: table.to_string(),
                columns,
                unique: unique == "1",
                options: IndexOptions::default(),
            }),
        }
    }
    Ok(out)
}

/// An index of SQLite from its `CREATE INDEX` statement.
fn sqlite_index(table: &str, name: &str, unique: bool, create: &str) -> Option<Index> {
    use sqlparser::ast::{Expr, OrderBySort, Statement};
    let dialect = sqlparser::dialect::SQLiteDialect {};
    let statements = sqlparser::parser::Parser::parse_sql(&dialect, create).ok()?;
    let Some(Statement::CreateIndex(ci)) = statements.into_iter().next() else {
        return None;
    };
    let mut index = Index {
        name: name.to_string(),
        table: table.to_string(),
        columns: Vec::new(),
        unique,
        options: IndexOptions::default(),
    };
    for part in &ci.columns {
        let desc = matches!(part.column.options.sort, Some(OrderBySort::Desc));
        match &part.column.expr {
            Expr::Identifier(id) => {
                if desc {
                    index.options.desc.push(id.value.clone());
                }
                index.columns.push(id.value.clone());
            }
            other => index
                .options
                .expressions
                .push(strip_parens(&other.to_string())),
        }
    }
    index.options.predicate = ci.predicate.as_ref().map(|p| strip_parens(&p.to_string()));
    Some(index)
}

/// The single-column INTEGER PRIMARY KEY: the rowid's alias, which numbers a row
/// inserted without it (what tandem writes for an identity column here).
pub fn identity_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<String>, C::Error> {
    let t = lit(table);
    let keys = db.text_rows(&format!(
        "SELECT name, type FROM pragma_table_info({t}) WHERE pk > 0"
    ))?;
    Ok(match keys.as_slice() {
        [key] if key.len() == 2 && key[1].eq_ignore_ascii_case("integer") => {
            vec![key[0].clone()]
        }
        _ => Vec::new(),
    })
}

/// Foreign keys, one row per column pair: id (SQLite names none), column, referenced
/// table, referenced column, delete and update rules, and never deferrable.
pub fn foreign_keys(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT CAST(id AS TEXT), \"from\", \"table\", \"to\", on_delete, on_update, \
         '0', '0' FROM pragma_foreign_key_list({t}) ORDER BY id, seq"
    )
}

/// The checks of `table`, from its statement (none where it does not parse).
pub fn checks<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<(String, String)>, C::Error> {
    let t = lit(table);
    let create = db.text_rows(&format!(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {t}"
    ))?;
    let create = create.into_iter().flatten().next().unwrap_or_default();
    Ok(sqlite_checks(table, &create).unwrap_or_default())
}

/// The checks of a SQLite table's `CREATE TABLE` statement; `None` where it does not
/// parse.
pub fn sqlite_checks(table: &str, create: &str) -> Option<Vec<(String, String)>> {
    use sqlparser::ast::{ColumnOption, Statement, TableConstraint};
    let dialect = sqlparser::dialect::SQLiteDialect {};
    let statements = sqlparser::parser::Parser::parse_sql(&dialect, create).ok()?;
    let Some(Statement::CreateTable(ct)) = statements.into_iter().next() else {
        return None;
    };
    let mut out = Vec::new();
    let mut unnamed = 0;
    let mut push = |name: Option<&sqlparser::ast::Ident>, expr: &sqlparser::ast::Expr| {
        let name = match name {
            Some(n) => n.value.clone(),
            None => {
                unnamed += 1;
                format!("{table}_check{unnamed}")
            }
        };
        out.push((name, strip_parens(&expr.to_string())));
    };
    for column in &ct.columns {
        for option in &column.options {
            if let ColumnOption::Check(c) = &option.option {
                push(option.name.as_ref().or(c.name.as_ref()), &c.expr);
            }
        }
    }
    for constraint in &ct.constraints {
        if let TableConstraint::Check(c) = constraint {
            push(c.name.as_ref(), &c.expr);
        }
    }
    Some(out)
}

/// What the model does not cover, by kind: the names of each.
pub const LEFT_OUT: &[(&str, &str)] = &[];

/// The views and triggers, as rows of kind, name (`table.trigger` for a trigger) and
/// the statement that made them, views first: each kind by name.
pub const OBJECTS: &str = "SELECT type, CASE type WHEN 'trigger' THEN tbl_name || '.' || name \
     ELSE name END, sql FROM sqlite_master \
     WHERE type IN ('view', 'trigger') AND sql IS NOT NULL AND name NOT LIKE 'tandem%' \
     ORDER BY type = 'trigger', tbl_name, name";

/// The user tables whose statement does not parse, so that their checks are not read.
pub fn tables_with_unread_checks<C: Catalogue + ?Sized>(
    db: &mut C,
) -> Result<Vec<String>, C::Error> {
    Ok(db
        .text_rows(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL \
             ORDER BY 1",
        )?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .filter(|[name, create]| is_user_table(name) && sqlite_checks(name, create).is_none())
        .map(|[name, _]| name)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_keeps_index_options_and_checks_in_its_statements() {
        let index = sqlite_index(
            "users",
            "users_name_idx",
            true,
            "CREATE UNIQUE INDEX \"users_name_idx\" ON \"users\" (\"email\" DESC, \"score\", (lower(name))) WHERE score > 0",
        )
        .unwrap();
        assert_eq!(index.columns, ["email", "score"]);
        assert_eq!(index.options.desc, ["email"]);
        assert_eq!(index.options.expressions, ["lower(name)"]);
        assert_eq!(index.options.predicate.as_deref(), Some("score > 0"));
        let checks = sqlite_checks(
            "t",
            "CREATE TABLE \"t\" ( \"a\" integer NOT NULL CHECK (a > 0), CONSTRAINT \"t_a_small\" CHECK ((a < 10)) )",
        )
        .unwrap();
        assert_eq!(
            checks,
            [
                ("t_check1".to_string(), "a > 0".to_string()),
                ("t_a_small".to_string(), "a < 10".to_string())
            ]
        );
    }
}
