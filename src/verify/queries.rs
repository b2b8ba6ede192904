//! A release's real statements, `queries/<release>/*.sql`: split at `;`, their
//! placeholders (`$1`, `?`, `:name`) bound from probe values by the column each is
//! compared with or written to, and run in every cell of the rehearsal by the code of
//! that release. Also `tandem queries import`: statements from a Postgres statement log,
//! a `pg_stat_statements` CSV export or a plain file, deduplicated.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::model::View;
use crate::plan::Plan;
use crate::sql::lex::{self, Kind};
use crate::sql::Dialect;

/// One statement of a query file.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `queries/1.3.0/report.sql`, as the project names it.
    pub file: String,
    /// 1-based line where the statement starts.
    pub line: usize,
    pub sql: String,
    /// Values the file gives for placeholders, from `-- tandem:bind $1 = 'x', :name = 3`
    /// comment lines just above the statement: SQL literals, used as written.
    pub given: HashMap<String, String>,
    /// The dialect the statement is written in (the project's): how its strings read.
    pub dialect: Dialect,
}

/// The comment that gives placeholder values for the statement below it.
pub const BIND_MARK: &str = "-- tandem:bind ";

/// The values `-- tandem:bind` lines give in the comment block right above line `line`
/// (1-based) of `text`: `$1 = 'a@x', :status = 'open'`; a comma inside quotes stays in
/// the value.
pub fn given_values(text: &str, line: usize) -> HashMap<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    given_values_in(&lines, line)
}

/// As [`given_values`], over the lines of the text, split once for all its statements
/// (a file of many statements is not read again for each).
fn given_values_in(lines: &[&str], line: usize) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut i = line.saturating_sub(1);
    while i > 0 {
        i -= 1;
        let l = lines.get(i).map(|l| l.trim()).unwrap_or_default();
        if !l.starts_with("--") {
            break;
        }
        let Some(rest) = l.strip_prefix(BIND_MARK.trim_end()) else {
            continue;
        };
        for pair in split_outside_quotes(rest, ',') {
            if let Some((name, value)) = pair.split_once('=') {
                let (name, value) = (name.trim(), value.trim());
                if !name.is_empty() && !value.is_empty() {
                    out.entry(name.to_string())
                        .or_insert_with(|| value.to_string());
                }
            }
        }
    }
    out
}

fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in text.chars() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

impl Statement {
    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The directory of the project's queries: `[verify] queries`, default `queries`.
pub fn dir(config: &Config) -> PathBuf {
    config
        .root
        .join(config.verify.queries.as_deref().unwrap_or("queries"))
}

/// The directory of queries each code version of `plan` runs, with the release it is
/// named by: index 0 the code before the first release, index `i + 1` release `i`'s, as
/// `plan.views` is indexed. A release with no directory of its own runs the nearest
/// earlier one's.
pub fn code_dirs(config: &Config, plan: &Plan) -> Result<Vec<Option<(String, PathBuf)>>> {
    let root = dir(config);
    let mut per_code = vec![None; plan.releases.len() + 1];
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Ok(per_code);
    };
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Err((message, help)) = config.order.validate(&name) {
            return Err(Diag::input(format!(
                "{}: a directory of queries must be named by a release: {message}",
                config.display(&path)
            ))
            .help(help)
            .into());
        }
        dirs.push((name, path));
    }
    dirs.sort_by(|a, b| config.order.compare(&a.0, &b.0));
    for (code, slot) in per_code.iter_mut().enumerate() {
        *slot = dirs
            .iter()
            .rev()
            .find(|(name, _)| {
                let ord = config
                    .order
                    .compare(name, plan.releases.name(code.max(1) - 1));
                if code == 0 {
                    ord.is_lt()
                } else {
                    ord.is_le()
                }
            })
            .cloned();
    }
    Ok(per_code)
}

/// The statements each code version of `plan` runs, indexed as [`code_dirs`].
pub fn load(config: &Config, plan: &Plan) -> Result<Vec<Vec<Statement>>> {
    code_dirs(config, plan)?
        .into_iter()
        .map(|d| match d {
            Some((_, path)) => read_dir(config, &path),
            None => Ok(Vec::new()),
        })
        .collect()
}

