//! `add_foreign_key`: added in expand without a long lock on either table. Postgres adds
//! it NOT VALID, so new rows are checked at once, then validates existing rows under a
//! lock that lets writes go on; MySQL builds it in place and checks existing rows after.

use super::op::{column_list, default_name, OpContext, Operation, Step, Tightening};
use crate::diag::{suggestion, Diag, Location, Result};
use crate::model::{Constraint, ConstraintKind, Table};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};
use crate::types::ColumnType;

#[derive(Debug)]
pub struct AddForeignKey {
    table: Located<String>,
    columns: Located<Vec<String>>,
    references: Located<String>,
    /// Empty: the referenced table's primary key.
    referenced_columns: Located<Vec<String>>,
    on_delete: Option<String>,
    on_update: Option<String>,
    deferrable: bool,
    initially_deferred: bool,
    name: Option<Located<String>>,
    tightening: Tightening,
}

const ON_DELETE: &[&str] = &["cascade", "set null", "restrict", "no action"];

/// `references` is `"users"`, `"users.id"` or `"users(id)"`; the columns may also be
/// given apart, as `references_columns` or `references_column`.
pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table that holds the reference")?;
    let columns = column_list(fields, "columns", "column", "the referencing column(s)")?;
    let target = fields.str(
        &[
            "references",
            "references_table",
            "referenced_table",
            "to_table",
        ],
        "the referenced table, as \"users\", \"users.id\" or \"users(id)\"",
    )?;
    let (ref_table, inline) = split_reference(&target.value);
    check_identifier(
        fields.file,
        &ref_table,
        target.location.span.clone(),
        "table",
    )?;
    let listed =
        match fields.opt_str_list(&["references_columns", "referenced_columns", "ref_columns"])? {
            Some(c) => Some(c),
            None => fields
                .opt_str(&["references_column", "referenced_column", "ref_column"])?
                .map(|c| Located {
                    value: vec![c.value],
                    location: c.location,
                }),
        };
    let referenced_columns = match (listed, inline) {
        (Some(l), _) => l,
        (None, cols) => Located {
            value: cols,
            location: target.location.clone(),
        },
    };
    let on_delete = action(fields, "on_delete")?;
    let on_update = action(fields, "on_update")?;
    let deferrable = fields.opt_bool(&["deferrable"])?;
    let initially_deferred = fields
        .opt_bool(&["initially_deferred"])?
        .is_some_and(|d| d.value);
    // Deferred implies deferrable; an explicit `deferrable = false` beside it is a mistake.
    if let Some(d) = deferrable
        .as_ref()
        .filter(|d| !d.value && initially_deferred)
    {
        return Err(Diag::input("`initially_deferred` needs a deferrable key")
            .at(d.location.clone())
            .label("`deferrable = false` here")
            .help("drop `deferrable = false`, or `initially_deferred`")
            .into());
    }
    let deferrable = deferrable.is_some_and(|d| d.value) || initially_deferred;
    let name = fields.opt_str(&["name", "constraint"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "constraint")?;
    }
    Ok(Box::new(AddForeignKey {
        table,
        columns,
        references: Located {
            value: ref_table,
            location: target.location,
        },
        referenced_columns,
        on_delete,
        on_update,
        deferrable,
        initially_deferred,
        name,
        tightening: Tightening::parse(fields)?,
    }))
}

/// `on_delete` or `on_update`: one of [`ON_DELETE`], as SQL words.
fn action(fields: &mut Fields<'_, '_>, field: &'static str) -> Result<Option<String>> {
    let names: &[&'static str] = if field == "on_delete" {
        &["on_delete"]
    } else {
        &["on_update"]
    };
    match fields.opt_str(names)? {
        None => Ok(None),
        Some(v) => {
            let words = v.value.replace('_', " ").to_ascii_lowercase();
            if !ON_DELETE.contains(&words.as_str()) {
                return Err(
                    Diag::input(format!("unknown `{field}` action `{}`", v.value))
                        .at(v.location)
                        .label(format!("expected one of: {}", ON_DELETE.join(", ")))
                        .help(suggestion(&words, ON_DELETE))
                        .into(),
                );
            }
            Ok(Some(words))
        }
    }
}

