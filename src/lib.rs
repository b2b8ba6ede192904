//! tandem: a generator of two-phase (expand / contract) schema migrations.
//!
//! A project declares its baseline schema and a list of change files, each tagged with
//! the release whose code adopts it. tandem folds the changes into the schema release by
//! release, splits each into steps safe before the code rolls out (expand) and steps safe
//! only once no running or rollback release needs the old shape (contract), and refuses
//! a destructive step placed in the release that stops using what it removes.

pub mod action;
pub mod apply;
pub mod bundle;
pub mod cli;
pub mod code_contract;
pub mod config;
pub mod diag;
pub mod diff;
pub mod generate;
pub mod inflect;
pub mod layout;
pub mod lock;
pub mod model;
pub mod ops;
pub mod parse;
pub mod plan;
pub mod project;
pub mod release;
pub mod report;
pub mod scaffold;
pub mod schema_toml;
pub mod sql;
pub mod templates;
pub mod types;
pub mod verify;
