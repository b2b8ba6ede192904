//! `alter_column`: a change of type, nullability or default. What every value of the old
//! shape still fits (a wider type, dropping NOT NULL, a new default) is done in place in
//! expand, where the dialect can do it without a long lock. Tightening (NOT NULL,
//! dropping a default that R-1's inserts rely on) waits for contract(R + gap). A type
//! change that is not a widening moves the values to a new column (`new_name`), as a
//! rename does: R's code uses the new column while R-1's keeps the old one.

use super::op::{OpContext, Operation, Removal, Step, Timing};
use super::rename_column::{move_column, Move};
use crate::action::{trigger_name, Action, Source};
use crate::diag::{Diag, Location, Result};
use crate::model::{Column, ConstraintKind, Default};
use crate::parse::decl::{check_default, check_identifier, check_literal_type, literal_value};
use crate::parse::{Fields, Located};
use crate::types::ColumnType;

#[derive(Debug)]
pub struct AlterColumn {
    table: Located<String>,
    column: Located<String>,
    ty: Option<Located<ColumnType>>,
    nullable: Option<bool>,
    /// `Some(None)`: drop the default.
    default: Option<Option<Default>>,
    /// Where a literal `default` is written.
    default_at: Option<Location>,
    new_name: Option<Located<String>>,
    /// Fills existing rows: NULLs before a NOT NULL, or the new column of `new_name`.
    using: Option<Located<String>>,
    at: Location,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let at = fields.location();
    let table = fields.str(&["table"], "the table holding the column")?;
    let column = fields.str(&["column", "name"], "the column to change")?;
    let ty = match crate::parse::decl::opt_type_field(
        fields,
        &column.value,
        &["column_type", "new_type", "set_type", "to_type", "data_type"],
    )? {
        None => None,
        Some((parsed, location)) if parsed.identity => {
            return Err(Diag::input(format!(
                "`alter_column` cannot make `{}` an identity column",
                column.value
            ))
            .at(location)
            .label("an identity spelling")
            .help("declare identity with the table (schema.toml or create_table); here write the integer type")
            .into())
        }
        Some((parsed, location)) => Some(Located {
            value: parsed.ty,
            location,
        }),
    };
    let nullable = match (
        fields.opt_bool(&["nullable"])?,
        fields.opt_bool(&["not_null"])?,
    ) {
        (Some(n), None) => Some(n.value),
        (None, Some(nn)) => Some(!nn.value),
        (None, None) => None,
        (Some(_), Some(nn)) => {
            return Err(
                Diag::input("`nullable` and `not_null` say the same thing twice")
                    .at(nn.location)
                    .label("keep one of them")
                    .into(),
            )
        }
    };
    let literal = fields.opt_value(&["default"]);
    let sql = fields.opt_str(&["default_sql"])?;
    let drop_default = fields.opt_bool(&["drop_default"])?;
    let default_at = literal.map(|v| Location::new(fields.file, v.span()));
    let default = match (literal, sql, drop_default) {
        (Some(v), None, None) => {
            let lit = literal_value(fields.file, v)?;
            if let Some(t) = &ty {
                check_literal_type(fields, &column.value, &t.value, &lit, v.span())?;
            }
            Some(Some(Default::Literal(lit)))
        }
        (None, Some(sql), None) => Some(Some(Default::Sql(sql.value))),
        (None, None, Some(d)) if d.value => Some(None),
        (None, None, _) => None,
        _ => {
            return Err(Diag::input(
                "`default`, `default_sql` and `drop_default` exclude each other",
            )
            .at(at)
            .label("keep one of them")
            .into())
        }
    };
    let new_name = fields.opt_str(&["new_name", "to"])?;
    if let Some(n) = &new_name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "column")?;
    }
    let using = fields.opt_str(&["using", "backfill_sql"])?;
    if ty.is_none() && nullable.is_none() && default.is_none() && new_name.is_none() {
        return Err(Diag::input("`alter_column` changes nothing")
            .at(at)
            .label("no change given")
            .help(
                "set `column_type`, `nullable`, `default`, `default_sql` or `drop_default = true`",
            )
            .into());
    }
    Ok(Box::new(AlterColumn {
        table,
        column,
        ty,
        nullable,
        default,
        default_at,
        new_name,
        using,
        at,
    }))
}

