//! Loyalty in the storefront and the admin, as a browser without JavaScript
//! uses them (plain form posts, server-rendered pages), and the loyalty
//! events the running server reacts to.

use std::time::Duration;

use domain::{
    catalog,
    loyalty::{self, SessionStatus},
};
use loyalty_host::Faults;
use reqwest::header::LOCATION;

use crate::{
    TestApp, eventually,
    loyalty_verification::{nth_code, on_every_db_with_sms},
    on_every_db, send_json,
};

const PHONE: &str = "+1 555 010 0001";

async fn html(app: &TestApp, path: &str) -> String {
    let page = app.page(path).await;
    assert_eq!(page.status(), 200, "{path}");
    page.text().await.unwrap()
}

/// 2 cold brews (an instant reward) and a buddha bowl (double points), in the browser's cart.
async fn fill_cart(app: &TestApp) {
    for (handle, quantity) in [("cold-brew-coffee", "2"), ("vegan-buddha-bowl", "1")] {
        let product = catalog::find_published(&app.db, handle).await.unwrap();
        let added = app
            .post_form(
                "/api/cart/add",
                &[
                    ("variant_id", product.variants[0].variant.id.as_str()),
                    ("quantity", quantity),
                ],
            )
            .await;
        assert_eq!(added.status(), 200);
    }
}

