//! The Stripe simulator through the real async-stripe client.

use std::{collections::HashMap, time::Duration};

use serde_json::{Value, json};
use simulators::{
    Faults,
    stripe::{self as sim, StripeConfig, StripeSimulator},
};
use stripe::{
    ApiErrors, ApiErrorsCode, ApiErrorsType, Client, ClientBuilder, IdempotencyKey,
    RequestStrategy, StripeError, StripeRequest,
};
use stripe_core::{
    PaymentIntentCaptureMethod, PaymentIntentStatus, SetupIntentStatus,
    charge::RetrieveCharge,
    customer::{CreateCustomer, ListPaymentMethodsCustomer},
    event::ListEvent,
    payment_intent::{
        CancelPaymentIntent, CapturePaymentIntent, ConfirmPaymentIntent, CreatePaymentIntent,
        CreatePaymentIntentOffSession, RetrievePaymentIntent,
    },
    refund::CreateRefund,
    setup_intent::{CreateSetupIntent, RetrieveSetupIntent},
};
use stripe_payment::payment_method::{AttachPaymentMethod, DetachPaymentMethod};
use stripe_types::{Currency, Expandable};
use stripe_webhook::{EventObject, Webhook};

use crate::{Receiver, eventually};

async fn start() -> (StripeSimulator, Client) {
    let sim = sim::spawn(StripeConfig::default()).await.unwrap();
    let client = ClientBuilder::new(&sim.config().secret_key)
        .url(sim.api_base())
        .build()
        .unwrap();
    (sim, client)
}

