//! PostgreSQL: concurrent index builds, batched backfills that commit as they go, NOT
//! NULL through a validated check. No statement skips what it finds (`IF [NOT] EXISTS`):
//! a file in a transaction rolls back whole on a failure, and one that runs outside a
//! transaction is resumed by `migrate` after its last completed statement (see
//! `apply::progress`), so an object the file meets unexpectedly fails it, named.

use sea_query::{Index as SqIndex, PostgresQueryBuilder, Table as SqTable};
use tera::Context;

use super::physical::without_columns;
use crate::action::{Action, Source};
use crate::config::Config;
use crate::diag::Result;
use crate::model::{Column, ConstraintKind, Index};
use crate::sql::ddl::{column_def, create_table, default_sql, foreign_key, unique_index};
use crate::sql::physical::Physical;
use crate::sql::render::{Rendered, Renderer};
use crate::sql::text::{comment_text, iden, quote, string_literal, terminate};
use crate::sql::Dialect;
use crate::sql::Unsupported;
use crate::templates::Templates;
use crate::types::ColumnType;

pub struct Postgres<'a> {
    config: &'a Config,
    templates: &'a Templates,
}

impl<'a> Postgres<'a> {
    pub fn new(config: &'a Config, templates: &'a Templates) -> Self {
        Postgres { config, templates }
    }

    /// Renders a template with `tag`, a dollar-quote tag that none of the values
    /// spliced into it contains (user SQL cannot close a `DO` or function body).
    fn template(&self, name: &str, context: &Context) -> Result<String> {
        let mut context = context.clone();
        let values = context.clone().into_json().to_string();
        context.insert("tag", &crate::sql::text::dollar_tag(&values));
        crate::sql::render::template(self.templates, Dialect::Postgres, name, &context)
    }

    /// What every batch loop (backfill, repair) is throttled and retried by.
    fn batch_context(&self, context: &mut Context, table: &str) {
        let settings = &self.config.postgres;
        context.insert("batch_size", &settings.backfill_batch_size);
        context.insert("pause_ms", &settings.backfill_pause_ms);
        context.insert("max_batch_ms", &settings.backfill_max_batch_ms);
        context.insert("max_replica_lag_ms", &settings.backfill_max_replica_lag_ms);
        context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
        context.insert(
            "table_name_literal",
            &string_literal(Dialect::Postgres, table),
        );
    }

    /// A concurrent build (outside a transaction), recovering from a failed earlier one.
    fn create_index(&self, index: &Index) -> Result<String> {
        let create = crate::sql::ddl::index_sql(Dialect::Postgres, index);
        let mut context = Context::new();
        context.insert(
            "index_name",
            &string_literal(Dialect::Postgres, &index.name),
        );
        context.insert(
            "drop_invalid",
            &string_literal(Dialect::Postgres, &format!("DROP INDEX {}", q(&index.name))),
        );
        context.insert("create", &create);
        self.template("create_index", &context)
    }
}

fn q(name: &str) -> String {
    quote(Dialect::Postgres, name)
}

/// The scratch check that lets SET NOT NULL skip its scan: a helper name, which no
/// constraint of the model can take.
fn constraint_name(table: &str, column: &str) -> String {
    crate::model::fit_identifier(format!("tandem_not_null_{table}_{column}"), 63)
}

