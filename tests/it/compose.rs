//! Ops compose: random sequences of valid ops over three releases, planned and then
//! rehearsed by `verify` on in-memory SQLite (and, for a few, on the real servers).
//! Whatever plans must keep the code of every release working at every step; a plan
//! that is refused or an input error is fine.

use crate::common;

use std::fs;

use proptest::prelude::*;
use tandem::apply::database::{Database, Target};
use tandem::apply::progress;
use tandem::project::Project;

/// Ops that are valid against some state of `common::USERS_AND_ORDERS`; applied to another
/// state they may be input errors, which the property skips.
const OPS: &[&str] = &[
    "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }",
    "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", default = \"free\" }",
    "type = \"add_column\"\ntable = \"orders\"\ncolumn = { name = \"status\", type = \"varchar(16)\" }\nbackfill_sql = \"'new'\"",
    "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"",
    "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"nickname\"\ndown_sql = \"'n/a'\"",
    "type = \"drop_column\"\ntable = \"orders\"\ncolumn = \"note\"",
    "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"bio\"",
    "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nto = \"handle\"",
    "type = \"rename_column\"\ntable = \"orders\"\ncolumn = \"quantity\"\nto = \"qty\"",
    "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"handle\"\nto = \"nick\"",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(320)\"",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nnullable = true",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnullable = false\nusing = \"'anon'\"",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ndrop_default = true",
    "type = \"alter_column\"\ntable = \"orders\"\ncolumn = \"note\"\ncolumn_type = \"varchar(10)\"\nnew_name = \"short_note\"\nusing = \"substr(note, 1, 10)\"",
    "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"score\"]",
    "type = \"create_index\"\ntable = \"orders\"\ncolumns = [\"user_id\", \"quantity\"]",
    "type = \"drop_index\"\nname = \"users_score_idx\"",
    "type = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"note\"]",
    "type = \"drop_constraint\"\nname = \"orders_user_fk\"",
    "type = \"drop_constraint\"\nname = \"orders_note_key\"",
    "type = \"add_check\"\ntable = \"orders\"\nname = \"orders_id_positive\"\ncheck = \"id > 0\"",
    "type = \"add_check\"\ntable = \"orders\"\nname = \"orders_quantity_positive\"\ncheck = \"quantity > 0\"",
    "type = \"rename_table\"\ntable = \"orders\"\nto = \"purchases\"",
    "type = \"create_table\"\ntable = \"teams\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, owner_id = { type = \"bigint\", nullable = true } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"owner_id\"\nreferences = \"users\"\non_delete = \"set null\"",
    "type = \"drop_table\"\ntable = \"teams\"",
    "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"",
    "type = \"add_column\"\ntable = \"accounts\"\ncolumn = { name = \"region\", type = \"varchar(8)\" }\nbackfill_sql = \"'eu'\"",
    // NOT NULL from a backfill, with a default (R-1's inserts get it) and without one
    // (a trigger fills them), then a unique key over the filled values.
    "type = \"add_column\"\ntable = \"orders\"\ncolumn = { name = \"priority\", type = \"integer\", default = 1 }\nbackfill_sql = \"quantity + 1\"",
    "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_key\", type = \"varchar(320)\" }\nbackfill_sql = \"lower(email)\"",
    "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"email_key\"]",
    "type = \"drop_column\"\ntable = \"accounts\"\ncolumn = \"legacy_email\"\ndown_sql = \"email\"",
    "type = \"rename_column\"\ntable = \"accounts\"\ncolumn = \"email\"\nto = \"mail\"",
    "type = \"create_index\"\ntable = \"purchases\"\ncolumns = [\"user_id\"]",
    "type = \"drop_column\"\ntable = \"purchases\"\ncolumn = \"note\"\ncontract_release = \"1.3.0\"",
    "type = \"drop_table\"\ntable = \"orders\"",
    "type = \"drop_table\"\ntable = \"purchases\"",
    "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users\"\nname = \"orders_user_fk2\"\non_delete = \"cascade\"",
    "type = \"alter_column\"\ntable = \"orders\"\ncolumn = \"quantity\"\ncolumn_type = \"bigint\"\nnew_name = \"quantity_big\"",
    // Raw SQL naming no table: a later rename_table would make it wrong, rightly.
    "type = \"sql\"\nexpand = \"SELECT 2\"\ncontract = \"SELECT 1\"",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ndefault_sql = \"1 + 1\"",
    "type = \"alter_column\"\ntable = \"orders\"\ncolumn = \"quantity\"\ncolumn_type = \"bigint\"\nnew_name = \"quantity_big\"\nusing = \"quantity * 1\"",
    "type = \"add_unique\"\ntable = \"accounts\"\ncolumns = [\"legacy_email\"]",
    "type = \"drop_constraint\"\nname = \"users_email_key\"",
    "type = \"add_foreign_key\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nreferences = \"users(email)\"\nname = \"users_legacy_fk\"",
    "type = \"add_foreign_key\"\ntable = \"purchases\"\ncolumn = \"user_id\"\nreferences = \"accounts\"\nname = \"purchases_account_fk\"",
    // Keys and checks the probe rows must keep, now and in later releases.
    "type = \"create_table\"\ntable = \"profiles\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" } }\n\n[[op.constraints]]\ntype = \"unique\"\ncolumn = \"user_id\"\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"",
    "type = \"create_table\"\ntable = \"members\"\nprimary_key = [\"user_id\", \"order_id\"]\ncolumns = { user_id = { type = \"bigint\" }, order_id = { type = \"bigint\" } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"order_id\"\nreferences = \"orders\"",
    "type = \"create_table\"\ntable = \"tasks\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" }, order_id = { type = \"bigint\" } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumns = [\"user_id\", \"order_id\"]\nreferences = \"members(user_id, order_id)\"",
    "type = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"user_id\"]",
    "type = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"user_id\", \"quantity\"]\nname = \"orders_user_quantity_key\"",
    "type = \"add_check\"\ntable = \"orders\"\nname = \"orders_quantity_small\"\ncheck = \"quantity BETWEEN 1 AND 100\"",
    "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"code\", type = \"varchar(12)\", nullable = true }",
    "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"code\"\ncolumn_type = \"bigint\"\nnew_name = \"code_num\"\nusing = \"CAST(code AS {int})\"",
    "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"code_num\"]",
    // Keys replaced (refused while a foreign key references the old one) and comments,
    // which MySQL restates in every later MODIFY COLUMN.
    "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"id\", \"email\"]\nreplace = true\nold_code_complies = true",
    "type = \"add_primary_key\"\ntable = \"orders\"\ncolumns = [\"id\", \"user_id\"]\nreplace = true",
    "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ncomment = \"Read by old code only\"",
    "type = \"set_comment\"\ntable = \"orders\"\ncomment = \"One per purchase\"",
];

