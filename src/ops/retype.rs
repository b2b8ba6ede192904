//! A type change that keeps the column's name where the dialect cannot make it online in
//! place (integer to bigint on Postgres rewrites the table under an exclusive lock; on
//! MySQL and MariaDB it copies the table). Expand adds a shadow column of the new type,
//! tandem's own name, kept equal to the column by a trigger and backfilled, with copies
//! of the column's indexes and constraints built online; contract(R) puts the shadow in
//! the column's place in one short step (`Action::SwapColumn`): no row is rewritten.
//!
//! R-1 and R both use the name, so only the old column is written while the sync runs:
//! R's code sees the wider type once contract(R) has run.

use super::op::{OpContext, Step, Timing};
use crate::action::{trigger_name, Action, Source};
use crate::diag::{Diag, Location, Result};
use crate::model::{fit_identifier, Column, Constraint, ConstraintKind, Index};
use crate::sql::Dialect;

/// The name of the shadow of `column` (or of a copy of an index or constraint): a prefix
/// no name of the model takes, fitted to the shortest limit (Postgres' 63 bytes).
fn shadow_name(name: &str) -> String {
    fit_identifier(format!("tandem_retype_{name}"), 63)
}

/// What the swap carries over: the column's indexes and constraints with their copies
/// on the shadow, the primary key's index, and the foreign keys that reference it.
struct Carried {
    shadow: String,
    /// The sync trigger's name.
    trigger: String,
    /// The table's primary key, by which the backfill walks.
    table_key: Vec<String>,
    indexes: Vec<(Index, Index)>,
    constraints: Vec<(Constraint, Constraint)>,
    primary_key: Option<Index>,
    referencing: Vec<(String, Constraint)>,
}

/// The steps of a retype through a shadow column: `old` becomes `target` (same name).
pub(super) fn through_shadow(
    cx: &mut OpContext<'_>,
    table: &str,
    old: &Column,
    target: &Column,
    at: &Location,
    describe: String,
) -> Result<Vec<Step>> {
    let dialect = cx.dialect.unwrap_or(Dialect::Postgres);
    let shadow = shadow_name(&old.name);
    let t = cx.schema.table(table).expect("checked by the caller");
    if t.column(&shadow).is_some()
        || cx
            .schema
            .is_physically_present(table, Some(&shadow), cx.release)
    {
        return Err(Diag::input(format!(
            "`{table}.{shadow}` exists: tandem needs that name for the column that replaces `{}`",
            old.name
        ))
        .at(at.clone())
        .label("the shadow column's name is taken")
        .help("rename that column first")
        .into());
    }
    if cx.schema.views_since.is_some() {
        return Err(Diag::refused(format!(
            "cannot change the type of `{table}.{}` online in views mode: the release views read the column, and its swap at contract would drop it under them",
            old.name
        ))
        .at(at.clone())
        .label("a widening through a shadow column")
        .help("set `new_name`: R's views show a new column filled from this one")
        .into());
    }
    refuse_what_mysql_cannot_carry(cx, dialect, table, old, at)?;
    let carried = carry(cx, dialect, table, old, &shadow, at)?;
    let primary_key = t.primary_key.clone();
    let trigger = trigger_name("retype", table, &old.name);

    let carried = Carried {
        shadow: shadow.clone(),
        trigger: trigger.clone(),
        table_key: primary_key,
        ..carried
    };
    let expand = expand_actions(dialect, table, old, target, &carried);
    if let Some(c) = cx
        .schema
        .tables
        .get_mut(table)
        .and_then(|t| t.column_mut(&old.name))
    {
        *c = target.clone();
    }
    cx.schema
        .retyping
        .push((table.to_string(), old.name.clone(), cx.release));
    let subject = format!("{table}.{}", old.name);
    Ok(vec![
        Step::new(
            Timing::Expand,
            format!(
                "{describe}: add {table}.{shadow} of type {}, sync it from {subject}, backfill, build its indexes and constraints",
                target.ty
            ),
            expand,
        ),
        Step::new(
            Timing::Contract,
            format!(
                "put {table}.{shadow} in the place of {subject} (drop the old column, rename, no rewrite)"
            ),
            vec![Action::SwapColumn {
                table: table.to_string(),
                column: target.clone(),
                shadow,
                trigger,
                indexes: carried.indexes,
                constraints: carried.constraints,
                primary_key: carried.primary_key.map(|i| i.name),
                referencing: carried.referencing,
            }],
        ),
    ])
}

