//! `rename_column`: R's code uses the new name, R-1's the old one, and both run during the
//! rollout. Expand adds the new column, keeps both in sync with a trigger and backfills;
//! contract(R + gap) drops the sync, tightens the new column and drops the old one.
//!
//! In views mode (PostgreSQL) no row is touched: expand(R) only makes R's release schema,
//! whose view shows the existing column under its new name; contract(R + gap) renames
//! the column in place, which every release's views follow (see `dialect::views`).

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{trigger_name, Action, Source};
use crate::config::RenameMode;
use crate::diag::{Diag, Location, Result};
use crate::model::PhysicalName;
use crate::model::{Column, Constraint, ConstraintKind, Index, Table};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};
use crate::sql::Dialect;

#[derive(Debug)]
pub struct RenameColumn {
    table: Located<String>,
    from: Located<String>,
    to: Located<String>,
    mode: Option<Located<RenameMode>>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table holding the column")?;
    let from = fields.str(&["column", "from", "old_name"], "the column's current name")?;
    let to = fields.str(&["to", "new_name", "new_column"], "the column's new name")?;
    check_identifier(fields.file, &to.value, to.location.span.clone(), "column")?;
    let mode = parse_mode(fields)?;
    Ok(Box::new(RenameColumn {
        table,
        from,
        to,
        mode,
    }))
}

/// The `mode` of a rename: `"copy"` or `"views"`.
pub(super) fn parse_mode(fields: &mut Fields<'_, '_>) -> Result<Option<Located<RenameMode>>> {
    let Some(mode) = fields.opt_str(&["mode"])? else {
        return Ok(None);
    };
    let value = match mode.value.as_str() {
        "copy" => RenameMode::Copy,
        "views" => RenameMode::Views,
        other => {
            return Err(Diag::input(format!("unknown rename mode `{other}`"))
                .at(mode.location.clone())
                .label("expected \"copy\" or \"views\"")
                .help(crate::diag::suggestion(other, &["copy", "views"]))
                .into())
        }
    };
    Ok(Some(Located {
        value,
        location: mode.location,
    }))
}

/// The mode a rename runs in: its own `mode`, else the project's. Views mode needs
/// PostgreSQL: elsewhere it is an input error at the op's `mode`.
pub(super) fn resolve_mode(
    cx: &OpContext<'_>,
    mode: &Option<Located<RenameMode>>,
) -> Result<RenameMode> {
    let Some(mode) = mode else {
        return Ok(cx.rename_mode);
    };
    match cx.dialect {
        Some(dialect) if mode.value == RenameMode::Views && dialect != Dialect::Postgres => {
            Err(Diag::input(format!(
                "mode = \"views\" needs PostgreSQL; this project's dialect is {}",
                dialect.name()
            ))
            .at(mode.location.clone())
            .label("views mode")
            .note("views mode selects each release's views through the PostgreSQL search_path; MySQL and SQLite have no equivalent that keeps both releases writing")
            .help("use mode = \"copy\" (or remove `mode`), which renames through a new column kept in sync")
            .into())
        }
        _ => Ok(mode.value),
    }
}

impl Operation for RenameColumn {
    fn kind(&self) -> &'static str {
        "rename_column"
    }

    fn describe(&self) -> String {
        format!(
            "rename column {}.{} to {}",
            self.table.value, self.from.value, self.to.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        if resolve_mode(cx, &self.mode)? == RenameMode::Views {
            return self.through_views(cx);
        }
        move_column(
            cx,
            Move {
                table: &self.table,
                from: &self.from,
                to: &self.to,
                new: None,
                using: None,
                describe: self.describe(),
                doing: "rename",
            },
        )
    }
}

