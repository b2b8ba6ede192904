//! Golden files of the generated SQL per dialect, one per op (and per composition the
//! planner must get right), and the same cases rehearsed by `verify` on a real database
//! of each dialect: a snapshot shows every change to the SQL in review, the rehearsal
//! proves it runs and keeps both releases' code working.

use crate::common;

use common::Server;

use std::fs;
use std::path::Path;

use tempfile::TempDir;

const SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]

[tables.users.columns]
id           = { type = "bigint" }
email        = { type = "varchar(255)" }
legacy_email = { type = "varchar(255)" }
nickname     = { type = "text", nullable = true }
score        = { type = "integer", default = 0 }
"#;

/// Every generated file but the baseline of a project made of `changes`, in order.
fn generate(dialect: &str, changes: &[(&str, &str)]) -> String {
    let dir = project(dialect, changes);
    let root = dir.path().join("migrations");
    let mut files = common::files_under(&root);
    files.retain(|path| !path.ends_with("baseline.sql"));
    files.sort_by_key(|path| version(path));
    files
        .iter()
        .map(|path| {
            let text = fs::read_to_string(root.join(path)).unwrap();
            format!("==> {path}\n{text}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The baseline a project generated.
fn baseline(dir: &Path) -> String {
    let root = dir.join("migrations");
    let path = common::files_under(&root)
        .into_iter()
        .find(|p| p.ends_with("baseline.sql"))
        .expect("a baseline");
    fs::read_to_string(root.join(path)).unwrap()
}

fn project(dialect: &str, changes: &[(&str, &str)]) -> TempDir {
    common::project_with(dialect, SCHEMA, changes)
}

fn version(path: &str) -> i64 {
    let name = path.rsplit('/').next().unwrap();
    name[1..].split("__").next().unwrap().parse().unwrap()
}

/// An op in 1.0.0 plus small changes in 1.1.0 and 1.2.0, so that later steps land.
fn with_later_releases(op: &str) -> Vec<(String, String)> {
    vec![
        (
            "0001_main.toml".into(),
            format!("release = \"1.0.0\"\n\n[[op]]\n{op}\n"),
        ),
        next("0002_next.toml", "1.1.0"),
        next("0003_after.toml", "1.2.0"),
    ]
}

fn next(file: &str, release: &str) -> (String, String) {
    (file.into(), common::select_one(release))
}

fn change(file: &str, release: &str, op: &str) -> (String, String) {
    (
        file.into(),
        format!("release = \"{release}\"\n[[op]]\n{op}\n"),
    )
}

const ORDERS: &str = "type = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" }, quantity = { type = \"integer\", default = 1 }, code = { type = \"varchar(32)\", nullable = true } }";

/// Cases MySQL refuses at plan time (no online recipe): Postgres and SQLite only.
fn check_cases() -> Vec<(&'static str, Vec<(String, String)>)> {
    vec![("check_added_then_dropped", vec![
        change("0001_orders.toml", "1.0.0", ORDERS),
        change("0002_check.toml", "1.1.0", "type = \"add_check\"\ntable = \"orders\"\nname = \"orders_quantity_positive\"\ncheck = \"quantity > 0\"\nold_code_complies = true"),
        change("0003_relax.toml", "1.2.0", "type = \"drop_constraint\"\ntable = \"orders\"\nname = \"orders_quantity_positive\""),
        next("0004_next.toml", "1.3.0"),
    ]), ("check_over_a_column_older_code_writes_is_enforced_later_after_its_repair", vec![
        change("0001_check.toml", "1.0.0", "type = \"add_check\"\ntable = \"users\"\nname = \"users_score_not_negative\"\ncheck = \"score >= 0\"\nrepair_sql = \"0\""),
        next("0002_next.toml", "1.1.0"),
        next("0003_after.toml", "1.2.0"),
    ]), ("drop_column_with_its_check", vec![
        change("0001_check.toml", "1.0.0", "type = \"add_check\"\ntable = \"users\"\nname = \"users_legacy_has_at\"\ncheck = \"legacy_email LIKE '%@%'\""),
        change("0002_drop.toml", "1.1.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\""),
        next("0003_next.toml", "1.2.0"),
    ])]
}

/// Index and foreign key options each dialect writes in its own way: the cases of
/// `dialect` only.
fn dialect_cases(dialect: &str) -> Vec<(&'static str, Vec<(String, String)>)> {
    // Partial, on an expression and sorted: Postgres and SQLite.
    let partial = ("index_partial_on_an_expression_and_sorted", vec![
        change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\nexpressions = [\"lower(email)\"]\nunique = true\nwhere = \"score >= 0\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_score_desc_idx\"\ncolumns = [\"score DESC\", \"id\"]"),
        change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\""),
        next("0003_next.toml", "1.2.0"),
        next("0004_last.toml", "1.3.0"),
    ]);
    // The same foreign key name on two tables: Postgres and SQLite name them per table.
    let deferrable = if dialect == "postgres" {
        "\ndeferrable = true"
    } else {
        ""
    };
    let initially = if dialect == "postgres" {
        "\ninitially_deferred = true"
    } else {
        ""
    };
    let shared = ("foreign_keys_sharing_a_name_on_two_tables", vec![
        change("0001_orders.toml", "1.0.0", &format!("{ORDERS}\n\n[[op.constraints]]\ntype = \"foreign_key\"\nname = \"fk_users_id\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_update = \"cascade\"{deferrable}\n\n[[op]]\ntype = \"create_table\"\ntable = \"invoices\"\nprimary_key = [\"id\"]\ncolumns = {{ id = {{ type = \"bigint\" }}, user_id = {{ type = \"bigint\", nullable = true }} }}")),
        change("0002_key.toml", "1.1.0", &format!("type = \"add_foreign_key\"\ntable = \"invoices\"\nname = \"fk_users_id\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\non_delete = \"set null\"\non_update = \"cascade\"\nold_code_complies = true{initially}")),
        change("0003_drop.toml", "1.2.0", "type = \"drop_constraint\"\ntable = \"invoices\"\nname = \"fk_users_id\""),
        next("0004_next.toml", "1.3.0"),
    ]);
    let renamed = |kinds: &str| {
        ("rename_constraint", vec![
        change("0001_keys.toml", "1.0.0", &format!("{ORDERS}\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"\n\n[[op.constraints]]\ntype = \"unique\"\ncolumn = \"code\"")),
        change("0002_rename.toml", "1.1.0", kinds),
        next("0003_next.toml", "1.2.0"),
    ])
    };
    let rename_unique = "type = \"rename_constraint\"\ntable = \"orders\"\nname = \"orders_code_key\"\nto = \"orders_code_unique\"";
    let rename_both = format!("{rename_unique}\n\n[[op]]\ntype = \"rename_constraint\"\ntable = \"orders\"\nname = \"orders_user_id_fkey\"\nto = \"orders_user_fk\"");
    match dialect {
        "postgres" => vec![partial, shared, renamed(&rename_both), ("rename_column_through_views", vec![
            // Views mode: no row moves; the index and check on the column follow it.
            change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\n\n[[op]]\ntype = \"add_check\"\ntable = \"users\"\nname = \"users_email_at\"\ncheck = \"email LIKE '%@%'\"\nold_code_complies = true"),
            change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\"\nmode = \"views\""),
            change("0003_add.toml", "1.2.0", "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", default = \"free\" }\n\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ncolumn_type = \"varchar(300)\""),
            change("0004_drop.toml", "1.3.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\ncolumns = [\"mail\", \"plan\"]"),
            next("0005_next.toml", "1.4.0"),
            next("0006_last.toml", "1.5.0"),
        ]), ("rename_table_through_views", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\nmode = \"views\""),
            change("0002_add.toml", "1.1.0", "type = \"add_column\"\ntable = \"accounts\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", nullable = true }"),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]), ("index_method_include_and_opclass", vec![
            change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\nname = \"users_score_brin\"\ncolumns = [\"score\"]\nmethod = \"brin\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email_hash\"\ncolumns = [\"email\"]\nmethod = \"hash\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email_prefix_search\"\ncolumns = [\"email\"]\nopclass = { email = \"varchar_pattern_ops\" }\ninclude = [\"score\"]"),
            change("0002_drop.toml", "1.1.0", "type = \"drop_index\"\nname = \"users_email_hash\""),
            next("0003_next.toml", "1.2.0"),
        ])],
        "sqlite" => vec![partial, shared, renamed(&rename_both)],
        _ => vec![renamed(rename_unique), ("foreign_key_on_update", vec![
            change("0001_orders.toml", "1.0.0", &format!("{ORDERS}\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_update = \"cascade\"")),
            change("0002_key.toml", "1.1.0", "type = \"create_table\"\ntable = \"invoices\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\", nullable = true } }\n\n[[op]]\ntype = \"add_foreign_key\"\ntable = \"invoices\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\non_delete = \"set null\"\non_update = \"restrict\""),
            next("0003_next.toml", "1.2.0"),
        ]), ("index_prefix_method_and_fulltext", vec![
            change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\nname = \"users_nickname_prefix\"\ncolumns = [\"nickname(20)\", \"score DESC\"]\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_email_btree\"\ncolumns = [\"email\"]\nmethod = \"btree\"\n\n[[op]]\ntype = \"create_index\"\ntable = \"users\"\nname = \"users_nickname_text\"\ncolumns = [\"nickname\"]\nfulltext = true"),
            change("0002_drop.toml", "1.1.0", "type = \"drop_index\"\nname = \"users_nickname_text\""),
            next("0003_next.toml", "1.2.0"),
        ])],
    }
}

