//! Postgres's catalogue: the queries over `pg_catalog` and `information_schema` that read
//! a table back (each in the current schema), and the reading of index rows, whose
//! options Postgres keeps per key column.

use crate::model::{Index, IndexOptions};
use crate::sql::inspect::{strip_parens, Catalogue};
use crate::sql::text::string_literal;
use crate::sql::Dialect;

fn lit(table: &str) -> String {
    string_literal(Dialect::Postgres, table)
}

/// The base tables of the current schema, partitioned ones included, but not their
/// partitions (which are a partitioned table's `partition` objects).
pub const TABLE_NAMES: &str = "SELECT table_name FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
     AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = table_name AND c.relispartition \
     AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())) \
     ORDER BY table_name";

/// How a partitioned table of the current schema is partitioned (`RANGE (created_at)`).
pub fn partition_by(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT pg_get_partkeydef(c.oid) FROM pg_class c WHERE c.relname = {t} AND c.relkind = 'p' \
         AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
}

/// The names of a table's indexes and constraints.
pub fn object_names(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT indexname FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = {t} \
         UNION SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         WHERE t.relname = {t} AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
    )
}

/// A table's columns in order, with whether each is nullable (`YES`/`NO`).
pub fn nullable_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT column_name, is_nullable FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = {t} \
         ORDER BY ordinal_position"
    )
}

/// Name, type, nullable, has a default, how it is generated and from what (as
/// [`columns`]): one row per column, in order.
pub fn live_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), \
         CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END, \
         CASE WHEN a.atthasdef AND a.attgenerated = '' THEN 'YES' ELSE 'NO' END, \
         a.attgenerated::text, \
         CASE WHEN a.attgenerated <> '' THEN COALESCE(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    )
}

/// Name, type, nullable, default text, has a default, how it is generated (`s`
/// stored, `v` virtual, empty), the generation expression: one row per column, in
/// order. A generated column's expression is not a default.
pub fn columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), \
         CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END, \
         CASE WHEN a.attgenerated = '' THEN COALESCE(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END, \
         CASE WHEN d.adbin IS NULL OR a.attgenerated <> '' THEN 'NO' ELSE 'YES' END, \
         a.attgenerated::text, \
         CASE WHEN a.attgenerated <> '' THEN COALESCE(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
    )
}

/// The primary key's columns in order.
pub fn primary_key(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT k.column_name FROM information_schema.table_constraints c \
         JOIN information_schema.key_column_usage k \
         ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
         AND k.table_name = c.table_name \
         WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
         AND c.table_name = {t} ORDER BY k.ordinal_position"
    )
}

/// The name of the primary key's constraint.
pub fn primary_key_name(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
         WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND con.contype = 'p'"
    )
}

/// The table's comment, and its columns' (name, comment) in order.
pub fn comments(table: &str) -> (String, String) {
    let t = lit(table);
    (
        format!(
            "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c \
             WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
             AND obj_description(c.oid, 'pg_class') IS NOT NULL"
        ),
        format!(
            "SELECT a.attname, col_description(c.oid, a.attnum) FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
             AND a.attnum > 0 AND NOT a.attisdropped \
             AND col_description(c.oid, a.attnum) IS NOT NULL ORDER BY a.attnum"
        ),
    )
}

