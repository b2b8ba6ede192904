//! `tandem introspect`: a live database read back as a `schema.toml`, through each
//! dialect's catalogue: tables, columns (tandem's portable type where one maps to the
//! catalogue's, else the database's own type name), nullability, defaults, primary keys,
//! indexes, unique keys, foreign keys with their actions, and checks. What the model does
//! not cover (views, materialized views, triggers, functions, procedures, sequences no
//! column owns, extensions, events) is named in comments at the top of the output and in
//! a summary, never silently dropped. Table and column comments are read where the
//! dialect keeps them (Postgres, MySQL).

use super::adopt::{live_primary_key, text_rows};
use super::database::{Database, DbError};
use super::HISTORY_TABLE;
use crate::model::{Index, IndexOptions};
use crate::sql::Dialect;
use crate::toml_text::{key, list, quoted as q};

/// The schema.toml text, and what it leaves out.
#[derive(Debug)]
pub struct Introspection {
    pub toml: String,
    pub left_out: Vec<String>,
    pub tables: usize,
}

/// A column as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadColumn {
    pub name: String,
    /// tandem's type name (portable where one maps, else the catalogue's).
    pub ty: String,
    pub nullable: bool,
    pub default: Option<ReadDefault>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReadDefault {
    /// A TOML literal: a string, an integer, a float or a boolean, as TOML text.
    Literal(String),
    /// An SQL expression.
    Sql(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// Whether a table is the database's, not tandem's or refinery's bookkeeping.
pub fn is_user_table(name: &str) -> bool {
    name != HISTORY_TABLE && !name.starts_with("tandem_") && !name.starts_with("sqlite_")
}

/// Reads every user table of the database.
pub fn introspect(db: &mut Database) -> Result<Introspection, DbError> {
    let dialect = db.dialect();
    let tables: Vec<String> = db
        .table_names()?
        .into_iter()
        .filter(|t| is_user_table(t))
        .collect();
    let mut out = String::new();
    let left_out = left_out(db)?;
    out.push_str(&format!(
        "# Read back from a {} database by `tandem introspect`.\n",
        dialect.name()
    ));
    if left_out.is_empty() {
        out.push_str("# Nothing was left out.\n");
    } else {
        out.push_str("# Left out (not in tandem's model; keep them in `sql` ops):\n");
        for l in &left_out {
            out.push_str(&format!("#   {l}\n"));
        }
    }
    let mut enums = postgres_enums(db)?;
    for (name, values) in &enums {
        out.push_str(&format!(
            "\n[enums.{}]\nvalues = {}\n",
            key(name),
            list(values)
        ));
    }
    for table in &tables {
        out.push('\n');
        write_table(db, dialect, table, &mut out, &mut enums)?;
    }
    Ok(Introspection {
        toml: out,
        left_out,
        tables: tables.len(),
    })
}

fn write_table(
    db: &mut Database,
    dialect: Dialect,
    table: &str,
    out: &mut String,
    enums: &mut Vec<(String, Vec<String>)>,
) -> Result<(), DbError> {
    let t = key(table);
    let mut columns = read_columns(db, table)?;
    let numbered = identity_columns(db, table)?;
    let primary_key = live_primary_key(db, table)?;
    let (table_comment, column_comments) = comments(db, table)?;
    out.push_str(&format!("[tables.{t}]\n"));
    if let Some(name) = postgres_key_name(db, table)? {
        let default = crate::model::fit_identifier(format!("{table}_pkey"), 63);
        if name != default {
            // The model keeps no name for a primary key: one made with its table is
            // named as Postgres names it.
            out.push_str(&format!(
                "# the primary key is the constraint {name}; re-created, it is named {default}\n"
            ));
        }
    }
    if !primary_key.is_empty() {
        out.push_str(&format!("primary_key = {}\n", list(&primary_key)));
    }
    if let Some(text) = &table_comment {
        out.push_str(&format!("comment = {}\n", q(text)));
    }
    out.push_str(&format!("\n[tables.{t}.columns]\n"));
    for c in &mut columns {
        // A MySQL enum is its column's: declared as an enum named after the column.
        if let Some(values) = mysql_enum_values(dialect, &c.ty) {
            let name = format!("{table}_{}", c.name);
            out.insert_str(
                enum_slot(out),
                &format!("[enums.{}]\nvalues = {}\n\n", key(&name), list(&values)),
            );
            enums.push((name.clone(), values));
            c.ty = name;
        }
        let serial = matches!(&c.default, Some(ReadDefault::Sql(s)) if s.starts_with("nextval("));
        let identity = numbered.contains(&c.name) || serial;
        let mut fields = vec![format!("type = {}", q(&c.ty))];
        if identity {
            fields.push("identity = true".into());
            c.default = None;
        }
        if c.nullable && !primary_key.contains(&c.name) {
            fields.push("nullable = true".into());
        }
        match &c.default {
            Some(ReadDefault::Literal(l)) => fields.push(format!("default = {l}")),
            Some(ReadDefault::Sql(s)) => fields.push(format!("default_sql = {}", q(s))),
            None => {}
        }
        if let Some((_, text)) = column_comments.iter().find(|(n, _)| *n == c.name) {
            fields.push(format!("comment = {}", q(text)));
        }
        out.push_str(&format!("{} = {{ {} }}\n", key(&c.name), fields.join(", ")));
    }
    let uniques = unique_constraints(db, table)?;
    for (name, cols) in &uniques {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"unique\"\nname = {}\ncolumns = {}\n",
            q(name),
            list(cols)
        ));
    }
    for fk in foreign_keys(db, table)? {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"foreign_key\"\nname = {}\ncolumns = {}\nreferences = {}\n",
            q(&fk.name),
            list(&fk.columns),
            q(&format!("{}({})", fk.references, fk.referenced_columns.join(", ")))
        ));
        if let Some(action) = &fk.on_delete {
            out.push_str(&format!("on_delete = {}\n", q(action)));
        }
        if let Some(action) = &fk.on_update {
            out.push_str(&format!("on_update = {}\n", q(action)));
        }
        if fk.initially_deferred {
            out.push_str("initially_deferred = true\n");
        } else if fk.deferrable {
            out.push_str("deferrable = true\n");
        }
    }
    for (name, expr) in checks(db, dialect, table)? {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"check\"\nname = {}\ncheck = {}\n",
            q(&name),
            q(&expr)
        ));
    }
    let foreign_key_names: Vec<String> = foreign_keys(db, table)?
        .into_iter()
        .map(|f| f.name)
        .collect();
    for index in read_indexes(db, table)? {
        // MySQL keeps an index of its own, under the key's name, for every foreign key.
        if uniques.iter().any(|(n, _)| *n == index.name)
            || index.name.starts_with("tandem_")
            || (dialect == Dialect::Mysql && foreign_key_names.contains(&index.name))
        {
            continue;
        }
        out.push_str(&index_toml(&t, &index));
    }
    Ok(())
}

