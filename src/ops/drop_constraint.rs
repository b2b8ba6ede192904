//! `drop_constraint`: dropping a check or a foreign key only relaxes what writers must
//! satisfy, so it runs in expand: the code of R-1 and of R both keep working. A unique key
//! is different: R-1's code may name it as an arbiter (`INSERT ... ON CONFLICT (email)`,
//! `ON DUPLICATE KEY UPDATE`), which fails without it, so it is dropped in
//! contract(R + gap), as `drop_index` drops an index.

use super::op::{OpContext, OpNote, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::diag::{suggestion, Diag, Result};
use crate::model::{Constraint, ConstraintKind};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropConstraint {
    table: Option<Located<String>>,
    name: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(DropConstraint {
        table: fields.opt_str(&["table"])?,
        name: fields.str(&["name", "constraint"], "the constraint's name")?,
    }))
}

impl Operation for DropConstraint {
    fn kind(&self) -> &'static str {
        "drop_constraint"
    }

    fn describe(&self) -> String {
        match &self.table {
            Some(t) => format!("drop constraint {} of {}", self.name.value, t.value),
            None => format!("drop constraint {}", self.name.value),
        }
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let name = &self.name.value;
        if let Some(t) = &self.table {
            cx.table(t)?;
        }
        let (owner, constraint) = self.named_constraint(cx)?;
        if let Some(t) = &self.table {
            if t.value != owner {
                return Err(Diag::input(format!(
                    "constraint `{name}` belongs to `{owner}`, not `{}`",
                    t.value
                ))
                .at(t.location.clone())
                .label("wrong table")
                .help(format!("write table = \"{owner}\""))
                .into());
            }
        }
        self.check_no_foreign_key_relies(cx, &owner, &constraint)?;
        // A tightening an earlier change enforces in a contract not applied yet: the
        // constraint is not in the database, so the drop cancels it instead.
        if cx.is_pending_here(&owner, name) {
            cx.cancel_pending(&owner, &constraint);
            cx.notes.push(OpNote {
                warning: false,
                message: format!(
                    "cancels the pending tightening that would enforce {} {name} of {owner} in a later contract: it is never enforced, so there is nothing to drop",
                    constraint.noun()
                ),
            });
            return Ok(Vec::new());
        }
        if matches!(constraint.kind, ConstraintKind::Unique { .. }) {
            cx.refuse_unkeying_auto_increment(&owner, name, &self.name.location);
        }
        if let Some(t) = cx.schema.tables.get_mut(&owner) {
            t.constraints.retain(|c| &c.name != name);
            t.not_valid.retain(|n| n != name);
            t.deferrable.remove(name);
        }
        if matches!(constraint.kind, ConstraintKind::Unique { .. }) {
            // It holds until its contract: a column retired meanwhile must not repeat a
            // placeholder under it.
            cx.retire_constraint(&owner, &constraint);
        }
        let timing = match constraint.kind {
            ConstraintKind::Unique { .. } => Timing::Later(Removal::new(
                "drop",
                "drop it",
                format!("{} {name} of {owner}", constraint.noun()),
            )),
            _ => Timing::Expand,
        };
        Ok(vec![Step::new(
            timing,
            format!("drop {} {name} of {owner}", constraint.noun()),
            vec![Action::DropConstraint {
                table: owner,
                constraint,
            }],
        )])
    }
}

