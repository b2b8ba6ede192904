//! `add_check`: a check constraint, added in expand. Postgres adds it NOT VALID (new rows
//! are checked at once, without a scan under lock) and validates existing rows after.

use super::op::{OpContext, Operation, Step, Tightening};
use crate::diag::{Diag, Result};
use crate::model::{Constraint, ConstraintKind};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct AddCheck {
    table: Located<String>,
    expr: Located<String>,
    name: Option<Located<String>>,
    tightening: Tightening,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to constrain")?;
    let expr = fields.str(
        &["check", "expression", "expr", "condition", "sql"],
        "a boolean SQL expression over the row, e.g. \"quantity > 0\"",
    )?;
    if expr.value.trim().is_empty() {
        return Err(Diag::input("the check expression is empty")
            .at(expr.location)
            .label("expected a boolean SQL expression")
            .into());
    }
    let name = fields.opt_str(&["name", "constraint"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "constraint")?;
    }
    let tightening = Tightening::parse(fields)?;
    Ok(Box::new(AddCheck {
        table,
        expr,
        name,
        tightening,
    }))
}

impl AddCheck {
    /// `{table}_check_{hash of the expression}` when unnamed: stable across runs.
    fn name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.expr.value.trim().as_bytes());
                let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
                let table: String = self.table.value.chars().take(46).collect();
                format!("{table}_check_{hex}")
            }
        }
    }
}

impl Operation for AddCheck {
    fn kind(&self) -> &'static str {
        "add_check"
    }

    fn describe(&self) -> String {
        format!(
            "add check {} on {}: {}",
            self.name(),
            self.table.value,
            self.expr.value.trim()
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let table = cx.table(&self.table)?;
        // A column that R's code no longer sees is dropped, now or later: a check on it
        // fails to apply, or makes that drop fail.
        let retired = crate::sql::lex::names(cx.dialect, &self.expr.value)
            .into_iter()
            .map(|n| n.name)
            .find(|word| {
                table.column(word).is_none()
                    && cx
                        .schema
                        .retired
                        .contains_key(&(self.table.value.clone(), Some(word.to_string())))
            });
        if let Some(word) = retired {
            return Err(Diag::input(format!(
                "the check uses `{}.{word}`, which an earlier change dropped or renamed",
                self.table.value
            ))
            .at(self.expr.location.clone())
            .label("not a column of the schema this release's code sees")
            .help(format!(
                "write the check over the columns of `{}` that remain",
                self.table.value
            ))
            .into());
        }
        let at = self.name.as_ref().unwrap_or(&self.table).location.clone();
        let constraint = Constraint {
            name: self.name(),
            kind: ConstraintKind::Check {
                expr: self.expr.value.trim().to_string(),
            },
        };
        let checked: Vec<String> = table
            .columns
            .iter()
            .filter(|c| constraint.uses(cx.dialect, &c.name))
            .map(|c| c.name.clone())
            .collect();
        for column in &checked {
            cx.ensure_arrived(&self.table.value, Some(column), &self.expr.location)?;
        }
        cx.add_tightening(
            &self.table.value,
            constraint,
            &checked,
            &at,
            self.describe(),
            &self.tightening,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn is_an_expand_step_and_a_constraint_of_the_table() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_check\"\ntable = \"users\"\nname = \"users_email_at\"\ncheck = \"email LIKE '%@%'\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let users = s.table("users").unwrap();
        assert!(users
            .constraint("users_email_at")
            .unwrap()
            .uses(None, "email"));
    }

    #[test]
    fn the_expression_is_required() {
        let err = op("type = \"add_check\"\ntable = \"users\"").unwrap_err();
        assert!(err.render().contains("missing `check`"), "{}", err.render());
    }
}
