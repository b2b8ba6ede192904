//! `tandem diff --database-url URL`: drift. The database's history says which files it
//! applied; replaying their actions gives what should exist (the physical schema at that
//! point, retired columns included until their contract drops them). Every difference
//! with what the catalogue shows is listed, so a hand-made change is found before the
//! next `migrate` meets it.

use super::database::Target;
use super::database::{Database, DbError};
use super::migrate::slot_label;
use super::AppliedRow;
use super::{connect, history_rows};
use crate::action::RawEffect;
use crate::config::DriftSettings;
use crate::diag::{Diag, Result};
use crate::model::{ConstraintKind, Index};
use crate::plan::Plan;
use crate::sql::catalogue::{foreign_keys, primary_key, read_indexes, unique_constraints};
use crate::sql::inspect::{index_option_differences, is_user_table};
use crate::sql::physical::Physical;

/// What `tandem diff --database-url` finds: where the database's history says it is in
/// the plan, and how its catalogue differs from the plan at that point.
pub struct DatabaseDrift {
    /// `expand(1.4.0)`, `baseline`, or `nothing applied`.
    pub point: String,
    /// One line per difference; none when the database matches the plan.
    pub differences: Vec<String>,
}

/// Reads `target`'s history and catalogue and compares them with `plan`.
/// What `ignore` (tandem.toml's `[drift]`) names is left out.
pub fn of_database(target: &Target, plan: &Plan, ignore: &DriftSettings) -> Result<DatabaseDrift> {
    let mut db = connect(target, false)?;
    let db_err = |e: DbError| Diag::input(format!("{}: {e}", target.display()));
    let applied = history_rows(&mut db).map_err(db_err)?;
    let differences = differences(&mut db, plan, &applied, ignore).map_err(db_err)?;
    let last = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let point = plan
        .files
        .iter()
        .rfind(|f| f.version <= last)
        .map(|f| slot_label(plan, f.slot))
        .unwrap_or_else(|| "nothing applied".into());
    Ok(DatabaseDrift { point, differences })
}

/// The schema the plan says exists once the applied files ran, with its indexes.
pub fn expected(
    plan: &Plan,
    applied: &[AppliedRow],
    dialect: crate::sql::Dialect,
) -> (Physical, Vec<Index>) {
    let mut physical = Physical::for_dialect(Some(dialect));
    for file in plan
        .files
        .iter()
        .filter(|f| applied.iter().any(|a| a.version == f.version))
    {
        for action in file.steps.iter().flat_map(|s| &s.actions) {
            physical.apply(action);
        }
    }
    let indexes = physical
        .tables()
        .flat_map(|t| physical.indexes_of(&t.name).cloned().collect::<Vec<_>>())
        .collect();
    (physical, indexes)
}

