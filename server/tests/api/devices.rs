//! Devices over MQTT, on the embedded broker and on Mosquitto.

use std::time::Duration;

use domain::devices::{self, protocol::DeviceId};
use server::vending::simulator::{MachineConfig, spawn_machines};
use testkit::DbBackend;

use crate::{Options, TestApp, eventually, spawn_app};

/// The brokers to test against: the embedded one, and Mosquitto when it answers.
pub fn brokers() -> Vec<Option<String>> {
    let mut brokers = vec![None];
    if let Some(url) = testkit::mosquitto_url() {
        brokers.push(Some(url));
    }
    brokers
}

/// Device ids unique to this run, since Mosquitto keeps retained messages
/// between runs and tests share it.
pub fn unique_device() -> DeviceId {
    DeviceId::parse(&format!(
        "t{}",
        ulid::Ulid::new().to_string().to_lowercase()
    ))
    .unwrap()
}

/// Registers a machine with MQTT credentials; its simulated twin signs in with them.
pub async fn registered_machine(app: &TestApp, name: &str, heartbeat: Duration) -> MachineConfig {
    let id = unique_device();
    devices::register(&app.db, id.as_str(), name).await.unwrap();
    let credentials = devices::issue_credentials(&app.db, id.as_str())
        .await
        .unwrap();
    MachineConfig {
        password: Some(credentials.password),
        ..MachineConfig::new(id, heartbeat)
    }
}

async fn is_online(app: &TestApp, id: &DeviceId) -> bool {
    devices::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .any(|d| d.id == id.as_str() && d.online)
}

#[tokio::test]
async fn machines_go_online_with_heartbeats_and_offline_by_last_will() {
    for broker in brokers() {
        let mut options = Options::on(DbBackend::Sqlite);
        options.mqtt_url = broker.clone();
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        let mut changes = app_changes(&app);
        let machine = registered_machine(&app, "Test machine", Duration::from_secs(1)).await;
        let id = machine.device_id.clone();
        let mut running = spawn_machines(&app.mqtt, vec![machine.clone()]);
        eventually(
            Duration::from_secs(5),
            "the machine is online",
            async || is_online(&app, &id).await,
        )
        .await;
        let announced = next_change_for(&mut changes, &id).await;
        assert!(
            announced.online,
            "dashboards hear that it came online ({broker:?})"
        );

        // Dropping the task closes its connection without a goodbye: the broker sends the last will.
        running.shutdown().await;
        eventually(
            Duration::from_secs(5),
            "the machine is offline",
            async || !is_online(&app, &id).await,
        )
        .await;
        assert!(!next_change_for(&mut changes, &id).await.online);

        let _restarted = spawn_machines(&app.mqtt, vec![machine]);
        eventually(Duration::from_secs(5), "the machine is back", async || {
            is_online(&app, &id).await
        })
        .await;
    }
}

#[tokio::test]
async fn every_killed_connection_fires_its_last_will() {
    for broker in brokers() {
        let mut options = Options::on(DbBackend::Sqlite);
        options.mqtt_url = broker.clone();
        // Heartbeats so rare that only the last will can explain a prompt offline.
        options.heartbeat_secs = 600;
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        let machine = registered_machine(&app, "Test machine", Duration::from_secs(600)).await;
        let id = machine.device_id.clone();
        for round in 0..5 {
            let mut running = spawn_machines(&app.mqtt, vec![machine.clone()]);
            eventually(
                Duration::from_secs(5),
                "the machine is online",
                async || is_online(&app, &id).await,
            )
            .await;
            running.shutdown().await;
            let what = format!("offline by last will in round {round} ({broker:?})");
            eventually(Duration::from_secs(2), &what, async || {
                !is_online(&app, &id).await
            })
            .await;
        }
    }
}

