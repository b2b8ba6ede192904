//! `tandem init` and `tandem new`: a new project, and a new change file from a template.

use std::path::Path;

use tera::Context;

use crate::config::{Config, CONFIG_FILE};
use crate::diag::{suggestion, Diag, Error, Result, SourceFile};
use crate::parse::change::parse_change_in;
use crate::project::change_files;
use crate::sql::Dialect;
use crate::templates::Templates;

/// Creates tandem.toml, schema.toml, changes/ and migrations/ in `root`.
pub fn init(root: &Path, dialect: Dialect) -> Result<Vec<String>> {
    let config_path = root.join(CONFIG_FILE);
    if config_path.exists() {
        return Err(
            Diag::input(format!("{} already exists", config_path.display()))
                .help("this directory is already a tandem project")
                .into(),
        );
    }
    std::fs::create_dir_all(root).map_err(|e| Error::io(root, e))?;
    let config = format!(
        r#"dialect = "{}"          # postgres | mysql | sqlite (mysql covers MariaDB)
schema = "schema.toml"
changes_dir = "changes"
migrations_dir = "migrations"
min_release_gap = 1
# releases = ["2026.06", "2026.07"]   # explicit order; default: semantic versions
# templates_dir = "templates"         # overrides of the built-in templates
{}   # default for migrate / status / verify

# lock_retries = 30                   # retries of a lock wait that gave up

[postgres]
# lock_timeout = "500ms"              # each attempt's lock wait
# backfill_batch_size = 250
# backfill_pause_ms = 10

[mysql]
# lock_wait_timeout = 1               # seconds, each attempt's lock wait
# backfill_batch_size = 250
# backfill_pause_ms = 10
"#,
        dialect.name(),
        match dialect {
            Dialect::Sqlite => "database_url = \"sqlite://tandem.db\"",
            Dialect::Postgres => "# database_url = \"postgres://postgres@127.0.0.1:5432/app\"",
            Dialect::Mysql => "# database_url = \"mysql://root@127.0.0.1:3306/app\"",
        }
    );
    let schema = r#"# The schema before the first change. Example:
#
# [tables.users]
# primary_key = ["id"]
#
# [tables.users.columns]
# id    = { type = "bigint" }
# email = { type = "varchar(255)" }
"#;
    let mut created = Vec::new();
    for (name, text) in [(CONFIG_FILE, config.as_str()), ("schema.toml", schema)] {
        let path = root.join(name);
        if !path.exists() {
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
            created.push(name.to_string());
        }
    }
    for dir in ["changes", "migrations"] {
        let path = root.join(dir);
        std::fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        created.push(format!("{dir}/"));
    }
    Ok(created)
}

/// Arguments of `tandem new`.
#[derive(Debug, Clone, Default)]
pub struct NewChange {
    pub op: String,
    pub target: String,
    pub release: String,
    pub to: Option<String>,
    pub column_type: Option<String>,
    pub columns: Vec<String>,
    pub references: Option<String>,
    pub check: Option<String>,
    pub summary: Option<String>,
}

/// Writes a new change file named after the next free number; returns its path.
pub fn new_change(config: &Config, templates: &Templates, args: &NewChange) -> Result<String> {
    let op = args.op.replace('-', "_");
    let types = crate::ops::type_names();
    if !types.contains(&op.as_str()) {
        let kebab: Vec<String> = types.iter().map(|t| t.replace('_', "-")).collect();
        let names: Vec<&str> = kebab.iter().map(String::as_str).collect();
        return Err(Diag::input(format!("unknown op type `{}`", args.op))
            .help(suggestion(&args.op, &names))
            .into());
    }
    let (table, column) = split_target(&op, &args.target)?;
    if let Err((message, help)) = config.order.validate(&args.release) {
        return Err(Diag::input(format!("--release: {message}"))
            .help(help)
            .into());
    }
    check_arguments(&op, args, column.as_deref())?;
    let has_primary_key = check_against_model(config, &op, &table, column.as_deref(), args)?;
    let number = next_number(config)?;
    let subject = args.target.replace(['.', '-'], "_");
    let name = format!("{number:04}_{op}_{subject}.toml");
    let path = config.changes_dir.join(&name);
    let display = config.display(&path);
    let context = change_context(&display, &op, &table, column, has_primary_key, args);
    let text = templates.render("change.toml.tera", &context)?;
    // The scaffold must itself be a valid change file.
    parse_change_in(
        &SourceFile::new(display.clone(), text.clone()),
        config.dialect,
    )?;
    if path.exists() {
        return Err(Diag::input(format!("{display} already exists")).into());
    }
    std::fs::create_dir_all(&config.changes_dir).map_err(|e| Error::io(&config.changes_dir, e))?;
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    Ok(display)
}