/// Every difference between what the plan says exists and what does, as lines.
pub fn differences(
    db: &mut Database,
    plan: &Plan,
    applied: &[AppliedRow],
    ignore: &DriftSettings,
) -> Result<Vec<String>, DbError> {
    let dialect = db.dialect();
    let (physical, indexes) = expected(plan, applied, dialect);
    let live_tables: Vec<String> = db
        .table_names()?
        .into_iter()
        .filter(|t| is_user_table(t) && !ignore.ignores_table(t))
        .collect();
    let mut out = Vec::new();
    for table in physical.tables() {
        if ignore.ignores_table(&table.name) {
            continue;
        }
        let plan_ignores = |name: &str| ignore.ignores(&table.name, name);
        if !live_tables.contains(&table.name) {
            out.push(format!("table {} is missing", table.name));
            continue;
        }
        // Defaults are left out: the plan does not follow every default a step sets.
        // Some columns are NOT NULL or nullable depending on which version wrote the step
        // a database ran (see `Physical::either_nullability`).
        let either = |column: &str| physical.either_nullability(&table.name, column);
        let ignored = |name: &str| plan_ignores(name);
        super::adopt::compare_columns(db, table, "the plan", false, &either, &ignored, &mut out)?;
        super::adopt::compare_comments(db, table, "the plan", &mut out)?;
        super::adopt::compare_partitioning(db, table, "the plan", &mut out)?;
        let pk = primary_key(db, &table.name)?;
        if pk != table.primary_key {
            out.push(format!(
                "the primary key of {} is ({}) in the database but ({}) in the plan",
                table.name,
                pk.join(", "),
                table.primary_key.join(", ")
            ));
        }
        let mut expected_keys: Vec<Index> = indexes
            .iter()
            .filter(|i| i.table == table.name)
            .cloned()
            .collect();
        expected_keys.extend(crate::sql::ddl::unique_indexes(table));
        let foreign = foreign_keys(db, &table.name)?;
        let uniques = unique_constraints(db, &table.name)?;
        let mut live = read_indexes(db, &table.name)?;
        live.retain(|i| !plan_ignores(&i.name));
        expected_keys.retain(|i| !plan_ignores(&i.name));
        let own_keys: Vec<&str> = foreign
            .iter()
            .map(|f| f.name.as_str())
            .chain(uniques.iter().map(|(n, _)| n.as_str()))
            .collect();
        index_differences(
            dialect,
            &table.name,
            &expected_keys,
            &live,
            &own_keys,
            &mut out,
        );
        if dialect != crate::sql::Dialect::Sqlite {
            for c in table.constraints.iter().filter(|c| !plan_ignores(&c.name)) {
                if matches!(c.kind, ConstraintKind::ForeignKey { .. })
                    && !foreign.iter().any(|f| f.name == c.name)
                {
                    out.push(format!(
                        "foreign key {} of {} is missing",
                        c.name, table.name
                    ));
                }
            }
            for f in foreign.iter().filter(|f| !plan_ignores(&f.name)) {
                if !table.constraints.iter().any(|c| c.name == f.name) {
                    out.push(format!(
                        "foreign key {} of {} exists in the database but not in the plan",
                        f.name, table.name
                    ));
                }
            }
        }
    }
    let views: Vec<String> = physical
        .tables()
        .flat_map(|t| {
            physical
                .view_names_of(&t.name)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let objects: Vec<_> = expected_objects(plan, applied)
        .into_iter()
        .filter(|(o, _)| !ignore.ignores_object(&o.name) && still_has_table(o, &physical))
        .collect();
    if !objects.is_empty() {
        object_differences(db, &objects, &mut out)?;
    }
    for name in live_tables {
        if physical.table(&name).is_none() && !views.contains(&name) {
            out.push(format!(
                "table {name} exists in the database but not in the plan"
            ));
        }
    }
    Ok(out)
}

/// The objects outside the table model that the applied files made: the baseline's
/// (compared by statement, which introspect wrote as the catalogue gives it), then those
/// that applied changes made, replaced or dropped (`false`: compared by existence, as the
/// statement a change wrote is not the catalogue's spelling of it).
fn expected_objects(
    plan: &Plan,
    applied: &[AppliedRow],
) -> Vec<(crate::model::SchemaObject, bool)> {
    let mut out: Vec<(crate::model::SchemaObject, bool)> = Vec::new();
    for file in plan
        .files
        .iter()
        .filter(|f| applied.iter().any(|a| a.version == f.version))
    {
        if file.slot == crate::plan::Slot::Baseline {
            out.extend(plan.objects.iter().map(|o| (o.clone(), true)));
        }
        for action in file.steps.iter().flat_map(|s| &s.actions) {
            let crate::action::Action::Raw { effect, .. } = action else {
                continue;
            };
            for e in effect {
                match e {
                    RawEffect::Object(o) => {
                        out.retain(|(k, _)| !(k.kind == o.kind && k.name == o.name));
                        out.push((o.clone(), false));
                    }
                    RawEffect::DropObject { kind, name } => {
                        out.retain(|(k, _)| !(k.kind == *kind && k.name == *name));
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Whether the table an object belongs to is still there: an object of a table a later
/// change dropped went with it (a trigger, a policy, a constraint, named `table.name`;
/// a partition, with its partitioned table).
fn still_has_table(o: &crate::model::SchemaObject, physical: &Physical) -> bool {
    match o.name.split_once('.') {
        Some((table, _))
            if matches!(
                o.kind.as_str(),
                "trigger" | "policy" | "rule" | "exclusion_constraint" | "foreign_key_to_partition"
            ) =>
        {
            physical.table(table).is_some()
        }
        _ if o.kind == "partition" => {
            partition_parent(&o.sql).is_none_or(|parent| physical.table(&parent).is_some())
        }
        _ => true,
    }
}

/// The table a partition's statement attaches it to (`... PARTITION OF name ...`), where
/// it is in the current schema.
fn partition_parent(sql: &str) -> Option<String> {
    let rest = &sql[sql.find(" PARTITION OF ")? + " PARTITION OF ".len()..];
    let name = match rest.strip_prefix('"') {
        Some(quoted) => {
            let mut name = String::new();
            let mut chars = quoted.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('"', Some('"')) => {
                        name.push('"');
                        chars.next();
                    }
                    ('"', _) => break,
                    _ => name.push(c),
                }
            }
            name
        }
        None => rest.split([' ', '.']).next()?.to_string(),
    };
    Some(name)
}

/// The expected objects that are missing from the database or whose statement differs
/// from the catalogue's, read as introspect reads it (spacing and a final `;` aside).
/// Objects the plan does not name are not listed: `sql` ops make their own.
fn object_differences(
    db: &mut Database,
    expected: &[(crate::model::SchemaObject, bool)],
    out: &mut Vec<String>,
) -> Result<(), DbError> {
    let live = crate::sql::catalogue::objects(db)?;
    let normal = |sql: &str| {
        sql.trim()
            .trim_end_matches(';')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (want, exact) in expected {
        match live
            .iter()
            .find(|o| o.kind == want.kind && o.name == want.name)
        {
            None => out.push(format!("{} {} is missing", want.kind, want.name)),
            Some(have) if *exact && normal(&have.sql) != normal(&want.sql) => out.push(format!(
                "{} {} differs: the database has\n  {}\nbut the plan\n  {}",
                want.kind,
                want.name,
                normal(&have.sql),
                normal(&want.sql)
            )),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The differences of a table's live indexes with those the plan expects: changed,
/// extra (a key's own index and tandem's aside) and missing.
fn index_differences(
    dialect: crate::sql::Dialect,
    table: &str,
    expected_keys: &[Index],
    live: &[Index],
    own_keys: &[&str],
    out: &mut Vec<String>,
) {
    for index in live {
        let own_key = own_keys.contains(&index.name.as_str());
        match expected_keys.iter().find(|i| i.name == index.name) {
            Some(want) => {
                if want.columns != index.columns || want.unique != index.unique {
                    out.push(format!(
                        "index {} of {} is {}on ({}) in the database but {}on ({}) in the plan",
                        index.name,
                        table,
                        if index.unique { "unique " } else { "" },
                        index.columns.join(", "),
                        if want.unique { "unique " } else { "" },
                        want.columns.join(", ")
                    ));
                }
                for d in index_option_differences(dialect, want, index, "the plan") {
                    out.push(format!("index {} of {}: {d}", index.name, table));
                }
            }
            None if own_key || index.name.starts_with("tandem_") => {}
            None => out.push(format!(
                "index {} of {} exists in the database but not in the plan",
                index.name, table
            )),
        }
    }
    for want in expected_keys {
        let name = &want.name;
        if !live.iter().any(|i| &i.name == name) && !own_keys.contains(&name.as_str()) {
            out.push(format!("index {name} of {table} is missing"));
        }
    }
}
