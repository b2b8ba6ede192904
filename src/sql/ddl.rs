//! Statements every dialect shares the shape of (tables, indexes, keys, comments,
//! repairs), built on sea-query where it fits and written here where it does not.

use sea_query::{
    ColumnDef, Expr, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index as SqIndex,
    IndexCreateStatement, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder,
    Table as SqTable, TableCreateStatement,
};

use super::physical::Physical;
use super::text::{iden, quote, quoted_list, string_literal, terminate};
use super::types::{identity_clause, type_name};
use super::{Dialect, Unsupported};
use crate::action::{Action, Source};
use crate::model::{Column, Constraint, ConstraintKind, Default, Index, Table};
use crate::types::{ColumnType, Literal};

/// `DROP TRIGGER` of each trigger that makes up `trigger` on `table`, for the dialects
/// (MySQL, SQLite) whose fill and sync are several triggers and no function: the
/// triggers of a fill (`fill_names`) or of a sync (`sync_names`); all of them when what
/// created it is unknown.
pub(crate) fn drop_triggers(
    dialect: Dialect,
    physical: &Physical,
    table: &str,
    trigger: &str,
    fill_names: &[String],
    sync_names: &[String],
) -> String {
    triggers_to_drop(
        physical,
        table,
        trigger,
        fill_names.to_vec(),
        sync_names.to_vec(),
    )
    .iter()
    .map(|n| format!("DROP TRIGGER IF EXISTS {};", quote(dialect, n)))
    .collect::<Vec<_>>()
    .join("\n")
}

/// The triggers that make up `trigger` on `table`: the several of a fill (`fill_names`)
/// or of a sync (`sync_names`); all of them when what created it is unknown.
fn triggers_to_drop(
    physical: &Physical,
    table: &str,
    trigger: &str,
    fill_names: Vec<String>,
    sync_names: Vec<String>,
) -> Vec<String> {
    match physical.trigger(table, trigger) {
        Some(Action::FillTrigger { .. }) => fill_names,
        Some(Action::SyncTrigger { .. }) => sync_names,
        _ => {
            let mut all = fill_names;
            for name in sync_names {
                if !all.contains(&name) {
                    all.push(name);
                }
            }
            all
        }
    }
}

/// `DROP TABLE`, after the views that keep an old name of the table (they
/// would block the drop, or be left reading nothing).
pub(crate) fn drop_table(dialect: Dialect, physical: &Physical, table: &str) -> String {
    let mut sql = String::new();
    for view in physical.view_names_of(table) {
        sql.push_str(&drop_view(dialect, view));
        sql.push_str("\n\n");
    }
    let mut stmt = SqTable::drop();
    stmt.table(iden(table));
    sql.push_str(&terminate(&build_schema(dialect, |b| match b {
        Builder::Pg => stmt.to_string(PostgresQueryBuilder),
        Builder::My => stmt.to_string(MysqlQueryBuilder),
        Builder::Lite => stmt.to_string(SqliteQueryBuilder),
    })));
    sql
}

/// `DROP VIEW IF EXISTS`, for a view that kept an old table name.
pub(crate) fn drop_view(dialect: Dialect, view: &str) -> String {
    format!("DROP VIEW IF EXISTS {};", quote(dialect, view))
}

/// `SELECT` of the columns of `table` (its current name), for a view that keeps an old
/// table name usable.
pub(crate) fn view_query(dialect: Dialect, table: &Table) -> String {
    let columns: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    format!(
        "SELECT {} FROM {}",
        quoted_list(dialect, &columns),
        quote(dialect, &table.name)
    )
}

/// What MySQL and SQLite write for an enum change where the type lives in no column:
/// a comment, so that the file says what happened.
pub fn enum_note(dialect: Dialect, name: &str, change: &crate::action::EnumChange) -> String {
    use crate::action::EnumChange;
    let what = match change {
        EnumChange::Create { .. } => "created",
        EnumChange::AddValue { .. } => "given a value",
        EnumChange::DropValue { .. } => "left without a value",
        EnumChange::Drop => "dropped",
    };
    let place = match dialect {
        Dialect::Sqlite => "its columns are text",
        _ => "each column writes its values",
    };
    format!(
        "-- enum {name} {what}: nothing to do on {} ({place}).",
        dialect.name()
    )
}

/// The type a column is written with: its type's name, except an identity column on
/// SQLite, which is `integer` (only an INTEGER PRIMARY KEY numbers its rows there).
pub fn column_type_name(dialect: Dialect, column: &Column) -> String {
    if dialect == Dialect::Sqlite && column.is_identity() {
        return "integer".into();
    }
    type_name(dialect, &column.ty)
}

