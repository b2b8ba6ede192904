//! What every dialect's catalogue reader yields (columns, defaults, foreign keys as
//! read back), the connection they read through, and the canonical spellings that let
//! `introspect`, `migrate --adopt` and `diff --database-url` compare what a database
//! says with what tandem would write: a catalogue spells types, defaults and
//! expressions its own way. The queries themselves are each dialect's
//! (`sql/<dialect>/inspect.rs`); `sql::catalogue` picks the dialect's.

use crate::model::Index;
use crate::sql::bookkeeping::HISTORY_TABLE;
use crate::sql::Dialect;

/// A connection that answers catalogue queries. The runner's connection implements it,
/// so reading a catalogue needs nothing of the runner.
pub trait Catalogue {
    /// The connection's own error, handed back unchanged.
    type Error;
    fn dialect(&self) -> Dialect;
    /// Rows of a query, every value as text (NULL as the empty text).
    fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<String>>, Self::Error>;
}

/// A column as the database's catalogue describes it, for a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveColumn {
    pub name: String,
    pub ty: String,
    pub nullable: bool,
    pub has_default: bool,
    /// A generated column's expression (empty where the catalogue keeps none apart)
    /// and whether it is stored.
    pub generated: Option<(String, bool)>,
}

/// A generation expression in one spelling, to compare one the catalogue rewrote
/// (`(area * (2)::numeric)`, `` `area` * 2 ``) with one as written (`area * 2`): no
/// spaces, parentheses, quotes or casts, in lower case.
pub fn generated_expr_key(expr: &str) -> String {
    let mut s = expr.to_ascii_lowercase();
    for (from, to) in [
        ("::character varying", ""),
        ("::double precision", ""),
        ("::timestamp with time zone", ""),
        ("::timestamp without time zone", ""),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '[' || *c == ']')
            {
                chars.next();
            }
            continue;
        }
        if c.is_whitespace() || matches!(c, '(' | ')' | '"' | '`') {
            continue;
        }
        out.push(c);
    }
    out
}

/// A column as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadColumn {
    pub name: String,
    /// tandem's type name (portable where one maps, else the catalogue's).
    pub ty: String,
    /// How schema.toml must write `ty` to read it back as this type.
    pub spelling: Spelling,
    pub nullable: bool,
    pub default: Option<ReadDefault>,
}

