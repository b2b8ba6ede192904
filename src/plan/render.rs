//! The render stage: the placed steps as SQL, one file per change and slot, baseline
//! first and then in apply order, each file rendered against the physical model the
//! files before it leave; a step the dialect cannot do becomes a refusal at its op.

use crate::action::Action;
use crate::diag::{Diag, Result};
use std::collections::HashSet;

use crate::model::{ConstraintKind, Schema, Table};
use crate::project::Project;
use crate::release::Releases;
use crate::sql::dialects::renderer;
use crate::sql::physical::Physical;
use crate::sql::render::{render_actions, Renderer};
use crate::sql::{Dialect, Unsupported};

use super::place::Slots;
use super::planned::{PlannedFile, PlannedStep, Slot};

/// Renders the baseline and every placed file; refusals of the dialect go to `problems`.
pub(super) fn render(
    project: &Project,
    releases: &Releases,
    slots: Slots,
    problems: &mut Vec<Diag>,
) -> Result<Vec<PlannedFile>> {
    let render = renderer(&project.config, &project.templates);
    let mut physical = Physical::for_dialect(Some(project.config.dialect));
    let mut files = vec![render_baseline(project, render.as_ref(), &mut physical)?];
    // Each slot in apply order, changes in release then file-name order within it.
    let mut ordered: Vec<((Slot, usize), Vec<PlannedStep>)> = slots.into_iter().collect();
    ordered.sort_by_key(|((slot, ci), _)| {
        let change = &project.changes[*ci];
        (slot.order(), releases.index(&change.release.value), *ci)
    });
    for ((slot, ci), steps) in ordered {
        let actions: Vec<&Action> = steps.iter().flat_map(|s| s.actions.iter()).collect();
        match render_actions(render.as_ref(), &mut physical, &actions)? {
            Ok(rendered) => files.push(PlannedFile {
                slot,
                change: Some(ci),
                change_path: None,
                steps,
                rendered,
                version: 0,
                path: String::new(),
                content: String::new(),
            }),
            Err(refused) => {
                let step = step_of_action(&steps, refused.index);
                problems.push(refusal(project, ci, step, refused.why));
            }
        }
    }
    Ok(files)
}

/// The file that creates the baseline schema.
fn render_baseline(
    project: &Project,
    render: &dyn Renderer,
    physical: &mut Physical,
) -> Result<PlannedFile> {
    let actions = baseline_actions(&project.baseline, project.config.dialect);
    let refs: Vec<&Action> = actions.iter().collect();
    let rendered = match render_actions(render, physical, &refs)? {
        Ok(r) => r,
        Err(refused) => {
            return Err(Diag::input(format!(
                "the baseline schema cannot be created in {}: {}",
                project.config.dialect.name(),
                refused.why.0
            ))
            .into())
        }
    };
    Ok(PlannedFile {
        slot: Slot::Baseline,
        change: None,
        change_path: None,
        steps: vec![PlannedStep {
            description: "create the baseline schema".into(),
            destructive: false,
            op_kind: "baseline",
            op_index: 0,
            actions,
        }],
        rendered,
        version: 0,
        path: String::new(),
        content: String::new(),
    })
}

/// The step that holds action `index` of the file's actions, all steps' in order.
fn step_of_action(steps: &[PlannedStep], index: usize) -> &PlannedStep {
    let mut first = 0;
    for step in steps {
        first += step.actions.len();
        if index < first {
            return step;
        }
    }
    steps.last().expect("a refused action belongs to a step")
}

/// The refusal of a step of change `ci` that the dialect cannot do.
fn refusal(project: &Project, ci: usize, step: &PlannedStep, unsupported: Unsupported) -> Diag {
    let change = &project.changes[ci];
    let dialect = project.config.dialect.name();
    let location = change
        .ops
        .get(step.op_index - 1)
        .map(|o| o.location.clone());
    Diag::refused(format!(
        "{dialect} cannot do this safely: {}",
        unsupported.0
    ))
    .at_opt(location)
    .label(format!("{} op of {}", step.op_kind, change.file.path))
    .note(format!("dialect: {dialect}"))
    .help("use a `sql` op with SQL of your own for this dialect")
}

