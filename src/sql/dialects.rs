//! The renderer of each dialect, chosen by the project's dialect: the one place that
//! knows every dialect's renderer, so the renderers themselves need not know each other.

use super::render::Renderer;
use super::{mysql, postgres, sqlite, Dialect};
use crate::config::Config;
use crate::templates::Templates;

/// The renderer of the project's dialect.
pub fn renderer<'a>(config: &'a Config, templates: &'a Templates) -> Box<dyn Renderer + 'a> {
    match config.dialect {
        Dialect::Postgres => Box::new(postgres::Postgres::new(config, templates)),
        Dialect::Mysql => Box::new(mysql::Mysql::new(config, templates)),
        Dialect::Sqlite => Box::new(sqlite::Sqlite::new(templates)),
    }
}
