//! `drop_table`: release R's code stops using the table; it is dropped in contract(R + gap),
//! once neither the running release nor its rollback target reads it.

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::diag::Result;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropTable {
    table: Located<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table", "name"], "the table to drop")?;
    Ok(Box::new(DropTable { table }))
}

impl Operation for DropTable {
    fn kind(&self) -> &'static str {
        "drop_table"
    }

    fn describe(&self) -> String {
        format!("drop table {}", self.table.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.table(&self.table)?;
        cx.ensure_no_constraint_uses(&self.table.value, None, &self.table.location, "drop")?;
        let name = self.table.value.clone();
        cx.schema.tables.shift_remove(&name);
        cx.schema.indexes.retain(|_, i| i.table != name);
        cx.retire(&name, None);
        Ok(vec![Step::new(
            Timing::Later(Removal::new("drop", "drop it", format!("table {name}"))),
            self.describe(),
            vec![Action::DropTable { table: name }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn drop_is_later_and_the_name_stays_taken_until_then() {
        let mut s = schema(USERS);
        let steps = apply(&mut s, "type = \"drop_table\"\ntable = \"users\"").unwrap();
        assert_eq!(timings(&steps), ["later:drop"]);
        assert!(s.table("users").is_none());
        assert!(s.is_physically_present("users", None, 2));
        assert!(!s.is_physically_present("users", None, 3));
    }

    #[test]
    fn unknown_table_suggests() {
        let mut s = schema(USERS);
        let err = apply(&mut s, "type = \"drop_table\"\ntable = \"user\"").unwrap_err();
        assert!(
            err.render().contains("did you mean `users`?"),
            "{}",
            err.render()
        );
    }
}
