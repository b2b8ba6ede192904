//! The pieces of a declaration that `schema.toml` and change files write alike: a
//! column's fields, its type (portable, native or per dialect), literals and defaults,
//! comments and identifiers. Ops read their fields through these, so an op and the
//! baseline check the same thing the same way.

use std::sync::Arc;

use toml::de::DeValue;
use toml::Spanned;

use super::{integer_value, Fields, Located};
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::model::{Column, Default, Table};
use crate::sql::Dialect;
use crate::types::{ColumnType, Literal};

/// Where a table's columns wrote their types (and `identity`), for messages about them
/// once the schema they name is known.
pub type TypeSites = Vec<(String, ColumnSites)>;

/// Where one column wrote its type and its `identity`.
#[derive(Debug, Clone)]
pub struct ColumnSites {
    pub ty: Location,
    pub identity: Option<Location>,
}

/// What an enum value may be, for messages.
pub const ENUM_VALUE_RULE: &str =
    "an enum value is printable ASCII text without a backslash, empty only on MySQL";

/// Whether `value` may be an enum value: printable ASCII without a backslash, and not
/// empty except on MySQL, whose ENUM takes `''` (PostgreSQL refuses an empty label; a
/// project of no dialect is read for every one).
pub fn is_enum_value(value: &str, dialect: Option<Dialect>) -> bool {
    (!value.is_empty() || dialect == Some(Dialect::Mysql))
        && value.chars().all(|c| (' '..='~').contains(&c) && c != '\\')
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
    let mysql = fields.dialect == Some(crate::sql::Dialect::Mysql);
    for (i, v) in values.value.iter().enumerate() {
        let plain = is_enum_value(v, fields.dialect);
        if plain && mysql {
            check_mysql_enum_value(&values, i)?;
        }
        if !plain || values.value[..i].contains(v) {
            return Err(Diag::input(format!("invalid enum value `{v}`"))
                .at(values.location)
                .label(if !plain {
                    ENUM_VALUE_RULE
                } else {
                    "written twice"
                })
                .into());
        }
    }
    Ok(values)
}

/// MySQL and MariaDB strip an ENUM value's trailing spaces and, under the default
/// collation, tell no two values apart that differ only in case: value `i` of `values`
/// must be neither.
fn check_mysql_enum_value(values: &Located<Vec<String>>, i: usize) -> Result<()> {
    let v = &values.value[i];
    let folded = |s: &str| s.trim_end_matches(' ').to_ascii_lowercase();
    let twin = values.value[..i]
        .iter()
        .find(|w| *w != v && folded(w) == folded(v));
    if !v.ends_with(' ') && twin.is_none() {
        return Ok(());
    }
    let (label, note) = match twin {
        Some(w) => (
            format!("`{v}` is `{w}` to MySQL"),
            "MySQL compares ENUM values under the column's collation, which by default ignores case and trailing spaces: the table cannot be created",
        ),
        None => (
            format!("`{v}` ends in a space"),
            "MySQL strips the trailing spaces of ENUM values: the database would hold another value than the model, and drift from it at once",
        ),
    };
    Err(
        Diag::input(format!("enum value `{v}` cannot be kept apart on MySQL"))
            .at(values.location.clone())
            .label(label)
            .note(note)
            .help("give each value other letters than the others, without trailing spaces")
            .into(),
    )
}

/// MySQL and MariaDB read column and index names (and table names, on servers that fold
/// them) without case: `name` must not be one of `earlier` in other letter case.
pub fn check_mysql_name_case<'a>(
    file: &Arc<SourceFile>,
    dialect: Option<crate::sql::Dialect>,
    name: &str,
    span: std::ops::Range<usize>,
    what: &str,
    earlier: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    if dialect != Some(crate::sql::Dialect::Mysql) {
        return Ok(());
    }
    let Some(twin) = earlier
        .into_iter()
        .find(|e| *e != name && e.to_lowercase() == name.to_lowercase())
    else {
        return Ok(());
    };
    Err(Diag::input(format!("{what} `{name}` is `{twin}` to MySQL"))
        .at(Location::new(file, span))
        .label(format!("differs from `{twin}` only in letter case"))
        .note(if what == "table" {
            "MySQL and MariaDB compare table names without case where the server folds them (lower_case_table_names, the default on Windows and macOS): the two cannot be kept apart there".to_string()
        } else {
            format!("MySQL and MariaDB read {what} names without case: the two cannot be kept apart")
        })
        .help(format!("rename one of them with other letters, e.g. `{twin}_2`"))
        .into())
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
            check_default(&column.name, &column.ty, lit, at.clone(), dialect)?;
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

