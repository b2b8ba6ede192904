//! What tandem reads of raw SQL: the statements of a `sql` op, parsed with the project's
//! dialect, folded into the model where they are DDL it understands (so that later ops
//! and the probes see their tables and columns), and classified as destructive where
//! they drop, narrow, tighten or erase what the code of the release before may use.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, Expr, Ident, IndexColumn,
    ObjectName, ObjectType, RenameTableNameKind, Statement, TableConstraint, UnaryOperator, Value,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use super::op::{default_name, OpContext, OpNote};
use crate::action::{Action, RawEffect};
use crate::model::{Column, Constraint, ConstraintKind, Default, Index, Table};
use crate::sql::Dialect;
use crate::types::{ColumnType, Literal};

/// The parser's dialect for the project's.
fn parser_dialect(dialect: Option<Dialect>) -> Box<dyn sqlparser::dialect::Dialect> {
    match dialect {
        Some(Dialect::Postgres) => Box::new(PostgreSqlDialect {}),
        Some(Dialect::Mysql) => Box::new(MySqlDialect {}),
        Some(Dialect::Sqlite) => Box::new(SQLiteDialect {}),
        None => Box::new(GenericDialect {}),
    }
}

/// The statements of `sql`, or why the parser of `dialect` cannot read them.
pub fn read(sql: &str, dialect: Option<Dialect>) -> Result<Vec<Statement>, String> {
    Parser::parse_sql(parser_dialect(dialect).as_ref(), sql).map_err(|e| e.to_string())
}

/// One statement of a `sql` op as tandem reads it.
#[derive(Debug, Clone)]
pub enum Piece {
    /// A statement the parser reads: judged and folded into the model.
    Read(Box<Statement>),
    /// A maintenance statement the parser does not know (`VACUUM`, `REINDEX`, ...): it
    /// changes neither the schema nor the data.
    Maintenance,
    /// A statement tandem cannot read, as written, and the parser's error.
    Unreadable { text: String, error: String },
}

/// Statements that only maintain what exists: statistics, storage, index rebuilds.
const MAINTENANCE: &[&str] = &[
    "VACUUM",
    "ANALYZE",
    "REINDEX",
    "CLUSTER",
    "CHECKPOINT",
    "OPTIMIZE",
];

/// The statements of `sql`, each read on its own: one the parser cannot read leaves the
/// others read, so that each is judged.
pub fn read_each(sql: &str, dialect: Option<Dialect>) -> Vec<Piece> {
    if let Ok(statements) = read(sql, dialect) {
        return statements
            .into_iter()
            .map(|s| Piece::Read(Box::new(s)))
            .collect();
    }
    let mut pieces = Vec::new();
    for text in crate::sql::split::statements(dialect.unwrap_or(Dialect::Postgres), sql) {
        match read(&text, dialect) {
            Ok(statements) => {
                pieces.extend(statements.into_iter().map(|s| Piece::Read(Box::new(s))))
            }
            Err(error) => pieces.push(read_unparsed(text, error, dialect)),
        }
    }
    pieces
}

/// A statement the parser refused: a maintenance statement, a `DROP INDEX CONCURRENTLY`
/// read as the drop it is, or unreadable.
fn read_unparsed(text: String, error: String, dialect: Option<Dialect>) -> Piece {
    let d = parser_dialect(dialect);
    let Ok(tokens) = sqlparser::tokenizer::Tokenizer::new(d.as_ref(), &text).tokenize() else {
        return Piece::Unreadable { text, error };
    };
    let words: Vec<(usize, String)> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t, sqlparser::tokenizer::Token::Whitespace(_)))
        .take(3)
        .map(|(i, t)| match t {
            sqlparser::tokenizer::Token::Word(w) if w.quote_style.is_none() => {
                (i, w.value.to_ascii_uppercase())
            }
            _ => (i, String::new()),
        })
        .collect();
    let word = |n: usize| words.get(n).map(|(_, w)| w.as_str()).unwrap_or("");
    if MAINTENANCE.contains(&word(0)) {
        return Piece::Maintenance;
    }
    if (word(0), word(1), word(2)) == ("DROP", "INDEX", "CONCURRENTLY") {
        let without: String = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != words[2].0)
            .map(|(_, t)| t.to_string())
            .collect();
        if let Ok(statements) = read(&without, dialect) {
            if let [statement] = statements.as_slice() {
                return Piece::Read(Box::new(statement.clone()));
            }
        }
    }
    Piece::Unreadable { text, error }
}

/// A statement as written, as messages show it: on one line, cut at 100 characters.
pub fn short_text(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 100 {
        format!("{}...", text.chars().take(97).collect::<String>())
    } else {
        text
    }
}

/// A statement as messages show it: on one line, cut at 100 characters.
pub fn short(statement: &Statement) -> String {
    short_text(&statement.to_string())
}

fn name_of(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_else(|| name.to_string())
}

fn idents(list: &[Ident]) -> Vec<String> {
    list.iter().map(|i| i.value.clone()).collect()
}

/// The plain column names of an index's columns; `None` when one is an expression.
fn index_columns(columns: &[IndexColumn]) -> Option<Vec<String>> {
    columns
        .iter()
        .map(|c| match &c.column.expr {
            Expr::Identifier(i) => Some(i.value.clone()),
            _ => None,
        })
        .collect()
}

/// Said of a rename: the code of the release before uses the old name.
const RENAMED: &str = "; the code of the release before still uses the old name (a \
                       `rename_column` or `rename_table` op keeps both names working during \
                       the rollout)";

/// The model's name of table `name` (its last part): as written, or, unquoted, the one
/// table whose name differs from it only in case (the servers fold unquoted names).
fn table_of(name: &ObjectName, cx: &OpContext<'_>) -> String {
    let written = name_of(name);
    let quoted = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .is_some_and(|i| i.quote_style.is_some());
    let mut known = cx
        .schema
        .tables
        .keys()
        .chain(cx.previous.iter().flat_map(|v| v.tables.keys()));
    if quoted || known.clone().any(|t| *t == written) {
        return written;
    }
    known
        .find(|t| t.eq_ignore_ascii_case(&written))
        .cloned()
        .unwrap_or(written)
}

/// The name of column `ident` of `table`, found as [`table_of`] finds a table.
fn column_of(table: &str, ident: &Ident, cx: &OpContext<'_>) -> String {
    let written = &ident.value;
    let mut known = cx
        .schema
        .table(table)
        .into_iter()
        .chain(cx.previous.and_then(|v| v.table(table)))
        .flat_map(|t| t.columns.iter().map(|c| &c.name));
    if ident.quote_style.is_some() || known.clone().any(|c| c == written) {
        return written.clone();
    }
    known
        .find(|c| c.eq_ignore_ascii_case(written))
        .cloned()
        .unwrap_or_else(|| written.clone())
}

