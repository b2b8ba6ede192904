//! `add_column`: added in expand so that R's code finds it, in a form R-1's inserts (which
//! omit it) still satisfy; NOT NULL without a default is tightened only once R-1 is gone.

use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{trigger_name, Action, Source};
use crate::diag::Location;
use crate::diag::{Diag, Result};
use crate::model::{Column, Default};
use crate::parse::decl::{check_identifier, column_fields_at, resolve_column};
use crate::parse::{Fields, Located};
use crate::sql::Dialect;

#[derive(Debug)]
pub struct AddColumn {
    table: Located<String>,
    name: Located<String>,
    column: Column,
    /// Where its type is written.
    type_at: Location,
    backfill_sql: Option<Located<String>>,
}

/// Reads either form: `column = { name = "bio", type = "text", ... }`, or flat
/// `column = "bio"` with `column_type = "text"` and the other column fields beside it.
pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to add the column to")?;
    let mut backfill_sql = None;
    let nested = fields
        .table
        .get("column")
        .is_some_and(|v| v.get_ref().is_table());
    let (name, column) = match if nested {
        fields.opt_table(&["column"])?
    } else {
        None
    } {
        Some((body, span)) => {
            let mut inner = fields.nested(body, span, format!("column of {}", fields.what));
            let name = inner.str(&["name"], "the new column's name")?;
            check_identifier(
                fields.file,
                &name.value,
                name.location.span.clone(),
                "column",
            )?;
            let column = column_fields_at(&mut inner, name.value.clone(), &["type"])?;
            backfill_sql = inner.opt_str(&["backfill_sql"])?;
            inner.finish()?;
            (name, column)
        }
        None => {
            let name = fields.str(&["column", "name"], "the new column's name")?;
            check_identifier(
                fields.file,
                &name.value,
                name.location.span.clone(),
                "column",
            )?;
            let column = column_fields_at(fields, name.value.clone(), &["column_type"])?;
            (name, column)
        }
    };
    let (column, sites) = column;
    if let Some(at) = sites.identity {
        return Err(Diag::input(format!(
            "`add_column` cannot add the identity column `{}.{}`",
            table.value, name.value
        ))
        .at(at)
        .label("identity here")
        .note("numbering the existing rows rewrites the table (Postgres), needs a key (MySQL) or is impossible in place (SQLite)")
        .help("declare identity columns with their table (schema.toml or create_table)")
        .into());
    }
    if let Some(b) = fields.opt_str(&["backfill_sql", "backfill"])? {
        backfill_sql = Some(b);
    }
    if let (true, Some(b)) = (column.is_generated(), &backfill_sql) {
        return Err(Diag::input(format!(
            "generated column `{}.{}` cannot be backfilled",
            table.value, name.value
        ))
        .at(b.location.clone())
        .label("the database computes every row of this column")
        .help("remove `backfill_sql`")
        .into());
    }
    if !column.nullable && column.default.is_none() && backfill_sql.is_none() {
        return Err(Diag::input(format!(
            "NOT NULL column `{}.{}` needs a value for existing rows and for rows the previous release inserts",
            table.value, name.value
        ))
        .at(name.location.clone())
        .label("no `default`, no `backfill_sql`")
        .help("add `backfill_sql = \"<SQL expression>\"` (then it is tightened to NOT NULL one release later), a `default`, or `nullable = true`")
        .into());
    }
    Ok(Box::new(AddColumn {
        table,
        name,
        column,
        type_at: sites.ty,
        backfill_sql,
    }))
}

impl Operation for AddColumn {
    fn kind(&self) -> &'static str {
        "add_column"
    }

    fn describe(&self) -> String {
        format!("add column {}.{}", self.table.value, self.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.ensure_new_column(&self.table, &self.name)?;
        let table = self.table.value.clone();
        let primary_key = cx.table(&self.table)?.primary_key.clone();
        let mut column = self.column.clone();
        resolve_column(&mut column, &self.type_at, &cx.schema.enums, cx.dialect)?;
        let column = &column;
        cx.schema
            .tables
            .get_mut(&table)
            .expect("checked above")
            .columns
            .push(column.clone());

        let Some(backfill) = &self.backfill_sql else {
            return Ok(vec![Step::new(
                Timing::Expand,
                self.describe(),
                vec![Action::AddColumn {
                    table,
                    column: column.clone(),
                    not_null_at_once: None,
                }],
            )]);
        };

        Ok(self.backfilled(cx, column, backfill, primary_key))
    }
}

