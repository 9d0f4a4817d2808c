//! A test vending machine: registered with its own channel and stock
//! location, scales with products assigned, and its simulated twin.

use std::time::Duration;

use domain::{
    catalog, channels, devices,
    devices::protocol::DeviceId,
    inventory, payments,
    vending::{
        device_session,
        scales::{self, Deposit, NewAssignment},
        sessions,
    },
};
use sea_orm::{EntityTrait, QueryOrder};
use server::vending::simulator::{Faults, MachineConfig, SimProduct, SimScale, Take, Visit};

use crate::{
    Options, TestApp,
    devices::{brokers, unique_device},
    eventually, spawn_app,
};

/// A product the test machine sells.
pub struct Stocked {
    pub variant_id: String,
    pub item_id: String,
    pub price: i64,
    pub grams: i32,
}

/// A registered machine with its own channel and stock location, two
/// products (`cola` alone on scale 1, `water` sharing scale 2 with cola),
/// 10 units of each in the books.
pub struct Fridge {
    pub id: DeviceId,
    /// Its MQTT password.
    pub password: String,
    pub location: String,
    pub cola: Stocked,
    pub water: Stocked,
    /// Units of each product in the books at the start.
    pub units: i32,
}

pub const STOCKED: i32 = 10;

/// Cola comes in a can taken back empty: its deposit (minor units) and weight.
pub const CAN_DEPOSIT: i64 = 25;
pub const CAN_GRAMS: i32 = 40;

pub async fn fridge(app: &TestApp) -> Fridge {
    fridge_stocked(app, STOCKED).await
}

/// [`fridge`] with `units` of each product in the books (the scales hold
/// cola 60 % on scale 1 and 20 % on scale 2, water 40 % on scale 2).
pub async fn fridge_stocked(app: &TestApp, units: i32) -> Fridge {
    let db = &app.db;
    let id = unique_device();
    devices::register(db, id.as_str(), "Test fridge")
        .await
        .unwrap();
    let password = devices::issue_credentials(db, id.as_str())
        .await
        .unwrap()
        .password;
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
        inventory::set_stocked(db, &item.id, &location.id, units)
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
        deposit: (s.variant_id == cola.variant_id).then_some(Deposit {
            amount: CAN_DEPOSIT,
            container_weight_grams: CAN_GRAMS,
        }),
    };
    let one = scales::add_scale(db, id.as_str(), 1, 5).await.unwrap();
    scales::assign(db, &one.id, assign(&cola)).await.unwrap();
    let two = scales::add_scale(db, id.as_str(), 2, 5).await.unwrap();
    scales::assign(db, &two.id, assign(&water)).await.unwrap();
    scales::assign(db, &two.id, assign(&cola)).await.unwrap();
    Fridge {
        id,
        password,
        location: location.id,
        cola,
        water,
        units,
    }
}

impl Fridge {
    /// The machine as the simulator runs it: what its scales really hold.
    pub fn simulated(&self, shopper: Vec<Visit>, faults: Faults) -> MachineConfig {
        let product = |s: &Stocked, units| SimProduct {
            variant_id: s.variant_id.clone(),
            unit_weight_g: s.grams,
            units,
        };
        MachineConfig {
            scales: vec![
                SimScale {
                    position: 1,
                    products: vec![product(&self.cola, self.units * 6 / 10)],
                },
                SimScale {
                    position: 2,
                    products: vec![
                        product(&self.water, self.units * 4 / 10),
                        product(&self.cola, self.units * 2 / 10),
                    ],
                },
            ],
            shopper,
            faults,
            password: Some(self.password.clone()),
            ..MachineConfig::new(self.id.clone(), Duration::from_secs(1))
        }
    }

    /// Two colas from scale 1, a water and a cola from the mixed scale 2.
    pub fn three_colas_and_a_water(&self) -> Visit {
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

    pub async fn stocked(&self, app: &TestApp, item: &Stocked) -> i32 {
        inventory::level(&app.db, &item.item_id, &self.location)
            .await
            .unwrap()
            .stocked_quantity
    }
}

/// Runs `test` on a fresh server for every database and broker.
pub async fn on_every_db_and_broker(test: impl AsyncFn(TestApp)) {
    on_every_db_and_broker_with(|_| {}, test).await
}

/// [`on_every_db_and_broker`] with options changed by `tune`.
pub async fn on_every_db_and_broker_with(tune: impl Fn(&mut Options), test: impl AsyncFn(TestApp)) {
    for backend in testkit::db_backends() {
        for broker in brokers() {
            let mut options = Options::on(backend);
            options.mqtt_url = broker;
            tune(&mut options);
            let app = spawn_app(options).await;
            app.gateway_subscribed().await;
            test(app).await;
        }
    }
}

/// A fridge of `app`, running (while the set is held), opened for
/// `customer_id`'s purchase of three colas and a water (the hold granted).
pub async fn purchase_at_a_fridge(
    app: &TestApp,
    customer_id: &str,
) -> (tokio::task::JoinSet<()>, device_session::Model) {
    app.gateway_subscribed().await;
    let fridge = fridge(app).await;
    let visit = fridge.three_colas_and_a_water();
    let machine = server::vending::simulator::spawn_machines(
        &app.mqtt,
        vec![fridge.simulated(vec![visit], Default::default())],
    );
    fridge.online(app).await;
    let opened = app
        .vending
        .open_purchase(fridge.id.as_str(), Some(customer_id))
        .await
        .expect("the hold is granted");
    (machine, opened)
}

pub async fn session(app: &TestApp, id: &str) -> device_session::Model {
    sessions::find(&app.db, id).await.unwrap()
}

/// The session's payment once the provider has answered what settling or
/// failing the session recorded (the capture or the release of its hold,
/// asked after the commit).
pub async fn paid(app: &TestApp, session: &device_session::Model) -> payments::payment::Model {
    let id = session.payment_id.as_deref().expect("a payment");
    eventually(
        Duration::from_secs(10),
        "the provider answered",
        async || {
            !payments::operations::has_pending(&app.db, id)
                .await
                .unwrap()
        },
    )
    .await;
    payments::find_payment(&app.db, id).await.unwrap()
}

pub async fn wait_for_state(app: &TestApp, id: &str, state: &str) -> device_session::Model {
    let what = format!("session {id} is {state}");
    eventually(Duration::from_secs(10), &what, async || {
        session(app, id).await.state.to_string() == state
    })
    .await;
    session(app, id).await
}

impl Fridge {
    /// Waits until the simulated machine is connected and listens for commands.
    pub async fn online(&self, app: &TestApp) {
        eventually(
            Duration::from_secs(5),
            "the machine is online",
            async || {
                devices::list(&app.db)
                    .await
                    .unwrap()
                    .iter()
                    .any(|d| d.id == self.id.as_str() && d.online)
            },
        )
        .await;
    }
}