/// How schema.toml writes a type read from a catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `type = "..."`: a portable type, or a native one whose name says only that.
    Plain,
    /// `type = { mysql = "timestamp" }`: the dialect's own name for a type that the same
    /// name, read plain, is not (MySQL's `timestamp`, `time` and `text`, Postgres's
    /// `json`, against the portable types of those names).
    Mapped,
    /// `server_type = "..."`: a type tandem does not model (a MySQL `SET(...)`, a domain,
    /// an extension's type), or an enum's name until the caller knows it as one.
    Server,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReadDefault {
    /// A TOML literal: a string, an integer, a float or a boolean, as TOML text.
    Literal(String),
    /// An SQL expression.
    Sql(String),
    /// Not a default: the column is generated from this expression, stored or virtual.
    Generated { expr: String, stored: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReadForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub references: String,
    pub referenced_columns: Vec<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// A table's comment and its columns' (column name, comment), as read back.
pub type Comments = (Option<String>, Vec<(String, String)>);

/// Whether a table is the database's, not tandem's or refinery's bookkeeping.
pub fn is_user_table(name: &str) -> bool {
    name != HISTORY_TABLE && !name.starts_with("tandem_") && !name.starts_with("sqlite_")
}

/// A TOML string, quoted and escaped: a literal default is read back as TOML text.
fn toml_quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A type as a dialect's catalogue or `type_name` writes it, in one spelling: lower
/// case, no spaces around punctuation, the catalogue's long names and MariaDB's
/// display widths folded into tandem's names.
pub fn canonical_type(dialect: Dialect, ty: &str) -> String {
    let mut t = ty.trim().to_ascii_lowercase();
    t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (", ", ","),
        (" ,", ","),
    ] {
        t = t.replace(from, to);
    }
    // Postgres writes a time's precision before its zone: `timestamp(3) with time zone`;
    // 6 is the precision of one written without any.
    if dialect == Dialect::Postgres {
        for zone in [" with time zone", " without time zone"] {
            for base in ["timestamp", "time"] {
                let Some(args) = t
                    .strip_prefix(base)
                    .and_then(|rest| rest.strip_suffix(zone))
                    .filter(|a| a.starts_with('('))
                else {
                    continue;
                };
                let args = if args == "(6)" { "" } else { args };
                t = format!("{base}{zone}{args}");
            }
        }
        for base in ["timestamptz(6)", "timestamp(6)", "timetz(6)", "time(6)"] {
            if t == base {
                t = base.trim_end_matches("(6)").to_string();
            }
        }
    }
    // MySQL's `unsigned` follows the arguments: `int(10) unsigned`.
    let mut suffix = String::new();
    if dialect == Dialect::Mysql {
        if let Some(rest) = t.strip_suffix(" unsigned") {
            t = rest.to_string();
            suffix = " unsigned".into();
        }
    }
    let (base, args) = match t.find('(') {
        Some(i) => (t[..i].to_string(), t[i..].to_string()),
        None => (t.clone(), String::new()),
    };
    let (base, args) = match (dialect, base.as_str(), args.as_str()) {
        // tinyint(1) is MySQL's boolean; other widths only display.
        (Dialect::Mysql, "tinyint", "(1)") => (base, args),
        (Dialect::Mysql, "tinyint" | "mediumint" | "year", _) => (base, String::new()),
        (_, "int" | "int4" | "integer", _) if !matches!(dialect, Dialect::Mysql) => {
            ("integer".to_string(), args)
        }
        // MariaDB shows integer display widths: bigint(20), int(11), smallint(6).
        (Dialect::Mysql, "int" | "integer", _) => ("integer".into(), String::new()),
        (Dialect::Mysql, "bigint" | "smallint", _) => (base, String::new()),
        (_, "int8", _) => ("bigint".into(), args),
        (_, "int2", _) => ("smallint".into(), args),
        (_, "character varying", _) => ("varchar".into(), args),
        (_, "character", _) => ("char".into(), args),
        (_, "timestamp with time zone", _) => ("timestamptz".into(), args),
        (Dialect::Postgres, "timestamp without time zone", _) => ("timestamp".into(), args),
        (Dialect::Postgres, "time without time zone", _) => ("time".into(), args),
        (Dialect::Postgres, "float8", _) => ("double precision".into(), args),
        (Dialect::Postgres, "float4", _) => ("real".into(), args),
        (Dialect::Postgres, "bool", _) => ("boolean".into(), args),
        (Dialect::Postgres, "decimal", _) => ("numeric".into(), args),
        // MariaDB keeps json as longtext with a check.
        (Dialect::Mysql, "json", _) => ("longtext".into(), args),
        _ => (base, args),
    };
    format!("{base}{args}{suffix}")
}

/// A column's default as tandem writes it for a column of type `ty` (tandem's name):
/// the catalogue's spelling of the same value folded into the one the model reads.
pub fn typed_default(dialect: Dialect, ty: &str, text: &str) -> ReadDefault {
    let base = ty.split('(').next().unwrap_or(ty);
    let numeric = matches!(
        base,
        "smallint" | "integer" | "bigint" | "real" | "double" | "decimal"
    );
    match read_default(dialect, text) {
        // MySQL and SQLite keep a boolean as 0 or 1.
        ReadDefault::Literal(l) if ty == "boolean" && (l == "1" || l == "0") => {
            ReadDefault::Literal(if l == "1" { "true" } else { "false" }.into())
        }
        // MySQL's year is a number in its catalogue; schema.toml writes it as a string.
        ReadDefault::Literal(l) if base == "year" && l.parse::<u32>().is_ok() => {
            ReadDefault::Literal(toml_quoted(&l))
        }
        // Postgres writes a negative number as a typed string: '-3'::integer.
        ReadDefault::Literal(l) if numeric && toml_string(&l).is_some() => {
            let inner = toml_string(&l).unwrap_or_default();
            let inner = inner.as_str();
            if inner.parse::<f64>().is_ok() && !inner.contains(['e', 'E', 'n', 'N', 'i', 'I']) {
                ReadDefault::Literal(inner.to_string())
            } else {
                ReadDefault::Literal(l)
            }
        }
        // A time of day or a timestamp: MySQL pads the fraction to the column's six
        // digits, Postgres adds the session's offset to a timestamptz.
        ReadDefault::Literal(l) if matches!(base, "time" | "timestamp" | "timestamptz") => {
            let Some(mut v) = toml_string(&l) else {
                return ReadDefault::Literal(l);
            };
            if base == "timestamptz" && dialect == Dialect::Postgres && v.len() > 19 {
                if let Some(i) = v[19..].find(['+', '-']) {
                    // The instant in UTC, as schema.toml writes it: the catalogue wrote
                    // it in the session's zone.
                    v = in_utc(&v[..19 + i], &v[19 + i..]).unwrap_or_else(|| v[..19 + i].into());
                }
            }
            if let Some((whole, fraction)) = v.split_once('.') {
                let fraction = fraction.trim_end_matches('0');
                v = if fraction.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}.{fraction}")
                };
            }
            ReadDefault::Literal(toml_quoted(&v))
        }
        // Postgres writes bytea in hex: '\x616263'::bytea. The model's literal is the
        // text of the bytes; other bytes stay an SQL default.
        ReadDefault::Literal(l) if base == "binary" && dialect == Dialect::Postgres => {
            let value = toml_string(&l).unwrap_or_default();
            let bytes = value.strip_prefix("\\x").and_then(|hex| {
                (hex.len() % 2 == 0)
                    .then(|| {
                        (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                            .collect::<Option<Vec<u8>>>()
                    })
                    .flatten()
            });
            match bytes.and_then(|b| String::from_utf8(b).ok()) {
                Some(s) if !s.contains(['\\', '\0']) => ReadDefault::Literal(toml_quoted(&s)),
                _ => ReadDefault::Sql(text.trim().to_string()),
            }
        }
        // MariaDB writes the characters beyond ASCII of an expression default (tandem
        // writes a text's literal default as one) as bytes:
        // concat('caf',char(195,169 using utf8mb4)).
        ReadDefault::Sql(s) if dialect == Dialect::Mysql && mariadb_concat(&s).is_some() => {
            ReadDefault::Literal(toml_quoted(&mariadb_concat(&s).unwrap_or_default()))
        }
        // MariaDB writes CURRENT_TIMESTAMP as current_timestamp(6) for a column with
        // six digits of fraction, which is what tandem makes of it.
        ReadDefault::Sql(s)
            if dialect == Dialect::Mysql
                && matches!(base, "timestamp" | "timestamptz")
                && s.eq_ignore_ascii_case("current_timestamp(6)") =>
        {
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        }
        // And CURRENT_DATE as curdate().
        ReadDefault::Sql(s)
            if dialect == Dialect::Mysql
                && base == "date"
                && s.eq_ignore_ascii_case("curdate()") =>
        {
            ReadDefault::Sql("CURRENT_DATE".into())
        }
        other => other,
    }
}

