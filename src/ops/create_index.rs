//! `create_index`: built in expand without blocking writes where the dialect can.

use std::collections::BTreeMap;

use super::op::{key_leads_with, OpContext, Operation, Step, Timing};
use crate::action::Action;
use crate::diag::{suggestion, Diag, Location, Result};
use crate::model::{Index, IndexOptions};
use crate::parse::decl::check_identifier;
use crate::parse::{Fields, Located};

#[derive(Debug)]
pub struct CreateIndex {
    table: Located<String>,
    columns: Located<Vec<String>>,
    name: Option<Located<String>>,
    unique: bool,
    options: IndexOptions,
    /// Where `include` and `opclass` are written, for their errors.
    include_at: Option<Located<Vec<String>>>,
    opclass_at: Option<Location>,
}

/// The index methods a change file may name.
pub const METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin"];

/// A column part's `NULLS FIRST` or `NULLS LAST` (Postgres), taken off its end: the
/// rest, and `first` or `last`.
fn nulls_part(text: &str) -> (&str, Option<&'static str>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [.., n, o] if n.eq_ignore_ascii_case("nulls") => {
            let order = if o.eq_ignore_ascii_case("first") {
                "first"
            } else if o.eq_ignore_ascii_case("last") {
                "last"
            } else {
                return (text, None);
            };
            let cut = text.trim_end();
            let cut = cut[..cut.len() - o.len()].trim_end();
            (cut[..cut.len() - n.len()].trim_end(), Some(order))
        }
        _ => (text, None),
    }
}

/// `email`, `email(20)` (a prefix length), `email DESC`, `email(20) desc`.
fn column_part(text: &str) -> std::result::Result<(String, Option<u32>, bool), String> {
    let text = text.trim();
    let (head, desc) = match text.rsplit_once(char::is_whitespace) {
        Some((h, o)) if o.eq_ignore_ascii_case("desc") => (h.trim(), true),
        Some((h, o)) if o.eq_ignore_ascii_case("asc") => (h.trim(), false),
        Some(_) => {
            return Err(format!(
                "`{text}` is not a column: write `name`, `name(N)` or `name DESC`; an \
                 expression goes in `expressions`"
            ))
        }
        None => (text, false),
    };
    match head.split_once('(') {
        None => Ok((head.to_string(), None, desc)),
        Some((name, rest)) => match rest.strip_suffix(')').map(|n| n.trim().parse::<u32>()) {
            Some(Ok(n)) if n > 0 => Ok((name.trim().to_string(), Some(n), desc)),
            _ => Err(format!(
                "`{text}` is not a column with a prefix length such as `email(20)`; an \
                 expression goes in `expressions`"
            )),
        },
    }
}

pub fn parse(fields: &mut Fields<'_, '_>) -> Result<Box<dyn Operation>> {
    let table = fields.str(&["table"], "the table to index")?;
    let listed = match fields.opt_str_list(&["columns"])? {
        Some(c) => Some(c),
        None => fields.opt_str(&["column"])?.map(|c| Located {
            value: vec![c.value],
            location: c.location,
        }),
    };
    let expressions = fields.opt_str_list(&["expressions", "expression"])?;
    let mut options = IndexOptions::default();
    let columns = listed_columns(fields, listed, &mut options)?;
    if let Some(e) = &expressions {
        if e.value.iter().any(|x| x.trim().is_empty()) {
            return Err(Diag::input("an index expression is empty")
                .at(e.location.clone())
                .into());
        }
        options.expressions = e.value.clone();
    }
    if columns.value.is_empty() && options.expressions.is_empty() {
        return Err(fields
            .missing("columns", "a list of column names, or `expressions`")
            .into());
    }
    let name = fields.opt_str(&["name", "index"])?;
    if let Some(n) = &name {
        check_identifier(fields.file, &n.value, n.location.span.clone(), "index")?;
    }
    let unique = fields.opt_bool(&["unique"])?.is_some_and(|u| u.value);
    if let Some(w) = fields.opt_str(&["where"])? {
        if w.value.trim().is_empty() {
            return Err(Diag::input("`where` is empty")
                .at(w.location)
                .label("a partial index needs a predicate, such as `deleted_at IS NULL`")
                .into());
        }
        options.predicate = Some(w.value);
    }
    if let Some(m) = fields.opt_str(&["method", "using"])? {
        let lower = m.value.to_ascii_lowercase();
        if !METHODS.contains(&lower.as_str()) {
            return Err(Diag::input(format!("unknown index method `{}`", m.value))
                .at(m.location)
                .label(format!("expected one of: {}", METHODS.join(", ")))
                .help(suggestion(&lower, METHODS))
                .into());
        }
        options.method = Some(lower);
    }
    let include_at = fields.opt_str_list(&["include"])?;
    if let Some(i) = &include_at {
        options.include = i.value.clone();
    }
    let mut opclass_at = None;
    if let Some((classes, at)) = operator_classes(fields)? {
        options.opclass = classes;
        opclass_at = Some(at);
    }
    options.fulltext = fields.opt_bool(&["fulltext"])?.is_some_and(|f| f.value);
    options.nulls_not_distinct = fields
        .opt_bool(&["nulls_not_distinct"])?
        .is_some_and(|f| f.value);
    Ok(Box::new(CreateIndex {
        table,
        columns,
        name,
        unique,
        options,
        include_at,
        opclass_at,
    }))
}

