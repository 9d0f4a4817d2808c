//! Loyalty points belong to their member, over the Store API: a phone
//! number alone shows the member masked and earns; the balance and rewards
//! that cost points need the code texted to the phone (read here from a
//! local SMS provider), or a membership the signed-in customer linked with
//! such a code.

use std::time::Duration;

use domain::{carts, events, loyalty};
use reqwest::Method;
use serde_json::{Value, json};
use server::config::SmsSettings;
use testkit::sms::{ACCOUNT_SID, AUTH_TOKEN, FROM, SmsSimulator};

use crate::{
    Options, TestApp,
    customers::store,
    eventually,
    loyalty::{PHONE, cart},
    send_json, spawn_app,
};

/// [`PHONE`] as the store texts it.
pub const PHONE_E164: &str = "+15550100001";
const WITHIN: Duration = Duration::from_secs(5);

/// `options` with text messages going to `sms`.
pub fn texting_to(mut options: Options, sms: &SmsSimulator) -> Options {
    options.settings.sms = SmsSettings {
        sms_url: sms.url(),
        sms_account_sid: Some(ACCOUNT_SID.into()),
        sms_auth_token: Some(AUTH_TOKEN.into()),
        sms_from: Some(FROM.into()),
    };
    options
}

/// Runs `test` once per database backend, each on a fresh server that
/// texts through its own SMS simulator.
pub async fn on_every_db_with_sms(test: impl AsyncFn(TestApp, SmsSimulator)) {
    for backend in testkit::db_backends() {
        let sms = SmsSimulator::start().await;
        let app = spawn_app(texting_to(Options::on(backend), &sms)).await;
        test(app, sms).await;
    }
}

/// The code in the `nth` (from 1) message to [`PHONE`].
pub async fn nth_code(sms: &SmsSimulator, nth: usize) -> String {
    let messages = sms.wait_for(PHONE_E164, nth, WITHIN).await;
    assert!(messages.len() >= nth, "message {nth} arrived: {messages:?}");
    assert_eq!(messages[nth - 1].from, FROM);
    messages[nth - 1].code().expect("a 6-digit code")
}

/// A Store API POST, signed in when `token` is given.
async fn post_as(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    send_json(store(app, Method::POST, path, token).json(&body)).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    post_as(app, path, None, body).await
}

/// Enters `code` for the cart.
async fn enter_code(app: &TestApp, cart_id: &str, code: &str) -> (u16, Value) {
    post(
        app,
        "/store/loyalty/verify",
        json!({"cart_id": cart_id, "code": code}),
    )
    .await
}

