//! `migrate --targets`: one release's phase over a fleet of databases. The fleet moves
//! forward slot by slot of the apply order (a target several releases behind is brought
//! through each expand and contract in turn), each slot wave by wave (a wave starts only
//! when every target of the wave before it succeeded), each wave with at most
//! `--parallel` targets at a time. A contract starts on no target until every target has
//! applied the expand of its release and each target's gate has passed (the phase
//! barrier). Each target's own history is the only state: a run killed at any moment and
//! started again reads where every target is and goes on from there.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::fleet::{self, FleetOptions};
use super::fleet_status::{
    applied_versions, position, position_label, reached, shortlist, slots, states, write_last_run,
    LastRun, Member, Plans,
};
use crate::diag::{Diag, Result};
use crate::plan::{Plan, Slot};

/// What a fleet run is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where every target should end: `expand(R)` or `contract(R)`.
    pub slot: Slot,
    /// How many targets run at once (at least 1).
    pub parallel: usize,
    /// Stop starting targets once this many have failed.
    pub max_failures: Option<usize>,
    /// `--force-barrier --reason TEXT`: contract even where a target lacks the expand.
    pub force_barrier: Option<String>,
    pub gate: FleetOptions,
}

/// How a target came out of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Brought to the goal by this run.
    Migrated,
    /// At the goal (or past it) before the run.
    AlreadyThere,
    Failed,
    /// Left short of the goal without failing: its wave or slot was not started.
    NotReached,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Migrated => "migrated",
            State::AlreadyThere => "already there",
            State::Failed => "FAILED",
            State::NotReached => "not reached",
        }
    }
}

/// One target's outcome.
#[derive(Debug, Serialize)]
pub struct TargetOutcome {
    pub name: String,
    pub wave: u32,
    pub database: String,
    pub before: String,
    pub after: String,
    pub state: State,
    /// Files this run applied to it, in order.
    pub applied: Vec<String>,
    /// Time spent on it (gates and migrates).
    pub seconds: f64,
    pub error: Option<String>,
    /// Why it was left short of the goal.
    pub why: Option<String>,
}

/// What a fleet run did.
#[derive(Debug, Serialize)]
pub struct FleetOutcome {
    pub goal: String,
    pub targets: Vec<TargetOutcome>,
    /// Why the run stopped before the goal, when it did.
    pub stopped: Option<String>,
    /// The reason given with `--force-barrier`, recorded on each target it contracted.
    pub forced_barrier: Option<String>,
    pub seconds: f64,
}

impl FleetOutcome {
    pub fn failed(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.state == State::Failed)
            .count()
    }
}

/// What the run knows of one target as it goes.
struct Progress {
    applied: Option<BTreeSet<i64>>,
    files: Vec<String>,
    seconds: f64,
    error: Option<String>,
}

