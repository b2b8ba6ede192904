//! `drop_column`: release R's code stops reading and writing the column. Expand relaxes it
//! so R's inserts that omit it succeed (and, with `down_sql`, fills it for R-1's readers);
//! contract(R + gap) drops it with whatever served it.

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{trigger_name, Action};
use crate::diag::{Diag, Result};
use crate::model::{Constraint, Table};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct DropColumn {
    table: Located<String>,
    column: Located<String>,
    down_sql: Option<Located<String>>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(DropColumn {
        table: fields.str(&["table"], "the table holding the column")?,
        column: fields.str(&["column"], "the column to drop")?,
        down_sql: fields.opt_str(&["down_sql", "down"])?,
    }))
}

impl Operation for DropColumn {
    fn kind(&self) -> &'static str {
        "drop_column"
    }

    fn describe(&self) -> String {
        format!("drop column {}.{}", self.table.value, self.column.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let column = cx.column(&self.table, &self.column)?.clone();
        let dialect = cx.dialect;
        // The table's own constraints on the column go with it (after R's writes leave
        // it NULL, which they all accept); a foreign key from elsewhere must go first.
        let own = |owner: &Table, c: &Constraint| {
            owner.name == self.table.value && c.uses(dialect, &column.name)
        };
        cx.ensure_no_other_constraint_uses(
            &self.table.value,
            Some(&column.name),
            &self.column.location,
            "drop",
            own,
        )?;
        let constraints: Vec<Constraint> = cx
            .table(&self.table)?
            .constraints
            .iter()
            .filter(|c| c.uses(dialect, &column.name))
            .cloned()
            .collect();
        // A generated column computed from this one would go with it (or stop the drop).
        if let Some(g) = cx.table(&self.table)?.columns.iter().find(|c| {
            matches!(&c.default, Some(crate::model::Default::Generated { expr, .. })
                if c.name != column.name && crate::sql::lex::reads_column(dialect, expr, &column.name))
        }) {
            return Err(Diag::input(format!(
                "generated column `{}.{}` is computed from `{}`",
                self.table.value, g.name, column.name
            ))
            .at(self.column.location.clone())
            .label("the column to drop")
            .help(format!("drop `{}` first, in this or an earlier release", g.name))
            .into());
        }
        let table = self.table.value.clone();
        let primary_key = self.check_droppable(cx, &column.name)?;
        let subject = format!("{table}.{}", column.name);
        let indexes: Vec<_> = cx
            .schema
            .indexes_of(&table)
            .filter(|i| i.uses(dialect, &column.name))
            .cloned()
            .collect();
        cx.schema
            .indexes
            .retain(|_, i| !(i.table == table && i.uses(dialect, &column.name)));
        let t = cx.schema.tables.get_mut(&table).expect("checked above");
        t.columns.retain(|c| c.name != column.name);
        t.constraints.retain(|c| !c.uses(dialect, &column.name));
        cx.retire(&table, Some(&column.name));
        for constraint in &constraints {
            cx.retire_constraint(&table, constraint);
        }

        let mut steps = Vec::new();
        let mut expand = Vec::new();
        if !column.may_be_omitted() {
            let keyed = !constraints.is_empty() || indexes.iter().any(|i| i.unique);
            expand.push(cx.relax_retired(&table, &column, keyed, self.down_sql.is_some()));
        }
        let trigger = trigger_name("fill", &table, &column.name);
        if let Some(down) = &self.down_sql {
            expand.push(Action::FillTrigger {
                table: table.clone(),
                column: column.name.clone(),
                expr: down.value.clone(),
                trigger: trigger.clone(),
                primary_key,
            });
        }
        if !expand.is_empty() {
            steps.push(Step::new(
                Timing::Expand,
                format!("relax {subject} so inserts that omit it succeed"),
                expand,
            ));
        }
        let mut later = Vec::new();
        if self.down_sql.is_some() {
            later.push(Action::DropTrigger {
                table: table.clone(),
                trigger,
            });
        }
        later.extend(
            constraints
                .into_iter()
                .map(|constraint| Action::DropConstraint {
                    table: table.clone(),
                    constraint,
                }),
        );
        later.extend(indexes.into_iter().map(|index| Action::DropIndex { index }));
        later.push(Action::DropColumn {
            table,
            column: column.name.clone(),
        });
        steps.push(Step::new(
            Timing::Later(Removal::new("drop", "drop it", subject)),
            self.describe(),
            later,
        ));
        Ok(steps)
    }
}