impl RenameColumn {
    /// Views mode: the model renames the column at once (R's views show it under the new
    /// name) and records the name it keeps in the table; contract(R + gap) renames it in
    /// place. Its indexes and constraints follow it in the database by themselves.
    fn through_views(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let old = cx.column(&self.table, &self.from)?.name.clone();
        cx.ensure_new_column(&self.table, &self.to)?;
        let (table, new) = (self.table.value.clone(), self.to.value.clone());
        cx.schema.rename_column_everywhere(&table, &old, &new);
        cx.schema.physical_names.push(PhysicalName {
            table: table.clone(),
            column: new.clone(),
            physical: old.clone(),
            until: cx.later_release,
        });
        cx.schema.views_since.get_or_insert(cx.release);
        cx.retire(&table, Some(&old));
        let subject = format!("{table}.{old}");
        Ok(vec![
            Step::new(
                Timing::Expand,
                format!(
                    "{}: this release's views show {subject} as {new}; no row or column changes",
                    self.describe()
                ),
                Vec::new(),
            ),
            Step::new(
                Timing::Later(Removal::new(
                    "rename in place",
                    "rename it in place",
                    subject.clone(),
                )),
                format!("rename {subject} to {new} in place (the release views follow it)"),
                vec![Action::RenameColumn {
                    table,
                    from: old,
                    to: new,
                }],
            ),
        ])
    }
}

/// A column's values moving to a new column that R's code uses while R-1's code keeps
/// the old one: a rename, or a type change that cannot be made in place.
pub(super) struct Move<'a> {
    pub table: &'a Located<String>,
    pub from: &'a Located<String>,
    pub to: &'a Located<String>,
    /// The new column's definition (its name is taken from `to`); `None`: the old one's.
    pub new: Option<Column>,
    /// The SQL that fills the new column of existing rows; `None`: the old column.
    pub using: Option<String>,
    pub describe: String,
    /// "rename", "change": for messages.
    pub doing: &'static str,
}

/// Expand adds the new column, keeps both in sync with a trigger and backfills;
/// contract(R + gap) drops the sync, tightens the new column and drops the old one.
pub(super) fn move_column(cx: &mut OpContext<'_>, m: Move<'_>) -> Result<Vec<Step>> {
    let (old, primary_key) = check_movable(cx, &m)?;
    let table = m.table.value.clone();
    let new_name = m.to.value.clone();
    let mut new = m.new.clone().unwrap_or_else(|| old.clone());
    new.name = new_name.clone();

    // The code of R sees the column under its new name, in the same position.
    let t = cx.schema.tables.get_mut(&table).expect("checked above");
    if let Some(c) = t.column_mut(&old.name) {
        *c = new.clone();
    }
    let carried = carry_to_new_column(cx, &table, &old.name, &new_name, &m.to.location)?;
    cx.retire(&table, Some(&old.name));
    for original in &carried.constraint_originals {
        cx.retire_constraint(&table, original);
    }
    for (owner, original, _) in &carried.repointed {
        cx.retire_constraint(owner, original);
    }

    let subject = format!("{table}.{}", old.name);
    let trigger = trigger_name("sync", &table, &format!("{}_{}", old.name, new_name));
    let expand = expand_move(cx, &m, &old, &new, &trigger, primary_key, &carried);
    let mut steps = vec![Step::new(
        Timing::Expand,
        format!(
            "{}: add {table}.{new_name}, sync both, backfill",
            m.describe
        ),
        expand,
    )];
    let later = contract_move(&table, &old, &new, trigger, carried);
    steps.push(Step::new(
        Timing::Later(Removal::new("drop", "drop it", subject.clone())),
        if new.nullable {
            format!("drop the sync and the old column {subject}")
        } else {
            format!("drop the sync, tighten {table}.{new_name} to NOT NULL, drop the old column {subject}")
        },
        later,
    ));
    Ok(steps)
}

