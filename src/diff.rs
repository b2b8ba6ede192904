//! `tandem diff --to FILE --release R`: the declarative path. The latest model (what the
//! code of the last release sees) is compared with a desired schema written in
//! schema.toml's format, and the change file that gets there is printed, tagged R: its
//! ops are split into expand and contract by `plan` like any other change. Renames are
//! taken only from explicit hints, never guessed from a drop and an add.

use crate::schema_toml::{key, list, quoted as q};
use std::path::Path;

use crate::diag::{Diag, Result};
use crate::model::{Column, Constraint, ConstraintKind, Default, Schema, Table};
use crate::plan::Plan;
use crate::project::{read_source, Project};
use crate::sql::Dialect;
use crate::types::{ColumnType, Literal};

/// `[[objects]]` the desired schema adds, changes or drops against the baseline's: no
/// op changes an object yet, so each is named for a `sql` op.
fn object_notes(
    baseline: &[crate::model::SchemaObject],
    desired: &[crate::model::SchemaObject],
    notes: &mut Vec<String>,
) {
    let same = |a: &crate::model::SchemaObject, b: &crate::model::SchemaObject| {
        a.kind == b.kind && a.name == b.name
    };
    for want in desired {
        match baseline.iter().find(|o| same(o, want)) {
            None => notes.push(format!(
                "{} {} is new (create it in a `sql` op)",
                want.kind, want.name
            )),
            Some(now) if now.sql != want.sql => notes.push(format!(
                "{} {} changes its statement (replace it in a `sql` op)",
                want.kind, want.name
            )),
            Some(_) => {}
        }
    }
    for now in baseline
        .iter()
        .filter(|o| !desired.iter().any(|d| same(o, d)))
    {
        notes.push(format!(
            "{} {} is gone (drop it in a `sql` op)",
            now.kind, now.name
        ));
    }
}

/// The change file, as TOML text.
pub fn propose(
    project: &Project,
    plan: &Plan,
    desired_path: &Path,
    release: &str,
    renames: &[String],
) -> Result<String> {
    let file = read_source(&project.config, desired_path)?;
    let dialect = project.config.dialect;
    // Read as schema.toml is, with the dialect's name scopes (a check's name per table).
    let desired = crate::parse::schema::parse_project_schema(&file, dialect)?;
    let current = latest(plan, dialect);
    let mut ops: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    // Enums made or extended first (the columns after use them); values removed and
    // enums dropped last, once no column needs them.
    let mut enum_drops: Vec<String> = Vec::new();
    diff_enums(&current, &desired, &mut ops, &mut enum_drops)?;
    let (table_renames, column_renames) = parse_renames(renames, &current)?;
    // Tables renamed first: everything after speaks of the new names.
    for (from, to) in &table_renames {
        ops.push(format!(
            "type = \"rename_table\"\ntable = {}\nto = {}",
            q(from),
            q(to)
        ));
    }
    let current_name = |desired_name: &str| -> String {
        table_renames
            .iter()
            .find(|(_, to)| to == desired_name)
            .map(|(from, _)| from.clone())
            .unwrap_or_else(|| desired_name.to_string())
    };
    for table in desired.tables.values() {
        let Some(now) = current.tables.get(&current_name(&table.name)) else {
            ops.push(create_table(dialect, table));
            continue;
        };
        diff_table(dialect, now, table, &column_renames, &mut ops, &mut notes);
    }
    for table in current.tables.values() {
        let renamed = table_renames.iter().any(|(from, _)| *from == table.name);
        if !renamed && !desired.tables.contains_key(&table.name) {
            ops.push(format!("type = \"drop_table\"\ntable = {}", q(&table.name)));
        }
    }
    ops.extend(enum_drops);
    // Indexes, by name.
    for index in current.indexes.values() {
        if desired.index_on(&index.table, &index.name).is_none() {
            ops.push(format!(
                "type = \"drop_index\"\nname = {}\ntable = {}",
                q(&index.name),
                q(&index.table)
            ));
        }
    }
    for index in desired.indexes.values() {
        match current.index_on(&index.table, &index.name) {
            Some(now)
                if now.columns == index.columns
                    && now.unique == index.unique
                    && now.options == index.options => {}
            Some(_) => {
                return Err(Diag::input(format!(
                    "index {} changes its columns, uniqueness or options",
                    index.name
                ))
                .help("give the new index another name: it is built beside the old one, which is dropped in the contract")
                .into())
            }
            // With its options: `where`, `method`, `include`, expressions, ...
            None => ops.push(format!(
                "type = \"create_index\"\ntable = {}\n{}",
                q(&index.table),
                crate::schema_toml::index_fields(index).join("\n")
            )),
        }
    }
    object_notes(&plan.objects, &desired.objects, &mut notes);
    if ops.is_empty() && notes.is_empty() {
        return Err(Diag::input(format!(
            "{} describes the latest model already: there is no change to propose",
            project.config.display(desired_path)
        ))
        .into());
    }
    if ops.is_empty() {
        return Err(Diag::input(format!(
            "{} differs from the latest model only in what no op can change: {}",
            project.config.display(desired_path),
            notes.join("; ")
        ))
        .into());
    }
    let mut out = format!(
        "# Proposed by `tandem diff --to {}`: check it, then save it under changes/.\nrelease = {}\nsummary = {}\n",
        project.config.display(desired_path),
        q(release),
        q(&format!("reach {}", project.config.display(desired_path)))
    );
    for note in &notes {
        out.push_str(&format!("# not proposed: {note}\n"));
    }
    for op in ops {
        out.push_str("\n[[op]]\n");
        out.push_str(&op);
        out.push('\n');
    }
    Ok(out)
}

