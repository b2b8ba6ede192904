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

impl DropIndex {
    /// The index this op names: by name, on `table` when it is given; where names are
    /// per table (MySQL) and two tables have one of that name, `table` must say which.
    fn find(&self, cx: &OpContext<'_>) -> Result<crate::model::Index> {
        let named = cx.schema.indexes_named(&self.name.value);
        let on_table = |t: &Located<String>| named.iter().find(|i| i.table == t.value);
        match (&self.table, named.as_slice()) {
            (Some(t), [_, ..]) => match on_table(t) {
                Some(index) => Ok((*index).clone()),
                None => Err(Diag::input(format!(
                    "index `{}` is on table {}, not `{}`",
                    self.name.value,
                    tables_of(&named),
                    t.value
                ))
                .at(t.location.clone())
                .into()),
            },
            (None, [index]) => Ok((*index).clone()),
            (None, [_, _, ..]) => Err(Diag::input(format!(
                "index `{}` is on more than one table: {}",
                self.name.value,
                tables_of(&named)
            ))
            .at(self.name.location.clone())
            .label("MySQL names indexes per table")
            .help("say which with `table = \"...\"`")
            .into()),
            (_, []) => Err(self.unknown(cx)),
        }
    }

    fn unknown(&self, cx: &OpContext<'_>) -> crate::diag::Error {
        let names: Vec<&str> = cx
            .schema
            .indexes
            .values()
            .map(|i| i.name.as_str())
            .collect();
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
        diag.into()
    }
}

/// `a`, or `a`, `b`: the tables of some indexes.
fn tables_of(indexes: &[&crate::model::Index]) -> String {
    let names: Vec<String> = indexes.iter().map(|i| format!("`{}`", i.table)).collect();
    names.join(", ")
}

impl Operation for DropIndex {
    fn kind(&self) -> &'static str {
        "drop_index"
    }

    fn describe(&self) -> String {
        format!("drop index {}", self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let index = self.find(cx)?;
        cx.refuse_unkeying_auto_increment(&index.table, &index.name, &self.name.location);
        cx.schema.remove_index(&index.table, &index.name);
        cx.retire_index(&index);
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