/// The portable type a catalogue's type name stands for, where tandem writes that type
/// so; else the catalogue's own name.
pub fn portable_type(dialect: Dialect, live: &str) -> String {
    read_type(dialect, live).0
}

/// As [`portable_type`], with how schema.toml must write it (see [`Spelling`]).
pub fn read_type(dialect: Dialect, live: &str) -> (String, Spelling) {
    let native = |t: &str| match crate::sql::types::parse(Some(dialect), t, Some(&[])) {
        Ok(p) if !p.identity => {
            let name = p.ty.to_string();
            match crate::sql::types::needs_mapping(dialect, &name) {
                true => (name, Spelling::Mapped),
                false => (name, Spelling::Plain),
            }
        }
        // The catalogue's own text, with its case: a SET's values are case-sensitive.
        _ => (live.trim().to_string(), Spelling::Server),
    };
    let portable = |name: String| (name, Spelling::Plain);
    // Folding MySQL's display widths would lose `unsigned`.
    let t = canonical_type(dialect, live);
    if dialect == Dialect::Mysql && t.ends_with(" unsigned") {
        // Without MariaDB's display width: `int(10) unsigned` is `int unsigned`.
        return native(&t);
    }
    let (base, args) = match t.find('(') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t.as_str(), ""),
    };
    let decimal = |args: &str| format!("decimal{args}");
    let name: String = match (dialect, base) {
        // MySQL's TEXT holds 64 KiB; the portable `text` is its LONGTEXT.
        (Dialect::Mysql, "text") => return native(&t),
        (_, "smallint" | "integer" | "bigint" | "date" | "text") if args.is_empty() => base.into(),
        (Dialect::Postgres, "boolean" | "real" | "uuid" | "timestamp" | "timestamptz" | "time") => {
            base.into()
        }
        (Dialect::Postgres, "double precision") => "double".into(),
        (Dialect::Postgres, "numeric") if !args.is_empty() => decimal(args),
        (Dialect::Postgres, "jsonb") => "json".into(),
        (Dialect::Postgres, "bytea") => "binary".into(),
        (_, "varchar" | "char") if !args.is_empty() => format!("{base}{args}"),
        (Dialect::Mysql, "tinyint") if args == "(1)" => "boolean".into(),
        (Dialect::Mysql, "float") if args.is_empty() => "real".into(),
        (Dialect::Mysql, "double") if args.is_empty() => "double".into(),
        (Dialect::Mysql, "decimal") if !args.is_empty() => decimal(args),
        (Dialect::Mysql, "longtext") => "text".into(),
        (Dialect::Mysql, "longblob") => "binary".into(),
        (Dialect::Mysql, "time") if args == "(6)" => "time".into(),
        (Dialect::Mysql, "datetime") if args == "(6)" => "timestamp".into(),
        (Dialect::Mysql, "timestamp") if args == "(6)" => "timestamptz".into(),
        // SQLite has no time zone type: tandem writes timestamptz as timestamp there, and
        // it reads back as timestamp.
        (Dialect::Sqlite, "boolean" | "real" | "double" | "time" | "timestamp")
            if args.is_empty() =>
        {
            base.into()
        }
        (Dialect::Sqlite, "decimal") if !args.is_empty() => decimal(args),
        (Dialect::Sqlite, "blob") => "binary".into(),
        _ => return native(&t),
    };
    portable(name)
}

