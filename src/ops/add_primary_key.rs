//! `add_primary_key`: gives a table a primary key, or with `replace = true` replaces the
//! one it has, in one statement. The columns must be NOT NULL already. A key over
//! columns the code before R writes is a tightening (uniqueness), enforced in
//! contract(R + gap) unless the change asserts that code keeps it (`old_code_complies`).

use super::op::{column_list, default_name, OpContext, OpNote, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::model::{fit_identifier, ConstraintKind, Index, Table};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};
use crate::sql::Dialect;

#[derive(Debug)]
pub struct AddPrimaryKey {
    table: Located<String>,
    columns: Located<Vec<String>>,
    name: Option<Located<String>>,
    replace: bool,
    old_code_complies: bool,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to key")?;
    let columns = column_list(fields, "columns", "column", "a list of column names")?;
    let name = fields.opt_str(&["name", "constraint"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "constraint")?;
    }
    let replace = fields.opt_bool(&["replace"])?.is_some_and(|b| b.value);
    let old_code_complies = fields
        .opt_bool(&["old_code_complies"])?
        .is_some_and(|b| b.value);
    Ok(Box::new(AddPrimaryKey {
        table,
        columns,
        name,
        replace,
        old_code_complies,
    }))
}

impl AddPrimaryKey {
    /// The constraint's name where the dialect keeps one (Postgres): the default is the
    /// one Postgres gives a key made with its table.
    fn name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => crate::model::fit_identifier(format!("{}_pkey", self.table.value), 63),
        }
    }
}

impl Operation for AddPrimaryKey {
    fn kind(&self) -> &'static str {
        "add_primary_key"
    }

    fn describe(&self) -> String {
        format!(
            "{} primary key of {}: ({})",
            if self.replace { "replace the" } else { "add a" },
            self.table.value,
            self.columns.value.join(", ")
        )
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.columns(&self.table, &self.columns)?;
        let table_name = &self.table.value;
        let t = cx.table(&self.table)?.clone();
        let columns = &self.columns.value;
        if let Some(dup) = columns
            .iter()
            .enumerate()
            .find(|(i, c)| columns[..*i].contains(c))
        {
            return Err(Diag::input(format!("column `{}` is listed twice", dup.1))
                .at(self.columns.location.clone())
                .label("each column once")
                .into());
        }
        let old = t.primary_key.clone();
        if !old.is_empty() && !self.replace {
            return Err(Diag::input(format!(
                "`{table_name}` already has a primary key ({})",
                old.join(", ")
            ))
            .at(self.table.location.clone())
            .label("a table has one primary key")
            .help("set `replace = true` to drop it and add this one in the same statement")
            .into());
        }
        if &old == columns {
            return Err(Diag::input(format!(
                "({}) is already the primary key of `{table_name}`",
                columns.join(", ")
            ))
            .at(self.columns.location.clone())
            .label("nothing to change")
            .into());
        }
        if let Some(c) = columns
            .iter()
            .filter_map(|c| t.column(c))
            .find(|c| c.nullable)
        {
            return Err(Diag::input(format!(
                "primary key column `{table_name}.{}` is nullable",
                c.name
            ))
            .at(self.columns.location.clone())
            .label("a primary key's columns are NOT NULL")
            .help(format!(
                "make it NOT NULL first, without a long lock: an `alter_column` op with \
                 column = \"{}\" and nullable = false (tightened in its own contract), in a \
                 change of an earlier release; then add the key",
                c.name
            ))
            .into());
        }
        if !old.is_empty() {
            self.check_old_key_unreferenced(cx, &old)?;
            self.check_old_key_in_database(cx, &old)?;
        }
        let name = self.name();
        if self.name.is_some() {
            let at = self.name.as_ref().map(|n| n.location.clone()).unwrap();
            cx.ensure_new_constraint_name(&name, &at)?;
        }
        let written_before = cx.written_before(table_name, columns);
        let keeps_auto = self.auto_increment_index(cx, &t);
        if let Some(t) = cx.schema.tables.get_mut(table_name) {
            t.primary_key = columns.clone();
        }
        let mut actions = Vec::new();
        if let Some(index) = keeps_auto {
            cx.notes.push(OpNote {
                warning: false,
                message: format!(
                    "MySQL numbers an AUTO_INCREMENT column only while an index leads with it: the index {} on {table_name}({}) keeps it keyed, made before the old key is dropped",
                    index.name,
                    index.columns.join(", ")
                ),
            });
            cx.schema.insert_index(index.clone());
            actions.push(Action::CreateIndex { index });
        }
        actions.push(Action::SetPrimaryKey {
            table: table_name.clone(),
            columns: columns.clone(),
            name,
            replaces: old,
        });
        let steps = self.placed(actions, &written_before)?;
        if steps.iter().any(|s| matches!(s.timing, Timing::Later(_))) {
            cx.schema
                .pending_primary_keys
                .push((table_name.clone(), cx.later_release));
        }
        Ok(steps)
    }
}

impl AddPrimaryKey {
    /// A foreign key that references the old key depends on its index: the key cannot
    /// be replaced while one does.
    fn check_old_key_unreferenced(&self, cx: &OpContext<'_>, old: &[String]) -> Result<()> {
        let table_name = &self.table.value;
        let referencing = cx.schema.tables.values().find_map(|owner| {
            owner.constraints.iter().find(|k| {
                matches!(&k.kind, ConstraintKind::ForeignKey { references, referenced_columns, .. }
                    if references == table_name && *referenced_columns == *old)
            }).map(|k| (owner.name.clone(), k.name.clone()))
        });
        if let Some((owner, key)) = referencing {
            return Err(Diag::input(format!(
                "cannot replace the primary key of `{table_name}`: foreign key `{key}` of \
                 `{owner}` references it"
            ))
            .at(self.table.location.clone())
            .label("the database keeps the old key while a foreign key uses it")
            .help(format!(
                "drop the foreign key first (a `drop_constraint` op with name = \"{key}\"), \
                 or keep the old columns unique with an `add_unique` op before this one \
                 and point the foreign key at them"
            ))
            .into());
        }
        Ok(())
    }