/// The enum ops from `current`'s enums to `desired`'s: `create_enum` and
/// `add_enum_value` into `ops`, `drop_enum_value` and `drop_enum` into `drops`. A value
/// is only ever added at the end: a desired order that needs one elsewhere (or the
/// values reordered) cannot be reached by ops, and is refused with the reason.
fn diff_enums(
    current: &Schema,
    desired: &Schema,
    ops: &mut Vec<String>,
    drops: &mut Vec<String>,
) -> Result<()> {
    for (name, values) in &desired.enums {
        let Some(now) = current.enums.get(name) else {
            ops.push(format!(
                "type = \"create_enum\"\nenum = {}\nvalues = {}",
                q(name),
                list(values)
            ));
            continue;
        };
        let kept: Vec<&String> = now.iter().filter(|v| values.contains(v)).collect();
        let added = &values[kept.len().min(values.len())..];
        let in_order = values.len() >= kept.len()
            && values[..kept.len()].iter().zip(&kept).all(|(a, b)| a == *b)
            && added.iter().all(|v| !now.contains(v));
        if !in_order {
            return Err(Diag::input(format!(
                "enum {name} goes from [{}] to [{}]: a value can only be added at the end, and the kept values keep their order",
                now.join(", "),
                values.join(", ")
            ))
            .help("append the new values at the end of the enum's values, or make a new enum and move the columns to it with alter_column")
            .into());
        }
        for value in added {
            ops.push(format!(
                "type = \"add_enum_value\"\nenum = {}\nvalue = {}",
                q(name),
                q(value)
            ));
        }
        for value in now.iter().filter(|v| !values.contains(v)) {
            drops.push(format!(
                "type = \"drop_enum_value\"\nenum = {}\nvalue = {}",
                q(name),
                q(value)
            ));
        }
    }
    for name in current.enums.keys() {
        if !desired.enums.contains_key(name) {
            drops.push(format!("type = \"drop_enum\"\nenum = {}", q(name)));
        }
    }
    Ok(())
}