/// Refuses a move tandem cannot keep in sync online (an identity or primary key column,
/// a taken new name, a constraint that cannot follow); yields the old column and the
/// table's primary key.
fn check_movable(cx: &mut OpContext<'_>, m: &Move<'_>) -> Result<(Column, Vec<String>)> {
    let old = cx.column(m.table, m.from)?.clone();
    if old.is_generated() {
        return Err(Diag::input(format!(
            "column `{}.{}` is a generated column; tandem cannot {} it online",
            m.table.value, old.name, m.doing
        ))
        .at(m.from.location.clone())
        .label("generated column")
        .help("nothing may write a generated column, so no trigger can keep a copy in sync: add a new generated column, move the code to it, then drop this one")
        .into());
    }
    if old.is_identity() {
        return Err(Diag::input(format!(
            "column `{}.{}` is an identity column; tandem cannot {} it online",
            m.table.value, old.name, m.doing
        ))
        .at(m.from.location.clone())
        .label("identity column")
        .help("a second column numbered by the database cannot be kept in sync; use a `sql` op with a plan of your own")
        .into());
    }
    cx.ensure_new_column(m.table, m.to)?;
    // The old column is dropped later. A rename carries the constraints on it to the new
    // column, as it does indexes: the table's own, and the foreign keys that reference
    // it. A type change cannot (a key's types must match, a check may not hold).
    let carried = |owner: &Table, c: &Constraint| {
        m.doing == "rename"
            && ((owner.name == m.table.value && c.uses(cx.dialect, &old.name))
                || c.references(&m.table.value, Some(&old.name)))
    };
    cx.ensure_no_other_constraint_uses(
        &m.table.value,
        Some(&old.name),
        &m.from.location,
        m.doing,
        carried,
    )?;
    let table = m.table.value.clone();
    let t = cx.table(m.table)?;
    let primary_key = t.primary_key.clone();
    if primary_key.contains(&old.name) {
        return Err(Diag::input(format!(
            "column `{table}.{}` is part of the primary key; tandem cannot {} it online",
            old.name, m.doing
        ))
        .at(m.from.location.clone())
        .label("primary key column")
        .help("use a `sql` op with a plan of your own")
        .into());
    }
    Ok((old, primary_key))
}

/// The indexes and constraints on the old column, and the foreign keys pointing at it,
/// each with the copy that serves the new column until the old one goes.
struct Carried {
    index_originals: Vec<Index>,
    index_copies: Vec<Index>,
    constraint_originals: Vec<Constraint>,
    constraint_copies: Vec<Constraint>,
    /// Foreign keys that reference the old column: (their table, original, copy).
    repointed: Vec<(String, Constraint, Constraint)>,
}

/// Folds the copies of the old column's indexes and constraints, and the repointed
/// foreign keys, into the schema in place of their originals.
fn carry_to_new_column(
    cx: &mut OpContext<'_>,
    table: &str,
    old: &str,
    new_name: &str,
    at: &Location,
) -> Result<Carried> {
    let (index_originals, index_copies) = carry_indexes(cx, table, old, new_name, at)?;
    let constraint_originals: Vec<Constraint> = cx.schema.tables[table]
        .constraints
        .iter()
        .filter(|c| c.uses(cx.dialect, old))
        .cloned()
        .collect();
    let mut constraint_copies = Vec::new();
    for original in &constraint_originals {
        let name = renamed_index(&original.name, old, new_name);
        let copy = original.with_column_renamed(cx.dialect, old, new_name, name);
        cx.ensure_free_constraint_name(table, &copy, at)?;
        constraint_copies.push(copy);
    }
    if let Some(t) = cx.schema.tables.get_mut(table) {
        t.constraints.retain(|c| !c.uses(cx.dialect, old));
        t.constraints.extend(constraint_copies.iter().cloned());
    }
    let repointed = repoint_foreign_keys(cx, table, old, new_name, at)?;
    Ok(Carried {
        index_originals,
        index_copies,
        constraint_originals,
        constraint_copies,
        repointed,
    })
}

