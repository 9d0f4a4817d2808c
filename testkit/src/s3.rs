//! An S3-compatible server of the test's own: moto in server mode (from the
//! Python registry; `scripts/moto.sh` installs it), on a free port.

use std::{
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::mosquitto::free_port;

pub struct S3Server {
    /// `http://127.0.0.1:port`, to be addressed path-style.
    pub endpoint: String,
    child: Child,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where `scripts/moto.sh` puts `moto_server` (or `AUTOMAT_TEST_MOTO_SERVER`).
fn moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("AUTOMAT_TEST_MOTO_SERVER") {
        return path.into();
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("automat/moto/bin/moto_server")
}

impl S3Server {
    /// Starts moto and waits until it answers; `None`, with a warning, when
    /// it is not installed (under `CI=true` that is a failure instead).
    pub fn start() -> Option<Self> {
        let binary = moto_server();
        if !binary.exists() {
            let hint = "scripts/moto.sh installs it";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{} is needed and CI=true requires it ({hint})",
                    binary.display()
                );
            }
            eprintln!(
                "WARNING: {} is not installed ({hint}); the S3 storage tests are SKIPPED",
                binary.display()
            );
            return None;
        }
        let port = free_port();
        let mut child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto_server exited at start ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        })
    }
}
