//! Purchases at a simulated vending machine, end to end over MQTT: on the
//! embedded broker and on Mosquitto, on SQLite and on PostgreSQL.

use std::time::Duration;

use domain::vending::state::State as SessionState;
use domain::{
    orders, payments,
    vending::{device_session, sessions},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use server::vending::simulator::{Faults, Visit, spawn_machines};
use testkit::DbBackend;

use reqwest::Method;

use crate::{
    Options, TestApp,
    customers::{signed_up, store},
    eventually, send_json, spawn_app,
    vending_fixture::{
        Fridge, STOCKED, fridge, on_every_db_and_broker, on_every_db_and_broker_with, paid,
        wait_for_state,
    },
};

/// Opens the machine for a shopper once it listens for commands.
async fn open_for_shopper(app: &TestApp, fridge: &Fridge) -> device_session::Model {
    fridge.online(app).await;
    app.vending
        .open_purchase(fridge.id.as_str(), Some("cus_shopper"))
        .await
        .expect("the machine opens")
}

async fn assert_sold_once(app: &TestApp, fridge: &Fridge, settled: &device_session::Model) {
    let expected = 3 * fridge.cola.price + fridge.water.price;
    assert!(
        expected <= settled.hold_amount,
        "the test sale fits the hold"
    );
    let order = orders::find(&app.db, settled.order_id.as_deref().expect("an order"))
        .await
        .unwrap();
    assert_eq!(order.order.total, expected);
    assert_eq!(order.order.customer_id.as_deref(), Some("cus_shopper"));
    let quantity_of = |variant: &str| {
        order
            .items
            .iter()
            .filter(|i| i.variant_id == variant)
            .map(|i| i.quantity)
            .sum::<i32>()
    };
    assert_eq!(quantity_of(&fridge.cola.variant_id), 3);
    assert_eq!(quantity_of(&fridge.water.variant_id), 1);
    let payment = paid(app, settled).await;
    assert_eq!(
        payment.amount, settled.hold_amount,
        "the hold was authorized"
    );
    assert_eq!(
        payment.captured_amount, expected,
        "the real amount is captured, once"
    );
    let orders_of_session = orders::order::Entity::find()
        .filter(orders::order::Column::CartId.eq(&settled.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(orders_of_session.len(), 1);
    assert_eq!(fridge.stocked(app, &fridge.cola).await, STOCKED - 3);
    assert_eq!(fridge.stocked(app, &fridge.water).await, STOCKED - 1);
}

#[tokio::test]
async fn a_purchase_charges_what_the_scales_say_was_taken() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![visit], Faults::default())],
        );
        let opened = open_for_shopper(&app, &fridge).await;
        assert_eq!(opened.state, SessionState::Requested);
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert!(settled.door_opened_at.is_some() && settled.door_closed_at.is_some());
        assert_sold_once(&app, &fridge, &settled).await;
        let timeline = sessions::events_of(&app.db, &opened.id).await.unwrap();
        let kinds: Vec<String> = timeline.iter().map(|e| e.kind.to_string()).collect();
        assert_eq!(
            kinds,
            ["door_opened", "door_closed"],
            "every report is kept"
        );
    })
    .await;
}

#[tokio::test]
async fn duplicated_reordered_and_noisy_reports_charge_once() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            duplicate: true,
            resend_door_closed: true,
            reorder: true,
            noise_g: 2,
            bump: true,
            ..Faults::default()
        };
        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![visit], faults)]);
        let opened = open_for_shopper(&app, &fridge).await;
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        // The resent door-closed report arrives after the first one settled.
        eventually(
            Duration::from_secs(5),
            "the resent door-closed report is recorded and handled",
            async || {
                sessions::events_of(&app.db, &opened.id)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|e| e.kind.to_string() == "door_closed" && e.outcome.is_some())
                    .count()
                    == 2
            },
        )
        .await;
        assert_sold_once(&app, &fridge, &settled).await;
        let timeline = sessions::events_of(&app.db, &opened.id).await.unwrap();
        assert_eq!(
            timeline.len(),
            3,
            "each message id recorded once: {timeline:#?}"
        );
        let outcome = |kind: &str| -> Vec<String> {
            timeline
                .iter()
                .filter(|e| e.kind.to_string() == kind)
                .map(|e| e.outcome.clone().unwrap_or_default())
                .collect()
        };
        assert_eq!(outcome("door_opened"), ["stale"], "overtaken by the close");
        let closes = outcome("door_closed");
        assert_eq!(closes[0], "applied");
        assert!(closes[1].starts_with("ignored"), "{closes:?}");
    })
    .await;
}

#[tokio::test]
async fn nothing_taken_releases_the_hold() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![Visit::default()], Faults::default())],
        );
        let opened = open_for_shopper(&app, &fridge).await;
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.order_id, None);
        let payment = paid(&app, &settled).await;
        assert!(payment.canceled_at.is_some(), "the hold is released");
        assert_eq!(payment.captured_amount, 0);
        assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED);
    })
    .await;
}

#[tokio::test]
async fn an_open_command_never_acknowledged_fails_the_session_and_releases_the_hold() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            ignore_commands: true,
            ..Faults::default()
        };
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![fridge.three_colas_and_a_water()], faults)],
        );
        let opened = open_for_shopper(&app, &fridge).await;
        let failed = wait_for_state(&app, &opened.id, "failed").await;
        let reason = failed.failure_reason.clone().unwrap_or_default();
        assert!(reason.contains("did not acknowledge"), "{reason}");
        assert!(failed.ended_at.is_some());
        let payment = paid(&app, &failed).await;
        assert!(payment.canceled_at.is_some(), "the hold is released");
        assert_eq!(payment.captured_amount, 0);
        let commands = domain::vending::device_command::Entity::find()
            .filter(domain::vending::device_command::Column::SessionId.eq(&opened.id))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(commands.len(), 1);
        assert_eq!(commands[0].attempts, 3, "sent, then resent twice");
        assert_eq!(commands[0].acked_at, None);
        // The machine is free again.
        let again = app.vending.open_purchase(fridge.id.as_str(), None).await;
        assert!(again.is_ok(), "{:?}", again.err());
    })
    .await;
}

