//! Splits an SQL script into statements at top-level semicolons, the way Postgres reads
//! it: not inside quotes, quoted identifiers, comments or dollar-quoted bodies.

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
            b'\'' | b'"' => {
                i = skip_quoted(bytes, i, c);
                has_code = true;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
                continue;
            }
            b'$' => {
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

/// Index just past a quoted string or identifier starting at `i` (doubled quotes escape).
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    i += 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    i
}

/// Index just past a block comment; Postgres nests them.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
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

/// If a dollar quote (`$$` or `$tag$`) opens at `i`, the index just past its closing tag.
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let rest = &sql[i + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    if !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || tag.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let delimiter = format!("${tag}$");
    let body_start = i + delimiter.len();
    let close = sql[body_start..].find(&delimiter)?;
    Some(body_start + close + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::split_statements;

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

    #[test]
    fn a_positional_parameter_is_not_a_dollar_quote() {
        assert_eq!(split_statements("SELECT $1; SELECT 2").len(), 2);
    }

    #[test]
    fn comment_only_scripts_have_no_statements() {
        assert!(split_statements("-- nothing\n/* here */\n").is_empty());
    }
}
