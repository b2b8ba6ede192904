//! The tera templates that shape file names, file headers, change scaffolds, the runbook
//! and the dialect SQL that sea-query cannot express. Built-ins are embedded in the binary;
//! a project's `templates_dir` overrides any of them by file name.

use std::path::Path;

use tera::{Context, Tera};

use crate::diag::{Diag, Result};

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "file_name.tera",
        include_str!("../templates/file_name.tera"),
    ),
    (
        "migration.sql.tera",
        include_str!("../templates/migration.sql.tera"),
    ),
    (
        "change.toml.tera",
        include_str!("../templates/change.toml.tera"),
    ),
    (
        "runbook.md.tera",
        include_str!("../templates/runbook.md.tera"),
    ),
    (
        "orm/activerecord.rb.tera",
        include_str!("../templates/orm/activerecord.rb.tera"),
    ),
    (
        "orm/sqlalchemy.py.tera",
        include_str!("../templates/orm/sqlalchemy.py.tera"),
    ),
    (
        "mysql/preamble.sql.tera",
        include_str!("../templates/mysql/preamble.sql.tera"),
    ),
    (
        "mysql/batch_loop.sql.tera",
        include_str!("../templates/mysql/batch_loop.sql.tera"),
    ),
    (
        "mysql/backfill.sql.tera",
        include_str!("../templates/mysql/backfill.sql.tera"),
    ),
    (
        "mysql/backfill_by_key.sql.tera",
        include_str!("../templates/mysql/backfill_by_key.sql.tera"),
    ),
    (
        "mysql/repair.sql.tera",
        include_str!("../templates/mysql/repair.sql.tera"),
    ),
    (
        "mysql/fill_trigger.sql.tera",
        include_str!("../templates/mysql/fill_trigger.sql.tera"),
    ),
    (
        "mysql/stand_in_check.sql.tera",
        include_str!("../templates/mysql/stand_in_check.sql.tera"),
    ),
    (
        "mysql/sync_trigger.sql.tera",
        include_str!("../templates/mysql/sync_trigger.sql.tera"),
    ),
    (
        "mysql/rename_table.sql.tera",
        include_str!("../templates/mysql/rename_table.sql.tera"),
    ),
    (
        "mysql/add_foreign_key.sql.tera",
        include_str!("../templates/mysql/add_foreign_key.sql.tera"),
    ),
    (
        "mysql/drop_foreign_key.sql.tera",
        include_str!("../templates/mysql/drop_foreign_key.sql.tera"),
    ),
    (
        "postgres/add_constraint.sql.tera",
        include_str!("../templates/postgres/add_constraint.sql.tera"),
    ),
    (
        "postgres/rename_table.sql.tera",
        include_str!("../templates/postgres/rename_table.sql.tera"),
    ),
    (
        "sqlite/check_foreign_key.sql.tera",
        include_str!("../templates/sqlite/check_foreign_key.sql.tera"),
    ),
    (
        "sqlite/compat_view.sql.tera",
        include_str!("../templates/sqlite/compat_view.sql.tera"),
    ),
    (
        "sqlite/fill_trigger.sql.tera",
        include_str!("../templates/sqlite/fill_trigger.sql.tera"),
    ),
    (
        "sqlite/sync_trigger.sql.tera",
        include_str!("../templates/sqlite/sync_trigger.sql.tera"),
    ),
    (
        "sqlite/rebuild.sql.tera",
        include_str!("../templates/sqlite/rebuild.sql.tera"),
    ),
    (
        "sqlite/rebuild_guard.sql.tera",
        include_str!("../templates/sqlite/rebuild_guard.sql.tera"),
    ),
    (
        "postgres/macros.sql.tera",
        include_str!("../templates/postgres/macros.sql.tera"),
    ),
    (
        "postgres/repair.sql.tera",
        include_str!("../templates/postgres/repair.sql.tera"),
    ),
    (
        "postgres/preamble.sql.tera",
        include_str!("../templates/postgres/preamble.sql.tera"),
    ),
    (
        "postgres/lock_retry.sql.tera",
        include_str!("../templates/postgres/lock_retry.sql.tera"),
    ),
    (
        "postgres/backfill.sql.tera",
        include_str!("../templates/postgres/backfill.sql.tera"),
    ),
    (
        "postgres/fill_trigger.sql.tera",
        include_str!("../templates/postgres/fill_trigger.sql.tera"),
    ),
    (
        "postgres/sync_trigger.sql.tera",
        include_str!("../templates/postgres/sync_trigger.sql.tera"),
    ),
    (
        "postgres/drop_trigger.sql.tera",
        include_str!("../templates/postgres/drop_trigger.sql.tera"),
    ),
    (
        "postgres/set_not_null.sql.tera",
        include_str!("../templates/postgres/set_not_null.sql.tera"),
    ),
    (
        "postgres/drop_not_null.sql.tera",
        include_str!("../templates/postgres/drop_not_null.sql.tera"),
    ),
    (
        "postgres/create_index.sql.tera",
        include_str!("../templates/postgres/create_index.sql.tera"),
    ),
];