/// The enums that exist once every file ran, with their values in order.
fn latest_enums(plan: &Plan) -> indexmap::IndexMap<String, Vec<String>> {
    use crate::action::{Action, EnumChange};
    let mut enums = indexmap::IndexMap::new();
    for action in plan
        .files
        .iter()
        .flat_map(|f| f.steps.iter().flat_map(|s| &s.actions))
    {
        let Action::Enum { name, change, .. } = action else {
            continue;
        };
        match change {
            EnumChange::Create { values } => {
                enums.insert(name.clone(), values.clone());
            }
            EnumChange::AddValue { value } => {
                if let Some(v) = enums.get_mut(name) {
                    v.push(value.clone());
                }
            }
            EnumChange::DropValue { values, .. } => {
                enums.insert(name.clone(), values.clone());
            }
            EnumChange::Drop => {
                enums.shift_remove(name);
            }
        }
    }
    enums
}

/// The schema the code of the last release sees, with the indexes that exist.
fn latest(plan: &Plan, dialect: crate::sql::Dialect) -> Schema {
    let view = plan.latest.clone();
    let mut schema = Schema {
        tables: view.tables,
        enums: latest_enums(plan),
        dialect: Some(dialect),
        ..Schema::default()
    };
    let mut physical = crate::sql::physical::Physical::for_dialect(Some(dialect));
    for action in plan
        .files
        .iter()
        .flat_map(|f| f.steps.iter().flat_map(|s| &s.actions))
    {
        physical.apply(action);
    }
    for table in physical.tables() {
        if schema.tables.contains_key(&table.name) {
            for index in physical.indexes_of(&table.name) {
                schema.insert_index(index.clone());
            }
        }
    }
    schema
}

type Renames = (Vec<(String, String)>, Vec<(String, String, String)>);

fn parse_renames(hints: &[String], current: &Schema) -> Result<Renames> {
    let mut tables = Vec::new();
    let mut columns = Vec::new();
    for hint in hints {
        let Some((from, to)) = hint.split_once('=') else {
            return Err(Diag::input(format!(
                "--rename {hint}: expected table=new or table.column=new"
            ))
            .into());
        };
        match from.split_once('.') {
            Some((table, column)) => {
                let known = current
                    .tables
                    .get(table)
                    .is_some_and(|t| t.column(column).is_some());
                if !known {
                    return Err(Diag::input(format!(
                        "--rename {hint}: the latest model has no column {from}"
                    ))
                    .into());
                }
                columns.push((table.to_string(), column.to_string(), to.to_string()));
            }
            None => {
                if !current.tables.contains_key(from) {
                    return Err(Diag::input(format!(
                        "--rename {hint}: the latest model has no table {from}"
                    ))
                    .into());
                }
                tables.push((from.to_string(), to.to_string()));
            }
        }
    }
    Ok((tables, columns))
}

