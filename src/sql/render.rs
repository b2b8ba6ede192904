//! The renderer of each dialect behind one trait, and the loop that renders a file's
//! actions while tracking what exists in the database.

use super::ddl::option_refusal;
use super::physical::Physical;
use super::{Dialect, Unsupported};
use crate::action::Action;
use crate::diag::Result;
use crate::templates::Templates;

/// SQL for one migration file's body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Statements (or small groups of them), each ending with `;`, in order.
    pub chunks: Vec<String>,
    /// Whether the file must run outside a transaction (concurrent index builds, batched
    /// backfills that commit as they go).
    pub no_transaction: bool,
}

/// What one action's renderer step yields: its SQL, or why the dialect cannot do it
/// safely (`Ok(Err(_))`), or a failure to render a template (`Err(_)`).
pub(crate) type Chunk = Result<Result<String, Unsupported>>;

/// A renderer step that appends its SQL to the file itself (`Ok(Ok(()))`).
pub(crate) type Step = Result<Result<(), Unsupported>>;

/// A dialect's way of writing actions.
pub trait Renderer {
    fn dialect(&self) -> Dialect;

    /// Statements at the top of every file of this dialect.
    fn preamble(&self) -> Result<Vec<String>>;

    /// Appends the SQL of one action, given what exists in the database just before it.
    /// `Ok(Err(_))` when the dialect cannot do it safely.
    fn render(
        &self,
        action: &Action,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>>;

    /// The tables the prologue needs to know existed before the file runs: asked before
    /// the file's actions fold into the physical model, so that the model need not be
    /// copied for every file.
    fn prologue_tables(&self, _actions: &[&Action]) -> Vec<String> {
        Vec::new()
    }

    /// Statements to put right after the preamble, once every action of the file is
    /// rendered (`existed`: those of [`Renderer::prologue_tables`] that exist before
    /// the file runs).
    fn prologue(
        &self,
        _actions: &[&Action],
        _existed: &[String],
        _out: &Rendered,
    ) -> Result<Option<String>> {
        Ok(None)
    }
}

/// An action of a file that the dialect cannot do safely.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedAction {
    /// Its index among the actions of the file.
    pub index: usize,
    pub why: Unsupported,
}

/// Renders a whole file's actions with the preamble, folding each into `physical` so the
/// next file sees what this one leaves. The first unsupported action stops it (what it
/// folded before stays in `physical`).
pub fn render_actions(
    renderer: &dyn Renderer,
    physical: &mut Physical,
    actions: &[&Action],
) -> Result<Result<Rendered, RefusedAction>> {
    let mut out = Rendered {
        chunks: renderer.preamble()?,
        no_transaction: false,
    };
    let preamble = out.chunks.len();
    let existed: Vec<String> = renderer
        .prologue_tables(actions)
        .into_iter()
        .filter(|t| physical.table(t).is_some())
        .collect();
    for (index, action) in actions.iter().enumerate() {
        if let Some(why) = option_refusal(renderer.dialect(), action) {
            return Ok(Err(RefusedAction { index, why }));
        }
        if let Err(why) = renderer.render(action, physical, &mut out)? {
            return Ok(Err(RefusedAction { index, why }));
        }
        physical.apply(action);
    }
    if let Some(prologue) = renderer.prologue(actions, &existed, &out)? {
        out.chunks.insert(preamble, prologue);
    }
    Ok(Ok(out))
}

/// Renders the dialect's template `<dialect>/<name>.sql.tera`, trimmed.
pub(crate) fn template(
    templates: &Templates,
    dialect: Dialect,
    name: &str,
    context: &tera::Context,
) -> Result<String> {
    let text = templates.render(&format!("{}/{name}.sql.tera", dialect.name()), context)?;
    Ok(text.trim().to_string())
}
