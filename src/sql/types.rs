//! Column types beyond the portable ones: each dialect's native types (with the argument
//! shapes it takes, and arrays on Postgres), the per-dialect mapping form, identity
//! spellings (`serial`) and enums. A type is resolved for the project's dialect when it
//! is read: a native type that is only the dialect's spelling of a portable type (`jsonb`
//! on Postgres, `tinyint(1)` on MySQL, `blob` on SQLite) becomes that portable type, so
//! that it renders, widens and compares as one.

use std::fmt;

use crate::sql::text::{quote, string_literal};
use crate::sql::Dialect;
use crate::types::{ColumnType, EnumType, Kin, NativeType, Parsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Args {
    None,
    /// `(n)` or nothing.
    Optional,
    /// `(n)` required.
    One,
    /// Nothing, `(p)` or `(p,s)`.
    Precision,
}

struct Spec {
    name: &'static str,
    args: Args,
    kin: Kin,
    /// Takes `unsigned` (MySQL numbers).
    unsigned: bool,
}

const fn spec(name: &'static str, args: Args, kin: Kin) -> Spec {
    Spec {
        name,
        args,
        kin,
        unsigned: false,
    }
}

const fn number(name: &'static str, args: Args, kin: Kin) -> Spec {
    Spec {
        name,
        args,
        kin,
        unsigned: true,
    }
}

const POSTGRES: &[Spec] = &[
    spec("smallint", Args::None, Kin::Integer(i16::MAX as i64)),
    spec("integer", Args::None, Kin::Integer(i32::MAX as i64)),
    spec("bigint", Args::None, Kin::Integer(i64::MAX)),
    spec("real", Args::None, Kin::Float),
    spec("double precision", Args::None, Kin::Float),
    spec("numeric", Args::Precision, Kin::Decimal),
    spec("money", Args::None, Kin::Money),
    spec("text", Args::None, Kin::Text(None)),
    spec("varchar", Args::Optional, Kin::Text(None)),
    spec("char", Args::Optional, Kin::Text(Some(1))),
    spec("citext", Args::None, Kin::Text(None)),
    spec("bytea", Args::None, Kin::Binary(None)),
    spec("date", Args::None, Kin::Date),
    spec("time", Args::Optional, Kin::Time),
    spec("timetz", Args::Optional, Kin::TimeTz),
    spec("timestamp", Args::Optional, Kin::Timestamp),
    spec("timestamptz", Args::Optional, Kin::TimestampTz),
    spec("interval", Args::Optional, Kin::Interval),
    spec("uuid", Args::None, Kin::Uuid),
    spec("json", Args::None, Kin::Json),
    spec("jsonb", Args::None, Kin::Json),
    spec("xml", Args::None, Kin::Xml),
    spec("inet", Args::None, Kin::Inet),
    spec("cidr", Args::None, Kin::Cidr),
    spec("macaddr", Args::None, Kin::MacAddr),
    spec("macaddr8", Args::None, Kin::MacAddr8),
    spec("tsvector", Args::None, Kin::TsVector),
    spec("int4range", Args::None, Kin::IntRange),
    spec("int8range", Args::None, Kin::IntRange),
    spec("numrange", Args::None, Kin::NumRange),
    spec("daterange", Args::None, Kin::DateRange),
    spec("tsrange", Args::None, Kin::TsRange),
    spec("tstzrange", Args::None, Kin::TsRange),
];

const POSTGRES_ALIASES: &[(&str, &str)] = &[
    ("int", "integer"),
    ("int4", "integer"),
    ("int2", "smallint"),
    ("int8", "bigint"),
    ("float4", "real"),
    ("float8", "double precision"),
    ("double", "double precision"),
    ("decimal", "numeric"),
    ("bool", "boolean"),
    ("character varying", "varchar"),
    ("character", "char"),
    ("bpchar", "char"),
    ("time with time zone", "timetz"),
    ("time without time zone", "time"),
    ("timestamp with time zone", "timestamptz"),
    ("timestamp without time zone", "timestamp"),
];

/// Postgres spellings of an integer identity column.
const SERIALS: &[(&str, ColumnType)] = &[
    ("smallserial", ColumnType::SmallInt),
    ("serial2", ColumnType::SmallInt),
    ("serial", ColumnType::Integer),
    ("serial4", ColumnType::Integer),
    ("bigserial", ColumnType::BigInt),
    ("serial8", ColumnType::BigInt),
];

const MYSQL: &[Spec] = &[
    number("tinyint", Args::Optional, Kin::Integer(i8::MAX as i64)),
    number("smallint", Args::Optional, Kin::Integer(i16::MAX as i64)),
    number("mediumint", Args::Optional, Kin::Integer(8_388_607)),
    number("int", Args::Optional, Kin::Integer(i32::MAX as i64)),
    number("bigint", Args::Optional, Kin::Integer(i64::MAX)),
    number("float", Args::None, Kin::Float),
    number("double", Args::None, Kin::Float),
    number("decimal", Args::Precision, Kin::Decimal),
    spec("year", Args::None, Kin::Year),
    spec("char", Args::Optional, Kin::Text(Some(1))),
    spec("varchar", Args::One, Kin::Text(None)),
    spec("tinytext", Args::None, Kin::Text(Some(255))),
    spec("text", Args::None, Kin::Text(Some(65_535))),
    spec("mediumtext", Args::None, Kin::Text(None)),
    spec("longtext", Args::None, Kin::Text(None)),
    spec("binary", Args::Optional, Kin::Binary(Some(1))),
    spec("varbinary", Args::One, Kin::Binary(None)),
    spec("tinyblob", Args::None, Kin::Binary(Some(255))),
    spec("blob", Args::None, Kin::Binary(None)),
    spec("mediumblob", Args::None, Kin::Binary(None)),
    spec("longblob", Args::None, Kin::Binary(None)),
    spec("date", Args::None, Kin::Date),
    spec("time", Args::Optional, Kin::Time),
    spec("datetime", Args::Optional, Kin::Timestamp),
    spec("timestamp", Args::Optional, Kin::TimestampTz),
    spec("json", Args::None, Kin::Json),
];

const MYSQL_ALIASES: &[(&str, &str)] = &[
    ("integer", "int"),
    ("real", "double"),
    ("double precision", "double"),
    ("numeric", "decimal"),
    ("dec", "decimal"),
    ("fixed", "decimal"),
    ("bool", "boolean"),
    ("character", "char"),
    ("character varying", "varchar"),
];

const SQLITE: &[Spec] = &[
    spec("integer", Args::None, Kin::Integer(i64::MAX)),
    spec("real", Args::None, Kin::Float),
    spec("text", Args::None, Kin::Text(None)),
    spec("blob", Args::None, Kin::Binary(None)),
    spec("numeric", Args::None, Kin::Decimal),
];

const SQLITE_ALIASES: &[(&str, &str)] = &[("int", "integer")];

const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite];