fn diff_table(
    dialect: Dialect,
    now: &Table,
    want: &Table,
    renames: &[(String, String, String)],
    ops: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let t = &want.name;
    // What no op changes yet is named, not proposed.
    for (what, differs) in [
        ("its partitioning", now.partition_by != want.partition_by),
        (
            "which of its constraints are NOT VALID",
            now.not_valid != want.not_valid,
        ),
        (
            "which of its keys are deferrable",
            now.deferrable != want.deferrable,
        ),
    ] {
        if differs {
            notes.push(format!(
                "{t} changes {what}; no op changes that: write a `sql` op"
            ));
        }
    }
    let renamed_from = |column: &str| {
        renames
            .iter()
            .find(|(table, _, to)| (table == &now.name || table == t) && to == column)
            .map(|(_, from, _)| from.clone())
    };
    for (table, from, to) in renames.iter().filter(|(table, _, _)| table == &now.name) {
        let _ = table;
        ops.push(format!(
            "type = \"rename_column\"\ntable = {}\ncolumn = {}\nto = {}",
            q(t),
            q(from),
            q(to)
        ));
    }
    for column in &want.columns {
        let source = renamed_from(&column.name).unwrap_or_else(|| column.name.clone());
        match now.column(&source) {
            None => ops.push(format!(
                "type = \"add_column\"\ntable = {}\ncolumn = {}",
                q(t),
                column_inline(dialect, column)
            )),
            Some(old) => {
                let mut fields = alter_fields(dialect, t, old, column, notes);
                // A widening the dialect cannot make in place keeps the name through a
                // shadow column, alone in its op: the rest waits for a later release.
                if fields.len() > 1
                    && fields[0].starts_with("column_type")
                    && !crate::sql::types::retype_in_place(dialect, &old.ty, &column.ty)
                {
                    let rest = fields.split_off(1);
                    notes.push(format!(
                        "{t}.{} changes type through a shadow column swapped in at contract; then, in a later release: an alter_column with {}",
                        column.name,
                        rest.join(", ")
                    ));
                }
                if !fields.is_empty() {
                    ops.push(format!(
                        "type = \"alter_column\"\ntable = {}\ncolumn = {}\n{}",
                        q(t),
                        q(&column.name),
                        fields.join("\n")
                    ));
                }
            }
        }
    }
    for old in &now.columns {
        let renamed = renames
            .iter()
            .any(|(table, from, _)| table == &now.name && from == &old.name);
        if !renamed && want.column(&old.name).is_none() {
            ops.push(format!(
                "type = \"drop_column\"\ntable = {}\ncolumn = {}",
                q(t),
                q(&old.name)
            ));
        }
    }
    // A new or replaced primary key, once its columns are there; a key removed without
    // a replacement has no op (a table keeps its key).
    if !want.primary_key.is_empty() && want.primary_key != now.primary_key {
        ops.push(format!(
            "type = \"add_primary_key\"\ntable = {}\ncolumns = {}{}",
            q(t),
            list(&want.primary_key),
            if now.primary_key.is_empty() {
                ""
            } else {
                "\nreplace = true"
            }
        ));
    }
    let set_comment = |column: Option<&str>, text: &Option<String>| {
        let mut op = format!("type = \"set_comment\"\ntable = {}", q(t));
        if let Some(c) = column {
            op.push_str(&format!("\ncolumn = {}", q(c)));
        }
        match text {
            Some(text) => op.push_str(&format!("\ncomment = {}", q(text))),
            None => op.push_str("\nremove = true"),
        }
        op
    };
    if now.comment != want.comment {
        ops.push(set_comment(None, &want.comment));
    }
    for column in &want.columns {
        let source = renamed_from(&column.name).unwrap_or_else(|| column.name.clone());
        if let Some(old) = now.column(&source) {
            if old.comment != column.comment {
                ops.push(set_comment(Some(&column.name), &column.comment));
            }
        }
    }
    constraint_ops(t, now, want, ops);
}

/// Drops of the constraints `want` lacks, adds of those `now` lacks.
fn constraint_ops(t: &str, now: &Table, want: &Table, ops: &mut Vec<String>) {
    for c in &now.constraints {
        if !want.constraints.iter().any(|w| w.name == c.name) {
            ops.push(format!(
                "type = \"drop_constraint\"\ntable = {}\nname = {}",
                q(t),
                q(&c.name)
            ));
        }
    }
    for c in &want.constraints {
        if now.constraints.iter().any(|n| n.name == c.name) {
            continue;
        }
        let (kind, fields) = constraint_fields(c);
        ops.push(format!("type = \"add_{kind}\"\ntable = {}\n{fields}", q(t)));
    }
}

/// The fields of an `alter_column` op that turn `old` into `column` (none when they
/// agree); what no op can change is a note.
fn alter_fields(
    dialect: Dialect,
    t: &str,
    old: &Column,
    column: &Column,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let mut fields = Vec::new();
    // An enum column is of its enum, whatever values the enum gains or
    // loses (those are the enum's own ops).
    let same_type = match (&old.ty, &column.ty) {
        (ColumnType::Enum(a), ColumnType::Enum(b)) => a.name == b.name,
        (a, b) => a == b,
    };
    if !same_type {
        fields.push(crate::sql::types::type_toml(
            dialect,
            &column.ty,
            "column_type",
        ));
    }
    if old.nullable != column.nullable {
        fields.push(format!("nullable = {}", column.nullable));
    }
    if old.is_identity() != column.is_identity() {
        // No op makes a column identity or stops it being one.
        notes.push(format!(
            "{t}.{} {} identity; no op changes that: write a `sql` op, or add a new column",
            column.name,
            if column.is_identity() {
                "becomes"
            } else {
                "stops being"
            }
        ));
    } else if (old.is_generated() || column.is_generated()) && old.default != column.default {
        notes.push(format!(
            "{t}.{} changes how it is generated; no op changes that: write a `sql` op, or add a new column",
            column.name
        ));
    } else if old.default != column.default {
        match &column.default {
            None => fields.push("drop_default = true".into()),
            Some(Default::Literal(l)) => fields.push(format!("default = {}", literal(l))),
            Some(Default::Sql(s)) => fields.push(format!("default_sql = {}", q(s))),
            // A change file cannot make a column identity or generated.
            Some(Default::Identity | Default::Generated { .. }) => {}
        }
    }
    fields
}