/// The name of a Postgres table's primary key constraint (other dialects name none).
fn postgres_key_name(db: &mut Database, table: &str) -> Result<Option<String>, DbError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(None);
    }
    let t = crate::sql::text::string_literal(Dialect::Postgres, table);
    Ok(text_rows(
        db,
        &format!(
            "SELECT con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
             WHERE c.relname = {t} AND c.relnamespace = current_schema()::regnamespace \
             AND con.contype = 'p'"
        ),
    )?
    .into_iter()
    .find_map(|r| r.into_iter().next()))
}

/// A table's comment and its columns' (column name, comment), as read back.
pub type Comments = (Option<String>, Vec<(String, String)>);

/// The comment of `table` and those of its columns (by name), where the dialect keeps
/// them: SQLite has none.
pub fn comments(db: &mut Database, table: &str) -> Result<Comments, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let (table_sql, columns_sql) = match db.dialect() {
        Dialect::Sqlite => return Ok((None, Vec::new())),
        Dialect::Postgres => (
            format!(
                "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c \
                 WHERE c.relname = {t} AND c.relnamespace = current_schema()::regnamespace \
                 AND obj_description(c.oid, 'pg_class') IS NOT NULL"
            ),
            format!(
                "SELECT a.attname, col_description(c.oid, a.attnum) FROM pg_attribute a \
                 JOIN pg_class c ON c.oid = a.attrelid \
                 WHERE c.relname = {t} AND c.relnamespace = current_schema()::regnamespace \
                 AND a.attnum > 0 AND NOT a.attisdropped \
                 AND col_description(c.oid, a.attnum) IS NOT NULL ORDER BY a.attnum"
            ),
        ),
        Dialect::Mysql => (
            format!(
                "SELECT table_comment FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = {t} AND table_comment <> ''"
            ),
            format!(
                "SELECT column_name, column_comment FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = {t} \
                 AND column_comment <> '' ORDER BY ordinal_position"
            ),
        ),
    };
    let table_comment = text_rows(db, &table_sql)?
        .into_iter()
        .find_map(|r| r.into_iter().next());
    let columns = text_rows(db, &columns_sql)?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .map(|[name, text]| (name, text))
        .collect();
    Ok((table_comment, columns))
}

/// One `[[tables.T.indexes]]` item, with the options the index has.
fn index_toml(t: &str, index: &Index) -> String {
    let mut out = format!("\n[[tables.{t}.indexes]]\n");
    for field in index_fields(index) {
        out.push_str(&field);
        out.push('\n');
    }
    out
}

/// An index's fields as schema and change files write them (`name = ...`,
/// `columns = [...]` with prefix lengths and DESC, `unique`, `where`, ...), only those
/// that say something.
pub fn index_fields(index: &Index) -> Vec<String> {
    let o = &index.options;
    let mut out = vec![format!("name = {}", q(&index.name))];
    let columns: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = c.clone();
            if let Some(n) = o.prefix.get(c) {
                part.push_str(&format!("({n})"));
            }
            if o.desc.contains(c) {
                part.push_str(" DESC");
            }
            part
        })
        .collect();
    if !columns.is_empty() {
        out.push(format!("columns = {}", list(&columns)));
    }
    if !o.expressions.is_empty() {
        out.push(format!("expressions = {}", list(&o.expressions)));
    }
    if index.unique {
        out.push("unique = true".into());
    }
    if o.fulltext {
        out.push("fulltext = true".into());
    }
    if let Some(m) = &o.method {
        out.push(format!("method = {}", q(m)));
    }
    if !o.include.is_empty() {
        out.push(format!("include = {}", list(&o.include)));
    }
    if !o.opclass.is_empty() {
        let classes: Vec<String> = o
            .opclass
            .iter()
            .map(|(c, class)| format!("{} = {}", key(c), q(class)))
            .collect();
        out.push(format!("opclass = {{ {} }}", classes.join(", ")));
    }
    if let Some(p) = &o.predicate {
        out.push(format!("where = {}", q(p)));
    }
    out
}

