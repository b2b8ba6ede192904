//! No input, however malformed, makes tandem panic: change files built from fragments of
//! valid ones, in any order, either plan or fail with a located input error; what plans
//! renders in every dialect or is refused as unsupported.

use crate::common;

use std::path::Path;

use proptest::prelude::*;
use tandem::config::Config;
use tandem::diag::SourceFile;
use tandem::ops::op::OpContext;
use tandem::parse::change::parse_change;
use tandem::parse::schema::parse_schema;
use tandem::sql::dialects::renderer;
use tandem::sql::physical::Physical;
use tandem::sql::render::render_actions;
use tandem::templates::Templates;

/// Parses `text` as a change of release 1, applies its ops to the schema and renders
/// every action in each dialect. Input errors are fine; panics are not.
fn plan_and_render(text: String) -> Result<(), TestCaseError> {
    let file = SourceFile::new("changes/0001_fuzz.toml", text);
    let change = match parse_change(&file) {
        Ok(c) => c,
        Err(e) => {
            prop_assert_eq!(e.exit_code(), 2);
            return Ok(());
        }
    };
    let mut schema =
        parse_schema(&SourceFile::new("schema.toml", common::USERS_AND_ORDERS)).expect("schema");
    let before = schema.clone();
    let mut actions = Vec::new();
    for entry in &change.ops {
        let mut cx = OpContext::new(&mut schema, 1, Some(2), entry.location.clone(), None, None);
        match entry.op.apply(&mut cx) {
            Ok(steps) => actions.extend(steps.into_iter().flat_map(|s| s.actions)),
            Err(e) => {
                prop_assert_eq!(e.exit_code(), 2, "{}", e.render());
                return Ok(());
            }
        }
    }
    let templates = Templates::builtin();
    for dialect in ["postgres", "mysql", "sqlite"] {
        let config = Config::from_source(
            Path::new("."),
            SourceFile::new("tandem.toml", format!("dialect = \"{dialect}\"")),
        )
        .expect("config");
        let renderer = renderer(&config, &templates);
        let mut physical = Physical::default();
        let baseline = tandem::plan::baseline_actions(&before, config.dialect);
        let base: Vec<_> = baseline.iter().collect();
        prop_assert!(matches!(
            render_actions(renderer.as_ref(), &mut physical, &base),
            Ok(Ok(_))
        ));
        let refs: Vec<_> = actions.iter().collect();
        // Unsupported in a dialect is an answer too.
        prop_assert!(render_actions(renderer.as_ref(), &mut physical, &refs).is_ok());
    }
    Ok(())
}

const FRAGMENTS: &[&str] = &[
    "release = \"1.4.0\"\n",
    "release = \"v2.0.0-rc.1\"\n",
    "release = 7\n",
    "[[op]]\n",
    "[op]\n",
    "type = \"drop_column\"\n",
    "type = \"add_column\"\n",
    "type = \"rename_column\"\n",
    "type = \"sql\"\n",
    "type = \"create_index\"\n",
    "type = \"alter_column\"\n",
    "type = \"add_foreign_key\"\n",
    "type = \"add_unique\"\n",
    "type = \"add_check\"\n",
    "type = \"drop_constraint\"\n",
    "type = \"rename_table\"\n",
    "type = \"drop_table\"\n",
    "table = \"orders\"\n",
    "column = \"user_id\"\n",
    "column = \"email\"\n",
    "references = \"users(email)\"\n",
    "references = \"orders\"\n",
    "on_delete = \"set null\"\n",
    "name = \"orders_user_fk\"\n",
    "name = \"users_email_key\"\n",
    "check = \"quantity > 0\"\n",
    "column_type = \"varchar(10)\"\n",
    "column_type = \"text\"\n",
    "column_type = \"bigint\"\n",
    "new_name = \"renamed\"\n",
    "nullable = false\n",
    "nullable = true\n",
    "drop_default = true\n",
    "using = \"'x'\"\n",
    "table = \"users\"\n",
    "column = \"legacy_email\"\n",
    "column = { name = \"x\", type = \"varchar(\" }\n",
    "column = { name = \"x\", type = \"text\", default = 1.5 }\n",
    "columns = [\"email\", 3]\n",
    "to = \"\"\n",
    "backfill_sql = \"lower(email)\"\n",
    "contract_release = \"1.3.0\"\n",
    "expand = \"SELECT 1\"\n",
    "destructive = true\n",
    "nullable = \"yes\"\n",
    "= \n",
    "\"unterminated\n",
    "[tables.users.columns]\n",
    "# comment ü\n",
];