/// A literal as SQL text.
pub fn literal_sql(dialect: Dialect, lit: &Literal) -> String {
    match lit {
        Literal::Str(s) => string_literal(dialect, s),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => {
            let text = f.to_string();
            if text.contains(['.', 'e', 'E']) {
                text
            } else {
                format!("{text}.0")
            }
        }
        Literal::Bool(b) => match dialect {
            Dialect::Postgres => if *b { "TRUE" } else { "FALSE" }.into(),
            Dialect::Mysql | Dialect::Sqlite => if *b { "1" } else { "0" }.into(),
        },
    }
}

/// A default of a column of type `ty` as SQL text: as [`default_sql`], a `timestamptz`
/// literal written with its offset (see [`timestamptz_literal`]).
pub fn typed_default_sql(dialect: Dialect, ty: &ColumnType, default: &Default) -> String {
    match default {
        Default::Literal(Literal::Str(v)) if is_timestamptz(ty) => timestamptz_literal(dialect, v),
        _ => default_sql(dialect, default),
    }
}

/// Whether values of `ty` are instants that a session's time zone reads a literal in.
pub fn is_timestamptz(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::TimestampTz => true,
        ColumnType::Native(t) => !t.array && t.kin() == crate::types::Kin::TimestampTz,
        _ => false,
    }
}

/// A `timestamptz` value of schema.toml or a probe (`YYYY-MM-DD HH:MM:SS[.f]`, UTC by
/// tandem's rule) as an SQL literal that means the same instant in every session:
/// Postgres reads a literal without offset in the session's `TimeZone`, so it is written
/// with `+00:00`. MySQL and MariaDB take no offset in a literal (MariaDB refuses one):
/// there every file sets its session's `time_zone` to `+00:00` (the preamble), so the
/// literal is read as UTC. SQLite keeps the text as it is.
pub fn timestamptz_literal(dialect: Dialect, value: &str) -> String {
    let has_offset = value.len() > 19 && (value.ends_with('Z') || value[19..].contains(['+', '-']));
    match dialect {
        Dialect::Postgres if !has_offset => string_literal(dialect, &format!("{value}+00:00")),
        _ => string_literal(dialect, value),
    }
}

/// A default as SQL text.
pub fn default_sql(dialect: Dialect, default: &Default) -> String {
    match default {
        Default::Literal(l) => literal_sql(dialect, l),
        Default::Sql(s) => s.clone(),
        // Never written as a DEFAULT: see `identity_clause` and `generated_clause`.
        Default::Identity | Default::Generated { .. } => "NULL".into(),
    }
}

/// A generated column's clause, its NULL-ness after it (MySQL reads the column's
/// attributes only after `AS (...)`; MariaDB takes no NOT NULL there, so a nullable one
/// says nothing).
pub fn generated_clause(dialect: Dialect, expr: &str, stored: bool, nullable: bool) -> String {
    let kept = match (dialect, stored) {
        (_, true) => "STORED",
        (_, false) => "VIRTUAL",
    };
    let null = if nullable { "" } else { " NOT NULL" };
    format!("GENERATED ALWAYS AS ({expr}) {kept}{null}")
}

/// A sea-query column definition.
pub fn column_def(dialect: Dialect, column: &Column) -> ColumnDef {
    let mut def = ColumnDef::new(iden(&column.name));
    def.custom(iden(&column_type_name(dialect, column)));
    // sea-query keeps one `extra` per column (a second call replaces the first), so the
    // clauses are joined and set once.
    let mut extra = Vec::new();
    if let Some(Default::Generated { expr, stored }) = &column.default {
        extra.push(generated_clause(dialect, expr, *stored, column.nullable));
    } else if column.nullable {
        def.null();
    } else {
        def.not_null();
    }
    match &column.default {
        Some(Default::Identity) => extra.extend(identity_clause(dialect).map(String::from)),
        Some(Default::Generated { .. }) => {}
        Some(d) => {
            def.default(Expr::cust(typed_default_sql(dialect, &column.ty, d)));
        }
        None => {}
    }
    if let (Dialect::Mysql, Some(on_update)) = (dialect, on_update_sql(column)) {
        extra.push(format!("ON UPDATE {on_update}"));
    }
    // MySQL keeps a column's comment in its definition; Postgres in `COMMENT ON` (see
    // [`comment_statements`]); SQLite has none.
    if let (Dialect::Mysql, Some(text)) = (dialect, &column.comment) {
        extra.push(format!("COMMENT {}", string_literal(dialect, text)));
    }
    if !extra.is_empty() {
        def.extra(extra.join(" "));
    }
    def
}

