//! Reading a live table back through its dialect's catalogue: each function here picks
//! the dialect's queries (`sql/<dialect>/inspect.rs`) and reads their rows into what
//! `sql::inspect` defines, for `introspect`, `migrate --adopt` and drift alike.

use crate::model::{Index, SchemaObject};
use crate::sql::inspect::{
    action_word, group, read_type, strip_parens, typed_default, Catalogue, Comments, LiveColumn,
    ReadColumn, ReadForeignKey,
};
use crate::sql::{mysql, postgres, sqlite, Dialect};

/// Rows whose first value is all that is read.
fn first_values<C: Catalogue + ?Sized>(db: &mut C, sql: &str) -> Result<Vec<String>, C::Error> {
    Ok(db
        .text_rows(sql)?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect())
}

/// The first value of what `sql` reads, where the database is of `dialect`; `None` on
/// other dialects (the property is that dialect's alone) and when it reads nothing.
fn value_on<C: Catalogue + ?Sized>(
    db: &mut C,
    dialect: Dialect,
    sql: impl FnOnce() -> String,
) -> Result<Option<String>, C::Error> {
    if db.dialect() != dialect {
        return Ok(None);
    }
    Ok(first_values(db, &sql())?.into_iter().next())
}

/// The tables of the current database or schema, tandem's history table included.
pub fn table_names<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<String>, C::Error> {
    let sql = table_names_query(db.dialect());
    first_values(db, sql)
}

/// The query listing the tables of the current database or schema, tandem's history
/// table included.
pub fn table_names_query(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => sqlite::inspect::TABLE_NAMES,
        Dialect::Postgres => postgres::inspect::TABLE_NAMES,
        Dialect::Mysql => mysql::inspect::TABLE_NAMES,
    }
}

/// The query listing the names of a table's indexes and constraints that the database
/// lets one list: all of them in Postgres and MySQL, the indexes in SQLite (whose
/// foreign keys and checks keep no name).
pub fn object_names_query(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Sqlite => sqlite::inspect::object_names(table),
        Dialect::Postgres => postgres::inspect::object_names(table),
        Dialect::Mysql => mysql::inspect::object_names(table),
    }
}

/// The query listing a table's columns in order with whether each is nullable.
pub fn nullable_columns_query(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Sqlite => sqlite::inspect::nullable_columns(table),
        Dialect::Postgres => postgres::inspect::nullable_columns(table),
        Dialect::Mysql => mysql::inspect::nullable_columns(table),
    }
}

/// The columns of `table` as the catalogue spells them, for a comparison.
pub fn live_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<LiveColumn>, C::Error> {
    let sql = match db.dialect() {
        Dialect::Sqlite => sqlite::inspect::live_columns(table),
        Dialect::Postgres => postgres::inspect::live_columns(table),
        Dialect::Mysql => mysql::inspect::live_columns(table),
    };
    let mut out: Vec<LiveColumn> = db
        .text_rows(&sql)?
        .into_iter()
        .filter(|r| r.len() >= 4)
        .map(|r| LiveColumn {
            name: r[0].clone(),
            ty: r[1].clone(),
            nullable: r[2].eq_ignore_ascii_case("yes"),
            has_default: r[3].eq_ignore_ascii_case("yes"),
            generated: match (r.get(4).map(String::as_str), r.get(5)) {
                (Some(kind @ ("s" | "v")), Some(expr)) => Some((strip_parens(expr), kind == "s")),
                _ => None,
            },
        })
        .collect();
    let mut exprs = Vec::new();
    for c in out.iter_mut().filter(|c| c.generated.is_some()) {
        if exprs.is_empty() {
            exprs = generated_expressions(db, table)?;
        }
        if let (Some((expr, _)), Some((_, e))) =
            (&mut c.generated, exprs.iter().find(|(n, _)| *n == c.name))
        {
            if expr.is_empty() {
                expr.clone_from(e);
            }
        }
    }
    Ok(out)
}

