//! The logical schema: tables, their columns in written order, primary keys and indexes.
//! The planner folds every change into it, release by release, to get the schema that
//! each release's code sees.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde::Serialize;

use crate::sql::Dialect;
use crate::types::{ColumnType, Literal};

/// What a column type accepts, which depends on what each dialect makes of it.
impl ColumnType {
    pub fn is_textual(&self) -> bool {
        match self {
            ColumnType::Text | ColumnType::Varchar(_) | ColumnType::Char(_) => true,
            ColumnType::Native(n) => !n.array && matches!(n.kin(), crate::types::Kin::Text(_)),
            _ => false,
        }
    }
    /// Whether a literal `default` is a value of this type as every dialect reads it;
    /// `Err` says what the type accepts.
    pub fn accepts(&self, lit: &Literal) -> Result<(), String> {
        self.accepts_in(lit, None)
    }

    /// As [`Self::accepts`], for a project of `dialect` where it is known: a limit of
    /// another dialect's type (MySQL's timestamp range) does not bind it.
    pub fn accepts_in(
        &self,
        lit: &Literal,
        dialect: Option<crate::sql::Dialect>,
    ) -> Result<(), String> {
        use ColumnType::*;
        let integer = |i: i64, min: i64, max: i64| {
            if (min..=max).contains(&i) {
                Ok(())
            } else {
                Err(format!("{self} holds whole numbers from {min} to {max}"))
            }
        };
        match (self, lit) {
            (Native(n), _) => native_accepts(n, lit),
            // The server checks what it takes: tandem does not know the type's values.
            (Server(_), _) => Ok(()),
            (Enum(e), Literal::Str(v)) if e.values.is_empty() || e.values.contains(v) => Ok(()),
            (Enum(e), _) => Err(format!(
                "enum {} holds one of its values, as a string: {}",
                e.name,
                e.values
                    .iter()
                    .map(|v| format!("\"{v}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            (SmallInt, Literal::Int(i)) => integer(*i, i16::MIN.into(), i16::MAX.into()),
            (Integer, Literal::Int(i)) => integer(*i, i32::MIN.into(), i32::MAX.into()),
            (BigInt, Literal::Int(i)) => integer(*i, i64::MIN, i64::MAX),
            (SmallInt | Integer | BigInt, _) => Err(format!(
                "{self} holds whole numbers: write one without quotes or a decimal point, e.g. `default = 0`"
            )),
            (Boolean, Literal::Bool(_)) => Ok(()),
            (Boolean, _) => Err("boolean holds `true` or `false`, written without quotes".into()),
            (Real, Literal::Int(_)) | (Double, Literal::Int(_) | Literal::Float(_)) => Ok(()),
            (Real, Literal::Float(f)) if f.abs() <= f64::from(f32::MAX) => Ok(()),
            (Real, Literal::Float(_)) => Err(format!(
                "real holds numbers up to about {:e} in magnitude",
                f32::MAX
            )),
            (Real | Double, _) => {
                Err(format!("{self} holds numbers: write one without quotes, e.g. `default = 0.5`"))
            }
            (Decimal(p, s), Literal::Int(_) | Literal::Float(_)) => {
                let text = match lit {
                    Literal::Int(i) => i.to_string(),
                    Literal::Float(f) => f.to_string(),
                    _ => unreachable!(),
                };
                if text.contains(['e', 'E']) {
                    return Err(format!("decimal({p},{s}) holds at most {} digits before the point", p - s));
                }
                let digits = text.trim_start_matches('-');
                let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
                let whole = whole.trim_start_matches('0');
                if whole.len() as u32 > p - s || fraction.len() as u32 > *s {
                    Err(format!(
                        "decimal({p},{s}) holds at most {} digits before the point and {s} after it",
                        p - s
                    ))
                } else {
                    Ok(())
                }
            }
            (Decimal(p, s), _) => Err(format!(
                "decimal({p},{s}) holds numbers: write one without quotes, e.g. `default = 0`"
            )),
            (Text, Literal::Str(_)) => Ok(()),
            (Varchar(n) | Char(n), Literal::Str(v)) => {
                if v.chars().count() <= *n as usize {
                    Ok(())
                } else {
                    Err(format!(
                        "{self} holds at most {n} characters; this string has {}",
                        v.chars().count()
                    ))
                }
            }
            (Date | Time | Timestamp | TimestampTz, _) => self.accepts_date_time(lit, dialect),
            (Uuid, Literal::Str(v)) if is_uuid(v) => Ok(()),
            (Uuid, _) => Err(
                "uuid holds a string of 32 hex digits in groups of 8-4-4-4-12, e.g. \
                 \"123e4567-e89b-12d3-a456-426614174000\""
                    .into(),
            ),
            (Json, Literal::Str(v)) if serde_json::from_str::<serde_json::Value>(v).is_ok() => {
                Ok(())
            }
            (Json, _) => Err("json holds a string of JSON text, e.g. \"{}\" or \"[]\"".into()),
            (Binary, Literal::Str(v)) if !v.contains('\\') => Ok(()),
            (Binary, _) => Err(
                "binary holds a string without a backslash (Postgres reads one as an escape); \
                 for other bytes use `default_sql`"
                    .into(),
            ),
            (Text | Varchar(_) | Char(_), _) => Err(format!(
                "{self} holds a string: write the default in quotes"
            )),
        }
    }

    /// [`Self::accepts_in`] for the date and time types.
    fn accepts_date_time(
        &self,
        lit: &Literal,
        dialect: Option<crate::sql::Dialect>,
    ) -> Result<(), String> {
        use ColumnType::*;
        let mysql_range = !matches!(
            dialect,
            Some(crate::sql::Dialect::Postgres | crate::sql::Dialect::Sqlite)
        );
        match (self, lit) {
            // What the project's own server takes, where it takes more than every dialect:
            // MySQL's zero date, PostgreSQL's years before 1000.
            (Date | Timestamp, Literal::Str(v)) if server_takes_date_time(dialect, v, false) => {
                Ok(())
            }
            (TimestampTz, Literal::Str(v)) if server_takes_date_time(dialect, v, true) => Ok(()),
            (Date, Literal::Str(v)) if parse_date(v) => Ok(()),
            (Date, _) => Err("date holds a string `YYYY-MM-DD`, e.g. \"2024-01-31\"".into()),
            (Time, Literal::Str(v)) if parse_time(v) => Ok(()),
            (Time, _) => Err("time holds a string `HH:MM:SS[.ffffff]`, e.g. \"08:30:00\"".into()),
            (TimestampTz, Literal::Str(v))
                if mysql_range
                    && v.len() > 10
                    && v.is_char_boundary(10)
                    && !("1970-01-02"..="2038-01-18").contains(&&v[..10]) =>
            {
                Err(
                    "timestamptz holds dates from 1970-01-02 to 2038-01-18 as a default \
                     (MySQL's and MariaDB's timestamp range), as `YYYY-MM-DD HH:MM:SS[.ffffff]`"
                        .into(),
                )
            }
            (Timestamp | TimestampTz, Literal::Str(v))
                if v.len() > 10
                    && v.is_char_boundary(10)
                    && parse_date(&v[..10])
                    && matches!(&v[10..11], " " | "T")
                    && parse_time(&v[11..]) =>
            {
                Ok(())
            }
            (Timestamp | TimestampTz, _) => Err(format!(
                "{self} holds a string `YYYY-MM-DD HH:MM:SS[.ffffff]` without a time zone offset \
                 (MySQL and MariaDB read none), e.g. \"2024-01-31 08:30:00\""
            )),
            _ => unreachable!("only date and time types are read here"),
        }
    }
}

/// Whether a literal default is a value of a native type: checked as the portable type of
/// the same kind where there is one; a string is passed to the server as written
/// otherwise (an array, an interval, an address).
fn native_accepts(n: &crate::types::NativeType, lit: &Literal) -> Result<(), String> {
    use crate::types::Kin;
    if n.array {
        return match lit {
            Literal::Str(_) => Ok(()),
            _ => Err(format!(
                "{n} holds an array: write its literal as a string, e.g. \"{{}}\""
            )),
        };
    }
    let like = match n.kin() {
        Kin::Integer(max) => {
            // An unsigned type holds the signed one's range moved up: 0 to 2 * max + 1
            // (`smallint unsigned` to 65535).
            let (min, max) = if n.unsigned {
                (0, max.saturating_mul(2).saturating_add(1))
            } else {
                (-max - 1, max)
            };
            return match lit {
                Literal::Int(i) if (min..=max).contains(i) => Ok(()),
                _ => Err(format!(
                    "{n} holds whole numbers from {min} to {max}, written without quotes"
                )),
            };
        }
        Kin::Float | Kin::Decimal => ColumnType::Double,
        Kin::Text(Some(len)) => ColumnType::Varchar(len),
        Kin::Text(None) => ColumnType::Text,
        Kin::Json => ColumnType::Json,
        // A native date or time type holds what its server holds: MySQL's zero date
        // and years before 1000 are in real schemas' defaults, and the server that
        // declared them takes them.
        Kin::Date | Kin::Timestamp if matches!(lit, Literal::Str(v) if server_date_time(v)) => {
            return Ok(())
        }
        Kin::Date => ColumnType::Date,
        Kin::Uuid => ColumnType::Uuid,
        Kin::Timestamp => ColumnType::Timestamp,
        Kin::Binary(_) => ColumnType::Binary,
        _ => {
            return match lit {
                Literal::Str(_) => Ok(()),
                _ => Err(format!("{n} holds a value written as a string")),
            }
        }
    };
    like.accepts(lit)
        .map_err(|e| e.replacen(&like.to_string(), &n.to_string(), 1))
}

/// Whether a date or timestamp default `v` is one `dialect`'s server takes beyond the
/// range every dialect shares: on MySQL the zero date, and years before 1000 in DATE and
/// DATETIME (its TIMESTAMP, `zoned`, starts in 1970); years before 1000 on PostgreSQL.
fn server_takes_date_time(dialect: Option<crate::sql::Dialect>, v: &str, zoned: bool) -> bool {
    use crate::sql::Dialect;
    let zero = v.starts_with("0000-00-00");
    let ancient = !zero && v.get(..4) < Some("1000");
    server_date_time(v)
        && match dialect {
            Some(Dialect::Mysql) => zero || (ancient && !zoned),
            Some(Dialect::Postgres) => ancient,
            _ => false,
        }
}

/// `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` with any year from 0001 to 9999, or MySQL's zero
/// date `0000-00-00` (with `00:00:00`): what a server's own date types take.
fn server_date_time(v: &str) -> bool {
    let (date, time) = match v.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (v, None),
    };
    if date == "0000-00-00" {
        return time.is_none_or(|t| t == "00:00:00" || t.starts_with("00:00:00."));
    }
    let Some(year) = date
        .get(..4)
        .filter(|y| y.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|y| y.parse::<u32>().ok())
    else {
        return false;
    };
    // The day checked in a year of the same leap kind inside the strict range.
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let stand_in = if leap { "2000" } else { "2001" };
    year >= 1 && parse_date(&format!("{stand_in}{}", &date[4..])) && time.is_none_or(parse_time)
}

/// `YYYY-MM-DD`, a day of the Gregorian calendar between years 1000 and 9999 (the
/// range MySQL and MariaDB promise).
fn parse_date(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &v[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1000..=9999).contains(&y) && (1..=days).contains(&d)
}

/// `HH:MM:SS` with up to six digits of fraction, a time of day.
fn parse_time(v: &str) -> bool {
    let (clock, fraction) = v.split_once('.').unwrap_or((v, ""));
    let b = clock.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' || fraction.len() > 6 {
        return false;
    }
    if !fraction.bytes().all(|c| c.is_ascii_digit()) || v.ends_with('.') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = &clock[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    matches!((num(0..2), num(3..5), num(6..8)), (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
}

/// A UUID as 8-4-4-4-12 hex digits.
fn is_uuid(v: &str) -> bool {
    let groups: Vec<&str> = v.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// A column default: a literal value, or an SQL expression passed through as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Default {
    Literal(Literal),
    Sql(String),
    /// An identity column: the database numbers the rows an insert gives no value
    /// (Postgres `GENERATED BY DEFAULT AS IDENTITY`, MySQL `AUTO_INCREMENT`, SQLite's
    /// `INTEGER PRIMARY KEY`).
    Identity,
    /// A generated column: the database computes it from the row (`GENERATED ALWAYS AS
    /// (expr)`), kept on disk when `stored`, computed when read otherwise. Nothing
    /// writes it: an INSERT or UPDATE that names it fails.
    Generated {
        expr: String,
        stored: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Default>,
    /// Documentation kept in the database (Postgres `COMMENT ON COLUMN`, MySQL's column
    /// `COMMENT`); SQLite has none and keeps it in the model only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// MySQL's `ON UPDATE CURRENT_TIMESTAMP[(n)]`: the value an UPDATE that does not set
    /// the column writes into it, as written (`CURRENT_TIMESTAMP`, `current_timestamp(6)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
}

impl Column {
    /// Whether the database numbers this column's rows itself.
    pub fn is_identity(&self) -> bool {
        matches!(self.default, Some(Default::Identity))
    }

    /// Whether the database computes this column from the row: nothing may write it.
    pub fn is_generated(&self) -> bool {
        matches!(self.default, Some(Default::Generated { .. }))
    }

    /// Whether an INSERT that omits this column still succeeds.
    pub fn may_be_omitted(&self) -> bool {
        self.nullable || self.default.is_some()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Index {
    pub name: String,
    pub table: String,
    /// The indexed columns, in key order, before any `expressions`.
    pub columns: Vec<String>,
    pub unique: bool,
    #[serde(flatten)]
    pub options: IndexOptions,
}

/// What an index may say beyond its columns; each dialect writes what it supports and
/// refuses the rest when the plan is made.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IndexOptions {
    /// A partial index's predicate, an SQL expression over the row.
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// `btree`, `hash`, `gin`, `gist` or `brin`; `None`: the dialect's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Columns stored in the index but not part of its key (Postgres `INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Key parts computed from the row, after the columns, as the user wrote them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expressions: Vec<String>,
    /// A column's operator class (Postgres).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub opclass: BTreeMap<String, String>,
    /// Columns kept in descending order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub desc: Vec<String>,
    /// A column indexed by its first N characters (MySQL prefix length).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub prefix: BTreeMap<String, u32>,
    /// A MySQL FULLTEXT index.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fulltext: bool,
    /// Columns whose NULLs sort against the default (Postgres): `first` for an
    /// ascending column, `last` for a descending one.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub nulls: BTreeMap<String, String>,
    /// A unique index that takes NULLs for equal values (Postgres 15 `NULLS NOT DISTINCT`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
}

impl Index {
    /// Whether the index reads `column`: a key or included column, or a name that an
    /// expression or its predicate reads as `dialect` does (not a word of a string).
    pub fn uses(&self, dialect: Option<Dialect>, column: &str) -> bool {
        let mentions = |expr: &String| crate::sql::lex::reads_column(dialect, expr, column);
        self.columns.iter().any(|c| c == column)
            || self.options.include.iter().any(|c| c == column)
            || self.options.expressions.iter().any(mentions)
            || self.options.predicate.iter().any(mentions)
    }

    /// The same index over column `new` where it used `old`.
    pub fn with_column_renamed(&self, dialect: Option<Dialect>, old: &str, new: &str) -> Index {
        let rename_word = |expr: &str, old: &str, new: &str| {
            crate::sql::lex::rename_column(dialect, expr, old, new)
        };
        let one = |c: &String| if c == old { new.to_string() } else { c.clone() };
        let o = &self.options;
        Index {
            name: self.name.clone(),
            table: self.table.clone(),
            columns: self.columns.iter().map(one).collect(),
            unique: self.unique,
            options: IndexOptions {
                predicate: o.predicate.as_ref().map(|p| rename_word(p, old, new)),
                method: o.method.clone(),
                include: o.include.iter().map(one).collect(),
                expressions: o
                    .expressions
                    .iter()
                    .map(|e| rename_word(e, old, new))
                    .collect(),
                opclass: o.opclass.iter().map(|(k, v)| (one(k), v.clone())).collect(),
                desc: o.desc.iter().map(one).collect(),
                prefix: o.prefix.iter().map(|(k, v)| (one(k), *v)).collect(),
                fulltext: o.fulltext,
                nulls: o.nulls.iter().map(|(k, v)| (one(k), v.clone())).collect(),
                nulls_not_distinct: o.nulls_not_distinct,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Named constraints, in the order they were added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    /// Documentation kept in the database (Postgres `COMMENT ON TABLE`, MySQL's table
    /// `COMMENT`); SQLite has none and keeps it in the model only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// MySQL's storage engine where it is not the server's default (InnoDB): `MEMORY`,
    /// `MyISAM`. Real schemas keep scratch tables in MEMORY, whose indexes are hashes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Postgres declarative partitioning: how rows are spread over the partitions
    /// (`RANGE (created_at)`), which are `partition` objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// Checks and foreign keys the database holds without having checked the rows
    /// already there (Postgres `NOT VALID`): the baseline adds them so, after the tables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_valid: Vec<String>,
    /// Keys checked at the end of a statement or transaction (Postgres `DEFERRABLE`):
    /// unique constraints by name, the primary key under the empty name, each with
    /// whether it is `INITIALLY DEFERRED`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub deferrable: BTreeMap<String, bool>,
}

/// Whether a key's column list starts with `column`. A key column may be written with a
/// MySQL prefix length (`name(10)`) or an order (`name DESC`): its name is what comes
/// before either.
pub fn key_leads_with(columns: &[String], column: &str) -> bool {
    columns
        .first()
        .and_then(|c| c.split(['(', ' ']).next())
        .is_some_and(|c| c == column)
}

impl Table {
    /// The identity column when neither `primary_key`, a unique constraint of the table
    /// (but one named `except`) nor one of `indexes` leads with it: MySQL numbers an
    /// AUTO_INCREMENT column only while an index leads with it, and refuses a table
    /// without one (error 1075).
    pub fn unkeyed_identity<'a>(
        &self,
        primary_key: &[String],
        mut indexes: impl Iterator<Item = &'a [String]>,
        except: Option<&str>,
    ) -> Option<&Column> {
        let auto = self.columns.iter().find(|c| c.is_identity())?;
        let leads = |columns: &[String]| key_leads_with(columns, &auto.name);
        let keyed = leads(primary_key)
            || self.constraints.iter().any(|c| match &c.kind {
                ConstraintKind::Unique { columns } => except != Some(&c.name) && leads(columns),
                _ => false,
            })
            || indexes.any(leads);
        (!keyed).then_some(auto)
    }

    /// Whether the table is kept by MySQL's MEMORY engine, which builds hash indexes.
    pub fn in_memory(&self) -> bool {
        self.engine
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("memory"))
    }

    /// Whether the table's engine is InnoDB, the one that changes tables online.
    pub fn innodb(&self) -> bool {
        self.engine
            .as_deref()
            .is_none_or(|e| e.eq_ignore_ascii_case("innodb"))
    }
}

/// A named table constraint. Part of the table, so that a dialect which rebuilds the
/// table (SQLite) writes it again, and probes know which values a foreign key accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constraint {
    pub name: String,
    #[serde(flatten)]
    pub kind: ConstraintKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConstraintKind {
    /// A boolean SQL expression over the row, as the user wrote it.
    Check {
        expr: String,
    },
    Unique {
        columns: Vec<String>,
    },
    ForeignKey {
        columns: Vec<String>,
        references: String,
        referenced_columns: Vec<String>,
        /// `cascade`, `set null`, `restrict` or `no action`, as SQL words.
        #[serde(skip_serializing_if = "Option::is_none")]
        on_delete: Option<String>,
        /// As `on_delete`, when the referenced key changes.
        #[serde(skip_serializing_if = "Option::is_none")]
        on_update: Option<String>,
        /// Checked at commit when deferred (Postgres only).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        deferrable: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        initially_deferred: bool,
    },
}

impl Constraint {
    /// Whether the constraint uses the table's column `column`: names it, or, for a
    /// check, its expression reads it as `dialect` does (not a word of a string).
    pub fn uses(&self, dialect: Option<Dialect>, column: &str) -> bool {
        match &self.kind {
            ConstraintKind::Check { expr } => crate::sql::lex::reads_column(dialect, expr, column),
            ConstraintKind::Unique { columns } | ConstraintKind::ForeignKey { columns, .. } => {
                columns.iter().any(|c| c == column)
            }
        }
    }

    /// Whether this is a foreign key that references `table` (at `column`, when given).
    pub fn references(&self, table: &str, column: Option<&str>) -> bool {
        matches!(&self.kind, ConstraintKind::ForeignKey { references, referenced_columns, .. }
            if references == table
                && column.is_none_or(|c| referenced_columns.iter().any(|r| r == c)))
    }

    /// Whether this constraint of table `owner` stands in the way of dropping `table`
    /// (`column` None) or its `column`: it uses the column, or a foreign key points at
    /// it. A table's own foreign key to itself goes with the table.
    pub fn involves(
        &self,
        dialect: Option<Dialect>,
        owner: &str,
        table: &str,
        column: Option<&str>,
    ) -> bool {
        let own = owner == table && column.is_some_and(|c| self.uses(dialect, c));
        own || (self.references(table, column) && (column.is_some() || owner != table))
    }

    /// The same constraint named `name` over column `new` where it used `old`; a check's
    /// expression has the names it reads rewritten, strings and comments kept.
    pub fn with_column_renamed(
        &self,
        dialect: Option<Dialect>,
        old: &str,
        new: &str,
        name: String,
    ) -> Constraint {
        let rename = |cols: &[String]| -> Vec<String> {
            cols.iter()
                .map(|c| if c == old { new.to_string() } else { c.clone() })
                .collect()
        };
        let kind = match &self.kind {
            ConstraintKind::Check { expr } => ConstraintKind::Check {
                expr: crate::sql::lex::rename_column(dialect, expr, old, new),
            },
            ConstraintKind::Unique { columns } => ConstraintKind::Unique {
                columns: rename(columns),
            },
            ConstraintKind::ForeignKey {
                columns,
                references,
                referenced_columns,
                on_delete,
                on_update,
                deferrable,
                initially_deferred,
            } => ConstraintKind::ForeignKey {
                columns: rename(columns),
                references: references.clone(),
                referenced_columns: referenced_columns.clone(),
                on_delete: on_delete.clone(),
                on_update: on_update.clone(),
                deferrable: *deferrable,
                initially_deferred: *initially_deferred,
            },
        };
        Constraint { name, kind }
    }

    /// "check", "unique constraint", "foreign key".
    pub fn noun(&self) -> &'static str {
        match &self.kind {
            ConstraintKind::Check { .. } => "check",
            ConstraintKind::Unique { .. } => "unique constraint",
            ConstraintKind::ForeignKey { .. } => "foreign key",
        }
    }
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    pub fn constraint(&self, name: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.name == name)
    }

    /// Renames column `from` to `to` in the columns, the primary key and the
    /// constraints, which keep their names.
    pub fn rename_column(&mut self, dialect: Option<Dialect>, from: &str, to: &str) {
        for c in &mut self.columns {
            if c.name == from {
                c.name = to.to_string();
            }
        }
        for k in &mut self.primary_key {
            if k == from {
                *k = to.to_string();
            }
        }
        for c in &mut self.constraints {
            *c = c.with_column_renamed(dialect, from, to, c.name.clone());
        }
    }

    /// Points the foreign keys of this table that reference table `from` at `to`.
    pub fn rename_references(&mut self, from: &str, to: &str) {
        for constraint in &mut self.constraints {
            if let ConstraintKind::ForeignKey { references, .. } = &mut constraint.kind {
                if references == from {
                    *references = to.to_string();
                }
            }
        }
    }
}

/// The tables one release's code knows, with the columns it reads and writes: what its
/// probes use. Only the tables: cheap to keep one per release.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub tables: IndexMap<String, Table>,
}

impl View {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }
}

/// A table or column (`None` for the whole table) that the code no longer sees.
pub type RetiredName = (String, Option<String>);

/// The schema as one release's code sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub tables: IndexMap<String, Table>,
    /// Keyed by [`Schema::index_key`]: the name where the dialect names indexes across
    /// the schema, the table and the name where it names them per table (MySQL). Go
    /// through [`Schema::insert_index`] and the lookups beside it.
    pub indexes: IndexMap<String, Index>,
    /// PostgreSQL extensions the schema needs (a type, an operator class, a function
    /// an index calls), created before its tables.
    pub extensions: Vec<String>,
    /// Objects outside the table model (domains, functions, views, triggers, ...), in
    /// the order they are created.
    pub objects: Vec<SchemaObject>,
    /// Names the code no longer sees but that still exist in the database until a
    /// contract step drops them: the index of that release, `None` while pending.
    pub retired: HashMap<RetiredName, Option<usize>>,
    /// Constraints the code no longer sees that a later contract step drops (with their
    /// table and that release, `None` while pending): until then the database still
    /// enforces them, and MySQL refuses to retype a column a foreign key names.
    pub retired_constraints: Vec<(String, Constraint, Option<usize>)>,
    /// Indexes the code no longer sees that a later contract step drops (with that
    /// release, `None` while pending): until then a unique one refuses a repeated value,
    /// and each keeps its name taken.
    pub retired_indexes: Vec<(Index, Option<usize>)>,
    /// Constraints the code sees that a later contract step adds (a tightening), with
    /// that release (`None` while pending): until then they are not in the database.
    /// Keyed by table and name: where the dialect names constraints per table, two
    /// tables may each have one of a name.
    pub pending_constraints: Vec<(String, String, Option<usize>)>,
    /// Tables whose primary key a later contract step sets (a tightening), with that
    /// release (`None` while pending): until then the database keeps the key before it.
    pub pending_primary_keys: Vec<(String, Option<usize>)>,
    /// Whether a foreign key or check may share its name with a constraint of another
    /// table (Postgres and SQLite name them per table; MySQL's foreign key names are
    /// schema-wide). Unique constraints are indexes, whose names stay schema-wide.
    pub constraint_names_per_table: bool,
    /// User enums, with their values in order.
    pub enums: IndexMap<String, Vec<String>>,
    /// Views mode: columns the code sees under a new name while they still exist under
    /// the old one, until the contract step that renames them in place.
    pub physical_names: Vec<PhysicalName>,
    /// Views mode: the first release whose code selects a release schema of views.
    pub views_since: Option<usize>,
    /// The project's dialect, which decides how an expression is read (`None`: standard
    /// SQL).
    pub dialect: Option<Dialect>,
    /// Tables and columns a contract step adds (hand-written SQL), with the release of
    /// that contract (`None` while pending): they exist only from then, so the code of
    /// that release and the ones before it does not see them, although later ops do.
    pub arriving: Vec<(RetiredName, Option<usize>)>,
    /// Columns whose type changes through a shadow column swapped in at the contract of
    /// the release given (table, column, release): until then the database holds the
    /// old column and the shadow, and no other op of that release may change either.
    pub retyping: Vec<(String, String, usize)>,
}

/// An object the table model does not hold, kept as the statement that creates it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaObject {
    /// `domain`, `type`, `sequence`, `function`, `procedure`, `view`, ...
    pub kind: String,
    /// How the catalogue names it: `f(integer)` for a function, `table.name` for a
    /// trigger or policy.
    pub name: String,
    /// The full CREATE statement.
    pub sql: String,
    /// Whether it is created once the tables are there (views, triggers, policies).
    pub after_tables: bool,
}

impl SchemaObject {
    /// The name other statements call it by: a routine's without its argument types, a
    /// trigger's or policy's without its table.
    pub fn called(&self) -> &str {
        let name = self.name.split('(').next().unwrap_or(&self.name);
        match self.kind.as_str() {
            "trigger" | "policy" | "rule" => name.split_once('.').map_or(name, |(_, n)| n),
            _ => name,
        }
    }

    /// Whether its statement holds `name` as a word (any case, quoted or not): a name
    /// in a string or a comment counts too.
    pub fn names(&self, name: &str) -> bool {
        let text = self.sql.to_lowercase();
        let name = name.to_lowercase();
        if name.is_empty() {
            return false;
        }
        let ident =
            |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        text.match_indices(&name).any(|(i, _)| {
            !ident(text[..i].chars().next_back()) && !ident(text[i + name.len()..].chars().next())
        })
    }
}

/// The kinds of `[[objects]]`, each with whether it needs the tables by default.
pub const OBJECT_KINDS: &[(&str, bool)] = &[
    ("domain", false),
    ("type", false),
    ("sequence", false),
    ("function", false),
    ("procedure", false),
    ("aggregate", false),
    ("view", true),
    ("materialized_view", true),
    ("trigger", true),
    ("row_security", true),
    ("partition", true),
    ("partition_index", true),
    ("partition_constraint", true),
    ("foreign_key_to_partition", true),
    ("exclusion_constraint", true),
    ("policy", true),
    ("rule", true),
    ("event_trigger", true),
    ("event", true),
];

/// The kinds of `[[objects]]` a dialect has: every kind but MySQL's events on
/// PostgreSQL, views, triggers, routines and events on MySQL, views and triggers on
/// SQLite; all of them where the dialect is not known.
pub fn object_kinds(dialect: Option<Dialect>) -> Vec<&'static str> {
    let kinds = OBJECT_KINDS.iter().map(|(k, _)| *k);
    match dialect {
        Some(Dialect::Mysql) => kinds
            .filter(|k| matches!(*k, "view" | "trigger" | "function" | "procedure" | "event"))
            .collect(),
        Some(Dialect::Sqlite) => kinds.filter(|k| matches!(*k, "view" | "trigger")).collect(),
        Some(Dialect::Postgres) => kinds.filter(|k| *k != "event").collect(),
        None => kinds.collect(),
    }
}

/// Whether objects of `kind` are created after the tables unless said otherwise.
pub fn after_tables_by_default(kind: &str) -> bool {
    OBJECT_KINDS.iter().any(|(k, after)| *k == kind && *after)
}

/// A column that exists under another name than the one the code uses.
#[derive(Debug, Clone, PartialEq)]
pub struct PhysicalName {
    pub table: String,
    /// The name the code uses.
    pub column: String,
    /// The name the column has in the database.
    pub physical: String,
    /// The release whose contract renames it in place; `None` while pending.
    pub until: Option<usize>,
}

/// Names that differ only in letter case, and enum values that differ only in case or by
/// trailing spaces: one name, or one value, to MySQL and MariaDB. Column and index names
/// are case-insensitive there, table names are on servers that fold them
/// (`lower_case_table_names`, the default on Windows and macOS), and the default collation
/// compares ENUM values without case and strips their trailing spaces. Each is said as a
/// sentence, sorted.
pub fn mysql_name_collisions(schema: &Schema) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut clashes = Vec::new();
    let mut clash = |what: &str, names: &mut dyn Iterator<Item = &str>| {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for name in names {
            match seen.get(&name.to_lowercase()) {
                Some(first) if *first != name => {
                    clashes.push(format!("`{first}` and `{name}` ({what})"));
                }
                Some(_) => {}
                None => {
                    seen.insert(name.to_lowercase(), name);
                }
            }
        }
    };
    clash("tables", &mut schema.tables.keys().map(String::as_str));
    for (name, table) in &schema.tables {
        let retired = schema.retired.keys().filter_map(|(t, c)| match c {
            Some(c) if t == name => Some(c.as_str()),
            _ => None,
        });
        let columns = table.columns.iter().map(|c| c.name.as_str());
        clash(&format!("columns of `{name}`"), &mut columns.chain(retired));
        let indexes = schema.indexes.values().filter(|i| &i.table == name);
        let uniques = table
            .constraints
            .iter()
            .filter(|c| matches!(c.kind, ConstraintKind::Unique { .. }));
        clash(
            &format!("indexes of `{name}`"),
            &mut indexes
                .map(|i| i.name.as_str())
                .chain(uniques.map(|c| c.name.as_str())),
        );
    }
    let column_enums = schema.tables.values().flat_map(|t| {
        t.columns.iter().filter_map(|c| match &c.ty {
            ColumnType::Enum(e) => Some((&e.name, &e.values)),
            _ => None,
        })
    });
    for (name, values) in schema.enums.iter().chain(column_enums) {
        for v in values.iter().filter(|v| v.ends_with(' ')) {
            out.insert(format!(
                "`{v}` and `{}` (a value of enum `{name}` and what MySQL keeps of it: it strips trailing spaces)",
                v.trim_end_matches(' ')
            ));
        }
        clash(
            &format!("values of enum `{name}`"),
            &mut values.iter().map(|v| v.trim_end_matches(' ')),
        );
    }
    out.extend(clashes);
    out
}

