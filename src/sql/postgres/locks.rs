//! PostgreSQL lock retries: a statement that waits for a table lock runs in a `DO` block
//! that gives up after `lock_timeout` and tries again, so that a long-running query
//! holding the table makes the migration wait in short, retried attempts instead of
//! queueing every writer behind it; and a file in one transaction takes the locks of
//! all its statements at once, first.

use tera::Context;

use super::writer::{q, Postgres};
use crate::action::Action;
use crate::diag::Result;
use crate::model::ConstraintKind;
use crate::sql::physical::Physical;
use crate::sql::render::Rendered;
use crate::sql::text::string_literal;
use crate::sql::Dialect;

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
        // Removing a value converts every column of the type, under each table's lock.
        Action::Enum {
            change: crate::action::EnumChange::DropValue { .. },
            columns,
            ..
        } => {
            let mut out: Vec<(String, LockMode)> = Vec::new();
            for (table, _) in columns {
                if !out.iter().any(|(t, _)| t == table) {
                    out.push((table.clone(), AccessExclusive));
                }
            }
            out
        }
        Action::CreateTable { table, .. } => {
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
        Action::SwapColumn {
            table, referencing, ..
        } => {
            let mut out = vec![(table.clone(), AccessExclusive)];
            for (owner, _) in referencing {
                if !out.iter().any(|(t, _)| t == owner) {
                    out.push((owner.clone(), AccessExclusive));
                }
            }
            out
        }
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
        || starts("LOCK TABLE ")
}

impl Postgres<'_> {
    /// In a file that runs in one transaction, each statement's lock is held to the end:
    /// a statement that waits (and retries) for a second table's lock would keep writers
    /// of the first table waiting all that while. So where the file's statements need
    /// locks that its first lock-taking statement does not take, they are all taken
    /// first, together, in one retried attempt that lets go of all of them when it gives
    /// up. (This dialect's `Renderer::prologue`.)
    /// The tables the prologue may lock: only those that exist before the file are.
    pub(super) fn lock_prologue_tables(&self, actions: &[&Action]) -> Vec<String> {
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

    pub(super) fn lock_prologue(
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

    /// `chunk` with its statements that wait for a table lock run in a
    /// [`Self::retry_block`], one block for each run of such statements in a row (a drop
    /// and create of a trigger retry together).
    pub(super) fn with_lock_retries(
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
    pub(super) fn retry_block(&self, statement: &str, tables: &[&str]) -> Result<String> {
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