/// SQLite's generated columns of `table` with their expressions, which it keeps only in
/// the table's statement (none elsewhere: the other catalogues give them per column).
fn generated_expressions<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<(String, String)>, C::Error> {
    if db.dialect() != Dialect::Sqlite {
        return Ok(Vec::new());
    }
    let create = db.text_rows(&sqlite::inspect::create_statement(table))?;
    let create = create.into_iter().flatten().next().unwrap_or_default();
    Ok(sqlite::inspect::sqlite_generated(&create))
}

/// The primary key's columns of `table`, in order.
pub fn primary_key<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<String>, C::Error> {
    let sql = match db.dialect() {
        Dialect::Sqlite => sqlite::inspect::primary_key(table),
        Dialect::Postgres => postgres::inspect::primary_key(table),
        Dialect::Mysql => mysql::inspect::primary_key(table),
    };
    first_values(db, &sql)
}

/// The name of a Postgres table's primary key constraint (other dialects name none).
pub fn primary_key_name<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Option<String>, C::Error> {
    value_on(db, Dialect::Postgres, || {
        postgres::inspect::primary_key_name(table)
    })
}

/// The checks and foreign keys of a Postgres table that are NOT VALID (none elsewhere).
pub fn not_valid_constraints<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<String>, C::Error> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    first_values(db, &postgres::inspect::not_valid(table))
}

/// The deferrable keys of a Postgres table (none elsewhere): unique constraints by
/// name, the primary key under the empty name, with whether each is initially deferred.
pub fn deferrable_keys<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<std::collections::BTreeMap<String, bool>, C::Error> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Default::default());
    }
    Ok(db
        .text_rows(&postgres::inspect::deferrable_keys(table))?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .map(|[name, deferred]| (name, deferred == "1"))
        .collect())
}

/// How a table is partitioned: Postgres's key (`RANGE (created_at)`, its partitions are
/// objects), MySQL's whole clause with its partitions; `None` for a plain table and on
/// SQLite.
pub fn table_partition_by<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Option<String>, C::Error> {
    if db.dialect() == Dialect::Mysql {
        let rows = db.text_rows(&mysql::inspect::partitions(table))?;
        return Ok(mysql::inspect::partition_clause(&rows));
    }
    let by = value_on(db, Dialect::Postgres, || {
        postgres::inspect::partition_by(table)
    })?;
    Ok(by.filter(|b| !b.is_empty()))
}

/// The comment of `table` and those of its columns (by name), where the dialect keeps
/// them: SQLite has none.
pub fn comments<C: Catalogue + ?Sized>(db: &mut C, table: &str) -> Result<Comments, C::Error> {
    let (table_sql, columns_sql) = match db.dialect() {
        Dialect::Sqlite => return Ok((None, Vec::new())),
        Dialect::Postgres => postgres::inspect::comments(table),
        Dialect::Mysql => mysql::inspect::comments(table),
    };
    let table_comment = first_values(db, &table_sql)?.into_iter().next();
    let columns = db
        .text_rows(&columns_sql)?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .map(|[name, text]| (name, text))
        .collect();
    Ok((table_comment, columns))
}

/// MySQL's storage engine of `table` where it is not InnoDB (the default); `None`
/// elsewhere.
pub fn table_engine<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Option<String>, C::Error> {
    let engine = value_on(db, Dialect::Mysql, || mysql::inspect::engine(table))?;
    Ok(engine.filter(|e| !e.eq_ignore_ascii_case("innodb") && !e.is_empty()))
}

/// The indexes of `table` with their options (not the primary key's), as the model
/// holds them: key columns first, then expressions. Postgres and MySQL are read from
/// their catalogues; SQLite keeps an index's options only in its `CREATE INDEX`
/// statement, which is parsed.
pub fn read_indexes<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<Index>, C::Error> {
    match db.dialect() {
        Dialect::Postgres => postgres::inspect::indexes(db, table),
        Dialect::Mysql => mysql::inspect::indexes(db, table),
        Dialect::Sqlite => sqlite::inspect::indexes(db, table),
    }
}

