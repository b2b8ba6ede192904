//! Where each database of a fleet stands: the targets opened against the project, each
//! one's position in the apply order read from its own history (the truth), how many
//! releases it is behind, and the last error a fleet run met on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::status::PhaseState;
use super::targets::Targets;
use super::{connect, history, source_for, Source, Target};
use crate::config::Config;
use crate::diag::{Diag, Result};
use crate::plan::{Plan, Slot};
use crate::project::Project;

/// One target of the fleet, its URL resolved against the project.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub wave: u32,
    pub target: Target,
    pub source: Source,
}

/// The project's plan for its own dialect, and (when a target is a SQLite database
/// under a server-dialect project) the same plan rendered for SQLite.
pub struct Plans {
    pub files: (Project, Plan),
    pub rendered: Option<(Project, Plan)>,
}

impl Plans {
    pub fn load(root: &Path, members: &[Member]) -> Result<Plans> {
        let project = Project::load(root)?;
        let plan = crate::layout::build_plan(&project)?;
        let rendered = if members.iter().any(|m| m.source == Source::Rendered) {
            let mut sqlite = Project::load(root)?;
            sqlite.config.dialect = crate::sql::Dialect::Sqlite;
            let plan = crate::layout::build_plan(&sqlite)?;
            Some((sqlite, plan))
        } else {
            None
        };
        Ok(Plans {
            files: (project, plan),
            rendered,
        })
    }

    /// The settings and plan a target of `source` is migrated with.
    pub fn for_source(&self, source: Source) -> (&Config, &Plan) {
        let (project, plan) = match (source, &self.rendered) {
            (Source::Rendered, Some(r)) => r,
            _ => &self.files,
        };
        (&project.config, plan)
    }

    pub fn plan(&self) -> &Plan {
        &self.files.1
    }
}

/// Every target resolved: a URL that does not parse, an in-memory SQLite database, or a
/// server of another dialect than the project's is an input error naming the target.
pub fn open_members(config: &Config, targets: &Targets) -> Result<Vec<Member>> {
    let mut out = Vec::new();
    for t in &targets.list {
        let named = |message: String| Diag::input(format!("target `{}`: {message}", t.name));
        let target = super::resolve_in(config, &t.url, &targets.base).map_err(named)?;
        if matches!(target, Target::SqliteMemory) {
            return Err(
                named("an in-memory SQLite database keeps nothing between runs".into())
                    .help("give it a file: url = \"sqlite://tenant.db\"")
                    .into(),
            );
        }
        let source = source_for(config, &target).map_err(|e| {
            let mut e = e;
            for d in &mut e.diags {
                d.message = format!("target `{}`: {}", t.name, d.message);
            }
            e
        })?;
        if let Some(same) = out
            .iter()
            .find(|m: &&Member| same_database(&m.target, &target))
        {
            return Err(named(format!(
                "it is the same database as target `{}` ({})",
                same.name,
                target.display()
            ))
            .help("list each database once: two runs on one database at once would race")
            .into());
        }
        out.push(Member {
            name: t.name.clone(),
            wave: t.wave,
            target,
            source,
        });
    }
    Ok(out)
}

