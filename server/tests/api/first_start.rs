//! The `automat` binary as a newcomer runs it: no configuration at all.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::eventually;

struct Running {
    child: Child,
    banner: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary in `dir` with only ports overridden (tests run side by
/// side) and reads the banner it prints.
fn start(dir: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_automat"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTOMAT_HTTP_ADDR", "127.0.0.1:0")
        .env("AUTOMAT_MQTT_EMBEDDED_ADDR", "127.0.0.1:0")
        .env("AUTOMAT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut banner = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("Simulated machines");
        banner.push(line);
        if done {
            break;
        }
    }
    Running { child, banner }
}

fn field<'a>(banner: &'a [String], label: &str) -> &'a str {
    banner
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label} in {banner:?}"))
        .trim()
}

#[tokio::test]
async fn the_first_start_creates_a_working_demo_store() {
    let dir = tempfile::tempdir().unwrap();
    let first = start(dir.path());
    let base = field(&first.banner, "Storefront").to_owned();
    let (email, password) = field(&first.banner, "Admin login")
        .split_once(" / ")
        .expect("email / password");
    let key = field(&first.banner, "Publishable key")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(email, "admin@automat.local");
    assert!(key.starts_with("pk_"));
    assert!(
        dir.path().join("data/automat.db").exists(),
        "SQLite lives under ./data"
    );

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    eventually(Duration::from_secs(5), "the store is ready", async || {
        client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
    })
    .await;
    let products: serde_json::Value = client
        .get(format!("{base}/store/products"))
        .header("x-publishable-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(products["count"], 8, "the demo catalog is seeded");

    let login = client
        .post(format!("{base}/api/admin/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(login.status().is_success(), "the printed credentials work");
    eventually(
        Duration::from_secs(10),
        "the three simulated machines are online",
        async || {
            let html = client
                .get(format!("{base}/admin/devices"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            html.matches(">online<").count() == 3
        },
    )
    .await;
    let password = password.to_owned();
    drop(first);

    let second = start(dir.path());
    let login_line = field(&second.banner, "Admin login");
    assert!(
        !login_line.contains(&password),
        "the password is printed only when created"
    );
    let base = field(&second.banner, "Storefront");
    let products: serde_json::Value = client
        .get(format!("{base}/store/products"))
        .header("x-publishable-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        products["count"], 8,
        "a restart seeds nothing twice and keeps the key"
    );
}