/// The expand actions: the shadow added loose, the sync, the backfill, NOT NULL, then
/// the copies of the primary key, the indexes and the constraints.
fn expand_actions(
    dialect: Dialect,
    table: &str,
    old: &Column,
    target: &Column,
    carried: &Carried,
) -> Vec<Action> {
    let (shadow, trigger) = (&carried.shadow, &carried.trigger);
    let primary_key = carried.table_key.clone();
    // Nobody writes the shadow: NULL there means "not written yet" to the sync.
    let mut loose = target.clone();
    loose.name = shadow.to_string();
    loose.nullable = true;
    loose.default = None;
    loose.comment = None;
    // On MySQL NOT NULL from the start, as a copy made by a rename: setting it later
    // rebuilds the table. Its stand-in default serves R-1's inserts until the sync is in.
    let not_null_at_once = match (dialect, old.nullable) {
        (Dialect::Mysql, false) => super::op::placeholder_for(&target.ty),
        _ => None,
    };
    let mut expand = vec![
        Action::AddColumn {
            table: table.to_string(),
            column: loose,
            not_null_at_once,
        },
        Action::SyncTrigger {
            table: table.to_string(),
            old: old.name.clone(),
            new: shadow.to_string(),
            trigger: trigger.to_string(),
            primary_key: primary_key.clone(),
            forward: None,
        },
        Action::Backfill {
            table: table.to_string(),
            column: shadow.to_string(),
            source: Source::Column(old.name.clone()),
            primary_key,
        },
    ];
    let mut tight = target.clone();
    tight.name = shadow.to_string();
    tight.default = None;
    if !old.nullable && dialect != Dialect::Mysql {
        // Every row is filled and every insert gets its value from the sync: NOT NULL
        // holds, set through a validated check, with no scan under the exclusive lock.
        expand.push(Action::SetNotNull {
            table: table.to_string(),
            column: tight,
        });
    }
    expand.extend(carried.primary_key.iter().map(|index| Action::CreateIndex {
        index: index.clone(),
    }));
    expand.extend(carried.indexes.iter().map(|(_, copy)| Action::CreateIndex {
        index: copy.clone(),
    }));
    expand.extend(
        carried
            .constraints
            .iter()
            .map(|(_, copy)| Action::AddConstraint {
                table: table.to_string(),
                constraint: copy.clone(),
            }),
    );
    expand
}

/// MySQL and MariaDB: a foreign key needs one integer type on both sides; the primary
/// key is the clustered index (changing its column rebuilds the table) and holds the
/// AUTO_INCREMENT, which a second column cannot share; a check is added only by copying
/// the table. Each is refused, named, with the way out.
fn refuse_what_mysql_cannot_carry(
    cx: &OpContext<'_>,
    dialect: Dialect,
    table: &str,
    old: &Column,
    at: &Location,
) -> Result<()> {
    if dialect != Dialect::Mysql {
        return Ok(());
    }
    let subject = format!("{table}.{}", old.name);
    let keys: Vec<String> = cx
        .schema
        .constraints_using(table, Some(&old.name))
        .filter(|(_, c)| matches!(c.kind, ConstraintKind::ForeignKey { .. }))
        .map(|(owner, c)| format!("`{}` of `{}`", c.name, owner.name))
        .chain(
            cx.schema
                .retired_constraints
                .iter()
                .filter(|(owner, c, until)| {
                    until.is_none_or(|d| d >= cx.release)
                        && matches!(c.kind, ConstraintKind::ForeignKey { .. })
                        && c.involves(cx.dialect, owner, table, Some(&old.name))
                })
                .map(|(owner, c, _)| format!("`{}` of `{owner}`", c.name)),
        )
        .collect();
    if !keys.is_empty() {
        return Err(Diag::refused(format!(
            "cannot change the type of `{subject}` online: foreign key {} names it, and MySQL and MariaDB need one integer type on both sides of a key",
            keys.join(", ")
        ))
        .at(at.clone())
        .label("a key's columns must keep one type")
        .help("drop the key (drop_constraint) in a release before, widen both sides (each with its own alter_column), then add the key again (add_foreign_key)")
        .into());
    }
    let t = cx.schema.table(table).expect("checked by the caller");
    if t.primary_key.contains(&old.name) || old.is_identity() {
        return Err(Diag::refused(format!(
            "cannot change the type of `{subject}` online: it is {} on MySQL and MariaDB a second column cannot take its place without rebuilding the table",
            if old.is_identity() { "the AUTO_INCREMENT column;" } else { "in the primary key, the clustered index:" }
        ))
        .at(at.clone())
        .label("primary key or AUTO_INCREMENT column")
        .help("change it with a `sql` op in a quiet window (ALTER TABLE ... MODIFY, which copies the table), or with an online schema change tool")
        .into());
    }
    if let Some(check) = t
        .constraints
        .iter()
        .find(|c| matches!(c.kind, ConstraintKind::Check { .. }) && c.uses(cx.dialect, &old.name))
    {
        return Err(Diag::refused(format!(
            "cannot change the type of `{subject}` online: check `{}` uses it, and MySQL and MariaDB add a check to the new column only by copying the table",
            check.name
        ))
        .at(at.clone())
        .label("a check on the column")
        .help("drop the check (drop_constraint) in a release before this one, then change the type")
        .into());
    }
    Ok(())
}