#[tokio::test]
async fn a_busy_or_unknown_machine_cannot_be_opened() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    let fridge = fridge(&app).await;
    app.vending
        .open_purchase(fridge.id.as_str(), None)
        .await
        .unwrap();
    let busy = app.vending.open_purchase(fridge.id.as_str(), None).await;
    assert!(
        matches!(busy, Err(domain::DomainError::Conflict(_))),
        "{busy:?}"
    );
    let unknown = app.vending.open_purchase("no-such-machine", None).await;
    assert!(
        matches!(unknown, Err(domain::DomainError::NotFound { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_opening_cut_short_by_a_restart_is_resumed() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        // What a server that stopped right after recording the opening leaves
        // behind: the session and its open-door command, never sent.
        let providers = payments::Providers::default()
            .with(std::sync::Arc::new(payments::system::SystemProvider));
        let opened = sessions::open(
            &app.db,
            &providers,
            sessions::NewSession {
                device_id: fridge.id.as_str().into(),
                mode: domain::vending::state::Mode::Purchase,
                customer_id: Some("cus_shopper".into()),
                hold_amount: 2000,
                currency_code: "eur".into(),
                provider_id: payments::system::ID.into(),
                card_id: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(opened.command.attempts, 0);
        let session = opened.session;
        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![visit], Faults::default())],
        );
        fridge.online(&app).await;
        assert_eq!(app.vending.resume_pending_opens().await.unwrap(), 1);
        let settled = wait_for_state(&app, &session.id, "settled").await;
        assert_sold_once(&app, &fridge, &settled).await;
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_shopper_opens_a_machine_and_follows_the_session_over_the_store_api() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![visit], Faults::default())],
        );
        fridge.online(&app).await;
        let open = format!("/store/vending/machines/{}/sessions", fridge.id.as_str());
        let (status, _) = send_json(store(&app, Method::POST, &open, None)).await;
        assert_eq!(status, 401, "only a signed-in shopper opens a machine");

        let token = signed_up(&app, "shopper@example.com").await;
        let (_, me) = send_json(store(
            &app,
            Method::GET,
            "/store/customers/me",
            Some(&token),
        ))
        .await;
        let (status, body) = send_json(store(&app, Method::POST, &open, Some(&token))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["session"]["state"], "requested");
        assert_eq!(body["session"]["code"].as_str().unwrap().len(), 6);
        let follow = format!(
            "/store/vending/sessions/{}",
            body["session"]["id"].as_str().unwrap()
        );
        // The live feed shows each change and ends once the session is settled.
        let live = store(&app, Method::GET, &format!("{follow}/events"), Some(&token));
        let feed = tokio::time::timeout(Duration::from_secs(15), async {
            live.send().await.unwrap().text().await.unwrap()
        })
        .await
        .expect("the feed ends when the session settles");
        let states: Vec<String> = feed
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| {
                let update: serde_json::Value = serde_json::from_str(data).unwrap();
                update["session"]["state"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(states.last().map(String::as_str), Some("settled"), "{feed}");
        assert!(feed.contains("event: session"), "{feed}");
        let (_, body) = send_json(store(&app, Method::GET, &follow, Some(&token))).await;
        let order = orders::find(&app.db, body["session"]["order_id"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(
            order.order.customer_id.as_deref(),
            me["customer"]["id"].as_str()
        );
        assert_eq!(
            order.order.total,
            3 * fridge.cola.price + fridge.water.price
        );

        let stranger = signed_up(&app, "other@example.com").await;
        let (status, _) = send_json(store(&app, Method::GET, &follow, Some(&stranger))).await;
        assert_eq!(status, 404, "a shopper sees only their own sessions");
        let (status, body) = send_json(store(
            &app,
            Method::POST,
            "/store/vending/machines/no-such-machine/sessions",
            Some(&token),
        ))
        .await;
        assert_eq!(status, 404, "{body}");
    })
    .await;
}

#[tokio::test]
async fn a_lost_door_closed_report_expires_the_session_and_the_next_opening_settles_it() {
    let short_door_timeout = |options: &mut Options| options.vending.door_timeout_secs = 1;
    on_every_db_and_broker_with(short_door_timeout, async |app| {
        let fridge = fridge(&app).await;
        let take = |stocked: &crate::vending_fixture::Stocked, scale| Visit {
            take: vec![server::vending::simulator::Take {
                scale,
                variant_id: stocked.variant_id.clone(),
                units: 1,
            }],
        };
        let visits = vec![take(&fridge.cola, 1), take(&fridge.water, 2)];
        let faults = Faults {
            lose_door_closed: 1,
            ..Faults::default()
        };
        let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(visits, faults)]);
        let lost = open_for_shopper(&app, &fridge).await;
        wait_for_state(&app, &lost.id, "expired").await;

        let next = open_for_shopper(&app, &fridge).await;
        let reconciled = wait_for_state(&app, &lost.id, "settled").await;
        let settled = wait_for_state(&app, &next.id, "settled").await;
        let captured =
            async |session: &device_session::Model| paid(&app, session).await.captured_amount;
        assert_eq!(captured(&reconciled).await, fridge.cola.price);
        assert_eq!(captured(&settled).await, fridge.water.price);
        assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED - 1);
        assert_eq!(fridge.stocked(&app, &fridge.water).await, STOCKED - 1);
    })
    .await;
}