/// `local` (`YYYY-MM-DD HH:MM:SS[.f]`) at `offset` (`+HH`, `-HH:MM`, `+HH:MM:SS`) as
/// the same instant in UTC, its fraction kept; `None` for another spelling.
fn in_utc(local: &str, offset: &str) -> Option<String> {
    let (whole, fraction) = match local.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (local, None),
    };
    let format = time::format_description::parse_borrowed::<2>(
        "[year]-[month]-[day] [hour]:[minute]:[second]",
    )
    .ok()?;
    let at = time::PrimitiveDateTime::parse(whole, &format).ok()?;
    let negative = offset.starts_with('-');
    let mut parts = offset[1..].split(':').map(|p| p.parse::<i8>().ok());
    let (h, m, sec) = (
        parts.next().flatten()?,
        parts.next().unwrap_or(Some(0))?,
        parts.next().unwrap_or(Some(0))?,
    );
    let sign = if negative { -1 } else { 1 };
    let zone = time::UtcOffset::from_hms(sign * h, sign * m, sign * sec).ok()?;
    let utc = at.assume_offset(zone).to_offset(time::UtcOffset::UTC);
    let text = time::PrimitiveDateTime::new(utc.date(), utc.time())
        .format(&format)
        .ok()?;
    Some(match fraction {
        Some(f) => format!("{text}.{f}"),
        None => text,
    })
}

/// A catalogue's default text as a TOML literal where it is one, else as SQL.
pub fn read_default(dialect: Dialect, text: &str) -> ReadDefault {
    let text = text.trim();
    // Postgres writes a typed literal: 'abc'::character varying.
    let literal_part = match dialect {
        Dialect::Postgres => match text.rfind("::") {
            Some(i) if text[..i].ends_with('\'') => &text[..i],
            _ => text,
        },
        _ => text,
    };
    if dialect == Dialect::Mysql {
        if let Some(inner) = mysql_string(literal_part) {
            return ReadDefault::Literal(toml_quoted(&inner));
        }
    } else if literal_part.len() >= 2
        && literal_part.starts_with('\'')
        && literal_part.ends_with('\'')
        && !literal_part[1..literal_part.len() - 1]
            .replace("''", "")
            .contains('\'')
    {
        let inner = literal_part[1..literal_part.len() - 1].replace("''", "'");
        return ReadDefault::Literal(toml_quoted(&inner));
    }
    if literal_part.parse::<i64>().is_ok() {
        return ReadDefault::Literal(literal_part.to_string());
    }
    if literal_part.parse::<f64>().is_ok() && literal_part.contains('.') {
        return ReadDefault::Literal(literal_part.to_string());
    }
    match (dialect, literal_part) {
        (Dialect::Postgres, "true" | "false") => ReadDefault::Literal(literal_part.into()),
        _ => ReadDefault::Sql(text.to_string()),
    }
}

/// The string a TOML string value holds; `None` for another value.
fn toml_string(value: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(&format!("v = {value}")).ok()?;
    doc.get("v")?.as_str().map(str::to_string)
}

/// The string MariaDB's `concat('caf',char(195,169 using utf8mb4))` spells; `None`
/// for any other expression.
fn mariadb_concat(text: &str) -> Option<String> {
    let inner = text.trim().strip_prefix("concat(")?.strip_suffix(')')?;
    // The arguments, split at the commas outside literals and parentheses.
    let mut args = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0, false, false, 0);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    args.push(&inner[start..]);
    let mut out = String::new();
    for arg in args {
        let arg = arg.trim();
        if arg.starts_with('\'') {
            out.push_str(&mysql_string(arg)?);
            continue;
        }
        let codes = arg.strip_prefix("char(")?.strip_suffix(" using utf8mb4)")?;
        let bytes = codes
            .split(',')
            .map(|n| n.trim().parse::<u8>().ok())
            .collect::<Option<Vec<u8>>>()?;
        out.push_str(&String::from_utf8(bytes).ok()?);
    }
    Some(out)
}

