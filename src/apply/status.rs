//! `tandem status`: which releases and phases a database has applied, from its history
//! table compared with the generated files.

use serde::Serialize;

use super::{connect, history, Target};
use crate::config::Config;
use crate::diag::{Diag, Result};
use crate::plan::{Plan, Slot};

#[derive(Debug, Serialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    /// No file serves this phase.
    Empty,
    Applied,
    Partial,
    NotApplied,
}

impl PhaseState {
    pub fn word(self) -> &'static str {
        match self {
            PhaseState::Empty => "-",
            PhaseState::Applied => "applied",
            PhaseState::Partial => "partly applied",
            PhaseState::NotApplied => "not applied",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ReleaseStatus {
    pub release: String,
    pub expand: PhaseState,
    pub contract: PhaseState,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub database: String,
    pub baseline: PhaseState,
    pub releases: Vec<ReleaseStatus>,
    /// Generated files the database has not applied, in apply order.
    pub not_applied: Vec<String>,
    /// Versions in the history that no generated file has.
    pub unknown_applied: Vec<String>,
}

pub fn status(config: &Config, plan: &Plan, url: Option<&str>) -> Result<Status> {
    let target = super::resolve(config, url)?;
    let applied = match &target {
        Target::SqliteFile(path) if !path.exists() => Vec::new(),
        _ => {
            let mut db = connect(&target, false)?;
            history(&mut db).map_err(|e| Diag::input(format!("{}: {e}", target.display())))?
        }
    };
    let is_applied = |v: i64| applied.iter().any(|(a, _)| *a == v);
    let state = |slot: Slot| {
        let versions: Vec<i64> = plan.files_in(slot).map(|f| f.version).collect();
        let done = versions.iter().filter(|v| is_applied(**v)).count();
        match (versions.len(), done) {
            (0, _) => PhaseState::Empty,
            (n, d) if d == n => PhaseState::Applied,
            (_, 0) => PhaseState::NotApplied,
            _ => PhaseState::Partial,
        }
    };
    let releases = (0..plan.releases.len())
        .map(|r| ReleaseStatus {
            release: plan.releases.name(r).to_string(),
            expand: state(Slot::Expand(r)),
            contract: state(Slot::Contract(r)),
        })
        .collect();
    Ok(Status {
        database: target.display(),
        baseline: state(Slot::Baseline),
        releases,
        not_applied: plan
            .files
            .iter()
            .filter(|f| !is_applied(f.version))
            .map(|f| f.path.clone())
            .collect(),
        unknown_applied: applied
            .iter()
            .filter(|(v, _)| !plan.files.iter().any(|f| f.version == *v))
            .map(|(v, name)| format!("V{v}__{name}"))
            .collect(),
    })
}

impl Status {
    pub fn text(&self) -> String {
        let mut out = format!("database: {}\n", self.database);
        out.push_str(&format!("  {:<20} {}\n", "baseline", self.baseline.word()));
        for r in &self.releases {
            out.push_str(&format!(
                "  {:<20} expand: {:<15} contract: {}\n",
                r.release,
                r.expand.word(),
                r.contract.word()
            ));
        }
        if self.not_applied.is_empty() {
            out.push_str("every generated file is applied\n");
        } else {
            out.push_str("not applied:\n");
            for p in &self.not_applied {
                out.push_str(&format!("  {p}\n"));
            }
        }
        if !self.unknown_applied.is_empty() {
            out.push_str("applied but not among the generated files:\n");
            for p in &self.unknown_applied {
                out.push_str(&format!("  {p}\n"));
            }
        }
        out
    }
}
