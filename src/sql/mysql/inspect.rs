//! MySQL's and MariaDB's catalogue: the queries over `information_schema` that read a
//! table back (each in the current database), and what MariaDB keeps its own way: a
//! json column as longtext with a `json_valid` check, an enum inside its column's type.

use crate::model::{Index, IndexOptions, SchemaObject};
use crate::sql::inspect::Catalogue;
use crate::sql::text::string_literal;
use crate::sql::Dialect;

fn lit(table: &str) -> String {
    string_literal(Dialect::Mysql, table)
}

/// The base tables of the current database.
pub const TABLE_NAMES: &str = "SELECT table_name FROM information_schema.tables \
     WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' \
     ORDER BY table_name";

/// The names of a table's indexes and constraints.
pub fn object_names(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT index_name FROM information_schema.statistics \
         WHERE table_schema = DATABASE() AND table_name = {t} \
         UNION SELECT constraint_name FROM information_schema.table_constraints \
         WHERE table_schema = DATABASE() AND table_name = {t}"
    )
}

/// A table's columns in order, with whether each is nullable (`YES`/`NO`).
pub fn nullable_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name, is_nullable FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = {t} \
         ORDER BY ordinal_position"
    )
}

/// Name, type, nullable, has a default: one row per column, in order. MariaDB writes a
/// nullable column's missing default as the text NULL.
pub fn live_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name, column_type, is_nullable, \
         CASE WHEN column_default IS NULL OR UPPER(column_default) = 'NULL' \
         OR {GENERATED} THEN 'NO' ELSE 'YES' END, \
         CASE WHEN NOT {GENERATED} THEN '' \
         WHEN extra LIKE '%STORED%' OR extra LIKE '%PERSISTENT%' THEN 's' ELSE 'v' END, \
         COALESCE(generation_expression, '') \
         FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = {t} ORDER BY ordinal_position"
    )
}

/// Name, type, nullable, default text, has a default: one row per column, in order.
pub fn columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name, column_type, is_nullable, COALESCE(column_default, ''), \
         CASE WHEN column_default IS NULL OR UPPER(column_default) = 'NULL' \
         OR {GENERATED} THEN 'NO' ELSE 'YES' END, \
         CASE WHEN NOT {GENERATED} THEN '' \
         WHEN extra LIKE '%STORED%' OR extra LIKE '%PERSISTENT%' THEN 's' ELSE 'v' END, \
         COALESCE(generation_expression, '') \
         FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = {t} ORDER BY ordinal_position"
    )
}

/// The columns with `ON UPDATE ...`, as (name, `extra`) rows.
pub fn on_update_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name, extra FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = {t} AND extra LIKE '%on update%' \
         ORDER BY ordinal_position"
    )
}

/// `on update current_timestamp()` (MariaDB), `DEFAULT_GENERATED on update
/// CURRENT_TIMESTAMP(3)` (MySQL) -> `CURRENT_TIMESTAMP`, `CURRENT_TIMESTAMP(3)`.
pub fn on_update_value(extra: &str) -> Option<String> {
    let lower = extra.to_ascii_lowercase();
    let at = lower.find("on update ")? + "on update ".len();
    let value = extra[at..].split_whitespace().next()?.to_ascii_uppercase();
    Some(value.strip_suffix("()").unwrap_or(&value).to_string())
}

/// What schema.toml writes (`current_timestamp()`) in the spelling read back.
pub fn on_update_value_of(written: &str) -> Option<String> {
    on_update_value(&format!("on update {written}"))
}
/// Whether a column of `information_schema.columns` is generated: MariaDB 10.2+ and
/// MySQL say `VIRTUAL GENERATED` or `STORED GENERATED` (MySQL 8's `DEFAULT_GENERATED`
/// is an expression default), older MariaDB `VIRTUAL` or `PERSISTENT`.
const GENERATED: &str = "(extra LIKE '%VIRTUAL GENERATED%' OR extra LIKE '%STORED GENERATED%' \
     OR extra IN ('VIRTUAL', 'PERSISTENT', 'STORED'))";

/// A table's partitions in order, as (method, expression, name, description) rows; none
/// for a plain table. A table with subpartitions is named as left out instead.
pub fn partitions(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT partition_method, COALESCE(partition_expression, ''), partition_name, \
         COALESCE(partition_description, '') FROM information_schema.partitions \
         WHERE table_schema = DATABASE() AND table_name = {t} AND partition_name IS NOT NULL \
         AND subpartition_name IS NULL ORDER BY partition_ordinal_position"
    )
}