/// Why `statement` is destructive, read against the model before it runs: it drops,
/// narrows, renames, tightens or erases what the code of the release before may use.
pub fn destructive(statement: &Statement, cx: &OpContext<'_>) -> Option<String> {
    match statement {
        Statement::Drop {
            object_type, names, ..
        } => {
            let names: Vec<String> = names.iter().map(name_of).collect();
            let what = object_type.to_string().to_ascii_lowercase();
            Some(format!("drops {what} {}", names.join(", ")))
        }
        Statement::DropTrigger(d) => Some(format!("drops trigger {}", name_of(&d.trigger_name))),
        Statement::DropFunction(_) | Statement::DropProcedure { .. } | Statement::DropPolicy(_) => {
            Some("drops code the database runs for the release before".to_string())
        }
        Statement::Revoke(_) => Some("revokes privileges the code before may use".to_string()),
        Statement::Truncate(t) => Some(format!(
            "empties {}",
            t.table_names
                .iter()
                .map(|t| name_of(&t.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Statement::Delete(d) if d.selection.is_none() => {
            Some("deletes every row (no WHERE)".to_string())
        }
        Statement::Update(u) if u.selection.is_none() => {
            Some("updates every row (no WHERE)".to_string())
        }
        Statement::Query(q) => destructive_query(q, cx),
        Statement::Explain {
            analyze: true,
            statement,
            ..
        } => destructive(statement, cx),
        Statement::RenameTable(renames) => Some(format!(
            "renames {}{RENAMED}",
            renames
                .iter()
                .map(|r| format!("table {} to {}", name_of(&r.old_name), name_of(&r.new_name)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Statement::AlterType(t) => match &t.operation {
            sqlparser::ast::AlterTypeOperation::Rename(r) => Some(format!(
                "renames type {} to {}{RENAMED}",
                name_of(&t.name),
                r.new_name.value
            )),
            sqlparser::ast::AlterTypeOperation::RenameValue(r) => Some(format!(
                "renames value {} of type {} to {}{RENAMED}",
                r.from.value,
                name_of(&t.name),
                r.to.value
            )),
            sqlparser::ast::AlterTypeOperation::AddValue(_) => None,
        },
        Statement::CreateIndex(ci) if ci.unique => {
            let table = table_of(&ci.table_name, cx);
            let columns = index_columns(&ci.columns);
            tightening(cx, &table, columns, "adds a unique index")
        }
        Statement::AlterTable(a) => {
            let table = table_of(&a.name, cx);
            a.operations
                .iter()
                .find_map(|op| destructive_alter(&table, op, cx))
        }
        _ => None,
    }
}

/// A query that writes: a data-modifying `WITH` or body, judged as the statement it holds.
fn destructive_query(query: &sqlparser::ast::Query, cx: &OpContext<'_>) -> Option<String> {
    use sqlparser::ast::SetExpr;
    fn body(set: &SetExpr, cx: &OpContext<'_>) -> Option<String> {
        match set {
            SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Insert(s) => destructive(s, cx),
            SetExpr::Query(q) => destructive_query(q, cx),
            SetExpr::SetOperation { left, right, .. } => body(left, cx).or_else(|| body(right, cx)),
            _ => None,
        }
    }
    query
        .with
        .iter()
        .flat_map(|w| &w.cte_tables)
        .find_map(|cte| destructive_query(&cte.query, cx))
        .or_else(|| body(&query.body, cx))
}

/// Why a rule added over `columns` of `table` is a tightening: the code of the release
/// before writes some of them. `None` columns: the rule reads an expression, which may
/// use any column that code writes.
fn tightening(
    cx: &OpContext<'_>,
    table: &str,
    columns: Option<Vec<String>>,
    what: &str,
) -> Option<String> {
    let before = cx.previous.and_then(|v| v.table(table))?;
    let written: Vec<String> = match columns {
        Some(columns) => before
            .columns
            .iter()
            .filter(|c| columns.iter().any(|w| w.eq_ignore_ascii_case(&c.name)))
            .map(|c| c.name.clone())
            .collect(),
        None => before.columns.iter().map(|c| c.name.clone()).collect(),
    };
    if written.is_empty() {
        return None;
    }
    Some(format!(
        "{what} over {table}.{}, which the code of the release before writes: a tightening",
        written.join(", ")
    ))
}

/// Why an added constraint is a tightening (see [`tightening`]).
fn constraint_tightening(
    cx: &OpContext<'_>,
    table: &str,
    constraint: &TableConstraint,
) -> Option<String> {
    let (what, columns) = match constraint {
        TableConstraint::PrimaryKey(pk) => ("adds a primary key", index_columns(&pk.columns)),
        TableConstraint::Unique(u) => ("adds a unique key", index_columns(&u.columns)),
        TableConstraint::ForeignKey(fk) => ("adds a foreign key", Some(idents(&fk.columns))),
        TableConstraint::Check(c) => {
            let check = Constraint {
                name: String::new(),
                kind: ConstraintKind::Check {
                    expr: c.expr.to_string(),
                },
            };
            let used = cx.previous.and_then(|v| v.table(table)).map(|t| {
                t.columns
                    .iter()
                    .filter(|col| check.uses(cx.dialect, &col.name))
                    .map(|col| col.name.clone())
                    .collect()
            });
            ("adds a check", used)
        }
        _ => return None,
    };
    tightening(cx, table, columns, what)
}

/// Why a column option of a redeclared or added column tightens it.
fn option_tightening(
    cx: &OpContext<'_>,
    table: &str,
    column: &str,
    options: &[ColumnOption],
) -> Option<String> {
    options.iter().find_map(|o| {
        let what = match o {
            ColumnOption::Unique(_) => "adds a unique key",
            ColumnOption::PrimaryKey(_) => "adds a primary key",
            ColumnOption::ForeignKey(_) => "adds a foreign key",
            ColumnOption::Check(_) => "adds a check",
            _ => return None,
        };
        tightening(cx, table, Some(vec![column.to_string()]), what)
    })
}

/// The type an SQL type names when tandem knows it exactly: a portable type, or a
/// native type of the dialect. Only between such types is a change a known widening.
fn known_type(data_type: &sqlparser::ast::DataType, cx: &OpContext<'_>) -> Option<ColumnType> {
    let (ty, exact) = map_type(data_type);
    if exact {
        return Some(ty);
    }
    match crate::sql::types::parse(cx.dialect, &data_type.to_string(), Some(&[])) {
        Ok(p) if matches!(p.ty, ColumnType::Native(_)) => Some(p.ty),
        _ => None,
    }
}

/// Why changing `before` (column `c` of `table`) to `data_type` is destructive: it is not
/// the same type or a widening tandem knows.
fn type_change(
    table: &str,
    c: &str,
    before: &Column,
    data_type: &sqlparser::ast::DataType,
    cx: &OpContext<'_>,
) -> Option<String> {
    match known_type(data_type, cx) {
        Some(ty) if ty == before.ty || super::alter_column::widens(&before.ty, &ty) => None,
        Some(_) => Some(format!(
            "changes {table}.{c} from {} to {data_type}, not a widening",
            before.ty
        )),
        None => Some(format!(
            "changes {table}.{c} from {} to {data_type}, a type tandem does not know: not a \
             known widening",
            before.ty
        )),
    }
}

/// Whether a `USING` of an ALTER COLUMN ... TYPE keeps the values: the column itself, or
/// a cast of it.
fn keeps_values(using: &Expr, column: &str) -> bool {
    match using {
        Expr::Identifier(i) => i.value.eq_ignore_ascii_case(column),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => keeps_values(expr, column),
        _ => false,
    }
}

/// Why a column declared again (MySQL MODIFY / CHANGE) is destructive: it narrows or
/// tightens it unless its type stays or widens, its character set and collation stay,
/// it stays nullable where it was, and it keeps a default.
fn redeclared(
    table: &str,
    old: &str,
    data_type: &sqlparser::ast::DataType,
    options: &[ColumnOption],
    cx: &OpContext<'_>,
) -> Option<String> {
    let Some(before) = cx.schema.table(table).and_then(|t| t.column(old)).cloned() else {
        return Some(format!(
            "redeclares {table}.{old}, which the model does not know"
        ));
    };
    if let Some(why) = type_change(table, old, &before, data_type, cx) {
        return Some(why);
    }
    if options.iter().any(|o| {
        matches!(
            o,
            ColumnOption::CharacterSet(_) | ColumnOption::Collation(_)
        )
    }) {
        return Some(format!(
            "changes the character set or collation of {table}.{old}: not a known widening"
        ));
    }
    let not_null = options
        .iter()
        .any(|o| matches!(o, ColumnOption::NotNull | ColumnOption::PrimaryKey(_)));
    if before.nullable && not_null {
        return Some(format!("makes {table}.{old} NOT NULL"));
    }
    let default = options
        .iter()
        .any(|o| matches!(o, ColumnOption::Default(_)));
    if before.default.is_some() && !default {
        return Some(format!("drops the default of {table}.{old}"));
    }
    option_tightening(cx, table, old, options)
}

/// Why an added column breaks the inserts of the code before: NOT NULL, on a table that
/// code writes, with nothing to fill it.
fn added_not_null(table: &str, def: &ColumnDef, cx: &OpContext<'_>) -> Option<String> {
    let not_null = def.options.iter().any(|o| {
        matches!(
            o.option,
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_)
        )
    });
    let filled = def.options.iter().any(|o| match &o.option {
        ColumnOption::Default(_) | ColumnOption::Generated { .. } => true,
        ColumnOption::DialectSpecific(tokens) => tokens
            .iter()
            .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")),
        _ => false,
    }) || data_type_is_serial(&def.data_type);
    let written = cx.previous.and_then(|v| v.table(table)).is_some();
    (not_null && !filled && written).then(|| {
        format!(
            "adds {table}.{} NOT NULL without a default: the inserts of the code before \
             omit it",
            def.name.value
        )
    })
}

fn data_type_is_serial(data_type: &sqlparser::ast::DataType) -> bool {
    let text = data_type.to_string().to_ascii_lowercase();
    text.ends_with("serial") || text == "serial2" || text == "serial4" || text == "serial8"
}

fn destructive_alter(table: &str, op: &AlterTableOperation, cx: &OpContext<'_>) -> Option<String> {
    let column = |c: &Ident| {
        let name = column_of(table, c, cx);
        let found = cx
            .schema
            .table(table)
            .and_then(|t| t.column(&name))
            .cloned();
        (name, found)
    };
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => Some(format!(
            "drops column {}",
            column_names
                .iter()
                .map(|c| format!("{table}.{}", c.value))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        AlterTableOperation::DropConstraint { name, .. }
        | AlterTableOperation::DropForeignKey { name, .. } => {
            Some(format!("drops constraint {} of {table}", name.value))
        }
        AlterTableOperation::DropIndex { name } => {
            Some(format!("drops index {} of {table}", name.value))
        }
        AlterTableOperation::DropPrimaryKey { .. } => {
            Some(format!("drops the primary key of {table}"))
        }
        AlterTableOperation::DisableTrigger { name } => Some(format!(
            "disables trigger {name} of {table}, which may fill columns for the code before"
        )),
        AlterTableOperation::EnableRowLevelSecurity
        | AlterTableOperation::ForceRowLevelSecurity => Some(format!(
            "enables row-level security on {table}: rows the code before reads may be hidden"
        )),
        AlterTableOperation::DetachPartition { .. }
        | AlterTableOperation::DetachPartitionOf { .. }
        | AlterTableOperation::DropPartitions { .. } => Some(format!(
            "takes a partition of {table}, and its rows, away from the code before"
        )),
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => Some(format!(
            "renames column {table}.{} to {}{RENAMED}",
            old_column_name.value, new_column_name.value
        )),
        AlterTableOperation::RenameTable { table_name } => {
            let to = match table_name {
                RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => name_of(n),
            };
            Some(format!("renames table {table} to {to}{RENAMED}"))
        }
        AlterTableOperation::AddConstraint { constraint, .. } => {
            constraint_tightening(cx, table, constraint)
        }
        AlterTableOperation::AddColumn { column_def, .. } => added_not_null(table, column_def, cx),
        AlterTableOperation::AlterColumn { column_name, op } => {
            let (c, before) = column(column_name);
            match op {
                AlterColumnOperation::SetNotNull => Some(format!("makes {table}.{c} NOT NULL")),
                AlterColumnOperation::DropDefault => {
                    Some(format!("drops the default of {table}.{c}"))
                }
                AlterColumnOperation::SetDataType {
                    data_type, using, ..
                } => match before {
                    Some(before) => type_change(table, &c, &before, data_type, cx).or_else(|| {
                        using
                            .as_ref()
                            .filter(|u| !keeps_values(u, &c))
                            .map(|u| format!("rewrites the values of {table}.{c} (USING {u})"))
                    }),
                    None => Some(format!(
                        "changes the type of {table}.{c}, which the model does not know"
                    )),
                },
                _ => None,
            }
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            options,
            ..
        } => redeclared(table, &column(col_name).0, data_type, options, cx),
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            ..
        } => {
            let old = column(old_name).0;
            if !old.eq_ignore_ascii_case(&new_name.value) {
                return Some(format!(
                    "renames column {table}.{old} to {}{RENAMED}",
                    new_name.value
                ));
            }
            redeclared(table, &old, data_type, options, cx)
        }
        _ => None,
    }
}

/// The portable type nearest to an SQL type, and whether it is that type exactly
/// (a spelling of it) rather than an approximation.
pub fn map_type(data_type: &sqlparser::ast::DataType) -> (ColumnType, bool) {
    let text = data_type.to_string().to_ascii_lowercase();
    if let Ok(t) = ColumnType::parse(&text) {
        return (t, true);
    }
    let (base, args) = match text.split_once('(') {
        Some((b, rest)) => (
            b.trim().to_string(),
            rest.split(')')
                .next()
                .unwrap_or("")
                .split(',')
                .filter_map(|a| a.trim().parse::<u32>().ok())
                .collect::<Vec<u32>>(),
        ),
        None => (text.clone(), Vec::new()),
    };
    let after = text.rsplit(')').next().unwrap_or("").trim().to_string();
    let base = if after.is_empty() {
        base
    } else if text.contains('(') {
        format!("{base} {after}")
    } else {
        base
    };
    let base = base.trim_end_matches(" unsigned").trim().to_string();
    use ColumnType::*;
    let exact = |t: ColumnType| (t, true);
    let near = |t: ColumnType| (t, false);
    match (base.as_str(), args.as_slice()) {
        ("int" | "int4" | "integer", _) => exact(Integer),
        ("int8" | "bigint", _) => exact(BigInt),
        ("int2" | "smallint", _) => exact(SmallInt),
        ("tinyint", [1]) => near(Boolean),
        ("tinyint", _) => near(SmallInt),
        ("mediumint" | "serial" | "serial4", _) => near(Integer),
        ("bigserial" | "serial8", _) => near(BigInt),
        ("smallserial" | "serial2", _) => near(SmallInt),
        ("bool" | "boolean", _) => exact(Boolean),
        ("float4", _) => exact(Real),
        ("float8" | "double precision" | "double", _) => exact(Double),
        ("float", _) => near(Double),
        ("numeric" | "decimal" | "dec", [p, s]) if *p > 0 && s <= p => exact(Decimal(*p, *s)),
        ("numeric" | "decimal" | "dec", [p]) if *p > 0 => exact(Decimal(*p, 0)),
        ("numeric" | "decimal" | "dec", _) => near(Double),
        ("character varying" | "varchar" | "nvarchar", [n]) if *n > 0 => exact(Varchar(*n)),
        ("character varying" | "varchar" | "nvarchar", _) => near(Text),
        ("character" | "char" | "nchar", [n]) if *n > 0 => exact(Char(*n)),
        ("character" | "char" | "nchar", _) => exact(Char(1)),
        ("tinytext" | "mediumtext" | "longtext" | "citext" | "clob" | "string", _) => near(Text),
        ("time without time zone", _) => exact(Time),
        ("time with time zone" | "timetz", _) => near(Time),
        ("timestamp without time zone" | "datetime", _) => exact(Timestamp),
        ("timestamp with time zone", _) => exact(TimestampTz),
        ("timestamp" | "time", _) if base == "timestamp" => exact(Timestamp),
        ("time", _) => exact(Time),
        ("jsonb", _) => near(Json),
        ("bytea" | "blob" | "varbinary" | "longblob" | "mediumblob" | "tinyblob", _) => {
            exact(Binary)
        }
        _ => near(Text),
    }
}

/// A default as the model keeps it: a literal the type accepts, or the SQL as written.
fn default_of(expr: &Expr, ty: &ColumnType) -> Option<Default> {
    let literal = match expr {
        Expr::Value(v) => match &v.value {
            Value::Null => return None,
            Value::Number(n, _) => n
                .parse::<i64>()
                .map(Literal::Int)
                .ok()
                .or_else(|| n.parse::<f64>().ok().map(Literal::Float)),
            Value::SingleQuotedString(s) => Some(Literal::Str(s.clone())),
            Value::Boolean(b) => Some(Literal::Bool(*b)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n
                    .parse::<i64>()
                    .map(|i| Literal::Int(-i))
                    .ok()
                    .or_else(|| n.parse::<f64>().ok().map(|f| Literal::Float(-f))),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    Some(match literal {
        Some(l) if ty.accepts(&l).is_ok() => Default::Literal(l),
        _ => Default::Sql(expr.to_string()),
    })
}

/// Folds what tandem understands of `statement` into the model of `cx` and returns it
/// as effects on what exists. `later`: the statement runs under the rule, so what it
/// drops stays in the database until then.
pub fn fold(statement: &Statement, cx: &mut OpContext<'_>, later: bool) -> Vec<RawEffect> {
    let mut folder = Folder {
        cx,
        later,
        effects: Vec::new(),
    };
    folder.statement(statement);
    folder.effects
}

struct Folder<'c, 'a> {
    cx: &'c mut OpContext<'a>,
    later: bool,
    effects: Vec<RawEffect>,
}

impl Folder<'_, '_> {
    fn note(&mut self, warning: bool, message: String) {
        self.cx.notes.push(OpNote { warning, message });
    }

    fn effect(&mut self, action: Action) {
        self.effects.push(RawEffect::Action(Box::new(action)));
    }

    fn unread(&mut self, statement: &Statement) {
        self.note(
            true,
            format!(
                "the model does not see what `{}` changes: tandem does not read this statement",
                short(statement)
            ),
        );
    }

    fn statement(&mut self, statement: &Statement) {
        match statement {
            Statement::CreateTable(ct) => self.create_table(ct, statement),
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for name in names.iter().map(name_of) {
                    if self.cx.schema.tables.shift_remove(&name).is_none() {
                        self.unknown_table(&name);
                        continue;
                    }
                    self.cx.schema.indexes.retain(|_, i| i.table != name);
                    if self.later {
                        self.cx.retire(&name, None);
                    }
                    self.effect(Action::DropTable { table: name });
                }
            }
            Statement::Drop {
                object_type: ObjectType::Index,
                names,
                table,
                ..
            } => {
                let table = table.as_ref().map(name_of);
                for name in names.iter().map(name_of) {
                    self.drop_index(table.as_deref(), &name);
                }
            }
            Statement::CreateIndex(ci) => self.create_index(ci, statement),
            Statement::RenameTable(renames) => {
                for r in renames {
                    self.rename_table(&name_of(&r.old_name), &name_of(&r.new_name));
                }
            }
            Statement::AlterTable(a) => {
                let table = name_of(&a.name);
                if self.cx.schema.table(&table).is_none() {
                    self.unknown_table(&table);
                    return;
                }
                let mut table = table;
                for op in &a.operations {
                    if let Some(renamed) = self.alter(&table, op, statement) {
                        table = renamed;
                    }
                }
            }
            Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::Merge(_)
            | Statement::Truncate(_)
            | Statement::Set(_)
            | Statement::Analyze(_)
            | Statement::Vacuum(_)
            | Statement::Comment { .. }
            | Statement::Grant(_)
            | Statement::Revoke(_) => {}
            _ => self.unread(statement),
        }
    }

    /// Folds a CREATE TABLE with its columns, keys and indexes; a table the model has,
    /// or one made from a query, is noted and not read.
    fn create_table(&mut self, ct: &sqlparser::ast::CreateTable, statement: &Statement) {
        let name = name_of(&ct.name);
        if self.cx.schema.table(&name).is_some() {
            if !ct.if_not_exists {
                self.note(
                    true,
                    format!("table `{name}` is already in the model; its CREATE TABLE is not read"),
                );
            }
            return;
        }
        if ct.query.is_some() || ct.columns.is_empty() {
            self.unread(statement);
            return;
        }
        let mut table = Table {
            name: name.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            constraints: Vec::new(),
            comment: None,
            engine: None,
            partition_by: None,
            not_valid: Vec::new(),
            deferrable: std::collections::BTreeMap::new(),
        };
        let mut indexes = Vec::new();
        for def in &ct.columns {
            let column = self.column(&mut table, def);
            table.columns.push(column);
        }
        for constraint in &ct.constraints {
            self.table_constraint(&mut table, &mut indexes, constraint);
        }
        for key in &table.primary_key.clone() {
            if let Some(c) = table.column_mut(key) {
                c.nullable = false;
            }
        }
        self.cx.schema.tables.insert(name, table.clone());
        self.effect(Action::CreateTable {
            table,
            keys: Vec::new(),
        });
        for index in indexes {
            self.add_index(index);
        }
    }

    /// Folds a CREATE INDEX on plain columns; an index of an expression, with a WHERE or
    /// INCLUDE, or already in the model is noted and not read.
    fn create_index(&mut self, ci: &sqlparser::ast::CreateIndex, statement: &Statement) {
        let table = name_of(&ci.table_name);
        if self.cx.schema.table(&table).is_none() {
            self.unknown_table(&table);
            return;
        }
        let Some(columns) = index_columns(&ci.columns) else {
            self.note(
                true,
                format!(
                    "the model does not see the index of `{}`: it indexes an expression",
                    short(statement)
                ),
            );
            return;
        };
        if ci.predicate.is_some() || !ci.include.is_empty() {
            self.note(
                true,
                format!(
                    "the model does not see the index of `{}`: it has a WHERE or INCLUDE",
                    short(statement)
                ),
            );
            return;
        }
        let name = match &ci.name {
            Some(n) => name_of(n),
            None => default_name(&table, &columns, "idx"),
        };
        if self.cx.schema.index_name_taken(&table, &name) {
            if !ci.if_not_exists {
                self.note(
                    true,
                    format!("index `{name}` is already in the model; its CREATE INDEX is not read"),
                );
            }
            return;
        }
        self.add_index(Index {
            name,
            table,
            columns,
            unique: ci.unique,
            options: crate::model::IndexOptions::default(),
        });
    }

    fn unknown_table(&mut self, name: &str) {
        self.note(
            true,
            format!("table `{name}` is not in the model: what the SQL does to it is not read"),
        );
    }

    /// A column of a CREATE TABLE or ADD COLUMN, with its inline keys added to `table`.
    fn column(&mut self, table: &mut Table, def: &ColumnDef) -> Column {
        let name = def.name.value.clone();
        let (ty, exact) = map_type(&def.data_type);
        if !exact {
            self.note(
                false,
                format!(
                    "`{}.{name}` is `{}` in the SQL; the model reads it as {ty}",
                    table.name, def.data_type
                ),
            );
        }
        let mut column = Column {
            name: name.clone(),
            ty,
            nullable: true,
            default: None,
            comment: None,
            on_update: None,
        };
        for option in &def.options {
            let constraint_name = option.name.as_ref().map(|n| n.value.clone());
            match &option.option {
                ColumnOption::Null => column.nullable = true,
                ColumnOption::NotNull => column.nullable = false,
                ColumnOption::Default(expr) => column.default = default_of(expr, &column.ty),
                ColumnOption::PrimaryKey(_) => {
                    column.nullable = false;
                    table.primary_key = vec![name.clone()];
                }
                ColumnOption::Unique(_) => {
                    let kind = ConstraintKind::Unique {
                        columns: vec![name.clone()],
                    };
                    self.push_constraint(table, constraint_name, kind);
                }
                ColumnOption::ForeignKey(fk) => {
                    let kind = ConstraintKind::ForeignKey {
                        columns: vec![name.clone()],
                        references: name_of(&fk.foreign_table),
                        referenced_columns: idents(&fk.referred_columns),
                        on_delete: fk.on_delete.map(|a| a.to_string().to_ascii_lowercase()),
                        on_update: fk.on_update.map(|a| a.to_string().to_ascii_lowercase()),
                        deferrable: false,
                        initially_deferred: false,
                    };
                    self.push_constraint(table, constraint_name, kind);
                }
                ColumnOption::Check(c) => {
                    let kind = ConstraintKind::Check {
                        expr: c.expr.to_string(),
                    };
                    self.push_constraint(table, constraint_name, kind);
                }
                ColumnOption::Generated { .. } => column.nullable = false,
                ColumnOption::Comment(text) => column.comment = Some(text.clone()),
                _ => {}
            }
        }
        column
    }

    /// A name for an unnamed constraint, as the dialect names it.
    fn constraint_name(&self, table: &Table, kind: &ConstraintKind) -> String {
        let count = |f: fn(&ConstraintKind) -> bool| {
            table.constraints.iter().filter(|c| f(&c.kind)).count() + 1
        };
        let columns: Vec<String> = match kind {
            ConstraintKind::Unique { columns } | ConstraintKind::ForeignKey { columns, .. } => {
                columns.clone()
            }
            ConstraintKind::Check { .. } => Vec::new(),
        };
        match (self.cx.dialect, kind) {
            (Some(Dialect::Mysql), ConstraintKind::Unique { columns }) => columns[0].clone(),
            (Some(Dialect::Mysql), ConstraintKind::ForeignKey { .. }) => format!(
                "{}_ibfk_{}",
                table.name,
                count(|k| matches!(k, ConstraintKind::ForeignKey { .. }))
            ),
            (Some(Dialect::Mysql), ConstraintKind::Check { .. }) => format!(
                "{}_chk_{}",
                table.name,
                count(|k| matches!(k, ConstraintKind::Check { .. }))
            ),
            (_, ConstraintKind::Unique { .. }) => default_name(&table.name, &columns, "key"),
            (_, ConstraintKind::ForeignKey { .. }) => default_name(&table.name, &columns, "fkey"),
            (_, ConstraintKind::Check { .. }) => {
                crate::model::fit_identifier(format!("{}_check", table.name), 63)
            }
        }
    }

    /// Adds a constraint to `table` (not yet in the model, or the model's copy) when its
    /// name is free; returns it.
    fn push_constraint(
        &mut self,
        table: &mut Table,
        name: Option<String>,
        kind: ConstraintKind,
    ) -> Option<Constraint> {
        let name = name.unwrap_or_else(|| self.constraint_name(table, &kind));
        let taken = table.constraint(&name).is_some()
            || self.cx.schema.constraint(&name).is_some()
            || self.cx.schema.index_name_taken(&table.name, &name);
        if taken {
            self.note(
                true,
                format!(
                    "constraint `{name}` of `{}` is not read: the model already has that name",
                    table.name
                ),
            );
            return None;
        }
        let constraint = Constraint { name, kind };
        table.constraints.push(constraint.clone());
        Some(constraint)
    }

    fn table_constraint(
        &mut self,
        table: &mut Table,
        indexes: &mut Vec<Index>,
        constraint: &TableConstraint,
    ) -> Option<Constraint> {
        let columns_or_note = |this: &mut Self, columns: &[IndexColumn]| {
            let found = index_columns(columns);
            if found.is_none() {
                this.note(
                    true,
                    format!("a key of `{}` over an expression is not read", table.name),
                );
            }
            found
        };
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                table.primary_key = columns_or_note(self, &pk.columns)?;
                None
            }
            TableConstraint::Unique(u) => {
                let columns = columns_or_note(self, &u.columns)?;
                let name = u
                    .name
                    .as_ref()
                    .or(u.index_name.as_ref())
                    .map(|n| n.value.clone());
                self.push_constraint(table, name, ConstraintKind::Unique { columns })
            }
            TableConstraint::ForeignKey(fk) => {
                let kind = ConstraintKind::ForeignKey {
                    columns: idents(&fk.columns),
                    references: name_of(&fk.foreign_table),
                    referenced_columns: idents(&fk.referred_columns),
                    on_delete: fk.on_delete.map(|a| a.to_string().to_ascii_lowercase()),
                    on_update: fk.on_update.map(|a| a.to_string().to_ascii_lowercase()),
                    deferrable: false,
                    initially_deferred: false,
                };
                let name = fk.name.as_ref().map(|n| n.value.clone());
                self.push_constraint(table, name, kind)
            }
            TableConstraint::Check(c) => {
                let kind = ConstraintKind::Check {
                    expr: c.expr.to_string(),
                };
                let name = c.name.as_ref().map(|n| n.value.clone());
                self.push_constraint(table, name, kind)
            }
            TableConstraint::Index(i) => {
                let columns = columns_or_note(self, &i.columns)?;
                let name = match &i.name {
                    Some(n) => n.value.clone(),
                    None => columns[0].clone(),
                };
                indexes.push(Index {
                    name,
                    table: table.name.clone(),
                    columns,
                    unique: false,
                    options: crate::model::IndexOptions::default(),
                });
                None
            }
            _ => {
                self.note(
                    true,
                    format!(
                        "the model does not see the constraint `{constraint}` of `{}`",
                        table.name
                    ),
                );
                None
            }
        }
    }

    fn add_index(&mut self, index: Index) {
        if self.cx.schema.index_name_taken(&index.table, &index.name) {
            self.note(
                true,
                format!(
                    "index `{}` is not read: the model already has that name",
                    index.name
                ),
            );
            return;
        }
        self.cx.schema.insert_index(index.clone());
        self.effect(Action::CreateIndex { index });
    }

    /// Folds a DROP INDEX; `table` is MySQL's `ON table`, which says which table's index
    /// is meant where two tables have one of that name.
    fn drop_index(&mut self, table: Option<&str>, name: &str) {
        let found: Vec<(String, String)> = self
            .cx
            .schema
            .indexes_named(name)
            .into_iter()
            .filter(|i| table.is_none_or(|t| t == i.table))
            .map(|i| (i.table.clone(), i.name.clone()))
            .collect();
        let unique_key = |t: &str| {
            self.cx
                .schema
                .table(t)
                .and_then(|t| t.constraint(name))
                .is_some_and(|c| matches!(c.kind, ConstraintKind::Unique { .. }))
        };
        match (found.as_slice(), table) {
            ([(table, name)], _) => {
                let index = self.cx.schema.remove_index(table, name);
                self.effect(Action::DropIndex {
                    index: index.expect("found above"),
                })
            }
            // MySQL's DROP INDEX ... ON t drops a unique key too.
            ([], Some(t)) if unique_key(t) => self.drop_constraint(t, name),
            ([], _) => self.note(
                true,
                format!("index `{name}` is not in the model: its drop is not read"),
            ),
            (_, _) => self.note(
                true,
                format!("index `{name}` is on more than one table: its drop is not read without `ON table`"),
            ),
        }
    }

    fn drop_constraint(&mut self, table: &str, name: &str) {
        let found = self
            .cx
            .schema
            .table(table)
            .and_then(|t| t.constraint(name))
            .cloned();
        match found {
            Some(constraint) => {
                if let Some(t) = self.cx.schema.tables.get_mut(table) {
                    t.constraints.retain(|c| c.name != name);
                }
                if self.later {
                    self.cx.retire_constraint(table, &constraint);
                }
                self.effect(Action::DropConstraint {
                    table: table.to_string(),
                    constraint,
                });
            }
            // MySQL keeps unique keys as indexes, dropped by their name.
            None if self.cx.schema.index_on(table, name).is_some() => {
                self.drop_index(Some(table), name)
            }
            None => self.note(
                true,
                format!(
                    "constraint `{name}` of `{table}` is not in the model: its drop is not read"
                ),
            ),
        }
    }

    fn rename_table(&mut self, from: &str, to: &str) {
        let Some(mut t) = self.cx.schema.tables.shift_remove(from) else {
            self.unknown_table(from);
            return;
        };
        t.name = to.to_string();
        self.cx.schema.tables.insert(to.to_string(), t);
        for table in self.cx.schema.tables.values_mut() {
            table.rename_references(from, to);
        }
        self.cx.schema.rename_table_in_indexes(from, to);
        self.effect(Action::RenameTable {
            from: from.to_string(),
            to: to.to_string(),
        });
    }

    fn rename_column(&mut self, table: &str, from: &str, to: &str) {
        let schema = &mut *self.cx.schema;
        let Some(t) = schema.tables.get(table) else {
            return;
        };
        if t.column(from).is_none() {
            self.note(
                true,
                format!("column `{table}.{from}` is not in the model: its rename is not read"),
            );
            return;
        }
        schema.rename_column_everywhere(table, from, to);
        self.effects.push(RawEffect::RenameColumn {
            table: table.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        });
    }

    /// Folds one operation of an ALTER TABLE; returns the table's new name when it
    /// renames it.
    fn alter(
        &mut self,
        table: &str,
        op: &AlterTableOperation,
        statement: &Statement,
    ) -> Option<String> {
        match op {
            AlterTableOperation::AddColumn {
                column_def,
                if_not_exists,
                ..
            } => {
                self.alter_add_column(table, column_def, *if_not_exists);
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                self.alter_drop_columns(table, column_names);
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => self.rename_column(table, &old_column_name.value, &new_column_name.value),
            AlterTableOperation::RenameTable { table_name } => {
                let to = match table_name {
                    RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => name_of(n),
                };
                self.rename_table(table, &to);
                return Some(to);
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                self.alter_add_constraint(table, constraint);
            }
            AlterTableOperation::DropConstraint { name, .. }
            | AlterTableOperation::DropForeignKey { name, .. } => {
                self.drop_constraint(table, &name.value)
            }
            AlterTableOperation::DropIndex { name } => self.drop_constraint(table, &name.value),
            AlterTableOperation::AlterColumn { column_name, op } => {
                self.alter_column(table, column_name, op, statement);
            }
            AlterTableOperation::ModifyColumn {
                col_name,
                data_type,
                options,
                ..
            } => self.redeclare(table, &col_name.value, &col_name.value, data_type, options),
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                data_type,
                options,
                ..
            } => {
                if old_name.value != new_name.value {
                    self.rename_column(table, &old_name.value, &new_name.value);
                }
                self.redeclare(table, &new_name.value, &new_name.value, data_type, options)
            }
            _ => self.unread(statement),
        }
        None
    }

    /// The column as the model holds it now, if the table has it.
    fn column_in(&self, table: &str, c: &str) -> Option<Column> {
        self.cx
            .schema
            .table(table)
            .and_then(|t| t.column(c))
            .cloned()
    }

    /// Folds an ADD COLUMN, with the keys declared inline on it; a primary key added
    /// this way is noted, not read.
    fn alter_add_column(
        &mut self,
        table: &str,
        column_def: &ColumnDef,
        if_not_exists: bool,
    ) -> Option<()> {
        let mut t = self.cx.schema.table(table)?.clone();
        if t.column(&column_def.name.value).is_some() {
            if !if_not_exists {
                self.note(
                    true,
                    format!(
                        "column `{table}.{}` is already in the model; its ADD COLUMN is not read",
                        column_def.name.value
                    ),
                );
            }
            return None;
        }
        let before = t.constraints.len();
        let column = self.column(&mut t, column_def);
        let added: Vec<Constraint> = t.constraints[before..].to_vec();
        t.columns.push(column.clone());
        if t.primary_key != self.cx.schema.table(table)?.primary_key {
            self.note(
                true,
                format!(
                    "the primary key added with `{table}.{}` is not read",
                    column.name
                ),
            );
            t.primary_key = self.cx.schema.table(table)?.primary_key.clone();
        }
        self.cx.schema.tables.insert(table.to_string(), t);
        self.effect(Action::AddColumn {
            table: table.to_string(),
            column,
            not_null_at_once: None,
        });
        for constraint in added {
            self.effect(Action::AddConstraint {
                table: table.to_string(),
                constraint,
            });
        }
        Some(())
    }

    /// Folds a DROP COLUMN: the indexes and constraints on each column go with it.
    fn alter_drop_columns(&mut self, table: &str, column_names: &[Ident]) -> Option<()> {
        for name in column_names.iter().map(|c| c.value.clone()) {
            if self.column_in(table, &name).is_none() {
                self.note(
                    true,
                    format!("column `{table}.{name}` is not in the model: its drop is not read"),
                );
                continue;
            }
            let dialect = self.cx.dialect;
            let indexes: Vec<Index> = self
                .cx
                .schema
                .indexes_of(table)
                .filter(|i| i.uses(dialect, &name))
                .cloned()
                .collect();
            for index in indexes {
                self.cx.schema.remove_index(&index.table, &index.name);
                self.effect(Action::DropIndex { index });
            }
            let t = self.cx.schema.tables.get_mut(table)?;
            let constraints: Vec<Constraint> = t
                .constraints
                .iter()
                .filter(|c| c.uses(dialect, &name))
                .cloned()
                .collect();
            t.constraints.retain(|c| !c.uses(dialect, &name));
            t.columns.retain(|c| c.name != name);
            t.primary_key.retain(|c| c != &name);
            for constraint in constraints {
                if self.later {
                    self.cx.retire_constraint(table, &constraint);
                }
                self.effect(Action::DropConstraint {
                    table: table.to_string(),
                    constraint,
                });
            }
            if self.later {
                self.cx.retire(table, Some(&name));
            }
            self.effect(Action::DropColumn {
                table: table.to_string(),
                column: name,
            });
        }
        Some(())
    }

    /// Folds an ADD CONSTRAINT; a primary key added to an existing table becomes the
    /// model's key.
    fn alter_add_constraint(&mut self, table: &str, constraint: &TableConstraint) -> Option<()> {
        let mut t = self.cx.schema.table(table)?.clone();
        let mut indexes = Vec::new();
        let pk = t.primary_key.clone();
        let added = self.table_constraint(&mut t, &mut indexes, constraint);
        if t.primary_key != pk {
            // A primary key added to an existing table: the model's key now.
            let mut keyed = self.cx.schema.table(table)?.clone();
            keyed.primary_key = t.primary_key.clone();
            for c in &mut keyed.columns {
                if keyed.primary_key.contains(&c.name) {
                    c.nullable = false;
                }
            }
            self.effect(Action::SetPrimaryKey {
                table: table.to_string(),
                columns: keyed.primary_key.clone(),
                name: String::new(),
                replaces: pk,
            });
            t.primary_key = keyed.primary_key.clone();
            t.columns = keyed.columns.clone();
            self.cx.schema.tables.insert(table.to_string(), keyed);
        }
        if let Some(constraint) = added {
            self.cx.schema.tables.insert(table.to_string(), t);
            self.effect(Action::AddConstraint {
                table: table.to_string(),
                constraint,
            });
        }
        for index in indexes {
            self.add_index(index);
        }
        Some(())
    }

    /// Folds an ALTER COLUMN: nullability, default or type, one action each.
    fn alter_column(
        &mut self,
        table: &str,
        column_name: &Ident,
        op: &AlterColumnOperation,
        statement: &Statement,
    ) -> Option<()> {
        let name = &column_name.value;
        let Some(mut column) = self.column_in(table, name) else {
            self.note(
                true,
                format!(
                    "column `{table}.{name}` is not in the model: `{}` is not read",
                    short(statement)
                ),
            );
            return None;
        };
        let from = column.ty.clone();
        let action = match op {
            AlterColumnOperation::SetNotNull => {
                column.nullable = false;
                Action::SetNotNull {
                    table: table.to_string(),
                    column: column.clone(),
                }
            }
            AlterColumnOperation::DropNotNull => {
                column.nullable = true;
                Action::DropNotNull {
                    table: table.to_string(),
                    column: column.clone(),
                    placeholder: None,
                }
            }
            AlterColumnOperation::SetDefault { value } => {
                column.default = default_of(value, &column.ty);
                Action::SetDefault {
                    table: table.to_string(),
                    column: column.clone(),
                }
            }
            AlterColumnOperation::DropDefault => {
                column.default = None;
                Action::SetDefault {
                    table: table.to_string(),
                    column: column.clone(),
                }
            }
            AlterColumnOperation::SetDataType { data_type, .. } => {
                let (ty, exact) = map_type(data_type);
                if !exact {
                    self.note(false, format!("`{table}.{name}` is `{data_type}` in the SQL; the model reads it as {ty}"));
                }
                column.ty = ty;
                Action::AlterColumnType {
                    table: table.to_string(),
                    from,
                    column: column.clone(),
                }
            }
            _ => {
                self.unread(statement);
                return None;
            }
        };
        self.replace_column(table, name, column);
        self.effect(action);
        Some(())
    }

    fn replace_column(&mut self, table: &str, name: &str, column: Column) {
        if let Some(c) = self
            .cx
            .schema
            .tables
            .get_mut(table)
            .and_then(|t| t.column_mut(name))
        {
            *c = column;
        }
    }

    /// A column declared again (MySQL MODIFY / CHANGE): its type, nullability, default.
    fn redeclare(
        &mut self,
        table: &str,
        name: &str,
        new: &str,
        data_type: &sqlparser::ast::DataType,
        options: &[ColumnOption],
    ) {
        let Some(before) = self
            .cx
            .schema
            .table(table)
            .and_then(|t| t.column(name))
            .cloned()
        else {
            self.note(
                true,
                format!(
                    "column `{table}.{name}` is not in the model: its redeclaration is not read"
                ),
            );
            return;
        };
        let def = ColumnDef {
            name: Ident::new(new),
            data_type: data_type.clone(),
            options: options
                .iter()
                .map(|o| sqlparser::ast::ColumnOptionDef {
                    name: None,
                    option: o.clone(),
                })
                .collect(),
        };
        let Some(mut scratch) = self.cx.schema.table(table).cloned() else {
            return;
        };
        let column = self.column(&mut scratch, &def);
        let t = table.to_string();
        self.replace_column(table, name, column.clone());
        self.effect(Action::AlterColumnType {
            table: t.clone(),
            from: before.ty,
            column: column.clone(),
        });
        self.effect(if column.nullable {
            Action::DropNotNull {
                table: t.clone(),
                column: column.clone(),
                placeholder: None,
            }
        } else {
            Action::SetNotNull {
                table: t.clone(),
                column: column.clone(),
            }
        });
        self.effect(Action::SetDefault { table: t, column });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::{Action, RawEffect};
    use crate::model::{ConstraintKind, Default};
    use crate::types::{ColumnType, Literal};

    fn sql(expand: &str) -> String {
        format!("type = \"sql\"\nexpand = \"\"\"{expand}\"\"\"")
    }

    fn effects(steps: &[super::super::op::Step]) -> Vec<RawEffect> {
        steps
            .iter()
            .flat_map(|s| &s.actions)
            .flat_map(|a| match a {
                Action::Raw { effect, .. } => effect.clone(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn types_map_to_the_nearest_portable_type() {
        let read = |sql: &str| {
            let statements = super::read(
                &format!("CREATE TABLE t (c {sql})"),
                Some(crate::sql::Dialect::Postgres),
            )
            .unwrap();
            match &statements[0] {
                sqlparser::ast::Statement::CreateTable(ct) => {
                    super::map_type(&ct.columns[0].data_type)
                }
                _ => unreachable!(),
            }
        };
        assert_eq!(read("int"), (ColumnType::Integer, true));
        assert_eq!(read("INT8"), (ColumnType::BigInt, true));
        assert_eq!(
            read("character varying(40)"),
            (ColumnType::Varchar(40), true)
        );
        assert_eq!(read("numeric(10,2)"), (ColumnType::Decimal(10, 2), true));
        assert_eq!(
            read("timestamp with time zone"),
            (ColumnType::TimestampTz, true)
        );
        assert_eq!(read("timestamptz"), (ColumnType::TimestampTz, true));
        assert_eq!(read("double precision"), (ColumnType::Double, true));
        assert_eq!(read("bytea"), (ColumnType::Binary, true));
        assert_eq!(read("serial"), (ColumnType::Integer, false));
        assert_eq!(read("jsonb"), (ColumnType::Json, false));
        assert_eq!(read("inet"), (ColumnType::Text, false));
    }

    #[test]
    fn each_statement_is_read_on_its_own() {
        let pieces = super::read_each(
            "DROP INDEX CONCURRENTLY IF EXISTS users_email_idx; /* a; b */ VACUUM ANALYZE users;\n\
             FROBNICATE users; ALTER TABLE users DROP COLUMN nickname",
            Some(crate::sql::Dialect::Postgres),
        );
        assert!(
            matches!(
                pieces.as_slice(),
                [
                    super::Piece::Read(drop),
                    super::Piece::Maintenance,
                    super::Piece::Unreadable { text, .. },
                    super::Piece::Read(alter),
                ] if matches!(drop.as_ref(), sqlparser::ast::Statement::Drop { .. })
                    && text == "FROBNICATE users"
                    && matches!(alter.as_ref(), sqlparser::ast::Statement::AlterTable(_))
            ),
            "{pieces:#?}"
        );
    }

    #[test]
    fn a_primary_key_added_to_a_table_is_folded() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            &sql("CREATE TABLE events (id bigint NOT NULL, source varchar(40))"),
        )
        .unwrap();
        let steps = apply(
            &mut s,
            &sql("ALTER TABLE events ADD PRIMARY KEY (id, source)"),
        )
        .unwrap();
        let t = s.table("events").unwrap();
        assert_eq!(t.primary_key, ["id", "source"]);
        assert!(!t.column("source").unwrap().nullable);
        let effects: Vec<&Action> = steps
            .iter()
            .flat_map(|s| &s.actions)
            .flat_map(|a| match a {
                Action::Raw { effect, .. } => effect.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .filter_map(|e| match e {
                RawEffect::Action(a) => Some(a.as_ref()),
                _ => None,
            })
            .collect();
        assert!(
            effects.iter().any(|a| matches!(a, Action::SetPrimaryKey { columns, .. } if columns == &["id", "source"])),
            "{effects:?}"
        );
    }

    #[test]
    fn create_table_is_folded_with_its_keys() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            &sql("CREATE TABLE teams (id bigint PRIMARY KEY, name varchar(80) NOT NULL UNIQUE, \
                  owner_id bigint REFERENCES users (id) ON DELETE CASCADE, score integer DEFAULT -3, \
                  tag jsonb, CHECK (score > -10))"),
        )
        .unwrap();
        let t = s.table("teams").expect("folded");
        assert_eq!(t.primary_key, ["id"]);
        assert!(!t.column("id").unwrap().nullable);
        assert!(!t.column("name").unwrap().nullable);
        assert!(t.column("owner_id").unwrap().nullable);
        assert_eq!(
            t.column("score").unwrap().default,
            Some(Default::Literal(Literal::Int(-3)))
        );
        let names: Vec<&str> = t.constraints.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["teams_name_key", "teams_owner_id_fkey", "teams_check"]
        );
        assert!(matches!(
            &t.constraints[1].kind,
            ConstraintKind::ForeignKey { references, on_delete: Some(d), .. }
                if references == "users" && d == "cascade"
        ));
        assert!(matches!(
            effects(&steps).as_slice(),
            [RawEffect::Action(a)] if matches!(a.as_ref(), Action::CreateTable { .. })
        ));
    }

    #[test]
    fn alter_table_renames_drops_and_indexes_are_folded() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"sql\"\ncontract = \"\"\"ALTER TABLE users RENAME COLUMN nickname TO handle; \
             CREATE UNIQUE INDEX users_handle_idx ON users (handle); \
             ALTER TABLE users DROP COLUMN legacy_email; \
             ALTER TABLE users RENAME TO members\"\"\"",
        )
        .unwrap();
        assert!(s.table("users").is_none());
        let t = s.table("members").unwrap();
        assert_eq!(t.column_names(), ["id", "email", "handle"]);
        let index = s.indexes_named("users_handle_idx")[0];
        assert_eq!((index.table.as_str(), index.unique), ("members", true));
        // The drop ran under the rule: the column stays until then.
        assert!(s.is_physically_present("users", Some("legacy_email"), 1));
    }

    /// A raw-SQL rename folds into the model as the `rename_column` op does: the
    /// predicate, expressions and included columns of an index follow the column too.
    #[test]
    fn a_raw_sql_rename_renames_the_column_in_index_predicates_and_expressions() {
        let indexes = r#"
[[tables.users.indexes]]
name = "users_nick_part"
columns = ["id"]
where = "nickname IS NOT NULL"
[[tables.users.indexes]]
name = "users_nick_lower"
expressions = ["lower(nickname)"]
"#;
        let mut s = schema(&format!("{USERS}{indexes}"));
        apply(
            &mut s,
            "type = \"sql\"\ncontract = \"ALTER TABLE users RENAME COLUMN nickname TO handle\"",
        )
        .unwrap();
        let partial = &s.indexes_named("users_nick_part")[0].options;
        assert_eq!(partial.predicate.as_deref(), Some("handle IS NOT NULL"));
        let expression = &s.indexes_named("users_nick_lower")[0].options;
        assert_eq!(expression.expressions, ["lower(handle)"]);
    }

    #[test]
    fn destructive_statements_are_classified_against_the_model() {
        let destructive = |stmt: &str| {
            let mut s = schema(USERS);
            let file = crate::diag::SourceFile::new("x.toml", "");
            let cx = super::super::op::OpContext::new(
                &mut s,
                1,
                Some(2),
                crate::diag::Location::new(&file, 0..0),
                None,
                Some(crate::sql::Dialect::Postgres),
            );
            let statements = super::read(stmt, cx.dialect).unwrap();
            super::destructive(&statements[0], &cx)
        };
        assert!(destructive("ALTER TABLE users ALTER COLUMN email TYPE text").is_none());
        assert!(destructive("ALTER TABLE users ALTER COLUMN email TYPE varchar(20)").is_some());
        assert!(destructive("ALTER TABLE users ALTER COLUMN id TYPE integer").is_some());
        assert!(destructive("ALTER TABLE users ALTER COLUMN nickname SET NOT NULL").is_some());
        assert!(destructive("ALTER TABLE users ALTER COLUMN nickname DROP DEFAULT").is_some());
        assert!(destructive("ALTER TABLE users DROP CONSTRAINT users_key").is_some());
        assert!(destructive("DROP INDEX users_email_idx").is_some());
        assert!(destructive("DELETE FROM users").is_some());
        assert!(destructive("DELETE FROM users WHERE id = 1").is_none());
        assert!(destructive("TRUNCATE users").is_some());
        assert!(destructive("ALTER TABLE users ADD COLUMN bio text").is_none());
    }

    #[test]
    fn an_expand_drop_is_a_problem_and_a_contract_drop_waits() {
        let mut s = schema(USERS);
        let file = crate::diag::SourceFile::new("changes/0001_test.toml", "");
        let op = op(&sql("ALTER TABLE users DROP COLUMN nickname")).unwrap();
        let mut cx = super::super::op::OpContext::new(
            &mut s,
            1,
            Some(2),
            crate::diag::Location::new(&file, 0..0),
            None,
            Some(crate::sql::Dialect::Sqlite),
        );
        op.apply(&mut cx).unwrap();
        assert_eq!(cx.problems.len(), 1);
        assert_eq!(cx.problems[0].kind, crate::diag::Kind::Refused);

        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"sql\"\ncontract = \"ALTER TABLE users DROP COLUMN nickname\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:destructive SQL"]);
        let steps = apply(
            &mut s,
            "type = \"sql\"\ncontract = \"DROP TABLE users\"\ndestructive = false",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["contract"]);
        assert!(s.table("users").is_none());
    }
}