/// Whether two targets name one database: the same server URL, or the same SQLite file
/// however its path is written (`a.db`, `./a.db`, through a symbolic link).
fn same_database(a: &Target, b: &Target) -> bool {
    let file = |t: &Target| match t {
        Target::SqliteFile(p) => Some(p.canonicalize().unwrap_or_else(|_| {
            p.components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect()
        })),
        _ => None,
    };
    match (file(a), file(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => a.display() == b.display(),
        _ => false,
    }
}

/// The versions a target's history has (none when its SQLite file does not exist yet).
pub fn applied_versions(target: &Target) -> std::result::Result<BTreeSet<i64>, String> {
    if let Target::SqliteFile(path) = target {
        if !path.exists() {
            return Ok(BTreeSet::new());
        }
    }
    let mut db = connect(target, false).map_err(|e| e.render().trim().to_string())?;
    let rows = history(&mut db).map_err(|e| e.to_string())?;
    Ok(rows.into_iter().map(|(v, _)| v).collect())
}

/// Every slot of the plan in apply order.
pub fn slots(plan: &Plan) -> Vec<Slot> {
    std::iter::once(Slot::Baseline)
        .chain((0..plan.releases.len()).flat_map(|r| [Slot::Expand(r), Slot::Contract(r)]))
        .collect()
}

/// How far each slot is applied, by the versions of a history.
pub fn states(plan: &Plan, applied: &BTreeSet<i64>) -> Vec<(Slot, PhaseState)> {
    slots(plan)
        .into_iter()
        .map(|slot| {
            let versions: Vec<i64> = plan.files_in(slot).map(|f| f.version).collect();
            let done = versions.iter().filter(|v| applied.contains(v)).count();
            let state = match (versions.len(), done) {
                (0, _) => PhaseState::Empty,
                (n, d) if n == d => PhaseState::Applied,
                (_, 0) => PhaseState::NotApplied,
                _ => PhaseState::Partial,
            };
            (slot, state)
        })
        .collect()
}

/// The latest slot with files of its own that is applied, with every file before it;
/// `None` when not even the baseline is.
pub fn position(states: &[(Slot, PhaseState)]) -> Option<Slot> {
    let mut at = None;
    for (slot, state) in states {
        match state {
            PhaseState::Applied => at = Some(*slot),
            PhaseState::Empty => {}
            _ => break,
        }
    }
    at
}

/// Whether every file up to `slot` is applied.
pub fn reached(states: &[(Slot, PhaseState)], slot: Slot) -> bool {
    states
        .iter()
        .filter(|(s, _)| s.order() <= slot.order())
        .all(|(_, st)| matches!(st, PhaseState::Applied | PhaseState::Empty))
}

/// `expand(1.4.0)`, `baseline`, or `nothing applied`.
pub fn position_label(plan: &Plan, at: Option<Slot>) -> String {
    match at {
        Some(slot) => super::migrate::slot_label(plan, slot),
        None => "nothing applied".into(),
    }
}

/// How many releases' expands a target at `at` has still to apply.
pub fn behind(plan: &Plan, at: Option<Slot>) -> usize {
    let done = match at {
        None | Some(Slot::Baseline) => 0,
        Some(Slot::Expand(r) | Slot::Contract(r)) => r + 1,
    };
    plan.releases.len().saturating_sub(done)
}

/// What a fleet run last said of one database, kept between runs so that `status
/// --targets` can show the last error (the histories hold what succeeded).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastRun {
    pub at: String,
    /// `expand(1.4.0)`: what the run was taking it to.
    pub goal: String,
    pub error: Option<String>,
}

/// Where the last runs are kept: `.tandem/fleet-last-run.json` in the project.
pub fn last_run_path(config: &Config) -> PathBuf {
    config.root.join(".tandem").join("fleet-last-run.json")
}