/// The arguments `op` cannot be scaffolded without, each refused with an example.
fn check_arguments(op: &str, args: &NewChange, column: Option<&str>) -> Result<()> {
    let needs_column = matches!(
        op,
        "add_column" | "drop_column" | "rename_column" | "alter_column"
    );
    if needs_column && column.is_none() {
        return Err(
            Diag::input(format!("`tandem new {}` needs TABLE.COLUMN", args.op))
                .help(format!(
                    "e.g. tandem new {} users.email --release {}",
                    args.op, args.release
                ))
                .into(),
        );
    }
    if (op == "add_enum_value" || op == "drop_enum_value") && column.is_none() {
        return Err(
            Diag::input(format!("`tandem new {}` needs ENUM.VALUE", args.op))
                .help(format!(
                    "e.g. tandem new {} status.archived --release {}",
                    args.op, args.release
                ))
                .into(),
        );
    }
    if op == "rename_constraint" && column.is_none() {
        return Err(
            Diag::input(format!("`tandem new {}` needs TABLE.CONSTRAINT", args.op))
                .help(format!(
                    "e.g. tandem new {} users.users_email_key --to users_email_unique --release {}",
                    args.op, args.release
                ))
                .into(),
        );
    }
    if (op == "rename_column" || op == "rename_table" || op == "rename_constraint")
        && args.to.is_none()
    {
        return Err(Diag::input(format!("`tandem new {}` needs --to NEW_NAME", args.op)).into());
    }
    if op == "add_foreign_key" && args.references.is_none() {
        return Err(Diag::input(format!(
            "`tandem new {}` needs --references TABLE (or TABLE(COLUMN))",
            args.op
        ))
        .help(format!(
            "e.g. tandem new {} orders.user_id --references users --release {}",
            args.op, args.release
        ))
        .into());
    }
    if op == "add_primary_key" && args.columns.is_empty() && column.is_none() {
        return Err(Diag::input(format!(
            "`tandem new {}` needs --columns COLUMN,... (or TABLE.COLUMN)",
            args.op
        ))
        .help(format!(
            "e.g. tandem new {} events --columns id --release {}",
            args.op, args.release
        ))
        .into());
    }
    if op == "add_check" && args.check.is_none() {
        return Err(
            Diag::input(format!("`tandem new {}` needs --check EXPRESSION", args.op))
                .help(format!(
                    "e.g. tandem new {} orders --check \"quantity > 0\" --release {}",
                    args.op, args.release
                ))
                .into(),
        );
    }
    Ok(())
}

/// The number of the next change file: one above the highest in the changes directory.
fn next_number(config: &Config) -> Result<u32> {
    let mut number = 1;
    for path in change_files(&config.changes_dir)? {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let digits: String = stem.chars().take_while(|c| c.is_ascii_digit()).collect();
        if let Ok(n) = digits.parse::<u32>() {
            number = number.max(n + 1);
        }
    }
    Ok(number)
}

/// What the change file template is given.
fn change_context(
    display: &str,
    op: &str,
    table: &str,
    column: Option<String>,
    has_primary_key: bool,
    args: &NewChange,
) -> Context {
    let columns = if args.columns.is_empty() {
        column.iter().cloned().collect::<Vec<_>>()
    } else {
        args.columns.clone()
    };
    let mut context = Context::new();
    context.insert("path", display);
    context.insert("release", &args.release);
    // A TOML string, quoted and escaped by the TOML writer.
    context.insert(
        "summary",
        &toml::Value::String(
            args.summary
                .clone()
                .unwrap_or_else(|| format!("{} {}", op.replace('_', " "), args.target)),
        )
        .to_string(),
    );
    context.insert("op", op);
    context.insert("has_primary_key", &has_primary_key);
    context.insert("table", table);
    context.insert("column", &column.clone().unwrap_or_default());
    context.insert("column_type", args.column_type.as_deref().unwrap_or("text"));
    context.insert("column_type_given", &args.column_type.is_some());
    context.insert("to", &args.to.clone().unwrap_or_default());
    context.insert("columns", &columns);
    context.insert("name", &column.clone().unwrap_or(args.target.clone()));
    context.insert("references", &args.references.clone().unwrap_or_default());
    // A TOML string, quoted and escaped by the TOML writer.
    context.insert(
        "check",
        &toml::Value::String(args.check.clone().unwrap_or_default()).to_string(),
    );
    context
}