fn specs(dialect: Dialect) -> (&'static [Spec], &'static [(&'static str, &'static str)]) {
    match dialect {
        Dialect::Postgres => (POSTGRES, POSTGRES_ALIASES),
        Dialect::Mysql => (MYSQL, MYSQL_ALIASES),
        Dialect::Sqlite => (SQLITE, SQLITE_ALIASES),
    }
}

/// The native type names of `dialect`, for messages and suggestions.
pub fn native_names(dialect: Dialect) -> Vec<&'static str> {
    let (list, _) = specs(dialect);
    let mut names: Vec<&str> = list.iter().map(|s| s.name).collect();
    if dialect == Dialect::Postgres {
        names.extend(SERIALS.iter().map(|(n, _)| *n));
    }
    names
}

/// Reads a type written for `dialect` (`None`: no project; the first dialect that knows
/// it): a portable type, a native type of the dialect, or a name that may be an enum
/// (`enums` lists the known ones; `None`: looked up later, when the change is folded).
pub fn parse(
    dialect: Option<Dialect>,
    text: &str,
    enums: Option<&[&str]>,
) -> Result<Parsed, String> {
    let portable = ColumnType::parse(text);
    if let Ok(ty) = portable {
        return Ok(Parsed {
            ty,
            identity: false,
        });
    }
    let words = normalize(text);
    if let Some(names) = enums {
        if let Some(name) = names.iter().find(|n| **n == text.trim()) {
            return Ok(Parsed {
                ty: ColumnType::Enum(EnumType {
                    name: name.to_string(),
                    values: Vec::new(),
                }),
                identity: false,
            });
        }
    }
    let tried: Vec<Dialect> = match dialect {
        Some(d) => vec![d],
        None => DIALECTS.to_vec(),
    };
    let mut first_error = None;
    for d in &tried {
        match native(*d, &words) {
            Ok(Some(p)) => return Ok(p),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // A type of another dialect: say which, and how to write one per dialect.
    if let Some(d) = dialect {
        let others: Vec<&str> = DIALECTS
            .iter()
            .filter(|o| **o != d && matches!(native(**o, &words), Ok(Some(_))))
            .map(|o| o.name())
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "`{}` is a type of {}, not of {} (this project's dialect); write the type for each \
                 dialect: type = {{ {} = \"{}\", {} = \"...\" }}",
                text.trim(),
                others.join(" and "),
                d.name(),
                others[0],
                text.trim(),
                d.name()
            ));
        }
    }
    let bare = words.split('(').next().unwrap_or("").trim().to_string();
    let is_identifier = !bare.is_empty()
        && bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !bare.starts_with(|c: char| c.is_ascii_digit())
        && !words.contains(['(', '[']);
    if enums.is_none() && is_identifier {
        // Maybe an enum made by an earlier change: looked up when folded.
        return Ok(Parsed {
            ty: ColumnType::Enum(EnumType {
                name: text.trim().to_string(),
                values: Vec::new(),
            }),
            identity: false,
        });
    }
    Err(unknown(dialect, &bare, enums.unwrap_or(&[])))
}

