//! `tandem diff`: a live database's drift from the plan (`--database-url`), or the change
//! file that takes the latest model to a desired schema (`--to FILE --release R`).

use std::path::{Path, PathBuf};

use crate::apply;
use crate::diag::Result;
use crate::diff;
use crate::layout;
use crate::project::Project;

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[arg(long, conflicts_with = "to")]
    database_url: Option<String>,
    /// A desired schema, in schema.toml's format.
    #[arg(long, requires = "release")]
    to: Option<PathBuf>,
    /// The release the proposed change is tagged with.
    #[arg(long)]
    release: Option<String>,
    /// Renames to propose instead of a drop and an add: `table=new` or
    /// `table.column=new` (never guessed).
    #[arg(long = "rename")]
    renames: Vec<String>,
}

pub fn run(root: &Path, args: &DiffArgs) -> Result<u8> {
    match &args.to {
        Some(to) => propose(root, to, args),
        None => database_drift(root, args.database_url.as_deref()),
    }
}

fn propose(root: &Path, to: &Path, args: &DiffArgs) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    let release = args.release.as_deref().unwrap_or_default();
    print!(
        "{}",
        diff::propose(&project, &plan, to, release, &args.renames)?
    );
    Ok(0)
}

fn database_drift(root: &Path, url: Option<&str>) -> Result<u8> {
    let opened = apply::project_for_database(root, url)?;
    let plan = layout::build_plan(&opened.project)?;
    let drift = apply::drift::of_database(&opened.target, &plan)?;
    let (database, point) = (opened.target.display(), drift.point);
    if drift.differences.is_empty() {
        println!("no drift: {database} matches the plan at {point}");
        return Ok(0);
    }
    println!("drift: {database} differs from the plan at {point}:");
    for line in &drift.differences {
        println!("  {line}");
    }
    Ok(1)
}