/// The listed columns, each read for its prefix length and `DESC` (kept in `options`);
/// none listed: an index of expressions only.
fn listed_columns(
    fields: &mut Fields<'_, '_>,
    listed: Option<Located<Vec<String>>>,
    options: &mut IndexOptions,
) -> Result<Located<Vec<String>>> {
    let columns = match listed {
        Some(l) => {
            let mut names = Vec::new();
            for text in &l.value {
                let (text, nulls) = nulls_part(text);
                let (name, prefix, desc) = column_part(text)
                    .map_err(|m| Diag::input(m).at(l.location.clone()).label("in this list"))?;
                check_identifier(fields.file, &name, l.location.span.clone(), "column")?;
                if let Some(n) = prefix {
                    options.prefix.insert(name.clone(), n);
                }
                if desc {
                    options.desc.push(name.clone());
                }
                // Only the order that is not the default is kept: NULLs come last
                // ascending and first descending.
                let default = if desc { "first" } else { "last" };
                if let Some(order) = nulls.filter(|o| *o != default) {
                    options.nulls.insert(name.clone(), order.to_string());
                }
                names.push(name);
            }
            Located {
                value: names,
                location: l.location,
            }
        }
        None => Located {
            value: Vec::new(),
            location: fields.location(),
        },
    };
    Ok(columns)
}

/// The `opclass` table (column to operator class name), with where it is written.
fn operator_classes(
    fields: &mut Fields<'_, '_>,
) -> Result<Option<(BTreeMap<String, String>, Location)>> {
    let Some((t, span)) = fields.opt_table(&["opclass"])? else {
        return Ok(None);
    };
    let at = fields.loc(span);
    let mut classes = BTreeMap::new();
    for (k, v) in t.iter() {
        let Some(class) = v.get_ref().as_str() else {
            return Err(Diag::input("an operator class is a string")
                .at(fields.loc(v.span()))
                .label("e.g. opclass = { email = \"text_pattern_ops\" }")
                .into());
        };
        if !class
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(
                Diag::input(format!("`{class}` is not an operator class name"))
                    .at(fields.loc(v.span()))
                    .into(),
            );
        }
        classes.insert(k.get_ref().to_string(), class.to_string());
    }
    Ok(Some((classes, at)))
}

impl CreateIndex {
    fn index_name(&self) -> String {
        match &self.name {
            Some(n) => n.value.clone(),
            None => {
                // Long names keep a prefix and a hash: two indexes whose names share
                // their first 63 characters stay distinct. An expression lends its words.
                let mut words = self.columns.value.clone();
                for e in &self.options.expressions {
                    words.extend(
                        e.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                            .filter(|w| !w.is_empty())
                            .map(str::to_ascii_lowercase),
                    );
                }
                super::op::default_name(&self.table.value, &words, "idx")
            }
        }
    }
}

impl Operation for CreateIndex {
    fn leads_key(&self, column: &str) -> bool {
        key_leads_with(&self.columns.value, column)
    }

