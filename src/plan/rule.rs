//! The rule, as the planner applies it: an op's later steps wait for the contract
//! `min_release_gap` releases after its change's release, unless a contract file already
//! written for the change (before a hotfix was inserted) or the op's `contract_release`
//! keeps them later.

use std::collections::HashMap;

use crate::diag::Location;
use crate::ops::op::{Removal, Step, Timing};
use crate::parse::Located;
use crate::release::Releases;

use super::planned::WrittenContracts;

/// Where later steps go: `gap` releases after the change's own, unless a contract file
/// already written for the change (before a hotfix was inserted) or its op's
/// `contract_release` says otherwise.
pub(super) struct Rule<'a> {
    pub releases: &'a Releases,
    pub gap: usize,
    /// The releases in which each change already has a contract file, as indexes, in
    /// release order.
    written: HashMap<usize, Vec<usize>>,
}

impl<'a> Rule<'a> {
    pub fn new(releases: &'a Releases, gap: usize, written: &WrittenContracts) -> Self {
        let mut known = HashMap::new();
        for (&ci, names) in written {
            let mut found: Vec<usize> = names.iter().filter_map(|r| releases.index(r)).collect();
            found.sort_unstable();
            found.dedup();
            if !found.is_empty() {
                known.insert(ci, found);
            }
        }
        Rule {
            releases,
            gap,
            written: known,
        }
    }

    /// The contract that receives the later steps of change `ci` of release `r` by
    /// default: `gap` releases on, or the first contract at or after that one that the
    /// change was written into, when a release (a hotfix) is inserted before it since.
    pub fn later_release(&self, r: usize, ci: usize) -> Option<usize> {
        self.releases.after(r, self.gap).map(|default| {
            self.written
                .get(&ci)
                .and_then(|found| found.iter().copied().find(|&x| x >= default))
                .unwrap_or(default)
        })
    }

    /// The contract that receives an op's later steps, with its `contract_release` when
    /// that one asks for a release too early (the op is then refused when placed).
    pub fn target(
        &self,
        r: usize,
        ci: usize,
        contract_release: Option<&Located<String>>,
    ) -> (Option<usize>, Option<(usize, Location)>) {
        let default = self.later_release(r, ci);
        let Some(cr) = contract_release else {
            return (default, None);
        };
        let asked = self.releases.index(&cr.value).expect("collected");
        if asked < r + self.gap {
            (default, Some((asked, cr.location.clone())))
        } else {
            (Some(asked), None)
        }
    }
}

/// What an op's first later step removes, if it has one.
pub(super) fn removal_of(steps: &[Step]) -> Option<&Removal> {
    steps.iter().find_map(|s| match &s.timing {
        Timing::Later(removal) => Some(removal),
        _ => None,
    })
}
