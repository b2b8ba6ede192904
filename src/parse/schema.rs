//! `schema.toml`, the baseline, and the column tables shared with `create_table`.

use std::sync::Arc;

use toml::de::DeValue;
use toml::Spanned;

use super::decl::{
    check_identifier, check_mysql_name_case, comment_field, enum_values, parse_column,
    resolve_enums, TypeSites,
};
use super::{parse_document, Fields};
use crate::diag::{Diag, Location, Result, SourceFile};
use crate::model::{mysql_name_collisions, Schema, Table};
use crate::ops::op::{OpContext, Operation};
use crate::ops::{add_check, add_foreign_key, add_unique, create_index};
use crate::sql::Dialect;
use crate::types::ColumnType;

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
    ) -> Result<Vec<crate::ops::op::Step>> {
        let mut steps = Vec::new();
        // Foreign keys last: the unique key one references may be declared further down.
        let (keys, others): (Vec<&Declared>, Vec<&Declared>) = declared
            .iter()
            .partition(|d| d.op.kind() == "add_foreign_key");
        let mysql = dialect == Some(crate::sql::Dialect::Mysql);
        for d in others.into_iter().chain(keys) {
            let before = mysql.then(|| mysql_name_collisions(schema));
            let mut cx = OpContext::new(schema, 0, None, d.location.clone(), None, dialect);
            cx.declared = true;
            steps.extend(d.op.apply(&mut cx)?);
            let Some(before) = before else { continue };
            if let Some(clash) = mysql_name_collisions(schema).difference(&before).next() {
                return Err(Diag::input(format!(
                    "{} gives MySQL {clash}, which it cannot keep apart",
                    d.op.describe()
                ))
                .at(d.location.clone())
                .label("declared here")
                .note("MySQL and MariaDB read index names without case")
                .help("name it with other letters than the table's other indexes")
                .into());
            }
        }
        Ok(steps)
    }
}

/// Reads the baseline schema, with constraint names unique across the schema.
pub fn parse_schema(file: &Arc<SourceFile>) -> Result<Schema> {
    read_schema(file, None, false)
}

/// As [`parse_schema`], with native types and per-dialect type mappings read for
/// `dialect`.
pub fn parse_schema_in(file: &Arc<SourceFile>, dialect: Dialect) -> Result<Schema> {
    read_schema(file, Some(dialect), false)
}

/// Reads a project's baseline schema for its dialect, which names foreign keys and
/// checks per table (all but MySQL) or across the schema.
pub fn parse_project_schema(file: &Arc<SourceFile>, dialect: Dialect) -> Result<Schema> {
    read_schema(file, Some(dialect), dialect != Dialect::Mysql)
}

fn read_schema(
    file: &Arc<SourceFile>,
    dialect: Option<Dialect>,
    per_table: bool,
) -> Result<Schema> {
    let doc = parse_document(file)?;
    let mut root = Fields::new(file, doc.get_ref(), doc.span(), "schema.toml").read_for(dialect);
    let mut schema = Schema {
        constraint_names_per_table: per_table,
        dialect,
        ..Schema::default()
    };
    let mut declared = Vec::new();
    if let Some(extensions) = root.opt_str_list(&["extensions"])? {
        schema.extensions = checked_extensions(extensions, dialect)?;
    }
    schema.objects = read_objects(&mut root, dialect)?;
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
            let mut fields = root.nested(body, value.span(), format!("enum `{enum_name}`"));
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
            let earlier = schema.tables.keys().map(String::as_str);
            check_mysql_name_case(file, dialect, &table_name, name.span(), "table", earlier)?;
            let Some(body) = value.get_ref().as_table() else {
                return Err(
                    Diag::input(format!("table `{table_name}` must be a TOML table"))
                        .at(Location::new(file, value.span()))
                        .label("expected a table such as [tables.users]")
                        .into(),
                );
            };
            let fields = root.nested(body, value.span(), format!("table `{table_name}`"));
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
            resolve_enums(t, &types, &enums, dialect)?;
        }
    }
    Declared::apply_all(&declared, &mut schema, dialect)?;
    Ok(schema)
}