    fn kind(&self) -> &'static str {
        "create_index"
    }

    fn describe(&self) -> String {
        let mut keys = self.columns.value.clone();
        keys.extend(self.options.expressions.iter().cloned());
        let mut text = format!(
            "create {}index {} on {}({})",
            if self.options.fulltext {
                "fulltext "
            } else if self.unique {
                "unique "
            } else {
                ""
            },
            self.index_name(),
            self.table.value,
            keys.join(", ")
        );
        if let Some(p) = &self.options.predicate {
            text.push_str(&format!(" where {p}"));
        }
        if self.options.fulltext {
            text.push_str(" (MySQL blocks writes to the table while it builds)");
        }
        text
    }

    fn apply(&self, cx: &mut OpContext<'_>) -> Result<Vec<Step>> {
        cx.columns(&self.table, &self.columns)?;
        if let Some(include) = &self.include_at {
            cx.columns(&self.table, include)?;
        }
        if let Some(at) = &self.opclass_at {
            if let Some(c) = self
                .options
                .opclass
                .keys()
                .find(|c| !self.columns.value.contains(c))
            {
                return Err(Diag::input(format!(
                    "`opclass` names `{c}`, which is not a column of this index"
                ))
                .at(at.clone())
                .label("an operator class belongs to a key column")
                .help(suggestion(
                    c,
                    &self
                        .columns
                        .value
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                ))
                .into());
            }
        }
        let name = self.index_name();
        let at = self
            .name
            .as_ref()
            .map_or(self.table.location.clone(), |n| n.location.clone());
        if let Some(until) = cx.index_name_still_held(&self.table.value, &name) {
            let when = match until {
                Some(_) => "until the contract that drops it".to_string(),
                None => "until the contract that drops it, not placed yet".to_string(),
            };
            return Err(Diag::input(format!(
                "index `{name}` still exists in the database {when}"
            ))
            .at(at)
            .label("a dropped index keeps its name until its contract runs")
            .help("give this index another `name`, or create it in a release after that contract")
            .into());
        }
        if cx.schema.index_name_taken(&self.table.value, &name) {
            return Err(Diag::input(format!("index `{name}` already exists"))
                .at(self
                    .name
                    .as_ref()
                    .map_or(self.table.location.clone(), |n| n.location.clone()))
                .label(if cx.schema.index_names_per_table() {
                    "index names are unique within a table"
                } else {
                    "index names are unique across the schema"
                })
                .help("give this index another `name`")
                .into());
        }
        let index = Index {
            name: name.clone(),
            table: self.table.value.clone(),
            columns: self.columns.value.clone(),
            unique: self.unique,
            options: self.options.clone(),
        };
        cx.schema.insert_index(index.clone());
        Ok(vec![Step::new(
            Timing::Expand,
            self.describe(),
            vec![Action::CreateIndex { index }],
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn index_gets_a_default_name_and_is_an_expand_step() {
        let mut s = schema(USERS);
        let steps = apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\", \"id\"]",
        )
        .unwrap();
        assert_eq!(timings(&steps), ["expand"]);
        assert!(s.index_on("users", "users_email_id_idx").is_some());
    }

    #[test]
    fn column_entries_carry_a_prefix_length_and_an_order() {
        use super::column_part;
        assert_eq!(column_part("email"), Ok(("email".into(), None, false)));
        assert_eq!(column_part("bio(20)"), Ok(("bio".into(), Some(20), false)));
        assert_eq!(column_part("score DESC"), Ok(("score".into(), None, true)));
        assert_eq!(
            column_part("bio(8) asc"),
            Ok(("bio".into(), Some(8), false))
        );
        assert!(column_part("lower(email)").is_err());
        assert!(column_part("bio(0)").is_err());
        assert!(column_part("a b").is_err());
    }

    #[test]
    fn options_are_kept_and_an_expression_lends_its_words_to_the_name() {
        let mut s = schema(USERS);
        apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\nexpressions = [\"lower(email)\"]\nwhere = \"nickname IS NOT NULL\"\nmethod = \"HASH\"\ninclude = [\"id\"]",
        )
        .unwrap();
        let index = s.indexes_named("users_lower_email_idx")[0];
        assert_eq!(index.options.method.as_deref(), Some("hash"));
        assert_eq!(index.options.include, ["id"]);
        assert!(
            index.uses(None, "email") && index.uses(None, "nickname") && index.uses(None, "id")
        );
        assert!(!index.uses(None, "legacy_email"));
        // Dropping a column an expression or the predicate reads drops the index with it.
        apply(
            &mut s,
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"",
        )
        .unwrap();
        assert!(s.indexes.is_empty());
    }

    #[test]
    fn an_unknown_method_suggests_and_an_opclass_needs_a_key_column() {
        let err = op(
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nmethod = \"gist2\"",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `gist`?"),
            "{}",
            err.render()
        );
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nopclass = { emial = \"text_pattern_ops\" }",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `email`?"),
            "{}",
            err.render()
        );
        let err = op("type = \"create_index\"\ntable = \"users\"").unwrap_err();
        assert!(
            err.render().contains("missing `columns`"),
            "{}",
            err.render()
        );
    }

    #[test]
    fn unknown_column_suggests() {
        let mut s = schema(USERS);
        let err = apply(
            &mut s,
            "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"emial\"]",
        )
        .unwrap_err();
        assert!(
            err.render().contains("did you mean `email`?"),
            "{}",
            err.render()
        );
    }
}
