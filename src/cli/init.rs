//! `tandem init`: scaffold a new project.

use std::path::Path;

use crate::diag::Result;
use crate::scaffold;
use crate::sql::Dialect;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The database the project targets; SQLite needs no server.
    #[arg(long, value_enum, default_value = "sqlite")]
    dialect: Dialect,
}

pub fn run(root: &Path, args: &InitArgs) -> Result<u8> {
    for created in scaffold::init(root, args.dialect)? {
        println!("created {created}");
    }
    Ok(0)
}
