//! The releases of a project: every name its config, changes and lock mention,
//! validated and ordered.

use std::collections::BTreeMap;

use crate::diag::{Diag, Location, Result};
use crate::project::Project;
use crate::release::{parse_semver, ReleaseOrder, Releases};

/// Every release name the project mentions, validated and ordered.
pub(super) fn collect_releases(project: &Project) -> Result<Releases> {
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
