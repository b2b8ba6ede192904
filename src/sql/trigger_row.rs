//! An expression over a table, rewritten over a MySQL trigger's row.
//!
//! A backfill evaluates `backfill_sql` (or a `using`) in an `UPDATE` of the table; the
//! triggers that fill the rows written meanwhile evaluate it over their row, which MySQL
//! names `NEW.col` / `OLD.col` only. So every name that the `UPDATE` resolves to the
//! table's row is rewritten, and only those: a bare column name, unless a subquery's own
//! tables have that column (SQL resolves a name in the innermost query that has it:
//! `(SELECT name FROM teams WHERE id = team_id)` compares `teams.id` with the row's
//! `team_id`), and a name qualified with the table's own name (`users.id`, as a
//! correlated subquery writes it). String literals, comments, function names and other
//! qualifiers are left alone. (Reading the row as a one-row derived table would need no
//! rewriting, but MariaDB 10.11 crashes on a derived table over a trigger row with a
//! text column.)

use crate::sql::lex;
use crate::sql::text::quote;
use crate::sql::Dialect;

fn q(name: &str) -> String {
    quote(Dialect::Mysql, name)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// A bare word: a name or a keyword.
    Word,
    /// A name in backticks.
    Quoted,
    Literal,
    Punct(char),
}

#[derive(Debug)]
struct Token {
    kind: Kind,
    /// Byte positions in the expression.
    start: usize,
    end: usize,
    /// A name's text, without backticks.
    name: String,
}

/// The tokens of `expr` as MySQL reads it (`sql::lex`), comments and spaces left out.
fn tokens(expr: &str) -> Vec<Token> {
    lex::tokens(Some(Dialect::Mysql), expr)
        .into_iter()
        .map(|t| {
            let text = &expr[t.span.clone()];
            let kind = match t.kind {
                lex::Kind::Word => Kind::Word,
                lex::Kind::Quoted => Kind::Quoted,
                lex::Kind::String | lex::Kind::Number => Kind::Literal,
                lex::Kind::Symbol => Kind::Punct(text.chars().next().unwrap_or(' ')),
            };
            let name = match kind {
                Kind::Quoted => lex::unquote(text),
                _ => text.to_string(),
            };
            Token {
                kind,
                start: t.span.start,
                end: t.span.end,
                name,
            }
        })
        .collect()
}

/// A `(SELECT ...)` of the expression: the tables its FROM names, and the query that
/// holds it (`None`: the expression itself, over the row).
#[derive(Debug, Default)]
struct Scope {
    parent: Option<usize>,
    tables: Vec<String>,
    /// While reading it: whether it is in its FROM clause, and whether the next name is
    /// one of its tables.
    in_from: bool,
    expecting_table: bool,
}

