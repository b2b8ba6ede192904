//! Hotfixes against what later releases were written with. A change tagged an earlier
//! release than files already written (on disk or in tandem.lock) is folded before them,
//! so it can change what those files would say now. Where it changes what tandem.lock's
//! digest does not see, the MySQL placeholder default of a retiring column, the written
//! file stays as it is (frozen) or is rewritten under databases that applied it: both are
//! refused here, naming the hotfix.

use std::collections::{BTreeSet, HashMap};

use crate::action::Action;
use crate::diag::Diag;
use crate::project::Project;
use crate::sql::Dialect;
use crate::types::Literal;

use super::fold::{fold, FoldedOp};
use super::planned::{PlannedFile, WrittenContracts};
use super::rule::Rule;
use crate::release::Releases;

/// A column relaxed by one change: (change, table, column).
type Relaxed = (usize, String, String);

/// The refusals of hotfixes that change the placeholder default a later release's file
/// was written with, in a plan of `releases` and `files`. `on_disk[i]` says whether
/// `files[i]` is already written. A
/// hotfix change is one with no file written, tagged a release before the latest one
/// that has files: what those files say was planned without it.
pub fn placeholder_refusals(
    project: &Project,
    written: &WrittenContracts,
    releases: &Releases,
    files: &[PlannedFile],
    on_disk: &[bool],
) -> Vec<Diag> {
    let plan = Planned { releases, files };
    if project.config.dialect != Dialect::Mysql {
        return Vec::new();
    }
    let Some(latest) = plan
        .files
        .iter()
        .zip(on_disk)
        .filter(|(_, &w)| w)
        .filter_map(|(f, _)| f.slot.release())
        .max()
    else {
        return Vec::new();
    };
    let with_files: BTreeSet<usize> = plan
        .files
        .iter()
        .zip(on_disk)
        .filter(|(_, &w)| w)
        .filter_map(|(f, _)| f.change)
        .collect();
    let hotfixes: BTreeSet<usize> = (0..project.changes.len())
        .filter(|ci| !with_files.contains(ci))
        .filter(|&ci| release_of(project, &plan, ci).is_some_and(|r| r < latest))
        .collect();
    // Per release of a written file, the relaxed columns as planned without the hotfixes
    // before it, as its files were written. `None` where the project does not plan
    // without them (a later change needs what a hotfix makes): nothing to compare.
    let mut before: HashMap<usize, Option<HashMap<Relaxed, Option<Literal>>>> = HashMap::new();
    let mut out = Vec::new();
    for (file, _) in plan.files.iter().zip(on_disk).filter(|(_, &w)| w) {
        let (Some(ci), Some(r)) = (file.change, file.slot.release()) else {
            continue;
        };
        let earlier: BTreeSet<usize> = hotfixes
            .iter()
            .copied()
            .filter(|&h| release_of(project, &plan, h).is_some_and(|hr| hr < r))
            .collect();
        if earlier.is_empty() {
            continue;
        }
        let written_as = before
            .entry(r)
            .or_insert_with(|| placeholders_without(project, written, &plan, &earlier));
        let Some(written_as) = written_as else {
            continue;
        };
        for action in file.steps.iter().flat_map(|s| &s.actions) {
            let Action::DropNotNull {
                table,
                column,
                placeholder: now,
            } = action
            else {
                continue;
            };
            let key = (ci, table.clone(), column.name.clone());
            let Some(Some(was)) = written_as.get(&key) else {
                continue;
            };
            if now.as_ref() == Some(was) {
                continue;
            }
            let culprits = culprits(project, written, &plan, &earlier, &key, was);
            out.push(refusal(project, &plan, &file.path, r, &key, was, &culprits));
        }
    }
    out
}

