//! The model of column types and literal values, with no dialect in it: the portable
//! types, a native type of one dialect as written, a user enum, and the literals a
//! `default` takes. How each dialect names and widens them is `sql::types`.

use serde::Serialize;

use std::fmt;

/// A type of one dialect that no portable type renders to, as that dialect writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeType {
    /// The canonical name: `jsonb`, `timetz`, `int`, `double precision`.
    pub name: String,
    /// Its arguments, as written: `tinyint(1)`, `varbinary(16)`, `numeric(12)`.
    pub args: Vec<u32>,
    /// MySQL `unsigned`.
    pub unsigned: bool,
    /// A Postgres array of it (`text[]`).
    pub array: bool,
}

/// A user enum as a column sees it: its name and values in order. `values` is empty
/// while a change file's column names an enum that is looked up when the change is
/// folded into the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}

/// What the values of a native type are, for probes, defaults and widening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kin {
    /// Whole numbers up to `max`.
    Integer(i64),
    Float,
    Decimal,
    Money,
    /// Text of at most this many characters (None: unbounded).
    Text(Option<u32>),
    /// Bytes, at most this many.
    Binary(Option<u32>),
    Json,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Year,
    Inet,
    Cidr,
    MacAddr,
    MacAddr8,
    Uuid,
    Xml,
    TsVector,
    IntRange,
    NumRange,
    DateRange,
    TsRange,
}

/// A type as read from a change or schema file.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub ty: ColumnType,
    /// Written as an identity spelling (`serial`).
    pub identity: bool,
}

/// The portable column types of schema and change files; each dialect maps them to its
/// nearest type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum ColumnType {
    SmallInt,
    Integer,
    BigInt,
    Boolean,
    Real,
    Double,
    Decimal(u32, u32),
    Text,
    Varchar(u32),
    Char(u32),
    Date,
    Time,
    Timestamp,
    TimestampTz,
    Uuid,
    Json,
    Binary,
    /// A type of the project's dialect that no portable type renders to.
    Native(crate::types::NativeType),
    /// A user enum (`[enums.<name>]`).
    Enum(crate::types::EnumType),
    /// A type the server knows and tandem does not model (a MySQL `SET(...)`, a Postgres
    /// domain or extension type), declared with `server_type`: written into the SQL as
    /// given and compared by that text; its values are the server's business.
    Server(String),
}

/// The names accepted in `type = "..."`, for messages and suggestions.
pub const TYPE_NAMES: &[&str] = &[
    "smallint",
    "integer",
    "bigint",
    "boolean",
    "real",
    "double",
    "decimal(p,s)",
    "text",
    "varchar(n)",
    "char(n)",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
    "binary",
];

/// `name(a,b)` split into its name and its integer arguments; `None` without
/// parentheses. `shown` is the type as written, for messages. Portable and native type
/// names are read through it alike.
pub(crate) fn type_args<'a>(
    text: &'a str,
    shown: &str,
) -> Result<Option<(&'a str, Vec<u32>)>, String> {
    let Some((name, tail)) = text.split_once('(') else {
        return Ok(None);
    };
    let Some(inner) = tail.strip_suffix(')') else {
        return Err(format!("unbalanced parenthesis in type `{shown}`"));
    };
    inner
        .split(',')
        .map(str::parse::<u32>)
        .collect::<Result<Vec<u32>, _>>()
        .map(|args| Some((name, args)))
        .map_err(|_| format!("type arguments of `{shown}` must be positive integers"))
}

impl ColumnType {
    /// Parses a portable type name such as `varchar(255)` or `decimal(10,2)`.
    pub fn parse(text: &str) -> Result<ColumnType, String> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let (name, args) = match type_args(&compact, text)? {
            Some((name, args)) => (name.to_string(), Some(args)),
            None => (compact.clone(), None),
        };
        let no_args = |t: ColumnType| match &args {
            None => Ok(t),
            Some(_) => Err(format!("type `{name}` takes no arguments")),
        };
        let one_arg = |f: fn(u32) -> ColumnType| match args.as_deref() {
            Some([n]) if *n > 0 => Ok(f(*n)),
            _ => Err(format!("type `{name}` needs a length, e.g. `{name}(255)`")),
        };
        match name.as_str() {
            "smallint" => no_args(ColumnType::SmallInt),
            "integer" | "int" => no_args(ColumnType::Integer),
            "bigint" => no_args(ColumnType::BigInt),
            "boolean" | "bool" => no_args(ColumnType::Boolean),
            "real" => no_args(ColumnType::Real),
            "double" => no_args(ColumnType::Double),
            "text" => no_args(ColumnType::Text),
            "date" => no_args(ColumnType::Date),
            "time" => no_args(ColumnType::Time),
            "timestamp" => no_args(ColumnType::Timestamp),
            "timestamptz" => no_args(ColumnType::TimestampTz),
            "uuid" => no_args(ColumnType::Uuid),
            "json" => no_args(ColumnType::Json),
            "binary" => no_args(ColumnType::Binary),
            "varchar" => one_arg(ColumnType::Varchar),
            "char" => one_arg(ColumnType::Char),
            "decimal" | "numeric" => match args.as_deref() {
                Some([p, s]) if *p > 0 && s <= p => Ok(ColumnType::Decimal(*p, *s)),
                Some([p]) if *p > 0 => Ok(ColumnType::Decimal(*p, 0)),
                _ => Err(format!(
                    "type `{name}` needs a precision and scale, e.g. `decimal(10,2)`"
                )),
            },
            other => Err(
                match crate::diag::nearest(other, TYPE_NAMES.iter().copied()) {
                    Some(best) => format!("unknown type `{other}`; did you mean `{best}`?"),
                    None => format!(
                        "unknown type `{other}`; expected one of {}",
                        TYPE_NAMES.join(", ")
                    ),
                },
            ),
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Decimal(p, s) => write!(f, "decimal({p},{s})"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Binary => f.write_str("binary"),
            ColumnType::Native(n) => n.fmt(f),
            ColumnType::Enum(e) => f.write_str(&e.name),
            ColumnType::Server(t) => f.write_str(t),
        }
    }
}

impl From<ColumnType> for String {
    fn from(t: ColumnType) -> String {
        t.to_string()
    }
}

/// A TOML literal given as a column default.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}
