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
use crate::sql::Dialect;

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

/// The expressions of the checks and indexes that read `table.column` (the checks the
/// database still enforces among them), each with what it is: `check x`, `index y`.
fn expressions_reading(
    schema: &crate::model::Schema,
    table: &str,
    column: &str,
) -> Vec<(String, String)> {
    let pg = Some(Dialect::Postgres);
    let reads = |e: &String| crate::sql::lex::reads_column(pg, e, column);
    let mut out = Vec::new();
    let enforced = schema
        .tables
        .get(table)
        .into_iter()
        .flat_map(|t| &t.constraints);
    let retired = schema
        .retired_constraints
        .iter()
        .filter(|(t, _, _)| t == table)
        .map(|(_, c, _)| c);
    for c in enforced.chain(retired) {
        if let crate::model::ConstraintKind::Check { expr } = &c.kind {
            if reads(expr) {
                out.push((format!("check {}", c.name), expr.clone()));
            }
        }
    }
    for index in schema.indexes_of(table) {
        let o = &index.options;
        for expr in o
            .expressions
            .iter()
            .chain(&o.predicate)
            .filter(|e| reads(e))
        {
            out.push((format!("index {}", index.name), expr.clone()));
        }
    }
    out
}

impl DropEnumValue {
    /// Postgres makes the type again without the value and the contract makes the checks
    /// and indexes that compare the column again over it: one that names the value
    /// could not be made (the value is no longer a literal of the type), and would mean
    /// something else without it. Refused, naming each (exit 1).
    fn refuse_objects_naming_it(&self, cx: &mut OpContext<'_>, value: &str) {
        let name = &self.name.value;
        for (table, column) in cx.schema.enum_columns(name) {
            for (object, expr) in expressions_reading(cx.schema, &table, &column.name) {
                let strings = crate::sql::lex::string_values(Some(Dialect::Postgres), &expr);
                if !strings.iter().any(|s| s == value) {
                    continue;
                }
                cx.problems.push(
                    Diag::refused(format!(
                        "refused: {object} on {table} compares {table}.{} with value '{value}', \
                         which this op removes from enum {name}",
                        column.name
                    ))
                    .at(cx.location.clone())
                    .label(format!("{} ({})", self.kind(), self.describe()))
                    .note(format!("its expression: {expr}"))
                    .note(
                        "the contract makes the type again without the value and makes this \
                         object again over it: the value could no longer be written there, \
                         and the object would no longer mean what it says",
                    )
                    .help(format!(
                        "drop the {object} or change it to no longer name '{value}' in a change \
                         of this release or an earlier one (drop_index and create_index, \
                         drop_constraint and add_check), then drop the value"
                    )),
                );
            }
        }
    }
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
        if cx.dialect == Some(Dialect::Postgres) {
            self.refuse_objects_naming_it(cx, &value);
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