/// Reads the entry of a per-dialect type mapping. A bare name that is both a portable
/// type and another type of the dialect is the dialect's: `{ mysql = "timestamp" }` is
/// MySQL's TIMESTAMP, not the portable `timestamp` (which MySQL writes `datetime(6)`),
/// `{ postgres = "json" }` is json, not jsonb. Anything else is read as [`parse`] does.
pub fn parse_for_dialect(
    dialect: Dialect,
    text: &str,
    enums: Option<&[&str]>,
) -> Result<Parsed, String> {
    let bare = !text.contains(['(', '[']);
    match native(dialect, &normalize(text)) {
        Ok(Some(own)) if bare && needs_mapping(dialect, text) => Ok(own),
        _ => parse(Some(dialect), text, enums),
    }
}

/// Whether `text`, written plain, reads as another type than the dialect's native type of
/// that name: MySQL's `timestamp` and `time` are the portable types there (written
/// `datetime(6)` and `time(6)`), so MySQL's own must be written in a mapping.
pub fn needs_mapping(dialect: Dialect, text: &str) -> bool {
    let words = normalize(text);
    match (
        parse(Some(dialect), text, Some(&[])),
        native(dialect, &words),
    ) {
        (Ok(plain), Ok(Some(own))) => plain.ty != own.ty,
        _ => false,
    }
}

/// The TOML field that declares `ty` in a file of `dialect`, under `key` (`type` or
/// `column_type`): `type = "bigint"`, `type = { mysql = "timestamp" }` where the plain
/// name reads as another type, `server_type = "..."` for a type tandem does not model.
pub fn type_toml(dialect: Dialect, ty: &ColumnType, key: &str) -> String {
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let name = ty.to_string();
    match ty {
        ColumnType::Server(text) => format!("server_type = {}", quoted(text)),
        ColumnType::Native(_) if needs_mapping(dialect, &name) => {
            format!("{key} = {{ {} = {} }}", dialect.name(), quoted(&name))
        }
        _ => format!("{key} = {}", quoted(&name)),
    }
}

