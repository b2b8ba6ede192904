//! Release names and their order: semantic versions by default (a leading `v` allowed,
//! pre-releases ordered by semver rules), or the explicit `releases` list of tandem.toml.

use std::cmp::Ordering;

use crate::diag::suggestion;

/// How release names are ordered.
#[derive(Debug, Clone)]
pub enum ReleaseOrder {
    Semver,
    /// The project's explicit list, earliest first.
    List(Vec<String>),
}

impl ReleaseOrder {
    /// Checks that `name` can be ordered, explaining why not.
    pub fn validate(&self, name: &str) -> Result<(), (String, String)> {
        check_directory_name(name)?;
        match self {
            ReleaseOrder::Semver => parse_semver(name).map(|_| ()).map_err(|e| {
                (
                    format!("release `{name}` is not a semantic version ({e})"),
                    "use a version like \"1.4.0\" or \"v2.0.0-rc.1\", or list the project's release names in order in tandem.toml: releases = [...]".to_string(),
                )
            }),
            ReleaseOrder::List(list) => {
                if list.iter().any(|r| r == name) {
                    Ok(())
                } else {
                    let names: Vec<&str> = list.iter().map(String::as_str).collect();
                    Err((
                        format!("release `{name}` is not in the `releases` list of tandem.toml"),
                        format!("add it to `releases` in its place, or {}", suggestion(name, &names)),
                    ))
                }
            }
        }
    }

    /// Compares two names already validated.
    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        match self {
            ReleaseOrder::Semver => match (parse_semver(a), parse_semver(b)) {
                (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
                _ => a.cmp(b),
            },
            ReleaseOrder::List(list) => {
                let pos = |n: &str| list.iter().position(|r| r == n).unwrap_or(usize::MAX);
                pos(a).cmp(&pos(b))
            }
        }
    }
}

/// A release names a directory of migration files: no path separators, no `..`, no
/// characters some file systems refuse.
pub fn check_directory_name(name: &str) -> Result<(), (String, String)> {
    let bad = name.chars().find(|c| {
        c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
    });
    let why = if name.trim().is_empty() {
        Some("is empty".to_string())
    } else if let Some(c) = bad {
        Some(format!("contains {c:?}"))
    } else if name.contains("..") {
        Some("contains `..`".to_string())
    } else if name.starts_with('.') || name.trim() != name {
        Some("starts with `.` or a space, or ends with one".to_string())
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err((
            format!("release `{name}` {why}, and a release names a directory of migration files"),
            "use letters, digits, `.`, `-`, `_` and `+`, as in \"1.4.0\" or \"2026.06\""
                .to_string(),
        )),
    }
}

/// Parses `1.4.0` or `v1.4.0` as a semantic version.
pub fn parse_semver(name: &str) -> Result<semver::Version, String> {
    let bare = name.strip_prefix('v').unwrap_or(name);
    semver::Version::parse(bare).map_err(|e| e.to_string())
}

/// The known releases of a project, in order.
#[derive(Debug, Clone, Default)]
pub struct Releases {
    names: Vec<String>,
    semver: bool,
    positions: std::collections::HashMap<String, usize>,
}

impl Releases {
    /// Sorts and deduplicates the given names (all validated first).
    pub fn new(order: &ReleaseOrder, mut names: Vec<String>) -> Self {
        // Exact duplicates go first (cheap), so the ordering compares each name once per
        // release, not once per change naming it.
        names.sort_unstable();
        names.dedup();
        names.sort_by(|a, b| order.compare(a, b));
        names.dedup();
        let positions = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let semver = matches!(order, ReleaseOrder::Semver);
        Releases {
            names,
            positions,
            semver,
        }
    }

    /// Whether the names are ordered as semantic versions (no explicit list).
    pub fn is_semver(&self) -> bool {
        self.semver
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.positions.get(name).copied()
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    /// The release `gap` places after `index`, if it is known yet.
    pub fn after(&self, index: usize, gap: usize) -> Option<usize> {
        let target = index + gap;
        (target < self.names.len()).then_some(target)
    }

    /// The name of the release before `index`, for messages.
    pub fn previous_name(&self, index: usize) -> String {
        if index == 0 {
            "the previous release".to_string()
        } else {
            self.names[index - 1].clone()
        }
    }

    /// As [`Self::previous_name`], but where no earlier release is known, the line
    /// before a semantic version as a team would say it (1.4.0 follows 1.3.x): for
    /// refusals, which speak of the deployments that run it.
    pub fn previous_line(&self, index: usize) -> String {
        if index > 0 {
            return self.names[index - 1].clone();
        }
        match self
            .names
            .first()
            .filter(|_| self.semver)
            .map(|n| parse_semver(n))
        {
            Some(Ok(v)) if v.patch > 0 => format!("{}.{}.{}", v.major, v.minor, v.patch - 1),
            Some(Ok(v)) if v.minor > 0 => format!("{}.{}.x", v.major, v.minor - 1),
            Some(Ok(v)) if v.major > 0 => format!("{}.x", v.major - 1),
            _ => "the previous release".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_before_the_first_is_named_by_its_line() {
        let name =
            |n: &str| Releases::new(&ReleaseOrder::Semver, vec![n.to_string()]).previous_line(0);
        assert_eq!(name("1.4.0"), "1.3.x");
        assert_eq!(name("v2.0.0"), "1.x");
        assert_eq!(name("1.4.2"), "1.4.1");
        assert_eq!(name("0.0.0"), "the previous release");
        let listed = ReleaseOrder::List(vec!["2026.06".into()]);
        assert_eq!(
            Releases::new(&listed, vec!["2026.06".into()]).previous_line(0),
            "the previous release"
        );
    }

    #[test]
    fn semver_orders_numerically_with_v_prefix_and_prereleases() {
        let order = ReleaseOrder::Semver;
        let r = Releases::new(
            &order,
            ["1.10.0", "v1.9.0", "2.0.0", "2.0.0-rc.1", "2.0.0-alpha"]
                .map(String::from)
                .to_vec(),
        );
        assert_eq!(
            r.names(),
            ["v1.9.0", "1.10.0", "2.0.0-alpha", "2.0.0-rc.1", "2.0.0"]
        );
    }

    #[test]
    fn calendar_names_need_the_list() {
        assert!(ReleaseOrder::Semver.validate("2026.07").is_err());
        let list = ReleaseOrder::List(vec!["2026.06".into(), "2026.07".into()]);
        assert!(list.validate("2026.07").is_ok());
        let (msg, help) = list.validate("2026.7").unwrap_err();
        assert!(msg.contains("not in the `releases` list"));
        assert!(help.contains("2026.07"), "{help}");
        let r = Releases::new(&list, vec!["2026.07".into(), "2026.06".into()]);
        assert_eq!(r.names(), ["2026.06", "2026.07"]);
    }

    #[test]
    fn after_is_none_past_the_last_known_release() {
        let r = Releases::new(&ReleaseOrder::Semver, vec!["1.0.0".into(), "1.1.0".into()]);
        assert_eq!(r.after(0, 1), Some(1));
        assert_eq!(r.after(0, 2), None);
        assert_eq!(r.after(1, 1), None);
    }
}
