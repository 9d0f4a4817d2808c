//! Purchases at a simulated vending machine, end to end over MQTT: on the
//! embedded broker and on Mosquitto, on SQLite and on PostgreSQL.

use std::time::Duration;

use domain::{
    catalog, channels, devices,
    devices::protocol::DeviceId,
    inventory, orders, payments,
    vending::{
        device_session,
        scales::{self, NewAssignment},
        sessions,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use server::vending::simulator::{
    Faults, MachineConfig, SimProduct, SimScale, Take, Visit, spawn_machines,
};
use testkit::DbBackend;

use crate::{
    Options, TestApp,
    devices::{brokers, unique_device},
    eventually, spawn_app,
};

/// A product the test machine sells.
struct Stocked {
    variant_id: String,
    item_id: String,
    price: i64,
    grams: i32,
}

/// A registered machine with its own channel and stock location, two
/// products (`cola` alone on scale 1, `water` sharing scale 2 with cola),
/// 10 units of each in the books.
struct Fridge {
    id: DeviceId,
    location: String,
    cola: Stocked,
    water: Stocked,
}

const STOCKED: i32 = 10;

async fn fridge(app: &TestApp) -> Fridge {
    let db = &app.db;
    let id = unique_device();
    devices::register(db, id.as_str(), "Test fridge")
        .await
        .unwrap();
    let channel = channels::create_sales_channel(db, "Test fridge", None)
        .await
        .unwrap();
    channels::assign_device(db, id.as_str(), &channel.id)
        .await
        .unwrap();
    let location = channels::create_stock_location(
        db,
        channels::NewStockLocation {
            name: "Test fridge".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    channels::link_stock_location(db, &channel.id, &location.id)
        .await
        .unwrap();
    let variants = catalog::variant::Entity::find()
        .order_by_asc(catalog::variant::Column::Id)
        .all(db)
        .await
        .unwrap();
    let mut stocked = Vec::new();
    for (variant, grams) in variants.iter().zip([355, 520]) {
        let (_, _, prices) = catalog::find_variant(db, &variant.id).await.unwrap();
        let price = prices.iter().find(|p| p.currency_code == "eur").unwrap();
        let item = inventory::find_item_by_variant(db, &variant.id)
            .await
            .unwrap()
            .unwrap();
        inventory::set_stocked(db, &item.id, &location.id, STOCKED)
            .await
            .unwrap();
        stocked.push(Stocked {
            variant_id: variant.id.clone(),
            item_id: item.id,
            price: price.amount,
            grams,
        });
    }
    let water = stocked.pop().unwrap();
    let cola = stocked.pop().unwrap();
    let assign = |s: &Stocked| NewAssignment {
        variant_id: s.variant_id.clone(),
        unit_weight_grams: s.grams,
        min_weight_grams: s.grams - 5,
        max_weight_grams: s.grams + 5,
    };
    let one = scales::add_scale(db, id.as_str(), 1, 5).await.unwrap();
    scales::assign(db, &one.id, assign(&cola)).await.unwrap();
    let two = scales::add_scale(db, id.as_str(), 2, 5).await.unwrap();
    scales::assign(db, &two.id, assign(&water)).await.unwrap();
    scales::assign(db, &two.id, assign(&cola)).await.unwrap();
    Fridge {
        id,
        location: location.id,
        cola,
        water,
    }
}

impl Fridge {
    /// The machine as the simulator runs it: what its scales really hold.
    fn simulated(&self, shopper: Vec<Visit>, faults: Faults) -> MachineConfig {
        let product = |s: &Stocked, units| SimProduct {
            variant_id: s.variant_id.clone(),
            unit_weight_g: s.grams,
            units,
        };
        MachineConfig {
            scales: vec![
                SimScale {
                    position: 1,
                    products: vec![product(&self.cola, 6)],
                },
                SimScale {
                    position: 2,
                    products: vec![product(&self.water, 4), product(&self.cola, 2)],
                },
            ],
            shopper,
            faults,
            ..MachineConfig::new(self.id.clone(), Duration::from_secs(1))
        }
    }

    /// Two colas from scale 1, a water and a cola from the mixed scale 2.
    fn three_colas_and_a_water(&self) -> Visit {
        let take = |scale, s: &Stocked, units| Take {
            scale,
            variant_id: s.variant_id.clone(),
            units,
        };
        Visit {
            take: vec![
                take(1, &self.cola, 2),
                take(2, &self.water, 1),
                take(2, &self.cola, 1),
            ],
        }
    }

    async fn stocked(&self, app: &TestApp, item: &Stocked) -> i32 {
        inventory::level(&app.db, &item.item_id, &self.location)
            .await
            .unwrap()
            .stocked_quantity
    }
}

/// Runs `test` on a fresh server for every database and broker.
async fn on_every_db_and_broker(test: impl AsyncFn(TestApp)) {
    for backend in testkit::db_backends() {
        for broker in brokers() {
            let mut options = Options::on(backend);
            options.mqtt_url = broker;
            let app = spawn_app(options).await;
            app.gateway_subscribed().await;
            test(app).await;
        }
    }
}

async fn session(app: &TestApp, id: &str) -> device_session::Model {
    sessions::find(&app.db, id).await.unwrap()
}

async fn wait_for_state(app: &TestApp, id: &str, state: &str) -> device_session::Model {
    let what = format!("session {id} is {state}");
    eventually(Duration::from_secs(10), &what, async || {
        session(app, id).await.state == state
    })
    .await;
    session(app, id).await
}

/// Opens the machine for a shopper once it listens for commands.
async fn open_for_shopper(app: &TestApp, fridge: &Fridge) -> device_session::Model {
    eventually(
        Duration::from_secs(5),
        "the machine is online",
        async || {
            devices::list(&app.db)
                .await
                .unwrap()
                .iter()
                .any(|d| d.id == fridge.id.as_str() && d.online)
        },
    )
    .await;
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
    let payment = payments::find_payment(&app.db, settled.payment_id.as_deref().unwrap())
        .await
        .unwrap();
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
        assert_eq!(opened.state, "requested");
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert!(settled.door_opened_at.is_some() && settled.door_closed_at.is_some());
        assert_sold_once(&app, &fridge, &settled).await;
        let timeline = sessions::events_of(&app.db, &opened.id).await.unwrap();
        let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
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
            "the resent door-closed report is recorded",
            async || {
                sessions::events_of(&app.db, &opened.id)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|e| e.kind == "door_closed")
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
                .filter(|e| e.kind == kind)
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
        let payment = payments::find_payment(&app.db, settled.payment_id.as_deref().unwrap())
            .await
            .unwrap();
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
        let reason = failed.failure_reason.unwrap_or_default();
        assert!(reason.contains("did not acknowledge"), "{reason}");
        assert!(failed.ended_at.is_some());
        let payment = payments::find_payment(&app.db, failed.payment_id.as_deref().unwrap())
            .await
            .unwrap();
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