/// Indexes on the old column are rebuilt on the new one before the old one goes:
/// yields (originals, copies), the copies already in the schema.
fn carry_indexes(
    cx: &mut OpContext<'_>,
    table: &str,
    old: &str,
    new_name: &str,
    at: &Location,
) -> Result<(Vec<Index>, Vec<Index>)> {
    let mut copies = Vec::new();
    let mut originals = Vec::new();
    for index in cx
        .schema
        .indexes_of(table)
        .filter(|i| i.uses(cx.dialect, old))
    {
        let mut copy = index.with_column_renamed(cx.dialect, old, new_name);
        copy.name = renamed_index(&index.name, old, new_name);
        originals.push(index.clone());
        copies.push(copy);
    }
    for (original, copy) in originals.iter().zip(&copies) {
        if cx.schema.index_name_taken(table, &copy.name) {
            return Err(Diag::input(format!(
                "index `{}` would be copied as `{}`, which exists",
                original.name, copy.name
            ))
            .at(at.clone())
            .into());
        }
        cx.schema.remove_index(table, &original.name);
        cx.schema.insert_index(copy.clone());
    }
    Ok((originals, copies))
}

/// Foreign keys that reference the old column get a copy pointing at the new one, in
/// the schema in place of the original: yields (their table, original, copy).
fn repoint_foreign_keys(
    cx: &mut OpContext<'_>,
    table: &str,
    old: &str,
    new_name: &str,
    at: &Location,
) -> Result<Vec<(String, Constraint, Constraint)>> {
    let mut repointed: Vec<(String, Constraint, Constraint)> = Vec::new();
    for owner in cx.schema.tables.values() {
        for c in owner
            .constraints
            .iter()
            .filter(|c| c.references(table, Some(old)))
        {
            let mut copy = c.clone();
            // Its own columns keep their names: the new name says what it now points at.
            copy.name = crate::model::fit_identifier(format!("{}_{new_name}", c.name), 63);
            if let ConstraintKind::ForeignKey {
                referenced_columns, ..
            } = &mut copy.kind
            {
                for col in referenced_columns.iter_mut().filter(|col| **col == old) {
                    *col = new_name.to_string();
                }
            }
            repointed.push((owner.name.clone(), c.clone(), copy));
        }
    }
    for (owner, original, copy) in &repointed {
        cx.ensure_free_constraint_name(owner, copy, at)?;
        if let Some(t) = cx.schema.tables.get_mut(owner) {
            t.constraints.retain(|c| c.name != original.name);
            t.constraints.push(copy.clone());
        }
    }
    Ok(repointed)
}

/// The expand actions of a move: add the new column loose, sync both, backfill, loosen
/// the retired old column, then build the carried indexes and constraints.
fn expand_move(
    cx: &OpContext<'_>,
    m: &Move<'_>,
    old: &Column,
    new: &Column,
    trigger: &str,
    primary_key: Vec<String>,
    carried: &Carried,
) -> Vec<Action> {
    let table = m.table.value.clone();
    // No default on the new column while the sync runs: the trigger tells who wrote a
    // row by whether the new column is NULL (R-1 never writes it).
    let mut loose = new.clone();
    loose.nullable = true;
    loose.default = None;
    // On MySQL a NOT NULL new column is NOT NULL from the start, as in `add_column`: InnoDB
    // would set it in the contract only by rebuilding the table. Its stand-in default
    // (any value: the sync's first trigger takes it for "not written", while only R-1
    // writes) lets R-1's inserts omit it until the sync is in place.
    let not_null_at_once = match (cx.dialect, new.nullable) {
        (Some(Dialect::Mysql), false) => {
            super::op::placeholder_for(&new.ty).or_else(|| match &new.default {
                Some(crate::model::Default::Literal(value)) => Some(value.clone()),
                _ => None,
            })
        }
        _ => None,
    };
    let mut expand = vec![
        Action::AddColumn {
            table: table.clone(),
            column: loose,
            not_null_at_once,
        },
        Action::SyncTrigger {
            table: table.clone(),
            old: old.name.clone(),
            new: new.name.clone(),
            trigger: trigger.to_string(),
            primary_key: primary_key.clone(),
            forward: m.using.clone(),
        },
        Action::Backfill {
            table: table.clone(),
            column: new.name.clone(),
            source: m
                .using
                .clone()
                .map_or_else(|| Source::Column(old.name.clone()), Source::Sql),
            primary_key,
        },
    ];
    if !old.nullable {
        // The old column is retired: once R's successor stops writing the new one too,
        // nothing may be left requiring a value in it.
        let keyed = !carried.constraint_originals.is_empty()
            || !carried.repointed.is_empty()
            || carried.index_originals.iter().any(|i| i.unique);
        expand.push(cx.relax_retired(&table, old, keyed, false));
    }
    expand.extend(
        carried
            .index_copies
            .iter()
            .map(|index| Action::CreateIndex {
                index: index.clone(),
            }),
    );
    // Once backfilled, the new column holds what the old one held: its constraints hold,
    // and the keys that pointed at the old column can point at the new one (its unique
    // key is in place by then).
    expand.extend(
        carried
            .constraint_copies
            .iter()
            .map(|constraint| Action::AddConstraint {
                table: table.clone(),
                constraint: constraint.clone(),
            }),
    );
    expand.extend(
        carried
            .repointed
            .iter()
            .map(|(owner, _, copy)| Action::AddConstraint {
                table: owner.clone(),
                constraint: copy.clone(),
            }),
    );
    expand
}