/// The copies on `shadow` of the column's indexes and constraints, the primary key's
/// unique index (Postgres), and the foreign keys of other tables that reference it.
fn carry(
    cx: &OpContext<'_>,
    dialect: Dialect,
    table: &str,
    old: &Column,
    shadow: &str,
    at: &Location,
) -> Result<Carried> {
    let d = Some(dialect);
    let t = cx.schema.table(table).expect("checked by the caller");
    // A key over two columns retyped in one release would be copied twice, each copy
    // over the other's old column, which its swap drops.
    let retyped_too = |uses: &dyn Fn(&str) -> bool| {
        cx.schema
            .retyping
            .iter()
            .find(|(tt, c, r)| tt == table && *r == cx.release && *c != old.name && uses(c))
            .map(|(_, c, _)| c.clone())
    };
    let together = |what: String, other: String| -> crate::diag::Error {
        Diag::input(format!(
            "{what} covers `{table}.{}` and `{table}.{other}`, whose types both change through a new column in this release",
            old.name
        ))
        .at(at.clone())
        .label("a second type change under one key")
        .help("change the other column's type in a later release")
        .into()
    };
    for index in cx.schema.indexes_of(table).filter(|i| i.uses(d, &old.name)) {
        if let Some(other) = retyped_too(&|c| index.uses(d, c)) {
            return Err(together(format!("index `{}`", index.name), other));
        }
    }
    for c in t.constraints.iter().filter(|c| c.uses(d, &old.name)) {
        if let Some(other) = retyped_too(&|col| c.uses(d, col)) {
            return Err(together(format!("{} `{}`", c.noun(), c.name), other));
        }
    }
    let mut indexes = Vec::new();
    for index in cx.schema.indexes_of(table).filter(|i| i.uses(d, &old.name)) {
        let mut copy = index.with_column_renamed(d, &old.name, shadow);
        copy.name = shadow_name(&index.name);
        if !cx.schema.indexes_named(&copy.name).is_empty() {
            return Err(Diag::input(format!(
                "index `{}` would be copied as `{}`, which exists",
                index.name, copy.name
            ))
            .at(at.clone())
            .into());
        }
        indexes.push((index.clone(), copy));
    }
    let mut constraints = Vec::new();
    for c in t.constraints.iter().filter(|c| c.uses(d, &old.name)) {
        let copy = c.with_column_renamed(d, &old.name, shadow, shadow_name(&c.name));
        cx.ensure_free_constraint_name(table, &copy, at)?;
        constraints.push((c.clone(), copy));
    }
    let primary_key = (t.primary_key.contains(&old.name)).then(|| Index {
        name: shadow_name(&format!("{table}_pkey")),
        table: table.to_string(),
        columns: t
            .primary_key
            .iter()
            .map(|c| {
                if *c == old.name {
                    shadow.to_string()
                } else {
                    c.clone()
                }
            })
            .collect(),
        unique: true,
        options: Default::default(),
    });
    let mut referencing = Vec::new();
    for owner in cx.schema.tables.values() {
        for c in owner
            .constraints
            .iter()
            .filter(|c| owner.name != table && c.references(table, Some(&old.name)))
        {
            referencing.push((owner.name.clone(), c.clone()));
        }
    }
    if let Some((owner, c, _)) = cx
        .schema
        .retired_constraints
        .iter()
        .find(|(owner, c, until)| {
            until.is_none_or(|u| u >= cx.release)
                && matches!(c.kind, ConstraintKind::ForeignKey { .. })
                && c.involves(cx.dialect, owner, table, Some(&old.name))
        })
    {
        return Err(Diag::input(format!(
            "cannot change the type of `{table}.{}` yet: foreign key `{}` of `{owner}` names it until a contract step drops it",
            old.name, c.name
        ))
        .at(at.clone())
        .label("the database still enforces the key")
        .help("tag this change with a release after the one whose contract drops the key")
        .into());
    }
    Ok(Carried {
        shadow: shadow.to_string(),
        trigger: String::new(),
        table_key: Vec::new(),
        indexes,
        constraints,
        primary_key,
        referencing,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;

    const COUNTS: &str = "[tables.c]\nprimary_key = [\"id\"]\n[tables.c.columns]\nid = { type = \"integer\", identity = true }\nn = { type = \"integer\", default = 1 }\nlabel = { type = \"text\" }\n\n[[tables.c.indexes]]\ncolumns = [\"n\", \"label\"]\n";

    #[test]
    fn the_shadow_carries_the_key_the_index_and_not_null_and_the_swap_names_them_back() {
        let mut s = schema(COUNTS);
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"c\"\ncolumn = \"id\"\ncolumn_type = \"bigint\"",
        )
        .unwrap();
        let expand = &steps[0].actions;
        assert!(
            matches!(&expand[0], Action::AddColumn { column, .. } if column.nullable && column.default.is_none())
        );
        assert!(expand.iter().any(
            |a| matches!(a, Action::SetNotNull { column, .. } if column.name == "tandem_retype_id")
        ));
        assert!(expand.iter().any(|a| matches!(a, Action::CreateIndex { index } if index.unique && index.columns == ["tandem_retype_id"])));
        let [Action::SwapColumn {
            column,
            primary_key: Some(_),
            ..
        }] = &steps[1].actions[..]
        else {
            panic!("{:?}", steps[1].actions)
        };
        assert!(column.is_identity() && column.name == "id");
        // The model sees the new type under the name; the index copy of n is n's.
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"c\"\ncolumn = \"n\"\ncolumn_type = \"bigint\"",
        )
        .unwrap();
        let Action::SwapColumn { indexes, .. } = &steps[1].actions[0] else {
            panic!()
        };
        assert_eq!(indexes[0].1.columns, ["tandem_retype_n", "label"]);
        assert_eq!(indexes[0].0.columns, ["n", "label"]);
    }

    /// MySQL: the clustered key and its AUTO_INCREMENT, and a check (added only by
    /// copying the table), are refused with the way out; exit 1.
    #[test]
    fn mysql_refuses_its_key_and_a_checked_column() {
        let mut s = schema(&format!(
            "{COUNTS}\n[[tables.c.constraints]]\ntype = \"check\"\nname = \"c_n\"\ncheck = \"n > 0\"\n"
        ));
        for (column, needle) in [("id", "AUTO_INCREMENT"), ("n", "check `c_n`")] {
            let err = apply_in(
                crate::sql::Dialect::Mysql,
                &mut s,
                &format!("type = \"alter_column\"\ntable = \"c\"\ncolumn = \"{column}\"\ncolumn_type = \"bigint\""),
            )
            .unwrap_err();
            assert!(err.render().contains(needle), "{}", err.render());
            assert_eq!(err.exit_code(), 1);
        }
    }

    #[test]
    fn views_mode_refuses_a_swap_under_its_views() {
        let mut s = schema(COUNTS);
        apply(
            &mut s,
            "type = \"rename_column\"\ntable = \"c\"\ncolumn = \"label\"\nto = \"title\"\nmode = \"views\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"c\"\ncolumn = \"n\"\ncolumn_type = \"bigint\"",
        )
        .unwrap_err();
        assert!(err.render().contains("views mode"), "{}", err.render());
        assert_eq!(err.exit_code(), 1);
    }
}
