//! The pieces of a plan: where a step runs (its slot), the placed steps, the files they
//! make, the steps still waiting for their release, and the notes on ops.

use std::collections::HashMap;

use serde::Serialize;

use crate::action::Action;
use crate::lock::{steps_digest, DigestedStep};
use crate::sql::render::Rendered;

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

/// The releases in which each change (by index into `Project::changes`) already has a
/// contract file, on disk or in the lock, by name: the layout reads them from the files.
pub type WrittenContracts = HashMap<usize, Vec<String>>;
