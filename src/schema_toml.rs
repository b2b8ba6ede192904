//! schema.toml written by hand, for people to read and keep: `introspect` writes a live
//! database as one, and `diff --to` writes a change file with the same pieces. Values
//! are quoted by the TOML writer itself, keys bare where TOML allows.

use crate::model::Index;
use crate::sql::catalogue::{
    checks, column_enum_values, comments, deferrable_keys, enums, extensions, foreign_keys,
    identity_columns, is_foreign_key_index, left_out, not_valid_constraints, objects, primary_key,
    primary_key_name, read_columns, read_indexes, table_engine, table_names, table_partition_by,
    unique_constraints,
};
use crate::sql::inspect::{is_user_table, Catalogue, ReadDefault, Spelling};
use crate::sql::Dialect;

/// A TOML string, quoted and escaped.
pub fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A key: bare when TOML allows it, else quoted.
pub fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// An inline array of strings.
pub fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| quoted(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The schema.toml text, and what it leaves out.
#[derive(Debug)]
pub struct Introspection {
    pub toml: String,
    pub left_out: Vec<String>,
    pub tables: usize,
}

/// Reads every user table of the database.
pub fn introspect<C: Catalogue + ?Sized>(db: &mut C) -> Result<Introspection, C::Error> {
    let dialect = db.dialect();
    let tables: Vec<String> = table_names(db)?
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
    let extensions = extensions(db)?;
    if !extensions.is_empty() {
        out.push_str(&format!("\nextensions = {}\n", list(&extensions)));
    }
    let mut enums = enums(db)?;
    for (name, values) in &enums {
        out.push_str(&format!(
            "\n[enums.{}]\nvalues = {}\n",
            key(name),
            list(values)
        ));
    }
    for object in objects(db)? {
        out.push_str(&object_toml(&object));
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

fn write_table<C: Catalogue + ?Sized>(
    db: &mut C,
    dialect: Dialect,
    table: &str,
    out: &mut String,
    enums: &mut Vec<(String, Vec<String>)>,
) -> Result<(), C::Error> {
    let t = key(table);
    let mut columns = read_columns(db, table)?;
    let numbered = identity_columns(db, table)?;
    let primary_key = primary_key(db, table)?;
    let (table_comment, column_comments) = comments(db, table)?;
    let on_update = crate::sql::catalogue::on_update_columns(db, table)?;
    out.push_str(&format!("[tables.{t}]\n"));
    if let Some(name) = primary_key_name(db, table)? {
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
    let deferrable = deferrable_keys(db, table)?;
    if let Some(deferred) = deferrable.get("") {
        let when = if *deferred { "deferred" } else { "immediate" };
        out.push_str(&format!("primary_key_deferrable = \"{when}\"\n"));
    }
    if let Some(text) = &table_comment {
        out.push_str(&format!("comment = {}\n", quoted(text)));
    }
    if let Some(by) = table_partition_by(db, table)? {
        out.push_str(&format!("partition_by = {}\n", quoted(&by)));
    }
    let engine = table_engine(db, table)?;
    if let Some(engine) = &engine {
        out.push_str(&format!("engine = {}\n", quoted(engine)));
    }
    out.push_str(&format!("\n[tables.{t}.columns]\n"));
    for c in &mut columns {
        // A MySQL enum is its column's: declared as an enum named after the column.
        if let Some(values) = column_enum_values(dialect, &c.ty) {
            let name = format!("{table}_{}", c.name);
            out.insert_str(
                enum_slot(out),
                &format!("[enums.{}]\nvalues = {}\n\n", key(&name), list(&values)),
            );
            enums.push((name.clone(), values));
            c.ty = name;
            c.spelling = Spelling::Plain;
        }
        // A Postgres enum is named by its type.
        if enums.iter().any(|(name, _)| *name == c.ty) {
            c.spelling = Spelling::Plain;
        }
        let serial = matches!(&c.default, Some(ReadDefault::Sql(s)) if s.starts_with("nextval("));
        let identity = numbered.contains(&c.name) || serial;
        let ty = match c.spelling {
            Spelling::Plain => format!("type = {}", quoted(&c.ty)),
            Spelling::Mapped => format!("type = {{ {} = {} }}", dialect.name(), quoted(&c.ty)),
            Spelling::Server => format!("server_type = {}", quoted(&c.ty)),
        };
        let mut fields = vec![ty];
        if identity {
            fields.push("identity = true".into());
            c.default = None;
        }
        if c.nullable && !primary_key.contains(&c.name) {
            fields.push("nullable = true".into());
        }
        match &c.default {
            Some(ReadDefault::Literal(l)) => fields.push(format!("default = {l}")),
            Some(ReadDefault::Sql(s)) => fields.push(format!("default_sql = {}", quoted(s))),
            Some(ReadDefault::Generated { expr, stored }) => {
                fields.push(format!("generated = {}", quoted(expr)));
                fields.push(format!("stored = {stored}"));
            }
            None => {}
        }
        if let Some((_, value)) = on_update.iter().find(|(n, _)| *n == c.name) {
            fields.push(format!("on_update = {}", quoted(value)));
        }
        if let Some((_, text)) = column_comments.iter().find(|(n, _)| *n == c.name) {
            fields.push(format!("comment = {}", quoted(text)));
        }
        out.push_str(&format!("{} = {{ {} }}\n", key(&c.name), fields.join(", ")));
    }
    let not_valid = not_valid_constraints(db, table)?;
    let uniques = unique_constraints(db, table)?;
    for (name, cols) in &uniques {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"unique\"\nname = {}\ncolumns = {}\n",
            quoted(name),
            list(cols)
        ));
        match deferrable.get(name) {
            Some(true) => out.push_str("initially_deferred = true\n"),
            Some(false) => out.push_str("deferrable = true\n"),
            None => {}
        }
    }
    let foreign_key_names = write_keys_and_checks(db, &t, table, &not_valid, out)?;
    let in_memory = engine.is_some_and(|e| e.eq_ignore_ascii_case("memory"));
    for mut index in read_indexes(db, table)? {
        // A MEMORY table builds a hash index where none is named: its B-trees say so.
        if in_memory && index.options.method.is_none() && !index.options.fulltext {
            index.options.method = Some("btree".into());
        }
        // MySQL keeps an index of its own, under the key's name, for every foreign key.
        if uniques.iter().any(|(n, _)| *n == index.name)
            || index.name.starts_with("tandem_")
            || is_foreign_key_index(dialect, &index.name, &foreign_key_names)
        {
            continue;
        }
        out.push_str(&index_toml(&t, &index));
    }
    Ok(())
}

/// A table's foreign keys and checks as `[[tables.T.constraints]]` items (`valid = false`
/// for those in `not_valid`); yields the foreign keys' names.
fn write_keys_and_checks<C: Catalogue + ?Sized>(
    db: &mut C,
    t: &str,
    table: &str,
    not_valid: &[String],
    out: &mut String,
) -> Result<Vec<String>, C::Error> {
    let foreign = foreign_keys(db, table)?;
    for fk in &foreign {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"foreign_key\"\nname = {}\ncolumns = {}\nreferences = {}\n",
            quoted(&fk.name),
            list(&fk.columns),
            quoted(&format!("{}({})", fk.references, fk.referenced_columns.join(", ")))
        ));
        if let Some(action) = &fk.on_delete {
            out.push_str(&format!("on_delete = {}\n", quoted(action)));
        }
        if let Some(action) = &fk.on_update {
            out.push_str(&format!("on_update = {}\n", quoted(action)));
        }
        if fk.initially_deferred {
            out.push_str("initially_deferred = true\n");
        } else if fk.deferrable {
            out.push_str("deferrable = true\n");
        }
        if not_valid.contains(&fk.name) {
            out.push_str("valid = false\n");
        }
    }
    for (name, expr) in checks(db, table)? {
        out.push_str(&format!(
            "\n[[tables.{t}.constraints]]\ntype = \"check\"\nname = {}\ncheck = {}\n",
            quoted(&name),
            quoted(&expr)
        ));
        if not_valid.contains(&name) {
            out.push_str("valid = false\n");
        }
    }
    Ok(foreign.into_iter().map(|f| f.name).collect())
}