/// The indexes of `table` with their options (not the primary key's), as the model
/// holds them: key columns first, then expressions. Postgres and MySQL are read from
/// their catalogues; SQLite keeps an index's options only in its `CREATE INDEX`
/// statement, which is parsed.
pub fn read_indexes(db: &mut Database, table: &str) -> Result<Vec<Index>, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let mut out: Vec<Index> = Vec::new();
    let index_named = |out: &mut Vec<Index>, name: &str, unique: bool| -> usize {
        if out.last().is_none_or(|i| i.name != name) {
            out.push(Index {
                name: name.to_string(),
                table: table.to_string(),
                columns: Vec::new(),
                unique,
                options: IndexOptions::default(),
            });
        }
        out.len() - 1
    };
    match db.dialect() {
        Dialect::Postgres => {
            let sql = format!(
                "SELECT ic.relname, CASE WHEN i.indisunique THEN '1' ELSE '0' END, am.amname, \
                 COALESCE(pg_get_expr(i.indpred, i.indrelid, true), ''), \
                 CASE WHEN k.ord > i.indnkeyatts THEN '1' ELSE '0' END, \
                 COALESCE(a.attname, ''), pg_get_indexdef(i.indexrelid, k.ord, true), \
                 CASE WHEN k.ord <= i.indnkeyatts AND (i.indoption[k.ord - 1] & 1) = 1 \
                 THEN '1' ELSE '0' END, \
                 COALESCE(CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END, '') \
                 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
                 JOIN pg_class tc ON tc.oid = i.indrelid \
                 JOIN pg_am am ON am.oid = ic.relam \
                 CROSS JOIN LATERAL generate_series(1, i.indnatts::int) AS k(ord) \
                 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid \
                 AND a.attnum = i.indkey[k.ord - 1] AND i.indkey[k.ord - 1] <> 0 \
                 LEFT JOIN pg_opclass opc ON k.ord <= i.indnkeyatts \
                 AND opc.oid = i.indclass[k.ord - 1] \
                 WHERE tc.relname = {t} AND tc.relnamespace = current_schema()::regnamespace \
                 AND NOT i.indisprimary ORDER BY ic.relname, k.ord"
            );
            for r in text_rows(db, &sql)? {
                let [name, unique, method, predicate, included, column, def, desc, class] =
                    <[String; 9]>::try_from(r).unwrap_or_default();
                let n = index_named(&mut out, &name, unique == "1");
                let index = &mut out[n];
                let o = &mut index.options;
                o.method = (method != "btree").then_some(method);
                o.predicate = (!predicate.is_empty()).then(|| strip_parens(&predicate));
                if included == "1" {
                    o.include.push(column);
                    continue;
                }
                if column.is_empty() {
                    o.expressions.push(strip_parens(&def));
                    continue;
                }
                if desc == "1" {
                    o.desc.push(column.clone());
                }
                if !class.is_empty() {
                    o.opclass.insert(column.clone(), class);
                }
                index.columns.push(column);
            }
        }
        Dialect::Mysql => {
            let sql = format!(
                "SELECT index_name, CASE WHEN non_unique = 0 THEN '1' ELSE '0' END, index_type, \
                 COALESCE(column_name, ''), COALESCE(collation, 'A'), \
                 COALESCE(CAST(sub_part AS CHAR), '') \
                 FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = {t} AND index_name <> 'PRIMARY' \
                 ORDER BY index_name, seq_in_index"
            );
            for r in text_rows(db, &sql)? {
                let [name, unique, kind, column, collation, prefix] =
                    <[String; 6]>::try_from(r).unwrap_or_default();
                let n = index_named(&mut out, &name, unique == "1");
                let index = &mut out[n];
                let o = &mut index.options;
                match kind.to_ascii_uppercase().as_str() {
                    "FULLTEXT" => o.fulltext = true,
                    "HASH" => o.method = Some("hash".into()),
                    _ => {}
                }
                if collation.eq_ignore_ascii_case("D") {
                    o.desc.push(column.clone());
                }
                if let Ok(p) = prefix.parse::<u32>() {
                    o.prefix.insert(column.clone(), p);
                }
                index.columns.push(column);
            }
        }
        Dialect::Sqlite => {
            let sql = format!(
                "SELECT il.name, il.\"unique\", COALESCE(m.sql, '') \
                 FROM pragma_index_list({t}) AS il \
                 LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name \
                 WHERE il.origin <> 'pk' ORDER BY il.name"
            );
            for r in text_rows(db, &sql)? {
                let [name, unique, create] = <[String; 3]>::try_from(r).unwrap_or_default();
                if let Some(index) = sqlite_index(table, &name, unique == "1", &create) {
                    out.push(index);
                    continue;
                }
                // An index SQLite made for a UNIQUE in the table's statement: no SQL.
                let lit = crate::sql::text::string_literal(Dialect::Sqlite, &name);
                let columns = text_rows(
                    db,
                    &format!("SELECT name FROM pragma_index_info({lit}) ORDER BY seqno"),
                )?;
                let n = index_named(&mut out, &name, unique == "1");
                out[n].columns = columns
                    .into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .collect();
            }
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

/// The columns of `table`, with types folded into tandem's names.
pub fn read_columns(db: &mut Database, table: &str) -> Result<Vec<ReadColumn>, DbError> {
    let dialect = db.dialect();
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let sql = match dialect {
        Dialect::Sqlite => format!(
            "SELECT name, type, CASE WHEN \"notnull\" = 0 THEN 'YES' ELSE 'NO' END, \
             COALESCE(dflt_value, '') , CASE WHEN dflt_value IS NULL THEN 'NO' ELSE 'YES' END \
             FROM pragma_table_info({t}) ORDER BY cid"
        ),
        Dialect::Postgres => format!(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), \
             CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END, \
             COALESCE(pg_get_expr(d.adbin, d.adrelid), ''), \
             CASE WHEN d.adbin IS NULL THEN 'NO' ELSE 'YES' END \
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE c.relname = {t} AND c.relnamespace = current_schema()::regnamespace \
             AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        ),
        Dialect::Mysql => format!(
            "SELECT column_name, column_type, is_nullable, COALESCE(column_default, ''), \
             CASE WHEN column_default IS NULL OR UPPER(column_default) = 'NULL' \
             THEN 'NO' ELSE 'YES' END \
             FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = {t} ORDER BY ordinal_position"
        ),
    };
    let json = if dialect == Dialect::Mysql {
        json_columns(db, table)?
    } else {
        Vec::new()
    };
    Ok(text_rows(db, &sql)?
        .into_iter()
        .filter(|r| r.len() == 5)
        .map(|r| {
            let mut ty = portable_type(dialect, &r[1]);
            // MariaDB keeps json as longtext with a json_valid check of its own.
            if ty == "text" && json.contains(&r[0]) {
                ty = "json".into();
            }
            let default = (r[4] == "YES").then(|| typed_default(dialect, &ty, &r[3]));
            ReadColumn {
                name: r[0].clone(),
                ty,
                nullable: r[2].eq_ignore_ascii_case("yes"),
                default,
            }
        })
        .collect())
}

/// The columns of a MariaDB table that its own `json_valid` checks make json columns.
fn json_columns(db: &mut Database, table: &str) -> Result<Vec<String>, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let rows = text_rows(
        db,
        &format!(
            "SELECT constraint_name, check_clause FROM information_schema.check_constraints \
             WHERE constraint_schema = DATABASE() AND table_name = {t}"
        ),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let [name, clause] = <[String; 2]>::try_from(r).ok()?;
            let column = json_check_column(&clause)?;
            (column == name).then_some(column)
        })
        .collect())
}

/// `json_valid(`doc`)` -> `doc`.
fn json_check_column(clause: &str) -> Option<String> {
    let inner = clause
        .trim()
        .strip_prefix("json_valid(")?
        .strip_suffix(')')?
        .trim();
    Some(inner.trim_matches('`').to_string())
}