/// The indexes of `table` with their options (not the primary key's): one row per key
/// column, included column or expression.
pub fn indexes<C: Catalogue + ?Sized>(db: &mut C, table: &str) -> Result<Vec<Index>, C::Error> {
    let t = lit(table);
    let sql = format!(
        "SELECT ic.relname, CASE WHEN i.indisunique THEN '1' ELSE '0' END, am.amname, \
         COALESCE(pg_get_expr(i.indpred, i.indrelid, true), ''), \
         CASE WHEN k.ord > i.indnkeyatts THEN '1' ELSE '0' END, \
         COALESCE(a.attname, ''), pg_get_indexdef(i.indexrelid, k.ord, true), \
         CASE WHEN k.ord <= i.indnkeyatts AND (i.indoption[k.ord - 1] & 1) = 1 \
         THEN '1' ELSE '0' END, \
         COALESCE(CASE WHEN opc.opcdefault THEN '' ELSE opc.opcname END, ''), \
         CASE WHEN k.ord <= i.indnkeyatts AND (i.indoption[k.ord - 1] & 2) = 2 \
         THEN '1' ELSE '0' END, \
         COALESCE(to_jsonb(i) ->> 'indnullsnotdistinct', 'false') \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_class tc ON tc.oid = i.indrelid \
         JOIN pg_am am ON am.oid = ic.relam \
         CROSS JOIN LATERAL generate_series(1, i.indnatts::int) AS k(ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid \
         AND a.attnum = i.indkey[k.ord - 1] AND i.indkey[k.ord - 1] <> 0 \
         LEFT JOIN pg_opclass opc ON k.ord <= i.indnkeyatts \
         AND opc.oid = i.indclass[k.ord - 1] \
         WHERE tc.relname = {t} AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND NOT i.indisprimary \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.contype = 'x') \
         ORDER BY ic.relname, k.ord"
    );
    let mut out: Vec<Index> = Vec::new();
    for r in db.text_rows(&sql)? {
        let [name, unique, method, predicate, included, column, def, desc, class, nulls_first, nnd] =
            <[String; 11]>::try_from(r).unwrap_or_default();
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
        o.method = (method != "btree").then_some(method);
        o.nulls_not_distinct = nnd == "true";
        o.predicate = (!predicate.is_empty()).then(|| strip_parens(&predicate));
        if included == "1" {
            o.include.push(column);
            continue;
        }
        if column.is_empty() {
            o.expressions.push(strip_parens(&def));
            continue;
        }
        if desc == "1" {
            o.desc.push(column.clone());
        }
        // NULLs come last ascending and first descending unless said otherwise.
        match (desc == "1", nulls_first == "1") {
            (false, true) => {
                o.nulls.insert(column.clone(), "first".into());
            }
            (true, false) => {
                o.nulls.insert(column.clone(), "last".into());
            }
            _ => {}
        }
        if !class.is_empty() {
            o.opclass.insert(column.clone(), class);
        }
        index.columns.push(column);
    }
    Ok(out)
}

/// Named unique constraints as (name, column) rows, in column order (Postgres keeps them
/// apart from unique indexes).
pub fn unique_constraints(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT c.conname, a.attname FROM pg_constraint c \
         JOIN pg_class tc ON tc.oid = c.conrelid \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype = 'u' AND tc.relname = {t} \
         AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY c.conname, k.ord"
    )
}

/// Enum types as (name, value) rows, values in order.
pub const ENUMS: &str =
    "SELECT t.typname, e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
     WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
     ORDER BY t.typname, e.enumsortorder";

/// The identity columns (a serial is read from its `nextval` default).
pub fn identity_columns(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE c.relname = {t} AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
         AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity IN ('a', 'd')"
    )
}

/// Foreign keys, one row per column pair: name, column, referenced table, referenced
/// column, delete and update rules, deferrable, initially deferred. Not those that
/// reference a partition: those are objects (as are the ones Postgres keeps for each
/// partition of a partitioned table a key references).
pub fn foreign_keys(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT c.conname, a.attname, rt.relname, ra.attname, c.confdeltype::text, \
         c.confupdtype::text, CASE WHEN c.condeferrable THEN '1' ELSE '0' END, \
         CASE WHEN c.condeferred THEN '1' ELSE '0' END \
         FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
         JOIN pg_class rt ON rt.oid = c.confrelid \
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum \
         WHERE c.contype = 'f' AND tc.relname = {t} AND NOT rt.relispartition \
         AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY c.conname, k.ord"
    )
}

/// The names of a table's checks and foreign keys that are NOT VALID (tandem's own
/// passing ones, named `tandem...`, aside).
pub fn not_valid(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT c.conname FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
         WHERE c.contype IN ('c', 'f') AND NOT c.convalidated AND c.conname NOT LIKE 'tandem%' \
         AND tc.relname = {t} \
         AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1"
    )
}

/// A table's deferrable keys as (name, initially deferred `1`/`0`) rows, the primary
/// key under the empty name.
pub fn deferrable_keys(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT CASE WHEN c.contype = 'p' THEN '' ELSE c.conname END, \
         CASE WHEN c.condeferred THEN '1' ELSE '0' END \
         FROM pg_constraint c JOIN pg_class tc ON tc.oid = c.conrelid \
         WHERE c.contype IN ('u', 'p') AND c.condeferrable AND tc.relname = {t} \
         AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1"
    )
}