/// The contract actions of a move: the new column's default, the sync gone, the new
/// column tightened, the originals of the carried keys and indexes dropped, then the
/// old column.
fn contract_move(
    table: &str,
    old: &Column,
    new: &Column,
    trigger: String,
    carried: Carried,
) -> Vec<Action> {
    // The default first: until then the sync fills the new column of a row inserted
    // without it, and a row inserted between the two would keep a NULL there (and fail
    // the NOT NULL below).
    let mut later = Vec::new();
    if new.default.is_some() {
        later.push(Action::SetDefault {
            table: table.to_string(),
            column: new.clone(),
        });
    }
    later.push(Action::DropTrigger {
        table: table.to_string(),
        trigger,
    });
    // Tightened only once the sync is gone: until then R-1's inserts leave the new
    // column to the trigger, and a dialect whose triggers run after the NOT NULL
    // check (SQLite) would reject them.
    if !new.nullable {
        later.push(Action::SetNotNull {
            table: table.to_string(),
            column: new.clone(),
        });
    }
    // The keys that reference the old column first: they depend on its unique key.
    later.extend(carried.repointed.into_iter().map(|(owner, original, _)| {
        Action::DropConstraint {
            table: owner,
            constraint: original,
        }
    }));
    later.extend(carried.constraint_originals.into_iter().map(|constraint| {
        Action::DropConstraint {
            table: table.to_string(),
            constraint,
        }
    }));
    later.extend(
        carried
            .index_originals
            .into_iter()
            .map(|index| Action::DropIndex { index }),
    );
    later.push(Action::DropColumn {
        table: table.to_string(),
        column: old.name.clone(),
    });
    later
}