/// Whether every value of type `from` is a value of type `to`, so that code writing the
/// old type keeps working against the new one.
pub fn widens(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (Varchar(n), Varchar(m)) => m >= n,
        (Varchar(_) | Char(_), Text) => true,
        (SmallInt, Integer | BigInt) | (Integer, BigInt) | (Real, Double) => true,
        (Decimal(p, s), Decimal(p2, s2)) => s2 >= s && p2 - s2 >= p - s,
        // An enum widens by values added at its end; values change through
        // add_enum_value, not through a column.
        (Enum(a), Enum(b)) => a.name == b.name,
        (Native(_), _) | (_, Native(_)) => crate::sql::types::widens(from, to),
        _ => from == to,
    }
}

impl AlterColumn {
    fn changes(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.ty {
            out.push(format!("type {}", t.value));
        }
        match self.nullable {
            Some(true) => out.push("nullable".into()),
            Some(false) => out.push("NOT NULL".into()),
            None => {}
        }
        match &self.default {
            Some(Some(_)) => out.push("new default".into()),
            Some(None) => out.push("no default".into()),
            None => {}
        }
        out
    }

    /// The column as R's code sees it.
    fn target(&self, old: &Column) -> Column {
        let mut new = old.clone();
        if let Some(t) = &self.ty {
            new.ty = t.value.clone();
        }
        if let Some(n) = self.nullable {
            new.nullable = n;
        }
        if let Some(d) = &self.default {
            new.default = d.clone();
        }
        new
    }
}

impl Operation for AlterColumn {
    fn kind(&self) -> &'static str {
        "alter_column"
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "alter column {}.{}: {}",
            self.table.value,
            self.column.value,
            self.changes().join(", ")
        );
        if let Some(n) = &self.new_name {
            text.push_str(&format!(" (as {})", n.value));
        }
        text
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let old = cx.column(&self.table, &self.column)?.clone();
        let target = self.checked_target(cx, &old)?;
        let table = self.table.value.clone();
        let subject = format!("{table}.{}", old.name);

        if let Some(new_name) = &self.new_name {
            if !target.nullable && target.default.is_none() && old.nullable && self.using.is_none()
            {
                return Err(Diag::input(format!(
                    "NOT NULL `{table}.{}` needs a value for the rows where `{subject}` is NULL",
                    new_name.value
                ))
                .at(self.at.clone())
                .label("no `default`, no `using`")
                .help("add `using = \"<SQL expression>\"` or a `default`")
                .into());
            }
            return move_column(
                cx,
                Move {
                    table: &self.table,
                    from: &self.column,
                    to: new_name,
                    new: Some(target),
                    using: self.using.as_ref().map(|u| u.value.clone()),
                    describe: self.describe(),
                    doing: "change",
                },
            );
        }

        if target == old {
            return Err(Diag::input(format!("`{subject}` is already like that"))
                .at(self.at.clone())
                .label("this alter_column changes nothing")
                .into());
        }
        let retyped = target.ty != old.ty;
        if retyped && self.through_shadow(cx, &old, &target) {
            return self.retype_through_shadow(cx, &old, &target);
        }
        if retyped {
            self.check_retype(cx, &subject, &old, &target)?;
        }
        let tighten = old.nullable && !target.nullable;
        if let (Some(u), false) = (&self.using, tighten) {
            return Err(Diag::input(
                "`using` fills rows only for `nullable = false` or with `new_name`",
            )
            .at(u.location.clone())
            .label("nothing to fill")
            .into());
        }
        if let Some(c) = cx
            .schema
            .tables
            .get_mut(&table)
            .and_then(|t| t.column_mut(&old.name))
        {
            *c = target.clone();
        }
        let (expand, later) = self.in_place_actions(cx, &old, &target)?;
        Ok(self.in_place_steps(&subject, &old, &target, expand, later))
    }
}

