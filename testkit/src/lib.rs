//! Fixtures shared by the test suites.
//!
//! Tests run against every backend the product supports: SQLite always,
//! PostgreSQL at `AUTOMAT_TEST_POSTGRES_URL` (default the local server), the
//! embedded MQTT broker and Mosquitto at `AUTOMAT_TEST_MOSQUITTO_URL`. Outside
//! CI a server that does not answer is skipped with a loud warning; under
//! `CI=true` it is a failure, never a silent skip.

pub mod http;
pub mod mosquitto;
pub mod s3;
pub mod sms;
pub mod smtp;

use std::{net::ToSocketAddrs, time::Duration};

use sea_orm::{ConnectionTrait, Database};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_MOSQUITTO_URL: &str = "mqtt://127.0.0.1:1883";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbBackend {
    Sqlite,
    Postgres,
}

/// The database backends to run a test on.
pub fn db_backends() -> Vec<DbBackend> {
    let mut backends = vec![DbBackend::Sqlite];
    if service_available("PostgreSQL", &postgres_admin_url()) {
        backends.push(DbBackend::Postgres);
    }
    backends
}

/// A database that exists for one test and is dropped with it.
pub struct TestDb {
    pub url: String,
    pub backend: DbBackend,
    postgres_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create(backend: DbBackend) -> Self {
        match backend {
            DbBackend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/automat.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    backend,
                    postgres_name: None,
                    _dir: Some(dir),
                }
            }
            DbBackend::Postgres => {
                let name = format!(
                    "automat_test_{}",
                    ulid::Ulid::new().to_string().to_lowercase()
                );
                let admin = Database::connect(postgres_admin_url())
                    .await
                    .expect("PostgreSQL answers");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_db_name(&postgres_admin_url(), &name);
                Self {
                    url,
                    backend,
                    postgres_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        // Drop runs inside a test's runtime; a fresh one on its own thread can block.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let admin = Database::connect(postgres_admin_url()).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test database: {dropped:?}");
        }
    }
}

pub fn postgres_admin_url() -> String {
    std::env::var("AUTOMAT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

pub fn mosquitto_url() -> Option<String> {
    let url = std::env::var("AUTOMAT_TEST_MOSQUITTO_URL")
        .unwrap_or_else(|_| DEFAULT_MOSQUITTO_URL.to_owned());
    service_available("Mosquitto", &url).then_some(url)
}

pub fn redis_url() -> Option<String> {
    let url =
        std::env::var("AUTOMAT_TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    service_available("Redis", &url).then_some(url)
}

/// Whether the server behind `url` accepts TCP connections. Under CI a
/// missing server panics: the suite must not pass by testing less.
pub fn service_available(name: &str, url: &str) -> bool {
    let reachable = host_port(url)
        .and_then(|hp| hp.to_socket_addrs().ok()?.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        });
    if !reachable {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{name} at {url} does not answer, and CI=true requires it");
        }
        eprintln!(
            "WARNING: {name} at {url} does not answer; tests against it are SKIPPED (set CI=true to fail instead)"
        );
    }
    reachable
}

fn host_port(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    Some(host_port.to_owned())
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("a PostgreSQL URL names a database");
    format!("{base}/{name}")
}

/// Polls `check` until it holds or `within` passes.
pub async fn eventually<F: AsyncFn() -> bool>(within: Duration, what: &str, check: F) {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {within:?} waiting for: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432/postgres").as_deref(),
            Some("127.0.0.1:5432")
        );
        assert_eq!(
            host_port("mqtt://127.0.0.1:1883").as_deref(),
            Some("127.0.0.1:1883")
        );
        assert_eq!(
            replace_db_name("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
    }
}