/// Field names and values of ops, combined at random into well-formed TOML: the ops
/// parse more often than not, so that applying and rendering get exercised.
const KEYS: &[(&str, &[&str])] = &[
    ("table", &["\"users\"", "\"orders\"", "\"nope\""]),
    (
        "column",
        &[
            "\"email\"",
            "\"user_id\"",
            "\"nickname\"",
            "\"quantity\"",
            "\"id\"",
            "{ name = \"bio\", type = \"text\", nullable = true }",
        ],
    ),
    (
        "columns",
        &[
            "[\"email\"]",
            "[\"user_id\", \"quantity\"]",
            "[]",
            "{ id = { type = \"bigint\" } }",
        ],
    ),
    ("to", &["\"renamed\"", "\"accounts\"", "\"email\""]),
    (
        "name",
        &["\"orders_user_fk\"", "\"users_email_key\"", "\"an_index\""],
    ),
    (
        "references",
        &[
            "\"users\"",
            "\"users(email)\"",
            "\"orders.id\"",
            "\"users(id, email)\"",
        ],
    ),
    ("on_delete", &["\"cascade\"", "\"set null\""]),
    ("check", &["\"quantity > 0\"", "\"\""]),
    (
        "column_type",
        &[
            "\"varchar(500)\"",
            "\"varchar(10)\"",
            "\"bigint\"",
            "\"text\"",
        ],
    ),
    ("nullable", &["true", "false"]),
    ("default", &["1", "\"x\""]),
    ("drop_default", &["true"]),
    ("new_name", &["\"renamed\""]),
    ("using", &["\"'x'\"", "\"email\""]),
    ("backfill_sql", &["\"lower(email)\""]),
    ("down_sql", &["\"email\""]),
    ("unique", &["true"]),
    ("expand", &["\"SELECT 1\""]),
    ("contract", &["\"SELECT 2\""]),
    ("destructive", &["true"]),
];

/// The fields each op type reads, so that most generated ops parse.
fn keys_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "create_table" => &["table", "columns"],
        "drop_table" => &["table"],
        "rename_table" => &["table", "to"],
        "add_column" => &["table", "column", "column_type", "backfill_sql"],
        "drop_column" => &["table", "column", "down_sql"],
        "rename_column" => &["table", "column", "to"],
        "alter_column" => &[
            "table",
            "column",
            "column_type",
            "nullable",
            "default",
            "drop_default",
            "new_name",
            "using",
        ],
        "create_index" => &["table", "columns", "column", "name", "unique"],
        "drop_index" => &["name", "table"],
        "add_foreign_key" => &[
            "table",
            "column",
            "columns",
            "references",
            "on_delete",
            "name",
        ],
        "add_unique" => &["table", "column", "columns", "name"],
        "add_check" => &["table", "check", "name"],
        "drop_constraint" => &["table", "name"],
        "sql" => &["expand", "contract", "destructive"],
        _ => &["table"],
    }
}

fn op_text(kind: usize, fields: &[(usize, usize)]) -> String {
    let kinds = tandem::ops::type_names();
    let kind = kinds[kind % kinds.len()];
    let mut text = format!("[[op]]\ntype = \"{kind}\"\n");
    // Each field of the op is written seven times in eight, with a value from its pool.
    for (key, &(keep, v)) in keys_of(kind).iter().zip(fields) {
        let Some((_, values)) = KEYS.iter().find(|(name, _)| name == key) else {
            continue;
        };
        if keep % 8 != 7 {
            text.push_str(&format!("{key} = {}\n", values[v % values.len()]));
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn change_files_never_panic(picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..14)) {
        let text: String = picks.iter().map(|&i| FRAGMENTS[i]).collect();
        let file = SourceFile::new("changes/0001_fuzz.toml", text);
        if let Err(e) = parse_change(&file) {
            prop_assert_eq!(e.exit_code(), 2);
            let rendered = e.render();
            prop_assert!(rendered.starts_with("error: "), "{}", rendered);
        }
    }

    #[test]
    fn ops_apply_and_render_or_fail_cleanly(
        ops in proptest::collection::vec(
            (0..64usize, proptest::collection::vec((0..64usize, 0..8usize), 0..6)),
            1..3,
        )
    ) {
        let mut text = String::from("release = \"1.0.0\"\n");
        for (kind, fields) in &ops {
            text.push_str(&op_text(*kind, fields));
        }
        plan_and_render(text)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in "\\PC{0,200}") {
        let file = SourceFile::new("changes/0001_fuzz.toml", text);
        let _ = parse_change(&file).map_err(|e| e.render());
    }
}
