//! `sql`: hand-written SQL. `expand` runs in expand(R); `contract` in contract(R), or,
//! with `destructive = true` or a statement tandem reads as destructive, under the rule in
//! contract(R + gap). The DDL tandem understands is folded into the model (see
//! [`super::raw_sql`]); a destructive statement in `expand` is refused unless the op
//! asserts `destructive = false`. SQL it cannot parse runs verbatim, with a warning.

use super::op::{OpContext, OpNote, Operation, Removal, Step, Timing};
use super::raw_sql;
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct Sql {
    expand: Option<Located<String>>,
    contract: Option<Located<String>>,
    /// `destructive` as written: `Some(false)` asserts that tandem misjudges a statement.
    destructive: Option<bool>,
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
            let statements = match raw_sql::read(&sql.value, cx.dialect) {
                Ok(statements) => statements,
                Err(error) => {
                    cx.notes.push(OpNote {
                        warning: true,
                        message: format!(
                            "its {phase} SQL is kept verbatim, but the model does not see what \
                             it changes: tandem cannot parse it ({error})"
                        ),
                    });
                    Vec::new()
                }
            };
            let judged = judged_one_by_one(cx, &statements);
            let destructive: Vec<(String, String)> = statements
                .iter()
                .zip(&judged)
                .filter_map(|(s, why)| why.clone().map(|why| (raw_sql::short(s), why)))
                .collect();
            let later = contract
                && match self.destructive {
                    Some(d) => d,
                    None => !destructive.is_empty(),
                };
            if !destructive.is_empty() {
                self.report_destructive(cx, sql, contract, &destructive);
            }
            let mut effect = Vec::new();
            for statement in &statements {
                effect.extend(raw_sql::fold(statement, cx, later));
            }
            let timing = if later {
                let subject = self.subject.clone().unwrap_or_else(|| {
                    destructive
                        .first()
                        .map(|(s, _)| format!("`{s}`"))
                        .unwrap_or_else(|| "custom SQL".into())
                });
                Timing::Later(Removal::new("destructive SQL", "run it", subject))
            } else if contract {
                Timing::Contract
            } else {
                Timing::Expand
            };
            steps.push(Step::new(
                timing,
                self.describe(),
                vec![Action::Raw {
                    sql: sql.value.clone(),
                    effect,
                }],
            ));
        }
        Ok(steps)
    }
}

impl Sql {
    /// Says what tandem reads as destructive in this SQL: a note where the op asserts it
    /// is safe, a problem for each statement in an expand.
    fn report_destructive(
        &self,
        cx: &mut OpContext<'_>,
        sql: &Located<String>,
        contract: bool,
        destructive: &[(String, String)],
    ) {
        let phase = if contract { "contract" } else { "expand" };
        let listed = destructive
            .iter()
            .map(|(s, why)| format!("`{s}` ({why})"))
            .collect::<Vec<_>>()
            .join(", ");
        if self.destructive == Some(false) {
            cx.notes.push(OpNote {
                warning: false,
                message: format!(
                    "`destructive = false` asserts that its {phase} SQL is safe in \
                         {phase}(R), although tandem reads {listed} as destructive"
                ),
            });
        } else if !contract {
            for (statement, why) in destructive {
                cx.problems.push(
                    Diag::refused(format!(
                        "refused: destructive SQL in the expand of a `sql` op: `{statement}` {why}"
                    ))
                    .at(sql.location.clone())
                    .label(format!("expand SQL of this op ({})", self.describe()))
                    .note(
                        "expand runs while the previous release's code still runs, \
                             and that release is the rollback target: it may still use \
                             what this statement removes or tightens",
                    )
                    .help(
                        "move the statement to a `contract` with `destructive = true` \
                             (this op's, or that of a `sql` op of its own, to keep the \
                             rest of this SQL in expand): it then runs in the contract of \
                             a later release, under the rule; if tandem misjudges it, \
                             write `destructive = false` to assert it is safe",
                    ),
                );
            }
        }
    }
}

/// Each statement is judged against the model as the statements before it left it (on
/// a scratch copy); the placement of the whole SQL follows from all of them.
fn judged_one_by_one(
    cx: &OpContext<'_>,
    statements: &[sqlparser::ast::Statement],
) -> Vec<Option<String>> {
    if statements.len() <= 1 {
        statements
            .iter()
            .map(|s| raw_sql::destructive(s, cx))
            .collect()
    } else {
        let mut judged = Vec::new();
        let mut scratch = cx.schema.clone();
        for statement in statements {
            let mut probe = OpContext::new(
                &mut scratch,
                cx.release,
                cx.later_release,
                cx.location.clone(),
                None,
                cx.dialect,
            );
            judged.push(raw_sql::destructive(statement, &probe));
            raw_sql::fold(statement, &mut probe, false);
        }
        judged
    }
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
    fn empty_sql_op_is_an_input_error() {
        assert!(op("type = \"sql\"").is_err());
    }
}