/// MySQL's `ON UPDATE` value of `column` with the precision of its type, which MySQL
/// requires (`CURRENT_TIMESTAMP` on a `datetime(6)` is `CURRENT_TIMESTAMP(6)`).
pub fn on_update_sql(column: &Column) -> Option<String> {
    let value = column.on_update.as_deref()?.trim();
    let upper = value.to_ascii_uppercase();
    let bare = upper.strip_suffix("()").unwrap_or(&upper);
    let ty = type_name(Dialect::Mysql, &column.ty);
    let precision = ty
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .map(|(_, p)| p.to_string())
        .filter(|p| p.len() == 1 && p.as_bytes()[0].is_ascii_digit() && p != "0");
    Some(match precision {
        Some(p) if bare == "CURRENT_TIMESTAMP" => format!("CURRENT_TIMESTAMP({p})"),
        _ => bare.to_string(),
    })
}

/// The helper name of the unique index a new primary key is built as before it becomes
/// the key (Postgres, which renames it to the constraint's name when it does).
pub fn primary_key_index_name(table: &str) -> String {
    crate::model::fit_identifier(format!("tandem_pkey_{table}"), 63)
}

/// Postgres's `COMMENT ON` statements for a new table's comment and its columns'.
pub fn comment_statements(table: &Table) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(text) = &table.comment {
        out.push(comment_on(&table.name, None, Some(text)));
    }
    for c in &table.columns {
        if let Some(text) = &c.comment {
            out.push(comment_on(&table.name, Some(&c.name), Some(text)));
        }
    }
    out
}

/// Postgres's `COMMENT ON TABLE` / `COMMENT ON COLUMN`; `None` removes the comment.
pub fn comment_on(table: &str, column: Option<&str>, text: Option<&str>) -> String {
    let d = Dialect::Postgres;
    let what = match column {
        Some(c) => format!("COLUMN {}.{}", quote(d, table), quote(d, c)),
        None => format!("TABLE {}", quote(d, table)),
    };
    let value = text.map_or_else(|| "NULL".to_string(), |t| string_literal(d, t));
    format!("COMMENT ON {what} IS {value};")
}

/// MySQL's limits on comments: a table's, a column's, in characters.
const MYSQL_TABLE_COMMENT: usize = 2048;

const MYSQL_COLUMN_COMMENT: usize = 1024;

/// Why MySQL cannot keep a comment as written: it takes a comment only as a plain string
/// literal, which a backslash, a control or a non-ASCII character would make depend on
/// the session's `sql_mode` and character set; and it has length limits.
fn mysql_comment_refusal(what: &str, text: &str, max: usize) -> Option<Unsupported> {
    if string_literal(Dialect::Mysql, text).starts_with('(') {
        return Some(Unsupported(format!(
            "MySQL takes the comment of {what} only as a plain string literal, which reads \
             differently by sql_mode and character set when it holds a backslash, a control \
             or a non-ASCII character; write the comment in printable ASCII without a backslash"
        )));
    }
    if text.chars().count() > max {
        return Some(Unsupported(format!(
            "MySQL keeps at most {max} characters in the comment of {what}; this one has {}",
            text.chars().count()
        )));
    }
    None
}

/// The MySQL refusal of the first comment of `action` it cannot keep.
fn comment_refusal(action: &Action) -> Option<Unsupported> {
    let column = |table: &str, c: &Column| {
        c.comment.as_deref().and_then(|text| {
            mysql_comment_refusal(
                &format!("column {table}.{}", c.name),
                text,
                MYSQL_COLUMN_COMMENT,
            )
        })
    };
    match action {
        Action::CreateTable { table, .. } => table
            .comment
            .as_deref()
            .and_then(|text| {
                mysql_comment_refusal(&format!("table {}", table.name), text, MYSQL_TABLE_COMMENT)
            })
            .or_else(|| table.columns.iter().find_map(|c| column(&table.name, c))),
        Action::AddColumn {
            table, column: c, ..
        } => column(table, c),
        Action::SetComment {
            table,
            column: None,
            comment: Some(text),
        } => mysql_comment_refusal(&format!("table {table}"), text, MYSQL_TABLE_COMMENT),
        Action::SetComment {
            table,
            column: Some(c),
            ..
        } => column(table, c),
        _ => None,
    }
}

/// `CREATE TABLE` through sea-query, with the table's checks and foreign
/// keys. Unique constraints are written inline in Postgres and MySQL; SQLite keeps them
/// as unique indexes (see [`unique_indexes`]), which it can drop without a rebuild.
pub fn create_table(dialect: Dialect, table: &Table) -> String {
    create_table_keyed(dialect, table, &[])
}