/// `users` -> (users, []); `users.id` -> (users, [id]); `users(id, org)` -> (users, [id, org]).
fn split_reference(text: &str) -> (String, Vec<String>) {
    let text = text.trim();
    if let Some((table, rest)) = text.split_once('(') {
        let cols = rest
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        return (table.trim().to_string(), cols);
    }
    match text.split_once('.') {
        Some((table, col)) => (table.to_string(), vec![col.to_string()]),
        None => (text.to_string(), Vec::new()),
    }
}

/// Whether a key of type `a` may reference one of type `b`: the same type (MySQL
/// refuses integers of different sizes), or a string at least as long as the key it
/// references, so that every value it may point at fits.
///
/// On SQLite every integer type is the one 64-bit INTEGER: a `bigint` key column may
/// reference an INTEGER PRIMARY KEY (the type tandem writes for an identity column of any
/// integer type there, and what introspect reads back).
fn compatible(dialect: Option<crate::sql::Dialect>, a: &ColumnType, b: &ColumnType) -> bool {
    use ColumnType::{BigInt, Integer, SmallInt};
    let whole = |t: &ColumnType| matches!(t, SmallInt | Integer | BigInt);
    // SQLite has one integer type, and PostgreSQL compares integers of any width (real
    // schemas point an `integer` column at a `bigint` key); MySQL wants the same type.
    let any_width = matches!(
        dialect,
        Some(crate::sql::Dialect::Sqlite | crate::sql::Dialect::Postgres)
    );
    if any_width && whole(a) && whole(b) {
        return true;
    }
    let capacity = |t: &ColumnType| match t {
        ColumnType::Varchar(n) | ColumnType::Char(n) => Some(*n),
        _ => None,
    };
    a == b
        || (a.is_textual()
            && b.is_textual()
            && match (capacity(a), capacity(b)) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(x), Some(y)) => x >= y,
            })
}

impl AddForeignKey {
    fn name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => default_name(&self.table.value, &self.columns.value, "fkey"),
        }
    }

    fn referenced(&self, target: &Table) -> Vec<String> {
        if self.referenced_columns.value.is_empty() {
            target.primary_key.clone()
        } else {
            self.referenced_columns.value.clone()
        }
    }
}

impl Operation for AddForeignKey {
    fn kind(&self) -> &'static str {
        "add_foreign_key"
    }

    fn describe(&self) -> String {
        let referenced = if self.referenced_columns.value.is_empty() {
            String::new()
        } else {
            format!("({})", self.referenced_columns.value.join(", "))
        };
        format!(
            "add foreign key {} on {}({}) referencing {}{referenced}",
            self.name(),
            self.table.value,
            self.columns.value.join(", "),
            self.references.value,
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.columns(&self.table, &self.columns)?;
        let target = cx.table(&self.references)?.clone();
        let referenced = self.referenced(&target);
        let at_ref = self.referenced_columns.location.clone();
        if referenced.is_empty() {
            return Err(
                Diag::input(format!("`{}` has no primary key to reference", target.name))
                    .at(at_ref)
                    .label("name the referenced columns")
                    .help("write `references = \"table(column)\"`")
                    .into(),
            );
        }
        let referenced_loc = Located {
            value: referenced.clone(),
            location: at_ref.clone(),
        };
        cx.columns(&self.references, &referenced_loc)?;
        if referenced.len() != self.columns.value.len() {
            return Err(Diag::input(format!(
                "{} column(s) reference {} column(s) of `{}`",
                self.columns.value.len(),
                referenced.len(),
                target.name
            ))
            .at(self.columns.location.clone())
            .label("one referencing column per referenced column")
            .into());
        }
        self.check_key_is_unique(cx, &target, &referenced, &at_ref)?;
        self.check_column_pairs(cx, &target, &referenced)?;
        let at = self.name.as_ref().unwrap_or(&self.table).location.clone();
        let constraint = Constraint {
            name: self.name(),
            kind: ConstraintKind::ForeignKey {
                columns: self.columns.value.clone(),
                references: target.name.clone(),
                referenced_columns: referenced,
                on_delete: self.on_delete.clone(),
                on_update: self.on_update.clone(),
                deferrable: self.deferrable,
                initially_deferred: self.initially_deferred,
            },
        };
        cx.add_tightening(
            &self.table.value,
            constraint,
            &self.columns.value,
            &at,
            self.describe(),
            &self.tightening,
        )
    }
}