/// The `PARTITION BY` clause (without those words) that makes the partitions of
/// [`partitions`]' rows: `RANGE (year(at)) (PARTITION p2026 VALUES LESS THAN (2027), ...)`,
/// `LIST ...`, `HASH (id) PARTITIONS 4`, `KEY (id) PARTITIONS 4`.
pub fn partition_clause(rows: &[Vec<String>]) -> Option<String> {
    let first = rows.first()?;
    let (method, expression) = (first.first()?.to_ascii_uppercase(), first.get(1)?);
    let by = format!("{method} ({expression})");
    if method.ends_with("HASH") || method.ends_with("KEY") {
        return Some(format!("{by} PARTITIONS {}", rows.len()));
    }
    let values = if method.starts_with("RANGE") {
        "VALUES LESS THAN"
    } else {
        "VALUES IN"
    };
    let parts: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let (name, description) = (r.get(2)?, r.get(3)?);
            let bound = if description.eq_ignore_ascii_case("MAXVALUE") {
                "MAXVALUE".to_string()
            } else {
                format!("({description})")
            };
            Some(format!(
                "PARTITION {} {values} {bound}",
                crate::sql::text::quote(Dialect::Mysql, name)
            ))
        })
        .collect();
    Some(format!("{by} ({})", parts.join(", ")))
}

/// The primary key's columns in order.
pub fn primary_key(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name FROM information_schema.statistics \
         WHERE table_schema = DATABASE() AND table_name = {t} AND index_name = 'PRIMARY' \
         ORDER BY seq_in_index"
    )
}

/// The table's comment, and its columns' (name, comment) in order.
pub fn comments(table: &str) -> (String, String) {
    let t = lit(table);
    (
        format!(
            "SELECT table_comment FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = {t} AND table_comment <> ''"
        ),
        format!(
            "SELECT column_name, column_comment FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = {t} \
             AND column_comment <> '' ORDER BY ordinal_position"
        ),
    )
}

/// The storage engine of `table`.
pub fn engine(table: &str) -> String {
    format!(
        "SELECT engine FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_name = {}",
        lit(table)
    )
}

/// The indexes of `table` with their options (not the primary key's).
pub fn indexes<C: Catalogue + ?Sized>(db: &mut C, table: &str) -> Result<Vec<Index>, C::Error> {
    let t = lit(table);
    let sql = format!(
        "SELECT index_name, CASE WHEN non_unique = 0 THEN '1' ELSE '0' END, index_type, \
         COALESCE(column_name, ''), COALESCE(collation, 'A'), \
         COALESCE(CAST(sub_part AS CHAR), '') \
         FROM information_schema.statistics \
         WHERE table_schema = DATABASE() AND table_name = {t} AND index_name <> 'PRIMARY' \
         ORDER BY index_name, seq_in_index"
    );
    let mut out: Vec<Index> = Vec::new();
    for r in db.text_rows(&sql)? {
        let [name, unique, kind, column, collation, prefix] =
            <[String; 6]>::try_from(r).unwrap_or_default();
        if out.last().is_none_or(|i| i.name != name) {
            out.push(Index {
                name: name.clone(),
                table: table.to_string(),
                columns: Vec::new(),
                unique: unique == "1",
                options: IndexOptions::default(),
            });
        }
        let index = out.last_mut().expect("pushed above");
        let o = &mut index.options;
        match kind.to_ascii_uppercase().as_str() {
            "FULLTEXT" => o.fulltext = true,
            "HASH" => o.method = Some("hash".into()),
            _ => {}
        }
        if collation.eq_ignore_ascii_case("D") {
            o.desc.push(column.clone());
        }
        if let Ok(p) = prefix.parse::<u32>() {
            o.prefix.insert(column.clone(), p);
        }
        index.columns.push(column);
    }
    Ok(out)
}

/// The columns of a MariaDB table that its own `json_valid` checks make json columns.
pub fn json_columns<C: Catalogue + ?Sized>(
    db: &mut C,
    table: &str,
) -> Result<Vec<String>, C::Error> {
    let t = lit(table);
    let rows = db.text_rows(&format!(
        "SELECT constraint_name, check_clause FROM information_schema.check_constraints \
         WHERE constraint_schema = DATABASE() AND table_name = {t}"
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let [name, clause] = <[String; 2]>::try_from(r).ok()?;
            let column = json_check_column(&clause)?;
            (column == name).then_some(column)
        })
        .collect())
}

