//! Probe values made from the model, as real code would write them: distinct per row (so
//! every unique key, now or later, holds over the rows the probes write), within every
//! check the generator can read, of the type a column has in any release (a text column
//! that a later release converts to integer holds digits), and first of all the values
//! the user gives in `[verify.values]`.
//!
//! A column keeps its identity across renames: a renamed table or column, or the new
//! column of a type change, is one column to the generator, so what a later release
//! requires of it binds the rows that earlier code writes.

use std::collections::HashMap;

use crate::action::Action;
use crate::model::{ConstraintKind, Table, View};
use crate::plan::Plan;
use crate::sql::ddl::literal_sql;
use crate::sql::rehearsal::binary_literal;
use crate::sql::Dialect;
use crate::types::{ColumnType, Literal};

/// Names that stand for one thing across releases: union-find over strings.
#[derive(Default)]
struct Aliases {
    parent: HashMap<String, String>,
}

impl Aliases {
    fn root(&self, key: &str) -> String {
        let mut k = key;
        while let Some(p) = self.parent.get(k) {
            if p == k {
                break;
            }
            k = p;
        }
        k.to_string()
    }

    fn union(&mut self, a: &str, b: &str) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(rb, ra);
        }
    }
}

/// A foreign key of any release, by the identities of its tables and columns.
#[derive(Debug, Clone, PartialEq)]
struct Reference {
    table: String,
    columns: Vec<String>,
    parent: String,
    parent_columns: Vec<String>,
}

/// A foreign key as the code of one release names it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
}

