//! The Postgres renderer's state and the helpers every family file writes with, apart
//! from the dispatch in `mod.rs`, so that the family files need not import it.

use tera::Context;

use crate::config::Config;
use crate::diag::Result;
use crate::sql::text::quote;
use crate::sql::Dialect;
use crate::templates::Templates;

pub struct Postgres<'a> {
    pub(super) config: &'a Config,
    pub(super) templates: &'a Templates,
}

impl<'a> Postgres<'a> {
    pub fn new(config: &'a Config, templates: &'a Templates) -> Self {
        Postgres { config, templates }
    }

    /// Renders a template with `tag`, a dollar-quote tag that none of the values
    /// spliced into it contains (user SQL cannot close a `DO` or function body).
    pub(super) fn template(&self, name: &str, context: &Context) -> Result<String> {
        let values = context.clone().into_json();
        let tag = crate::sql::text::dollar_tag_of_values(&values);
        let mut context = Context::from_value(values).expect("a context is an object");
        context.insert("tag", &tag);
        crate::sql::render::template(self.templates, Dialect::Postgres, name, &context)
    }
}

pub(super) fn q(name: &str) -> String {
    quote(Dialect::Postgres, name)
}