/// `json_valid(`doc`)` -> `doc`.
fn json_check_column(clause: &str) -> Option<String> {
    let inner = clause
        .trim()
        .strip_prefix("json_valid(")?
        .strip_suffix(')')?
        .trim();
    Some(inner.trim_matches('`').to_string())
}

/// The values of an `enum('a','b')` column type.
pub fn enum_values(ty: &str) -> Option<Vec<String>> {
    let inner = ty.strip_prefix("enum('")?.strip_suffix("')")?;
    Some(inner.split("','").map(|v| v.replace("''", "'")).collect())
}

/// The `AUTO_INCREMENT` columns.
pub fn identity_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = {t} \
         AND extra LIKE '%auto_increment%'"
    )
}

/// Foreign keys, one row per column pair: name, column, referenced table, referenced
/// column, delete and update rules, and never deferrable.
pub fn foreign_keys(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT k.constraint_name, k.column_name, k.referenced_table_name, \
         k.referenced_column_name, r.delete_rule, r.update_rule, '0', '0' \
         FROM information_schema.key_column_usage k \
         JOIN information_schema.referential_constraints r \
         ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name \
         AND r.table_name = k.table_name \
         WHERE k.table_schema = DATABASE() AND k.table_name = {t} \
         AND k.referenced_table_name IS NOT NULL \
         ORDER BY k.constraint_name, k.ordinal_position"
    )
}

/// Checks as (name, clause) rows.
pub fn checks(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT cc.constraint_name, cc.check_clause \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.check_constraints cc \
         ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name \
         WHERE tc.table_schema = DATABASE() AND tc.table_name = {t} \
         AND tc.constraint_type = 'CHECK' ORDER BY cc.constraint_name"
    )
}

/// What the model does not cover, by kind: the names of each.
pub const LEFT_OUT: &[(&str, &str)] = &[
    // Properties of tables and columns the model does not hold: each is read as
    // something plainer, so it is named.
    ("subpartitioned table", "SELECT DISTINCT table_name FROM information_schema.partitions WHERE table_schema = DATABASE() AND subpartition_name IS NOT NULL ORDER BY 1"),
    ("table collation", "SELECT CONCAT(t.table_name, ' (', t.table_collation, ')') FROM information_schema.tables t JOIN information_schema.schemata s ON s.schema_name = t.table_schema WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' AND t.table_collation <> s.default_collation_name ORDER BY 1"),
    ("column collation", "SELECT CONCAT(c.table_name, '.', c.column_name, ' (', c.collation_name, ')') FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' AND c.collation_name IS NOT NULL AND c.collation_name <> t.table_collation ORDER BY 1"),
];

/// The objects outside the table model, kind by kind in the order a baseline creates
/// them: rows of kind, the name `SHOW CREATE` takes, the name the project gives it
/// (`table.trigger` for a trigger), and the column of `SHOW CREATE`'s row that holds
/// the statement. Routines come before the tables (their bodies are not checked when
/// they are made), the rest after them.
const OBJECTS: &[(&str, &str, usize)] = &[
    ("function", "SELECT routine_name, routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'FUNCTION' AND routine_name NOT LIKE 'tandem%' ORDER BY 1", 2),
    ("procedure", "SELECT routine_name, routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'PROCEDURE' AND routine_name NOT LIKE 'tandem%' ORDER BY 1", 2),
    ("view", "SELECT table_name, table_name FROM information_schema.views WHERE table_schema = DATABASE() ORDER BY 1", 1),
    // In the order they fire, which is the order they were made in.
    ("trigger", "SELECT trigger_name, CONCAT(event_object_table, '.', trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name NOT LIKE 'tandem%' ORDER BY event_object_table, action_timing, event_manipulation, action_order", 2),
    ("event", "SELECT event_name, event_name FROM information_schema.events WHERE event_schema = DATABASE() ORDER BY 1", 3),
];