/// [`create_table`] with indexes built inside it (MySQL's `KEY name (columns)`): see
/// [`crate::action::key_auto_increment_inline`].
pub fn create_table_keyed(dialect: Dialect, table: &Table, keys: &[Index]) -> String {
    let mut stmt: TableCreateStatement = SqTable::create();
    stmt.table(iden(&table.name));
    for column in &table.columns {
        stmt.col(column_def(dialect, column));
    }
    // A deferrable primary key is written with the inline clauses below.
    let deferrable_key = match table.deferrable.get("") {
        Some(deferred) if dialect == Dialect::Postgres => Some(*deferred),
        _ => None,
    };
    if !table.primary_key.is_empty() && deferrable_key.is_none() {
        let mut pk = SqIndex::create();
        for c in &table.primary_key {
            pk.col(iden(c));
        }
        stmt.primary_key(&mut pk);
    }
    let mut uniques = Vec::new();
    let mut deferred = Vec::new();
    for constraint in &table.constraints {
        match &constraint.kind {
            ConstraintKind::Check { expr } => {
                stmt.check((iden(&constraint.name), Expr::cust(format!("({expr})"))));
            }
            ConstraintKind::ForeignKey { .. } => match deferrable_foreign_key_clause(constraint) {
                Some(clause) if dialect == Dialect::Postgres => deferred.push(clause),
                _ => {
                    stmt.foreign_key(&mut foreign_key(&table.name, constraint));
                }
            },
            ConstraintKind::Unique { columns } => uniques.push((&constraint.name, columns)),
        }
    }
    let sql = build_schema(dialect, |b| match b {
        Builder::Pg => stmt.to_string(PostgresQueryBuilder),
        Builder::My => stmt.to_string(MysqlQueryBuilder),
        Builder::Lite => stmt.to_string(SqliteQueryBuilder),
    });
    let with_comment = |mut sql: String| {
        if let (Dialect::Postgres, Some(by)) = (dialect, &table.partition_by) {
            sql.push_str(&format!(" PARTITION BY {by}"));
        }
        if dialect == Dialect::Mysql {
            if let Some(engine) = &table.engine {
                sql.push_str(&format!(" ENGINE = {engine}"));
            }
            if let Some(text) = &table.comment {
                sql.push_str(&format!(" COMMENT = {}", string_literal(dialect, text)));
            }
            // Partitions come after the table's options.
            if let Some(by) = &table.partition_by {
                sql.push_str(&format!(" PARTITION BY {by}"));
            }
        }
        sql
    };
    if (uniques.is_empty() || dialect == Dialect::Sqlite)
        && deferred.is_empty()
        && keys.is_empty()
        && deferrable_key.is_none()
    {
        return with_comment(sql);
    }
    // sea-query writes table-level UNIQUE only for MySQL, and no DEFERRABLE: spliced in
    // before the closing parenthesis of the column list.
    let mut inline: Vec<String> = Vec::new();
    let deferral = |name: &str| match (dialect, table.deferrable.get(name)) {
        (Dialect::Postgres, Some(true)) => " DEFERRABLE INITIALLY DEFERRED",
        (Dialect::Postgres, Some(false)) => " DEFERRABLE",
        _ => "",
    };
    if deferrable_key.is_some() && !table.primary_key.is_empty() {
        inline.push(format!(
            ", PRIMARY KEY ({}){}",
            quoted_list(dialect, &table.primary_key),
            deferral("")
        ));
    }
    if dialect != Dialect::Sqlite {
        inline.extend(uniques.iter().map(|(name, columns)| {
            format!(
                ", CONSTRAINT {} UNIQUE ({}){}",
                quote(dialect, name),
                quoted_list(dialect, columns),
                deferral(name)
            )
        }));
    }
    inline.extend(deferred.iter().map(|clause| format!(", {clause}")));
    inline.extend(keys.iter().map(|index| {
        let kind = if index.unique { "UNIQUE " } else { "" };
        let method = match &index.options.method {
            Some(m) => format!(" USING {}", m.to_ascii_uppercase()),
            None => String::new(),
        };
        format!(
            ", {kind}KEY {} ({}){method}",
            quote(dialect, &index.name),
            index_key_parts(dialect, index).join(", ")
        )
    }));
    with_comment(match sql.rfind(')') {
        Some(end) => format!(
            "{}{} {}",
            sql[..end].trim_end(),
            inline.concat(),
            &sql[end..]
        ),
        None => sql,
    })
}