impl AlterColumn {
    /// The column as R's code sees it, its type resolved against the schema's enums;
    /// refuses what an identity column cannot take and a default that does not fit.
    fn checked_target(&self, cx: &OpContext<'_>, old: &Column) -> Result<Column> {
        let mut target = self.target(old);
        if let Some(t) = &self.ty {
            if let Some(ty) = crate::parse::decl::resolve_type(
                &t.value,
                &t.location,
                &cx.schema.enums,
                cx.dialect,
            )? {
                target.ty = ty;
            }
        }
        if old.is_generated() {
            return Err(Diag::input(format!(
                "`{}.{}` is a generated column: the database computes it",
                self.table.value, old.name
            ))
            .at(self.at.clone())
            .label("a change of a generated column")
            .help("add a new column with the expression it should have, then drop this one")
            .into());
        }
        if old.is_identity()
            && (self.default.is_some() || self.nullable == Some(true) || self.new_name.is_some())
        {
            return Err(Diag::input(format!(
                "`{}.{}` is an identity column: the database numbers it",
                self.table.value, old.name
            ))
            .at(self.at.clone())
            .label("a default, nullability or new column for an identity column")
            .help("only its type may change in place (to a wider integer type)")
            .into());
        }
        // The default written here, or the one kept, must fit the type R's code sees.
        if let Some(Default::Literal(lit)) = &target.default {
            let at = match (&self.default_at, &self.ty) {
                (Some(at), _) => Some(at.clone()),
                (None, Some(t)) if t.value != old.ty => Some(t.location.clone()),
                _ => None,
            };
            if let Some(at) = at {
                check_default(&old.name, &target.ty, lit, at, cx.dialect)?;
            }
        }
        Ok(target)
    }

    /// Whether the type change keeps the name through a shadow column: a widening the
    /// dialect cannot make online in place (integer to bigint on Postgres and MySQL).
    fn through_shadow(&self, cx: &OpContext<'_>, old: &Column, target: &Column) -> bool {
        cx.dialect.is_some_and(|d| {
            widens(&old.ty, &target.ty)
                && !crate::sql::types::retype_in_place(d, &old.ty, &target.ty)
        })
    }

    /// A widening kept under the column's name through a shadow column (`ops::retype`):
    /// only the type may change in this op, and nothing converts the values.
    fn retype_through_shadow(
        &self,
        cx: &mut OpContext<'_>,
        old: &Column,
        target: &Column,
    ) -> Result<Vec<Step>> {
        let at = self
            .ty
            .as_ref()
            .map_or(self.at.clone(), |t| t.location.clone());
        if target.nullable != old.nullable || target.default != old.default {
            return Err(Diag::input(format!(
                "`{}.{}` changes type through a new column that takes its name at contract: change its nullability or default in another alter_column, in a later release",
                self.table.value, old.name
            ))
            .at(self.at.clone())
            .label("a type change with other changes")
            .help("keep `column_type` alone in this op")
            .into());
        }
        if let Some(u) = &self.using {
            return Err(Diag::input(
                "`using` converts values into a new column: with the same name, both releases write this one",
            )
            .at(u.location.clone())
            .label("nothing to convert in a widening")
            .help("remove `using`, or set `new_name`")
            .into());
        }
        super::retype::through_shadow(cx, &self.table.value, old, target, &at, self.describe())
    }

