//! `tandem verify`: rehearse the rollout on a scratch database.

use std::path::Path;

use super::args::Format;
use crate::diag::Result;
use crate::layout;
use crate::project::Project;
use crate::verify;

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The server to rehearse on (a fresh database is created and dropped there);
    /// default: tandem.toml's database_url, else SQLite in memory.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(root: &Path, args: &VerifyArgs) -> Result<u8> {
    let project = Project::load(root)?;
    // The project's own plan first: a plan refused in its dialect fails the rehearsal
    // whatever database rehearses it.
    let own = layout::build_plan(&project)?;
    if !own.problems.is_empty() {
        return Err(own.problems.into());
    }
    let written_for = project.config.dialect;
    let server = verify::rehearsal_target(&project.config, args.database_url.as_deref())?;
    if server.dialect() != written_for {
        eprintln!(
            "note: rehearsing on {} although the project is written for {}: {} only \
             approximates {}'s locks, types and errors; pass --database-url with a {} \
             URL (or set database_url in tandem.toml) to rehearse on the real server",
            server.display(),
            written_for.name(),
            server.dialect().name(),
            written_for.name(),
            written_for.name(),
        );
    }
    let report = verify::rehearse(project, &server)?;
    args.format.print(|| &report, || report.text());
    Ok(if report.ok { 0 } else { 1 })
}