impl AddForeignKey {
    /// The database accepts only a key it can look up (the primary key or a unique
    /// one), and only once that key is in the database.
    fn check_key_is_unique(
        &self,
        cx: &OpContext<'_>,
        target: &Table,
        referenced: &[String],
        at_ref: &Location,
    ) -> Result<()> {
        let mut sorted = referenced.to_vec();
        sorted.sort();
        let same = |cols: &[String]| {
            let mut c = cols.to_vec();
            c.sort();
            c == sorted
        };
        let unique = same(&target.primary_key)
            || target.constraints.iter().any(|c| match &c.kind {
                ConstraintKind::Unique { columns } => same(columns),
                _ => false,
            })
            || cx
                .schema
                .indexes_of(&target.name)
                .any(|i| i.unique && same(&i.columns));
        if !unique {
            return Err(Diag::input(format!(
                "`{}({})` is neither the primary key nor unique",
                target.name,
                referenced.join(", ")
            ))
            .at(at_ref.clone())
            .label("a foreign key must reference a primary or unique key")
            .help("add an `add_unique` op on those columns first, or reference the primary key")
            .into());
        }
        // The referenced key must be in the database when this key is added.
        let key = target.constraints.iter().find(|c| match &c.kind {
            ConstraintKind::Unique { columns } => same(columns),
            _ => false,
        });
        if let Some(key) = key {
            if let Some(until) = cx.pending_constraint(&target.name, &key.name) {
                let later =
                    cx.is_tightening(&self.table.value, &self.columns.value, &self.tightening);
                let added_at = if later {
                    cx.later_release
                } else {
                    Some(cx.release)
                };
                let late = match (until, added_at) {
                    // A pending key lands with the first release after; so does this one,
                    // after it, when it waits too.
                    (_, None) => false,
                    (None, Some(_)) => true,
                    // In the same contract, the earlier change's key comes first; an
                    // expand runs before its release's contract.
                    (Some(u), Some(a)) => u > a || (u == a && !later),
                };
                if late {
                    return Err(Diag::input(format!(
                        "`{}({})` is not unique in the database yet: `{}` is enforced in a later contract",
                        target.name,
                        referenced.join(", "),
                        key.name
                    ))
                    .at(at_ref.clone())
                    .label("the referenced key comes later")
                    .help("tag this change with a release after the one whose contract adds that key")
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Each referencing column must match the type of the column it references, and
    /// may be set to NULL only if it is nullable.
    fn check_column_pairs(
        &self,
        cx: &OpContext<'_>,
        target: &Table,
        referenced: &[String],
    ) -> Result<()> {
        let own = cx.table(&self.table)?.clone();
        for (col, ref_col) in self.columns.value.iter().zip(referenced) {
            let (Some(a), Some(b)) = (own.column(col), target.column(ref_col)) else {
                continue;
            };
            if !compatible(cx.dialect, &a.ty, &b.ty) {
                return Err(Diag::input(format!(
                    "`{}.{col}` is {} but `{}.{ref_col}` is {}",
                    own.name, a.ty, target.name, b.ty
                ))
                .at(self.columns.location.clone())
                .label("types of a foreign key must match, and a string key must hold every value it references")
                .help("change the column's type first (alter_column), or reference another key")
                .into());
            }
            let set_null = [
                ("on_delete", &self.on_delete),
                ("on_update", &self.on_update),
            ]
            .into_iter()
            .find(|(_, a)| a.as_deref() == Some("set null"));
            // The server takes it (a delete of the parent then fails); a database that
            // has one is described as it is, a new key is refused.
            if let (Some((field, _)), false, false) = (set_null, a.nullable, cx.declared) {
                return Err(Diag::input(format!(
                    "`{field} = \"set null\"` on NOT NULL column `{}.{col}`",
                    own.name
                ))
                .at(self.columns.location.clone())
                .label("this column cannot be set to NULL")
                .into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::{compatible, split_reference};
    use crate::types::ColumnType;

    const ORDERS: &str = r#"
[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
email = { type = "varchar(100)" }
note = { type = "integer", nullable = true }
label = { type = "text", nullable = true }
"#;

    fn schema_with_orders() -> crate::model::Schema {
        schema(&format!("{USERS}{ORDERS}"))
    }

    #[test]
    fn references_are_read_in_three_forms() {
        assert_eq!(split_reference("users"), ("users".into(), vec![]));
        assert_eq!(
            split_reference("users.id"),
            ("users".into(), vec!["id".into()])
        );
        assert_eq!(
            split_reference("users(id, email)"),
            ("users".into(), vec!["id".into(), "email".into()])
        );
    }

    #[test]
    fn defaults_to_the_primary_key_and_is_an_expand_step() {
        let mut s = schema_with_orders();
        let steps = apply(
            &mut s,
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let orders = s.table("orders").unwrap();
        assert!(orders.constraint("orders_user_id_fkey").is_some());
        // The referenced table cannot be dropped while the key points at it.
        let err = apply(&mut s, "type = \"drop_table\"\ntable = \"users\"").unwrap_err();
        assert!(
            err.render().contains("orders_user_id_fkey"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn a_key_that_is_not_unique_is_refused() {
        let mut s = schema_with_orders();
        let err = apply(
            &mut s,
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"email\"\nreferences = \"users.email\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("neither the primary key nor unique"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn integers_of_other_widths_reference_each_other_where_the_server_allows_it() {
        use crate::sql::Dialect::{Mysql, Postgres, Sqlite};
        let (int, big) = (ColumnType::Integer, ColumnType::BigInt);
        for d in [Postgres, Sqlite] {
            assert!(compatible(Some(d), &int, &big), "{d:?}");
            assert!(compatible(Some(d), &big, &int), "{d:?}");
        }
        assert!(!compatible(Some(Mysql), &int, &big));
        assert!(!compatible(None, &int, &big));
    }

    #[test]
    fn set_null_on_a_not_null_column_is_refused_in_a_change_and_kept_in_schema_toml() {
        let mut s = schema_with_orders();
        let err = apply(
            &mut s,
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\non_delete = \"set null\"",
        )
        .unwrap_err();
        assert!(err.render().contains("NOT NULL column"), "{}", err.render());
        let declared = schema(&format!(
            "{USERS}{ORDERS}\n[[tables.orders.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\non_delete = \"set null\"\n"
        ));
        assert_eq!(declared.table("orders").unwrap().constraints.len(), 1);
    }

    #[test]
    fn mismatched_types_are_refused() {
        let mut s = schema_with_orders();
        let err = apply(
            &mut s,
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"label\"\nreferences = \"users(id)\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("types of a foreign key must match"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn a_string_key_must_hold_what_it_references() {
        let mut s = schema_with_orders();
        apply(
            &mut s,
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"",
        )
        .unwrap();
        // orders.email is varchar(100); users.email varchar(255).
        let err = apply(
            &mut s,
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"email\"\nreferences = \"users(email)\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("hold every value"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn an_unknown_on_delete_suggests() {
        let err = op(
            "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_delete = \"cascad\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `cascade`?"),
            "{}",
            err.render()
        );
    }
}
