//! What the fleet gate sees of the connections to a database: which release each names
//! through its tag, placed against the project's releases, and which it cannot check
//! (no tag, or a tag that names no version), grouped for a report that stays short
//! however many connections are open.

use crate::layout::inert;
use crate::release::{parse_semver, Releases};
use crate::sql::server::OWN_CONNECTION_NAME;

/// One running client and the release it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub release: String,
    /// Where it was seen: `connection 4711: shop-api@1.3.0`, `fleet.txt:3`.
    pub seen: String,
}

/// One connection as the database shows it.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub id: String,
    /// Its application or program names (MySQL may give both); empty when it gave none
    /// or the database does not show them.
    pub names: Vec<String>,
    pub user: Option<String>,
    /// The client's address, without its port.
    pub address: Option<String>,
}

/// A connection the gate could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unchecked {
    /// `application "psql", user app, from 10.0.0.7`.
    pub who: String,
    /// `no release tag`, `tag "1.5.x" is not a version (...)`.
    pub why: String,
}

/// Where a tag stands against the oldest release that may still run.
#[derive(Debug, PartialEq)]
pub enum Placed {
    Older,
    NotOlder,
    /// It cannot be ordered against the project's releases: why.
    Unplaceable(String),
}

/// Places `tag` against release `oldest_allowed` of the project (`None`: nothing is too
/// old). A release of the project is placed by the project's order; any other by its
/// semantic version against that release's (a leading `v` allowed, build metadata
/// ignored, a pre-release below its release).
pub fn place(releases: &Releases, tag: &str, oldest_allowed: Option<usize>) -> Placed {
    let version = parse_semver(tag);
    match (releases.index(tag), oldest_allowed) {
        (Some(i), Some(oldest)) => return older(i < oldest),
        (Some(_), None) => return Placed::NotOlder,
        (None, _) => {}
    }
    let version = match version {
        Ok(v) => v,
        Err(e) => {
            return Placed::Unplaceable(format!("tag \"{}\" is not a version ({e})", shown(tag)))
        }
    };
    let Some(oldest) = oldest_allowed else {
        return Placed::NotOlder;
    };
    match parse_semver(releases.name(oldest)) {
        Ok(against) => older(version.cmp_precedence(&against).is_lt()),
        Err(_) => Placed::Unplaceable(format!(
            "tag \"{}\" is not a release of the project, and release {} is no version to order it against",
            shown(tag),
            shown(releases.name(oldest))
        )),
    }
}

fn older(is: bool) -> Placed {
    if is {
        Placed::Older
    } else {
        Placed::NotOlder
    }
}

/// Sorts the connections into clients (a placeable tag) and the unchecked; tandem's own
/// connections are neither.
pub fn classify(
    connections: Vec<Connection>,
    pattern: &str,
    releases: &Releases,
    oldest_allowed: Option<usize>,
) -> (Vec<Client>, Vec<Unchecked>) {
    let mut clients = Vec::new();
    let mut unchecked = Vec::new();
    for c in connections {
        if c.names.iter().any(|n| n == OWN_CONNECTION_NAME) {
            continue;
        }
        let tagged: Vec<(&String, &str)> = c
            .names
            .iter()
            .filter_map(|n| Some((n, release_of(pattern, n)?)))
            .collect();
        let mut why = None;
        let placed_before = clients.len();
        for (name, tag) in &tagged {
            match place(releases, tag, oldest_allowed) {
                Placed::Unplaceable(w) => why = why.or(Some(w)),
                _ => clients.push(Client {
                    release: tag.to_string(),
                    seen: format!("connection {}: {}", shown(&c.id), shown(name)),
                }),
            }
        }
        if clients.len() == placed_before {
            unchecked.push(Unchecked {
                who: who(&c),
                why: why.unwrap_or_else(|| {
                    if c.names.is_empty() {
                        "its name is not shown".into()
                    } else {
                        "no release tag".into()
                    }
                }),
            });
        }
    }
    (clients, unchecked)
}

/// `application "psql", user app, from 10.0.0.7`.
fn who(c: &Connection) -> String {
    let application = match c.names.iter().find(|n| !n.is_empty()) {
        Some(n) => format!("application \"{}\"", shown(n)),
        None if c.names.is_empty() => "application unknown".to_string(),
        None => "no application name".to_string(),
    };
    let user = c.user.as_deref().map(shown).unwrap_or_else(|| "?".into());
    let from = c
        .address
        .as_deref()
        .map(shown)
        .unwrap_or_else(|| "?".into());
    format!("{application}, user {user}, from {from}")
}

/// How many lines of connections a report shows before it counts the rest.
pub const SHOWN_GROUPS: usize = 10;

/// The unchecked connections, alike ones counted together, the largest groups first,
/// at most [`SHOWN_GROUPS`] lines and one that counts the rest.
pub fn grouped(unchecked: &[Unchecked]) -> Vec<String> {
    let mut groups: std::collections::BTreeMap<&Unchecked, usize> = Default::default();
    for u in unchecked {
        *groups.entry(u).or_default() += 1;
    }
    let mut groups: Vec<(&Unchecked, usize)> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut lines: Vec<String> = groups
        .iter()
        .take(SHOWN_GROUPS)
        .map(|(u, n)| format!("{} ({n} connection(s)): {}", u.who, u.why))
        .collect();
    if groups.len() > SHOWN_GROUPS {
        let rest: usize = groups[SHOWN_GROUPS..].iter().map(|(_, n)| n).sum();
        lines.push(format!(
            "and {rest} more connection(s) in {} other group(s)",
            groups.len() - SHOWN_GROUPS
        ));
    }
    lines
}