/// `[[objects]]`: each a `kind`, a `name` and the `sql` that creates it, in order;
/// `after_tables` says when it is created where its kind does not.
fn read_objects(
    root: &mut Fields<'_, '_>,
    dialect: Option<Dialect>,
) -> Result<Vec<crate::model::SchemaObject>> {
    use crate::model::{after_tables_by_default, object_kinds, SchemaObject};
    let file = root.file.clone();
    let Some(value) = root.get(&["objects"]) else {
        return Ok(Vec::new());
    };
    let Some(items) = value.get_ref().as_array() else {
        return Err(
            Diag::input("`objects` must be a list of [[objects]] tables")
                .at(Location::new(&file, value.span()))
                .label("expected an array of tables")
                .into(),
        );
    };
    let mut out: Vec<SchemaObject> = Vec::new();
    for item in items.iter() {
        let Some(body) = item.get_ref().as_table() else {
            return Err(Diag::input("each of `objects` must be a table")
                .at(Location::new(&file, item.span()))
                .label("expected a table")
                .into());
        };
        let mut fields = root.nested(body, item.span(), "an [[objects]] item");
        let kinds = object_kinds(dialect);
        let kind = fields.str(&["kind"], &kinds.join(", "))?;
        if !kinds.contains(&kind.value.as_str()) {
            let on = dialect
                .map(|d| format!(" on {}", d.name()))
                .unwrap_or_default();
            return Err(
                Diag::input(format!("unknown object kind `{}`{on}", kind.value))
                    .at(kind.location)
                    .label(format!("expected one of {}", kinds.join(", ")))
                    .help(crate::diag::suggestion(&kind.value, &kinds))
                    .into(),
            );
        }
        let name = fields.str(&["name"], "the object's name")?;
        let sql = fields.str(&["sql"], "the statement that creates the object")?;
        if sql.value.trim().is_empty() {
            return Err(Diag::input(format!("object `{}` has no sql", name.value))
                .at(sql.location)
                .label("empty")
                .help("write the CREATE statement that makes it")
                .into());
        }
        if out
            .iter()
            .any(|o| o.kind == kind.value && o.name == name.value)
        {
            return Err(
                Diag::input(format!("{} `{}` is written twice", kind.value, name.value))
                    .at(name.location)
                    .label("a second time")
                    .help("keep one of them")
                    .into(),
            );
        }
        let after = fields.opt_bool(&["after_tables"])?.map(|b| b.value);
        fields.finish()?;
        out.push(SchemaObject {
            after_tables: after.unwrap_or_else(|| after_tables_by_default(&kind.value)),
            kind: kind.value,
            name: name.value,
            sql: sql.value.trim().to_string(),
        });
    }
    Ok(out)
}

/// `extensions = [...]`: PostgreSQL's, each a plain name, each once.
fn checked_extensions(
    extensions: crate::parse::Located<Vec<String>>,
    dialect: Option<Dialect>,
) -> Result<Vec<String>> {
    if let Some(d) = dialect.filter(|d| *d != Dialect::Postgres && !extensions.value.is_empty()) {
        return Err(Diag::input(format!(
            "`extensions` are PostgreSQL's; this project's dialect is {}",
            d.name()
        ))
        .at(extensions.location)
        .label("no extensions on this dialect")
        .help("remove `extensions`")
        .into());
    }
    for (i, name) in extensions.value.iter().enumerate() {
        let plain = !name.is_empty()
            && name.len() <= 63
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain || extensions.value[..i].contains(name) {
            return Err(Diag::input(format!("invalid extension `{name}`"))
                .at(extensions.location)
                .label(if plain {
                    "written twice"
                } else {
                    "an extension's name is letters, digits, `_` and `-`"
                })
                .into());
        }
    }
    Ok(extensions.value)
}

/// `engine = "MEMORY"`: MySQL's storage engine for the table; other dialects have none.
fn engine_field(fields: &mut Fields<'_, '_>) -> Result<Option<String>> {
    let Some(engine) = fields.opt_str(&["engine"])? else {
        return Ok(None);
    };
    if fields
        .dialect
        .is_some_and(|d| d != crate::sql::Dialect::Mysql)
    {
        return Err(Diag::input("`engine` is a MySQL table option")
            .at(engine.location)
            .label("this project's dialect has no storage engines")
            .help("remove `engine`")
            .into());
    }
    let word = engine
        .value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if engine.value.is_empty() || !word {
        return Err(Diag::input(format!("invalid engine `{}`", engine.value))
            .at(engine.location)
            .label("expected an engine's name, e.g. \"InnoDB\", \"MEMORY\" or \"MyISAM\"")
            .into());
    }
    // InnoDB is the default: the same table as none.
    Ok((!engine.value.eq_ignore_ascii_case("innodb")).then_some(engine.value))
}