/// A column's default as tandem writes it for a column of type `ty` (tandem's name):
/// the catalogue's spelling of the same value folded into the one the model reads.
pub fn typed_default(dialect: Dialect, ty: &str, text: &str) -> ReadDefault {
    let base = ty.split('(').next().unwrap_or(ty);
    let numeric = matches!(
        base,
        "smallint" | "integer" | "bigint" | "real" | "double" | "decimal"
    );
    match read_default(dialect, text) {
        // MySQL and SQLite keep a boolean as 0 or 1.
        ReadDefault::Literal(l) if ty == "boolean" && (l == "1" || l == "0") => {
            ReadDefault::Literal(if l == "1" { "true" } else { "false" }.into())
        }
        // MySQL's year is a number in its catalogue; schema.toml writes it as a string.
        ReadDefault::Literal(l) if base == "year" && l.parse::<u32>().is_ok() => {
            ReadDefault::Literal(q(&l))
        }
        // Postgres writes a negative number as a typed string: '-3'::integer.
        ReadDefault::Literal(l) if numeric && toml_string(&l).is_some() => {
            let inner = toml_string(&l).unwrap_or_default();
            let inner = inner.as_str();
            if inner.parse::<f64>().is_ok() && !inner.contains(['e', 'E', 'n', 'N', 'i', 'I']) {
                ReadDefault::Literal(inner.to_string())
            } else {
                ReadDefault::Literal(l)
            }
        }
        // A time of day or a timestamp: MySQL pads the fraction to the column's six
        // digits, Postgres adds the session's offset to a timestamptz.
        ReadDefault::Literal(l) if matches!(base, "time" | "timestamp" | "timestamptz") => {
            let Some(mut v) = toml_string(&l) else {
                return ReadDefault::Literal(l);
            };
            if base == "timestamptz" && dialect == Dialect::Postgres && v.len() > 19 {
                if let Some(i) = v[19..].find(['+', '-']) {
                    v.truncate(19 + i);
                }
            }
            if let Some((whole, fraction)) = v.split_once('.') {
                let fraction = fraction.trim_end_matches('0');
                v = if fraction.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}.{fraction}")
                };
            }
            ReadDefault::Literal(q(&v))
        }
        // Postgres writes bytea in hex: '\x616263'::bytea. The model's literal is the
        // text of the bytes; other bytes stay an SQL default.
        ReadDefault::Literal(l) if base == "binary" && dialect == Dialect::Postgres => {
            let value = toml_string(&l).unwrap_or_default();
            let bytes = value.strip_prefix("\\x").and_then(|hex| {
                (hex.len() % 2 == 0)
                    .then(|| {
                        (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                            .collect::<Option<Vec<u8>>>()
                    })
                    .flatten()
            });
            match bytes.and_then(|b| String::from_utf8(b).ok()) {
                Some(s) if !s.contains(['\\', '\0']) => ReadDefault::Literal(q(&s)),
                _ => ReadDefault::Sql(text.trim().to_string()),
            }
        }
        // MariaDB writes the characters beyond ASCII of an expression default (tandem
        // writes a text's literal default as one) as bytes:
        // concat('caf',char(195,169 using utf8mb4)).
        ReadDefault::Sql(s) if dialect == Dialect::Mysql && mariadb_concat(&s).is_some() => {
            ReadDefault::Literal(q(&mariadb_concat(&s).unwrap_or_default()))
        }
        // MariaDB writes CURRENT_TIMESTAMP as current_timestamp(6) for a column with
        // six digits of fraction, which is what tandem makes of it.
        ReadDefault::Sql(s)
            if dialect == Dialect::Mysql
                && matches!(base, "timestamp" | "timestamptz")
                && s.eq_ignore_ascii_case("current_timestamp(6)") =>
        {
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        }
        // And CURRENT_DATE as curdate().
        ReadDefault::Sql(s)
            if dialect == Dialect::Mysql
                && base == "date"
                && s.eq_ignore_ascii_case("curdate()") =>
        {
            ReadDefault::Sql("CURRENT_DATE".into())
        }
        other => other,
    }
}

/// The portable type a catalogue's type name stands for, where tandem writes that type
/// so; else the catalogue's own name.
pub fn portable_type(dialect: Dialect, live: &str) -> String {
    // Folding MySQL's display widths would lose `unsigned`.
    let t = super::adopt::canonical_type(dialect, live);
    if dialect == Dialect::Mysql && t.ends_with(" unsigned") {
        // Without MariaDB's display width: `int(10) unsigned` is `int unsigned`.
        return native_type(dialect, &t);
    }
    let (base, args) = match t.find('(') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t.as_str(), ""),
    };
    let decimal = |args: &str| format!("decimal{args}");
    match (dialect, base) {
        (_, "smallint" | "integer" | "bigint" | "date" | "text") if args.is_empty() => base.into(),
        (Dialect::Postgres, "boolean" | "real" | "uuid" | "timestamp" | "timestamptz" | "time") => {
            base.into()
        }
        (Dialect::Postgres, "double precision") => "double".into(),
        (Dialect::Postgres, "numeric") if !args.is_empty() => decimal(args),
        (Dialect::Postgres, "jsonb") => "json".into(),
        (Dialect::Postgres, "bytea") => "binary".into(),
        (_, "varchar" | "char") if !args.is_empty() => format!("{base}{args}"),
        (Dialect::Mysql, "tinyint") if args == "(1)" => "boolean".into(),
        (Dialect::Mysql, "float") if args.is_empty() => "real".into(),
        (Dialect::Mysql, "double") if args.is_empty() => "double".into(),
        (Dialect::Mysql, "decimal") if !args.is_empty() => decimal(args),
        (Dialect::Mysql, "longtext") => "text".into(),
        (Dialect::Mysql, "longblob") => "binary".into(),
        (Dialect::Mysql, "time") if args == "(6)" => "time".into(),
        (Dialect::Mysql, "datetime") if args == "(6)" => "timestamp".into(),
        (Dialect::Mysql, "timestamp") if args == "(6)" => "timestamptz".into(),
        // SQLite has no time zone type: tandem writes timestamptz as timestamp there, and
        // it reads back as timestamp.
        (Dialect::Sqlite, "boolean" | "real" | "double" | "time" | "timestamp")
            if args.is_empty() =>
        {
            base.into()
        }
        (Dialect::Sqlite, "decimal") if !args.is_empty() => decimal(args),
        (Dialect::Sqlite, "blob") => "binary".into(),
        _ => native_type(dialect, &t),
    }
}

/// A catalogue type tandem knows as a native type of the dialect, written as tandem
/// writes it (`time with time zone` is `timetz`); the catalogue's text otherwise (an
/// enum's name, or a type the model does not cover).
fn native_type(dialect: Dialect, canonical: &str) -> String {
    match crate::sql::types::parse(Some(dialect), canonical, Some(&[])) {
        Ok(p) if !p.identity => p.ty.to_string(),
        _ => canonical.to_string(),
    }
}

/// Where the enums of the output go: before the first table.
fn enum_slot(out: &str) -> usize {
    out.find("\n[tables.").map_or(out.len(), |i| i + 1)
}

