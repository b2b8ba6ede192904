//! `tandem status`: which releases and phases a database has applied.

use std::path::Path;

use super::args::Format;
use crate::apply::{self, status};
use crate::diag::Result;
use crate::layout;

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(root: &Path, args: &StatusArgs) -> Result<u8> {
    let opened = apply::project_for_database(root, args.database_url.as_deref())?;
    let plan = layout::build_plan(&opened.project)?;
    let config = &opened.project.config;
    let status = status::status(config, &plan, &opened.target, opened.source)?;
    args.format.print(|| &status, || status.text());
    Ok(if status.ok { 0 } else { 1 })
}
