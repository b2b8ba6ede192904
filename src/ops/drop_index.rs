//! `drop_index`: code of R may no longer need the index, but R-1's queries may; it is
//! dropped in contract(R + gap).

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::diag::{suggestion, Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropIndex {
    name: Located<String>,
    table: Option<Located<String>>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(DropIndex {
        name: fields.str(&["name", "index"], "the index to drop")?,
        table: fields.opt_str(&["table"])?,
    }))
}

impl Operation for DropIndex {
    fn kind(&self) -> &'static str {
        "drop_index"
    }

    fn describe(&self) -> String {
        format!("drop index {}", self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let Some(index) = cx.schema.indexes.get(&self.name.value).cloned() else {
            let names: Vec<&str> = cx.schema.indexes.keys().map(String::as_str).collect();
            let mut diag = Diag::input(format!("unknown index `{}`", self.name.value))
                .at(self.name.location.clone())
                .label("no such index in the schema this release's code sees");
            if let Some((t, c)) = cx.schema.constraint(&self.name.value) {
                diag = diag.help(format!(
                    "`{}` is a {} of `{}`: drop it with a `drop_constraint` op",
                    c.name,
                    c.noun(),
                    t.name
                ));
            } else if !names.is_empty() {
                diag = diag.help(suggestion(&self.name.value, &names));
            }
            return Err(diag.into());
        };
        if let Some(t) = &self.table {
            if t.value != index.table {
                return Err(Diag::input(format!(
                    "index `{}` is on table `{}`, not `{}`",
                    index.name, index.table, t.value
                ))
                .at(t.location.clone())
                .into());
            }
        }
        cx.schema.indexes.shift_remove(&index.name);
        Ok(vec![Step::new(
            Timing::Later(Removal::new(
                "drop",
                "drop it",
                format!("index {}", index.name),
            )),
            self.describe(),
            vec![Action::DropIndex { index }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn a_unique_constraint_points_at_drop_constraint() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"",
        )
        .unwrap();
        let err = apply(&mut s, "type = \"drop_index\"\nname = \"users_email_key\"").unwrap_err();
        assert!(err.render().contains("drop_constraint"), "{}", err.render());
    }

    #[test]
    fn drop_is_later() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        let steps = apply(&mut s, "type = \"drop_index\"\nname = \"users_email_idx\"").unwrap();
        assert_eq!(timings(&steps), ["later:drop"]);
        assert!(s.indexes.is_empty());
    }

    #[test]
    fn unknown_index_is_an_input_error() {
        let mut s = schema(USERS);
        let err = apply(&mut s, "type = \"drop_index\"\nname = \"nope\"").unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