impl Schema {
    /// The name under which the column the code calls `table.column` exists.
    pub fn physical_column<'a>(&'a self, table: &str, column: &'a str) -> &'a str {
        self.physical_names
            .iter()
            .find(|p| p.table == table && p.column == column)
            .map_or(column, |p| p.physical.as_str())
    }

    /// Renames a column for the code: in its table, its key, its constraints, the
    /// indexes over it and the foreign keys that reference it.
    pub fn rename_column_everywhere(&mut self, table: &str, from: &str, to: &str) {
        if let Some(t) = self.tables.get_mut(table) {
            t.rename_column(self.dialect, from, to);
        }
        for index in self.indexes.values_mut().filter(|i| i.table == table) {
            *index = index.with_column_renamed(self.dialect, from, to);
        }
        for other in self.tables.values_mut() {
            for constraint in &mut other.constraints {
                if let ConstraintKind::ForeignKey {
                    references,
                    referenced_columns,
                    ..
                } = &mut constraint.kind
                {
                    if references == table {
                        for c in referenced_columns.iter_mut().filter(|c| *c == from) {
                            *c = to.to_string();
                        }
                    }
                }
            }
        }
    }

    /// The entry of a column that exists under another name, if it does.
    pub fn physical_name(&self, table: &str, column: &str) -> Option<&PhysicalName> {
        self.physical_names
            .iter()
            .find(|p| p.table == table && p.column == column)
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// What the code of this point knows, without the bookkeeping of the planner.
    /// The whole model: every table and column, including those a contract still adds.
    pub fn view(&self) -> View {
        View {
            tables: self.tables.clone(),
        }
    }

    /// What the code of `release` sees: the model without what a contract of that
    /// release or a later one adds (see [`Schema::arriving`]).
    pub fn view_of(&self, release: usize) -> View {
        let mut view = self.view();
        for ((table, column), until) in &self.arriving {
            if until.is_some_and(|u| u < release) {
                continue;
            }
            match column {
                None => {
                    view.tables.shift_remove(table);
                }
                Some(c) => {
                    if let Some(t) = view.tables.get_mut(table) {
                        t.columns.retain(|col| &col.name != c);
                        t.constraints.retain(|k| !k.uses(self.dialect, c));
                    }
                }
            }
        }
        view
    }

    pub fn table_names(&self) -> Vec<&str> {
        self.tables.keys().map(String::as_str).collect()
    }

    /// Whether a column of this name still physically exists (retired but not dropped
    /// before `release`'s expand step).
    pub fn is_physically_present(&self, table: &str, column: Option<&str>, release: usize) -> bool {
        let until = |key: RetiredName| {
            self.retired
                .get(&key)
                .is_some_and(|d| d.is_none_or(|d| d >= release))
        };
        until((table.to_string(), None))
            || column.is_some_and(|c| until((table.to_string(), Some(c.to_string()))))
    }

    /// The constraints named `name`, with their tables.
    pub fn constraints_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Table, &'a Constraint)> + 'a {
        self.tables
            .values()
            .filter_map(move |t| t.constraint(name).map(|c| (t, c)))
    }

    /// The constraint named `name` on any table, with its table.
    pub fn constraint(&self, name: &str) -> Option<(&Table, &Constraint)> {
        self.tables
            .values()
            .find_map(|t| t.constraint(name).map(|c| (t, c)))
    }

    /// Constraints of any table whose columns include `table.column`, or whose foreign
    /// key points at it (`column` None: at any column of `table`).
    pub fn constraints_using<'a>(
        &'a self,
        table: &'a str,
        column: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Table, &'a Constraint)> + 'a {
        self.tables.values().flat_map(move |t| {
            t.constraints
                .iter()
                .filter(move |k| k.involves(self.dialect, &t.name, table, column))
                .map(move |k| (t, k))
        })
    }

    /// The columns of every table whose type is the enum `name`, with their table.
    pub fn enum_columns(&self, name: &str) -> Vec<(String, Column)> {
        self.tables
            .values()
            .flat_map(|t| {
                t.columns
                    .iter()
                    .filter(|c| matches!(&c.ty, ColumnType::Enum(e) if e.name == name))
                    .map(|c| (t.name.clone(), c.clone()))
            })
            .collect()
    }

    /// Indexes of a table, in creation order.
    pub fn indexes_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Index> + 'a {
        self.indexes.values().filter(move |i| i.table == table)
    }

