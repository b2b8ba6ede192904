//! `tandem generate`: write the migration files, or (`--check`) say how they differ from
//! the plan.

use std::path::Path;

use crate::diag::Result;
use crate::generate::{self, Drift};
use crate::layout;
use crate::plan::Plan;
use crate::project::Project;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Write nothing; exit 1 when files are missing, stale or edited by hand.
    #[arg(long)]
    check: bool,
    /// Overwrite or remove files edited by hand.
    #[arg(long)]
    force: bool,
}

pub fn run(root: &Path, args: &GenerateArgs) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    if args.check {
        return check(&project, plan);
    }
    let outcome = generate::write(&plan, &project.config, args.force)?;
    if generate::upgrade_lock(&project.lock, &plan, &project.config)? {
        println!("upgraded tandem.lock: recorded the steps of its frozen files and the baseline");
    }
    for d in &outcome.changes {
        let verb = match d {
            Drift::Missing(_) => "wrote",
            Drift::Stale(_) => "updated",
            Drift::HandEdited(_) => "overwrote (--force)",
            Drift::Obsolete(_) => "removed",
        };
        println!("{verb} {}", d.path());
    }
    println!(
        "{} files in {}, {} changed",
        outcome.files,
        project.config.display(&project.config.migrations_dir),
        outcome.changes.len()
    );
    Ok(0)
}

/// `--check`: exit 1, listing them, when the files on disk are not the plan's.
fn check(project: &Project, plan: Plan) -> Result<u8> {
    if !plan.problems.is_empty() {
        return Err(plan.problems.into());
    }
    let drift = generate::drift(&plan, &project.config)?;
    for d in &drift {
        println!("{}", d.describe());
    }
    if drift.is_empty() {
        println!("migrations are up to date ({} files)", plan.files.len());
        return Ok(0);
    }
    println!("run `tandem generate` to bring them in line");
    Ok(1)
}