/// Which of the hotfix changes `earlier` alone changes the placeholder `was` of `key`;
/// all of them when none does on its own.
fn culprits(
    project: &Project,
    written: &WrittenContracts,
    plan: &Planned,
    earlier: &BTreeSet<usize>,
    key: &Relaxed,
    was: &Literal,
) -> Vec<usize> {
    let alone_changes = |h: usize| {
        let others: BTreeSet<usize> = earlier.iter().copied().filter(|&o| o != h).collect();
        placeholders_without(project, written, plan, &others)
            .is_some_and(|relaxed| relaxed.get(key).is_some_and(|p| p.as_ref() != Some(was)))
    };
    let found: Vec<usize> = earlier
        .iter()
        .copied()
        .filter(|&h| alone_changes(h))
        .collect();
    if found.is_empty() {
        earlier.iter().copied().collect()
    } else {
        found
    }
}

/// The parts of a plan the check reads.
struct Planned<'a> {
    releases: &'a Releases,
    files: &'a [PlannedFile],
}

/// The release index of change `ci`.
fn release_of(project: &Project, plan: &Planned, ci: usize) -> Option<usize> {
    plan.releases.index(&project.changes[ci].release.value)
}

/// The placeholder of every column a change relaxes, folded without the `skipped`
/// changes; `None` when the project does not fold without them.
fn placeholders_without(
    project: &Project,
    written: &WrittenContracts,
    plan: &Planned,
    skipped: &BTreeSet<usize>,
) -> Option<HashMap<Relaxed, Option<Literal>>> {
    let rule = Rule::new(
        plan.releases,
        project.config.min_release_gap,
        written,
        &project.lock,
    );
    let folded = fold(project, plan.releases, &rule, skipped).ok()?;
    Some(relaxed_columns(&folded.ops))
}

fn relaxed_columns(ops: &[FoldedOp]) -> HashMap<Relaxed, Option<Literal>> {
    let mut out = HashMap::new();
    for op in ops {
        for action in op.steps.iter().flat_map(|s| &s.actions) {
            if let Action::DropNotNull {
                table,
                column,
                placeholder,
            } = action
            {
                out.insert(
                    (op.change, table.clone(), column.name.clone()),
                    placeholder.clone(),
                );
            }
        }
    }
    out
}

/// A literal as MySQL reads it, for messages.
fn shown(value: &Literal) -> String {
    match value {
        Literal::Str(s) => format!("'{}'", s.replace('\'', "''")),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => f.to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// The refusal of the hotfix changes `culprits`: the file `path` of release `r` gives the
/// column of `key` the placeholder `was`, which they make unsafe or obsolete.
fn refusal(
    project: &Project,
    plan: &Planned,
    path: &str,
    r: usize,
    key: &Relaxed,
    was: &Literal,
    culprits: &[usize],
) -> Diag {
    let (_, table, column) = key;
    let later = plan.releases.name(r);
    let first = &project.changes[culprits[0]];
    let hotfix = &first.release.value;
    let value = shown(was);
    let files: Vec<&str> = culprits
        .iter()
        .map(|&c| project.changes[c].file.path.as_str())
        .collect();
    let frozen = project.lock.is_cut(later);
    let mut diag = Diag::refused(format!(
        "refused: hotfix {hotfix} changes how release {later} relaxes {table}.{column}, whose file was written with the placeholder default {value}"
    ))
    .at(first.release.location.clone())
    .label(format!("{} is folded before {later}", files.join(", ")))
    .note(format!(
        "{path} lets {later}'s inserts leave out {table}.{column} by giving it the default {value} (MySQL drops NOT NULL only by rebuilding the table); it was written before {hotfix}, and {}",
        if frozen {
            format!("{later} is cut, so it stays as it is")
        } else {
            "databases may have applied it, so it must not change".to_string()
        }
    ))
    .note(format!(
        "with {hotfix}, a key, index, foreign key or check involves {table}.{column} when {later} relaxes it: every insert of {later}'s code would write {value}, and the second fails (Duplicate entry {value}), or the first fails the check or foreign key"
    ));
    let way_out = format!(
        "leave {table}.{column} unconstrained in {hotfix} (a plain index instead of a unique one; a check or foreign key enforced by {hotfix}'s code instead): {later}'s code no longer writes it and its contract drops it"
    );
    diag = if frozen {
        diag.help(way_out)
    } else {
        diag.help(format!(
            "{way_out}; or, if no database has applied {path} yet, delete it and run `tandem generate`: {later}'s expand then drops NOT NULL instead"
        ))
    };
    diag
}
