//! `replace_object`: a new definition of an object outside the table model, made in
//! expand. The code of release R - 1 still calls the object while expand(R) runs and
//! after it, so the new definition must keep what that code uses (a view's columns, a
//! function's arguments and result): tandem cannot read that from SQL, and says so in the
//! plan. A definition that does not keep it is a new object (`create_object`) that R's
//! code calls, and the old one dropped with `drop_object` once no release calls it.
//!
//! A statement written `CREATE OR REPLACE` replaces the object in one statement; any
//! other is run after a `DROP ... IF EXISTS` of the object (a short moment without it).

use super::create_object::{object_fields, ObjectFields};
use super::op::{OpContext, OpNote, Operation, Step, Timing};
use crate::action::{Action, RawEffect};
use crate::diag::{Diag, Result};
use crate::parse::Fields;
use crate::sql::Dialect;

#[derive(Debug)]
pub struct ReplaceObject {
    fields: ObjectFields,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(ReplaceObject {
        fields: object_fields(fields, true)?,
    }))
}

/// Whether `sql` replaces what it makes by itself (`CREATE OR REPLACE ...`).
fn replaces_itself(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(3)
        .map(str::to_ascii_uppercase)
        .collect();
    words == ["CREATE", "OR", "REPLACE"]
}

impl Operation for ReplaceObject {
    fn kind(&self) -> &'static str {
        "replace_object"
    }

    fn describe(&self) -> String {
        format!(
            "replace {} {}",
            self.fields.kind.value, self.fields.name.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let f = &self.fields;
        f.check_kind(cx)?;
        let Some(at) = f.position(cx) else {
            return Err(Diag::input(format!(
                "there is no {} `{}` to replace",
                f.kind.value, f.name.value
            ))
            .at(f.name.location.clone())
            .label("not in the schema")
            .help("make it with `create_object`, or write its name as introspect does")
            .into());
        };
        let object = f.object();
        cx.schema.objects[at] = object.clone();
        cx.notes.push(OpNote {
            warning: true,
            message: format!(
                "{} {} is replaced in expand, while release R-1's code still calls it: \
                 tandem cannot check that the new definition keeps what that code uses",
                f.kind.value, f.name.value
            ),
        });
        let dialect = cx.dialect.unwrap_or(Dialect::Postgres);
        let called = object.called().to_string();
        let readers: Vec<String> = cx
            .schema
            .objects
            .iter()
            .filter(|o| !(o.kind == object.kind && o.name == object.name) && o.names(&called))
            .map(|o| format!("{} {}", o.kind, o.name))
            .collect();
        if dialect == Dialect::Postgres && !replaces_itself(&object.sql) && !readers.is_empty() {
            // Postgres refuses to drop what another object depends on.
            cx.problems.push(
                Diag::refused(format!(
                    "refused: {} {} is dropped to be made again, but {} names it",
                    object.kind,
                    object.name,
                    readers.join(", ")
                ))
                .at(cx.location.clone())
                .label(format!("{} ({})", self.kind(), self.describe()))
                .help("write the statement as `CREATE OR REPLACE ...`, which keeps what depends on it"),
            );
        }
        let mut actions = Vec::new();
        if !replaces_itself(&object.sql) {
            if let Some(drop) =
                crate::sql::text::drop_object(dialect, &object.kind, &object.name, true)
            {
                actions.push(Action::Raw {
                    sql: drop,
                    effect: Vec::new(),
                });
            }
        }
        actions.push(Action::Raw {
            sql: object.sql.clone(),
            effect: vec![RawEffect::Object(object)],
        });
        Ok(vec![Step::new(Timing::Expand, self.describe(), actions)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::action::Action;
    use crate::sql::Dialect;

    const MADE: &str = "[[objects]]\nkind = \"view\"\nname = \"names\"\nsql = \"CREATE VIEW names AS SELECT email FROM users\"\n";

    fn sql_of(steps: &[crate::ops::op::Step]) -> Vec<String> {
        steps
            .iter()
            .flat_map(|s| &s.actions)
            .filter_map(|a| match a {
                Action::Raw { sql, .. } => Some(sql.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn replaces_in_expand_dropping_first_unless_the_statement_replaces_itself() {
        let mut s = schema(&format!("{MADE}{USERS}"));
        let op = "type = \"replace_object\"\nkind = \"view\"\nname = \"names\"\nsql = \"CREATE VIEW names AS SELECT email, id FROM users\"";
        let steps = apply_in(Dialect::Sqlite, &mut s, op).unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(
            sql_of(&steps),
            [
                "DROP VIEW IF EXISTS \"names\"",
                "CREATE VIEW names AS SELECT email, id FROM users"
            ]
        );
        assert_eq!(
            s.objects[0].sql,
            "CREATE VIEW names AS SELECT email, id FROM users"
        );
        let op = "type = \"replace_object\"\nkind = \"view\"\nname = \"names\"\nsql = \"create or replace VIEW names AS SELECT email FROM users\"";
        let steps = apply(&mut s, op).unwrap();
        assert_eq!(sql_of(&steps).len(), 1);
    }

    #[test]
    fn a_postgres_replace_that_drops_what_another_object_reads_is_refused() {
        let reader = "[[objects]]\nkind = \"view\"\nname = \"reader\"\nsql = \"CREATE VIEW reader AS SELECT * FROM names\"\n";
        let mut s = schema(&format!("{MADE}{reader}{USERS}"));
        let op = super::super::testing::op("type = \"replace_object\"\nkind = \"view\"\nname = \"names\"\nsql = \"CREATE VIEW names AS SELECT email, id FROM users\"").unwrap();
        let file = crate::diag::SourceFile::new("changes/0001_test.toml", "");
        let mut cx = crate::ops::op::OpContext::new(
            &mut s,
            1,
            Some(2),
            crate::diag::Location::new(&file, 0..0),
            None,
            Some(Dialect::Postgres),
        );
        op.apply(&mut cx).unwrap();
        let problems: Vec<String> = cx.problems.iter().map(|p| p.render()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("but view reader names it"),
            "{problems:?}"
        );
        assert!(problems[0].contains("CREATE OR REPLACE"), "{problems:?}");
    }

    #[test]
    fn an_object_that_is_not_there_is_an_input_error() {
        let mut s = schema(&format!("{MADE}{USERS}"));
        let op = "type = \"replace_object\"\nkind = \"view\"\nname = \"nmaes\"\nsql = \"CREATE VIEW nmaes AS SELECT 1\"";
        let err = apply(&mut s, op).unwrap_err().render();
        assert!(err.contains("there is no view `nmaes` to replace"), "{err}");
    }
}
