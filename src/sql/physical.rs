//! What actually exists in the database at a point of the apply order, as the renderer
//! walks the actions in that order. The logical schema of a release's code hides retired
//! columns; a dialect that must rebuild a table (SQLite) needs every column, index and
//! trigger that is still there. Kept per table, so that each action costs the size of
//! its own table, not of the whole schema.

use indexmap::IndexMap;

use crate::action::{Action, RawEffect, ReleaseView};
use crate::model::{Column, Index, Table};
use crate::types::Literal;

#[derive(Debug, Clone, Default)]
pub struct Physical {
    tables: IndexMap<String, PhysicalTable>,
    /// Views mode: the release schemas that exist, with their views.
    release_schemas: IndexMap<String, Vec<ReleaseView>>,
    /// How the expressions of checks and indexes are read (`None`: standard SQL).
    dialect: Option<crate::sql::Dialect>,
}

#[derive(Debug, Clone)]
struct PhysicalTable {
    table: Table,
    indexes: Vec<Index>,
    /// The `FillTrigger` or `SyncTrigger` action that created each trigger.
    triggers: Vec<Action>,
    /// The `CreateCompatView` actions of views that read this table.
    views: Vec<Action>,
    /// Columns whose NOT NULL a database may have or not, each having run the same step
    /// as written by an earlier version (a file kept as it was applied): columns on their
    /// way out that a step let inserts omit with a placeholder default instead of
    /// dropping NOT NULL, and columns added NOT NULL at once (`not_null_at_once`).
    either_nullability: Vec<String>,
    /// Columns added NOT NULL at once, ahead of the contract that tightens them: their
    /// placeholder default stands until their fill trigger is in place, and their
    /// backfill must decide every row, as none is NULL.
    not_null_at_once: Vec<String>,
    /// The stand-in value of each column added NOT NULL at once, kept after its default
    /// is dropped: what its fill trigger stores where its expression gives NULL.
    stand_in_values: Vec<(String, Literal)>,
}

fn is_view(action: &Action, name: &str) -> bool {
    matches!(action, Action::CreateCompatView { view, .. } if view == name)
}

fn trigger_name(action: &Action) -> Option<&str> {
    match action {
        Action::FillTrigger { trigger, .. } | Action::SyncTrigger { trigger, .. } => Some(trigger),
        _ => None,
    }
}

/// A `CreateCompatView` that selects only the columns `keep` accepts.
pub fn without_columns(view: &Action, keep: impl Fn(&str) -> bool) -> Action {
    match view {
        Action::CreateCompatView { view, table } => {
            let mut table = table.clone();
            table.columns.retain(|c| keep(&c.name));
            Action::CreateCompatView {
                view: view.clone(),
                table,
            }
        }
        other => other.clone(),
    }
}

impl Physical {
    /// Nothing made yet, in a database of `dialect`.
    pub fn for_dialect(dialect: Option<crate::sql::Dialect>) -> Physical {
        Physical {
            dialect,
            ..Physical::default()
        }
    }