/// The columns of `table`, with types folded into tandem's names.
pub fn read_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<ReadColumn>, C::Error> {
    let dialect = db.dialect();
    let sql = match dialect {
        Dialect::Sqlite => sqlite::inspect::columns(table),
        Dialect::Postgres => postgres::inspect::columns(table),
        Dialect::Mysql => mysql::inspect::columns(table),
    };
    let json = if dialect == Dialect::Mysql {
        mysql::inspect::json_columns(db, table)?
    } else {
        Vec::new()
    };
    let sqlite_exprs = generated_expressions(db, table)?;
    Ok(db
        .text_rows(&sql)?
        .into_iter()
        .filter(|r| r.len() >= 5)
        .map(|r| {
            let (mut ty, spelling) = read_type(dialect, &r[1]);
            // MariaDB keeps json as longtext with a json_valid check of its own.
            if ty == "text" && json.contains(&r[0]) {
                ty = "json".into();
            }
            let mut default = (r[4] == "YES").then(|| typed_default(dialect, &ty, &r[3]));
            // MySQL's boolean is tinyint(1), which holds small integers: one whose
            // default is not 0 or 1 is used as a number, and is read as one.
            if ty == "boolean"
                && dialect == Dialect::Mysql
                && matches!(&default, Some(crate::sql::inspect::ReadDefault::Literal(l)) if l != "true" && l != "false")
            {
                ty = "tinyint(1)".into();
                default = (r[4] == "YES").then(|| typed_default(dialect, &ty, &r[3]));
            }
            if let Some(kind @ ("s" | "v")) = r.get(5).map(String::as_str) {
                let expr = r.get(6).map(|e| strip_parens(e)).unwrap_or_default();
                let expr = match sqlite_exprs.iter().find(|(n, _)| *n == r[0]) {
                    Some((_, e)) if expr.is_empty() => e.clone(),
                    _ => expr,
                };
                default = Some(crate::sql::inspect::ReadDefault::Generated {
                    expr,
                    stored: kind == "s",
                });
            }
            ReadColumn {
                name: r[0].clone(),
                ty,
                spelling,
                nullable: r[2].eq_ignore_ascii_case("yes"),
                default,
            }
        })
        .collect())
}

/// MySQL's columns with `ON UPDATE ...` of `table`, with its value in one spelling
/// (`CURRENT_TIMESTAMP`, `CURRENT_TIMESTAMP(6)`); none elsewhere.
pub fn on_update_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<(String, String)>, C::Error> {
    if db.dialect() != Dialect::Mysql {
        return Ok(Vec::new());
    }
    Ok(db
        .text_rows(&mysql::inspect::on_update_columns(table))?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .filter_map(|[name, extra]| Some((name, mysql::inspect::on_update_value(&extra)?)))
        .collect())
}

/// The values of a column type that holds its own enum (MySQL's `enum('a','b')`).
pub fn column_enum_values(dialect: Dialect, ty: &str) -> Option<Vec<String>> {
    match dialect {
        Dialect::Mysql => mysql::inspect::enum_values(ty),
        Dialect::Postgres | Dialect::Sqlite => None,
    }
}

/// Enum types with their values in order: Postgres's (MySQL keeps an enum in its
/// column, SQLite has none).
/// The extensions installed in a PostgreSQL database (none elsewhere), plpgsql aside.
pub fn extensions<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<String>, C::Error> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    first_values(db, postgres::inspect::EXTENSIONS)
}

pub fn enums<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<(String, Vec<String>)>, C::Error> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    Ok(group(db.text_rows(postgres::inspect::ENUMS)?))
}

/// The columns of `table` that the database numbers: Postgres identity (and serial, read
/// from its `nextval` default by the caller), MySQL `AUTO_INCREMENT`, SQLite's
/// single-column INTEGER PRIMARY KEY.
pub fn identity_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<String>, C::Error> {
    let sql = match db.dialect() {
        Dialect::Postgres => postgres::inspect::identity_columns(table),
        Dialect::Mysql => mysql::inspect::identity_columns(table),
        Dialect::Sqlite => return sqlite::inspect::identity_columns(db, table),
    };
    first_values(db, &sql)
}

/// Named unique constraints (Postgres keeps them apart from unique indexes; MySQL and
/// SQLite do not, so their unique keys read back as unique indexes).
pub fn unique_constraints<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<(String, Vec<String>)>, C::Error> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    Ok(group(db.text_rows(
        &postgres::inspect::unique_constraints(table),
    )?))
}

