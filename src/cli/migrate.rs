//! `tandem migrate`: apply the generated files up to a release's expand or contract, or
//! (`--bundle`) a bundle's files, with no project.

use std::path::{Path, PathBuf};

use super::args::{FleetArgs, Format, Phase};
use super::fleet::{RunArgs, TargetsArgs};
use crate::apply::{self, fleet, migrate};
use crate::diag::{Diag, Result};
use crate::layout;
use crate::plan::Slot;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The release to migrate to; without it and --phase, the expand of the latest
    /// release that has files.
    #[arg(long, requires = "phase")]
    release: Option<String>,
    /// Apply a bundle written by `tandem release bundle` (no project needed): its
    /// pre-deploy files for --phase expand, and post-deploy too for contract.
    #[arg(long, conflicts_with_all = ["release", "adopt"])]
    bundle: Option<PathBuf>,
    /// expand or contract; needed with --release and with --bundle.
    #[arg(long, value_enum)]
    phase: Option<Phase>,
    /// sqlite://PATH, postgres://... or mysql://...; default: tandem.toml's
    /// database_url, else sqlite://tandem.db.
    #[arg(long)]
    database_url: Option<String>,
    /// Record the baseline as applied without running it, after checking that the
    /// live tables match schema.toml; with no --release, only that (nothing else runs).
    #[arg(long)]
    adopt: bool,
    /// Re-record the adopted baseline's checksum after a fix to schema.toml, after
    /// checking the live tables against it as --adopt does; needs --reason.
    #[arg(long, conflicts_with_all = ["adopt", "bundle", "release", "phase", "skip_fleet_check"])]
    readopt: bool,
    #[command(flatten)]
    fleet: FleetArgs,
    #[command(flatten)]
    targets: TargetsArgs,
    #[command(flatten)]
    run: RunArgs,
    /// How a run over --targets reports each target's outcome.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(root: &Path, args: &MigrateArgs) -> Result<u8> {
    if args.fleet.reason.is_some()
        && !args.readopt
        && !args.fleet.skips()
        && !args.run.force_barrier
    {
        return Err(Diag::input(
            "--reason says why with --skip-fleet-check, --force-barrier or --readopt",
        )
        .help("tandem migrate --readopt --reason \"...\", or --skip-fleet-check --reason \"...\"")
        .into());
    }
    if args.readopt {
        return readopt(root, args);
    }
    if let Some(source) = args.targets.source() {
        return migrate_fleet(root, args, &source);
    }
    if args.run.force_barrier {
        return Err(Diag::input("--force-barrier goes with --targets: the barrier is across a fleet")
            .help("tandem migrate --release R --phase contract --targets FILE --force-barrier --reason \"...\"")
            .into());
    }
    match (&args.bundle, args.phase, &args.release) {
        (Some(bundle), Some(phase), _) => migrate_bundle(bundle, phase, args),
        (Some(_), None, _) => Err(Diag::input("--bundle needs --phase expand or --phase contract")
            .help("tandem migrate --bundle DIR --phase expand")
            .into()),
        (None, Some(_), None) => Err(Diag::input("--phase needs --release: which release's phase?")
            .help("tandem migrate --release R --phase expand|contract, or neither, for the expand of the latest release")
            .into()),
        (None, _, _) => migrate_project(root, args),
    }
}

/// `--targets FILE` or `--targets-cmd CMD`: the release's phase over every target.
fn migrate_fleet(
    root: &Path,
    args: &MigrateArgs,
    source: &crate::apply::targets::TargetsSource,
) -> Result<u8> {
    super::fleet::refuse_with_targets(
        args.database_url.is_some(),
        args.adopt,
        args.bundle.is_some(),
    )?;
    let (Some(release), Some(phase)) = (&args.release, args.phase) else {
        return Err(Diag::input(
            "--targets needs --release and --phase: a fleet moves to a point named",
        )
        .help("tandem migrate --release R --phase expand --targets FILE")
        .into());
    };
    let config = crate::config::Config::load(root)?;
    super::fleet::migrate(
        root,
        source,
        (release, phase),
        &args.run,
        (
            args.fleet.options(Some(&config)),
            args.fleet.reason.as_deref(),
        ),
        args.format,
    )
}

