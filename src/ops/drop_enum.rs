//! `drop_enum`: release R's code stops using the enum; the type is dropped in
//! contract(R + gap). No column may still be of it.

use super::add_enum_value::known_enum;
use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{Action, EnumChange};
use crate::diag::{Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropEnum {
    name: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let name = fields.str(&["enum", "name"], "the enum to drop")?;
    Ok(Box::new(DropEnum { name }))
}

impl Operation for DropEnum {
    fn kind(&self) -> &'static str {
        "drop_enum"
    }

    fn describe(&self) -> String {
        format!("drop enum {}", self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        known_enum(cx, &self.name)?;
        let name = self.name.value.clone();
        if let Some((table, column)) = cx.schema.enum_columns(&name).first() {
            return Err(Diag::input(format!(
                "enum `{name}` is the type of `{table}.{}`",
                column.name
            ))
            .at(self.name.location.clone())
            .label("still in use")
            .help("drop or retype its columns first")
            .into());
        }
        cx.schema.enums.shift_remove(&name);
        Ok(vec![Step::new(
            Timing::Later(Removal::new("drop", "drop it", format!("enum {name}"))),
            self.describe(),
            vec![Action::Enum {
                name,
                change: EnumChange::Drop,
                columns: Vec::new(),
            }],
        )])
    }
}