/// "unknown type `x`; did you mean `y`?" over the portable names, the native names of
/// the dialect (all dialects without one) and the enums.
pub fn unknown(dialect: Option<Dialect>, given: &str, enums: &[&str]) -> String {
    let mut names: Vec<&str> = crate::types::TYPE_NAMES
        .iter()
        .map(|n| n.split('(').next().unwrap_or(n))
        .collect();
    for d in DIALECTS {
        if dialect.is_none_or(|x| x == d) {
            names.extend(native_names(d));
        }
    }
    names.extend(enums.iter().copied());
    match crate::diag::nearest(given, names.iter().copied()) {
        Some(best) => format!("unknown type `{given}`; did you mean `{best}`?"),
        None => format!(
            "unknown type `{given}`; expected a portable type ({}){}",
            crate::types::TYPE_NAMES.join(", "),
            match dialect {
                Some(d) => format!(", a {} type or an enum", d.name()),
                None => ", a native type or an enum".into(),
            }
        ),
    }
}

/// Lower case, one space between words, none around parentheses and commas.
fn normalize(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    words
        .join(" ")
        .replace(" (", "(")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(", ", ",")
        .replace(" ,", ",")
        .replace(" [", "[")
}

/// `words` as a native type of `dialect`: `Ok(None)` when the dialect has no such name.
fn native(dialect: Dialect, words: &str) -> Result<Option<Parsed>, String> {
    let mut rest = words.to_string();
    let array = dialect == Dialect::Postgres && rest.ends_with("[]");
    if array {
        rest.truncate(rest.len() - 2);
    }
    let mut unsigned = false;
    if dialect == Dialect::Mysql {
        for suffix in [" unsigned", " zerofill"] {
            if let Some(r) = rest.strip_suffix(suffix) {
                unsigned |= suffix == " unsigned";
                rest = r.to_string();
            }
        }
    }
    // `time(3) with time zone`: the zone words go with the name.
    let mut zone = "";
    for z in [" with time zone", " without time zone"] {
        if let Some(r) = rest.strip_suffix(z) {
            zone = z;
            rest = r.to_string();
        }
    }
    let (name, args) = match crate::types::type_args(&rest, words)? {
        Some((name, args)) => (name.trim().to_string(), args),
        None => (rest.clone(), Vec::new()),
    };
    let name = format!("{name}{zone}");
    let (list, aliases) = specs(dialect);
    let canonical = aliases
        .iter()
        .find(|(a, _)| *a == name)
        .map_or(name.as_str(), |(_, c)| *c);
    if dialect == Dialect::Postgres {
        if let Some((_, ty)) = SERIALS.iter().find(|(s, _)| *s == canonical) {
            if array || !args.is_empty() {
                return Err(format!("`{canonical}` takes no arguments and has no array"));
            }
            return Ok(Some(Parsed {
                ty: ty.clone(),
                identity: true,
            }));
        }
    }
    if canonical == "boolean" && args.is_empty() && !unsigned {
        let ty = ColumnType::Boolean;
        return Ok(Some(Parsed {
            ty: if array { as_array(&ty) } else { ty },
            identity: false,
        }));
    }
    let Some(spec) = list.iter().find(|s| s.name == canonical) else {
        return Ok(None);
    };
    let shape_ok = match spec.args {
        Args::None => args.is_empty(),
        Args::Optional => args.len() <= 1,
        Args::One => args.len() == 1,
        Args::Precision => args.len() <= 2,
    };
    if !shape_ok || args.first() == Some(&0) && spec.args != Args::Optional {
        let shape = match spec.args {
            Args::None => "takes no arguments".to_string(),
            Args::Optional => format!("takes one optional argument, e.g. `{canonical}(6)`"),
            Args::One => format!("needs a length, e.g. `{canonical}(255)`"),
            Args::Precision => {
                format!("takes a precision and scale or none, e.g. `{canonical}(10,2)`")
            }
        };
        return Err(format!("type `{canonical}` {shape}"));
    }
    if let [p, s] = args[..] {
        if s > p {
            return Err(format!(
                "the scale of `{words}` is larger than its precision"
            ));
        }
    }
    if unsigned && !spec.unsigned {
        return Err(format!("type `{canonical}` cannot be unsigned"));
    }
    let t = NativeType {
        name: canonical.to_string(),
        args,
        unsigned,
        array: false,
    };
    // The dialect's spelling of a portable type is that portable type.
    let ty = match portable_spelling(dialect, &t) {
        Some(p) => p,
        None => ColumnType::Native(t),
    };
    Ok(Some(Parsed {
        ty: if array { as_array(&ty) } else { ty },
        identity: false,
    }))
}