/// The template set of a project.
#[derive(Debug)]
pub struct Templates {
    tera: Tera,
}

impl Templates {
    /// The built-ins only.
    pub fn builtin() -> Templates {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![]);
        tera.add_raw_templates(BUILTIN.iter().copied())
            .expect("built-in templates parse");
        Templates { tera }
    }

    /// The built-ins, with every same-named file under `dir` taking precedence.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        let mut templates = Templates::builtin();
        let Some(dir) = dir else {
            return Ok(templates);
        };
        if !dir.is_dir() {
            return Err(Diag::input(format!(
                "templates_dir {} is not a directory",
                dir.display()
            ))
            .help("create it, or remove `templates_dir` from tandem.toml")
            .into());
        }
        for (name, _) in BUILTIN {
            let path = dir.join(name);
            if !path.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| crate::diag::Error::io(&path, e))?;
            let file = crate::diag::SourceFile::from_bytes(path.display().to_string(), bytes)?;
            templates
                .tera
                .add_raw_template(name, &file.text)
                .map_err(|e| {
                    Diag::input(format!("template {} does not parse", path.display()))
                        .note(error_chain(&e))
                })?;
        }
        Ok(templates)
    }

    pub fn render(&self, name: &str, context: &Context) -> Result<String> {
        self.tera.render(name, context).map_err(|e| {
            Diag::input(format!("template `{name}` failed to render"))
                .note(error_chain(&e))
                .help("check the override in templates_dir against the built-in one")
                .into()
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::Templates;
    use tera::Context;

    fn lock_retry(templates: &Templates) -> String {
        let mut context = Context::new();
        for (key, value) in [
            ("tag", "$tandem$"),
            ("lock_timeout", "'200ms'"),
            ("lock_timeout_literal", "'200ms'"),
            ("attempts", "3"),
            ("statement", "ALTER TABLE t ADD COLUMN c int"),
            ("tables", "'t'"),
        ] {
            context.insert(key, value);
        }
        templates
            .render("postgres/lock_retry.sql.tera", &context)
            .unwrap()
    }

    /// The shared macros are a template like the others: a project's override of them
    /// reaches every template that imports them.
    #[test]
    fn an_override_of_the_shared_macros_reaches_the_templates_that_import_them() {
        let builtin = lock_retry(&Templates::builtin());
        assert!(builtin.contains("pause_ms := least(5000, (50 << least(attempt, 6))"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("postgres")).unwrap();
        std::fs::write(
            dir.path().join("postgres/macros.sql.tera"),
            "{% macro retry_pause(attempt) %}250{% endmacro retry_pause %}\n\
             {% macro batch(update, attempts, table_name_literal) %}{% endmacro batch %}\n\
             {% macro throttle(pause_ms, max_batch_ms, max_replica_lag_ms, resize) %}{% endmacro throttle %}\n",
        )
        .unwrap();
        let overridden = lock_retry(&Templates::load(Some(dir.path())).unwrap());
        assert!(overridden.contains("pause_ms := 250;"), "{overridden}");
    }
}
