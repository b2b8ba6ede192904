//! Properties a live database holds beyond plain tables and columns (generated columns,
//! declarative partitions, exclusion constraints) go through adoption as they are:
//! introspect writes them, the baseline recreates them, the copy reads back the same,
//! `--adopt` accepts the original, drift finds none, and a change of one by hand is
//! drift.

use crate::common;

use common::{stderr, stdout, Server};
use tandem::apply::scratch::Scratch;
use tempfile::TempDir;

const NOOP: &str = "release = \"1.0.0\"\n\n[[op]]\ntype = \"sql\"\nexpand = \"SELECT 1\"\n";

/// A fresh database of `server` made by `sql`, and what `introspect` writes of it.
struct Source {
    server: Server,
    url: String,
    text: String,
    stderr: String,
    _db: Scratch,
    _dir: TempDir,
}

/// `None` where the server is not reachable (see `Server::fresh`).
fn introspected(server: Server, sql: &str) -> Option<Source> {
    let db = server.fresh()?;
    let dir = common::project_with(server.dialect(), "", &[("0001_noop.toml", NOOP)]);
    let url = common::database_url(server, &db, dir.path());
    common::connect(&url, dir.path()).run_script(sql).unwrap();
    let read = common::run(dir.path(), &["introspect", "--database-url", &url]);
    assert!(read.status.success(), "{}", stderr(&read));
    Some(Source {
        server,
        url,
        text: stdout(&read),
        stderr: stderr(&read),
        _db: db,
        _dir: dir,
    })
}