const RELEASES: [&str; 4] = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"];

/// A project over `common::USERS_AND_ORDERS` with one change per pick: (release index, op index); every
/// other project keeps destructive steps two releases back (`min_release_gap = 2`).
fn project(dialect: &str, picks: &[(usize, usize)]) -> tempfile::TempDir {
    let mut changes: Vec<(String, String)> = picks
        .iter()
        .enumerate()
        .map(|(n, &(r, op))| {
            (
                format!("{:04}_c.toml", n + 1),
                format!(
                    "release = \"{}\"\n\n[[op]]\n{}\n",
                    RELEASES[r % 3],
                    OPS[op % OPS.len()].replace(
                        "{int}",
                        if dialect == "mysql" {
                            "SIGNED"
                        } else {
                            "integer"
                        }
                    )
                ),
            )
        })
        .collect();
    // A last release so that later steps land.
    changes.push((
        "9999_last.toml".into(),
        format!(
            "release = \"{}\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n",
            RELEASES[3]
        ),
    ));
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = common::project_files(dialect, common::USERS_AND_ORDERS, &refs);
    if picks.len() % 2 == 0 {
        let config = dir.path().join("tandem.toml");
        let text = fs::read_to_string(&config).unwrap();
        fs::write(config, format!("{text}min_release_gap = 2\n")).unwrap();
    }
    dir
}

/// Plans the project; when it plans, the rehearsal on `target` must pass.
fn rehearse(dialect: &str, picks: &[(usize, usize)], target: &Target) -> Result<bool, String> {
    let dir = project(dialect, picks);
    let Ok(project) = Project::load(dir.path()) else {
        return Ok(false);
    };
    // A refused plan (or one a dialect cannot do) is not rehearsed, as `verify` does.
    let Some(plan) = tandem::layout::build_plan(&project)
        .ok()
        .filter(|p| p.problems.is_empty())
    else {
        return Ok(false);
    };
    let report = tandem::verify::verify(&plan, target).map_err(|e| e.render())?;
    if report.ok {
        return Ok(true);
    }
    let changes: String = fs::read_dir(dir.path().join("changes"))
        .unwrap()
        .map(|e| fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<Vec<_>>()
        .join("\n---\n");
    Err(format!("{}\nchanges:\n{changes}", report.text()))
}

// 150 cases in the suite; `TANDEM_COMPOSE_CASES=5000` for a longer hunt.
proptest! {
    #![proptest_config(common::proptest_config("TANDEM_COMPOSE_CASES", 150))]

    #[test]
    fn composed_ops_rehearse_on_sqlite(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10)
    ) {
        if let Err(failure) = rehearse("sqlite", &picks, &Target::SqliteMemory) {
            prop_assert!(false, "{}", failure);
        }
    }
}

