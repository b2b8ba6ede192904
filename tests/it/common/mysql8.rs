//! The constructs that MySQL 8.0.29+ and MariaDB 10.5+ do not both accept, each with the
//! manual sections that show it, and the checks that no generated `mysql` file uses
//! one. One `mysql` dialect must run on both servers; no MySQL 8 server can be installed
//! where the tests run, so every generated MySQL file is (1) applied on MariaDB by the
//! suites, (2) matched against this list, statement by statement, and (3) parsed by
//! `sqlparser` in its MySQL mode.
//!
//! The parser (sqlparser 0.64, `MySqlDialect`) is strict enough to reject only the
//! entries marked `parser_rejects: true`; it accepts the others (it reads several
//! MariaDB clauses for every dialect), so for those the phrase match is the proof. The
//! claim is itself tested: each entry's example must be rejected by the parser exactly
//! when the entry says so. The parser cannot read some statements valid on both
//! servers; those kinds are listed in [`PARSER_GAPS`] and only matched, not parsed.
//!
//! Allowed and therefore not listed, because the minimum versions have them:
//! - `CREATE TRIGGER|PROCEDURE|FUNCTION IF NOT EXISTS`: MySQL 8.0.29
//!   (https://dev.mysql.com/doc/relnotes/mysql/8.0/en/news-8-0-29.html), MariaDB 10.1.4;
//!   tandem does not use them;
//! - `ALTER TABLE ... DROP COLUMN ..., ALGORITHM=INSTANT`: MySQL 8.0.29
//!   (https://dev.mysql.com/doc/refman/8.0/en/innodb-online-ddl-operations.html#online-ddl-column-operations),
//!   MariaDB 10.4;
//! - `RENAME COLUMN`: MySQL 8.0, MariaDB 10.5.2; tandem renames through a new column;
//! - `DEFAULT (expr)`: MySQL 8.0.13
//!   (https://dev.mysql.com/doc/refman/8.0/en/data-type-defaults.html), MariaDB 10.2.1;
//! - `ALTER TABLE ... DROP CONSTRAINT name`: MySQL 8.0.19
//!   (https://dev.mysql.com/doc/refman/8.0/en/alter-table.html), MariaDB 10.2.1;
//! - `DROP TRIGGER|PROCEDURE|VIEW|TABLE IF EXISTS`, `CREATE TABLE IF NOT EXISTS`,
//!   `CREATE OR REPLACE [ALGORITHM=...] VIEW`: in MySQL 8's own syntax.

use tandem::sql::split::split_mysql_statements;

pub struct Construct {
    /// What it is and which server lacks it.
    pub name: &'static str,
    /// Phrases of a normalized statement (see [`normalize`]); any one marks it.
    pub phrases: &'static [&'static str],
    /// A statement that uses it, as a server that has it would accept.
    pub example: &'static str,
    /// Manual sections: the syntax of the server that lacks it, and of the one that has it.
    pub sources: &'static [&'static str],
    /// Whether sqlparser's MySQL mode rejects `example`.
    pub parser_rejects: bool,
}

const MYSQL_ALTER: &str = "https://dev.mysql.com/doc/refman/8.0/en/alter-table.html";
const MARIADB_ALTER: &str = "https://mariadb.com/kb/en/alter-table/";