/// The foreign keys of `table`, columns in order.
pub fn foreign_keys<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<ReadForeignKey>, C::Error> {
    let dialect = db.dialect();
    let sql = match dialect {
        Dialect::Postgres => postgres::inspect::foreign_keys(table),
        Dialect::Mysql => mysql::inspect::foreign_keys(table),
        Dialect::Sqlite => sqlite::inspect::foreign_keys(table),
    };
    let mut out: Vec<ReadForeignKey> = Vec::new();
    for r in db.text_rows(&sql)? {
        let [name, column, references, referenced, on_delete, on_update, deferrable, deferred] =
            <[String; 8]>::try_from(r).unwrap_or_default();
        match out.last_mut() {
            Some(fk) if fk.name == name => {
                fk.columns.push(column);
                fk.referenced_columns.push(referenced);
            }
            _ => out.push(ReadForeignKey {
                name,
                columns: vec![column],
                references,
                referenced_columns: vec![referenced],
                on_delete: action_word(dialect, &on_delete),
                on_update: action_word(dialect, &on_update),
                deferrable: deferrable == "1",
                initially_deferred: deferred == "1",
            }),
        }
    }
    // SQLite keeps no name for a foreign key: give it tandem's default one.
    if dialect == Dialect::Sqlite {
        for fk in &mut out {
            fk.name = format!("{table}_{}_fkey", fk.columns.join("_"));
        }
    }
    Ok(out)
}

/// The checks of `table`, named (SQLite keeps them only in the table's statement, which
/// is parsed; a check written there without a name is named `<table>_check<n>`).
pub fn checks<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<(String, String)>, C::Error> {
    let sql = match db.dialect() {
        Dialect::Sqlite => return sqlite::inspect::checks(db, table),
        Dialect::Postgres => postgres::inspect::checks(table),
        Dialect::Mysql => mysql::inspect::checks(table),
    };
    Ok(db
        .text_rows(&sql)?
        .into_iter()
        .filter_map(|r| {
            let [name, def] = <[String; 2]>::try_from(r).ok()?;
            if name.starts_with("tandem_") {
                return None;
            }
            let def = def.trim();
            // Postgres writes a check not validated yet as `CHECK (...) NOT VALID`: the
            // state is named by introspect's left-out list, the expression is the part
            // before it.
            let def = def.strip_suffix(" NOT VALID").unwrap_or(def);
            let expr = def
                .strip_prefix("CHECK ")
                .map(|e| e.trim().to_string())
                .unwrap_or(def.to_string());
            // MariaDB's own check on a json column.
            if expr.to_ascii_lowercase().starts_with("json_valid(") {
                return None;
            }
            Some((name, strip_parens(&expr)))
        })
        .collect())
}

/// The objects outside the table model, in the order a baseline creates them, each as
/// the statement that creates it: PostgreSQL's every kind, MySQL's views, triggers,
/// routines and events, SQLite's views and triggers.
pub fn objects<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<SchemaObject>, C::Error> {
    let out = match db.dialect() {
        Dialect::Postgres => return postgres_objects(db),
        Dialect::Mysql => mysql::inspect::objects(db)?,
        Dialect::Sqlite => db
            .text_rows(sqlite::inspect::OBJECTS)?
            .into_iter()
            .filter_map(|r| <[String; 3]>::try_from(r).ok())
            .map(|[kind, name, sql]| SchemaObject {
                after_tables: crate::model::after_tables_by_default(&kind),
                kind,
                name,
                sql: sql.trim().to_string(),
            })
            .collect(),
    };
    let reads = views_named_by_views(&out);
    Ok(views_after_what_they_read(out, &reads))
}

/// Rows of a view and a view whose name its statement holds as a word (MySQL and SQLite
/// keep no list of what a view reads): a name in a string or a comment only moves the
/// view later, which is harmless.
fn views_named_by_views(objects: &[SchemaObject]) -> Vec<(String, String)> {
    let views: Vec<&SchemaObject> = objects.iter().filter(|o| o.kind == "view").collect();
    let mut out = Vec::new();
    for view in &views {
        for read in views.iter().filter(|r| r.name != view.name) {
            if view.names(&read.name) {
                out.push((view.name.clone(), read.name.clone()));
            }
        }
    }
    out
}

