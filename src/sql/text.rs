//! How each dialect writes a name, a string and a statement: the one place quoting
//! and literal escaping live.

use sea_query::Alias;

use super::Dialect;

pub(crate) fn iden(name: &str) -> Alias {
    Alias::new(name)
}

/// Quotes an identifier the dialect's way. Model names are validated to
/// `[A-Za-z0-9_]`; a quote character in any other name (a configured schema) is doubled.
pub fn quote(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Mysql => format!("`{}`", name.replace('`', "``")),
        Dialect::Postgres | Dialect::Sqlite => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// A string as an SQL literal that the server reads back byte-equal, whatever the
/// session's settings: the one place every dialect writes a string into SQL.
///
/// - SQLite: `'...'` with `'` doubled; SQLite has no other escape.
/// - Postgres: `'...'` with `'` doubled while the string has no backslash; with one,
///   `E'...'` with `\` doubled too, which means the same under either setting of
///   `standard_conforming_strings`.
/// - MySQL and MariaDB: `'...'` with `'` doubled while the string is printable ASCII
///   with no backslash, which reads the same with or without `NO_BACKSLASH_ESCAPES` and
///   in any connection character set. Any other string is the constant expression
///   `(CONCAT('...', CHAR(92 USING utf8mb4), ...))`: its SQL text holds no backslash and
///   no control or non-ASCII character at all. (A hex literal would not do: MariaDB
///   keeps the default of a text column as printed SQL, and prints a hex literal as a
///   backslash-escaped string that it then reads back differently.)
///
/// A NUL character is refused when the change files are read (see
/// `parse::decl::literal_value`): Postgres text cannot hold it.
pub fn string_literal(dialect: Dialect, s: &str) -> String {
    let plain = |c: char| (' '..='~').contains(&c) && c != '\\';
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    match dialect {
        Dialect::Mysql if !s.chars().all(plain) => {
            let mut parts: Vec<String> = Vec::new();
            let mut rest = s;
            while let Some(c) = rest.chars().next() {
                let is_plain = plain(c);
                let end = rest
                    .char_indices()
                    .find(|(_, c)| plain(*c) != is_plain)
                    .map_or(rest.len(), |(i, _)| i);
                let (run, tail) = rest.split_at(end);
                parts.push(if is_plain {
                    quoted(run)
                } else {
                    let bytes: Vec<String> = run.bytes().map(|b| b.to_string()).collect();
                    format!("CHAR({} USING utf8mb4)", bytes.join(","))
                });
                rest = tail;
            }
            format!("(CONCAT({}))", parts.join(", "))
        }
        Dialect::Postgres if s.contains('\\') => {
            format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
        }
        _ => quoted(s),
    }
}

/// A Postgres dollar-quote tag (`$tandem$`, else `$tandem_1$`...) that occurs nowhere
/// in `content`, so that user SQL written inside the quoted body cannot close it.
pub fn dollar_tag(content: &str) -> String {
    (0..)
        .map(|n| match n {
            0 => "$tandem$".to_string(),
            n => format!("$tandem_{n}$"),
        })
        .find(|tag| !content.contains(tag.as_str()))
        .unwrap_or_default()
}

/// [`dollar_tag`] free in every string of a template's values (a tag is letters, digits
/// and `$`, so it occurs in their JSON text exactly when it occurs in one string).
pub fn dollar_tag_of_values(values: &serde_json::Value) -> String {
    fn strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match value {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k);
                strings(v, out)
            }),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(values, &mut all);
    (0..)
        .map(|n| match n {
            0 => "$tandem$".to_string(),
            n => format!("$tandem_{n}$"),
        })
        .find(|tag| !all.iter().any(|s| s.contains(tag.as_str())))
        .unwrap_or_default()
}

/// `text` to follow `-- ` on a comment line: each of its line breaks starts a new
/// comment line, so user SQL quoted in a comment stays a comment.
pub fn comment_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\n--   ")
}

