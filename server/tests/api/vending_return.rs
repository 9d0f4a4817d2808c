//! Returning empty containers at a simulated vending machine for their
//! deposit, end to end over MQTT on every database and broker.

use std::time::Duration;

use domain::vending::state::Mode as SessionMode;
use domain::{
    catalog, customers,
    vending::{deposit_credit, device_session, sessions},
};
use reqwest::{Method, header::LOCATION};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use server::vending::simulator::{Faults, MachineConfig, SimProduct, Take, Visit, spawn_machines};
use testkit::smtp::SmtpRecorder;

use crate::{
    TestApp,
    customers::{signed_up, store},
    eventually, send_json,
    storefront_checkout::{follow, submit, testid},
    vending_fixture::{
        CAN_DEPOSIT, CAN_GRAMS, Fridge, STOCKED, fridge, on_every_db_and_broker,
        on_every_db_and_broker_with, wait_for_state,
    },
};

/// The simulator's name for an empty cola can.
const CAN: &str = "empty-can";
/// Something no container weighs: between one can and two (even with the
/// tolerance and the scales' noise).
const STONE: &str = "stone";
const STONE_GRAMS: i32 = 57;

/// The fridge whose scales can take empties, and a shopper putting back
/// `(scale, what, units)` on one return.
fn returning(fridge: &Fridge, put_back: &[(i32, &str, i32)], faults: Faults) -> MachineConfig {
    let mut machine = fridge.simulated(vec![], faults);
    for scale in &mut machine.scales {
        for (variant_id, grams) in [(CAN, CAN_GRAMS), (STONE, STONE_GRAMS)] {
            scale.products.push(SimProduct {
                variant_id: variant_id.into(),
                unit_weight_g: grams,
                units: 0,
            });
        }
    }
    machine.returner = vec![Visit {
        take: put_back
            .iter()
            .map(|(scale, variant_id, units)| Take {
                scale: *scale,
                variant_id: (*variant_id).into(),
                units: -units,
            })
            .collect(),
    }];
    machine
}

async fn open_return(app: &TestApp, fridge: &Fridge) -> device_session::Model {
    fridge.online(app).await;
    app.vending
        .open_return(fridge.id.as_str(), "cus_returner")
        .await
        .expect("the machine opens")
}

async fn credits(app: &TestApp, session_id: &str) -> Vec<deposit_credit::Model> {
    deposit_credit::Entity::find()
        .filter(deposit_credit::Column::SessionId.eq(session_id))
        .all(&app.db)
        .await
        .unwrap()
}

async fn assert_nothing_sold(app: &TestApp, fridge: &Fridge, settled: &device_session::Model) {
    assert_eq!(settled.payment_id, None, "nothing is held or charged");
    assert_eq!(settled.order_id, None, "nothing is sold");
    assert_eq!(fridge.stocked(app, &fridge.cola).await, STOCKED);
    assert_eq!(fridge.stocked(app, &fridge.water).await, STOCKED);
}

#[tokio::test]
async fn two_cans_returned_on_noisy_scales_credit_two_deposits() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            // Each reading ±2 g: a change of up to 4 g, within the scales' 5 g.
            noise_g: 2,
            ..Faults::default()
        };
        let machine = returning(&fridge, &[(1, CAN, 1), (2, CAN, 1)], faults);
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        let opened = open_return(&app, &fridge).await;
        assert_eq!(opened.mode, SessionMode::Return);
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.credit_amount, Some(2 * CAN_DEPOSIT));
        assert_eq!(settled.review_reason, None);
        let lines = credits(&app, &opened.id).await;
        assert_eq!(lines.len(), 1, "one line per product: {lines:#?}");
        assert_eq!(lines[0].variant_id, fridge.cola.variant_id);
        assert_eq!(lines[0].quantity, 2);
        assert_eq!(lines[0].unit_deposit, CAN_DEPOSIT);
        assert_eq!(lines[0].amount, 2 * CAN_DEPOSIT);
        assert_eq!(lines[0].customer_id.as_deref(), Some("cus_returner"));
        assert_nothing_sold(&app, &fridge, &settled).await;
    })
    .await;
}

#[tokio::test]
async fn a_weight_no_container_explains_credits_nothing_and_is_flagged() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let machine = returning(&fridge, &[(1, STONE, 1)], Faults::default());
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        let opened = open_return(&app, &fridge).await;
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.credit_amount, None);
        let flag = settled.review_reason.clone().expect("flagged for review");
        assert!(flag.contains("scale 1"), "{flag}");
        assert!(credits(&app, &opened.id).await.is_empty());
        assert_nothing_sold(&app, &fridge, &settled).await;
    })
    .await;
}

