//! `drop_enum_value`: release R's code stops writing a value of an enum. Removing it is a
//! tightening (the code before R may still write it), so it runs in contract(R + gap),
//! under the rule. Postgres has no `DROP VALUE`: the type is made again without it and
//! each column converted (a table rewrite under its lock; rows must not hold the value);
//! MySQL changes each column's `ENUM(...)` by copying the table, writes waiting; SQLite
//! keeps enums as text.

use super::add_enum_value::{known_enum, set_values};
use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{Action, EnumChange};
use crate::diag::{suggestion, Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropEnumValue {
    name: Located<String>,
    value: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let name = fields.str(&["enum", "name"], "the enum to narrow")?;
    let value = fields.str(&["value"], "the value to remove")?;
    Ok(Box::new(DropEnumValue { name, value }))
}

impl Operation for DropEnumValue {
    fn kind(&self) -> &'static str {
        "drop_enum_value"
    }

    fn describe(&self) -> String {
        format!(
            "remove value '{}' from enum {}",
            self.value.value, self.name.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let mut values = known_enum(cx, &self.name)?;
        let name = self.name.value.clone();
        let value = self.value.value.clone();
        let Some(position) = values.iter().position(|v| *v == value) else {
            let known: Vec<&str> = values.iter().map(String::as_str).collect();
            return Err(Diag::input(format!("enum `{name}` has no value `{value}`"))
                .at(self.value.location.clone())
                .label("not a value of the enum")
                .help(suggestion(&value, &known))
                .into());
        };
        if values.len() == 1 {
            return Err(
                Diag::input(format!("`{value}` is the only value of enum `{name}`"))
                    .at(self.value.location.clone())
                    .label("an enum keeps at least one value")
                    .help("drop the enum with `drop_enum` once no column uses it")
                    .into(),
            );
        }
        values.remove(position);
        for (table, column) in cx.schema.enum_columns(&name) {
            if let Some(crate::model::Default::Literal(crate::types::Literal::Str(d))) =
                &column.default
            {
                if *d == value {
                    return Err(Diag::input(format!(
                        "`{table}.{}` defaults to `{value}`",
                        column.name
                    ))
                    .at(self.value.location.clone())
                    .label("still a default")
                    .help("give the column another default first (alter_column)")
                    .into());
                }
            }
        }
        let columns = set_values(cx.schema, &name, &values);
        Ok(vec![Step::new(
            Timing::Later(Removal::new(
                "tightening",
                "remove it",
                format!("value '{value}' of enum {name}"),
            )),
            self.describe(),
            vec![Action::Enum {
                name,
                change: EnumChange::DropValue { value, values },
                columns,
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const SCHEMA: &str = "[enums.status]\nvalues = [\"active\", \"gone\"]\n\n[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nstate = { type = \"status\" }\n";

    #[test]
    fn removal_is_a_later_tightening() {
        let mut s = schema(SCHEMA);
        let steps = apply(
            &mut s,
            "type = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"gone\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
        assert_eq!(s.enums["status"], ["active"]);
    }

    #[test]
    fn unknown_value_suggests_and_the_last_value_stays() {
        let mut s = schema(SCHEMA);
        let err = apply(
            &mut s,
            "type = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"gon\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `gone`?"),
            "{}",
            err.render()
        );
        apply(
            &mut s,
            "type = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"gone\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"active\"",
        )
        .unwrap_err();
        assert!(err.render().contains("only value"), "{}", err.render());
    }
}
