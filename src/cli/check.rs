//! `tandem check`: validate changes, the rule and the lock; write nothing.

use std::path::Path;

use crate::code_contract;
use crate::diag::Result;
use crate::layout;
use crate::project::Project;

pub fn run(root: &Path) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    code_contract::check_models(&project.config, &plan)?;
    let mut problems = plan.problems.clone();
    problems.extend(project.lock.files_on_disk(&project.config));
    problems.extend(code_contract::stale_query_problems(&project.config, &plan)?);
    problems.extend(crate::verify::unknown_value_keys(&project.config, &plan));
    if !problems.is_empty() {
        return Err(problems.into());
    }
    println!(
        "ok: {} changes, {} releases, {} files, {} pending",
        project.changes.len(),
        plan.releases.len(),
        plan.files.len(),
        plan.pending.len()
    );
    Ok(0)
}