/// The value of one MariaDB string literal as its catalogue writes a default
/// (`'it\'s'`, `'a''b'`, `'C:\\'`); `None` when `text` is not exactly one literal.
fn mysql_string(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                'b' => '\u{8}',
                'Z' => '\u{1a}',
                other => other,
            }),
            '\'' => {
                // Only a doubled quote may stand inside the literal.
                if chars.next()? != '\'' {
                    return None;
                }
                out.push('\'');
            }
            other => out.push(other),
        }
    }
    Some(out)
}

/// Rows of (name, column) into (name, columns) in order.
pub fn group(rows: Vec<Vec<String>>) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        let [name, column] = <[String; 2]>::try_from(r).unwrap_or_default();
        match out.last_mut() {
            Some((n, cols)) if *n == name => cols.push(column),
            _ => out.push((name, vec![column])),
        }
    }
    out
}

/// A delete or update rule as tandem writes it; `None` for the default (no action). MySQL treats
/// RESTRICT as the default and reports it for a key that named none.
pub fn action_word(dialect: Dialect, code: &str) -> Option<String> {
    let word = match code.trim().to_ascii_uppercase().as_str() {
        "C" | "CASCADE" => "cascade",
        "N" | "SET NULL" => "set null",
        "RESTRICT" if dialect == Dialect::Mysql => return None,
        "R" | "RESTRICT" => "restrict",
        _ => return None,
    };
    Some(word.into())
}

/// How the live index `live` differs from `want` in its options, as phrases ("its
/// `where` is `a > 0` in the database but none"), with `expected` naming where `want`
/// comes from. Spellings of the same thing are no difference: `btree` is every
/// dialect's default method (and InnoDB builds a `hash` index as one), and a predicate
/// or expression is compared through [`canonical_sql`].
pub fn index_option_differences(
    dialect: Dialect,
    want: &Index,
    live: &Index,
    expected: &str,
) -> Vec<String> {
    let (w, l) = (&want.options, &live.options);
    let method = |m: &Option<String>| match m.as_deref() {
        None | Some("btree") => None,
        Some("hash") if dialect == Dialect::Mysql => None,
        Some(m) => Some(m.to_string()),
    };
    let sql = |e: &Option<String>| e.as_deref().map(|e| canonical_sql(dialect, e));
    let exprs = |e: &[String]| {
        e.iter()
            .map(|x| canonical_sql(dialect, x))
            .collect::<Vec<_>>()
    };
    let show = |v: &dyn std::fmt::Debug| format!("{v:?}");
    let mut out = Vec::new();
    let mut differ = |what: &str, live: String, want: String| {
        out.push(format!(
            "its {what} is {live} in the database but {want} in {expected}"
        ));
    };
    if sql(&l.predicate) != sql(&w.predicate) {
        differ("`where`", show(&l.predicate), show(&w.predicate));
    }
    if method(&l.method) != method(&w.method) {
        differ("method", show(&method(&l.method)), show(&method(&w.method)));
    }
    if l.include != w.include {
        differ("`include`", show(&l.include), show(&w.include));
    }
    if exprs(&l.expressions) != exprs(&w.expressions) {
        differ("`expressions`", show(&l.expressions), show(&w.expressions));
    }
    if l.opclass != w.opclass {
        differ("`opclass`", show(&l.opclass), show(&w.opclass));
    }
    let mut desc = (l.desc.clone(), w.desc.clone());
    desc.0.sort();
    desc.1.sort();
    if desc.0 != desc.1 {
        differ("DESC columns", show(&desc.0), show(&desc.1));
    }
    if l.prefix != w.prefix {
        differ("prefix lengths", show(&l.prefix), show(&w.prefix));
    }
    if l.nulls != w.nulls {
        differ("NULLS FIRST/LAST", show(&l.nulls), show(&w.nulls));
    }
    if l.nulls_not_distinct != w.nulls_not_distinct {
        differ(
            "NULLS NOT DISTINCT",
            show(&l.nulls_not_distinct),
            show(&w.nulls_not_distinct),
        );
    }
    if l.fulltext != w.fulltext {
        differ("fulltext", show(&l.fulltext), show(&w.fulltext));
    }
    out
}

/// A foreign key rule in one spelling: `None` for the default, which `no action` is,
/// and on MySQL `restrict` too (InnoDB makes them one and reports either as RESTRICT).
pub fn fk_action(dialect: Dialect, action: Option<&str>) -> Option<String> {
    match action {
        None | Some("no action") => None,
        Some("restrict") if dialect == Dialect::Mysql => None,
        Some(a) => Some(a.to_string()),
    }
}

