//! `create_object`: a new object outside the table model (a view, a function, a
//! trigger, ... of the dialect's `[[objects]]` kinds), made in expand from the statement
//! written: the code of release R - 1 does not call it, so nothing it uses changes.

use super::op::{OpContext, Operation, Step, Timing};
use crate::action::{Action, RawEffect};
use crate::diag::{suggestion, Diag, Result};
use crate::model::{after_tables_by_default, object_kinds, SchemaObject};
use crate::parse::{Fields, Located};

/// What `create_object` and `replace_object` write: the object's kind, its name as the
/// catalogue names it (`f(integer)`, `table.trigger`) and the statement that makes it.
#[derive(Debug)]
pub struct ObjectFields {
    pub kind: Located<String>,
    pub name: Located<String>,
    pub sql: Located<String>,
}

/// Reads `kind`, `name` and (when `with_sql`) `sql`.
pub fn object_fields(fields: &mut Fields<'_, '_>, with_sql: bool) -> Result<ObjectFields> {
    let kind = fields.str(
        &["kind"],
        "the object's kind (view, function, trigger, ...)",
    )?;
    let name = fields.str(&["name"], "the object's name as introspect writes it")?;
    if name.value.trim().is_empty() {
        return Err(Diag::input("an object's name is empty")
            .at(name.location.clone())
            .label("empty")
            .into());
    }
    let sql = if with_sql {
        let sql = fields.str(&["sql"], "the statement that creates the object")?;
        if sql.value.trim().is_empty() {
            return Err(Diag::input(format!("object `{}` has no sql", name.value))
                .at(sql.location.clone())
                .label("empty")
                .help("write the CREATE statement that makes it")
                .into());
        }
        let first = sql.value.split_whitespace().next().unwrap_or("");
        let wants = if kind.value == "row_security" {
            "ALTER"
        } else {
            "CREATE"
        };
        if !first.eq_ignore_ascii_case(wants) {
            return Err(Diag::input(format!(
                "the sql of {} `{}` does not begin with {wants}",
                kind.value, name.value
            ))
            .at(sql.location.clone())
            .label(format!("expected the {wants} statement that makes it"))
            .help("one statement that makes the object, as introspect writes it")
            .into());
        }
        sql
    } else {
        Located {
            value: String::new(),
            location: name.location.clone(),
        }
    };
    Ok(ObjectFields { kind, name, sql })
}

impl ObjectFields {
    /// Fails unless the project's dialect has objects of this kind.
    pub fn check_kind(&self, cx: &OpContext<'_>) -> Result<()> {
        let kinds = object_kinds(cx.dialect);
        if kinds.contains(&self.kind.value.as_str()) {
            return Ok(());
        }
        let on = cx
            .dialect
            .map(|d| format!(" on {}", d.name()))
            .unwrap_or_default();
        Err(
            Diag::input(format!("unknown object kind `{}`{on}", self.kind.value))
                .at(self.kind.location.clone())
                .label(format!("expected one of {}", kinds.join(", ")))
                .help(suggestion(&self.kind.value, &kinds))
                .into(),
        )
    }

    /// The index of the object in the schema the code sees.
    pub fn position(&self, cx: &OpContext<'_>) -> Option<usize> {
        cx.schema
            .objects
            .iter()
            .position(|o| o.kind == self.kind.value && o.name == self.name.value)
    }

    /// The object as the model keeps it.
    pub fn object(&self) -> SchemaObject {
        SchemaObject {
            kind: self.kind.value.clone(),
            name: self.name.value.clone(),
            sql: self
                .sql
                .value
                .trim()
                .trim_end_matches(';')
                .trim()
                .to_string(),
            after_tables: after_tables_by_default(&self.kind.value),
        }
    }
}

#[derive(Debug)]
pub struct CreateObject {
    fields: ObjectFields,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    Ok(Box::new(CreateObject {
        fields: object_fields(fields, true)?,
    }))
}

impl Operation for CreateObject {
    fn kind(&self) -> &'static str {
        "create_object"
    }

    fn describe(&self) -> String {
        format!(
            "create {} {}",
            self.fields.kind.value, self.fields.name.value
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let f = &self.fields;
        f.check_kind(cx)?;
        if f.position(cx).is_some() {
            return Err(Diag::input(format!(
                "{} `{}` already exists",
                f.kind.value, f.name.value
            ))
            .at(f.name.location.clone())
            .label("already in the schema")
            .help("change it with `replace_object`")
            .into());
        }
        let object = f.object();
        cx.schema.objects.push(object.clone());
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::Raw {
                sql: object.sql.clone(),
                effect: vec![RawEffect::Object(object)],
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::sql::Dialect;

    const VIEW: &str = "type = \"create_object\"\nkind = \"view\"\nname = \"names\"\nsql = \"CREATE VIEW names AS SELECT email FROM users;\"";

    #[test]
    fn creates_in_expand_and_a_second_time_is_an_input_error() {
        let mut s = schema(USERS);
        let steps = apply(&mut s, VIEW).unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(s.objects.len(), 1);
        assert_eq!(
            s.objects[0].sql,
            "CREATE VIEW names AS SELECT email FROM users"
        );
        let err = apply(&mut s, VIEW).unwrap_err().render();
        assert!(err.contains("view `names` already exists"), "{err}");
        assert!(err.contains("replace_object"), "{err}");
    }

    #[test]
    fn a_kind_the_dialect_lacks_is_an_input_error_with_a_suggestion() {
        let mut s = schema(USERS);
        let op = "type = \"create_object\"\nkind = \"veiw\"\nname = \"v\"\nsql = \"CREATE VIEW v AS SELECT 1\"";
        let err = apply_in(Dialect::Sqlite, &mut s, op).unwrap_err().render();
        assert!(
            err.contains("unknown object kind `veiw` on sqlite"),
            "{err}"
        );
        assert!(err.contains("view"), "{err}");
        let op = "type = \"create_object\"\nkind = \"function\"\nname = \"f\"\nsql = \"  \"";
        let err = apply_in(Dialect::Mysql, &mut s, op).unwrap_err().render();
        assert!(err.contains("object `f` has no sql"), "{err}");
        let op =
            "type = \"create_object\"\nkind = \"view\"\nname = \"v\"\nsql = \"DROP TABLE users\"";
        let err = apply_in(Dialect::Mysql, &mut s, op).unwrap_err().render();
        assert!(err.contains("does not begin with CREATE"), "{err}");
    }
}