fn read_dir(config: &Config, dir: &Path) -> Result<Vec<Statement>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql") && p.is_file())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let file = config.display(&path);
        let lines: Vec<&str> = text.lines().collect();
        for (line, sql) in split(config.dialect, &text) {
            out.push(Statement {
                file: file.clone(),
                line,
                sql,
                given: given_values_in(&lines, line),
                dialect: config.dialect,
            });
        }
    }
    Ok(out)
}

/// The statements of a script, each with the line it starts on: split at the `;` that
/// `dialect` reads as one (see [`lex::statement_spans`]); comments before a statement
/// left out.
pub fn split(dialect: Dialect, text: &str) -> Vec<(usize, String)> {
    let lines = Lines::of(text);
    lex::statement_spans(Some(dialect), text)
        .into_iter()
        .map(|span| (lines.at(span.start).0, text[span].to_string()))
        .collect()
}

/// Where each line of a text starts, to turn byte offsets into 1-based line and column
/// (in characters) without reading the text again per offset.
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn of(text: &'a str) -> Lines<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The 1-based line and column of byte offset `at`.
    pub fn at(&self, at: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= at).max(1);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..at)
            .map_or(1, |t| t.chars().count() + 1);
        (line, column)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Op(String),
    /// A placeholder, as written.
    Param(String),
    Other,
}

/// The tokens of a statement with their byte spans, as [`lex::tokens`] reads them in
/// `dialect`, with placeholders (`$1`, `?`, `:name`) and two-character operators joined.
fn tokens(dialect: Dialect, sql: &str) -> Vec<(Tok, Range<usize>)> {
    let lexed = lex::tokens(Some(dialect), sql);
    let text = |k: usize| lexed.get(k).map_or("", |t| &sql[t.span.clone()]);
    // The token after `k`, if it follows with no space between.
    let touching = |k: usize| {
        lexed
            .get(k + 1)
            .filter(|n| n.span.start == lexed[k].span.end)
    };
    let mut out = Vec::new();
    let mut k = 0;
    while k < lexed.len() {
        let t = &lexed[k];
        let here = text(k);
        let next = touching(k);
        let mut span = t.span.clone();
        let tok = match t.kind {
            Kind::Word => Tok::Word(here.to_string()),
            Kind::Quoted => Tok::Word(lex::unquote(here)),
            Kind::String | Kind::Number => Tok::Other,
            Kind::Symbol if is_placeholder_start(sql, &lexed, k) => {
                if here != "?" && here.len() == 1 {
                    span.end = next.map_or(span.end, |n| n.span.end);
                    k += 1;
                }
                Tok::Param(sql[span.clone()].to_string())
            }
            Kind::Symbol => {
                let two = next.map(|n| format!("{here}{}", &sql[n.span.clone()]));
                match two.filter(|t| ["<=", ">=", "<>", "!=", "::"].contains(&t.as_str())) {
                    Some(op) => {
                        span.end += 1;
                        k += 1;
                        Tok::Op(op)
                    }
                    None => Tok::Op(here.to_string()),
                }
            }
        };
        out.push((tok, span));
        k += 1;
    }
    out
}