/// The views, triggers, routines and events of the current database, each as the server
/// writes its statement (`SHOW CREATE ...`) without its `DEFINER` clause, so that it
/// runs as whoever applies it.
pub fn objects<C: Catalogue + ?Sized>(db: &mut C) -> Result<Vec<SchemaObject>, C::Error> {
    let mut out = Vec::new();
    for (kind, names, column) in OBJECTS {
        for row in db.text_rows(names)? {
            let [own, name] = <[String; 2]>::try_from(row).unwrap_or_default();
            let show = format!(
                "SHOW CREATE {} {}",
                kind.to_ascii_uppercase(),
                crate::sql::text::quote(Dialect::Mysql, &own)
            );
            let Some(sql) = db
                .text_rows(&show)?
                .into_iter()
                .next()
                .and_then(|r| r.into_iter().nth(*column))
            else {
                continue;
            };
            out.push(SchemaObject {
                kind: kind.to_string(),
                name,
                sql: without_definer(sql.trim()),
                after_tables: crate::model::after_tables_by_default(kind),
            });
        }
    }
    Ok(out)
}

/// `CREATE DEFINER=`u`@`h` TRIGGER ...` -> `CREATE TRIGGER ...`: the clause after
/// `CREATE` (and a view's `ALGORITHM=...`) up to the next space outside quotes.
pub fn without_definer(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let head = upper.find(" VIEW ").unwrap_or(usize::MAX).min(
        [" TRIGGER ", " FUNCTION ", " PROCEDURE ", " EVENT "]
            .iter()
            .filter_map(|k| upper.find(k))
            .min()
            .unwrap_or(usize::MAX),
    );
    let Some(start) = upper.find("DEFINER=").filter(|s| *s < head) else {
        return sql.to_string();
    };
    let bytes = sql.as_bytes();
    let mut i = start + "DEFINER=".len();
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
        match bytes[i] {
            q @ (b'`' | b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == q && bytes.get(i + 1) == Some(&q) {
                        i += 2;
                    } else if bytes[i] == q {
                        break;
                    } else {
                        i += 1;
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let rest = sql[i.min(sql.len())..].trim_start();
    format!("{}{rest}", &sql[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_read_back_as_the_clause_that_makes_them() {
        let row = |m: &str, e: &str, n: &str, d: &str| -> Vec<String> {
            [m, e, n, d].map(String::from).to_vec()
        };
        assert_eq!(
            partition_clause(&[
                row("RANGE", "year(`at`)", "p2026", "2027"),
                row("RANGE", "year(`at`)", "p max", "MAXVALUE"),
            ])
            .as_deref(),
            Some("RANGE (year(`at`)) (PARTITION `p2026` VALUES LESS THAN (2027), PARTITION `p max` VALUES LESS THAN MAXVALUE)")
        );
        assert_eq!(
            partition_clause(&[row("LIST COLUMNS", "`region`", "eu", "'de','fr'")]).as_deref(),
            Some("LIST COLUMNS (`region`) (PARTITION `eu` VALUES IN ('de','fr'))")
        );
        assert_eq!(
            partition_clause(&[row("HASH", "`id`", "p0", ""), row("HASH", "`id`", "p1", "")])
                .as_deref(),
            Some("HASH (`id`) PARTITIONS 2")
        );
        assert_eq!(partition_clause(&[]), None);
    }

    #[test]
    fn a_json_valid_check_names_its_column() {
        assert_eq!(
            json_check_column("json_valid(`doc`)").as_deref(),
            Some("doc")
        );
        assert_eq!(
            enum_values("enum('a','it''s')"),
            Some(vec!["a".to_string(), "it's".to_string()])
        );
    }

    #[test]
    fn on_update_reads_in_one_spelling() {
        assert_eq!(
            on_update_value("on update current_timestamp()").as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
        assert_eq!(
            on_update_value("DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)").as_deref(),
            Some("CURRENT_TIMESTAMP(3)")
        );
        assert_eq!(on_update_value("auto_increment"), None);
    }

    #[test]
    fn the_definer_is_left_out_of_an_objects_statement() {
        assert_eq!(
            without_definer("CREATE DEFINER=`ro ot`@`%` TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 'DEFINER=1'"),
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 'DEFINER=1'"
        );
        assert_eq!(
            without_definer("CREATE ALGORITHM=UNDEFINED DEFINER=`a``b`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 1"),
            "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1"
        );
        assert_eq!(
            without_definer("CREATE FUNCTION `f`() RETURNS int RETURN 'DEFINER=x'"),
            "CREATE FUNCTION `f`() RETURNS int RETURN 'DEFINER=x'"
        );
        assert_eq!(
            without_definer("CREATE DEFINER=CURRENT_USER PROCEDURE p() SELECT 1"),
            "CREATE PROCEDURE p() SELECT 1"
        );
    }
}
