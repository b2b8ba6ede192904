//! `sql`: hand-written SQL. `expand` runs in expand(R); `contract` in contract(R), or,
//! with `destructive = true` or a statement tandem reads as destructive, under the rule in
//! contract(R + gap). Each statement is read and judged on its own: the DDL tandem
//! understands is folded into the model (see [`super::raw_sql`]); one that drops, narrows,
//! renames or tightens what the code of the release before uses, or that tandem cannot
//! read, puts the SQL under the rule. Such a statement in `expand` is refused unless the op
//! asserts `destructive = false`. All SQL runs verbatim.

use super::op::{OpContext, OpNote, Operation, Removal, Step, Timing};
use super::raw_sql::{self, Piece};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::model::{RetiredName, Table};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct Sql {
    expand: Option<Located<String>>,
    contract: Option<Located<String>>,
    /// `destructive` as written: `Some(false)` asserts that tandem misjudges a statement.
    destructive: Option<bool>,
    /// `table` and `column` as written: they name what the SQL works on in messages
    /// only, never in a file (see `apply`).
    subject: Option<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let expand = fields.opt_str(&["expand", "up"])?;
    let contract = fields.opt_str(&["contract"])?;
    let destructive = fields.opt_bool(&["destructive"])?.map(|d| d.value);
    let table = fields.opt_str(&["table"])?.map(|t| t.value);
    let column = fields.opt_str(&["column"])?.map(|c| c.value);
    let blank = |s: &Option<Located<String>>| s.as_ref().is_none_or(|s| s.value.trim().is_empty());
    if blank(&expand) && blank(&contract) {
        return Err(
            Diag::input("sql op has neither `expand` nor `contract` SQL")
                .at(fields.location())
                .label("nothing to run")
                .help("add `expand = \"...\"` and/or `contract = \"...\"`")
                .into(),
        );
    }
    if destructive == Some(true) && blank(&contract) {
        return Err(Diag::input("`destructive = true` needs `contract` SQL")
            .at(fields.location())
            .label("only contract SQL can be destructive")
            .into());
    }
    let subject = match (table, column) {
        (Some(t), Some(c)) => Some(format!("{t}.{c}")),
        (Some(t), None) => Some(t),
        _ => None,
    };
    Ok(Box::new(Sql {
        expand: expand.filter(|s| !s.value.trim().is_empty()),
        contract: contract.filter(|s| !s.value.trim().is_empty()),
        destructive,
        subject,
    }))
}

impl Operation for Sql {
    fn kind(&self) -> &'static str {
        "sql"
    }

    fn describe(&self) -> String {
        match &self.subject {
            Some(s) => format!("custom SQL on {s}"),
            None => "custom SQL".to_string(),
        }
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        for (contract, sql) in [(false, &self.expand), (true, &self.contract)] {
            let Some(sql) = sql else { continue };
            let phase = if contract { "contract" } else { "expand" };
            let pieces = raw_sql::read_each(&sql.value, cx.dialect);
            for piece in &pieces {
                if let Piece::Unreadable { text, error } = piece {
                    cx.notes.push(OpNote {
                        warning: true,
                        message: format!(
                            "its {phase} SQL is kept verbatim, but the model does not see what \
                             `{}` changes: tandem cannot parse it ({error})",
                            raw_sql::short_text(text)
                        ),
                    });
                }
            }
            let judged = judged_one_by_one(cx, &pieces);
            let held: Vec<Held> = pieces
                .iter()
                .zip(judged)
                .filter_map(|(piece, why)| {
                    Some(match (piece, why) {
                        (Piece::Read(s), Some(why)) => Held::Destructive(raw_sql::short(s), why),
                        (Piece::Unreadable { text, error }, _) => {
                            Held::Unreadable(raw_sql::short_text(text), error.clone())
                        }
                        _ => return None,
                    })
                })
                .collect();
            let later = contract
                && match self.destructive {
                    Some(d) => d,
                    None => !held.is_empty(),
                };
            if !held.is_empty() {
                self.report_held(cx, sql, contract, &held);
            }
            let before = contract.then(|| cx.schema.tables.clone());
            let mut effect = Vec::new();
            for piece in &pieces {
                if let Piece::Read(statement) = piece {
                    effect.extend(raw_sql::fold(statement, cx, later));
                }
            }
            if let Some(before) = before {
                // Added by a contract: the code of the next release uses it, not the code
                // of the release whose probes and rollout run before that contract.
                let until = if later {
                    cx.later_release
                } else {
                    Some(cx.release)
                };
                let added = added_names(&before, &cx.schema.tables);
                cx.schema
                    .arriving
                    .extend(added.into_iter().map(|name| (name, until)));
            }
            let timing = if later {
                let subject = self.subject.clone().unwrap_or_else(|| {
                    held.first()
                        .map(|h| format!("`{}`", h.statement()))
                        .unwrap_or_else(|| "custom SQL".into())
                });
                Timing::Later(Removal::new("destructive SQL", "run it", subject))
            } else if contract {
                Timing::Contract
            } else {
                Timing::Expand
            };
            // The step's words are written into the file's header: they leave out the
            // `table` and `column` the op names for messages only, so that adding or
            // editing them, as a summary, keeps an applied file's bytes.
            steps.push(Step::new(
                timing,
                "custom SQL".to_string(),
                vec![Action::Raw {
                    sql: sql.value.clone(),
                    effect,
                }],
            ));
        }
        Ok(steps)
    }
}