/// Texts a code for the identified cart and enters it: the cart may redeem.
pub async fn verify_by_sms(app: &TestApp, sms: &SmsSimulator, cart_id: &str) -> Value {
    let sent_before = sms.messages().len();
    let (status, body) = post(app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
    assert_eq!(status, 200, "{body}");
    let code = nth_code(sms, sent_before + 1).await;
    let (status, body) = enter_code(app, cart_id, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["loyalty_session"]["verified"], true);
    body
}

/// Identifies the cart by [`PHONE`] and verifies it by SMS.
pub async fn verified_cart(app: &TestApp, sms: &SmsSimulator, cart_id: &str) -> Value {
    let (status, body) = post(
        app,
        "/store/loyalty/identify",
        json!({"cart_id": cart_id, "phone": PHONE}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    verify_by_sms(app, sms, cart_id).await
}

fn reward_ids(session: &Value) -> Vec<String> {
    session["loyalty_session"]["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn refused(answer: (u16, Value), status: u16, says: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    let message = answer.1["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{message:?} should say {says:?}");
}

/// Moves every code's clock back by `seconds`, as if that time had passed.
async fn codes_older_by(app: &TestApp, seconds: i64) {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let shift = chrono::Duration::seconds(seconds);
    for code in loyalty::phone_code::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
    {
        let mut older = code.clone().into_active_model();
        older.created_at = Set(code.created_at - shift);
        older.expires_at = Set(code.expires_at - shift);
        older.update(&app.db).await.unwrap();
    }
}

#[tokio::test]
async fn a_phone_alone_shows_the_member_masked_without_balance_and_cannot_redeem() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = cart(&app).await;
        let response = store(&app, Method::POST, "/store/loyalty/identify", None)
            .json(&json!({"cart_id": cart_id, "phone": PHONE}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains("1200"), "the balance is not told: {text}");
        let identified: Value = serde_json::from_str(&text).unwrap();
        let session = &identified["loyalty_session"];
        assert_eq!(session["member_id"], "************5678", "masked");
        assert_eq!(session["verified"], false);
        assert_eq!(session["points_balance"], Value::Null);

        let (status, calculated) =
            post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        assert_eq!(status, 200, "{calculated}");
        let ids = reward_ids(&calculated);
        assert!(ids.iter().any(|id| id.starts_with("coffee-50")), "{ids:?}");
        assert!(
            !ids.iter().any(|id| id.starts_with("ticket-10pct")),
            "rewards that cost points would tell the balance: {ids:?}"
        );
        assert_eq!(calculated["loyalty_session"]["discount_total"], 100);
        assert!(calculated["loyalty_session"]["points_earnable"].as_i64() > Some(0));

        let redeem = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": "ticket-10pct", "selected": true}),
        )
        .await;
        assert_eq!(redeem.1["type"], "not_allowed");
        refused(redeem, 400, "phone must be verified");
        assert_eq!(
            carts::get_cart(&app.db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            100,
            "only the free reward counts"
        );
        assert!(sms.messages().is_empty(), "nothing texted unasked");
    })
    .await;
}

#[tokio::test]
async fn the_code_from_the_sms_lets_the_cart_redeem_once() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = cart(&app).await;
        refused(
            post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await,
            404,
            "Loyalty session",
        );
        post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": cart_id, "phone": PHONE}),
        )
        .await;
        let (status, sent) = post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
        assert_eq!(status, 200, "{sent}");
        assert_eq!(sent["loyalty_code"]["phone_ending"], "01");
        let code = nth_code(&sms, 1).await;
        assert!(
            sms.messages()[0].body.contains("10 minutes"),
            "{:?}",
            sms.messages()
        );
        let wrong = if code == "999999" { "999998" } else { "999999" };
        refused(enter_code(&app, &cart_id, wrong).await, 400, "4 tries left");

        let (status, verified) = enter_code(&app, &cart_id, &code).await;
        assert_eq!(status, 200, "{verified}");
        assert_eq!(verified["loyalty_session"]["verified"], true);
        assert_eq!(verified["loyalty_session"]["points_balance"], 1200);
        let (_, calculated) =
            post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        assert!(reward_ids(&calculated).contains(&"ticket-10pct".to_owned()));
        let (status, chosen) = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": "ticket-10pct", "selected": true}),
        )
        .await;
        assert_eq!(status, 200, "{chosen}");
        assert!(chosen["loyalty_session"]["discount_total"].as_i64() > Some(100));

        refused(enter_code(&app, &cart_id, &code).await, 400, "already used");
        refused(
            post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await,
            409,
            "already verified",
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_burn_the_code_expired_ones_are_refused_and_resends_wait() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = cart(&app).await;
        post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": cart_id, "phone": PHONE}),
        )
        .await;
        post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
        let code = nth_code(&sms, 1).await;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let verify = async |code: &str| enter_code(&app, &cart_id, code).await;
        for _ in 1..domain::loyalty::verification::MAX_ATTEMPTS {
            assert_eq!(verify(wrong).await.0, 400);
        }
        refused(verify(wrong).await, 400, "last try");
        refused(verify(&code).await, 400, "too many times");

        let again = store(&app, Method::POST, "/store/loyalty/code", None)
            .json(&json!({"cart_id": cart_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 429);
        let wait: u64 = again.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");

        codes_older_by(&app, 61).await;
        let (status, _) = post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
        assert_eq!(status, 200);
        let fresh = nth_code(&sms, 2).await;
        codes_older_by(&app, 11 * 60).await;
        refused(verify(&fresh).await, 400, "expired");
        let (_, session) = post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        assert_eq!(session["loyalty_session"]["verified"], false);

        // A provider that is down: 503, and the shopper may ask again at once.
        sms.set_down(true);
        codes_older_by(&app, 61).await;
        let (status, body) = post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (503, Some("unavailable")),
            "{body}"
        );
        sms.set_down(false);
        let (status, body) = post(&app, "/store/loyalty/code", json!({"cart_id": cart_id})).await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

/// Registers over the Store API with `phone` on the profile; the customer's
/// id and token.
async fn registered(app: &TestApp, email: &str, phone: &str) -> (String, String) {
    let auth = async |path: &str| {
        send_json(
            app.client
                .post(app.url(path))
                .json(&json!({"email": email, "password": "long enough"})),
        )
        .await
    };
    let (status, body) = auth("/auth/customer/emailpass/register").await;
    assert_eq!(status, 200, "{body}");
    let registration = body["token"].as_str().unwrap().to_owned();
    let (status, body) = post_as(
        app,
        "/store/customers",
        Some(&registration),
        json!({"email": email, "phone": phone}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["customer"]["id"].as_str().unwrap().to_owned();
    let (status, body) = auth("/auth/customer/emailpass").await;
    assert_eq!(status, 200, "{body}");
    (id, body["token"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn registering_with_a_members_phone_links_nothing() {
    on_every_db_with_sms(async |app, _sms| {
        let (customer, _) = registered(&app, "dana@example.com", PHONE).await;
        eventually(WITHIN, "the registration is handled", async || {
            events::pending(&app.db)
                .await
                .unwrap()
                .iter()
                .all(|e| e.name != domain::customers::CUSTOMER_REGISTERED)
        })
        .await;
        assert!(
            loyalty::linked_membership(&app.db, &customer)
                .await
                .unwrap()
                .is_none(),
            "a phone typed at sign-up proves nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn a_verified_link_lets_the_signed_in_customer_redeem() {
    on_every_db_with_sms(async |app, sms| {
        let (customer, token) = registered(&app, "dana@example.com", PHONE).await;
        refused(
            post(
                &app,
                "/store/customers/me/loyalty/code",
                json!({"phone": PHONE}),
            )
            .await,
            401,
            "",
        );
        refused(
            post_as(
                &app,
                "/store/customers/me/loyalty/code",
                Some(&token),
                json!({"phone": "+1 555 999 0000"}),
            )
            .await,
            404,
            "Loyalty member",
        );
        let (status, sent) = post_as(
            &app,
            "/store/customers/me/loyalty/code",
            Some(&token),
            json!({"phone": PHONE}),
        )
        .await;
        assert_eq!(status, 200, "{sent}");
        let code = nth_code(&sms, 1).await;
        let (status, linked) = post_as(
            &app,
            "/store/customers/me/loyalty/verify",
            Some(&token),
            json!({"code": code}),
        )
        .await;
        assert_eq!(status, 200, "{linked}");
        let membership = &linked["loyalty_membership"];
        assert_eq!(membership["member_id"], "************5678");
        assert!(membership["verified_at"].is_string());
        assert_eq!(membership["points_balance"], 1200);

        // Signed in: the linked phone may redeem at once.
        let cart_id = cart(&app).await;
        let (status, identified) = post_as(
            &app,
            "/store/loyalty/identify",
            Some(&token),
            json!({"cart_id": cart_id, "phone": PHONE}),
        )
        .await;
        assert_eq!(status, 200, "{identified}");
        assert_eq!(identified["loyalty_session"]["verified"], true);
        assert_eq!(identified["loyalty_session"]["points_balance"], 1200);
        post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        let (status, chosen) = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": "ticket-10pct", "selected": true}),
        )
        .await;
        assert_eq!(status, 200, "{chosen}");

        // The same phone from a guest proves nothing.
        let guest_cart = cart(&app).await;
        let (_, guest) = post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": guest_cart, "phone": PHONE}),
        )
        .await;
        assert_eq!(guest["loyalty_session"]["verified"], false);
        assert_eq!(guest["loyalty_session"]["points_balance"], Value::Null);
        assert!(
            loyalty::verification::verified_membership(&app.db, &customer)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}
