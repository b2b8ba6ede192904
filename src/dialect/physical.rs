//! What actually exists in the database at a point of the apply order, as the renderer
//! walks the actions in that order. The logical schema of a release's code hides retired
//! columns; a dialect that must rebuild a table (SQLite) needs every column, index and
//! trigger that is still there.

use indexmap::IndexMap;

use crate::action::Action;
use crate::model::{Index, Table};

#[derive(Debug, Clone, Default)]
pub struct Physical {
    pub tables: IndexMap<String, Table>,
    pub indexes: IndexMap<String, Index>,
    /// Triggers by name: the `FillTrigger` or `SyncTrigger` action that created each.
    pub triggers: IndexMap<String, Action>,
}

impl Physical {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.values().filter(move |i| i.table == table)
    }

    pub fn triggers_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Action> + 'a {
        self.triggers.values().filter(move |a| match a {
            Action::FillTrigger { table: t, .. } | Action::SyncTrigger { table: t, .. } => {
                t == table
            }
            _ => false,
        })
    }

    /// Folds one action in. Raw SQL is opaque and changes nothing here.
    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::CreateTable { table } => {
                self.tables.insert(table.name.clone(), table.clone());
            }
            Action::DropTable { table } => {
                self.tables.shift_remove(table);
                self.indexes.retain(|_, i| &i.table != table);
                self.triggers.retain(|_, a| !trigger_on(a, table));
            }
            Action::AddColumn { table, column } => {
                if let Some(t) = self.tables.get_mut(table) {
                    if t.column(&column.name).is_none() {
                        t.columns.push(column.clone());
                    }
                }
            }
            Action::DropColumn { table, column } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.columns.retain(|c| &c.name != column);
                }
            }
            Action::DropNotNull { table, column } => self.update(table, &column.name, |c| {
                c.nullable = true;
            }),
            Action::SetNotNull { table, column } => self.update(table, &column.name, |c| {
                c.nullable = false;
            }),
            Action::SetDefault { table, column } => self.update(table, &column.name, |c| {
                c.default = column.default.clone();
            }),
            Action::FillTrigger { trigger, .. } | Action::SyncTrigger { trigger, .. } => {
                self.triggers.insert(trigger.clone(), action.clone());
            }
            Action::DropTrigger { trigger, .. } => {
                self.triggers.shift_remove(trigger);
            }
            Action::CreateIndex { index } => {
                self.indexes.insert(index.name.clone(), index.clone());
            }
            Action::DropIndex { index } => {
                self.indexes.shift_remove(&index.name);
            }
            Action::Backfill { .. } | Action::Raw { .. } => {}
        }
    }

    fn update(&mut self, table: &str, column: &str, f: impl FnOnce(&mut crate::model::Column)) {
        if let Some(c) = self
            .tables
            .get_mut(table)
            .and_then(|t| t.column_mut(column))
        {
            f(c);
        }
    }
}

fn trigger_on(action: &Action, table: &str) -> bool {
    matches!(action,
        Action::FillTrigger { table: t, .. } | Action::SyncTrigger { table: t, .. } if t == table)
}