pub const CONSTRUCTS: &[Construct] = &[
    Construct {
        name: "ADD COLUMN IF NOT EXISTS (MariaDB only)",
        phrases: &["ADD COLUMN IF NOT EXISTS", "ADD IF NOT EXISTS"],
        example: "ALTER TABLE `t` ADD COLUMN IF NOT EXISTS `c` int",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#add-column"],
        parser_rejects: true,
    },
    Construct {
        name: "DROP COLUMN IF EXISTS (MariaDB only)",
        phrases: &["DROP COLUMN IF EXISTS"],
        example: "ALTER TABLE `t` DROP COLUMN IF EXISTS `c`",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#drop-column"],
        parser_rejects: false,
    },
    Construct {
        name: "CREATE [UNIQUE] INDEX IF NOT EXISTS (MariaDB only)",
        phrases: &[
            "CREATE INDEX IF NOT EXISTS",
            "CREATE UNIQUE INDEX IF NOT EXISTS",
        ],
        example: "CREATE UNIQUE INDEX IF NOT EXISTS `i` ON `t` (`c`)",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-index.html",
            "https://mariadb.com/kb/en/create-index/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "ALTER TABLE ADD INDEX|KEY|UNIQUE IF NOT EXISTS (MariaDB only)",
        phrases: &[
            "ADD INDEX IF NOT EXISTS",
            "ADD KEY IF NOT EXISTS",
            "ADD UNIQUE IF NOT EXISTS",
            "ADD UNIQUE INDEX IF NOT EXISTS",
            "ADD UNIQUE KEY IF NOT EXISTS",
        ],
        example: "ALTER TABLE `t` ADD INDEX IF NOT EXISTS `i` (`c`)",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#add-index"],
        parser_rejects: true,
    },
    Construct {
        name: "ALTER TABLE DROP INDEX|KEY IF EXISTS (MariaDB only)",
        phrases: &["DROP INDEX IF EXISTS", "DROP KEY IF EXISTS"],
        example: "ALTER TABLE `t` DROP INDEX IF EXISTS `i`",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#drop-index"],
        parser_rejects: true,
    },
    Construct {
        name: "DROP INDEX IF EXISTS ... ON (MariaDB only)",
        phrases: &["DROP INDEX IF EXISTS"],
        example: "DROP INDEX IF EXISTS `i` ON `t`",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/drop-index.html",
            "https://mariadb.com/kb/en/drop-index/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "ADD CONSTRAINT ... FOREIGN KEY IF NOT EXISTS (MariaDB only)",
        phrases: &["FOREIGN KEY IF NOT EXISTS"],
        example: "ALTER TABLE `t` ADD CONSTRAINT `f` FOREIGN KEY IF NOT EXISTS (`c`) REFERENCES `u` (`id`)",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#add-foreign-key"],
        parser_rejects: true,
    },
    Construct {
        name: "DROP FOREIGN KEY IF EXISTS (MariaDB only)",
        phrases: &["DROP FOREIGN KEY IF EXISTS"],
        example: "ALTER TABLE `t` DROP FOREIGN KEY IF EXISTS `f`",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#drop-foreign-key"],
        parser_rejects: true,
    },
    Construct {
        name: "ADD CONSTRAINT IF NOT EXISTS (MariaDB only)",
        phrases: &["ADD CONSTRAINT IF NOT EXISTS"],
        example: "ALTER TABLE `t` ADD CONSTRAINT IF NOT EXISTS `c` CHECK (a > 0)",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#add-constraint"],
        parser_rejects: true,
    },
    Construct {
        name: "DROP CONSTRAINT IF EXISTS (MariaDB only)",
        phrases: &["DROP CONSTRAINT IF EXISTS"],
        example: "ALTER TABLE `t` DROP CONSTRAINT IF EXISTS `c`",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#drop-constraint"],
        parser_rejects: false,
    },
    Construct {
        name: "CHANGE|MODIFY|RENAME COLUMN IF EXISTS (MariaDB only)",
        phrases: &[
            "CHANGE COLUMN IF EXISTS",
            "CHANGE IF EXISTS",
            "MODIFY COLUMN IF EXISTS",
            "MODIFY IF EXISTS",
            "RENAME COLUMN IF EXISTS",
        ],
        example: "ALTER TABLE `t` MODIFY COLUMN IF EXISTS `a` int",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#modify-column"],
        parser_rejects: true,
    },
    Construct {
        name: "CREATE OR REPLACE TABLE (MariaDB only)",
        phrases: &["CREATE OR REPLACE TABLE", "CREATE OR REPLACE TEMPORARY TABLE"],
        example: "CREATE OR REPLACE TABLE `t` (a int)",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-table.html",
            "https://mariadb.com/kb/en/create-table/#or-replace",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "CREATE OR REPLACE TRIGGER (MariaDB only)",
        phrases: &["CREATE OR REPLACE TRIGGER", "CREATE OR REPLACE DEFINER"],
        example: "CREATE OR REPLACE TRIGGER `tr` BEFORE INSERT ON `t` FOR EACH ROW SET NEW.a = 1",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-trigger.html",
            "https://mariadb.com/kb/en/create-trigger/",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "CREATE OR REPLACE PROCEDURE|FUNCTION (MariaDB only)",
        phrases: &[
            "CREATE OR REPLACE PROCEDURE",
            "CREATE OR REPLACE FUNCTION",
            "CREATE OR REPLACE AGGREGATE FUNCTION",
        ],
        example: "CREATE OR REPLACE PROCEDURE `p`() SELECT 1",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-procedure.html",
            "https://mariadb.com/kb/en/create-procedure/",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "CREATE OR REPLACE INDEX (MariaDB only)",
        phrases: &["CREATE OR REPLACE INDEX", "CREATE OR REPLACE UNIQUE INDEX"],
        example: "CREATE OR REPLACE INDEX `i` ON `t` (`c`)",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-index.html",
            "https://mariadb.com/kb/en/create-index/",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "CREATE VIEW IF NOT EXISTS (MariaDB only)",
        phrases: &["VIEW IF NOT EXISTS"],
        example: "CREATE VIEW IF NOT EXISTS `v` AS SELECT 1",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/create-view.html",
            "https://mariadb.com/kb/en/create-view/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "ALGORITHM=NOCOPY (MariaDB only)",
        phrases: &["ALGORITHM=NOCOPY"],
        example: "ALTER TABLE `t` ADD COLUMN `c` int, ALGORITHM=NOCOPY",
        sources: &[
            MYSQL_ALTER,
            "https://mariadb.com/kb/en/innodb-online-ddl-overview/#nocopy",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "ALTER ONLINE TABLE (MariaDB only)",
        phrases: &["ALTER ONLINE TABLE", "ALTER ONLINE IGNORE TABLE"],
        example: "ALTER ONLINE TABLE `t` ADD COLUMN `c` int",
        sources: &[MYSQL_ALTER, MARIADB_ALTER],
        parser_rejects: true,
    },
    Construct {
        name: "WAIT n / NOWAIT on DDL (MariaDB only)",
        phrases: &["TABLE ID NOWAIT", "TABLE ID WAIT"],
        example: "ALTER TABLE `t` NOWAIT ADD COLUMN `c` int",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/wait-and-nowait/"],
        parser_rejects: true,
    },
    Construct {
        name: "BEGIN NOT ATOMIC anonymous block (MariaDB only)",
        phrases: &["BEGIN NOT ATOMIC"],
        example: "BEGIN NOT ATOMIC SELECT 1; END",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/begin-end.html",
            "https://mariadb.com/kb/en/begin-end/",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "EXECUTE IMMEDIATE (MariaDB only)",
        phrases: &["EXECUTE IMMEDIATE"],
        example: "EXECUTE IMMEDIATE 'SELECT 1'",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/sql-prepared-statements.html",
            "https://mariadb.com/kb/en/execute-immediate/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "SET STATEMENT ... FOR (MariaDB only)",
        phrases: &["SET STATEMENT"],
        example: "SET STATEMENT max_statement_time=60 FOR SELECT 1",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/set-variable.html",
            "https://mariadb.com/kb/en/set-statement/",
        ],
        parser_rejects: true,
    },
    Construct {
        name: "INSERT|DELETE ... RETURNING (MariaDB only)",
        phrases: &[" RETURNING "],
        example: "DELETE FROM `t` RETURNING a",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/delete.html",
            "https://mariadb.com/kb/en/deletereturning/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "CREATE SEQUENCE (MariaDB only)",
        phrases: &["CREATE SEQUENCE", "CREATE OR REPLACE SEQUENCE"],
        example: "CREATE SEQUENCE `s`",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/sql-data-definition-statements.html",
            "https://mariadb.com/kb/en/create-sequence/",
        ],
        parser_rejects: false,
    },
    Construct {
        name: "ALTER TABLE DROP CHECK (MySQL only: MariaDB drops a check with DROP CONSTRAINT)",
        phrases: &["DROP CHECK"],
        example: "ALTER TABLE `t` DROP CHECK `c`",
        sources: &[MYSQL_ALTER, "https://mariadb.com/kb/en/alter-table/#drop-constraint"],
        parser_rejects: true,
    },
    Construct {
        name: "a literal DEFAULT on a TEXT, BLOB or JSON column (MariaDB only: MySQL 8 takes \
               only an expression default there, DEFAULT ('x'))",
        phrases: &[
            "TEXT DEFAULT '",
            "TEXT NULL DEFAULT '",
            "TEXT NOT NULL DEFAULT '",
            "BLOB DEFAULT '",
            "BLOB NULL DEFAULT '",
            "BLOB NOT NULL DEFAULT '",
            "JSON DEFAULT '",
            "JSON NULL DEFAULT '",
            "JSON NOT NULL DEFAULT '",
            "TEXT DEFAULT 0",
            "TEXT NULL DEFAULT 0",
            "TEXT NOT NULL DEFAULT 0",
        ],
        example: "ALTER TABLE `t` ADD COLUMN `c` longtext NULL DEFAULT 'x'",
        sources: &[
            "https://dev.mysql.com/doc/refman/8.0/en/data-type-defaults.html",
            "https://mariadb.com/kb/en/blob/",
        ],
        parser_rejects: false,
    },
];

