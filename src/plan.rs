//! The planner: orders the releases, folds every change into the schema release by
//! release, places each step in its phase under the rule, and renders the files.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::action::Action;
use crate::diag::{Diag, Location, Result};
use crate::layout;
use crate::lock::{steps_digest, DigestedStep};
use crate::model::{Schema, View};
use crate::ops::op::{OpContext, Removal, Timing};
use crate::project::Project;
use crate::release::{parse_semver, ReleaseOrder, Releases};
use crate::sql::dialects::renderer;
use crate::sql::physical::Physical;
use crate::sql::render::{render_actions, Rendered};

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

/// Builds the plan of a project. Input errors fail; refusals are collected in `problems`.
pub fn build(project: &Project) -> Result<Plan> {
    let config = &project.config;
    let releases = collect_releases(project)?;
    let gap = config.min_release_gap;
    let mut problems = Vec::new();

    // Changes grouped by release, each group in file-name order.
    let mut by_release: Vec<Vec<usize>> = vec![Vec::new(); releases.len()];
    for (ci, change) in project.changes.iter().enumerate() {
        let r = releases.index(&change.release.value).expect("collected");
        by_release[r].push(ci);
    }

    let mut schema = project.baseline.clone();
    let mut views = vec![schema.view()];
    let mut placed: BTreeMap<(Slot, usize), Vec<PlannedStep>> = BTreeMap::new();
    let mut pending = Vec::new();
    let mut notes = Vec::new();

    let written = layout::written_contracts(project, &releases)?;
    let project_views = config.rename_mode == crate::config::RenameMode::Views;
    // Views mode: the release schema each code version selects, indexed as `views`.
    let mut view_schemas: Vec<Option<String>> = vec![None];
    let mut schema_releases: BTreeMap<String, usize> = BTreeMap::new();
    let mut view_renames = Vec::new();
    for (r, change_ids) in by_release.iter().enumerate() {
        // A column renamed through views has its own name in the table from the
        // contract that renamed it in place, which comes before this expand.
        schema
            .physical_names
            .retain(|p| p.until.is_none_or(|until| until >= r));
        let mut made_schema = false;
        for &ci in change_ids {
            let change = &project.changes[ci];
            for (oi, entry) in change.ops.iter().enumerate() {
                // A later step stays in the release whose contract file it was written
                // into, when a release (a hotfix) is inserted before that one since.
                let mut target = releases.after(r, gap).map(|default| {
                    written
                        .get(&ci)
                        .and_then(|found| found.iter().copied().find(|&x| x >= default))
                        .unwrap_or(default)
                });
                let mut too_early = None;
                if let Some(cr) = &entry.contract_release {
                    let asked = releases.index(&cr.value).expect("collected");
                    if asked < r + gap {
                        too_early = Some((asked, cr.location.clone()));
                    } else {
                        target = Some(asked);
                    }
                }
                let renamed_in_views = schema.physical_names.clone();
                let views_before = project_views || schema.views_since.is_some();
                let tables_before = views_before.then(|| schema.tables.clone());
                let mut cx = OpContext::new(
                    &mut schema,
                    r,
                    target,
                    entry.location.clone(),
                    views.last(),
                    Some(config.dialect),
                );
                cx.rename_mode = config.rename_mode;
                let mut steps = entry.op.apply(&mut cx)?;
                if let Some(p) = steps
                    .iter()
                    .flat_map(|s| &s.actions)
                    .find_map(|a| names_renamed_in_views(a, &renamed_in_views))
                {
                    let until = p.until.map_or_else(
                        || format!("the contract {gap} release(s) after the rename"),
                        |u| format!("contract({})", releases.name(u)),
                    );
                    return Err(Diag::input(format!(
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
                    .into());
                }
                problems.append(&mut cx.problems);
                notes.extend(cx.notes.drain(..).map(|n| PlanNote {
                    change: change.file.path.clone(),
                    release: change.release.value.clone(),
                    op: entry.op.kind(),
                    op_index: oi + 1,
                    warning: n.warning,
                    message: n.message,
                }));
                view_renames.extend(
                    schema
                        .physical_names
                        .iter()
                        .filter(|p| !renamed_in_views.contains(p))
                        .map(|p| (r, p.table.clone(), p.physical.clone(), p.column.clone())),
                );
                if project_views || schema.views_since.is_some() {
                    // The release schema is made by the release's first op, and made
                    // again by every op that changes a table, from the model after it.
                    let changed = tables_before.as_ref() != Some(&schema.tables);
                    if !made_schema || changed {
                        let name = crate::sql::views::schema_name(
                            &config.view_schema_prefix,
                            releases.name(r),
                        );
                        if let Some(&other) = schema_releases.get(&name) {
                            if other != r {
                                return Err(Diag::input(format!(
                                    "releases `{}` and `{}` would both have their views in the schema `{name}`",
                                    releases.name(other),
                                    releases.name(r)
                                ))
                                .at(change.release.location.clone())
                                .note("a release's schema is view_schema_prefix, `_`, and the release name with every character other than a letter or digit as `_`")
                                .help("name the releases so that they differ in a letter or digit")
                                .into());
                            }
                        }
                        schema_releases.insert(name.clone(), r);
                        let action = crate::sql::views::release_views(&name, &schema);
                        match steps.iter_mut().rev().find(|s| s.timing == Timing::Expand) {
                            Some(step) => {
                                step.actions.push(action);
                                step.description = format!(
                                    "{}; make the views of {} in the schema {name}",
                                    step.description,
                                    releases.name(r)
                                );
                            }
                            None => steps.push(crate::ops::op::Step::new(
                                Timing::Expand,
                                format!(
                                    "make the views of {} in the schema {name}",
                                    releases.name(r)
                                ),
                                vec![action],
                            )),
                        }
                    }
                    if !made_schema {
                        made_schema = true;
                        // The schema the code before this release selects goes once that
                        // code no longer runs: with the other removals of this release.
                        if let Some(previous) = view_schemas.last().cloned().flatten() {
                            let drop = PlannedStep {
                                description: format!(
                                    "drop the schema {previous}, whose code no longer runs"
                                ),
                                destructive: true,
                                op_kind: entry.op.kind(),
                                op_index: oi + 1,
                                actions: vec![Action::DropReleaseSchema { schema: previous }],
                            };
                            // Kept in the contract file it was written into, as the op's
                            // own later steps are, when a hotfix is inserted since.
                            let drop_target = releases.after(r, gap).map(|default| {
                                written
                                    .get(&ci)
                                    .and_then(|found| found.iter().copied().find(|&x| x >= default))
                                    .unwrap_or(default)
                            });
                            match drop_target {
                                Some(t) => placed
                                    .entry((Slot::Contract(t), ci))
                                    .or_default()
                                    .insert(0, drop),
                                None => pending.push(PendingStep {
                                    change: change.file.path.clone(),
                                    release: change.release.value.clone(),
                                    description: drop.description,
                                    waits_for: format!(
                                        "contract of the release {gap} release(s) after {}",
                                        releases.name(r)
                                    ),
                                }),
                            }
                        }
                    }
                }
                let removal = steps.iter().find_map(|s| match &s.timing {
                    Timing::Later(removal) => Some(removal.clone()),
                    _ => None,
                });
                match (&entry.contract_release, &removal) {
                    (Some(cr), None) => {
                        return Err(Diag::input(format!(
                            "{} has no step that waits for a later release",
                            entry.op.describe()
                        ))
                        .at(cr.location.clone())
                        .label("contract_release has nothing to place")
                        .help("remove contract_release")
                        .into());
                    }
                    (Some(_), Some(removal)) => {
                        if let Some((asked, location)) = too_early {
                            problems.push(refusal(&releases, r, gap, asked, location, removal));
                        }
                    }
                    _ => {}
                }
                // Steps already placed after this rename still name the table as it was.
                for (from, to) in steps
                    .iter()
                    .flat_map(|s| &s.actions)
                    .filter_map(|a| match a {
                        Action::RenameTable { from, to } => Some((from.clone(), to.clone())),
                        _ => None,
                    })
                {
                    for ((slot, _), planned) in placed.iter_mut() {
                        if slot.order() > Slot::Expand(r).order() {
                            for action in planned.iter_mut().flat_map(|p| p.actions.iter_mut()) {
                                action.rename_table(&from, &to);
                            }
                        }
                    }
                }
                for step in steps {
                    let destructive = matches!(step.timing, Timing::Later(_));
                    let slot = match step.timing {
                        Timing::Expand => Some(Slot::Expand(r)),
                        Timing::Contract => Some(Slot::Contract(r)),
                        Timing::Later(_) => target.map(Slot::Contract),
                    };
                    let planned = PlannedStep {
                        description: step.description,
                        destructive,
                        op_kind: entry.op.kind(),
                        op_index: oi + 1,
                        actions: step.actions,
                    };
                    match slot {
                        Some(slot) => placed.entry((slot, ci)).or_default().push(planned),
                        None => pending.push(PendingStep {
                            change: change.file.path.clone(),
                            release: change.release.value.clone(),
                            description: planned.description,
                            waits_for: if gap == 1 {
                                format!("contract of the release after {}", releases.name(r))
                            } else {
                                format!(
                                    "contract of the release {gap} releases after {}",
                                    releases.name(r)
                                )
                            },
                        }),
                    }
                }
            }
        }
        views.push(schema.view());
        let selected = if made_schema {
            Some(crate::sql::views::schema_name(
                &config.view_schema_prefix,
                releases.name(r),
            ))
        } else {
            view_schemas.last().cloned().flatten()
        };
        view_schemas.push(selected);
    }

    drop_tightening_of_retired_columns(&mut placed, &views, &releases);

    // Render: baseline first, then each slot in apply order, changes in release then
    // file-name order within it.
    let render = renderer(config, &project.templates);
    let mut physical = Physical::default();
    let mut files = Vec::new();
    let baseline_actions: Vec<Action> = baseline_actions(&project.baseline);
    let refs: Vec<&Action> = baseline_actions.iter().collect();
    let rendered = match render_actions(render.as_ref(), &mut physical, &refs)? {
        Ok(r) => r,
        Err(u) => {
            return Err(Diag::input(format!(
                "the baseline schema cannot be created in {}: {}",
                config.dialect.name(),
                u.0
            ))
            .into())
        }
    };
    files.push(PlannedFile {
        slot: Slot::Baseline,
        change: None,
        change_path: None,
        steps: vec![PlannedStep {
            description: "create the baseline schema".into(),
            destructive: false,
            op_kind: "baseline",
            op_index: 0,
            actions: baseline_actions.clone(),
        }],
        rendered,
        version: 0,
        path: String::new(),
        content: String::new(),
    });
    let mut ordered: Vec<((Slot, usize), Vec<PlannedStep>)> = placed.into_iter().collect();
    ordered.sort_by_key(|((slot, ci), _)| {
        let change = &project.changes[*ci];
        (slot.order(), releases.index(&change.release.value), *ci)
    });
    for ((slot, ci), steps) in ordered {
        let actions: Vec<&Action> = steps.iter().flat_map(|s| s.actions.iter()).collect();
        let before = physical.clone();
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
            Err(unsupported) => {
                let change = &project.changes[ci];
                // The step whose action was refused: the first whose actions, with
                // those of the steps before it, do not render.
                let mut failing = steps.len().saturating_sub(1);
                for n in 1..=steps.len() {
                    let prefix: Vec<&Action> =
                        steps[..n].iter().flat_map(|s| s.actions.iter()).collect();
                    let mut scratch = before.clone();
                    if render_actions(render.as_ref(), &mut scratch, &prefix)?.is_err() {
                        failing = n - 1;
                        break;
                    }
                }
                let step = &steps[failing];
                let location = change
                    .ops
                    .get(step.op_index - 1)
                    .map(|o| o.location.clone());
                problems.push(
                    Diag::refused(format!(
                        "{} cannot do this safely: {}",
                        config.dialect.name(),
                        unsupported.0
                    ))
                    .at_opt(location)
                    .label(format!("{} op of {}", step.op_kind, change.file.path))
                    .note(format!("dialect: {}", config.dialect.name()))
                    .help("use a `sql` op with SQL of your own for this dialect"),
                );
            }
        }
    }

    let mut plan = Plan {
        releases,
        views,
        view_schemas,
        view_renames,
        files,
        pending,
        notes,
        problems,
    };
    layout::assign(project, &mut plan)?;
    Ok(plan)
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

/// The refusal of a `contract_release` that asks for a release too early.
fn refusal(
    releases: &Releases,
    r: usize,
    gap: usize,
    asked_index: usize,
    location: Location,
    removal: &Removal,
) -> Diag {
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
    } else {
        diag.note(format!(
            "release {asked} is only {} release(s) after {release}, the release whose code stops using {subject}; min_release_gap is {gap}",
            asked_index - r
        ))
    };
    match releases.after(r, gap) {
        Some(e) => {
            let e = releases.name(e);
            diag.help(format!(
                "{verb} in contract({e}) or later (remove contract_release, or set it to \"{e}\")"
            ))
        }
        None => match crate::release::parse_semver(release) {
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

/// Every release name the project mentions, validated and ordered.
fn collect_releases(project: &Project) -> Result<Releases> {
    let config = &project.config;
    let order = &config.order;
    let mut names: Vec<String> = config
        .listed_releases
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    let mut mentioned: Vec<(String, Location)> = Vec::new();
    for change in &project.changes {
        mentioned.push((
            change.release.value.clone(),
            change.release.location.clone(),
        ));
        for entry in &change.ops {
            if let Some(cr) = &entry.contract_release {
                mentioned.push((cr.value.clone(), cr.location.clone()));
            }
        }
    }
    for (name, location) in &mentioned {
        if let Err((message, help)) = order.validate(name) {
            return Err(Diag::input(message)
                .at(location.clone())
                .label("cannot be ordered")
                .help(help)
                .into());
        }
        names.push(name.clone());
    }
    for cut in &project.lock.releases {
        if order.validate(&cut.name).is_ok() {
            names.push(cut.name.clone());
        } else {
            return Err(Diag::input(format!(
                "tandem.lock names release `{}`, which cannot be ordered",
                cut.name
            ))
            .into());
        }
    }
    // `v1.4.0` and `1.4.0` are the same version, and so are `1.4.0+build.7` and
    // `1.4.0` (build metadata has no precedence): one name per version.
    if matches!(order, ReleaseOrder::Semver) {
        // Where a name was written is looked up only for the error: a scan per name
        // would make this quadratic in the number of changes.
        let located = |n: &str| {
            mentioned
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, l)| l.clone())
        };
        let mut seen: BTreeMap<semver::Version, &str> = BTreeMap::new();
        for name in &names {
            let mut version = parse_semver(name).expect("validated");
            version.build = semver::BuildMetadata::EMPTY;
            match seen.get(&version) {
                Some(other) if *other != name.as_str() => {
                    return Err(Diag::input(format!(
                        "releases `{other}` and `{name}` name the same version"
                    ))
                    .at_opt(located(name))
                    .label("same version, different spelling")
                    .help(if other.contains('+') || name.contains('+') {
                        "build metadata (`+...`) does not order versions: semver gives \
                         `1.0.0+build.7` the precedence of `1.0.0`, so these would be one \
                         release; bump the version (`1.0.1`, or a pre-release `1.0.0-rc.2`) \
                         or write one spelling everywhere"
                            .to_string()
                    } else {
                        format!("write it as \"{other}\" everywhere")
                    })
                    .into());
                }
                Some(_) => {}
                None => {
                    seen.insert(version, name);
                }
            }
        }
    }
    Ok(Releases::new(order, names))
}
