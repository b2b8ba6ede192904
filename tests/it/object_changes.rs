//! Changes to objects outside the table model under the rule, on every dialect:
//! `create_object` and `replace_object` run in expand, `drop_object` in contract(R + gap)
//! as a column's drop does; drift follows what the applied files made.

use crate::common;

use common::{select_one, stderr, stdout, Server};

/// A trigger whose body holds `;`, per dialect (Postgres: with its function).
fn trigger(server: Server) -> &'static str {
    match server {
        Server::Mysql => "[[op]]\ntype = \"create_object\"\nkind = \"trigger\"\nname = \"users.users_touch\"\nsql = '''\nCREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW BEGIN SET NEW.nickname = CONCAT('n; ', NEW.email); SET NEW.legacy_email = NEW.email; END\n'''\n",
        Server::Sqlite => "[[op]]\ntype = \"create_object\"\nkind = \"trigger\"\nname = \"users.users_touch\"\nsql = '''\nCREATE TRIGGER users_touch AFTER INSERT ON users BEGIN UPDATE users SET nickname = 'n; ' || NEW.email WHERE id = NEW.id; UPDATE users SET legacy_email = NEW.email WHERE id = NEW.id; END\n'''\n",
        Server::Postgres => "[[op]]\ntype = \"create_object\"\nkind = \"function\"\nname = \"users_touch()\"\nsql = '''\nCREATE FUNCTION users_touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.nickname := 'n; ' || NEW.email; NEW.legacy_email := NEW.email; RETURN NEW; END$$\n'''\n\
            [[op]]\ntype = \"create_object\"\nkind = \"trigger\"\nname = \"users.users_touch\"\nsql = \"CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_touch()\"\n",
    }
}

const VIEWS: &str = "[[op]]\ntype = \"create_object\"\nkind = \"view\"\nname = \"user_emails\"\nsql = \"CREATE VIEW user_emails AS SELECT id, email FROM users\"\n\
    [[op]]\ntype = \"create_object\"\nkind = \"view\"\nname = \"old names\"\nsql = 'CREATE VIEW QOLDQ AS SELECT nickname FROM users'\n";

const REPLACE_AND_DROP: &str = "release = \"1.1.0\"\n\
    [[op]]\ntype = \"replace_object\"\nkind = \"view\"\nname = \"user_emails\"\nsql = \"CREATE VIEW user_emails AS SELECT id, email, nickname FROM users\"\n\
    [[op]]\ntype = \"drop_object\"\nkind = \"view\"\nname = \"old names\"\n";

fn objects_change_under_the_rule(server: Server) {
    let Some(scratch) = server.fresh() else {
        return;
    };
    let q = if server == Server::Mysql {
        "`old names`"
    } else {
        "\"old names\""
    };
    let views = VIEWS.replace("QOLDQ", q);
    let made = format!("release = \"1.0.0\"\n{views}{}", trigger(server));
    let dir = common::users_project(
        server.dialect(),
        &[
            ("0001_made.toml", made.as_str()),
            ("0002_replaced.toml", REPLACE_AND_DROP),
            ("0003_next.toml", &select_one("1.2.0")),
        ],
    );
    let p = dir.path();
    let url = common::database_url(server, &scratch, p);
    let plan = stdout(&common::run(p, &["plan"]));
    assert!(plan.contains("replace view user_emails"), "{plan}");
    let out = common::migrate(p, &url, "1.1.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut db = common::connect(&url, p);
    db.run_script("INSERT INTO users (id, email, legacy_email) VALUES (1, 'a@x', 'old')")
        .unwrap();
    // The trigger ran both of its statements; the replaced view shows the new column,
    // and the dropped one is still there for the code of 1.0.0.
    let rows = db
        .query_text("SELECT email, nickname FROM user_emails")
        .unwrap();
    assert_eq!(
        rows,
        vec![vec![Some("a@x".to_string()), Some("n; a@x".to_string())]]
    );
    db.query_text(&format!("SELECT nickname FROM {q}")).unwrap();
    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    let out = common::migrate(p, &url, "1.2.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        db.query_text(&format!("SELECT nickname FROM {q}")).is_err(),
        "dropped in the contract after the gap"
    );
    let clean = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    db.run_script("DROP VIEW user_emails").unwrap();
    let drift = common::run(p, &["diff", "--database-url", &url]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    let report = stdout(&drift);
    assert!(report.contains("view user_emails is missing"), "{report}");
    assert!(!report.contains("old names"), "{report}");
}

#[test]
fn objects_change_under_the_rule_on_postgres() {
    objects_change_under_the_rule(Server::Postgres);
}

#[test]
fn objects_change_under_the_rule_on_mariadb() {
    objects_change_under_the_rule(Server::Mysql);
}

#[test]
fn objects_change_under_the_rule_on_sqlite() {
    objects_change_under_the_rule(Server::Sqlite);
}

/// A drop of a view another view reads is refused (exit 1), naming both; an object that
/// is not there, or of a kind the dialect lacks, is an input error at its place (exit 2).
#[test]
fn object_changes_that_cannot_run_are_refused_or_rejected() {
    let reads = "release = \"1.0.0\"\n[[op]]\ntype = \"create_object\"\nkind = \"view\"\nname = \"a\"\nsql = \"CREATE VIEW a AS SELECT id FROM users\"\n\
        [[op]]\ntype = \"create_object\"\nkind = \"view\"\nname = \"b\"\nsql = \"CREATE VIEW b AS SELECT id FROM a\"\n";
    let drop =
        "release = \"1.1.0\"\n[[op]]\ntype = \"drop_object\"\nkind = \"view\"\nname = \"a\"\n";
    let dir = common::project_files(
        "sqlite",
        common::USERS,
        &[("0001_views.toml", reads), ("0002_drop.toml", drop)],
    );
    let out = common::run(dir.path(), &["plan"]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("view b names view a"), "{said}");

    let cases = [
        (
            "release = \"1.0.0\"\n[[op]]\ntype = \"replace_object\"\nkind = \"view\"\nname = \"nope\"\nsql = \"CREATE VIEW nope AS SELECT 1\"\n",
            "there is no view `nope` to replace",
            "0001_bad.toml:5:8",
        ),
        (
            "release = \"1.0.0\"\n[[op]]\ntype = \"create_object\"\nkind = \"procedure\"\nname = \"p\"\nsql = \"CREATE PROCEDURE p() SELECT 1\"\n",
            "unknown object kind `procedure` on sqlite",
            "0001_bad.toml:4:8",
        ),
        (
            "release = \"1.0.0\"\n[[op]]\ntype = \"drop_object\"\nkind = \"view\"\n",
            "name",
            "0001_bad.toml",
        ),
    ];
    for (change, message, at) in cases {
        let dir = common::project_files("sqlite", common::USERS, &[("0001_bad.toml", change)]);
        let out = common::run(dir.path(), &["plan"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{change}\n{err}");
        assert!(err.contains(message), "{message}\n{err}");
        assert!(err.contains(at), "{at}\n{err}");
    }
}
