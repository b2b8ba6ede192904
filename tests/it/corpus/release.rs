//! One release of ordinary changes on an adopted real schema, with rows in the table it
//! changes, through both phases of every release on the adopted database itself: a NOT
//! NULL column added with a backfill, a column renamed, a column dropped, a partial and an
//! expression index (Postgres; MariaDB has neither, so a plain one), a foreign key over a
//! column the release before writes, repaired before it is enforced, and that column's
//! int -> bigint keeping its name. Rows are
//! written as each release's code writes them while the rollout runs, and read back after
//! each step: what the old code wrote arrives under the new names, the backfill covers
//! every row, the repair nulls exactly the references to no row. The table is chosen
//! from the schema: the first (by name) that such rows can be made up for without the
//! application (no checks, no triggers, no views or routines naming it, no NOT NULL
//! reference to fill).

use std::path::Path;

use tandem::apply::database::Database;
use tandem::model::{ConstraintKind, Schema, Table};
use tandem::sql::text::{quote, string_literal};
use tandem::sql::Dialect;
use tandem::types::ColumnType;

use crate::common;

/// What the release changes: one table, its key and two plain columns.
pub struct Chosen {
    table: String,
    key: String,
    /// The key's type as a change file writes it.
    key_type: String,
    /// Whether inserts give the key (it is not an identity).
    key_given: bool,
    /// The largest value of the key's type.
    key_max: i64,
    /// NOT NULL columns without a default (besides the key): every insert writes them.
    required: Vec<(String, ColumnType)>,
    /// Renamed to `corpus_renamed`.
    renamed: (String, ColumnType),
    /// Dropped.
    dropped: (String, ColumnType),
}

/// The first table the release can change, or why none fits.
pub fn choose(schema: &Schema, db: &mut Database) -> Result<Chosen, String> {
    let dialect = db.dialect();
    let texts = texts_naming_columns(db)?;
    let mut names: Vec<&String> = schema.tables.keys().collect();
    names.sort();
    let mut why = Vec::new();
    for name in names {
        let table = &schema.tables[name];
        if table.engine.is_some() || texts.iter().any(|t| t == &format!("rls:{name}")) {
            continue;
        }
        match fits(schema, table, dialect, &texts) {
            Ok(chosen) => return Ok(chosen),
            Err(reason) => why.push(format!("{name}: {reason}")),
        }
    }
    Err(format!(
        "no table of the schema fits the ordinary release (an integer key, two columns \
         that no key, index, check, view, routine or trigger names, and values that can be \
         made up for every NOT NULL column):\n  {}",
        why.join("\n  ")
    ))
}