/// The tables of `after` that `before` does not have, and the columns of the others that
/// it does not have.
fn added_names(
    before: &indexmap::IndexMap<String, Table>,
    after: &indexmap::IndexMap<String, Table>,
) -> Vec<RetiredName> {
    let mut added = Vec::new();
    for (name, table) in after {
        match before.get(name) {
            None => added.push((name.clone(), None)),
            Some(old) => added.extend(
                table
                    .columns
                    .iter()
                    .filter(|c| old.column(&c.name).is_none())
                    .map(|c| (name.clone(), Some(c.name.clone()))),
            ),
        }
    }
    added
}

/// A statement that puts its SQL under the rule: one tandem reads as destructive (the
/// statement and why), or one it cannot read (the statement and the parser's error).
enum Held {
    Destructive(String, String),
    Unreadable(String, String),
}

impl Held {
    fn statement(&self) -> &str {
        match self {
            Held::Destructive(s, _) | Held::Unreadable(s, _) => s,
        }
    }

    /// The statement and why, as a list shows it.
    fn listed(&self) -> String {
        match self {
            Held::Destructive(s, why) => format!("`{s}` ({why})"),
            Held::Unreadable(s, error) => format!("`{s}` (tandem cannot read it: {error})"),
        }
    }
}

impl Sql {
    /// Says what puts this SQL under the rule: a note where the op asserts it is safe, a
    /// problem for each such statement in an expand.
    fn report_held(
        &self,
        cx: &mut OpContext<'_>,
        sql: &Located<String>,
        contract: bool,
        held: &[Held],
    ) {
        let phase = if contract { "contract" } else { "expand" };
        let listed = held.iter().map(Held::listed).collect::<Vec<_>>().join(", ");
        if self.destructive == Some(false) {
            let judged = if held.iter().any(|h| matches!(h, Held::Unreadable(..))) {
                "as destructive or cannot read it"
            } else {
                "as destructive"
            };
            cx.notes.push(OpNote {
                warning: false,
                message: format!(
                    "`destructive = false` asserts that its {phase} SQL is safe in \
                         {phase}(R), although tandem reads {listed} {judged}"
                ),
            });
            return;
        }
        if contract {
            return;
        }
        for h in held {
            let (title, note) = match h {
                Held::Destructive(statement, why) => (
                    format!(
                        "refused: destructive SQL in the expand of a `sql` op: `{statement}` {why}"
                    ),
                    "expand runs while the previous release's code still runs, and that \
                     release is the rollback target: it may still use what this statement \
                     removes, renames or tightens",
                ),
                Held::Unreadable(statement, error) => (
                    format!(
                        "refused: SQL tandem cannot read in the expand of a `sql` op: \
                         `{statement}` ({error})"
                    ),
                    "tandem cannot tell whether this statement removes, renames or tightens \
                     what the previous release's code uses; that code still runs during \
                     expand and is the rollback target",
                ),
            };
            cx.problems.push(
                Diag::refused(title)
                    .at(sql.location.clone())
                    .label(format!("expand SQL of this op ({})", self.describe()))
                    .note(note)
                    .help(
                        "move the statement to a `contract` with `destructive = true` \
                         (this op's, or that of a `sql` op of its own, to keep the \
                         rest of this SQL in expand): it then runs in the contract of \
                         a later release, under the rule; if it is safe while the previous \
                         release runs, write `destructive = false` to assert it",
                    ),
            );
        }
    }
}

/// Each statement is judged against the model as the statements before it left it (on
/// a scratch copy); the placement of the whole SQL follows from all of them. A statement
/// tandem cannot read is judged by its caller.
fn judged_one_by_one(cx: &OpContext<'_>, pieces: &[Piece]) -> Vec<Option<String>> {
    if let [Piece::Read(statement)] = pieces {
        return vec![raw_sql::destructive(statement, cx)];
    }
    let mut judged = Vec::new();
    let mut scratch = cx.schema.clone();
    for piece in pieces {
        let Piece::Read(statement) = piece else {
            judged.push(None);
            continue;
        };
        let mut probe = OpContext::new(
            &mut scratch,
            cx.release,
            cx.later_release,
            cx.location.clone(),
            cx.previous,
            cx.dialect,
        );
        judged.push(raw_sql::destructive(statement, &probe));
        raw_sql::fold(statement, &mut probe, false);
    }
    judged
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn destructive_contract_is_placed_later() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"sql\"\nexpand = \"SELECT 1\"\ncontract = \"SELECT 2\"\ndestructive = true",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand", "later:destructive SQL"]);
        let steps = apply(&mut s, "type = \"sql\"\ncontract = \"SELECT 2\"").unwrap();
        assert_eq!(timings(&steps), ["contract"]);
    }

    #[test]
    fn what_a_contract_adds_is_seen_from_the_release_after_that_contract() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN rank integer; CREATE TABLE audit (id bigint PRIMARY KEY)\"",
        )
        .unwrap();
        apply(
            &mut s,
            "type = \"sql\"\ncontract = \"ALTER TABLE users ADD COLUMN tier integer\"\ndestructive = true",
        )
        .unwrap();
        let sees = |release: usize, table: &str, column: &str| {
            s.view_of(release)
                .table(table)
                .is_some_and(|t| t.column(column).is_some())
        };
        // Applied in release 1; later steps land in release 2.
        assert!(!sees(1, "users", "rank") && !sees(1, "audit", "id"));
        assert!(sees(2, "users", "rank") && sees(2, "audit", "id"));
        assert!(!sees(2, "users", "tier") && sees(3, "users", "tier"));
        assert!(s.view().table("users").unwrap().column("tier").is_some());
    }

    #[test]
    fn empty_sql_op_is_an_input_error() {
        assert!(op("type = \"sql\"").is_err());
    }
}