/// `TABLE` or `TABLE.COLUMN`, each a valid name (`drop-index` and `drop-constraint`
/// take a bare name, or `TABLE.NAME`).
fn split_target(op: &str, target: &str) -> Result<(String, Option<String>)> {
    let parts: Vec<&str> = target.split('.').collect();
    let valid = crate::parse::decl::is_valid_name;
    let what = if op == "drop_index" || op == "drop_constraint" || op == "rename_constraint" {
        "NAME or TABLE.NAME"
    } else {
        "TABLE or TABLE.COLUMN"
    };
    if parts.len() > 2 || !parts.iter().all(|p| valid(p)) {
        return Err(Diag::input(format!("`{target}` is not {what}"))
            .help("names are letters, digits, `_`, `-` and `$`, at most 63 characters; one `.` between the table and the column")
            .into());
    }
    Ok(match parts.as_slice() {
        [t, c] => (t.to_string(), Some(c.to_string())),
        _ => (target.to_string(), None),
    })
}

/// The names the op needs exist, and those it creates do not, in the schema the code of
/// the change's release sees. Skipped when the project does not plan today (its own
/// error is what `check` reports). Says whether `table` has a primary key there.
fn check_against_model(
    config: &Config,
    op: &str,
    table: &str,
    column: Option<&str>,
    args: &NewChange,
) -> Result<bool> {
    let Ok(project) = crate::project::Project::load(&config.root) else {
        return Ok(false);
    };
    let Ok(plan) = crate::layout::build_plan(&project) else {
        return Ok(false);
    };
    // The schema after every change of the releases up to this one (the new file is
    // the last of its release).
    let up_to = plan
        .releases
        .names()
        .iter()
        .filter(|r| config.order.compare(r, &args.release).is_le())
        .count();
    // A release after every known one also sees what their contracts add.
    let after_all = up_to == plan.releases.len() && plan.releases.index(&args.release).is_none();
    let Some(view) = (if after_all {
        Some(&plan.latest)
    } else {
        plan.views.get(up_to)
    }) else {
        return Ok(false);
    };
    let names: Vec<&str> = view.tables.keys().map(String::as_str).collect();
    let unknown_table = |name: &str| -> Error {
        Diag::input(format!("unknown table `{name}`"))
            .note(format!(
                "no such table in the schema the code of release {} sees",
                args.release
            ))
            .help(suggestion(name, &names))
            .into()
    };
    let existing = |name: &str| view.table(name).ok_or_else(|| unknown_table(name));
    let needs_column = |t: &crate::model::Table, c: &str| -> Result<()> {
        if t.column(c).is_some() {
            return Ok(());
        }
        Err(Diag::input(format!("unknown column `{}.{c}`", t.name))
            .help(suggestion(c, &t.column_names()))
            .into())
    };
    let free_column = |t: &crate::model::Table, c: &str| -> Result<()> {
        match t.column(c) {
            None => Ok(()),
            Some(_) => Err(Diag::input(format!("`{}.{c}` already exists", t.name)).into()),
        }
    };
    match op {
        "create_table" if view.table(table).is_some() => {
            return Err(Diag::input(format!("table `{table}` already exists")).into());
        }
        "drop_table" => {
            existing(table)?;
        }
        "rename_table" => {
            existing(table)?;
            if let Some(to) = args.to.as_deref().filter(|to| view.table(to).is_some()) {
                return Err(Diag::input(format!("table `{to}` already exists")).into());
            }
        }
        "add_column" => free_column(existing(table)?, column.unwrap_or_default())?,
        "drop_column" | "alter_column" => {
            needs_column(existing(table)?, column.unwrap_or_default())?
        }
        "rename_column" => {
            let t = existing(table)?;
            needs_column(t, column.unwrap_or_default())?;
            if let Some(to) = &args.to {
                free_column(t, to)?;
            }
        }
        "create_index" | "add_unique" | "add_foreign_key" | "add_check" | "add_primary_key" => {
            let t = existing(table)?;
            for c in args.columns.iter().map(String::as_str).chain(column) {
                needs_column(t, c)?;
            }
            if let Some(r) = &args.references {
                let referenced = r.split(['(', '.']).next().unwrap_or(r).trim();
                existing(referenced)?;
            }
        }
        "set_comment" => match column {
            Some(c) => needs_column(existing(table)?, c)?,
            None => {
                existing(table)?;
            }
        },
        "drop_constraint" if column.is_some() => {
            existing(table)?;
        }
        _ => {}
    }
    Ok(view.table(table).is_some_and(|t| !t.primary_key.is_empty()))
}