/// Reads one column definition: `{ type = "...", nullable, default | default_sql }`.
pub fn parse_column(
    parent: &Fields<'_, '_>,
    table: &str,
    name: String,
    def: &Spanned<DeValue<'_>>,
) -> Result<(Column, ColumnSites)> {
    let Some(body) = def.get_ref().as_table() else {
        return Err(
            Diag::input(format!("column `{table}.{name}` must be a table"))
                .at(parent.loc(def.span()))
                .label("expected { type = \"...\" }")
                .into(),
        );
    };
    let mut fields = parent.nested(body, def.span(), format!("column `{table}.{name}`"));
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
            check_literal_type(fields, &name, &parsed, &lit, span)?;
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
    let default = generated_field(fields, &name, default, identity.is_some())?;
    let comment = comment_field(fields)?;
    let on_update = on_update_field(fields, &name, &parsed)?;
    Ok((
        Column {
            name,
            ty: parsed,
            nullable,
            default,
            comment,
            on_update,
        },
        ColumnSites {
            ty: ty_at,
            identity,
        },
    ))
}

/// `on_update = "CURRENT_TIMESTAMP"` (MySQL): what an UPDATE that does not set the
/// column writes into it; `CURRENT_TIMESTAMP` with an optional precision, on a timestamp
/// or datetime column.
fn on_update_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    ty: &ColumnType,
) -> Result<Option<String>> {
    let Some(text) = fields.opt_str(&["on_update"])? else {
        return Ok(None);
    };
    if let Some(d) = fields.dialect.filter(|d| *d != Dialect::Mysql) {
        return Err(Diag::input(format!(
            "`on_update` is MySQL's; this project's dialect is {}",
            d.name()
        ))
        .at(text.location)
        .label("no ON UPDATE on this dialect")
        .help("set the column in a trigger, kept as an [[objects]] item")
        .into());
    }
    let value = text.value.trim();
    let upper = value.to_ascii_uppercase();
    let precision = upper.strip_prefix("CURRENT_TIMESTAMP").map(|rest| {
        rest.is_empty()
            || rest == "()"
            || rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|n| n.len() == 1 && n.as_bytes()[0].is_ascii_digit())
    });
    if precision != Some(true) {
        return Err(Diag::input(format!("invalid `on_update` of `{name}`"))
            .at(text.location)
            .label("expected CURRENT_TIMESTAMP, optionally with a precision: CURRENT_TIMESTAMP(6)")
            .into());
    }
    let time = matches!(ty, ColumnType::Timestamp | ColumnType::TimestampTz)
        || matches!(ty, ColumnType::Native(n) if n.to_string().to_ascii_lowercase().starts_with("datetime") || n.to_string().to_ascii_lowercase().starts_with("timestamp"));
    if !time {
        return Err(Diag::input(format!(
            "`on_update` of `{name}` needs a timestamp or datetime column"
        ))
        .at(text.location)
        .label("not a time column")
        .into());
    }
    Ok(Some(value.to_string()))
}

/// `generated = "expr"` with `stored = true|false` (default false, a virtual column): a
/// column the database computes, which has no default and is no identity.
fn generated_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    default: Option<Default>,
    identity: bool,
) -> Result<Option<Default>> {
    let generated = fields.opt_str(&["generated"])?;
    let stored = fields.opt_bool(&["stored"])?;
    let Some(expr) = generated else {
        if let Some(stored) = stored {
            return Err(Diag::input(format!(
                "`stored` of column `{name}` says how a generated column is kept"
            ))
            .at(stored.location)
            .label("this column has no `generated`")
            .help("add `generated = \"<expression>\"` or remove `stored`")
            .into());
        }
        return Ok(default);
    };
    if expr.value.trim().is_empty() {
        return Err(Diag::input("`generated` is empty")
            .at(expr.location)
            .label("expected an SQL expression over the row")
            .into());
    }
    if default.is_some() || identity {
        return Err(Diag::input(format!(
            "generated column `{name}` cannot have a default or be an identity"
        ))
        .at(expr.location)
        .label("the database computes this column")
        .help("remove `default`, `default_sql` and `identity`")
        .into());
    }
    // Postgres keeps virtual ones from 18 on; an older server says so itself.
    Ok(Some(Default::Generated {
        expr: expr.value,
        stored: stored.is_some_and(|s| s.value),
    }))
}

/// The field of a type the server knows and tandem does not model.
const SERVER_TYPE: &str = "server_type";

