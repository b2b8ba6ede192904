//! `tandem introspect`: a live database read back as a `schema.toml`, through each
//! dialect's catalogue: tables, columns (tandem's portable type where one maps to the
//! catalogue's, else the database's own type name), nullability, defaults, primary keys,
//! indexes, unique keys, foreign keys with their actions, and checks. What the model does
//! not cover (views, materialized views, triggers, functions, procedures, sequences no
//! column owns, extensions, events) is named in comments at the top of the output and in
//! a summary, never silently dropped. Table and column comments are read where the
//! dialect keeps them (Postgres, MySQL).

use super::adopt::{live_indexes, live_primary_key, text_rows};
use super::database::{Database, DbError};
use super::HISTORY_TABLE;
use crate::config::Dialect;
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
        if c.nullable {
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
    for index in live_indexes(db, table)? {
        // MySQL keeps an index of its own, under the key's name, for every foreign key.
        if uniques.iter().any(|(n, _)| *n == index.name)
            || index.name.starts_with("tandem_")
            || (dialect == Dialect::Mysql && foreign_key_names.contains(&index.name))
        {
            continue;
        }
        out.push_str(&format!(
            "\n[[tables.{t}.indexes]]\nname = {}\ncolumns = {}\n",
            q(&index.name),
            list(&index.columns)
        ));
        if index.unique {
            out.push_str("unique = true\n");
        }
    }
    Ok(())
}

/// A table's comment and its columns' (column name, comment), as read back.
pub type Comments = (Option<String>, Vec<(String, String)>);

/// The comment of `table` and those of its columns (by name), where the dialect keeps
/// them: SQLite has none.
pub fn comments(db: &mut Database, table: &str) -> Result<Comments, DbError> {
    let t = crate::dialect::string_literal(db.dialect(), table);
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

/// The columns of `table`, with types folded into tandem's names.
pub fn read_columns(db: &mut Database, table: &str) -> Result<Vec<ReadColumn>, DbError> {
    let dialect = db.dialect();
    let t = crate::dialect::string_literal(db.dialect(), table);
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
    Ok(text_rows(db, &sql)?
        .into_iter()
        .filter(|r| r.len() == 5)
        .map(|r| {
            let ty = portable_type(dialect, &r[1]);
            let default = (r[4] == "YES").then(|| match read_default(dialect, &r[3]) {
                // MySQL and SQLite keep a boolean as 0 or 1.
                ReadDefault::Literal(l) if ty == "boolean" && (l == "1" || l == "0") => {
                    ReadDefault::Literal(if l == "1" { "true" } else { "false" }.into())
                }
                other => other,
            });
            ReadColumn {
                name: r[0].clone(),
                ty,
                nullable: r[2].eq_ignore_ascii_case("yes"),
                default,
            }
        })
        .collect())
}

/// The portable type a catalogue's type name stands for, where tandem writes that type
/// so; else the catalogue's own name.
pub fn portable_type(dialect: Dialect, live: &str) -> String {
    // Folding MySQL's display widths would lose `unsigned`.
    if dialect == Dialect::Mysql && live.to_ascii_lowercase().contains("unsigned") {
        return native_type(dialect, live);
    }
    let t = super::adopt::canonical_type(dialect, live);
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
    match crate::types::parse(Some(dialect), canonical, Some(&[])) {
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
/// from its `nextval` default by the caller), MySQL `AUTO_INCREMENT`. SQLite's INTEGER
/// PRIMARY KEY is a plain integer key to the catalogue: not read as identity.
fn identity_columns(db: &mut Database, table: &str) -> Result<Vec<String>, DbError> {
    let t = crate::dialect::string_literal(db.dialect(), table);
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
        Dialect::Sqlite => return Ok(Vec::new()),
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
    if literal_part.len() >= 2
        && literal_part.starts_with('\'')
        && literal_part.ends_with('\'')
        && !literal_part[1..literal_part.len() - 1]
            .replace("''", "")
            .contains('\'')
        && !(dialect == Dialect::Mysql && literal_part.contains('\\'))
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

/// Named unique constraints (Postgres keeps them apart from unique indexes; MySQL and
/// SQLite do not, so their unique keys read back as unique indexes).
pub(super) fn unique_constraints(
    db: &mut Database,
    table: &str,
) -> Result<Vec<(String, Vec<String>)>, DbError> {
    if db.dialect() != Dialect::Postgres {
        return Ok(Vec::new());
    }
    let t = crate::dialect::string_literal(db.dialect(), table);
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

/// A delete rule as tandem writes it; `None` for the default (no action). MySQL treats
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
    let t = crate::dialect::string_literal(db.dialect(), table);
    let dialect = db.dialect();
    let sql = match db.dialect() {
        Dialect::Postgres => format!(
            "SELECT c.conname, a.attname, rt.relname, ra.attname, c.confdeltype::text \
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
             k.referenced_column_name, r.delete_rule \
             FROM information_schema.key_column_usage k \
             JOIN information_schema.referential_constraints r \
             ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
             AND r.table_name = k.table_name \
             WHERE k.table_schema = DATABASE() AND k.table_name = {t} \
             AND k.referenced_table_name IS NOT NULL \
             ORDER BY k.constraint_name, k.ordinal_position"
        ),
        Dialect::Sqlite => format!(
            "SELECT CAST(id AS TEXT), \"from\", \"table\", \"to\", on_delete \
             FROM pragma_foreign_key_list({t}) ORDER BY id, seq"
        ),
    };
    let mut out: Vec<ReadForeignKey> = Vec::new();
    for r in text_rows(db, &sql)? {
        let [name, column, references, referenced, on_delete] =
            <[String; 5]>::try_from(r).unwrap_or_default();
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

/// The checks of `table` (SQLite keeps them only inside the table's SQL: none read).
pub(super) fn checks(
    db: &mut Database,
    dialect: Dialect,
    table: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let t = crate::dialect::string_literal(db.dialect(), table);
    let sql = match dialect {
        Dialect::Sqlite => return Ok(Vec::new()),
        Dialect::Postgres => format!(
            "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c \
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
    if db.dialect() == Dialect::Sqlite {
        out.push("checks: SQLite keeps them only in each table's CREATE statement".into());
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
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
    }
}
