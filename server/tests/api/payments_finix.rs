//! Finix (`pp_finix`) against the local Finix simulator: online checkout
//! through the Store API with a Finix.js token (the browser's part played
//! by the test), a decline, capture and refunds from the Admin API, webhook
//! signatures and replays, a vending hold on a saved card.

use std::time::Duration;

use domain::{alerts, orders, payments, pricing};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use server::{config::FinixSettings, payments::finix as finix_provider};
use simulators::finix::{FinixConfig, FinixSimulator};
use testkit::DbBackend;

use crate::{
    Options, TestApp,
    customers::{signed_up, signed_up_with_id, store},
    eventually, send_json, spawn_app,
    store_carts::{complete, expect, post, ready_cart},
    storefront_checkout::{PICKUP, choose, fill_cart, follow, order_id, submit, testid},
    vending_fixture::{purchase_at_a_fridge, wait_for_state},
};

const FINIX: &str = finix_provider::ID;
const APPROVED: &str = "4111111111111111";
const DECLINED: &str = "4000000000000002";
/// Authorizes; its capture fails as if the authorization had expired.
const CAPTURE_EXPIRES: &str = "4000000000007726";

struct Setup {
    app: TestApp,
    sim: FinixSimulator,
}

fn finix_settings(sim: &FinixSimulator) -> FinixSettings {
    let config = sim.config();
    FinixSettings {
        finix_api_base: sim.api_base(),
        finix_username: Some(config.username.clone()),
        finix_password: Some(config.password.clone()),
        finix_merchant_id: Some(config.merchant_id.clone()),
        finix_application_id: Some(config.application_id.clone()),
        finix_webhook_signing_key: Some(config.webhook_signing_key.clone()),
        finix_js_url: Some(sim.finix_js_url()),
    }
}

fn options_with_finix(backend: DbBackend, sim: &FinixSimulator) -> Options {
    let mut options = Options::on(backend);
    options.settings.finix = finix_settings(sim);
    options
}