/// An SQL expression (a check, an index's predicate or expression, an SQL default) in
/// one spelling, so that two spellings of the same expression compare equal: the
/// database gives back its own (Postgres parenthesises each operand, MariaDB quotes
/// names and writes keywords in lower case). Parentheses that only group are dropped
/// (the tree keeps the grouping: every operation is written in parentheses),
/// identifiers lose their quotes and their case, function names their case. Text that
/// does not parse as an expression is compared with its blanks folded.
pub fn canonical_sql(dialect: Dialect, text: &str) -> String {
    use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};
    use sqlparser::parser::Parser;
    let parsed = match dialect {
        Dialect::Postgres => Parser::new(&PostgreSqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
        Dialect::Mysql => Parser::new(&MySqlDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
        Dialect::Sqlite => Parser::new(&SQLiteDialect {})
            .try_with_sql(text)
            .and_then(|mut p| p.parse_expr()),
    };
    match parsed {
        Ok(e) => canonical_expr(&e),
        Err(_) => text.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn canonical_expr(e: &sqlparser::ast::Expr) -> String {
    use sqlparser::ast::{
        Expr, FunctionArg, FunctionArgExpr, FunctionArguments, UnaryOperator, Value,
    };
    match e {
        Expr::Nested(inner) => canonical_expr(inner),
        Expr::Identifier(id) => id.value.to_ascii_lowercase(),
        Expr::CompoundIdentifier(ids) => ids
            .iter()
            .map(|i| i.value.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("."),
        Expr::BinaryOp { left, op, right } => {
            format!("({} {op} {})", canonical_expr(left), canonical_expr(right))
        }
        // Postgres writes a negative number as a typed string: '-5'::integer.
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } if matches!(expr.as_ref(), Expr::Value(v) if matches!(v.value, Value::Number(..))) => {
            format!("-{expr}")
        }
        Expr::Cast { expr, .. }
            if matches!(expr.as_ref(), Expr::Value(v)
                if matches!(&v.value, Value::SingleQuotedString(s) if s.parse::<f64>().is_ok())) =>
        {
            match expr.as_ref() {
                Expr::Value(v) => match &v.value {
                    Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                },
                other => other.to_string(),
            }
        }
        // A constant's type is its column's: Postgres casts the literals of a check
        // as it stores it, and again, element by element, when it is read and made
        // again (`ARRAY['a'::varchar]::text[]`, then `ARRAY['a'::varchar::text]`).
        Expr::Cast { expr, .. } if constant(expr) => canonical_expr(expr),
        // A column cast to the type its operator or function takes, as Postgres writes
        // the implicit cast it added: lower(email::text) for lower(email).
        Expr::Cast { expr, .. }
            if matches!(
                unnested(expr),
                Expr::Identifier(_) | Expr::CompoundIdentifier(_)
            ) =>
        {
            canonical_expr(expr)
        }
        Expr::Array(a) => format!(
            "ARRAY[{}]",
            a.elem
                .iter()
                .map(canonical_expr)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => format!(
            "({} {compare_op} ANY({}))",
            canonical_expr(left),
            canonical_expr(right)
        ),
        Expr::UnaryOp { op, expr } => format!("({op} {})", canonical_expr(expr)),
        Expr::IsNull(x) => format!("({} IS NULL)", canonical_expr(x)),
        Expr::IsNotNull(x) => format!("({} IS NOT NULL)", canonical_expr(x)),
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            match &f.args {
                FunctionArguments::None => name,
                FunctionArguments::List(list)
                    if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
                {
                    let args: Vec<String> = list
                        .args
                        .iter()
                        .map(|a| match a {
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => canonical_expr(x),
                            other => other.to_string(),
                        })
                        .collect();
                    format!("{name}({})", args.join(", "))
                }
                _ => e.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// `e` without the parentheses around it.
fn unnested(e: &sqlparser::ast::Expr) -> &sqlparser::ast::Expr {
    match e {
        sqlparser::ast::Expr::Nested(inner) => unnested(inner),
        other => other,
    }
}

/// Whether `e` is a literal, a cast of one, or an array of those.
fn constant(e: &sqlparser::ast::Expr) -> bool {
    use sqlparser::ast::Expr;
    match e {
        Expr::Value(_) => true,
        Expr::Cast { expr, .. } | Expr::Nested(expr) => constant(expr),
        Expr::Array(a) => a.elem.iter().all(constant),
        _ => false,
    }
}

/// `((a > 0))` -> `a > 0`, where the outer parentheses wrap the whole expression.
pub fn strip_parens(expr: &str) -> String {
    let mut e = expr.trim();
    while e.starts_with('(') && e.ends_with(')') && wraps(e) {
        e = e[1..e.len() - 1].trim();
    }
    e.to_string()
}

fn wraps(e: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in e.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 && i != e.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_types_map_back_to_portable_ones() {
        assert_eq!(
            portable_type(Dialect::Postgres, "character varying(255)"),
            "varchar(255)"
        );
        assert_eq!(
            portable_type(Dialect::Postgres, "timestamp with time zone"),
            "timestamptz"
        );
        assert_eq!(
            portable_type(Dialect::Postgres, "numeric(10,2)"),
            "decimal(10,2)"
        );
        assert_eq!(portable_type(Dialect::Postgres, "jsonb"), "json");
        assert_eq!(portable_type(Dialect::Postgres, "inet"), "inet");
        assert_eq!(portable_type(Dialect::Mysql, "bigint(20)"), "bigint");
        assert_eq!(portable_type(Dialect::Mysql, "tinyint(1)"), "boolean");
        assert_eq!(portable_type(Dialect::Mysql, "datetime(6)"), "timestamp");
        assert_eq!(portable_type(Dialect::Sqlite, "varchar(40)"), "varchar(40)");
        // MariaDB's display widths are not part of the type, unsigned or not.
        assert_eq!(
            portable_type(Dialect::Mysql, "bigint(20) unsigned"),
            "bigint unsigned"
        );
        assert_eq!(
            portable_type(Dialect::Mysql, "int(10) unsigned"),
            "int unsigned"
        );
        assert_eq!(portable_type(Dialect::Mysql, "tinyint(4)"), "tinyint");
        assert_eq!(portable_type(Dialect::Mysql, "mediumint(9)"), "mediumint");
        assert_eq!(portable_type(Dialect::Mysql, "year(4)"), "year");
    }

    #[test]
    fn a_servers_spelling_of_an_expression_is_the_same_expression() {
        let pg = |a| canonical_sql(Dialect::Postgres, a);
        let my = |a| canonical_sql(Dialect::Mysql, a);
        assert_eq!(
            pg("(score >= 0) AND (score < 100)"),
            pg("score >= 0 AND score < 100")
        );
        assert_eq!(
            my("`score` >= 0 and `score` < 100"),
            pg("score >= 0 AND score < 100")
        );
        assert_eq!(pg("(a OR b) AND c"), pg("((a OR b)) AND (c)"));
        assert_ne!(pg("(a OR b) AND c"), pg("a OR (b AND c)"));
        assert_eq!(my("LOWER(`Name`)"), pg("lower(name)"));
        assert_ne!(pg("name = 'A'"), pg("name = 'a'"));
        assert_eq!(pg("c > '-5'::integer"), pg("c > -5"));
        assert_eq!(pg("lower((email)::text)"), pg("lower(email)"));
        assert_eq!(
            pg("m::text = ANY (ARRAY['P'::character varying, 'G'::character varying]::text[])"),
            pg("m::text = ANY (ARRAY['P'::character varying::text, 'G'::character varying::text])")
        );
        assert_ne!(
            pg("m::text = ANY (ARRAY['P'::character varying]::text[])"),
            pg("m::text = ANY (ARRAY['G'::character varying]::text[])")
        );
        assert_ne!(pg("c > '-5'::integer"), pg("c > 5"));
    }

    #[test]
    fn a_mysql_year_default_reads_back_as_the_string_schema_toml_takes() {
        assert_eq!(
            typed_default(Dialect::Mysql, "year", "2024"),
            ReadDefault::Literal("\"2024\"".into())
        );
    }

    /// Postgres writes a timestamptz default in the reading session's zone: it reads back
    /// as the same instant in UTC, whatever that zone was.
    #[test]
    fn a_timestamptz_default_reads_back_in_utc_from_any_session_zone() {
        for (catalogue, utc) in [
            ("'2024-01-31 03:30:00-05'", "2024-01-31 08:30:00"),
            ("'2024-01-31 14:00:00.25+05:30'", "2024-01-31 08:30:00.25"),
            ("'2024-01-01 00:30:00+01'", "2023-12-31 23:30:00"),
            ("'2024-01-31 08:30:00+00'", "2024-01-31 08:30:00"),
        ] {
            let text = format!("{catalogue}::timestamp with time zone");
            assert_eq!(
                typed_default(Dialect::Postgres, "timestamptz", &text),
                ReadDefault::Literal(format!("\"{utc}\"")),
                "{catalogue}"
            );
        }
    }

    #[test]
    fn defaults_read_back_as_literals_or_sql() {
        assert_eq!(
            read_default(Dialect::Postgres, "'it''s'::character varying"),
            ReadDefault::Literal("\"it's\"".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "0"),
            ReadDefault::Literal("0".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "true"),
            ReadDefault::Literal("true".into())
        );
        assert_eq!(
            read_default(Dialect::Postgres, "CURRENT_TIMESTAMP"),
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            read_default(Dialect::Mysql, "'free'"),
            ReadDefault::Literal("\"free\"".into())
        );
        assert_eq!(strip_parens("((id > 0))"), "id > 0");
        // Postgres writes a negative number as a typed string; MariaDB escapes quotes
        // with a backslash and pads a time's fraction; Postgres adds an offset.
        assert_eq!(
            typed_default(Dialect::Postgres, "smallint", "'-3'::smallint"),
            ReadDefault::Literal("-3".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "text", "'-3'::text"),
            ReadDefault::Literal("\"-3\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "text", r"'it\'s a \\ ''x'''"),
            ReadDefault::Literal(toml_quoted(r"it's a \ 'x'"))
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "time", "'08:30:00.500000'"),
            ReadDefault::Literal("\"08:30:00.5\"".into())
        );
        assert_eq!(
            typed_default(
                Dialect::Postgres,
                "timestamptz",
                "'2024-01-31 08:30:00+00'::timestamp with time zone"
            ),
            ReadDefault::Literal("\"2024-01-31 08:30:00\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "timestamptz", "current_timestamp(6)"),
            ReadDefault::Sql("CURRENT_TIMESTAMP".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "binary", "'\\x616263'::bytea"),
            ReadDefault::Literal("\"abc\"".into())
        );
        assert_eq!(
            typed_default(Dialect::Postgres, "binary", "'\\x00ff'::bytea"),
            ReadDefault::Sql("'\\x00ff'::bytea".into())
        );
        assert_eq!(
            typed_default(
                Dialect::Mysql,
                "text",
                "concat('caf',char(195,169 using utf8mb4),' ''x''')"
            ),
            ReadDefault::Literal(toml_quoted("café 'x'"))
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "text", "concat(a, b)"),
            ReadDefault::Sql("concat(a, b)".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "date", "curdate()"),
            ReadDefault::Sql("CURRENT_DATE".into())
        );
        assert_eq!(
            typed_default(Dialect::Mysql, "boolean", "1"),
            ReadDefault::Literal("true".into())
        );
        assert_eq!(strip_parens("(a > 0) AND (b > 0)"), "(a > 0) AND (b > 0)");
    }

    #[test]
    fn catalogue_spellings_fold_into_tandems_type_names() {
        let pg = |s| canonical_type(Dialect::Postgres, s);
        assert_eq!(pg("character varying(255)"), pg("varchar(255)"));
        assert_eq!(pg("timestamp with time zone"), pg("timestamptz"));
        assert_eq!(pg("timestamp without time zone"), pg("timestamp"));
        assert_ne!(pg("timestamp with time zone"), pg("timestamp"));
        assert_eq!(pg("timestamp(6) without time zone"), pg("timestamp"));
        assert_eq!(pg("timestamp(6) with time zone"), pg("timestamptz"));
        assert_eq!(pg("timestamp(3) with time zone"), pg("timestamptz(3)"));
        assert_ne!(pg("timestamp(3) with time zone"), pg("timestamptz"));
        assert_eq!(pg("time(6) without time zone"), pg("time"));
        assert_ne!(pg("character varying(100)"), pg("varchar(255)"));
        let my = |s| canonical_type(Dialect::Mysql, s);
        assert_eq!(my("bigint(20)"), my("bigint"));
        assert_eq!(my("int(11)"), my("integer"));
        assert_ne!(my("int(11)"), my("bigint"));
        assert_ne!(my("tinyint(4)"), my("tinyint(1)"));
        // Display widths of the other integer types, with or without `unsigned`.
        assert_eq!(my("tinyint(4)"), my("tinyint"));
        assert_eq!(my("mediumint(9)"), my("mediumint"));
        assert_eq!(my("year(4)"), my("year"));
        assert_eq!(my("int(10) unsigned"), my("int unsigned"));
        assert_eq!(my("bigint(20) unsigned"), my("bigint unsigned"));
        assert_ne!(my("int(10) unsigned"), my("int"));
        let lite = |s| canonical_type(Dialect::Sqlite, s);
        assert_eq!(lite("VARCHAR( 255 )"), lite("varchar(255)"));
        assert_eq!(lite("INT"), lite("integer"));
    }
}