    /// An in-place type change must be a widening, and no foreign key (enforced now or
    /// until a contract drops it) may name the column: both sides keep one type.
    fn check_retype(
        &self,
        cx: &OpContext<'_>,
        subject: &str,
        old: &Column,
        target: &Column,
    ) -> Result<()> {
        let table = &self.table.value;
        let at = self
            .ty
            .as_ref()
            .map_or(self.at.clone(), |t| t.location.clone());
        if !widens(&old.ty, &target.ty) {
            return Err(Diag::input(format!(
                "changing `{subject}` from {} to {} is not a widening",
                old.ty, target.ty
            ))
            .at(at)
            .label("values the previous release writes may not fit")
            .help("in place only a wider type (varchar(n) to a longer varchar or text, smallint to integer to bigint, real to double, more decimal digits); otherwise set `new_name`: R's code uses a new column filled from this one (with `using` to convert)")
            .into());
        }
        // A foreign key needs the same type on both sides; unique keys and checks
        // hold over a wider type as they did.
        let key = cx
            .schema
            .constraints_using(table, Some(&old.name))
            .find(|(_, c)| matches!(c.kind, ConstraintKind::ForeignKey { .. }));
        // A key an earlier change retired still holds until its contract drops it.
        let retired = cx
            .schema
            .retired_constraints
            .iter()
            .find(|(owner, c, until)| {
                until.is_none_or(|d| d >= cx.release)
                    && matches!(c.kind, ConstraintKind::ForeignKey { .. })
                    && c.involves(cx.dialect, owner, table, Some(&old.name))
            });
        // SQLite compares a key's values, not its declared types: an integer stays one.
        if cx.dialect == Some(crate::sql::Dialect::Sqlite) {
            return Ok(());
        }
        if let Some((owner, fk, _)) = retired {
            return Err(Diag::input(format!(
                "cannot change the type of `{subject}` yet: foreign key `{}` of `{owner}` names it until a contract step drops it",
                fk.name
            ))
            .at(at)
            .label("the database still enforces the key")
            .help("tag this change with a release after the one whose contract drops the key")
            .into());
        }
        if let Some((owner, fk)) = key {
            return Err(Diag::input(format!(
                "cannot change the type of `{subject}`: foreign key `{}` of `{}` uses it",
                fk.name, owner.name
            ))
            .at(at)
            .label("both sides of a foreign key must keep one type")
            .help(format!(
                "drop `{}` first (drop_constraint), change both columns, then add it again",
                fk.name
            ))
            .into());
        }
        Ok(())
    }

    /// The expand actions (what the old shape still fits) and the later ones (what
    /// R-1's writes may not satisfy), each with the column as it is at that point
    /// (MySQL restates the whole definition).
    fn in_place_actions(
        &self,
        cx: &OpContext<'_>,
        old: &Column,
        target: &Column,
    ) -> Result<(Vec<Action>, Vec<Action>)> {
        let table = self.table.value.clone();
        let tighten = old.nullable && !target.nullable;
        let mut current = old.clone();
        let mut expand = Vec::new();
        if target.ty != old.ty {
            current.ty = target.ty.clone();
            expand.push(Action::AlterColumnType {
                table: table.clone(),
                from: old.ty.clone(),
                column: current.clone(),
            });
        }
        if target.nullable && !old.nullable {
            current.nullable = true;
            expand.push(Action::DropNotNull {
                table: table.clone(),
                column: current.clone(),
                placeholder: None,
            });
        }
        if target.default.is_some() && target.default != old.default {
            current.default = target.default.clone();
            expand.push(Action::SetDefault {
                table: table.clone(),
                column: current.clone(),
            });
        }
        let primary_key = cx.table(&self.table)?.primary_key.clone();
        let trigger = trigger_name("fill", &table, &old.name);
        if let (true, Some(using)) = (tighten, &self.using) {
            // R-1 may still write NULL: a trigger fills those rows, the backfill the rest.
            expand.push(Action::FillTrigger {
                table: table.clone(),
                column: old.name.clone(),
                expr: using.value.clone(),
                trigger: trigger.clone(),
                primary_key: primary_key.clone(),
            });
            expand.push(Action::Backfill {
                table: table.clone(),
                column: old.name.clone(),
                source: Source::Sql(using.value.clone()),
                primary_key,
            });
        }

        // Later: what R-1's writes may not satisfy.
        let mut later = Vec::new();
        if tighten {
            if self.using.is_some() {
                later.push(Action::DropTrigger {
                    table: table.clone(),
                    trigger,
                });
            }
            current.nullable = false;
            later.push(Action::SetNotNull {
                table: table.clone(),
                column: current.clone(),
            });
        }
        if target.default.is_none() && old.default.is_some() {
            current.default = None;
            later.push(Action::SetDefault {
                table: table.clone(),
                column: current.clone(),
            });
        }
        Ok((expand, later))
    }

