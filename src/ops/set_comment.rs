//! `set_comment`: sets or removes the comment of a table or a column, in expand. A
//! comment is documentation: no code reads or writes differently for it, so it is safe
//! for both releases. SQLite keeps no comments: there it lives in the model only.

use super::op::{OpContext, Operation, Step, Timing};
use crate::action::Action;
use crate::diag::{Diag, Result};
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct SetComment {
    table: Located<String>,
    column: Option<Located<String>>,
    /// `None`: remove the comment.
    comment: Option<String>,
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table whose comment to set")?;
    let column = fields.opt_str(&["column"])?;
    let comment = crate::parse::decl::comment_field(fields)?;
    let remove = fields.opt_bool(&["remove"])?;
    let comment = match (comment, remove) {
        (Some(_), Some(r)) if r.value => {
            return Err(Diag::input("`comment` with `remove = true`")
                .at(r.location)
                .label("remove one of them")
                .help("`comment = \"...\"` sets the comment; `remove = true` removes it")
                .into())
        }
        (Some(c), _) => Some(c),
        (None, Some(r)) if r.value => None,
        (None, _) => {
            return Err(fields
                .missing("comment", "the comment's text (or `remove = true`)")
                .into())
        }
    };
    Ok(Box::new(SetComment {
        table,
        column,
        comment,
    }))
}

impl Operation for SetComment {
    fn kind(&self) -> &'static str {
        "set_comment"
    }

    fn describe(&self) -> String {
        let subject = match &self.column {
            Some(c) => format!("column {}.{}", self.table.value, c.value),
            None => format!("table {}", self.table.value),
        };
        match &self.comment {
            Some(_) => format!("set the comment of {subject}"),
            None => format!("remove the comment of {subject}"),
        }
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        let column = match &self.column {
            Some(c) => Some(cx.column(&self.table, c)?.clone()),
            None => {
                cx.table(&self.table)?;
                None
            }
        };
        let table = cx
            .schema
            .tables
            .get_mut(&self.table.value)
            .expect("checked above");
        let column = match column {
            Some(mut c) => {
                c.comment = self.comment.clone();
                if let Some(live) = table.column_mut(&c.name) {
                    live.comment = self.comment.clone();
                }
                Some(c)
            }
            None => {
                table.comment = self.comment.clone();
                None
            }
        };
        let mut description = self.describe();
        if cx.dialect == Some(crate::sql::Dialect::Sqlite) {
            description.push_str(" (SQLite keeps no comments: in the model only)");
        }
        Ok(vec![Step::new(
            Timing::Expand,
            description,
            vec![Action::SetComment {
                table: self.table.value.clone(),
                column,
                comment: self.comment.clone(),
            }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn sets_and_removes_comments_in_expand() {
        let mut s = schema(USERS);
        let steps = apply_after(
            &mut s,
            "type = \"set_comment\"\ntable = \"users\"\ncomment = \"People who sign in\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert_eq!(
            s.table("users").unwrap().comment.as_deref(),
            Some("People who sign in")
        );
        let steps = apply_after(
            &mut s,
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"email\"\ncomment = \"Where we write\"",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        let email = s.table("users").unwrap().column("email").unwrap();
        assert_eq!(email.comment.as_deref(), Some("Where we write"));
        apply_after(
            &mut s,
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"email\"\nremove = true",
        )
        .unwrap();
        let email = s.table("users").unwrap().column("email").unwrap();
        assert_eq!(email.comment, None);
    }

    #[test]
    fn needs_a_comment_or_remove_and_a_known_column() {
        let mut s = schema(USERS);
        let err = apply(&mut s, "type = \"set_comment\"\ntable = \"users\"").unwrap_err();
        assert!(err.render().contains("comment"), "{}", err.render());
        let err = apply(
            &mut s,
            "type = \"set_comment\"\ntable = \"users\"\ncomment = \"x\"\nremove = true",
        )
        .unwrap_err();
        assert!(
            err.render().contains("remove one of them"),
            "{}",
            err.render()
        );
        let err = apply(
            &mut s,
            "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"emial\"\ncomment = \"x\"",
        )
        .unwrap_err();
        assert!(err.render().contains("email"), "{}", err.render());
    }
}
