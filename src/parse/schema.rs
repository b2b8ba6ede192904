//! `schema.toml`, the baseline, and the column tables shared with `create_table`.

use std::sync::Arc;

use toml::de::DeValue;
use toml::Spanned;

use super::{integer_value, parse_document, Fields, Located};
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::model::{Column, ColumnType, Default, Literal, Schema, Table};
use crate::ops::{parse_op, OpContext, Operation};

/// A constraint or index written inside a table body (`[[tables.X.constraints]]`,
/// `[[tables.X.indexes]]`), read as the op that would add it (`add_foreign_key`,
/// `add_unique`, `add_check`, `create_index`), so that it is checked the same way. It is
/// applied once every table of the file exists.
#[derive(Debug)]
pub struct Declared {
    pub op: Box<dyn Operation>,
    pub location: Location,
}

impl Declared {
    /// Applies the declarations to `schema`, which holds their tables.
    pub fn apply_all(declared: &[Declared], schema: &mut Schema) -> Result<Vec<crate::ops::Step>> {
        let mut steps = Vec::new();
        // Foreign keys last: the unique key one references may be declared further down.
        let (keys, others): (Vec<&Declared>, Vec<&Declared>) = declared
            .iter()
            .partition(|d| d.op.kind() == "add_foreign_key");
        for d in others.into_iter().chain(keys) {
            let mut cx = OpContext::new(schema, 0, None, d.location.clone(), None, None);
            steps.extend(d.op.apply(&mut cx)?);
        }
        Ok(steps)
    }
}

/// Reads the baseline schema, with constraint names unique across the schema.
pub fn parse_schema(file: &Arc<SourceFile>) -> Result<Schema> {
    parse_schema_for(file, false)
}

/// Reads the baseline schema of a project whose dialect names foreign keys and checks
/// per table (`per_table`) or across the schema.
pub fn parse_schema_for(file: &Arc<SourceFile>, per_table: bool) -> Result<Schema> {
    let doc = parse_document(file)?;
    let mut root = Fields::new(file, doc.get_ref(), doc.span(), "schema.toml");
    let mut schema = Schema {
        constraint_names_per_table: per_table,
        ..Schema::default()
    };
    let mut declared = Vec::new();
    if let Some((tables, _)) = root.opt_table(&["tables"])? {
        for (name, value) in tables.iter() {
            let table_name = name.get_ref().to_string();
            check_identifier(file, &table_name, name.span(), "table")?;
            let Some(body) = value.get_ref().as_table() else {
                return Err(
                    Diag::input(format!("table `{table_name}` must be a TOML table"))
                        .at(Location::new(file, value.span()))
                        .label("expected a table such as [tables.users]")
                        .into(),
                );
            };
            let fields = Fields::new(file, body, value.span(), format!("table `{table_name}`"));
            let (table, ops) = parse_table(table_name.clone(), fields)?;
            schema.tables.insert(table_name, table);
            declared.extend(ops);
        }
    }
    root.finish()?;
    Declared::apply_all(&declared, &mut schema)?;
    Ok(schema)
}

/// Reads a table body: `columns` and `primary_key`, plus any extra field names the
/// caller handles itself (`allow`); the `constraints` and `indexes` it declares come
/// back as ops to apply once the table exists.
pub fn parse_table(name: String, mut fields: Fields<'_, '_>) -> Result<(Table, Vec<Declared>)> {
    let file = fields.file.clone();
    let Some((columns, columns_span)) = fields.opt_table(&["columns"])? else {
        return Err(fields
            .missing("columns", "a table of column definitions")
            .into());
    };
    let mut table = Table {
        name: name.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        constraints: Vec::new(),
        comment: comment_field(&mut fields)?,
    };
    for (col_name, def) in columns.iter() {
        let col = col_name.get_ref().to_string();
        check_identifier(&file, &col, col_name.span(), "column")?;
        table.columns.push(parse_column(&file, &name, col, def)?);
    }
    if table.columns.is_empty() {
        return Err(Diag::input(format!("table `{name}` has no columns"))
            .at(Location::new(&file, columns_span))
            .label("add at least one column")
            .into());
    }
    if let Some(pk) = fields.opt_str_list(&["primary_key"])? {
        for col in &pk.value {
            if table.column(col).is_none() {
                return Err(Diag::input(format!(
                    "primary key column `{col}` is not a column of `{name}`"
                ))
                .at(pk.location.clone())
                .label("unknown column")
                .help(crate::diag::suggestion(col, &table.column_names()))
                .into());
            }
        }
        for col in &pk.value {
            if let Some(c) = table.column_mut(col) {
                c.nullable = false;
            }
        }
        table.primary_key = pk.value;
    }
    let mut declared = Vec::new();
    for (key, kinds) in [
        (
            "constraints",
            &[
                ("foreign_key", "add_foreign_key"),
                ("unique", "add_unique"),
                ("check", "add_check"),
            ][..],
        ),
        ("indexes", &[][..]),
    ] {
        declared.extend(declarations(&mut fields, &name, key, kinds)?);
    }
    fields.finish()?;
    Ok((table, declared))
}