    /// Whether two tables may each have an index of one name: MySQL names indexes (and
    /// the unique keys that are indexes) per table; Postgres and SQLite across the schema.
    pub fn index_names_per_table(&self) -> bool {
        self.dialect == Some(Dialect::Mysql)
    }

    /// The key of index `name` of `table` in [`Schema::indexes`]. A NUL, which no
    /// name may hold, separates table and name.
    pub fn index_key(&self, table: &str, name: &str) -> String {
        if self.index_names_per_table() {
            format!("{table}\0{name}")
        } else {
            name.to_string()
        }
    }

    /// Adds or replaces an index.
    pub fn insert_index(&mut self, index: Index) {
        self.indexes
            .insert(self.index_key(&index.table, &index.name), index);
    }

    /// Index `name` of `table`.
    pub fn index_on(&self, table: &str, name: &str) -> Option<&Index> {
        self.indexes
            .get(&self.index_key(table, name))
            .filter(|i| i.table == table)
    }

    /// Removes index `name` of `table`, keeping the others' order.
    pub fn remove_index(&mut self, table: &str, name: &str) -> Option<Index> {
        let key = self.index_key(table, name);
        match self.indexes.get(&key) {
            Some(i) if i.table == table => self.indexes.shift_remove(&key),
            _ => None,
        }
    }

