//! `tandem new`: scaffold a change file.

use std::path::Path;

use crate::config::Config;
use crate::diag::Result;
use crate::scaffold::{self, NewChange};
use crate::templates::Templates;

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// Op type: create-table, drop-table, rename-table, add-column, drop-column,
    /// rename-column, alter-column, create-index, drop-index, add-foreign-key,
    /// add-unique, add-check, drop-constraint, add-primary-key, set-comment, sql.
    op: String,
    /// TABLE, TABLE.COLUMN, or the name for drop-index and drop-constraint.
    target: String,
    /// The release whose code adopts the change.
    #[arg(long)]
    release: String,
    /// New name, for rename-column and rename-table.
    #[arg(long)]
    to: Option<String>,
    /// Column type, for add-column (default text) and alter-column.
    #[arg(long = "type")]
    column_type: Option<String>,
    /// Columns, for create-index, add-unique and add-primary-key (comma-separated).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    /// The referenced table, for add-foreign-key: TABLE or TABLE(COLUMN, ...).
    #[arg(long)]
    references: Option<String>,
    /// The boolean SQL expression, for add-check.
    #[arg(long)]
    check: Option<String>,
    #[arg(long)]
    summary: Option<String>,
}

pub fn run(root: &Path, args: &NewArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let templates = Templates::load(config.templates_dir.as_deref())?;
    let change = NewChange {
        op: args.op.clone(),
        target: args.target.clone(),
        release: args.release.clone(),
        to: args.to.clone(),
        column_type: args.column_type.clone(),
        columns: args.columns.clone(),
        references: args.references.clone(),
        check: args.check.clone(),
        summary: args.summary.clone(),
    };
    let path = scaffold::new_change(&config, &templates, &change)?;
    println!("created {path}");
    Ok(0)
}