/// Every file of a random plan rendered for MySQL uses only what MySQL 8.0.29+ and
/// MariaDB 10.5+ both accept: no construct of `common::mysql8::CONSTRUCTS`, and each
/// statement read by sqlparser's MySQL mode (MariaDB applies them in the tests below).
fn mysql8_problems(picks: &[(usize, usize)]) -> Vec<String> {
    let dir = project("mysql", picks);
    let Ok(project) = Project::load(dir.path()) else {
        return Vec::new();
    };
    let Some(plan) = tandem::layout::build_plan(&project)
        .ok()
        .filter(|p| p.problems.is_empty())
    else {
        return Vec::new();
    };
    plan.files
        .iter()
        .flat_map(|f| common::mysql8::problems(&f.path, &f.content))
        .collect()
}

proptest! {
    #![proptest_config(common::proptest_config("TANDEM_COMPOSE_CASES", 150))]

    #[test]
    fn composed_mysql_files_are_valid_on_mysql_8(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10)
    ) {
        let found = mysql8_problems(&picks);
        prop_assert!(found.is_empty(), "{}", found.join("\n\n"));
    }
}

fn on_server(server: common::Server, picks: &[(usize, usize)]) -> Result<(), TestCaseError> {
    let Some(url) = server.url() else {
        return Ok(());
    };
    let target = Target::parse(&url, std::path::Path::new(".")).expect("server URL");
    if let Err(failure) = rehearse(server.dialect(), picks, &target) {
        prop_assert!(false, "{}", failure);
    }
    Ok(())
}

// Fewer cases on the servers: each rehearsal makes and drops a database there.
proptest! {
    #![proptest_config(common::proptest_config("TANDEM_COMPOSE_SERVER_CASES", 12))]

    #[test]
    fn composed_ops_rehearse_on_postgres(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10)
    ) {
        on_server(common::Server::Postgres, &picks)?;
    }

    #[test]
    fn composed_ops_rehearse_on_mariadb(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10)
    ) {
        on_server(common::Server::Mysql, &picks)?;
    }
}

/// The live schema of a database as rows of text: tables and columns with their types,
/// nullability and defaults, indexes, constraints, triggers, views and leftover
/// procedures; the database's own name replaced, so two databases compare equal.
fn live_schema(db: &mut Database, server: common::Server) -> Vec<Vec<Option<String>>> {
    let queries: &[&str] = match server {
        common::Server::Postgres => &[
            "SELECT current_database()",
            "SELECT table_name, column_name, data_type, character_maximum_length::text, \
             is_nullable, column_default FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> 'tandem_progress' \
             ORDER BY table_name, ordinal_position",
            "SELECT tablename, indexname, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename <> 'tandem_progress' ORDER BY 1, 2",
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), \
             convalidated::text FROM pg_constraint \
             WHERE connamespace = current_schema()::regnamespace \
             AND conrelid::regclass::text <> 'tandem_progress' ORDER BY 1, 2",
            "SELECT event_object_table, trigger_name, event_manipulation, action_statement \
             FROM information_schema.triggers WHERE trigger_schema = current_schema() \
             ORDER BY 1, 2, 3",
            "SELECT table_name, view_definition FROM information_schema.views \
             WHERE table_schema = current_schema() ORDER BY 1",
            "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p \
             WHERE p.pronamespace = current_schema()::regnamespace ORDER BY 1",
        ],
        _ => &[
            "SELECT DATABASE()",
            "SELECT table_name, column_name, column_type, is_nullable, column_default \
             FROM information_schema.columns WHERE table_schema = DATABASE() \
             AND table_name <> 'tandem_progress' ORDER BY table_name, ordinal_position",
            "SELECT table_name, index_name, seq_in_index, column_name, non_unique \
             FROM information_schema.statistics WHERE table_schema = DATABASE() \
             AND table_name <> 'tandem_progress' ORDER BY 1, 2, 3",
            "SELECT table_name, constraint_name, constraint_type \
             FROM information_schema.table_constraints WHERE table_schema = DATABASE() \
             AND table_name <> 'tandem_progress' ORDER BY 1, 2",
            "SELECT constraint_name, referenced_table_name, delete_rule \
             FROM information_schema.referential_constraints \
             WHERE constraint_schema = DATABASE() ORDER BY 1",
            "SELECT event_object_table, trigger_name, action_timing, event_manipulation, \
             action_statement FROM information_schema.triggers \
             WHERE trigger_schema = DATABASE() ORDER BY 1, 2",
            "SELECT table_name, view_definition FROM information_schema.views \
             WHERE table_schema = DATABASE() ORDER BY 1",
            "SELECT routine_name FROM information_schema.routines \
             WHERE routine_schema = DATABASE() ORDER BY 1",
        ],
    };
    let name = db.query_text(queries[0]).expect("database name")[0][0]
        .clone()
        .unwrap_or_default();
    let mut rows = Vec::new();
    for query in &queries[1..] {
        for row in db.query_text(query).expect("catalog query") {
            rows.push(
                row.into_iter()
                    .map(|v| v.map(|v| v.replace(&name, "db")))
                    .collect(),
            );
        }
    }
    rows
}

