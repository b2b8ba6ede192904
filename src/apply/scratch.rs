//! Throw-away databases: an in-memory SQLite one, or a fresh database created on a
//! server and dropped again when done. `verify` rehearses on one; tests use them so that
//! each test has a database of its own.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::database::{Database, DbError, Target};

/// A database created for one use and dropped when this value is dropped.
pub struct Scratch {
    pub target: Target,
    server: Option<Target>,
    name: String,
}

impl Scratch {
    /// A fresh database on the server of `server` (its own database name is ignored), or
    /// an in-memory SQLite one for any SQLite target.
    pub fn create(server: &Target) -> Result<Scratch, DbError> {
        Scratch::create_with(server, "tandem_scratch", None)
    }

    /// [`Scratch::create`] with the name starting `prefix` (a plain identifier) and, on
    /// Postgres, copied from `template`.
    pub fn create_with(
        server: &Target,
        prefix: &str,
        template: Option<&str>,
    ) -> Result<Scratch, DbError> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let target = match server {
            Target::SqliteFile(_) | Target::SqliteMemory => {
                return Ok(Scratch {
                    target: Target::SqliteMemory,
                    server: None,
                    name,
                })
            }
            Target::Postgres(url) => Target::Postgres(with_database(url, &name)),
            Target::Mysql(url) => Target::Mysql(with_database(url, &name)),
        };
        let mut admin = Database::connect(server)?;
        admin.run_script(&crate::sql::server::create_database(&name, template))?;
        Ok(Scratch {
            target,
            server: Some(server.clone()),
            name,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            let sql = crate::sql::server::drop_database(server.dialect(), &self.name);
            if let Ok(mut admin) = Database::connect(server) {
                let _ = admin.run_script(&sql);
            }
        }
    }
}

/// The same server URL naming another database.
pub fn with_database(url: &str, name: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..authority_end])
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306", "x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