/// The name of an index or constraint copied onto the renamed column: the old column's
/// name replaced by the new one, or the new one appended; a name longer than 63
/// characters (the Postgres limit, under MySQL's 64) keeps a readable prefix and a hash
/// of the whole, as trigger names do, so that it never comes out as the original's.
fn renamed_index(index: &str, old: &str, new: &str) -> String {
    let name = if index.contains(old) {
        index.replacen(old, new, 1)
    } else {
        format!("{index}_{new}")
    };
    crate::model::fit_identifier(name, 63)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;

    /// A row inserted without the new column between the drop of the sync and its
    /// default would keep a NULL there and fail the NOT NULL after: the default comes
    /// first (a load test met that row on Postgres).
    #[test]
    fn the_new_columns_default_is_set_before_the_sync_is_dropped() {
        let mut s = schema("[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nscore = { type = \"integer\", default = 0 }\n");
        let steps = apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"score\"\nto = \"points\"",
        )
        .unwrap();
        let later = &steps[1].actions;
        let position = |f: fn(&Action) -> bool| later.iter().position(f).unwrap();
        let default = position(|a| matches!(a, Action::SetDefault { .. }));
        let dropped = position(|a| matches!(a, Action::DropTrigger { .. }));
        let tightened = position(|a| matches!(a, Action::SetNotNull { .. }));
        assert!(default < dropped && dropped < tightened, "{later:?}");
    }

    #[test]
    fn rename_expands_contracts_then_drops_later() {
        let mut s = schema(USERS);
        let steps = apply(&mut s, "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"primary_email\"").unwrap();
        assert_eq!(timings(&steps), ["expand", "later:drop"]);
        assert!(matches!(steps[0].actions[1], Action::SyncTrigger { .. }));
        // NOT NULL on the new column waits until the sync trigger is gone.
        let later = &steps[1].actions;
        let trigger_dropped = later
            .iter()
            .position(|a| matches!(a, Action::DropTrigger { .. }));
        let tightened = later
            .iter()
            .position(|a| matches!(a, Action::SetNotNull { .. }));
        assert!(trigger_dropped.unwrap() < tightened.unwrap(), "{later:?}");
        assert_eq!(
            s.table("users").unwrap().column_names(),
            ["id", "primary_email", "legacy_email", "nickname"]
        );
        assert!(s.is_physically_present("users", Some("email"), 2));
    }

    #[test]
    fn renamed_column_can_be_dropped_by_the_next_release() {
        let mut s = schema(USERS);
        apply(&mut s, "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"primary_email\"").unwrap();
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"primary_email\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:drop"]);
    }

    #[test]
    fn indexes_follow_the_rename() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nunique = true",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\"",
        )
        .unwrap();
        assert!(
            s.index_on("users", "users_mail_idx").is_some(),
            "{:?}",
            s.indexes.keys()
        );
        assert!(steps[0]
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateIndex { .. })));
        assert!(steps[1]
            .actions
            .iter()
            .any(|a| matches!(a, Action::DropIndex { .. })));
    }

    #[test]
    fn the_tables_own_constraints_follow_the_rename() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_check\"\ntable = \"users\"\nname = \"users_email_at\"\ncheck = \"email LIKE '%email@%'\"",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\"",
        )
        .unwrap();
        let users = s.table("users").unwrap();
        let copy = users.constraint("users_mail_at").expect("copied");
        // The column is renamed in the expression; the literal is left alone.
        assert_eq!(
            copy.kind,
            crate::model::ConstraintKind::Check {
                expr: "mail LIKE '%email@%'".into()
            }
        );
        assert!(users.constraint("users_email_at").is_none());
        assert!(steps[0]
            .actions
            .iter()
            .any(|a| matches!(a, Action::AddConstraint { .. })));
        assert!(steps[1]
            .actions
            .iter()
            .any(|a| matches!(a, Action::DropConstraint { .. })));
    }

    /// Views mode: the code sees the new name at once, with its index and check; the
    /// table keeps the old one until the in-place rename of the later step.
    #[test]
    fn through_views_the_model_renames_and_the_table_waits_for_the_later_step() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\"\nmode = \"views\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:rename in place"]);
        assert!(steps[0].actions.is_empty(), "{:?}", steps[0].actions);
        assert!(matches!(
            &steps[1].actions[..],
            [Action::RenameColumn { from, to, .. }] if from == "email" && to == "mail"
        ));
        assert_eq!(s.table("users").unwrap().column_names()[1], "mail");
        assert_eq!(s.physical_column("users", "mail"), "email");
        assert_eq!(s.indexes_named("users_email_idx")[0].columns, ["mail"]);
        assert!(s.views_since.is_some());
        assert!(s.is_physically_present("users", Some("email"), 2));
    }

    #[test]
    fn new_name_must_be_free() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"nickname\"",
        )
        .unwrap_err();
        assert!(err.render().contains("already exists"));
    }
}
