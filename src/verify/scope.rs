//! Which tables the probes of one release write: those its steps change, and the parents
//! their foreign keys need. A table no step of the release changes is as the release
//! before left it, where the same code already ran, so a probe row there proves nothing
//! new; on a schema of a thousand tables it is most of the rehearsal's time, and where a
//! check refuses made-up values, a failure that says nothing of the release.

use std::collections::HashSet;

use crate::action::{Action, Touch};
use crate::model::View;
use crate::plan::{Plan, Slot};
use crate::sql::Dialect;

use super::probe::Generator;

/// The tables of one release, by their identities across renames (see
/// [`Generator::table_identity`]).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// Tables a step of the release changes: their probe rows must pass.
    pub changed: HashSet<String>,
    /// Tables the release gives new views (views mode) without changing them: probed
    /// through the new views, but a check that refuses made-up values skips them.
    pub viewed: HashSet<String>,
}

impl Scope {
    /// What release `r` changes: every table its expand and contract files name (a raw
    /// `sql` op: every table whose name its text holds as a word, strings and bodies
    /// included), and every table whose model differs between the code before and
    /// after it.
    pub fn of_release(plan: &Plan, r: usize, values: &Generator, dialect: Dialect) -> Scope {
        let (before, after) = (&plan.views[r], &plan.views[r + 1]);
        let all: Vec<&str> = before
            .tables
            .keys()
            .chain(after.tables.keys())
            .map(String::as_str)
            .collect();
        let mut changed: HashSet<String> = HashSet::new();
        let mut viewed: HashSet<String> = HashSet::new();
        let actions = plan
            .files_in(Slot::Expand(r))
            .chain(plan.files_in(Slot::Contract(r)))
            .flat_map(|f| f.steps.iter().flat_map(|s| s.actions.iter()));
        for action in actions {
            match action {
                Action::Raw { sql, .. } => changed.extend(named_in(sql, &all)),
                Action::Enum { columns, .. } => {
                    changed.extend(columns.iter().map(|(t, _)| t.clone()))
                }
                Action::ReleaseViews { views, .. } => {
                    viewed.extend(views.iter().map(|v| v.table.clone()))
                }
                Action::DropReleaseSchema { .. } => {}
                other => {
                    for touch in other.touches(dialect) {
                        if let Touch::Table(t) | Touch::Column(t, _) = touch {
                            changed.insert(t);
                        }
                    }
                }
            }
        }
        for (name, table) in &before.tables {
            if after.table(name) != Some(table) {
                changed.insert(name.clone());
            }
        }
        for name in after.tables.keys() {
            if before.table(name).is_none() {
                changed.insert(name.clone());
            }
        }
        let identities =
            |names: HashSet<String>| names.iter().map(|n| values.table_identity(n)).collect();
        let changed: HashSet<String> = identities(changed);
        let viewed = identities(viewed)
            .into_iter()
            .filter(|t: &String| !changed.contains(t))
            .collect();
        Scope { changed, viewed }
    }

    /// Whether table `name` (as some release names it) is changed by the release.
    pub fn changes(&self, values: &Generator, name: &str) -> bool {
        self.changed.contains(&values.table_identity(name))
    }

    /// The tables of `view` the probes write: the release's tables and, through the
    /// foreign keys of any release, every parent a row of them needs, transitively.
    pub fn probed(&self, values: &Generator, view: &View) -> HashSet<String> {
        let mut probed: HashSet<String> = HashSet::new();
        let mut queue: Vec<&crate::model::Table> = view
            .tables
            .values()
            .filter(|t| {
                let id = values.table_identity(&t.name);
                self.changed.contains(&id) || self.viewed.contains(&id)
            })
            .collect();
        while let Some(table) = queue.pop() {
            if !probed.insert(table.name.clone()) {
                continue;
            }
            for fk in values.foreign_keys(view, table) {
                if let Some(parent) = view.table(&fk.parent) {
                    if !probed.contains(&parent.name) {
                        queue.push(parent);
                    }
                }
            }
        }
        probed
    }
}

/// The names of `tables` that `sql` holds as a word, compared without case: what a raw
/// statement may change, read generously (inside strings and function bodies too, where
/// dynamic SQL builds its statements).
fn named_in(sql: &str, tables: &[&str]) -> Vec<String> {
    let words: HashSet<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let lower = sql.to_lowercase();
    tables
        .iter()
        .filter(|t| {
            let t = t.to_lowercase();
            words.contains(&t)
                || (t.contains(|c: char| !(c.is_alphanumeric() || c == '_')) && lower.contains(&t))
        })
        .map(|t| t.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::named_in;

    #[test]
    fn raw_sql_names_tables_as_words_anywhere_in_its_text() {
        let tables = ["users", "orders", "user", "Odd Name"];
        let sql = "DO $$ BEGIN EXECUTE 'UPDATE ' || 'ORDERS' || ' SET x = 1'; END $$; \
                   ALTER TABLE \"users\" ADD c int; -- \"Odd Name\"";
        let mut named = named_in(sql, &tables);
        named.sort();
        assert_eq!(named, ["Odd Name", "orders", "users"]);
        assert!(named_in("SELECT 1", &tables).is_empty());
    }
}