/// Checks as (name, definition) rows.
pub fn checks(table: &str) -> String {
    let t = lit(table);
    format!(
        "SELECT c.conname, pg_get_constraintdef(c.oid, true) FROM pg_constraint c \
         JOIN pg_class tc ON tc.oid = c.conrelid \
         WHERE c.contype = 'c' AND tc.relname = {t} \
         AND tc.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY c.conname"
    )
}

/// The extensions installed, but plpgsql, which every database has.
pub const EXTENSIONS: &str =
    "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1";

/// What the model does not cover, by kind: the names of each.
pub const LEFT_OUT: &[(&str, &str)] = &[
    ("event trigger not enabled as made", "SELECT evtname FROM pg_event_trigger WHERE evtenabled <> 'O' ORDER BY 1"),
    ("ordered-set aggregate", "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND p.prokind = 'a' AND EXISTS (SELECT 1 FROM pg_aggregate g WHERE g.aggfnoid = p.oid AND g.aggkind <> 'n') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"),
    // Properties of tables, columns, keys and indexes the model does not hold: each is
    // read as something plainer, so it is named.
    // A partition here of a table in another schema is neither a table nor an object here.
    ("partition of a table in another schema", "SELECT c.relname FROM pg_class c WHERE c.relispartition AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND (SELECT r.relnamespace FROM pg_class r WHERE r.oid = pg_partition_root(c.oid)) <> c.relnamespace ORDER BY 1"),
    ("column collation", "SELECT c.relname || '.' || a.attname || ' (' || l.collname || ')' FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_collation l ON l.oid = a.attcollation WHERE l.collname <> 'default' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1"),
    // An expression key keeps no order, NULLs order or operator class in the model, and
    // expressions come after the columns there (indoption: bit 1 DESC, bit 2 NULLS
    // FIRST; the default puts NULLs last ascending and first descending).
    ("index with an ordered or classed expression key, or an expression before a column", "SELECT DISTINCT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid CROSS JOIN LATERAL generate_series(1, i.indnkeyatts::int) AS k(ord) LEFT JOIN pg_opclass opc ON opc.oid = i.indclass[k.ord - 1] WHERE ci.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.contype = 'x') AND i.indkey[k.ord - 1] = 0 AND (i.indoption[k.ord - 1] <> 0 OR NOT COALESCE(opc.opcdefault, true) OR EXISTS (SELECT 1 FROM generate_series(k.ord + 1, i.indnkeyatts::int) AS l(ord) WHERE i.indkey[l.ord - 1] <> 0)) ORDER BY 1"),
    ("index key with a collation", "SELECT DISTINCT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid, unnest(i.indcollation::oid[], i.indkey::int2[]) AS k(coll, attnum) WHERE k.coll <> 0 AND k.coll IS DISTINCT FROM (SELECT a.attcollation FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = k.attnum) AND k.coll <> (SELECT oid FROM pg_collation WHERE collname = 'default') AND ci.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY 1"),
];

/// Rows of a view and a view it reads (materialized ones too), in the current schema:
/// a view replaced to read one made after it must still come after that one.
pub const VIEW_READS: &str = "SELECT DISTINCT v.relname, r.relname FROM pg_depend d \
     JOIN pg_rewrite w ON w.oid = d.objid JOIN pg_class v ON v.oid = w.ev_class \
     JOIN pg_class r ON r.oid = d.refobjid \
     WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass \
     AND r.relkind IN ('v', 'm') AND v.oid <> r.oid \
     AND v.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
     AND r.relnamespace = v.relnamespace";

/// Not made by an extension (whose objects come with it).
const NOT_AN_EXTENSIONS: &str =
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.objid = x.oid AND e.deptype = 'e')";

