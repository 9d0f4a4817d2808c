//! The simulator over HTTP, as a client sees it.

use std::time::Duration;

use loyalty_host::{Faults, HostConfig, TransactionStatus};
use serde_json::{Value, json};

const PHONE: &str = "+1 555 010 0001";

struct Host {
    base: String,
    handle: loyalty_host::HostHandle,
    http: reqwest::Client,
}

async fn start() -> Host {
    let (addr, handle) = loyalty_host::spawn(HostConfig::demo()).await.unwrap();
    Host {
        base: format!("http://{addr}"),
        handle,
        http: reqwest::Client::new(),
    }
}

impl Host {
    async fn token(&self, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/oauth2/token", self.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "automat-demo"),
                ("client_secret", secret),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn access_token(&self) -> String {
        let body: Value = self
            .token("automat-demo-secret")
            .await
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn call(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn basket() -> Value {
    json!([
        {"lineId": "l1", "itemCode": "COLD-BREW-COFFEE", "quantity": 2, "unitPrice": 350},
        {"lineId": "l2", "itemCode": "VEGAN-BUDDHA-BOWL", "quantity": 1, "unitPrice": 900}
    ])
}

#[tokio::test]
async fn client_credentials_are_checked_and_tokens_expire() {
    let host = start().await;
    assert_eq!(host.token("wrong").await.status(), 401);
    host.handle.set_token_lifetime(Duration::from_millis(300));
    let body: Value = host
        .token("automat-demo-secret")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap();
    let identify = json!({"phone": PHONE, "posSequenceId": "seq-1"});
    let (status, _) = host
        .call(token, "/loyalty/v1/members/identify", identify.clone())
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, _) = host
        .call(token, "/loyalty/v1/members/identify", identify)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn identify_calculate_finalize_and_cancel() {
    let host = start().await;
    let token = host.access_token().await;
    let (status, member) = host
        .call(
            &token,
            "/loyalty/v1/members/identify",
            json!({"phone": PHONE, "posSequenceId": "seq-1"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(member["memberId"], "************5678");
    assert_eq!(member["pointsBalance"], 1200);
    let (status, _) = host
        .call(
            &token,
            "/loyalty/v1/members/identify",
            json!({"phone": "000", "posSequenceId": "seq-2"}),
        )
        .await;
    assert_eq!(status, 404);

    let (status, calculated) = host
        .call(
            &token,
            "/loyalty/v1/rewards/calculate",
            json!({"posSequenceId": "seq-1", "lines": basket()}),
        )
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = calculated["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rewardId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"coffee-50:l1") && ids.contains(&"ticket-10pct"),
        "{ids:?}"
    );

    let finalize = json!({"posSequenceId": "seq-1", "lines": basket(), "appliedRewardIds": ["coffee-50:l1", "ticket-10pct", "double-points-food"]});
    let (status, first) = host
        .call(
            &token,
            "/loyalty/v1/transactions/finalize",
            finalize.clone(),
        )
        .await;
    assert_eq!(status, 200, "{first}");
    // 1600 - 100 - 160 = 1340 paid → 13 points, doubled.
    assert_eq!(first["pointsEarned"], 26);
    assert_eq!(first["pointsRedeemed"], 100);
    assert_eq!(host.handle.points_balance(PHONE), Some(1200 + 26 - 100));
    let (_, again) = host
        .call(&token, "/loyalty/v1/transactions/finalize", finalize)
        .await;
    assert_eq!(
        again["confirmationId"], first["confirmationId"],
        "idempotent per sequence id"
    );
    assert_eq!(
        host.handle.points_balance(PHONE),
        Some(1126),
        "recorded once"
    );

    let (status, _) = host
        .call(&token, "/loyalty/v1/transactions/seq-1/cancel", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(host.handle.points_balance(PHONE), Some(1200), "reversed");
    let transaction = host.handle.transaction("seq-1").unwrap();
    assert_eq!(transaction.status, TransactionStatus::Cancelled);
    assert_eq!(transaction.finalize_calls, 2);
}

#[tokio::test]
async fn fault_switches() {
    let host = start().await;
    let token = host.access_token().await;
    let identify = json!({"phone": PHONE, "posSequenceId": "seq-1"});
    host.handle.set_faults(Faults {
        force_unauthorized: true,
        ..Faults::default()
    });
    assert_eq!(
        host.call(&token, "/loyalty/v1/members/identify", identify.clone())
            .await
            .0,
        401
    );
    // Over HTTP, as an operator would.
    let set = host
        .http
        .post(format!("{}/admin/faults", host.base))
        .json(&json!({"error_rate": 1.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    assert_eq!(
        host.call(&token, "/loyalty/v1/members/identify", identify.clone())
            .await
            .0,
        503
    );
    host.handle.set_faults(Faults {
        latency_ms: 200,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(
        host.call(&token, "/loyalty/v1/members/identify", identify.clone())
            .await
            .0,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    host.handle.set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let hung = tokio::time::timeout(
        Duration::from_millis(300),
        host.call(&token, "/loyalty/v1/members/identify", identify),
    )
    .await;
    assert!(hung.is_err(), "a hanging host never answers");
}

#[tokio::test]
async fn an_inquiry_reads_a_balance_without_opening_a_transaction() {
    let host = start().await;
    let token = host.access_token().await;
    let inquiry = |phone: &'static str| json!({ "phone": phone });
    let (status, member) = host
        .call(&token, "/loyalty/v1/members/inquiry", inquiry(PHONE))
        .await;
    assert_eq!(status, 200, "{member}");
    assert_eq!(member["memberId"], "************5678");
    assert_eq!(member["pointsBalance"], 1200);
    let (status, body) = host
        .call(&token, "/loyalty/v1/members/inquiry", inquiry("000"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("MEMBER_NOT_FOUND"))
    );
    let (status, _) = host
        .call(
            &token,
            "/loyalty/v1/rewards/calculate",
            json!({"posSequenceId": "never-identified", "lines": basket()}),
        )
        .await;
    assert_eq!(status, 404, "no transaction was opened");
}
