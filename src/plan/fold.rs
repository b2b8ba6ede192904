//! The fold stage: every change folded into the model, release by release and within a
//! release in file-name order, each op yielding its steps (placed by the next stage);
//! with the schema the code of each release sees and, in views mode, the schema of
//! views each release's code selects.

use std::collections::{BTreeMap, BTreeSet};

use crate::action::Action;
use crate::config::RenameMode;
use crate::diag::{Diag, Location, Result};
use crate::model::{mysql_name_collisions, PhysicalName, Schema, View};
use crate::ops::op::{OpContext, PendingEdit, Step, Timing};
use crate::parse::change::{Change, OpEntry};
use crate::project::Project;
use crate::release::Releases;
use crate::sql::Dialect;

use super::planned::{PlanNote, PlannedStep};
use super::rule::{removal_of, Rule};

/// One op folded into the model, its steps not placed yet.
pub(super) struct FoldedOp {
    /// The change's release.
    pub release: usize,
    /// Index into `Project::changes`.
    pub change: usize,
    /// 1-based index of the op in its change file.
    pub op_index: usize,
    pub op_kind: &'static str,
    pub steps: Vec<Step>,
    /// The contract that receives its later steps; `None` while it is not known yet.
    pub target: Option<usize>,
    /// The release its `contract_release` asks for, when that one is too early.
    pub too_early: Option<(usize, Location)>,
    /// Its refusals.
    pub problems: Vec<Diag>,
    /// Views mode: the drop of the release schema the code before this release selects,
    /// made by the release's first op, for the contract of the releases after it.
    pub retire_schema: Option<PlannedStep>,
}

/// What the fold stage hands on.
pub(super) struct Folded {
    pub ops: Vec<FoldedOp>,
    /// The schema the code sees: `views[0]` before the first release, `views[i + 1]`
    /// after release `i`.
    pub views: Vec<View>,
    /// The model after every release's contract: `views`' last one without what the
    /// contracts still add.
    pub latest: View,
    /// Views mode: the schema of views each code version selects, indexed as `views`.
    pub view_schemas: Vec<Option<String>>,
    /// Views mode: (release, table, old name, new name) of each rename through views.
    pub view_renames: Vec<(usize, String, String, String)>,
    pub notes: Vec<PlanNote>,
}

/// The model while the changes fold into it, and what the fold has collected so far.
struct Folder<'a> {
    project: &'a Project,
    releases: &'a Releases,
    rule: &'a Rule<'a>,
    schema: Schema,
    /// Views mode: the release each release schema name is taken by.
    schema_releases: BTreeMap<String, usize>,
    /// Whether the current release has made its release schema yet.
    made_schema: bool,
    /// MySQL: the names of the model it cannot tell apart so far (see
    /// [`mysql_name_collisions`]); `None` on the other dialects.
    mysql_collisions: Option<BTreeSet<String>>,
    out: Folded,
}

/// Folds every change of the project but the `skipped` ones into its baseline, release
/// by release (skipping some shows what the plan was before they were added).
pub(super) fn fold(
    project: &Project,
    releases: &Releases,
    rule: &Rule,
    skipped: &BTreeSet<usize>,
) -> Result<Folded> {
    // Changes grouped by release, each group in file-name order.
    let mut by_release: Vec<Vec<usize>> = vec![Vec::new(); releases.len()];
    for (ci, change) in project.changes.iter().enumerate() {
        if skipped.contains(&ci) {
            continue;
        }
        let r = releases.index(&change.release.value).expect("collected");
        by_release[r].push(ci);
    }
    let schema = project.baseline.clone();
    let mut folder = Folder {
        project,
        releases,
        rule,
        out: Folded {
            ops: Vec::with_capacity(project.changes.len()),
            views: vec![schema.view()],
            latest: View::default(),
            view_schemas: vec![None],
            view_renames: Vec::new(),
            notes: Vec::new(),
        },
        mysql_collisions: (project.config.dialect == Dialect::Mysql)
            .then(|| mysql_name_collisions(&schema)),
        schema,
        schema_releases: BTreeMap::new(),
        made_schema: false,
    };
    for (r, change_ids) in by_release.iter().enumerate() {
        // A column renamed through views has its own name in the table from the
        // contract that renamed it in place, which comes before this expand.
        folder
            .schema
            .physical_names
            .retain(|p| p.until.is_none_or(|until| until >= r));
        folder.made_schema = false;
        for &ci in change_ids {
            for oi in 0..project.changes[ci].ops.len() {
                let op = folder.fold_op(r, ci, oi)?;
                folder.out.ops.push(op);
            }
        }
        folder.out.views.push(folder.schema.view_of(r));
        folder
            .schema
            .arriving
            .retain(|(_, until)| until.is_none_or(|u| u > r));
        let selected = if folder.made_schema {
            Some(folder.release_schema_name(r))
        } else {
            folder.out.view_schemas.last().cloned().flatten()
        };
        folder.out.view_schemas.push(selected);
    }
    folder.out.latest = folder.schema.view();
    Ok(folder.out)
}