/// The objects outside the table model, kind by kind in the order a baseline creates
/// them (what tables use, then what uses tables), each kind in the order it was made:
/// rows of kind, name, the statement that creates it (and for a function, `after` when
/// it takes or returns a table's row, so needs the table). Names are written unqualified
/// where they are in the current schema.
pub fn objects() -> Vec<String> {
    let ns = "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())";
    let schema_re =
        r"regexp_replace(quote_ident(current_schema()), '([.^$*+?()\[\]{}|\\])', '\\\1', 'g')";
    let own = NOT_AN_EXTENSIONS;
    let mut out = vec![
        format!(
            "SELECT 'domain', x.typname, 'CREATE DOMAIN ' || quote_ident(x.typname) || ' AS ' \
             || format_type(x.typbasetype, x.typtypmod) \
             || COALESCE(' COLLATE ' || (SELECT quote_ident(l.collname) FROM pg_collation l WHERE l.oid = x.typcollation \
                AND x.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = x.typbasetype)), '') \
             || COALESCE(' DEFAULT ' || x.typdefault, '') \
             || CASE WHEN x.typnotnull THEN ' NOT NULL' ELSE '' END \
             || COALESCE((SELECT string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), '' ORDER BY c.conname) \
                FROM pg_constraint c WHERE c.contypid = x.oid), '') \
             FROM pg_type x WHERE x.typtype = 'd' AND x.typnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
        format!(
            "SELECT 'type', x.typname, 'CREATE TYPE ' || quote_ident(x.typname) || ' AS (' \
             || COALESCE((SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) \
                FROM pg_attribute a WHERE a.attrelid = x.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '') || ')' \
             FROM pg_type x JOIN pg_class r ON r.oid = x.typrelid \
             WHERE x.typtype = 'c' AND r.relkind = 'c' AND x.typnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
        // A sequence a column owns (serial, identity) goes with its column.
        format!(
            "SELECT 'sequence', x.relname, 'CREATE SEQUENCE ' || quote_ident(x.relname) || ' AS ' \
             || format_type(s.seqtypid, NULL) || ' INCREMENT BY ' || s.seqincrement \
             || ' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' START WITH ' || s.seqstart \
             || ' CACHE ' || s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END \
             FROM pg_class x JOIN pg_sequence s ON s.seqrelid = x.oid \
             WHERE x.relkind = 'S' AND x.relnamespace = {ns} AND {own} \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = x.oid AND d.deptype IN ('a', 'i')) \
             ORDER BY x.oid"
        ),
        format!(
            "SELECT CASE x.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, \
             x.proname || '(' || oidvectortypes(x.proargtypes) || ')', \
             regexp_replace(pg_get_functiondef(x.oid), '^(CREATE OR REPLACE (FUNCTION|PROCEDURE) )' || {schema_re} || '\\.', '\\1'), \
             CASE WHEN EXISTS (SELECT 1 FROM pg_depend d JOIN pg_type t ON t.oid = d.refobjid \
                JOIN pg_class r ON r.oid = t.typrelid WHERE d.classid = 'pg_proc'::regclass \
                AND d.objid = x.oid AND d.refclassid = 'pg_type'::regclass \
                AND r.relkind IN ('r', 'p', 'v', 'm', 'f')) THEN 'after' ELSE '' END \
             FROM pg_proc x WHERE x.pronamespace = {ns} AND x.prokind IN ('f', 'w', 'p') \
             AND x.proname NOT LIKE 'tandem%' AND {own} ORDER BY x.oid"
        ),
        // Plain aggregates (ordered-set ones stay left out), after the functions they call.
        format!(
            "SELECT 'aggregate', x.proname || '(' || oidvectortypes(x.proargtypes) || ')', \
             'CREATE AGGREGATE ' || quote_ident(x.proname) || '(' || oidvectortypes(x.proargtypes) || ') (SFUNC = ' \
             || a.aggtransfn::text || ', STYPE = ' || format_type(a.aggtranstype, NULL) \
             || CASE WHEN a.aggfinalfn <> 0 THEN ', FINALFUNC = ' || a.aggfinalfn::text ELSE '' END \
             || CASE WHEN a.aggcombinefn <> 0 THEN ', COMBINEFUNC = ' || a.aggcombinefn::text ELSE '' END \
             || CASE WHEN a.aggsortop <> 0 THEN ', SORTOP = ' || a.aggsortop::regoperator::text ELSE '' END \
             || COALESCE(', INITCOND = ' || quote_literal(a.agginitval), '') || ')' \
             FROM pg_proc x JOIN pg_aggregate a ON a.aggfnoid = x.oid \
             WHERE x.pronamespace = {ns} AND x.prokind = 'a' AND a.aggkind = 'n' AND {own} ORDER BY x.oid"
        ),
        format!(
            "SELECT CASE x.relkind WHEN 'm' THEN 'materialized_view' ELSE 'view' END, x.relname, \
             CASE x.relkind WHEN 'm' THEN 'CREATE MATERIALIZED VIEW ' ELSE 'CREATE VIEW ' END \
             || quote_ident(x.relname) || ' AS' || chr(10) || rtrim(pg_get_viewdef(x.oid), ';') \
             FROM pg_class x WHERE x.relkind IN ('v', 'm') AND x.relnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
    ];
    out.extend(table_objects(ns, schema_re, own));
    // A trigger a partition takes from its table comes with it.
    out.push(format!(
        "SELECT 'trigger', r.relname || '.' || x.tgname, \
             regexp_replace(pg_get_triggerdef(x.oid), ' ON ' || {schema_re} || '\\.', ' ON ') \
             FROM pg_trigger x JOIN pg_class r ON r.oid = x.tgrelid \
             WHERE NOT x.tgisinternal AND x.tgparentid = 0 AND r.relnamespace = {ns} \
             AND x.tgname NOT LIKE 'tandem%' AND {own} ORDER BY x.oid"
    ));
    out
}

/// The objects of the tables' own that the model keeps as statements, after the tables:
/// partitions with their own indexes and constraints, foreign keys to a partition,
/// exclusion constraints. `ns`, `schema_re` and `own` as in [`objects`].
fn table_objects(ns: &str, schema_re: &str, own: &str) -> Vec<String> {
    vec![
        // A partition, after the tables: the statement that attaches it to its table
        // (with its schema made first where it lives in another), in the order made, so
        // a partition that is itself partitioned comes before its own.
        format!(
            "SELECT 'partition', \
             CASE WHEN x.relnamespace = {ns} THEN x.relname ELSE xn.nspname || '.' || x.relname END, \
             CASE WHEN x.relnamespace = {ns} THEN '' \
                ELSE 'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(xn.nspname) || ';' || chr(10) END \
             || 'CREATE TABLE ' || CASE WHEN x.relnamespace = {ns} THEN '' ELSE quote_ident(xn.nspname) || '.' END \
             || quote_ident(x.relname) || ' PARTITION OF ' \
             || CASE WHEN p.relnamespace = {ns} THEN '' ELSE quote_ident(pn.nspname) || '.' END || quote_ident(p.relname) \
             || ' ' || pg_get_expr(x.relpartbound, x.oid) \
             || CASE WHEN x.relkind = 'p' THEN ' PARTITION BY ' || pg_get_partkeydef(x.oid) ELSE '' END \
             FROM pg_class x JOIN pg_inherits h ON h.inhrelid = x.oid JOIN pg_class p ON p.oid = h.inhparent \
             JOIN pg_namespace xn ON xn.oid = x.relnamespace JOIN pg_namespace pn ON pn.oid = p.relnamespace \
             WHERE x.relispartition AND x.relkind IN ('r', 'p') \
             AND (SELECT r.relnamespace FROM pg_class r WHERE r.oid = pg_partition_root(x.oid)) = {ns} \
             AND {own} ORDER BY x.oid"
        ),
        // An index a partition has of its own (not one it takes from its table, nor a
        // constraint's), after the partitions.
        format!(
            "SELECT 'partition_index', \
             CASE WHEN x.relnamespace = {ns} THEN x.relname ELSE xn.nspname || '.' || x.relname END, \
             regexp_replace(pg_get_indexdef(x.oid), ' ON (ONLY )?' || {schema_re} || '\\.', ' ON \\1') \
             FROM pg_class x JOIN pg_index i ON i.indexrelid = x.oid JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace xn ON xn.oid = x.relnamespace \
             WHERE t.relispartition \
             AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.oid) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.oid AND k.conrelid = t.oid) \
             AND (SELECT r.relnamespace FROM pg_class r WHERE r.oid = pg_partition_root(t.oid)) = {ns} \
             AND {own} ORDER BY x.oid"
        ),
        // A constraint a partition has of its own (a foreign key, check, key, not one it
        // takes from its table), after the partitions and their indexes.
        format!(
            "SELECT 'partition_constraint', \
             CASE WHEN t.relnamespace = {ns} THEN t.relname ELSE tn.nspname || '.' || t.relname END || '.' || x.conname, \
             'ALTER TABLE ' || CASE WHEN t.relnamespace = {ns} THEN '' ELSE quote_ident(tn.nspname) || '.' END \
             || quote_ident(t.relname) || ' ADD CONSTRAINT ' || quote_ident(x.conname) || ' ' \
             || regexp_replace(pg_get_constraintdef(x.oid), ' REFERENCES ' || {schema_re} || '\\.', ' REFERENCES ') \
             FROM pg_constraint x JOIN pg_class t ON t.oid = x.conrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace \
             WHERE t.relispartition AND x.conparentid = 0 AND x.conislocal AND x.coninhcount = 0 \
             AND x.contype IN ('c', 'f', 'u', 'p', 'x') \
             AND (SELECT r.relnamespace FROM pg_class r WHERE r.oid = pg_partition_root(t.oid)) = {ns} \
             AND {own} ORDER BY x.oid"
        ),
        // A foreign key of a table that references a partition, not a table of the model.
        format!(
            "SELECT 'foreign_key_to_partition', t.relname || '.' || x.conname, \
             'ALTER TABLE ' || quote_ident(t.relname) || ' ADD CONSTRAINT ' || quote_ident(x.conname) || ' ' \
             || regexp_replace(pg_get_constraintdef(x.oid), ' REFERENCES ' || {schema_re} || '\\.', ' REFERENCES ') \
             FROM pg_constraint x JOIN pg_class t ON t.oid = x.conrelid JOIN pg_class r ON r.oid = x.confrelid \
             WHERE x.contype = 'f' AND x.conparentid = 0 AND r.relispartition AND NOT t.relispartition \
             AND t.relnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
        // An exclusion constraint of a table (not one a partition takes from its table).
        format!(
            "SELECT 'exclusion_constraint', r.relname || '.' || x.conname, \
             'ALTER TABLE ' || quote_ident(r.relname) || ' ADD CONSTRAINT ' || quote_ident(x.conname) \
             || ' ' || pg_get_constraintdef(x.oid) \
             FROM pg_constraint x JOIN pg_class r ON r.oid = x.conrelid \
             WHERE x.contype = 'x' AND x.conparentid = 0 AND NOT r.relispartition \
             AND r.relnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
        // Row-level security of a table, then its policies.
        format!(
            "SELECT 'row_security', x.relname, 'ALTER TABLE ' || quote_ident(x.relname) \
             || ' ENABLE ROW LEVEL SECURITY' \
             || CASE WHEN x.relforcerowsecurity THEN ', FORCE ROW LEVEL SECURITY' ELSE '' END \
             FROM pg_class x WHERE x.relrowsecurity AND x.relkind IN ('r', 'p') \
             AND x.relnamespace = {ns} AND {own} ORDER BY x.oid"
        ),
        format!(
            "SELECT 'policy', r.relname || '.' || x.polname, \
             'CREATE POLICY ' || quote_ident(x.polname) || ' ON ' || quote_ident(r.relname) \
             || CASE WHEN x.polpermissive THEN '' ELSE ' AS RESTRICTIVE' END \
             || ' FOR ' || CASE x.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' \
                WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END \
             || ' TO ' || (SELECT string_agg(CASE WHEN o = 0 THEN 'PUBLIC' \
                ELSE quote_ident(pg_get_userbyid(o)) END, ', ' ORDER BY n) \
                FROM unnest(x.polroles) WITH ORDINALITY AS u(o, n)) \
             || COALESCE(' USING (' || pg_get_expr(x.polqual, x.polrelid) || ')', '') \
             || COALESCE(' WITH CHECK (' || pg_get_expr(x.polwithcheck, x.polrelid) || ')', '') \
             FROM pg_policy x JOIN pg_class r ON r.oid = x.polrelid \
             WHERE r.relnamespace = {ns} ORDER BY x.oid"
        ),
        // Event triggers belong to the database; those enabled as made (the others are
        // named as left out).
        format!(
            "SELECT 'event_trigger', x.evtname, 'CREATE EVENT TRIGGER ' || quote_ident(x.evtname) \
             || ' ON ' || x.evtevent \
             || COALESCE(' WHEN TAG IN (' || (SELECT string_agg(quote_literal(t), ', ') \
                FROM unnest(x.evttags) AS t) || ')', '') \
             || ' EXECUTE FUNCTION ' || x.evtfoid::regproc::text || '()' \
             FROM pg_event_trigger x WHERE x.evtenabled = 'O' AND {own} ORDER BY x.oid"
        ),
    ]
}
