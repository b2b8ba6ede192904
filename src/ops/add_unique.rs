//! `add_unique`: a unique constraint, added in expand without blocking writes where the
//! dialect can (Postgres builds its index concurrently, then attaches it).

use super::op::{
    column_list, default_name, key_leads_with, OpContext, Operation, Step, Tightening,
};
use crate::diag::Result;
use crate::model::{Constraint, ConstraintKind};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct AddUnique {
    table: Located<String>,
    columns: Located<Vec<String>>,
    name: Option<Located<String>>,
    tightening: Tightening,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to constrain")?;
    let columns = column_list(fields, "columns", "column", "a list of column names")?;
    let name = fields.opt_str(&["name", "constraint"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "constraint")?;
    }
    let tightening = Tightening::parse(fields)?;
    Ok(Box::new(AddUnique {
        table,
        columns,
        name,
        tightening,
    }))
}

impl AddUnique {
    fn name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => default_name(&self.table.value, &self.columns.value, "key"),
        }
    }
}

impl Operation for AddUnique {
    fn leads_key(&self, column: &str) -> bool {
        key_leads_with(&self.columns.value, column)
    }

    fn kind(&self) -> &'static str {
        "add_unique"
    }

    fn describe(&self) -> String {
        format!(
            "add unique constraint {} on {}({})",
            self.name(),
            self.table.value,
            self.columns.value.join(", ")
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.columns(&self.table, &self.columns)?;
        let at = self.name.as_ref().unwrap_or(&self.table).location.clone();
        let constraint = Constraint {
            name: self.name(),
            kind: ConstraintKind::Unique {
                columns: self.columns.value.clone(),
            },
        };
        cx.add_tightening(
            &self.table.value,
            constraint,
            &self.columns.value,
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
    fn is_an_expand_step_with_a_default_name() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(s
            .table("users")
            .unwrap()
            .constraint("users_email_key")
            .is_some());
    }

    #[test]
    fn over_a_column_older_code_writes_it_waits_unless_asserted() {
        let mut s = schema(USERS);
        let steps = apply_after(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]\nrepair_sql = \"NULL\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
        assert!(matches!(
            steps[0].actions.as_slice(),
            [
                crate::action::Action::Repair { .. },
                crate::action::Action::AddConstraint { .. }
            ]
        ));
        assert_eq!(
            s.pending_constraints,
            [("users".into(), "users_email_key".into(), Some(2))]
        );

        let mut s = schema(USERS);
        let steps = apply_after(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\"]\nold_code_complies = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(steps[0].description.contains("asserted by the change"));
    }

    #[test]
    fn repair_of_several_columns_needs_its_column() {
        let mut s = schema(USERS);
        let err = apply_after(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email\", \"nickname\"]\nrepair_sql = \"NULL\"",
        )
        .unwrap_err();
        assert!(err.render().contains("repair_column"), "{}", err.render());
    }

    #[test]
    fn a_taken_name_is_refused() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nname = \"u_email\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"\nname = \"u_email\"",
        )
        .unwrap_err();
        assert!(err.render().contains("is taken"), "{}", err.render());
    }
}