/// `"a", "b"` in the dialect's quotes.
pub fn quoted_list(dialect: Dialect, names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(dialect, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ends a statement with exactly one `;`.
pub fn terminate(sql: &str) -> String {
    let trimmed = sql.trim_end();
    if trimmed.ends_with(';') {
        trimmed.to_string()
    } else {
        format!("{trimmed};")
    }
}

/// The statement that drops an `[[objects]]` item of `kind` named `name` as the
/// catalogue names it (`f(integer)` for a Postgres function, `table.trigger` for a
/// trigger or policy); `None` for a kind that cannot be dropped by name alone.
pub fn drop_object(dialect: Dialect, kind: &str, name: &str, if_exists: bool) -> Option<String> {
    let exists = if if_exists { " IF EXISTS" } else { "" };
    let q = |n: &str| quote(dialect, n);
    // A routine's name with its argument types: the name is quoted, the types are not.
    let routine = |n: &str| match n.split_once('(') {
        Some((base, args)) if dialect == Dialect::Postgres => format!("{}({args}", q(base)),
        _ => q(n),
    };
    let on_table = |word: &str| {
        let (table, own) = name.split_once('.')?;
        Some(match dialect {
            Dialect::Postgres => format!("DROP {word}{exists} {} ON {}", q(own), q(table)),
            Dialect::Mysql | Dialect::Sqlite => format!("DROP {word}{exists} {}", q(own)),
        })
    };
    Some(match kind {
        "view" => format!("DROP VIEW{exists} {}", q(name)),
        "materialized_view" => format!("DROP MATERIALIZED VIEW{exists} {}", q(name)),
        "trigger" => on_table("TRIGGER")?,
        "policy" => on_table("POLICY")?,
        "rule" => on_table("RULE")?,
        "function" => format!("DROP FUNCTION{exists} {}", routine(name)),
        "procedure" => format!("DROP PROCEDURE{exists} {}", routine(name)),
        "aggregate" => format!("DROP AGGREGATE{exists} {}", routine(name)),
        "domain" => format!("DROP DOMAIN{exists} {}", q(name)),
        "type" => format!("DROP TYPE{exists} {}", q(name)),
        "sequence" => format!("DROP SEQUENCE{exists} {}", q(name)),
        "event" => format!("DROP EVENT{exists} {}", q(name)),
        "event_trigger" => format!("DROP EVENT TRIGGER{exists} {}", q(name)),
        "row_security" => format!(
            "ALTER TABLE{exists} {} DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY",
            q(name)
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::sql::text::{comment_text, dollar_tag, dollar_tag_of_values, string_literal};
    use crate::sql::Dialect;

    #[test]
    fn the_tag_of_a_templates_values_is_the_tag_of_their_json_text() {
        let cases = [
            serde_json::json!({"statement": "SELECT 1"}),
            serde_json::json!({"statement": "x $tandem$ y", "n": 3}),
            serde_json::json!({"a": ["$tandem$", {"b": "$tandem_1$"}], "c": "\"$tandem_2\\$\""}),
            serde_json::json!({"$tandem$": "key", "v": "$tandem_1$\n$tandem_2$"}),
            serde_json::json!({"v": "$tandem_\u{1}$", "w": "$tandem\""}),
        ];
        for values in cases {
            assert_eq!(
                dollar_tag_of_values(&values),
                dollar_tag(&values.to_string()),
                "{values}"
            );
        }
    }

    #[test]
    fn plain_strings_stay_readable_in_every_dialect() {
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            assert_eq!(string_literal(d, "it's"), "'it''s'");
            assert_eq!(string_literal(d, ""), "''");
        }
    }

    #[test]
    fn a_backslash_is_never_an_escape() {
        let s = r"C:\new\table\'";
        assert_eq!(string_literal(Dialect::Sqlite, s), r"'C:\new\table\'''");
        assert_eq!(
            string_literal(Dialect::Postgres, s),
            r"E'C:\\new\\table\\'''"
        );
        let mysql = string_literal(Dialect::Mysql, s);
        assert!(!mysql.contains('\\'), "{mysql}");
        assert_eq!(
            string_literal(Dialect::Mysql, "a\\\né"),
            "(CONCAT('a', CHAR(92,10,195,169 USING utf8mb4)))"
        );
    }

    #[test]
    fn the_dollar_tag_is_not_in_the_content() {
        assert_eq!(dollar_tag("SELECT 1"), "$tandem$");
        assert_eq!(dollar_tag("'$tandem$'"), "$tandem_1$");
        assert_eq!(dollar_tag("$tandem$ $tandem_1$"), "$tandem_2$");
    }

    #[test]
    fn every_line_of_a_comment_stays_a_comment() {
        assert_eq!(
            comment_text("a\nDROP TABLE t;\r\nb\rc"),
            "a\n--   DROP TABLE t;\n--   b\n--   c"
        );
    }
}