/// `ALTER TABLE ... ADD CONSTRAINT ... NOT VALID` for a check or foreign key the
/// database holds without having checked the rows there (Postgres).
pub fn add_constraint_not_valid(table: &str, constraint: &Constraint) -> String {
    let d = Dialect::Postgres;
    let body = match &constraint.kind {
        ConstraintKind::Check { expr } => {
            format!("CONSTRAINT {} CHECK ({expr})", quote(d, &constraint.name))
        }
        ConstraintKind::ForeignKey { .. } => match deferrable_foreign_key_clause(constraint) {
            Some(clause) => clause,
            None => {
                let mut plain = constraint.clone();
                if let ConstraintKind::ForeignKey { deferrable, .. } = &mut plain.kind {
                    *deferrable = true;
                }
                deferrable_foreign_key_clause(&plain)
                    .unwrap_or_default()
                    .replace(" DEFERRABLE INITIALLY DEFERRED", "")
                    .replace(" DEFERRABLE INITIALLY IMMEDIATE", "")
                    .replace(" DEFERRABLE", "")
            }
        },
        ConstraintKind::Unique { columns } => format!(
            "CONSTRAINT {} UNIQUE ({})",
            quote(d, &constraint.name),
            quoted_list(d, columns)
        ),
    };
    format!("ALTER TABLE {} ADD {body} NOT VALID", quote(d, table))
}

/// The unique constraints of `table` as the indexes SQLite keeps them as.
pub fn unique_indexes(table: &Table) -> impl Iterator<Item = Index> + '_ {
    table.constraints.iter().filter_map(|c| match &c.kind {
        ConstraintKind::Unique { columns } => Some(unique_index(&table.name, c, columns)),
        _ => None,
    })
}

/// The index that backs a unique constraint.
pub fn unique_index(table: &str, constraint: &Constraint, columns: &[String]) -> Index {
    Index {
        name: constraint.name.clone(),
        table: table.to_string(),
        columns: columns.to_vec(),
        unique: true,
        options: crate::model::IndexOptions::default(),
    }
}

/// A foreign key of `table` through sea-query (not for SQLite outside CREATE TABLE:
/// sea-query refuses that).
pub fn foreign_key(table: &str, constraint: &Constraint) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.name(constraint.name.as_str()).from_tbl(iden(table));
    if let ConstraintKind::ForeignKey {
        columns,
        references,
        referenced_columns,
        on_delete,
        on_update,
        ..
    } = &constraint.kind
    {
        fk.to_tbl(iden(references));
        for c in columns {
            fk.from_col(iden(c));
        }
        for c in referenced_columns {
            fk.to_col(iden(c));
        }
        if let Some(a) = on_delete.as_deref().and_then(fk_action) {
            fk.on_delete(a);
        }
        if let Some(a) = on_update.as_deref().and_then(fk_action) {
            fk.on_update(a);
        }
    }
    fk
}

fn fk_action(words: &str) -> Option<ForeignKeyAction> {
    match words {
        "cascade" => Some(ForeignKeyAction::Cascade),
        "set null" => Some(ForeignKeyAction::SetNull),
        "restrict" => Some(ForeignKeyAction::Restrict),
        "no action" => Some(ForeignKeyAction::NoAction),
        _ => None,
    }
}

/// A Postgres foreign key's `CONSTRAINT ... FOREIGN KEY ...` clause written out, for the
/// deferrable ones (sea-query does not write DEFERRABLE).
pub fn deferrable_foreign_key_clause(constraint: &Constraint) -> Option<String> {
    let ConstraintKind::ForeignKey {
        columns,
        references,
        referenced_columns,
        on_delete,
        on_update,
        deferrable: true,
        initially_deferred,
    } = &constraint.kind
    else {
        return None;
    };
    let d = Dialect::Postgres;
    let mut sql = format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        quote(d, &constraint.name),
        quoted_list(d, columns),
        quote(d, references),
        quoted_list(d, referenced_columns)
    );
    if let Some(a) = on_delete {
        sql.push_str(&format!(" ON DELETE {}", a.to_uppercase()));
    }
    if let Some(a) = on_update {
        sql.push_str(&format!(" ON UPDATE {}", a.to_uppercase()));
    }
    sql.push_str(" DEFERRABLE");
    if *initially_deferred {
        sql.push_str(" INITIALLY DEFERRED");
    }
    Some(sql)
}

/// Why `dialect` cannot do `action` as written, whatever the database holds: options
/// it has no way to express.
pub fn option_refusal(dialect: Dialect, action: &Action) -> Option<Unsupported> {
    let deferrable = |c: &Constraint| {
        matches!(
            c.kind,
            ConstraintKind::ForeignKey {
                deferrable: true,
                ..
            }
        )
    };
    if dialect == Dialect::Mysql {
        if let Some(u) = comment_refusal(action) {
            return Some(u);
        }
    }
    let found = match action {
        Action::CreateTable { table, .. } => table.constraints.iter().find(|c| deferrable(c)),
        Action::AddConstraint { constraint, .. } => Some(constraint).filter(|c| deferrable(c)),
        _ => None,
    };
    match found {
        Some(c) if dialect != Dialect::Postgres => Some(Unsupported(format!(
            "{} checks foreign keys row by row and has no deferrable ones \
             (foreign key `{}`); drop `deferrable`",
            dialect.name(),
            c.name
        ))),
        _ => None,
    }
}