/// One `[[objects]]` item, its statement as a multi-line literal string where TOML
/// allows one (no `'''` and no control characters but tabs and newlines).
pub fn object_toml(object: &crate::model::SchemaObject) -> String {
    let mut out = format!(
        "\n[[objects]]\nkind = {}\nname = {}\n",
        quoted(&object.kind),
        quoted(&object.name)
    );
    if object.after_tables != crate::model::after_tables_by_default(&object.kind) {
        out.push_str(&format!("after_tables = {}\n", object.after_tables));
    }
    let literal = !object.sql.contains("'''")
        && !object
            .sql
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{7f}');
    if literal {
        out.push_str(&format!("sql = '''\n{}\n'''\n", object.sql));
    } else {
        out.push_str(&format!("sql = {}\n", quoted(&object.sql)));
    }
    out
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
    let mut out = vec![format!("name = {}", quoted(&index.name))];
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
            if let Some(order) = o.nulls.get(c) {
                part.push_str(&format!(" NULLS {}", order.to_ascii_uppercase()));
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
    if o.nulls_not_distinct {
        out.push("nulls_not_distinct = true".into());
    }
    if let Some(m) = &o.method {
        out.push(format!("method = {}", quoted(m)));
    }
    if !o.include.is_empty() {
        out.push(format!("include = {}", list(&o.include)));
    }
    if !o.opclass.is_empty() {
        let classes: Vec<String> = o
            .opclass
            .iter()
            .map(|(c, class)| format!("{} = {}", key(c), quoted(class)))
            .collect();
        out.push(format!("opclass = {{ {} }}", classes.join(", ")));
    }
    if let Some(p) = &o.predicate {
        out.push(format!("where = {}", quoted(p)));
    }
    out
}

/// Where the enums of the output go: before the first table.
fn enum_slot(out: &str) -> usize {
    out.find("\n[tables.").map_or(out.len(), |i| i + 1)
}
