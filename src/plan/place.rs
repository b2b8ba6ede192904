//! The place stage: puts each folded op's steps in their slot under the rule (expand
//! and contract of the change's release, later steps in the contract `min_release_gap`
//! releases on, or where a hotfix or `contract_release` keeps them), refuses a
//! `contract_release` that asks for a release too early, and keeps the steps whose
//! release does not exist yet as pending.

use std::collections::BTreeMap;

use crate::action::Action;
use crate::diag::{Diag, Location};
use crate::model::View;
use crate::ops::op::{Removal, Step, Timing};
use crate::project::Project;
use crate::release::Releases;

use super::fold::FoldedOp;
use super::planned::{PendingStep, PlannedStep, Slot};
use super::rule::{removal_of, Rule};

/// The steps of each change in each slot, in the order they run.
pub(super) type Slots = BTreeMap<(Slot, usize), Vec<PlannedStep>>;

/// What the place stage hands on: the placed steps, the pending ones, and the fold's
/// problems with the refusals of placement, in op order.
pub(super) struct Placed {
    pub slots: Slots,
    pub pending: Vec<PendingStep>,
    pub problems: Vec<Diag>,
}

/// Places the folded ops in order; `views` (the code's view of each release) decides
/// which NOT NULLs a contract may still add.
pub(super) fn place(project: &Project, rule: &Rule, ops: Vec<FoldedOp>, views: &[View]) -> Placed {
    let mut placed = Placed {
        slots: BTreeMap::new(),
        pending: Vec::new(),
        problems: Vec::new(),
    };
    for op in ops {
        placed.place_op(project, rule, op);
    }
    drop_tightening_of_retired_columns(&mut placed.slots, views, rule.releases);
    placed
}

impl Placed {
    fn place_op(&mut self, project: &Project, rule: &Rule, mut op: FoldedOp) {
        let change = &project.changes[op.change];
        let r = op.release;
        let pending_step = |description: String, waits_for: String| PendingStep {
            change: change.file.path.clone(),
            release: change.release.value.clone(),
            description,
            waits_for,
        };
        self.problems.append(&mut op.problems);
        if let Some(drop) = op.retire_schema.take() {
            // Kept in the contract file it was written into, as the op's own later
            // steps are, when a hotfix is inserted since.
            match rule.later_release(r, op.change) {
                Some(t) => self
                    .slots
                    .entry((Slot::Contract(t), op.change))
                    .or_default()
                    .insert(0, drop),
                None => self
                    .pending
                    .push(pending_step(drop.description, rule.waits_for(r))),
            }
        }
        if let Some((asked, location)) = op.too_early.take() {
            if let Some(removal) = removal_of(&op.steps) {
                let refusal = refusal(rule, r, asked, location, removal);
                self.problems.push(refusal);
            }
        }
        self.rename_tables_placed_later(r, &op.steps);
        for step in op.steps {
            let destructive = matches!(step.timing, Timing::Later(_));
            let slot = match step.timing {
                Timing::Expand => Some(Slot::Expand(r)),
                Timing::Contract => Some(Slot::Contract(r)),
                Timing::Later(_) => op.target.map(Slot::Contract),
            };
            let planned = PlannedStep {
                description: step.description,
                destructive,
                op_kind: op.op_kind,
                op_index: op.op_index,
                actions: step.actions,
            };
            match slot {
                Some(slot) => self
                    .slots
                    .entry((slot, op.change))
                    .or_default()
                    .push(planned),
                None => self
                    .pending
                    .push(pending_step(planned.description, rule.waits_for(r))),
            }
        }
    }

    /// Steps already placed after a rename in release `r`'s expand still name the table
    /// as it was: they take the new name.
    fn rename_tables_placed_later(&mut self, r: usize, steps: &[Step]) {
        let renames = steps
            .iter()
            .flat_map(|s| &s.actions)
            .filter_map(|a| match a {
                Action::RenameTable { from, to } => Some((from, to)),
                _ => None,
            });
        for (from, to) in renames {
            for ((slot, _), planned) in self.slots.iter_mut() {
                if slot.order() > Slot::Expand(r).order() {
                    for action in planned.iter_mut().flat_map(|p| p.actions.iter_mut()) {
                        action.rename_table(from, to);
                    }
                }
            }
        }
    }
}

