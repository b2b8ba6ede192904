//! The MySQL renderer's state, the config and templates every family file writes with,
//! apart from the dispatch in `mod.rs`, so that the family files need not import it.

use tera::Context;

use crate::config::Config;
use crate::diag::Result;
use crate::sql::Dialect;
use crate::templates::Templates;

pub struct Mysql<'a> {
    pub(super) config: &'a Config,
    pub(super) templates: &'a Templates,
}

impl<'a> Mysql<'a> {
    pub fn new(config: &'a Config, templates: &'a Templates) -> Self {
        Mysql { config, templates }
    }

    pub(super) fn template(&self, name: &str, context: &Context) -> Result<String> {
        crate::sql::render::template(self.templates, Dialect::Mysql, name, context)
    }
}