/// The values of a MySQL `enum('a','b')` column type.
fn mysql_enum_values(dialect: Dialect, ty: &str) -> Option<Vec<String>> {
    if dialect != Dialect::Mysql {
        return None;
    }
    let inner = ty.strip_prefix("enum('")?.strip_suffix("')")?;
    Some(inner.split("','").map(|v| v.replace("''", "'")).collect())
}

/// Postgres enum types with their values in order (MySQL keeps an enum in its column,
/// SQLite has none).
fn postgres_enums(db: &mut Database) -> Result<Vec<(String, Vec<String>)>, DbError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    let rows = text_rows(
        db,
        "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
         WHERE t.typnamespace = current_schema()::regnamespace \
         ORDER BY t.typname, e.enumsortorder",
    )?;
    Ok(group(rows))
}

/// The columns of `table` that the database numbers: Postgres identity (and serial, read
/// from its `nextval` default by the caller), MySQL `AUTO_INCREMENT`, SQLite's
/// single-column INTEGER PRIMARY KEY (the rowid's alias, which numbers a row inserted
/// without it: what tandem writes for an identity column there).
fn identity_columns(db: &mut Database, table: &str) -> Result<Vec<String>, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let sql = match db.dialect() {
        Dialect::Postgres => format!(
            "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relname = {t} AND c.relnamespace = current_schema()::regnamespace \
             AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity IN ('a', 'd')"
        ),
        Dialect::Mysql => format!(
            "SELECT column_name FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = {t} \
             AND extra LIKE '%auto_increment%'"
        ),
        Dialect::Sqlite => {
            let keys = text_rows(
                db,
                &format!("SELECT name, type FROM pragma_table_info({t}) WHERE pk > 0"),
            )?;
            return Ok(match keys.as_slice() {
                [key] if key.len() == 2 && key[1].eq_ignore_ascii_case("integer") => {
                    vec![key[0].clone()]
                }
                _ => Vec::new(),
            });
        }
    };
    Ok(text_rows(db, &sql)?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect())
}

/// A catalogue's default text as a TOML literal where it is one, else as SQL.
pub fn read_default(dialect: Dialect, text: &str) -> ReadDefault {
    let text = text.trim();
    // Postgres writes a typed literal: 'abc'::character varying.
    let literal_part = match dialect {
        Dialect::Postgres => match text.rfind("::") {
            Some(i) if text[..i].ends_with('\'') => &text[..i],
            _ => text,
        },
        _ => text,
    };
    if dialect == Dialect::Mysql {
        if let Some(inner) = mysql_string(literal_part) {
            return ReadDefault::Literal(q(&inner));
        }
    } else if literal_part.len() >= 2
        && literal_part.starts_with('\'')
        && literal_part.ends_with('\'')
        && !literal_part[1..literal_part.len() - 1]
            .replace("''", "")
            .contains('\'')
    {
        let inner = literal_part[1..literal_part.len() - 1].replace("''", "'");
        return ReadDefault::Literal(q(&inner));
    }
    if literal_part.parse::<i64>().is_ok() {
        return ReadDefault::Literal(literal_part.to_string());
    }
    if literal_part.parse::<f64>().is_ok() && literal_part.contains('.') {
        return ReadDefault::Literal(literal_part.to_string());
    }
    match (dialect, literal_part) {
        (Dialect::Postgres, "true" | "false") => ReadDefault::Literal(literal_part.into()),
        _ => ReadDefault::Sql(text.to_string()),
    }
}

/// The string a TOML string value holds; `None` for another value.
fn toml_string(value: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(&format!("v = {value}")).ok()?;
    doc.get("v")?.as_str().map(str::to_string)
}

/// The string MariaDB's `concat('caf',char(195,169 using utf8mb4))` spells; `None`
/// for any other expression.
fn mariadb_concat(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix("concat(")?.strip_suffix(')')?;
    // The arguments, split at the commas outside literals and parentheses.
    let mut args = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0, false, false, 0);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(&inner[start..]);
    let mut out = String::new();
    for arg in args {
        let arg = arg.trim();
        if arg.starts_with('\'') {
            out.push_str(&mysql_string(arg)?);
            continue;
        }
        let codes = arg.strip_prefix("char(")?.strip_suffix(" using utf8mb4)")?;
        let bytes = codes
            .split(',')
            .map(|n| n.trim().parse::<u8>().ok())
            .collect::<Option<Vec<u8>>>()?;
        out.push_str(&String::from_utf8(bytes).ok()?);
    }
    Some(out)
}

/// The value of one MariaDB string literal as its catalogue writes a default
/// (`'it\'s'`, `'a''b'`, `'C:\\'`); `None` when `text` is not exactly one literal.
fn mysql_string(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'b' => '\u{8}',
                'Z' => '\u{1a}',
                other => other,
            }),
            '\'' => {
                // Only a doubled quote may stand inside the literal.
                if chars.next()? != '\'' {
                    return None;
                }
                out.push('\'');
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// Named unique constraints (Postgres keeps them apart from unique indexes; MySQL and
/// SQLite do not, so their unique keys read back as unique indexes).
pub(super) fn unique_constraints(
    db: &mut Database,
    table: &str,
) -> Result<Vec<(String, Vec<String>)>, DbError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let rows = text_rows(
        db,
        &format!(
            "SELECT c.conname, a.attname FROM pg_constraint c \
             JOIN pg_class tc ON tc.oid = c.conrelid \
             CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             WHERE c.contype = 'u' AND tc.relname = {t} \
             AND tc.relnamespace = current_schema()::regnamespace ORDER BY c.conname, k.ord"
        ),
    )?;
    Ok(group(rows))
}

/// Rows of (name, column) into (name, columns) in order.
fn group(rows: Vec<Vec<String>>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        let [name, column] = <[String; 2]>::try_from(r).unwrap_or_default();
        match out.last_mut() {
            Some((n, cols)) if *n == name => cols.push(column),
            _ => out.push((name, vec![column])),
        }
    }
    out
}

/// A delete or update rule as tandem writes it; `None` for the default (no action). MySQL treats
/// RESTRICT as the default and reports it for a key that named none.
fn action_word(dialect: Dialect, code: &str) -> Option<String> {
    let word = match code.trim().to_ascii_uppercase().as_str() {
        "C" | "CASCADE" => "cascade",
        "N" | "SET NULL" => "set null",
        "RESTRICT" if dialect == Dialect::Mysql => return None,
        "R" | "RESTRICT" => "restrict",
        _ => return None,
    };
    Some(word.into())
}