    /// Every table that exists at this point, in the order they were made.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values().map(|t| &t.table)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name).map(|t| &t.table)
    }

    pub fn indexes_of<'a>(&'a self, table: &str) -> impl Iterator<Item = &'a Index> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|t| t.indexes.iter())
    }

    pub fn triggers_of<'a>(&'a self, table: &str) -> impl Iterator<Item = &'a Action> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|t| t.triggers.iter())
    }

    /// The views over `table` that keep an old name of it usable.
    pub fn views_of<'a>(&'a self, table: &str) -> impl Iterator<Item = &'a Action> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|t| t.views.iter())
    }

    /// The names of the views over `table` that keep an old name of it usable.
    pub fn view_names_of<'a>(&'a self, table: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.views_of(table).filter_map(|a| match a {
            Action::CreateCompatView { view, .. } => Some(view.as_str()),
            _ => None,
        })
    }

    /// The views over `table` that select `column`.
    pub fn views_selecting<'a>(
        &'a self,
        table: &str,
        column: &'a str,
    ) -> impl Iterator<Item = &'a Action> + 'a {
        self.views_of(table).filter(move |a| {
            matches!(a, Action::CreateCompatView { table, .. } if table.column(column).is_some())
        })
    }

    /// Whether the release schema `name` exists at this point.
    pub fn has_release_schema(&self, name: &str) -> bool {
        self.release_schemas.contains_key(name)
    }

    /// The release schemas whose views read `table.column`, with those views.
    pub fn release_views_reading<'a>(
        &'a self,
        table: &'a str,
        column: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a ReleaseView)> + 'a {
        self.release_schemas
            .iter()
            .flat_map(move |(schema, views)| {
                views
                    .iter()
                    .filter(move |v| {
                        v.table == table && v.columns.iter().any(|c| c.physical == column)
                    })
                    .map(move |v| (schema.as_str(), v))
            })
    }

    /// Whether `table.column` may be NOT NULL or nullable in a database at this point,
    /// depending on which version wrote the step that made it so (see
    /// `PhysicalTable::either_nullability`).
    pub fn either_nullability(&self, table: &str, column: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.either_nullability.iter().any(|c| c == column))
    }

    /// Whether `table.column` was added NOT NULL ahead of its tightening and is not
    /// tightened yet.
    pub fn not_null_at_once(&self, table: &str, column: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.not_null_at_once.iter().any(|c| c == column))
    }

    /// A column added NOT NULL at once while its stand-in default still stands (until
    /// its fill or sync trigger is in place), with that default.
    pub fn stand_in(&self, table: &str, column: &str) -> Option<&Column> {
        self.table(table)
            .and_then(|t| t.column(column))
            .filter(|c| c.default.is_some() && self.not_null_at_once(table, column))
    }

    /// The stand-in value of `table.column`, added NOT NULL at once and not tightened
    /// yet (its default may be dropped already).
    pub fn stand_in_value(&self, table: &str, column: &str) -> Option<&Literal> {
        self.tables.get(table).and_then(|t| {
            t.stand_in_values
                .iter()
                .find(|(c, _)| c == column)
                .map(|(_, v)| v)
        })
    }

    /// The action that created trigger `name` on `table`, if it still exists.
    pub fn trigger(&self, table: &str, name: &str) -> Option<&Action> {
        self.triggers_of(table)
            .find(|a| trigger_name(a) == Some(name))
    }

    /// Folds one action in. Raw SQL changes what tandem read of it.
    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::CreateTable { table, keys } => {
                self.create_table(table);
                for key in keys {
                    self.apply(&Action::CreateIndex { index: key.clone() });
                }
            }
            Action::DropTable { table } => {
                self.tables.swap_remove(table);
            }
            Action::AddColumn {
                table,
                column,
                not_null_at_once,
            } => self.add_column(table, column, not_null_at_once.as_ref()),
            Action::DropColumn { table, column } => self.drop_column(table, column),
            Action::AlterColumnType { table, column, .. } => {
                self.update(table, &column.name, |c| c.ty = column.ty.clone())
            }
            Action::DropNotNull {
                table,
                column,
                placeholder: None,
            } => self.update(table, &column.name, |c| c.nullable = true),
            Action::DropNotNull {
                table,
                column,
                placeholder: Some(value),
            } => self.relax_with_placeholder(table, column, value),
            Action::SetNotNull { table, column } => self.set_not_null(table, column),
            Action::SetDefault { table, column } => self.update(table, &column.name, |c| {
                c.default = column.default.clone();
            }),
            Action::FillTrigger { table, trigger, .. }
            | Action::SyncTrigger { table, trigger, .. } => {
                self.create_trigger(table, trigger, action)
            }
            Action::DropTrigger { table, trigger } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.triggers
                        .retain(|a| trigger_name(a) != Some(trigger.as_str()));
                }
            }
            Action::CreateIndex { index } => {
                if let Some(t) = self.tables.get_mut(&index.table) {
                    t.indexes.retain(|i| i.name != index.name);
                    t.indexes.push(index.clone());
                }
            }
            Action::DropIndex { index } => {
                if let Some(t) = self.tables.get_mut(&index.table) {
                    t.indexes.retain(|i| i.name != index.name);
                }
            }
            Action::RenameTable { from, to } => self.rename_table(from, to),
            Action::CreateCompatView { view, table } => {
                if let Some(t) = self.tables.get_mut(&table.name) {
                    t.views.retain(|a| !is_view(a, view));
                    t.views.push(action.clone());
                }
            }
            Action::DropCompatView { view, table } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.views.retain(|a| !is_view(a, view));
                }
            }
            Action::AddConstraint { table, constraint } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.table.constraints.retain(|c| c.name != constraint.name);
                    t.table.constraints.push(constraint.clone());
                }
            }
            Action::DropConstraint { table, constraint } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.table.constraints.retain(|c| c.name != constraint.name);
                    t.table.not_valid.retain(|n| *n != constraint.name);
                    t.table.deferrable.remove(&constraint.name);
                }
            }
            Action::Raw { effect, .. } => {
                for e in effect {
                    match e {
                        RawEffect::Action(a) => self.apply(a),
                        RawEffect::RenameColumn { table, from, to } => {
                            self.rename_column(table, from, to)
                        }
                        // Objects are outside the tables: drift follows them itself.
                        RawEffect::Object(_) | RawEffect::DropObject { .. } => {}
                    }
                }
            }
            Action::RenameConstraint { table, from, to } => {
                self.rename_constraint(table, &from.name, to)
            }
            Action::Enum { columns, .. } => {
                for (table, column) in columns {
                    self.update(table, &column.name, |c| c.ty = column.ty.clone());
                }
            }
            Action::SetComment {
                table,
                column,
                comment,
            } => self.set_comment(table, column.as_ref(), comment.as_ref()),
            Action::SetPrimaryKey { table, columns, .. } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.table.primary_key = columns.clone();
                    // A key set by a step is not deferrable.
                    t.table.deferrable.remove("");
                }
            }
            Action::RenameColumn { table, from, to } => self.rename_column(table, from, to),
            Action::ReleaseViews { schema, views } => {
                self.release_schemas.insert(schema.clone(), views.clone());
            }
            Action::DropReleaseSchema { schema } => {
                self.release_schemas.shift_remove(schema);
            }
            Action::Backfill { .. } | Action::Repair { .. } => {}
            Action::SwapColumn { .. } => self.swap_column(action),
        }
    }

    /// A shadow column put in the place of the one it shadows (see `Action::SwapColumn`).
    fn swap_column(&mut self, action: &Action) {
        let Action::SwapColumn {
            table,
            column,
            shadow,
            trigger,
            indexes,
            constraints,
            primary_key,
            referencing,
        } = action
        else {
            return;
        };
        self.apply(&Action::DropTrigger {
            table: table.clone(),
            trigger: trigger.clone(),
        });
        for (owner, key) in referencing {
            self.apply(&Action::DropConstraint {
                table: owner.clone(),
                constraint: key.clone(),
            });
        }
        for (original, _) in indexes {
            self.apply(&Action::DropIndex {
                index: original.clone(),
            });
        }
        for (original, _) in constraints {
            self.apply(&Action::DropConstraint {
                table: table.clone(),
                constraint: original.clone(),
            });
        }
        self.drop_column(table, &column.name);
        self.rename_column(table, shadow, &column.name);
        self.set_not_null(table, column);
        self.update(table, &column.name, |c| *c = column.clone());
        for (original, copy) in indexes {
            if let Some(t) = self.tables.get_mut(table) {
                for index in t.indexes.iter_mut().filter(|i| i.name == copy.name) {
                    index.name = original.name.clone();
                }
            }
        }
        for (original, copy) in constraints {
            self.rename_constraint(table, &copy.name, &original.name);
        }
        // The primary key takes its unique index (Postgres).
        if let (Some(index), Some(t)) = (primary_key, self.tables.get_mut(table)) {
            t.indexes.retain(|i| i.name != *index);
        }
        for (owner, key) in referencing {
            self.apply(&Action::AddConstraint {
                table: owner.clone(),
                constraint: key.clone(),
            });
        }
    }

    fn create_table(&mut self, table: &Table) {
        self.tables.insert(
            table.name.clone(),
            PhysicalTable {
                table: table.clone(),
                indexes: Vec::new(),
                triggers: Vec::new(),
                views: Vec::new(),
                either_nullability: Vec::new(),
                not_null_at_once: Vec::new(),
                stand_in_values: Vec::new(),
            },
        );
    }

    /// A column relaxed with a placeholder default: NOT NULL or not, depending on which
    /// version of the file a database ran.
    fn relax_with_placeholder(&mut self, table: &str, column: &Column, value: &Literal) {
        self.update(table, &column.name, |c| {
            c.default = Some(crate::model::Default::Literal(value.clone()))
        });
        if let Some(t) = self.tables.get_mut(table) {
            t.either_nullability.push(column.name.clone());
        }
    }

    fn set_not_null(&mut self, table: &str, column: &Column) {
        self.update(table, &column.name, |c| c.nullable = false);
        if let Some(t) = self.tables.get_mut(table) {
            t.either_nullability.retain(|c| *c != column.name);
            t.not_null_at_once.retain(|c| *c != column.name);
            t.stand_in_values.retain(|(c, _)| *c != column.name);
        }
    }

    fn rename_constraint(&mut self, table: &str, from: &str, to: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            for c in &mut t.table.constraints {
                if c.name == from {
                    c.name = to.to_string();
                }
            }
            for n in &mut t.table.not_valid {
                if n == from {
                    *n = to.to_string();
                }
            }
            if let Some(d) = t.table.deferrable.remove(from) {
                t.table.deferrable.insert(to.to_string(), d);
            }
        }
    }

    fn set_comment(&mut self, table: &str, column: Option<&Column>, comment: Option<&String>) {
        match column {
            Some(c) => self.update(table, &c.name, |c| c.comment = comment.cloned()),
            None => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.table.comment = comment.cloned();
                }
            }
        }
    }

    fn add_column(&mut self, table: &str, column: &Column, not_null_at_once: Option<&Literal>) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        if t.table.column(&column.name).is_some() {
            return;
        }
        let mut column = column.clone();
        if let Some(value) = not_null_at_once {
            column.nullable = false;
            column.default = Some(crate::model::Default::Literal(value.clone()));
            t.either_nullability.push(column.name.clone());
            t.not_null_at_once.push(column.name.clone());
            t.stand_in_values.push((column.name.clone(), value.clone()));
        }
        t.table.columns.push(column);
    }

    fn drop_column(&mut self, table: &str, column: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.table.columns.retain(|c| c.name != column);
            t.either_nullability.retain(|c| c != column);
            t.not_null_at_once.retain(|c| c != column);
            t.stand_in_values.retain(|(c, _)| c != column);
            // Renderers recreate the views that selected it, without it.
            for view in &mut t.views {
                *view = without_columns(view, |c| c != column);
            }
        }
    }

    /// A fill or sync trigger (`action`) named `trigger`, in place of one of that name.
    fn create_trigger(&mut self, table: &str, trigger: &str, action: &Action) {
        // The trigger fills what the stand-in default covered: the renderer drops it.
        if let Action::FillTrigger { column, .. } | Action::SyncTrigger { new: column, .. } = action
        {
            if self.stand_in(table, column).is_some() {
                self.update(table, column, |c| c.default = None);
            }
        }
        if let Some(t) = self.tables.get_mut(table) {
            t.triggers.retain(|a| trigger_name(a) != Some(trigger));
            t.triggers.push(action.clone());
        }
    }

    fn rename_table(&mut self, from: &str, to: &str) {
        if let Some(mut t) = self.tables.swap_remove(from) {
            t.table.name = to.to_string();
            for index in &mut t.indexes {
                index.table = to.to_string();
            }
            // The database rewrites the triggers' table; so does this record.
            for trigger in &mut t.triggers {
                if let Action::FillTrigger { table, .. } | Action::SyncTrigger { table, .. } =
                    trigger
                {
                    *table = to.to_string();
                }
            }
            self.tables.insert(to.to_string(), t);
            // Foreign keys follow the table they reference.
            for other in self.tables.values_mut() {
                other.table.rename_references(from, to);
            }
            // So do views, which hold the table itself, not its name.
            for view in self.release_schemas.values_mut().flatten() {
                if view.table == from {
                    view.table = to.to_string();
                }
            }
        }
    }

    fn rename_column(&mut self, table: &str, from: &str, to: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.table.rename_column(self.dialect, from, to);
            for c in t
                .either_nullability
                .iter_mut()
                .chain(t.not_null_at_once.iter_mut())
                .filter(|c| *c == from)
            {
                *c = to.to_string();
            }
            for (c, _) in t.stand_in_values.iter_mut().filter(|(c, _)| *c == from) {
                *c = to.to_string();
            }
            // The server follows the name into predicates and expressions too.
            for index in &mut t.indexes {
                *index = index.with_column_renamed(self.dialect, from, to);
            }
        }
        // Views name the columns they read by position: the database shows them under
        // the new name.
        for views in self.release_schemas.values_mut() {
            for view in views.iter_mut().filter(|v| v.table == table) {
                for c in view.columns.iter_mut().filter(|c| c.physical == from) {
                    c.physical = to.to_string();
                }
            }
        }
    }

    fn update(&mut self, table: &str, column: &str, f: impl FnOnce(&mut Column)) {
        if let Some(c) = self
            .tables
            .get_mut(table)
            .and_then(|t| t.table.column_mut(column))
        {
            f(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Index, IndexOptions};

    #[test]
    fn a_renamed_column_is_renamed_in_the_predicates_and_expressions_of_its_indexes() {
        let dialect = Some(crate::sql::Dialect::Postgres);
        let mut physical = Physical::for_dialect(dialect);
        let file = crate::diag::SourceFile::new(
            "schema.toml",
            "[tables.t]\nprimary_key = [\"id\"]\n\
             columns = { id = { type = \"integer\" }, shadow = { type = \"bigint\" } }\n",
        );
        let table = crate::parse::schema::parse_schema(&file)
            .expect("schema")
            .tables["t"]
            .clone();
        physical.apply(&Action::CreateTable {
            table,
            keys: Vec::new(),
        });
        physical.apply(&Action::CreateIndex {
            index: Index {
                name: "t_partial".into(),
                table: "t".into(),
                columns: vec!["shadow".into()],
                unique: false,
                options: IndexOptions {
                    predicate: Some("shadow > 0 AND 'shadow' <> ''".into()),
                    expressions: vec!["(shadow * 2)".into()],
                    ..IndexOptions::default()
                },
            },
        });
        physical.apply(&Action::RenameColumn {
            table: "t".into(),
            from: "shadow".into(),
            to: "flag".into(),
        });
        let index = physical.indexes_of("t").next().unwrap();
        assert_eq!(index.columns, ["flag"]);
        assert_eq!(
            index.options.predicate.as_deref(),
            Some("flag > 0 AND 'shadow' <> ''")
        );
        assert_eq!(index.options.expressions, ["(flag * 2)"]);
    }
}