    /// The expand and later steps of an in-place change, each saying what it does.
    fn in_place_steps(
        &self,
        subject: &str,
        old: &Column,
        target: &Column,
        expand: Vec<Action>,
        later: Vec<Action>,
    ) -> Vec<Step> {
        let tighten = old.nullable && !target.nullable;
        let mut steps = Vec::new();
        if !expand.is_empty() {
            let mut done = Vec::new();
            if target.ty != old.ty {
                done.push(format!("widen to {}", target.ty));
            }
            if target.nullable && !old.nullable {
                done.push("drop NOT NULL".to_string());
            }
            if target.default.is_some() && target.default != old.default {
                done.push("set the new default".to_string());
            }
            if tighten && self.using.is_some() {
                done.push("fill NULLs ahead of NOT NULL".to_string());
            }
            steps.push(Step::new(
                Timing::Expand,
                format!("alter column {subject}: {}", done.join(", ")),
                expand,
            ));
        }
        if !later.is_empty() {
            let mut what = match (tighten, target.default.is_none() && old.default.is_some()) {
                (true, true) => format!("tighten {subject} to NOT NULL and drop its default"),
                (true, false) => format!("tighten {subject} to NOT NULL"),
                _ => format!("drop the default of {subject}"),
            };
            if tighten && self.using.is_none() {
                what.push_str(" (fails while a row holds NULL there; `using` fills them first)");
            }
            steps.push(Step::new(
                Timing::Later(Removal::new(
                    "tightening",
                    "tighten it",
                    subject.to_string(),
                )),
                what,
                later,
            ));
        }
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::widens;
    use crate::action::Action;
    use crate::types::ColumnType::*;

    #[test]
    fn widenings() {
        assert!(widens(&Varchar(10), &Varchar(20)));
        assert!(widens(&Varchar(10), &Text));
        assert!(widens(&Integer, &BigInt));
        assert!(widens(&Decimal(10, 2), &Decimal(12, 2)));
        assert!(!widens(&Varchar(20), &Varchar(10)));
        assert!(!widens(&BigInt, &Integer));
        assert!(!widens(&Decimal(10, 2), &Decimal(10, 3)));
        assert!(!widens(&Text, &Integer));
    }

    #[test]
    fn widening_is_an_expand_step() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(500)\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(matches!(
            steps[0].actions[0],
            Action::AlterColumnType { .. }
        ));
        let email = s.table("users").unwrap().column("email").unwrap().clone();
        assert_eq!(email.ty, Varchar(500));
    }

