//! The planner: orders the releases, folds every change into the schema release by
//! release ([`fold`]), places each step in its phase under the rule ([`place`]), and
//! renders the files ([`render`]). The layout numbers and seals them afterwards.

mod fold;
mod place;
mod releases;
mod render;

use std::collections::HashMap;

use serde::Serialize;

use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::lock::{steps_digest, DigestedStep};
use crate::model::{Schema, View};
use crate::project::Project;
use crate::release::Releases;
use crate::sql::render::Rendered;

use place::Rule;
use releases::collect_releases;

/// A point in the apply order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "phase", content = "release", rename_all = "snake_case")]
pub enum Slot {
    Baseline,
    Expand(usize),
    Contract(usize),
}

impl Slot {
    /// Position in the apply order: baseline < expand(R1) < contract(R1) < expand(R2) ...
    pub fn order(self) -> usize {
        match self {
            Slot::Baseline => 0,
            Slot::Expand(r) => 1 + 2 * r,
            Slot::Contract(r) => 2 + 2 * r,
        }
    }

    pub fn phase(self) -> &'static str {
        match self {
            Slot::Baseline => "baseline",
            Slot::Expand(_) => "expand",
            Slot::Contract(_) => "contract",
        }
    }

    pub fn release(self) -> Option<usize> {
        match self {
            Slot::Baseline => None,
            Slot::Expand(r) | Slot::Contract(r) => Some(r),
        }
    }
}

/// One step of an op, placed.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedStep {
    pub description: String,
    /// Waits for the rule (contract of R + gap or later).
    pub destructive: bool,
    pub op_kind: &'static str,
    /// 1-based index of the op in its change file.
    pub op_index: usize,
    pub actions: Vec<Action>,
}

/// One migration file: the steps of one change in one slot.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub slot: Slot,
    /// Index into `Project::changes`; `None` for the baseline.
    pub change: Option<usize>,
    /// The change file it serves, as the project names it; filled by the layout.
    pub change_path: Option<String>,
    pub steps: Vec<PlannedStep>,
    pub rendered: Rendered,
    /// Filled by the layout: version, path relative to the migrations dir, full text.
    pub version: i64,
    pub path: String,
    pub content: String,
}

impl PlannedStep {
    /// What the lock's digest of this step reads.
    pub fn digested(&self) -> DigestedStep<'_> {
        DigestedStep {
            op_index: self.op_index,
            op_kind: self.op_kind,
            destructive: self.destructive,
            actions: &self.actions,
        }
    }
}

impl PlannedFile {
    /// The lock's digest of what this file does (see [`crate::lock::steps_digest`]).
    pub fn steps_digest(&self) -> String {
        steps_digest(&self.path, self.steps.iter().map(PlannedStep::digested))
    }
}

/// A step whose target release does not exist yet.
#[derive(Debug, Clone, Serialize)]
pub struct PendingStep {
    pub change: String,
    pub release: String,
    pub description: String,
    /// "contract of the release after 1.5.0".
    pub waits_for: String,
}

#[derive(Debug)]
pub struct Plan {
    pub releases: Releases,
    /// The schema the code of each release sees: `views[0]` is the baseline (the code
    /// before the first release), `views[i + 1]` release `i`.
    pub views: Vec<View>,
    /// Views mode: the schema of views each code version selects through `search_path`,
    /// indexed as `views`; `None` where that code reads the tables themselves.
    pub view_schemas: Vec<Option<String>>,
    /// Views mode: the columns each release renames through its views, as (release,
    /// table, old name, new name).
    pub view_renames: Vec<(usize, String, String, String)>,
    pub files: Vec<PlannedFile>,
    pub pending: Vec<PendingStep>,
    /// Warnings and notes on ops, in plan order: they do not stop the plan.
    pub notes: Vec<PlanNote>,
    /// Refusals and dialect limits: the plan must not be applied while any is present.
    pub problems: Vec<Diag>,
}

/// A warning or note on one op of a change.
#[derive(Debug, Clone, Serialize)]
pub struct PlanNote {
    pub change: String,
    pub release: String,
    pub op: &'static str,
    /// 1-based index of the op in its change file.
    pub op_index: usize,
    pub warning: bool,
    pub message: String,
}

impl Plan {
    /// The files of a slot, in apply order.
    pub fn files_in(&self, slot: Slot) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(move |f| f.slot == slot)
    }

    /// The index of a release named on the command line, or an input error suggesting
    /// the nearest known name.
    pub fn release_index(&self, name: &str) -> Result<usize> {
        self.releases.index(name).ok_or_else(|| {
            let names: Vec<&str> = self.releases.names().iter().map(String::as_str).collect();
            let diag = Diag::input(format!("unknown release `{name}`"));
            if names.is_empty() {
                return diag
                    .note("the project knows no release yet")
                    .help(format!(
                        "a release is known once a change in the changes directory names it \
                         (`release = \"{name}\"`, e.g. through `tandem new ... --release {name}`), \
                         or tandem.toml lists it (`releases = [...]`)"
                    ))
                    .into();
            }
            let diag = diag.note(format!("known releases: {}", names.join(", ")));
            match crate::diag::nearest(name, names.iter().copied()) {
                Some(best) => diag.help(format!("did you mean `{best}`?")),
                None => diag,
            }
            .into()
        })
    }

    /// The code view of release `index`.
    pub fn view(&self, index: usize) -> &View {
        &self.views[index + 1]
    }
}

/// The releases in which each change (by index into `Project::changes`) already has a
/// contract file, on disk or in the lock, by name: the layout reads them from the files.
pub type WrittenContracts = HashMap<usize, Vec<String>>;

/// Builds the plan of a project in three stages (fold, place, render), its files not
/// laid out yet (see [`crate::layout::build_plan`]). Input errors fail; refusals are
/// collected in `problems`.
pub fn build(project: &Project, written: &WrittenContracts) -> Result<Plan> {
    let releases = collect_releases(project)?;
    let rule = Rule::new(&releases, project.config.min_release_gap, written);
    let folded = fold::fold(project, &releases, &rule)?;
    let mut placed = place::place(project, &rule, folded.ops, &folded.views);
    let files = render::render(project, &releases, placed.slots, &mut placed.problems)?;
    Ok(Plan {
        releases,
        views: folded.views,
        view_schemas: folded.view_schemas,
        view_renames: folded.view_renames,
        files,
        pending: placed.pending,
        notes: folded.notes,
        problems: placed.problems,
    })
}

/// The actions that create the baseline schema.
pub fn baseline_actions(schema: &Schema) -> Vec<Action> {
    // Enums first: the tables' columns use them.
    let mut actions: Vec<Action> = schema
        .enums
        .iter()
        .map(|(name, values)| Action::Enum {
            name: name.clone(),
            change: crate::action::EnumChange::Create {
                values: values.clone(),
            },
            columns: Vec::new(),
        })
        .collect();
    actions.extend(
        crate::model::parents_first(schema.tables.values())
            .into_iter()
            .map(|t| Action::CreateTable { table: t.clone() }),
    );
    actions.extend(
        schema
            .indexes
            .values()
            .map(|i| Action::CreateIndex { index: i.clone() }),
    );
    actions
}
