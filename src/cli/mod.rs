//! The command line: parse arguments, run one command, map the outcome to an exit code
//! (0 success, 1 refused or found a problem, 2 bad input or an I/O or database error).
//!
//! This file holds the parser and the dispatch; the argument groups more than one
//! command uses are in `args.rs`. Each command's own arguments, and the glue from them
//! to the library, live in a file of its own beside this one (as cargo's `commands/`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::diag::Result;

pub mod args;
pub mod check;
pub mod code_contract;
pub mod diff;
pub mod fleet;
pub mod generate;
pub mod init;
pub mod introspect;
pub mod migrate;
pub mod new;
pub mod plan;
pub mod queries;
pub mod release;
pub mod runbook;
pub mod status;
pub mod verify;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Two-phase (expand / contract) schema migrations, placed release by release"
)]
pub struct Cli {
    /// The project directory (holding tandem.toml).
    #[arg(long, global = true, default_value = ".")]
    pub project: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold tandem.toml, schema.toml, changes/ and migrations/.
    Init(init::InitArgs),
    /// Scaffold a change file, e.g. `tandem new drop-column users.legacy_email --release 1.4.0`.
    New(new::NewArgs),
    /// Apply the generated files through refinery, up to a release's expand or contract.
    Migrate(migrate::MigrateArgs),
    /// Show which releases and phases a database has applied.
    Status(status::StatusArgs),
    /// Rehearse the rollout on a scratch database: every release's expand and contract,
    /// with the probes of the code before it and its own.
    Verify(verify::VerifyArgs),
    /// Show the releases in order with their expand and contract steps.
    Plan(plan::PlanArgs),
    /// Write the migration files.
    Generate(generate::GenerateArgs),
    /// Validate changes, the rule and the lock; write nothing.
    Check,
    /// Manage releases.
    #[command(subcommand)]
    Release(release::ReleaseAction),
    /// The ordered deploy steps of a release, as Markdown.
    Runbook(runbook::RunbookArgs),
    /// Drift: a live database against the plan at the point its history says it is
    /// (--database-url); or the change file that takes the latest model to a desired
    /// schema (--to FILE --release R).
    Diff(diff::DiffArgs),
    /// Print a live database's schema as a schema.toml (no project needed).
    Introspect(introspect::IntrospectArgs),
    /// What a release's code may use and must stop using, for people, scripts or an
    /// ORM's ignore list.
    CodeContract(code_contract::CodeContractArgs),
    /// The real statements each release's code runs, which `verify` runs beside its
    /// probes.
    #[command(subcommand)]
    Queries(queries::QueriesAction),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one command; `Ok` carries the exit code of a command that reports findings.
pub fn run(cli: &Cli) -> Result<u8> {
    let root = &cli.project;
    match &cli.command {
        Command::Init(args) => init::run(root, args),
        Command::New(args) => new::run(root, args),
        Command::Migrate(args) => migrate::run(root, args),
        Command::Status(args) => status::run(root, args),
        Command::Verify(args) => verify::run(root, args),
        Command::Plan(args) => plan::run(root, args),
        Command::Generate(args) => generate::run(root, args),
        Command::Check => check::run(root),
        Command::Release(action) => release::run(root, action),
        Command::Runbook(args) => runbook::run(root, args),
        Command::Diff(args) => diff::run(root, args),
        Command::Introspect(args) => introspect::run(root, args),
        Command::CodeContract(args) => code_contract::run(root, args),
        Command::Queries(action) => queries::run(root, action),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// clap's own checks of the arguments every command file declares (ids named by
    /// `requires` and `conflicts_with` exist, no two flags clash).
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
