//! The code contract of a release: which tables and columns its code may read and write,
//! and which it must stop using (retired in it). This is what an ORM's ignore list needs
//! (ActiveRecord's `ignored_columns`, SQLAlchemy's excluded properties), and what `check`
//! holds the release's recorded queries against, so that code still reading a column the
//! release retires is caught at review time, before any migration runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::model::View;
use crate::plan::Plan;
use crate::templates::Templates;

/// A table or one of its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    pub table: String,
    /// `None`: the whole table (dropped, or renamed away from this name).
    pub column: Option<String>,
}

impl Retired {
    pub fn describe(&self) -> String {
        match &self.column {
            Some(c) => format!("{}.{c}", self.table),
            None => format!("table {}", self.table),
        }
    }
}

/// A table R's code may use, with its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableUse {
    pub table: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CodeContract {
    pub release: String,
    /// What R's code may read and write.
    pub uses: Vec<TableUse>,
    /// What the code before R used and R's code must no longer use.
    pub stops_using: Vec<Retired>,
}

/// The contract of release `r`: its code's view, and what the view before it has that it
/// lacks; also what each hotfix that `r` is the first release to follow stops using (its
/// code may have been built without the hotfix, and the hotfix's drops run under it).
pub fn of_release(plan: &Plan, r: usize) -> CodeContract {
    let after: &View = plan.view(r);
    let mut stops_using = retired_between(&plan.views[r], after);
    let hotfixes = (0..r).filter(|&h| plan.hotfix_merges.get(h) == Some(&Some(r)));
    for h in hotfixes {
        for retired in retired_between(&plan.views[h], plan.view(h)) {
            let gone = match &retired.column {
                None => after.table(&retired.table).is_none(),
                Some(c) => after
                    .table(&retired.table)
                    .is_none_or(|t| t.column(c).is_none()),
            };
            if gone && !stops_using.contains(&retired) {
                stops_using.push(retired);
            }
        }
    }
    CodeContract {
        release: plan.releases.name(r).to_string(),
        uses: after
            .tables
            .values()
            .map(|t| TableUse {
                table: t.name.clone(),
                columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            })
            .collect(),
        stops_using,
    }
}

/// The tables and columns of `before` that `after` lacks.
fn retired_between(before: &View, after: &View) -> Vec<Retired> {
    let mut stops_using = Vec::new();
    for (name, table) in &before.tables {
        match after.table(name) {
            None => stops_using.push(Retired {
                table: name.clone(),
                column: None,
            }),
            Some(now) => stops_using.extend(
                table
                    .columns
                    .iter()
                    .filter(|c| now.column(&c.name).is_none())
                    .map(|c| Retired {
                        table: name.clone(),
                        column: Some(c.name.clone()),
                    }),
            ),
        }
    }
    stops_using
}

impl CodeContract {
    /// For people: what R's code must stop using, then what it may use.
    pub fn text(&self) -> String {
        let mut out = format!(
            "code contract of release {}
",
            self.release
        );
        if self.stops_using.is_empty() {
            out.push_str(
                "  stops using: nothing
",
            );
        } else {
            out.push_str("  stops using (its code must no longer read or write these):\n");
            for r in &self.stops_using {
                out.push_str(&format!("    - {}\n", r.describe()));
            }
        }
        out.push_str("  may use:\n");
        for t in &self.uses {
            out.push_str(&format!("    {}: {}\n", t.table, t.columns.join(", ")));
        }
        out
    }