/// An array of `element` (Postgres), named as Postgres writes the element.
fn as_array(element: &ColumnType) -> ColumnType {
    let text = crate::sql::types::type_name(Dialect::Postgres, element);
    let (name, args) = match text.split_once('(') {
        Some((n, a)) => (
            n.to_string(),
            a.trim_end_matches(')')
                .split(',')
                .filter_map(|x| x.parse().ok())
                .collect(),
        ),
        None => (text.clone(), Vec::new()),
    };
    ColumnType::Native(NativeType {
        name,
        args,
        unsigned: false,
        array: true,
    })
}

/// The portable type that `dialect` writes exactly as `t`, if any. Not boolean: MySQL's
/// `tinyint(1)` written as such holds small integers (`default = 0`).
fn portable_spelling(dialect: Dialect, t: &NativeType) -> Option<ColumnType> {
    use ColumnType::*;
    let mut candidates = vec![
        SmallInt,
        Integer,
        BigInt,
        Real,
        Double,
        Text,
        Date,
        Time,
        Timestamp,
        TimestampTz,
        Uuid,
        Json,
        Binary,
    ];
    match t.args[..] {
        [n] => candidates.extend([Varchar(n), Char(n), Decimal(n, 0)]),
        [p, s] => candidates.push(Decimal(p, s)),
        _ => {}
    }
    let text = t.to_string();
    candidates
        .into_iter()
        .find(|c| crate::sql::types::type_name(dialect, c) == text)
}

impl NativeType {
    /// What its values are.
    pub fn kin(&self) -> Kin {
        let found = DIALECTS
            .iter()
            .flat_map(|d| specs(*d).0.iter())
            .find(|s| s.name == self.name);
        let kin = found.map_or(Kin::Text(None), |s| s.kin);
        match (kin, self.args.first()) {
            (Kin::Text(_), Some(n)) => Kin::Text(Some(*n)),
            (Kin::Binary(_), Some(n)) => Kin::Binary(Some(*n)),
            (Kin::Integer(_), _) if self.name == "boolean" => Kin::Integer(1),
            _ => kin,
        }
    }

    /// The element type of an array.
    pub fn element(&self) -> NativeType {
        NativeType {
            array: false,
            ..self.clone()
        }
    }
}

impl fmt::Display for NativeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, zone) = match self.name.split_once(" with") {
            Some((n, z)) => (n, format!(" with{z}")),
            None => (self.name.as_str(), String::new()),
        };
        f.write_str(name)?;
        if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(u32::to_string).collect();
            write!(f, "({})", args.join(","))?;
        }
        f.write_str(&zone)?;
        if self.unsigned {
            f.write_str(" unsigned")?;
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// The largest whole number a type holds, for integer types.
fn integer_max(t: &ColumnType) -> Option<i64> {
    match t {
        ColumnType::SmallInt => Some(i16::MAX.into()),
        ColumnType::Integer => Some(i32::MAX.into()),
        ColumnType::BigInt => Some(i64::MAX),
        ColumnType::Native(n) if !n.array && !n.unsigned => match n.kin() {
            Kin::Integer(max) => Some(max),
            _ => None,
        },
        _ => None,
    }
}

/// The most characters a textual type holds (`Some(None)`: unbounded); `None` when it is
/// not textual.
fn text_capacity(t: &ColumnType) -> Option<Option<u32>> {
    match t {
        ColumnType::Text => Some(None),
        ColumnType::Varchar(n) | ColumnType::Char(n) => Some(Some(*n)),
        ColumnType::Native(n) if !n.array && n.name != "char" => match n.kin() {
            Kin::Text(cap) => Some(cap),
            _ => None,
        },
        _ => None,
    }
}

/// Whether every value of `from` is a value of `to`, where one of them is a native type:
/// more characters, a larger integer, more digits, the unconstrained `numeric`, more
/// fractional seconds, `cidr` to `inet`.
pub fn widens(from: &ColumnType, to: &ColumnType) -> bool {
    if from == to {
        return true;
    }
    if let (Some(a), Some(b)) = (integer_max(from), integer_max(to)) {
        return b >= a;
    }
    if let (Some(a), Some(b)) = (text_capacity(from), text_capacity(to)) {
        // A fixed-length char pads: only to unbounded text.
        return match (a, b) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(x), Some(y)) => y >= x,
        };
    }
    let (ColumnType::Native(x), ColumnType::Native(y)) = (from, to) else {
        return matches!((from, to), (ColumnType::Decimal(..), ColumnType::Native(y))
            if y.name == "numeric" && y.args.is_empty() && !y.array);
    };
    if x.array != y.array || x.unsigned != y.unsigned {
        return false;
    }
    match (x.name.as_str(), y.name.as_str()) {
        ("cidr", "inet") => true,
        (a, b) if a == b => match (x.kin(), &x.args[..], &y.args[..]) {
            (Kin::Decimal, _, []) => true,
            (Kin::Decimal, [p], [q]) => q >= p,
            (Kin::Decimal, [p, s], [q, t]) => t >= s && q - t >= p - s,
            (
                Kin::Time | Kin::TimeTz | Kin::Timestamp | Kin::TimestampTz | Kin::Interval,
                _,
                [],
            ) => true,
            (
                Kin::Time | Kin::TimeTz | Kin::Timestamp | Kin::TimestampTz | Kin::Interval,
                [p],
                [q],
            ) => q >= p,
            (Kin::Binary(_), [n], [m]) => m >= n && a != "binary",
            _ => false,
        },
        _ => false,
    }
}

