//! The rehearsal passes correct plans: its probe rows keep every key, check and type the
//! plan has or will have, on every row, in every release, on all three databases.

use crate::common;

use common::{stderr, stdout, Server};

/// Verifies a project of `server`'s dialect over `schema` with `changes` (and extra
/// tandem.toml lines); returns whether it passed, and its output.
fn rehearse(
    server: Server,
    schema: &str,
    changes: &[(&str, &str)],
    settings: &str,
) -> Option<(bool, String)> {
    let url = server.url()?;
    let dir = common::project_files(server.dialect(), schema, changes);
    if !settings.is_empty() {
        let path = dir.path().join("tandem.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{text}{settings}")).unwrap();
    }
    let out = common::verify(dir.path(), &url);
    Some((
        out.status.success(),
        format!("{}{}", stdout(&out), stderr(&out)),
    ))
}

fn passes(server: Server, schema: &str, changes: &[(&str, &str)]) {
    if let Some((ok, text)) = rehearse(server, schema, changes, "") {
        assert!(
            ok,
            "{server:?}: a correct plan fails the rehearsal:\n{text}"
        );
    }
}

const NOTE: (&str, &str) = (
    "0001_note.toml",
    "release = \"1.1.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }\n",
);

#[test]
fn a_one_to_one_foreign_key_passes_on_sqlite() {
    passes(Server::Sqlite, common::ONE_TO_ONE, &[NOTE]);
}

#[test]
fn a_one_to_one_foreign_key_passes_on_postgres() {
    passes(Server::Postgres, common::ONE_TO_ONE, &[NOTE]);
}

#[test]
fn a_one_to_one_foreign_key_passes_on_mariadb() {
    passes(Server::Mysql, common::ONE_TO_ONE, &[NOTE]);
}

/// Memberships keyed by (org, user), both foreign keys; tasks point at a membership.
const COMPOSITE: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }

[tables.orgs]
primary_key = ["id"]
[tables.orgs.columns]
id = { type = "bigint" }
name = { type = "varchar(40)" }

[tables.members]
primary_key = ["org_id", "user_id"]
[tables.members.columns]
org_id = { type = "bigint" }
user_id = { type = "bigint" }

[[tables.members.constraints]]
type = "foreign_key"
column = "org_id"
references = "orgs"

[[tables.members.constraints]]
type = "foreign_key"
column = "user_id"
references = "users"

[tables.tasks]
primary_key = ["id"]
[tables.tasks.columns]
id = { type = "bigint" }
org_id = { type = "bigint" }
user_id = { type = "bigint" }

[[tables.tasks.constraints]]
type = "foreign_key"
columns = ["org_id", "user_id"]
references = "members(org_id, user_id)"
"#;

#[test]
fn a_composite_foreign_key_passes_on_sqlite() {
    passes(Server::Sqlite, COMPOSITE, &[NOTE]);
}

#[test]
fn a_composite_foreign_key_passes_on_postgres() {
    passes(Server::Postgres, COMPOSITE, &[NOTE]);
}

#[test]
fn a_composite_foreign_key_passes_on_mariadb() {
    passes(Server::Mysql, COMPOSITE, &[NOTE]);
}

const ITEMS: &str = r#"
[tables.items]
primary_key = ["id"]
[tables.items.columns]
id = { type = "bigint" }
code = { type = "text" }
"#;

/// 1.1.0 reads items.code as an integer through a new column; 1.2.0 makes it unique.
fn text_to_integer(server: Server) -> Vec<(String, String)> {
    let cast = match server {
        Server::Mysql => "CAST(code AS SIGNED)",
        _ => "CAST(code AS integer)",
    };
    vec![
        (
            "0001_code.toml".into(),
            format!(
                "release = \"1.1.0\"\n[[op]]\ntype = \"alter_column\"\ntable = \"items\"\ncolumn = \"code\"\ncolumn_type = \"integer\"\nnew_name = \"code_num\"\nusing = \"{cast}\"\n"
            ),
        ),
        (
            "0002_unique.toml".into(),
            "release = \"1.2.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"items\"\ncolumn = \"code_num\"\n".into(),
        ),
        (
            "0003_last.toml".into(),
            "release = \"1.3.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n".into(),
        ),
    ]
}

fn a_type_change_through_a_new_column_passes(server: Server) {
    let changes = text_to_integer(server);
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    passes(server, ITEMS, &refs);
}

#[test]
fn a_text_to_integer_change_passes_on_sqlite() {
    a_type_change_through_a_new_column_passes(Server::Sqlite);
}

#[test]
fn a_text_to_integer_change_passes_on_postgres() {
    a_type_change_through_a_new_column_passes(Server::Postgres);
}

