//! A release's real statements, `queries/<release>/*.sql`: split at `;`, their
//! placeholders (`$1`, `?`, `:name`) bound from probe values by the column each is
//! compared with or written to, and run in every cell of the rehearsal by the code of
//! that release. Also `tandem queries import`: statements from a Postgres statement log,
//! a `pg_stat_statements` CSV export or a plain file, deduplicated.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diag::{Diag, Error, Result};
use crate::model::View;
use crate::plan::Plan;

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
}

/// The comment that gives placeholder values for the statement below it.
pub const BIND_MARK: &str = "-- tandem:bind ";

/// The values `-- tandem:bind` lines give in the comment block right above line `line`
/// (1-based) of `text`: `$1 = 'a@x', :status = 'open'`; a comma inside quotes stays in
/// the value.
pub fn given_values(text: &str, line: usize) -> HashMap<String, String> {
    let lines: Vec<&str> = text.lines().collect();
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

/// The statements each code version of `plan` runs: index 0 the code before the first
/// release, index `i + 1` release `i`'s, as `plan.views` is indexed. A release with no
/// directory of its own runs the nearest earlier one's.
pub fn load(config: &Config, plan: &Plan) -> Result<Vec<Vec<Statement>>> {
    let root = dir(config);
    let mut per_code = vec![Vec::new(); plan.releases.len() + 1];
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
    for (code, statements) in per_code.iter_mut().enumerate() {
        let nearest = dirs.iter().rev().find(|(name, _)| {
            let ord = config
                .order
                .compare(name, plan.releases.name(code.max(1) - 1));
            if code == 0 {
                ord.is_lt()
            } else {
                ord.is_le()
            }
        });
        if let Some((_, path)) = nearest {
            *statements = read_dir(config, path)?;
        }
    }
    Ok(per_code)
}

fn read_dir(config: &Config, dir: &Path) -> Result<Vec<Statement>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let file = config.display(&path);
        for (line, sql) in split(&text) {
            out.push(Statement {
                file: file.clone(),
                line,
                sql,
                given: given_values(&text, line),
            });
        }
    }
    Ok(out)
}

/// The statements of a script, each with the line it starts on: split at `;` outside
/// quotes, comments and dollar-quoted bodies; comments before a statement left out.
pub fn split(text: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start_line = None;
    let mut line = 1;
    let mut i = 0;
    let mut flush = |current: &mut String, start_line: &mut Option<usize>| {
        let sql = current.trim().to_string();
        if !sql.is_empty() {
            out.push((start_line.unwrap_or(1), sql));
        }
        current.clear();
        *start_line = None;
    };
    while i < chars.len() {
        let c = chars[i];
        // Comments: kept out of the statement when it has not started yet.
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                if start_line.is_some() {
                    current.push(chars[i]);
                }
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                if chars[i] == '\n' {
                    line += 1;
                }
                if start_line.is_some() {
                    current.push(chars[i]);
                }
                i += 1;
            }
            if start_line.is_some() {
                current.push_str("*/");
            }
            i += 2;
            continue;
        }
        if c == '\n' {
            line += 1;
        }
        if c == ';' {
            flush(&mut current, &mut start_line);
            i += 1;
            continue;
        }
        if !c.is_whitespace() && start_line.is_none() {
            start_line = Some(line);
        }
        if start_line.is_some() {
            current.push(c);
        }
        i += 1;
        // Quoted text runs to its closing quote, `;` and all.
        if c == '\'' || c == '"' || c == '`' {
            while i < chars.len() {
                let d = chars[i];
                current.push(d);
                i += 1;
                if d == '\n' {
                    line += 1;
                }
                if d == c {
                    break;
                }
            }
        } else if c == '$' {
            // $tag$ ... $tag$
            let tag_end = chars[i..]
                .iter()
                .position(|&x| !(x.is_ascii_alphanumeric() || x == '_'))
                .map(|p| p + i);
            if let Some(end) = tag_end.filter(|&e| chars.get(e) == Some(&'$')) {
                let tag: String = chars[i - 1..=end].iter().collect();
                if !tag[1..tag.len() - 1].chars().all(|x| x.is_ascii_digit()) || tag == "$$" {
                    let rest: String = chars[end + 1..].iter().collect();
                    let close = rest.find(&tag).map(|p| p + tag.len()).unwrap_or(rest.len());
                    let body: String = rest[..close].to_string();
                    line += body.matches('\n').count();
                    current.push_str(&tag[1..]);
                    current.push_str(&body);
                    i = end + 1 + body.chars().count();
                }
            }
        }
    }
    flush(&mut current, &mut start_line);
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Op(String),
    /// A placeholder, as written.
    Param(String),
    Other,
}