/// The project of schema `text` and `changes`, its baseline migrated to a fresh
/// database of `server`: that database, the project and the database's URL.
fn baseline_on_fresh(
    server: Server,
    text: &str,
    changes: &[(&str, &str)],
) -> (Scratch, TempDir, String) {
    let db = server.fresh().expect("the server that made the source");
    let dir = common::project_with(server.dialect(), text, changes);
    let url = common::database_url(server, &db, dir.path());
    let out = common::migrate(dir.path(), &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    (db, dir, url)
}

/// `migrate --adopt` of the database at `url` succeeds, and `diff` then finds no drift.
fn adopted_without_drift(project: &std::path::Path, url: &str) {
    let adopt = common::migrate_command(project, url, "1.0.0", "expand")
        .arg("--adopt")
        .output()
        .unwrap();
    assert!(adopt.status.success(), "{}", stderr(&adopt));
    let clean = common::run(project, &["diff", "--database-url", url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

/// A Postgres schema with a generated column, an exclusion constraint (whose index is
/// not an index of the model) and a partitioned table: partitions by range, one in
/// another schema whose name needs quoting, a default partition partitioned by list in
/// turn, and an index on the partitioned table that its partitions take from it.
const PG_SOURCE: &str = r#"
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE rooms (id bigint PRIMARY KEY, area numeric NOT NULL,
    twice numeric GENERATED ALWAYS AS (area * 2) STORED, slot int4range,
    CONSTRAINT "rooms no overlap" EXCLUDE USING gist (id WITH =, slot WITH &&) WHERE (area > 0));
CREATE SCHEMA "Archive ""old""";
CREATE TABLE visits (id bigint NOT NULL, at date NOT NULL, room_id bigint REFERENCES rooms (id),
    PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE INDEX visits_room_idx ON visits (room_id);
CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE "Archive ""old""".visits_2025 PARTITION OF visits
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE visits_rest PARTITION OF visits DEFAULT PARTITION BY LIST (id);
CREATE TABLE visits_rest_small PARTITION OF visits_rest FOR VALUES IN (1, 2);
CREATE TABLE visits_rest_other PARTITION OF visits_rest DEFAULT;
CREATE INDEX visits_2025_at_idx ON "Archive ""old""".visits_2025 (at DESC);
ALTER TABLE visits_2026 ADD CONSTRAINT visits_2026_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id);
ALTER TABLE visits_2026 ADD CONSTRAINT visits_2026_positive CHECK (id > 0);
CREATE TABLE tags (id bigint PRIMARY KEY, code text NOT NULL);
CREATE UNIQUE INDEX tags_code_idx ON tags (code);
ALTER TABLE visits ADD COLUMN tag text CONSTRAINT visits_tag_fkey REFERENCES tags (code);
CREATE TABLE notes (id bigint PRIMARY KEY, visit_id bigint, visit_at date,
    CONSTRAINT notes_visit FOREIGN KEY (visit_id, visit_at) REFERENCES visits_2026 (id, at),
    CONSTRAINT notes_any_visit FOREIGN KEY (visit_id, visit_at) REFERENCES visits (id, at));
"#;

#[test]
fn postgres_partitions_exclusions_and_generated_columns_go_through_adoption() {
    let Some(source) = introspected(Server::Postgres, PG_SOURCE) else {
        return;
    };
    let (source_url, text) = (source.url.clone(), source.text.clone());
    assert!(!source.stderr.contains("left out"), "{}", source.stderr);
    assert!(text.contains("# Nothing was left out."), "{text}");
    for kept in [
        "partition_by = \"RANGE (at)\"",
        "kind = \"partition\"\nname = \"visits_2026\"",
        "CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "name = 'Archive \"old\".visits_2025'",
        "CREATE SCHEMA IF NOT EXISTS \"Archive \"\"old\"\"\";",
        "CREATE TABLE visits_rest PARTITION OF visits DEFAULT PARTITION BY LIST (id)",
        "kind = \"exclusion_constraint\"\nname = \"rooms.rooms no overlap\"",
        "stored = true",
        "name = \"visits_room_idx\"",
        "CREATE INDEX visits_2025_at_idx ON \"Archive \"\"old\"\"\".visits_2025 USING btree (at DESC)",
        "ALTER TABLE visits_2026 ADD CONSTRAINT visits_2026_room_fk FOREIGN KEY (room_id) REFERENCES rooms(id)",
        "kind = \"partition_constraint\"\nname = \"visits_2026.visits_2026_positive\"",
        "kind = \"foreign_key_to_partition\"\nname = \"notes.notes_visit\"",
        "name = \"notes_any_visit\"\ncolumns = [\"visit_id\", \"visit_at\"]\nreferences = \"visits(id, at)\"",
        "name = \"visits_tag_fkey\"",
    ] {
        assert!(text.contains(kept), "{kept}\n{text}");
    }
    // Partitions are not tables, nor their indexes the model's; the exclusion
    // constraint's index is the constraint's.
    assert!(!text.contains("[tables.visits_2026"), "{text}");
    assert!(!text.contains("visits_2026_room_id_idx"), "{text}");
    assert!(
        !text.contains("name = \"rooms no overlap\"\ncolumns"),
        "{text}"
    );
    assert!(!text.contains("default_sql = \"area * "), "{text}");

    // The baseline recreates all of it on an empty database, which reads back the same.
    let (_copy, dir, url) = baseline_on_fresh(source.server, &text, &[("0001_noop.toml", NOOP)]);
    let p = dir.path();
    let again = common::introspect(p, &url).unwrap();
    assert_eq!(again, text);

    // The original is adopted and shows no drift.
    adopted_without_drift(p, &source_url);

    // Each property changed by hand is drift.
    common::connect(&source_url, p)
        .run_script(
            "ALTER TABLE rooms DROP CONSTRAINT \"rooms no overlap\";
             ALTER TABLE visits DETACH PARTITION visits_2026;
             ALTER TABLE rooms DROP COLUMN twice;
             ALTER TABLE rooms ADD COLUMN twice numeric GENERATED ALWAYS AS (area * 3) STORED;",
        )
        .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &source_url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    let report = stdout(&drift);
    for said in [
        "exclusion_constraint rooms.rooms no overlap is missing",
        "partition visits_2026 is missing",
        "table visits_2026 exists in the database but not in the plan",
        "column rooms.twice is generated from area * (3)",
    ] {
        assert!(report.contains(said), "{said}\n{report}");
    }
}

/// A partitioned table made by a change file's table (not only introspected) is created
/// partitioned, and one whose partitioning changed by hand is drift.
#[test]
fn a_partitioned_table_is_drift_when_its_key_changes() {
    let server = Server::Postgres;
    let Some(db) = server.fresh() else {
        return;
    };
    let schema = r#"
[tables.events]
primary_key = ["id", "at"]
partition_by = "RANGE (at)"

[tables.events.columns]
id = { type = "bigint" }
at = { type = "date" }

[[objects]]
kind = "partition"
name = "events_all"
sql = "CREATE TABLE events_all PARTITION OF events DEFAULT"
"#;
    let dir = common::project_with("postgres", schema, &[("0001_noop.toml", NOOP)]);
    let p = dir.path();
    let url = common::database_url(server, &db, p);
    let out = common::migrate(p, &url, "1.0.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    common::connect(&url, p)
        .run_script(
            "DROP TABLE events;
             CREATE TABLE events (id bigint, at date, PRIMARY KEY (id, at)) PARTITION BY LIST (at);
             CREATE TABLE events_all PARTITION OF events DEFAULT;",
        )
        .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    let report = stdout(&drift);
    assert!(
        report.contains(
            "table events is partitioned by LIST (at) in the database but partitioned by RANGE (at) in the plan"
        ),
        "{report}"
    );
}

/// Generated columns, stored and virtual where the dialect has both: the baseline makes
/// them, introspect reads them back as generated (not as defaults), a release adds one,
/// probes never write one, and one changed by hand is drift.
#[test]
fn generated_columns_go_through_a_baseline_a_release_and_verify_on_every_database() {
    for server in [Server::Sqlite, Server::Postgres, Server::Mysql] {
        let Some(db) = server.fresh() else {
            continue;
        };
        let virtual_half = match server {
            Server::Postgres => "",
            _ => "half = { type = \"integer\", nullable = true, generated = \"area / 2\" }\n",
        };
        let schema = format!(
            "[tables.rooms]\nprimary_key = [\"id\"]\n\n[tables.rooms.columns]\n\
             id = {{ type = \"bigint\" }}\narea = {{ type = \"integer\" }}\n\
             twice = {{ type = \"integer\", nullable = true, generated = \"area * 2\", stored = true }}\n\
             {virtual_half}"
        );
        // MySQL adds a stored generated column only by copying the table: a release adds
        // a virtual one there.
        let added_stored = server == Server::Postgres;
        let change = format!(
            "release = \"1.0.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"rooms\"\n\
             column = {{ name = \"thrice\", type = \"integer\", nullable = true, generated = \"area * 3\", stored = {added_stored} }}\n\n\
             [[op]]\ntype = \"add_column\"\ntable = \"rooms\"\n\
             column = {{ name = \"note\", type = \"text\", nullable = true }}\n"
        );
        let dir = common::project_with(server.dialect(), &schema, &[("0001_more.toml", &change)]);
        let p = dir.path();
        let url = common::database_url(server, &db, p);
        let verify = common::verify(p, &url);
        assert!(
            verify.status.success(),
            "{}: {}\n{}",
            server.dialect(),
            stdout(&verify),
            stderr(&verify)
        );
        let out = common::migrate(p, &url, "1.0.0", "contract");
        assert!(
            out.status.success(),
            "{}: {}",
            server.dialect(),
            stderr(&out)
        );
        let mut conn = common::connect(&url, p);
        conn.run_script("INSERT INTO rooms (id, area) VALUES (1, 10)")
            .unwrap();
        let rows = conn
            .query_text("SELECT twice, thrice FROM rooms WHERE id = 1")
            .unwrap();
        assert_eq!(
            rows,
            vec![vec![Some("20".to_string()), Some("30".to_string())]],
            "{}",
            server.dialect()
        );
        drop(conn);
        let text = common::introspect(p, &url).unwrap();
        assert!(
            text.contains("stored = true") && text.contains("generated = "),
            "{}: {text}",
            server.dialect()
        );
        assert!(
            !text.contains("default_sql"),
            "{}: {text}",
            server.dialect()
        );
        if server != Server::Postgres {
            assert!(
                text.contains("stored = false"),
                "{}: {text}",
                server.dialect()
            );
        }
        let parsed = common::parse_schema_for(server, "introspected.toml", &text).unwrap();
        let rooms = parsed.table("rooms").unwrap();
        for (column, stored) in [("twice", true), ("thrice", added_stored)] {
            assert!(
                matches!(
                    &rooms.column(column).unwrap().default,
                    Some(tandem::model::Default::Generated { stored: s, .. }) if *s == stored
                ),
                "{}: {column}\n{text}",
                server.dialect()
            );
        }
        let clean = common::run(p, &["diff", "--database-url", &url]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "{}: {}",
            server.dialect(),
            stdout(&clean)
        );
        if server == Server::Sqlite {
            continue;
        }
        common::connect(&url, p)
            .run_script(&format!(
                "ALTER TABLE rooms DROP COLUMN thrice;
                     ALTER TABLE rooms ADD COLUMN thrice integer GENERATED ALWAYS AS (area * 4) {}",
                if added_stored { "STORED" } else { "VIRTUAL" }
            ))
            .unwrap();
        let drift = common::run(p, &["diff", "--database-url", &url]);
        let report = stdout(&drift);
        assert!(
            report.contains("column rooms.thrice is generated from"),
            "{}: {report}",
            server.dialect()
        );
    }
}

/// What cannot be done to a generated column is refused with where it is written.
#[test]
fn generated_columns_refuse_what_would_write_them() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "postgres",
            "id = { type = \"bigint\" }\ntwice = { type = \"bigint\", generated = \"id * 2\", identity = true }\n",
            "cannot have a default or be an identity",
        ),
        (
            "mysql",
            "id = { type = \"bigint\" }\ntwice = { type = \"bigint\", generated = \"id * 2\", default = 3 }\n",
            "cannot have a default",
        ),
        (
            "sqlite",
            "id = { type = \"bigint\" }\ntwice = { type = \"bigint\", stored = true }\n",
            "has no `generated`",
        ),
        (
            "sqlite",
            "id = { type = \"bigint\" }\ntwice = { type = \"bigint\", generated = \"  \" }\n",
            "`generated` is empty",
        ),
    ];
    for (dialect, columns, said) in cases {
        let schema = format!("[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\n{columns}");
        let dir = common::project_files(dialect, &schema, &[("0001_noop.toml", NOOP)]);
        let out = common::run(dir.path(), &["plan"]);
        assert_eq!(out.status.code(), Some(2), "{dialect}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{dialect}: {}", stderr(&out));
        assert!(stderr(&out).contains("schema.toml:"), "{}", stderr(&out));
    }
    let schema = "[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\n\
                  id = { type = \"bigint\" }\ntwice = { type = \"bigint\", nullable = true, generated = \"id * 2\", stored = true }\n";
    for (op, said) in [
        (
            "type = \"rename_column\"\ntable = \"t\"\nfrom = \"twice\"\nto = \"double\"",
            "is a generated column",
        ),
        (
            "type = \"alter_column\"\ntable = \"t\"\ncolumn = \"twice\"\nnullable = false",
            "is a generated column",
        ),
        (
            "type = \"add_column\"\ntable = \"t\"\ncolumn = { name = \"x\", type = \"bigint\", generated = \"id\", stored = true }\nbackfill_sql = \"1\"",
            "cannot be backfilled",
        ),
        (
            "type = \"drop_column\"\ntable = \"t\"\ncolumn = \"id\"",
            "generated column `t.twice` is computed from `id`",
        ),
    ] {
        let change = format!("release = \"1.0.0\"\n\n[[op]]\n{op}\n");
        let dir = common::project_files("postgres", schema, &[("0001_x.toml", &change)]);
        let out = common::run(dir.path(), &["plan"]);
        assert_eq!(out.status.code(), Some(2), "{op}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{op}: {}", stderr(&out));
    }
}

/// Checks and foreign keys a Postgres database holds NOT VALID (rows from before them
/// break them) are introspected as `valid = false`, added NOT VALID by the baseline (so
/// it runs on an empty database and the original is adopted with its rows), and one
/// validated by hand is drift.
#[test]
fn not_valid_constraints_stay_not_valid_through_adoption() {
    let Some(source) = introspected(Server::Postgres,
            "CREATE TABLE owners (id bigint PRIMARY KEY);
             CREATE TABLE pets (id bigint PRIMARY KEY, owner_id bigint, age int);
             INSERT INTO owners VALUES (1);
             INSERT INTO pets VALUES (1, 99, -1), (2, 1, 3);
             ALTER TABLE pets ADD CONSTRAINT pets_age CHECK (age >= 0) NOT VALID;
             ALTER TABLE pets ADD CONSTRAINT pets_owner FOREIGN KEY (owner_id) REFERENCES owners (id)
                 ON DELETE CASCADE DEFERRABLE NOT VALID;",
        ) else {
        return;
    };
    let (source_url, text) = (source.url.clone(), source.text.clone());
    assert!(text.contains("# Nothing was left out."), "{text}");
    assert_eq!(text.matches("valid = false").count(), 2, "{text}");
    assert!(!text.contains("NOT VALID"), "{text}");

    let (_copy, dir, url) = baseline_on_fresh(source.server, &text, &[("0001_noop.toml", NOOP)]);
    let p = dir.path();
    assert_eq!(common::introspect(p, &url).unwrap(), text);
    // Not valid, but enforced for new rows.
    assert!(common::connect(&url, p)
        .run_script("INSERT INTO pets VALUES (3, NULL, -5)")
        .is_err());

    adopted_without_drift(p, &source_url);
    common::connect(&source_url, p)
        .run_script("DELETE FROM pets WHERE id = 1; ALTER TABLE pets VALIDATE CONSTRAINT pets_age;")
        .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &source_url]);
    let report = stdout(&drift);
    assert!(
        report.contains(
            "check pets_age of pets is validated in the database but NOT VALID in the plan"
        ),
        "{report}"
    );
    assert!(!report.contains("pets_owner"), "{report}");
}

