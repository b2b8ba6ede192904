//! Reads an SQL expression (a check, an index key or predicate, a fill expression) as
//! its dialect does, token by token: which words are names it reads, and which text is
//! only a string, a comment or a name of something else. Every question "does this
//! expression read column X" and every rename of a column inside one goes through here,
//! so that `channel IN ('sms', 'email')` does not read a column `email`.
//!
//! Strings: `'...'` with `''` everywhere; a backslash escapes in MySQL strings and in
//! Postgres `E'...'` strings; Postgres dollar quotes `$tag$...$tag$`; MySQL `"..."` is a
//! string. Quoted names: `"..."` (Postgres, SQLite), backquotes (MySQL, SQLite),
//! `[...]` (SQLite). Comments: `-- ...`, `/* ... */` (nested in Postgres), MySQL `# ...`;
//! the body of a MySQL `/*! ... */` comment is code the server runs, so it is read.

use std::ops::Range;

use crate::sql::Dialect;

/// What a piece of an expression is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted word: a keyword, a function, a type or a name.
    Word,
    /// A quoted name (`"x"`, `` `x` ``, `[x]`).
    Quoted,
    /// A string literal, with its prefix (`E'..'`, `N'..'`, `_utf8mb4'..'`) if any.
    String,
    Number,
    /// Anything else: operators, parentheses, commas, dots.
    Symbol,
}

/// One token: its kind and where it is in the text (comments and spaces are dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

/// The tokens of `sql` as `dialect` reads it (`None`: standard SQL, as Postgres reads it).
pub fn tokens(dialect: Option<Dialect>, sql: &str) -> Vec<Token> {
    let dialect = dialect.unwrap_or(Dialect::Postgres);
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let (kind, end) = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if b.get(i + 1) == Some(&b'-')
                && (dialect != Dialect::Mysql
                    || b.get(i + 2)
                        .is_none_or(|n| n.is_ascii_whitespace() || *n < 32)) =>
            {
                i = line_end(b, i);
                continue;
            }
            b'#' if dialect == Dialect::Mysql => {
                i = line_end(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                if dialect == Dialect::Mysql && b.get(i + 2) == Some(&b'!') {
                    // Executable comment: its body is read; the closing `*/` is skipped.
                    i += 3;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    continue;
                }
                i = block_comment_end(b, i, dialect == Dialect::Postgres);
                continue;
            }
            b'*' if dialect == Dialect::Mysql && b.get(i + 1) == Some(&b'/') => {
                i += 2;
                continue;
            }
            b'\'' => (Kind::String, string_end(b, i, backslash(dialect, false))),
            b'"' if dialect == Dialect::Mysql => (Kind::String, string_end(b, i, true)),
            b'"' => (Kind::Quoted, string_end(b, i, false)),
            b'`' if dialect != Dialect::Postgres => (Kind::Quoted, string_end(b, i, false)),
            b'[' if dialect == Dialect::Sqlite => (
                Kind::Quoted,
                sql[i..].find(']').map_or(b.len(), |e| i + e + 1),
            ),
            b'$' if dialect == Dialect::Postgres => match dollar_quote_end(sql, i) {
                Some(end) => (Kind::String, end),
                None => (Kind::Symbol, word_end(sql, i + 1)),
            },
            b'0'..=b'9' => (Kind::Number, word_end(sql, i)),
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                (Kind::Number, word_end(sql, i + 1))
            }
            _ if is_word_start(sql, i) => {
                let end = word_end(sql, i);
                match prefixed_string(dialect, sql, i, end) {
                    Some(end) => (Kind::String, end),
                    None => (Kind::Word, end),
                }
            }
            _ => (
                Kind::Symbol,
                i + sql[i..].chars().next().map_or(1, char::len_utf8),
            ),
        };
        out.push(Token {
            kind,
            span: start..end,
        });
        i = end;
    }
    out
}