fn migrate_bundle(bundle: &Path, phase: Phase, args: &MigrateArgs) -> Result<u8> {
    let url = args
        .database_url
        .as_deref()
        .unwrap_or(apply::DEFAULT_DATABASE_URL);
    let target = apply::Target::parse(url, &std::env::current_dir().unwrap_or_default())
        .map_err(Diag::input)?;
    let phase = phase.name();
    let outcome = apply::bundled::migrate(bundle, phase, &target, &args.fleet.options(None))?;
    for p in &outcome.applied {
        println!("applied {} ({})", p.path, p.duration());
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

/// `--readopt --reason TEXT`: the baseline re-recorded after a fix to schema.toml.
fn readopt(root: &Path, args: &MigrateArgs) -> Result<u8> {
    let Some(reason) = &args.fleet.reason else {
        return Err(Diag::input(
            "--readopt needs --reason: why the baseline is re-recorded (kept in the database, shown by status)",
        )
        .help("tandem migrate --readopt --reason \"comment of users.email corrected in schema.toml\"")
        .into());
    };
    let opened = apply::project_for_database(root, args.database_url.as_deref())?;
    let plan = layout::build_plan(&opened.project)?;
    let config = &opened.project.config;
    match apply::readopt::readopt(config, &plan, &opened.target, opened.source, reason)? {
        apply::readopt::Readopted::Recorded(entry) => println!(
            "re-adopted {}: baseline checksum {} recorded (was {}), by {} at {}",
            opened.target.display(),
            entry.new_checksum,
            entry.old_checksum,
            entry.by,
            entry.at
        ),
        apply::readopt::Readopted::AlreadyCurrent => println!(
            "{} matches schema.toml and its history has the baseline's checksum already: nothing to re-record",
            opened.target.display()
        ),
    }
    Ok(0)
}

fn migrate_project(root: &Path, args: &MigrateArgs) -> Result<u8> {
    let opened = apply::project_for_database(root, args.database_url.as_deref())?;
    let config = &opened.project.config;
    let plan = layout::build_plan(&opened.project)?;
    let slot = match (&args.release, args.phase) {
        (Some(release), Some(phase)) => phase.slot(plan.release_index(release)?),
        // Adoption alone: the baseline recorded, nothing applied after it.
        _ if args.adopt => Slot::Baseline,
        _ => {
            let r = latest_with_files(&plan)?;
            eprintln!(
                "note: no --release and --phase: migrating to expand({}), the latest release with files (a contract runs only when named: --release {} --phase contract)",
                plan.releases.name(r),
                plan.releases.name(r)
            );
            Slot::Expand(r)
        }
    };
    if plan.problems.is_empty() {
        // Nothing to apply needs no gate: a refusal would only block a no-op.
        // Adoption alone (no release named) applies nothing.
        let pending = if slot == Slot::Baseline {
            None
        } else {
            migrate::latest_pending(&plan, slot, &opened.target, args.adopt)?
        };
        match pending {
            None if args.adopt => eprintln!(
                "fleet gate: not run, --adopt records the baseline without running it, and nothing else is to apply"
            ),
            None => eprintln!("fleet gate: not run, nothing to apply"),
            Some(pending) => {
                // The gate guards the latest phase with files to apply: a contract with
                // no file of its own applies only expands.
                let (r, contract) = match pending {
                    Slot::Contract(k) => (k, true),
                    Slot::Expand(k) => (k, false),
                    Slot::Baseline => (0, false),
                };
                let options = args.fleet.options(Some(config));
                fleet::gate_before_migrate(&opened.target, &options, &plan.releases, r, contract)?;
            }
        }
    }
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

/// The latest release whose expand has files (else with any file): where a migrate with
/// no release named goes.
fn latest_with_files(plan: &crate::plan::Plan) -> Result<usize> {
    let has = |slot| plan.files_in(slot).next().is_some();
    (0..plan.releases.len())
        .rev()
        .find(|&r| has(Slot::Expand(r)))
        .or_else(|| {
            (0..plan.releases.len())
                .rev()
                .find(|&r| has(Slot::Contract(r)))
        })
        .ok_or_else(|| {
            Diag::input("no release has files to migrate to")
                .help("add a change tagged with a release, run `tandem generate`, then migrate")
                .into()
        })
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
        println!("applied {} ({})", p.path, p.duration());
    }
    if outcome.applied.is_empty() && outcome.adopted && outcome.target == "baseline" {
        // Adoption alone: the line above says it all.
    } else if outcome.applied.is_empty() && outcome.past_target {
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
