//! `tandem code-contract`: what a release's code may use and must stop using.

use std::path::Path;

use clap::ValueEnum;

use crate::code_contract;
use crate::diag::Result;
use crate::layout;
use crate::project::Project;

#[derive(Debug, clap::Args)]
pub struct CodeContractArgs {
    release: String,
    #[arg(long, value_enum, default_value = "text")]
    format: ContractFormat,
}

/// The ways a contract is printed: for people, scripts, or an ORM's ignore list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContractFormat {
    Text,
    Json,
    /// `self.ignored_columns` per model (templates: orm/activerecord.rb.tera).
    Activerecord,
    /// Excluded properties per mapped class (templates: orm/sqlalchemy.py.tera).
    Sqlalchemy,
}

pub fn run(root: &Path, args: &CodeContractArgs) -> Result<u8> {
    let project = Project::load(root)?;
    let plan = layout::build_plan(&project)?;
    code_contract::check_models(&project.config, &plan)?;
    let contract = code_contract::of_release(&plan, plan.release_index(&args.release)?);
    let orm_template = match args.format {
        ContractFormat::Text => {
            print!("{}", contract.text());
            return Ok(0);
        }
        ContractFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&contract).expect("json"));
            return Ok(0);
        }
        ContractFormat::Activerecord => "orm/activerecord.rb.tera",
        ContractFormat::Sqlalchemy => "orm/sqlalchemy.py.tera",
    };
    print!(
        "{}",
        contract.render(
            &project.templates,
            orm_template,
            &project.config.code_contract
        )?
    );
    Ok(0)
}
