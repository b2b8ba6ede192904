//! `create_enum`: a new enum type, made in expand; nothing older uses it. Postgres
//! creates the type; MySQL writes the values in each column's `ENUM(...)` and SQLite
//! keeps enum columns as text, so there is nothing to run there.

use super::op::{OpContext, Operation, Step, Timing};
use crate::action::{Action, EnumChange};
use crate::diag::{Diag, Result};
use crate::parse::decl::{check_identifier, enum_values};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct CreateEnum {
    name: Located<String>,
    values: Vec<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let name = fields.str(&["enum", "name"], "the new enum's name")?;
    check_identifier(fields.file, &name.value, name.location.span.clone(), "enum")?;
    let values = enum_values(fields)?.value;
    Ok(Box::new(CreateEnum { name, values }))
}

impl Operation for CreateEnum {
    fn kind(&self) -> &'static str {
        "create_enum"
    }

    fn describe(&self) -> String {
        format!("create enum {}", self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let name = &self.name.value;
        if cx.schema.enums.contains_key(name) {
            return Err(Diag::input(format!("enum `{name}` already exists"))
                .at(self.name.location.clone())
                .label("already in the schema")
                .into());
        }
        cx.schema.enums.insert(name.clone(), self.values.clone());
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::Enum {
                name: name.clone(),
                change: EnumChange::Create {
                    values: self.values.clone(),
                },
                columns: Vec::new(),
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn creates_in_expand_and_a_second_time_is_an_input_error() {
        let mut s = schema(USERS);
        let op = "type = \"create_enum\"\nenum = \"mood\"\nvalues = [\"ok\", \"sad\"]";
        let steps = apply(&mut s, op).unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(s.enums["mood"], ["ok", "sad"]);
        let err = apply(&mut s, op).unwrap_err();
        assert!(err.render().contains("already exists"), "{}", err.render());
    }
}
