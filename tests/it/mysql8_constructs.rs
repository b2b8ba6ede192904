//! The `mysql` dialect writes only what MySQL 8.0.29+ and MariaDB 10.5+ both accept:
//! every generated MySQL file of the examples and of the golden cases is matched against
//! the list of constructs one of them lacks (`tests/it/common/mysql8.rs`, with a manual
//! section for each) and parsed by sqlparser's MySQL mode. The composition property test
//! (`tests/it/compose.rs`) does the same for random plans; the suites apply the same files
//! on MariaDB.

use crate::common;

use std::fs;
use std::path::Path;

use common::mysql8::{normalize, parses, problems, violations, CONSTRUCTS, PARSER_GAPS};

#[test]
fn every_entry_of_the_list_has_a_source_and_matches_its_own_example() {
    for construct in CONSTRUCTS {
        assert!(
            !construct.sources.is_empty()
                && construct.sources.iter().all(|s| s.starts_with("https://")),
            "{}: a manual section is needed",
            construct.name
        );
        let found = violations(construct.example);
        assert!(
            found.iter().any(|(name, _)| *name == construct.name),
            "{}: its example is not matched: {}",
            construct.name,
            normalize(construct.example)
        );
    }
}

/// The list says which entries the parser rejects; hold it to that, so that a newer
/// sqlparser that reads more (or less) shows up here.
#[test]
fn the_parser_rejects_exactly_the_entries_the_list_says_it_does() {
    for construct in CONSTRUCTS {
        let rejected = parses(construct.example).is_err();
        assert_eq!(
            rejected,
            construct.parser_rejects,
            "{}: sqlparser {} `{}`",
            construct.name,
            if rejected { "rejects" } else { "accepts" },
            construct.example
        );
    }
    // The forms tandem writes instead are read.
    for statement in [
        "ALTER TABLE `t` ADD COLUMN `c` int NULL, ALGORITHM=INSTANT",
        "ALTER TABLE `t` DROP INDEX `i`, ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE `t` ADD CONSTRAINT `f` FOREIGN KEY (`c`) REFERENCES `u` (`id`), ALGORITHM=INPLACE, LOCK=NONE",
        "ALTER TABLE `t` DROP FOREIGN KEY `f`, ALGORITHM=INPLACE, LOCK=NONE",
        "CREATE TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW BEGIN IF NEW.`a` IS NULL THEN SET NEW.`a` = 1; END IF; END",
    ] {
        assert_eq!(parses(statement), Ok(()), "{statement}");
    }
    // What it cannot read at all stays listed as a gap.
    for (prefix, _) in PARSER_GAPS {
        assert!(parses(&format!("{prefix} `p`() BEGIN SELECT 1; END")).is_err());
    }
}

#[test]
fn the_checks_catch_what_the_dialect_used_to_write() {
    let old = "SET SESSION lock_wait_timeout = 5;\n\
               ALTER TABLE `users` ADD COLUMN IF NOT EXISTS `bio` longtext NULL, ALGORITHM=INSTANT;\n\
               CREATE INDEX IF NOT EXISTS `i` ON `users` (`email`) ALGORITHM=INPLACE LOCK=NONE;\n\
               ALTER TABLE `users` DROP FOREIGN KEY IF EXISTS `f`, ALGORITHM=INPLACE, LOCK=NONE;\n";
    let found = problems("old.sql", old);
    assert_eq!(
        found.iter().filter(|p| !p.contains("sqlparser")).count(),
        3,
        "{found:#?}"
    );
    assert_eq!(
        found.iter().filter(|p| p.contains("sqlparser")).count(),
        2,
        "{found:#?}"
    );
    // A string or a name that spells a construct is not one.
    assert!(violations("SELECT 'ADD COLUMN IF NOT EXISTS', `returning` FROM t").is_empty());
}

/// The SQL of a golden snapshot, without insta's header.
fn snapshot_sql(text: &str) -> &str {
    text.splitn(3, "---\n").nth(2).unwrap_or(text)
}

#[test]
fn every_golden_mysql_file_is_valid_on_mysql_8() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut checked = 0;
    let mut found = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("golden__mysql__") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for file in snapshot_sql(&text)
            .split("==> ")
            .filter(|f| !f.trim().is_empty())
        {
            // The first line is the file's path.
            let (path, sql) = file.split_once('\n').unwrap_or((file, ""));
            found.extend(problems(&format!("{name}: {path}"), sql));
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} files read");
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}

#[test]
fn every_example_rendered_for_mysql_is_valid_on_mysql_8() {
    for example in ["incident", "shop"] {
        let dir = common::example_for(example, "mysql");
        let mut files = Vec::new();
        collect(&dir.path().join("migrations"), &mut files);
        assert!(files.len() > 2, "{example}: {files:?}");
        let found: Vec<String> = files
            .iter()
            .flat_map(|p| problems(&p.display().to_string(), &fs::read_to_string(p).unwrap()))
            .collect();
        assert!(found.is_empty(), "{}", found.join("\n\n"));
    }
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
}
