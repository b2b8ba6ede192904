//! MySQL's and MariaDB's catalogue: the queries over `information_schema` that read a
//! table back (each in the current database), and what MariaDB keeps its own way: a
//! json column as longtext with a `json_valid` check, an enum inside its column's type.

use crate::model::{Index, IndexOptions};
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

/// Whether a column of `information_schema.columns` is generated: MariaDB 10.2+ and
/// MySQL say `VIRTUAL GENERATED` or `STORED GENERATED` (MySQL 8's `DEFAULT_GENERATED`
/// is an expression default), older MariaDB `VIRTUAL` or `PERSISTENT`.
const GENERATED: &str = "(extra LIKE '%VIRTUAL GENERATED%' OR extra LIKE '%STORED GENERATED%' \
     OR extra IN ('VIRTUAL', 'PERSISTENT', 'STORED'))";

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
    ("view", "SELECT table_name FROM information_schema.views WHERE table_schema = DATABASE() ORDER BY 1"),
    ("trigger", "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = DATABASE() AND trigger_name NOT LIKE 'tandem%' ORDER BY 1"),
    ("function", "SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'FUNCTION' AND routine_name NOT LIKE 'tandem%' ORDER BY 1"),
    ("procedure", "SELECT routine_name FROM information_schema.routines WHERE routine_schema = DATABASE() AND routine_type = 'PROCEDURE' AND routine_name NOT LIKE 'tandem%' ORDER BY 1"),
    ("event", "SELECT event_name FROM information_schema.events WHERE event_schema = DATABASE() ORDER BY 1"),
    // Properties of tables and columns the model does not hold: each is read as
    // something plainer, so it is named.
    ("ON UPDATE column", "SELECT CONCAT(table_name, '.', column_name) FROM information_schema.columns WHERE table_schema = DATABASE() AND extra LIKE '%on update%' ORDER BY 1"),
    ("partitioned table", "SELECT DISTINCT table_name FROM information_schema.partitions WHERE table_schema = DATABASE() AND partition_name IS NOT NULL ORDER BY 1"),
    ("table collation", "SELECT CONCAT(t.table_name, ' (', t.table_collation, ')') FROM information_schema.tables t JOIN information_schema.schemata s ON s.schema_name = t.table_schema WHERE t.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' AND t.table_collation <> s.default_collation_name ORDER BY 1"),
    ("column collation", "SELECT CONCAT(c.table_name, '.', c.column_name, ' (', c.collation_name, ')') FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name WHERE c.table_schema = DATABASE() AND t.table_type = 'BASE TABLE' AND c.collation_name IS NOT NULL AND c.collation_name <> t.table_collation ORDER BY 1"),
];

#[cfg(test)]
mod tests {
    use super::*;

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
}
