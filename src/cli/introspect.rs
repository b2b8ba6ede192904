//! `tandem introspect`: print a live database's schema as a schema.toml.

use std::path::Path;

use crate::apply;
use crate::config::Config;
use crate::diag::{Diag, Result};

#[derive(Debug, clap::Args)]
pub struct IntrospectArgs {
    /// sqlite://PATH, postgres://... or mysql://...; default: tandem.toml's
    /// database_url.
    #[arg(long)]
    database_url: Option<String>,
}

pub fn run(root: &Path, args: &IntrospectArgs) -> Result<u8> {
    // No project needed: one only lends its database_url.
    let config = Config::load(root).ok();
    let url = args.database_url.as_deref();
    let target = apply::resolve_without_project(config.as_ref(), url, "introspect")?;
    let mut db = apply::connect(&target, false)?;
    let read = crate::schema_toml::introspect(&mut db)
        .map_err(|e| Diag::input(format!("{}: {e}", target.display())))?;
    print!("{}", read.toml);
    eprintln!(
        "introspect: {} table(s) read from {}",
        read.tables,
        target.display()
    );
    for l in &read.left_out {
        eprintln!("  left out: {l}");
    }
    Ok(0)
}
