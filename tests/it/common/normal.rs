//! A schema in the form that round-trip tests compare: what the model holds, with each
//! spelling that is the same thing in one database folded into one. Each folding says
//! why it is no difference.

use std::collections::{BTreeMap, BTreeSet};

use tandem::model::{ConstraintKind, Default, IndexOptions, Schema};
use tandem::sql::inspect::canonical_sql;
use tandem::sql::Dialect;
use tandem::types::{ColumnType, Literal};

use super::Server;

/// A schema in the form compared: what the model holds, with each spelling that is the
/// same thing in `server`'s database folded into one.
#[derive(Debug, PartialEq)]
pub struct Normal {
    pub tables: BTreeMap<String, NormalTable>,
    /// Enums with their values in order (MySQL's are its columns', named after them).
    pub enums: BTreeMap<String, Vec<String>>,
    /// Objects outside the table model in the order they are created: kind, name and
    /// statement, spacing aside.
    pub objects: Vec<String>,
}

#[derive(Debug, PartialEq)]
pub struct NormalTable {
    pub comment: Option<String>,
    pub columns: Vec<String>,
    pub primary_key: Vec<String>,
    pub checks: BTreeMap<String, String>,
    pub foreign_keys: BTreeMap<String, String>,
    /// Unique constraints, and on MySQL and SQLite the unique indexes of plain columns
    /// (one thing there).
    pub uniques: BTreeSet<String>,
    pub indexes: BTreeMap<String, String>,
    /// How a Postgres table is partitioned.
    pub partition_by: Option<String>,
}

pub fn dialect(server: Server) -> Dialect {
    match server {
        Server::Sqlite => Dialect::Sqlite,
        Server::Postgres => Dialect::Postgres,
        Server::Mysql => Dialect::Mysql,
    }
}

