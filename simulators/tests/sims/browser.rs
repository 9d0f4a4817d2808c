//! The stripe.js and finix.js stand-ins in Chromium (tests/browser/stand_ins.mjs).
//! Needs node, Chromium and end2end's node_modules, which scripts/e2e.sh
//! installs (or `npm ci` in end2end/); `make test` prepares them before the
//! cargo tests. When one is missing the test is skipped with a warning, and
//! under `CI=true` it fails instead.

use std::{path::Path, time::Duration};

use simulators::{finix, stripe};

#[tokio::test]
async fn the_stand_ins_work_in_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node = std::process::Command::new("node").arg("--version").output();
    let missing = [
        (node.is_err(), "node".to_owned()),
        (!Path::new(&chromium).exists(), chromium.clone()),
        (
            !repo.join("end2end/node_modules/playwright-core").exists(),
            "end2end/node_modules (npm ci in end2end/)".to_owned(),
        ),
    ]
    .into_iter()
    .filter(|(absent, _)| *absent)
    .map(|(_, what)| what)
    .collect::<Vec<_>>();
    if !missing.is_empty() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the browser test of the stand-ins cannot run under CI: missing {missing:?}"
        );
        eprintln!(
            "warning: skipping the browser test of the stand-ins, missing {missing:?} (scripts/e2e.sh installs them)"
        );
        return;
    }

    let stripe = stripe::spawn(stripe::StripeConfig::default())
        .await
        .unwrap();
    let finix = finix::spawn(finix::FinixConfig::default()).await.unwrap();
    let run = tokio::process::Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/stand_ins.mjs"))
        .env("STRIPE_URL", stripe.api_base())
        .env("STRIPE_SK", &stripe.config().secret_key)
        .env("STRIPE_PK", &stripe.config().publishable_key)
        .env("FINIX_URL", finix.api_base())
        .env("FINIX_APP", &finix.config().application_id)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser run finishes within two minutes")
        .unwrap();
    assert!(
        output.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The shop page never sent card data to anyone but the simulator.
    assert!(
        stripe
            .requests()
            .iter()
            .filter(|r| r.params.to_string().contains("4242424242424242"))
            .all(|r| r.browser && r.path == "/v1/payment_methods")
    );
}