fn postgres_objects<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<SchemaObject>, C::Error> {
    let mut out = Vec::new();
    for sql in postgres::inspect::objects() {
        for row in db.text_rows(&sql)? {
            let mut row = row.into_iter();
            let (Some(kind), Some(name), Some(sql)) = (row.next(), row.next(), row.next()) else {
                continue;
            };
            let after = row.next().is_some_and(|a| a == "after");
            out.push(SchemaObject {
                after_tables: after || crate::model::after_tables_by_default(&kind),
                kind,
                name,
                sql: sql.trim().to_string(),
            });
        }
    }
    // What needs the tables comes after them, whatever was made first.
    out.sort_by_key(|o| o.after_tables);
    let reads: Vec<(String, String)> = db
        .text_rows(postgres::inspect::VIEW_READS)?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .map(|[view, read]| (view, read))
        .collect();
    Ok(views_after_what_they_read(out, &reads))
}

/// The objects in the same order, but a view moved after the views it reads (oldest
/// first otherwise); a cycle, which the server does not allow, keeps its order.
fn views_after_what_they_read(
    objects: Vec<SchemaObject>,
    reads: &[(String, String)],
) -> Vec<SchemaObject> {
    let is_view = |o: &SchemaObject| matches!(o.kind.as_str(), "view" | "materialized_view");
    let mut pending = objects;
    let mut out: Vec<SchemaObject> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        // Only views pass one another: anything else waits for the views before it
        // (an INSTEAD OF trigger for its view).
        let ready = pending.iter().enumerate().position(|(i, o)| {
            if !is_view(o) {
                return !pending[..i].iter().any(is_view);
            }
            !reads.iter().any(|(view, read)| {
                *view == o.name && pending.iter().any(|p| is_view(p) && p.name == *read)
            })
        });
        out.push(pending.remove(ready.unwrap_or(0)));
    }
    out
}

/// What the database has that the model does not cover, counted by kind.
pub fn left_out<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<String>, C::Error> {
    let queries = match db.dialect() {
        Dialect::Postgres => postgres::inspect::LEFT_OUT,
        Dialect::Mysql => mysql::inspect::LEFT_OUT,
        Dialect::Sqlite => sqlite::inspect::LEFT_OUT,
    };
    let mut out = Vec::new();
    for (kind, sql) in queries {
        let names = first_values(db, sql)?;
        if !names.is_empty() {
            out.push(format!("{} {kind}(s): {}", names.len(), names.join(", ")));
        }
    }
    // SQLite keeps checks only in each table's statement: one that does not parse
    // keeps its checks from being read.
    if db.dialect() == Dialect::Sqlite {
        let unread = sqlite::inspect::tables_with_unread_checks(db)?;
        if !unread.is_empty() {
            out.push(format!(
                "the checks of {} table(s) whose statement tandem cannot parse: {}",
                unread.len(),
                unread.join(", ")
            ));
        }
    }
    Ok(out)
}

/// Whether a MySQL index is the one InnoDB keeps, under the key's name, for a foreign
/// key (other dialects make none).
pub fn is_foreign_key_index(dialect: Dialect, index: &str, foreign_keys: &[String]) -> bool {
    dialect == Dialect::Mysql && foreign_keys.iter().any(|f| f == index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, name: &str) -> SchemaObject {
        SchemaObject {
            kind: kind.into(),
            name: name.into(),
            sql: String::new(),
            after_tables: true,
        }
    }

    #[test]
    fn a_view_comes_after_the_views_it_reads_and_its_trigger_after_it() {
        let objects = vec![
            object("view", "a"),
            object("trigger", "a.t"),
            object("view", "b"),
            object("materialized_view", "c"),
        ];
        let reads = [("a".to_string(), "c".to_string()), ("c".into(), "b".into())];
        let names: Vec<String> = views_after_what_they_read(objects, &reads)
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["b", "c", "a", "a.t"]);
    }
}