/// `server_type = "set('a','b')"`: the project says the server knows this type; it is
/// written into the SQL as given. Not beside `type`: one column has one type.
fn server_type_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    type_keys: &[&'static str],
) -> Result<Option<(crate::types::Parsed, Location)>> {
    let Some(text) = fields.opt_str(&[SERVER_TYPE])? else {
        return Ok(None);
    };
    if let Some(other) = type_keys.iter().find(|k| fields.table.contains_key(**k)) {
        return Err(Diag::input(format!(
            "column `{name}` has both `{other}` and `{SERVER_TYPE}`"
        ))
        .at(text.location)
        .label("a column has one type")
        .help(format!(
            "keep `{other}` for a type tandem knows, `{SERVER_TYPE}` for one only the server knows"
        ))
        .into());
    }
    let trimmed = text.value.trim();
    let unbalanced = trimmed.matches('(').count() != trimmed.matches(')').count();
    if trimmed.is_empty() || trimmed.contains(';') || unbalanced {
        return Err(Diag::input(format!("invalid `{SERVER_TYPE}` for column `{name}`"))
            .at(text.location)
            .label("expected one type as the server spells it, e.g. \"set('a','b')\" or \"public.year\"")
            .into());
    }
    let parsed = crate::types::Parsed {
        ty: crate::types::ColumnType::Server(trimmed.to_string()),
        identity: false,
    };
    Ok(Some((parsed, text.location)))
}

/// The dialect keys of a mapping type.
const DIALECT_KEYS: &[&str] = &["postgres", "mysql", "sqlite"];

/// As [`type_field`], for a type that may be left out.
pub(crate) fn opt_type_field(
    fields: &mut Fields<'_, '_>,
    name: &str,
    type_keys: &[&'static str],
) -> Result<Option<(crate::types::Parsed, Location)>> {
    let given = type_keys
        .iter()
        .chain([&SERVER_TYPE])
        .any(|k| fields.table.contains_key(*k));
    if given {
        type_field(fields, name, type_keys).map(Some)
    } else {
        fields.allow(&type_keys[..1]);
        fields.allow(&[SERVER_TYPE]);
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
    if let Some(server) = server_type_field(fields, name, type_keys)? {
        return Ok(server);
    }
    let Some(value) = fields.get(type_keys) else {
        return Err(fields.missing(type_keys[0], expected).into());
    };
    let file = fields.file.clone();
    let dialect = fields.dialect;
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
        let parsed = crate::sql::types::parse_for_dialect(d, text, enums)
            .map_err(|m| invalid(m, at.clone()))?;
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
    fields: &Fields<'_, '_>,
    name: &str,
    ty: &ColumnType,
    lit: &Literal,
    span: std::ops::Range<usize>,
) -> Result<()> {
    check_default(name, ty, lit, fields.loc(span), fields.dialect)
}

/// As [`check_literal_type`], at a location already made.
pub(crate) fn check_default(
    name: &str,
    ty: &ColumnType,
    lit: &Literal,
    at: Location,
    dialect: Option<crate::sql::Dialect>,
) -> Result<()> {
    ty.accepts_in(lit, dialect).map_err(|accepts| {
        Diag::input(format!(
            "default of column `{name}` does not fit its type {ty}"
        ))
        .at(at)
        .label("not a value of this type")
        .help(accepts)
        .into()
    })
}

/// Whether `name` has the shape of a helper object's name (any case: MySQL and SQLite
/// compare names without it).
pub fn is_reserved(name: &str) -> bool {
    name.get(..RESERVED_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_PREFIX))
}

/// Whether `name` may name a table, column, index or constraint. Every name is quoted
/// wherever tandem writes it, so the names real schemas use are kept (`2fa_codes`,
/// `user-contact`), up to the shortest limit of the three servers (63 bytes).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

pub fn check_identifier(
    file: &Arc<SourceFile>,
    name: &str,
    span: std::ops::Range<usize>,
    what: &str,
) -> Result<()> {
    let valid = is_valid_name(name);
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
            .label("expected letters, digits, `_`, `-` and `$`, at most 63 characters")
            .into())
    }
}

/// Table, column and index names become identifiers in three dialects and in file
/// names: keep them to letters, digits and `_`.
/// The prefix of every helper object tandem makes (triggers, functions, procedures,
/// scratch constraints and tables): no table, column, index or constraint of the
/// model may take it, so that tandem's `DROP ... IF EXISTS` of a helper never meets a
/// user's object.
pub const RESERVED_PREFIX: &str = "tandem_";
