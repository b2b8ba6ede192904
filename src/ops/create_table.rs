//! `create_table`: a new table, created in expand. Nothing older uses it, so nothing to
//! contract.

use super::op::{OpContext, Operation, Step, Timing};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::model::Table;
use crate::parse::decl::{check_identifier, resolve_enums, TypeSites};
use crate::parse::schema::{parse_table, Declared};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct CreateTable {
    name: Located<String>,
    table: Table,
    /// Its `constraints` and `indexes`, created with it.
    declared: Vec<Declared>,
    /// Where its columns' types are written.
    types: TypeSites,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let name = fields.str(&["table", "name"], "the new table's name")?;
    check_identifier(
        fields.file,
        &name.value,
        name.location.span.clone(),
        "table",
    )?;
    let mut body = fields.nested(fields.table, fields.span.clone(), fields.what.clone());
    body.allow(&["type", "table", "name", "contract_release"]);
    let (table, declared, types) = parse_table(name.value.clone(), body)?;
    fields.allow(&[
        "columns",
        "primary_key",
        "constraints",
        "indexes",
        "comment",
    ]);
    Ok(Box::new(CreateTable {
        name,
        table,
        declared,
        types,
    }))
}

impl Operation for CreateTable {
    fn kind(&self) -> &'static str {
        "create_table"
    }

    fn describe(&self) -> String {
        format!("create table {}", self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let name = &self.name.value;
        if cx.schema.table(name).is_some() {
            return Err(Diag::input(format!("table `{name}` already exists"))
                .at(self.name.location.clone())
                .label("already in the schema")
                .into());
        }
        if cx.schema.is_physically_present(name, None, cx.release) {
            return Err(Diag::input(format!(
                "table `{name}` still exists in the database until an earlier change's contract step drops it"
            ))
            .at(self.name.location.clone())
            .label("name still taken")
            .into());
        }
        let mut table = self.table.clone();
        resolve_enums(&mut table, &self.types, &cx.schema.enums, cx.dialect)?;
        cx.schema.tables.insert(name.clone(), table);
        // Constraints are written into CREATE TABLE; indexes follow it.
        let declared = Declared::apply_all(&self.declared, cx.schema, cx.dialect)?;
        let mut actions = vec![Action::CreateTable {
            table: cx.schema.tables[name].clone(),
            keys: Vec::new(),
        }];
        actions.extend(
            declared
                .into_iter()
                .flat_map(|s| s.actions)
                .filter(|a| matches!(a, Action::CreateIndex { .. })),
        );
        if cx.dialect == Some(crate::sql::Dialect::Mysql) {
            crate::action::key_auto_increment_inline(&mut actions);
        }
        Ok(vec![Step::new(Timing::Expand, self.describe(), actions)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn creates_in_expand_and_joins_the_schema() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"create_table\"\ntable = \"teams\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, name = { type = \"text\" } }",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(s.table("teams").unwrap().column_names(), ["id", "name"]);
    }

    #[test]
    fn existing_table_is_an_input_error() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"create_table\"\ntable = \"users\"\ncolumns = { id = { type = \"bigint\" } }",
        )
        .unwrap_err();
        assert!(err.render().contains("table `users` already exists"));
        assert_eq!(err.exit_code(), 2);
    }
}