/// Native types, identity and enums: the cases of `dialect` (a type is written for the
/// project's dialect, or as a mapping every dialect reads).
fn type_cases(dialect: &str) -> Vec<(&'static str, Vec<(String, String)>)> {
    let mapped = ("types_mapped_per_dialect_with_identity", vec![
        change("0001_events.toml", "1.0.0", "type = \"create_table\"\ntable = \"events\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\", identity = true }, payload = { type = { postgres = \"jsonb\", mysql = \"json\", sqlite = \"text\" } }, amount = { type = { postgres = \"numeric\", mysql = \"decimal(12)\", sqlite = \"numeric\" }, default = 0 }, body = { type = { postgres = \"text\", mysql = \"mediumtext\", sqlite = \"text\" }, nullable = true } }"),
        change("0002_more.toml", "1.1.0", "type = \"add_column\"\ntable = \"events\"\ncolumn = { name = \"blob\", type = { postgres = \"bytea\", mysql = \"varbinary(16)\", sqlite = \"blob\" }, nullable = true }\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"flag\", type = { postgres = \"smallint\", mysql = \"tinyint(1)\", sqlite = \"integer\" }, default = 0 }"),
        next("0003_next.toml", "1.2.0"),
    ]);
    let enums = ("enum_created_used_extended_and_narrowed", vec![
        change("0001_enum.toml", "1.0.0", "type = \"create_enum\"\nenum = \"status\"\nvalues = [\"active\", \"suspended\"]\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"state\", type = \"status\", default = \"active\" }\n\n[[op]]\ntype = \"create_table\"\ntable = \"audits\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, state = { type = \"status\", nullable = true } }"),
        change("0002_add.toml", "1.1.0", "type = \"add_enum_value\"\nenum = \"status\"\nvalue = \"closed\""),
        change("0003_drop.toml", "1.2.0", "type = \"drop_enum_value\"\nenum = \"status\"\nvalue = \"suspended\""),
        next("0004_next.toml", "1.3.0"),
    ]);
    let native = match dialect {
        "postgres" => ("postgres_native_types_arrays_and_widening", vec![
            change("0001_types.toml", "1.0.0", "type = \"sql\"\nexpand = \"CREATE EXTENSION IF NOT EXISTS citext\"\n\n[[op]]\ntype = \"create_table\"\ntable = \"hosts\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"serial\" }, doc = { type = \"jsonb\" }, tags = { type = \"text[]\" }, ports = { type = \"int[]\" }, opens = { type = \"time with time zone\" }, uptime = { type = \"interval\" }, ip = { type = \"inet\" }, net = { type = \"cidr\" }, mac = { type = \"macaddr\" }, name = { type = \"citext\" }, key = { type = \"bytea\" }, load = { type = \"numeric\" }, price = { type = \"money\" }, conf = { type = \"xml\" }, words = { type = \"tsvector\" }, slots = { type = \"int4range\" }, days = { type = \"daterange\" }, seen = { type = \"timestamp(3)\" }, label = { type = \"varchar(20)\" }, cost = { type = \"numeric(10,2)\" } }"),
            change("0002_widen.toml", "1.1.0", "type = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"label\"\ncolumn_type = \"text\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"cost\"\ncolumn_type = \"numeric\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"seen\"\ncolumn_type = \"timestamp(6)\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"net\"\ncolumn_type = \"inet\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"ports\"\ncolumn_type = \"bigint[]\"\nnew_name = \"wide_ports\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        "mysql" => ("mysql_native_types_and_widening", vec![
            change("0001_types.toml", "1.0.0", "type = \"create_table\"\ntable = \"hosts\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"int unsigned\", identity = true }, small = { type = \"tinyint\" }, mid = { type = \"mediumint\" }, flag = { type = \"tinyint(1)\" }, born = { type = \"year\" }, seen = { type = \"datetime(3)\" }, key = { type = \"varbinary(16)\" }, fixed = { type = \"binary(4)\" }, notes = { type = \"mediumtext\" }, short = { type = \"tinytext\" }, big = { type = \"mediumblob\" }, ratio = { type = \"double\" }, total = { type = \"decimal\" } }"),
            change("0002_widen.toml", "1.1.0", "type = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"key\"\ncolumn_type = \"varbinary(32)\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"mid\"\ncolumn_type = \"bigint\"\nnew_name = \"wide_mid\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        _ => ("sqlite_native_types", vec![
            change("0001_types.toml", "1.0.0", "type = \"create_table\"\ntable = \"hosts\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"integer\", identity = true }, key = { type = \"blob\" }, load = { type = \"numeric\" } }"),
            change("0002_widen.toml", "1.1.0", "type = \"alter_column\"\ntable = \"hosts\"\ncolumn = \"load\"\nnullable = true"),
            next("0003_next.toml", "1.2.0"),
        ]),
    };
    vec![mapped, enums, native]
}

/// Every case: a name and its change files.
fn cases() -> Vec<(&'static str, Vec<(String, String)>)> {
    vec![
        ("create_table", with_later_releases(
            "type = \"create_table\"\ntable = \"teams\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, name = { type = \"varchar(80)\" }, active = { type = \"boolean\", default = true } }",
        )),
        ("drop_table", with_later_releases("type = \"drop_table\"\ntable = \"users\"")),
        ("add_column_nullable_and_with_default", with_later_releases(
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", default = \"free\" }",
        )),
        ("add_column_not_null_with_backfill", with_later_releases(
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\" }\nbackfill_sql = \"lower(email)\"",
        )),
        ("add_column_with_expression_default", with_later_releases(
            "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"joined_at\", type = \"timestamp\", default_sql = \"CURRENT_TIMESTAMP\" }",
        )),
        ("drop_column_with_down_sql", with_later_releases(
            "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\ndown_sql = \"email\"",
        )),
        ("rename_column_with_its_index", vec![
            change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\ncolumns = [\"email\"]\nunique = true"),
            change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"primary_email\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("rename_then_drop_in_the_next_release", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nto = \"old_email\""),
            change("0002_drop.toml", "1.1.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"old_email\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("backfilled_column_retired_by_the_next_release", vec![
            change("0001_add.toml", "1.0.0", "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\" }\nbackfill_sql = \"lower(email)\""),
            change("0002_drop.toml", "1.1.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"email_lower\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("rename_table", with_later_releases(
            "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"",
        )),
        ("rename_table_then_add_a_column_and_index", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"accounts\"\ncolumn = { name = \"plan\", type = \"varchar(16)\", default = \"free\" }\n\n[[op]]\ntype = \"create_index\"\ntable = \"accounts\"\ncolumns = [\"plan\"]"),
            change("0002_next.toml", "1.1.0", "type = \"drop_column\"\ntable = \"accounts\"\ncolumn = \"legacy_email\""),
            next("0003_after.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("rename_column_twice_in_a_row", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nto = \"handle\""),
            change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"handle\"\nto = \"nick\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("retired_column_then_rename_table_in_one_release", vec![
            change("0001_drop.toml", "1.0.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\""),
            change("0002_retype.toml", "1.0.0", "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\ncolumn_type = \"varchar(10)\"\nnew_name = \"short_nick\"\nusing = \"substr(nickname, 1, 10)\""),
            change("0003_rename.toml", "1.0.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\""),
            next("0004_next.toml", "1.1.0"),
            next("0005_last.toml", "1.2.0"),
        ]),
        ("sync_trigger_then_rename_table", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nto = \"handle\""),
            change("0002_rename.toml", "1.1.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("drop_column_with_its_unique_key", vec![
            change("0001_key.toml", "1.0.0", "type = \"add_unique\"\ntable = \"users\"\ncolumns = [\"legacy_email\"]"),
            change("0002_drop.toml", "1.1.0", "type = \"drop_column\"\ntable = \"users\"\ncolumn = \"legacy_email\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("rename_columns_that_carry_a_unique_key_and_a_foreign_key", vec![
            change("0001_orders.toml", "1.0.0", &format!("{ORDERS}\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"\n\n[[op.constraints]]\ntype = \"unique\"\ncolumn = \"code\"")),
            change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"orders\"\ncolumn = \"user_id\"\nto = \"account_id\"\n\n[[op]]\ntype = \"rename_column\"\ntable = \"orders\"\ncolumn = \"code\"\nto = \"reference\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        // The view under the old name is kept a release longer than the table.
        ("rename_table_then_drop_it", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\"\ncontract_release = \"1.2.0\""),
            change("0002_drop.toml", "1.0.0", "type = \"drop_table\"\ntable = \"accounts\""),
            next("0003_next.toml", "1.1.0"),
            next("0004_last.toml", "1.2.0"),
        ]),
        ("rename_table_twice", vec![
            change("0001_rename.toml", "1.0.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\""),
            change("0002_rename.toml", "1.1.0", "type = \"rename_table\"\ntable = \"accounts\"\nto = \"members\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("rename_a_column_that_a_foreign_key_references", vec![
            change("0001_key.toml", "1.0.0", "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"\nold_code_complies = true\n\n[[op]]\ntype = \"create_table\"\ntable = \"invites\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, sender_email = { type = \"varchar(255)\" } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"sender_email\"\nreferences = \"users(email)\""),
            change("0002_rename.toml", "1.1.0", "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"email\"\nto = \"mail\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("index_create_and_drop", vec![
            change("0001_index.toml", "1.0.0", "type = \"create_index\"\ntable = \"users\"\nname = \"users_score_idx\"\ncolumns = [\"score\"]"),
            change("0002_drop.toml", "1.1.0", "type = \"drop_index\"\nname = \"users_score_idx\""),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("create_table_with_constraints_and_indexes", with_later_releases(
            "type = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" }, quantity = { type = \"integer\", default = 1 }, code = { type = \"varchar(32)\", nullable = true } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"\n\n[[op.constraints]]\ntype = \"unique\"\ncolumns = [\"code\"]\n\n[[op.constraints]]\ntype = \"check\"\nname = \"orders_quantity_positive\"\ncheck = \"quantity > 0\"\n\n[[op.indexes]]\ncolumns = [\"user_id\", \"quantity\"]",
        )),
        ("rename_table_referenced_by_a_foreign_key", vec![
            change("0001_orders.toml", "1.0.0", "type = \"create_table\"\ntable = \"orders\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\" }, user_id = { type = \"bigint\" } }\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\""),
            change("0002_rename.toml", "1.1.0", "type = \"rename_table\"\ntable = \"users\"\nto = \"accounts\""),
            change("0003_relax.toml", "1.2.0", "type = \"drop_column\"\ntable = \"accounts\"\ncolumn = \"legacy_email\""),
            next("0004_next.toml", "1.3.0"),
            next("0005_last.toml", "1.4.0"),
        ]),
        ("foreign_key_and_unique_added_then_dropped", vec![
            change("0001_orders.toml", "1.0.0", ORDERS),
            change("0002_keys.toml", "1.1.0", "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\non_delete = \"cascade\"\nold_code_complies = true\n\n[[op]]\ntype = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"code\"]\nold_code_complies = true"),
            change("0003_relax.toml", "1.2.0", "type = \"drop_constraint\"\nname = \"orders_user_id_fkey\"\n\n[[op]]\ntype = \"drop_constraint\"\ntable = \"orders\"\nname = \"orders_code_key\""),
            next("0004_next.toml", "1.3.0"),
        ]),
        // Over columns 1.0.0's code writes: enforced in contract(1.2.0), after repairs.
        ("keys_over_columns_older_code_writes_are_enforced_later", vec![
            change("0001_orders.toml", "1.0.0", ORDERS),
            change("0002_keys.toml", "1.1.0", "type = \"add_foreign_key\"\ntable = \"orders\"\ncolumn = \"user_id\"\nreferences = \"users(id)\"\n\n[[op]]\ntype = \"add_unique\"\ntable = \"orders\"\ncolumns = [\"code\"]\nrepair_sql = \"NULL\""),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        ("alter_column_widen_relax_and_default", with_later_releases(
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"email\"\ncolumn_type = \"varchar(500)\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"legacy_email\"\nnullable = true\n\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ndefault = 5",
        )),
        ("alter_column_tighten_with_using_and_drop_a_default", with_later_releases(
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"nickname\"\nnullable = false\nusing = \"'anonymous'\"\n\n[[op]]\ntype = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ndrop_default = true",
        )),
        ("alter_column_through_a_new_column", with_later_releases(
            "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ncolumn_type = \"bigint\"\nnew_name = \"points\"",
        )),
        ("sql_destructive", with_later_releases(
            "type = \"sql\"\nexpand = \"CREATE TABLE audit (id bigint)\"\ncontract = \"DROP TABLE audit\"\ndestructive = true",
        )),
        // A table raw SQL creates is in the model: later ops use it, and a SQLite
        // rebuild (the new default) knows its columns.
        ("sql_table_used_by_later_ops", vec![
            change("0001_teams.toml", "1.0.0", "type = \"sql\"\nexpand = \"CREATE TABLE teams (id bigint NOT NULL PRIMARY KEY, name varchar(80) NOT NULL, score integer DEFAULT 0)\""),
            change("0002_more.toml", "1.1.0", "type = \"add_column\"\ntable = \"teams\"\ncolumn = { name = \"motto\", type = \"text\", nullable = true }\n\n[[op]]\ntype = \"create_index\"\ntable = \"teams\"\ncolumns = [\"name\"]\n\n[[op]]\ntype = \"alter_column\"\ntable = \"teams\"\ncolumn = \"score\"\ndefault = 5"),
            next("0003_next.toml", "1.2.0"),
        ]),
        // One file in a transaction that locks two tables: on Postgres it takes both
        // locks together first, so that a retry for one never holds the other's writers.
        ("one_file_locking_two_tables", vec![
            change("0001_orders.toml", "1.0.0", ORDERS),
            change("0002_notes.toml", "1.1.0", "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true }\n\n[[op]]\ntype = \"add_column\"\ntable = \"orders\"\ncolumn = { name = \"memo\", type = \"text\", nullable = true }"),
            next("0003_next.toml", "1.2.0"),
        ]),
    ]
}

/// Primary keys added and replaced, and comments on tables and columns.
fn key_and_comment_cases() -> Vec<(&'static str, Vec<(String, String)>)> {
    vec![
        // Over a column 1.0.0's code writes: a tightening, enforced in contract(1.2.0).
        ("add_primary_key_over_a_column_older_code_writes", vec![
            change("0001_events.toml", "1.0.0", "type = \"create_table\"\ntable = \"events\"\ncolumns = { id = { type = \"bigint\" }, source = { type = \"varchar(40)\" }, note = { type = \"text\", nullable = true } }"),
            change("0002_key.toml", "1.1.0", "type = \"add_primary_key\"\ntable = \"events\"\ncolumns = [\"id\"]"),
            next("0003_next.toml", "1.2.0"),
            next("0004_last.toml", "1.3.0"),
        ]),
        // Asserted by the change: in expand, the old key dropped in the same statement.
        ("replace_primary_key", vec![
            change("0001_key.toml", "1.0.0", "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"id\", \"email\"]\nname = \"users_id_email_pkey\"\nreplace = true\nold_code_complies = true"),
            change("0002_again.toml", "1.1.0", "type = \"add_primary_key\"\ntable = \"users\"\ncolumns = [\"email\"]\nreplace = true\nold_code_complies = true"),
            next("0003_next.toml", "1.2.0"),
        ]),
        ("comments_on_tables_and_columns", vec![
            change("0001_teams.toml", "1.0.0", "type = \"create_table\"\ntable = \"teams\"\ncomment = \"Groups of users; it's what billing counts\"\nprimary_key = [\"id\"]\ncolumns = { id = { type = \"bigint\", comment = \"Never reused\" }, name = { type = \"varchar(80)\" } }\n\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"bio\", type = \"text\", nullable = true, comment = \"Shown on the profile page\" }"),
            change("0002_comments.toml", "1.1.0", "type = \"set_comment\"\ntable = \"users\"\ncomment = \"People who sign in\"\n\n[[op]]\ntype = \"set_comment\"\ntable = \"users\"\ncolumn = \"score\"\ncomment = \"Points, never negative\"\n\n[[op]]\ntype = \"set_comment\"\ntable = \"teams\"\ncolumn = \"id\"\nremove = true"),
            change("0003_tighten.toml", "1.2.0", "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\nnullable = true"),
            next("0004_last.toml", "1.3.0"),
        ]),
        // The NOT NULL of 1.0.0's column lands in contract(1.1.0), after 1.1.0's expand
        // commented it: MySQL's MODIFY COLUMN restates the comment the column has then.
        ("comment_kept_by_a_later_tightening", vec![
            change("0001_add.toml", "1.0.0", "type = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"email_lower\", type = \"varchar(255)\" }\nbackfill_sql = \"lower(email)\""),
            change("0002_comment.toml", "1.1.0", "type = \"set_comment\"\ntable = \"users\"\ncolumn = \"email_lower\"\ncomment = \"Lower-cased email, for lookups\""),
            next("0003_next.toml", "1.2.0"),
        ]),
    ]
}

/// The snapshots of every case in `dialect`.
fn snapshots(dialect: &str) {
    let mut all = cases();
    if dialect != "mysql" {
        all.extend(check_cases());
    }
    all.extend(dialect_cases(dialect));
    all.extend(type_cases(dialect));
    all.extend(key_and_comment_cases());
    for (name, files) in all {
        let text = generate(dialect, &common::as_refs(&files));
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(format!("golden__{dialect}__{name}"), text);
        });
    }
}

/// Where the snapshots live and what they are called: `tests/snapshots/golden__*`, as
/// when this file was a test binary of its own. Insta would otherwise name them after the
/// module path (`it__golden__*`) and look beside this file.
fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Every case rehearsed by `verify` on a scratch database of `server`.
fn rehearsed(server: Server) {
    let Some(url) = server.url() else {
        return;
    };
    let mut all = cases();
    if server.dialect() != "mysql" {
        all.extend(check_cases());
    }
    all.extend(dialect_cases(server.dialect()));
    all.extend(type_cases(server.dialect()));
    all.extend(key_and_comment_cases());
    for (name, files) in all {
        let dir = project(server.dialect(), &common::as_refs(&files));
        let out = common::verify(dir.path(), &url);
        assert!(
            out.status.success(),
            "{name} on {server:?}:\n{}{}",
            common::stdout(&out),
            common::stderr(&out)
        );
    }
}

#[test]
fn postgres_sql() {
    snapshots("postgres");
}

#[test]
fn sqlite_sql() {
    snapshots("sqlite");
}

#[test]
fn mysql_sql() {
    snapshots("mysql");
}

#[test]
fn every_case_passes_verify_on_postgres() {
    rehearsed(Server::Postgres);
}

#[test]
fn every_case_passes_verify_on_sqlite() {
    rehearsed(Server::Sqlite);
}

#[test]
fn every_case_passes_verify_on_mariadb() {
    rehearsed(Server::Mysql);
}

#[test]
fn mysql_refuses_a_check_at_plan_time_naming_the_change_op_and_dialect() {
    let (_, files) = check_cases().remove(0);
    let dir = common::project_files("mysql", SCHEMA, &common::as_refs(&files));
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    let err = common::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    for needle in [
        "changes/0002_check.toml",
        "add_check op",
        "dialect: mysql",
        "copying the table",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

/// A widening Postgres would make by rewriting the table (integer to bigint) is no longer
/// refused: it keeps the name through a shadow column swapped in at contract.
#[test]
fn postgres_widens_a_column_it_would_rewrite_through_a_shadow_column() {
    let files = with_later_releases(
        "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"score\"\ncolumn_type = \"bigint\"",
    );
    let dir = common::project_files("postgres", SCHEMA, &common::as_refs(&files));
    let out = common::tandem(dir.path()).arg("plan").output().unwrap();
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", common::stderr(&out));
    for needle in ["tandem_retype_score", "contract(1.1.0)"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains("rewrites"), "{text}");
}

/// schema.toml's indexes and constraints take the options of the ops they are read as:
/// the baseline writes them and `verify` applies it on Postgres.
#[test]
fn schema_toml_takes_index_and_key_options_and_postgres_applies_them() {
    let schema = format!(
        "{SCHEMA}\n[[tables.users.indexes]]\nname = \"users_active_email\"\nexpressions = [\"lower(email)\"]\nwhere = \"score >= 0\"\nunique = true\n\n[[tables.users.indexes]]\nname = \"users_score_brin\"\ncolumns = [\"score\"]\nmethod = \"brin\"\n\n[tables.orders]\nprimary_key = [\"id\"]\n[tables.orders.columns]\nid = {{ type = \"bigint\" }}\nuser_id = {{ type = \"bigint\" }}\n\n[[tables.orders.constraints]]\ntype = \"foreign_key\"\nname = \"fk_users_id\"\ncolumn = \"user_id\"\nreferences = \"users\"\non_update = \"cascade\"\ninitially_deferred = true\n"
    );
    let files = with_later_releases("type = \"sql\"\nexpand = \"SELECT 1\"");
    let dir = common::project_with("postgres", &schema, &common::as_refs(&files));
    let baseline = baseline(dir.path());
    for needle in [
        "ON \"users\" ((lower(email))) WHERE score >= 0",
        "USING brin (\"score\")",
        "ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED",
    ] {
        assert!(
            baseline.contains(needle),
            "missing {needle:?} in:\n{baseline}"
        );
    }
    let Some(url) = Server::Postgres.url() else {
        return;
    };
    let out = common::verify(dir.path(), &url);
    assert!(
        out.status.success(),
        "{}{}",
        common::stdout(&out),
        common::stderr(&out)
    );
}

/// schema.toml declares enums and an identity key: the baseline makes the enum first
/// (Postgres) and numbers the key the dialect's way, and on every server the code's own
/// inserts that omit the key (a query file) run beside the probes, writing a value the
/// release adds to the enum.
#[test]
fn schema_toml_enums_and_identity_run_on_every_server() {
    let schema = "[enums.status]\nvalues = [\"active\", \"closed\"]\n\n[tables.items]\nprimary_key = [\"id\"]\n\n[tables.items.columns]\nid = { type = \"bigint\", identity = true }\nname = { type = \"text\" }\nstate = { type = \"status\", default = \"active\" }\ndoc = { type = { postgres = \"jsonb\", mysql = \"json\", sqlite = \"text\" }, nullable = true }\n";
    let files = [
        change(
            "0001_value.toml",
            "1.0.0",
            "type = \"add_enum_value\"\nenum = \"status\"\nvalue = \"archived\"",
        ),
        next("0002_next.toml", "1.1.0"),
    ];
    for server in Server::ALL {
        let dir = common::project_with(server.dialect(), schema, &common::as_refs(&files));
        let baseline = baseline(dir.path());
        let wanted: &[&str] = match server {
            Server::Postgres => &[
                "CREATE TYPE \"status\" AS ENUM ('active', 'closed');",
                "\"id\" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY",
                "\"state\" \"status\" NOT NULL DEFAULT ('active')",
            ],
            Server::Mysql => &[
                "`id` bigint NOT NULL AUTO_INCREMENT",
                "`state` enum('active','closed') NOT NULL",
            ],
            Server::Sqlite => &["\"id\" integer NOT NULL", "PRIMARY KEY (\"id\")"],
        };
        for needle in wanted {
            assert!(
                baseline.contains(needle),
                "missing {needle:?} in:\n{baseline}"
            );
        }
        let queries = dir.path().join("queries/1.0.0");
        fs::create_dir_all(&queries).unwrap();
        fs::write(
            queries.join("items.sql"),
            "INSERT INTO items (name) VALUES ('numbered by the database');\n\
             INSERT INTO items (name, state) VALUES ('new value', 'archived');\n\
             SELECT id, name, state FROM items WHERE state = 'archived';\n",
        )
        .unwrap();
        let Some(url) = server.url() else {
            continue;
        };
        let out = common::verify(dir.path(), &url);
        assert!(
            out.status.success(),
            "{server:?}: {}{}",
            common::stdout(&out),
            common::stderr(&out)
        );
    }
}
