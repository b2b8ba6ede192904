//! The code contract of a release: which tables and columns its code may read and write,
//! and which it must stop using (retired in it). This is what an ORM's ignore list needs
//! (ActiveRecord's `ignored_columns`, SQLAlchemy's excluded properties), and what `check`
//! holds the release's recorded queries against, so that code still reading a column the
//! release retires is caught at review time, before any migration runs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{CodeContractSettings, Config};
use crate::diag::{Diag, Error, Result};
use crate::model::View;
use crate::plan::Plan;
use crate::sql::lex;
use crate::sql::Dialect;
use crate::templates::Templates;
use crate::verify::queries;

/// A table or one of its columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

    /// Through the ORM template `orm/<name>.tera` (built in: activerecord.rb, sqlalchemy.py),
    /// each table's model named by `models` (the project's map, then Rails' inflection).
    pub fn render(
        &self,
        templates: &Templates,
        template: &str,
        models: &CodeContractSettings,
    ) -> Result<String> {
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
                        "model": class_of(models, &r.table)?,
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

/// The class of `table`'s model: the project's `[code_contract.models]`, else the name
/// Rails derives (`people` -> `Person`, `order_items` -> `OrderItem`).
fn model_name(models: &CodeContractSettings, table: &str) -> String {
    models
        .model(table)
        .map_or_else(|| crate::inflect::classify(table), str::to_string)
}

/// [`model_name`], refused where it is no class name (`order-items` gives
/// `Order-item`): printed, it would be code that does not load.
fn class_of(models: &CodeContractSettings, table: &str) -> Result<String> {
    let class = model_name(models, table);
    if crate::config::is_class_name(&class) {
        return Ok(class);
    }
    Err(Diag::input(format!(
        "table `{table}` gives the model name `{class}`, which is not a class name"
    ))
    .help(format!(
        "name its model in tandem.toml: [code_contract.models] \"{table}\" = \"ClassName\""
    ))
    .into())
}

/// Every table `[code_contract.models]` maps must be one some release's code knows: a
/// name that is none is a typo, which would leave the model it means unnamed.
pub fn check_models(config: &Config, plan: &Plan) -> Result<()> {
    let known: std::collections::BTreeSet<&str> = plan
        .views
        .iter()
        .flat_map(|v| v.tables.values().map(|t| t.name.as_str()))
        .collect();
    for table in config.code_contract.models.keys() {
        if !known.contains(table.get_ref().as_str()) {
            let names: Vec<&str> = known.iter().copied().collect();
            return Err(Diag::input(format!(
                "[code_contract.models] names table `{}`, which no release has",
                table.get_ref()
            ))
            .at(crate::diag::Location::new(&config.file, table.span()))
            .label("unknown table")
            .help(crate::diag::suggestion(table.get_ref(), &names))
            .into());
        }
    }
    Ok(())
}

/// A recorded query of a release that still names something its code must no longer use.
#[derive(Debug, Clone)]
pub struct StaleQuery {
    /// `queries/1.4.0/report.sql`, relative to the project.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub retired: Retired,
    /// The release whose code stopped using it (the release asked about, or an earlier one).
    pub retired_in: String,
    pub statement: String,
}

/// What the code of release `r` must no longer use: every table and column the code of an
/// earlier version used that `r`'s code does not have, each with the latest release that
/// retired it. `stops_using[k]` is release `k`'s [`CodeContract::stops_using`].
pub fn retired_by(plan: &Plan, stops_using: &[Vec<Retired>], r: usize) -> Vec<(Retired, String)> {
    let now = plan.view(r);
    let mut out: Vec<(Retired, String)> = Vec::new();
    for (k, retired) in stops_using.iter().enumerate().take(r + 1) {
        for item in retired {
            let gone = match (&item.column, now.table(&item.table)) {
                (_, None) => item.column.is_none(),
                (Some(c), Some(t)) => t.column(c).is_none(),
                (None, Some(_)) => false,
            };
            if gone {
                out.retain(|(known, _)| known != item);
                out.push((item.clone(), plan.releases.name(k).to_string()));
            }
        }
    }
    out
}

/// A statement of a query file, and the names it reads.
struct ReadStatement {
    file: String,
    text: String,
    /// (name, quoted, line, column).
    names: Vec<(String, bool, usize, usize)>,
}

/// The statements of the `.sql` files of `dir`, read as `dialect` reads them.
fn read_statements(config: &Config, dir: &Path) -> Result<Vec<ReadStatement>> {
    let mut out = Vec::new();
    for path in query_files(dir)? {
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        let lines = queries::Lines::of(&text);
        for span in lex::statement_spans(Some(config.dialect), &text) {
            let sql = &text[span.clone()];
            let names = queries::names_read(config.dialect, sql)
                .into_iter()
                .map(|n| {
                    let (line, column) = lines.at(span.start + n.span.start);
                    (n.name, n.quoted, line, column)
                })
                .collect();
            out.push(ReadStatement {
                file: config.display(&path),
                text: sql.to_string(),
                names,
            });
        }
    }
    Ok(out)
}

/// The `.sql` files of `dir`, sorted; none when it does not exist.
pub fn query_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The statements among `statements` that name something of `retired`. A statement names
/// a retired column when it names both the column and its table; a retired table, when
/// it names the table. Names compare as `dialect` compares them.
fn stale_queries(
    dialect: Dialect,
    statements: &[ReadStatement],
    retired: &[(Retired, String)],
) -> Vec<StaleQuery> {
    let mut out = Vec::new();
    for statement in statements {
        let named = |name: &str| {
            statement.names.iter().find(|(n, quoted, _, _)| {
                let read = lex::Name {
                    name: n.clone(),
                    quoted: *quoted,
                    span: 0..0,
                };
                lex::is(Some(dialect), &read, name)
            })
        };
        for (item, retired_in) in retired {
            let hit = match &item.column {
                Some(column) => named(&item.table).and(named(column)),
                None => named(&item.table),
            };
            if let Some((_, _, line, column)) = hit {
                out.push(StaleQuery {
                    file: statement.file.clone(),
                    line: *line,
                    column: *column,
                    retired: item.clone(),
                    retired_in: retired_in.clone(),
                    statement: statement.text.trim().to_string(),
                });
            }
        }
    }
    out
}

/// The refusals of every release's recorded queries (under `[verify] queries`; its own,
/// or the nearest earlier release's it runs) that name what its code must no longer use:
/// what it retires, or an earlier release retired. A statement a later release inherits
/// is refused once.
pub fn stale_query_problems(config: &Config, plan: &Plan) -> Result<Vec<Diag>> {
    let dirs = queries::code_dirs(config, plan)?;
    let stops_using: Vec<Vec<Retired>> = (0..plan.releases.len())
        .map(|r| of_release(plan, r).stops_using)
        .collect();
    let mut read: HashMap<PathBuf, Vec<ReadStatement>> = HashMap::new();
    let mut reported = HashSet::new();
    let mut out = Vec::new();
    for r in 0..plan.releases.len() {
        let Some((owner, path)) = &dirs[r + 1] else {
            continue;
        };
        let retired = retired_by(plan, &stops_using, r);
        if retired.is_empty() {
            continue;
        }
        if !read.contains_key(path) {
            read.insert(path.clone(), read_statements(config, path)?);
        }
        let release = plan.releases.name(r);
        let inherited = (owner != release).then_some(owner.as_str());
        for q in stale_queries(config.dialect, &read[path], &retired) {
            if reported.insert((q.file.clone(), q.line, q.column, q.retired.clone())) {
                out.push(stale_query_diag(&q, release, inherited));
            }
        }
    }
    Ok(out)
}

/// The refusal of a stale query, pointing at the file, line and column. `inherited`: the
/// release whose queries `release` runs, having none of its own.
pub fn stale_query_diag(q: &StaleQuery, release: &str, inherited: Option<&str>) -> Diag {
    let first_line = q.statement.lines().next().unwrap_or_default();
    let what = q.retired.describe();
    let retired_in = &q.retired_in;
    let mut diag = Diag::refused(format!(
        "refused: a query of release {release} still uses {what}, which {retired_in} stops using"
    ))
    .note(format!("{}:{}:{}: {first_line}", q.file, q.line, q.column));
    if let Some(owner) = inherited {
        diag = diag.note(format!(
            "{release} has no queries of its own, so its code is taken to run {owner}'s"
        ));
    }
    diag = if retired_in == release {
        diag.note(format!(
            "while {release} rolls out, its contract drops nothing yet; once the drop runs, this query fails"
        ))
    } else {
        diag.note(format!(
            "{retired_in}'s code already stopped using it, so a contract of {release} or later may drop it; once the drop runs, this query fails"
        ))
    };
    let record = match inherited {
        Some(_) => format!("record {release}'s own queries in its directory (tandem queries import FILE --release {release})"),
        None => format!("change the code of {release} so it no longer reads or writes {what} (and record its queries again)"),
    };
    diag.help(format!(
        "{record}, or keep it in use: remove the change that retires it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_follow_the_orm_convention() {
        let none = CodeContractSettings::default();
        assert_eq!(model_name(&none, "users"), "User");
        assert_eq!(model_name(&none, "order_items"), "OrderItem");
        assert_eq!(model_name(&none, "categories"), "Category");
        assert_eq!(model_name(&none, "address"), "Address");
        assert_eq!(model_name(&none, "addresses"), "Address");
        assert_eq!(model_name(&none, "access"), "Access");
        assert_eq!(model_name(&none, "people"), "Person");
        assert_eq!(model_name(&none, "news"), "News");
    }
}