/// The conditions of a query for the rows whose foreign key points at no row, with the
/// table aliased `child` and the referenced one `parent`, into `context`: `join`,
/// `present` (every key column set) and `missing` (no parent row).
pub(crate) fn orphan_conditions(
    dialect: Dialect,
    columns: &[String],
    referenced_columns: &[String],
    context: &mut tera::Context,
) {
    let q = |n: &String| quote(dialect, n);
    let join: Vec<String> = columns
        .iter()
        .zip(referenced_columns)
        .map(|(c, r)| format!("parent.{} = child.{}", q(r), q(c)))
        .collect();
    let present: Vec<String> = columns
        .iter()
        .map(|c| format!("child.{} IS NOT NULL", q(c)))
        .collect();
    context.insert("join", &join.join(" AND "));
    context.insert("present", &present.join(" AND "));
    context.insert(
        "missing",
        &format!("parent.{} IS NULL", q(&referenced_columns[0])),
    );
}

/// An index statement through sea-query.
pub fn index_statement(index: &Index) -> IndexCreateStatement {
    let mut stmt = SqIndex::create();
    stmt.name(index.name.as_str()).table(iden(&index.table));
    for c in &index.columns {
        stmt.col(iden(c));
    }
    if index.unique {
        stmt.unique();
    }
    stmt
}

/// The index methods each dialect builds, by name.
const METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin"];

/// Why `dialect` cannot build `index` as written, checked when the plan is made.
/// `hash_ok`: the table's engine builds hash indexes (MySQL's MEMORY).
pub fn index_refusal(dialect: Dialect, index: &Index, hash_ok: bool) -> Option<Unsupported> {
    let o = &index.options;
    let name = dialect.name();
    let refuse = |what: String| Some(Unsupported(format!("{what} (index `{}`)", index.name)));
    if let Some(m) = &o.method {
        let ok: &[&str] = match dialect {
            Dialect::Postgres => METHODS,
            // InnoDB accepts `USING HASH` and silently builds a B-tree: the index
            // would not be what the model says.
            Dialect::Mysql if hash_ok => &["btree", "hash"],
            Dialect::Mysql => &["btree"],
            Dialect::Sqlite => &["btree"],
        };
        if dialect == Dialect::Mysql && m == "hash" && !hash_ok {
            return refuse(
                "InnoDB has no hash index: it accepts `USING HASH` and builds a B-tree; \
                 drop `method` (or write \"btree\")"
                    .to_string(),
            );
        }
        if !ok.contains(&m.as_str()) {
            return refuse(format!(
                "{name} has no `{m}` index method; it builds {}",
                ok.join(", ")
            ));
        }
    }
    if !o.include.is_empty() && dialect != Dialect::Postgres {
        return refuse(format!(
            "{name} has no INCLUDE columns; make them key columns instead"
        ));
    }
    if !o.opclass.is_empty() && dialect != Dialect::Postgres {
        return refuse(format!("{name} has no operator classes"));
    }
    if !o.nulls.is_empty() && dialect != Dialect::Postgres {
        return refuse(format!(
            "{name} keeps no NULLS FIRST/LAST in an index; drop it from `columns`"
        ));
    }
    if o.nulls_not_distinct && dialect != Dialect::Postgres {
        return refuse(format!("{name} has no NULLS NOT DISTINCT index"));
    }
    if o.nulls_not_distinct && !index.unique {
        return refuse("NULLS NOT DISTINCT is for a unique index".to_string());
    }
    if !o.prefix.is_empty() && dialect != Dialect::Mysql {
        return refuse(format!(
            "{name} has no prefix lengths; it indexes whole values"
        ));
    }
    if o.fulltext && dialect != Dialect::Mysql {
        return refuse(format!(
            "{name} has no FULLTEXT index; Postgres searches text with a `gin` index over \
             an expression such as `to_tsvector('english', body)`"
        ));
    }
    if dialect == Dialect::Mysql {
        if o.predicate.is_some() {
            return refuse(
                "MySQL and MariaDB have no partial index (`where`); index the whole table"
                    .to_string(),
            );
        }
        if !o.expressions.is_empty() {
            return refuse(
                "MariaDB has no functional key parts (MySQL 8.0.13+ has); index a generated \
                 column holding the expression instead"
                    .to_string(),
            );
        }
        if o.fulltext && (index.unique || o.method.is_some() || !o.desc.is_empty()) {
            return refuse(
                "a FULLTEXT index is neither unique, nor sorted, nor of another method".to_string(),
            );
        }
    }
    None
}