impl Folder<'_> {
    /// Folds op `oi` of change `ci` (of release `r`) into the model.
    fn fold_op(&mut self, r: usize, ci: usize, oi: usize) -> Result<FoldedOp> {
        let project = self.project;
        let config = &project.config;
        let change = &project.changes[ci];
        let entry = &change.ops[oi];
        let (target, too_early) = self.rule.target(r, ci, entry.contract_release.as_ref());
        let renamed_in_views = self.schema.physical_names.clone();
        let tables_before = self.in_views_mode().then(|| self.schema.tables.clone());
        let mut cx = OpContext::new(
            &mut self.schema,
            r,
            target,
            entry.location.clone(),
            self.out.views.last(),
            Some(config.dialect),
        );
        cx.rename_mode = config.rename_mode;
        let mut steps = entry.op.apply(&mut cx)?;
        let problems = std::mem::take(&mut cx.problems);
        let notes = std::mem::take(&mut cx.notes);
        let edits = std::mem::take(&mut cx.pending_edits);
        self.edit_tightenings(&edits);
        self.refuse_mysql_collisions(entry)?;
        if let Some(p) = steps
            .iter()
            .flat_map(|s| &s.actions)
            .find_map(|a| names_renamed_in_views(a, &renamed_in_views))
        {
            return Err(self.renamed_in_views_error(entry, p).into());
        }
        self.out.notes.extend(notes.into_iter().map(|n| PlanNote {
            change: change.file.path.clone(),
            release: change.release.value.clone(),
            op: entry.op.kind(),
            op_index: oi + 1,
            warning: n.warning,
            message: n.message,
        }));
        self.out.view_renames.extend(
            self.schema
                .physical_names
                .iter()
                .filter(|p| !renamed_in_views.contains(p))
                .map(|p| (r, p.table.clone(), p.physical.clone(), p.column.clone())),
        );
        let mut retire_schema = None;
        if self.in_views_mode() {
            // The release schema is made by the release's first op, and made again by
            // every op that changes a table, from the model after it.
            let changed = tables_before.as_ref() != Some(&self.schema.tables);
            if !self.made_schema || changed {
                self.make_release_schema(r, change, &mut steps)?;
            }
            if !self.made_schema {
                self.made_schema = true;
                retire_schema = self.retire_previous_schema(entry, oi);
            }
        }
        if let (Some(cr), None) = (&entry.contract_release, removal_of(&steps)) {
            return Err(Diag::input(format!(
                "{} has no step that waits for a later release",
                entry.op.describe()
            ))
            .at(cr.location.clone())
            .label("contract_release has nothing to place")
            .help("remove contract_release")
            .into());
        }
        Ok(FoldedOp {
            release: r,
            change: ci,
            op_index: oi + 1,
            op_kind: entry.op.kind(),
            steps,
            target,
            too_early,
            problems,
            retire_schema,
        })
    }

    /// Applies `edits` to the ops folded so far: the last later step that enforces each
    /// constraint (found by its table, or by the same definition where a rename of the
    /// table since changed the name the model knows it by) is removed, or its constraint
    /// renamed.
    fn edit_tightenings(&mut self, edits: &[PendingEdit]) {
        for edit in edits {
            let PendingEdit {
                table,
                constraint,
                renamed_to,
            } = edit;
            let enforces = |step: &Step| {
                matches!(step.timing, Timing::Later(_))
                    && step.actions.iter().any(|a| match a {
                        Action::AddConstraint {
                            table: t,
                            constraint: c,
                        } => c.name == constraint.name && (t == table || c.kind == constraint.kind),
                        _ => false,
                    })
            };
            let found = self.out.ops.iter_mut().rev().find_map(|op| {
                let i = op.steps.iter().position(enforces)?;
                Some((op, i))
            });
            let Some((op, i)) = found else { continue };
            let Some(to) = renamed_to else {
                op.steps.remove(i);
                continue;
            };
            let step = &mut op.steps[i];
            step.description = format!(
                "{} (as {to}: a later change renames it before it is enforced)",
                step.description
            );
            for action in &mut step.actions {
                if let Action::AddConstraint { constraint: c, .. }
                | Action::Repair { constraint: c, .. } = action
                {
                    if c.name == constraint.name {
                        c.name = to.clone();
                    }
                }
            }
        }
    }

    /// MySQL: refuses an op after which the model has two names (columns, indexes,
    /// tables) that differ only in case, or enum values MySQL cannot keep apart, that it
    /// did not have before: MySQL would fail at apply, or drift from the model at once.
    fn refuse_mysql_collisions(&mut self, entry: &OpEntry) -> Result<()> {
        let Some(before) = &self.mysql_collisions else {
            return Ok(());
        };
        let after = mysql_name_collisions(&self.schema);
        let new: Vec<&String> = after.difference(before).collect();
        if let Some(first) = new.first() {
            let mut diag = Diag::input(format!(
                "{} gives MySQL {first}, which it cannot keep apart",
                entry.op.describe()
            ))
            .at(entry.location.clone())
            .label("after this op")
            .note("MySQL and MariaDB read column and index names without case (table names too, where the server folds them), and the default collation compares ENUM values without case and strips their trailing spaces");
            for more in &new[1..] {
                diag = diag.note(format!("also {more}"));
            }
            return Err(diag
                .help("choose names and values that differ in more than letter case or trailing spaces")
                .into());
        }
        self.mysql_collisions = Some(after);
        Ok(())
    }

    /// Whether the releases select schemas of views: the project's mode, or since an op
    /// renamed through views.
    fn in_views_mode(&self) -> bool {
        self.project.config.rename_mode == RenameMode::Views || self.schema.views_since.is_some()
    }

    /// The name of release `r`'s schema of views.
    fn release_schema_name(&self, r: usize) -> String {
        crate::sql::views::schema_name(
            &self.project.config.view_schema_prefix,
            self.releases.name(r),
        )
    }

    /// Views mode: (re)makes release `r`'s schema of views from the model as it is now,
    /// in the op's last expand step (or a new one).
    fn make_release_schema(
        &mut self,
        r: usize,
        change: &Change,
        steps: &mut Vec<Step>,
    ) -> Result<()> {
        let name = self.release_schema_name(r);
        if let Some(&other) = self.schema_releases.get(&name) {
            if other != r {
                return Err(Diag::input(format!(
                    "releases `{}` and `{}` would both have their views in the schema `{name}`",
                    self.releases.name(other),
                    self.releases.name(r)
                ))
                .at(change.release.location.clone())
                .note("a release's schema is view_schema_prefix, `_`, and the release name with every character other than a letter or digit as `_`")
                .help("name the releases so that they differ in a letter or digit")
                .into());
            }
        }
        self.schema_releases.insert(name.clone(), r);
        let action = crate::sql::views::release_views(&name, &self.schema);
        match steps.iter_mut().rev().find(|s| s.timing == Timing::Expand) {
            Some(step) => {
                step.actions.push(action);
                step.description = format!(
                    "{}; make the views of {} in the schema {name}",
                    step.description,
                    self.releases.name(r)
                );
            }
            None => steps.push(Step::new(
                Timing::Expand,
                format!(
                    "make the views of {} in the schema {name}",
                    self.releases.name(r)
                ),
                vec![action],
            )),
        }
        Ok(())
    }

    /// Views mode: the drop of the schema the code before this release selects, which
    /// goes once that code no longer runs, with the other removals of this release.
    fn retire_previous_schema(&self, entry: &OpEntry, oi: usize) -> Option<PlannedStep> {
        let previous = self.out.view_schemas.last().cloned().flatten()?;
        Some(PlannedStep {
            description: format!("drop the schema {previous}, whose code no longer runs"),
            destructive: true,
            op_kind: entry.op.kind(),
            op_index: oi + 1,
            actions: vec![Action::DropReleaseSchema { schema: previous }],
        })
    }

    /// The refusal of an op that names a column still under its old name in the table.
    fn renamed_in_views_error(&self, entry: &OpEntry, p: &PhysicalName) -> Diag {
        let until = p.until.map_or_else(
            || {
                format!(
                    "the contract {} release(s) after the rename",
                    self.project.config.min_release_gap
                )
            },
            |u| format!("contract({})", self.releases.name(u)),
        );
        Diag::input(format!(
            "{} uses `{}.{}`, which still exists as `{}` until {until}",
            entry.op.describe(),
            p.table,
            p.column,
            p.physical
        ))
        .at(entry.location.clone())
        .label("renamed through views, not yet in the table")
        .note("a views-mode rename shows the new name only in the release views until its contract renames the column in place; tandem's steps work on the table itself")
        .help("tag this change with a release after the one whose contract completes the rename, or rename the column with mode = \"copy\"")
    }
}

/// The column of `renamed` (renamed through views, still under its old name in the
/// table) that `action` names on its table, if any: the action would run against the
/// table, where that name does not exist yet.
fn names_renamed_in_views<'a>(
    action: &Action,
    renamed: &'a [crate::model::PhysicalName],
) -> Option<&'a crate::model::PhysicalName> {
    if renamed.is_empty()
        || matches!(
            action,
            Action::ReleaseViews { .. } | Action::DropReleaseSchema { .. }
        )
    {
        return None;
    }
    let touched = action.touches(crate::sql::Dialect::Postgres);
    let text = serde_json::to_string(action).unwrap_or_default();
    renamed.iter().find(|p| {
        let on_table = touched.iter().any(|t| match t {
            crate::action::Touch::Table(t) | crate::action::Touch::Column(t, _) => *t == p.table,
            crate::action::Touch::Index(_) => false,
            crate::action::Touch::Anything => true,
        });
        on_table && mentions_word(&text, &p.column)
    })
}

/// Whether `word` appears in `text` as a whole identifier.
fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}