/// Tokens of a statement with their byte spans.
fn tokens(sql: &str) -> Vec<(Tok, std::ops::Range<usize>)> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            out.push((Tok::Other, start..i.min(bytes.len())));
        } else if c == '"' || c == '`' {
            i += 1;
            while i < bytes.len() && bytes[i] as char != c {
                i += 1;
            }
            out.push((
                Tok::Word(sql[start + 1..i.min(bytes.len())].to_string()),
                start..(i + 1).min(bytes.len()),
            ));
            i += 1;
        } else if c == '$' && bytes.get(i + 1).is_some_and(|b| b.is_ascii_digit()) {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push((Tok::Param(sql[start..i].to_string()), start..i));
        } else if c == '?' {
            i += 1;
            out.push((Tok::Param("?".into()), start..i));
        } else if c == ':'
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && !(i > 0 && bytes[i - 1] == b':')
        {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Param(sql[start..i].to_string()), start..i));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Word(sql[start..i].to_string()), start..i));
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Other, start..i));
        } else {
            let two = sql.get(i..i + 2).unwrap_or("");
            if ["<=", ">=", "<>", "!=", "::"].contains(&two) {
                i += 2;
                out.push((Tok::Op(two.to_string()), start..i));
            } else {
                i += c.len_utf8();
                out.push((Tok::Op(c.to_string()), start..i));
            }
        }
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
fn column_before(toks: &[(Tok, std::ops::Range<usize>)], at: usize) -> Option<String> {
    match toks.get(at.checked_sub(1)?)?.0.clone() {
        Tok::Word(w) => Some(w),
        _ => None,
    }
}

/// A placeholder's span, its text, and the column it is compared with or written to.
type Target = (std::ops::Range<usize>, String, Option<String>);

/// The placeholders of `sql`, and the tables the statement names.
fn targets(sql: &str) -> (Vec<Target>, Vec<String>) {
    let toks = tokens(sql);
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
pub fn bind(sql: &str, view: &View, value: &mut dyn FnMut(&str, &str) -> String) -> String {
    bind_given(sql, view, &HashMap::new(), value)
}

/// As [`bind`], with the values the file gives (`$1`, `:name`) used first.
pub fn bind_given(
    sql: &str,
    view: &View,
    given: &HashMap<String, String>,
    value: &mut dyn FnMut(&str, &str) -> String,
) -> String {
    let (targets, tables) = targets(sql);
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
pub fn names_table(sql: &str, table: &str) -> bool {
    tokens(sql)
        .iter()
        .any(|(t, _)| matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(table)))
}

/// Whether a statement reads rows (and so is run as a query).
pub fn returns_rows(sql: &str) -> bool {
    let first = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        first.as_str(),
        "select" | "with" | "values" | "show" | "explain"
    ) || sql.to_ascii_lowercase().contains(" returning ")
}

/// Statements from a log or export, in the order first seen, deduplicated (by their
/// text with whitespace collapsed); transaction control and session settings left out.
pub fn import(text: &str) -> Vec<String> {
    let found = if looks_like_csv(text) {
        from_csv(text)
    } else if text.lines().any(|l| log_statement(l).is_some()) {
        from_log(text)
    } else {
        split(text).into_iter().map(|(_, s)| s).collect()
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for s in found {
        let s = s.trim().trim_end_matches(';').trim().to_string();
        let first = s
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if s.is_empty()
            || [
                "begin",
                "commit",
                "rollback",
                "set",
                "show",
                "deallocate",
                "start",
                "discard",
                "savepoint",
                "release",
            ]
            .contains(&first.as_str())
        {
            continue;
        }
        if seen.insert(normalize(&s)) {
            out.push(s);
        }
    }
    out
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
    let found = import(&text);
    let dir = dir(config).join(release);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut known = known_statements(&dir)?;
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
fn known_statements(dir: &Path) -> Result<std::collections::HashSet<String>> {
    let mut known = std::collections::HashSet::new();
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "sql") {
            let existing = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            for (_, sql) in split(&existing) {
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
        let parts = split(text);
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
        let bound = bind_given("SELECT $1, :n, :m", &view, &given, &mut |_, _| "'x'".into());
        assert_eq!(bound, "SELECT 'a, b', 3, '1'");
    }

    #[test]
    fn placeholders_find_their_columns() {
        let (t, tables) = targets(
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
        let (t, _) = targets("INSERT INTO users (id, email) VALUES ($1, lower($2)), (?, ?)");
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
            import(log),
            vec![
                "SELECT id, legacy_email FROM users WHERE id = 1".to_string(),
                "SELECT id,\nlegacy_email FROM users WHERE id = $1".to_string(),
            ]
        );
        let csv = "userid,dbid,query,calls\n10,5,\"SELECT a, b FROM t WHERE c = $1\",3\n10,5,\"UPDATE t\nSET \"\"b\"\" = $1\",1\n10,5,\"SELECT a,  b FROM t WHERE c = $1\",1\n";
        assert_eq!(
            import(csv),
            vec![
                "SELECT a, b FROM t WHERE c = $1".to_string(),
                "UPDATE t\nSET \"b\" = $1".to_string(),
            ]
        );
        assert_eq!(import("SELECT 1;\nSELECT  1;\nCOMMIT;"), vec!["SELECT 1"]);
    }
}
