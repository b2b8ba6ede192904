//! The rule, as the planner applies it: an op's later steps wait for the contract
//! `min_release_gap` releases after its change's release, unless a contract file already
//! written for the change (before a hotfix was inserted) or the op's `contract_release`
//! keeps them later. A hotfix's later steps also wait for every release cut before it:
//! their code predates the hotfix and still uses what it stops using.

use std::collections::HashMap;

use crate::diag::Location;
use crate::lock::Lock;
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
    /// Per release, the latest later release whose code predates it (see [`predating`]).
    pub predating: Vec<Option<usize>>,
    /// Per release, whether tandem.lock has it cut.
    cut: Vec<bool>,
}

impl<'a> Rule<'a> {
    pub fn new(
        releases: &'a Releases,
        gap: usize,
        written: &WrittenContracts,
        lock: &Lock,
    ) -> Self {
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
            predating: predating(releases, lock),
            cut: (0..releases.len())
                .map(|r| lock.is_cut(releases.name(r)))
                .collect(),
        }
    }

    /// [`Self::earliest`], unless change `ci` already has a contract file in a cut release
    /// at least `gap` after `r`: a lock written before hotfixes waited for the releases cut
    /// before them froze its later steps there, and a frozen file stays.
    fn floor(&self, r: usize, ci: usize) -> usize {
        let frozen = self.written.get(&ci).and_then(|found| {
            found
                .iter()
                .copied()
                .find(|&x| x >= r + self.gap && self.cut[x])
        });
        let earliest = self.earliest(r);
        frozen.map_or(earliest, |x| x.min(earliest))
    }

    /// The earliest contract for the later steps of a change of release `r`: `gap`
    /// releases on; for a hotfix, also `gap` releases after the first release whose code
    /// can know of it (the one after every release cut before it), whose rollback target
    /// still uses what the hotfix stops using. It may not be known yet.
    pub fn earliest(&self, r: usize) -> usize {
        let own = r + self.gap;
        match self.predating[r] {
            Some(last) => own.max(last + 1 + self.gap),
            None => own,
        }
    }

    /// The contract that receives the later steps of change `ci` of release `r` by
    /// default: [`Self::earliest`] (or a frozen one, see [`Self::floor`]), or the first
    /// contract at or after that one that the change was written into, when a release (a
    /// hotfix) is inserted before it since.
    pub fn later_release(&self, r: usize, ci: usize) -> Option<usize> {
        let earliest = self.floor(r, ci);
        (earliest < self.releases.len()).then(|| {
            let default = earliest;
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
        if asked < self.floor(r, ci) {
            (default, Some((asked, cr.location.clone())))
        } else {
            (Some(asked), None)
        }
    }

    /// What a later step of release `r` waits for while that contract is not known yet.
    pub fn waits_for(&self, r: usize) -> String {
        match self.predating[r] {
            Some(last) => format!(
                "contract of the release {} release(s) after {}, the last release whose code predates {}",
                1 + self.gap,
                self.releases.name(last),
                self.releases.name(r)
            ),
            None if self.gap == 1 => {
                format!("contract of the release after {}", self.releases.name(r))
            }
            None => format!(
                "contract of the release {} releases after {}",
                self.gap,
                self.releases.name(r)
            ),
        }
    }
}

/// For each release H, the latest release after it (in release order) whose code
/// predates H: one cut before H, that is cut while H is not, or listed before H in
/// tandem.lock, which records cuts in the order they were made (a cut freezes every
/// release before the one cut, so a release cut after H would have cut H with it).
/// `None` for a release that nothing cut before it follows.
pub(super) fn predating(releases: &Releases, lock: &Lock) -> Vec<Option<usize>> {
    let cut_at: HashMap<usize, usize> = lock
        .releases
        .iter()
        .enumerate()
        .filter_map(|(at, cut)| releases.index(&cut.name).map(|r| (r, at)))
        .collect();
    (0..releases.len())
        .map(|h| {
            ((h + 1)..releases.len())
                .rev()
                .find(|l| match (cut_at.get(l), cut_at.get(&h)) {
                    (Some(l_at), Some(h_at)) => l_at < h_at,
                    (Some(_), None) => true,
                    (None, _) => false,
                })
        })
        .collect()
}

/// For each release H that is a hotfix, the first later release whose code must be
/// told what H's changes stop using, since it may have been built without them: the one
/// after every release whose code predates H (see [`predating`]); without those, for a
/// semantic version with a patch number (1.4.1), the first later release of another
/// major.minor line (1.5.0), which may have been developed beside it. `None` for a
/// release in line with the ones after it, or a hotfix with no later release yet.
pub(super) fn merge_releases(
    releases: &Releases,
    predating: &[Option<usize>],
) -> Vec<Option<usize>> {
    let line = |r: usize| {
        crate::release::parse_semver(releases.name(r))
            .ok()
            .filter(|_| releases.is_semver())
    };
    (0..releases.len())
        .map(|h| match predating[h] {
            Some(last) => releases.after(last, 1),
            None => {
                let version = line(h).filter(|v| v.patch > 0)?;
                ((h + 1)..releases.len()).find(|&r| {
                    line(r).is_some_and(|v| (v.major, v.minor) != (version.major, version.minor))
                })
            }
        })
        .collect()
}

/// What an op's first later step removes, if it has one.
pub(super) fn removal_of(steps: &[Step]) -> Option<&Removal> {
    steps.iter().find_map(|s| match &s.timing {
        Timing::Later(removal) => Some(removal),
        _ => None,
    })
}