/// The `[[<key>]]` items of a table body as ops: constraints by their `type`
/// (`foreign_key`, `unique`, `check`), indexes as `create_index`.
fn declarations(
    fields: &mut Fields<'_, '_>,
    table: &str,
    key: &'static str,
    kinds: &[(&'static str, &'static str)],
) -> Result<Vec<Declared>> {
    let file = fields.file.clone();
    let Some(value) = fields.get(&[key]) else {
        return Ok(Vec::new());
    };
    let Some(items) = value.get_ref().as_array() else {
        return Err(Diag::input(format!(
            "`{key}` must be a list of [[tables.{table}.{key}]] tables"
        ))
        .at(Location::new(&file, value.span()))
        .label("expected an array of tables")
        .into());
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let Some(body) = item.get_ref().as_table() else {
            return Err(Diag::input(format!("each of `{key}` must be a table"))
                .at(Location::new(&file, item.span()))
                .label("expected a table")
                .into());
        };
        // The op's `table` is the table the item is written in.
        let mut body = body.clone();
        let table_key = Spanned::new(item.span(), std::borrow::Cow::Borrowed("table"));
        if body.contains_key("table") {
            return Err(Diag::input(format!("`table` is implied inside `{key}`"))
                .at(Location::new(&file, item.span()))
                .label(format!("this belongs to `{table}`"))
                .help("remove the `table` field")
                .into());
        }
        body.insert(
            table_key,
            Spanned::new(
                item.span(),
                DeValue::String(std::borrow::Cow::Owned(table.to_string())),
            ),
        );
        let what = format!("{key} of `{table}`");
        let mut inner = Fields::new(&file, &body, item.span(), what);
        let op_type = if kinds.is_empty() {
            "create_index"
        } else {
            let kind = inner.str(&["type"], "foreign_key, unique or check")?;
            match kinds.iter().find(|(k, _)| *k == kind.value) {
                Some((_, op)) => op,
                None => {
                    let names: Vec<&str> = kinds.iter().map(|(k, _)| *k).collect();
                    return Err(
                        Diag::input(format!("unknown constraint type `{}`", kind.value))
                            .at(kind.location)
                            .label("expected foreign_key, unique or check")
                            .help(crate::diag::suggestion(&kind.value, &names))
                            .into(),
                    );
                }
            }
        };
        let kind = Located {
            value: op_type.to_string(),
            location: Location::new(&file, item.span()),
        };
        let op = parse_op(&kind, &mut inner)?;
        inner.finish()?;
        out.push(Declared {
            op,
            location: Location::new(&file, item.span()),
        });
    }
    Ok(out)
}

/// Reads one column definition: `{ type = "...", nullable, default | default_sql }`.
pub fn parse_column(
    file: &Arc<SourceFile>,
    table: &str,
    name: String,
    def: &Spanned<DeValue<'_>>,
) -> Result<Column> {
    let Some(body) = def.get_ref().as_table() else {
        return Err(
            Diag::input(format!("column `{table}.{name}` must be a table"))
                .at(Location::new(file, def.span()))
                .label("expected { type = \"...\" }")
                .into(),
        );
    };
    let mut fields = Fields::new(file, body, def.span(), format!("column `{table}.{name}`"));
    let column = column_fields(&mut fields, name, &["type"])?;
    fields.finish()?;
    Ok(column)
}

