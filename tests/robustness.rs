//! No input, however malformed, makes tandem panic: change files built from fragments of
//! valid ones, in any order, either plan or fail with a located input error.

use proptest::prelude::*;
use tandem::diag::SourceFile;
use tandem::parse::change::parse_change;

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

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
    fn arbitrary_bytes_never_panic(text in "\\PC{0,200}") {
        let file = SourceFile::new("changes/0001_fuzz.toml", text);
        let _ = parse_change(&file).map_err(|e| e.render());
    }
}
