//! Commands to machines: waiting for an acknowledgement does not poll the
//! database. The gateway that records it wakes the waiter; an instance that
//! did not record it (another server on the same database) still finds it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use domain::{devices::protocol::CommandBody, ids::new_id, payments};
use rumqttc::AsyncClient;
use server::vending::{
    VendingSettings,
    service::Vending,
    simulator::{Faults, spawn_machines},
};
use testkit::DbBackend;

use crate::{Options, TestApp, spawn_app, vending_fixture::fridge};

/// Commands sent by another instance of the server on the app's database and
/// broker, and how often it read a command.
fn another_instance(app: &TestApp, settings: VendingSettings) -> (Vending, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let counted = reads.clone();
    let mut db = app.db.clone();
    db.set_metric_callback(move |info| {
        let sql = &info.statement.sql;
        if sql.starts_with("SELECT") && sql.contains("device_commands") {
            counted.fetch_add(1, Ordering::Relaxed);
        }
    });
    let options = app
        .mqtt
        .server_options(&new_id("other-instance"), Duration::from_secs(10));
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    tokio::spawn(async move {
        loop {
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let providers = payments::Providers::default().with(Arc::new(payments::system::SystemProvider));
    let activity = tokio::sync::broadcast::channel(16).0;
    let lane = server::write_lane::WriteLane::start().unwrap();
    let vending = Vending::new(
        db,
        providers,
        client,
        settings,
        "eur".into(),
        activity,
        lane,
    );
    (vending, reads)
}

#[tokio::test]
async fn an_acknowledgement_wakes_its_waiter_and_unanswered_commands_are_not_polled_for() {
    let mut options = Options::on(DbBackend::Sqlite);
    // Long enough that only a wake-up explains a quick answer.
    options.vending.ack_timeout_ms = 30_000;
    let app = spawn_app(options).await;
    app.gateway_subscribed().await;
    let machine = fridge(&app).await;
    let _machine = spawn_machines(
        &app.mqtt,
        vec![machine.simulated(vec![], Faults::default())],
    );
    machine.online(&app).await;

    let started = Instant::now();
    let command = app
        .vending
        .command(machine.id.as_str(), CommandBody::Ping)
        .await
        .unwrap();
    assert!(command.acked_at.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the gateway woke the waiter (waited {:?})",
        started.elapsed()
    );

    let settings = VendingSettings {
        ack_timeout_ms: 1000,
        command_attempts: 2,
        ..Default::default()
    };
    let (other, reads) = another_instance(&app, settings);
    // Recorded by the app's gateway, found by the other instance before it resends.
    let command = other
        .command(machine.id.as_str(), CommandBody::Ping)
        .await
        .unwrap();
    assert!(command.acked_at.is_some());
    assert_eq!(command.attempts, 1);

    // A machine that never answers: two seconds of waiting.
    let silent = fridge(&app).await;
    reads.store(0, Ordering::Relaxed);
    let command = other
        .command(silent.id.as_str(), CommandBody::Ping)
        .await
        .unwrap();
    assert_eq!((command.attempts, command.acked_at), (2, None));
    let reads = reads.load(Ordering::Relaxed);
    assert!(
        reads <= 6,
        "a few reads per attempt, not a poll every few milliseconds: {reads}"
    );
}