/// What a simple check says of one column.
#[derive(Debug, Clone, PartialEq)]
enum Rule {
    /// `col > 3`, `col <= 7`, `col = 'a'`, `col <> 0`.
    Compare(&'static str, Lit),
    Between(Lit, Lit),
    In(Vec<Lit>),
    Like(String),
    /// `length(col) >= 3` and the like.
    Length(&'static str, i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Num(f64),
    Str(String),
}

/// What the plan says of one column identity.
#[derive(Default)]
struct Facts {
    types: Vec<ColumnType>,
    rules: Vec<Rule>,
    user: Vec<String>,
    /// A key of its own in some release (a one-column primary or unique key): the
    /// user's values are used once each, then made-up ones, never a duplicate.
    unique: bool,
    /// How many of the user's values were used.
    used: std::cell::Cell<usize>,
}

/// The probe-value generator of one plan.
pub struct Generator {
    dialect: Dialect,
    tables: Aliases,
    columns: Aliases,
    facts: HashMap<String, Facts>,
    references: Vec<Reference>,
}

impl Generator {
    /// Gathers what every release of `plan` knows of keys, checks and types once, with
    /// `user` values (`"table.column"` -> values) from tandem.toml.
    pub fn new(plan: &Plan, dialect: Dialect, user: &[(String, Vec<String>)]) -> Generator {
        let mut g = Generator {
            dialect,
            tables: Aliases::default(),
            columns: Aliases::default(),
            facts: HashMap::new(),
            references: Vec::new(),
        };
        let actions: Vec<&Action> = plan
            .files
            .iter()
            .flat_map(|f| f.steps.iter().flat_map(|s| s.actions.iter()))
            .collect();
        for a in &actions {
            if let Action::RenameTable { from, to } = a {
                g.tables.union(to, from);
            }
        }
        for a in &actions {
            if let Action::SyncTrigger {
                table, old, new, ..
            } = a
            {
                let (o, n) = (g.key(table, old), g.key(table, new));
                g.columns.union(&o, &n);
            }
        }
        for view in &plan.views {
            for table in view.tables.values() {
                if let [only] = table.primary_key.as_slice() {
                    let id = g.id(&table.name, only);
                    g.facts.entry(id).or_default().unique = true;
                }
                for c in &table.columns {
                    let id = g.id(&table.name, &c.name);
                    let facts = g.facts.entry(id).or_default();
                    if !facts.types.contains(&c.ty) {
                        facts.types.push(c.ty.clone());
                    }
                }
                for constraint in &table.constraints {
                    match &constraint.kind {
                        ConstraintKind::Check { expr } => {
                            for (column, rule) in read_check(expr) {
                                if table.column(&column).is_none() {
                                    continue;
                                }
                                let id = g.id(&table.name, &column);
                                let facts = g.facts.entry(id).or_default();
                                if !facts.rules.contains(&rule) {
                                    facts.rules.push(rule);
                                }
                            }
                        }
                        ConstraintKind::ForeignKey {
                            columns,
                            references,
                            referenced_columns,
                            ..
                        } => {
                            let r = Reference {
                                table: g.tables.root(&table.name),
                                columns: columns.iter().map(|c| g.id(&table.name, c)).collect(),
                                parent: g.tables.root(references),
                                parent_columns: referenced_columns
                                    .iter()
                                    .map(|c| g.id(references, c))
                                    .collect(),
                            };
                            if !g.references.contains(&r) {
                                g.references.push(r);
                            }
                        }
                        ConstraintKind::Unique { columns } => {
                            if let [only] = columns.as_slice() {
                                let id = g.id(&table.name, only);
                                g.facts.entry(id).or_default().unique = true;
                            }
                        }
                    }
                }
            }
        }
        for (name, values) in user {
            if let Some((table, column)) = name.split_once('.') {
                let id = g.id(table, column);
                g.facts.entry(id).or_default().user = values.clone();
            }
        }
        g
    }

    fn key(&self, table: &str, column: &str) -> String {
        format!("{}\u{1f}{column}", self.tables.root(table))
    }

    /// The identity of `table.column` across renames.
    fn id(&self, table: &str, column: &str) -> String {
        self.columns.root(&self.key(table, column))
    }

    /// The identity of a table across renames: one name for all the names it has.
    pub fn table_identity(&self, table: &str) -> String {
        self.tables.root(table)
    }

    /// Whether `table.column` of one release and `other.other_column` of another are the
    /// same column.
    pub fn same_table(&self, a: &str, b: &str) -> bool {
        self.tables.root(a) == self.tables.root(b)
    }

    /// The foreign keys of any release that bind `table` as the code of `view` knows it,
    /// named as that code names them; columns it does not know are left out.
    pub fn foreign_keys(&self, view: &View, table: &Table) -> Vec<ForeignKey> {
        let root = self.tables.root(&table.name);
        let mut out: Vec<ForeignKey> = Vec::new();
        for r in self.references.iter().filter(|r| r.table == root) {
            let Some(parent) = view
                .tables
                .values()
                .find(|t| self.tables.root(&t.name) == r.parent)
            else {
                continue;
            };
            let name_in = |t: &Table, id: &String| {
                t.columns
                    .iter()
                    .find(|c| &self.id(&t.name, &c.name) == id)
                    .map(|c| c.name.clone())
            };
            let mut fk = ForeignKey {
                columns: Vec::new(),
                parent: parent.name.clone(),
                parent_columns: Vec::new(),
            };
            for (c, p) in r.columns.iter().zip(&r.parent_columns) {
                if let (Some(c), Some(p)) = (name_in(table, c), name_in(parent, p)) {
                    fk.columns.push(c);
                    fk.parent_columns.push(p);
                }
            }
            if !fk.columns.is_empty() && !out.contains(&fk) {
                out.push(fk);
            }
        }
        out
    }

    /// Whether a check of the plan names a column the generator cannot satisfy by
    /// reading it: then the user's values are what keeps it.
    pub fn has_user_values(&self, table: &str, column: &str) -> bool {
        self.facts
            .get(&self.id(table, column))
            .is_some_and(|f| !f.user.is_empty())
    }

    /// The value of `table.column` (of type `ty`) in probe row `n`, as an SQL literal.
    pub fn value(&self, table: &str, column: &str, ty: &ColumnType, n: u64) -> String {
        // A native text type holds text as its portable kin does, as long.
        let kin = match ty {
            ColumnType::Native(t) if !t.array => match t.kin() {
                crate::types::Kin::Text(Some(len)) => Some(ColumnType::Varchar(len)),
                crate::types::Kin::Text(None) => Some(ColumnType::Text),
                _ => None,
            },
            _ => None,
        };
        let ty = kin.as_ref().unwrap_or(ty);
        let empty = Facts::default();
        let facts = self.facts.get(&self.id(table, column)).unwrap_or(&empty);
        let text = |s: String| literal_sql(self.dialect, &Literal::Str(s));
        if !facts.user.is_empty() {
            let used = facts.used.get();
            if !facts.unique {
                return text(facts.user[(n as usize) % facts.user.len()].clone());
            }
            if used < facts.user.len() {
                facts.used.set(used + 1);
                return text(facts.user[used].clone());
            }
        }
        // A textual column that some release holds as another type gets values that
        // convert: what real code writes before the change.
        let as_type = if ty.is_textual() {
            facts
                .types
                .iter()
                .find(|t| !t.is_textual() && !matches!(t, ColumnType::Binary))
                .unwrap_or(ty)
        } else {
            ty
        };
        if is_numeric(as_type) {
            let v = number(as_type, &facts.rules, n);
            return if ty.is_textual() { text(v) } else { v };
        }
        if as_type.is_textual() {
            return text(string(ty, &facts.rules, n));
        }
        if ty.is_textual() {
            // Another type's value, written as the text it converts from.
            let v = made_up(self.dialect, as_type, n);
            return match as_type {
                ColumnType::Boolean => text(match self.dialect {
                    Dialect::Postgres => (if n % 2 == 0 { "true" } else { "false" }).into(),
                    _ => (if n % 2 == 0 { "1" } else { "0" }).into(),
                }),
                _ if v.starts_with('\'') => v,
                _ => text(v),
            };
        }
        made_up(self.dialect, ty, n)
    }
}

fn is_numeric(ty: &ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::SmallInt
            | ColumnType::Integer
            | ColumnType::BigInt
            | ColumnType::Real
            | ColumnType::Double
            | ColumnType::Decimal(..)
    )
}

/// A number of type `ty` for row `n`, within the rules the checks give.
fn number(ty: &ColumnType, rules: &[Rule], n: u64) -> String {
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    let mut not: Vec<i64> = Vec::new();
    let mut listed: Option<Vec<i64>> = None;
    let raise = |v: i64, lo: &mut Option<i64>| *lo = Some(lo.map_or(v, |l| l.max(v)));
    let lower = |v: i64, hi: &mut Option<i64>| *hi = Some(hi.map_or(v, |h| h.min(v)));
    for rule in rules {
        match rule {
            Rule::Compare(op, Lit::Num(x)) => match *op {
                ">" => raise(x.floor() as i64 + 1, &mut lo),
                ">=" => raise(x.ceil() as i64, &mut lo),
                "<" => lower(x.ceil() as i64 - 1, &mut hi),
                "<=" => lower(x.floor() as i64, &mut hi),
                "=" => listed = Some(vec![*x as i64]),
                _ => not.push(*x as i64),
            },
            Rule::Between(Lit::Num(a), Lit::Num(b)) => {
                raise(a.ceil() as i64, &mut lo);
                lower(b.floor() as i64, &mut hi);
            }
            Rule::In(list) => {
                let nums: Vec<i64> = list
                    .iter()
                    .filter_map(|l| match l {
                        Lit::Num(x) => Some(*x as i64),
                        Lit::Str(s) => s.trim().parse().ok(),
                    })
                    .collect();
                if !nums.is_empty() {
                    listed = Some(nums);
                }
            }
            _ => {}
        }
    }
    // The type's own range: smallint, and the whole digits of a decimal.
    let cap: i64 = match ty {
        ColumnType::SmallInt => 32_000,
        ColumnType::Decimal(p, s) => {
            let whole = p.saturating_sub(*s).min(18);
            if whole == 0 {
                let s = (*s).min(18);
                return format!("0.{:0width$}", n % 10u64.pow(s), width = s as usize);
            }
            10i64.pow(whole)
        }
        _ => i64::MAX,
    };
    let n = n as i64 % cap;
    let mut v = match (listed, lo, hi) {
        (Some(list), _, _) => list[(n as usize) % list.len()],
        (None, Some(l), Some(h)) if h >= l => l + n % (h - l + 1),
        (None, Some(l), _) => l.saturating_add(n),
        (None, None, Some(h)) => h.saturating_sub(n % cap.min(1_000_000_000)),
        (None, None, None) => n,
    };
    while not.contains(&v) {
        v += 1;
    }
    match ty {
        ColumnType::Real | ColumnType::Double if lo.is_none() && hi.is_none() => format!("{v}.5"),
        _ => v.to_string(),
    }
}

/// A token distinct for each `n`, short: base 36.
fn token(n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = n;
    let mut out = Vec::new();
    loop {
        out.push(digits[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// A string for a column of type `ty` in row `n`, within the rules; as long as the
/// type allows where no rule says otherwise, so that a narrower column the value is
/// copied to fails here and not in production.
fn string(ty: &ColumnType, rules: &[Rule], n: u64) -> String {
    let max = match ty {
        ColumnType::Varchar(len) | ColumnType::Char(len) => Some((*len as usize).min(1000)),
        _ => None,
    };
    let mut min_len = 0usize;
    let mut max_len = max.unwrap_or(usize::MAX);
    let mut pattern: Option<&str> = None;
    for rule in rules {
        match rule {
            Rule::In(list) => {
                let strs: Vec<&String> = list
                    .iter()
                    .filter_map(|l| match l {
                        Lit::Str(s) => Some(s),
                        Lit::Num(_) => None,
                    })
                    .collect();
                if !strs.is_empty() {
                    return strs[(n as usize) % strs.len()].clone();
                }
            }
            Rule::Compare("=", Lit::Str(s)) => return s.clone(),
            Rule::Like(p) => pattern = Some(p),
            Rule::Length(op, x) => {
                let x = (*x).max(0) as usize;
                match *op {
                    ">" => min_len = min_len.max(x + 1),
                    ">=" => min_len = min_len.max(x),
                    "<" => max_len = max_len.min(x.saturating_sub(1)),
                    "<=" => max_len = max_len.min(x),
                    "=" => {
                        min_len = x;
                        max_len = x;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mark = match ty {
        ColumnType::Text if pattern.is_none() => format!("probe {n}"),
        _ => format!("p{}", token(n)),
    };
    // Where the pattern has a `%`, the distinct part goes there; the rest is literal.
    let (head, tail) = match pattern {
        Some(p) => {
            let fixed = |s: &str| s.replace('_', "x");
            match p.split_once('%') {
                Some((before, after)) => (fixed(before), fixed(&after.replace('%', ""))),
                None => return fixed(p),
            }
        }
        None => (String::new(), String::new()),
    };
    let room = max_len.saturating_sub(head.len() + tail.len());
    let mut middle = mark;
    if middle.len() > room {
        // Keep the distinct end of the token.
        middle = middle[middle.len() - room..].to_string();
    }
    let target = match (rules.is_empty(), max) {
        // Fill to the length the type allows.
        (true, Some(len)) => len,
        _ => min_len.max(head.len() + middle.len() + tail.len()),
    };
    while head.len() + middle.len() + tail.len() < target.min(max_len) {
        middle.push('_');
    }
    format!("{head}{middle}{tail}")
}

/// A value of a portable type, distinct for each `n`, as an SQL literal.
pub fn made_up(dialect: Dialect, ty: &ColumnType, n: u64) -> String {
    let text = |s: String| literal_sql(dialect, &Literal::Str(s));
    match ty {
        ColumnType::Boolean => literal_sql(dialect, &Literal::Bool(n % 2 == 0)),
        ColumnType::SmallInt
        | ColumnType::Integer
        | ColumnType::BigInt
        | ColumnType::Real
        | ColumnType::Double
        | ColumnType::Decimal(..) => number(ty, &[], n),
        ColumnType::Text | ColumnType::Varchar(_) | ColumnType::Char(_) => text(string(ty, &[], n)),
        // Distinct per `n` too, for unique keys over dates and times.
        ColumnType::Date => text(made_up_date(n)),
        ColumnType::Time => text(made_up_time(n)),
        ColumnType::Timestamp => text(format!("{} {}", made_up_date(n), made_up_time(n))),
        // An instant: the same in every session's time zone.
        ColumnType::TimestampTz => crate::sql::ddl::timestamptz_literal(
            dialect,
            &format!("{} {}", made_up_date(n), made_up_time(n)),
        ),
        ColumnType::Uuid => text(format!(
            "00000000-0000-4000-8000-{:012}",
            n % 1_000_000_000_000
        )),
        ColumnType::Json => text(format!("{{\"probe\": {n}}}")),
        ColumnType::Binary => binary_literal(dialect, &format!("{:016x}", n)),
        // The first value: an enum has few, so rows share it.
        ColumnType::Enum(e) => text(e.values.first().cloned().unwrap_or_default()),
        ColumnType::Native(t) if t.array => {
            let element = ColumnType::Native(t.element());
            let name = crate::sql::types::type_name(dialect, &ColumnType::Native(t.clone()));
            format!("ARRAY[{}]::{name}", made_up(dialect, &element, n))
        }
        ColumnType::Native(t) => native_value(dialect, t, n),
        // Its values are the server's: the column's default (NULL where it has none).
        ColumnType::Server(_) => "DEFAULT".into(),
    }
}

/// The value of an identity column in probe row `n`: from the top half of the type's
/// range, so that the rows the database numbers (inserts that omit the column, as the
/// code's queries may) never meet a probe's row.
pub fn identity_value(ty: &ColumnType, n: u64) -> String {
    let base: u64 = match ty {
        ColumnType::SmallInt => 20_000,
        ColumnType::Native(t) => match t.kin() {
            crate::types::Kin::Integer(max) => (max as u64) / 2 + 1,
            _ => 1_000_000_000,
        },
        _ => 1_000_000_000,
    };
    (base + n % base.min(1_000_000)).to_string()
}

/// A value of a native type, distinct for each `n` where the type has room, as an SQL
/// literal.
fn native_value(dialect: Dialect, t: &crate::types::NativeType, n: u64) -> String {
    use crate::types::Kin;
    let text = |s: String| literal_sql(dialect, &Literal::Str(s));
    let (a, b) = ((n / 250) % 250 + 1, n % 250 + 1);
    match t.kin() {
        Kin::Integer(max) => (n % (max as u64).max(1)).to_string(),
        Kin::Float | Kin::Decimal => match t.args.get(1) {
            Some(0) | None if !t.args.is_empty() || dialect == Dialect::Mysql => {
                let digits = t.args.first().copied().unwrap_or(10).min(18);
                (n % 10u64.pow(digits)).to_string()
            }
            _ => format!("{n}.5"),
        },
        Kin::Money => text(format!("{n}.50")),
        Kin::Text(Some(len)) => {
            let s = format!("p{n}");
            text(
                s.chars()
                    .rev()
                    .take(len as usize)
                    .collect::<String>()
                    .chars()
                    .rev()
                    .collect(),
            )
        }
        Kin::Text(None) => made_up(dialect, &ColumnType::Text, n),
        Kin::Binary(len) => {
            let bytes = len.unwrap_or(8).min(8) as usize;
            let hex = format!("{:016x}", n);
            binary_literal(dialect, &hex[16 - 2 * bytes..])
        }
        Kin::Json => made_up(dialect, &ColumnType::Json, n),
        Kin::Date => made_up(dialect, &ColumnType::Date, n),
        Kin::Time => made_up(dialect, &ColumnType::Time, n),
        Kin::TimeTz => text(format!("{}+00", made_up_time(n))),
        Kin::Timestamp => made_up(dialect, &ColumnType::Timestamp, n),
        Kin::TimestampTz => made_up(dialect, &ColumnType::TimestampTz, n),
        Kin::Interval => text(format!("{n} seconds")),
        Kin::Year => (1901 + n % 254).to_string(),
        Kin::Inet => text(format!("10.{}.{a}.{b}", (n / 62_500) % 250)),
        Kin::Cidr => text(format!("10.{a}.{b}.0/24")),
        Kin::MacAddr => text(format!("08:00:2b:00:{:02x}:{:02x}", a, b)),
        Kin::MacAddr8 => text(format!("08:00:2b:ff:fe:00:{:02x}:{:02x}", a, b)),
        Kin::Uuid => made_up(dialect, &ColumnType::Uuid, n),
        Kin::Xml => text(format!("<probe>{n}</probe>")),
        Kin::TsVector => text(format!("probe{n}")),
        Kin::IntRange | Kin::NumRange => text(format!("[{n},{})", n + 1)),
        Kin::DateRange => text(format!("[{},{}]", made_up_date(n), made_up_date(n))),
        Kin::TsRange => {
            let at = format!("{} {}", made_up_date(n), made_up_time(n));
            text(format!("[\"{at}\",\"{at}\"]"))
        }
    }
}

fn made_up_date(n: u64) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        // MySQL timestamps end in 2038.
        2000 + (n / 336) % 30,
        1 + (n / 28) % 12,
        1 + n % 28
    )
}

fn made_up_time(n: u64) -> String {
    format!("{:02}:{:02}:{:02}", (n / 3600) % 24, (n / 60) % 60, n % 60)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Num(f64),
    Str(String),
    Op(String),
}

fn tokens(expr: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::Str(s));
        } else if c == '"' || c == '`' {
            let end = chars[i + 1..].iter().position(|&x| x == c)? + i + 1;
            out.push(Token::Word(chars[i + 1..end].iter().collect()));
            i = end + 1;
        } else if c.is_ascii_digit()
            || (c == '-'
                && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())
                && !matches!(out.last(), Some(Token::Word(_) | Token::Num(_))))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Token::Num(text.parse().ok()?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if ["<=", ">=", "<>", "!="].contains(&two.as_str()) {
                out.push(Token::Op(two));
                i += 2;
            } else if "<>=(),".contains(c) {
                out.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(out)
}

/// Whether the first token opens a parenthesis that the last one closes.
fn wrapped(toks: &[Token]) -> bool {
    if toks.len() < 2
        || toks.first() != Some(&Token::Op("(".into()))
        || toks.last() != Some(&Token::Op(")".into()))
    {
        return false;
    }
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Token::Op(o) if o == "(" => depth += 1,
            Token::Op(o) if o == ")" => {
                depth -= 1;
                if depth == 0 && i < toks.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// The rules a check says of single columns, where it is a conjunction of simple
/// comparisons; parts it cannot read are left out (the user's values keep them).
fn read_check(expr: &str) -> Vec<(String, Rule)> {
    let Some(mut toks) = tokens(expr) else {
        return Vec::new();
    };
    while wrapped(&toks) {
        toks = toks[1..toks.len() - 1].to_vec();
    }
    let kw = |t: &Token, w: &str| matches!(t, Token::Word(x) if x.eq_ignore_ascii_case(w));
    // Split at top-level AND, except the AND of a BETWEEN.
    let mut terms: Vec<Vec<Token>> = vec![Vec::new()];
    let mut depth = 0;
    let mut between = false;
    for t in toks {
        match &t {
            Token::Op(o) if o == "(" => depth += 1,
            Token::Op(o) if o == ")" => depth -= 1,
            _ => {}
        }
        if depth == 0 && kw(&t, "or") {
            return Vec::new();
        }
        if depth == 0 && kw(&t, "between") {
            between = true;
        }
        if depth == 0 && kw(&t, "and") {
            if between {
                between = false;
            } else {
                terms.push(Vec::new());
                continue;
            }
        }
        terms.last_mut().expect("one").push(t);
    }
    let lit = |t: &Token| match t {
        Token::Num(x) => Some(Lit::Num(*x)),
        Token::Str(s) => Some(Lit::Str(s.clone())),
        _ => None,
    };
    let op = |t: &Token| match t {
        Token::Op(o) => match o.as_str() {
            "<" => Some("<"),
            "<=" => Some("<="),
            ">" => Some(">"),
            ">=" => Some(">="),
            "=" => Some("="),
            "<>" | "!=" => Some("<>"),
            _ => None,
        },
        _ => None,
    };
    let flip = |o: &'static str| match o {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        other => other,
    };
    let column = |t: &Token| match t {
        Token::Word(w)
            if !["null", "true", "false", "not"].contains(&w.to_ascii_lowercase().as_str()) =>
        {
            Some(w.clone())
        }
        _ => None,
    };
    let mut out = Vec::new();
    for term in terms {
        let mut t = term.as_slice();
        while wrapped(t) {
            t = &t[1..t.len() - 1];
        }
        let rule = match t {
            [a, o, b] => match (column(a), op(o), lit(b), lit(a), column(b)) {
                (Some(c), Some(o), Some(l), _, _) => Some((c, Rule::Compare(o, l))),
                (_, Some(o), _, Some(l), Some(c)) => Some((c, Rule::Compare(flip(o), l))),
                (Some(c), None, _, _, _) if kw(o, "like") => match b {
                    Token::Str(p) => Some((c, Rule::Like(p.clone()))),
                    _ => None,
                },
                _ => None,
            },
            [a, b, x, and, y] if kw(b, "between") && kw(and, "and") => {
                match (column(a), lit(x), lit(y)) {
                    (Some(c), Some(x), Some(y)) => Some((c, Rule::Between(x, y))),
                    _ => None,
                }
            }
            [f, open, c, close, o, Token::Num(x)]
                if matches!(f, Token::Word(w) if ["length", "char_length", "character_length", "len"].contains(&w.to_ascii_lowercase().as_str()))
                    && *open == Token::Op("(".into())
                    && *close == Token::Op(")".into()) =>
            {
                match (column(c), op(o)) {
                    (Some(c), Some(o)) => Some((c, Rule::Length(o, *x as i64))),
                    _ => None,
                }
            }
            [a, i, open, rest @ ..]
                if kw(i, "in") && *open == Token::Op("(".into()) && !rest.is_empty() =>
            {
                let items: Vec<Lit> = rest[..rest.len() - 1]
                    .iter()
                    .filter(|t| **t != Token::Op(",".into()))
                    .filter_map(lit)
                    .collect();
                column(a).map(|c| (c, Rule::In(items)))
            }
            _ => None,
        };
        if let Some(r) = rule {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_checks_are_read() {
        let rules = read_check("rating BETWEEN 1 AND 5 AND \"code\" <> 'x'");
        assert_eq!(
            rules,
            vec![
                ("rating".into(), Rule::Between(Lit::Num(1.0), Lit::Num(5.0))),
                ("code".into(), Rule::Compare("<>", Lit::Str("x".into())))
            ]
        );
        assert_eq!(
            read_check("(0 < quantity)"),
            vec![("quantity".into(), Rule::Compare(">", Lit::Num(0.0)))]
        );
        assert_eq!(
            read_check("status IN ('new', 'paid')"),
            vec![(
                "status".into(),
                Rule::In(vec![Lit::Str("new".into()), Lit::Str("paid".into())])
            )]
        );
        assert!(read_check("a > 0 OR b > 0").is_empty());
        assert_eq!(
            read_check("(n >= -50) AND (n <= -1)"),
            vec![
                ("n".into(), Rule::Compare(">=", Lit::Num(-50.0))),
                ("n".into(), Rule::Compare("<=", Lit::Num(-1.0)))
            ]
        );
        assert_eq!(
            read_check("length(name) >= 3"),
            vec![("name".into(), Rule::Length(">=", 3))]
        );
    }

    #[test]
    fn numbers_keep_the_rules_and_stay_distinct_where_the_range_allows() {
        let between = [Rule::Between(Lit::Num(1.0), Lit::Num(5.0))];
        for n in 0..20 {
            let v: i64 = number(&ColumnType::Integer, &between, n).parse().unwrap();
            assert!((1..=5).contains(&v));
        }
        let negative = [Rule::Compare("<", Lit::Num(0.0))];
        let a = number(&ColumnType::BigInt, &negative, 7);
        let b = number(&ColumnType::BigInt, &negative, 8);
        assert!(a.starts_with('-') && a != b, "{a} {b}");
        assert_eq!(number(&ColumnType::Decimal(2, 2), &[], 7), "0.07");
    }

    #[test]
    fn strings_keep_like_patterns_and_length_and_stay_distinct() {
        let like = [Rule::Like("%@%".into())];
        let a = string(&ColumnType::Varchar(255), &like, 12);
        assert!(a.contains('@'), "{a}");
        // Short columns keep values distinct over many rows.
        let short: std::collections::HashSet<String> = (0..2000)
            .map(|n| string(&ColumnType::Varchar(3), &[], n))
            .collect();
        assert_eq!(short.len(), 2000);
        assert!(short.iter().all(|s| s.len() == 3));
        let long = string(&ColumnType::Varchar(40), &[], 5);
        assert_eq!(long.len(), 40);
        let min = string(&ColumnType::Text, &[Rule::Length(">", 12)], 5);
        assert!(min.len() > 12, "{min}");
    }
}