/// Whether `dialect` changes a column from `from` to `to` in place without rewriting or
/// copying the table (SQLite: its types are affinities, see its renderer). Elsewhere a
/// widening keeps the column's name through a shadow column (`ops::retype`).
pub fn retype_in_place(dialect: Dialect, from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (dialect, from, to) {
        (Dialect::Sqlite, _, _) => true,
        (Dialect::Postgres, Varchar(n), Varchar(m)) => m >= n,
        (Dialect::Postgres, Varchar(_), Text) => true,
        (Dialect::Postgres, Decimal(p, s), Decimal(p2, s2)) => s2 == s && p2 >= p,
        (Dialect::Postgres, a, b) => a == b || postgres_in_place(a, b),
        // In place only while the length prefix keeps its size: up to 255 bytes, 63
        // characters in utf8mb4.
        (Dialect::Mysql, Varchar(n), Varchar(m)) => m >= n && (*m <= 63 || *n > 63),
        (Dialect::Mysql, a, b) => a == b || mysql_in_place(a, b),
    }
}

/// Whether Postgres changes `from` to `to` (a widening) without rewriting the table: the
/// types are binary-coercible (varchar and text, cidr to inet) or only a constraint of the
/// type is relaxed (length, precision, fractional seconds).
pub fn postgres_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    if !widens(from, to) {
        return false;
    }
    let name = |t: &ColumnType| crate::sql::types::type_name(Dialect::Postgres, t);
    let (a, b) = (name(from), name(to));
    let base = |s: &str| s.split('(').next().unwrap_or("").to_string();
    let varchar_or_text = |s: &str| s == "text" || base(s) == "varchar";
    (varchar_or_text(&a) && varchar_or_text(&b))
        || (a == "cidr" && b == "inet")
        || (base(&a) == base(&b)
            && !a.ends_with("[]")
            && matches!(
                base(&a).as_str(),
                "numeric" | "time" | "timetz" | "timestamp" | "timestamptz" | "interval"
            )
            && (base(&a) != "numeric" || !b.contains(',') || {
                // Same scale, more precision: no rewrite. A new scale rewrites.
                let scale = |s: &str| {
                    s.split(',')
                        .nth(1)
                        .map(|x| x.trim_end_matches(')').to_string())
                };
                scale(&a) == scale(&b)
            }))
}