/// `CREATE INDEX` for `index` in `dialect` (Postgres: concurrently; MySQL: in place),
/// without the final `;`. Options the dialect refuses ([`index_refusal`]) are left out.
pub fn index_sql(dialect: Dialect, index: &Index) -> String {
    index_sql_built(dialect, index, true)
}

/// [`index_sql`], built online or not: on Postgres `CONCURRENTLY` (an index made again
/// inside the transaction of a statement that holds its table's lock anyway is built
/// plainly), on MySQL `ALGORITHM=INPLACE` (which only InnoDB offers).
pub fn index_sql_built(dialect: Dialect, index: &Index, concurrently: bool) -> String {
    let q = |n: &str| quote(dialect, n);
    let o = &index.options;
    let parts = index_key_parts(dialect, index);
    let kind = if o.fulltext && dialect == Dialect::Mysql {
        "FULLTEXT "
    } else if index.unique {
        "UNIQUE "
    } else {
        ""
    };
    let online = concurrently;
    let concurrently = if dialect == Dialect::Postgres && online {
        "CONCURRENTLY "
    } else {
        ""
    };
    let mut sql = format!(
        "CREATE {kind}INDEX {concurrently}{} ON {}",
        q(&index.name),
        q(&index.table)
    );
    if let (Some(m), Dialect::Postgres) = (&o.method, dialect) {
        sql.push_str(&format!(" USING {m}"));
    }
    sql.push_str(&format!(" ({})", parts.join(", ")));
    match dialect {
        Dialect::Postgres => {
            if !o.include.is_empty() {
                sql.push_str(&format!(" INCLUDE ({})", quoted_list(dialect, &o.include)));
            }
            if o.nulls_not_distinct {
                sql.push_str(" NULLS NOT DISTINCT");
            }
            if let Some(p) = &o.predicate {
                sql.push_str(&format!(" WHERE {p}"));
            }
        }
        Dialect::Sqlite => {
            if let Some(p) = &o.predicate {
                sql.push_str(&format!(" WHERE {p}"));
            }
        }
        Dialect::Mysql => {
            if let Some(m) = &o.method {
                sql.push_str(&format!(" USING {}", m.to_ascii_uppercase()));
            }
            // A FULLTEXT build cannot let writes go on: MySQL and MariaDB take a
            // shared lock for it.
            if online {
                sql.push_str(if o.fulltext {
                    " ALGORITHM=INPLACE LOCK=SHARED"
                } else {
                    " ALGORITHM=INPLACE LOCK=NONE"
                });
            }
        }
    }
    sql
}

/// An index's key parts as the dialect writes them: columns with their prefix length,
/// operator class and DESC, then expressions in their own parentheses.
fn index_key_parts(dialect: Dialect, index: &Index) -> Vec<String> {
    let q = |n: &str| quote(dialect, n);
    let o = &index.options;
    let mut parts: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let mut part = q(c);
            match dialect {
                Dialect::Mysql => {
                    if let Some(n) = o.prefix.get(c) {
                        part.push_str(&format!("({n})"));
                    }
                }
                Dialect::Postgres => {
                    if let Some(class) = o.opclass.get(c) {
                        part.push(' ');
                        part.push_str(class);
                    }
                }
                Dialect::Sqlite => {}
            }
            if o.desc.contains(c) {
                part.push_str(" DESC");
            }
            if let (Dialect::Postgres, Some(order)) = (dialect, o.nulls.get(c)) {
                part.push_str(&format!(" NULLS {}", order.to_ascii_uppercase()));
            }
            part
        })
        .collect();
    // An expression in its own parentheses: `ON t ((lower(email)))`.
    parts.extend(o.expressions.iter().map(|e| format!("({e})")));
    parts
}

pub(crate) enum Builder {
    Pg,
    My,
    Lite,
}

/// sea-query's builders are generic; a run-time dialect choice goes through here.
pub(crate) fn build_schema(dialect: Dialect, f: impl FnOnce(Builder) -> String) -> String {
    f(match dialect {
        Dialect::Postgres => Builder::Pg,
        Dialect::Mysql => Builder::My,
        Dialect::Sqlite => Builder::Lite,
    })
}