#[tokio::test]
async fn a_machine_that_stops_talking_is_marked_offline() {
    for broker in brokers() {
        let mut options = Options::on(DbBackend::Sqlite);
        options.mqtt_url = broker.clone();
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        let machine = registered_machine(&app, "Hanging machine", Duration::from_secs(1)).await;
        let id = machine.device_id.clone();
        // One heartbeat, then silence while the connection stays up.
        let client = silent_client(&app, &machine).await;
        eventually(
            Duration::from_secs(5),
            "the machine is online",
            async || is_online(&app, &id).await,
        )
        .await;
        eventually(
            Duration::from_secs(6),
            "three missed heartbeats mark it offline",
            async || !is_online(&app, &id).await,
        )
        .await;
        client.abort();
    }
}

#[tokio::test]
async fn a_machines_unasked_scale_reports_show_as_its_live_weights_outside_the_event_log() {
    use domain::vending::{session_event, sessions};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use server::vending::simulator::{SimProduct, SimScale};

    for broker in brokers() {
        let mut options = Options::on(DbBackend::Sqlite);
        options.mqtt_url = broker.clone();
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        let mut machine = registered_machine(&app, "Telemetry", Duration::from_secs(1)).await;
        machine.scales = vec![SimScale {
            position: 1,
            products: vec![SimProduct {
                variant_id: "variant_telemetry".into(),
                unit_weight_g: 250,
                units: 4,
            }],
        }];
        machine.readings_every = Some(Duration::from_millis(50));
        let id = machine.device_id.clone();
        let _running = spawn_machines(&app.mqtt, vec![machine]);
        eventually(
            Duration::from_secs(15),
            "the machine's weights are known",
            async || {
                sessions::last_weights(&app.db, id.as_str())
                    .await
                    .unwrap()
                    .is_some_and(|(_, scales)| scales.len() == 1 && scales[0].grams == 1000)
            },
        )
        .await;
        // Many reports in, however long a loaded machine takes for them.
        eventually(
            Duration::from_secs(30),
            "twenty scale reports handled",
            async || app.gateway_stats.handled().readings >= 20,
        )
        .await;
        let logged = session_event::Entity::find()
            .filter(session_event::Column::DeviceId.eq(id.as_str()))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(
            logged, 0,
            "no session, nothing in its event log ({broker:?})"
        );
    }
}

#[tokio::test]
async fn unknown_machines_change_nothing() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    app.gateway_subscribed().await;
    let before = devices::list(&app.db).await.unwrap();
    let stranger = unique_device();
    let _machine = spawn_machines(
        &app.mqtt,
        vec![MachineConfig::new(stranger, Duration::from_secs(1))],
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        devices::list(&app.db).await.unwrap(),
        before,
        "an unregistered machine is neither added nor changes others"
    );
}

fn app_changes(app: &TestApp) -> tokio::sync::broadcast::Receiver<devices::StatusChange> {
    app.device_changes.subscribe()
}

async fn next_change_for(
    changes: &mut tokio::sync::broadcast::Receiver<devices::StatusChange>,
    id: &DeviceId,
) -> devices::StatusChange {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let change = changes.recv().await.expect("the change stream stays open");
            if change.device_id == id.as_str() {
                return change;
            }
        }
    })
    .await
    .expect("a status change is announced")
}

/// An MQTT client that sends one heartbeat as `machine` and then keeps quiet.
async fn silent_client(app: &TestApp, machine: &MachineConfig) -> tokio::task::JoinHandle<()> {
    use domain::devices::protocol::{Channel, Heartbeat, SCHEMA_VERSION, topic};
    let id = &machine.device_id;
    let mut options = app.mqtt.options(id.as_str(), Duration::from_secs(30));
    options.set_credentials(id.as_str(), machine.password.clone().unwrap());
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    let beat = Heartbeat {
        schema: SCHEMA_VERSION,
        seq: 1,
        msg_id: "m1".into(),
        sent_at: chrono::Utc::now(),
        firmware: None,
    };
    client
        .publish(
            topic(id, Channel::Heartbeat),
            rumqttc::QoS::AtLeastOnce,
            false,
            serde_json::to_vec(&beat).unwrap(),
        )
        .await
        .unwrap();
    tokio::spawn(async move {
        let _client = client;
        while eventloop.poll().await.is_ok() {}
    })
}
