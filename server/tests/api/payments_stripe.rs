//! Stripe (`pp_stripe_stripe`) against the local Stripe simulator: online
//! checkout through the Store API with the browser's part (Stripe.js) played
//! by the test, 3-D Secure finished by a webhook, refunds, webhook
//! signatures and replays, vending holds on a saved card.

use std::time::Duration;

use domain::{alerts, orders, payments, pricing};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use server::{config::StripeSettings, payments::stripe as stripe_provider};
use simulators::{
    Faults,
    stripe::{StripeConfig, StripeSimulator},
};
use stripe::{Client, ClientBuilder};
use stripe_core::{
    PaymentIntentStatus, payment_intent::ConfirmPaymentIntent, setup_intent::ConfirmSetupIntent,
};
use testkit::{DbBackend, smtp::SmtpRecorder};

use crate::{
    Options, TestApp,
    customers::{signed_up, signed_up_with_id, store},
    eventually, send_json, spawn_app,
    store_carts::{complete, expect, get, post, ready_cart},
    vending_fixture::{fridge, purchase_at_a_fridge, wait_for_state},
};

pub(crate) const STRIPE: &str = stripe_provider::ID;

pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) sim: StripeSimulator,
    /// Stripe as the shopper's browser reaches it (Stripe.js's part).
    pub(crate) browser: Client,
}

fn stripe_settings(sim: &StripeSimulator) -> StripeSettings {
    StripeSettings {
        stripe_secret_key: Some(sim.config().secret_key.clone()),
        stripe_publishable_key: Some(sim.config().publishable_key.clone()),
        stripe_webhook_secret: Some(sim.config().webhook_secret.clone()),
        stripe_api_base: Some(sim.api_base()),
        stripe_js_url: Some(format!("{}v3/stripe.js", sim.api_base())),
    }
}

/// A store with Stripe configured and its demo region offering only
/// Stripe; the simulator's webhooks go to the store.
pub(crate) async fn start(backend: DbBackend) -> Setup {
    start_with(backend, |_| {}).await
}

/// The options of a store paying with `sim`.
fn options_with_stripe(backend: DbBackend, sim: &StripeSimulator) -> Options {
    let mut options = Options::on(backend);
    options.settings.stripe = stripe_settings(sim);
    options
}

