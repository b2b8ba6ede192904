//! The introspection round trip: for random schemas (several tables, every portable
//! type with lengths and precisions, nullability, literal and SQL defaults, composite
//! primary keys, unique keys, checks, foreign keys with their actions, indexes with the
//! options each dialect has), the schema is written as the schema.toml of a fresh
//! project, its baseline generated and applied by `tandem migrate` to a fresh database
//! of SQLite, PostgreSQL and MariaDB, read back by `tandem introspect`, parsed into the
//! model, and compared with the schema written: `introspect(apply(baseline(schema)))`
//! equals `schema`.
//!
//! The models are compared, not the texts, after folding only what is the same thing
//! in the database (see `common::normal`, where each folding says why).
//!
//! 64 cases on SQLite and 12 on each server by default; `TANDEM_ROUNDTRIP_CASES` and
//! `TANDEM_ROUNDTRIP_SERVER_CASES` raise that for a longer hunt.

use crate::common;

use std::fs;

use common::normal::normal;
use common::{migrate, parse_schema_for, run, select_one, stderr, stdout, Server};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------
// The generator.

/// One portable type: how it is written from two random parameters, the literal
/// defaults (TOML) and SQL defaults it takes on every dialect, and what it may serve as.
/// A new type is one more row of [`TYPES`]; a type a dialect lacks is left out of that
/// dialect by [`TypeGen::on`].
struct TypeGen {
    write: fn(u32, u32) -> String,
    literals: fn(u32, u32) -> Vec<String>,
    sql: &'static [&'static str],
    /// A key or index column on every dialect (MySQL needs a prefix for text).
    key: bool,
    /// A whole number, usable in checks, predicates and `c + 1`.
    whole: bool,
    /// The dialects that have it; empty: all.
    only: &'static [Server],
}

