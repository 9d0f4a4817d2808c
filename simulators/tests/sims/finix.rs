//! The Finix simulator over HTTP, as a Finix client sees it.

use serde_json::{Value, json};
use simulators::{
    Faults,
    finix::{self as sim, FinixConfig, FinixSimulator, WebhookAuth},
};

use crate::{Receiver, eventually};

struct Finix {
    sim: FinixSimulator,
    http: reqwest::Client,
}

async fn start() -> Finix {
    Finix {
        sim: sim::spawn(FinixConfig::default()).await.unwrap(),
        http: reqwest::Client::new(),
    }
}

impl Finix {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let config = self.sim.config();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.sim.api_base()))
            .basic_auth(&config.username, Some(&config.password))
            .header("Finix-Version", "2022-02-01");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// What Finix.js does in the browser: a token from card data.
    async fn token(&self, number: &str) -> String {
        let response = self
            .http
            .post(format!(
                "{}applications/{}/tokens",
                self.sim.api_base(),
                self.sim.config().application_id
            ))
            .json(&json!({
                "type": "PAYMENT_CARD",
                "number": number,
                "expiration_month": 12,
                "expiration_year": 2034,
                "security_code": "123",
                "name": "Ada Lovelace",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let token: Value = response.json().await.unwrap();
        assert_eq!(token["instrument_type"], "PAYMENT_CARD");
        token["id"].as_str().unwrap().to_owned()
    }

    /// A buyer with a card saved from a token: the payment instrument id.
    async fn instrument(&self, number: &str) -> String {
        let (status, identity) = self
            .post(
                "identities",
                json!({"entity": {"first_name": "Ada", "email": "ada@example.com"}, "tags": {"customer": "cus_1"}}),
            )
            .await;
        assert_eq!(status, 201, "{identity}");
        let token = self.token(number).await;
        let (status, instrument) = self
            .post(
                "payment_instruments",
                json!({"type": "TOKEN", "token": token, "identity": identity["id"]}),
            )
            .await;
        assert_eq!(status, 201, "{instrument}");
        assert_eq!(instrument["last_four"], &number[number.len() - 4..]);
        instrument["id"].as_str().unwrap().to_owned()
    }

    fn payment(&self, source: &str, amount: i64) -> Value {
        json!({
            "merchant": self.sim.config().merchant_id,
            "source": source,
            "amount": amount,
            "currency": "USD",
            "tags": {"order": "order_1"},
        })
    }
}

/// Finix-Signature's `sig`, computed here rather than by the simulator:
/// HMAC-SHA256 of `{timestamp}:{body}` with the signing key, hex.
fn expected_sig(key: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{timestamp}:{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn error(body: &Value) -> &Value {
    &body["_embedded"]["errors"][0]
}

#[tokio::test]
async fn credentials_version_and_fields_are_checked() {
    let finix = start().await;
    let response = finix
        .http
        .get(format!("{}identities/IDx", finix.sim.api_base()))
        .basic_auth("USnobody", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error(&body)["code"], "UNKNOWN");

    let (status, body) = finix.get("identities/IDmissing").await;
    assert_eq!((status, &error(&body)["code"]), (404, &json!("NOT_FOUND")));

    let instrument = finix.instrument("4242424242424242").await;
    let mut payment = finix.payment(&instrument, 1000);
    payment["captur_amount"] = json!(5);
    let (status, body) = finix.post("authorizations", payment).await;
    assert_eq!(status, 400);
    assert!(
        error(&body)["message"]
            .as_str()
            .unwrap()
            .contains("captur_amount")
    );
    let (status, body) = finix
        .post(
            "authorizations",
            json!({"merchant": finix.sim.config().merchant_id}),
        )
        .await;
    assert_eq!((status, &error(&body)["field"]), (422, &json!("amount")));

    let response = finix
        .http
        .get(format!(
            "{}payment_instruments/{instrument}",
            finix.sim.api_base()
        ))
        .basic_auth(
            &finix.sim.config().username,
            Some(&finix.sim.config().password),
        )
        .header("Finix-Version", "latest")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        finix.sim.requests()[0..2]
            .iter()
            .map(|r| r.version.clone())
            .collect::<Vec<_>>(),
        [None, Some("2022-02-01".into())]
    );
}

#[tokio::test]
async fn authorize_capture_less_then_refund_in_part_and_in_full() {
    let finix = start().await;
    let instrument = finix.instrument("4242424242424242").await;
    let (status, auth) = finix
        .post("authorizations", finix.payment(&instrument, 2000))
        .await;
    assert_eq!(status, 201, "{auth}");
    assert_eq!(auth["state"], "SUCCEEDED");
    assert!(auth["id"].as_str().unwrap().starts_with("AU"));
    assert_eq!(auth["transfer"], Value::Null);
    let path = format!("authorizations/{}", auth["id"].as_str().unwrap());

    let (status, body) = finix.put(&path, json!({"capture_amount": 2001})).await;
    assert_eq!(
        (status, &error(&body)["field"]),
        (422, &json!("capture_amount"))
    );
    let (status, captured) = finix
        .put(&path, json!({"capture_amount": 1500, "fee": 0}))
        .await;
    assert_eq!(status, 200, "{captured}");
    let transfer_id = captured["transfer"].as_str().unwrap().to_owned();
    let (_, transfer) = finix.get(&format!("transfers/{transfer_id}")).await;
    assert_eq!(transfer["amount"], 1500);
    assert_eq!(transfer["type"], "DEBIT");
    eventually("the capture settles", async || {
        finix.sim.object(&transfer_id).unwrap()["state"] == "SUCCEEDED"
    })
    .await;
    let (status, _) = finix.put(&path, json!({"capture_amount": 100})).await;
    assert_eq!(status, 422, "captured once only");

    let reversals = format!("transfers/{transfer_id}/reversals");
    let (status, partial) = finix.post(&reversals, json!({"refund_amount": 500})).await;
    assert_eq!(status, 201, "{partial}");
    assert_eq!(
        (&partial["type"], &partial["state"]),
        (&json!("REVERSAL"), &json!("PENDING"))
    );
    assert_eq!(partial["parent_transfer"], json!(transfer_id));
    let (status, body) = finix.post(&reversals, json!({"refund_amount": 1001})).await;
    assert_eq!(
        (status, &error(&body)["field"]),
        (422, &json!("refund_amount"))
    );
    let (status, _) = finix.post(&reversals, json!({"refund_amount": 1000})).await;
    assert_eq!(status, 201);
    let (_, list) = finix.get(&reversals).await;
    assert_eq!(list["_embedded"]["transfers"].as_array().unwrap().len(), 2);
    let (status, _) = finix.post(&reversals, json!({"refund_amount": 1})).await;
    assert_eq!(status, 422, "nothing left to refund");
}

#[tokio::test]
async fn a_voided_authorization_cannot_be_captured() {
    let finix = start().await;
    let instrument = finix.instrument("5555555555554444").await;
    let (_, auth) = finix
        .post("authorizations", finix.payment(&instrument, 2000))
        .await;
    let path = format!("authorizations/{}", auth["id"].as_str().unwrap());
    let (status, voided) = finix.put(&path, json!({"void_me": true})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (&voided["is_void"], &voided["void_state"]),
        (&json!(true), &json!("PENDING"))
    );
    eventually("the void settles", async || {
        finix.sim.object(auth["id"].as_str().unwrap()).unwrap()["void_state"] == "SUCCEEDED"
    })
    .await;
    let (status, _) = finix.put(&path, json!({"capture_amount": 2000})).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn declines_answer_402_with_the_failure_code() {
    let finix = start().await;
    let instrument = finix.instrument("4242424242424242").await;
    // Finix's sandbox amount for insufficient funds…
    let (status, body) = finix
        .post("authorizations", finix.payment(&instrument, 193))
        .await;
    assert_eq!(status, 402);
    let e = error(&body);
    assert_eq!(
        (&e["code"], &e["failure_code"]),
        (&json!("DECLINED"), &json!("INSUFFICIENT_FUNDS"))
    );
    let failed = e["_links"]["authorization"]["href"].as_str().unwrap();
    let failed = failed.rsplit('/').next().unwrap();
    let (_, auth) = finix.get(&format!("authorizations/{failed}")).await;
    assert_eq!(auth["state"], "FAILED");
    assert_eq!(auth["failure_code"], "INSUFFICIENT_FUNDS");

    // …and the simulator's declining card number, for sales too.
    let declining = finix.instrument("4000000000000002").await;
    let (status, body) = finix
        .post("transfers", finix.payment(&declining, 1000))
        .await;
    assert_eq!(
        (status, &error(&body)["failure_code"]),
        (402, &json!("GENERIC_DECLINE"))
    );
    assert_eq!(finix.sim.debit_count(), 0);
}

#[tokio::test]
async fn an_idempotency_id_replays_the_first_answer() {
    let finix = start().await;
    let instrument = finix.instrument("4242424242424242").await;
    let mut sale = finix.payment(&instrument, 1000);
    sale["idempotency_id"] = json!("order-1-payment-1");
    let (status, first) = finix.post("transfers", sale.clone()).await;
    assert_eq!((status, &first["state"]), (201, &json!("SUCCEEDED")));
    let (status, again) = finix.post("transfers", sale.clone()).await;
    assert_eq!((status, &again["id"]), (201, &first["id"]));
    assert_eq!(finix.sim.debit_count(), 1);
    assert!(finix.sim.requests().last().unwrap().replayed);

    sale["amount"] = json!(1200);
    let (status, body) = finix.post("transfers", sale).await;
    assert_eq!(
        (status, &error(&body)["field"]),
        (422, &json!("idempotency_id"))
    );

    // A late answer: the sale happened, the retry gets it back.
    finix.sim.set_faults(Faults {
        delay_next: 1,
        response_delay_ms: 600,
        ..Faults::default()
    });
    let mut sale = finix.payment(&instrument, 700);
    sale["idempotency_id"] = json!("order-2-payment-1");
    let impatient = finix
        .http
        .post(format!("{}transfers", finix.sim.api_base()))
        .basic_auth(
            &finix.sim.config().username,
            Some(&finix.sim.config().password),
        )
        .timeout(std::time::Duration::from_millis(100))
        .json(&sale)
        .send()
        .await;
    assert!(impatient.unwrap_err().is_timeout());
    let (status, _) = finix.post("transfers", sale).await;
    assert_eq!(status, 201);
    assert_eq!(finix.sim.debit_count(), 2);
}

#[tokio::test]
async fn capture_of_an_expired_authorization_is_declined() {
    let finix = start().await;
    let instrument = finix.instrument("4242424242424242").await;
    let (_, auth) = finix
        .post("authorizations", finix.payment(&instrument, 2000))
        .await;
    let id = auth["id"].as_str().unwrap();
    finix.sim.expire_authorization(id).unwrap();
    let (status, body) = finix
        .put(
            &format!("authorizations/{id}"),
            json!({"capture_amount": 2000}),
        )
        .await;
    assert_eq!(
        (status, &error(&body)["failure_code"]),
        (402, &json!("AUTHORIZATION_EXPIRED_OR_ALREADY_CAPTURED"))
    );

    let lapsing = finix.instrument("4000000000007726").await;
    let (_, auth) = finix
        .post("authorizations", finix.payment(&lapsing, 2000))
        .await;
    let (status, _) = finix
        .put(
            &format!("authorizations/{}", auth["id"].as_str().unwrap()),
            json!({"capture_amount": 100}),
        )
        .await;
    assert_eq!(status, 402);
}

#[tokio::test]
async fn webhooks_carry_basic_auth_and_a_signature() {
    let finix = start().await;
    let receiver = Receiver::start().await;
    finix.sim.webhooks().set_url(Some(receiver.url.clone()));
    let instrument = finix.instrument("4242424242424242").await;
    let (_, auth) = finix
        .post("authorizations", finix.payment(&instrument, 888_888))
        .await;
    finix
        .put(
            &format!("authorizations/{}", auth["id"].as_str().unwrap()),
            json!({"capture_amount": 888_888}),
        )
        .await;
    let dispute = receiver.wait_for("dispute.created").await;
    receiver.wait_for("transfer.updated").await;
    assert_eq!(
        receiver.types(),
        [
            "identity.created",
            "instrument.created",
            "authorization.created",
            "authorization.updated",
            "transfer.created",
            "dispute.created",
            "transfer.updated",
        ]
    );
    assert!(dispute.json()["id"].as_str().unwrap().starts_with("EV"));
    assert_eq!(
        dispute.json()["_embedded"]["disputes"][0]["reason"],
        "FRAUD"
    );

    let WebhookAuth::Basic { username, password } = &finix.sim.config().webhook_auth else {
        panic!("basic auth by default");
    };
    let basic = reqwest::Client::new()
        .get("http://x")
        .basic_auth(username, Some(password))
        .build()
        .unwrap()
        .headers()["authorization"]
        .clone();
    for delivery in receiver.received() {
        assert_eq!(delivery.header("authorization"), basic.to_str().ok());
        let signature = delivery.header("finix-signature").unwrap();
        let (timestamp, sig) = signature.split_once(", ").unwrap();
        let timestamp: i64 = timestamp
            .strip_prefix("timestamp=")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            sig.strip_prefix("sig=").unwrap(),
            expected_sig(
                &finix.sim.config().webhook_signing_key,
                timestamp,
                &delivery.body
            )
        );
    }
}

#[tokio::test]
async fn a_webhook_created_through_the_api_gets_its_own_key_and_bearer_auth() {
    let finix = start().await;
    let receiver = Receiver::start().await;
    let (status, webhook) = finix
        .post(
            "webhooks",
            json!({
                "url": receiver.url,
                "authentication": {"type": "BEARER", "bearer": {"token": "hook-token"}},
                "enabled_events": [],
            }),
        )
        .await;
    assert_eq!(status, 201, "{webhook}");
    assert!(webhook["id"].as_str().unwrap().starts_with("WH"));
    let key = webhook["secret_signing_key"].as_str().unwrap().to_owned();
    assert_ne!(key, finix.sim.config().webhook_signing_key);
    finix.post("identities", json!({"entity": {}})).await;
    let delivery = receiver.wait_for("identity.created").await;
    assert_eq!(delivery.header("authorization"), Some("Bearer hook-token"));
    let (timestamp, _) = delivery
        .header("finix-signature")
        .unwrap()
        .split_once(", ")
        .unwrap();
    let timestamp: i64 = timestamp
        .strip_prefix("timestamp=")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        delivery.header("finix-signature").unwrap(),
        format!(
            "timestamp={timestamp}, sig={}",
            expected_sig(&key, timestamp, &delivery.body)
        )
    );
}

#[tokio::test]
async fn a_token_is_used_once_and_a_disabled_card_is_refused() {
    let finix = start().await;
    let (_, identity) = finix.post("identities", json!({"entity": {}})).await;
    let token = finix.token("4242424242424242").await;
    let body = json!({"type": "TOKEN", "token": token, "identity": identity["id"]});
    let (status, instrument) = finix.post("payment_instruments", body.clone()).await;
    assert_eq!(status, 201);
    let (status, _) = finix.post("payment_instruments", body).await;
    assert_eq!(status, 422);
    let id = instrument["id"].as_str().unwrap();
    let (_, listed) = finix
        .get(&format!(
            "payment_instruments?owner_identity_id={}",
            identity["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        listed["_embedded"]["payment_instruments"][0]["id"],
        json!(id)
    );
    let (status, disabled) = finix
        .put(
            &format!("payment_instruments/{id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!((status, &disabled["enabled"]), (200, &json!(false)));
    let (status, _) = finix.post("authorizations", finix.payment(id, 1000)).await;
    assert_eq!(status, 422);

    let js = finix
        .http
        .get(finix.sim.finix_js_url())
        .send()
        .await
        .unwrap();
    assert!(js.text().await.unwrap().contains("PaymentForm"));
}