/// The actions that create the baseline schema.
pub fn baseline_actions(schema: &Schema, dialect: Dialect) -> Vec<Action> {
    // Extensions first (their types, operator classes and functions are used by what
    // follows), then enums: the tables' columns use them. An extension may be there
    // already (installed in the template database, or by another schema).
    let mut actions: Vec<Action> = schema
        .extensions
        .iter()
        .map(|name| Action::Raw {
            sql: format!(
                "CREATE EXTENSION IF NOT EXISTS {}",
                crate::sql::text::quote(dialect, name)
            ),
            effect: Vec::new(),
        })
        .collect();
    actions.extend(schema.enums.iter().map(|(name, values)| Action::Enum {
        name: name.clone(),
        change: crate::action::EnumChange::Create {
            values: values.clone(),
        },
        columns: Vec::new(),
    }));
    actions.extend(object_actions(schema, dialect, false));
    // A foreign key is written in its table's CREATE TABLE where the key it references
    // exists by then; one in a cycle of tables, or to a key that only a unique index
    // makes, is added once every table and index is there.
    let mut created: HashSet<&str> = HashSet::new();
    let mut later = Vec::new();
    for t in crate::model::parents_first(schema.tables.values()) {
        created.insert(t.name.as_str());
        let mut table = t.clone();
        // A constraint the database holds NOT VALID is added so once the tables are
        // there: CREATE TABLE has no such state.
        table.constraints.retain(|c| {
            if dialect != Dialect::Postgres || !t.not_valid.contains(&c.name) {
                return true;
            }
            later.push(Action::Raw {
                sql: crate::sql::ddl::add_constraint_not_valid(&t.name, c),
                effect: vec![crate::action::RawEffect::Action(Box::new(
                    Action::AddConstraint {
                        table: t.name.clone(),
                        constraint: c.clone(),
                    },
                ))],
            });
            false
        });
        table.constraints.retain(|c| {
            let ConstraintKind::ForeignKey {
                references,
                referenced_columns,
                ..
            } = &c.kind
            else {
                return true;
            };
            // SQLite checks a foreign key's target only when a row is written.
            let inline = dialect == Dialect::Sqlite
                || match schema.tables.get(references) {
                    // A table outside the schema is the database's business, as before.
                    None => true,
                    Some(parent) => {
                        created.contains(references.as_str())
                            && is_constraint_key(parent, referenced_columns)
                    }
                };
            if !inline {
                later.push(Action::AddConstraint {
                    table: t.name.clone(),
                    constraint: c.clone(),
                });
            }
            inline
        });
        actions.push(Action::CreateTable {
            table,
            keys: Vec::new(),
        });
    }
    actions.extend(
        schema
            .indexes
            .values()
            .map(|i| Action::CreateIndex { index: i.clone() }),
    );
    actions.extend(later);
    if dialect == Dialect::Mysql {
        crate::action::key_auto_increment_inline(&mut actions);
    }
    actions.extend(object_actions(schema, dialect, true));
    actions
}

/// The statements that create the schema's objects that come before the tables or
/// after them, in the order written. Function bodies are not checked while they are
/// created (as pg_dump does): a body may name a table or a function that comes later.
/// On MySQL each comes after a `DROP ... IF EXISTS` of it, so that a baseline stopped
/// half-way runs again (MySQL has no `CREATE OR REPLACE` for most of them).
fn object_actions(schema: &Schema, dialect: Dialect, after_tables: bool) -> Vec<Action> {
    let raw = |sql: &str| Action::Raw {
        sql: sql.to_string(),
        effect: Vec::new(),
    };
    let objects: Vec<Action> = schema
        .objects
        .iter()
        .filter(|o| o.after_tables == after_tables)
        .flat_map(|o| {
            let drop = (dialect == Dialect::Mysql)
                .then(|| crate::sql::text::drop_object(dialect, &o.kind, &o.name, true))
                .flatten();
            drop.into_iter().chain([o.sql.clone()]).map(|s| raw(&s))
        })
        .collect();
    if objects.is_empty() || dialect != Dialect::Postgres {
        return objects;
    }
    let mut out = vec![raw("SET check_function_bodies = false")];
    out.extend(objects);
    out.push(raw("RESET check_function_bodies"));
    out
}

/// Whether `columns` of `table` (its primary key when empty) are its primary key or one
/// of its unique constraints, which its CREATE TABLE makes.
fn is_constraint_key(table: &Table, columns: &[String]) -> bool {
    let same =
        |key: &[String]| key.len() == columns.len() && columns.iter().all(|c| key.contains(c));
    columns.is_empty()
        || same(&table.primary_key)
        || table
            .constraints
            .iter()
            .any(|c| matches!(&c.kind, ConstraintKind::Unique { columns: key } if same(key)))
}