#[test]
fn a_text_to_integer_change_passes_on_mariadb() {
    a_type_change_through_a_new_column_passes(Server::Mysql);
}

const CHAIN_SCHEMA: &str = r#"
[tables.users]
primary_key = ["id"]
[tables.users.columns]
id = { type = "bigint" }
email = { type = "varchar(255)" }
tag = { type = "varchar(2)" }
active = { type = "boolean", default = true }

[tables.orders]
primary_key = ["id"]
[tables.orders.columns]
id = { type = "bigint" }
user_id = { type = "bigint" }
quantity = { type = "integer" }

[[tables.orders.constraints]]
type = "foreign_key"
name = "orders_user_fk"
column = "user_id"
references = "users"
"#;

/// Eight releases of small changes, then unique keys over columns the probes of every
/// release before wrote: a foreign key column, a two-character string.
fn chain(server: Server) -> Vec<(String, String)> {
    let mut changes: Vec<(String, String)> = (1..=8)
        .map(|i| {
            (
                format!("{i:04}_step.toml"),
                format!(
                    "release = \"1.{i}.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"users\"\ncolumn = {{ name = \"c{i}\", type = \"integer\", nullable = true }}\n"
                ),
            )
        })
        .collect();
    // MySQL adds a check only by copying the table: tandem refuses it there.
    if server != Server::Mysql {
        changes.push((
        "0009_quantity.toml".into(),
        "release = \"1.4.0\"\n[[op]]\ntype = \"add_check\"\ntable = \"orders\"\nname = \"orders_quantity_small\"\ncheck = \"quantity BETWEEN 1 AND 9\"\n".into(),
    ));
    }
    changes.push((
        "0010_unique.toml".into(),
        "release = \"1.9.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"orders\"\ncolumn = \"user_id\"\n\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"tag\"\n".into(),
    ));
    changes.push((
        "0011_last.toml".into(),
        "release = \"1.10.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n".into(),
    ));
    changes
}

fn a_long_chain_passes(server: Server) {
    let changes = chain(server);
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    passes(server, CHAIN_SCHEMA, &refs);
}

#[test]
fn a_later_unique_key_is_built_over_earlier_probe_rows_on_sqlite() {
    a_long_chain_passes(Server::Sqlite);
}

#[test]
fn a_later_unique_key_is_built_over_earlier_probe_rows_on_postgres() {
    a_long_chain_passes(Server::Postgres);
}

#[test]
fn a_later_unique_key_is_built_over_earlier_probe_rows_on_mariadb() {
    a_long_chain_passes(Server::Mysql);
}

const REVIEWS: &str = r#"
[tables.reviews]
primary_key = ["id"]
[tables.reviews.columns]
id = { type = "bigint" }
rating = { type = "integer" }
body = { type = "text" }
"#;

/// A check the generator cannot read fails the rehearsal, naming the way out; the
/// values of `[verify.values]` keep it.
fn user_values_keep_a_check_the_generator_cannot_read(server: Server) {
    let check = "release = \"1.1.0\"\n[[op]]\ntype = \"add_check\"\ntable = \"reviews\"\nname = \"reviews_rating_odd\"\ncheck = \"rating % 2 = 1\"\nold_code_complies = true\n";
    let changes = [("0001_odd.toml", check), NOTE_REVIEWS];
    let Some((ok, text)) = rehearse(server, REVIEWS, &changes, "") else {
        return;
    };
    assert!(!ok, "{text}");
    assert!(text.contains("reviews_rating_odd"), "{text}");
    assert!(text.contains("[verify.values]"), "{text}");
    let (ok, text) = rehearse(
        server,
        REVIEWS,
        &changes,
        "\n[verify.values]\n\"reviews.rating\" = [\"1\", \"5\"]\n",
    )
    .unwrap();
    assert!(ok, "{text}");
}

const NOTE_REVIEWS: (&str, &str) = (
    "0002_note.toml",
    "release = \"1.2.0\"\n[[op]]\ntype = \"add_column\"\ntable = \"reviews\"\ncolumn = { name = \"note\", type = \"text\", nullable = true }\n",
);

#[test]
fn user_values_keep_a_check_on_sqlite() {
    user_values_keep_a_check_the_generator_cannot_read(Server::Sqlite);
}

#[test]
fn user_values_keep_a_check_on_postgres() {
    user_values_keep_a_check_the_generator_cannot_read(Server::Postgres);
}