/// A constraint's kind (`unique`, `check`, `foreign_key`) and its fields as a change
/// file writes them, `name` first.
fn constraint_fields(c: &Constraint) -> (&'static str, String) {
    match &c.kind {
        ConstraintKind::Unique { columns } => (
            "unique",
            format!("name = {}\ncolumns = {}", q(&c.name), list(columns)),
        ),
        ConstraintKind::Check { expr } => (
            "check",
            format!("name = {}\ncheck = {}", q(&c.name), q(expr)),
        ),
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            deferrable,
            initially_deferred,
        } => {
            let mut op = format!(
                "name = {}\ncolumns = {}\nreferences = {}",
                q(&c.name),
                list(columns),
                q(&format!("{references}({})", referenced_columns.join(", ")))
            );
            if let Some(action) = on_delete {
                op.push_str(&format!("\non_delete = {}", q(action)));
            }
            if let Some(action) = on_update {
                op.push_str(&format!("\non_update = {}", q(action)));
            }
            if *deferrable {
                op.push_str("\ndeferrable = true");
            }
            if *initially_deferred {
                op.push_str("\ninitially_deferred = true");
            }
            ("foreign_key", op)
        }
    }
}

fn create_table(dialect: Dialect, table: &Table) -> String {
    let mut out = format!(
        "type = \"create_table\"\ntable = {}\nprimary_key = {}\n",
        q(&table.name),
        list(&table.primary_key)
    );
    if let Some(text) = &table.comment {
        out.push_str(&format!("comment = {}\n", q(text)));
    }
    out.push_str("columns = { ");
    out.push_str(
        &table
            .columns
            .iter()
            .map(|c| format!("{} = {}", key(&c.name), column_fields(dialect, c)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(" }");
    // Its keys and checks come with it, as `[[op.constraints]]` of the op.
    for c in &table.constraints {
        let (kind, fields) = constraint_fields(c);
        out.push_str(&format!(
            "\n\n[[op.constraints]]\ntype = \"{kind}\"\n{fields}"
        ));
    }
    out
}

fn column_inline(dialect: Dialect, c: &Column) -> String {
    let fields = column_fields(dialect, c);
    format!("{{ name = {}, {}", q(&c.name), &fields[2..])
}

fn column_fields(dialect: Dialect, c: &Column) -> String {
    let mut fields = vec![crate::sql::types::type_toml(dialect, &c.ty, "type")];
    if c.nullable {
        fields.push("nullable = true".into());
    }
    match &c.default {
        Some(Default::Literal(l)) => fields.push(format!("default = {}", literal(l))),
        Some(Default::Sql(s)) => fields.push(format!("default_sql = {}", q(s))),
        Some(Default::Identity) => fields.push("identity = true".into()),
        Some(Default::Generated { expr, stored }) => {
            fields.push(format!("generated = {}", q(expr)));
            fields.push(format!("stored = {stored}"));
        }
        None => {}
    }
    if let Some(text) = &c.comment {
        fields.push(format!("comment = {}", q(text)));
    }
    format!("{{ {} }}", fields.join(", "))
}

fn literal(l: &Literal) -> String {
    match l {
        Literal::Str(s) => q(s),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => toml::Value::Float(*f).to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}