/// The last run's word on each database (by its URL as displayed); empty when none ran.
pub fn read_last_runs(config: &Config) -> BTreeMap<String, LastRun> {
    std::fs::read_to_string(last_run_path(config))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps `run` as the last word on `database`: written whole to a temporary file and
/// moved in, so a run killed half-way leaves the previous record, never half of one.
pub fn write_last_run(config: &Config, database: &str, run: LastRun) -> std::io::Result<()> {
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let path = last_run_path(config);
    let mut all = read_last_runs(config);
    all.insert(database.to_string(), run);
    std::fs::create_dir_all(path.parent().expect("in .tandem"))?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    std::fs::write(&tmp, serde_json::to_string_pretty(&all).expect("json"))?;
    std::fs::rename(&tmp, &path)
}

/// One release's phases on one target.
#[derive(Debug, Serialize)]
pub struct ReleaseCell {
    pub release: String,
    pub expand: PhaseState,
    pub contract: PhaseState,
    /// Why its next phase cannot run yet on this target, when it cannot.
    pub blocked: Option<String>,
}

/// Where one target stands.
#[derive(Debug, Serialize)]
pub struct TargetStatus {
    pub name: String,
    pub wave: u32,
    pub database: String,
    /// `contract(1.3.0)`, `nothing applied`, or `unknown` when it could not be read.
    pub position: String,
    /// Releases whose expand it has still to apply.
    pub behind: Option<usize>,
    pub releases: Vec<ReleaseCell>,
    /// The error reading it now, else the last fleet run's error on it.
    pub last_error: Option<String>,
}

/// Where every target of a fleet stands.
#[derive(Debug, Serialize)]
pub struct FleetStatus {
    pub latest: String,
    pub targets: Vec<TargetStatus>,
    /// How many targets are at each position, in apply order.
    pub summary: Vec<(String, usize)>,
}

/// Reads every target's history and puts them side by side.
pub fn fleet_status(plans: &Plans, members: &[Member]) -> FleetStatus {
    let plan = plans.plan();
    let config = &plans.files.0.config;
    let last = read_last_runs(config);
    let read: Vec<std::result::Result<Vec<(Slot, PhaseState)>, String>> = members
        .iter()
        .map(|m| applied_versions(&m.target).map(|a| states(plan, &a)))
        .collect();
    let lacking_expand = |r: usize| -> Vec<&str> {
        members
            .iter()
            .zip(&read)
            .filter(|(_, s)| match s {
                Ok(s) => !reached(s, Slot::Expand(r)),
                Err(_) => true,
            })
            .map(|(m, _)| m.name.as_str())
            .collect()
    };
    let barriers: Vec<Vec<&str>> = (0..plan.releases.len()).map(lacking_expand).collect();
    let mut targets = Vec::new();
    for (m, states) in members.iter().zip(&read) {
        let database = m.target.display();
        let last_error = last.get(&database).and_then(|l| {
            l.error
                .as_ref()
                .map(|e| format!("{} (last run, {} to {})", e, l.at, l.goal))
        });
        let (position_text, behind_by, releases, last_error) = match states {
            Ok(states) => {
                let at = position(states);
                let cells = cells(plan, states, at, &barriers);
                (
                    position_label(plan, at),
                    Some(behind(plan, at)),
                    cells,
                    last_error,
                )
            }
            Err(e) => ("unknown".to_string(), None, Vec::new(), Some(e.clone())),
        };
        targets.push(TargetStatus {
            name: m.name.clone(),
            wave: m.wave,
            database,
            position: position_text,
            behind: behind_by,
            releases,
            last_error,
        });
    }
    let mut summary: Vec<(String, usize)> = Vec::new();
    let mut order: Vec<(usize, String)> = targets
        .iter()
        .zip(&read)
        .map(|(t, s)| {
            let rank = s
                .as_ref()
                .ok()
                .and_then(|s| position(s))
                .map_or(0, |p| p.order() + 1);
            (
                if s.is_err() { usize::MAX } else { rank },
                t.position.clone(),
            )
        })
        .collect();
    order.sort();
    for (_, p) in order {
        match summary.last_mut() {
            Some((q, n)) if *q == p => *n += 1,
            _ => summary.push((p, 1)),
        }
    }
    FleetStatus {
        latest: plan.releases.names().last().cloned().unwrap_or_default(),
        targets,
        summary,
    }
}

/// A target's phases per release, and what holds the next one back.
fn cells(
    plan: &Plan,
    states: &[(Slot, PhaseState)],
    at: Option<Slot>,
    barriers: &[Vec<&str>],
) -> Vec<ReleaseCell> {
    let state = |slot: Slot| {
        states
            .iter()
            .find(|(s, _)| *s == slot)
            .map_or(PhaseState::Empty, |(_, st)| *st)
    };
    let next = next_slot(states, at);
    (0..plan.releases.len())
        .map(|r| {
            let blocked = match next {
                Some(Slot::Contract(k)) if k == r && !barriers[r].is_empty() => Some(format!(
                    "contract({}) waits for expand({}) on {}",
                    plan.releases.name(r),
                    plan.releases.name(r),
                    shortlist(&barriers[r])
                )),
                _ => None,
            };
            ReleaseCell {
                release: plan.releases.name(r).to_string(),
                expand: state(Slot::Expand(r)),
                contract: state(Slot::Contract(r)),
                blocked,
            }
        })
        .collect()
}

/// The first slot after `at` with files to apply.
pub fn next_slot(states: &[(Slot, PhaseState)], at: Option<Slot>) -> Option<Slot> {
    states
        .iter()
        .filter(|(s, st)| at.is_none_or(|a| s.order() > a.order()) && *st != PhaseState::Empty)
        .map(|(s, _)| *s)
        .next()
}

/// `a, b, c and 4 more`.
pub fn shortlist(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}
