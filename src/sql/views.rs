//! Views mode (PostgreSQL): each release's code selects a schema of its own through
//! `search_path`, holding one view per table that shows the columns under the names that
//! release uses. A rename then changes no row: the new release's views show the existing
//! column under its new name, and the column itself is renamed in place once no code
//! reads the table directly under the old name. Views name the columns they read by
//! position (attnum) and the table by identity, so renaming either keeps every view
//! valid.

use crate::action::{Action, ReleaseView, ViewColumn};
use crate::model::{fit_identifier, Schema};
use crate::sql::Dialect;

use crate::sql::physical::Physical;
use crate::sql::text::quote;

/// The schema of release `release`'s views: `<prefix>_<release>`, with every character
/// other than a lower-case letter or digit written as `_` (`1.4.0` -> `app_1_4_0`),
/// within Postgres's 63 bytes. Two releases whose names come out the same are refused
/// by the planner.
pub fn schema_name(prefix: &str, release: &str) -> String {
    let tail: String = release
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .collect();
    fit_identifier(format!("{prefix}_{tail}"), 63)
}

/// The views of a release: one per table of its model, each column read from the column
/// that exists under `physical_name`.
pub fn release_views(schema_name: &str, model: &Schema) -> Action {
    let views = model
        .tables
        .values()
        .map(|t| ReleaseView {
            name: t.name.clone(),
            table: t.name.clone(),
            columns: t
                .columns
                .iter()
                .map(|c| ViewColumn {
                    physical: model.physical_column(&t.name, &c.name).to_string(),
                    column: c.clone(),
                })
                .collect(),
        })
        .collect();
    Action::ReleaseViews {
        schema: schema_name.to_string(),
        views,
    }
}

fn q(name: &str) -> String {
    quote(Dialect::Postgres, name)
}

/// `CREATE VIEW` of one release view, and the defaults of its columns as this release's
/// model has them: a view's own default goes before the table's for the columns an INSERT
/// through it omits, so the release's code gets its release's default. An identity
/// column has none of its own: the table numbers it.
pub fn create_view(schema: &str, view: &ReleaseView) -> Vec<String> {
    let columns: Vec<String> = view
        .columns
        .iter()
        .map(|c| {
            if c.physical == c.column.name {
                q(&c.physical)
            } else {
                format!("{} AS {}", q(&c.physical), q(&c.column.name))
            }
        })
        .collect();
    let name = format!("{}.{}", q(schema), q(&view.name));
    let mut out = vec![format!(
        "CREATE VIEW {name} AS SELECT {} FROM {};",
        columns.join(", "),
        q(&view.table)
    )];
    for c in &view.columns {
        if let Some(d) = c.column.default.as_ref().filter(|d| {
            !matches!(
                d,
                crate::model::Default::Identity | crate::model::Default::Generated { .. }
            )
        }) {
            out.push(format!(
                "ALTER VIEW {name} ALTER COLUMN {} SET DEFAULT {};",
                q(&c.column.name),
                crate::sql::ddl::typed_default_sql(Dialect::Postgres, &c.column.ty, d)
            ));
        }
    }
    out
}

/// The Postgres SQL of the views-mode actions; `None` for any other action.
pub fn render(action: &Action, physical: &Physical) -> Option<String> {
    match action {
        Action::ReleaseViews { schema, views } => {
            let mut out = vec![format!(
                "-- The views of this release's code, which selects them with\n\
                 -- SET search_path TO {schema}"
            )];
            if physical.has_release_schema(schema) {
                out.push(format!("DROP SCHEMA {} CASCADE;", q(schema)));
            }
            out.push(format!("CREATE SCHEMA {};", q(schema)));
            for view in views {
                out.extend(create_view(schema, view));
            }
            Some(out.join("\n"))
        }
        Action::DropReleaseSchema { schema } => Some(if physical.has_release_schema(schema) {
            format!("DROP SCHEMA {} CASCADE;", q(schema))
        } else {
            format!("-- The schema {schema} was not made: nothing to drop.")
        }),
        Action::RenameColumn { table, from, to } => Some(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {};",
            q(table),
            q(from),
            q(to)
        )),
        _ => None,
    }
}

/// Drops and makes again, around `statement`, the release views that read `table.column`
/// (Postgres refuses to retype a column a view reads); `None` when none does.
pub fn around_release_views(
    physical: &Physical,
    table: &str,
    column: &str,
    statement: &str,
) -> Option<String> {
    let reading: Vec<(&str, &ReleaseView)> =
        physical.release_views_reading(table, column).collect();
    if reading.is_empty() {
        return None;
    }
    let mut body = Vec::new();
    for (schema, view) in &reading {
        body.push(format!("DROP VIEW {}.{};", q(schema), q(&view.name)));
    }
    body.push(statement.to_string());
    for (schema, view) in &reading {
        body.extend(create_view(schema, view));
    }
    let body = body.join("\n  ");
    let tag = crate::sql::text::dollar_tag(&body);
    Some(format!(
        "-- Release views read this column: dropped and made again around it.\n\
         DO {tag}\nBEGIN\n  {body}\nEND\n{tag};"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert_eq!(schema_name("app", "1.4.0"), "app_1_4_0");
        assert_eq!(schema_name("app", "v2.0.0-RC.1"), "app_v2_0_0_rc_1");
        assert!(schema_name("app", &"9".repeat(100)).len() <= 63);
    }

    #[test]
    fn a_view_sets_the_release_default_but_none_for_an_identity_column() {
        use crate::action::{ReleaseView, ViewColumn};
        use crate::model::{Column, Default};
        use crate::types::{ColumnType, Literal};
        let column = |name: &str, default: Option<Default>| Column {
            name: name.into(),
            ty: ColumnType::BigInt,
            nullable: false,
            default,
            comment: None,
            on_update: None,
        };
        let view = ReleaseView {
            name: "users".into(),
            table: "users".into(),
            columns: vec![
                ViewColumn {
                    physical: "id".into(),
                    column: column("id", Some(Default::Identity)),
                },
                ViewColumn {
                    physical: "score".into(),
                    column: column("points", Some(Default::Literal(Literal::Int(0)))),
                },
            ],
        };
        let sql = create_view("app_1_0_0", &view).join("\n");
        assert!(sql.contains(r#""score" AS "points""#), "{sql}");
        assert!(
            sql.contains(r#"ALTER COLUMN "points" SET DEFAULT 0"#),
            "{sql}"
        );
        assert!(!sql.contains(r#"ALTER COLUMN "id""#), "{sql}");
    }
}