#[tokio::test]
async fn nothing_returned_credits_nothing() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            // Each reading ±2 g: a change of up to 4 g, within the scales' 5 g.
            noise_g: 2,
            ..Faults::default()
        };
        let _machine = spawn_machines(&app.mqtt, vec![returning(&fridge, &[], faults)]);
        let opened = open_return(&app, &fridge).await;
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.credit_amount, None);
        assert_eq!(settled.review_reason, None, "noise is no return");
        assert!(credits(&app, &opened.id).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn duplicated_and_resent_door_reports_credit_once() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            duplicate: true,
            resend_door_closed: true,
            reorder: true,
            noise_g: 2,
            ..Faults::default()
        };
        let machine = returning(&fridge, &[(1, CAN, 2)], faults);
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        let opened = open_return(&app, &fridge).await;
        wait_for_state(&app, &opened.id, "settled").await;
        eventually(
            Duration::from_secs(5),
            "the resent door-closed report is recorded",
            async || {
                sessions::events_of(&app.db, &opened.id)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|e| e.kind.to_string() == "door_closed")
                    .count()
                    == 2
            },
        )
        .await;
        let settled = sessions::find(&app.db, &opened.id).await.unwrap();
        assert_eq!(settled.credit_amount, Some(2 * CAN_DEPOSIT));
        let lines = credits(&app, &opened.id).await;
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount, 2 * CAN_DEPOSIT, "credited once");
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_shopper_returns_cans_over_the_store_api_and_sees_the_credit() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let machine = returning(&fridge, &[(2, CAN, 1)], Faults::default());
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        fridge.online(&app).await;
        let open = format!("/store/vending/machines/{}/returns", fridge.id.as_str());
        let (status, _) = send_json(store(&app, Method::POST, &open, None)).await;
        assert_eq!(status, 401, "only a signed-in shopper is credited");

        let token = signed_up(&app, "returner@example.com").await;
        let (status, body) = send_json(store(&app, Method::POST, &open, Some(&token))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["session"]["mode"], "return");
        assert_eq!(body["session"]["hold_amount"], 0);
        let id = body["session"]["id"].as_str().unwrap().to_owned();
        wait_for_state(&app, &id, "settled").await;
        let (_, body) = send_json(store(
            &app,
            Method::GET,
            &format!("/store/vending/sessions/{id}"),
            Some(&token),
        ))
        .await;
        assert_eq!(body["session"]["credit_amount"], CAN_DEPOSIT);
        let (status, body) = send_json(store(
            &app,
            Method::GET,
            "/store/vending/deposit-credits",
            Some(&token),
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let history = body["deposit_credits"].as_array().unwrap();
        assert_eq!(history.len(), 1, "{body}");
        assert_eq!(history[0]["session_id"], id.as_str());
        assert_eq!(history[0]["quantity"], 1);
        assert_eq!(history[0]["amount"], CAN_DEPOSIT);

        let stranger = signed_up(&app, "other@example.com").await;
        let (_, body) = send_json(store(
            &app,
            Method::GET,
            "/store/vending/deposit-credits",
            Some(&stranger),
        ))
        .await;
        assert_eq!(body["deposit_credits"].as_array().unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn an_admin_gives_a_product_on_a_scale_a_deposit() {
    on_every_db_and_broker(async |app| {
        let token = app.admin_token().await;
        let fridge = fridge(&app).await;
        let scales = format!("/admin/vending/machines/{}/scales", fridge.id.as_str());
        let (_, body) = send_json(
            app.admin(Method::POST, &scales, &token)
                .json(&json!({ "position": 3, "noise_grams": 4 })),
        )
        .await;
        let products = format!(
            "/admin/vending/scales/{}/products",
            body["scale"]["id"].as_str().unwrap()
        );
        let water = |deposit: serde_json::Value| {
            let mut product = json!({ "variant_id": fridge.water.variant_id, "unit_weight_g": 520, "min_weight_g": 515, "max_weight_g": 525 });
            product.as_object_mut().unwrap().extend(deposit.as_object().unwrap().clone());
            product
        };
        for (half_or_bad, why) in [
            (json!({ "deposit_amount": 15 }), "no container weight"),
            (json!({ "deposit_amount": 0, "container_weight_g": 60 }), "no amount"),
            (json!({ "deposit_amount": 15, "container_weight_g": 5 }), "lighter than the tolerance"),
        ] {
            let (status, body) = send_json(
                app.admin(Method::POST, &products, &token)
                    .json(&water(half_or_bad)),
            )
            .await;
            assert_eq!((status, body["type"].as_str()), (400, Some("invalid_data")), "{why}: {body}");
        }
        let (status, body) = send_json(
            app.admin(Method::POST, &products, &token)
                .json(&water(json!({ "deposit_amount": 15, "container_weight_g": 60 }))),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, body) = send_json(app.admin(Method::GET, &scales, &token)).await;
        let on_three = &body["scales"][2]["products"][0];
        assert_eq!(on_three["deposit_amount"], 15);
        assert_eq!(on_three["container_weight_g"], 60);
        let cola_on_one = &body["scales"][0]["products"][0];
        assert_eq!(cola_on_one["deposit_amount"], CAN_DEPOSIT);
        assert_eq!(body["scales"][1]["products"][0]["deposit_amount"], 0, "water has none");
    })
    .await;
}

#[tokio::test]
async fn the_account_page_lists_the_shoppers_deposit_credits() {
    on_every_db_and_broker(async |app| {
        let (email, password) = ("returner@example.com", "long enough");
        let registered = app
            .post_form(
                "/api/account/register",
                &[
                    ("email", email),
                    ("password", password),
                    ("first_name", "Re"),
                    ("last_name", "Turner"),
                ],
            )
            .await;
        assert_eq!(registered.headers()[LOCATION], "/account");
        let html = app.page("/account").await.text().await.unwrap();
        assert!(
            html.contains(r#"data-testid="no-deposit-credits""#),
            "nothing returned yet: {html}"
        );

        let customer_id = customers::authenticate(&app.db, email, password)
            .await
            .unwrap()
            .customer_id
            .unwrap();
        let fridge = fridge(&app).await;
        let machine = returning(&fridge, &[(1, CAN, 2)], Faults::default());
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        fridge.online(&app).await;
        let opened = app
            .vending
            .open_return(fridge.id.as_str(), &customer_id)
            .await
            .unwrap();
        wait_for_state(&app, &opened.id, "settled").await;

        let html = app.page("/account").await.text().await.unwrap();
        assert!(!html.contains("no-deposit-credits"), "{html}");
        let rows: Vec<&str> = html
            .split(r#"data-testid="deposit-credit-row""#)
            .skip(1)
            .collect();
        assert_eq!(rows.len(), 1, "{html}");
        let (variant, product, _) = catalog::find_variant(&app.db, &fridge.cola.variant_id)
            .await
            .unwrap();
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let row = rows[0].split("</tr>").next().unwrap();
        for shown in [
            "Test fridge",
            &format!("{} — {}", product.title, variant.title),
            "€0.50",
            &today,
        ] {
            assert!(row.contains(shown), "{shown:?} in {row}");
        }

        // The credit can be paid back to a card, with a plain form; a
        // shopper who never paid at a machine has no card to pay it to.
        let start = html
            .find(r#"data-testid="deposit-balance""#)
            .expect("the balance is shown");
        let balance = &html[start..start + html[start..].find("</div>").unwrap()];
        assert!(balance.contains("€0.50"), "{balance}");
        assert!(
            balance.contains(r#"action="/api/account/deposit-payout""#),
            "{balance}"
        );
        let back = submit(&app, "/account", "/api/account/deposit-payout", &[]).await;
        let shown = follow(&app, &back).await;
        assert!(
            testid(&shown, "deposit-payout-error")
                .is_some_and(|e| e.contains("no card payment of yours")),
            "{shown}"
        );
        assert!(shown.contains("€0.50"), "still credit: {shown}");
    })
    .await;
}

#[tokio::test]
async fn a_shopper_is_mailed_a_receipt_of_each_purchase_and_each_return() {
    let smtp = SmtpRecorder::start().await;
    let url = smtp.url();
    let runs = std::sync::atomic::AtomicUsize::new(0);
    on_every_db_and_broker_with(
        |options| options.smtp_url = Some(url.clone()),
        async |app| {
            let run = runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let email = format!("receipts-{run}@example.com");
            signed_up(&app, &email).await;
            let customer_id = domain::customers::customer::Entity::find()
                .filter(domain::customers::customer::Column::Email.eq(&email))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
                .id;
            let fridge = fridge(&app).await;
            let mut machine = returning(&fridge, &[(1, CAN, 2)], Faults::default());
            machine.shopper = vec![fridge.three_colas_and_a_water()];
            let _machine = spawn_machines(&app.mqtt, vec![machine]);
            fridge.online(&app).await;

            let bought = app
                .vending
                .open_purchase(fridge.id.as_str(), Some(&customer_id))
                .await
                .unwrap();
            let bought = wait_for_state(&app, &bought.id, "settled").await;
            let mails = smtp.wait_for(&email, 1, Duration::from_secs(15)).await;
            let data = mails[0].data.replace("=\r\n", "").replace("=3D", "=");
            for shown in [
                "Subject: Your receipt from Test fridge",
                "multipart/alternative",
                "text/html",
                "Weighed by the machine",
                "Charged to your card",
                bought.order_id.as_deref().unwrap(),
            ] {
                assert!(data.contains(shown), "{shown:?} in {data}");
            }

            let returned = app
                .vending
                .open_return(fridge.id.as_str(), &customer_id)
                .await
                .unwrap();
            wait_for_state(&app, &returned.id, "settled").await;
            let mails = smtp.wait_for(&email, 2, Duration::from_secs(15)).await;
            assert_eq!(mails.len(), 2, "one receipt a visit");
            let data = mails[1].data.replace("=\r\n", "").replace("=3D", "=");
            for shown in [
                "Subject: Your deposit receipt from Test fridge",
                "Deposit credited",
                &returned.id,
            ] {
                assert!(data.contains(shown), "{shown:?} in {data}");
            }
        },
    )
    .await;
}