pub fn normal(schema: &Schema, server: Server) -> Normal {
    let d = dialect(server);
    let expr = |e: &str| canonical_sql(d, e);
    let mut tables = BTreeMap::new();
    for t in schema.tables.values() {
        // SQLite numbers the rows of a single-column INTEGER PRIMARY KEY itself (the
        // rowid's alias) whether or not the column says `identity`, and tandem writes an
        // identity column of any integer type as that one type.
        let rowid = |c: &tandem::model::Column| {
            server == Server::Sqlite
                && t.primary_key.len() == 1
                && t.primary_key[0] == c.name
                && (c.is_identity() || c.ty == ColumnType::Integer)
        };
        let columns = t
            .columns
            .iter()
            .map(|c| {
                // The types a dialect has no type of their own for are written as
                // another, and read back as that one: SQLite has no time zone, uuid or
                // json type (tandem writes timestamp, text, text); MySQL has no uuid
                // (char(36)).
                let ty = match (&c.ty, server) {
                    (ColumnType::TimestampTz, Server::Sqlite) => ColumnType::Timestamp,
                    // SQLite has no enum: tandem writes an enum column as text.
                    (ColumnType::Enum(_), Server::Sqlite) => ColumnType::Text,
                    (ColumnType::Uuid | ColumnType::Json, Server::Sqlite) => ColumnType::Text,
                    (ColumnType::Uuid, Server::Mysql) => ColumnType::Char(36),
                    _ if rowid(c) => ColumnType::Integer,
                    // MySQL's boolean is tinyint(1): its catalogue cannot tell one written
                    // as boolean from one written as tinyint(1), and reads both as boolean.
                    (ColumnType::Native(n), Server::Mysql) if n.to_string() == "tinyint(1)" => {
                        ColumnType::Boolean
                    }
                    (ty, _) => ty.clone(),
                };
                let default = match &c.default {
                    _ if rowid(c) => "identity".to_string(),
                    None => "-".to_string(),
                    // A number is its value: 2 and 2.0 are the same default of a double,
                    // 3 and 3.00 of a decimal(p,2).
                    Some(Default::Literal(Literal::Int(i))) => format!("number {}", *i as f64),
                    Some(Default::Literal(Literal::Float(f))) => format!("number {f}"),
                    Some(Default::Literal(l)) => format!("{l:?}"),
                    // An SQL expression in the server's spelling of it.
                    Some(Default::Sql(s)) => format!("sql {}", expr(s)),
                    Some(Default::Identity) => "identity".to_string(),
                    Some(Default::Generated { expr: e, stored }) => {
                        format!("generated {} stored={stored}", expr(e))
                    }
                };
                // MySQL's ON UPDATE reads back with its type's precision.
                let on_update = tandem::sql::ddl::on_update_sql(c);
                format!(
                    "{} {ty} null={} default={default} comment={:?} on_update={on_update:?}",
                    c.name, c.nullable, c.comment
                )
            })
            .collect();
        let mut checks = BTreeMap::new();
        let mut foreign_keys = BTreeMap::new();
        let mut uniques = BTreeSet::new();
        for c in &t.constraints {
            match &c.kind {
                ConstraintKind::Check { expr: e } => {
                    checks.insert(c.name.clone(), expr(e));
                }
                ConstraintKind::Unique { columns } => {
                    uniques.insert(format!("{} {columns:?}", c.name));
                }
                ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    on_delete,
                    on_update,
                    deferrable,
                    initially_deferred,
                } => {
                    // `no action` is the default action; MySQL's InnoDB makes
                    // `restrict` the same as it, and reports it for either.
                    let action = |a: &Option<String>| match a.as_deref() {
                        None | Some("no action") => "-".to_string(),
                        Some("restrict") if server == Server::Mysql => "-".to_string(),
                        Some(a) => a.to_string(),
                    };
                    // SQLite keeps no name for a foreign key: introspect names it the
                    // way tandem names an unnamed one.
                    let name = if server == Server::Sqlite {
                        format!("{}_{}_fkey", t.name, columns.join("_"))
                    } else {
                        c.name.clone()
                    };
                    foreign_keys.insert(
                        name,
                        format!(
                            "{columns:?} -> {references}{referenced_columns:?} delete={} update={} deferrable={deferrable} deferred={initially_deferred}",
                            action(on_delete),
                            action(on_update)
                        ),
                    );
                }
            }
        }
        let mut indexes = BTreeMap::new();
        for i in schema.indexes.values().filter(|i| i.table == t.name) {
            let o = &i.options;
            // MySQL and SQLite keep a unique constraint as a unique index: one thing.
            let plain = IndexOptions {
                method: None,
                ..o.clone()
            } == IndexOptions::default()
                && o.method.as_deref().is_none_or(|m| m == "btree");
            if server != Server::Postgres && i.unique && plain {
                uniques.insert(format!("{} {:?}", i.name, i.columns));
                continue;
            }
            // btree is every dialect's default method.
            let method = o.method.as_deref().filter(|m| *m != "btree");
            indexes.insert(
                i.name.clone(),
                format!(
                    "{:?} unique={} method={method:?} where={:?} include={:?} expressions={:?} opclass={:?} desc={:?} prefix={:?} fulltext={} nulls={:?} nulls_not_distinct={}",
                    i.columns,
                    i.unique,
                    o.predicate.as_deref().map(expr),
                    o.include,
                    o.expressions.iter().map(|e| expr(e)).collect::<Vec<_>>(),
                    o.opclass,
                    o.desc,
                    o.prefix,
                    o.fulltext,
                    o.nulls,
                    o.nulls_not_distinct
                ),
            );
        }
        tables.insert(
            t.name.clone(),
            NormalTable {
                comment: t.comment.clone(),
                columns,
                primary_key: t.primary_key.clone(),
                checks,
                foreign_keys,
                uniques,
                indexes,
                partition_by: t.partition_by.clone(),
            },
        );
    }
    // SQLite has no enum types (see the columns above).
    let enums = schema
        .enums
        .iter()
        .filter(|_| server != Server::Sqlite)
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let objects = schema
        .objects
        .iter()
        .map(|o| {
            let sql: Vec<&str> = o.sql.split_whitespace().collect();
            format!("{} {} {}", o.kind, o.name, sql.join(" "))
        })
        .collect();
    Normal {
        tables,
        enums,
        objects,
    }
}

/// `n` with each table's columns in name order: a change adds a column at the end of
/// its table (and a rename, where it is a new column, too), and no change file says
/// where a column goes, so a schema reached by changes has its own column order.
pub fn unordered(mut n: Normal) -> Normal {
    for t in n.tables.values_mut() {
        t.columns.sort();
    }
    n
}