    /// The key to replace must be the one the database has when this op's steps run: not
    /// one an earlier change still waits to set in a later contract, which would run after
    /// this op's and leave that earlier key in place.
    fn check_old_key_in_database(&self, cx: &OpContext<'_>, old: &[String]) -> Result<()> {
        let table_name = &self.table.value;
        let Some((_, until)) = cx
            .schema
            .pending_primary_keys
            .iter()
            .find(|(t, until)| t == table_name && until.is_none_or(|u| u >= cx.release))
        else {
            return Ok(());
        };
        Err(Diag::input(format!(
            "the primary key ({}) of `{table_name}` is not in the database yet: an earlier change sets it in a later contract",
            old.join(", ")
        ))
        .at(self.table.location.clone())
        .label("replaced before it is set")
        .note("that contract runs after this op's steps, so it would leave its key in place of this one")
        .help(match until {
            Some(_) => "tag this change with a release after the one whose contract sets that key, or change the earlier op to this key",
            None => "change the earlier op to this key",
        })
        .into())
    }

    /// MySQL: the index that keeps `t`'s AUTO_INCREMENT column keyed once the new key no
    /// longer leads with it, when no other index or unique key does. MySQL refuses a table
    /// whose AUTO_INCREMENT column leads no index (error 1075), so the index is made
    /// before the old key is dropped.
    fn auto_increment_index(&self, cx: &OpContext<'_>, t: &Table) -> Option<Index> {
        if cx.dialect != Some(Dialect::Mysql) {
            return None;
        }
        let indexes = cx.schema.indexes_of(&t.name).map(|i| i.columns.as_slice());
        let auto = t.unkeyed_identity(&self.columns.value, indexes, None)?;
        let columns = vec![auto.name.clone()];
        let base = default_name(&t.name, &columns, "idx");
        let taken = |name: &str| {
            cx.schema.index_on(&t.name, name).is_some()
                || cx.schema.indexes.contains_key(name)
                || cx.schema.constraint(name).is_some()
        };
        let name = std::iter::once(base.clone())
            .chain((2..).map(|n| fit_identifier(format!("{base}{n}"), 63)))
            .find(|n| !taken(n))
            .expect("an unbounded list of names");
        Some(Index {
            name,
            table: t.name.clone(),
            columns,
            unique: false,
            options: Default::default(),
        })
    }

    /// The key goes in expand when no earlier code writes its columns (or the change
    /// asserts that it writes unique keys); otherwise it waits for a contract.
    fn placed(&self, actions: Vec<Action>, written_before: &[String]) -> Result<Vec<Step>> {
        let table_name = &self.table.value;
        let description = self.describe();
        if written_before.is_empty() {
            return Ok(vec![Step::new(Timing::Expand, description, actions)]);
        }
        if self.old_code_complies {
            return Ok(vec![Step::new(
                Timing::Expand,
                format!(
                    "{description} (asserted by the change: the code before this release already writes unique keys)"
                ),
                actions,
            )]);
        }
        Ok(vec![Step::new(
            Timing::Later(Removal::new(
                "tightening",
                "enforce it",
                format!("the primary key of {table_name}"),
            )),
            format!(
                "{description}, enforced once no running code predates it (the code before this release writes {})",
                written_before.join(", ")
            ),
            actions,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    const EVENTS: &str = r#"
[tables.events]
[tables.events.columns]
id = { type = "bigint" }
source = { type = "varchar(40)" }
note = { type = "text", nullable = true }
"#;

    #[test]
    fn over_columns_older_code_writes_it_is_a_tightening_placed_later() {
        let mut s = schema(EVENTS);
        let steps = apply_after(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["later:tightening"]);
        assert_eq!(s.table("events").unwrap().primary_key, ["id"]);
        assert!(matches!(
            &steps[0].actions[..],
            [crate::action::Action::SetPrimaryKey { name, replaces, .. }]
                if name == "events_pkey" && replaces.is_empty()
        ));
    }

    #[test]
    fn asserted_or_over_new_columns_it_is_added_in_expand() {
        let mut s = schema(EVENTS);
        let steps = apply_after(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]\nold_code_complies = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(steps[0].description.contains("asserted by the change"));

        let mut s = schema(EVENTS);
        let steps = apply(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\", \"source\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
    }

    #[test]
    fn replacing_needs_replace_and_carries_the_old_key() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]",
        )
        .unwrap_err();
        assert!(err.render().contains("replace = true"), "{}", err.render());
        let steps = apply(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]\nreplace = true",
        )
        .unwrap();
        assert!(matches!(
            &steps[0].actions[..],
            [crate::action::Action::SetPrimaryKey { replaces, .. }] if replaces == &["id"]
        ));
        assert_eq!(s.table("users").unwrap().primary_key, ["email"]);
    }

    #[test]
    fn a_nullable_column_or_a_referencing_foreign_key_is_refused() {
        let mut s = schema(EVENTS);
        let err = apply(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"note\"]",
        )
        .unwrap_err();
        let text = err.render();
        assert!(
            text.contains("is nullable") && text.contains("alter_column"),
            "{text}"
        );

        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_table\"\ntable = \"posts\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"",
        )
        .unwrap();
        let err = apply(
            &mut s,
            "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]\nreplace = true",
        )
        .unwrap_err();
        assert!(
            err.render().contains("posts_user_id_fkey"),
            "{}",
            err.render()
        );
    }
}
