//! Service mode and planogram sync at a simulated vending machine, end to end
//! over MQTT on every database and broker.

use std::time::Duration;

use domain::devices::device;
use sea_orm::EntityTrait;
use server::vending::simulator::{Faults, Take, Visit, spawn_machines};

use crate::{
    TestApp, eventually,
    vending_fixture::{STOCKED, fridge, on_every_db_and_broker, wait_for_state},
};

async fn planogram_version(app: &TestApp, id: &str) -> Option<i64> {
    device::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .planogram_version
}

#[tokio::test]
async fn service_mode_restocks_from_the_weight_increase_without_charging() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let restock = Visit {
            take: vec![Take {
                scale: 1,
                variant_id: fridge.cola.variant_id.clone(),
                units: -4,
            }],
        };
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![restock], Faults::default())],
        );
        fridge.online(&app).await;
        let opened = app.vending.open_service(fridge.id.as_str()).await.unwrap();
        assert_eq!(opened.mode, "service");
        assert_eq!(opened.payment_id, None, "nothing is held");
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.order_id, None, "nothing is sold");
        assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED + 4);
        assert_eq!(fridge.stocked(&app, &fridge.water).await, STOCKED);
    })
    .await;
}

#[tokio::test]
async fn a_planogram_sync_is_acknowledged_and_its_version_applied() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], Faults::default())]);
        fridge.online(&app).await;
        let id = fridge.id.as_str();
        assert_eq!(planogram_version(&app, id).await, None);
        for version in 1..=2 {
            let command = app.vending.sync_planogram(id).await.unwrap();
            assert_eq!(command.kind, "sync_planogram");
            assert_eq!(command.ack_ok, Some(true), "acknowledged");
            assert!(command.payload.contains(&fridge.water.variant_id));
            let what = format!("version {version} applied");
            eventually(Duration::from_secs(5), &what, async || {
                planogram_version(&app, id).await == Some(version)
            })
            .await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_sync_to_a_silent_machine_is_not_acknowledged() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let faults = Faults {
            ignore_commands: true,
            ..Faults::default()
        };
        let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
        fridge.online(&app).await;
        let command = app
            .vending
            .sync_planogram(fridge.id.as_str())
            .await
            .unwrap();
        assert_eq!(command.acked_at, None);
        assert_eq!(command.attempts, 3);
        assert_eq!(planogram_version(&app, fridge.id.as_str()).await, None);
    })
    .await;
}
