//! Splits an SQL script into statements at top-level semicolons, the way each server
//! reads it: Postgres not inside quotes, quoted identifiers, comments or dollar-quoted
//! bodies; MySQL not inside quotes, backquoted names, comments or the `BEGIN ... END`
//! body of a trigger, procedure, function or event.

use crate::sql::lex::{block_comment_end, dollar_delimiter, line_end, string_end};
use crate::sql::Dialect;

/// The statements of `sql` as `dialect` reads them (SQLite as Postgres does).
pub fn statements(dialect: Dialect, sql: &str) -> Vec<String> {
    match dialect {
        Dialect::Mysql => split_mysql_statements(sql),
        Dialect::Postgres | Dialect::Sqlite => split_statements(sql),
    }
}

/// The statements of a MySQL script, each without its trailing `;`. Inside a stored
/// program (`CREATE ... TRIGGER|PROCEDURE|FUNCTION|EVENT`) a `;` ends the statement only
/// once every `BEGIN` and `CASE` is closed by its `END`: what the `DELIMITER` command of
/// the mysql client does by hand.
pub fn split_mysql_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut words: Vec<String> = Vec::new();
    let mut depth = 0usize;
    let mut stored_program = false;
    // A keyword after the first `(` is a name (`CREATE TABLE t (event int)`), not the
    // kind of object created.
    let mut paren = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' | b'"' => {
                i = string_end(bytes, i, true);
                words.push(String::new());
                continue;
            }
            b'`' => {
                i = string_end(bytes, i, false);
                words.push(String::new());
                continue;
            }
            b'#' => {
                i = line_end(bytes, i);
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-')
                && bytes.get(i + 2).is_none_or(|b| b.is_ascii_whitespace()) =>
            {
                i = line_end(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // `/*! ... */` and `/*M! ... */` are code MySQL and MariaDB run.
                let executable = bytes.get(i + 2) == Some(&b'!')
                    || (bytes.get(i + 2) == Some(&b'M') && bytes.get(i + 3) == Some(&b'!'));
                if executable && words.is_empty() {
                    words.push(String::new());
                }
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                continue;
            }
            b';' if depth == 0 => {
                if !words.is_empty() {
                    out.push(sql[start..i].trim().to_string());
                }
                start = i + 1;
                words.clear();
                stored_program = false;
                paren = false;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' => {
                let begin = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                let word = sql[begin..i].to_ascii_uppercase();
                if words.len() < 8
                    && !paren
                    && words.first().is_some_and(|w| w == "CREATE")
                    && matches!(
                        word.as_str(),
                        "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT"
                    )
                {
                    stored_program = true;
                }
                if stored_program {
                    match word.as_str() {
                        "BEGIN" | "CASE" => depth += 1,
                        "END" => {
                            // END IF, END LOOP, END REPEAT and END WHILE close blocks
                            // that were not counted; END and END CASE close counted ones.
                            let next = next_word(sql, i);
                            if !matches!(next.as_str(), "IF" | "LOOP" | "REPEAT" | "WHILE") {
                                depth = depth.saturating_sub(1);
                            }
                        }
                        _ => {}
                    }
                }
                words.push(word);
                continue;
            }
            c if !c.is_ascii_whitespace() => {
                paren |= c == b'(';
                if words.is_empty() {
                    words.push(String::new());
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !words.is_empty() {
        out.push(sql[start..].trim().to_string());
    }
    out
}

/// The next word after `i`, upper-cased (empty when a symbol comes first).
fn next_word(sql: &str, i: usize) -> String {
    sql[i..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The statements of `sql`, each without its trailing `;`; empty and comment-only pieces
/// are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut has_code = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\'' if is_escape_string(bytes, i) => {
                i = string_end(bytes, i, true);
                has_code = true;
                continue;
            }
            b'\'' | b'"' => {
                i = string_end(bytes, i, false);
                has_code = true;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = line_end(bytes, i);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(bytes, i, true);
                continue;
            }
            b'$' if i == 0 || !is_identifier_byte(bytes[i - 1]) => {
                if let Some(end) = dollar_quote_end(sql, i) {
                    i = end;
                    has_code = true;
                    continue;
                }
            }
            b';' => {
                if has_code {
                    out.push(sql[start..i].trim().to_string());
                }
                start = i + 1;
                has_code = false;
            }
            c if !c.is_ascii_whitespace() => has_code = true,
            _ => {}
        }
        i += 1;
    }
    if has_code {
        out.push(sql[start..].trim().to_string());
    }
    out
}

/// A byte that may be part of a Postgres identifier or keyword: a letter, digit, `_`,
/// `$`, or any byte of a non-ASCII character.
fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Whether the quote at `i` opens a Postgres escape string (`E'...'`, `e'...'`), in which a
/// backslash escapes the next character: the `E` stands alone, not at the end of a word.
fn is_escape_string(bytes: &[u8], i: usize) -> bool {
    i >= 1 && matches!(bytes[i - 1], b'E' | b'e') && (i == 1 || !is_identifier_byte(bytes[i - 2]))
}

/// If a dollar quote (`$$` or `$tag$`) opens at `i` and closes, the index just past its
/// closing tag.
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let delimiter = dollar_delimiter(sql, i)?;
    let body_start = i + delimiter.len();
    let close = sql[body_start..].find(&delimiter)?;
    Some(body_start + close + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::{split_mysql_statements, split_statements};

    #[test]
    fn mysql_stored_programs_are_one_statement_each() {
        let sql = "-- header; with a semicolon\nSET SESSION lock_wait_timeout = 5;\n\
                   DROP PROCEDURE IF EXISTS `p`;\n\
                   CREATE PROCEDURE `p`()\nBEGIN\n  REPEAT\n    UPDATE `t` SET `a` = 'x;y' LIMIT 10;\n  \
                   UNTIL ROW_COUNT() = 0 END REPEAT;\n  IF 1 THEN SELECT CASE WHEN 1 THEN 2 END; END IF;\nEND;\n\
                   CALL `p`();\n# hash comment;\n\
                   CREATE TRIGGER `t_ins` BEFORE INSERT ON `t` FOR EACH ROW BEGIN SET NEW.`a` = 'it\\'s;'; END;\n\
                   ALTER TABLE `t` ADD COLUMN `end` int, ALGORITHM=INSTANT;\n/* trailing; */";
        let parts = split_mysql_statements(sql);
        assert_eq!(parts.len(), 6, "{parts:#?}");
        assert!(parts[0].ends_with("lock_wait_timeout = 5"), "{}", parts[0]);
        assert!(parts[2].starts_with("CREATE PROCEDURE") && parts[2].ends_with("END"));
        assert_eq!(parts[3], "CALL `p`()");
        assert!(
            parts[4].starts_with("# hash comment;\nCREATE TRIGGER") && parts[4].ends_with("END")
        );
        assert!(parts[5].starts_with("ALTER TABLE"));

        // Words in a table's columns are names, not the start of a stored program.
        let parts = split_mysql_statements("CREATE TABLE t (event int, begin int); SELECT 1;");
        assert_eq!(parts.len(), 2, "{parts:#?}");
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "SET lock_timeout = '5s';\n-- a comment; not a split\n\
                   CREATE INDEX CONCURRENTLY \"a;b\" ON t (x);\n\
                   DO $tandem$ BEGIN PERFORM 1; END $tandem$;\n\
                   /* block ; /* nested ; */ */ SELECT 'it''s; fine';\n-- trailing";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 4, "{parts:#?}");
        assert_eq!(parts[0], "SET lock_timeout = '5s'");
        assert!(parts[1].ends_with("ON t (x)"));
        assert!(parts[2].contains("PERFORM 1; END $tandem$"));
        assert!(parts[3].ends_with("SELECT 'it''s; fine'"));
    }

    /// Every way a `;` hides from a Postgres script: escape strings, tagged dollar quotes
    /// (a `$` inside a word opens none), nested comments, `--` inside a string.
    #[test]
    fn postgres_quotes_and_comments_hide_their_semicolons() {
        for (sql, count) in [
            (r"INSERT INTO t VALUES (E'it\'s; ok'); SELECT 2", 2),
            (r"SELECT e'a\\'; SELECT 'b'", 2),
            (r"SELECT E'\\\'; x'; SELECT 2", 2),
            ("SELECT $body$ a; $$ b; $body$; SELECT 2", 2),
            ("SELECT $é$ a; b $é$; SELECT 2", 2),
            ("SELECT a$b; SELECT $b$ x; $b$", 2),
            ("/* a; /* b; */ c; */ SELECT 1; SELECT 2", 2),
            ("SELECT '-- not; a comment'; SELECT 2", 2),
            ("SELECT \"a;--b\" FROM t; SELECT 2", 2),
            ("SELECT 'it''s; fine' -- trailing; note\n; SELECT 2", 2),
            // `date'...'`: an `e` ending a word opens no escape string.
            ("SELECT date'2024-01-01\\'; SELECT 2", 2),
        ] {
            let parts = split_statements(sql);
            assert_eq!(parts.len(), count, "{sql}: {parts:#?}");
        }
        assert_eq!(
            split_statements(r"INSERT INTO t VALUES (E'it\'s; ok'); SELECT 2")[0],
            r"INSERT INTO t VALUES (E'it\'s; ok')"
        );
    }

    /// ... and from a MySQL script: backslash escapes, backquoted names, `#` comments;
    /// `--` is a comment only before a space; `/*! ... */` is code.
    #[test]
    fn mysql_quotes_and_comments_hide_their_semicolons() {
        for (sql, count) in [
            (r"INSERT INTO t VALUES ('it\'s; ok'); SELECT 2", 2),
            (r#"INSERT INTO t VALUES ("a\"; b"); SELECT 2"#, 2),
            (r"SELECT 'a\\'; SELECT 2", 2),
            ("SELECT `a;b` FROM `t``;`; SELECT 2", 2),
            ("SELECT 1 # hash; note\n; SELECT 2", 2),
            ("SELECT 1 -- dash; note\n; SELECT 2", 2),
            ("SELECT '-- no; comment'; SELECT 2", 2),
            ("/*!40101 SET NAMES utf8mb4 */; SELECT 2", 2),
            ("/*M!100100 SET x = 1 */; /* just a comment */; SELECT 2", 2),
        ] {
            let parts = split_mysql_statements(sql);
            assert_eq!(parts.len(), count, "{sql}: {parts:#?}");
        }
        // `--` without a space is an operator pair, not a comment.
        assert_eq!(split_mysql_statements("SELECT 1--1; SELECT 2").len(), 2);
    }

    #[test]
    fn a_positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(split_statements("SELECT $1; SELECT 2").len(), 2);
    }

    #[test]
    fn comment_only_scripts_have_no_statements() {
        assert!(split_statements("-- nothing\n/* here */\n").is_empty());
    }
}