impl AddColumn {
    /// The steps of a column with `backfill_sql`: expand adds it loose, fills R-1's
    /// inserts and backfills the rows there; a later step stops the filling and
    /// tightens it.
    fn backfilled(
        &self,
        cx: &OpContext<'_>,
        column: &Column,
        backfill: &Located<String>,
        primary_key: Vec<String>,
    ) -> Vec<Step> {
        let table = self.table.value.clone();
        let subject = format!("{table}.{}", self.name.value);
        // Backfilled: added nullable without default, so the backfill decides every
        // existing row; R-1's inserts are filled by the default or by a trigger.
        let mut loose = column.clone();
        loose.nullable = true;
        loose.default = None;
        let trigger = trigger_name("fill", &table, &self.name.value);
        // On MySQL the NOT NULL is there from the start: InnoDB would set it in the
        // contract only by rebuilding the table (every row copied, hours on a large one,
        // then writers held while it applies what they wrote meanwhile). R-1's inserts
        // get the default, or the trigger's value (a stand-in default covers them until
        // the trigger is in place); the backfill sets every row already there. An
        // expression that gives NULL fails at once instead of in the contract.
        let not_null_at_once = match (cx.dialect, column.nullable, &column.default) {
            (Some(Dialect::Mysql), false, None) => super::op::placeholder_for(&column.ty),
            (Some(Dialect::Mysql), false, Some(Default::Literal(value))) => Some(value.clone()),
            _ => None,
        };
        let mut expand = vec![Action::AddColumn {
            table: table.clone(),
            column: loose,
            not_null_at_once,
        }];
        // The default is set before the backfill, not after: rows that R-1 inserts
        // between the backfill's last pass and a later SET DEFAULT would keep NULL and
        // fail the NOT NULL of the contract. Existing rows stay NULL (SET DEFAULT does
        // not touch them), so the backfill still finds every row it has to decide.
        if column.default.is_some() {
            expand.push(Action::SetDefault {
                table: table.clone(),
                column: column.clone(),
            });
        }
        if column.default.is_none() {
            expand.push(Action::FillTrigger {
                table: table.clone(),
                column: self.name.value.clone(),
                expr: backfill.value.clone(),
                trigger: trigger.clone(),
                primary_key: primary_key.clone(),
            });
        }
        expand.push(Action::Backfill {
            table: table.clone(),
            column: self.name.value.clone(),
            source: Source::Sql(backfill.value.clone()),
            primary_key,
        });
        let mut steps = vec![Step::new(
            Timing::Expand,
            format!("{} and backfill it", self.describe()),
            expand,
        )];

        let mut later = Vec::new();
        if column.default.is_none() {
            later.push(Action::DropTrigger {
                table: table.clone(),
                trigger,
            });
        }
        if !column.nullable {
            later.push(Action::SetNotNull {
                table: table.clone(),
                column: column.clone(),
            });
        }
        if !later.is_empty() {
            let description = if column.nullable {
                format!("stop filling {subject} for the previous release")
            } else {
                format!("tighten {subject} to NOT NULL")
            };
            steps.push(Step::new(
                Timing::Later(Removal::new("tightening", "tighten it", subject)),
                description,
                later,
            ));
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;

    #[test]
    fn nullable_column_is_one_expand_step_in_either_form() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let steps = apply(
            &mut s,
            "type = \"add_column\"\ntable = \"users\"\ncolumn = \"bio2\"\ncolumn_type = \"text\"\nnullable = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(
            s.table("users").unwrap().column_names().last(),
            Some(&"bio2")
        );
    }

    #[test]
    fn flat_form_without_a_type_says_which_field() {
        let err = op("type = \"add_column\"\ntable = \"users\"\ncolumn = \"bio\"\nnullable = true")
            .unwrap_err();
        assert!(
            err.render().contains("missing `column_type`"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn not_null_with_backfill_fills_then_tightens_later() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_column\"\ntable = \"users\"\ncolumn = \"email_lower\"\ncolumn_type = \"text\"\nbackfill_sql = \"lower(email)\"",
        );
        // `type` is the op type; the column's type is given as `column_type`.
        let steps = steps.unwrap();
        assert_eq!(timings(&steps), ["expand", "later:tightening"]);
        assert!(matches!(steps[0].actions[1], Action::FillTrigger { .. }));
        assert!(matches!(steps[1].actions[1], Action::SetNotNull { .. }));
        assert!(
            !s.table("users")
                .unwrap()
                .column("email_lower")
                .unwrap()
                .nullable
        );
    }

    /// On MySQL a backfilled NOT NULL column is added NOT NULL at once: with its literal
    /// default, else with a stand-in where its type has one; elsewhere, and where neither
    /// is at hand, nullable as before.
    #[test]
    fn a_backfilled_not_null_column_is_added_not_null_at_once_on_mysql_only() {
        use crate::sql::Dialect;
        use crate::types::Literal;
        let at_once = |dialect: Dialect, column: &str| {
            let mut s = schema(USERS);
            let op = format!(
                "type = \"add_column\"\ntable = \"users\"\ncolumn = {column}\nbackfill_sql = \"1\""
            );
            let steps = apply_in(dialect, &mut s, &op).unwrap();
            match &steps[0].actions[0] {
                Action::AddColumn {
                    column,
                    not_null_at_once,
                    ..
                } => {
                    assert!(column.nullable && column.default.is_none(), "{column:?}");
                    not_null_at_once.clone()
                }
                other => panic!("{other:?}"),
            }
        };
        let varchar = "{ name = \"code\", type = \"varchar(8)\" }";
        let integer = "{ name = \"rank\", type = \"integer\", default = 7 }";
        let text = "{ name = \"bio\", type = \"text\" }";
        let computed = "{ name = \"n\", type = \"integer\", default_sql = \"1 + 1\" }";
        let nullable = "{ name = \"m\", type = \"integer\", nullable = true }";
        assert_eq!(
            at_once(Dialect::Mysql, varchar),
            Some(Literal::Str(String::new()))
        );
        assert_eq!(at_once(Dialect::Mysql, integer), Some(Literal::Int(7)));
        assert_eq!(at_once(Dialect::Mysql, text), None);
        assert_eq!(at_once(Dialect::Mysql, computed), None);
        assert_eq!(at_once(Dialect::Mysql, nullable), None);
        assert_eq!(at_once(Dialect::Postgres, varchar), None);
        assert_eq!(at_once(Dialect::Sqlite, integer), None);
    }

    /// The default is in place before the backfill starts: a row the previous release
    /// inserts after the backfill's last pass gets the default, never NULL (which the
    /// contract's NOT NULL would then refuse).
    #[test]
    fn backfill_with_a_default_sets_the_default_before_the_backfill() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"score\", type = \"integer\", default = 0 }\nbackfill_sql = \"1\"",
        )
        .unwrap();
        let kinds: Vec<&str> = steps[0]
            .actions
            .iter()
            .map(|a| match a {
                Action::AddColumn { .. } => "add",
                Action::SetDefault { .. } => "default",
                Action::Backfill { .. } => "backfill",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["add", "default", "backfill"]);
    }

    #[test]
    fn a_default_is_set_before_the_backfill_so_no_insert_is_left_null() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"score\", type = \"integer\", default = 0 }\nbackfill_sql = \"length(email)\"",
        )
        .unwrap();
        let expand = &steps[0].actions;
        let at = |f: fn(&Action) -> bool| expand.iter().position(f).unwrap();
        assert!(
            at(|a| matches!(a, Action::SetDefault { .. }))
                < at(|a| matches!(a, Action::Backfill { .. })),
            "{expand:?}"
        );
    }

    #[test]
    fn not_null_without_default_or_backfill_is_refused_as_input() {
        let err =
            op("type = \"add_column\"\ntable = \"users\"\ncolumn = \"x\"\ncolumn_type = \"text\"")
                .unwrap_err();
        assert!(
            err.render().contains("needs a value for existing rows"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn existing_column_is_an_input_error() {
        let mut s = schema(USERS);
        let err = apply(&mut s, "type = \"add_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"text\"\nnullable = true")
            .unwrap_err();
        assert!(err.render().contains("already exists"));
    }
}