    /// Indexes named `name`, on any table: at most one where names are schema-wide.
    pub fn indexes_named<'a>(&'a self, name: &'a str) -> Vec<&'a Index> {
        if self.index_names_per_table() {
            self.indexes.values().filter(|i| i.name == name).collect()
        } else {
            self.indexes.get(name).into_iter().collect()
        }
    }

    /// Moves the indexes of table `from` to table `to`, in place; an index's key names
    /// its table where index names are per table.
    pub fn rename_table_in_indexes(&mut self, from: &str, to: &str) {
        let indexes = std::mem::take(&mut self.indexes);
        for (_, mut index) in indexes {
            if index.table == from {
                index.table = to.to_string();
            }
            self.insert_index(index);
        }
    }

    /// Whether a new index `name` on `table` would clash with an existing one.
    pub fn index_name_taken(&self, table: &str, name: &str) -> bool {
        self.indexes.contains_key(&self.index_key(table, name))
    }
}

/// `tables` ordered so that each comes after the tables its foreign keys reference, for
/// creating them and for writing rows; a cycle keeps the given order.
pub fn parents_first<'a>(tables: impl Iterator<Item = &'a Table>) -> Vec<&'a Table> {
    let mut rest: Vec<&Table> = tables.collect();
    let names: std::collections::HashSet<&str> = rest.iter().map(|t| t.name.as_str()).collect();
    let mut placed_names = std::collections::HashSet::new();
    let mut placed: Vec<&Table> = Vec::with_capacity(rest.len());
    // Each pass places every table whose parents are placed; a pass that places nothing
    // means a cycle, whose first table goes next.
    while !rest.is_empty() {
        let before = placed.len();
        rest.retain(|t| {
            let ready = t.constraints.iter().all(|c| match &c.kind {
                ConstraintKind::ForeignKey { references, .. } => {
                    references == &t.name
                        || !names.contains(references.as_str())
                        || placed_names.contains(references.as_str())
                }
                _ => true,
            });
            if ready {
                placed.push(*t);
                placed_names.insert(t.name.as_str());
            }
            !ready
        });
        if placed.len() == before {
            let first = rest.remove(0);
            placed_names.insert(first.name.as_str());
            placed.push(first);
        }
    }
    placed
}