/// Runs the fleet to `request.slot`. A contract refused by the barrier or by a gate is
/// an error (exit 1) before anything runs; a target that fails is reported in the
/// outcome, and the run stops starting others at the end of its wave.
pub fn run(plans: &Plans, members: &[Member], request: &Request) -> Result<FleetOutcome> {
    let started = Instant::now();
    let plan = plans.plan();
    if !plan.problems.is_empty() {
        return Err(crate::diag::Error {
            diags: plan.problems.clone(),
        });
    }
    let read = pool(members, request.parallel, &|| false, |m| {
        applied_versions(&m.target)
    });
    let before: Vec<String> = read
        .iter()
        .map(|r| match r {
            Some(Ok(a)) => position_label(plan, position(&states(plan, a))),
            _ => "unknown".to_string(),
        })
        .collect();
    let progress: Vec<Mutex<Progress>> = read
        .into_iter()
        .map(|r| {
            let (applied, error) = match r {
                Some(Ok(a)) => (Some(a), None),
                Some(Err(e)) => (None, Some(e)),
                None => (None, None),
            };
            Mutex::new(Progress {
                applied,
                files: Vec::new(),
                seconds: 0.0,
                error,
            })
        })
        .collect();
    if let Slot::Contract(r) = request.slot {
        barrier(
            plan,
            members,
            &progress,
            r,
            request.force_barrier.as_deref(),
        )?;
    }
    // A target that could not be read is tried again by its migrate, which names the
    // error as it meets it.
    for p in &progress {
        let mut p = lock(p);
        if p.applied.is_none() {
            p.error = None;
        }
    }
    let stopped = advance(plans, members, &progress, request)?;
    Ok(outcome(
        plan, members, progress, before, request, stopped, started,
    ))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The phase barrier: every target has applied expand(r) (all files up to it), unless
/// `--force-barrier` says why not.
fn barrier(
    plan: &Plan,
    members: &[Member],
    progress: &[Mutex<Progress>],
    r: usize,
    forced: Option<&str>,
) -> Result<()> {
    let expand = Slot::Expand(r);
    let mut lacking = Vec::new();
    for (m, p) in members.iter().zip(progress) {
        let p = lock(p);
        match &p.applied {
            Some(a) => {
                let states = states(plan, a);
                if !reached(&states, expand) {
                    let at = position_label(plan, position(&states));
                    lacking.push(format!("{} is at {at}", m.name));
                }
            }
            None => lacking.push(format!(
                "{} could not be read: {}",
                m.name,
                p.error.as_deref().unwrap_or("no answer")
            )),
        }
    }
    if lacking.is_empty() {
        return Ok(());
    }
    let release = plan.releases.name(r);
    if let Some(reason) = forced {
        eprintln!(
            "phase barrier: FORCED ({} target(s) lack expand({release})); reason recorded on each target: {reason}",
            lacking.len()
        );
        return Ok(());
    }
    let mut diag = Diag::refused(format!(
        "phase barrier: contract({release}) starts on no target until every target has applied expand({release}); {} target(s) have not",
        lacking.len()
    ));
    for l in &lacking {
        diag = diag.note(l.clone());
    }
    Err(diag
        .help(format!(
            "run `tandem migrate --release {release} --phase expand --targets ...` first, or --force-barrier --reason \"...\" to contract anyway (recorded on each target)"
        ))
        .into())
}

/// Moves the fleet slot by slot up to the goal; returns why it stopped short, if it did.
fn advance(
    plans: &Plans,
    members: &[Member],
    progress: &[Mutex<Progress>],
    request: &Request,
) -> Result<Option<String>> {
    let plan = plans.plan();
    let failures = AtomicUsize::new(0);
    // Forced past the barrier, each target goes to the goal on its own, not waiting for
    // the others at each slot.
    let steps: Vec<Slot> = if request.force_barrier.is_some() {
        vec![request.slot]
    } else {
        slots(plan)
            .into_iter()
            .filter(|s| s.order() <= request.slot.order() && plan.files_in(*s).next().is_some())
            .collect()
    };
    let last_step = steps.len().saturating_sub(1);
    for (step_index, step) in steps.into_iter().enumerate() {
        let up_to: Vec<i64> = plan
            .files
            .iter()
            .filter(|f| f.slot.order() <= step.order())
            .map(|f| f.version)
            .collect();
        let due: Vec<usize> = (0..members.len())
            .filter(|&i| {
                let p = lock(&progress[i]);
                p.applied
                    .as_ref()
                    .is_none_or(|a| up_to.iter().any(|v| !a.contains(v)))
            })
            .collect();
        if due.is_empty() {
            continue;
        }
        let label = super::migrate::slot_label(plan, step);
        if let Slot::Contract(r) = step {
            gate_all(plans, members, progress, &due, (step, r), request)?;
        }
        let mut waves: Vec<u32> = due.iter().map(|&i| members[i].wave).collect();
        waves.sort_unstable();
        waves.dedup();
        let last_wave = waves.len() - 1;
        for (wave_index, wave) in waves.into_iter().enumerate() {
            let in_wave: Vec<usize> = due
                .iter()
                .copied()
                .filter(|&i| members[i].wave == wave)
                .collect();
            let stop = || {
                request
                    .max_failures
                    .is_some_and(|k| failures.load(Ordering::SeqCst) >= k)
            };
            let results = pool(&in_wave, request.parallel, &stop, |&i| {
                let ok = migrate_one(plans, &members[i], &progress[i], step, request);
                if !ok {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                ok
            });
            let failed = results.iter().filter(|r| **r == Some(false)).count();
            if let Some(k) = request.max_failures.filter(|_| stop()) {
                return Ok(Some(format!(
                    "--max-failures {k} reached during wave {wave} of {label}: no target started after that"
                )));
            }
            if failed > 0 {
                let rest = if wave_index < last_wave || step_index < last_step {
                    ": later waves and phases not started"
                } else {
                    ""
                };
                return Ok(Some(format!(
                    "{failed} target(s) of wave {wave} failed {label}{rest}"
                )));
            }
        }
    }
    Ok(None)
}

/// Before contract(r): each due target's gate, all of them before any contract starts,
/// and the forced barrier recorded on each.
fn gate_all(
    plans: &Plans,
    members: &[Member],
    progress: &[Mutex<Progress>],
    due: &[usize],
    (step, r): (Slot, usize),
    request: &Request,
) -> Result<()> {
    let plan = plans.plan();
    let label = super::migrate::slot_label(plan, step);
    let results = pool(due, request.parallel, &|| false, |&i| {
        let m = &members[i];
        let forced = request
            .force_barrier
            .as_ref()
            .filter(|_| step == request.slot)
            .map(|reason| {
                let mut db = super::connect(&m.target, true)?;
                fleet::record(
                    &mut db,
                    plan.releases.name(r),
                    "contract",
                    &format!("--force-barrier: {reason}"),
                )
            });
        if let Some(Err(e)) = forced {
            return Err(e);
        }
        fleet::gate_before_migrate(&m.target, &request.gate, &plan.releases, r, true)
    });
    let mut refused = Vec::new();
    for (&i, result) in due.iter().zip(results) {
        if let Some(Err(e)) = result {
            let text = e.render().trim().to_string();
            lock(&progress[i]).error = Some(text.clone());
            refused.push(format!("{}: {}", members[i].name, text));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = refused.iter().filter_map(|r| r.split(':').next()).collect();
    let mut diag = Diag::refused(format!(
        "phase barrier: {label} starts on no target: the gate refused it on {}",
        shortlist(&names)
    ));
    for r in &refused {
        diag = diag.note(r.clone());
    }
    Err(diag.into())
}

/// Migrates one target to `step` (its gate first, for an expand); records the outcome in
/// its progress and in the last-run file. Says on stderr how it went.
fn migrate_one(
    plans: &Plans,
    member: &Member,
    progress: &Mutex<Progress>,
    step: Slot,
    request: &Request,
) -> bool {
    let (config, plan) = plans.for_source(member.source);
    let label = super::migrate::slot_label(plan, step);
    let started = Instant::now();
    let result = (|| {
        if let Slot::Expand(r) = step {
            fleet::gate_before_migrate(&member.target, &request.gate, &plan.releases, r, false)?;
        }
        super::migrate::migrate(config, plan, step, &member.target, member.source, false)
    })();
    let seconds = started.elapsed().as_secs_f64();
    let mut p = lock(progress);
    p.seconds += seconds;
    let record = |error: Option<String>| {
        let run = LastRun {
            at: super::now_rfc3339(),
            goal: label.clone(),
            error,
        };
        if let Err(e) = write_last_run(&plans.files.0.config, &member.target.display(), run) {
            eprintln!("warning: cannot keep the last run of {}: {e}", member.name);
        }
    };
    match result {
        Ok(outcome) => {
            let versions = plan
                .files
                .iter()
                .filter(|f| outcome.applied.iter().any(|a| a.path == f.path));
            let applied = p.applied.get_or_insert_with(BTreeSet::new);
            applied.extend(versions.map(|f| f.version));
            // Whatever else the database had, it is now at least at `step`.
            applied.extend(
                plan.files
                    .iter()
                    .filter(|f| f.slot.order() <= step.order())
                    .map(|f| f.version),
            );
            p.files
                .extend(outcome.applied.iter().map(|a| a.path.clone()));
            eprintln!(
                "{}: at {label} ({} file(s) applied, {seconds:.2} s)",
                member.name,
                outcome.applied.len()
            );
            record(None);
            true
        }
        Err(e) => {
            let text = e.render().trim().to_string();
            eprintln!("{}: FAILED {label}", member.name);
            p.error = Some(text.clone());
            record(Some(text));
            false
        }
    }
}

/// Runs `work` over `items` on at most `parallel` threads, in order of the items;
/// an item is not started once `stop` says so (its result is `None`).
fn pool<T: Sync, R: Send>(
    items: &[T],
    parallel: usize,
    stop: &(dyn Fn() -> bool + Sync),
    work: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..parallel.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                if stop() {
                    return;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else {
                    return;
                };
                let r = work(item);
                *lock(&results[i]) = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// Every target's outcome, from what the run learnt of it.
fn outcome(
    plan: &Plan,
    members: &[Member],
    progress: Vec<Mutex<Progress>>,
    before: Vec<String>,
    request: &Request,
    stopped: Option<String>,
    started: Instant,
) -> FleetOutcome {
    let goal = request.slot;
    let targets = members
        .iter()
        .zip(progress)
        .zip(before)
        .map(|((m, p), before)| {
            let p = p.into_inner().unwrap_or_else(|e| e.into_inner());
            let at = p.applied.as_ref().and_then(|a| position(&states(plan, a)));
            let reached = p
                .applied
                .as_ref()
                .is_some_and(|a| reached(&states(plan, a), goal));
            let state = match (&p.error, reached, p.files.is_empty()) {
                (Some(_), _, _) => State::Failed,
                (None, true, true) => State::AlreadyThere,
                (None, true, false) => State::Migrated,
                (None, false, _) => State::NotReached,
            };
            TargetOutcome {
                name: m.name.clone(),
                wave: m.wave,
                database: m.target.display(),
                after: match &p.applied {
                    Some(_) => position_label(plan, at),
                    None => "unknown".into(),
                },
                before,
                state,
                applied: p.files,
                seconds: p.seconds,
                why: (state == State::NotReached).then(|| {
                    stopped
                        .clone()
                        .unwrap_or_else(|| "the run stopped before it".into())
                }),
                error: p.error,
            }
        })
        .collect();
    FleetOutcome {
        goal: super::migrate::slot_label(plan, goal),
        targets,
        stopped,
        forced_barrier: request.force_barrier.clone(),
        seconds: started.elapsed().as_secs_f64(),
    }
}
