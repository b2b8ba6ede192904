//! `migrate --adopt`: a live database that already has the baseline schema is compared
//! with schema.toml, through each dialect's own catalogue, before the baseline is
//! recorded as applied without running it. Every difference is reported at once: the
//! tables, the columns with their types (as tandem would write them for that dialect),
//! nullability and the defaults schema.toml gives, the primary key in order, the declared
//! indexes and unique keys with their columns in order and their uniqueness, and the
//! declared foreign keys with their columns and what they reference, and the declared
//! checks by name. What the live database has beyond
//! schema.toml (extra tables, indexes, constraints) is its own business.

use super::database::{Database, DbError};
use crate::action::Action;
use crate::model::{ConstraintKind, Index, Table};
use crate::plan::Plan;
use crate::sql::catalogue::{comments, foreign_keys, live_columns, primary_key, read_indexes};
use crate::sql::inspect::{
    canonical_type, fk_action, generated_expr_key, index_option_differences,
};
use crate::sql::Dialect;

/// Every difference between the baseline of `plan` and the live database, as lines.
pub fn differences(db: &mut Database, plan: &Plan) -> Result<Vec<String>, DbError> {
    let baseline = &plan.views[0];
    let dialect = db.dialect();
    let indexes: Vec<&Index> = plan.files[0]
        .steps
        .iter()
        .flat_map(|s| &s.actions)
        .filter_map(|a| match a {
            Action::CreateIndex { index } => Some(index),
            _ => None,
        })
        .collect();
    let mut problems = Vec::new();
    let live = db.table_names()?;
    for table in baseline.tables.values() {
        if !live.contains(&table.name) {
            problems.push(format!("table {} is missing", table.name));
            continue;
        }
        compare_columns(
            db,
            table,
            "schema.toml",
            true,
            &|_| false,
            &|_| false,
            &mut problems,
        )?;
        compare_comments(db, table, "schema.toml", &mut problems)?;
        compare_partitioning(db, table, "schema.toml", &mut problems)?;
        let primary_key = primary_key(db, &table.name)?;
        if primary_key != table.primary_key {
            problems.push(format!(
                "the primary key of {} is ({}) in the database but ({}) in schema.toml",
                table.name,
                primary_key.join(", "),
                table.primary_key.join(", ")
            ));
        }
        let live_indexes = read_indexes(db, &table.name)?;
        let mut expected: Vec<(&str, Index)> = indexes
            .iter()
            .filter(|i| i.table == table.name)
            .map(|i| ("index", (*i).clone()))
            .collect();
        expected.extend(crate::sql::ddl::unique_indexes(table).map(|i| ("unique constraint", i)));
        for (what, index) in &expected {
            let Some(found) = live_indexes.iter().find(|l| l.name == index.name) else {
                problems.push(format!(
                    "{what} {} of {} is missing",
                    index.name, table.name
                ));
                continue;
            };
            if found.columns != index.columns {
                problems.push(format!(
                    "{what} {} of {} is on ({}) in the database but on ({}) in schema.toml",
                    index.name,
                    table.name,
                    found.columns.join(", "),
                    index.columns.join(", ")
                ));
            }
            for d in index_option_differences(dialect, index, found, "schema.toml") {
                problems.push(format!("{what} {} of {}: {d}", index.name, table.name));
            }
            if found.unique != index.unique {
                let word = |u: bool| if u { "unique" } else { "not unique" };
                problems.push(format!(
                    "{what} {} of {} is {} in the database but {} in schema.toml",
                    index.name,
                    table.name,
                    word(found.unique),
                    word(index.unique)
                ));
            }
        }
        compare_foreign_keys(db, table, &mut problems)?;
        // SQLite keeps no name for a foreign key or a check.
        if dialect != Dialect::Sqlite {
            let objects = db.object_names(&table.name)?;
            for c in table
                .constraints
                .iter()
                .filter(|c| !matches!(c.kind, ConstraintKind::Unique { .. }))
            {
                if !objects.iter().any(|o| o == &c.name) {
                    problems.push(format!(
                        "{} {} of {} is missing",
                        c.noun(),
                        c.name,
                        table.name
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The table is partitioned as `expected` says, and its checks and foreign keys are NOT
/// VALID where it says so (Postgres; the partitions themselves are objects).
pub(super) fn compare_partitioning(
    db: &mut Database,
    table: &Table,
    expected: &str,
    problems: &mut Vec<String>,
) -> Result<(), DbError> {
    let not_valid = crate::sql::catalogue::not_valid_constraints(db, &table.name)?;
    for c in &table.constraints {
        let (live, want) = (
            not_valid.contains(&c.name),
            table.not_valid.contains(&c.name),
        );
        if live != want {
            let word = |n: bool| if n { "NOT VALID" } else { "validated" };
            problems.push(format!(
                "{} {} of {} is {} in the database but {} in {expected}",
                c.noun(),
                c.name,
                table.name,
                word(live),
                word(want)
            ));
        }
    }
    let deferrable = crate::sql::catalogue::deferrable_keys(db, &table.name)?;
    let keys = table
        .constraints
        .iter()
        .filter(|c| matches!(c.kind, ConstraintKind::Unique { .. }))
        .map(|c| (c.name.as_str(), format!("unique constraint {}", c.name)))
        .chain((!table.primary_key.is_empty()).then(|| ("", "the primary key".to_string())));
    for (name, what) in keys {
        let word = |d: Option<&bool>| match d {
            None => "not deferrable",
            Some(false) => "DEFERRABLE",
            Some(true) => "DEFERRABLE INITIALLY DEFERRED",
        };
        let (live, want) = (deferrable.get(name), table.deferrable.get(name));
        if live != want {
            problems.push(format!(
                "{what} of {} is {} in the database but {} in {expected}",
                table.name,
                word(live),
                word(want)
            ));
        }
    }
    let live = crate::sql::catalogue::table_partition_by(db, &table.name)?;
    let key = |b: &Option<String>| b.as_deref().map(generated_expr_key);
    if key(&live) != key(&table.partition_by) {
        let shown = |b: &Option<String>| match b {
            Some(b) => format!("partitioned by {b}"),
            None => "not partitioned".into(),
        };
        problems.push(format!(
            "table {} is {} in the database but {} in {expected}",
            table.name,
            shown(&live),
            shown(&table.partition_by)
        ));
    }
    Ok(())
}

/// The table's comment and its columns' are the database's (SQLite keeps none).
pub(super) fn compare_comments(
    db: &mut Database,
    table: &Table,
    expected: &str,
    problems: &mut Vec<String>,
) -> Result<(), DbError> {
    if db.dialect() == Dialect::Sqlite {
        return Ok(());
    }
    let (live_table, live_columns) = comments(db, &table.name)?;
    let shown = |c: Option<&str>| match c {
        Some(text) => format!("{text:?}"),
        None => "none".to_string(),
    };
    if live_table.as_deref() != table.comment.as_deref() {
        problems.push(format!(
            "the comment of table {} is {} in the database but {} in {expected}",
            table.name,
            shown(live_table.as_deref()),
            shown(table.comment.as_deref())
        ));
    }
    for column in &table.columns {
        let live = live_columns
            .iter()
            .find(|(n, _)| *n == column.name)
            .map(|(_, text)| text.as_str());
        if live != column.comment.as_deref() {
            problems.push(format!(
                "the comment of column {}.{} is {} in the database but {} in {expected}",
                table.name,
                column.name,
                shown(live),
                shown(column.comment.as_deref())
            ));
        }
    }
    on_update_differences(db, table, expected, problems)
}

/// MySQL's `ON UPDATE` of each column is the database's (one spelling: the precision
/// kept, `()` and letter case aside).
fn on_update_differences(
    db: &mut Database,
    table: &Table,
    expected: &str,
    problems: &mut Vec<String>,
) -> Result<(), DbError> {
    if db.dialect() != Dialect::Mysql {
        return Ok(());
    }
    let live = crate::sql::catalogue::on_update_columns(db, &table.name)?;
    let shown = |c: Option<&str>| c.unwrap_or("none").to_string();
    for column in &table.columns {
        let have = live
            .iter()
            .find(|(n, _)| *n == column.name)
            .map(|(_, v)| v.as_str());
        let want = crate::sql::ddl::on_update_sql(column)
            .as_deref()
            .and_then(crate::sql::mysql::inspect::on_update_value_of);
        if have != want.as_deref() {
            problems.push(format!(
                "the ON UPDATE of column {}.{} is {} in the database but {} in {expected}",
                table.name,
                column.name,
                shown(have),
                shown(want.as_deref())
            ));
        }
    }
    Ok(())
}

/// Each declared foreign key has a live one of its name (its columns in SQLite, which
/// keeps no name) on the same columns, referencing the same table and columns.
fn compare_foreign_keys(
    db: &mut Database,
    table: &Table,
    problems: &mut Vec<String>,
) -> Result<(), DbError> {
    let dialect = db.dialect();
    // SQLite names no foreign key: there they are matched by their columns.
    let live = foreign_keys(db, &table.name)?;
    for c in &table.constraints {
        let ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            on_delete,
            on_update,
            deferrable,
            ..
        } = &c.kind
        else {
            continue;
        };
        let found = if dialect == Dialect::Sqlite {
            live.iter().find(|l| &l.columns == columns)
        } else {
            live.iter().find(|l| l.name == c.name)
        };
        let Some(found) = found else {
            if dialect == Dialect::Sqlite {
                problems.push(format!(
                    "foreign key {} of {} on ({}) is missing",
                    c.name,
                    table.name,
                    columns.join(", ")
                ));
            }
            // Elsewhere the name check reports it.
            continue;
        };
        let describe = |cols: &[String], table: &str, refs: &[String]| {
            format!("({}) -> {table}({})", cols.join(", "), refs.join(", "))
        };
        let live_shape = describe(&found.columns, &found.references, &found.referenced_columns);
        let want = describe(columns, references, referenced_columns);
        // The rules, in one spelling (no action is the default; InnoDB's restrict too).
        let rule = |a: Option<&str>| fk_action(dialect, a).unwrap_or_else(|| "no action".into());
        for (what, live_rule, want_rule) in [
            ("ON DELETE", &found.on_delete, on_delete),
            ("ON UPDATE", &found.on_update, on_update),
        ] {
            let (l, w) = (rule(live_rule.as_deref()), rule(want_rule.as_deref()));
            if l != w {
                problems.push(format!(
                    "foreign key {} of {} is {what} {l} in the database but {what} {w} in schema.toml",
                    c.name, table.name
                ));
            }
        }
        if found.deferrable != *deferrable {
            let word = |d: bool| if d { "deferrable" } else { "not deferrable" };
            problems.push(format!(
                "foreign key {} of {} is {} in the database but {} in schema.toml",
                c.name,
                table.name,
                word(found.deferrable),
                word(*deferrable)
            ));
        }
        if live_shape != want {
            problems.push(format!(
                "foreign key {} of {} is {live_shape} in the database but {want} in schema.toml",
                c.name, table.name
            ));
        }
    }
    Ok(())
}

/// Whether a column is generated, stored and from the same expression (in one spelling,
/// see [`generated_expr_key`]) in the database as in `expected`.
fn compare_generated(
    subject: &str,
    column: &crate::model::Column,
    live: &crate::sql::inspect::LiveColumn,
    expected: &str,
    problems: &mut Vec<String>,
) {
    let want = match &column.default {
        Some(crate::model::Default::Generated { expr, stored }) => Some((expr.as_str(), *stored)),
        _ => None,
    };
    let have = live.generated.as_ref().map(|(e, s)| (e.as_str(), *s));
    let kept = |s: bool| if s { "stored" } else { "virtual" };
    match (have, want) {
        (None, None) => {}
        (Some((e, _)), None) => problems.push(format!(
            "{subject} is generated from {e} in the database but not generated in {expected}"
        )),
        (None, Some((e, _))) => problems.push(format!(
            "{subject} is not generated in the database but generated from {e} in {expected}"
        )),
        (Some((he, hs)), Some((we, ws))) => {
            if hs != ws {
                problems.push(format!(
                    "{subject} is a {} generated column in the database but {} in {expected}",
                    kept(hs),
                    kept(ws)
                ));
            }
            if generated_expr_key(he) != generated_expr_key(we) {
                problems.push(format!(
                    "{subject} is generated from {he} in the database but from {we} in {expected}"
                ));
            }
        }
    }
}

/// The differences of `table`'s columns with the live ones (missing, extra, type,
/// nullability and, with `defaults`, a default the database lacks), each line ending
/// with what `expected` ("schema.toml", "the plan") says.
pub(super) fn compare_columns(
    db: &mut Database,
    table: &Table,
    expected: &str,
    defaults: bool,
    either_nullability: &dyn Fn(&str) -> bool,
    ignored: &dyn Fn(&str) -> bool,
    problems: &mut Vec<String>,
) -> Result<(), DbError> {
    let dialect = db.dialect();
    let mut columns = live_columns(db, &table.name)?;
    columns.retain(|c| !ignored(&c.name));
    let null_word = |n: bool| if n { "nullable" } else { "NOT NULL" };
    for column in table.columns.iter().filter(|c| !ignored(&c.name)) {
        let subject = format!("column {}.{}", table.name, column.name);
        let Some(live) = columns.iter().find(|c| c.name == column.name) else {
            problems.push(format!("{subject} is missing"));
            continue;
        };
        let want = crate::sql::ddl::column_type_name(dialect, column);
        // A Postgres enum is named quoted in SQL and bare in the catalogue; a native
        // type may be spelled otherwise there (`time with time zone` for `timetz`).
        let want = want.trim_matches('"').to_string();
        let same = |a: &str, b: &str| {
            let read =
                |t: &str| crate::sql::types::parse(Some(dialect), t, Some(&[])).map(|p| p.ty);
            canonical_type(dialect, a) == canonical_type(dialect, b)
                || matches!((read(a), read(b)), (Ok(x), Ok(y)) if x == y)
        };
        if !same(&live.ty, &want) {
            problems.push(format!(
                "{subject} is {} in the database but {want} in {expected}",
                live.ty
            ));
        }
        if live.nullable != column.nullable && !either_nullability(&column.name) {
            problems.push(format!(
                "{subject} is {} in the database but {} in {expected}",
                null_word(live.nullable),
                null_word(column.nullable)
            ));
        }
        // A default the database has beyond schema.toml only lets more inserts through;
        // one it lacks fails the inserts that count on it.
        compare_generated(&subject, column, live, expected, problems);
        if defaults
            && column.default.is_some()
            && !column.is_identity()
            && !column.is_generated()
            && !live.has_default
        {
            problems.push(format!(
                "{subject} has no default in the database but one in {expected}"
            ));
        }
    }
    for live in &columns {
        if table.column(&live.name).is_none() {
            problems.push(format!(
                "column {}.{} exists in the database but not in {expected}",
                table.name, live.name
            ));
        }
    }
    Ok(())
}