/// `valid = false` is for Postgres checks and foreign keys, with their names.
#[test]
fn valid_false_is_refused_where_it_means_nothing() {
    for (dialect, constraint, said) in [
        (
            "mysql",
            "type = \"check\"\nname = \"c\"\ncheck = \"id > 0\"\nvalid = false",
            "is a Postgres state",
        ),
        (
            "postgres",
            "type = \"unique\"\nname = \"u\"\ncolumns = [\"id\"]\nvalid = false",
            "only a check or a foreign key",
        ),
        (
            "postgres",
            "type = \"check\"\ncheck = \"id > 0\"\nvalid = false",
            "needs its `name`",
        ),
    ] {
        let schema = format!(
            "[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\nid = {{ type = \"bigint\" }}\n\n[[tables.t.constraints]]\n{constraint}\n"
        );
        let dir = common::project_files(dialect, &schema, &[("0001_noop.toml", NOOP)]);
        let out = common::run(dir.path(), &["plan"]);
        assert_eq!(out.status.code(), Some(2), "{dialect}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{dialect}: {}", stderr(&out));
        assert!(stderr(&out).contains("schema.toml:"), "{}", stderr(&out));
    }
}

/// An index's NULLS FIRST/LAST per column and NULLS NOT DISTINCT (Postgres 15) are
/// read, recreated by the baseline and compared by drift; what the model still lacks of
/// an expression key (its order) is named.
#[test]
fn index_null_orders_and_nulls_not_distinct_go_through_adoption() {
    let Some(source) = introspected(Server::Postgres,
            "CREATE TABLE people (id bigint PRIMARY KEY, email text, score int, nick text);
             CREATE INDEX people_score_idx ON people (score DESC NULLS LAST, email NULLS FIRST, id DESC);
             CREATE UNIQUE INDEX people_nick_key ON people (nick) NULLS NOT DISTINCT;
             CREATE INDEX people_lower_idx ON people (lower(email) DESC);",
        ) else {
        return;
    };
    let (source_url, text) = (source.url.clone(), source.text.clone());
    assert!(
        text.contains("columns = [\"score DESC NULLS LAST\", \"email NULLS FIRST\", \"id DESC\"]"),
        "{text}"
    );
    assert!(text.contains("nulls_not_distinct = true"), "{text}");
    assert!(
        source.stderr.contains(
            "left out: 1 index with an ordered or classed expression key, or an expression before a column(s): people_lower_idx"
        ),
        "{}",
        source.stderr
    );
    // The named index aside, the copy reads back the same.
    let (_copy, dir, url) = baseline_on_fresh(source.server, &text, &[("0001_noop.toml", NOOP)]);
    let p = dir.path();
    let again = common::introspect(p, &url).unwrap();
    let body = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&again), body(&text));

    adopted_without_drift(p, &source_url);
    common::connect(&source_url, p)
        .run_script(
            "DROP INDEX people_score_idx; CREATE INDEX people_score_idx ON people (score DESC, email, id DESC);
             DROP INDEX people_nick_key; CREATE UNIQUE INDEX people_nick_key ON people (nick);",
        )
        .unwrap();
    let report = stdout(&common::run(p, &["diff", "--database-url", &source_url]));
    for said in [
        "index people_score_idx of people: its NULLS FIRST/LAST is {} in the database",
        "index people_nick_key of people: its NULLS NOT DISTINCT is false in the database but true",
    ] {
        assert!(report.contains(said), "{said}\n{report}");
    }
    // Another dialect refuses what it cannot keep.
    let schema =
        "[tables.t]\nprimary_key = [\"id\"]\n\n[tables.t.columns]\nid = { type = \"bigint\" }\n\n\
                  [[tables.t.indexes]]\nname = \"t_id\"\ncolumns = [\"id NULLS FIRST\"]\n";
    let dir = common::project_files("mysql", schema, &[("0001_noop.toml", NOOP)]);
    let out = common::run(dir.path(), &["plan"]);
    assert_ne!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("NULLS FIRST/LAST"),
        "{}",
        stderr(&out)
    );
}

