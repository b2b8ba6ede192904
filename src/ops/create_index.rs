//! `create_index`: built in expand without blocking writes where the dialect can.

use super::{column_list, OpContext, Operation, Step, Timing};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::model::Index;
use crate::parse::schema::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct CreateIndex {
    table: Located<String>,
    columns: Located<Vec<String>>,
    name: Option<Located<String>>,
    unique: bool,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to index")?;
    let columns = column_list(fields, "columns", "column", "a list of column names")?;
    let name = fields.opt_str(&["name", "index"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "index")?;
    }
    let unique = fields.opt_bool(&["unique"])?.is_some_and(|u| u.value);
    Ok(Box::new(CreateIndex {
        table,
        columns,
        name,
        unique,
    }))
}

impl CreateIndex {
    fn index_name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => {
                // Long names keep a prefix and a hash: two indexes whose names share
                // their first 63 characters stay distinct.
                super::default_name(&self.table.value, &self.columns.value, "idx")
            }
        }
    }
}

impl Operation for CreateIndex {
    fn kind(&self) -> &'static str {
        "create_index"
    }

    fn describe(&self) -> String {
        format!(
            "create {}index {} on {}({})",
            if self.unique { "unique " } else { "" },
            self.index_name(),
            self.table.value,
            self.columns.value.join(", ")
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.columns(&self.table, &self.columns)?;
        let name = self.index_name();
        if cx.schema.indexes.contains_key(&name) {
            return Err(Diag::input(format!("index `{name}` already exists"))
                .at(self
                    .name
                    .as_ref()
                    .map_or(self.table.location.clone(), |n| n.location.clone()))
                .label("index names are unique across the schema")
                .help("give this index another `name`")
                .into());
        }
        let index = Index {
            name: name.clone(),
            table: self.table.value.clone(),
            columns: self.columns.value.clone(),
            unique: self.unique,
        };
        cx.schema.indexes.insert(name, index.clone());
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::CreateIndex { index }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn index_gets_a_default_name_and_is_an_expand_step() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\", \"id\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(s.indexes.contains_key("users_email_id_idx"));
    }

    #[test]
    fn unknown_column_suggests() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"emial\"]",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `email`?"),
            "{}",
            err.render()
        );
    }
}