/// The Stripe error a request failed with, and its HTTP status.
fn stripe_error<T: std::fmt::Debug>(result: Result<T, StripeError>) -> (ApiErrors, u16) {
    match result {
        Err(StripeError::Stripe(error, status)) => (*error, status),
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

fn idempotent(key: &str) -> RequestStrategy {
    RequestStrategy::Idempotent(IdempotencyKey::new(key).unwrap())
}

fn metadata(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn manual_intent(amount: i64, pm: &str) -> CreatePaymentIntent {
    CreatePaymentIntent::new(amount, Currency::EUR)
        .capture_method(PaymentIntentCaptureMethod::Manual)
        .payment_method(pm)
        .metadata(metadata(&[("cart_id", "cart_01"), ("session", "ps_01")]))
}

#[tokio::test]
async fn a_manual_intent_is_authorized_then_captured_for_less() {
    let (sim, client) = start().await;
    let pi = manual_intent(1000, "pm_card_visa")
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::RequiresConfirmation);
    assert!(pi.id.as_str().starts_with("pi_"));
    let secret = pi.client_secret.clone().unwrap();
    assert!(secret.starts_with(&format!("{}_secret_", pi.id.as_str())));
    assert_eq!(pi.metadata["cart_id"], "cart_01");

    // The wire format: nested form keys, the key and the version headers.
    let create = &sim.requests()[0];
    assert_eq!(create.params["metadata"]["cart_id"], "cart_01");
    assert_eq!(create.params["capture_method"], "manual");
    assert_eq!(create.version.as_deref(), Some(sim::DEFAULT_API_VERSION));

    let pi = ConfirmPaymentIntent::new(pi.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::RequiresCapture);
    assert_eq!(pi.amount_capturable, 1000);
    assert_eq!(pi.amount_received, 0);
    let charge_id = pi.latest_charge.as_ref().unwrap().id().clone();

    let (error, status) = stripe_error(
        CapturePaymentIntent::new(pi.id.clone())
            .amount_to_capture(1001)
            .send(&client)
            .await,
    );
    assert_eq!(
        (status, error.code),
        (400, Some(ApiErrorsCode::AmountTooLarge))
    );

    let pi = CapturePaymentIntent::new(pi.id.clone())
        .amount_to_capture(600)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    assert_eq!((pi.amount_received, pi.amount_capturable), (600, 0));

    let charge = RetrieveCharge::new(charge_id.clone())
        .send(&client)
        .await
        .unwrap();
    assert!(charge.captured);
    assert_eq!(charge.amount_captured, 600);
    // What the partial capture released shows as refunded, as at Stripe.
    assert_eq!(charge.amount_refunded, 400);
    assert!(!charge.refunded);

    let (error, _) = stripe_error(CapturePaymentIntent::new(pi.id.clone()).send(&client).await);
    assert_eq!(
        error.code,
        Some(ApiErrorsCode::PaymentIntentUnexpectedState)
    );

    // `expand[]` replaces an id with its object.
    let pi = RetrievePaymentIntent::new(pi.id.clone())
        .expand(["latest_charge".to_owned()])
        .send(&client)
        .await
        .unwrap();
    let Some(Expandable::Object(charge)) = pi.latest_charge else {
        panic!("the charge expanded");
    };
    assert_eq!((charge.id, charge.amount_captured), (charge_id, 600));
}

#[tokio::test]
async fn automatic_capture_succeeds_at_once_and_an_uncaptured_hold_can_be_canceled() {
    let (_sim, client) = start().await;
    let pi = CreatePaymentIntent::new(2500, Currency::EUR)
        .payment_method("pm_card_mastercard")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
    assert_eq!(pi.amount_received, 2500);
    assert_eq!(
        pi.capture_method,
        PaymentIntentCaptureMethod::AutomaticAsync
    );

    let hold = manual_intent(700, "pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let canceled = CancelPaymentIntent::new(hold.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(canceled.status, PaymentIntentStatus::Canceled);
    assert_eq!(canceled.amount_capturable, 0);
    let (error, _) = stripe_error(CancelPaymentIntent::new(pi.id.clone()).send(&client).await);
    assert_eq!(
        error.code,
        Some(ApiErrorsCode::PaymentIntentUnexpectedState)
    );
}

#[tokio::test]
async fn declined_cards_answer_402_card_errors() {
    let (_sim, client) = start().await;
    for (pm, decline_code) in [
        ("pm_card_visa_chargeDeclined", "generic_decline"),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let (error, status) =
            stripe_error(manual_intent(2000, pm).confirm(true).send(&client).await);
        assert_eq!(status, 402);
        assert_eq!(error.type_, ApiErrorsType::CardError);
        assert_eq!(error.code, Some(ApiErrorsCode::CardDeclined));
        assert_eq!(error.decline_code.as_deref(), Some(decline_code));
        assert!(error.charge.as_deref().unwrap().starts_with("ch_"));
        let pi = error.payment_intent.unwrap();
        assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
        let last = pi.last_payment_error.unwrap();
        assert_eq!(last.decline_code.as_deref(), Some(decline_code));

        let retrieved = RetrievePaymentIntent::new(pi.id.clone())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(retrieved.status, PaymentIntentStatus::RequiresPaymentMethod);
        assert!(retrieved.payment_method.is_none());
    }
}

#[tokio::test]
async fn three_d_secure_requires_action_until_the_shopper_completes_it() {
    let (sim, client) = start().await;
    let pi = manual_intent(1500, "pm_card_threeDSecure2Required")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::RequiresAction);
    let raw = sim.object(pi.id.as_str()).unwrap();
    assert_eq!(raw["next_action"]["type"], "use_stripe_sdk");
    let page = raw["next_action"]["use_stripe_sdk"]["stripe_js"]
        .as_str()
        .unwrap();
    assert!(page.starts_with(&format!("{}v3/3ds/{}", sim.api_base(), pi.id.as_str())));

    sim.authenticate(pi.id.as_str(), true).unwrap();
    let pi = RetrievePaymentIntent::new(pi.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::RequiresCapture);

    // Failing the challenge sends the intent back for another card.
    let pi = manual_intent(1500, "pm_card_threeDSecure2Required")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    sim.authenticate(pi.id.as_str(), false).unwrap();
    let pi = RetrievePaymentIntent::new(pi.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(pi.status, PaymentIntentStatus::RequiresPaymentMethod);
    assert_eq!(
        pi.last_payment_error.unwrap().code,
        Some(ApiErrorsCode::PaymentIntentAuthenticationFailure)
    );

    // Off-session nobody can authenticate: declined authentication_required.
    let (error, status) = stripe_error(
        manual_intent(1500, "pm_card_threeDSecure2Required")
            .confirm(true)
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .send(&client)
            .await,
    );
    assert_eq!(status, 402);
    assert_eq!(error.code, Some(ApiErrorsCode::AuthenticationRequired));
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters() {
    let (sim, client) = start().await;
    let first = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .customize()
        .request_strategy(idempotent("hold-vm-001-session-1"))
        .send(&client)
        .await
        .unwrap();
    let again = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .customize()
        .request_strategy(idempotent("hold-vm-001-session-1"))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(sim.charge_count(), 1, "the retry charged nobody");
    let requests = sim.requests();
    assert!(!requests[0].replayed && requests[1].replayed);
    assert_eq!(
        requests[1].idempotency_key.as_deref(),
        Some("hold-vm-001-session-1")
    );

    let (error, status) = stripe_error(
        manual_intent(1200, "pm_card_visa")
            .confirm(true)
            .customize()
            .request_strategy(idempotent("hold-vm-001-session-1"))
            .send(&client)
            .await,
    );
    assert_eq!(
        (status, error.type_),
        (400, ApiErrorsType::IdempotencyError)
    );

    // A declined attempt is kept too: its retry is declined the same way.
    let declined = |key: &'static str| {
        manual_intent(1000, "pm_card_visa_chargeDeclined")
            .confirm(true)
            .customize()
            .request_strategy(idempotent(key))
    };
    let (first, _) = stripe_error(declined("decline-1").send(&client).await);
    let (again, _) = stripe_error(declined("decline-1").send(&client).await);
    assert_eq!(first.charge, again.charge);
    assert_eq!(sim.charge_count(), 2);

    // Stripe marks a replay in its headers.
    let http = reqwest::Client::new();
    let send = || {
        http.post(format!("{}v1/customers", sim.api_base()))
            .bearer_auth(&sim.config().secret_key)
            .header("Idempotency-Key", "customer-1")
            .form(&[("email", "ada@example.com")])
            .send()
    };
    let one = send().await.unwrap();
    assert!(one.headers().get("idempotent-replayed").is_none());
    let two = send().await.unwrap();
    assert_eq!(two.headers()["idempotent-replayed"], "true");
    assert_eq!(
        one.json::<Value>().await.unwrap()["id"],
        two.json::<Value>().await.unwrap()["id"]
    );
}

#[tokio::test]
async fn refunds_are_partial_then_full_and_never_more_than_was_paid() {
    let (sim, client) = start().await;
    let pi = CreatePaymentIntent::new(1000, Currency::EUR)
        .payment_method("pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let partial = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .amount(300)
        .send(&client)
        .await
        .unwrap();
    assert!(partial.id.as_str().starts_with("re_"));
    assert_eq!(partial.amount, 300);
    let charge_id = pi.latest_charge.as_ref().unwrap().id().clone();
    let charge = RetrieveCharge::new(charge_id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!((charge.amount_refunded, charge.refunded), (300, false));

    let (error, _) = stripe_error(
        CreateRefund::new()
            .charge(charge_id.as_str())
            .amount(800)
            .send(&client)
            .await,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::AmountTooLarge));

    let rest = CreateRefund::new()
        .charge(charge_id.as_str())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(rest.amount, 700);
    let charge = RetrieveCharge::new(charge_id).send(&client).await.unwrap();
    assert_eq!((charge.amount_refunded, charge.refunded), (1000, true));
    let (error, _) = stripe_error(
        CreateRefund::new()
            .payment_intent(pi.id.as_str())
            .send(&client)
            .await,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::ChargeAlreadyRefunded));
    assert_eq!(sim.events_of_type("charge.refunded").len(), 2);

    // An uncaptured hold is canceled, not refunded.
    let hold = manual_intent(500, "pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let (error, _) = stripe_error(
        CreateRefund::new()
            .payment_intent(hold.id.as_str())
            .send(&client)
            .await,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::ChargeNotRefundable));
}

#[tokio::test]
async fn a_card_saved_with_a_setup_intent_pays_off_session() {
    let (sim, client) = start().await;
    let customer = CreateCustomer::new()
        .email("ada@example.com")
        .send(&client)
        .await
        .unwrap();
    assert!(customer.id.as_str().starts_with("cus_"));
    let si = CreateSetupIntent::new()
        .customer(customer.id.as_str())
        .payment_method("pm_card_authenticationRequiredOnSetup")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    // This card needs 3-D Secure when it is set up…
    assert_eq!(si.status, SetupIntentStatus::RequiresAction);
    assert!(si.client_secret.as_deref().unwrap().starts_with("seti_"));
    sim.authenticate(si.id.as_str(), true).unwrap();
    let si = RetrieveSetupIntent::new(si.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(si.status, SetupIntentStatus::Succeeded);

    let saved = ListPaymentMethodsCustomer::new(customer.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(saved.data.len(), 1);
    let pm = saved.data[0].clone();
    assert_eq!(pm.card.as_ref().unwrap().last4, "3155");

    // …and then goes through off-session, the shopper away.
    let hold = CreatePaymentIntent::new(2000, Currency::EUR)
        .customer(customer.id.as_str())
        .payment_method(pm.id.as_str())
        .capture_method(PaymentIntentCaptureMethod::Manual)
        .off_session(CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(hold.status, PaymentIntentStatus::RequiresCapture);

    // A card that cannot be charged can still be saved; its charge is declined.
    let failing = AttachPaymentMethod::new("pm_card_chargeCustomerFail")
        .customer(customer.id.as_str())
        .send(&client)
        .await
        .unwrap();
    let (error, _) = stripe_error(
        manual_intent(2000, failing.id.as_str())
            .customer(customer.id.as_str())
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
            .send(&client)
            .await,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::CardDeclined));
    // A card that declines fails the check when it is attached.
    let (error, status) = stripe_error(
        AttachPaymentMethod::new("pm_card_visa_chargeDeclined")
            .customer(customer.id.as_str())
            .send(&client)
            .await,
    );
    assert_eq!(
        (status, error.code),
        (402, Some(ApiErrorsCode::CardDeclined))
    );

    DetachPaymentMethod::new(pm.id.clone())
        .send(&client)
        .await
        .unwrap();
    let saved = ListPaymentMethodsCustomer::new(customer.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(saved.data.len(), 1, "only the failing card is left");

    // Someone else's customer cannot use the card.
    let other = CreateCustomer::new().send(&client).await.unwrap();
    let (error, _) = stripe_error(
        manual_intent(2000, failing.id.as_str())
            .customer(other.id.as_str())
            .send(&client)
            .await,
    );
    assert_eq!(error.type_, ApiErrorsType::InvalidRequestError);
}

#[tokio::test]
async fn a_payment_method_used_without_a_customer_cannot_be_used_again() {
    let (sim, client) = start().await;
    let http = reqwest::Client::new();
    let pm: Value = http
        .post(format!("{}v1/payment_methods", sim.api_base()))
        .bearer_auth(&sim.config().publishable_key)
        .form(&[
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pm = pm["id"].as_str().unwrap();
    CreatePaymentIntent::new(1000, Currency::EUR)
        .payment_method(pm)
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let (error, _) = stripe_error(
        CreatePaymentIntent::new(1000, Currency::EUR)
            .payment_method(pm)
            .send(&client)
            .await,
    );
    assert!(error.message.unwrap().contains("may not be used again"));
}

#[tokio::test]
async fn capture_fails_when_the_authorization_expired() {
    let (sim, client) = start().await;
    // The simulator's test card whose authorization expires before capture…
    let hold = manual_intent(1000, "pm_card_captureExpired")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(hold.status, PaymentIntentStatus::RequiresCapture);
    let (error, status) = stripe_error(
        CapturePaymentIntent::new(hold.id.clone())
            .send(&client)
            .await,
    );
    assert_eq!(
        (status, error.code),
        (400, Some(ApiErrorsCode::ChargeExpiredForCapture))
    );
    assert_eq!(
        error.payment_intent.unwrap().status,
        PaymentIntentStatus::Canceled
    );

    // …or any hold, expired by the test hook.
    let hold = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    sim.expire_authorization(hold.id.as_str()).unwrap();
    let (error, _) = stripe_error(
        CapturePaymentIntent::new(hold.id.clone())
            .send(&client)
            .await,
    );
    assert_eq!(error.code, Some(ApiErrorsCode::ChargeExpiredForCapture));
    assert_eq!(sim.events_of_type("payment_intent.canceled").len(), 2);
}

#[tokio::test]
async fn webhooks_are_signed_so_that_async_stripe_verifies_them() {
    let (sim, client) = start().await;
    let receiver = Receiver::start().await;
    sim.webhooks().set_url(Some(receiver.url.clone()));
    let pi = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    CapturePaymentIntent::new(pi.id.clone())
        .amount_to_capture(800)
        .send(&client)
        .await
        .unwrap();
    let succeeded = receiver.wait_for("payment_intent.succeeded").await;
    assert_eq!(
        receiver.types(),
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
            "charge.captured",
            "payment_intent.succeeded",
        ]
    );
    let secret = &sim.config().webhook_secret;
    for delivery in receiver.received() {
        let signature = delivery.header("stripe-signature").unwrap();
        Webhook::construct_event(&delivery.body, signature, secret)
            .unwrap_or_else(|e| panic!("{e:?} for {}", delivery.body));
    }
    let event = Webhook::construct_event(
        &succeeded.body,
        succeeded.header("stripe-signature").unwrap(),
        secret,
    )
    .unwrap();
    let EventObject::PaymentIntentSucceeded(object) = event.data.object else {
        panic!("a PaymentIntent");
    };
    assert_eq!((object.id, object.amount_received), (pi.id.clone(), 800));
    assert_eq!(
        succeeded.json()["request"]["id"].as_str().unwrap().len(),
        18
    );

    // The signature covers the body: a changed body fails.
    let tampered = succeeded.body.replace("800", "900");
    assert!(
        Webhook::construct_event(
            &tampered,
            succeeded.header("stripe-signature").unwrap(),
            secret
        )
        .is_err()
    );
    assert!(
        Webhook::construct_event(
            &succeeded.body,
            succeeded.header("stripe-signature").unwrap(),
            "whsec_other"
        )
        .is_err()
    );

    // The events API has them too, newest first.
    let events = ListEvent::new().send(&client).await.unwrap();
    assert_eq!(events.data[0].id.as_str(), event.id.as_str());
}

#[tokio::test]
async fn a_rolled_secret_signs_with_both_secrets() {
    let sim = sim::spawn(StripeConfig {
        previous_webhook_secrets: vec!["whsec_previous".into()],
        ..StripeConfig::default()
    })
    .await
    .unwrap();
    let receiver = Receiver::start().await;
    sim.webhooks().set_url(Some(receiver.url.clone()));
    let client = ClientBuilder::new(&sim.config().secret_key)
        .url(sim.api_base())
        .build()
        .unwrap();
    CreateCustomer::new().send(&client).await.unwrap();
    let delivery = receiver.wait_for("customer.created").await;
    let header = delivery.header("stripe-signature").unwrap();
    let parts: Vec<_> = header.split(',').collect();
    let t: i64 = parts[0].strip_prefix("t=").unwrap().parse().unwrap();
    let v1: Vec<_> = parts.iter().filter_map(|p| p.strip_prefix("v1=")).collect();
    assert_eq!(v1.len(), 2);
    // Each v1 verifies with its own secret (async-stripe reads one v1 only).
    for (signature, secret) in v1.iter().zip(["whsec_automat_simulator", "whsec_previous"]) {
        let single = format!("t={t},v1={signature}");
        Webhook::construct_event(&delivery.body, &single, secret).unwrap();
    }
}

#[tokio::test]
async fn webhooks_can_be_held_delivered_out_of_order_replayed_and_retried() {
    let (sim, client) = start().await;
    let receiver = Receiver::failing_first(1).await;
    sim.webhooks().set_url(Some(receiver.url.clone()));
    sim.webhooks().hold();
    let pi = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    CapturePaymentIntent::new(pi.id.clone())
        .send(&client)
        .await
        .unwrap();
    let pending = sim.webhooks().pending();
    assert_eq!(pending.len(), 5);
    assert!(receiver.received().is_empty(), "held");

    // The last event first; the endpoint fails it once, a manual delivery is one attempt.
    let last = pending.last().unwrap();
    let first_try = sim.webhooks().deliver(last).await.unwrap();
    assert_eq!(first_try.status, Some(500));
    let second_try = sim.webhooks().deliver(last).await.unwrap();
    assert!(second_try.succeeded());
    assert_eq!(
        receiver.types(),
        ["payment_intent.succeeded", "payment_intent.succeeded"]
    );
    assert_eq!(
        receiver.received()[0].json()["id"],
        receiver.received()[1].json()["id"]
    );

    sim.webhooks().release();
    eventually("the rest delivered", async || {
        receiver.received().len() == 6
    })
    .await;
    assert_eq!(
        receiver.types()[2..],
        [
            "payment_intent.created",
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
            "charge.captured",
        ]
    );
    assert!(sim.webhooks().pending().is_empty());
}

#[tokio::test]
async fn the_worker_retries_a_failed_delivery() {
    let (sim, client) = start().await;
    let receiver = Receiver::failing_first(2).await;
    sim.webhooks()
        .set_retry_delays(vec![Duration::from_millis(10), Duration::from_millis(10)]);
    sim.webhooks().set_url(Some(receiver.url.clone()));
    CreateCustomer::new().send(&client).await.unwrap();
    eventually("three attempts", async || {
        sim.webhooks()
            .deliveries()
            .iter()
            .filter(|d| d.succeeded())
            .count()
            == 1
    })
    .await;
    let attempts: Vec<_> = sim
        .webhooks()
        .deliveries()
        .iter()
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(attempts, [(1, Some(500)), (2, Some(500)), (3, Some(200))]);
}

#[tokio::test]
async fn disputes_raise_charge_dispute_created() {
    let (sim, client) = start().await;
    let receiver = Receiver::start().await;
    sim.webhooks().set_url(Some(receiver.url.clone()));
    // Stripe's test card that is disputed after the payment…
    CreatePaymentIntent::new(1000, Currency::EUR)
        .payment_method("pm_card_createDispute")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let delivery = receiver.wait_for("charge.dispute.created").await;
    let event = Webhook::construct_event(
        &delivery.body,
        delivery.header("stripe-signature").unwrap(),
        &sim.config().webhook_secret,
    )
    .unwrap();
    let EventObject::ChargeDisputeCreated(dispute) = event.data.object else {
        panic!("a Dispute");
    };
    assert_eq!(dispute.amount, 1000);

    // …and any captured charge, by the test hook.
    let pi = CreatePaymentIntent::new(1200, Currency::EUR)
        .payment_method("pm_card_visa")
        .confirm(true)
        .send(&client)
        .await
        .unwrap();
    let charge = pi.latest_charge.unwrap().id().clone();
    let dispute = sim.dispute(charge.as_str()).unwrap();
    assert_eq!(dispute["charge"], json!(charge.as_str()));
    let charge = RetrieveCharge::new(charge).send(&client).await.unwrap();
    assert!(charge.disputed);
}

#[tokio::test]
async fn bad_requests_get_stripe_errors() {
    let (sim, client) = start().await;
    let http = reqwest::Client::new();
    let post = |key: &str, path: &str, form: &[(&str, &str)]| {
        http.post(format!("{}v1/{path}", sim.api_base()))
            .bearer_auth(key)
            .form(form)
            .send()
    };
    let secret = sim.config().secret_key.clone();

    let response = http
        .post(format!("{}v1/payment_intents", sim.api_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = post("sk_test_wrong1234", "payment_intents", &[])
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Invalid API Key provided: sk_test_****1234"
    );
    let response = post(
        &sim.config().publishable_key,
        "payment_intents",
        &[("amount", "100")],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 401);

    for (form, code, param) in [
        (vec![("currency", "eur")], "parameter_missing", "amount"),
        (
            vec![("amount", "ten"), ("currency", "eur")],
            "parameter_invalid_integer",
            "amount",
        ),
        (
            vec![("amount", "100"), ("currency", "eur"), ("amuont", "1")],
            "parameter_unknown",
            "amuont",
        ),
        (
            vec![("amount", "10"), ("currency", "eur")],
            "amount_too_small",
            "amount",
        ),
    ] {
        let response = post(&secret, "payment_intents", &form).await.unwrap();
        assert_eq!(response.status(), 400, "{form:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["code"], code, "{form:?}");
        assert_eq!(body["error"]["param"], param);
    }

    let (error, status) =
        stripe_error(RetrievePaymentIntent::new("pi_missing").send(&client).await);
    assert_eq!(
        (status, error.code),
        (404, Some(ApiErrorsCode::ResourceMissing))
    );

    // Stripe-Version is checked and echoed.
    let response = http
        .get(format!("{}v1/events", sim.api_base()))
        .bearer_auth(&secret)
        .header("Stripe-Version", "2024-06-20")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["stripe-version"], "2024-06-20");
    assert!(
        response.headers()["request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let response = http
        .get(format!("{}v1/events", sim.api_base()))
        .bearer_auth(&secret)
        .header("Stripe-Version", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // A server may not send card numbers; Stripe.js (the publishable key) may.
    let card = [
        ("type", "card"),
        ("card[number]", "4242424242424242"),
        ("card[exp_month]", "12"),
        ("card[exp_year]", "2034"),
    ];
    assert_eq!(
        post(&secret, "payment_methods", &card)
            .await
            .unwrap()
            .status(),
        400
    );
    let mut bad = card;
    bad[1].1 = "4242424242424241";
    let response = post(&sim.config().publishable_key, "payment_methods", &bad)
        .await
        .unwrap();
    assert_eq!(response.status(), 402);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "incorrect_number");
}

#[tokio::test]
async fn the_browser_confirms_with_the_publishable_key_and_the_client_secret() {
    let (sim, client) = start().await;
    let http = reqwest::Client::new();
    let pk = sim.config().publishable_key.clone();
    let pi = CreatePaymentIntent::new(1000, Currency::EUR)
        .send(&client)
        .await
        .unwrap();
    let secret = pi.client_secret.unwrap();
    let pm: Value = http
        .post(format!("{}v1/payment_methods", sim.api_base()))
        .bearer_auth(&pk)
        .form(&[
            ("type", "card"),
            ("card[number]", "4000000000003220"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
            ("billing_details[name]", "Ada Lovelace"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pm["card"]["last4"], "3220");
    assert_eq!(pm["billing_details"]["name"], "Ada Lovelace");
    let confirm = |client_secret: &str| {
        http.post(format!(
            "{}v1/payment_intents/{}/confirm",
            sim.api_base(),
            pi.id.as_str()
        ))
        .bearer_auth(&pk)
        .form(&[
            ("client_secret", client_secret),
            ("payment_method", pm["id"].as_str().unwrap()),
        ])
        .send()
    };
    assert_eq!(confirm("pi_wrong_secret_x").await.unwrap().status(), 400);
    let confirmed: Value = confirm(&secret).await.unwrap().json().await.unwrap();
    assert_eq!(confirmed["status"], "requires_action");

    // The challenge page's Complete button posts this.
    let challenge = format!("{}v3/3ds/{}", sim.api_base(), pi.id.as_str());
    let page = http
        .get(&challenge)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("test-source-authorize-3ds"));
    let wrong = http
        .post(&challenge)
        .json(&json!({"client_secret": "nope", "outcome": "complete"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let done: Value = http
        .post(&challenge)
        .json(&json!({"client_secret": secret, "outcome": "complete"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "succeeded");
    let charge = sim.object(confirmed["id"].as_str().unwrap()).unwrap()["latest_charge"].clone();
    let charge = sim.object(charge.as_str().unwrap()).unwrap();
    assert_eq!(
        charge["payment_method_details"]["card"]["three_d_secure"]["result"],
        "authenticated"
    );

    let js = http.get(sim.stripe_js_url()).send().await.unwrap();
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript")
    );
    assert!(js.text().await.unwrap().contains("confirmCardPayment"));
}

#[tokio::test]
async fn a_late_answer_is_replayed_to_the_retry_and_nothing_is_charged_twice() {
    let (sim, _) = start().await;
    let impatient = ClientBuilder::new(&sim.config().secret_key)
        .url(sim.api_base())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    sim.set_faults(Faults {
        delay_next: 1,
        response_delay_ms: 1000,
        ..Faults::default()
    });
    let first = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .customize()
        .request_strategy(idempotent("hold-late"))
        .send(&impatient)
        .await;
    assert!(matches!(first, Err(StripeError::Timeout)), "{first:?}");
    assert_eq!(
        sim.charge_count(),
        1,
        "the hold was made although nobody heard"
    );
    let retry = manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .customize()
        .request_strategy(idempotent("hold-late"))
        .send(&impatient)
        .await
        .unwrap();
    assert_eq!(retry.status, PaymentIntentStatus::RequiresCapture);
    assert_eq!(sim.charge_count(), 1);

    // A 500 before execution is not kept: the retry executes.
    sim.set_faults(Faults {
        fail_next: 1,
        ..Faults::default()
    });
    let (error, status) = stripe_error(
        manual_intent(1000, "pm_card_visa")
            .confirm(true)
            .customize()
            .request_strategy(idempotent("hold-500"))
            .send(&impatient)
            .await,
    );
    assert_eq!((status, error.type_), (500, ApiErrorsType::ApiError));
    manual_intent(1000, "pm_card_visa")
        .confirm(true)
        .customize()
        .request_strategy(idempotent("hold-500"))
        .send(&impatient)
        .await
        .unwrap();
    assert_eq!(sim.charge_count(), 2);
}