/// The text of the element carrying `data-testid="{id}"`.
fn testid(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!(r#"data-testid="{id}""#))?;
    let after = &html[start..];
    let text = &after[after.find('>')? + 1..];
    Some(text[..text.find('<')?].to_owned())
}

/// The `data-reward` of the optional reward whose id starts with `prefix`.
fn optional_reward(html: &str, prefix: &str) -> String {
    let marker = format!(r#"data-reward="{prefix}"#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {prefix} in {html}"))
        + 13;
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// Creates an account in the storefront, and signs the browser in.
async fn register(app: &TestApp, email: &str) {
    let registered = app
        .post_form(
            "/api/account/register",
            &[
                ("email", email),
                ("password", "long enough"),
                ("first_name", "Dana"),
                ("last_name", "Demo"),
            ],
        )
        .await;
    assert_eq!(registered.status(), 200);
}

/// The order's confirmation page once it shows the points earned
/// (the order is finalized with the host from the outbox).
async fn confirmation_with_points(app: &TestApp, order_id: &str) -> String {
    let page = format!("/orders/{order_id}");
    eventually(
        Duration::from_secs(10),
        "the order is finalized",
        async || {
            html(app, &page)
                .await
                .contains(r#"data-testid="loyalty-points-earned""#)
        },
    )
    .await;
    html(app, &page).await
}

/// Checks out with pick-up at a machine, as the storefront's forms do.
async fn place_order(app: &TestApp) -> String {
    crate::admin_orders::checkout(app, &app.client, "member@example.com").await
}

#[tokio::test]
async fn a_shopper_identifies_verifies_chooses_a_reward_and_sees_the_points_on_the_confirmation() {
    on_every_db_with_sms(async |app, sms| {
        fill_cart(&app).await;
        let checkout = html(&app, "/checkout").await;
        assert!(
            checkout.contains(r#"data-testid="loyalty-identify""#),
            "the phone form"
        );
        assert_eq!(
            testid(&checkout, "loyalty-savings").as_deref(),
            Some("€0.00")
        );
        let original = testid(&checkout, "loyalty-total").unwrap();

        let wrong = app
            .post_form("/api/loyalty/identify", &[("phone", "not a phone")])
            .await;
        assert_eq!(wrong.status(), 400);
        assert!(
            wrong
                .text()
                .await
                .unwrap()
                .contains("phone must be a phone number")
        );
        let stranger = app
            .post_form("/api/loyalty/identify", &[("phone", "+1 555 999 0000")])
            .await;
        assert_eq!(stranger.status(), 404);

        let identified = app
            .post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert_eq!(
            identified.status(),
            200,
            "{}",
            identified.text().await.unwrap()
        );
        let checkout = html(&app, "/checkout").await;
        assert_eq!(
            testid(&checkout, "loyalty-member").as_deref(),
            Some("************5678")
        );
        assert_eq!(
            testid(&checkout, "loyalty-balance"),
            None,
            "no balance for a phone number alone"
        );
        assert!(
            !checkout.contains("ticket-10pct"),
            "nor rewards that cost points"
        );
        assert!(
            checkout.contains("0.50 off every cold brew coffee"),
            "the instant reward"
        );
        let unproved = app
            .post_form(
                "/api/loyalty/choose",
                &[("reward_id", "ticket-10pct"), ("selected", "true")],
            )
            .await;
        assert_eq!(unproved.status(), 400);
        assert!(
            unproved
                .text()
                .await
                .unwrap()
                .contains("phone must be verified")
        );

        // "Use my points": a code to the phone, entered in the panel.
        assert!(checkout.contains(r#"data-testid="loyalty-send-code""#));
        let sent = app.post_form("/api/loyalty/send-code", &[]).await;
        assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
        let checkout = html(&app, "/checkout").await;
        assert!(
            testid(&checkout, "loyalty-code-sent")
                .is_some_and(|text| text.contains("ending in 01")),
            "{checkout}"
        );
        assert!(checkout.contains(r#"data-testid="loyalty-verify""#));
        let wrong = app
            .post_form("/api/loyalty/verify", &[("code", "12345x")])
            .await;
        assert_eq!(wrong.status(), 400);
        let code = nth_code(&sms, 1).await;
        let verified = app
            .post_form("/api/loyalty/verify", &[("code", code.as_str())])
            .await;
        assert_eq!(verified.status(), 200, "{}", verified.text().await.unwrap());
        let checkout = html(&app, "/checkout").await;
        assert_eq!(
            testid(&checkout, "loyalty-balance").as_deref(),
            Some("1200")
        );
        assert_eq!(
            testid(&checkout, "loyalty-savings").as_deref(),
            Some("-€1.00"),
            "two cold brews, 0.50 off each, applied at once"
        );
        let ticket = optional_reward(&checkout, "ticket-10pct");
        assert!(checkout.contains(r#"data-applied="false""#));

        let chosen = app
            .post_form(
                "/api/loyalty/choose",
                &[("reward_id", ticket.as_str()), ("selected", "true")],
            )
            .await;
        assert_eq!(chosen.status(), 200);
        let checkout = html(&app, "/checkout").await;
        let savings = testid(&checkout, "loyalty-savings").unwrap();
        assert_ne!(savings, "-€1.00", "the ticket discount counts too");
        let total = testid(&checkout, "loyalty-total").unwrap();
        assert_ne!(total, original);
        let unknown = app
            .post_form(
                "/api/loyalty/choose",
                &[("reward_id", "nope"), ("selected", "true")],
            )
            .await;
        assert_eq!(unknown.status(), 404);

        let order_id = place_order(&app).await;
        assert!(
            html(&app, &format!("/orders/{order_id}"))
                .await
                .contains(r#"data-testid="order-loyalty""#),
            "the loyalty summary shows at once, pending or not"
        );
        let confirmation = confirmation_with_points(&app, &order_id).await;
        let earned: i64 = testid(&confirmation, "loyalty-points-earned")
            .unwrap()
            .parse()
            .unwrap();
        assert!(earned > 0);
        let balance: i64 = testid(&confirmation, "loyalty-new-balance")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(balance, 1200 + earned - 100, "the ticket cost 100 points");
        assert!(
            confirmation.contains("10% off the whole basket"),
            "rewards redeemed"
        );
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_shopper_who_verifies_at_checkout_gets_the_membership_linked() {
    on_every_db_with_sms(async |app, sms| {
        register(&app, "dana@example.com").await;
        let account = html(&app, "/account").await;
        assert!(
            !account.contains(r#"data-testid="membership-id""#),
            "no membership yet"
        );
        assert!(
            account.contains(r#"data-testid="membership-send-code""#),
            "a way to link one"
        );
        fill_cart(&app).await;
        app.post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert!(
            !html(&app, "/account")
                .await
                .contains(r#"data-testid="membership-id""#),
            "a phone number alone links nothing"
        );
        app.post_form("/api/loyalty/send-code", &[]).await;
        let code = nth_code(&sms, 1).await;
        let verified = app
            .post_form("/api/loyalty/verify", &[("code", code.as_str())])
            .await;
        assert_eq!(verified.status(), 200);
        let account = html(&app, "/account").await;
        assert_eq!(
            testid(&account, "membership-id").as_deref(),
            Some("************5678")
        );
        assert_eq!(testid(&account, "membership-phone").as_deref(), Some(PHONE));
        assert_eq!(
            testid(&account, "membership-balance").as_deref(),
            Some("1200 points")
        );

        let order_id = place_order(&app).await;
        let finalized = async || {
            loyalty::for_order(&app.db, &order_id)
                .await
                .unwrap()
                .filter(|l| l.status == SessionStatus::Finalized)
        };
        eventually(Duration::from_secs(10), "finalized", async || {
            finalized().await.is_some()
        })
        .await;
        let earned = finalized().await.unwrap().points_earned.unwrap();
        assert_eq!(
            testid(&html(&app, "/account").await, "membership-balance"),
            Some(format!("{} points", 1200 + earned)),
            "the balance after the purchase"
        );
    })
    .await;
}

#[tokio::test]
async fn a_phone_alone_earns_on_the_order_and_the_confirmation_tells_no_balance() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        let identified = app
            .post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert_eq!(identified.status(), 200);
        let order_id = place_order(&app).await;
        let confirmation = confirmation_with_points(&app, &order_id).await;
        assert!(
            testid(&confirmation, "loyalty-points-earned")
                .is_some_and(|earned| earned.parse::<i64>().unwrap() > 0)
        );
        assert_eq!(testid(&confirmation, "loyalty-new-balance"), None);
        assert!(!confirmation.contains("1200"), "{confirmation}");
    })
    .await;
}

#[tokio::test]
async fn the_account_page_links_a_membership_with_the_code_texted_to_the_phone() {
    on_every_db_with_sms(async |app, sms| {
        register(&app, "sam@example.com").await;
        let unknown = app
            .post_form(
                "/api/loyalty/link/send-code",
                &[("phone", "+1 555 999 0000")],
            )
            .await;
        assert_eq!(unknown.status(), 404);
        let sent = app
            .post_form("/api/loyalty/link/send-code", &[("phone", PHONE)])
            .await;
        assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
        let account = html(&app, "/account").await;
        assert!(
            testid(&account, "membership-code-sent")
                .is_some_and(|text| text.contains("ending in 01")),
            "{account}"
        );
        let code = nth_code(&sms, 1).await;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        let refused = app
            .post_form("/api/loyalty/link/verify", &[("code", wrong)])
            .await;
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("tries left"));
        assert!(
            !html(&app, "/account")
                .await
                .contains(r#"data-testid="membership-id""#)
        );
        let linked = app
            .post_form("/api/loyalty/link/verify", &[("code", code.as_str())])
            .await;
        assert_eq!(linked.status(), 200, "{}", linked.text().await.unwrap());
        let account = html(&app, "/account").await;
        assert_eq!(
            testid(&account, "membership-id").as_deref(),
            Some("************5678")
        );
        assert_eq!(
            testid(&account, "membership-balance").as_deref(),
            Some("1200 points")
        );

        // Signed in, the linked phone redeems at checkout without a code.
        fill_cart(&app).await;
        app.post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        let checkout = html(&app, "/checkout").await;
        assert_eq!(
            testid(&checkout, "loyalty-balance").as_deref(),
            Some("1200")
        );
        assert!(!checkout.contains(r#"data-testid="loyalty-send-code""#));
        assert_eq!(sms.messages().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn without_a_reachable_host_the_checkout_has_no_panel_and_goes_on() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        app.loyalty_host.stop();
        let checkout = html(&app, "/checkout").await;
        assert!(
            !checkout.contains(r#"data-testid="loyalty-panel""#),
            "{checkout}"
        );
        assert!(checkout.contains("Place order"));
        let identify = app
            .post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert_eq!(identify.status(), 503);
        let order_id = place_order(&app).await;
        let confirmation = html(&app, &format!("/orders/{order_id}")).await;
        assert!(!confirmation.contains(r#"data-testid="order-loyalty""#));
    })
    .await;
}

#[tokio::test]
async fn a_disabled_loyalty_config_hides_the_panel() {
    on_every_db(async |app| {
        fill_cart(&app).await;
        assert!(
            html(&app, "/checkout")
                .await
                .contains(r#"data-testid="loyalty-panel""#)
        );
        app.sign_in().await;
        let config = loyalty::DEFAULT_STORE_ID;
        let stored = app.loyalty.config(&app.db, config).await.unwrap().unwrap();
        let saved = app
            .post_form(
                "/api/admin/loyalty/config/save",
                &[
                    ("provider", stored.provider.as_str()),
                    ("base_url", stored.base_url.as_str()),
                    ("client_id", stored.client_id.as_str()),
                ],
            )
            .await;
        assert_eq!(saved.headers()[LOCATION], "/admin/loyalty/config?saved=1");
        assert!(
            !app.loyalty
                .config(&app.db, config)
                .await
                .unwrap()
                .unwrap()
                .enabled
        );
        assert!(
            !html(&app, "/checkout")
                .await
                .contains(r#"data-testid="loyalty-panel""#)
        );
    })
    .await;
}

#[tokio::test]
async fn admins_configure_loyalty_in_pages_that_never_show_the_secret() {
    on_every_db(async |app| {
        let signed_out = app.page("/admin/loyalty/config").await;
        assert!(
            signed_out.headers().contains_key(LOCATION),
            "to the sign-in"
        );
        let refused = app
            .post_form(
                "/api/admin/loyalty/config/save",
                &[
                    ("provider", "x"),
                    ("base_url", "http://x"),
                    ("client_id", "x"),
                ],
            )
            .await;
        assert!(!refused.status().is_success());

        app.sign_in().await;
        let page = html(&app, "/admin/loyalty/config").await;
        assert!(
            page.contains(r#"data-testid="loyalty-nav""#),
            "linked from the admin nav"
        );
        assert!(page.contains(r#"value="embedded-simulator""#));
        assert!(page.contains("stored; leave empty to keep it"));
        assert!(
            !page.contains("automat-demo-secret"),
            "the secret never comes back"
        );
        let base_url = app
            .loyalty
            .config(&app.db, loyalty::DEFAULT_STORE_ID)
            .await
            .unwrap()
            .unwrap()
            .base_url;

        let invalid = app
            .post_form(
                "/api/admin/loyalty/config/save",
                &[
                    ("enabled", "on"),
                    ("provider", "pdi"),
                    ("base_url", "nope"),
                    ("client_id", "automat-demo"),
                ],
            )
            .await;
        assert_eq!(invalid.status(), 400);
        assert!(invalid.text().await.unwrap().contains("base_url must be"));

        let saved = app
            .post_form(
                "/api/admin/loyalty/config/save",
                &[
                    ("enabled", "on"),
                    ("provider", "pdi-conexxus"),
                    ("base_url", base_url.as_str()),
                    ("client_id", "automat-demo"),
                    ("client_secret", ""),
                    ("participant_id", "P7"),
                    ("site_id", "S9"),
                ],
            )
            .await;
        assert_eq!(saved.headers()[LOCATION], "/admin/loyalty/config?saved=1");
        let page = html(&app, "/admin/loyalty/config?saved=1").await;
        assert!(page.contains(r#"data-testid="loyalty-config-saved""#));
        assert!(page.contains(r#"value="S9""#) && page.contains(r#"value="P7""#));
        fill_cart(&app).await;
        let identified = app
            .post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert_eq!(identified.status(), 200, "the kept secret still works");

        let sessions = html(&app, "/admin/loyalty/sessions").await;
        assert_eq!(
            sessions
                .matches(r#"data-testid="loyalty-session-row""#)
                .count(),
            1
        );
        assert_eq!(
            testid(&sessions, "loyalty-session-status").as_deref(),
            Some("ACTIVE")
        );
        let finalized = html(&app, "/admin/loyalty/sessions?status=FINALIZED").await;
        assert!(!finalized.contains(r#"data-testid="loyalty-session-row""#));
        let bad = app
            .post_form(
                "/api/admin/loyalty/sessions/list",
                &[("status", "SIDEWAYS"), ("offset", "0")],
            )
            .await;
        assert_eq!(bad.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn a_saved_config_closes_the_circuit_breaker_at_once() {
    for backend in testkit::db_backends() {
        let mut options = crate::Options::on(backend);
        // The look-ups below (and the polling) would soon meet the per-phone
        // limit; limits are not what this is about (rate_limits.rs is).
        options.settings.rate_limits.off();
        let app = crate::spawn_app(options).await;
        fill_cart(&app).await;
        app.loyalty_host.set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        for _ in 0..5 {
            app.post_form("/api/loyalty/identify", &[("phone", PHONE)])
                .await;
        }
        app.loyalty_host.clear_faults();
        let refused = app
            .post_form("/api/loyalty/identify", &[("phone", PHONE)])
            .await;
        assert_eq!(refused.status(), 503, "the breaker is open for 30 s");

        let token = app.admin_token().await;
        let (status, body) =
            send_json(app.admin(reqwest::Method::GET, "/admin/loyalty/config", &token)).await;
        assert_eq!(status, 200);
        let config = &body["loyalty_config"];
        let same = serde_json::json!({
            "enabled": true,
            "provider": config["provider"],
            "base_url": config["base_url"],
            "client_id": config["client_id"],
        });
        let (status, _) = send_json(
            app.admin(reqwest::Method::POST, "/admin/loyalty/config", &token)
                .json(&same),
        )
        .await;
        assert_eq!(status, 200);
        eventually(Duration::from_secs(5), "loyalty works again", async || {
            app.post_form("/api/loyalty/identify", &[("phone", PHONE)])
                .await
                .status()
                == 200
        })
        .await;
    }
}

#[tokio::test]
async fn a_machine_purchase_by_a_linked_member_earns_points() {
    use sea_orm::{ActiveModelTrait, Set};
    use server::vending::simulator::{Faults as MachineFaults, spawn_machines};

    use crate::vending_fixture::{fridge, wait_for_state};

    on_every_db(async |app| {
        app.gateway_subscribed().await;
        let fridge = fridge(&app).await;
        loyalty::customer::ActiveModel {
            id: Set("lcus_test".into()),
            customer_id: Set("cus_member".into()),
            membership_id: Set("************5678".into()),
            phone: Set(PHONE.into()),
            linked_at: Set(chrono::Utc::now()),
            points_balance: Set(Some(1200)),
            balance_synced_at: Set(None),
            verified_at: Set(Some(chrono::Utc::now())),
        }
        .insert(&app.db)
        .await
        .unwrap();
        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![visit], MachineFaults::default())],
        );
        fridge.online(&app).await;
        let opened = app
            .vending
            .open_purchase(fridge.id.as_str(), Some("cus_member"))
            .await
            .unwrap();
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        let order_id = settled.order_id.expect("an order");
        let finalized = async || {
            loyalty::for_order(&app.db, &order_id)
                .await
                .unwrap()
                .filter(|l| l.status == SessionStatus::Finalized)
        };
        eventually(
            Duration::from_secs(10),
            "the purchase is finalized",
            async || finalized().await.is_some(),
        )
        .await;
        let earned = finalized().await.unwrap().points_earned.unwrap();
        assert!(earned > 0);
        assert_eq!(app.loyalty_host.points_balance(PHONE), Some(1200 + earned));
        let link = loyalty::linked_membership(&app.db, "cus_member")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            link.points_balance,
            Some(1200 + earned),
            "the account shows it"
        );
    })
    .await;
}