/// Whether MySQL changes `from` to `to` (a widening) in place, without copying the table:
/// a longer varchar or varbinary whose length prefix keeps its size.
pub fn mysql_in_place(from: &ColumnType, to: &ColumnType) -> bool {
    if !widens(from, to) {
        return false;
    }
    let len = |t: &ColumnType| match t {
        ColumnType::Varchar(n) => Some(("varchar", *n, 63)),
        ColumnType::Native(x) if x.name == "varbinary" => Some(("varbinary", x.args[0], 255)),
        _ => None,
    };
    match (len(from), len(to)) {
        (Some((a, n, small)), Some((b, m, _))) => a == b && m >= n && (m <= small || n > small),
        _ => from == to,
    }
}

/// The dialect's nearest type for a portable one.
pub fn type_name(dialect: Dialect, ty: &ColumnType) -> String {
    use ColumnType::*;
    match (dialect, ty) {
        (_, SmallInt) => "smallint".into(),
        (_, Integer) => "integer".into(),
        (_, BigInt) => "bigint".into(),
        (Dialect::Mysql, Boolean) => "tinyint(1)".into(),
        (_, Boolean) => "boolean".into(),
        (Dialect::Mysql, Real) => "float".into(),
        (_, Real) => "real".into(),
        (Dialect::Postgres, Double) => "double precision".into(),
        (_, Double) => "double".into(),
        (Dialect::Postgres, Decimal(p, s)) => format!("numeric({p},{s})"),
        (_, Decimal(p, s)) => format!("decimal({p},{s})"),
        (Dialect::Mysql, Text) => "longtext".into(),
        (_, Text) => "text".into(),
        (_, Varchar(n)) => format!("varchar({n})"),
        (_, Char(n)) => format!("char({n})"),
        (_, Date) => "date".into(),
        (Dialect::Mysql, Time) => "time(6)".into(),
        (_, Time) => "time".into(),
        (Dialect::Mysql, Timestamp) => "datetime(6)".into(),
        (_, Timestamp) => "timestamp".into(),
        (Dialect::Postgres, TimestampTz) => "timestamptz".into(),
        (Dialect::Mysql, TimestampTz) => "timestamp(6)".into(),
        (Dialect::Sqlite, TimestampTz) => "timestamp".into(),
        (Dialect::Postgres, Uuid) => "uuid".into(),
        (Dialect::Mysql, Uuid) => "char(36)".into(),
        (Dialect::Sqlite, Uuid) => "text".into(),
        (Dialect::Postgres, Json) => "jsonb".into(),
        (Dialect::Mysql, Json) => "json".into(),
        (Dialect::Sqlite, Json) => "text".into(),
        (Dialect::Postgres, Binary) => "bytea".into(),
        (Dialect::Mysql, Binary) => "longblob".into(),
        (Dialect::Sqlite, Binary) => "blob".into(),
        (_, Native(n)) => n.to_string(),
        (_, Server(t)) => t.clone(),
        (Dialect::Postgres, Enum(e)) => quote(dialect, &e.name),
        (Dialect::Mysql, Enum(e)) => format!(
            "enum({})",
            e.values
                .iter()
                .map(|v| string_literal(dialect, v))
                .collect::<Vec<_>>()
                .join(",")
        ),
        (Dialect::Sqlite, Enum(_)) => "text".into(),
    }
}

