//! `rename_table`: R's code uses the new name, R-1's the old one. Expand renames the
//! table and leaves a view under the old name, through which R-1 reads and writes as
//! before; contract(R + gap) drops the view once no running code uses the old name.

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::config::RenameMode;
use crate::diag::{Diag, Result};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct RenameTable {
    from: Located<String>,
    to: Located<String>,
    mode: Option<Located<RenameMode>>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let from = fields.str(&["table", "from", "old_name"], "the table's current name")?;
    let to = fields.str(&["to", "new_name"], "the table's new name")?;
    check_identifier(fields.file, &to.value, to.location.span.clone(), "table")?;
    let mode = super::rename_column::parse_mode(fields)?;
    Ok(Box::new(RenameTable { from, to, mode }))
}

impl Operation for RenameTable {
    fn kind(&self) -> &'static str {
        "rename_table"
    }

    fn describe(&self) -> String {
        format!("rename table {} to {}", self.from.value, self.to.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        // Views mode renames the table in expand too (instant, no row moves): R-1's code
        // keeps the old name through the view below if it reads the tables directly, or
        // through its own release views, which follow the table. It also turns the
        // release schemas on.
        if super::rename_column::resolve_mode(cx, &self.mode)? == RenameMode::Views {
            cx.schema.views_since.get_or_insert(cx.release);
        }
        let before = cx.table(&self.from)?.clone();
        let (from, to) = (self.from.value.clone(), self.to.value.clone());
        if cx.schema.table(&to).is_some() || cx.schema.is_physically_present(&to, None, cx.release)
        {
            return Err(Diag::input(format!("table `{to}` already exists"))
                .at(self.to.location.clone())
                .label("name taken")
                .help("choose another name")
                .into());
        }

        let mut renamed = before.clone();
        renamed.name = to.clone();
        // The view serves R-1's code: it shows the columns that code knows, which an
        // earlier op of this release may have renamed or retired in the model (they stay
        // in the database until a later contract).
        let mut served = cx
            .previous
            .and_then(|v| v.table(&from))
            .cloned()
            .unwrap_or_else(|| before.clone());
        served.name = to.clone();
        cx.schema.tables.shift_remove(&from);
        cx.schema.tables.insert(to.clone(), renamed.clone());
        for table in cx.schema.tables.values_mut() {
            table.rename_references(&from, &to);
        }
        cx.schema.rename_table_in_indexes(&from, &to);
        for (table, _, _) in &mut cx.schema.pending_constraints {
            if *table == from {
                *table = to.clone();
            }
        }
        for (table, _) in &mut cx.schema.pending_primary_keys {
            if *table == from {
                *table = to.clone();
            }
        }
        for ((table, _), _) in &mut cx.schema.arriving {
            if *table == from {
                *table = to.clone();
            }
        }
        for p in &mut cx.schema.physical_names {
            if p.table == from {
                p.table = to.clone();
            }
        }
        cx.retire(&from, None);

        Ok(vec![
            Step::new(
                Timing::Expand,
                format!(
                    "{}, keeping {from} as a view for the previous release",
                    self.describe()
                ),
                vec![
                    Action::RenameTable {
                        from: from.clone(),
                        to: to.clone(),
                    },
                    Action::CreateCompatView {
                        view: from.clone(),
                        table: served,
                    },
                ],
            ),
            Step::new(
                Timing::Later(Removal::new(
                    "removal",
                    "remove it",
                    format!("the old table name {from}"),
                )),
                format!("drop the view {from} that kept the old name of {to}"),
                vec![Action::DropCompatView {
                    view: from,
                    table: to,
                }],
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;

    #[test]
    fn renames_in_expand_and_drops_the_old_name_later() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:removal"]);
        assert!(matches!(
            steps[0].actions[1],
            Action::CreateCompatView { .. }
        ));
        assert!(s.table("users").is_none());
        assert_eq!(s.table("accounts").unwrap().column_names()[0], "id");
        assert!(s.indexes.values().all(|i| i.table == "accounts"));
        assert!(s.is_physically_present("users", None, 2));
    }

    #[test]
    fn the_new_name_must_be_free() {
        let mut s = schema(USERS);
        apply(&mut s, "type = \"drop_table\"\ntable = \"users\"").ok();
        let mut s2 = schema(USERS);
        let err = apply(
            &mut s2,
            "type = \"rename_table\"\ntable = \"users\"\nto = \"users\"",
        )
        .unwrap_err();
        assert!(err.render().contains("already exists"), "{}", err.render());
    }
}