/// A column that is a key of its own takes each of the user's values once, then made-up
/// ones: a unique key added later is built over the rows the probes wrote.
fn user_values_of_a_unique_column_are_not_repeated(server: Server) {
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\n";
    let unique = "release = \"1.1.0\"\n[[op]]\ntype = \"add_unique\"\ntable = \"users\"\ncolumn = \"email\"\n";
    let next = "release = \"1.2.0\"\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";
    let Some((ok, text)) = rehearse(
        server,
        schema,
        &[("0001_unique.toml", unique), ("0002_next.toml", next)],
        "\n[verify.values]\n\"users.email\" = [\"ada@example.com\", \"grace@example.com\"]\n",
    ) else {
        return;
    };
    assert!(ok, "{text}");
}

#[test]
fn user_values_of_a_unique_column_are_not_repeated_on_sqlite() {
    user_values_of_a_unique_column_are_not_repeated(Server::Sqlite);
}

#[test]
fn user_values_of_a_unique_column_are_not_repeated_on_postgres() {
    user_values_of_a_unique_column_are_not_repeated(Server::Postgres);
}

#[test]
fn user_values_of_a_unique_column_are_not_repeated_on_mariadb() {
    user_values_of_a_unique_column_are_not_repeated(Server::Mysql);
}

/// Forty releases: each adds a column; unique keys are added over columns earlier
/// releases wrote, tables with one-to-one keys and checks come and get tighter checks,
/// columns are renamed and converted from text to integers. Every cell passes.
fn forty_releases(server: Server) -> Vec<(String, String)> {
    const N: usize = 40;
    let int = if server == Server::Mysql {
        "SIGNED"
    } else {
        "integer"
    };
    let renamed = |k: usize| k > 0 && k % 5 == 0;
    let unique = |k: usize| k > 0 && k % 3 == 0 && k + 3 <= N;
    let converted = |k: usize| k > 0 && k % 7 == 0 && !renamed(k) && !unique(k);
    let mut changes = Vec::new();
    for i in 1..=N {
        let mut ops = vec![format!(
            "type = \"add_column\"\ntable = \"users\"\ncolumn = {{ name = \"c{i}\", type = \"varchar(8)\", nullable = true }}"
        )];
        if i % 3 == 0 && i > 3 && !renamed(i - 3) && !converted(i - 3) {
            ops.push(format!(
                "type = \"add_unique\"\ntable = \"users\"\ncolumn = \"c{}\"",
                i - 3
            ));
        }
        if i % 4 == 0 {
            let check = if server == Server::Mysql {
                String::new()
            } else {
                format!("\n\n[[op.constraints]]\ntype = \"check\"\nname = \"t{i}_q\"\ncheck = \"q BETWEEN 1 AND 1000\"")
            };
            ops.push(format!(
                "type = \"create_table\"\ntable = \"t{i}\"\nprimary_key = [\"id\"]\ncolumns = {{ id = {{ type = \"bigint\" }}, user_id = {{ type = \"bigint\" }}, q = {{ type = \"integer\" }} }}\n\n[[op.constraints]]\ntype = \"unique\"\ncolumn = \"user_id\"\n\n[[op.constraints]]\ntype = \"foreign_key\"\ncolumn = \"user_id\"\nreferences = \"users\"{check}"
            ));
        }
        if i > 5 && renamed(i - 5) && !unique(i - 5) {
            ops.push(format!(
                "type = \"rename_column\"\ntable = \"users\"\ncolumn = \"c{k}\"\nto = \"r{k}\"",
                k = i - 5
            ));
        }
        if i > 7 && converted(i - 7) {
            ops.push(format!(
                "type = \"alter_column\"\ntable = \"users\"\ncolumn = \"c{k}\"\ncolumn_type = \"bigint\"\nnew_name = \"n{k}\"\nusing = \"CAST(c{k} AS {int})\"",
                k = i - 7
            ));
        }
        if i > 8 && (i - 8) % 4 == 0 && server != Server::Mysql {
            ops.push(format!(
                "type = \"add_check\"\ntable = \"t{k}\"\nname = \"t{k}_q_small\"\ncheck = \"q < 500\"",
                k = i - 8
            ));
        }
        let body: String = ops.iter().map(|o| format!("\n[[op]]\n{o}\n")).collect();
        changes.push((
            format!("{i:04}_step.toml"),
            format!("release = \"1.{i}.0\"\n{body}"),
        ));
    }
    changes
}

fn forty_releases_pass(server: Server) {
    let schema = "[tables.users]\nprimary_key = [\"id\"]\n[tables.users.columns]\nid = { type = \"bigint\" }\nemail = { type = \"varchar(255)\" }\n";
    let changes = forty_releases(server);
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    passes(server, schema, &refs);
}

#[test]
fn forty_releases_pass_on_sqlite() {
    forty_releases_pass(Server::Sqlite);
}

#[test]
fn forty_releases_pass_on_postgres() {
    forty_releases_pass(Server::Postgres);
}

#[test]
fn forty_releases_pass_on_mariadb() {
    forty_releases_pass(Server::Mysql);
}