/// A store with Finix configured and its demo region offering only Finix;
/// the simulator's webhooks go to the store.
async fn start(backend: DbBackend) -> Setup {
    let sim = simulators::finix::spawn(FinixConfig::default())
        .await
        .unwrap();
    let app = spawn_app(options_with_finix(backend, &sim)).await;
    let token = app.admin_token().await;
    let region = pricing::default_region(&app.db, Some("eur"))
        .await
        .unwrap()
        .unwrap()
        .region;
    let (status, body) = send_json(
        app.admin(
            Method::POST,
            &format!("/admin/regions/{}", region.id),
            &token,
        )
        .json(&json!({ "payment_providers": [FINIX] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    sim.webhooks()
        .set_url(Some(app.url("/hooks/payment/finix")));
    Setup { app, sim }
}

async fn on_every_db_with_finix(test: impl AsyncFn(Setup)) {
    for backend in testkit::db_backends() {
        test(start(backend).await).await;
    }
}

/// What Finix.js does in the browser: a token (`TK…`) from card data,
/// with the application id alone.
async fn tokenize(s: &Setup, number: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{}applications/{}/tokens",
            s.sim.api_base(),
            s.sim.config().application_id
        ))
        .json(&json!({
            "type": "PAYMENT_CARD",
            "number": number,
            "expiration_month": 12,
            "expiration_year": 2040,
            "security_code": "123",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let token: Value = response.json().await.unwrap();
    token["id"].as_str().unwrap().to_owned()
}

/// A cart ready to pay with a Finix session made from a token of `card`:
/// the cart id and the session id (by which Finix's objects are tagged).
async fn cart_paying_with_finix(s: &Setup, card: &str) -> (String, String) {
    let cart_id = ready_cart(&s.app, &[("sparkling-water", 2)]).await;
    let collection = expect(
        200,
        post(
            &s.app,
            "/store/payment-collections",
            json!({ "cart_id": cart_id }),
        )
        .await,
    )["payment_collection"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/store/payment-collections/{collection}/payment-sessions");
    // Without a token there is nothing to pay with.
    let (status, body) = post(&s.app, &path, json!({ "provider_id": FINIX })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("Finix.js token"),
        "{body}"
    );
    let token = tokenize(s, card).await;
    let collection = expect(
        200,
        post(
            &s.app,
            &path,
            json!({ "provider_id": FINIX, "data": { "token": token } }),
        )
        .await,
    )["payment_collection"]
        .clone();
    let session = collection["payment_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["provider_id"] == FINIX)
        .unwrap()
        .clone();
    let instrument = session["data"]["instrument"].as_str().unwrap();
    assert_eq!(
        s.sim.object(instrument).unwrap()["last_four"],
        &card[card.len() - 4..]
    );
    (cart_id, session["id"].as_str().unwrap().to_owned())
}

async fn payment_of(s: &Setup, session_id: &str) -> payments::payment::Model {
    payments::payment::Entity::find()
        .filter(payments::payment::Column::ProviderReference.eq(session_id))
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("a payment for the session")
}

/// How many events of `kind` the store has handled.
async fn handled(s: &Setup, kind: &str) -> u64 {
    payments::events::entity::Entity::find()
        .filter(payments::events::entity::Column::ProviderId.eq(FINIX))
        .filter(payments::events::entity::Column::EventType.eq(kind))
        .count(&s.app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_card_payment_places_the_order_and_refunds_go_back_in_parts() {
    on_every_db_with_finix(async |s| {
        let (cart_id, session_id) = cart_paying_with_finix(&s, APPROVED).await;
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (200, Some("order")),
            "{body}"
        );
        let payment = payment_of(&s, &session_id).await;
        assert_eq!((payment.amount, payment.captured_amount), (300, 0));
        let data: Value = serde_json::from_str(&payment.data).unwrap();
        let authorization_id = data["authorization"].as_str().unwrap().to_owned();
        let authorization = s.sim.object(&authorization_id).unwrap();
        assert_eq!(authorization["amount"], 300, "2 × €1.50, in cents");
        assert_eq!(authorization["currency"], "EUR");
        assert_eq!(authorization["tags"]["session_id"], session_id.as_str());
        assert_eq!(
            authorization["idempotency_id"],
            format!("{session_id}:authorize")
        );

        let token = s.app.admin_token().await;
        let admin_post = |path: String, body: Value| {
            send_json(s.app.admin(Method::POST, &path, &token).json(&body))
        };
        let (status, body) =
            admin_post(format!("/admin/payments/{}/capture", payment.id), json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["payment"]["captured_amount"], 300);
        let transfer_id = s.sim.object(&authorization_id).unwrap()["transfer"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(s.sim.object(&transfer_id).unwrap()["amount"], 300);
        let (status, body) = admin_post(
            format!("/admin/payments/{}/refund", payment.id),
            json!({ "amount": 100 }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["payment"]["refunded_amount"], 100);
        let (status, body) = admin_post(
            format!("/admin/payments/{}/refund", payment.id),
            json!({ "amount": 201 }),
        )
        .await;
        assert_eq!(status, 400, "no more than what is left: {body}");
        let order = orders::find_by_cart(&s.app.db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        let (status, body) = send_json(s.app.admin(
            Method::POST,
            &format!("/admin/orders/{}/cancel", order.order.id),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(payment_of(&s, &session_id).await.refunded_amount, 300);
        let reversals: Vec<_> = s
            .sim
            .requests()
            .into_iter()
            .filter(|r| {
                r.method == "POST" && r.path == format!("/transfers/{transfer_id}/reversals")
            })
            .map(|r| (r.params["refund_amount"].clone(), r.idempotency_key))
            .collect();
        assert_eq!(
            reversals,
            [
                (json!(100), Some(format!("{}:refund:0:100", payment.id))),
                (json!(200), Some(format!("{}:refund:100:200", payment.id))),
            ]
        );

        // Finix reports the capture and both reversals; delivered again,
        // they change nothing.
        eventually(
            Duration::from_secs(10),
            "the capture and both reversals are reported settled",
            async || handled(&s, "transfer.updated").await >= 3,
        )
        .await;
        for event in s.sim.events_of_type("transfer.updated") {
            let replay = s
                .sim
                .webhooks()
                .deliver(event["id"].as_str().unwrap())
                .await
                .unwrap();
            assert_eq!(replay.status, Some(200));
        }
        let payment = payment_of(&s, &session_id).await;
        assert_eq!(
            (payment.captured_amount, payment.refunded_amount),
            (300, 300)
        );
        assert_eq!(handled(&s, "transfer.updated").await, 3, "each event once");
        assert_eq!(s.sim.debit_count(), 1, "one debit, never two");
    })
    .await;
}

#[tokio::test]
async fn a_declined_card_places_no_order_and_says_why() {
    on_every_db_with_finix(async |s| {
        let (cart_id, _) = cart_paying_with_finix(&s, DECLINED).await;
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "cart", "{body}");
        assert_eq!(body["error"]["type"], "payment_authorization_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("The card was declined"), "{message}");
        assert!(
            orders::find_by_cart(&s.app.db, &cart_id)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_webhook_with_a_bad_signature_is_refused() {
    let s = start(DbBackend::Sqlite).await;
    cart_paying_with_finix(&s, APPROVED).await;
    let created = s.sim.events_of_type("identity.created");
    let event_id = created[0]["id"].as_str().unwrap();
    let signed = s.sim.webhooks().signed(event_id).unwrap();
    let post = |body: String, signature: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(s.app.url("/hooks/payment/finix"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("finix-signature", signature);
        }
        send_json(request)
    };
    let header = signed.header("Finix-Signature").unwrap().to_owned();
    let tampered = signed.body.replacen("\"identity\"", "\"dispute\"", 1);
    assert_ne!(tampered, signed.body);
    for (body, signature, why) in [
        (tampered, Some(header.clone()), "does not match"),
        (signed.body.clone(), None, "missing"),
        (
            signed.body.clone(),
            Some("timestamp=1, sig=00".to_owned()),
            "more than 300 s",
        ),
    ] {
        let (status, answer) = post(body, signature).await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains("signature") && message.contains(why),
            "{message}"
        );
    }
    let (status, answer) = post(signed.body.clone(), Some(header)).await;
    assert_eq!(status, 200, "{answer}");
}

/// A machine sale paid with a card the shopper saved with their Finix
/// Identity: held on opening, captured for what was taken at settlement.
#[tokio::test]
async fn a_vending_purchase_is_held_and_captured_on_the_saved_card() {
    on_every_db_with_finix(async |s| {
        let (_machine, opened, identity) =
            machine_purchase(&s, "finix-shopper@example.com", APPROVED).await;
        let settled = wait_for_state(&s.app, &opened.id, "settled").await;
        let payment_id = settled.payment_id.clone().unwrap();
        eventually(Duration::from_secs(20), "the capture", async || {
            !payments::operations::has_pending(&s.app.db, &payment_id)
                .await
                .unwrap()
        })
        .await;
        let payment = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        assert!(payment.captured_amount > 0, "{payment:?}");
        let data: Value = serde_json::from_str(&payment.data).unwrap();
        let authorization = s
            .sim
            .object(data["authorization"].as_str().unwrap())
            .unwrap();
        assert_eq!(authorization["source"], saved_source(&s, &identity));
        let transfer = s
            .sim
            .object(authorization["transfer"].as_str().unwrap())
            .unwrap();
        assert_eq!(transfer["amount"], payment.captured_amount);
        assert_eq!(s.sim.debit_count(), 1);
    })
    .await;
}

/// A shopper who saved `card` with their Finix Identity: their token, the
/// customer id and the Identity.
async fn shopper_with_card(s: &Setup, email: &str, card: &str) -> (String, String, String) {
    let (token, customer_id) = signed_up_with_id(&s.app, email).await;
    let (status, body) = send_json(store(
        &s.app,
        Method::POST,
        &format!("/store/customers/me/payment-methods/{FINIX}"),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let identity = body["card_setup"]["identity"].as_str().unwrap().to_owned();
    assert_eq!(
        s.sim.object(&identity).unwrap()["tags"]["customer_id"],
        customer_id.as_str()
    );
    // Finix.js tokenizes the card in the browser; the store saves it.
    let card_token = tokenize(s, card).await;
    let (status, body) = send_json(
        store(
            &s.app,
            Method::POST,
            &format!("/store/customers/me/payment-methods/{FINIX}"),
            Some(&token),
        )
        .json(&json!({ "token": card_token })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["payment_method"]["data"]["card"]["last4"],
        &card[card.len() - 4..],
        "{body}"
    );
    (token, customer_id, identity)
}

#[tokio::test]
async fn a_shopper_saves_lists_and_removes_a_finix_card_and_nobody_else_can() {
    on_every_db_with_finix(async |s| {
        let (token, _, identity) = shopper_with_card(&s, "cards-finix@example.com", APPROVED).await;
        let path = format!("/store/customers/me/payment-methods/{FINIX}");
        let (status, listed) = send_json(store(&s.app, Method::GET, &path, Some(&token))).await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["count"], 1, "{listed}");
        let card = listed["payment_methods"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(s.sim.object(&card).unwrap()["identity"], identity.as_str());

        // A token used once, or made up, saves nothing.
        let (status, body) = send_json(
            store(&s.app, Method::POST, &path, Some(&token))
                .json(&json!({ "token": "TK/../identities" })),
        )
        .await;
        assert_eq!(status, 400, "{body}");

        // Another shopper can neither see nor remove it.
        let other = signed_up(&s.app, "other-finix@example.com").await;
        let (status, theirs) = send_json(store(&s.app, Method::GET, &path, Some(&other))).await;
        assert_eq!(
            (status, theirs["count"].as_u64()),
            (200, Some(0)),
            "{theirs}"
        );
        let (status, _) = send_json(store(
            &s.app,
            Method::DELETE,
            &format!("{path}/{card}"),
            Some(&other),
        ))
        .await;
        assert_eq!(status, 404);
        assert_eq!(s.sim.object(&card).unwrap()["enabled"], true);

        // Nor hold it at a machine; its owner can.
        let fridge = crate::vending_fixture::fridge(&s.app).await;
        let open = |token: &str| {
            let sessions = format!("/store/vending/machines/{}/sessions", fridge.id.as_str());
            send_json(
                store(&s.app, Method::POST, &sessions, Some(token))
                    .json(&json!({ "card_id": card })),
            )
        };
        let (thief, _, _) = shopper_with_card(&s, "thief-finix@example.com", APPROVED).await;
        let (status, body) = open(&thief).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not one of your saved cards"),
            "{body}"
        );
        let (status, body) = open(&token).await;
        assert_eq!(status, 200, "{body}");
        let session =
            crate::vending_fixture::session(&s.app, body["session"]["id"].as_str().unwrap()).await;
        let held = payments::find_payment(&s.app.db, session.payment_id.as_deref().unwrap())
            .await
            .unwrap()
            .data;
        assert!(held.contains(&card), "held on the card chosen: {held}");

        let (status, body) = send_json(store(
            &s.app,
            Method::DELETE,
            &format!("{path}/{card}"),
            Some(&token),
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(s.sim.object(&card).unwrap()["enabled"], false);
        let (_, listed) = send_json(store(&s.app, Method::GET, &path, Some(&token))).await;
        assert_eq!(listed["count"], 0, "{listed}");
    })
    .await;
}

/// A machine of `s`'s store (kept running while the set is held) opened
/// by a shopper who saved `card`: the session, held on the card, and the
/// shopper's Identity.
async fn machine_purchase(
    s: &Setup,
    email: &str,
    card: &str,
) -> (
    tokio::task::JoinSet<()>,
    domain::vending::device_session::Model,
    String,
) {
    let (_, customer_id, identity) = shopper_with_card(s, email, card).await;
    let (machine, opened) = purchase_at_a_fridge(&s.app, &customer_id).await;
    (machine, opened, identity)
}

/// Whether a capture, refund or release of the payment still waits for Finix.
async fn waits_for_finix(db: &domain::db::DatabaseConnection, payment_id: &str) -> bool {
    payments::operations::has_pending(db, payment_id)
        .await
        .unwrap()
}

/// The requests that captured `authorization` at the simulator.
fn captures_of(sim: &FinixSimulator, authorization: &str) -> Vec<simulators::RecordedRequest> {
    let path = format!("/authorizations/{authorization}");
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path == path && r.params.get("capture_amount").is_some())
        .collect()
}

#[tokio::test]
async fn a_capture_that_fails_at_settlement_puts_the_session_in_review_with_an_alert() {
    on_every_db_with_finix(async |s| {
        let (_machine, opened, _) =
            machine_purchase(&s, "lapsed-finix@example.com", CAPTURE_EXPIRES).await;
        wait_for_state(&s.app, &opened.id, "settled").await;
        eventually(
            Duration::from_secs(15),
            "the refused capture puts the session in review",
            async || {
                crate::vending_fixture::session(&s.app, &opened.id)
                    .await
                    .review_reason
                    .is_some()
            },
        )
        .await;
        let settled = crate::vending_fixture::session(&s.app, &opened.id).await;
        let review = settled.review_reason.unwrap_or_default();
        assert!(review.contains("could not be captured"), "{review}");
        assert!(settled.order_id.is_some(), "the sale is on the books");
        let payment_id = settled.payment_id.unwrap();
        let payment = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(payment.captured_amount, 0);
        assert_eq!(s.sim.debit_count(), 0, "no money moved");
        let operations = payments::operations::of_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(operations.len(), 1);
        assert_eq!(operations[0].status, payments::operations::Status::Refused);
        let raised = alerts::alert::Entity::find()
            .filter(alerts::alert::Column::DeviceId.eq(opened.device_id.as_str()))
            .filter(alerts::alert::Column::Kind.eq(alerts::Kind::PaymentCaptureFailed))
            .one(&s.app.db)
            .await
            .unwrap()
            .expect("an alert");
        assert!(raised.message.contains(&opened.id), "{}", raised.message);
    })
    .await;
}

/// The server dies after Finix captured and before the capture was
/// recorded: the next server asks again, finds the authorization captured,
/// and records it; the money moves once.
#[tokio::test]
async fn a_capture_cut_short_by_a_crash_is_finished_after_the_restart_without_debiting_twice() {
    for backend in testkit::db_backends() {
        let s = start(backend).await;
        // Only the store's own calls record the capture here.
        s.sim.webhooks().set_url(None);
        let (machine, opened, _) = machine_purchase(&s, "crash-finix@example.com", APPROVED).await;
        let settled = {
            s.sim.set_faults(simulators::Faults {
                delay_next: 1,
                response_delay_ms: 5000,
                ..Default::default()
            });
            wait_for_state(&s.app, &opened.id, "settled").await
        };
        let payment_id = settled.payment_id.clone().unwrap();
        let data: Value = serde_json::from_str(
            &payments::find_payment(&s.app.db, &payment_id)
                .await
                .unwrap()
                .data,
        )
        .unwrap();
        let authorization = data["authorization"].as_str().unwrap().to_owned();
        eventually(
            Duration::from_secs(10),
            "Finix captured, its answer still on the way",
            async || s.sim.object(&authorization).unwrap()["transfer"].is_string(),
        )
        .await;
        assert_eq!(
            payments::find_payment(&s.app.db, &payment_id)
                .await
                .unwrap()
                .captured_amount,
            0,
            "not recorded yet"
        );

        drop(machine);
        let Setup { app, sim } = s;
        let app = app.restart(options_with_finix(backend, &sim)).await;
        eventually(
            Duration::from_secs(15),
            "the capture recorded after the restart",
            async || !waits_for_finix(&app.db, &payment_id).await,
        )
        .await;
        let payment = payments::find_payment(&app.db, &payment_id).await.unwrap();
        assert!(payment.captured_amount > 0, "{payment:?}");
        let transfer = sim.object(&authorization).unwrap()["transfer"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            sim.object(&transfer).unwrap()["amount"],
            payment.captured_amount
        );
        // The simulator records a request as it answers it: the one cut
        // short by the crash was never answered, the one after the restart was.
        assert!(
            !captures_of(&sim, &authorization).is_empty(),
            "asked again after the restart"
        );
        assert_eq!(sim.debit_count(), 1, "one debit, never two");
        let operations = payments::operations::of_payment(&app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(operations.len(), 1);
        assert_eq!(operations[0].status, payments::operations::Status::Done);
    }
}

/// Finix's reports of a capture and a refund arrive last first, and again:
/// the payment ends as the store recorded it, each event handled once.
#[tokio::test]
async fn webhooks_out_of_order_and_twice_change_nothing_wrong() {
    on_every_db_with_finix(async |s| {
        let (cart_id, session_id) = cart_paying_with_finix(&s, APPROVED).await;
        s.sim.webhooks().hold();
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        let payment = payment_of(&s, &session_id).await;
        let token = s.app.admin_token().await;
        let admin_post = |path: String, body: Value| {
            send_json(s.app.admin(Method::POST, &path, &token).json(&body))
        };
        let (status, body) =
            admin_post(format!("/admin/payments/{}/capture", payment.id), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = admin_post(
            format!("/admin/payments/{}/refund", payment.id),
            json!({ "amount": 100 }),
        )
        .await;
        assert_eq!(status, 200, "{body}");

        eventually(
            Duration::from_secs(10),
            "Finix settles the capture and the refund",
            async || s.sim.events_of_type("transfer.updated").len() >= 2,
        )
        .await;
        let mut events: Vec<String> = s
            .sim
            .events()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(events.len() >= 3, "an authorization, a capture, a refund");
        events.reverse();
        let recorded = async || {
            payments::events::entity::Entity::find()
                .filter(payments::events::entity::Column::ProviderId.eq(FINIX))
                .count(&s.app.db)
                .await
                .unwrap()
        };
        let mut after_each_pass = Vec::new();
        for _ in 0..2 {
            for id in &events {
                let delivered = s.sim.webhooks().deliver(id).await.unwrap();
                assert_eq!(delivered.status, Some(200), "{delivered:?}");
            }
            let payment = payment_of(&s, &session_id).await;
            assert_eq!(
                (
                    payment.amount,
                    payment.captured_amount,
                    payment.refunded_amount
                ),
                (300, 300, 100)
            );
            assert!(payment.canceled_at.is_none());
            after_each_pass.push(recorded().await);
        }
        assert!(
            after_each_pass[0] >= 2,
            "the capture's and the refund's reports"
        );
        assert_eq!(after_each_pass[0], after_each_pass[1], "each event once");
        assert_eq!(s.sim.debit_count(), 1);
        let orders_of_cart = orders::order::Entity::find()
            .filter(orders::order::Column::CartId.eq(&cart_id))
            .count(&s.app.db)
            .await
            .unwrap();
        assert_eq!(orders_of_cart, 1);
    })
    .await;
}

/// The instrument saved with `identity` (there is one).
fn saved_source(s: &Setup, identity: &str) -> Value {
    let instruments: Vec<Value> = s
        .sim
        .events_of_type("instrument.created")
        .into_iter()
        .map(|e| e["_embedded"]["payment_instruments"][0].clone())
        .filter(|i| i["identity"] == identity)
        .collect();
    assert_eq!(instruments.len(), 1);
    instruments[0]["id"].clone()
}

#[tokio::test]
async fn a_disputed_transfer_raises_an_alert_about_the_order_once() {
    let s = start(DbBackend::Sqlite).await;
    let (cart_id, session_id) = cart_paying_with_finix(&s, APPROVED).await;
    let (status, body) = complete(&s.app, &cart_id).await;
    assert_eq!(status, 200, "{body}");
    let order_id = orders::find_by_cart(&s.app.db, &cart_id)
        .await
        .unwrap()
        .unwrap()
        .order
        .id;
    let payment = payment_of(&s, &session_id).await;
    let token = s.app.admin_token().await;
    let (status, body) = send_json(
        s.app
            .admin(
                Method::POST,
                &format!("/admin/payments/{}/capture", payment.id),
                &token,
            )
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let data: Value = serde_json::from_str(&payment_of(&s, &session_id).await.data).unwrap();
    let transfer = data["transfer"].as_str().unwrap();
    s.sim.dispute(transfer).unwrap();
    let disputed = || async {
        alerts::alert::Entity::find()
            .filter(alerts::alert::Column::OrderId.eq(&order_id))
            .filter(alerts::alert::Column::Kind.eq(alerts::Kind::PaymentDisputed))
            .all(&s.app.db)
            .await
            .unwrap()
    };
    eventually(
        Duration::from_secs(10),
        "an alert about the disputed order",
        async || !disputed().await.is_empty(),
    )
    .await;
    let event = s.sim.events_of_type("dispute.created")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let replay = s.sim.webhooks().deliver(&event).await.unwrap();
    assert_eq!(replay.status, Some(200));
    assert_eq!(disputed().await.len(), 1, "a replay raises no second alert");
}

/// "Place order" posted by the checkout page, with the token Finix.js made
/// (none without scripts); the page it is sent back to.
async fn place_in_storefront(s: &Setup, token: Option<&str>) -> String {
    let mut form = vec![("payment_provider", FINIX)];
    if let Some(token) = token {
        form.push(("card_token", token));
    }
    submit(&s.app, "/checkout", "/api/checkout/place-order", &form).await
}

#[tokio::test]
async fn the_checkout_page_pays_with_the_token_finix_js_made() {
    on_every_db_with_finix(async |s| {
        fill_cart(&s.app).await;
        choose(&s.app, "finix-page@example.com", PICKUP).await;
        let response = s.app.page("/checkout").await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let page = response.text().await.unwrap();
        // The card form loads the configured Finix.js (the simulator's
        // stand-in here), which the page's policy lets run and frame.
        let origin = s.sim.api_base().trim_end_matches('/').to_owned();
        assert!(
            policy.contains(&format!("'wasm-unsafe-eval' {origin};")),
            "{policy}"
        );
        assert!(policy.contains(&format!("frame-src {origin}")), "{policy}");
        assert!(page.contains(r#"data-testid="finix-card-field""#), "{page}");
        assert!(
            page.contains("Card payment needs JavaScript"),
            "said without scripts"
        );

        // Without scripts there is no token: refused, and why.
        let back = place_in_storefront(&s, None).await;
        let shown = follow(&s.app, &back).await;
        assert!(
            testid(&shown, "place-order-error").is_some_and(|e| e.contains("needs JavaScript")),
            "{shown}"
        );
        // A token that is no token, or a declined card, places nothing.
        let back = place_in_storefront(&s, Some("TK/../identities")).await;
        assert!(!back.starts_with("/orders/"), "{back}");
        let declined = tokenize(&s, DECLINED).await;
        let back = place_in_storefront(&s, Some(&declined)).await;
        let shown = follow(&s.app, &back).await;
        assert!(
            testid(&shown, "place-order-error")
                .is_some_and(|e| e.to_lowercase().contains("declined")),
            "{shown}"
        );
        assert_eq!(s.sim.debit_count(), 0);

        // Finix.js's token of a good card: the order is placed on its authorization.
        let approved = tokenize(&s, APPROVED).await;
        let placed = place_in_storefront(&s, Some(&approved)).await;
        assert!(placed.starts_with("/orders/order_"), "{placed}");
        let order = orders::find(&s.app.db, order_id(&placed)).await.unwrap();
        let payments = payments::payments_of(
            &s.app.db,
            order.order.payment_collection_id.as_deref().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(payments.len(), 1, "{payments:?}");
        assert_eq!(payments[0].provider_id, FINIX);
        assert!(payments[0].data.contains("authorization"), "{payments:?}");
    })
    .await;
}
