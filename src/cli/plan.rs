//! `tandem plan`: the releases in order with their expand and contract steps.

use std::path::Path;

use super::args::Format;
use crate::diag::Result;
use crate::layout;
use crate::project::Project;
use crate::report;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(root: &Path, args: &PlanArgs) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    args.format.print(
        || report::json(&project, &plan),
        || report::text(&project, &plan),
    );
    Ok(if plan.problems.is_empty() { 0 } else { 1 })
}
