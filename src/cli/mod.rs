//! The command line: parse arguments, run one command, map the outcome to an exit code
//! (0 success, 1 refused or found a problem, 2 bad input or an I/O or database error).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::apply::{self, migrate, status};
use crate::code_contract;
use crate::config::Config;
use crate::diag::{Diag, Result};
use crate::generate::{self, Drift};
use crate::plan::{self, Slot};
use crate::project::Project;
use crate::report;
use crate::scaffold::{self, NewChange};
use crate::sql::Dialect;
use crate::templates::Templates;
use crate::verify;

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "Two-phase (expand / contract) schema migrations, placed release by release"
)]
pub struct Cli {
    /// The project directory (holding tandem.toml).
    #[arg(long, global = true, default_value = ".")]
    pub project: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Phase {
    Expand,
    Contract,
}

impl Phase {
    pub fn slot(self, release: usize) -> Slot {
        match self {
            Phase::Expand => Slot::Expand(release),
            Phase::Contract => Slot::Contract(release),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold tandem.toml, schema.toml, changes/ and migrations/.
    Init {
        /// The database the project targets; SQLite needs no server.
        #[arg(long, value_enum, default_value = "sqlite")]
        dialect: Dialect,
    },
    /// Scaffold a change file, e.g. `tandem new drop-column users.legacy_email --release 1.4.0`.
    New {
        /// Op type: create-table, drop-table, rename-table, add-column, drop-column,
        /// rename-column, alter-column, create-index, drop-index, add-foreign-key,
        /// add-unique, add-check, drop-constraint, add-primary-key, set-comment, sql.
        op: String,
        /// TABLE, TABLE.COLUMN, or the name for drop-index and drop-constraint.
        target: String,
        /// The release whose code adopts the change.
        #[arg(long)]
        release: String,
        /// New name, for rename-column and rename-table.
        #[arg(long)]
        to: Option<String>,
        /// Column type, for add-column (default text) and alter-column.
        #[arg(long = "type")]
        column_type: Option<String>,
        /// Columns, for create-index, add-unique and add-primary-key (comma-separated).
        #[arg(long, value_delimiter = ',')]
        columns: Vec<String>,
        /// The referenced table, for add-foreign-key: TABLE or TABLE(COLUMN, ...).
        #[arg(long)]
        references: Option<String>,
        /// The boolean SQL expression, for add-check.
        #[arg(long)]
        check: Option<String>,
        #[arg(long)]
        summary: Option<String>,
    },
    /// Apply the generated files through refinery, up to a release's expand or contract.
    Migrate {
        #[arg(long, required_unless_present = "bundle")]
        release: Option<String>,
        /// Apply a bundle written by `tandem release bundle` (no project needed): its
        /// pre-deploy files for --phase expand, and post-deploy too for contract.
        #[arg(long, conflicts_with_all = ["release", "adopt"])]
        bundle: Option<PathBuf>,
        #[arg(long, value_enum)]
        phase: Phase,
        /// sqlite://PATH, postgres://... or mysql://...; default: tandem.toml's
        /// database_url, else sqlite://tandem.db.
        #[arg(long)]
        database_url: Option<String>,
        /// Record the baseline as applied without running it, after checking that the
        /// live tables match schema.toml.
        #[arg(long)]
        adopt: bool,
        #[command(flatten)]
        fleet: FleetArgs,
    },
    /// Show which releases and phases a database has applied.
    Status {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Rehearse the rollout on a scratch database: every release's expand and contract,
    /// with the probes of the code before it and its own.
    Verify {
        /// The server to rehearse on (a fresh database is created and dropped there);
        /// default: tandem.toml's database_url, else SQLite in memory.
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Show the releases in order with their expand and contract steps.
    Plan {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Write the migration files.
    Generate {
        /// Write nothing; exit 1 when files are missing, stale or edited by hand.
        #[arg(long)]
        check: bool,
        /// Overwrite or remove files edited by hand.
        #[arg(long)]
        force: bool,
    },
    /// Validate changes, the rule and the lock; write nothing.
    Check,
    /// Manage releases.
    Release {
        #[command(subcommand)]
        action: ReleaseAction,
    },
    /// The ordered deploy steps of a release, as Markdown.
    Runbook { release: String },
    /// Drift: a live database against the plan at the point its history says it is
    /// (--database-url); or the change file that takes the latest model to a desired
    /// schema (--to FILE --release R).
    Diff {
        #[arg(long, conflicts_with = "to")]
        database_url: Option<String>,
        /// A desired schema, in schema.toml's format.
        #[arg(long, requires = "release")]
        to: Option<PathBuf>,
        /// The release the proposed change is tagged with.
        #[arg(long)]
        release: Option<String>,
        /// Renames to propose instead of a drop and an add: `table=new` or
        /// `table.column=new` (never guessed).
        #[arg(long = "rename")]
        renames: Vec<String>,
    },
    /// Print a live database's schema as a schema.toml (no project needed).
    Introspect {
        /// sqlite://PATH, postgres://... or mysql://...; default: tandem.toml's
        /// database_url.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// What a release's code may use and must stop using, for people, scripts or an
    /// ORM's ignore list.
    CodeContract {
        release: String,
        #[arg(long, value_enum, default_value = "text")]
        format: ContractFormat,
    },
    /// The real statements each release's code runs, which `verify` runs beside its
    /// probes.
    Queries {
        #[command(subcommand)]
        action: QueriesAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum QueriesAction {
    /// Add the statements of FILE (a Postgres statement log, a pg_stat_statements CSV
    /// export, or statements separated by `;`) to queries/RELEASE/, without duplicates.
    Import {
        file: PathBuf,
        /// The release whose code ran them.
        #[arg(long)]
        release: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContractFormat {
    Text,
    Json,
    /// `self.ignored_columns` per model (templates: orm/activerecord.rb.tera).
    Activerecord,
    /// Excluded properties per mapped class (templates: orm/sqlalchemy.py.tera).
    Sqlalchemy,
}

/// The fleet gate's sources and its override.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// A file listing one running release per line (instead of the database's
    /// connections).
    #[arg(long)]
    fleet_file: Option<PathBuf>,
    /// A command printing one running release per line.
    #[arg(long, conflicts_with = "fleet_file")]
    fleet_cmd: Option<String>,
    /// Run without the fleet gate; the reason is printed and recorded in the database.
    #[arg(long, requires = "reason")]
    skip_fleet_check: bool,
    /// Why the fleet gate is skipped.
    #[arg(long, requires = "skip_fleet_check")]
    reason: Option<String>,
}

impl FleetArgs {
    /// The options of the gate: these flags first, then tandem.toml's `[fleet]`.
    fn options(&self, config: Option<&Config>) -> apply::fleet::FleetOptions {
        let skip_reason = if self.skip_fleet_check {
            self.reason.clone()
        } else {
            None
        };
        apply::fleet::FleetOptions::resolve(
            self.fleet_file.clone(),
            self.fleet_cmd.clone(),
            skip_reason,
            config,
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// Freeze a release: record its files and checksums in tandem.lock.
    Cut { release: String },
    /// Pack a cut release for a deploy pipeline: pre-deploy/, post-deploy/, runbook.md,
    /// manifest.json.
    Bundle {
        release: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one command; `Ok` carries the exit code of a command that reports findings.
pub fn run(cli: &Cli) -> Result<u8> {
    let root = &cli.project;
    match &cli.command {
        Command::Init { dialect } => {
            let created = scaffold::init(root, *dialect)?;
            for c in created {
                println!("created {c}");
            }
            Ok(0)
        }
        Command::New {
            op,
            target,
            release,
            to,
            column_type,
            columns,
            references,
            check,
            summary,
        } => {
            let config = Config::load(root)?;
            let templates = Templates::load(config.templates_dir.as_deref())?;
            let path = scaffold::new_change(
                &config,
                &templates,
                &NewChange {
                    op: op.clone(),
                    target: target.clone(),
                    release: release.clone(),
                    to: to.clone(),
                    column_type: column_type.clone(),
                    columns: columns.clone(),
                    references: references.clone(),
                    check: check.clone(),
                    summary: summary.clone(),
                },
            )?;
            println!("created {path}");
            Ok(0)
        }
        Command::Plan { format } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            match format {
                Format::Text => print!("{}", report::text(&project, &plan)),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report::json(&project, &plan)).expect("json")
                ),
            }
            Ok(if plan.problems.is_empty() { 0 } else { 1 })
        }
        Command::Generate { check, force } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            if *check {
                if !plan.problems.is_empty() {
                    return Err(plan.problems.into());
                }
                let drift = generate::drift(&plan, &project.config)?;
                for d in &drift {
                    println!("{}", d.describe());
                }
                if drift.is_empty() {
                    println!("migrations are up to date ({} files)", plan.files.len());
                    return Ok(0);
                }
                println!("run `tandem generate` to bring them in line");
                return Ok(1);
            }
            let outcome = generate::write(&plan, &project.config, *force)?;
            for d in &outcome.changes {
                let verb = match d {
                    Drift::Missing(_) => "wrote",
                    Drift::Stale(_) => "updated",
                    Drift::HandEdited(_) => "overwrote (--force)",
                    Drift::Obsolete(_) => "removed",
                };
                println!("{verb} {}", d.path());
            }
            println!(
                "{} files in {}, {} changed",
                outcome.files,
                project.config.display(&project.config.migrations_dir),
                outcome.changes.len()
            );
            Ok(0)
        }
        Command::Check => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            let mut problems = plan.problems.clone();
            problems.extend(project.lock.files_on_disk(&project.config));
            problems.extend(code_contract::stale_query_problems(&project.config, &plan)?);
            if problems.is_empty() {
                println!(
                    "ok: {} changes, {} releases, {} files, {} pending",
                    project.changes.len(),
                    plan.releases.len(),
                    plan.files.len(),
                    plan.pending.len()
                );
                Ok(0)
            } else {
                Err(problems.into())
            }
        }
        Command::Migrate {
            bundle: Some(bundle),
            phase,
            database_url,
            fleet,
            ..
        } => {
            let url = database_url
                .as_deref()
                .unwrap_or(apply::DEFAULT_DATABASE_URL);
            let target = apply::Target::parse(url, &std::env::current_dir().unwrap_or_default())
                .map_err(Diag::input)?;
            let phase = match phase {
                Phase::Expand => "expand",
                Phase::Contract => "contract",
            };
            let outcome = apply::bundled::migrate(bundle, phase, &target, &fleet.options(None))?;
            for p in &outcome.applied {
                println!("applied {p}");
            }
            println!(
                "{} is at {phase}({}) of bundle {}: {} files applied",
                outcome.database,
                outcome.manifest.release,
                bundle.display(),
                outcome.applied.len()
            );
            Ok(0)
        }
        Command::Migrate {
            release,
            phase,
            database_url,
            adopt,
            fleet,
            ..
        } => {
            let release = release.as_deref().unwrap_or_default();
            let apply::ProjectOnDatabase {
                project,
                target,
                source,
                written_for,
            } = apply::project_for_database(root, database_url.as_deref())?;
            let plan = plan::build(&project)?;
            let r = plan.release_index(release)?;
            let slot = phase.slot(r);
            if plan.problems.is_empty() {
                let options = fleet.options(Some(&project.config));
                apply::fleet::gate_before_migrate(
                    &target,
                    &options,
                    &plan.releases,
                    r,
                    *phase == Phase::Contract,
                )?;
            }
            let outcome = migrate::migrate(&project.config, &plan, slot, &target, source, *adopt)?;
            if let Some(dialect) = outcome.rendered_for {
                eprintln!(
                    "note: the files in {}/ are written for {}; applying the same plan \
                     rendered for {dialect}",
                    project.config.display(&project.config.migrations_dir),
                    written_for.name()
                );
            }
            for p in &outcome.hand_edited {
                eprintln!("warning: {p} was edited by hand; applying it as it is");
            }
            if outcome.adopted {
                println!("adopted {}: baseline recorded as applied", outcome.database);
            }
            for p in &outcome.out_of_order {
                println!(
                    "applied {p} out of order (it commutes with the later files applied before it)"
                );
            }
            for p in &outcome.applied {
                println!("applied {p}");
            }
            if outcome.applied.is_empty() && outcome.past_target {
                println!(
                    "{} is past {} already: nothing to apply (migrate never goes back)",
                    outcome.database, outcome.target
                );
            } else if outcome.applied.is_empty() {
                println!(
                    "{} is at {} already: nothing to apply",
                    outcome.database, outcome.target
                );
            } else {
                println!(
                    "{} is at {}: {} files applied",
                    outcome.database,
                    outcome.target,
                    outcome.applied.len()
                );
            }
            Ok(0)
        }
        Command::Status {
            database_url,
            format,
        } => {
            let opened = apply::project_for_database(root, database_url.as_deref())?;
            let (project, target, source) = (opened.project, opened.target, opened.source);
            let plan = plan::build(&project)?;
            let status = status::status(&project.config, &plan, &target, source)?;
            match format {
                Format::Text => print!("{}", status.text()),
                Format::Json => {
                    println!("{}", serde_json::to_string_pretty(&status).expect("json"))
                }
            }
            Ok(if status.ok { 0 } else { 1 })
        }
        Command::Verify {
            database_url,
            format,
        } => {
            let project = Project::load(root)?;
            // The project's own plan first: a plan refused in its dialect fails the
            // rehearsal whatever database rehearses it.
            let own = plan::build(&project)?;
            if !own.problems.is_empty() {
                return Err(own.problems.into());
            }
            let written_for = project.config.dialect;
            let server = verify::rehearsal_target(&project.config, database_url.as_deref())?;
            if server.dialect() != written_for {
                eprintln!(
                    "note: rehearsing on {} although the project is written for {}: {} only \
                     approximates {}'s locks, types and errors; pass --database-url with a {} \
                     URL (or set database_url in tandem.toml) to rehearse on the real server",
                    server.display(),
                    written_for.name(),
                    server.dialect().name(),
                    written_for.name(),
                    written_for.name(),
                );
            }
            let report = verify::rehearse(project, &server)?;
            match format {
                Format::Text => print!("{}", report.text()),
                Format::Json => {
                    println!("{}", serde_json::to_string_pretty(&report).expect("json"))
                }
            }
            Ok(if report.ok { 0 } else { 1 })
        }
        Command::Release {
            action: ReleaseAction::Cut { release },
        } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            let frozen = generate::cut(&plan, &project.config, &project.lock, release)?;
            let earlier: Vec<&String> = frozen.iter().filter(|n| *n != release).collect();
            if earlier.is_empty() {
                println!("cut {release}: recorded in tandem.lock");
            } else {
                println!(
                    "cut {release}: recorded in tandem.lock, with the releases before it that were not cut: {}",
                    earlier.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                );
            }
            Ok(0)
        }
        Command::Release {
            action: ReleaseAction::Bundle { release, out },
        } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            let manifest = crate::bundle::write(&project, &plan, release, out)?;
            println!(
                "bundled {release} into {}: {} pre-deploy, {} post-deploy files",
                out.display(),
                manifest
                    .files
                    .iter()
                    .filter(|f| f.phase == "expand")
                    .count(),
                manifest
                    .files
                    .iter()
                    .filter(|f| f.phase == "contract")
                    .count()
            );
            Ok(0)
        }
        Command::Runbook { release } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            print!("{}", report::runbook(&project, &plan, release)?);
            Ok(if plan.problems.is_empty() { 0 } else { 1 })
        }
        Command::Diff {
            database_url,
            to: Some(to),
            release,
            renames,
        } => {
            let _ = database_url;
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            let release = release.as_deref().unwrap_or_default();
            let text = crate::diff::propose(&project, &plan, to, release, renames)?;
            print!("{text}");
            Ok(0)
        }
        Command::Diff { database_url, .. } => {
            let opened = apply::project_for_database(root, database_url.as_deref())?;
            let plan = plan::build(&opened.project)?;
            let drift = apply::drift::of_database(&opened.target, &plan)?;
            let (database, point) = (opened.target.display(), drift.point);
            if drift.differences.is_empty() {
                println!("no drift: {database} matches the plan at {point}");
                Ok(0)
            } else {
                println!("drift: {database} differs from the plan at {point}:");
                for l in &drift.differences {
                    println!("  {l}");
                }
                Ok(1)
            }
        }
        Command::Introspect { database_url } => {
            let config = Config::load(root).ok();
            let target = apply::resolve_without_project(
                config.as_ref(),
                database_url.as_deref(),
                "introspect",
            )?;
            let mut db = apply::connect(&target, false)?;
            let read = apply::introspect::introspect(&mut db)
                .map_err(|e| Diag::input(format!("{}: {e}", target.display())))?;
            print!("{}", read.toml);
            eprintln!(
                "introspect: {} table(s) read from {}",
                read.tables,
                target.display()
            );
            for l in &read.left_out {
                eprintln!("  left out: {l}");
            }
            Ok(0)
        }
        Command::CodeContract { release, format } => {
            let project = Project::load(root)?;
            let plan = plan::build(&project)?;
            let contract = code_contract::of_release(&plan, plan.release_index(release)?);
            match format {
                ContractFormat::Text => print!("{}", contract.text()),
                ContractFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&contract).expect("json"))
                }
                ContractFormat::Activerecord => print!(
                    "{}",
                    contract.render(&project.templates, "orm/activerecord.rb.tera")?
                ),
                ContractFormat::Sqlalchemy => print!(
                    "{}",
                    contract.render(&project.templates, "orm/sqlalchemy.py.tera")?
                ),
            }
            Ok(0)
        }
        Command::Queries {
            action: QueriesAction::Import { file, release },
        } => {
            let config = Config::load(root)?;
            let imported = verify::queries::import_into_release(&config, file, release)?;
            println!(
                "imported {} statement(s) into {} ({} already there)",
                imported.added,
                config.display(&imported.into),
                imported.already_there
            );
            Ok(0)
        }
    }
}
