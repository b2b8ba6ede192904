//! `tandem queries`: the real statements each release's code runs.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::config::Config;
use crate::diag::Result;
use crate::verify::queries;

#[derive(Debug, Subcommand)]
pub enum QueriesAction {
    /// Add the statements of FILE (a Postgres statement log, a pg_stat_statements CSV
    /// export, or statements separated by `;`) to queries/RELEASE/, without duplicates.
    Import {
        file: PathBuf,
        /// The release whose code ran them.
        #[arg(long)]
        release: String,
    },
}

pub fn run(root: &Path, action: &QueriesAction) -> Result<u8> {
    match action {
        QueriesAction::Import { file, release } => {
            let config = Config::load(root)?;
            let imported = queries::import_into_release(&config, file, release)?;
            println!(
                "imported {} statement(s) into {} ({} already there)",
                imported.added,
                config.display(&imported.into),
                imported.already_there
            );
            Ok(0)
        }
    }
}