/// A NOT NULL placed in contract(t) for a column that release t's code no longer knows
/// (a later change retired it meanwhile) would break t's inserts, which omit it: the
/// column is on its way out, so it stays nullable.
fn drop_tightening_of_retired_columns(
    placed: &mut BTreeMap<(Slot, usize), Vec<PlannedStep>>,
    views: &[View],
    releases: &Releases,
) {
    for ((slot, _), steps) in placed.iter_mut() {
        let Slot::Contract(t) = *slot else { continue };
        let code = &views[t + 1];
        for step in steps.iter_mut() {
            let mut kept_nullable = Vec::new();
            step.actions.retain(|a| match a {
                Action::SetNotNull { table, column } => {
                    let known = code
                        .table(table)
                        .is_some_and(|tb| tb.column(&column.name).is_some());
                    if !known {
                        kept_nullable.push(format!("{table}.{}", column.name));
                    }
                    known
                }
                _ => true,
            });
            if !kept_nullable.is_empty() {
                step.description = format!(
                    "{} (skipped: {} stays nullable, as {}'s code retires it)",
                    step.description,
                    kept_nullable.join(", "),
                    releases.name(t)
                );
            }
        }
        steps.retain(|s| !s.actions.is_empty());
    }
    placed.retain(|_, steps| !steps.is_empty());
}

/// The refusal of a `contract_release` that asks for a release too early.
fn refusal(
    rule: &Rule,
    r: usize,
    asked_index: usize,
    location: Location,
    removal: &Removal,
) -> Diag {
    let (releases, gap) = (rule.releases, rule.gap);
    let release = releases.name(r);
    let asked = releases.name(asked_index);
    let previous = releases.previous_line(r);
    let Removal {
        noun,
        verb,
        subject,
    } = removal;
    let diag = Diag::refused(format!(
        "refused: {noun} of {subject} placed in release {asked}"
    ))
    .at(location)
    .label(format!("contract_release = \"{asked}\""));
    let diag = if asked_index == r {
        diag.note(format!(
            "release {release} is the release whose code stops using {subject};\n\
             deployments of {previous} still read it while {release} rolls out, and {previous} is\n\
             the rollback target of {release}"
        ))
    } else if asked_index < r {
        diag.note(format!(
            "release {asked} comes before {release}, the release whose code stops using {subject}"
        ))
    } else if let Some(last) = rule.predating[r].filter(|_| asked_index >= r + gap) {
        diag.note(format!(
            "release {} was cut before the hotfix {release}: its code predates it and still uses {subject}, and it is the rollback target of the release after it",
            releases.name(last)
        ))
    } else {
        diag.note(format!(
            "release {asked} is only {} release(s) after {release}, the release whose code stops using {subject}; min_release_gap is {gap}",
            asked_index - r
        ))
    };
    match Some(rule.earliest(r)).filter(|&e| e < releases.len()) {
        Some(e) => {
            let e = releases.name(e);
            diag.help(format!(
                "{verb} in contract({e}) or later (remove contract_release, or set it to \"{e}\")"
            ))
        }
        None => match crate::release::parse_semver(release) {
            _ if rule.predating[r].is_some() => diag.help(format!(
                "{verb} in the {} (remove contract_release: the step stays pending until that release exists)",
                rule.waits_for(r)
            )),
            // Not known yet: a later version names one, and naming it makes it known.
            Ok(v) if releases.is_semver() => {
                let later = format!("{}.{}.0", v.major, v.minor + gap as u64);
                diag.help(format!(
                    "{verb} in contract({later}) or later (remove contract_release to keep it pending until the next release exists, or set it to \"{later}\")"
                ))
            }
            _ => diag.help(format!(
                "{verb} in the contract of a release at least {gap} after {release} (remove contract_release: the step stays pending until that release exists)"
            )),
        },
    }
}
