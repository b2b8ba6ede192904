//! Reading the TOML inputs with every value's position kept, so that each error can point
//! at the exact line and column.

pub mod change;
pub mod decl;
pub mod schema;

use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{suggestion, Diag, Location, Result, SourceFile};
use crate::sql::Dialect;

/// Parses a TOML document, turning a syntax error into a located diagnostic.
pub fn parse_document(file: &Arc<SourceFile>) -> Result<Spanned<DeTable<'_>>> {
    DeTable::parse(&file.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diag::input(format!("invalid TOML in {}", file.path))
            .at(Location::new(file, span))
            .label(e.message().trim().to_string())
            .into()
    })
}

/// Turns a serde error from `toml::from_str` into a located diagnostic, with the nearest
/// valid name suggested for an unknown field or variant.
pub fn serde_error(file: &Arc<SourceFile>, e: &toml::de::Error, what: &str) -> Diag {
    let message = e.message().trim().to_string();
    let mut diag = Diag::input(format!("invalid {what}"))
        .at(Location::new(file, e.span().unwrap_or(0..0)))
        .label(message.clone());
    if let Some(help) = unknown_name_help(&message) {
        diag = diag.help(help);
    }
    diag
}

/// From serde's "unknown field `x`, expected one of `a`, `b`" text, a suggestion.
fn unknown_name_help(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (given, expected) = rest.split_once('`')?;
    let names: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    if names.is_empty() {
        return None;
    }
    Some(suggestion(given, &names))
}

/// A TOML table being read field by field: remembers which fields were read so that the
/// rest can be reported as unknown, with the nearest known name suggested.
pub struct Fields<'a, 'i> {
    pub file: &'a Arc<SourceFile>,
    pub table: &'a DeTable<'i>,
    pub span: Range<usize>,
    /// The dialect the file is read for, where a project gives one: native types are
    /// read for it.
    pub dialect: Option<Dialect>,
    /// What the table is, for messages: "drop_column op", "column users.id".
    pub what: String,
    known: Vec<&'static str>,
    seen: HashSet<String>,
}

