//! `tandem runbook`: a release's ordered deploy steps, as Markdown.

use std::path::Path;

use crate::diag::Result;
use crate::layout;
use crate::project::Project;
use crate::report;

#[derive(Debug, clap::Args)]
pub struct RunbookArgs {
    release: String,
}

pub fn run(root: &Path, args: &RunbookArgs) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    print!("{}", report::runbook(&project, &plan, &args.release)?);
    Ok(if plan.problems.is_empty() { 0 } else { 1 })
}
