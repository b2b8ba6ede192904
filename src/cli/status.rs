//! `tandem status`: which releases and phases a database has applied.

use std::path::Path;

use super::args::Format;
use super::fleet::{StatusFormat, TargetsArgs};
use crate::apply::{self, status};
use crate::diag::Result;
use crate::layout;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[arg(long)]
    database_url: Option<String>,
    /// text or json; html and mermaid (a picture of the rollout) with --targets.
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
    #[command(flatten)]
    targets: TargetsArgs,
}

pub fn run(root: &Path, args: &StatusArgs) -> Result<u8> {
    if let Some(source) = args.targets.source() {
        if args.database_url.is_some() {
            return Err(crate::diag::Diag::input(
                "--database-url does not go with --targets: the targets file names each database",
            )
            .into());
        }
        return super::fleet::status(root, &source, args.format);
    }
    let format = match args.format {
        StatusFormat::Text => Format::Text,
        StatusFormat::Json => Format::Json,
        StatusFormat::Html | StatusFormat::Mermaid => {
            return Err(crate::diag::Diag::input(
                "--format html and mermaid picture a fleet: they go with --targets FILE",
            )
            .help("tandem status --targets FILE --format html")
            .into())
        }
    };
    let opened = apply::project_for_database(root, args.database_url.as_deref())?;
    let plan = layout::build_plan(&opened.project)?;
    let config = &opened.project.config;
    let status = status::status(config, &plan, &opened.target, opened.source)?;
    format.print(|| &status, || status.text());
    Ok(if status.ok { 0 } else { 1 })
}
