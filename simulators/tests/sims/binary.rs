//! The `automat-simulators` program, as the browser tests start it, steered
//! through the HTTP test hooks.

use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{Receiver, eventually};

#[tokio::test]
async fn the_program_prints_its_addresses_and_obeys_the_http_hooks() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_automat-simulators"))
        .args([
            "--stripe-addr",
            "127.0.0.1:0",
            "--finix-addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addresses: Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let stripe = addresses["stripe"].as_str().unwrap().to_owned();
    let finix = addresses["finix"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let js = http
        .get(addresses["stripe_js"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    let js = http
        .get(addresses["finix_js"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);

    // Webhooks: a URL, held, one event delivered on request.
    let receiver = Receiver::start().await;
    let hooks: Value = http
        .post(format!("{stripe}_sim/webhooks"))
        .json(&json!({"url": receiver.url, "hold": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks["url"], json!(receiver.url));
    let secret = "sk_test_automat_simulator";
    let pi: Value = http
        .post(format!("{stripe}v1/payment_intents"))
        .bearer_auth(secret)
        .form(&[
            ("amount", "1000"),
            ("currency", "eur"),
            ("payment_method", "pm_card_visa"),
            ("capture_method", "manual"),
            ("confirm", "true"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status: Value = http
        .get(format!("{stripe}_sim/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pending = status["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 3);
    let delivered: Value = http
        .post(format!(
            "{stripe}_sim/events/{}/deliver",
            pending[2].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        delivered["event_type"],
        "payment_intent.amount_capturable_updated"
    );
    assert_eq!(delivered["status"], 200);
    http.post(format!("{stripe}_sim/webhooks"))
        .json(&json!({"hold": false}))
        .send()
        .await
        .unwrap();
    eventually("the held events", async || receiver.received().len() == 3).await;

    // An expired authorization, a fault, the objects and requests seen.
    let pi_id = pi["id"].as_str().unwrap();
    let expired = http
        .post(format!(
            "{stripe}_sim/payment_intents/{pi_id}/expire_authorization"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 200);
    http.post(format!("{stripe}_sim/faults"))
        .json(&json!({"fail_next": 1}))
        .send()
        .await
        .unwrap();
    let capture = http
        .post(format!("{stripe}v1/payment_intents/{pi_id}/capture"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(capture.status(), 500);
    let capture = http
        .post(format!("{stripe}v1/payment_intents/{pi_id}/capture"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    let body: Value = capture.json().await.unwrap();
    assert_eq!(body["error"]["code"], "charge_expired_for_capture");
    let object: Value = http
        .get(format!("{stripe}_sim/objects/{pi_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(object["status"], "canceled");
    let requests: Value = http
        .get(format!("{stripe}_sim/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 3);

    // Finix: settling held back, then on request.
    let settled: Value = http
        .post(format!("{finix}_sim/settle"))
        .json(&json!({"auto": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settled["settled"], 0);
    child.kill().await.unwrap();
}
