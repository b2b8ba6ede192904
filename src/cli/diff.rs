//! `tandem diff`: a live database's drift from the plan (`--database-url`), or the change
//! file that takes the latest model to a desired schema (`--to FILE --release R`).

use std::path::{Path, PathBuf};

use crate::apply;
use crate::diag::{Diag, Error, Result};
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
    /// Write the proposed change file here (e.g. `changes/0012_x.toml`) instead of
    /// printing it; an existing file that is not empty is kept and refused.
    #[arg(long, requires = "to")]
    out: Option<PathBuf>,
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
    let proposal = diff::propose(&project, &plan, to, release, &args.renames)?;
    match &args.out {
        None => print!("{proposal}"),
        Some(out) => {
            write_new(out, &proposal)?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(0)
}

/// Writes `text` to `path`, which must not hold anything yet (an empty file, as a shell
/// redirection leaves it, is taken over), through a temporary file beside it so that a
/// failed write leaves no half a change file.
fn write_new(path: &Path, text: &str) -> Result<()> {
    let existing = std::fs::metadata(path).ok();
    if existing.is_some_and(|m| m.len() > 0) {
        return Err(Diag::input(format!("{} already exists", path.display()))
            .help("name a new file, or remove that one first")
            .into());
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let staged = tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
    std::fs::write(staged.path(), text).map_err(|e| Error::io(staged.path(), e))?;
    staged.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

fn database_drift(root: &Path, url: Option<&str>) -> Result<u8> {
    let opened = apply::project_for_database(root, url)?;
    let plan = layout::build_plan(&opened.project)?;
    let drift = apply::drift::of_database(&opened.target, &plan, &opened.project.config.drift)?;
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