/// The foreign keys of `table`, columns in order.
pub fn foreign_keys(db: &mut Database, table: &str) -> Result<Vec<ReadForeignKey>, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let dialect = db.dialect();
    let sql = match db.dialect() {
        Dialect::Postgres => format!(
            "SELECT c.conname, a.attname, rt.relname, ra.attname, c.confdeltype::text, \
             c.confupdtype::text, CASE WHEN c.condeferrable THEN '1' ELSE '0' END, \
             CASE WHEN c.condeferred THEN '1' ELSE '0' END \
             FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
             JOIN pg_class rt ON rt.oid = c.confrelid \
             CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
             WHERE c.contype = 'f' AND tc.relname = {t} \
             AND tc.relnamespace = current_schema()::regnamespace ORDER BY c.conname, k.ord"
        ),
        Dialect::Mysql => format!(
            "SELECT k.constraint_name, k.column_name, k.referenced_table_name, \
             k.referenced_column_name, r.delete_rule, r.update_rule, '0', '0' \
             FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r \
             ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
             AND r.table_name = k.table_name \
             WHERE k.table_schema = DATABASE() AND k.table_name = {t} \
             AND k.referenced_table_name IS NOT NULL \
             ORDER BY k.constraint_name, k.ordinal_position"
        ),
        Dialect::Sqlite => format!(
            "SELECT CAST(id AS TEXT), \"from\", \"table\", \"to\", on_delete, on_update, \
             '0', '0' FROM pragma_foreign_key_list({t}) ORDER BY id, seq"
        ),
    };
    let mut out: Vec<ReadForeignKey> = Vec::new();
    for r in text_rows(db, &sql)? {
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
    if db.dialect() == Dialect::Sqlite {
        for fk in &mut out {
            fk.name = format!("{table}_{}_fkey", fk.columns.join("_"));
        }
    }
    Ok(out)
}

/// The checks of `table`, named (SQLite keeps them only in the table's statement, which
/// is parsed; a check written there without a name is named `<table>_check<n>`).
pub(super) fn checks(
    db: &mut Database,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let t = crate::sql::text::string_literal(db.dialect(), table);
    let sql = match dialect {
        Dialect::Sqlite => {
            let create = text_rows(
                db,
                &format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {t}"),
            )?;
            let create = create.into_iter().flatten().next().unwrap_or_default();
            return Ok(sqlite_checks(table, &create).unwrap_or_default());
        }
        Dialect::Postgres => format!(
            "SELECT c.conname, pg_get_constraintdef(c.oid, true) FROM pg_constraint c \
             JOIN pg_class tc ON tc.oid = c.conrelid \
             WHERE c.contype = 'c' AND tc.relname = {t} \
             AND tc.relnamespace = current_schema()::regnamespace ORDER BY c.conname"
        ),
        Dialect::Mysql => format!(
            "SELECT cc.constraint_name, cc.check_clause \
             FROM information_schema.table_constraints tc \
             JOIN information_schema.check_constraints cc \
             ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name \
             WHERE tc.table_schema = DATABASE() AND tc.table_name = {t} \
             AND tc.constraint_type = 'CHECK' ORDER BY cc.constraint_name"
        ),
    };
    Ok(text_rows(db, &sql)?
        .into_iter()
        .filter_map(|r| {
            let [name, def] = <[String; 2]>::try_from(r).ok()?;
            if name.starts_with("tandem_") {
                return None;
            }
            let expr = def
                .trim()
                .strip_prefix("CHECK ")
                .map(|e| e.trim().to_string())
                .unwrap_or(def.clone());
            // MariaDB's own check on a json column.
            if expr.to_ascii_lowercase().starts_with("json_valid(") {
                return None;
            }
            Some((name, strip_parens(&expr)))
        })
        .collect())
}

