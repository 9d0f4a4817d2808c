//! A configured secret too short to be safe stops the store at start, with a
//! message that names the setting and never shows the value.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::{Options, spawn_app};

/// Runs `automat` in an empty directory with `name=value`; its exit code
/// and what it printed on stderr.
fn start_with(name: &str, value: &str, dir: &std::path::Path) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_automat"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTOMAT_HTTP_ADDR", "127.0.0.1:0")
        .env("AUTOMAT_MQTT_EMBEDDED_ADDR", "127.0.0.1:0")
        .env("AUTOMAT_LOYALTY_EMBEDDED_ADDR", "127.0.0.1:0")
        .env("AUTOMAT_LOG", "warn")
        .env(name, value)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("automat kept running with a short {name}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_short_secret_is_refused_at_start() {
    for name in ["AUTOMAT_JWT_SECRET", "AUTOMAT_LOYALTY_SECRET_KEY"] {
        let dir = tempfile::tempdir().unwrap();
        let short = "0123456789abcdef0123456789abcde"; // 31 bytes
        let (code, stderr) = start_with(name, short, dir.path());
        assert_ne!(code, Some(0), "{stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("at least 32"),
            "the setting and the rule are named: {stderr}"
        );
        assert!(!stderr.contains(short), "the value is not: {stderr}");
        assert!(
            !dir.path().join("data").exists(),
            "refused before anything is created"
        );
    }
}

#[tokio::test]
async fn secrets_of_32_bytes_are_accepted() {
    let mut options = Options::on(testkit::DbBackend::Sqlite);
    options.jwt_secret = Some("k".repeat(32));
    options.settings.loyalty_secret_key = Some("l".repeat(32));
    let app = spawn_app(options).await;
    let (status, _) = crate::get_json(&app, "/store/regions", Some(&app.publishable_key)).await;
    assert_eq!(status, 200);
}