/// `name` when it has at most `max` bytes; else a readable prefix and a short hash of
/// the whole, so that long names stay distinct (names are ASCII).
pub fn fit_identifier(name: String, max: usize) -> String {
    if name.len() <= max {
        return name;
    }
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}_{hex}", &name[..max - 9])
}

#[cfg(test)]
mod tests {
    #[test]
    fn mysqls_timestamp_range_binds_only_where_mysql_may_run_the_default() {
        use crate::sql::Dialect;
        use crate::types::{ColumnType, Literal};
        let early = Literal::Str("1960-01-01 00:00:00".into());
        let ty = ColumnType::TimestampTz;
        assert!(ty.accepts_in(&early, Some(Dialect::Postgres)).is_ok());
        assert!(ty.accepts_in(&early, Some(Dialect::Sqlite)).is_ok());
        assert!(ty.accepts_in(&early, Some(Dialect::Mysql)).is_err());
        assert!(ty.accepts(&early).is_err());
    }

    #[test]
    fn an_unsigned_integer_holds_twice_the_signed_range() {
        use crate::types::{ColumnType, Literal, NativeType};
        let ty = |name: &str, unsigned: bool| {
            ColumnType::Native(NativeType {
                name: name.into(),
                args: Vec::new(),
                unsigned,
                array: false,
            })
        };
        assert!(ty("smallint", true).accepts(&Literal::Int(65535)).is_ok());
        assert!(ty("smallint", true).accepts(&Literal::Int(65536)).is_err());
        assert!(ty("smallint", true).accepts(&Literal::Int(-1)).is_err());
        assert!(ty("smallint", false).accepts(&Literal::Int(65535)).is_err());
        assert!(ty("smallint", false).accepts(&Literal::Int(-32768)).is_ok());
        assert!(ty("tinyint", true).accepts(&Literal::Int(255)).is_ok());
        assert!(ty("bigint", true).accepts(&Literal::Int(i64::MAX)).is_ok());
    }