/// Whether the symbol `lexed[k]` starts a placeholder: `?`; `$1` (one symbol in Postgres;
/// `$` then the number elsewhere); `:name` right after no other `:` (`a::text` casts).
fn is_placeholder_start(sql: &str, lexed: &[lex::Token], k: usize) -> bool {
    let t = &lexed[k];
    let here = &sql[t.span.clone()];
    let next = lexed
        .get(k + 1)
        .filter(|n| n.span.start == t.span.end)
        .map(|n| (n.kind, &sql[n.span.clone()]));
    let after_colon =
        k > 0 && lexed[k - 1].span.end == t.span.start && &sql[lexed[k - 1].span.clone()] == ":";
    match here {
        "?" => true,
        "$" => next.is_some_and(|(kind, n)| kind == Kind::Number && is_digits(n)),
        ":" => !after_colon && next.is_some_and(|(kind, _)| kind == Kind::Word),
        _ => here.strip_prefix('$').is_some_and(is_digits),
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The names of tables and columns a statement names, as `dialect` reads it: words and
/// quoted names outside strings and comments, less placeholders (`:name`), types after
/// `::` and functions called (`lower(`); a table written `INTO t (` stays.
pub fn names_read(dialect: Dialect, sql: &str) -> Vec<lex::Name> {
    let toks = tokens(dialect, sql);
    let mut out = Vec::new();
    for (i, (t, span)) in toks.iter().enumerate() {
        let Tok::Word(name) = t else { continue };
        let before = i.checked_sub(1).map(|p| &toks[p].0);
        let open = toks
            .get(i + 1)
            .is_some_and(|(n, _)| *n == Tok::Op("(".into()));
        // `INSERT INTO t (a, b)`: a table before its column list, not a call.
        let table_before_columns = before.is_some_and(|b| {
            [
                "into", "insert", "replace", "table", "update", "join", "from",
            ]
            .iter()
            .any(|k| is_kw(b, k))
        });
        let cast = before == Some(&Tok::Op("::".into()));
        if (open && !table_before_columns) || cast {
            continue;
        }
        out.push(lex::Name {
            name: name.clone(),
            quoted: sql[span.clone()].starts_with(['"', '`', '[']),
            span: span.clone(),
        });
    }
    out
}

fn is_kw(t: &Tok, w: &str) -> bool {
    matches!(t, Tok::Word(x) if x.eq_ignore_ascii_case(w))
}

fn is_cmp(t: &Tok) -> bool {
    matches!(t, Tok::Op(o) if ["=", "<", ">", "<=", ">=", "<>", "!="].contains(&o.as_str()))
        || is_kw(t, "like")
        || is_kw(t, "ilike")
}

/// The column a word before `at` names: `col`, `t.col`.
fn column_before(toks: &[(Tok, Range<usize>)], at: usize) -> Option<String> {
    match toks.get(at.checked_sub(1)?)?.0.clone() {
        Tok::Word(w) => Some(w),
        _ => None,
    }
}

/// A placeholder's span, its text, and the column it is compared with or written to.
type Target = (Range<usize>, String, Option<String>);

/// The placeholders of `sql`, and the tables the statement names.
fn targets(dialect: Dialect, sql: &str) -> (Vec<Target>, Vec<String>) {
    let toks = tokens(dialect, sql);
    let mut tables = Vec::new();
    for (i, (t, _)) in toks.iter().enumerate() {
        if ["from", "join", "into", "update"]
            .iter()
            .any(|k| is_kw(t, k))
        {
            if let Some((Tok::Word(name), _)) = toks.get(i + 1) {
                tables.push(name.clone());
            }
        }
    }
    // INSERT INTO t (a, b) VALUES ($1, $2), ...: by position.
    let mut inserted: HashMap<usize, String> = HashMap::new();
    if toks.first().is_some_and(|(t, _)| is_kw(t, "insert")) {
        let open = toks.iter().position(|(t, _)| *t == Tok::Op("(".into()));
        let values = toks.iter().position(|(t, _)| is_kw(t, "values"));
        if let (Some(open), Some(values)) = (open, values) {
            if open < values {
                let columns: Vec<String> = toks[open + 1..values]
                    .iter()
                    .filter_map(|(t, _)| match t {
                        Tok::Word(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                let (mut depth, mut index) = (0, 0);
                for (i, (t, _)) in toks.iter().enumerate().skip(values + 1) {
                    match t {
                        Tok::Op(o) if o == "(" => {
                            depth += 1;
                            if depth == 1 {
                                index = 0;
                            }
                        }
                        Tok::Op(o) if o == ")" => depth -= 1,
                        Tok::Op(o) if o == "," && depth == 1 => index += 1,
                        Tok::Param(_) if depth == 1 => {
                            if let Some(c) = columns.get(index) {
                                inserted.insert(i, c.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, (t, span)) in toks.iter().enumerate() {
        let Tok::Param(p) = t else { continue };
        let limit = i > 0 && (is_kw(&toks[i - 1].0, "limit") || is_kw(&toks[i - 1].0, "offset"));
        let column = if limit {
            None
        } else if let Some(c) = inserted.get(&i) {
            Some(c.clone())
        } else if i > 0 && is_cmp(&toks[i - 1].0) {
            column_before(&toks, i - 1)
        } else if toks.get(i + 1).is_some_and(|(t, _)| is_cmp(t)) {
            match toks.get(i + 2) {
                Some((Tok::Word(w), _)) => {
                    // `t.col`: the word after the dot.
                    match (toks.get(i + 3), toks.get(i + 4)) {
                        (Some((Tok::Op(d), _)), Some((Tok::Word(c), _))) if d == "." => {
                            Some(c.clone())
                        }
                        _ => Some(w.clone()),
                    }
                }
                _ => None,
            }
        } else {
            // Inside `col IN (...)` or `col BETWEEN ? AND ?`.
            let mut j = i;
            let mut found = None;
            while j > 0 {
                j -= 1;
                match &toks[j].0 {
                    Tok::Op(o) if o == "(" => {
                        if j > 0 && is_kw(&toks[j - 1].0, "in") {
                            found = column_before(&toks, j - 1);
                        }
                        break;
                    }
                    t if is_kw(t, "between") => {
                        found = column_before(&toks, j);
                        break;
                    }
                    Tok::Op(o) if o == "," => continue,
                    Tok::Param(_) => continue,
                    t if is_kw(t, "and") => continue,
                    _ => break,
                }
            }
            found.or_else(|| p.strip_prefix(':').map(str::to_string))
        };
        // LIMIT and OFFSET take a number: the empty column says so.
        let column = if limit { Some(String::new()) } else { column };
        out.push((span.clone(), p.clone(), column));
    }
    (out, tables)
}

/// `sql` with every placeholder replaced by a literal: what `value` gives for the
/// table and column it belongs to (a table the statement names first), `1` after LIMIT
/// or OFFSET, else the text `'1'`. The same `$n` or `:name` gets the same value.
pub fn bind(
    dialect: Dialect,
    sql: &str,
    view: &View,
    value: &mut dyn FnMut(&str, &str) -> String,
) -> String {
    bind_given(dialect, sql, view, &HashMap::new(), value)
}

/// As [`bind`], with the values the file gives (`$1`, `:name`) used first.
pub fn bind_given(
    dialect: Dialect,
    sql: &str,
    view: &View,
    given: &HashMap<String, String>,
    value: &mut dyn FnMut(&str, &str) -> String,
) -> String {
    let (targets, tables) = targets(dialect, sql);
    let mut chosen: HashMap<String, String> = given.clone();
    let mut out = String::new();
    let mut last = 0;
    for (span, placeholder, column) in targets {
        let literal = match chosen.get(&placeholder) {
            Some(v) if placeholder != "?" => v.clone(),
            _ => {
                let v = match column.as_deref() {
                    Some("") => "1".to_string(),
                    Some(c) => {
                        let named = tables
                            .iter()
                            .filter_map(|t| view.table(t))
                            .find(|t| t.column(c).is_some());
                        let any = view.tables.values().find(|t| t.column(c).is_some());
                        match named.or(any) {
                            Some(t) => value(&t.name, c),
                            None => "'1'".to_string(),
                        }
                    }
                    None => "'1'".to_string(),
                };
                chosen.insert(placeholder.clone(), v.clone());
                v
            }
        };
        out.push_str(&sql[last..span.start]);
        out.push_str(&literal);
        last = span.end;
    }
    out.push_str(&sql[last..]);
    out
}

/// Whether `sql` names `table` as a word (outside quotes and comments, roughly).
pub fn names_table(dialect: Dialect, sql: &str, table: &str) -> bool {
    tokens(dialect, sql)
        .iter()
        .any(|(t, _)| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(table)))
}

/// Whether a statement reads rows (and so is run as a query).
pub fn returns_rows(dialect: Dialect, sql: &str) -> bool {
    let words = first_words(dialect, sql, usize::MAX);
    matches!(
        words.first().map(String::as_str),
        Some("select" | "with" | "values" | "show" | "explain" | "table")
    ) || words.iter().any(|w| w == "returning")
}

/// The first `n` words of a statement as `dialect` reads it (comments and strings
/// skipped), lower-cased.
fn first_words(dialect: Dialect, sql: &str, n: usize) -> Vec<String> {
    lex::tokens(Some(dialect), sql)
        .into_iter()
        .filter(|t| t.kind == Kind::Word)
        .take(n)
        .map(|t| sql[t.span].to_ascii_lowercase())
        .collect()
}

/// Statements from a log or export, in the order first seen, deduplicated (by their
/// text with whitespace collapsed); transaction control and session settings left out.
/// An entry of a log may hold several statements (`SET ...; SELECT ...`): each is read
/// on its own, as `dialect` splits them.
pub fn import(dialect: Dialect, text: &str) -> Vec<String> {
    let found = if looks_like_csv(text) {
        from_csv(text)
    } else if text.lines().any(|l| log_statement(l).is_some()) {
        from_log(text)
    } else {
        vec![text.to_string()]
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for entry in found {
        for (_, s) in split(dialect, &entry) {
            if !is_control(dialect, &s) && seen.insert(normalize(&s)) {
                out.push(s);
            }
        }
    }
    out
}

/// Whether a statement only controls the transaction or the session (`BEGIN`, `START
/// TRANSACTION`, `COMMIT`, `END`, `ABORT`, `ROLLBACK TO SAVEPOINT`, `SET TRANSACTION`,
/// `SET search_path`, ...), in any case and after any comment: the rehearsal runs each
/// statement on its own, so these say nothing about the schema the code needs.
pub fn is_control(dialect: Dialect, sql: &str) -> bool {
    let words = first_words(dialect, sql, 2);
    let second = words.get(1).map(String::as_str);
    match words.first().map(String::as_str) {
        Some(
            "begin" | "start" | "commit" | "end" | "abort" | "rollback" | "savepoint" | "release"
            | "set" | "reset" | "show" | "deallocate" | "discard" | "use" | "xa",
        ) => true,
        // PREPARE TRANSACTION 'x' (two-phase commit), not PREPARE name AS ...
        Some("prepare") => second == Some("transaction"),
        _ => false,
    }
}

/// What [`import_into_release`] did.
#[derive(Debug)]
pub struct Imported {
    /// `queries/<release>/<file stem>.sql`, where new statements go.
    pub into: PathBuf,
    /// Statements appended.
    pub added: usize,
    /// Statements of the file the release's queries held already.
    pub already_there: usize,
}

/// `tandem queries import`: appends the statements of `file` that `queries/<release>/`
/// does not hold yet to `queries/<release>/<file stem>.sql`.
pub fn import_into_release(config: &Config, file: &Path, release: &str) -> Result<Imported> {
    if let Err((message, help)) = config.order.validate(release) {
        return Err(Diag::input(message).help(help).into());
    }
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let found = import(config.dialect, &text);
    let dir = dir(config).join(release);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut known = known_statements(config.dialect, &dir)?;
    let fresh: Vec<&String> = found
        .iter()
        .filter(|s| known.insert(normalize(s)))
        .collect();
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "imported".into());
    let into = dir.join(format!("{stem}.sql"));
    if !fresh.is_empty() {
        let mut body = std::fs::read_to_string(&into).unwrap_or_default();
        if body.is_empty() {
            body.push_str(&format!(
                "-- Statements of {release}'s code, imported from {}.\n",
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ));
        }
        for sql in &fresh {
            body.push('\n');
            body.push_str(sql);
            body.push_str(";\n");
        }
        std::fs::write(&into, body).map_err(|e| Error::io(&into, e))?;
    }
    Ok(Imported {
        into,
        added: fresh.len(),
        already_there: found.len() - fresh.len(),
    })
}

/// The statements of the `.sql` files of `dir`, normalized: what an import does not add
/// again.
fn known_statements(dialect: Dialect, dir: &Path) -> Result<std::collections::HashSet<String>> {
    let mut known = std::collections::HashSet::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "sql") {
            let existing = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            for (_, sql) in split(dialect, &existing) {
                known.insert(normalize(&sql));
            }
        }
    }
    Ok(known)
}

/// A statement's text with whitespace collapsed: the key of deduplication.
pub fn normalize(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn looks_like_csv(text: &str) -> bool {
    text.lines().next().is_some_and(|header| {
        parse_csv_row(header)
            .iter()
            .any(|f| f.trim().eq_ignore_ascii_case("query"))
            && header.contains(',')
    })
}

/// The statement a Postgres log line starts: `... LOG:  statement: SELECT ...` or
/// `... LOG:  execute <unnamed>: SELECT ...`.
fn log_statement(line: &str) -> Option<&str> {
    let at = line.find("LOG:")?;
    let rest = line[at + 4..].trim_start();
    let rest = rest
        .strip_prefix("duration:")
        .and_then(|r| r.split_once(" ms").map(|(_, r)| r.trim_start()))
        .unwrap_or(rest);
    if let Some(s) = rest.strip_prefix("statement:") {
        return Some(s.trim_start());
    }
    let s = rest.strip_prefix("execute ")?;
    let (_, sql) = s.split_once(": ")?;
    Some(sql)
}

fn from_log(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(sql) = log_statement(line) {
            if let Some(done) = current.take() {
                out.push(done);
            }
            current = Some(sql.to_string());
        } else if let (true, Some(c)) = (line.starts_with(['\t', ' ']), current.as_mut()) {
            // A statement that spans lines goes on, indented.
            c.push('\n');
            c.push_str(line.trim_start_matches('\t'));
        } else if let Some(done) = current.take() {
            out.push(done);
        }
    }
    out.extend(current);
    out
}

fn parse_csv_row(line: &str) -> Vec<String> {
    parse_csv(line).into_iter().next().unwrap_or_default()
}

/// Rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes and newlines).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut field)),
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                '\r' => {}
                _ => field.push(c),
            }
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn from_csv(text: &str) -> Vec<String> {
    let rows = parse_csv(text);
    let Some((header, rest)) = rows.split_first() else {
        return Vec::new();
    };
    let Some(col) = header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("query"))
    else {
        return Vec::new();
    };
    rest.iter().filter_map(|r| r.get(col).cloned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_semicolons_with_their_lines() {
        let text = "-- the report\nSELECT 1;\n\nSELECT ';'\n  FROM t; /* c */ UPDATE t SET a = $x$;$x$ WHERE b = 1;";
        let parts = split(Dialect::Postgres, text);
        assert_eq!(
            parts,
            vec![
                (2, "SELECT 1".to_string()),
                (4, "SELECT ';'\n  FROM t".to_string()),
                (5, "UPDATE t SET a = $x$;$x$ WHERE b = 1".to_string()),
            ]
        );
    }

    #[test]
    fn a_bind_comment_gives_values_to_the_statement_below_it() {
        let text = "SELECT 1;\n-- report\n-- tandem:bind $1 = 'a, b', :n = 3\nSELECT $1, :n;\n";
        let given = given_values(text, 4);
        assert_eq!(given.get("$1").map(String::as_str), Some("'a, b'"));
        assert_eq!(given.get(":n").map(String::as_str), Some("3"));
        assert!(given_values(text, 1).is_empty());
        let view = crate::model::View::default();
        let bound = bind_given(
            Dialect::Postgres,
            "SELECT $1, :n, :m",
            &view,
            &given,
            &mut |_, _| "'x'".into(),
        );
        assert_eq!(bound, "SELECT 'a, b', 3, '1'");
    }

    #[test]
    fn placeholders_find_their_columns() {
        let (t, tables) = targets(
            Dialect::Postgres,
            "SELECT u.id FROM users u WHERE u.email = $1 AND $2 < score AND id IN (?, ?) AND nickname = :nick LIMIT ?",
        );
        let cols: Vec<Option<String>> = t.into_iter().map(|(_, _, c)| c).collect();
        assert_eq!(
            cols,
            vec![
                Some("email".into()),
                Some("score".into()),
                Some("id".into()),
                Some("id".into()),
                Some("nickname".into()),
                Some(String::new()),
            ]
        );
        assert_eq!(tables, ["users"]);
        let (t, _) = targets(
            Dialect::Mysql,
            "INSERT INTO users (id, email) VALUES ($1, lower($2)), (?, ?)",
        );
        let cols: Vec<Option<String>> = t.into_iter().map(|(_, _, c)| c).collect();
        assert_eq!(
            cols,
            vec![
                Some("id".into()),
                None,
                Some("id".into()),
                Some("email".into())
            ]
        );
    }

    #[test]
    fn logs_and_exports_import_deduplicated() {
        let log = "2026-01-01 10:00:00 UTC [1] LOG:  statement: SELECT id, legacy_email FROM users WHERE id = 1\n\
                   2026-01-01 10:00:01 UTC [1] LOG:  execute <unnamed>: SELECT id,\n\tlegacy_email FROM users WHERE id = $1\n\
                   2026-01-01 10:00:01 UTC [1] DETAIL:  parameters: $1 = '5'\n\
                   2026-01-01 10:00:02 UTC [1] LOG:  statement: BEGIN\n\
                   2026-01-01 10:00:03 UTC [1] LOG:  execute S_1: SELECT id, legacy_email FROM users WHERE id = $1\n";
        assert_eq!(
            import(Dialect::Postgres, log),
            vec![
                "SELECT id, legacy_email FROM users WHERE id = 1".to_string(),
                "SELECT id,\nlegacy_email FROM users WHERE id = $1".to_string(),
            ]
        );
        let csv = "userid,dbid,query,calls\n10,5,\"SELECT a, b FROM t WHERE c = $1\",3\n10,5,\"UPDATE t\nSET \"\"b\"\" = $1\",1\n10,5,\"SELECT a,  b FROM t WHERE c = $1\",1\n";
        assert_eq!(
            import(Dialect::Postgres, csv),
            vec![
                "SELECT a, b FROM t WHERE c = $1".to_string(),
                "UPDATE t\nSET \"b\" = $1".to_string(),
            ]
        );
        assert_eq!(
            import(Dialect::Sqlite, "SELECT 1;\nSELECT  1;\nCOMMIT;"),
            vec!["SELECT 1"]
        );
    }

    #[test]
    fn a_log_line_of_two_statements_keeps_the_query_and_drops_the_setting() {
        let log = "2026-01-01 10:00:00 UTC [1] LOG:  statement: SET search_path = app; SELECT id FROM users WHERE id = 1\n\
                   2026-01-01 10:00:01 UTC [1] LOG:  statement: SELECT ';' AS x; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE\n";
        assert_eq!(
            import(Dialect::Postgres, log),
            vec![
                "SELECT id FROM users WHERE id = 1".to_string(),
                "SELECT ';' AS x".to_string()
            ]
        );
    }

    #[test]
    fn every_form_of_transaction_control_is_left_out() {
        for control in [
            "BEGIN",
            "begin",
            "BEGIN WORK",
            "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "START TRANSACTION",
            "start transaction read only",
            "COMMIT",
            "COMMIT WORK",
            "commit prepared 'x'",
            "END",
            "end transaction",
            "ABORT",
            "ROLLBACK",
            "ROLLBACK TO SAVEPOINT s1",
            "rollback to s1",
            "SAVEPOINT s1",
            "RELEASE SAVEPOINT s1",
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            "set autocommit = 0",
            "PREPARE TRANSACTION 'x'",
            "XA START 'x'",
            "/* app=web */ BEGIN",
            "-- request 7\nCOMMIT",
        ] {
            for d in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let text = format!("{control};\nSELECT 1;\n");
                assert_eq!(import(d, &text), vec!["SELECT 1"], "{d:?}: {control}");
            }
        }
        // Words of that kind inside a query do not make it control.
        for query in [
            "SELECT begin, \"end\" FROM t",
            "/* BEGIN */ SELECT 1",
            "PREPARE q AS SELECT 1",
            "UPDATE t SET a = 1",
            "WITH x AS (SELECT 1) SELECT * FROM x",
        ] {
            assert!(!is_control(Dialect::Postgres, query), "{query}");
        }
        assert!(is_control(Dialect::Mysql, "# hi\nSTART TRANSACTION"));
        // Postgres nests block comments.
        assert!(is_control(
            Dialect::Postgres,
            "/* a /* nested */ b */ ROLLBACK"
        ));
    }

    #[test]
    fn placeholders_are_read_as_each_dialect_reads_the_text() {
        // A backslash before the quote: MySQL's string goes on; Postgres' ends.
        let cols = |d, sql| -> Vec<Option<String>> {
            targets(d, sql).0.into_iter().map(|(_, _, c)| c).collect()
        };
        assert_eq!(
            cols(
                Dialect::Mysql,
                r"SELECT 1 FROM t WHERE a = 'x\' AND b = ?' AND c = ?"
            ),
            vec![Some("c".to_string())]
        );
        assert_eq!(
            cols(
                Dialect::Postgres,
                r"SELECT 1 FROM t WHERE a = 'x\' AND b = $1"
            ),
            vec![Some("b".to_string())]
        );
        assert_eq!(
            cols(
                Dialect::Postgres,
                r"SELECT $$ = $1 $$, a::text FROM t WHERE a = :a -- b = $2"
            ),
            vec![Some("a".to_string())]
        );
        assert_eq!(
            cols(
                Dialect::Mysql,
                "SELECT 1 FROM t WHERE `a` >= $1 AND b <> $2"
            ),
            vec![Some("a".to_string()), Some("b".to_string())]
        );
        assert!(returns_rows(Dialect::Postgres, "/* x */ SELECT 1"));
        assert!(returns_rows(Dialect::Mysql, "# x\nSELECT 1"));
        assert!(!returns_rows(
            Dialect::Postgres,
            "UPDATE t SET a = 'returning'"
        ));
        assert!(returns_rows(
            Dialect::Postgres,
            "UPDATE t SET a = 1 RETURNING id"
        ));
    }
}
