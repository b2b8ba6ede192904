//! The home of every dialect's SQL. This file holds only what the floors below the
//! renderers need too: which dialect, and why a dialect cannot do something. Quoting and
//! literals are `text`, type names `types`, shared statement shapes `ddl`, the renderer
//! trait `render`, and each dialect has its own folder; nothing outside `sql/` writes or
//! reads a dialect's SQL text. Reading a catalogue back is `inspect` (what a reader
//! yields, canonical spellings) and `catalogue` (the dialect's queries picked); the
//! statements the runner and rehearsals send of their own are `bookkeeping`, `server`
//! and `rehearsal`.

pub mod bookkeeping;
pub mod catalogue;
pub mod ddl;
pub mod dialects;
pub mod inspect;
pub mod lex;
pub mod mysql;
pub mod physical;
pub mod postgres;
pub mod rehearsal;
pub mod render;
pub mod server;
pub mod split;
pub mod sqlite;
pub mod text;
pub mod trigger_row;
pub mod types;
pub mod views;

use serde::{Deserialize, Serialize};

/// The SQL dialect the project targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
    Sqlite,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }

    /// The dialect called `name` (as `name` writes it), if any.
    pub fn from_name(name: &str) -> Option<Dialect> {
        [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite]
            .into_iter()
            .find(|d| d.name() == name)
    }
}

/// Why a dialect cannot do an action safely.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsupported(pub String);