/// The checks of a SQLite table's `CREATE TABLE` statement; `None` where it does not
/// parse.
fn sqlite_checks(table: &str, create: &str) -> Option<Vec<(String, String)>> {
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

/// How the live index `live` differs from `want` in its options, as phrases ("its
/// `where` is `a > 0` in the database but none"), with `expected` naming where `want`
/// comes from. Spellings of the same thing are no difference: `btree` is every
/// dialect's default method (and InnoDB builds a `hash` index as one), and a predicate
/// or expression is compared through [`canonical_sql`].
pub fn index_option_differences(
    dialect: Dialect,
    want: &Index,
    live: &Index,
    expected: &str,
) -> Vec<String> {
    let (w, l) = (&want.options, &live.options);
    let method = |m: &Option<String>| match m.as_deref() {
        None | Some("btree") => None,
        Some("hash") if dialect == Dialect::Mysql => None,
        Some(m) => Some(m.to_string()),
    };
    let sql = |e: &Option<String>| e.as_deref().map(|e| canonical_sql(dialect, e));
    let exprs = |e: &[String]| {
        e.iter()
            .map(|x| canonical_sql(dialect, x))
            .collect::<Vec<_>>()
    };
    let show = |v: &dyn std::fmt::Debug| format!("{v:?}");
    let mut out = Vec::new();
    let mut differ = |what: &str, live: String, want: String| {
        out.push(format!(
            "its {what} is {live} in the database but {want} in {expected}"
        ));
    };
    if sql(&l.predicate) != sql(&w.predicate) {
        differ("`where`", show(&l.predicate), show(&w.predicate));
    }
    if method(&l.method) != method(&w.method) {
        differ("method", show(&method(&l.method)), show(&method(&w.method)));
    }
    if l.include != w.include {
        differ("`include`", show(&l.include), show(&w.include));
    }
    if exprs(&l.expressions) != exprs(&w.expressions) {
        differ("`expressions`", show(&l.expressions), show(&w.expressions));
    }
    if l.opclass != w.opclass {
        differ("`opclass`", show(&l.opclass), show(&w.opclass));
    }
    let mut desc = (l.desc.clone(), w.desc.clone());
    desc.0.sort();
    desc.1.sort();
    if desc.0 != desc.1 {
        differ("DESC columns", show(&desc.0), show(&desc.1));
    }
    if l.prefix != w.prefix {
        differ("prefix lengths", show(&l.prefix), show(&w.prefix));
    }
    if l.fulltext != w.fulltext {
        differ("fulltext", show(&l.fulltext), show(&w.fulltext));
    }
    out
}

/// A foreign key rule in one spelling: `None` for the default, which `no action` is,
/// and on MySQL `restrict` too (InnoDB makes them one and reports either as RESTRICT).
pub fn fk_action(dialect: Dialect, action: Option<&str>) -> Option<String> {
    match action {
        None | Some("no action") => None,
        Some("restrict") if dialect == Dialect::Mysql => None,
        Some(a) => Some(a.to_string()),
    }
}

/// An SQL expression (a check, an index's predicate or expression, an SQL default) in
/// one spelling, so that two spellings of the same expression compare equal: the
/// database gives back its own (Postgres parenthesises each operand, MariaDB quotes
/// names and writes keywords in lower case). Parentheses that only group are dropped
/// (the tree keeps the grouping: every operation is written in parentheses),
/// identifiers lose their quotes and their case, function names their case. Text that
/// does not parse as an expression is compared with its blanks folded.
pub fn canonical_sql(dialect: Dialect, text: &str) -> String {
    use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};
    use sqlparser::parser::Parser;
    let parsed = match dialect {
        Dialect::Postgres => Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
        Dialect::Mysql => Parser::new(&MySqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
        Dialect::Sqlite => Parser::new(&SQLiteDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
    };
    match parsed {
        Ok(e) => canonical_expr(&e),
        Err(_) => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn canonical_expr(e: &sqlparser::ast::Expr) -> String {
    use sqlparser::ast::{
        Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
    };
    match e {
        Expr::Nested(inner) => canonical_expr(inner),
        Expr::Identifier(id) => id.value.to_ascii_lowercase(),
        Expr::CompoundIdentifier(ids) => ids
            .iter()
            .map(|i| i.value.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("."),
        Expr::BinaryOp { left, op, right } => {
            format!("({} {op} {})", canonical_expr(left), canonical_expr(right))
        }
        // Postgres writes a negative number as a typed string: '-5'::integer.
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if matches!(expr.as_ref(), Expr::Value(v) if matches!(v.value, Value::Number(..))) => {
            format!("-{expr}")
        }
        Expr::Cast { expr, .. }
            if matches!(expr.as_ref(), Expr::Value(v)
                if matches!(&v.value, Value::SingleQuotedString(s) if s.parse::<f64>().is_ok())) =>
        {
            match expr.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                },
                other => other.to_string(),
            }
        }
        // A constant's type is its column's: Postgres casts the literals of a check
        // as it stores it, and again, element by element, when it is read and made
        // again (`ARRAY['a'::varchar]::text[]`, then `ARRAY['a'::varchar::text]`).
        Expr::Cast { expr, .. } if constant(expr) => canonical_expr(expr),
        // A column cast to the type its operator or function takes, as Postgres writes
        // the implicit cast it added: lower(email::text) for lower(email).
        Expr::Cast { expr, .. }
            if matches!(
                unnested(expr),
                Expr::Identifier(_) | Expr::CompoundIdentifier(_)
            ) =>
        {
            canonical_expr(expr)
        }
        Expr::Array(a) => format!(
            "ARRAY[{}]",
            a.elem
                .iter()
                .map(canonical_expr)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => format!(
            "({} {compare_op} ANY({}))",
            canonical_expr(left),
            canonical_expr(right)
        ),
        Expr::UnaryOp { op, expr } => format!("({op} {})", canonical_expr(expr)),
        Expr::IsNull(x) => format!("({} IS NULL)", canonical_expr(x)),
        Expr::IsNotNull(x) => format!("({} IS NOT NULL)", canonical_expr(x)),
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            match &f.args {
                FunctionArguments::None => name,
                FunctionArguments::List(list)
                    if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
                {
                    let args: Vec<String> = list
                        .args
                        .iter()
                        .map(|a| match a {
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => canonical_expr(x),
                            other => other.to_string(),
                        })
                        .collect();
                    format!("{name}({})", args.join(", "))
                }
                _ => e.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// `e` without the parentheses around it.
fn unnested(e: &sqlparser::ast::Expr) -> &sqlparser::ast::Expr {
    match e {
        sqlparser::ast::Expr::Nested(inner) => unnested(inner),
        other => other,
    }
}

/// Whether `e` is a literal, a cast of one, or an array of those.
fn constant(e: &sqlparser::ast::Expr) -> bool {
    use sqlparser::ast::Expr;
    match e {
        Expr::Value(_) => true,
        Expr::Cast { expr, .. } | Expr::Nested(expr) => constant(expr),
        Expr::Array(a) => a.elem.iter().all(constant),
        _ => false,
    }
}

/// `((a > 0))` -> `a > 0`, where the outer parentheses wrap the whole expression.
fn strip_parens(expr: &str) -> String {
    let mut e = expr.trim();
    while e.starts_with('(') && e.ends_with(')') && wraps(e) {
        e = e[1..e.len() - 1].trim();
    }
    e.to_string()
}

fn wraps(e: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in e.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i != e.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// What the database has that the model does not cover, counted by kind.
fn left_out(db: &mut Database) -> Result<Vec<String>, DbError> {
    let queries: &[(&str, &str)] = match db.dialect() {
        Dialect::Postgres => &[
            ("view", "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema() ORDER BY 1"),
            ("trigger", "SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE trigger_schema = current_schema() AND trigger_name NOT LIKE 'tandem%' ORDER BY 1"),
            ("materialized view", "SELECT matviewname FROM pg_matviews WHERE schemaname = current_schema() ORDER BY 1"),
            // An extension's own functions come with the extension, named below.
            ("function", "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind IN ('f', 'w') AND p.proname NOT LIKE 'tandem%' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"),
            ("aggregate", "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'a' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"),
            ("procedure", "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'p' AND p.proname NOT LIKE 'tandem%' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"),
            // A sequence a column owns (serial, identity) goes with its column.
            ("sequence", "SELECT c.relname FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) ORDER BY 1"),
            ("extension", "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1"),
        ],
        Dialect::Mysql => &[
            ("view", "SELECT table_name FROM information_schema.views WHERE table_schema = DATABASE() ORDER BY 1"),
            ("trigger", "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name NOT LIKE 'tandem%' ORDER BY 1"),
            ("function", "SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'FUNCTION' AND routine_name NOT LIKE 'tandem%' ORDER BY 1"),
            ("procedure", "SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'PROCEDURE' AND routine_name NOT LIKE 'tandem%' ORDER BY 1"),
            ("event", "SELECT event_name FROM information_schema.events WHERE event_schema = DATABASE() ORDER BY 1"),
        ],
        Dialect::Sqlite => &[
            ("view", "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY 1"),
            ("trigger", "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name NOT LIKE 'tandem%' ORDER BY 1"),
        ],
    };
    let mut out = Vec::new();
    for (kind, sql) in queries {
        let names: Vec<String> = text_rows(db, sql)?
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect();
        if !names.is_empty() {
            out.push(format!("{} {kind}(s): {}", names.len(), names.join(", ")));
        }
    }
    // SQLite keeps checks only in each table's statement: one that does not parse
    // keeps its checks from being read.
    if db.dialect() == Dialect::Sqlite {
        let unread: Vec<String> = text_rows(
            db,
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL \
             ORDER BY 1",
        )?
        .into_iter()
        .filter_map(|r| <[String; 2]>::try_from(r).ok())
        .filter(|[name, create]| is_user_table(name) && sqlite_checks(name, create).is_none())
        .map(|[name, _]| name)
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_types_map_back_to_portable_ones() {
        assert_eq!(
            portable_type(Dialect::Postgres, "character varying(255)"),
            "varchar(255)"
        );
        assert_eq!(
            portable_type(Dialect::Postgres, "timestamp with time zone"),
            "timestamptz"
        );
        assert_eq!(
            portable_type(Dialect::Postgres, "numeric(10,2)"),
            "decimal(10,2)"
        );
        assert_eq!(portable_type(Dialect::Postgres, "jsonb"), "json");
        assert_eq!(portable_type(Dialect::Postgres, "inet"), "inet");
        assert_eq!(portable_type(Dialect::Mysql, "bigint(20)"), "bigint");
        assert_eq!(portable_type(Dialect::Mysql, "tinyint(1)"), "boolean");
        assert_eq!(portable_type(Dialect::Mysql, "datetime(6)"), "timestamp");
        assert_eq!(portable_type(Dialect::Sqlite, "varchar(40)"), "varchar(40)");
        // MariaDB's display widths are not part of the type, unsigned or not.
        assert_eq!(
            portable_type(Dialect::Mysql, "bigint(20) unsigned"),
            "bigint unsigned"
        );
        assert_eq!(
            portable_type(Dialect::Mysql, "int(10) unsigned"),
            "int unsigned"
        );
        assert_eq!(portable_type(Dialect::Mysql, "tinyint(4)"), "tinyint");
        assert_eq!(portable_type(Dialect::Mysql, "mediumint(9)"), "mediumint");
        assert_eq!(portable_type(Dialect::Mysql, "year(4)"), "year");
    }

    #[test]
    fn a_servers_spelling_of_an_expression_is_the_same_expression() {
        let pg = |a| canonical_sql(Dialect::Postgres, a);
        let my = |a| canonical_sql(Dialect::Mysql, a);
        assert_eq!(
            pg("(score >= 0) AND (score < 100)"),
            pg("score >= 0 AND score < 100")
        );
        assert_eq!(
            my("`score` >= 0 and `score` < 100"),
            pg("score >= 0 AND score < 100")
        );
        assert_eq!(pg("(a OR b) AND c"), pg("((a OR b)) AND (c)"));
        assert_ne!(pg("(a OR b) AND c"), pg("a OR (b AND c)"));
        assert_eq!(my("LOWER(`Name`)"), pg("lower(name)"));
        assert_ne!(pg("name = 'A'"), pg("name = 'a'"));
        assert_eq!(pg("c > '-5'::integer"), pg("c > -5"));
        assert_eq!(pg("lower((email)::text)"), pg("lower(email)"));
        assert_eq!(
            pg("m::text = ANY (ARRAY['P'::character varying, 'G'::character varying]::text[])"),
            pg("m::text = ANY (ARRAY['P'::character varying::text, 'G'::character varying::text])")
        );
        assert_ne!(
            pg("m::text = ANY (ARRAY['P'::character varying]::text[])"),
            pg("m::text = ANY (ARRAY['G'::character varying]::text[])")
        );
        assert_ne!(pg("c > '-5'::integer"), pg("c > 5"));
    }

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
        assert_eq!(
            json_check_column("json_valid(`doc`)").as_deref(),
            Some("doc")
        );
    }

    #[test]
    fn a_mysql_year_default_reads_back_as_the_string_schema_toml_takes() {
        assert_eq!(
            typed_default(Dialect::Mysql, "year", "2024"),
            ReadDefault::Literal("\"2024\"".into())
        );
    }

    #[test]
    fn defaults_read_back_as_literals_or_sql() {
        assert_eq!(
            read_default(Dialect::Postgres, "'it''s'::character varying"),
            ReadDefault::Literal("\"it's\"".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "0"),
            ReadDefault::Literal("0".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "true"),
            ReadDefault::Literal("true".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "CURRENT_TIMESTAMP"),
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            read_default(Dialect::Mysql, "'free'"),
            ReadDefault::Literal("\"free\"".into())
        );
        assert_eq!(strip_parens("((id > 0))"), "id > 0");
        // Postgres writes a negative number as a typed string; MariaDB escapes quotes
        // with a backslash and pads a time's fraction; Postgres adds an offset.
        assert_eq!(
            typed_default(Dialect::Postgres, "smallint", "'-3'::smallint"),
            ReadDefault::Literal("-3".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "text", "'-3'::text"),
            ReadDefault::Literal("\"-3\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "text", r"'it\'s a \\ ''x'''"),
            ReadDefault::Literal(q(r"it's a \ 'x'"))
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "time", "'08:30:00.500000'"),
            ReadDefault::Literal("\"08:30:00.5\"".into())
        );
        assert_eq!(
            typed_default(
                Dialect::Postgres,
                "timestamptz",
                "'2024-01-31 08:30:00+00'::timestamp with time zone"
            ),
            ReadDefault::Literal("\"2024-01-31 08:30:00\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "timestamptz", "current_timestamp(6)"),
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "binary", "'\\x616263'::bytea"),
            ReadDefault::Literal("\"abc\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "binary", "'\\x00ff'::bytea"),
            ReadDefault::Sql("'\\x00ff'::bytea".into())
        );
        assert_eq!(
            typed_default(
                Dialect::Mysql,
                "text",
                "concat('caf',char(195,169 using utf8mb4),' ''x''')"
            ),
            ReadDefault::Literal(q("café 'x'"))
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "text", "concat(a, b)"),
            ReadDefault::Sql("concat(a, b)".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "date", "curdate()"),
            ReadDefault::Sql("CURRENT_DATE".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "boolean", "1"),
            ReadDefault::Literal("true".into())
        );
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
    }
}