/// Applies every file of the plan in order as `migrate` does: a file that cannot run in
/// one transaction (on Postgres the no-transaction files, on MariaDB, whose DDL commits
/// on its own, all of them) is first made to stop after its statement k, for a k drawn
/// per file, with those k statements recorded as `migrate` records them, as a failure
/// or a killed run leaves it; then it is resumed from that record. The final live schema
/// must equal the one of a clean run of the same files on another fresh database.
fn resume(
    server: common::Server,
    picks: &[(usize, usize)],
    cuts: &[usize],
) -> Result<(), TestCaseError> {
    let (Some(interrupted), Some(clean)) = (server.fresh(), server.fresh()) else {
        return Ok(());
    };
    let dir = project(server.dialect(), picks);
    let Ok(project) = Project::load(dir.path()) else {
        return Ok(());
    };
    let Some(plan) = tandem::layout::build_plan(&project)
        .ok()
        .filter(|p| p.problems.is_empty())
    else {
        return Ok(());
    };
    let dialect = match server {
        common::Server::Postgres => tandem::sql::Dialect::Postgres,
        common::Server::Mysql => tandem::sql::Dialect::Mysql,
        common::Server::Sqlite => tandem::sql::Dialect::Sqlite,
    };
    let mut db = Database::connect(&interrupted.target).expect("connect");
    let mut reference = Database::connect(&clean.target).expect("connect");
    let files = tandem::apply::MigrationFile::from_plan(&plan).expect("files");
    for (n, file) in files.iter().enumerate() {
        if let Err(e) = apply_file(&mut reference, dialect, file) {
            prop_assert!(false, "clean run of {}: {e}\n{}", file.path, file.sql);
        }
        if !progress::is_resumable(dialect, &file.sql) {
            if let Err(e) = apply_file(&mut db, dialect, file) {
                prop_assert!(false, "{}: {e}\n{}", file.path, file.sql);
            }
            continue;
        }
        let statements = tandem::sql::split::statements(dialect, &file.sql);
        let k = cuts[n % cuts.len()] % (statements.len() + 1);
        let sum = progress::checksum(&file.sql);
        for (i, statement) in statements.iter().take(k).enumerate() {
            if let Err(e) = db.run_script(statement) {
                prop_assert!(
                    false,
                    "statement {} of {}: {e}\n{statement}",
                    i + 1,
                    file.path
                );
            }
            progress::record(&mut db, file.version, i, &sum).expect("record");
        }
        if let Err(e) = progress::run(&mut db, file.version, &file.sql) {
            prop_assert!(
                false,
                "resuming {} after statement {k} of {}: {e}\n{}",
                file.path,
                statements.len(),
                file.sql
            );
        }
        progress::forget(&mut db, file.version).expect("forget");
    }
    let (resumed, planned) = (
        live_schema(&mut db, server),
        live_schema(&mut reference, server),
    );
    prop_assert!(!planned.is_empty(), "the catalog queries read nothing");
    prop_assert_eq!(resumed, planned);
    Ok(())
}

/// One file applied as `migrate` applies it, without a break.
fn apply_file(
    db: &mut Database,
    dialect: tandem::sql::Dialect,
    file: &tandem::apply::MigrationFile,
) -> Result<(), tandem::apply::DbError> {
    if progress::is_resumable(dialect, &file.sql) {
        progress::run(db, file.version, &file.sql)?;
        progress::forget(db, file.version)
    } else {
        db.run_in_transaction(&file.sql)
    }
}

// Fewer cases on the servers: each rehearsal makes and drops a database there.
proptest! {
    #![proptest_config(common::proptest_config("TANDEM_COMPOSE_SERVER_CASES", 12))]

    #[test]
    fn interrupted_files_resume_to_the_planned_schema_on_postgres(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10),
        cuts in proptest::collection::vec(0..40usize, 1..8)
    ) {
        resume(common::Server::Postgres, &picks, &cuts)?;
    }

    #[test]
    fn interrupted_files_resume_to_the_planned_schema_on_mariadb(
        picks in proptest::collection::vec((0..3usize, 0..OPS.len()), 1..10),
        cuts in proptest::collection::vec(0..40usize, 1..8)
    ) {
        resume(common::Server::Mysql, &picks, &cuts)?;
    }
}
