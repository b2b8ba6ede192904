//! `sql`: hand-written SQL. `expand` runs in expand(R); `contract` in contract(R), or, with
//! `destructive = true`, under the rule in contract(R + gap). tandem cannot see what raw
//! SQL does to the schema; `tandem verify` replays it against the code's probes.

use super::{OpContext, Operation, Removal, Step, Timing};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct Sql {
    expand: Option<Located<String>>,
    contract: Option<Located<String>>,
    destructive: bool,
    subject: Option<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let expand = fields.opt_str(&["expand", "up"])?;
    let contract = fields.opt_str(&["contract"])?;
    let destructive = fields.opt_bool(&["destructive"])?.is_some_and(|d| d.value);
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
    if destructive && blank(&contract) {
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

    fn apply(&self, _cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        if let Some(sql) = &self.expand {
            steps.push(Step::new(
                Timing::Expand,
                self.describe(),
                vec![Action::Raw {
                    sql: sql.value.clone(),
                }],
            ));
        }
        if let Some(sql) = &self.contract {
            let timing = if self.destructive {
                let subject = self.subject.clone().unwrap_or_else(|| "custom SQL".into());
                Timing::Later(Removal::new("destructive SQL", "run it", subject))
            } else {
                Timing::Contract
            };
            steps.push(Step::new(
                timing,
                self.describe(),
                vec![Action::Raw {
                    sql: sql.value.clone(),
                }],
            ));
        }
        Ok(steps)
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