/// DEFERRABLE unique constraints and primary keys (INITIALLY DEFERRED or IMMEDIATE) are
/// read, recreated by the baseline (a transaction may break them until it commits) and
/// compared by drift.
#[test]
fn deferrable_keys_go_through_adoption() {
    let Some(source) = introspected(
        Server::Postgres,
        "CREATE TABLE slots (id bigint, pos int, code text,
                 CONSTRAINT slots_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED,
                 CONSTRAINT slots_pos_key UNIQUE (pos) DEFERRABLE,
                 CONSTRAINT slots_code_key UNIQUE (code));",
    ) else {
        return;
    };
    let (source_url, text) = (source.url.clone(), source.text.clone());
    assert!(!source.stderr.contains("deferrable"), "{}", source.stderr);
    assert!(
        text.contains("primary_key_deferrable = \"deferred\""),
        "{text}"
    );
    assert!(
        text.contains("name = \"slots_pos_key\"\ncolumns = [\"pos\"]\ndeferrable = true"),
        "{text}"
    );
    assert!(
        text.contains("name = \"slots_code_key\"\ncolumns = [\"code\"]\n\n"),
        "{text}"
    );
    let (_copy, dir, url) = baseline_on_fresh(source.server, &text, &[("0001_noop.toml", NOOP)]);
    let p = dir.path();
    assert_eq!(common::introspect(p, &url).unwrap(), text);
    // Deferred: a transaction swaps two positions, which a plain key refuses.
    common::connect(&url, p)
        .run_script(
            "INSERT INTO slots VALUES (1, 1, 'a'), (2, 2, 'b');
             BEGIN; SET CONSTRAINTS ALL DEFERRED;
             UPDATE slots SET pos = 2 WHERE id = 1; UPDATE slots SET pos = 1 WHERE id = 2; COMMIT;",
        )
        .unwrap();

    adopted_without_drift(p, &source_url);
    common::connect(&source_url, p)
        .run_script(
            "ALTER TABLE slots DROP CONSTRAINT slots_pos_key, ADD CONSTRAINT slots_pos_key UNIQUE (pos);",
        )
        .unwrap();
    let report = stdout(&common::run(p, &["diff", "--database-url", &source_url]));
    assert!(
        report.contains(
            "unique constraint slots_pos_key of slots is not deferrable in the database but DEFERRABLE in the plan"
        ),
        "{report}"
    );
    // Elsewhere, a deferrable key is refused where it is written.
    let schema = "[tables.t]\nprimary_key = [\"id\"]\nprimary_key_deferrable = \"deferred\"\n\n\
                  [tables.t.columns]\nid = { type = \"bigint\" }\n";
    let dir = common::project_files("mysql", schema, &[("0001_noop.toml", NOOP)]);
    let out = common::run(dir.path(), &["plan"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("schema.toml:3:"), "{}", stderr(&out));
}