    /// Through the ORM template `orm/<name>.tera` (built in: activerecord.rb, sqlalchemy.py).
    pub fn render(&self, templates: &Templates, template: &str) -> Result<String> {
        let mut tables: Vec<serde_json::Value> = Vec::new();
        let mut dropped = Vec::new();
        for r in &self.stops_using {
            match &r.column {
                None => dropped.push(r.table.clone()),
                Some(c) => match tables.iter_mut().find(|t| t["table"] == r.table.as_str()) {
                    Some(t) => t["columns"]
                        .as_array_mut()
                        .expect("array")
                        .push(c.as_str().into()),
                    None => tables.push(serde_json::json!({
                        "table": r.table,
                        "model": model_name(&r.table),
                        "columns": [c],
                    })),
                },
            }
        }
        let mut context = tera::Context::new();
        context.insert("release", &self.release);
        context.insert("tables", &tables);
        context.insert("dropped_tables", &dropped);
        context.insert("uses", &self.uses);
        templates.render(template, &context)
    }
}

/// `order_items` -> `OrderItem`: the class name ORMs derive from a table name.
fn model_name(table: &str) -> String {
    let singular = if let Some(stem) = table.strip_suffix("ies") {
        format!("{stem}y")
    } else if table.ends_with("ss") {
        table.to_string()
    } else {
        table.strip_suffix('s').unwrap_or(table).to_string()
    };
    singular
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// A recorded query of a release that still names something the release stops using.
#[derive(Debug, Clone)]
pub struct StaleQuery {
    /// `queries/1.4.0/report.sql`, relative to the project.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub retired: Retired,
    pub statement: String,
}

/// The `.sql` files of `dir/<release>/`, sorted; none when it does not exist.
pub fn query_files(dir: &Path, release: &str) -> Result<Vec<PathBuf>> {
    let dir = dir.join(release);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

/// The statements of release `contract.release`'s own recorded queries (under
/// `queries_dir`) that name a table or column the release stops using. A statement names
/// a retired column when it names both the column and its table; a retired table, when
/// it names the table.
pub fn stale_queries(
    queries_dir: &Path,
    shown_as: impl Fn(&Path) -> String,
    contract: &CodeContract,
) -> Result<Vec<StaleQuery>> {
    let mut out = Vec::new();
    if contract.stops_using.is_empty() {
        return Ok(out);
    }
    for path in query_files(queries_dir, &contract.release)? {
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let text = String::from_utf8_lossy(&text);
        for statement in statements(&text) {
            let named = |name: &str| statement.idents.iter().find(|i| i.text == name);
            for retired in &contract.stops_using {
                let hit = match &retired.column {
                    Some(column) => named(&retired.table).and(named(column)),
                    None => named(&retired.table),
                };
                if let Some(ident) = hit {
                    out.push(StaleQuery {
                        file: shown_as(&path),
                        line: ident.line,
                        column: ident.column,
                        retired: retired.clone(),
                        statement: statement.text.trim().to_string(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The refusals of every release's own recorded queries (under `[verify] queries`) that
/// name what the release stops using.
pub fn stale_query_problems(config: &Config, plan: &Plan) -> Result<Vec<Diag>> {
    let dir = crate::verify::queries::dir(config);
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for r in 0..plan.releases.len() {
        let contract = of_release(plan, r);
        let shown = |p: &Path| config.display(p);
        for q in stale_queries(&dir, shown, &contract)? {
            out.push(stale_query_diag(&q, &contract.release));
        }
    }
    Ok(out)
}

/// The refusal of a stale query, pointing at the file and line.
pub fn stale_query_diag(q: &StaleQuery, release: &str) -> Diag {
    let first_line = q.statement.lines().next().unwrap_or_default();
    Diag::refused(format!(
        "refused: a query of release {release} still uses {}, which {release} stops using",
        q.retired.describe()
    ))
    .note(format!("{}:{}:{}: {first_line}", q.file, q.line, q.column))
    .note(format!(
        "while {release} rolls out, its contract drops nothing yet; once the drop runs, this query fails"
    ))
    .help(format!(
        "change the code of {release} so it no longer reads or writes {} (and record its queries again), or keep it in use: remove the change that retires it",
        q.retired.describe()
    ))
}

/// An identifier of a statement, lower-cased where it was not quoted, with its position.
#[derive(Debug)]
struct Ident {
    text: String,
    line: usize,
    column: usize,
}

#[derive(Debug)]
struct Statement {
    text: String,
    idents: Vec<Ident>,
}

/// Splits SQL into statements at `;` and collects each one's identifiers, skipping string
/// literals, comments and placeholders.
fn statements(sql: &str) -> Vec<Statement> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut current = Statement {
        text: String::new(),
        idents: Vec::new(),
    };
    let (mut line, mut col) = (1usize, 1usize);
    let mut i = 0;
    let advance = |c: char, line: &mut usize, col: &mut usize| {
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let start = (line, col);
        let mut j = i + 1;
        match c {
            '-' if next == Some('-') => {
                while j < chars.len() && chars[j] != '\n' {
                    j += 1;
                }
            }
            '/' if next == Some('*') => {
                j = i + 2;
                while j + 1 < chars.len() && !(chars[j] == '*' && chars[j + 1] == '/') {
                    j += 1;
                }
                j = (j + 2).min(chars.len());
            }
            '\'' => {
                while j < chars.len() {
                    if chars[j] == '\'' && chars.get(j + 1) == Some(&'\'') {
                        j += 2;
                    } else if chars[j] == '\'' {
                        j += 1;
                        break;
                    } else {
                        j += 1;
                    }
                }
            }
            '"' | '`' => {
                let mut name = String::new();
                while j < chars.len() && chars[j] != c {
                    name.push(chars[j]);
                    j += 1;
                }
                j = (j + 1).min(chars.len());
                current.idents.push(Ident {
                    text: name,
                    line: start.0,
                    column: start.1,
                });
            }
            ';' => {
                for &c in &chars[i..j] {
                    advance(c, &mut line, &mut col);
                }
                i = j;
                let done = std::mem::replace(
                    &mut current,
                    Statement {
                        text: String::new(),
                        idents: Vec::new(),
                    },
                );
                if !done.text.trim().is_empty() {
                    out.push(done);
                }
                continue;
            }
            c if c.is_alphabetic() || c == '_' => {
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$')
                {
                    j += 1;
                }
                // `:name` placeholders and `$1` are not identifiers of the schema.
                let placeholder =
                    i > 0 && chars[i - 1] == ':' && chars.get(i.wrapping_sub(2)) != Some(&':');
                if !placeholder {
                    let word: String = chars[i..j].iter().collect();
                    current.idents.push(Ident {
                        text: word.to_lowercase(),
                        line: start.0,
                        column: start.1,
                    });
                }
            }
            _ => {}
        }
        for &c in &chars[i..j] {
            current.text.push(c);
            advance(c, &mut line, &mut col);
        }
        i = j;
    }
    if !current.text.trim().is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_follow_the_orm_convention() {
        assert_eq!(model_name("users"), "User");
        assert_eq!(model_name("order_items"), "OrderItem");
        assert_eq!(model_name("categories"), "Category");
        assert_eq!(model_name("address"), "Address");
        assert_eq!(model_name("access"), "Access");
    }

    #[test]
    fn identifiers_skip_literals_comments_and_placeholders() {
        let sql = "-- users.legacy_email\nSELECT id, \"Legacy\" FROM users WHERE note = 'legacy_email' AND x = :legacy_email;\n/* legacy_email */ SELECT 1 FROM t WHERE a::text = $1";
        let stmts = statements(sql);
        assert_eq!(stmts.len(), 2);
        let names: Vec<&str> = stmts[0].idents.iter().map(|i| i.text.as_str()).collect();
        assert!(
            names.contains(&"users") && names.contains(&"Legacy"),
            "{names:?}"
        );
        assert!(!names.contains(&"legacy_email"), "{names:?}");
        let second: Vec<&str> = stmts[1].idents.iter().map(|i| i.text.as_str()).collect();
        assert!(second.contains(&"text"), "{second:?}");
        assert!(!second.contains(&"legacy_email"), "{second:?}");
        let users = stmts[0].idents.iter().find(|i| i.text == "users").unwrap();
        assert_eq!((users.line, users.column), (2, 26));
    }
}