/// Rewrites `expr`, written over a row of `table`, over the trigger row `row` (`NEW` or
/// `OLD`). `columns_of` gives a table's columns (`None` for a table tandem does not
/// know, whose columns then resolve nothing).
pub fn over_row(
    expr: &str,
    table: &str,
    row: &str,
    columns_of: &dyn Fn(&str) -> Option<Vec<String>>,
) -> String {
    let toks = tokens(expr);
    let significant: Vec<usize> = (0..toks.len()).collect();
    let (scopes, scope_of) = query_scopes(&toks, &significant);

    // Whether the query `scope` or one that holds it reads `name` as a table of its
    // own: there `name.col` is that table's, not the row's.
    let shadowed = |mut scope: Option<usize>, name: &str| {
        while let Some(s) = scope {
            if scopes[s]
                .tables
                .iter()
                .any(|t| t.eq_ignore_ascii_case(name))
            {
                return true;
            }
            scope = scopes[s].parent;
        }
        false
    };
    let row_columns = columns_of(table).unwrap_or_default();
    let row_column = |name: &str| row_columns.iter().find(|c| c.eq_ignore_ascii_case(name));
    // Whether a bare `name` in `scope` is a column of one of its subqueries' tables,
    // found before the row is reached.
    let inner_column = |mut scope: Option<usize>, name: &str| {
        while let Some(s) = scope {
            let found = scopes[s].tables.iter().any(|t| {
                columns_of(t).is_some_and(|cols| cols.iter().any(|c| c.eq_ignore_ascii_case(name)))
            });
            if found {
                return true;
            }
            scope = scopes[s].parent;
        }
        false
    };

    // Pass 2: the rewrites, as (start, end, text) over byte positions.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut skip_until = 0;
    for (n, &i) in significant.iter().enumerate() {
        let t = &toks[i];
        if !is_name(t) || t.start < skip_until {
            continue;
        }
        let prev = n.checked_sub(1).map(|p| &toks[significant[p]]);
        let next = significant.get(n + 1).map(|&j| &toks[j]);
        if prev.is_some_and(|p| p.kind == Kind::Punct('.')) {
            continue;
        }
        match next.map(|t| t.kind) {
            Some(Kind::Punct('.')) => {
                // `table.col`, the table's own name as the qualifier.
                let col = significant.get(n + 2).map(|&j| &toks[j]);
                if let Some(col) = col.filter(|c| is_name(c)) {
                    if t.name.eq_ignore_ascii_case(table) && !shadowed(scope_of[i], &t.name) {
                        if let Some(name) = row_column(&col.name) {
                            edits.push((t.start, col.end, format!("{row}.{}", q(name))));
                            skip_until = col.end;
                        }
                    }
                }
            }
            Some(Kind::Punct('(')) if t.kind == Kind::Word => {} // a function
            _ => {
                if let Some(name) = row_column(&t.name) {
                    if !inner_column(scope_of[i], &t.name) {
                        edits.push((t.start, t.end, format!("{row}.{}", q(name))));
                    }
                }
            }
        }
    }
    splice(expr, edits)
}

fn is_name(t: &Token) -> bool {
    matches!(t.kind, Kind::Word | Kind::Quoted)
}

fn keyword(t: &Token, words: &[&str]) -> bool {
    t.kind == Kind::Word && words.iter().any(|w| t.name.eq_ignore_ascii_case(w))
}

/// Pass 1 of [`over_row`]: the subqueries, the scope of each token, and the tables of
/// each FROM (`significant` indexes the tokens that are not spaces or comments).
fn query_scopes(toks: &[Token], significant: &[usize]) -> (Vec<Scope>, Vec<Option<usize>>) {
    let mut scopes: Vec<Scope> = Vec::new();
    let mut scope_of: Vec<Option<usize>> = vec![None; toks.len()];
    // Open parentheses: the subquery each opens, if it opens one.
    let mut parens: Vec<Option<usize>> = Vec::new();
    let current = |parens: &[Option<usize>]| parens.iter().rev().find_map(|p| *p);
    for (n, &i) in significant.iter().enumerate() {
        let t = &toks[i];
        // The query this token is directly in (not inside a function's parentheses).
        let direct = parens.last().copied().flatten();
        scope_of[i] = current(&parens);
        if let Some(s) = direct {
            if keyword(t, &["from", "join"]) {
                scopes[s].in_from = true;
                scopes[s].expecting_table = true;
            } else if keyword(
                t,
                &[
                    "where", "group", "order", "limit", "having", "on", "using", "union", "window",
                ],
            ) {
                scopes[s].in_from = false;
                scopes[s].expecting_table = false;
            } else if t.kind == Kind::Punct(',') {
                scopes[s].expecting_table = scopes[s].in_from;
            } else if t.kind == Kind::Punct('(') {
                // A derived table: not a name of the model.
                scopes[s].expecting_table = false;
            } else if scopes[s].expecting_table && is_name(t) && !keyword(t, &["as", "lateral"]) {
                let qualifies = significant
                    .get(n + 1)
                    .is_some_and(|&j| toks[j].kind == Kind::Punct('.'));
                // `db.orders` names orders: the part after the last dot.
                if !qualifies {
                    scopes[s].tables.push(t.name.clone());
                    scopes[s].expecting_table = false;
                }
            }
        }
        match t.kind {
            Kind::Punct('(') => {
                let opens_query = significant
                    .get(n + 1)
                    .is_some_and(|&j| keyword(&toks[j], &["select"]));
                if opens_query {
                    scopes.push(Scope {
                        parent: current(&parens),
                        ..Scope::default()
                    });
                    parens.push(Some(scopes.len() - 1));
                } else {
                    parens.push(None);
                }
            }
            Kind::Punct(')') => {
                parens.pop();
            }
            _ => {}
        }
    }
    (scopes, scope_of)
}