/// A string value with the place it was written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub location: Location,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(
        file: &'a Arc<SourceFile>,
        table: &'a DeTable<'i>,
        span: Range<usize>,
        what: impl Into<String>,
    ) -> Self {
        Fields {
            file,
            table,
            span,
            dialect: None,
            what: what.into(),
            known: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// The same table, read for `dialect`.
    pub fn read_for(mut self, dialect: Option<Dialect>) -> Self {
        self.dialect = dialect;
        self
    }

    /// A table written inside this one, read for the same dialect.
    pub fn nested<'b, 'j>(
        &self,
        table: &'b DeTable<'j>,
        span: Range<usize>,
        what: impl Into<String>,
    ) -> Fields<'b, 'j>
    where
        'a: 'b,
    {
        Fields::new(self.file, table, span, what).read_for(self.dialect)
    }

    pub fn location(&self) -> Location {
        Location::new(self.file, self.span.clone())
    }

    pub fn loc(&self, span: Range<usize>) -> Location {
        Location::new(self.file, span)
    }

    /// Looks a field up under its name or one of its aliases; the first name is the
    /// canonical one, used in messages and suggestions.
    pub fn get(&mut self, names: &[&'static str]) -> Option<&'a Spanned<DeValue<'i>>> {
        self.known.extend_from_slice(&names[..1]);
        for name in names {
            if let Some(v) = self.table.get(*name) {
                self.seen.insert((*name).to_string());
                return Some(v);
            }
        }
        None
    }

    fn type_error(&self, name: &str, value: &Spanned<DeValue<'i>>, expected: &str) -> Diag {
        Diag::input(format!("`{name}` of {} must be {expected}", self.what))
            .at(self.loc(value.span()))
            .label(format!(
                "expected {expected}, found {}",
                value.get_ref().type_str()
            ))
    }

    /// A required field is absent. When a field with a name close to it was written
    /// instead, that typo is the better error.
    pub fn missing(&self, name: &str, expected: &str) -> Diag {
        for (key, _) in self.table.iter() {
            let given = key.get_ref().as_ref();
            if !self.seen.contains(given) && crate::diag::nearest(given, [name]).is_some() {
                return Diag::input(format!("unknown field `{given}` in {}", self.what))
                    .at(self.loc(key.span()))
                    .label("unknown field")
                    .help(format!("did you mean `{name}`? ({name}: {expected})"));
            }
        }
        Diag::input(format!("{} is missing `{name}`", self.what))
            .at(self.location())
            .label(format!("`{name}` ({expected}) is required here"))
    }

    pub fn opt_str(&mut self, names: &[&'static str]) -> Result<Option<Located<String>>> {
        match self.get(names) {
            None => Ok(None),
            Some(v) => match v.get_ref().as_str() {
                Some(s) => {
                    self.refuse_nul(names[0], s, v.span())?;
                    Ok(Some(Located {
                        value: s.to_string(),
                        location: self.loc(v.span()),
                    }))
                }
                None => Err(self.type_error(names[0], v, "a string").into()),
            },
        }
    }

    /// A NUL character (`\u0000` in TOML) has no place in SQL text or a name: a file
    /// holding one is cut short or refused by the server and by other runners.
    fn refuse_nul(&self, name: &str, value: &str, span: Range<usize>) -> Result<()> {
        if !value.contains('\0') {
            return Ok(());
        }
        let written = &self.file.text[span.clone()];
        let at = ["\\u0000", "\\U00000000"]
            .iter()
            .filter_map(|e| {
                written
                    .find(e)
                    .map(|i| span.start + i..span.start + i + e.len())
            })
            .min_by_key(|r| r.start)
            .unwrap_or(span);
        Err(Diag::input(format!("`{name}` holds a NUL character"))
            .at(self.loc(at))
            .label("NUL here")
            .help("remove it: SQL text and names cannot hold a NUL character")
            .into())
    }

    pub fn str(&mut self, names: &[&'static str], expected: &str) -> Result<Located<String>> {
        self.opt_str(names)?
            .ok_or_else(|| self.missing(names[0], expected).into())
    }

    pub fn opt_bool(&mut self, names: &[&'static str]) -> Result<Option<Located<bool>>> {
        match self.get(names) {
            None => Ok(None),
            Some(v) => match v.get_ref().as_bool() {
                Some(b) => Ok(Some(Located {
                    value: b,
                    location: self.loc(v.span()),
                })),
                None => Err(self.type_error(names[0], v, "true or false").into()),
            },
        }
    }

    pub fn opt_str_list(&mut self, names: &[&'static str]) -> Result<Option<Located<Vec<String>>>> {
        let Some(v) = self.get(names) else {
            return Ok(None);
        };
        let expected = "an array of strings";
        let Some(items) = v.get_ref().as_array() else {
            return Err(self.type_error(names[0], v, expected).into());
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) => {
                    self.refuse_nul(names[0], s, item.span())?;
                    out.push(s.to_string())
                }
                None => return Err(self.type_error(names[0], item, "a string").into()),
            }
        }
        Ok(Some(Located {
            value: out,
            location: self.loc(v.span()),
        }))
    }

    /// A sub-table, with its span.
    pub fn opt_table(
        &mut self,
        names: &[&'static str],
    ) -> Result<Option<(&'a DeTable<'i>, Range<usize>)>> {
        match self.get(names) {
            None => Ok(None),
            Some(v) => match v.get_ref().as_table() {
                Some(t) => Ok(Some((t, v.span()))),
                None => Err(self.type_error(names[0], v, "a table").into()),
            },
        }
    }

    /// The raw value of a field, for fields whose type varies (literal defaults).
    pub fn opt_value(&mut self, names: &[&'static str]) -> Option<&'a Spanned<DeValue<'i>>> {
        self.get(names)
    }

    /// Declares names as known without reading them (read elsewhere).
    pub fn allow(&mut self, names: &[&'static str]) {
        self.known.extend_from_slice(names);
        for n in names {
            self.seen.insert((*n).to_string());
        }
    }

    /// Fails on the first field that nothing read, suggesting the nearest known name.
    pub fn finish(self) -> Result<()> {
        for (key, _) in self.table.iter() {
            if !self.seen.contains(key.get_ref().as_ref()) {
                let given = key.get_ref().as_ref();
                return Err(
                    Diag::input(format!("unknown field `{given}` in {}", self.what))
                        .at(self.loc(key.span()))
                        .label("unknown field")
                        .help(suggestion(given, &self.known))
                        .into(),
                );
            }
        }
        Ok(())
    }
}

/// Parses a TOML integer literal as written (radix prefixes, underscores, sign).
pub fn integer_value(value: &DeValue<'_>) -> Option<i64> {
    let int = value.as_integer()?;
    let text = int.as_str().replace('_', "");
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, text.trim_start_matches('+').to_string()),
    };
    let digits = match int.radix() {
        16 => digits.trim_start_matches("0x").to_string(),
        8 => digits.trim_start_matches("0o").to_string(),
        2 => digits.trim_start_matches("0b").to_string(),
        _ => digits,
    };
    let n = i64::from_str_radix(&digits, int.radix()).ok()?;
    Some(if neg { -n } else { n })
}