/// What an identity column's definition says instead of a default.
pub fn identity_clause(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Postgres => Some("GENERATED BY DEFAULT AS IDENTITY"),
        Dialect::Mysql => Some("AUTO_INCREMENT"),
        Dialect::Sqlite => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColumnType::*;

    fn read(dialect: Dialect, text: &str) -> ColumnType {
        parse(Some(dialect), text, Some(&[])).unwrap().ty
    }

    #[test]
    fn a_dialects_spelling_of_a_portable_type_is_that_type() {
        assert_eq!(read(Dialect::Postgres, "jsonb"), Json);
        assert_eq!(read(Dialect::Postgres, "int8"), BigInt);
        assert_eq!(
            read(Dialect::Postgres, "character varying(40)"),
            Varchar(40)
        );
        assert_eq!(
            read(Dialect::Postgres, "timestamp with time zone"),
            TimestampTz
        );
        assert_eq!(read(Dialect::Mysql, "longtext"), Text);
        assert_eq!(read(Dialect::Mysql, "datetime(6)"), Timestamp);
        assert_eq!(read(Dialect::Sqlite, "blob"), Binary);
        // MySQL's tinyint(1) written as such holds small integers.
        assert!(matches!(read(Dialect::Mysql, "tinyint(1)"), Native(n) if n.name == "tinyint"));
    }

    #[test]
    fn native_types_keep_their_arguments_arrays_and_modifiers() {
        let shown = |d, t| read(d, t).to_string();
        assert_eq!(shown(Dialect::Postgres, "int[]"), "integer[]");
        assert_eq!(shown(Dialect::Postgres, "varchar(20)[]"), "varchar(20)[]");
        assert_eq!(
            shown(Dialect::Postgres, "time(3) with time zone"),
            "timetz(3)"
        );
        assert_eq!(shown(Dialect::Postgres, "NUMERIC"), "numeric");
        assert_eq!(shown(Dialect::Mysql, "INT UNSIGNED"), "int unsigned");
        assert_eq!(shown(Dialect::Mysql, "decimal"), "decimal");
        let serial = parse(Some(Dialect::Postgres), "bigserial", None).unwrap();
        assert_eq!((serial.ty, serial.identity), (BigInt, true));
    }

    #[test]
    fn wrong_shapes_and_dialects_are_refused_with_a_reason() {
        let err = |d, t| parse(Some(d), t, Some(&[])).unwrap_err();
        assert!(err(Dialect::Mysql, "varbinary").contains("needs a length"));
        assert!(err(Dialect::Postgres, "jsonb(3)").contains("takes no arguments"));
        assert!(err(Dialect::Postgres, "text unsigned").contains("unknown type"));
        assert!(err(Dialect::Mysql, "text[]").contains("type of postgres"));
        assert!(err(Dialect::Sqlite, "mediumtext").contains("type of mysql"));
        assert!(err(Dialect::Postgres, "jsnob").contains("did you mean `jsonb`?"));
        // Without a list of enums, a plain name may be one, looked up later.
        assert!(matches!(
            parse(Some(Dialect::Postgres), "status", None).unwrap().ty,
            Enum(e) if e.name == "status" && e.values.is_empty()
        ));
    }

    #[test]
    fn widening_knows_the_native_types() {
        let pg = |t| read(Dialect::Postgres, t);
        let my = |t| read(Dialect::Mysql, t);
        // Logical widenings.
        assert!(widens(&pg("varchar(20)"), &pg("citext")));
        assert!(widens(&pg("numeric(10,2)"), &pg("numeric")));
        assert!(widens(&pg("cidr"), &pg("inet")));
        assert!(widens(&pg("timestamp(3)"), &pg("timestamp(6)")));
        assert!(widens(&my("tinyint"), &my("mediumint")));
        assert!(widens(&my("tinytext"), &my("mediumtext")));
        assert!(!widens(&my("mediumtext"), &my("tinytext")));
        assert!(!widens(&pg("inet"), &pg("cidr")));
        assert!(!widens(&pg("int[]"), &pg("integer")));
        assert!(!widens(&my("int unsigned"), &my("int")));
        // In place on Postgres: no rewrite for varchar/text, numeric and time precision,
        // cidr to inet; int to bigint rewrites.
        assert!(postgres_in_place(&pg("varchar(20)"), &pg("varchar")));
        assert!(postgres_in_place(&pg("numeric(10,2)"), &pg("numeric")));
        assert!(postgres_in_place(&pg("timestamp(3)"), &pg("timestamp(6)")));
        assert!(postgres_in_place(&pg("cidr"), &pg("inet")));
        assert!(!postgres_in_place(&pg("integer"), &pg("bigint")));
        assert!(!postgres_in_place(&pg("varchar(20)"), &pg("citext")));
        assert!(!postgres_in_place(&pg("int[]"), &pg("bigint[]")));
        // In place on MySQL: a longer varbinary within its length prefix; text types copy.
        assert!(mysql_in_place(&my("varbinary(16)"), &my("varbinary(200)")));
        assert!(!mysql_in_place(&my("varbinary(16)"), &my("varbinary(300)")));
        assert!(!mysql_in_place(&my("tinytext"), &my("mediumtext")));
        assert!(!mysql_in_place(&my("tinyint"), &my("mediumint")));
    }
}