impl Renderer for Postgres<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn preamble(&self) -> Result<Vec<String>> {
        let mut context = Context::new();
        context.insert(
            "lock_timeout",
            &string_literal(Dialect::Postgres, &self.config.postgres.lock_timeout),
        );
        Ok(vec![self.template("preamble", &context)?])
    }

    fn render(
        &self,
        action: &Action,
        physical: &Physical,
        out: &mut Rendered,
    ) -> Result<Result<(), Unsupported>> {
        let mut context = Context::new();
        let chunk = match action {
            Action::RenameConstraint { table, from, to } => format!(
                "ALTER TABLE {} RENAME CONSTRAINT {} TO {};",
                q(table),
                q(&from.name),
                q(to)
            ),
            Action::CreateTable { table } => {
                let mut sql = terminate(&create_table(Dialect::Postgres, table));
                for comment in crate::sql::ddl::comment_statements(table) {
                    sql.push('\n');
                    sql.push_str(&comment);
                }
                sql
            }
            Action::DropTable { table } => {
                crate::sql::ddl::drop_table(Dialect::Postgres, physical, table)
            }
            Action::AddColumn { table, column, .. } => {
                let mut sql = terminate(
                    &SqTable::alter()
                        .table(iden(table))
                        .add_column(column_def(Dialect::Postgres, column))
                        .to_string(PostgresQueryBuilder),
                );
                if let Some(text) = &column.comment {
                    sql.push('\n');
                    sql.push_str(&crate::sql::ddl::comment_on(
                        table,
                        Some(&column.name),
                        Some(text),
                    ));
                }
                sql
            }
            Action::SetComment {
                table,
                column,
                comment,
            } => crate::sql::ddl::comment_on(
                table,
                column.as_ref().map(|c| c.name.as_str()),
                comment.as_deref(),
            ),
            Action::SetPrimaryKey {
                table,
                columns,
                name,
                replaces,
            } => {
                // Built concurrently under a helper name, then attached: the constraint
                // takes the index (renamed to the constraint's name), and with NOT NULL
                // columns nothing is scanned under the lock.
                out.no_transaction = true;
                let index = crate::model::Index {
                    name: crate::sql::ddl::primary_key_index_name(table),
                    table: table.clone(),
                    columns: columns.clone(),
                    unique: true,
                    options: Default::default(),
                };
                out.chunks.push(self.create_index(&index)?);
                if replaces.is_empty() {
                    format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {};",
                        q(table),
                        q(name),
                        q(&index.name)
                    )
                } else {
                    let lit = |s: &str| string_literal(Dialect::Postgres, s);
                    let body = format!(
                        "EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',\n    \
                         {}, (SELECT conname FROM pg_constraint WHERE conrelid = {}::regclass AND contype = 'p'),\n    {}, {});",
                        lit(table),
                        lit(&q(table)),
                        lit(name),
                        lit(&index.name)
                    );
                    let tag = crate::sql::text::dollar_tag(&body);
                    format!(
                        "-- One statement swaps the keys: the old primary key ({}), whatever its name,\n\
                         -- is dropped, and the index built above becomes the new one.\n\
                         DO {tag}\nBEGIN\n  {body}\nEND\n{tag};",
                        replaces.join(", ")
                    )
                }
            }
            Action::DropColumn { table, column } => {
                let drop = terminate(
                    &SqTable::alter()
                        .table(iden(table))
                        .drop_column(iden(column))
                        .to_string(PostgresQueryBuilder),
                );
                let views: Vec<Action> = physical
                    .views_selecting(table, column)
                    .map(|v| without_columns(v, |c| c != column))
                    .collect();
                around_views(&views, drop)
            }
            Action::AlterColumnType {
                table,
                from,
                column,
            } => {
                if !in_place(from, &column.ty) {
                    return Ok(Err(Unsupported(format!(
                        "Postgres rewrites {table} and its indexes under an exclusive lock to \
                         change {table}.{} from {from} to {}; set `new_name` to change it through \
                         a new column",
                        column.name, column.ty
                    ))));
                }
                let alter = format!(
                    "ALTER TABLE {} ALTER COLUMN {} TYPE {};",
                    q(table),
                    q(&column.name),
                    crate::sql::types::type_name(Dialect::Postgres, &column.ty)
                );
                let views: Vec<Action> = physical
                    .views_selecting(table, &column.name)
                    .cloned()
                    .collect();
                let alter =
                    super::views::around_release_views(physical, table, &column.name, &alter)
                        .unwrap_or(alter);
                around_views(&views, alter)
            }
            Action::DropNotNull { table, column, .. } => {
                context.insert("table", &q(table));
                context.insert("column", &q(&column.name));
                self.template("drop_not_null", &context)?
            }
            Action::SetNotNull { table, column } => {
                // Each statement in its own transaction, or VALIDATE would scan under the
                // exclusive lock that ADD CONSTRAINT took.
                out.no_transaction = true;
                context.insert("table", &q(table));
                context.insert("column", &q(&column.name));
                context.insert("constraint", &q(&constraint_name(table, &column.name)));
                self.template("set_not_null", &context)?
            }
            Action::SetDefault { table, column } => match &column.default {
                Some(d) => format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};",
                    q(table),
                    q(&column.name),
                    crate::sql::ddl::default_sql(Dialect::Postgres, d)
                ),
                None => format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT;",
                    q(table),
                    q(&column.name)
                ),
            },
            Action::Backfill {
                table,
                column,
                source,
                ..
            } => {
                out.no_transaction = true;
                context.insert("table", &q(table));
                context.insert("column", &q(column));
                context.insert("expr", &source_sql(source));
                context.insert(
                    "table_literal",
                    &string_literal(Dialect::Postgres, &q(table)),
                );
                context.insert("column_literal", &string_literal(Dialect::Postgres, column));
                self.batch_context(&mut context, table);
                self.template("backfill", &context)?
            }
            Action::Repair {
                table,
                column,
                expr,
                constraint,
                primary_key,
            } => {
                out.no_transaction = true;
                let batch = self.config.postgres.backfill_batch_size;
                context.insert("table", table);
                context.insert("constraint", &constraint.name);
                context.insert(
                    "update",
                    &crate::sql::ddl::repair_update(
                        Dialect::Postgres,
                        table,
                        column,
                        expr,
                        constraint,
                        primary_key,
                        Some(batch),
                    ),
                );
                self.batch_context(&mut context, table);
                self.template("repair", &context)?
            }
            Action::FillTrigger {
                table,
                column,
                expr,
                trigger,
                ..
            } => {
                context.insert("table", &q(table));
                context.insert("column", &q(column));
                context.insert("expr", expr);
                context.insert("expr_comment", &comment_text(expr));
                context.insert("trigger", &q(trigger));
                context.insert("function", &q(trigger));
                self.template("fill_trigger", &context)?
            }
            Action::SyncTrigger {
                table,
                old,
                new,
                trigger,
                forward,
                ..
            } => {
                context.insert("table", &q(table));
                context.insert("old", &q(old));
                context.insert("new", &q(new));
                context.insert("forward", forward);
                context.insert(
                    "forward_comment",
                    &forward.as_deref().map(comment_text).unwrap_or_default(),
                );
                context.insert("trigger", &q(trigger));
                context.insert("function", &q(trigger));
                self.template("sync_trigger", &context)?
            }
            Action::DropTrigger { table, trigger } => {
                context.insert("table", &q(table));
                context.insert("trigger", &q(trigger));
                context.insert("function", &q(trigger));
                self.template("drop_trigger", &context)?
            }
            Action::CreateIndex { index } => {
                if let Some(u) = crate::sql::ddl::index_refusal(Dialect::Postgres, index) {
                    return Ok(Err(u));
                }
                out.no_transaction = true;
                self.create_index(index)?
            }
            Action::DropIndex { index } => {
                out.no_transaction = true;
                terminate(
                    &SqIndex::drop()
                        .name(index.name.as_str())
                        .concurrently()
                        .to_string(PostgresQueryBuilder),
                )
            }
            Action::RenameTable { from, to } => {
                context.insert("from", &q(from));
                context.insert("to", &q(to));
                self.template("rename_table", &context)?
            }
            Action::CreateCompatView { view, table } => format!(
                "CREATE OR REPLACE VIEW {} AS {};",
                q(view),
                crate::sql::ddl::view_query(Dialect::Postgres, table)
            ),
            Action::DropCompatView { view, .. } => {
                crate::sql::ddl::drop_view(Dialect::Postgres, view)
            }
            Action::AddConstraint { table, constraint } => {
                // Each statement in its own transaction: VALIDATE must not hold the lock
                // that ADD took, and a concurrent index build cannot run inside one.
                out.no_transaction = true;
                let (add, validate) = match &constraint.kind {
                    ConstraintKind::Check { expr } => (
                        format!(
                            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({expr}) NOT VALID",
                            q(table),
                            q(&constraint.name)
                        ),
                        true,
                    ),
                    ConstraintKind::ForeignKey { .. } => (
                        match crate::sql::ddl::deferrable_foreign_key_clause(constraint) {
                            Some(clause) => {
                                format!("ALTER TABLE {} ADD {clause} NOT VALID", q(table))
                            }
                            None => format!(
                                "{} NOT VALID",
                                foreign_key(table, constraint).to_string(PostgresQueryBuilder)
                            ),
                        },
                        true,
                    ),
                    ConstraintKind::Unique { columns } => {
                        // Built concurrently, then attached: the constraint takes the index.
                        let index = unique_index(table, constraint, columns);
                        out.chunks.push(self.create_index(&index)?);
                        (
                            format!(
                                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
                                q(table),
                                q(&constraint.name),
                                q(&constraint.name)
                            ),
                            false,
                        )
                    }
                };
                context.insert("table", &q(table));
                context.insert("constraint", &q(&constraint.name));
                context.insert("add", &add);
                context.insert("validate", &validate);
                self.template("add_constraint", &context)?
            }
            Action::DropConstraint { table, constraint } => format!(
                "ALTER TABLE {} DROP CONSTRAINT {};",
                q(table),
                q(&constraint.name)
            ),
            Action::Enum {
                name,
                change,
                columns,
            } => postgres_enum(name, change, columns, out),
            Action::Raw { sql, .. } => terminate(sql),
            Action::ReleaseViews { .. }
            | Action::DropReleaseSchema { .. }
            | Action::RenameColumn { .. } => {
                super::views::render(action, physical).expect("a views-mode action")
            }
        };
        let chunk = self.with_lock_retries(action, physical, chunk)?;
        out.chunks.push(chunk);
        Ok(Ok(()))
    }

    /// The tables the prologue may lock: only those that exist before the file are.
    fn prologue_tables(&self, actions: &[&Action]) -> Vec<String> {
        if self.config.lock_retries == 0 {
            return Vec::new();
        }
        let mut tables: Vec<String> = Vec::new();
        for (table, _) in actions.iter().flat_map(|a| lock_targets(a)) {
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        tables
    }

    /// In a file that runs in one transaction, each statement's lock is held to the end:
    /// a statement that waits (and retries) for a second table's lock would keep writers
    /// of the first table waiting all that while. So where the file's statements need
    /// locks that its first lock-taking statement does not take, they are all taken
    /// first, together, in one retried attempt that lets go of all of them when it gives
    /// up.
    fn prologue(
        &self,
        actions: &[&Action],
        existed: &[String],
        out: &Rendered,
    ) -> Result<Option<String>> {
        if out.no_transaction || self.config.lock_retries == 0 {
            return Ok(None);
        }
        let mut first: Option<Vec<(String, LockMode)>> = None;
        let mut all: Vec<(String, LockMode)> = Vec::new();
        for action in actions {
            let targets: Vec<(String, LockMode)> = lock_targets(action)
                .into_iter()
                .filter(|(t, _)| existed.contains(t))
                .collect();
            if targets.is_empty() {
                continue;
            }
            first.get_or_insert_with(|| targets.clone());
            for (table, mode) in targets {
                match all.iter_mut().find(|(t, _)| *t == table) {
                    Some((_, m)) => *m = (*m).max(mode),
                    None => all.push((table, mode)),
                }
            }
        }
        let Some(first) = first else {
            return Ok(None);
        };
        let covered = all
            .iter()
            .all(|(table, mode)| first.iter().any(|(t, m)| t == table && m >= mode));
        if covered {
            return Ok(None);
        }
        let statement = all
            .iter()
            .map(|(table, mode)| format!("LOCK TABLE {} IN {} MODE", q(table), mode.sql()))
            .collect::<Vec<_>>()
            .join(";\n      ");
        let tables: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
        Ok(Some(format!(
            "-- The locks this file's statements take, all at once before the first of them.\n{}",
            self.retry_block(&statement, &tables)?
        )))
    }
}