/// A name a client chose, safe to print: on one line, control and bidirectional
/// formatting characters escaped, at most 80 characters.
pub fn shown(text: &str) -> String {
    let escaped: String = inert(text)
        .chars()
        .map(|c| {
            if matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}') {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect();
    if escaped.chars().count() > 80 {
        format!("{}...", escaped.chars().take(80).collect::<String>())
    } else {
        escaped
    }
}

/// `shop-api@1.4.0` under `*@{release}` -> `1.4.0`. A `*` before the release takes as
/// much as it can, so `a@b@2.0.0` runs `2.0.0`. Spaces around the release are dropped.
pub fn release_of<'a>(pattern: &str, name: &'a str) -> Option<&'a str> {
    let (pre, post) = pattern.split_once("{release}")?;
    (0..=name.len())
        .rev()
        .filter(|&i| name.is_char_boundary(i) && glob(pre, &name[..i]))
        .find_map(|i| {
            let release = name[i..].strip_suffix(post)?.trim();
            (!release.is_empty() && !post.contains('*')).then_some(release)
        })
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((literal, rest)) => match text.strip_prefix(literal) {
            None => false,
            Some(after) => (0..=after.len())
                .filter(|&i| after.is_char_boundary(i))
                .any(|i| glob(rest, &after[i..])),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_PATTERN;
    use crate::release::ReleaseOrder;

    #[test]
    fn connection_names_carry_their_release() {
        assert_eq!(release_of(DEFAULT_PATTERN, "shop-api@1.4.0"), Some("1.4.0"));
        assert_eq!(release_of(DEFAULT_PATTERN, "a@b@2.0.0"), Some("2.0.0"));
        assert_eq!(release_of(DEFAULT_PATTERN, "a@ 2.0.0 "), Some("2.0.0"));
        assert_eq!(release_of(DEFAULT_PATTERN, "psql"), None);
        assert_eq!(release_of(DEFAULT_PATTERN, "a@"), None);
        assert_eq!(
            release_of("shop-api/{release}", "shop-api/1.4.0"),
            Some("1.4.0")
        );
        assert_eq!(release_of("shop-api/{release}", "other/1.4.0"), None);
        assert_eq!(
            release_of("*-{release}-web", "shop-1.4.0-web"),
            Some("1.4.0")
        );
    }

    fn listed() -> Releases {
        let names: Vec<String> = ["1.0.0", "1.1.0", "1.2.0"].map(String::from).to_vec();
        Releases::new(&ReleaseOrder::List(names.clone()), names)
    }

    #[test]
    fn unlisted_tags_are_placed_by_semver() {
        let r = listed();
        for tag in [
            "0.9.0",
            "1.0.3",
            "v1.0.0",
            "1.0.0+build.7",
            "1.1.0-rc.1",
            "v1.1.0-rc.1+b",
        ] {
            assert_eq!(place(&r, tag, Some(1)), Placed::Older, "{tag}");
        }
        for tag in ["1.1.0", "v1.1.0", "1.1.0+build.7", "1.1.1", "2.0.0-alpha"] {
            assert_eq!(place(&r, tag, Some(1)), Placed::NotOlder, "{tag}");
        }
        for tag in [
            "1.1",
            "1.1.x",
            "99999999999999999999.0.0",
            "ünï@1",
            "1.0.0 (3 pods)",
        ] {
            assert!(
                matches!(place(&r, tag, Some(1)), Placed::Unplaceable(_)),
                "{tag}"
            );
        }
        // The expand of the first release keeps the code before it working: nothing is
        // too old for it.
        assert_eq!(place(&r, "0.1.0", None), Placed::NotOlder);
    }

    #[test]
    fn a_release_that_is_no_version_cannot_place_an_unlisted_tag() {
        let names: Vec<String> = ["2026.05", "2026.06"].map(String::from).to_vec();
        let r = Releases::new(&ReleaseOrder::List(names.clone()), names);
        assert_eq!(place(&r, "2026.05", Some(1)), Placed::Older);
        assert!(matches!(
            place(&r, "1.0.0", Some(1)),
            Placed::Unplaceable(_)
        ));
    }

    #[test]
    fn many_alike_connections_make_one_line() {
        let c = |name: &str, i: usize| Connection {
            id: i.to_string(),
            names: vec![name.to_string()],
            user: Some("app".into()),
            address: Some("10.0.0.7".into()),
        };
        let mut connections: Vec<Connection> = (0..500).map(|i| c("worker", i)).collect();
        connections.extend((0..40).map(|i| c(&format!("job-{i}"), 1000 + i)));
        connections.push(c("tandem", 9999));
        let (clients, unchecked) = classify(connections, DEFAULT_PATTERN, &listed(), Some(1));
        assert!(clients.is_empty());
        assert_eq!(unchecked.len(), 540);
        let lines = grouped(&unchecked);
        assert_eq!(lines.len(), SHOWN_GROUPS + 1);
        assert!(
            lines[0].contains("\"worker\"") && lines[0].contains("(500 connection(s))"),
            "{lines:?}"
        );
        assert!(
            lines[SHOWN_GROUPS].contains("31 more connection(s)"),
            "{lines:?}"
        );
    }

    #[test]
    fn names_are_shown_inert() {
        assert_eq!(shown("a\u{202e}b\nc"), "a\\u{202e}b\\nc");
        assert!(shown(&"x".repeat(500)).len() < 100);
    }
}