    /// What the dialect makes online in place stays in place (tandem.lock's frozen files
    /// keep their steps); what it would rewrite or copy keeps the name through a shadow
    /// column swapped in at contract(R).
    #[test]
    fn a_widening_the_dialect_would_rewrite_goes_through_a_shadow_column() {
        use crate::sql::Dialect;
        let counts = "[tables.c]\nprimary_key = [\"id\"]\n[tables.c.columns]\nid = { type = \"bigint\" }\nn = { type = \"integer\" }\nlabel = { type = \"varchar(20)\" }\n";
        let widen = |ty: &str, column: &str| {
            format!("type = \"alter_column\"\ntable = \"c\"\ncolumn = \"{column}\"\ncolumn_type = \"{ty}\"")
        };
        for (dialect, ty, column, shadow) in [
            (Dialect::Postgres, "bigint", "n", true),
            (Dialect::Mysql, "bigint", "n", true),
            (Dialect::Sqlite, "bigint", "n", false),
            (Dialect::Postgres, "varchar(100)", "label", false),
            (Dialect::Mysql, "varchar(40)", "label", false),
            (Dialect::Mysql, "varchar(100)", "label", true),
        ] {
            let mut s = schema(counts);
            let steps = apply_in(dialect, &mut s, &widen(ty, column)).unwrap();
            let case = format!("{dialect:?} {column} to {ty}");
            if shadow {
                assert_eq!(timings(&steps), ["expand", "contract"], "{case}");
                assert!(
                    matches!(&steps[1].actions[..], [Action::SwapColumn { shadow, .. }] if shadow == &format!("tandem_retype_{column}")),
                    "{case}: {:?}",
                    steps[1].actions
                );
                assert!(
                    !steps[0]
                        .actions
                        .iter()
                        .any(|a| matches!(a, Action::AlterColumnType { .. })),
                    "{case}"
                );
            } else {
                assert_eq!(timings(&steps), ["expand"], "{case}");
                assert!(
                    matches!(steps[0].actions[0], Action::AlterColumnType { .. }),
                    "{case}"
                );
            }
            assert_eq!(
                s.table("c").unwrap().column(column).unwrap().ty.to_string(),
                ty,
                "{case}"
            );
        }
    }

    #[test]
    fn a_shadow_retype_changes_the_type_alone() {
        let mut s = schema("[tables.c]\nprimary_key = [\"id\"]\n[tables.c.columns]\nid = { type = \"bigint\" }\nn = { type = \"integer\" }\n");
        let err = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"c\"\ncolumn = \"n\"\ncolumn_type = \"bigint\"\nnullable = true",
        )
        .unwrap_err();
        assert!(
            err.render().contains("another alter_column"),
            "{}",
            err.render()
        );
        let err = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"c\"\ncolumn = \"n\"\ncolumn_type = \"bigint\"\nusing = \"n * 2\"",
        )
        .unwrap_err();
        assert!(err.render().contains("new_name"), "{}", err.render());
    }

    #[test]
    fn tightening_waits_and_fills_with_using() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnullable = false\nusing = \"email\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:tightening"]);
        assert!(matches!(steps[0].actions[0], Action::FillTrigger { .. }));
        assert!(matches!(steps[1].actions[1], Action::SetNotNull { .. }));
    }

    #[test]
    fn relaxing_and_dropping_a_default() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\nnullable = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let mut s = schema(&USERS.replace(
            "nickname = { type = \"text\", nullable = true }",
            "nickname = { type = \"text\", default = \"x\" }",
        ));
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\ndrop_default = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
    }

    #[test]
    fn a_narrowing_needs_a_new_column() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(10)\"",
        )
        .unwrap_err();
        assert!(err.render().contains("not a widening"), "{}", err.render());
        assert!(err.render().contains("new_name"), "{}", err.render());

        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(10)\"\nnew_name = \"short_email\"\nusing = \"substr(email, 1, 10)\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:drop"]);
        let users = s.table("users").unwrap();
        assert_eq!(users.column("short_email").unwrap().ty, Varchar(10));
        assert!(users.column("email").is_none());
    }

    #[test]
    fn not_null_reads_as_nullable_false() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnot_null = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
        let err = op("type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnot_null = true\nnullable = false").unwrap_err();
        assert!(err.render().contains("twice"), "{}", err.render());
    }

    #[test]
    fn a_key_retired_with_its_column_still_pins_the_type_until_its_contract() {
        let mut s = schema(USERS);
        for op in [
            "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"",
            "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"",
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
        ] {
            apply(&mut s, op).unwrap();
        }
        let err = apply(
            &mut s,
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(320)\"",
        )
        .unwrap_err();
        assert!(err.render().contains("yet"), "{}", err.render());
    }

    #[test]
    fn a_change_is_required() {
        let err = op("type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"").unwrap_err();
        assert!(err.render().contains("changes nothing"), "{}", err.render());
    }
}