impl TypeGen {
    fn on(&self, server: Server) -> bool {
        self.only.is_empty() || self.only.contains(&server)
    }
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Every portable type.
const TYPES: &[TypeGen] = &[
    TypeGen {
        write: |_, _| "smallint".into(),
        literals: |_, _| strs(&["0", "7", "-3"]),
        sql: &["1 + 2"],
        key: true,
        whole: true,
        only: &[],
    },
    TypeGen {
        write: |_, _| "integer".into(),
        literals: |_, _| strs(&["0", "42", "-2147483648"]),
        sql: &["1 + 2"],
        key: true,
        whole: true,
        only: &[],
    },
    TypeGen {
        write: |_, _| "bigint".into(),
        literals: |_, _| strs(&["0", "9007199254740993", "-1"]),
        sql: &["2 * 3"],
        key: true,
        whole: true,
        only: &[],
    },
    TypeGen {
        write: |_, _| "boolean".into(),
        literals: |_, _| strs(&["true", "false"]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "real".into(),
        literals: |_, _| strs(&["1.5", "-0.25", "0"]),
        sql: &[],
        key: false,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "double".into(),
        literals: |_, _| strs(&["2.5", "0.125", "-8"]),
        sql: &[],
        key: false,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |p, s| {
            let (p, s) = decimal(p, s);
            format!("decimal({p},{s})")
        },
        literals: |p, s| {
            let (_, s) = decimal(p, s);
            if s > 1 {
                strs(&["0", "1.5", "-2.25"])
            } else if s == 1 {
                strs(&["0", "1.5", "-2.5"])
            } else {
                strs(&["0", "12", "-1"])
            }
        },
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "text".into(),
        literals: |_, _| strs(&["\"\"", "\"it's\"", "\"caf\u{e9}\"", "\"back\\\\slash\""]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        // Long enough for every literal below (`two\nlines` is 9).
        write: |n, _| format!("varchar({})", 9 + n % 247),
        literals: |_, _| strs(&["\"free\"", "\"o'k\"", "\"\"", "\"two\\nlines\""]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |n, _| format!("char({})", 4 + n % 20),
        literals: |_, _| strs(&["\"ab\"", "\"abcd\""]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "date".into(),
        literals: |_, _| strs(&["\"2024-01-31\"", "\"1999-12-31\""]),
        sql: &["CURRENT_DATE"],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "time".into(),
        literals: |_, _| strs(&["\"08:30:00\"", "\"23:59:59.5\""]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "timestamp".into(),
        literals: |_, _| strs(&["\"2024-01-31 08:30:00\"", "\"2001-02-03 04:05:06.25\""]),
        sql: &["CURRENT_TIMESTAMP"],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "timestamptz".into(),
        literals: |_, _| strs(&["\"2024-01-31 08:30:00\""]),
        sql: &["CURRENT_TIMESTAMP"],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "uuid".into(),
        literals: |_, _| strs(&["\"123e4567-e89b-12d3-a456-426614174000\""]),
        sql: &[],
        key: true,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "json".into(),
        literals: |_, _| strs(&["\"{}\"", "\"[]\""]),
        sql: &[],
        key: false,
        whole: false,
        only: &[],
    },
    TypeGen {
        write: |_, _| "binary".into(),
        literals: |_, _| strs(&["\"abc\""]),
        sql: &[],
        key: false,
        whole: false,
        only: &[],
    },
    // Native types of each dialect, and mappings (written as a TOML table).
    TypeGen {
        write: |_, _| "jsonb".into(),
        literals: |_, _| strs(&["\"{}\""]),
        sql: &[],
        key: false,
        whole: false,
        only: &[Server::Postgres],
    },
    TypeGen {
        write: |n, _| if n % 2 == 0 { "integer[]" } else { "text[]" }.into(),
        literals: |_, _| strs(&["\"{}\""]),
        sql: &[],
        key: false,
        whole: false,
        only: &[Server::Postgres],
    },
    TypeGen {
        write: |n, _| ["timetz", "interval", "inet", "cidr", "macaddr"][n as usize % 5].into(),
        literals: |n, _| {
            strs(&[[
                "\"08:30:00+02\"",
                "\"1 day 02:00:00\"",
                "\"10.0.0.1\"",
                "\"10.0.0.0/8\"",
                "\"08:00:2b:01:02:03\"",
            ][n as usize % 5]])
        },
        sql: &[],
        key: true,
        whole: false,
        only: &[Server::Postgres],
    },
    TypeGen {
        write: |n, _| ["numeric", "bytea", "double precision", "int4"][n as usize % 4].into(),
        literals: |n, _| strs(&[["1.5", "\"abc\"", "2.5", "7"][n as usize % 4]]),
        sql: &[],
        key: false,
        whole: false,
        only: &[Server::Postgres],
    },
    TypeGen {
        write: |n, _| {
            ["mediumtext", "tinytext", "longblob", "varbinary(16)"][n as usize % 4].into()
        },
        literals: |n, _| match n % 4 {
            0 | 1 => strs(&["\"it's\""]),
            _ => Vec::new(),
        },
        sql: &[],
        key: false,
        whole: false,
        only: &[Server::Mysql],
    },
    TypeGen {
        write: |n, _| {
            ["int unsigned", "tinyint", "mediumint", "bigint unsigned"][n as usize % 4].into()
        },
        literals: |_, _| strs(&["0", "7"]),
        sql: &[],
        key: true,
        whole: false,
        only: &[Server::Mysql],
    },
    TypeGen {
        write: |n, _| ["datetime", "tinyint(1)", "double", "float", "year"][n as usize % 5].into(),
        // None for tinyint(1), which reads back as boolean.
        literals: |n, _| match n % 5 {
            1 => Vec::new(),
            i => strs(&[["\"2024-01-31 08:30:00\"", "", "2.5", "1.5", "\"2024\""][i as usize]]),
        },
        sql: &[],
        key: true,
        whole: false,
        only: &[Server::Mysql],
    },
    TypeGen {
        write: |n, _| ["blob", "numeric", "int"][n as usize % 3].into(),
        literals: |n, _| match n % 3 {
            0 => Vec::new(),
            _ => strs(&["7"]),
        },
        sql: &[],
        key: false,
        whole: false,
        only: &[Server::Sqlite],
    },
    TypeGen {
        write: |n, _| {
            [
                "{ postgres = \"jsonb\", mysql = \"json\", sqlite = \"text\" }",
                "{ postgres = \"inet\", mysql = \"varchar(45)\", sqlite = \"text\" }",
            ][n as usize % 2]
                .into()
        },
        literals: |_, _| Vec::new(),
        sql: &[],
        key: false,
        whole: false,
        only: &[],
    },
];

/// A precision of 4 to 12 and a scale below it, at most 4.
fn decimal(p: u32, s: u32) -> (u32, u32) {
    let p = 4 + p % 9;
    (p, s % 5.min(p))
}

/// Column names that are SQL keywords.
const KEYWORDS: &[&str] = &["order", "key", "group", "select", "user", "index"];

/// The primary key's types: whole numbers and short strings, on every dialect.
const KEY_TYPES: &[&str] = &["bigint", "integer", "varchar(40)", "uuid"];

#[derive(Debug, Clone)]
struct ColPick {
    ty: usize,
    p1: u32,
    p2: u32,
    nullable: bool,
    /// 0: none, 1..: a literal default, else an SQL one where the type has one.
    default: u8,
}

#[derive(Debug, Clone)]
struct IndexPick {
    columns: Vec<u8>,
    desc: Vec<bool>,
    unique: bool,
    /// Which option of the dialect's to add, if any.
    option: u8,
    arg: u8,
}

#[derive(Debug, Clone)]
struct TablePick {
    key: Vec<usize>,
    columns: Vec<ColPick>,
    uniques: Vec<Vec<u8>>,
    checks: Vec<u8>,
    /// A foreign key to an earlier table: (parent, on_delete, on_update, deferrable,
    /// nullable).
    fk: Option<(u8, u8, u8, u8, bool)>,
    indexes: Vec<IndexPick>,
    /// Bits: 1 identity key, 2 an enum column, 4 its default, 8 it nullable, 16 a table
    /// comment, 32 a column comment, 64 a primary key that starts with a plain column,
    /// 128 an identity column that is not the key (Postgres).
    extra: u32,
}

fn col_pick() -> impl Strategy<Value = ColPick> {
    (
        0..TYPES.len(),
        any::<u32>(),
        any::<u32>(),
        any::<bool>(),
        0..6u8,
    )
        .prop_map(|(ty, p1, p2, nullable, default)| ColPick {
            ty,
            p1,
            p2,
            nullable,
            default,
        })
}

fn index_pick() -> impl Strategy<Value = IndexPick> {
    (
        proptest::collection::vec(any::<u8>(), 1..=2),
        proptest::collection::vec(any::<bool>(), 2),
        proptest::bool::weighted(0.3),
        0..8u8,
        any::<u8>(),
    )
        .prop_map(|(columns, desc, unique, option, arg)| IndexPick {
            columns,
            desc,
            unique,
            option,
            arg,
        })
}

fn table_pick() -> impl Strategy<Value = TablePick> {
    (
        proptest::collection::vec(0..KEY_TYPES.len(), 1..=2),
        proptest::collection::vec(col_pick(), 1..=7),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..=2), 0..=1),
        proptest::collection::vec(any::<u8>(), 0..=2),
        proptest::option::weighted(0.6, (any::<u8>(), 0..5u8, 0..5u8, 0..3u8, any::<bool>())),
        proptest::collection::vec(index_pick(), 0..=3),
        any::<u32>(),
    )
        .prop_map(
            |(key, columns, uniques, checks, fk, indexes, extra)| TablePick {
                key,
                columns,
                uniques,
                checks,
                fk,
                indexes,
                extra,
            },
        )
}

fn case() -> impl Strategy<Value = Vec<TablePick>> {
    proptest::collection::vec(table_pick(), 1..=4)
}

/// A column as written into schema.toml.
struct Col {
    name: String,
    ty: String,
    gen: Option<&'static TypeGen>,
    nullable: bool,
    default: Option<String>,
}

/// The schema.toml of `picks` for `server`: every choice is turned into what that
/// dialect supports (an option it lacks is not written).
fn schema_toml(server: Server, picks: &[TablePick]) -> String {
    let types: Vec<&'static TypeGen> = TYPES.iter().filter(|t| t.on(server)).collect();
    let mut out = String::new();
    let mut enums = String::new();
    // Each table's key columns with their types, for the foreign keys that follow.
    let mut keys: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (n, pick) in picks.iter().enumerate() {
        let t = format!("t{n}");
        let mut cols: Vec<Col> = Vec::new();
        let mut key_names: Vec<String> = (0..pick.key.len())
            .map(|i| if i == 0 { "id".into() } else { format!("k{i}") })
            .collect();
        let mut key_types: Vec<String> = pick.key.iter().map(|k| KEY_TYPES[*k].into()).collect();
        // An identity key: one whole-number column.
        let identity = pick.extra & 1 != 0
            && pick.key.len() == 1
            && matches!(KEY_TYPES[pick.key[0]], "bigint" | "integer");
        for (name, k) in key_names.iter().zip(&pick.key) {
            cols.push(Col {
                name: name.clone(),
                ty: KEY_TYPES[*k].into(),
                gen: None,
                nullable: false,
                default: identity.then(|| "identity = true".to_string()),
            });
        }
        for (i, c) in pick.columns.iter().enumerate() {
            let gen = types[c.ty % types.len()];
            let literals = (gen.literals)(c.p1, c.p2);
            let default = match c.default {
                0 | 1 => None,
                _ if literals.is_empty() => None,
                2 if !gen.sql.is_empty() => Some(format!(
                    "default_sql = {}",
                    toml_str(gen.sql[c.p2 as usize % gen.sql.len()])
                )),
                d => Some(format!(
                    "default = {}",
                    literals[(d as usize + c.p1 as usize) % literals.len()]
                )),
            };
            // Now and then a name that is an SQL keyword, which every statement and
            // catalogue query must quote (not one that checks and expressions name).
            let keyword = KEYWORDS[c.p1 as usize % KEYWORDS.len()];
            let name = if c.p2 % 5 == 0
                && !gen.whole
                && (gen.write)(0, 0) != "text"
                && !cols.iter().any(|x| x.name == keyword)
            {
                keyword.to_string()
            } else {
                format!("c{i}")
            };
            cols.push(Col {
                name,
                ty: (gen.write)(c.p1, c.p2),
                gen: Some(gen),
                nullable: c.nullable,
                default,
            });
        }
        // An enum column: a Postgres enum type; MySQL's ENUM(...) of the column, which
        // introspect names `<table>_<column>`; SQLite's text.
        // SQLite keeps an enum column as text.
        if pick.extra & 2 != 0 {
            let e = format!("{t}_st");
            enums.push_str(&format!(
                "[enums.{e}]\nvalues = [\"new\", \"it's\", \"done\"]\n\n"
            ));
            cols.push(Col {
                name: "st".into(),
                ty: e,
                gen: None,
                nullable: pick.extra & 8 != 0,
                default: (pick.extra & 4 != 0).then(|| "default = \"it's\"".to_string()),
            });
        }
        // Postgres numbers any integer column: an identity column that is not the key.
        if pick.extra & 128 != 0 && !identity && server == Server::Postgres {
            if let Some(c) = cols.iter_mut().find(|c| {
                c.gen.is_some_and(|g| g.whole)
                    && matches!(c.ty.as_str(), "smallint" | "integer" | "bigint")
            }) {
                c.nullable = false;
                c.default = Some("identity = true".into());
            }
        }
        // Comments, with a quote, a backslash and a non-ASCII letter.
        let comments = server != Server::Sqlite;
        if comments && pick.extra & 32 != 0 {
            if let Some(c) = cols.iter_mut().find(|c| c.gen.is_some()) {
                let text = toml_str(&comment_text(server, "the column's"));
                c.default = Some(match c.default.take() {
                    Some(d) => format!("{d}, comment = {text}"),
                    None => format!("comment = {text}"),
                });
            }
        }
        // A primary key that starts with a plain column.
        if pick.extra & 64 != 0 && !identity {
            let keyable = |c: &Col| {
                c.gen.is_some_and(|g| g.key && !g.whole)
                    && !c.ty.starts_with('{')
                    && (server != Server::Mysql || c.ty != "text")
            };
            if let Some(c) = cols.iter_mut().find(|c| keyable(c)) {
                c.nullable = false;
                key_names.insert(0, c.name.clone());
                key_types.insert(0, c.ty.clone());
            }
        }
        // A foreign key to an earlier table's primary key, over new columns of its types.
        let mut fk_text = String::new();
        if let (Some((parent, on_delete, on_update, deferrable, nullable)), true) = (pick.fk, n > 0)
        {
            let (parent, parent_key) = &keys[parent as usize % keys.len()];
            let mut fk_cols = Vec::new();
            for (pk_col, ty) in parent_key {
                let name = format!("{parent}_{pk_col}");
                fk_cols.push(name.clone());
                cols.push(Col {
                    name,
                    ty: ty.clone(),
                    gen: None,
                    nullable,
                    default: None,
                });
            }
            fk_text.push_str(&format!(
                "\n[[tables.{t}.constraints]]\ntype = \"foreign_key\"\nname = \"{t}_{parent}_fk\"\ncolumns = {}\nreferences = \"{parent}({})\"\n",
                list(&fk_cols),
                parent_key
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            let actions: &[&str] = &["cascade", "restrict", "no action", "set null"];
            if on_delete > 0 {
                let a = actions[(on_delete as usize - 1) % actions.len()];
                if a != "set null" || nullable {
                    fk_text.push_str(&format!("on_delete = \"{a}\"\n"));
                }
            }
            if on_update > 0 {
                let a = actions[(on_update as usize - 1) % actions.len()];
                if a != "set null" || nullable {
                    fk_text.push_str(&format!("on_update = \"{a}\"\n"));
                }
            }
            if server == Server::Postgres {
                match deferrable {
                    1 => fk_text.push_str("deferrable = true\n"),
                    2 => fk_text.push_str("initially_deferred = true\n"),
                    _ => {}
                }
            }
        }
        out.push_str(&format!(
            "[tables.{t}]\nprimary_key = {}\n",
            list(&key_names)
        ));
        if comments && pick.extra & 16 != 0 {
            out.push_str(&format!(
                "comment = {}\n",
                toml_str(&format!("{} {t}", comment_text(server, "table \"x\"")))
            ));
        }
        out.push_str(&format!("\n[tables.{t}.columns]\n"));
        for c in &cols {
            let ty = if c.ty.starts_with('{') {
                c.ty.clone()
            } else {
                toml_str(&c.ty)
            };
            let mut fields = vec![format!("type = {ty}")];
            if c.nullable {
                fields.push("nullable = true".into());
            }
            fields.extend(c.default.clone());
            out.push_str(&format!("{} = {{ {} }}\n", c.name, fields.join(", ")));
        }
        out.push_str(&fk_text);
        // Columns that every dialect indexes whole, and the whole-number ones.
        let plain: Vec<&Col> = cols
            .iter()
            .filter(|c| c.gen.is_some_and(|g| g.key))
            .collect();
        let whole: Vec<&Col> = cols
            .iter()
            .filter(|c| c.gen.is_some_and(|g| g.whole))
            .collect();
        let keyable = |c: &Col| server != Server::Mysql || c.ty != "text";
        for (u, pick_cols) in pick.uniques.iter().enumerate() {
            let chosen = pick_from(&plain, pick_cols, |c| keyable(c));
            if !chosen.is_empty() {
                out.push_str(&format!(
                    "\n[[tables.{t}.constraints]]\ntype = \"unique\"\nname = \"{t}_u{u}\"\ncolumns = {}\n",
                    list(&chosen.iter().map(|c| c.name.clone()).collect::<Vec<_>>())
                ));
            }
        }
        for (k, check) in pick.checks.iter().enumerate() {
            let Some(c) = (!whole.is_empty()).then(|| whole[*check as usize % whole.len()]) else {
                break;
            };
            let expr = match check % 4 {
                0 => format!("{} >= 0", c.name),
                1 => format!("{0} > -5 AND {0} < 100", c.name),
                2 => format!("{0} IS NULL OR {0} <> 13", c.name),
                _ => format!("({0} > 1 OR {0} < -1) AND {0} <> 50", c.name),
            };
            out.push_str(&format!(
                "\n[[tables.{t}.constraints]]\ntype = \"check\"\nname = \"{t}_ck{k}\"\ncheck = {}\n",
                toml_str(&expr)
            ));
        }
        for (x, ix) in pick.indexes.iter().enumerate() {
            if let Some(text) = index_toml(server, &t, x, ix, &plain, &whole, &cols) {
                out.push_str(&text);
            }
        }
        out.push('\n');
        keys.push((
            t.clone(),
            key_names.iter().cloned().zip(key_types).collect(),
        ));
    }
    enums + &out
}

/// A comment's text: with a backslash and a non-ASCII letter on Postgres; MySQL takes
/// only printable ASCII without a backslash (tandem refuses the rest).
fn comment_text(server: Server, text: &str) -> String {
    if server == Server::Postgres {
        format!("{text} \\ n\u{e9}e")
    } else {
        format!("{text} 'x'")
    }
}

/// Distinct columns of `from` chosen by `picks`, keeping only those `ok` accepts.
fn pick_from<'a>(from: &[&'a Col], picks: &[u8], ok: impl Fn(&Col) -> bool) -> Vec<&'a Col> {
    let mut chosen: Vec<&Col> = Vec::new();
    if from.is_empty() {
        return chosen;
    }
    for p in picks {
        let c = from[*p as usize % from.len()];
        if ok(c) && !chosen.iter().any(|x| x.name == c.name) {
            chosen.push(c);
        }
    }
    chosen
}

/// One index of table `t` with the option `ix.option` picks, where the dialect has it.
fn index_toml(
    server: Server,
    t: &str,
    x: usize,
    ix: &IndexPick,
    plain: &[&Col],
    whole: &[&Col],
    cols: &[Col],
) -> Option<String> {
    let text_cols: Vec<&Col> = cols.iter().filter(|c| c.ty == "text").collect();
    let varchar = |c: &Col| {
        c.ty.strip_prefix("varchar(")
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.parse::<u32>().ok())
    };
    let mut fields: Vec<String> = Vec::new();
    let mut unique = ix.unique;
    let mut desc_ok = true;
    // Key columns: MySQL indexes text only by a prefix.
    let keyable = |c: &Col| server != Server::Mysql || c.ty != "text";
    let mut chosen = pick_from(plain, &ix.columns, keyable);
    let mut parts: Vec<String> = Vec::new();
    match (server, ix.option) {
        // Postgres: a partial index, a method, INCLUDE, an expression, an operator class.
        (Server::Postgres | Server::Sqlite, 1) if !whole.is_empty() => {
            let c = whole[ix.arg as usize % whole.len()];
            fields.push(format!(
                "where = {}",
                toml_str(&if ix.arg % 2 == 0 {
                    format!("{} > 0", c.name)
                } else {
                    format!("{} IS NOT NULL", c.name)
                })
            ));
        }
        (Server::Postgres, 2) => {
            // hash: one column, not unique; brin: not unique, not sorted.
            let cheap = |c: &Col| {
                matches!(c.ty.as_str(), "integer" | "bigint" | "text" | "date")
                    || c.ty.starts_with("varchar")
            };
            chosen = pick_from(plain, &ix.columns, cheap);
            if ix.arg % 2 == 0 {
                chosen.truncate(1);
                fields.push("method = \"hash\"".into());
            } else {
                fields.push("method = \"brin\"".into());
            }
            unique = false;
            desc_ok = false;
        }
        (Server::Postgres, 3) => {
            let rest: Vec<&Col> = cols
                .iter()
                .filter(|c| !chosen.iter().any(|k| k.name == c.name) && c.gen.is_some())
                .collect();
            if let Some(c) = rest.get(ix.arg as usize % rest.len().max(1)) {
                fields.push(format!("include = [\"{}\"]", c.name));
            }
        }
        (Server::Postgres | Server::Sqlite, 4) => {
            if !text_cols.is_empty() && ix.arg % 2 == 0 {
                let c = text_cols[ix.arg as usize % text_cols.len()];
                fields.push(format!("expressions = [\"lower({})\"]", c.name));
            } else if !whole.is_empty() {
                let c = whole[ix.arg as usize % whole.len()];
                fields.push(format!("expressions = [\"{} + 1\"]", c.name));
            }
        }
        (Server::Postgres, 5) if !text_cols.is_empty() => {
            let c = text_cols[ix.arg as usize % text_cols.len()];
            if !chosen.iter().any(|k| k.name == c.name) {
                chosen.insert(0, c);
            }
            fields.push(format!("opclass = {{ {} = \"text_pattern_ops\" }}", c.name));
        }
        // MySQL: prefix lengths (text needs one), FULLTEXT.
        (Server::Mysql, 1 | 2) => {
            let prefixable: Vec<&Col> = cols
                .iter()
                .filter(|c| c.ty == "text" || varchar(c).is_some_and(|n| n > 8))
                .collect();
            if let Some(c) = prefixable.get(ix.arg as usize % prefixable.len().max(1)) {
                let n = 1 + ix.arg as u32 % varchar(c).map_or(100, |n| n - 1);
                chosen.retain(|k| k.name != c.name);
                chosen.push(c);
                parts = chosen
                    .iter()
                    .map(|k| {
                        if k.name == c.name {
                            format!("{}({n})", k.name)
                        } else {
                            k.name.clone()
                        }
                    })
                    .collect();
            }
        }
        (Server::Mysql, 3) => {
            let words: Vec<&Col> = cols
                .iter()
                .filter(|c| c.ty == "text" || varchar(c).is_some())
                .collect();
            chosen = pick_from(&words, &ix.columns, |_| true);
            if chosen.is_empty() {
                return None;
            }
            fields.push("fulltext = true".into());
            unique = false;
            desc_ok = false;
        }
        (_, 6) => fields.push("method = \"btree\"".into()),
        _ => {}
    }
    let has_expression = fields.iter().any(|f| f.starts_with("expressions"));
    if chosen.is_empty() && !has_expression {
        return None;
    }
    if parts.is_empty() {
        parts = chosen
            .iter()
            .zip(ix.desc.iter().chain(std::iter::repeat(&false)))
            .map(|(c, d)| {
                if *d && desc_ok {
                    format!("{} DESC", c.name)
                } else {
                    c.name.clone()
                }
            })
            .collect();
    }
    let mut text = format!("\n[[tables.{t}.indexes]]\nname = \"{t}_ix{x}\"\n");
    if !parts.is_empty() {
        text.push_str(&format!("columns = {}\n", list(&parts)));
    }
    if unique {
        text.push_str("unique = true\n");
    }
    for f in fields {
        text.push_str(&f);
        text.push('\n');
    }
    Some(text)
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| toml_str(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

// ---------------------------------------------------------------------------------
// The comparison.

// ---------------------------------------------------------------------------------
// The round trip.

/// Applies `schema` through a fresh project's baseline to a fresh database of `server`,
/// reads it back, and compares. `Ok(false)`: the server is not reachable (skipped).
fn round_trip(server: Server, schema: &str) -> Result<bool, String> {
    let Some(scratch) = server.fresh() else {
        return Ok(false);
    };
    let dir = common::project_files(
        server.dialect(),
        schema,
        &[("0001_start.toml", &select_one("1.0.0"))],
    );
    let p = dir.path();
    let generate = run(p, &["generate"]);
    if !generate.status.success() {
        return Err(format!("generate: {}\n{schema}", stderr(&generate)));
    }
    let url = common::database_url(server, &scratch, p);
    let migrated = migrate(p, &url, "1.0.0", "expand");
    if !migrated.status.success() {
        let baseline =
            fs::read_to_string(p.join("migrations/V1__baseline.sql")).unwrap_or_default();
        return Err(format!(
            "migrate: {}\n{schema}\n{baseline}",
            stderr(&migrated)
        ));
    }
    let text = common::introspect(p, &url).map_err(|e| format!("introspect: {e}\n{schema}"))?;
    // The same reading, through drift and adopt: the database the baseline made has no
    // drift from the plan, and a copy of it without its history is adopted.
    let drift = run(p, &["diff", "--database-url", &url]);
    if drift.status.code() != Some(0) {
        return Err(format!(
            "{}: drift on the database the baseline made: {}{}\n{schema}",
            server.dialect(),
            stdout(&drift),
            stderr(&drift)
        ));
    }
    let adopt = common::adopt(p, &url, "1.0.0", "expand");
    if !adopt.status.success() {
        return Err(format!(
            "{}: the database the baseline made is not adopted: {}\n{schema}",
            server.dialect(),
            stderr(&adopt)
        ));
    }
    let back = parse_schema_for(server, "introspected.toml", &text)
        .map_err(|e| format!("the output does not parse: {e}\n{text}"))?;
    let written = parse_schema_for(server, "schema.toml", schema)
        .map_err(|e| format!("the generated schema does not parse: {e}\n{schema}"))?;
    let (got, want) = (normal(&back, server), normal(&written, server));
    if got != want {
        let mut lines = Vec::new();
        for (name, w) in &want.tables {
            match got.tables.get(name) {
                None => lines.push(format!("table {name} missing")),
                Some(g) if g != w => {
                    lines.push(format!("{name}:\n  read    {g:?}\n  written {w:?}"))
                }
                _ => {}
            }
        }
        if got.enums != want.enums {
            lines.push(format!(
                "enums:\n  read    {:?}\n  written {:?}",
                got.enums, want.enums
            ));
        }
        return Err(format!(
            "{}: read back differs:\n{}\n--- written:\n{schema}\n--- read:\n{text}",
            server.dialect(),
            lines.join("\n")
        ));
    }
    Ok(true)
}

fn config(var: &str, default: u32) -> ProptestConfig {
    ProptestConfig {
        // Each shrinking step makes a database: keep a failure's hunt short.
        max_shrink_iters: 64,
        ..common::proptest_config(var, default)
    }
}

proptest! {
    #![proptest_config(config("TANDEM_ROUNDTRIP_CASES", 64))]

    #[test]
    fn a_random_schema_reads_back_the_same_on_sqlite(picks in case()) {
        let schema = schema_toml(Server::Sqlite, &picks);
        if let Err(e) = round_trip(Server::Sqlite, &schema) {
            prop_assert!(false, "{}", e);
        }
    }
}

proptest! {
    #![proptest_config(config("TANDEM_ROUNDTRIP_SERVER_CASES", 12))]

    #[test]
    fn a_random_schema_reads_back_the_same_on_postgres(picks in case()) {
        let schema = schema_toml(Server::Postgres, &picks);
        if let Err(e) = round_trip(Server::Postgres, &schema) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn a_random_schema_reads_back_the_same_on_mariadb(picks in case()) {
        let schema = schema_toml(Server::Mysql, &picks);
        if let Err(e) = round_trip(Server::Mysql, &schema) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The generator is exercised, not skipped: a fixed case with every type, a composite
/// key, a foreign key with actions, checks, a unique key and every index option of each
/// dialect reads back the same on every database.
#[test]
fn a_schema_with_every_type_and_option_reads_back_the_same() {
    let all_types: Vec<ColPick> = (0..TYPES.len())
        .map(|ty| ColPick {
            ty,
            p1: ty as u32 * 7,
            p2: ty as u32,
            nullable: ty % 2 == 0,
            default: (ty % 5) as u8 + 1,
        })
        .collect();
    let index = |option: u8, unique: bool| IndexPick {
        columns: vec![1, 2],
        desc: vec![true, false],
        unique,
        option,
        arg: option * 3,
    };
    let picks = vec![
        TablePick {
            key: vec![0, 2],
            columns: all_types,
            uniques: vec![vec![0, 3]],
            checks: vec![0, 1, 2, 3],
            fk: None,
            indexes: (0..7).map(|o| index(o, o == 0)).collect(),
            extra: 2 | 4 | 16 | 32 | 64,
        },
        TablePick {
            key: vec![1],
            columns: vec![ColPick {
                ty: 7,
                p1: 0,
                p2: 0,
                nullable: true,
                default: 0,
            }],
            uniques: vec![],
            checks: vec![],
            fk: Some((0, 1, 1, 1, true)),
            indexes: vec![index(1, false)],
            extra: 1 | 2 | 8 | 16,
        },
    ];
    let mut ran = 0;
    for server in Server::ALL {
        let schema = schema_toml(server, &picks);
        assert!(schema.contains("[[tables.t0.indexes]]"), "{schema}");
        match round_trip(server, &schema) {
            Ok(true) => ran += 1,
            Ok(false) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(ran >= 1);
}
