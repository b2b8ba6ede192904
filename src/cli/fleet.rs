//! `migrate --targets` and `status --targets`: the fleet's arguments, and the glue from
//! them to `apply::fleet_run` and `apply::fleet_status`.

use std::path::{Path, PathBuf};

use super::args::{Format, Phase};
use crate::apply::fleet::FleetOptions;
use crate::apply::targets::{self, TargetsSource};
use crate::apply::{fleet_report, fleet_run, fleet_status};
use crate::diag::{Diag, Result};

/// Where a fleet's targets are listed.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetsArgs {
    /// A TOML file of `[[target]]` tables (name, url, optional wave): run over every one.
    #[arg(long, conflicts_with = "targets_cmd")]
    pub targets: Option<PathBuf>,
    /// A command printing the targets file's TOML.
    #[arg(long)]
    pub targets_cmd: Option<String>,
}

impl TargetsArgs {
    pub fn source(&self) -> Option<TargetsSource> {
        match (&self.targets, &self.targets_cmd) {
            (Some(file), _) => Some(TargetsSource::File(file.clone())),
            (None, Some(cmd)) => Some(TargetsSource::Command(cmd.clone())),
            (None, None) => None,
        }
    }
}

/// How a fleet run goes.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// How many targets run at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
    /// Stop starting targets once this many have failed.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_failures: Option<u32>,
    /// Contract even where a target lacks the release's expand; needs --reason, which
    /// is recorded on each target.
    #[arg(long, requires = "reason")]
    pub force_barrier: bool,
}

/// `migrate --release R --phase P --targets FILE`: exit 1 when a target failed.
pub fn migrate(
    root: &Path,
    source: &TargetsSource,
    (release, phase): (&str, Phase),
    run: &RunArgs,
    (gate, reason): (FleetOptions, Option<&str>),
    format: Format,
) -> Result<u8> {
    let (plans, members) = open(root, source)?;
    let slot = phase.slot(plans.plan().release_index(release)?);
    let request = fleet_run::Request {
        slot,
        parallel: usize::from(run.parallel),
        max_failures: run.max_failures.map(|k| k as usize),
        force_barrier: reason.filter(|_| run.force_barrier).map(str::to_string),
        gate,
    };
    let outcome = fleet_run::run(&plans, &members, &request)?;
    format.print(|| &outcome, || fleet_report::outcome_text(&outcome));
    Ok(if outcome.failed() > 0 { 1 } else { 0 })
}

/// How `status --targets` shows the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
    Html,
    Mermaid,
}

/// `status --targets FILE`: where each target stands.
pub fn status(root: &Path, source: &TargetsSource, format: StatusFormat) -> Result<u8> {
    let (plans, members) = open(root, source)?;
    let status = fleet_status::fleet_status(&plans, &members);
    let text = match format {
        StatusFormat::Text => fleet_report::status_text(&status),
        StatusFormat::Json => serde_json::to_string_pretty(&status).expect("json") + "\n",
        StatusFormat::Html => fleet_report::status_html(&status),
        StatusFormat::Mermaid => fleet_report::status_mermaid(&status),
    };
    print!("{text}");
    Ok(0)
}

fn open(
    root: &Path,
    source: &TargetsSource,
) -> Result<(fleet_status::Plans, Vec<fleet_status::Member>)> {
    let config = crate::config::Config::load(root)?;
    let list = targets::load(source)?;
    let members = fleet_status::open_members(&config, &list)?;
    let plans = fleet_status::Plans::load(root, &members)?;
    Ok((plans, members))
}

/// The flags a fleet run does not take.
pub fn refuse_with_targets(database_url: bool, adopt: bool, bundle: bool) -> Result<()> {
    for (given, flag) in [
        (database_url, "--database-url"),
        (adopt, "--adopt"),
        (bundle, "--bundle"),
    ] {
        if given {
            return Err(Diag::input(format!(
                "{flag} does not go with --targets: the targets file names each database"
            ))
            .help("run over the fleet with --targets FILE, or over one database with --database-url URL")
            .into());
        }
    }
    Ok(())
}