    #[test]
    fn a_server_takes_its_own_dates_beyond_the_shared_range() {
        use crate::sql::Dialect;
        use crate::types::{ColumnType, Literal};
        let zero = Literal::Str("0000-00-00 00:00:00".into());
        let ancient = Literal::Str("0001-01-01 00:00:00".into());
        for ty in [ColumnType::Timestamp, ColumnType::TimestampTz] {
            assert!(ty.accepts_in(&zero, Some(Dialect::Mysql)).is_ok(), "{ty}");
            assert!(
                ty.accepts_in(&zero, Some(Dialect::Postgres)).is_err(),
                "{ty}"
            );
            assert!(ty.accepts_in(&zero, None).is_err(), "{ty}");
            assert!(
                ty.accepts_in(&ancient, Some(Dialect::Postgres)).is_ok(),
                "{ty}"
            );
        }
        // MySQL's DATETIME goes back to year 1 in practice; its TIMESTAMP starts in 1970.
        assert!(ColumnType::Timestamp
            .accepts_in(&ancient, Some(Dialect::Mysql))
            .is_ok());
        assert!(ColumnType::TimestampTz
            .accepts_in(&ancient, Some(Dialect::Mysql))
            .is_err());
        let zero_day = Literal::Str("0000-00-00".into());
        assert!(ColumnType::Date
            .accepts_in(&zero_day, Some(Dialect::Mysql))
            .is_ok());
        assert!(ColumnType::Date.accepts_in(&zero_day, None).is_err());
    }

    #[test]
    fn a_native_date_takes_what_its_server_takes() {
        use super::server_date_time as ok;
        for v in [
            "0000-00-00 00:00:00",
            "0000-00-00",
            "0001-01-01 00:00:00",
            "0400-02-29",
            "2024-02-29 23:59:59.5",
            "2024-01-31T08:30:00",
        ] {
            assert!(ok(v), "{v}");
        }
        for v in [
            "0000-01-01",
            "0000-00-00 08:00:00",
            "2023-02-29",
            "0100-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-01-01 25:00:00",
            "x",
            "",
        ] {
            assert!(!ok(v), "{v}");
        }
    }
}
