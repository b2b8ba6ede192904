//! The argument groups and value kinds more than one command uses, apart from the
//! dispatch in `mod.rs` so that command files import them without importing the file
//! that imports them.

use std::path::PathBuf;

use clap::ValueEnum;

use crate::apply::fleet::FleetOptions;
use crate::config::Config;
use crate::plan::Slot;

/// How a report is printed: for people, or for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// Prints a report as this format asks: its text as it is, or its JSON value
    /// pretty-printed; only the one asked for is made.
    pub(crate) fn print<T: serde::Serialize>(
        self,
        json: impl FnOnce() -> T,
        text: impl FnOnce() -> String,
    ) {
        match self {
            Format::Text => print!("{}", text()),
            Format::Json => println!("{}", serde_json::to_string_pretty(&json()).expect("json")),
        }
    }
}

/// Which half of a release a migrate goes up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Expand,
    Contract,
}

impl Phase {
    pub fn slot(self, release: usize) -> Slot {
        match self {
            Phase::Expand => Slot::Expand(release),
            Phase::Contract => Slot::Contract(release),
        }
    }

    /// The phase as bundles and messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Contract => "contract",
        }
    }
}

/// The fleet gate's sources and its override.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A file listing one running release per line (instead of the database's
    /// connections).
    #[arg(long)]
    fleet_file: Option<PathBuf>,
    /// A command printing one running release per line.
    #[arg(long, conflicts_with = "fleet_file")]
    fleet_cmd: Option<String>,
    /// Run without the fleet gate; the reason is printed and recorded in the database.
    #[arg(long, requires = "reason")]
    skip_fleet_check: bool,
    /// Why the fleet gate is skipped, or the baseline re-adopted (not blank: it is the
    /// record kept in the database).
    #[arg(long, value_parser = non_blank_reason)]
    pub(crate) reason: Option<String>,
}

/// A `--reason` that says something.
fn non_blank_reason(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("the reason is blank; say why (it is recorded in the database)".into())
    } else {
        Ok(text.to_string())
    }
}

impl FleetArgs {
    /// The options of the gate: these flags first, then tandem.toml's `[fleet]`.
    /// Whether `--skip-fleet-check` was given (it takes `--reason`).
    pub(crate) fn skips(&self) -> bool {
        self.skip_fleet_check
    }

    pub(crate) fn options(&self, config: Option<&Config>) -> FleetOptions {
        let skip_reason = if self.skip_fleet_check {
            self.reason.clone()
        } else {
            None
        };
        FleetOptions::resolve(
            self.fleet_file.clone(),
            self.fleet_cmd.clone(),
            skip_reason,
            config,
        )
    }
}
