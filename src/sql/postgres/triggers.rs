//! PostgreSQL fill and sync triggers: one trigger and its function each, and their drop.

use tera::Context;

use super::writer::{q, Postgres};
use crate::sql::render::Chunk;
use crate::sql::text::comment_text;

impl Postgres<'_> {
    pub(super) fn fill_trigger(
        &self,
        table: &str,
        column: &str,
        expr: &str,
        trigger: &str,
    ) -> Chunk {
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("column", &q(column));
        context.insert("expr", expr);
        context.insert("expr_comment", &comment_text(expr));
        context.insert("trigger", &q(trigger));
        context.insert("function", &q(trigger));
        Ok(Ok(self.template("fill_trigger", &context)?))
    }

    pub(super) fn sync_trigger(
        &self,
        table: &str,
        old: &str,
        new: &str,
        trigger: &str,
        forward: Option<&str>,
    ) -> Chunk {
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("old", &q(old));
        context.insert("new", &q(new));
        context.insert("forward", &forward);
        context.insert(
            "forward_comment",
            &forward.map(comment_text).unwrap_or_default(),
        );
        context.insert("trigger", &q(trigger));
        context.insert("function", &q(trigger));
        Ok(Ok(self.template("sync_trigger", &context)?))
    }

    pub(super) fn drop_trigger(&self, table: &str, trigger: &str) -> Chunk {
        let mut context = Context::new();
        context.insert("table", &q(table));
        context.insert("trigger", &q(trigger));
        context.insert("function", &q(trigger));
        Ok(Ok(self.template("drop_trigger", &context)?))
    }
}
