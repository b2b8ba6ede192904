//! `drop_object`: release R's code stops calling an object outside the table model (a
//! view, a function, ...); it is dropped in contract(R + gap), as a column is, once
//! neither the running release nor its rollback target calls it. Another object that
//! still names it (a view reading the view, a trigger calling the function) is refused.

use super::create_object::{object_fields, ObjectFields};
use super::op::{OpContext, Operation, Removal, Step, Timing};
use crate::action::{Action, RawEffect};
use crate::diag::{Diag, Result};
use crate::parse::Fields;
use crate::sql::Dialect;

#[derive(Debug)]
pub struct DropObject {
    fields: ObjectFields,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(DropObject {
        fields: object_fields(fields, false)?,
    }))
}

impl Operation for DropObject {
    fn kind(&self) -> &'static str {
        "drop_object"
    }

    fn describe(&self) -> String {
        format!("drop {} {}", self.fields.kind.value, self.fields.name.value)
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let f = &self.fields;
        f.check_kind(cx)?;
        let known: Vec<String> = cx
            .schema
            .objects
            .iter()
            .filter(|o| o.kind == f.kind.value)
            .map(|o| o.name.clone())
            .collect();
        let Some(at) = f.position(cx) else {
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(Diag::input(format!(
                "there is no {} `{}` to drop",
                f.kind.value, f.name.value
            ))
            .at(f.name.location.clone())
            .label("not in the schema")
            .help(crate::diag::suggestion(&f.name.value, &names))
            .into());
        };
        let object = cx.schema.objects.remove(at);
        let called = object.called().to_string();
        for other in cx.schema.objects.iter().filter(|o| o.names(&called)) {
            cx.problems.push(
                Diag::refused(format!(
                    "refused: {} {} names {} {}, which this op drops",
                    other.kind, other.name, object.kind, object.name
                ))
                .at(cx.location.clone())
                .label(format!("{} ({})", self.kind(), self.describe()))
                .note(format!("its statement: {}", other.sql))
                .help(format!(
                    "drop or replace {} {} first, in this change or an earlier one",
                    other.kind, other.name
                )),
            );
        }
        let dialect = cx.dialect.unwrap_or(Dialect::Postgres);
        let Some(sql) = crate::sql::text::drop_object(dialect, &object.kind, &object.name, true)
        else {
            return Err(Diag::input(format!(
                "{} `{}` cannot be dropped by its name",
                object.kind, object.name
            ))
            .at(f.name.location.clone())
            .label("write it as `table.name`")
            .into());
        };
        Ok(vec![Step::new(
            Timing::Later(Removal::new(
                "drop",
                "drop it",
                format!("{} {}", object.kind, object.name),
            )),
            self.describe(),
            vec![Action::Raw {
                sql,
                effect: vec![RawEffect::DropObject {
                    kind: object.kind.clone(),
                    name: object.name.clone(),
                }],
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const MADE: &str = "[[objects]]\nkind = \"function\"\nname = \"label(text)\"\nsql = \"CREATE FUNCTION label(t text) RETURNS text LANGUAGE sql AS 'SELECT t'\"\n\
        [[objects]]\nkind = \"view\"\nname = \"labels\"\nsql = \"CREATE VIEW labels AS SELECT label(email) FROM users\"\n";

    #[test]
    fn a_drop_is_later_and_one_another_object_calls_is_refused() {
        let mut s = schema(&format!("{MADE}{USERS}"));
        let drop_view = "type = \"drop_object\"\nkind = \"view\"\nname = \"labels\"";
        let steps = apply(&mut s, drop_view).unwrap();
        assert_eq!(timings(&steps), ["later:drop"]);
        assert_eq!(s.objects.len(), 1);
        let err = apply(&mut s, drop_view).unwrap_err().render();
        assert!(err.contains("there is no view `labels` to drop"), "{err}");

        let mut s = schema(&format!("{MADE}{USERS}"));
        let op = super::super::testing::op(
            "type = \"drop_object\"\nkind = \"function\"\nname = \"label(text)\"",
        )
        .unwrap();
        let file = crate::diag::SourceFile::new("changes/0001_test.toml", "");
        let mut cx = crate::ops::op::OpContext::new(
            &mut s,
            1,
            Some(2),
            crate::diag::Location::new(&file, 0..0),
            None,
            Some(crate::sql::Dialect::Postgres),
        );
        op.apply(&mut cx).unwrap();
        let problems: Vec<String> = cx.problems.iter().map(|p| p.render()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("view labels names function label(text)"),
            "{problems:?}"
        );
    }
}