/// The UPDATE of a repair: `column` set to `expr` on the rows of `table` that break
/// `constraint` (and that the repair changes, so that a loop over batches ends); with
/// `batch`, at most that many rows, picked by primary key.
pub fn repair_update(
    dialect: Dialect,
    table: &str,
    column: &str,
    expr: &str,
    constraint: &Constraint,
    primary_key: &[String],
    batch: Option<u64>,
) -> String {
    let q = |n: &str| quote(dialect, n);
    let condition = narrowed_to_repeats(
        dialect,
        table,
        constraint,
        repair_condition(dialect, table, column, expr, constraint, primary_key),
    );
    let key = quoted_list(dialect, primary_key);
    format!(
        "UPDATE {} SET {} = ({expr}) WHERE ({key}) IN (SELECT {key} FROM (SELECT {} FROM {} AS tandem_row WHERE {condition}{}) AS tandem_batch)",
        q(table),
        q(column),
        row_columns(dialect, primary_key),
        q(table),
        batch.map(|n| format!(" LIMIT {n}")).unwrap_or_default()
    )
}

/// `columns` of the row `tandem_row` that repair conditions range over, as a list.
pub fn row_columns(dialect: Dialect, columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("tandem_row.{}", quote(dialect, c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A search for the rows that break `constraint`, `condition` (see [`repair_condition`]),
/// narrowed for a unique key to the rows whose values repeat in `table`: one grouping
/// pass, so that the search for an earlier row with the same values runs for those rows
/// only instead of scanning the table per row.
pub fn narrowed_to_repeats(
    dialect: Dialect,
    table: &str,
    constraint: &Constraint,
    condition: String,
) -> String {
    let ConstraintKind::Unique { columns } = &constraint.kind else {
        return condition;
    };
    let cols = quoted_list(dialect, columns);
    format!(
        "({}) IN (SELECT {cols} FROM {} GROUP BY {cols} HAVING COUNT(*) > 1) AND {condition}",
        row_columns(dialect, columns),
        quote(dialect, table)
    )
}

/// Which rows a repair changes, over the row `tandem_row` of `table`: those that break
/// `constraint` and whose `column` differs from `expr`.
pub fn repair_condition(
    dialect: Dialect,
    table: &str,
    column: &str,
    expr: &str,
    constraint: &Constraint,
    primary_key: &[String],
) -> String {
    let q = |n: &str| quote(dialect, n);
    let row = |c: &String| format!("tandem_row.{}", q(c));
    let broken = match &constraint.kind {
        ConstraintKind::Check { expr } => format!("NOT ({expr})"),
        ConstraintKind::Unique { columns } => {
            let same: Vec<String> = columns
                .iter()
                .map(|c| format!("tandem_other.{} = {}", q(c), row(c)))
                .collect();
            let other_key: Vec<String> = primary_key
                .iter()
                .map(|c| format!("tandem_other.{}", q(c)))
                .collect();
            format!(
                "EXISTS (SELECT 1 FROM {} AS tandem_other WHERE {} AND ({}) < ({}))",
                q(table),
                same.join(" AND "),
                other_key.join(", "),
                row_columns(dialect, primary_key)
            )
        }
        ConstraintKind::ForeignKey {
            columns,
            references,
            referenced_columns,
            ..
        } => {
            let present: Vec<String> = columns
                .iter()
                .map(|c| format!("{} IS NOT NULL", row(c)))
                .collect();
            let same: Vec<String> = columns
                .iter()
                .zip(referenced_columns)
                .map(|(c, r)| format!("tandem_parent.{} = {}", q(r), row(c)))
                .collect();
            format!(
                "{} AND NOT EXISTS (SELECT 1 FROM {} AS tandem_parent WHERE {})",
                present.join(" AND "),
                q(references),
                same.join(" AND ")
            )
        }
    };
    let changes = match dialect {
        Dialect::Postgres => format!("({expr}) IS DISTINCT FROM {}", row(&column.to_string())),
        Dialect::Mysql => format!("NOT (({expr}) <=> {})", row(&column.to_string())),
        Dialect::Sqlite => format!("({expr}) IS NOT {}", row(&column.to_string())),
    };
    format!("{broken} AND {changes}")
}

/// Why MySQL and SQLite refuse the actions of views mode, which selects each release's
/// views through the PostgreSQL `search_path`.
pub(crate) fn views_mode_refusal() -> Unsupported {
    Unsupported(
        "views mode (release schemas selected through search_path) needs PostgreSQL; use the copy mode of renames".into(),
    )
}

/// What a backfill writes into its column: an SQL expression as it is, or another
/// column, quoted.
pub(crate) fn source_sql(dialect: Dialect, source: &Source) -> String {
    match source {
        Source::Sql(sql) => sql.clone(),
        Source::Column(c) => quote(dialect, c),
    }
}
