//! The fleet gate on MariaDB through connection attributes, which MariaDB keeps only with
//! `performance_schema=ON` (off by default, and off on the shared test server): this test
//! starts a MariaDB of its own with it on, on a free loopback port, and stops it after.

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{stderr, users_project, INCIDENT};

/// A MariaDB server of this test's own, killed when dropped.
struct Server {
    child: Child,
    port: u16,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Option<Server> {
    let unavailable = |why: String| {
        if std::env::var_os("CI").is_some() {
            panic!("cannot start a MariaDB with performance_schema on, and CI is set: {why}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: cannot start a MariaDB with performance_schema on: {why} !!!!!!!!\n");
        None
    };
    let data = tempfile::TempDir::new().unwrap();
    let datadir = data.path().join("data");
    let install = Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .arg(format!("--datadir={}", datadir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match install {
        Ok(s) if s.success() => {}
        other => return unavailable(format!("mariadb-install-db: {other:?}")),
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = ["/usr/sbin/mariadbd", "/usr/bin/mariadbd"]
        .into_iter()
        .find(|b| Path::new(b).exists())
        .unwrap_or("mariadbd");
    let child = Command::new(binary)
        .args([
            "--no-defaults",
            "--user=root",
            "--bind-address=127.0.0.1",
            "--performance-schema=ON",
            "--skip-log-bin",
        ])
        .arg(format!("--datadir={}", datadir.display()))
        .arg(format!("--port={port}"))
        .arg(format!("--socket={}", data.path().join("sock").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return unavailable(format!("mariadbd: {e}")),
    };
    let server = Server {
        child,
        port,
        _data: data,
    };
    let root = format!("mysql://root@127.0.0.1:{port}/mysql");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(mut conn) =
            refinery_core::mysql::Conn::new(refinery_core::mysql::Opts::from_url(&root).unwrap())
        {
            use refinery_core::mysql::prelude::Queryable;
            conn.query_drop("CREATE DATABASE IF NOT EXISTS app")
                .unwrap();
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    unavailable("it did not answer within 30 s".into())
}

fn migrate(p: &Path, url: &str, release: &str, phase: &str) -> std::process::Output {
    common::tandem_with_fleet_gate(p)
        .args([
            "migrate",
            "--release",
            release,
            "--phase",
            phase,
            "--database-url",
            url,
        ])
        .output()
        .unwrap()
}

#[test]
fn connection_attributes_hold_a_contract_on_mariadb() {
    let Some(server) = start() else { return };
    let url = format!("mysql://root@127.0.0.1:{}/app", server.port);
    let dir = users_project("mysql", INCIDENT);
    let p = dir.path();
    let out = migrate(p, &url, "1.4.0", "contract");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("session_connect_attrs"),
        "{}",
        stderr(&out)
    );

    // A server of 1.4.0 connects, naming its release in program_name.
    let opts = refinery_core::mysql::OptsBuilder::from_opts(
        refinery_core::mysql::Opts::from_url(&url).unwrap(),
    )
    .connect_attrs(Some(std::collections::HashMap::from([(
        "program_name",
        "shop-api@1.4.0",
    )])));
    let old_server = refinery_core::mysql::Conn::new(opts).unwrap();
    let out = migrate(p, &url, "1.5.0", "expand");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = migrate(p, &url, "1.5.0", "contract");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("shop-api@1.4.0"), "{}", stderr(&out));

    // A connection with an untagged, unicode program name is listed, not checked;
    // `require_tags` holds the contract while it is open.
    let named = |name: &str| {
        refinery_core::mysql::Conn::new(
            refinery_core::mysql::OptsBuilder::from_opts(
                refinery_core::mysql::Opts::from_url(&url).unwrap(),
            )
            .connect_attrs(Some(std::collections::HashMap::from([(
                "program_name",
                name.to_string(),
            )]))),
        )
        .unwrap()
    };
    let worker = named("wörker \u{2603}");
    let bad_tag = named("shop-api@1.5.0 \u{202e}");
    let toml = p.join("tandem.toml");
    let before = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{before}\n[fleet]\nrequire_tags = true\n")).unwrap();
    drop(old_server);
    let start = Instant::now();
    let err = loop {
        let out = migrate(p, &url, "1.5.0", "contract");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        if stderr(&out).contains("require_tags") {
            break stderr(&out);
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}",
            stderr(&out)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(err.contains("wörker \u{2603}"), "{err}");
    assert!(
        err.contains("\\u{202e}") && !err.contains('\u{202e}'),
        "{err}"
    );
    std::fs::write(&toml, before).unwrap();

    let start = Instant::now();
    loop {
        let out = migrate(p, &url, "1.5.0", "contract");
        if out.status.success() {
            assert!(
                stderr(&out).contains("2 connection(s) not checked"),
                "{}",
                stderr(&out)
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still refused: {}",
            stderr(&out)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop((worker, bad_tag));
}