/// [`start`] with options changed by `tune`.
async fn start_with(backend: DbBackend, tune: impl FnOnce(&mut Options)) -> Setup {
    let sim = simulators::stripe::spawn(StripeConfig::default())
        .await
        .unwrap();
    let mut options = options_with_stripe(backend, &sim);
    tune(&mut options);
    let app = spawn_app(options).await;
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
        .json(&json!({ "payment_providers": [STRIPE] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["region"]["payment_providers"],
        json!([{ "id": STRIPE, "is_enabled": true }])
    );
    sim.webhooks()
        .set_url(Some(app.url("/hooks/payment/stripe")));
    let browser = ClientBuilder::new(&sim.config().secret_key)
        .url(sim.api_base())
        .build()
        .unwrap();
    Setup { app, sim, browser }
}

pub(crate) async fn on_every_db_with_stripe(test: impl AsyncFn(Setup)) {
    for backend in testkit::db_backends() {
        test(start(backend).await).await;
    }
}

/// A cart ready to pay, with a Stripe payment session; the cart id and the
/// session's PaymentIntent id.
async fn cart_paying_with_stripe(s: &Setup) -> (String, String) {
    let cart_id = ready_cart(&s.app, &[("sparkling-water", 2)]).await;
    let region_id = pricing::default_region(&s.app.db, Some("eur"))
        .await
        .unwrap()
        .unwrap()
        .region
        .id;
    let listed = expect(
        200,
        get(
            &s.app,
            &format!("/store/payment-providers?region_id={region_id}"),
        )
        .await,
    );
    assert_eq!(
        listed["payment_providers"],
        json!([{ "id": STRIPE, "is_enabled": true }]),
        "the region offers Stripe only"
    );
    let collection = expect(
        200,
        post(
            &s.app,
            "/store/payment-collections",
            json!({ "cart_id": cart_id }),
        )
        .await,
    )["payment_collection"]
        .clone();
    let path = format!(
        "/store/payment-collections/{}/payment-sessions",
        collection["id"].as_str().unwrap()
    );
    let collection = expect(
        200,
        post(&s.app, &path, json!({ "provider_id": STRIPE })).await,
    )["payment_collection"]
        .clone();
    let session = &collection["payment_sessions"][0];
    assert_eq!(session["provider_id"], STRIPE);
    let intent = session["data"]["id"].as_str().unwrap().to_owned();
    let secret = session["data"]["client_secret"].as_str().unwrap();
    assert!(
        secret.starts_with(&format!("{intent}_secret_")),
        "Medusa's storefronts confirm with data.client_secret: {session}"
    );
    // What Stripe was asked: the amount in cents, our ids, a key of our own.
    let stored = s.sim.object(&intent).unwrap();
    assert_eq!(stored["amount"], 300, "2 × €1.50");
    assert_eq!(stored["currency"], "eur");
    assert_eq!(stored["capture_method"], "manual");
    assert_eq!(stored["metadata"]["cart_id"], cart_id.as_str());
    let create = s
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/payment_intents")
        .unwrap();
    assert!(
        create
            .idempotency_key
            .as_deref()
            .is_some_and(|k| k.starts_with("payses")),
        "{create:?}"
    );
    (cart_id, intent)
}

/// Stripe.js confirming the intent with a test card.
pub(crate) async fn confirm(
    s: &Setup,
    intent: &str,
    card: &str,
) -> Result<PaymentIntentStatus, String> {
    ConfirmPaymentIntent::new(intent)
        .payment_method(card)
        .send(&s.browser)
        .await
        .map(|pi| pi.status)
        .map_err(|e| e.to_string())
}

pub(crate) async fn order_of(s: &Setup, cart_id: &str) -> Option<orders::OrderDetail> {
    orders::find_by_cart(&s.app.db, cart_id).await.unwrap()
}

async fn payment_of(s: &Setup, intent: &str) -> payments::payment::Model {
    payments::payment::Entity::find()
        .filter(payments::payment::Column::ProviderReference.eq(intent))
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("a payment for the intent")
}

#[tokio::test]
async fn a_card_payment_places_the_order_and_refunds_go_back_in_parts() {
    on_every_db_with_stripe(async |s| {
        let (cart_id, intent) = cart_paying_with_stripe(&s).await;
        assert_eq!(
            confirm(&s, &intent, "pm_card_visa").await,
            Ok(PaymentIntentStatus::RequiresCapture)
        );
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (200, Some("order")),
            "{body}"
        );
        let payment = payment_of(&s, &intent).await;
        assert_eq!((payment.amount, payment.captured_amount), (300, 0));

        // Captured on fulfilment, then refunded in part and the rest.
        let token = s.app.admin_token().await;
        let admin_post = |path: String, body: serde_json::Value| {
            send_json(s.app.admin(Method::POST, &path, &token).json(&body))
        };
        let (status, body) =
            admin_post(format!("/admin/payments/{}/capture", payment.id), json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["payment"]["captured_amount"], 300);
        assert_eq!(s.sim.object(&intent).unwrap()["amount_received"], 300);
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
        let charge_id = s.sim.object(&intent).unwrap()["latest_charge"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(s.sim.object(&charge_id).unwrap()["amount_refunded"], 100);
        let order = order_of(&s, &cart_id).await.unwrap();
        let (status, body) = send_json(s.app.admin(
            Method::POST,
            &format!("/admin/orders/{}/cancel", order.order.id),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(s.sim.object(&charge_id).unwrap()["amount_refunded"], 300);
        assert_eq!(payment_of(&s, &intent).await.refunded_amount, 300);
        let refund_keys: Vec<String> = s
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v1/refunds")
            .map(|r| r.idempotency_key.unwrap_or_default())
            .collect();
        assert_eq!(
            refund_keys,
            [
                format!("{}:refund:0:100", payment.id),
                format!("{}:refund:100:200", payment.id)
            ]
        );

        // Stripe's charge.refunded events arrive (twice, the first after the
        // second): the refunds stay as they are.
        eventually(
            Duration::from_secs(5),
            "both refunds are reported",
            async || handled(&s, "charge.refunded").await == 2,
        )
        .await;
        let first = s.sim.events_of_type("charge.refunded")[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let replay = s.sim.webhooks().deliver(&first).await.unwrap();
        assert_eq!(replay.status, Some(200));
        assert_eq!(payment_of(&s, &intent).await.refunded_amount, 300);
        assert_eq!(handled(&s, "charge.refunded").await, 2, "each event once");
        assert_eq!(s.sim.charge_count(), 1, "one charge, never two");
    })
    .await;
}

/// How many events of `kind` the store has handled.
async fn handled(s: &Setup, kind: &str) -> u64 {
    payments::events::entity::Entity::find()
        .filter(payments::events::entity::Column::EventType.eq(kind))
        .count(&s.app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_declined_card_places_no_order_and_says_why() {
    on_every_db_with_stripe(async |s| {
        let (cart_id, intent) = cart_paying_with_stripe(&s).await;
        // The test provider is still configured, but this region takes real money.
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
        let (status, body) = post(
            &s.app,
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            json!({ "provider_id": "pp_system_default" }),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("does not offer"),
            "{body}"
        );
        let declined = confirm(&s, &intent, "pm_card_visa_chargeDeclined").await;
        assert!(declined.is_err(), "{declined:?}");
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "cart", "{body}");
        assert_eq!(body["error"]["type"], "payment_authorization_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Your card was declined"), "{message}");
        assert!(order_of(&s, &cart_id).await.is_none());
    })
    .await;
}

#[tokio::test]
async fn three_d_secure_waits_for_the_shopper_and_the_webhook_places_the_order() {
    on_every_db_with_stripe(async |s| {
        let (cart_id, intent) = cart_paying_with_stripe(&s).await;
        assert_eq!(
            confirm(&s, &intent, "pm_card_threeDSecure2Required").await,
            Ok(PaymentIntentStatus::RequiresAction)
        );
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["error"]["type"], "payment_requires_more_error",
            "{body}"
        );
        assert!(order_of(&s, &cart_id).await.is_none());

        // The shopper completes the challenge; the storefront is gone.
        s.sim.authenticate(&intent, true).unwrap();
        eventually(
            Duration::from_secs(10),
            "the webhook places the order",
            async || order_of(&s, &cart_id).await.is_some(),
        )
        .await;
        let capturable = s
            .sim
            .events_of_type("payment_intent.amount_capturable_updated");
        let event_id = capturable[0]["id"].as_str().unwrap().to_owned();
        // Delivered again: still one order, one payment.
        let replay = s.sim.webhooks().deliver(&event_id).await.unwrap();
        assert_eq!(replay.status, Some(200));
        let orders_of_cart = orders::order::Entity::find()
            .filter(orders::order::Column::CartId.eq(&cart_id))
            .count(&s.app.db)
            .await
            .unwrap();
        assert_eq!(orders_of_cart, 1);
        assert_eq!(payment_of(&s, &intent).await.amount, 300);
    })
    .await;
}

#[tokio::test]
async fn a_webhook_with_a_bad_signature_is_refused() {
    let s = start(DbBackend::Sqlite).await;
    let (_, intent) = cart_paying_with_stripe(&s).await;
    let created = s.sim.events_of_type("payment_intent.created");
    let event_id = created[0]["id"].as_str().unwrap();
    assert!(created[0]["data"]["object"]["id"] == intent.as_str());
    let signed = s.sim.webhooks().signed(event_id).unwrap();
    let post = |body: String, signature: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(s.app.url("/hooks/payment/stripe"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        send_json(request)
    };
    let header = signed.header("Stripe-Signature").unwrap().to_owned();
    let tampered = signed.body.replace("\"eur\"", "\"usd\"");
    for (body, signature, why) in [
        (tampered, Some(header.clone()), "no v1 signature"),
        (signed.body.clone(), None, "missing"),
        (
            signed.body.clone(),
            Some("t=1,v1=00".to_owned()),
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

#[tokio::test]
async fn production_refuses_to_start_while_a_region_takes_test_payments() {
    let test_db = testkit::TestDb::create(DbBackend::Sqlite).await;
    let settings = server::config::Settings {
        http_addr: "127.0.0.1:0".parse().unwrap(),
        database_url: test_db.url.clone(),
        mqtt_embedded_addr: "127.0.0.1:0".parse().unwrap(),
        loyalty_embedded_addr: "127.0.0.1:0".parse().unwrap(),
        simulated_machines: 0,
        environment: server::config::Environment::Production,
        ..server::config::Settings::defaults()
    };
    let refused = match server::startup::build(settings).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a production store started with the test provider"),
    };
    assert!(
        refused.contains("AUTOMAT_ENV=production") && refused.contains("pp_system_default"),
        "{refused}"
    );
}

/// A signed-in shopper who saved `card` with Stripe (through the store's
/// SetupIntent, confirmed as Stripe.js would); their token and customer id.
pub(crate) async fn shopper_with_card(s: &Setup, email: &str, card: &str) -> (String, String) {
    let (token, customer_id) = signed_up_with_id(&s.app, email).await;
    save_card(s, &token, card).await;
    (token, customer_id)
}

/// The signed-in shopper (`token`) saves `card` with Stripe, as
/// [`shopper_with_card`] does.
pub(crate) async fn save_card(s: &Setup, token: &str, card: &str) {
    let (status, body) = send_json(store(
        &s.app,
        Method::POST,
        &format!("/store/customers/me/payment-methods/{STRIPE}"),
        Some(token),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let setup = body["card_setup"]["id"].as_str().unwrap().to_owned();
    assert!(
        body["card_setup"]["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&setup)
    );
    ConfirmSetupIntent::new(setup.as_str())
        .payment_method(card)
        .send(&s.browser)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_declined_hold_keeps_the_machine_shut_and_says_why() {
    let s = start(DbBackend::Sqlite).await;
    let fridge = fridge(&s.app).await;
    let (token, _) =
        shopper_with_card(&s, "declined@example.com", "pm_card_chargeCustomerFail").await;
    let (status, body) = send_json(store(
        &s.app,
        Method::POST,
        &format!("/store/vending/machines/{}/sessions", fridge.id.as_str()),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("payment declined") && message.contains("declined"),
        "{message}"
    );
    assert!(
        domain::vending::sessions::active_session(&s.app.db, fridge.id.as_str())
            .await
            .unwrap()
            .is_none(),
        "the machine stays shut"
    );
    let hold = s
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/payment_intents")
        .unwrap();
    assert_eq!(hold.params["capture_method"], "manual");
    assert_eq!(hold.params["off_session"], "true");

    // A shopper without a saved card is told to add one.
    let token = signed_up(&s.app, "nocard@example.com").await;
    let (status, body) = send_json(store(
        &s.app,
        Method::POST,
        &format!("/store/vending/machines/{}/sessions", fridge.id.as_str()),
        Some(&token),
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no card is saved"),
        "{body}"
    );
}

/// A machine of `s`'s store with a shopper at it who saved `card`: the
/// machine (kept running while held), the session opened with a hold on the
/// card, and the shopper's token.
async fn machine_purchase(
    s: &Setup,
    email: &str,
    card: &str,
) -> (
    tokio::task::JoinSet<()>,
    domain::vending::device_session::Model,
    String,
) {
    let (token, customer_id) = shopper_with_card(s, email, card).await;
    let (machine, opened) = purchase_at_a_fridge(&s.app, &customer_id).await;
    (machine, opened, token)
}

/// Whether a capture, refund or release of the payment still waits for Stripe.
async fn waits_for_stripe(db: &domain::db::DatabaseConnection, payment_id: &str) -> bool {
    payments::operations::has_pending(db, payment_id)
        .await
        .unwrap()
}

/// The requests that captured `intent` at the simulator.
fn captures_of(sim: &StripeSimulator, intent: &str) -> Vec<simulators::RecordedRequest> {
    let path = format!("/v1/payment_intents/{intent}/capture");
    sim.requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

#[tokio::test]
async fn a_sale_settles_while_stripe_is_down_and_is_captured_once_it_answers() {
    on_every_db_with_stripe(async |s| {
        let (_machine, opened, _) =
            machine_purchase(&s, "patient@example.com", "pm_card_visa").await;
        // From now on Stripe fails twice, then answers slowly.
        s.sim.set_faults(Faults {
            fail_next: 2,
            delay_next: 1,
            response_delay_ms: 1500,
        });
        let settled = wait_for_state(&s.app, &opened.id, "settled").await;
        let payment_id = settled.payment_id.clone().unwrap();
        let payment = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(payment.captured_amount, 0, "settled before Stripe answered");
        eventually(
            Duration::from_secs(20),
            "the capture once Stripe answers",
            async || !waits_for_stripe(&s.app.db, &payment_id).await,
        )
        .await;
        let payment = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        let intent = payment.provider_reference.clone().unwrap();
        assert_eq!(
            s.sim.object(&intent).unwrap()["amount_received"],
            payment.captured_amount
        );
        let captures = captures_of(&s.sim, &intent);
        assert!(
            captures.len() >= 3,
            "two failures and the answer: {captures:?}"
        );
        let key = format!("{payment_id}:capture:0:{}", payment.captured_amount);
        assert!(
            captures
                .iter()
                .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
            "every attempt with one key: {captures:?}"
        );
        assert_eq!(s.sim.charge_count(), 1);
    })
    .await;
}

/// The server dies after Stripe captured and before the capture was
/// recorded: the next server asks again with the same key, Stripe answers
/// with its first answer, and the money is taken once.
#[tokio::test]
async fn a_capture_cut_short_by_a_crash_is_finished_after_the_restart_without_charging_twice() {
    for backend in testkit::db_backends() {
        let s = start(backend).await;
        // Only the store's own calls record the capture here.
        s.sim.webhooks().set_url(None);
        let (machine, opened, _) = machine_purchase(&s, "crash@example.com", "pm_card_visa").await;
        s.sim.set_faults(Faults {
            delay_next: 1,
            response_delay_ms: 5000,
            ..Default::default()
        });
        let settled = wait_for_state(&s.app, &opened.id, "settled").await;
        let payment_id = settled.payment_id.clone().unwrap();
        let intent = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap()
            .provider_reference
            .unwrap();
        eventually(
            Duration::from_secs(10),
            "Stripe captured, its answer still on the way",
            async || s.sim.object(&intent).unwrap()["amount_received"].as_i64() > Some(0),
        )
        .await;
        let payment = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(payment.captured_amount, 0, "not recorded yet");

        drop(machine);
        let Setup { app, sim, .. } = s;
        let app = app.restart(options_with_stripe(backend, &sim)).await;
        eventually(
            Duration::from_secs(15),
            "the capture recorded after the restart",
            async || !waits_for_stripe(&app.db, &payment_id).await,
        )
        .await;
        let payment = payments::find_payment(&app.db, &payment_id).await.unwrap();
        assert_eq!(
            sim.object(&intent).unwrap()["amount_received"],
            payment.captured_amount
        );
        let captures = captures_of(&sim, &intent);
        let key = format!("{payment_id}:capture:0:{}", payment.captured_amount);
        assert!(
            captures
                .iter()
                .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
            "{captures:?}"
        );
        assert!(
            captures.iter().any(|r| r.replayed),
            "the retry got Stripe's first answer: {captures:?}"
        );
        assert_eq!(sim.charge_count(), 1, "one charge, captured once");
        let operations = payments::operations::of_payment(&app.db, &payment_id)
            .await
            .unwrap();
        assert_eq!(operations.len(), 1);
        assert_eq!(operations[0].status, payments::operations::Status::Done);
    }
}

#[tokio::test]
async fn an_order_canceled_while_stripe_is_down_is_refunded_once_it_answers() {
    on_every_db_with_stripe(async |s| {
        let (cart_id, intent) = cart_paying_with_stripe(&s).await;
        confirm(&s, &intent, "pm_card_visa").await.unwrap();
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        let payment = payment_of(&s, &intent).await;
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

        s.sim.set_faults(Faults {
            fail_next: 2,
            ..Default::default()
        });
        let order = order_of(&s, &cart_id).await.unwrap();
        let (status, body) = send_json(s.app.admin(
            Method::POST,
            &format!("/admin/orders/{}/cancel", order.order.id),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "canceled although Stripe is down: {body}");
        assert!(body["order"]["canceled_at"].is_string(), "{body}");
        assert_eq!(payment_of(&s, &intent).await.refunded_amount, 0);
        eventually(
            Duration::from_secs(15),
            "the refund once Stripe answers",
            async || !waits_for_stripe(&s.app.db, &payment.id).await,
        )
        .await;
        assert_eq!(payment_of(&s, &intent).await.refunded_amount, 300);
        let charge_id = s.sim.object(&intent).unwrap()["latest_charge"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(s.sim.object(&charge_id).unwrap()["amount_refunded"], 300);
        let refunds: Vec<_> = s
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v1/refunds")
            .collect();
        assert!(refunds.len() >= 3, "{refunds:?}");
        let key = format!("{}:refund:0:300", payment.id);
        assert!(
            refunds
                .iter()
                .all(|r| r.idempotency_key.as_deref() == Some(key.as_str())),
            "{refunds:?}"
        );
        let refunded: Vec<_> = refunds.iter().filter(|r| r.status == 200).collect();
        assert_eq!(refunded.len(), 1, "refunded once: {refunds:?}");
    })
    .await;
}

#[tokio::test]
async fn a_capture_that_fails_at_settlement_raises_an_alert_for_review() {
    let smtp = SmtpRecorder::start().await;
    let s = start_with(DbBackend::Sqlite, |o| o.smtp_url = Some(smtp.url())).await;
    let (_machine, opened, _) =
        machine_purchase(&s, "lapsed@example.com", "pm_card_captureExpired").await;
    let fridge_id = opened.device_id.clone();
    wait_for_state(&s.app, &opened.id, "settled").await;
    eventually(
        Duration::from_secs(10),
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
    let payment = payments::find_payment(&s.app.db, settled.payment_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(payment.captured_amount, 0);
    let raised = alerts::alert::Entity::find()
        .filter(alerts::alert::Column::DeviceId.eq(fridge_id.as_str()))
        .filter(alerts::alert::Column::Kind.eq(alerts::Kind::PaymentCaptureFailed))
        .one(&s.app.db)
        .await
        .unwrap()
        .expect("an alert");
    assert!(raised.message.contains(&opened.id), "{}", raised.message);

    // The shopper is told, by email (a machine's sale has their account's).
    let subject = format!(
        "Subject: Payment for your order {} failed",
        settled.order_id.unwrap()
    );
    let told = || {
        smtp.mails()
            .into_iter()
            .filter(|m| m.data.contains(&subject))
            .collect::<Vec<_>>()
    };
    eventually(
        Duration::from_secs(15),
        "the shopper is mailed",
        async || !told().is_empty(),
    )
    .await;
    assert_eq!(told().len(), 1);
    assert_eq!(told()[0].to, ["lapsed@example.com"]);
}

#[tokio::test]
async fn a_disputed_online_order_raises_an_alert_about_the_order() {
    on_every_db_with_stripe(async |s| {
        let (cart_id, intent) = cart_paying_with_stripe(&s).await;
        confirm(&s, &intent, "pm_card_visa").await.unwrap();
        let (status, body) = complete(&s.app, &cart_id).await;
        assert_eq!(status, 200, "{body}");
        let order_id = order_of(&s, &cart_id).await.unwrap().order.id;
        let payment = payment_of(&s, &intent).await;
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
        let charge_id = s.sim.object(&intent).unwrap()["latest_charge"]
            .as_str()
            .unwrap()
            .to_owned();
        s.sim.dispute(&charge_id).unwrap();
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
        let raised = disputed().await;
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].device_id, None, "no machine sold it");
        assert!(
            raised[0].message.contains(&order_id),
            "{}",
            raised[0].message
        );

        // Admins see it with the others, and a replayed event raises no second one.
        let (status, listed) = send_json(s.app.admin(
            Method::GET,
            "/admin/alerts?status=open",
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{listed}");
        let listed = listed["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == raised[0].id.as_str())
            .cloned()
            .expect("listed");
        assert_eq!(listed["order_id"], order_id.as_str());
        assert_eq!(listed["device_id"], serde_json::Value::Null);
        let event = s.sim.events_of_type("charge.dispute.created")[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let replay = s.sim.webhooks().deliver(&event).await.unwrap();
        assert_eq!(replay.status, Some(200));
        assert_eq!(disputed().await.len(), 1);
    })
    .await;
}

/// The failed capture of a machine's sale waits in the admin's review list:
/// a retry is refused (Stripe released the lapsed hold), voiding resolves
/// it, and both are on the session's timeline with the admin and the time.
#[tokio::test]
async fn a_failed_capture_is_reviewed_retried_and_voided_from_the_review_list() {
    on_every_db_with_stripe(async |s| {
        let (_machine, opened, _) =
            machine_purchase(&s, "review@example.com", "pm_card_captureExpired").await;
        wait_for_state(&s.app, &opened.id, "settled").await;
        eventually(
            Duration::from_secs(10),
            "the refused capture is in the review list",
            async || payments::reviews::open_count(&s.app.db).await.unwrap() == 1,
        )
        .await;
        let settled = crate::vending_fixture::session(&s.app, &opened.id).await;
        let payment_id = settled.payment_id.clone().unwrap();
        let item = payments::reviews::list(&s.app.db, Default::default(), 0, 10)
            .await
            .unwrap()
            .items
            .remove(0);
        assert_eq!(item.device_session_id.as_deref(), Some(opened.id.as_str()));
        assert_eq!(item.order_id, settled.order_id);
        assert_eq!(item.reason, "capture_failed");
        // Stripe released the lapsed hold and says so.
        eventually(
            Duration::from_secs(10),
            "Stripe's payment_intent.canceled is applied",
            async || {
                payments::find_payment(&s.app.db, &payment_id)
                    .await
                    .unwrap()
                    .canceled_at
                    .is_some()
            },
        )
        .await;

        s.app.sign_in().await;
        let html = s.app.page("/admin/reviews").await.text().await.unwrap();
        assert!(
            html.contains("Capture failed") && html.contains(&opened.id),
            "{html}"
        );
        assert!(
            html.contains(r#"action="/api/admin/reviews/act""#),
            "{html}"
        );
        let overview = s.app.page("/admin").await.text().await.unwrap();
        assert!(overview.contains(r#"href="/admin/reviews""#), "{overview}");
        let act = async |action: &str, note: &str| {
            s.app
                .post_form(
                    "/api/admin/reviews/act",
                    &[("review_id", &item.id), ("action", action), ("note", note)],
                )
                .await
        };
        let retried = act("retry_capture", "").await;
        assert_eq!(retried.status(), 409);
        let said = retried.text().await.unwrap();
        assert!(
            said.contains("canceled payment cannot be captured"),
            "{said}"
        );
        let unexplained = act("resolve", "").await;
        assert_eq!(unexplained.status(), 400);
        assert!(unexplained.text().await.unwrap().contains("note"));
        let bogus = act("refund_twice", "").await;
        assert_eq!(bogus.status(), 400);
        let voided = act("void_hold", "customer called").await;
        assert_eq!(
            voided.headers()[reqwest::header::LOCATION],
            "/admin/reviews"
        );
        assert_eq!(payments::reviews::open_count(&s.app.db).await.unwrap(), 0);
        assert!(
            crate::vending_fixture::session(&s.app, &opened.id)
                .await
                .review_reason
                .is_none(),
            "the session leaves the overview's review count"
        );
        let late = act("retry_capture", "").await;
        assert_eq!(late.status(), 409, "resolved already");

        let timeline = s
            .app
            .page(&format!("/admin/vending/sessions/{}", opened.id))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            timeline.contains(r#"data-kind="review_opened""#)
                && timeline.contains(r#"data-kind="retry_capture""#)
                && timeline.contains(r#"data-kind="void_hold""#)
                && timeline.contains(crate::ADMIN_EMAIL)
                && timeline.contains("customer called"),
            "{timeline}"
        );
        let html = s.app.page("/admin/reviews").await.text().await.unwrap();
        assert!(html.contains(r#"data-testid="reviews-empty""#), "{html}");
        let html = s
            .app
            .page("/admin/reviews?status=resolved")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("customer called"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn deposit_credit_is_paid_back_to_the_card_the_shopper_paid_with() {
    on_every_db_with_stripe(async |s| {
        let (_machine, opened, token) =
            machine_purchase(&s, "deposits@example.com", "pm_card_visa").await;
        let settled = wait_for_state(&s.app, &opened.id, "settled").await;
        let payment_id = settled.payment_id.clone().unwrap();
        eventually(Duration::from_secs(20), "the sale captured", async || {
            !waits_for_stripe(&s.app.db, &payment_id).await
        })
        .await;
        let payouts = |method: Method| {
            send_json(store(
                &s.app,
                method,
                "/store/vending/deposit-payouts",
                Some(&token),
            ))
        };
        let (status, body) = payouts(Method::POST).await;
        assert_eq!(status, 400, "no credit yet: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("no deposit credit"),
            "{body}"
        );

        // The shopper brought two empty bottles back (credited as a
        // return's settlement does; the return itself is tested elsewhere).
        {
            use sea_orm::{ActiveModelTrait, Set};
            domain::vending::deposit_credit::ActiveModel {
                id: Set("depcr_e2e".into()),
                session_id: Set(opened.id.clone()),
                customer_id: Set(opened.customer_id.clone()),
                variant_id: Set("variant_any".into()),
                quantity: Set(2),
                unit_deposit: Set(25),
                amount: Set(50),
                currency_code: Set(settled.currency_code.clone()),
                created_at: Set(chrono::Utc::now()),
            }
            .insert(&s.app.db)
            .await
            .unwrap();
        }
        let (status, body) = payouts(Method::GET).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["balance"]["available"], 50, "{body}");
        let (status, body) = payouts(Method::POST).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["deposit_payout"]["amount"], 50, "{body}");
        assert_eq!(body["deposit_payout"]["left"], 0, "{body}");
        assert_eq!(
            body["deposit_payout"]["refunds"][0]["payment_id"],
            payment_id.as_str()
        );

        // The refund reached the charge at Stripe, once, with our key.
        let intent = payments::find_payment(&s.app.db, &payment_id)
            .await
            .unwrap()
            .provider_reference
            .unwrap();
        let charge = s.sim.object(&intent).unwrap()["latest_charge"]
            .as_str()
            .unwrap()
            .to_owned();
        // Stripe counts the hold's uncaptured rest as refunded too.
        let refunded_at_stripe = || {
            let charge = s.sim.object(&charge).unwrap();
            charge["amount_refunded"].as_i64().unwrap()
                - (charge["amount"].as_i64().unwrap() - charge["amount_captured"].as_i64().unwrap())
        };
        eventually(
            Duration::from_secs(10),
            "the refund at Stripe",
            async || refunded_at_stripe() == 50,
        )
        .await;
        let refunds: Vec<_> = s
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v1/refunds")
            .collect();
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert!(
            refunds[0]
                .idempotency_key
                .as_deref()
                .is_some_and(|k| k.starts_with(&format!("{payment_id}:refund:deppo_"))),
            "{refunds:?}"
        );
        let (_, body) = payouts(Method::GET).await;
        assert_eq!(body["balance"]["available"], 0, "{body}");
        assert_eq!(body["balance"]["paid_out"], 50, "{body}");
        assert_eq!(
            body["deposit_payouts"].as_array().unwrap().len(),
            1,
            "{body}"
        );
        let (status, _) = payouts(Method::POST).await;
        assert_eq!(status, 400, "paid out once");
        assert_eq!(refunded_at_stripe(), 50);
    })
    .await;
}
