//! The planner: orders the releases, folds every change into the schema release by
//! release ([`fold`]), places each step in its phase under the rule ([`place`]), and
//! renders the files ([`render`]). The layout numbers and seals them afterwards.

mod fold;
mod hotfix;
mod place;
mod planned;
mod releases;
mod render;
mod rule;

pub use hotfix::placeholder_refusals;
pub use planned::{PendingStep, PlanNote, PlannedFile, PlannedStep, Slot, WrittenContracts};
pub use render::baseline_actions;

use crate::diag::{Diag, Result};
use crate::model::View;
use crate::project::Project;
use crate::release::Releases;

use releases::collect_releases;
use rule::Rule;

/// A plan: its files placed and rendered; the layout then gives each its version, path
/// and full text.
#[derive(Debug)]
pub struct Plan {
    pub releases: Releases,
    /// The schema the code of each release sees: `views[0]` is the baseline (the code
    /// before the first release), `views[i + 1]` release `i`.
    pub views: Vec<View>,
    /// The model once every contract has run, including what the last contracts add,
    /// which no release's code sees yet: what a database holds at the end of the plan.
    pub latest: View,
    /// Views mode: the schema of views each code version selects through `search_path`,
    /// indexed as `views`; `None` where that code reads the tables themselves.
    pub view_schemas: Vec<Option<String>>,
    /// Views mode: the columns each release renames through its views, as (release,
    /// table, old name, new name).
    pub view_renames: Vec<(usize, String, String, String)>,
    pub files: Vec<PlannedFile>,
    /// The baseline's objects outside the table model, which its file creates: drift
    /// compares each with the catalogue's.
    pub objects: Vec<crate::model::SchemaObject>,
    pub pending: Vec<PendingStep>,
    /// Warnings and notes on ops, in plan order: they do not stop the plan.
    pub notes: Vec<PlanNote>,
    /// Per release H, when H is a hotfix: the first later release whose code must stop
    /// using what H's changes stop using (see `rule::merge_releases`).
    pub hotfix_merges: Vec<Option<usize>>,
    /// Refusals and dialect limits: the plan must not be applied while any is present.
    pub problems: Vec<Diag>,
}

impl Plan {
    /// The files of a slot, in apply order.
    pub fn files_in(&self, slot: Slot) -> impl Iterator<Item = &PlannedFile> {
        self.files.iter().filter(move |f| f.slot == slot)
    }

    /// Every slot's files in apply order, grouped once: for a walk over all the slots,
    /// where [`Self::files_in`] per slot would read the whole plan each time.
    pub fn files_by_slot(&self) -> std::collections::HashMap<Slot, Vec<&PlannedFile>> {
        let mut by_slot: std::collections::HashMap<Slot, Vec<&PlannedFile>> = Default::default();
        for file in &self.files {
            by_slot.entry(file.slot).or_default().push(file);
        }
        by_slot
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

/// Builds the plan of a project in three stages (fold, place, render), its files not
/// laid out yet (see [`crate::layout::build_plan`]). Input errors fail; refusals are
/// collected in `problems`.
pub fn build(project: &Project, written: &WrittenContracts) -> Result<Plan> {
    let releases = collect_releases(project)?;
    let rule = Rule::new(
        &releases,
        project.config.min_release_gap,
        written,
        &project.lock,
    );
    let folded = fold::fold(project, &releases, &rule, &Default::default())?;
    let mut placed = place::place(project, &rule, folded.ops, &folded.views);
    let files = render::render(project, &releases, placed.slots, &mut placed.problems)?;
    let hotfix_merges = rule::merge_releases(&releases, &rule.predating);
    Ok(Plan {
        hotfix_merges,
        releases,
        views: folded.views,
        latest: folded.latest,
        view_schemas: folded.view_schemas,
        view_renames: folded.view_renames,
        files,
        objects: project.baseline.objects.clone(),
        pending: placed.pending,
        notes: folded.notes,
        problems: placed.problems,
    })
}
