//! `add_enum_value`: a value appended to an enum, in expand, so that R's code may write
//! it. Relaxing: every value the code before R writes stays valid. Postgres `ALTER TYPE
//! ... ADD VALUE` (in a file run outside a transaction: a value added in a transaction
//! cannot be used before it commits); MySQL changes each column of the enum's type in
//! place (`ALGORITHM=INSTANT`: the value goes at the end); SQLite keeps enums as text.

use super::op::{OpContext, Operation, Step, Timing};
use crate::action::{Action, EnumChange};
use crate::diag::{suggestion, Diag, Result};
use crate::model::{Column, Schema};
use crate::parse::{Fields, Located};
use crate::types::ColumnType;

#[derive(Debug)]
pub struct AddEnumValue {
    name: Located<String>,
    value: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let name = fields.str(&["enum", "name"], "the enum to extend")?;
    let value = fields.str(&["value"], "the value to add")?;
    if !crate::parse::decl::is_enum_value(&value.value, fields.dialect) {
        return Err(Diag::input(format!("invalid enum value `{}`", value.value))
            .at(value.location)
            .label(crate::parse::decl::ENUM_VALUE_RULE)
            .into());
    }
    Ok(Box::new(AddEnumValue { name, value }))
}

/// The values of the enum `name`, or an error pointing at it with the nearest enum.
pub(super) fn known_enum(cx: &OpContext<'_>, name: &Located<String>) -> Result<Vec<String>> {
    cx.schema.enums.get(&name.value).cloned().ok_or_else(|| {
        let names: Vec<&str> = cx.schema.enums.keys().map(String::as_str).collect();
        Diag::input(format!("unknown enum `{}`", name.value))
            .at(name.location.clone())
            .label("no such enum in the schema this release's code sees")
            .help(suggestion(&name.value, &names))
            .into()
    })
}

/// Gives the enum `name` the values `values`, in the schema and in every column of its
/// type; returns those columns with their tables.
pub(super) fn set_values(
    schema: &mut Schema,
    name: &str,
    values: &[String],
) -> Vec<(String, Column)> {
    schema.enums.insert(name.to_string(), values.to_vec());
    for table in schema.tables.values_mut() {
        for column in &mut table.columns {
            if let ColumnType::Enum(e) = &mut column.ty {
                if e.name == name {
                    e.values = values.to_vec();
                }
            }
        }
    }
    schema.enum_columns(name)
}

impl Operation for AddEnumValue {
    fn kind(&self) -> &'static str {
        "add_enum_value"
    }

    fn describe(&self) -> String {
        format!(
            "add value '{}' to enum {}",
            self.value.value, self.name.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let mut values = known_enum(cx, &self.name)?;
        if values.contains(&self.value.value) {
            return Err(Diag::input(format!(
                "enum `{}` already has the value `{}`",
                self.name.value, self.value.value
            ))
            .at(self.value.location.clone())
            .label("already a value")
            .into());
        }
        values.push(self.value.value.clone());
        let columns = set_values(cx.schema, &self.name.value, &values);
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::Enum {
                name: self.name.value.clone(),
                change: EnumChange::AddValue {
                    value: self.value.value.clone(),
                },
                columns,
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::types::ColumnType;

    const SCHEMA: &str = "[enums.status]\nvalues = [\"active\"]\n\n[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nstate = { type = \"status\" }\n";

    #[test]
    fn appends_in_expand_and_columns_see_the_value() {
        let mut s = schema(SCHEMA);
        let steps = apply(
            &mut s,
            "type = \"add_enum_value\"\nenum = \"status\"\nvalue = \"gone\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let ty = &s.table("users").unwrap().column("state").unwrap().ty;
        assert!(matches!(ty, ColumnType::Enum(e) if e.values == ["active", "gone"]));
    }

    #[test]
    fn unknown_enum_and_existing_value_are_input_errors() {
        let mut s = schema(SCHEMA);
        let err = apply(
            &mut s,
            "type = \"add_enum_value\"\nenum = \"stat\"\nvalue = \"x\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `status`?"),
            "{}",
            err.render()
        );
        let err = apply(
            &mut s,
            "type = \"add_enum_value\"\nenum = \"status\"\nvalue = \"active\"",
        )
        .unwrap_err();
        assert!(err.render().contains("already has"), "{}", err.render());
    }
}