/// The table locks a statement of the file waits for, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum LockMode {
    /// Blocks writes, not reads (`CREATE TRIGGER`, a new foreign key on both tables).
    ShareRowExclusive,
    /// Blocks reads and writes (most of `ALTER TABLE`, `DROP TRIGGER`).
    AccessExclusive,
}

impl LockMode {
    fn sql(self) -> &'static str {
        match self {
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

/// The tables an action's statements lock in a mode that blocks writers, as they exist
/// before it (a new table's own name is nobody else's yet). `CONCURRENTLY` builds, views,
/// functions, `VALIDATE` and raw SQL take none that tandem waits for here.
fn lock_targets(action: &Action) -> Vec<(String, LockMode)> {
    use LockMode::*;
    let referenced = |c: &crate::model::Constraint, mode| match &c.kind {
        ConstraintKind::ForeignKey { references, .. } => vec![(references.clone(), mode)],
        _ => Vec::new(),
    };
    match action {
        Action::AddColumn { table, .. }
        | Action::DropColumn { table, .. }
        | Action::AlterColumnType { table, .. }
        | Action::DropNotNull { table, .. }
        | Action::SetNotNull { table, .. }
        | Action::SetDefault { table, .. }
        | Action::FillTrigger { table, .. }
        | Action::SyncTrigger { table, .. }
        | Action::DropTrigger { table, .. }
        | Action::RenameConstraint { table, .. }
        | Action::DropTable { table } => vec![(table.clone(), AccessExclusive)],
        Action::RenameTable { from, .. } => vec![(from.clone(), AccessExclusive)],
        Action::CreateTable { table } => {
            let mut out: Vec<(String, LockMode)> = Vec::new();
            for c in &table.constraints {
                for target in referenced(c, ShareRowExclusive) {
                    if target.0 != table.name && !out.contains(&target) {
                        out.push(target);
                    }
                }
            }
            out
        }
        Action::AddConstraint { table, constraint } => match &constraint.kind {
            ConstraintKind::ForeignKey { .. } => {
                let mut out = vec![(table.clone(), ShareRowExclusive)];
                out.extend(
                    referenced(constraint, ShareRowExclusive)
                        .into_iter()
                        .filter(|(t, _)| t != table),
                );
                out
            }
            _ => vec![(table.clone(), AccessExclusive)],
        },
        Action::DropConstraint { table, constraint } => {
            let mut out = vec![(table.clone(), AccessExclusive)];
            out.extend(
                referenced(constraint, ShareRowExclusive)
                    .into_iter()
                    .filter(|(t, _)| t != table),
            );
            out
        }
        _ => Vec::new(),
    }
}

/// Whether a statement (leading comments aside) waits for a table lock that blocks
/// writers, and can run inside a `DO` block.
fn takes_lock(statement: &str) -> bool {
    let code: String = statement
        .lines()
        .skip_while(|l| l.trim_start().starts_with("--") || l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let upper = code.to_ascii_uppercase();
    let starts = |p: &str| upper.starts_with(p);
    (starts("ALTER TABLE ") && !upper.contains(" VALIDATE CONSTRAINT "))
        || starts("CREATE TRIGGER ")
        || starts("DROP TRIGGER ")
        || starts("CREATE TABLE ")
        || starts("DROP TABLE ")
}

impl Postgres<'_> {
    /// `chunk` with its statements that wait for a table lock run in a
    /// [`Self::retry_block`], one block for each run of such statements in a row (a drop
    /// and create of a trigger retry together).
    fn with_lock_retries(
        &self,
        action: &Action,
        physical: &Physical,
        chunk: String,
    ) -> Result<String> {
        if self.config.lock_retries == 0 {
            return Ok(chunk);
        }
        let targets: Vec<(String, LockMode)> = lock_targets(action)
            .into_iter()
            .filter(|(t, _)| physical.table(t).is_some())
            .collect();
        if targets.is_empty() {
            return Ok(chunk);
        }
        let statements = crate::sql::split::split_statements(&chunk);
        if !statements.iter().any(|s| takes_lock(s)) {
            return Ok(chunk);
        }
        let tables: Vec<&str> = targets.iter().map(|(t, _)| t.as_str()).collect();
        let mut out: Vec<String> = Vec::new();
        // Comments above the run, and its statements.
        let mut run: Option<(Vec<String>, Vec<String>)> = None;
        for statement in statements {
            if !takes_lock(&statement) {
                if let Some((comments, code)) = run.take() {
                    out.push(self.retry_run(&comments, &code, &tables)?);
                }
                out.push(format!("{statement};"));
                continue;
            }
            // Split at '\n' only: a literal's "\r\n" must come back byte for byte.
            let lines: Vec<&str> = statement.split('\n').collect();
            let n = lines
                .iter()
                .take_while(|l| l.trim_start().starts_with("--") || l.trim().is_empty())
                .count();
            let (comments, code) = run.get_or_insert_with(Default::default);
            comments.extend(lines[..n].iter().map(|l| l.to_string()));
            code.push(lines[n..].join("\n"));
        }
        if let Some((comments, code)) = run.take() {
            out.push(self.retry_run(&comments, &code, &tables)?);
        }
        Ok(out.join("\n\n"))
    }

    fn retry_run(&self, comments: &[String], code: &[String], tables: &[&str]) -> Result<String> {
        let statement = code
            .iter()
            .map(|s| {
                // Continuation lines line up with the first, unless a literal might span
                // them (its text must not change).
                if s.contains('\'') || s.contains('$') {
                    s.clone()
                } else {
                    s.replace('\n', "\n      ")
                }
            })
            .collect::<Vec<_>>()
            .join(";\n      ");
        let block = self.retry_block(&statement, tables)?;
        Ok(if comments.is_empty() {
            block
        } else {
            format!("{}\n{block}", comments.join("\n"))
        })
    }

    /// `statement` in a `DO` block that runs it with the file's `lock_timeout` per
    /// attempt and, while the lock is not available, tries again after a jittered pause,
    /// `lock_retries` more times, with a NOTICE for each retry; then fails naming the
    /// tables. Inside a transaction the attempt is a subtransaction: a failed one lets go
    /// of every lock it took.
    fn retry_block(&self, statement: &str, tables: &[&str]) -> Result<String> {
        let mut context = Context::new();
        context.insert("statement", statement);
        context.insert(
            "tables",
            &string_literal(Dialect::Postgres, &tables.join(", ")),
        );
        context.insert("attempts", &(u64::from(self.config.lock_retries) + 1));
        context.insert("lock_timeout", &self.config.postgres.lock_timeout);
        context.insert(
            "lock_timeout_literal",
            &string_literal(Dialect::Postgres, &self.config.postgres.lock_timeout),
        );
        self.template("lock_retry", &context)
    }
}

/// Type changes Postgres makes without rewriting the table: a longer varchar, varchar to
/// text, more precision at the same scale.
fn in_place(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    match (from, to) {
        (Varchar(n), Varchar(m)) => m >= n,
        (Varchar(_), Text) => true,
        (Decimal(p, s), Decimal(p2, s2)) => s2 == s && p2 >= p,
        _ => from == to || crate::sql::types::postgres_in_place(from, to),
    }
}

/// `statement`, run with the views that read the column it changes dropped before and
/// created again after (Postgres refuses to drop or retype a column a view reads), in
/// one DO block: atomic even in a file that runs outside a transaction, so the code
/// reading through a view never finds it missing.
fn around_views(views: &[Action], statement: String) -> String {
    if views.is_empty() {
        return statement;
    }
    let mut body = Vec::new();
    for view in views {
        if let Action::CreateCompatView { view, .. } = view {
            body.push(crate::sql::ddl::drop_view(Dialect::Postgres, view));
        }
    }
    body.push(statement);
    for view in views {
        if let Action::CreateCompatView { view, table } = view {
            body.push(format!(
                "CREATE VIEW {} AS {};",
                q(view),
                crate::sql::ddl::view_query(Dialect::Postgres, table)
            ));
        }
    }
    let body = body.join("\n  ");
    let tag = crate::sql::text::dollar_tag(&body);
    format!(
        "-- Views kept for the previous release read this column: dropped and made again around it.\n\
         DO {tag}\nBEGIN\n  {body}\nEND\n{tag};"
    )
}

fn source_sql(source: &Source) -> String {
    match source {
        Source::Sql(sql) => sql.clone(),
        Source::Column(c) => q(c),
    }
}

/// The statements of an enum change on Postgres, where an enum is a type of its own.
/// Adding a value runs outside a transaction (a value added in a transaction cannot be
/// used before it commits); removing one makes the type again without it and converts
/// each column, in the file's transaction (the rows must not hold the value).
pub fn postgres_enum(
    name: &str,
    change: &crate::action::EnumChange,
    columns: &[(String, Column)],
    out: &mut Rendered,
) -> String {
    use crate::action::EnumChange;
    let d = Dialect::Postgres;
    let list = |values: &[String]| {
        values
            .iter()
            .map(|v| string_literal(d, v))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match change {
        EnumChange::Create { values } => {
            format!("CREATE TYPE {} AS ENUM ({});", quote(d, name), list(values))
        }
        EnumChange::AddValue { value } => {
            out.no_transaction = true;
            format!(
                "ALTER TYPE {} ADD VALUE IF NOT EXISTS {};",
                quote(d, name),
                string_literal(d, value)
            )
        }
        EnumChange::DropValue { values, .. } => {
            let old = crate::model::fit_identifier(format!("tandem_old_{name}"), 63);
            let mut sql = vec![
                format!(
                    "ALTER TYPE {} RENAME TO {};",
                    quote(d, name),
                    quote(d, &old)
                ),
                format!("CREATE TYPE {} AS ENUM ({});", quote(d, name), list(values)),
            ];
            for (table, column) in columns {
                let (t, c) = (quote(d, table), quote(d, &column.name));
                let default = match &column.default {
                    Some(def @ crate::model::Default::Literal(_))
                    | Some(def @ crate::model::Default::Sql(_)) => Some(default_sql(d, def)),
                    _ => None,
                };
                if default.is_some() {
                    sql.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"));
                }
                sql.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} TYPE {} USING {c}::text::{};",
                    quote(d, name),
                    quote(d, name)
                ));
                if let Some(default) = default {
                    sql.push(format!(
                        "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default};"
                    ));
                }
            }
            sql.push(format!("DROP TYPE {};", quote(d, &old)));
            sql.join("\n")
        }
        EnumChange::Drop => format!("DROP TYPE {};", quote(d, name)),
    }
}
