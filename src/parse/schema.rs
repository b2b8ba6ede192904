//! `schema.toml`, the baseline, and the column tables shared with `create_table`.

use std::sync::Arc;

use toml::de::DeValue;
use toml::Spanned;

use super::{integer_value, parse_document, Fields, Located};
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::model::{Column, Default, Schema, Table};
use crate::ops::{parse_op, OpContext, Operation};
use crate::types::{ColumnType, Literal};

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
    pub fn apply_all(
        declared: &[Declared],
        schema: &mut Schema,
        dialect: Option<crate::sql::Dialect>,
    ) -> Result<Vec<crate::ops::Step>> {
        let mut steps = Vec::new();
        // Foreign keys last: the unique key one references may be declared further down.
        let (keys, others): (Vec<&Declared>, Vec<&Declared>) = declared
            .iter()
            .partition(|d| d.op.kind() == "add_foreign_key");
        for d in others.into_iter().chain(keys) {
            let mut cx = OpContext::new(schema, 0, None, d.location.clone(), None, dialect);
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
    if let Some((enums, _)) = root.opt_table(&["enums"])? {
        for (name, value) in enums.iter() {
            let enum_name = name.get_ref().to_string();
            check_identifier(file, &enum_name, name.span(), "enum")?;
            let Some(body) = value.get_ref().as_table() else {
                return Err(
                    Diag::input(format!("enum `{enum_name}` must be a TOML table"))
                        .at(Location::new(file, value.span()))
                        .label("expected a table such as [enums.status] with `values`")
                        .into(),
                );
            };
            let mut fields = Fields::new(file, body, value.span(), format!("enum `{enum_name}`"));
            let values = enum_values(&mut fields)?;
            fields.finish()?;
            schema.enums.insert(enum_name, values.value);
        }
    }
    let mut sites = Vec::new();
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
            let (table, ops, types) = parse_table(table_name.clone(), fields)?;
            schema.tables.insert(table_name.clone(), table);
            declared.extend(ops);
            sites.push((table_name, types));
        }
    }
    root.finish()?;
    for (table, types) in sites {
        let enums = schema.enums.clone();
        if let Some(t) = schema.tables.get_mut(&table) {
            resolve_enums(t, &types, &enums, file.dialect)?;
        }
    }
    Declared::apply_all(&declared, &mut schema, file.dialect)?;
    Ok(schema)
}