/// Kinds of statement valid on both servers that sqlparser's MySQL mode cannot read:
/// matched against [`CONSTRUCTS`] but not parsed. (normalized prefix, why)
pub const PARSER_GAPS: &[(&str, &str)] = &[
    (
        // https://dev.mysql.com/doc/refman/8.0/en/alter-table.html (table_options),
        // https://mariadb.com/kb/en/alter-table/
        "ALTER TABLE ID COMMENT=",
        "sqlparser 0.64 reads no table option in `ALTER TABLE` (`COMMENT = '...'`)",
    ),
    (
        "CREATE PROCEDURE",
        "sqlparser 0.64 reads no MySQL procedure body (it expects `AS`)",
    ),
    (
        // https://dev.mysql.com/doc/refman/8.0/en/create-index.html,
        // https://mariadb.com/kb/en/full-text-index-overview/
        "CREATE FULLTEXT INDEX",
        "sqlparser 0.64 reads no `CREATE FULLTEXT INDEX` (MySQL 5.6+, MariaDB 10.0.5+)",
    ),
    (
        // https://dev.mysql.com/doc/refman/8.0/en/alter-table.html,
        // https://mariadb.com/kb/en/alter-table/#rename-indexkey
        "ALTER TABLE ID RENAME INDEX",
        "sqlparser 0.64 reads no `RENAME INDEX` (MySQL 5.7+, MariaDB 10.5.2+)",
    ),
];