/// `partition_by = "RANGE (created_at)"`: a partitioned table. On Postgres the key,
/// whose partitions are `partition` objects; on MySQL the whole clause after `PARTITION
/// BY`, partitions included (`RANGE (year(at)) (PARTITION p2026 VALUES LESS THAN (2027))`,
/// `HASH (id) PARTITIONS 4`).
fn partition_by_field(fields: &mut Fields<'_, '_>) -> Result<Option<String>> {
    let Some(by) = fields.opt_str(&["partition_by"])? else {
        return Ok(None);
    };
    if fields.dialect == Some(Dialect::Sqlite) {
        return Err(
            Diag::input("`partition_by` is a Postgres and MySQL table option")
                .at(by.location)
                .label("SQLite has no partitioned tables")
                .help("remove `partition_by`")
                .into(),
        );
    }
    let word = by.value.split_whitespace().next().unwrap_or("");
    let methods: &[&str] = match fields.dialect {
        Some(Dialect::Postgres) => &["RANGE", "LIST", "HASH"],
        _ => &["RANGE", "LIST", "HASH", "KEY", "LINEAR"],
    };
    let method = methods.iter().any(|m| {
        word.eq_ignore_ascii_case(m) || word.to_ascii_uppercase().starts_with(&format!("{m}("))
    });
    if !method || !by.value.contains('(') {
        return Err(Diag::input(format!("invalid partition_by `{}`", by.value))
            .at(by.location)
            .label("expected RANGE, LIST or HASH and the key in parentheses, e.g. \"RANGE (created_at)\"")
            .into());
    }
    Ok(Some(by.value.trim().to_string()))
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
        engine: engine_field(&mut fields)?,
        partition_by: partition_by_field(&mut fields)?,
        not_valid: Vec::new(),
        deferrable: Default::default(),
    };
    let mut sites = TypeSites::new();
    let mut identities = Vec::new();
    for (col_name, def) in columns.iter() {
        let col = col_name.get_ref().to_string();
        check_identifier(&file, &col, col_name.span(), "column")?;
        let earlier = table.columns.iter().map(|c| c.name.as_str());
        check_mysql_name_case(
            &file,
            fields.dialect,
            &col,
            col_name.span(),
            "column",
            earlier,
        )?;
        let (column, at) = parse_column(&fields, &name, col.clone(), def)?;
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
    if let Some(d) = fields.opt_str(&["primary_key_deferrable"])? {
        let deferred = match d.value.as_str() {
            "immediate" => false,
            "deferred" => true,
            _ => {
                return Err(
                    Diag::input(format!("invalid primary_key_deferrable `{}`", d.value))
                        .at(d.location)
                        .label("expected \"immediate\" or \"deferred\" (INITIALLY ...)")
                        .into(),
                )
            }
        };
        if fields.dialect.is_some_and(|x| x != Dialect::Postgres) || table.primary_key.is_empty() {
            return Err(
                Diag::input("`primary_key_deferrable` is for a Postgres primary key")
                    .at(d.location)
                    .label("no deferrable key here")
                    .help("remove `primary_key_deferrable`")
                    .into(),
            );
        }
        table.deferrable.insert(String::new(), deferred);
    }
    let mut declared = Vec::new();
    for (key, kinds) in [("constraints", CONSTRAINT_KINDS), ("indexes", &[][..])] {
        declared.extend(declarations(
            &mut fields,
            &name,
            key,
            kinds,
            &mut table.not_valid,
            &mut table.deferrable,
        )?);
    }
    let dialect = fields.dialect;
    fields.finish()?;
    check_identities(&table, &identities, &declared, dialect)?;
    Ok((table, declared, sites))
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

/// How a declaration of a table body is read: as the op that would add it. Only the four
/// ops a table body can declare are reachable, so reading a schema needs no registry of
/// every op.
type ParseDeclaration = fn(&mut Fields<'_, '_>) -> Result<Box<dyn Operation>>;

/// The `type`s of `[[tables.X.constraints]]`; indexes are read as `create_index`.
const CONSTRAINT_KINDS: &[(&str, ParseDeclaration)] = &[
    ("foreign_key", add_foreign_key::parse),
    ("unique", add_unique::parse),
    ("check", add_check::parse),
];

/// `valid = false` on a check or foreign key of schema.toml: the database holds it
/// `NOT VALID` (Postgres), so the baseline adds it so. Yields the constraint's name.
fn not_valid_field(
    inner: &mut Fields<'_, '_>,
    body: &toml::de::DeTable<'_>,
) -> Result<Option<String>> {
    let Some(valid) = inner.opt_bool(&["valid"])? else {
        return Ok(None);
    };
    if valid.value {
        return Ok(None);
    }
    if inner.dialect.is_some_and(|d| d != Dialect::Postgres) {
        return Err(Diag::input("`valid = false` is a Postgres state")
            .at(valid.location)
            .label("this project's dialect checks every constraint it adds")
            .help("remove `valid`")
            .into());
    }
    let kind = body.get("type").and_then(|t| t.get_ref().as_str());
    if !matches!(kind, Some("check" | "foreign_key")) {
        return Err(
            Diag::input("only a check or a foreign key can be NOT VALID")
                .at(valid.location)
                .label("`valid = false` here")
                .help("remove `valid`")
                .into(),
        );
    }
    match body.get("name").and_then(|n| n.get_ref().as_str()) {
        Some(name) => Ok(Some(name.to_string())),
        None => Err(Diag::input("a NOT VALID constraint needs its `name`")
            .at(valid.location)
            .label("`valid = false` without a name")
            .help("add `name = \"...\"`, the constraint's name in the database")
            .into()),
    }
}

/// `deferrable = true` or `initially_deferred = true` on a unique constraint of
/// schema.toml (Postgres; a foreign key's are the op's own): its name and whether it is
/// initially deferred.
fn deferrable_unique_fields(
    inner: &mut Fields<'_, '_>,
    body: &toml::de::DeTable<'_>,
) -> Result<Option<(String, bool)>> {
    if body.get("type").and_then(|t| t.get_ref().as_str()) != Some("unique") {
        return Ok(None);
    }
    let deferrable = inner.opt_bool(&["deferrable"])?;
    let deferred = inner.opt_bool(&["initially_deferred"])?;
    let at = match (&deferrable, &deferred) {
        (_, Some(d)) if d.value => d.location.clone(),
        (Some(d), _) if d.value => d.location.clone(),
        _ => return Ok(None),
    };
    if inner.dialect.is_some_and(|d| d != Dialect::Postgres) {
        return Err(
            Diag::input("a deferrable unique constraint is a Postgres one")
                .at(at)
                .label("this project's dialect checks a key at every row")
                .help("remove `deferrable` and `initially_deferred`")
                .into(),
        );
    }
    match body.get("name").and_then(|n| n.get_ref().as_str()) {
        Some(name) => Ok(Some((name.to_string(), deferred.is_some_and(|d| d.value)))),
        None => Err(
            Diag::input("a deferrable unique constraint needs its `name`")
                .at(at)
                .label("deferrable without a name")
                .help("add `name = \"...\"`")
                .into(),
        ),
    }
}

/// The `[[<key>]]` items of a table body as ops: constraints by their `type`
/// (`foreign_key`, `unique`, `check`), indexes as `create_index`.
fn declarations(
    fields: &mut Fields<'_, '_>,
    table: &str,
    key: &'static str,
    kinds: &[(&'static str, ParseDeclaration)],
    not_valid: &mut Vec<String>,
    deferrable: &mut std::collections::BTreeMap<String, bool>,
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
        let mut inner = fields.nested(&body, item.span(), what);
        let parse = if kinds.is_empty() {
            create_index::parse
        } else {
            let kind = inner.str(&["type"], "foreign_key, unique or check")?;
            match kinds.iter().find(|(k, _)| *k == kind.value) {
                Some((_, parse)) => *parse,
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
        if !kinds.is_empty() {
            if let Some(name) = not_valid_field(&mut inner, &body)? {
                not_valid.push(name);
            }
            if let Some((name, deferred)) = deferrable_unique_fields(&mut inner, &body)? {
                deferrable.insert(name, deferred);
            }
        }
        let op = parse(&mut inner)?;
        inner.finish()?;
        out.push(Declared {
            op,
            location: Location::new(&file, item.span()),
        });
    }
    Ok(out)
}