impl DropColumn {
    /// A column of the primary key, or a table's only column, cannot be dropped; yields
    /// the table's primary key, which a `down_sql` trigger batches by.
    fn check_droppable(&self, cx: &OpContext<'_>, column: &str) -> Result<Vec<String>> {
        let table = &self.table.value;
        let t = cx.table(&self.table)?;
        if t.primary_key.iter().any(|c| c == column) {
            return Err(Diag::input(format!(
                "column `{table}.{column}` is part of the primary key and cannot be dropped"
            ))
            .at(self.column.location.clone())
            .label("primary key column")
            .into());
        }
        if t.columns.len() == 1 {
            return Err(
                Diag::input(format!("`{table}.{column}` is the table's only column"))
                    .at(self.column.location.clone())
                    .label("a table needs at least one column")
                    .help("drop the table instead")
                    .into(),
            );
        }
        Ok(t.primary_key.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;
    use crate::sql::Dialect;
    use crate::types::Literal;

    #[test]
    fn the_tables_own_constraints_on_it_go_with_it() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]",
        )
        .unwrap();
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        )
        .unwrap();
        let later = &steps.last().unwrap().actions;
        assert!(
            matches!(later[0], Action::DropConstraint { .. }),
            "{later:?}"
        );
        assert!(matches!(later.last(), Some(Action::DropColumn { .. })));
        assert!(s.table("users").unwrap().constraints.is_empty());
    }

    #[test]
    fn not_null_column_is_relaxed_in_expand_and_dropped_later() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:drop"]);
        assert!(matches!(steps[0].actions[0], Action::DropNotNull { .. }));
        assert!(s.table("users").unwrap().column("legacy_email").is_none());
    }

    /// The placeholder a MySQL expand gives `column` of `table`, after `before` ran.
    fn placeholder(before: &[&str], table: &str, column: &str) -> Option<Literal> {
        let mut s = schema(PLACEHOLDERS);
        for op in before {
            apply_in(Dialect::Mysql, &mut s, op).unwrap();
        }
        let op = format!("type = \"drop_column\"\ntable = \"{table}\"\ncolumn = \"{column}\"");
        let steps = apply_in(Dialect::Mysql, &mut s, &op).unwrap();
        match &steps[0].actions[0] {
            Action::DropNotNull { placeholder, .. } => placeholder.clone(),
            other => panic!("{other:?}"),
        }
    }

    const PLACEHOLDERS: &str = r#"
[tables.teams]
primary_key = ["id"]
[tables.teams.columns]
id = { type = "bigint" }
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
age = { type = "integer" }
name = { type = "varchar(40)" }
admin = { type = "boolean" }
born = { type = "date" }
bio = { type = "text" }
team_id = { type = "bigint" }
code = { type = "varchar(20)" }
score = { type = "integer" }
rank = { type = "integer" }
[[tables.users.constraints]]
type = "foreign_key"
name = "users_team_fk"
columns = ["team_id"]
references = "teams"
referenced_columns = ["id"]
[[tables.users.constraints]]
type = "check"
name = "users_score_check"
expr = "score >= 1"
"#;

    #[test]
    fn a_retiring_column_gets_a_placeholder_default_on_mysql_only_where_none_can_fail() {
        assert_eq!(placeholder(&[], "users", "age"), Some(Literal::Int(0)));
        assert_eq!(
            placeholder(&[], "users", "name"),
            Some(Literal::Str("".into()))
        );
        assert_eq!(
            placeholder(&[], "users", "admin"),
            Some(Literal::Bool(false))
        );
        // No obvious value of the type: NOT NULL is dropped.
        assert_eq!(placeholder(&[], "users", "born"), None);
        assert_eq!(placeholder(&[], "users", "bio"), None);
        // A key, a foreign key or a check over it would refuse a repeated placeholder.
        assert_eq!(placeholder(&[], "users", "team_id"), None);
        assert_eq!(placeholder(&[], "users", "score"), None);
        let unique_index =
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"code\"]\nunique = true";
        assert_eq!(placeholder(&[unique_index], "users", "code"), None);
        let plain_index = "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"rank\"]";
        assert_eq!(
            placeholder(&[plain_index], "users", "rank"),
            Some(Literal::Int(0))
        );
        // A trigger fills what arrives NULL: a default would hide it.
        let mut s = schema(PLACEHOLDERS);
        let steps = apply_in(
            Dialect::Mysql,
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"age\"\ndown_sql = \"1\"",
        )
        .unwrap();
        assert!(matches!(
            steps[0].actions[0],
            Action::DropNotNull {
                placeholder: None,
                ..
            }
        ));
        // Postgres drops NOT NULL as metadata.
        let mut s = schema(PLACEHOLDERS);
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"age\"",
        )
        .unwrap();
        assert!(matches!(
            steps[0].actions[0],
            Action::DropNotNull {
                placeholder: None,
                ..
            }
        ));
    }

    #[test]
    fn nullable_column_needs_no_expand_step() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:drop"]);
    }

    #[test]
    fn down_sql_fills_for_the_previous_release_until_the_drop() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ndown_sql = \"email\"",
        )
        .unwrap();
        assert!(matches!(steps[0].actions[1], Action::FillTrigger { .. }));
        assert!(matches!(steps[1].actions[0], Action::DropTrigger { .. }));
    }

    #[test]
    fn dropped_column_cannot_be_used_by_a_later_op() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        )
        .unwrap_err();
        assert!(
            err.render()
                .contains("dropped or renamed by an earlier change"),
            "{}",
            err.render()
        );
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn primary_key_column_is_refused() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"id\"",
        )
        .unwrap_err();
        assert!(err.render().contains("part of the primary key"));
    }
}