/// Whether `text` names `word` as a whole word (case-insensitive).
fn names_word(text: &str, word: &str) -> bool {
    let (text, word) = (text.to_lowercase(), word.to_lowercase());
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(&word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// The chosen table when `table` has what the release needs.
fn fits(
    schema: &Schema,
    table: &Table,
    dialect: Dialect,
    texts: &[String],
) -> Result<Chosen, String> {
    let [key] = table.primary_key.as_slice() else {
        return Err("no one-column key".into());
    };
    let key_column = table.columns.iter().find(|c| &c.name == key).unwrap();
    let (key_type, key_max) = match &key_column.ty {
        ColumnType::Integer => ("integer".to_string(), i32::MAX as i64),
        ColumnType::BigInt => ("bigint".to_string(), i64::MAX),
        ty @ ColumnType::Native(n) => match n.kin() {
            tandem::types::Kin::Integer(max) => (tandem::sql::types::type_name(dialect, ty), max),
            _ => return Err("a key not of an integer type".into()),
        },
        _ => return Err("a key not of an integer type".into()),
    };
    let free = |name: &str| {
        !used_by_keys_or_indexes(schema, table, name)
            && !texts.iter().any(|t| names_word(t, name))
            && !name.to_lowercase().starts_with("corpus")
    };
    // Plain text first: its values read back as written.
    let mut candidates: Vec<&tandem::model::Column> = table
        .columns
        .iter()
        .filter(|c| &c.name != key && fillable(&c.ty) && free(&c.name))
        .collect();
    candidates.sort_by_key(|c| !matches!(c.ty, ColumnType::Text | ColumnType::Varchar(_)));
    let [renamed, dropped, ..] = candidates.as_slice() else {
        return Err(format!("{} free column(s)", candidates.len()));
    };
    // A reference the inserts leave out must stay NULL: a default would point nowhere.
    if let Some(c) = table
        .columns
        .iter()
        .find(|c| in_foreign_key(table, &c.name) && (!c.nullable || c.default.is_some()))
    {
        return Err(format!("reference {} is NOT NULL or has a default", c.name));
    }
    // A check may read what the rows leave out (`num_nonnulls(a, b) = 1`).
    if let Some(c) = table
        .constraints
        .iter()
        .find(|c| matches!(c.kind, ConstraintKind::Check { .. }))
    {
        return Err(format!("check {}", c.name));
    }
    let mut required = Vec::new();
    for c in table
        .columns
        .iter()
        .filter(|c| &c.name != key && c.name != renamed.name && c.name != dropped.name)
    {
        // A column a unique key covers is written too: rows leaving it out would share
        // its default.
        if !c.may_be_omitted() || in_unique_key(schema, table, &c.name) {
            if !fillable(&c.ty) || in_foreign_key(table, &c.name) {
                return Err(format!("no value to make up for NOT NULL {}", c.name));
            }
            required.push((c.name.clone(), c.ty.clone()));
        }
    }
    Ok(Chosen {
        table: table.name.clone(),
        key: key.clone(),
        key_type,
        key_given: !key_column.is_identity(),
        key_max,
        required,
        renamed: (renamed.name.clone(), renamed.ty.clone()),
        dropped: (dropped.name.clone(), dropped.ty.clone()),
    })
}

fn fillable(ty: &ColumnType) -> bool {
    use ColumnType::*;
    matches!(
        ty,
        Boolean
            | SmallInt
            | Integer
            | BigInt
            | Real
            | Double
            | Decimal(..)
            | Text
            | Varchar(_)
            | Date
            | Time
            | Timestamp
            | TimestampTz
            | Uuid
            | Enum(_)
    )
}

fn in_unique_key(schema: &Schema, table: &Table, column: &str) -> bool {
    let unique_constraint = table.constraints.iter().any(|c| match &c.kind {
        ConstraintKind::Unique { columns } => columns.iter().any(|x| x == column),
        _ => false,
    });
    let unique_index = schema.indexes.values().any(|i| {
        i.table == table.name
            && i.unique
            && i.columns
                .iter()
                .any(|x| x.split(['(', ' ']).next() == Some(column))
    });
    unique_constraint || unique_index
}

fn in_foreign_key(table: &Table, column: &str) -> bool {
    table.constraints.iter().any(|c| match &c.kind {
        ConstraintKind::ForeignKey { columns, .. } => columns.iter().any(|x| x == column),
        _ => false,
    })
}

/// Whether a key, constraint or index of the schema names `column` of `table`, or a
/// foreign key references it.
fn used_by_keys_or_indexes(schema: &Schema, table: &Table, column: &str) -> bool {
    let named = |s: &str| s.to_lowercase().contains(&column.to_lowercase());
    let in_constraints = table.constraints.iter().any(|c| match &c.kind {
        ConstraintKind::Check { expr } => named(expr),
        ConstraintKind::Unique { columns } => columns.iter().any(|x| named(x)),
        ConstraintKind::ForeignKey { columns, .. } => columns.iter().any(|x| named(x)),
    });
    let in_indexes = schema.indexes.values().any(|i| {
        i.table == table.name
            && (i.columns.iter().any(|x| named(x))
                || i.options.include.iter().any(|x| named(x))
                || i.options.expressions.iter().any(|x| named(x))
                || i.options.predicate.as_deref().is_some_and(named))
    });
    let referenced = schema.tables.values().any(|t| {
        t.constraints.iter().any(|c| match &c.kind {
            ConstraintKind::ForeignKey {
                references,
                referenced_columns,
                ..
            } => references == &table.name && referenced_columns.iter().any(|x| x == column),
            _ => false,
        })
    });
    in_constraints || in_indexes || referenced
}

/// The text of every view, routine and trigger of the database (a column any of them
/// names is left alone), and `rls:<table>` for each table with row-level security.
fn texts_naming_columns(db: &mut Database) -> Result<Vec<String>, String> {
    let sql = match db.dialect() {
        Dialect::Postgres => {
            "SELECT pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relkind IN ('v', 'm') \
               AND c.relnamespace = current_schema()::regnamespace \
             UNION ALL SELECT p.prosrc FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace \
             UNION ALL SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
               WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace \
             UNION ALL SELECT 'rls:' || c.relname FROM pg_class c WHERE c.relrowsecurity \
               AND c.relnamespace = current_schema()::regnamespace"
        }
        Dialect::Mysql => {
            "SELECT view_definition FROM information_schema.views WHERE table_schema = DATABASE() \
             UNION ALL SELECT routine_definition FROM information_schema.routines WHERE routine_schema = DATABASE() \
             UNION ALL SELECT action_statement FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
        }
        Dialect::Sqlite => return Ok(Vec::new()),
    };
    let rows = db.query_text(sql).map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}

/// The change files of the ordinary release (1.1.0), of the foreign key over what 1.1.0
/// writes (1.2.0), and of the release whose contract enforces it (1.3.0).
pub fn change_files(chosen: &Chosen, dialect: Dialect) -> Vec<(String, String)> {
    let Chosen {
        table,
        key,
        key_type,
        renamed,
        dropped,
        ..
    } = chosen;
    let (renamed, dropped) = (&renamed.0, &dropped.0);
    let lowered = match chosen.renamed.1 {
        ColumnType::Text | ColumnType::Varchar(_) => "lower(corpus_renamed)",
        _ => "(corpus_flag * 2)",
    };
    let indexes = match dialect {
        Dialect::Postgres => format!(
            "[[op]]\ntype = \"create_index\"\ntable = {table:?}\ncolumns = [\"corpus_flag\"]\n\
             where = \"corpus_flag > 0\"\nname = \"corpus_flag_partial\"\n\n\
             [[op]]\ntype = \"create_index\"\ntable = {table:?}\n\
             expressions = [{lowered:?}]\nname = \"corpus_expression\"\n"
        ),
        _ => format!(
            "[[op]]\ntype = \"create_index\"\ntable = {table:?}\ncolumns = [\"corpus_flag\"]\n\
             name = \"corpus_flag_idx\"\n"
        ),
    };
    vec![
        (
            "0003_ordinary.toml".into(),
            format!(
                "release = \"1.1.0\"\n\n\
                 [[op]]\ntype = \"add_column\"\ntable = {table:?}\n\
                 column = {{ name = \"corpus_flag\", type = \"integer\", nullable = false }}\n\
                 backfill_sql = {backfill:?}\n\n\
                 [[op]]\ntype = \"rename_column\"\ntable = {table:?}\ncolumn = {renamed:?}\n\
                 to = \"corpus_renamed\"\n\n\
                 [[op]]\ntype = \"drop_column\"\ntable = {table:?}\ncolumn = {dropped:?}\n\n\
                 [[op]]\ntype = \"add_column\"\ntable = {table:?}\n\
                 column = {{ name = \"corpus_parent\", type = \"{key_type}\", nullable = true }}\n\n\
                 {indexes}",
                backfill = format!("{} % 7", quote(dialect, key)),
            ),
        ),
        (
            "0004_reference.toml".into(),
            format!(
                "release = \"1.2.0\"\n\n\
                 [[op]]\ntype = \"add_foreign_key\"\ntable = {table:?}\n\
                 column = \"corpus_parent\"\nreferences = \"{table}({key})\"\n\
                 on_delete = \"set null\"\nrepair_sql = \"NULL\"\n\n\
                 [[op]]\ntype = \"alter_column\"\ntable = {table:?}\n\
                 column = \"corpus_flag\"\ncolumn_type = \"bigint\"\n"
            ),
        ),
        (
            "0005_enforce.toml".into(),
            "release = \"1.3.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n".into(),
        ),
    ]
}

/// A value of `ty` distinct for each `n`, as a literal of `dialect`.
fn value(dialect: Dialect, ty: &ColumnType, n: u64) -> String {
    use ColumnType::*;
    let day = |n: u64| format!("20{:02}-{:02}-{:02}", 10 + n % 80, 1 + n % 12, 1 + n % 28);
    let time = |n: u64| format!("{:02}:{:02}:{:02}", n % 24, n % 60, (n / 60) % 60);
    match ty {
        Boolean => if n % 2 == 0 { "true" } else { "false" }.into(),
        SmallInt => (n % 30_000).to_string(),
        Integer | BigInt | Real | Double | Decimal(..) => (n % 100_000).to_string(),
        Varchar(len) => string_literal(dialect, &distinct_text(n, *len as usize)),
        Text => string_literal(dialect, &format!("corpus value {n}")),
        Date => string_literal(dialect, &day(n)),
        Time => string_literal(dialect, &time(n)),
        Timestamp | TimestampTz => string_literal(dialect, &format!("{} {}", day(n), time(n))),
        Uuid => string_literal(dialect, &format!("00000000-0000-4000-8000-{n:012}")),
        Enum(e) => string_literal(dialect, &e.values[n as usize % e.values.len()]),
        other => panic!("no made-up value for {other:?} on {dialect:?}"),
    }
}

fn distinct_text(n: u64, len: usize) -> String {
    let digits = n.to_string();
    if len >= digits.len() + 2 {
        format!("v{digits}")
    } else {
        digits[digits.len().saturating_sub(len)..].to_string()
    }
}

/// Which release's code writes a row, and so which columns it names.
#[derive(Clone, Copy, PartialEq)]
enum Code {
    /// 1.0.0: the columns as adopted.
    Adopted,
    /// 1.1.0 and after: the renamed column, the flag and the reference; not the dropped one.
    Changed,
}

/// Inserts one row as `code` writes it, numbered `n`; returns the value written to the
/// renamed column.
fn insert(
    db: &mut Database,
    chosen: &Chosen,
    code: Code,
    n: u64,
    parent: Option<&str>,
) -> Result<String, String> {
    let d = db.dialect();
    let mut columns: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    if chosen.key_given {
        columns.push(quote(d, &chosen.key));
        values.push((chosen.key_max / 4 + n as i64).to_string());
    }
    for (c, ty) in &chosen.required {
        columns.push(quote(d, c));
        values.push(value(d, ty, n));
    }
    let renamed = value(d, &chosen.renamed.1, n);
    match code {
        Code::Adopted => {
            columns.push(quote(d, &chosen.renamed.0));
            values.push(renamed.clone());
            columns.push(quote(d, &chosen.dropped.0));
            values.push(value(d, &chosen.dropped.1, n));
        }
        Code::Changed => {
            columns.extend(["corpus_renamed", "corpus_flag", "corpus_parent"].map(|c| quote(d, c)));
            values.extend([
                renamed.clone(),
                "3".into(),
                parent.unwrap_or("NULL").to_string(),
            ]);
        }
    }
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(d, &chosen.table),
        columns.join(", "),
        values.join(", ")
    );
    db.run_script(&sql).map_err(|e| format!("{sql}: {e}"))?;
    Ok(renamed)
}

fn count(db: &mut Database, sql: &str) -> Result<i64, String> {
    let rows = db.query_text(sql).map_err(|e| format!("{sql}: {e}"))?;
    rows.first()
        .and_then(|r| r.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{sql}: no count"))
}

/// Runs the releases on the adopted database at `url` with rows written by each
/// release's code along the way, and checks what the rows hold after each step.
pub fn run(project: &Path, url: &str, chosen: &Chosen) -> Result<(), String> {
    let mut db = common::connect(url, project);
    let d = db.dialect();
    let t = quote(d, &chosen.table);
    let k = quote(d, &chosen.key);
    let migrate = |release: &str, phase: &str| -> Result<(), String> {
        let out = common::migrate(project, url, release, phase);
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "migrate {release} {phase}: {}{}",
                common::stderr(&out),
                common::stdout(&out)
            ))
        }
    };
    let mut written = Vec::new();
    for n in 0..20 {
        written.push(insert(&mut db, chosen, Code::Adopted, 1_000 + n, None)?);
    }
    migrate("1.1.0", "expand")?;
    let unfilled = count(
        &mut db,
        &format!("SELECT count(*) FROM {t} WHERE corpus_flag IS NULL OR corpus_flag <> {k} % 7"),
    )?;
    if unfilled != 0 {
        return Err(format!("{unfilled} row(s) not backfilled by expand(1.1.0)"));
    }
    // Both codes run while 1.1.0 rolls out.
    for n in 0..5 {
        written.push(insert(&mut db, chosen, Code::Adopted, 2_000 + n, None)?);
        written.push(insert(
            &mut db,
            chosen,
            Code::Changed,
            3_000 + n,
            Some(&(chosen.key_max / 2 + 5).to_string()),
        )?);
    }
    migrate("1.1.0", "contract")?;
    migrate("1.2.0", "expand")?;
    let parent = count(&mut db, &format!("SELECT min({k}) FROM {t}"))?.to_string();
    for n in 0..5 {
        written.push(insert(
            &mut db,
            chosen,
            Code::Changed,
            4_000 + n,
            Some(&(chosen.key_max / 2 + 7).to_string()),
        )?);
    }
    written.push(insert(
        &mut db,
        chosen,
        Code::Changed,
        5_000,
        Some(&parent),
    )?);
    migrate("1.2.0", "contract")?;
    let columns: Vec<String> = db
        .columns(&chosen.table)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    for gone in [&chosen.renamed.0, &chosen.dropped.0] {
        if columns.contains(gone) {
            return Err(format!(
                "column {gone} is still there after contract(1.2.0)"
            ));
        }
    }
    migrate("1.3.0", "expand")?;
    migrate("1.3.0", "contract")?;
    // The flag became a bigint under its own name in contract(1.2.0), its values kept.
    let flags = count(
        &mut db,
        &format!("SELECT count(*) FROM {t} WHERE corpus_flag IS NULL"),
    )?;
    if flags != 0 {
        return Err(format!(
            "{flags} row(s) lost their corpus_flag in the retype"
        ));
    }
    insert(&mut db, chosen, Code::Changed, 6_000, None)?;
    db.run_script(&format!(
        "UPDATE {t} SET corpus_flag = 3000000000 WHERE corpus_flag = 3"
    ))
    .map_err(|e| format!("corpus_flag is no bigint after contract(1.2.0): {e}"))?;
    let arrived = count(
        &mut db,
        &format!(
            "SELECT count(*) FROM {t} WHERE corpus_renamed IN ({})",
            written.join(", ")
        ),
    )?;
    if arrived != written.len() as i64 {
        return Err(format!(
            "{arrived} of the {} values written to {} arrived in corpus_renamed",
            written.len(),
            chosen.renamed.0
        ));
    }
    let dangling = count(
        &mut db,
        &format!("SELECT count(*) FROM {t} WHERE corpus_parent IS NOT NULL AND corpus_parent <> {parent}"),
    )?;
    let kept = count(
        &mut db,
        &format!("SELECT count(*) FROM {t} WHERE corpus_parent = {parent}"),
    )?;
    if dangling != 0 || kept != 1 {
        return Err(format!(
            "the repair left {dangling} reference(s) to no row and {kept} of 1 good one"
        ));
    }
    Ok(())
}