/// A statement as the phrases are written: comments removed, every string literal
/// `'?'`, every quoted name `ID`, upper case, single spaces, no spaces around `=`.
pub fn normalize(statement: &str) -> String {
    let chars: Vec<char> = statement.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                i += 1;
                while i < chars.len() {
                    if chars[i] == '\\' {
                        i += 2;
                        continue;
                    }
                    if chars[i] == c {
                        if chars.get(i + 1) == Some(&c) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                out.push_str("'?'");
                i += 1;
            }
            '`' => {
                i += 1;
                while i < chars.len() && chars[i] != '`' {
                    i += 1;
                }
                out.push_str(" ID ");
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                out.push(' ');
            }
            c if c.is_whitespace() => {
                out.push(' ');
                i += 1;
            }
            _ => {
                out.extend(c.to_uppercase());
                i += 1;
            }
        }
    }
    let mut text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    text = text
        .replace(" = ", "=")
        .replace(" =", "=")
        .replace("= ", "=");
    format!(" {text} ")
}

/// The constructs of the list that `sql` (a whole MySQL file) uses, with the statement.
pub fn violations(sql: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for statement in split_mysql_statements(sql) {
        let normal = normalize(&statement);
        for construct in CONSTRUCTS {
            if construct.phrases.iter().any(|p| normal.contains(p)) {
                out.push((construct.name, statement.clone()));
            }
        }
    }
    out
}

/// Whether sqlparser's MySQL mode reads `statement`. sqlparser 0.64 reads no `SIGNAL`
/// (MySQL 5.5+, MariaDB 5.5+: https://dev.mysql.com/doc/refman/8.0/en/signal.html), which
/// a trigger body uses to refuse a row: each is read as a `SET` of the same shape instead,
/// so that the rest of the body is still checked. Nor a trigger's order, `FOR EACH ROW
/// PRECEDES|FOLLOWS other` (MySQL 5.7.2+, MariaDB 10.2.3+:
/// https://dev.mysql.com/doc/refman/8.0/en/create-trigger.html,
/// https://mariadb.com/kb/en/create-trigger/): read without it.
pub fn parses(statement: &str) -> Result<(), String> {
    let readable: String = statement
        .lines()
        .map(|line| {
            let body = line.trim_start();
            let upper = body.to_ascii_uppercase();
            if upper.starts_with("SIGNAL SQLSTATE ") {
                let indent = &line[..line.len() - body.len()];
                format!("{indent}SET @tandem_signal = 1;\n")
            } else if upper.starts_with("FOR EACH ROW PRECEDES ")
                || upper.starts_with("FOR EACH ROW FOLLOWS ")
            {
                "FOR EACH ROW\n".to_string()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::MySqlDialect {}, &readable)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The statements of a MySQL file that sqlparser's MySQL mode rejects, other than the
/// kinds it cannot read at all.
pub fn parse_failures(sql: &str) -> Vec<(String, String)> {
    split_mysql_statements(sql)
        .into_iter()
        .filter(|s| {
            let normal = normalize(s);
            !PARSER_GAPS
                .iter()
                .any(|(prefix, _)| normal.trim_start().starts_with(prefix))
        })
        .filter_map(|s| parses(&s).err().map(|e| (s, e)))
        .collect()
}

/// Both checks over a file: a message per problem, empty when the file is fine.
pub fn problems(path: &str, sql: &str) -> Vec<String> {
    let mut out: Vec<String> = violations(sql)
        .into_iter()
        .map(|(name, statement)| format!("{path}: {name}:\n{statement}"))
        .collect();
    out.extend(
        parse_failures(sql).into_iter().map(|(statement, e)| {
            format!("{path}: sqlparser (MySQL) rejects it: {e}:\n{statement}")
        }),
    );
    out
}
