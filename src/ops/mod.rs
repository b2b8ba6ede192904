//! The operations of a change file. Each lives in its own module and implements
//! [`Operation`]: it validates itself against the schema the code sees, folds itself into
//! that schema, and yields its steps, each with the phase it belongs to.
//!
//! Adding an operation: write its module (struct, `parse`, `Operation` impl, tests) and
//! register its parser in [`REGISTRY`].

pub(crate) mod add_check;
mod add_column;
mod add_enum_value;
pub(crate) mod add_foreign_key;
mod add_primary_key;
pub(crate) mod add_unique;
mod alter_column;
mod create_enum;
pub(crate) mod create_index;
mod create_object;
mod create_table;
mod drop_column;
mod drop_constraint;
mod drop_enum;
mod drop_enum_value;
mod drop_index;
mod drop_object;
mod drop_table;
pub mod op;
mod raw_sql;
mod rename_column;
mod rename_constraint;
mod rename_table;
mod replace_object;
mod retype;
mod set_comment;
mod sql;

use crate::diag::{suggestion, Diag, Result};
use op::Operation;

use crate::parse::{Fields, Located};

type ParseFn = fn(&mut Fields<'_, '_>) -> Result<Box<dyn Operation>>;

/// Every operation type, by the name change files use.
pub const REGISTRY: &[(&str, ParseFn)] = &[
    ("create_table", create_table::parse),
    ("drop_table", drop_table::parse),
    ("add_column", add_column::parse),
    ("drop_column", drop_column::parse),
    ("rename_column", rename_column::parse),
    ("alter_column", alter_column::parse),
    ("rename_table", rename_table::parse),
    ("create_index", create_index::parse),
    ("add_foreign_key", add_foreign_key::parse),
    ("add_unique", add_unique::parse),
    ("add_check", add_check::parse),
    ("drop_constraint", drop_constraint::parse),
    ("rename_constraint", rename_constraint::parse),
    ("drop_index", drop_index::parse),
    ("create_enum", create_enum::parse),
    ("drop_enum", drop_enum::parse),
    ("add_enum_value", add_enum_value::parse),
    ("drop_enum_value", drop_enum_value::parse),
    ("add_primary_key", add_primary_key::parse),
    ("set_comment", set_comment::parse),
    ("create_object", create_object::parse),
    ("replace_object", replace_object::parse),
    ("drop_object", drop_object::parse),
    ("sql", sql::parse),
];

/// The op type names, for suggestions.
pub fn type_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|(n, _)| *n).collect()
}

/// Parses an op of the given type, or fails with the nearest valid type.
pub fn parse_op(kind: &Located<String>, fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let Some((_, parse)) = REGISTRY.iter().find(|(n, _)| *n == kind.value) else {
        return Err(Diag::input(format!("unknown op type `{}`", kind.value))
            .at(kind.location.clone())
            .label("unknown op type")
            .help(suggestion(&kind.value, &type_names()))
            .into());
    };
    parse(fields)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for op unit tests: a schema from TOML, an op from TOML, apply.
    use super::*;
    use crate::diag::Location;
    use crate::diag::SourceFile;
    use crate::model::Schema;
    use crate::ops::op::{OpContext, Step, Timing};
    use crate::sql::Dialect;

    pub fn schema(toml: &str) -> Schema {
        crate::parse::schema::parse_schema(&SourceFile::new("schema.toml", toml)).expect("schema")
    }

    pub fn op(toml: &str) -> Result<Box<dyn Operation>> {
        let file = SourceFile::new(
            "changes/0001_test.toml",
            format!("release = \"1.0.0\"\n[[op]]\n{toml}"),
        );
        let change = crate::parse::change::parse_change(&file)?;
        Ok(change.ops.into_iter().next().expect("one op").op)
    }

    /// Applies `op` in release 1 with later steps landing in release 2.
    pub fn apply(schema: &mut Schema, op_toml: &str) -> Result<Vec<Step>> {
        apply_in(Dialect::Postgres, schema, op_toml)
    }

    /// As [`apply`], for a project of `dialect`.
    pub fn apply_in(dialect: Dialect, schema: &mut Schema, op_toml: &str) -> Result<Vec<Step>> {
        let op = op(op_toml)?;
        let file = SourceFile::new("changes/0001_test.toml", "");
        let mut cx = OpContext::new(
            schema,
            1,
            Some(2),
            Location::new(&file, 0..0),
            None,
            Some(dialect),
        );
        op.apply(&mut cx)
    }

    /// As [`apply`], with the code of the release before seeing `schema` as it is.
    pub fn apply_after(schema: &mut Schema, op_toml: &str) -> Result<Vec<Step>> {
        let op = op(op_toml)?;
        let previous = schema.view();
        let file = SourceFile::new("changes/0001_test.toml", "");
        let mut cx = OpContext::new(
            schema,
            1,
            Some(2),
            Location::new(&file, 0..0),
            Some(&previous),
            Some(Dialect::Postgres),
        );
        op.apply(&mut cx)
    }

    pub fn timings(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| match &s.timing {
                Timing::Expand => "expand".to_string(),
                Timing::Contract => "contract".to_string(),
                Timing::Later(r) => format!("later:{}", r.noun),
            })
            .collect()
    }

    pub const USERS: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname = { type = "text", nullable = true }
"#;
}
