//! `/store/loyalty/*` and `/admin/loyalty/config` against the embedded
//! loyalty host, and finalize after a real checkout.

use std::{sync::Arc, time::Duration};

use domain::{
    carts, catalog, checkout,
    loyalty::{self, SessionStatus},
    payments::{self, Providers, system::SystemProvider},
    shipping,
};
use loyalty_host::{Faults, TransactionStatus};
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    TestApp, eventually, get_json,
    loyalty_verification::{on_every_db_with_sms, verified_cart, verify_by_sms},
    on_every_db, send_json,
};

pub const PHONE: &str = "+1 555 010 0001";

/// 2 cold brews (an instant reward) and a buddha bowl (double points).
pub async fn cart(app: &TestApp) -> String {
    let cart = carts::create_cart(&app.db, carts::NewCart::in_currency("eur"))
        .await
        .unwrap()
        .cart;
    for (handle, quantity) in [("cold-brew-coffee", 2), ("vegan-buddha-bowl", 1)] {
        let product = catalog::find_published(&app.db, handle).await.unwrap();
        carts::add_line_item(&app.db, &cart.id, &product.variants[0].variant.id, quantity)
            .await
            .unwrap();
    }
    cart.id
}

/// How many times the outbox tried to deliver `order.placed` to loyalty.
async fn loyalty_attempts(app: &TestApp) -> i32 {
    let backend = app.db.get_database_backend();
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT COALESCE(MAX(attempts), 0) AS n FROM outbox_events WHERE name = 'order.placed'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i32>("", "n").unwrap()
}

/// The contact and shipping details checkout asks for.
async fn ready_for_checkout(app: &TestApp, cart_id: &str) {
    let email = domain::credentials::Email::parse("member@example.com").unwrap();
    carts::set_email(&app.db, cart_id, &email).await.unwrap();
    let detail = carts::get_cart(&app.db, cart_id).await.unwrap();
    let option = shipping::options_in_region(&app.db, detail.cart.region_id.as_deref())
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("a shipping option");
    carts::add_shipping_method(&app.db, cart_id, &option.id)
        .await
        .unwrap();
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send_json(
        app.client
            .post(app.url(path))
            .header("x-publishable-api-key", &app.publishable_key)
            .json(&body),
    )
    .await
}

fn reward<'a>(session: &'a Value, id: &str) -> &'a Value {
    session["loyalty_session"]["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str().is_some_and(|r| r.starts_with(id)))
        .unwrap_or_else(|| panic!("no reward {id} in {session}"))
}

