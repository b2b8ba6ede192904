//! `tandem migrate`: apply the generated files up to a release's expand or contract, or
//! (`--bundle`) a bundle's files, with no project.

use std::path::{Path, PathBuf};

use super::args::{FleetArgs, Phase};
use crate::apply::{self, fleet, migrate};
use crate::diag::{Diag, Result};
use crate::layout;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[arg(long, required_unless_present = "bundle")]
    release: Option<String>,
    /// Apply a bundle written by `tandem release bundle` (no project needed): its
    /// pre-deploy files for --phase expand, and post-deploy too for contract.
    #[arg(long, conflicts_with_all = ["release", "adopt"])]
    bundle: Option<PathBuf>,
    #[arg(long, value_enum)]
    phase: Phase,
    /// sqlite://PATH, postgres://... or mysql://...; default: tandem.toml's
    /// database_url, else sqlite://tandem.db.
    #[arg(long)]
    database_url: Option<String>,
    /// Record the baseline as applied without running it, after checking that the
    /// live tables match schema.toml.
    #[arg(long)]
    adopt: bool,
    #[command(flatten)]
    fleet: FleetArgs,
}

pub fn run(root: &Path, args: &MigrateArgs) -> Result<u8> {
    match &args.bundle {
        Some(bundle) => migrate_bundle(bundle, args),
        None => migrate_project(root, args),
    }
}

fn migrate_bundle(bundle: &Path, args: &MigrateArgs) -> Result<u8> {
    let url = args
        .database_url
        .as_deref()
        .unwrap_or(apply::DEFAULT_DATABASE_URL);
    let target = apply::Target::parse(url, &std::env::current_dir().unwrap_or_default())
        .map_err(Diag::input)?;
    let phase = args.phase.name();
    let outcome = apply::bundled::migrate(bundle, phase, &target, &args.fleet.options(None))?;
    for p in &outcome.applied {
        println!("applied {p}");
    }
    println!(
        "{} is at {phase}({}) of bundle {}: {} files applied",
        outcome.database,
        outcome.manifest.release,
        bundle.display(),
        outcome.applied.len()
    );
    Ok(0)
}

fn migrate_project(root: &Path, args: &MigrateArgs) -> Result<u8> {
    let release = args.release.as_deref().unwrap_or_default();
    let opened = apply::project_for_database(root, args.database_url.as_deref())?;
    let config = &opened.project.config;
    let plan = layout::build_plan(&opened.project)?;
    let r = plan.release_index(release)?;
    if plan.problems.is_empty() {
        let options = args.fleet.options(Some(config));
        let contract = args.phase == Phase::Contract;
        fleet::gate_before_migrate(&opened.target, &options, &plan.releases, r, contract)?;
    }
    let slot = args.phase.slot(r);
    let outcome = migrate::migrate(
        config,
        &plan,
        slot,
        &opened.target,
        opened.source,
        args.adopt,
    )?;
    if let Some(dialect) = outcome.rendered_for {
        eprintln!(
            "note: the files in {}/ are written for {}; applying the same plan \
             rendered for {dialect}",
            config.display(&config.migrations_dir),
            opened.written_for.name()
        );
    }
    print_outcome(&outcome);
    Ok(0)
}

/// What a migrate did, file by file, then where the database is now.
fn print_outcome(outcome: &migrate::Outcome) {
    for p in &outcome.hand_edited {
        eprintln!("warning: {p} was edited by hand; applying it as it is");
    }
    if outcome.adopted {
        println!("adopted {}: baseline recorded as applied", outcome.database);
    }
    for p in &outcome.out_of_order {
        println!("applied {p} out of order (it commutes with the later files applied before it)");
    }
    for p in &outcome.applied {
        println!("applied {p}");
    }
    if outcome.applied.is_empty() && outcome.past_target {
        println!(
            "{} is past {} already: nothing to apply (migrate never goes back)",
            outcome.database, outcome.target
        );
    } else if outcome.applied.is_empty() {
        println!(
            "{} is at {} already: nothing to apply",
            outcome.database, outcome.target
        );
    } else {
        println!(
            "{} is at {}: {} files applied",
            outcome.database,
            outcome.target,
            outcome.applied.len()
        );
    }
}