/// Whether a backslash escapes inside a `'...'` string (`escape`: an `E'...'` string).
fn backslash(dialect: Dialect, escape: bool) -> bool {
    dialect == Dialect::Mysql || (dialect == Dialect::Postgres && escape)
}

/// Index of the end of the line that `i` is on (a line comment's end).
pub(crate) fn line_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    i
}

/// Index just past a block comment opening at `i`; `nested`: inner `/* */` pairs nest,
/// as Postgres reads them.
pub(crate) fn block_comment_end(b: &[u8], mut i: usize, nested: bool) -> usize {
    let mut depth = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') && (nested || depth == 0) {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Index just past the quoted text opening at `i` (its quote is `b[i]`; a doubled quote
/// is one; `backslash`: a backslash escapes the next byte, as in MySQL's strings and
/// Postgres' `E'...'`). An unclosed one runs to the end.
pub(crate) fn string_end(b: &[u8], mut i: usize, backslash: bool) -> usize {
    let quote = b[i];
    let close = if quote == b'[' { b']' } else { quote };
    i += 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == close {
            if b.get(i + 1) == Some(&close) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

/// The delimiter (`$$` or `$tag$`) of a Postgres dollar quote opening at `i`, if one
/// does: a tag is letters, digits and `_`, not starting with a digit.
pub(crate) fn dollar_delimiter(sql: &str, i: usize) -> Option<String> {
    let rest = &sql[i + 1..];
    let tag = &rest[..rest.find('$')?];
    if !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        || tag.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    Some(format!("${tag}$"))
}

/// If a Postgres dollar quote opens at `i`, the index just past its closing tag (an
/// unclosed one runs to the end).
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let delimiter = dollar_delimiter(sql, i)?;
    let body = i + delimiter.len();
    Some(
        sql[body..]
            .find(&delimiter)
            .map_or(sql.len(), |close| body + close + delimiter.len()),
    )
}

fn is_word_start(sql: &str, i: usize) -> bool {
    sql[i..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Index just past the word (letters, digits, `_`, `$`) that goes on at `i`.
fn word_end(sql: &str, i: usize) -> usize {
    sql[i..]
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$'))
        .map_or(sql.len(), |(k, _)| i + k)
}

/// If the word `sql[start..end]` prefixes a string (`E'..'`, `N'..'`, `X'..'`, `B'..'`,
/// `U&'..'`, MySQL's `_charset'..'`, a type name before a literal written right after
/// it), the index just past that string.
fn prefixed_string(dialect: Dialect, sql: &str, start: usize, end: usize) -> Option<usize> {
    let b = sql.as_bytes();
    let word = &sql[start..end];
    match b.get(end) {
        Some(b'\'') => {
            let escape = word.eq_ignore_ascii_case("e");
            Some(string_end(b, end, backslash(dialect, escape)))
        }
        Some(b'&')
            if dialect == Dialect::Postgres
                && word.eq_ignore_ascii_case("u")
                && matches!(b.get(end + 1), Some(b'\'') | Some(b'"')) =>
        {
            // `U&"..."` is a quoted name, read as one by `names`.
            (b[end + 1] == b'\'').then(|| string_end(b, end + 1, false))
        }
        _ => None,
    }
}

/// Where each statement of a script is, split at the `;` that the dialect reads as one
/// (not inside strings, quoted names, dollar quotes or comments): each span runs from the
/// statement's first token to the end of its last, so comments around it are left out.
/// Statements with no token (only comments, or `;;`) are not listed.
pub fn statement_spans(dialect: Option<Dialect>, sql: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut current: Option<Range<usize>> = None;
    for t in tokens(dialect, sql) {
        if t.kind == Kind::Symbol && &sql[t.span.clone()] == ";" {
            out.extend(current.take());
            continue;
        }
        match current.as_mut() {
            Some(span) => span.end = t.span.end,
            None => current = Some(t.span),
        }
    }
    out.extend(current);
    out
}

/// A name that an expression reads: its text as the server reads it, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub name: String,
    pub quoted: bool,
    pub span: Range<usize>,
}

/// The names `sql` reads, in order: words and quoted names that are not a function called
/// (`lower(`), a type after `::`, or a string's prefix. Keywords are among them (`IN`,
/// `NOT`): a column is asked for by name.
pub fn names(dialect: Option<Dialect>, sql: &str) -> Vec<Name> {
    let tokens = tokens(dialect, sql);
    let mut out = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        let text = &sql[t.span.clone()];
        let name = match t.kind {
            Kind::Word => text.to_string(),
            Kind::Quoted => unquote(text),
            _ => continue,
        };
        let next = tokens.get(k + 1).map(|n| &sql[n.span.clone()]);
        let before = k.checked_sub(1).map(|p| &sql[tokens[p].span.clone()]);
        let cast = before == Some(":") && k >= 2 && &sql[tokens[k - 2].span.clone()] == ":";
        if next == Some("(") || cast {
            continue;
        }
        out.push(Name {
            name,
            quoted: t.kind == Kind::Quoted,
            span: t.span.clone(),
        });
    }
    out
}

/// The name inside quotes, its doubled quotes made single.
pub fn unquote(text: &str) -> String {
    let open = text.chars().next().unwrap_or('"');
    let close = if open == '[' { ']' } else { open };
    let inner = text
        .strip_prefix(open)
        .map(|t| t.strip_suffix(close).unwrap_or(t))
        .unwrap_or(text);
    if open == '[' {
        inner.to_string()
    } else {
        inner.replace(&format!("{close}{close}"), &close.to_string())
    }
}

/// Whether `name` (as read in `sql`) is `column`: an unquoted word in any case; a quoted
/// name exactly on Postgres, in any case elsewhere (MySQL and SQLite column names are
/// not case-sensitive).
pub fn is(dialect: Option<Dialect>, name: &Name, column: &str) -> bool {
    if name.quoted && dialect.unwrap_or(Dialect::Postgres) == Dialect::Postgres {
        name.name == column
    } else {
        name.name.eq_ignore_ascii_case(column)
    }
}

/// The values of the string literals in `sql`, as the server reads them: `'it''s'` is
/// `it's`; a backslash escape of a MySQL string or a Postgres `E'...'` string is read
/// as the character after it; a dollar-quoted string is its body.
pub fn string_values(dialect: Option<Dialect>, sql: &str) -> Vec<String> {
    let d = dialect.unwrap_or(Dialect::Postgres);
    tokens(dialect, sql)
        .into_iter()
        .filter(|t| t.kind == Kind::String)
        .map(|t| {
            let text = &sql[t.span.clone()];
            if let Some(rest) = text.strip_prefix('$') {
                // `$tag$body$tag$`: `rest` starts with `tag$` and ends with `$tag$`.
                let tag = rest.find('$').map_or(rest.len(), |i| i + 1);
                let body = &rest[tag..];
                return body
                    .get(..body.len().saturating_sub(tag + 1))
                    .unwrap_or_default()
                    .to_string();
            }
            let Some(open) = text.find(['\'', '"']) else {
                return text.to_string();
            };
            let quote = text[open..].chars().next().unwrap_or('\'');
            let escapes = d == Dialect::Mysql || text[..open].eq_ignore_ascii_case("e");
            let inner = &text[open + 1..text.len().saturating_sub(1).max(open + 1)];
            let mut out = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' if escapes => out.extend(chars.next()),
                    c if c == quote && chars.peek() == Some(&quote) => {
                        chars.next();
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Whether `sql` reads `column`: names it outside strings and comments, not as a function.
pub fn reads_column(dialect: Option<Dialect>, sql: &str, column: &str) -> bool {
    names(dialect, sql).iter().any(|n| is(dialect, n, column))
}

/// `sql` with every name that is `old` replaced by `new` (quoted again where it was
/// quoted), strings, comments and everything else kept byte for byte.
pub fn rename_column(dialect: Option<Dialect>, sql: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for n in names(dialect, sql)
        .into_iter()
        .filter(|n| is(dialect, n, old))
    {
        out.push_str(&sql[at..n.span.start]);
        if n.quoted {
            let text = &sql[n.span.clone()];
            let open = text.chars().next().unwrap_or('"');
            let close = if open == '[' { ']' } else { open };
            let inner = if open == '[' {
                new.to_string()
            } else {
                new.replace(close, &format!("{close}{close}"))
            };
            // `U&"..."` keeps its prefix.
            let prefix_len = text.find(open).unwrap_or(0);
            out.push_str(&text[..prefix_len]);
            out.push(open);
            out.push_str(&inner);
            out.push(close);
        } else {
            out.push_str(new);
        }
        at = n.span.end;
    }
    out.push_str(&sql[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_values_are_read_as_the_server_reads_them() {
        let pg = Some(Dialect::Postgres);
        assert_eq!(
            string_values(
                pg,
                "state <> 'it''s' AND x IN (E'a\\'b', $t$c'd$t$, \"name\")"
            ),
            ["it's", "a'b", "c'd"]
        );
        assert_eq!(
            string_values(Some(Dialect::Mysql), "s = 'a\\'b' OR s = \"q\"\"r\""),
            ["a'b", "q\"r"]
        );
    }

    const PG: Option<Dialect> = Some(Dialect::Postgres);
    const MY: Option<Dialect> = Some(Dialect::Mysql);
    const LITE: Option<Dialect> = Some(Dialect::Sqlite);
    const ALL: [Option<Dialect>; 4] = [PG, MY, LITE, None];

    #[test]
    fn a_word_inside_a_string_or_a_comment_is_not_read() {
        for d in ALL {
            for sql in [
                "channel IN ('sms', 'email', 'push')",
                "channel = 'email'",
                "channel = 'it''s email'",
                "channel <> '' -- email\n",
                "/* email */ channel IS NOT NULL",
                "lower(channel) = 'EMAIL'",
                "email_verified OR x_email > 0",
                "email(channel)",
                "email (channel)",
            ] {
                assert!(!reads_column(d, sql, "email"), "{d:?}: {sql}");
            }
            for sql in [
                "email IS NOT NULL",
                "EMAIL <> ''",
                "lower(email) = 'x'",
                "channel = 'sms' OR email LIKE '%@%'",
                "char_length(email)>3",
                "(email)",
                "users.email <> ''",
            ] {
                assert!(reads_column(d, sql, "email"), "{d:?}: {sql}");
            }
        }
    }

    #[test]
    fn each_dialect_reads_its_own_strings() {
        // Postgres: a backslash is a character of a standard string, an escape in E'..'.
        assert!(reads_column(PG, r"note = 'a\' OR email = 'b'", "email"));
        assert!(!reads_column(
            PG,
            r"note = E'a\' OR email = ' OR 1=1",
            "email"
        ));
        assert!(!reads_column(PG, r"note = e'it\'s email'", "email"));
        assert!(!reads_column(
            PG,
            "note = $$email$$ AND x = $t$ email $t$",
            "email"
        ));
        assert!(!reads_column(PG, "note = U&'email'", "email"));
        assert!(reads_column(PG, "note = $1 AND email = $2", "email"));
        assert!(!reads_column(PG, "/* a /* nested */ email */ x", "email"));
        // MySQL: a backslash escapes, "..." is a string, `..` a name, # a comment.
        assert!(!reads_column(
            MY,
            r"note = 'a\' OR email = ' OR 1=1",
            "email"
        ));
        assert!(!reads_column(MY, r#"channel IN ("sms", "email")"#, "email"));
        assert!(!reads_column(MY, r#"note = "say \"email\"""#, "email"));
        assert!(!reads_column(MY, "x = 1 # email\n", "email"));
        assert!(!reads_column(MY, "note = _utf8mb4'email'", "email"));
        assert!(reads_column(MY, "`email` <> ''", "email"));
        assert!(reads_column(MY, "`EMAIL` <> ''", "email"));
        assert!(reads_column(MY, "/*!50700 email <> '' */", "email"));
        assert!(
            reads_column(MY, "x --email\n", "email"),
            "-- needs a space in MySQL"
        );
        // Postgres and SQLite: "..." is a name.
        assert!(reads_column(PG, r#""email" <> ''"#, "email"));
        assert!(
            !reads_column(PG, r#""Email" <> ''"#, "email"),
            "quoted: exact"
        );
        assert!(reads_column(LITE, r#""Email" <> ''"#, "email"));
        assert!(reads_column(LITE, "[email] <> ''", "email"));
        assert!(reads_column(LITE, "`email` <> ''", "email"));
        assert!(!reads_column(
            LITE,
            r"note = 'a\' OR email = 'b'",
            "nothing"
        ));
        assert!(reads_column(LITE, r"note = 'a\' OR email = 'b'", "email"));
        // A quoted name with a doubled quote inside.
        assert!(reads_column(PG, r#""we""ird" > 0"#, "we\"ird"));
        // A type after `::` is not a column.
        assert!(!reads_column(PG, "channel::email = 'x'", "email"));
    }

    #[test]
    fn a_rename_touches_only_the_names() {
        assert_eq!(
            rename_column(
                PG,
                "email <> '' AND channel IN ('email') AND \"email\" LIKE $$email$$ -- email",
                "email",
                "mail"
            ),
            "mail <> '' AND channel IN ('email') AND \"mail\" LIKE $$email$$ -- email"
        );
        assert_eq!(
            rename_column(
                MY,
                r#"`email` <> "email" AND note = 'a\'email'"#,
                "email",
                "mail"
            ),
            r#"`mail` <> "email" AND note = 'a\'email'"#
        );
        assert_eq!(
            rename_column(LITE, "[Email] > lower(EMAIL)", "email", "mail"),
            "[mail] > lower(mail)"
        );
        assert_eq!(
            rename_column(PG, "\"email\" > ''", "email", "a\"b"),
            "\"a\"\"b\" > ''"
        );
    }

    #[test]
    fn statements_split_at_the_semicolons_the_dialect_reads() {
        let parts = |d, sql: &str| -> Vec<String> {
            statement_spans(d, sql)
                .into_iter()
                .map(|s| sql[s].to_string())
                .collect()
        };
        let sql = "-- a; b\nSELECT ';' FROM t; /* ; */ SELECT $$;$$;;\nSELECT 1 -- x;\n";
        assert_eq!(
            parts(PG, sql),
            ["SELECT ';' FROM t", "SELECT $$;$$", "SELECT 1"]
        );
        assert_eq!(
            parts(MY, r"SELECT 'a\';' FROM t; SELECT 2 # ;"),
            [r"SELECT 'a\';' FROM t", "SELECT 2"]
        );
        assert_eq!(
            parts(PG, r"SELECT 'a\'; SELECT E'b\';'"),
            [r"SELECT 'a\'", r"SELECT E'b\';'"]
        );
        assert!(parts(PG, "").is_empty() && parts(MY, " ;; -- x").is_empty());
    }

    #[test]
    fn unclosed_text_runs_to_the_end_without_a_panic() {
        for d in ALL {
            for sql in [
                "'",
                "\"",
                "`",
                "[",
                "$$",
                "$a$ x",
                "/* x",
                "E'\\",
                "x -- y",
                "é = 'ü",
                "U&",
                "U&'",
                "1.5e3 > x",
                ".5",
                "$",
                "$1",
                "*/",
                "/*!",
                "/*!5",
            ] {
                let _ = tokens(d, sql);
                let _ = rename_column(d, sql, "x", "y");
            }
        }
    }
}