/// `expr` with each (start, end, text) edit (byte positions), in order and not
/// overlapping, applied.
fn splice(expr: &str, edits: Vec<(usize, usize, String)>) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (start, end, text) in edits {
        out.push_str(&expr[at..start]);
        out.push_str(&text);
        at = end;
    }
    out.push_str(&expr[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::over_row;

    fn columns(table: &str) -> Option<Vec<String>> {
        let cols: &[&str] = match table {
            "users" => &["id", "email", "first", "last", "team_id", "lower"],
            "orders" => &["id", "user_id", "note"],
            "teams" => &["id", "name"],
            _ => return None,
        };
        Some(cols.iter().map(|c| c.to_string()).collect())
    }

    fn new(expr: &str) -> String {
        over_row(expr, "users", "NEW", &columns)
    }

    #[test]
    fn bare_column_names_become_the_rows() {
        assert_eq!(new("lower(email)"), "lower(NEW.`email`)");
        assert_eq!(
            new("concat(first, ' ', `last`)"),
            "concat(NEW.`first`, ' ', NEW.`last`)"
        );
        assert_eq!(new("EMAIL -- email\n"), "NEW.`email` -- email\n");
    }

    #[test]
    fn strings_functions_and_other_qualifiers_are_left_alone() {
        assert_eq!(
            new("lower('email') || u.email || 'it''s email' || \"users.id\""),
            "lower('email') || u.email || 'it''s email' || \"users.id\""
        );
        assert_eq!(
            new("concat(email, ' users.id') /* users.id */ || app.users.id"),
            "concat(NEW.`email`, ' users.id') /* users.id */ || app.users.id"
        );
    }

    #[test]
    fn names_qualified_with_the_table_are_the_rows() {
        assert_eq!(
            new("(SELECT COUNT(*) FROM orders WHERE orders.user_id = users.id)"),
            "(SELECT COUNT(*) FROM orders WHERE orders.user_id = NEW.`id`)"
        );
        assert_eq!(
            over_row(
                "lower(`Users` . `email`) || email",
                "users",
                "OLD",
                &columns
            ),
            "lower(OLD.`email`) || OLD.`email`"
        );
    }

    /// A bare name resolves in the innermost query whose tables have it, as SQL does.
    #[test]
    fn a_subquerys_own_columns_stay_its_own() {
        assert_eq!(
            new("(SELECT name FROM teams WHERE id = team_id)"),
            "(SELECT name FROM teams WHERE id = NEW.`team_id`)"
        );
        assert_eq!(
            new("(SELECT COUNT(*) FROM orders o, teams WHERE o.user_id = id AND note = email)"),
            "(SELECT COUNT(*) FROM orders o, teams WHERE o.user_id = id AND note = NEW.`email`)"
        );
        // An unknown table resolves nothing: the row's names are the row's.
        assert_eq!(
            new("(SELECT COUNT(*) FROM audit WHERE audit.ref = id) + id"),
            "(SELECT COUNT(*) FROM audit WHERE audit.ref = NEW.`id`) + NEW.`id`"
        );
        // A query over the table itself reads its own rows.
        assert_eq!(
            new("(SELECT MAX(users.id) FROM users) - id"),
            "(SELECT MAX(users.id) FROM users) - NEW.`id`"
        );
    }
}