/// MySQL partitions go with their table: introspect writes the whole `PARTITION BY`
/// clause, the baseline makes the same partitions, adopt accepts the original, a release
/// adds a column and an index to a partitioned table through both phases, and a
/// partition added by hand is drift.
#[test]
fn mariadb_partitions_go_through_adoption_and_a_release() {
    let Some(source) = introspected(Server::Mysql,
            "CREATE TABLE visits (id bigint NOT NULL, at date NOT NULL, note text,
                 PRIMARY KEY (id, at))
                 PARTITION BY RANGE (YEAR(at)) (PARTITION p2025 VALUES LESS THAN (2026),
                 PARTITION `p 2026` VALUES LESS THAN (2027), PARTITION pmax VALUES LESS THAN MAXVALUE);
             CREATE TABLE regions (code varchar(2) NOT NULL PRIMARY KEY)
                 PARTITION BY LIST COLUMNS (code) (PARTITION eu VALUES IN ('de', 'fr'),
                 PARTITION us VALUES IN ('us'));
             CREATE TABLE buckets (id int NOT NULL PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 3;
             INSERT INTO visits VALUES (1, '2025-05-01', 'a'), (2, '2026-05-01', 'b'), (3, '2031-01-01', 'c');",
        ) else {
        return;
    };
    let (source_url, text) = (source.url.clone(), source.text.clone());
    assert!(!source.stderr.contains("partitioned"), "{}", source.stderr);
    for kept in [
        "partition_by = \"RANGE (year(`at`)) (PARTITION `p2025` VALUES LESS THAN (2026), PARTITION `p 2026` VALUES LESS THAN (2027), PARTITION `pmax` VALUES LESS THAN MAXVALUE)\"",
        "partition_by = \"LIST COLUMNS (`code`) (PARTITION `eu` VALUES IN ('de','fr'), PARTITION `us` VALUES IN ('us'))\"",
        "partition_by = \"HASH (`id`) PARTITIONS 3\"",
    ] {
        assert!(text.contains(kept), "{kept}\n{text}");
    }

    // The baseline makes the same partitions on an empty database.
    let release = "release = \"1.1.0\"\n\n[[op]]\ntype = \"add_column\"\ntable = \"visits\"\n\
                   column = { name = \"score\", type = \"integer\", nullable = true }\n\n\
                   [[op]]\ntype = \"create_index\"\ntable = \"visits\"\ncolumns = [\"score\"]\n\n\
                   [[op]]\ntype = \"drop_column\"\ntable = \"visits\"\ncolumn = \"note\"\n";
    let (_copy, dir, url) = baseline_on_fresh(
        source.server,
        &text,
        &[("0001_noop.toml", NOOP), ("0002_score.toml", release)],
    );
    let p = dir.path();
    assert_eq!(common::introspect(p, &url).unwrap(), text);

    // The original is adopted, shows no drift, and takes a release with its rows kept.
    adopted_without_drift(p, &source_url);
    for phase in ["expand", "contract"] {
        let out = common::migrate(p, &source_url, "1.1.0", phase);
        assert!(out.status.success(), "{phase}: {}", stderr(&out));
    }
    let mut db = common::connect(&source_url, p);
    let rows = db
        .query_text("SELECT count(*) FROM visits PARTITION (`p 2026`)")
        .unwrap();
    assert_eq!(rows[0][0].as_deref(), Some("1"));
    let clean = common::run(p, &["diff", "--database-url", &source_url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    // A partition added by hand is drift.
    db.run_script("ALTER TABLE buckets ADD PARTITION PARTITIONS 1")
        .unwrap();
    let drift = common::run(p, &["diff", "--database-url", &source_url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    assert!(
        stdout(&drift).contains("HASH (`id`) PARTITIONS 4"),
        "{}",
        stdout(&drift)
    );
}