/// The column fields (`type`, `nullable`, `default`, `default_sql`) of a table being read;
/// shared by schema columns and `add_column`, which names the type field `column_type`
/// when the column is written flat in the op (there `type` is the op's type).
pub fn column_fields(
    fields: &mut Fields<'_, '_>,
    name: String,
    type_keys: &[&'static str],
) -> Result<Column> {
    let ty = fields.str(
        type_keys,
        "a portable type such as \"text\" or \"varchar(255)\"",
    )?;
    let parsed = ColumnType::parse(&ty.value).map_err(|msg| {
        Diag::input(format!("invalid type for column `{name}`"))
            .at(ty.location.clone())
            .label(msg)
            .note(format!(
                "portable types: {}",
                crate::model::TYPE_NAMES.join(", ")
            ))
    })?;
    let nullable = fields.opt_bool(&["nullable"])?.is_some_and(|b| b.value);
    let literal = match fields.opt_value(&["default"]) {
        None => None,
        Some(v) => Some((literal_value(fields.file, v)?, v.span())),
    };
    let sql = fields.opt_str(&["default_sql"])?;
    let default = match (literal, sql) {
        (Some(_), Some(sql)) => {
            return Err(Diag::input(format!(
                "column `{name}` has both `default` and `default_sql`"
            ))
            .at(sql.location)
            .label("keep one")
            .help("`default` takes a TOML literal, `default_sql` an SQL expression")
            .into())
        }
        (Some((lit, span)), None) => {
            check_literal_type(fields.file, &name, &parsed, &lit, span)?;
            Some(Default::Literal(lit))
        }
        (None, Some(sql)) => {
            if sql.value.trim().is_empty() {
                return Err(Diag::input("`default_sql` is empty")
                    .at(sql.location)
                    .label("expected an SQL expression")
                    .into());
            }
            Some(Default::Sql(sql.value))
        }
        (None, None) => None,
    };
    let comment = comment_field(fields)?;
    Ok(Column {
        name,
        ty: parsed,
        nullable,
        default,
        comment,
    })
}

/// `comment = "..."` on a table or a column: any text but a NUL character.
pub(crate) fn comment_field(fields: &mut Fields<'_, '_>) -> Result<Option<String>> {
    let Some(comment) = fields.opt_str(&["comment"])? else {
        return Ok(None);
    };
    if comment.value.contains('\0') {
        return Err(Diag::input("a `comment` may not contain a NUL character")
            .at(comment.location)
            .label("\\u0000 here")
            .note("Postgres text cannot hold it")
            .into());
    }
    Ok(Some(comment.value))
}

pub(crate) fn literal_value(file: &Arc<SourceFile>, v: &Spanned<DeValue<'_>>) -> Result<Literal> {
    let value = v.get_ref();
    if let Some(s) = value.as_str() {
        if s.contains('\0') {
            return Err(Diag::input("a string `default` may not contain a NUL character")
                .at(Location::new(file, v.span()))
                .label("\\u0000 here")
                .note("Postgres text cannot hold it, and SQLite and MySQL clients read a string up to it")
                .into());
        }
        return Ok(Literal::Str(s.to_string()));
    }
    if let Some(b) = value.as_bool() {
        return Ok(Literal::Bool(b));
    }
    if let Some(i) = integer_value(value) {
        return Ok(Literal::Int(i));
    }
    if let Some(f) = value
        .as_float()
        .and_then(|f| f.as_str().replace('_', "").parse::<f64>().ok())
    {
        if f.is_finite() {
            return Ok(Literal::Float(f));
        }
    }
    Err(
        Diag::input("`default` must be a string, integer, float or boolean")
            .at(Location::new(file, v.span()))
            .label(format!("found {}", value.type_str()))
            .help("for an SQL expression such as CURRENT_TIMESTAMP, use `default_sql`")
            .into(),
    )
}

/// A literal `default` must be a value of the column's type on every dialect: checked
/// where it is written, pointing at it.
pub(crate) fn check_literal_type(
    file: &Arc<SourceFile>,
    name: &str,
    ty: &ColumnType,
    lit: &Literal,
    span: std::ops::Range<usize>,
) -> Result<()> {
    check_default(name, ty, lit, Location::new(file, span))
}

/// As [`check_literal_type`], at a location already made.
pub(crate) fn check_default(
    name: &str,
    ty: &ColumnType,
    lit: &Literal,
    at: Location,
) -> Result<()> {
    ty.accepts(lit).map_err(|accepts| {
        Diag::input(format!(
            "default of column `{name}` does not fit its type {ty}"
        ))
        .at(at)
        .label("not a value of this type")
        .help(accepts)
        .into()
    })
}

/// Table, column and index names become identifiers in three dialects and in file
/// names: keep them to letters, digits and `_`.
/// The prefix of every helper object tandem makes (triggers, functions, procedures,
/// scratch constraints and tables): no table, column, index or constraint of the
/// model may take it, so that tandem's `DROP ... IF EXISTS` of a helper never meets a
/// user's object.
pub const RESERVED_PREFIX: &str = "tandem_";

/// Whether `name` has the shape of a helper object's name (any case: MySQL and SQLite
/// compare names without it).
pub fn is_reserved(name: &str) -> bool {
    name.get(..RESERVED_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
}

pub fn check_identifier(
    file: &Arc<SourceFile>,
    name: &str,
    span: std::ops::Range<usize>,
    what: &str,
) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.chars().next().is_some_and(|c| c.is_ascii_digit());
    if valid && is_reserved(name) {
        return Err(Diag::input(format!("the {what} name `{name}` is reserved"))
            .at(Location::new(file, span))
            .label(format!(
                "names starting with `{RESERVED_PREFIX}` are tandem's own"
            ))
            .note(
                "tandem names its helper objects (triggers, functions, procedures, scratch \
                 checks and tables) with this prefix, and drops them by name",
            )
            .help(format!(
                "choose a name that does not start with `{RESERVED_PREFIX}`"
            ))
            .into());
    }
    if valid {
        Ok(())
    } else {
        Err(Diag::input(format!("invalid {what} name `{name}`"))
            .at(Location::new(file, span))
            .label("expected letters, digits and `_`, not starting with a digit, at most 63 characters")
            .into())
    }
}