/// Reads a table body: `columns` and `primary_key`, plus any extra field names the
/// caller handles itself (`allow`); the `constraints` and `indexes` it declares come
/// back as ops to apply once the table exists.
pub fn parse_table(
    name: String,
    mut fields: Fields<'_, '_>,
) -> Result<(Table, Vec<Declared>, TypeSites)> {
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
    let mut sites = TypeSites::new();
    let mut identities = Vec::new();
    for (col_name, def) in columns.iter() {
        let col = col_name.get_ref().to_string();
        check_identifier(&file, &col, col_name.span(), "column")?;
        let (column, at) = parse_column(&file, &name, col.clone(), def)?;
        if let Some(identity) = at.identity.clone() {
            identities.push((col.clone(), identity));
        }
        sites.push((col, at));
        table.columns.push(column);
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
    check_identities(&table, &identities, &declared, file.dialect)?;
    Ok((table, declared, sites))
}

/// Where a table's columns wrote their types (and `identity`), for messages about them
/// once the schema they name is known.
pub type TypeSites = Vec<(String, ColumnSites)>;

/// Where one column wrote its type and its `identity`.
#[derive(Debug, Clone)]
pub struct ColumnSites {
    pub ty: Location,
    pub identity: Option<Location>,
}

/// `values = [...]` of an enum: at least one, no repeats, none empty.
pub fn enum_values(fields: &mut Fields<'_, '_>) -> Result<Located<Vec<String>>> {
    let Some(values) = fields.opt_str_list(&["values"])? else {
        return Err(fields
            .missing(
                "values",
                "the enum's values, e.g. [\"active\", \"suspended\"]",
            )
            .into());
    };
    if values.value.is_empty() {
        return Err(Diag::input("an enum needs at least one value")
            .at(values.location)
            .label("empty list")
            .into());
    }
    for (i, v) in values.value.iter().enumerate() {
        let plain = !v.is_empty() && v.chars().all(|c| (' '..='~').contains(&c) && c != '\\');
        if !plain || values.value[..i].contains(v) {
            return Err(Diag::input(format!("invalid enum value `{v}`"))
                .at(values.location)
                .label(if !plain {
                    "an enum value is non-empty printable ASCII text without a backslash"
                } else {
                    "written twice"
                })
                .into());
        }
    }
    Ok(values)
}

/// Gives each enum-typed column of `table` the values of its enum, or fails at the type
/// that names no type and no enum.
pub fn resolve_enums(
    table: &mut Table,
    sites: &TypeSites,
    enums: &indexmap::IndexMap<String, Vec<String>>,
    dialect: Option<crate::sql::Dialect>,
) -> Result<()> {
    for (column, at) in sites {
        if let Some(c) = table.column_mut(column) {
            resolve_column(c, &at.ty, enums, dialect)?;
        }
    }
    Ok(())
}

/// Gives an enum-typed column the values of its enum (and checks its literal default
/// against them), or fails at `at` naming the nearest type or enum.
pub fn resolve_column(
    column: &mut Column,
    at: &Location,
    enums: &indexmap::IndexMap<String, Vec<String>>,
    dialect: Option<crate::sql::Dialect>,
) -> Result<()> {
    if let Some(ty) = resolve_type(&column.ty, at, enums, dialect)? {
        column.ty = ty;
        if let Some(Default::Literal(lit)) = &column.default {
            check_default(&column.name, &column.ty, lit, at.clone())?;
        }
    }
    Ok(())
}

/// The enum type `ty` names, with its values, when `ty` is an enum not yet looked up;
/// `None` when `ty` needs nothing.
pub fn resolve_type(
    ty: &ColumnType,
    at: &Location,
    enums: &indexmap::IndexMap<String, Vec<String>>,
    dialect: Option<crate::sql::Dialect>,
) -> Result<Option<ColumnType>> {
    let ColumnType::Enum(e) = ty else {
        return Ok(None);
    };
    if !e.values.is_empty() {
        return Ok(None);
    }
    match enums.get(&e.name) {
        Some(values) => Ok(Some(ColumnType::Enum(crate::types::EnumType {
            name: e.name.clone(),
            values: values.clone(),
        }))),
        None => {
            let names: Vec<&str> = enums.keys().map(String::as_str).collect();
            Err(Diag::input(format!("unknown type `{}`", e.name))
                .at(at.clone())
                .label(crate::sql::types::unknown(dialect, &e.name, &names))
                .note(format!(
                    "portable types: {}; an enum is declared as [enums.<name>] in schema.toml or by a create_enum op",
                    crate::types::TYPE_NAMES.join(", ")
                ))
                .into())
        }
    }
}

/// `identity = true` (or `serial`) is for one integer column of a table, that the
/// dialect can number: a key on MySQL, the whole primary key on SQLite.
fn check_identities(
    table: &Table,
    identities: &[(String, Location)],
    declared: &[Declared],
    dialect: Option<crate::sql::Dialect>,
) -> Result<()> {
    use crate::sql::Dialect;
    if let Some((_, at)) = identities.get(1) {
        return Err(Diag::input(format!(
            "table `{}` has more than one identity column",
            table.name
        ))
        .at(at.clone())
        .label("a second one")
        .note("MySQL and SQLite number one column per table; tandem keeps to that everywhere")
        .into());
    }
    let Some((name, at)) = identities.first() else {
        return Ok(());
    };
    let Some(column) = table.column(name) else {
        return Ok(());
    };
    let integer = matches!(
        column.ty,
        ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt
    ) || matches!(&column.ty, ColumnType::Native(n)
            if !n.array && matches!(n.kin(), crate::types::Kin::Integer(_)));
    if !integer {
        return Err(Diag::input(format!(
            "identity column `{}.{name}` must be of an integer type, not {}",
            table.name, column.ty
        ))
        .at(at.clone())
        .label("identity here")
        .help("use smallint, integer or bigint")
        .into());
    }
    match dialect {
        Some(Dialect::Sqlite) if table.primary_key != [name.clone()] => Err(Diag::input(format!(
            "identity column `{}.{name}` must be the table's whole primary key on SQLite",
            table.name
        ))
        .at(at.clone())
        .label("identity here")
        .note("SQLite numbers only an INTEGER PRIMARY KEY (the rowid)")
        .help(format!(
            "set primary_key = [\"{name}\"], or drop `identity`"
        ))
        .into()),
        Some(Dialect::Mysql) => {
            let keyed = table.primary_key.first() == Some(name)
                || declared.iter().any(|d| d.op.leads_key(name));
            if keyed {
                Ok(())
            } else {
                Err(Diag::input(format!(
                    "identity column `{}.{name}` must be a key on MySQL",
                    table.name
                ))
                .at(at.clone())
                .label("identity here")
                .note("MySQL's AUTO_INCREMENT needs an index that starts with the column")
                .help(format!(
                    "make `{name}` the first column of the primary key or of a unique constraint"
                ))
                .into())
            }
        }
        _ => Ok(()),
    }
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
) -> Result<(Column, ColumnSites)> {
    let Some(body) = def.get_ref().as_table() else {
        return Err(
            Diag::input(format!("column `{table}.{name}` must be a table"))
                .at(Location::new(file, def.span()))
                .label("expected { type = \"...\" }")
                .into(),
        );
    };
    let mut fields = Fields::new(file, body, def.span(), format!("column `{table}.{name}`"));
    let column = column_fields_at(&mut fields, name, &["type"])?;
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
    Ok(column_fields_at(fields, name, type_keys)?.0)
}

/// As [`column_fields`], with where the type and `identity` are written.
pub fn column_fields_at(
    fields: &mut Fields<'_, '_>,
    name: String,
    type_keys: &[&'static str],
) -> Result<(Column, ColumnSites)> {
    let (ty, ty_at) = type_field(fields, &name, type_keys)?;
    let parsed = ty.ty;
    let identity = match fields.opt_bool(&["identity"])? {
        Some(b) if b.value => Some(b.location),
        Some(_) => None,
        None if ty.identity => Some(ty_at.clone()),
        None => None,
    };
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
    let default =
        match (&identity, default) {
            (None, d) => d,
            (Some(_), None) if !nullable => Some(Default::Identity),
            (Some(at), _) => return Err(Diag::input(format!(
                "identity column `{name}` cannot have a default or be nullable"
            ))
            .at(at.clone())
            .label("identity here")
            .help("the database numbers the column: remove `default`, `default_sql` and `nullable`")
            .into()),
        };
    let comment = comment_field(fields)?;
    Ok((
        Column {
            name,
            ty: parsed,
            nullable,
            default,
            comment,
        },
        ColumnSites {
            ty: ty_at,
            identity,
        },
    ))
}

/// The dialect keys of a mapping type.
const DIALECT_KEYS: &[&str] = &["postgres", "mysql", "sqlite"];

/// As [`type_field`], for a type that may be left out.
pub(crate) fn opt_type_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    type_keys: &[&'static str],
) -> Result<Option<(crate::types::Parsed, Location)>> {
    if type_keys.iter().any(|k| fields.table.contains_key(*k)) {
        type_field(fields, name, type_keys).map(Some)
    } else {
        fields.allow(&type_keys[..1]);
        Ok(None)
    }
}

/// A column's type: a string (a portable type, a native type of the project's dialect or
/// an enum), or a mapping `{ postgres = "jsonb", mysql = "json", sqlite = "text" }` whose
/// entries are each read for their dialect and whose project dialect's entry is taken.
fn type_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    type_keys: &[&'static str],
) -> Result<(crate::types::Parsed, Location)> {
    use crate::sql::Dialect;
    let expected = "a type such as \"text\", \"varchar(255)\" or \"jsonb\", or { postgres = \"...\", mysql = \"...\", sqlite = \"...\" }";
    let Some(value) = fields.get(type_keys) else {
        return Err(fields.missing(type_keys[0], expected).into());
    };
    let file = fields.file.clone();
    let dialect = file.dialect;
    let invalid = |msg: String, at: Location| -> crate::diag::Error {
        Diag::input(format!("invalid type for column `{name}`"))
            .at(at)
            .label(msg)
            .note(format!(
                "portable types: {}",
                crate::types::TYPE_NAMES.join(", ")
            ))
            .into()
    };
    if let Some(text) = value.get_ref().as_str() {
        let at = Location::new(&file, value.span());
        return crate::sql::types::parse(dialect, text, None)
            .map(|p| (p, at.clone()))
            .map_err(|m| invalid(m, at));
    }
    let Some(map) = value.get_ref().as_table() else {
        return Err(Diag::input(format!(
            "`{}` of column `{name}` must be a string or a table",
            type_keys[0]
        ))
        .at(Location::new(&file, value.span()))
        .label(format!("expected {expected}"))
        .into());
    };
    let mut chosen = None;
    for (key, entry) in map.iter() {
        let key_name = key.get_ref().as_ref();
        let Some(d) = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite]
            .into_iter()
            .find(|d| d.name() == key_name)
        else {
            return Err(Diag::input(format!(
                "unknown dialect `{key_name}` in the type of column `{name}`"
            ))
            .at(Location::new(&file, key.span()))
            .label("expected postgres, mysql or sqlite")
            .help(crate::diag::suggestion(key_name, DIALECT_KEYS))
            .into());
        };
        let at = Location::new(&file, entry.span());
        let Some(text) = entry.get_ref().as_str() else {
            return Err(invalid("expected a type name as a string".into(), at));
        };
        // An enum is written plain, not in a mapping: an unknown name here is a typo.
        let enums: Option<&[&str]> = if dialect == Some(d) { None } else { Some(&[]) };
        let parsed =
            crate::sql::types::parse(Some(d), text, enums).map_err(|m| invalid(m, at.clone()))?;
        if dialect.is_none_or(|p| p == d) && chosen.is_none() {
            chosen = Some((parsed, at));
        }
    }
    chosen.ok_or_else(|| {
        let d = dialect.map_or("any dialect", |d| d.name());
        Diag::input(format!("the type of column `{name}` names no type for {d}"))
            .at(Location::new(&file, value.span()))
            .label(format!("add `{d} = \"...\"`"))
            .into()
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