#[tokio::test]
async fn a_shopper_identifies_by_phone_and_chooses_rewards() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = cart(&app).await;
        let no_key = send_json(
            app.client
                .post(app.url("/store/loyalty/identify"))
                .json(&json!({"cart_id": cart_id, "phone": PHONE})),
        )
        .await;
        assert_eq!(no_key.0, 400);
        let (status, body) =
            post(&app, "/store/loyalty/identify", json!({"cart_id": cart_id})).await;
        assert_eq!((status, body["type"].as_str()), (400, Some("invalid_data")));
        let (status, _) = post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": cart_id, "phone": "not a phone"}),
        )
        .await;
        assert_eq!(status, 400);
        let (status, _) = post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": cart_id, "phone": "+1 555 999 0000"}),
        )
        .await;
        assert_eq!(status, 404, "no such member");
        let (status, _) = post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": "cart_nope", "phone": PHONE}),
        )
        .await;
        assert_eq!(status, 404);

        let (status, identified) = post(
            &app,
            "/store/loyalty/identify",
            json!({"cart_id": cart_id, "phone": PHONE}),
        )
        .await;
        assert_eq!(status, 200, "{identified}");
        let session = &identified["loyalty_session"];
        assert_eq!(session["status"], "ACTIVE");
        assert_eq!(session["member_id"], "************5678");
        assert_eq!(
            session["points_balance"],
            Value::Null,
            "not before the phone is verified"
        );
        let verified = verify_by_sms(&app, &sms, &cart_id).await;
        assert_eq!(verified["loyalty_session"]["points_balance"], 1200);

        let (status, calculated) =
            post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        assert_eq!(status, 200, "{calculated}");
        let coffee = reward(&calculated, "coffee-50");
        assert_eq!(
            (coffee["instant"].as_bool(), coffee["applied"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(coffee["discount_amount"], 100);
        assert!(coffee["line_item_id"].is_string());
        assert_eq!(calculated["loyalty_session"]["discount_total"], 100);
        let ticket = reward(&calculated, "ticket-10pct");
        assert_eq!(ticket["applied"], false);
        let ticket_id = ticket["id"].as_str().unwrap().to_owned();
        let ticket_off = ticket["discount_amount"].as_i64().unwrap();
        assert!(ticket_off > 0);

        let (status, chosen) = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": ticket_id, "selected": true}),
        )
        .await;
        assert_eq!(status, 200, "{chosen}");
        assert_eq!(
            chosen["loyalty_session"]["discount_total"],
            100 + ticket_off
        );
        assert_eq!(
            carts::get_cart(&app.db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            100 + ticket_off,
            "the cart totals carry the loyalty discount"
        );
        let coffee_id = coffee["id"].as_str().unwrap();
        let (status, body) = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": coffee_id, "selected": false}),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = post(
            &app,
            "/store/loyalty/rewards/select",
            json!({"cart_id": cart_id, "reward_id": "nope", "selected": true}),
        )
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn a_down_slow_or_erroring_host_answers_503_and_nothing_else_breaks() {
    on_every_db(async |app| {
        let cart_id = cart(&app).await;
        let identify = json!({"cart_id": cart_id, "phone": PHONE});
        for faults in [
            Faults {
                error_rate: 1.0,
                ..Faults::default()
            },
            Faults {
                latency_ms: 2000,
                ..Faults::default()
            },
            Faults {
                hang: true,
                ..Faults::default()
            },
        ] {
            app.loyalty_host.set_faults(faults);
            let (status, body) = post(&app, "/store/loyalty/identify", identify.clone()).await;
            assert_eq!(status, 503, "{body}");
            assert_eq!(body["type"], "unavailable");
            assert!(body["message"].is_string());
        }
        app.loyalty_host.stop();
        let (status, body) = post(&app, "/store/loyalty/identify", identify).await;
        assert_eq!((status, body["type"].as_str()), (503, Some("unavailable")));
        let (status, _) =
            get_json(&app, "/store/products?limit=1", Some(&app.publishable_key)).await;
        assert_eq!(status, 200, "the rest of the store is unaffected");
        assert_eq!(
            carts::get_cart(&app.db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn admins_configure_the_host_and_never_see_the_secret() {
    on_every_db(async |app| {
        let (status, _) = send_json(app.client.get(app.url("/admin/loyalty/config"))).await;
        assert_eq!(status, 401);
        let token = app.admin_token().await;
        let (status, body) = send_json(app.admin(Method::GET, "/admin/loyalty/config", &token)).await;
        assert_eq!(status, 200, "{body}");
        let config = &body["loyalty_config"];
        assert_eq!(config["provider"], "embedded-simulator");
        assert_eq!(config["has_client_secret"], true);
        assert!(config.get("client_secret").is_none());
        let base_url = config["base_url"].as_str().unwrap().to_owned();

        let bad = json!({"enabled": true, "provider": "pdi", "base_url": "nope", "client_id": "x"});
        let (status, _) =
            send_json(app.admin(Method::POST, "/admin/loyalty/config", &token).json(&bad)).await;
        assert_eq!(status, 400);

        // Switched off, with the secret kept: identify answers 503.
        let off = json!({"enabled": false, "provider": "pdi", "base_url": base_url, "client_id": "automat-demo", "site_id": "S1"});
        let response = app
            .admin(Method::POST, "/admin/loyalty/config", &token)
            .json(&off)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains("automat-demo-secret"), "{text}");
        let saved: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(saved["loyalty_config"]["site_id"], "S1");
        let cart_id = cart(&app).await;
        let identify = json!({"cart_id": cart_id, "phone": PHONE});
        assert_eq!(post(&app, "/store/loyalty/identify", identify.clone()).await.0, 503);

        let on = json!({"enabled": true, "provider": "pdi", "base_url": base_url, "client_id": "automat-demo"});
        let (status, _) =
            send_json(app.admin(Method::POST, "/admin/loyalty/config", &token).json(&on)).await;
        assert_eq!(status, 200);
        assert_eq!(post(&app, "/store/loyalty/identify", identify).await.0, 200, "the stored secret still works");
        let stored: Vec<String> = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                "SELECT client_secret_encrypted FROM store_loyalty_configs",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "client_secret_encrypted").unwrap())
            .collect();
        assert_eq!(stored.len(), 1);
        assert!(!stored[0].contains("automat-demo-secret"), "encrypted at rest");
    })
    .await;
}

#[tokio::test]
async fn the_order_is_finalized_after_checkout_once_the_host_is_back() {
    on_every_db_with_sms(async |app, sms| {
        let cart_id = cart(&app).await;
        verified_cart(&app, &sms, &cart_id).await;
        let (_, calculated) =
            post(&app, "/store/loyalty/rewards", json!({"cart_id": cart_id})).await;
        let ticket_id = reward(&calculated, "ticket-10pct")["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let select = json!({"cart_id": cart_id, "reward_id": ticket_id, "selected": true});
        assert_eq!(
            post(&app, "/store/loyalty/rewards/select", select).await.0,
            200
        );

        // The host goes down; the checkout does not notice.
        app.loyalty_host.set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        let providers = Providers::default().with(Arc::new(SystemProvider));
        ready_for_checkout(&app, &cart_id).await;
        let collection = checkout::payment_collection_for_cart(&app.db, &cart_id)
            .await
            .unwrap();
        payments::create_session(&app.db, &providers, &collection.id, "pp_system_default")
            .await
            .unwrap();
        let order = checkout::complete_cart(&app.db, &providers, &cart_id)
            .await
            .unwrap();

        // The server's own outbox dispatcher tries to finalize, and fails while the host is down.
        let status = async || {
            loyalty::session_for_cart(&app.db, &cart_id)
                .await
                .unwrap()
                .unwrap()
        };
        eventually(
            Duration::from_secs(5),
            "a failed finalize attempt",
            async || loyalty_attempts(&app).await > 0,
        )
        .await;
        let pending = status().await;
        assert_eq!(pending.status, SessionStatus::PendingFinalization);
        assert_eq!(
            pending.session.order_id.as_deref(),
            Some(order.order.id.as_str())
        );

        app.loyalty_host.clear_faults();
        eventually(
            Duration::from_secs(15),
            "finalized once the host is back",
            async || status().await.status == SessionStatus::Finalized,
        )
        .await;
        let done = status().await;
        let recorded = app
            .loyalty_host
            .transaction(&done.session.pos_sequence_id)
            .unwrap();
        assert_eq!(recorded.status, TransactionStatus::Finalized);
        assert_eq!(done.session.host_transaction_id, recorded.confirmation_id);
        assert_eq!(
            recorded.rewards_redeemed.len(),
            3,
            "coffee, ticket, double points: {recorded:?}"
        );
        assert_eq!(done.session.points_earned, Some(recorded.points_earned));
        assert_eq!(
            app.loyalty_host.points_balance(PHONE),
            Some(1200 + recorded.points_earned - 100)
        );

        let token = app.admin_token().await;
        let (status, listed) = send_json(app.admin(
            Method::GET,
            "/admin/loyalty/sessions?status=finalized",
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{listed}");
        assert_eq!(listed["count"], 1);
        let row = &listed["loyalty_sessions"][0];
        assert_eq!(row["order_id"], order.order.id.as_str());
        assert_eq!(row["status"], "FINALIZED");
        assert!(row["confirmation_id"].is_string());
        let (status, _) = send_json(app.admin(
            Method::GET,
            "/admin/loyalty/sessions?status=sideways",
            &token,
        ))
        .await;
        assert_eq!(status, 400);
    })
    .await;
}