impl DropConstraint {
    /// The constraint the op names, with its table's name: the one of `table`, else the
    /// only one of that name.
    fn named_constraint(&self, cx: &OpContext<'_>) -> Result<(String, Constraint)> {
        let name = &self.name.value;
        // Several tables may hold a constraint of this name (Postgres and SQLite name
        // them per table): the one of `table`, else the only one.
        let named: Vec<_> = cx.schema.constraints_named(name).collect();
        if self.table.is_none() && named.len() > 1 {
            let owners: Vec<&str> = named.iter().map(|(t, _)| t.name.as_str()).collect();
            return Err(Diag::input(format!(
                "constraint `{name}` names a constraint of several tables: {}",
                owners.join(", ")
            ))
            .at(self.name.location.clone())
            .label("which one?")
            .help(format!("write table = \"{}\"", owners[0]))
            .into());
        }
        let found = named
            .iter()
            .find(|(t, _)| self.table.as_ref().is_some_and(|s| s.value == t.name))
            .or(named.first())
            .copied();
        let Some((owner, constraint)) = found else {
            let known: Vec<&str> = cx
                .schema
                .tables
                .values()
                .filter(|t| self.table.as_ref().is_none_or(|s| s.value == t.name))
                .flat_map(|t| t.constraints.iter().map(|c| c.name.as_str()))
                .collect();
            let mut diag = Diag::input(format!("unknown constraint `{name}`"))
                .at(self.name.location.clone())
                .label("no constraint of this name in the schema this release's code sees");
            diag = if known.is_empty() {
                diag.help("constraints come from `add_foreign_key`, `add_unique` and `add_check` ops, or a table's `constraints` in schema.toml")
            } else {
                diag.help(suggestion(name, &known))
            };
            return Err(diag.into());
        };
        Ok((owner.name.clone(), constraint.clone()))
    }

    /// A foreign key elsewhere may rely on a unique key (one that is not also the
    /// primary key): it cannot be dropped before that foreign key.
    fn check_no_foreign_key_relies(
        &self,
        cx: &OpContext<'_>,
        owner: &str,
        constraint: &Constraint,
    ) -> Result<()> {
        let name = &self.name.value;
        if let ConstraintKind::Unique { columns } = &constraint.kind {
            let is_pk = {
                let t = cx.schema.table(owner).expect("owner exists");
                let (mut a, mut b) = (t.primary_key.clone(), columns.clone());
                a.sort();
                b.sort();
                a == b
            };
            let dependent = cx.schema.tables.values().find_map(|t| {
                t.constraints.iter().find(|c| match &c.kind {
                    ConstraintKind::ForeignKey {
                        references,
                        referenced_columns,
                        ..
                    } => references == owner && referenced_columns == columns,
                    _ => false,
                })
            });
            if let (false, Some(fk)) = (is_pk, dependent) {
                return Err(Diag::input(format!(
                    "cannot drop `{name}`: foreign key `{}` references its columns",
                    fk.name
                ))
                .at(self.name.location.clone())
                .label("still needed by a foreign key")
                .help(format!("drop `{}` first", fk.name))
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn a_unique_key_is_dropped_later() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"drop_constraint\"\ntable = \"users\"\nname = \"users_email_key\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:drop"]);
        assert!(s.table("users").unwrap().constraints.is_empty());
    }

    #[test]
    fn a_check_is_dropped_in_expand() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_check\"\ntable = \"users\"\nname = \"email_len\"\nexpression = \"length(email) > 3\"",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"drop_constraint\"\ntable = \"users\"\nname = \"email_len\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(s.table("users").unwrap().constraints.is_empty());
    }

    #[test]
    fn a_constraint_whose_tightening_is_pending_is_cancelled_not_dropped() {
        let mut s = schema(USERS);
        let steps = apply_after(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
        assert_eq!(s.pending_constraints.len(), 1);
        let steps = apply(
            &mut s,
            "type = \"drop_constraint\"\ntable = \"users\"\nname = \"users_email_key\"",
        )
        .unwrap();
        assert!(steps.is_empty());
        assert!(s.pending_constraints.is_empty());
        assert!(s.table("users").unwrap().constraints.is_empty());
    }

    #[test]
    fn an_unknown_name_suggests_the_nearest() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"drop_constraint\"\nname = \"users_emial_key\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `users_email_key`?"),
            "{}",
            err.render()
        );
    }
}
