//! `rename_constraint`: gives a constraint a new name, in expand. The data and what the
//! database enforces stay the same; only code that names the constraint (error handling
//! that matches a violated constraint's name) sees the change.

use super::op::{OpContext, OpNote, Operation, Step, Timing};
use crate::action::Action;
use crate::diag::{suggestion, Diag, Result};
use crate::model::Constraint;
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct RenameConstraint {
    table: Located<String>,
    name: Located<String>,
    to: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table that holds the constraint")?;
    let name = fields.str(&["name", "constraint", "from"], "the constraint's name")?;
    let to = fields.str(&["to", "new_name"], "the constraint's new name")?;
    check_identifier(
        fields.file,
        &to.value,
        to.location.span.clone(),
        "constraint",
    )?;
    Ok(Box::new(RenameConstraint { table, name, to }))
}

impl Operation for RenameConstraint {
    fn kind(&self) -> &'static str {
        "rename_constraint"
    }

    fn describe(&self) -> String {
        format!(
            "rename constraint {} of {} to {} (code that names the constraint sees the new name from here)",
            self.name.value, self.table.value, self.to.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let table = cx.table(&self.table)?.clone();
        let Some(original) = table.constraint(&self.name.value).cloned() else {
            let known: Vec<&str> = table.constraints.iter().map(|c| c.name.as_str()).collect();
            return Err(Diag::input(format!(
                "unknown constraint `{}` of `{}`",
                self.name.value, table.name
            ))
            .at(self.name.location.clone())
            .label("no constraint of this name on this table")
            .help(suggestion(&self.name.value, &known))
            .into());
        };
        let renamed = Constraint {
            name: self.to.value.clone(),
            kind: original.kind.clone(),
        };
        cx.ensure_free_constraint_name(&table.name, &renamed, &self.to.location)?;
        if let Some(t) = cx.schema.tables.get_mut(&table.name) {
            for c in &mut t.constraints {
                if c.name == original.name {
                    c.name = renamed.name.clone();
                }
            }
        }
        // A tightening an earlier change enforces in a contract not applied yet: the
        // constraint is not in the database to rename, so it is enforced under the new name.
        if cx.is_pending_here(&table.name, &original.name) {
            cx.rename_pending(&table.name, &original, &renamed.name);
            cx.notes.push(OpNote {
                warning: false,
                message: format!(
                    "{} {} of {} is not enforced yet: the later contract that enforces it uses the name {} instead",
                    original.noun(),
                    original.name,
                    table.name,
                    renamed.name
                ),
            });
            return Ok(Vec::new());
        }
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::RenameConstraint {
                table: table.name.clone(),
                from: original,
                to: renamed.name,
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn renames_in_expand_and_refuses_an_unknown_or_taken_name() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"rename_constraint\"\ntable = \"users\"\nname = \"users_email_key\"\nto = \"users_email_unique\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let users = s.table("users").unwrap();
        assert!(users.constraint("users_email_unique").is_some());
        assert!(users.constraint("users_email_key").is_none());
        let err = apply(
            &mut s,
            "type = \"rename_constraint\"\ntable = \"users\"\nname = \"users_email_ky\"\nto = \"x\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `users_email_unique`?"),
            "{}",
            err.render()
        );
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"rename_constraint\"\ntable = \"users\"\nname = \"users_legacy_email_key\"\nto = \"users_email_unique\"",
        )
        .unwrap_err();
        assert!(err.render().contains("is taken"), "{}", err.render());
    }
}
