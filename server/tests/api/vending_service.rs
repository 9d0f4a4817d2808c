//! Service mode and planogram sync at a simulated vending machine, end to end
//! over MQTT on every database and broker.

use std::time::Duration;

use domain::vending::state::{Mode as SessionMode, State as SessionState};
use domain::{
    alerts::{self, Status},
    devices::device,
    vending::{
        scales::{self, SyncStatus},
        sessions, settlement,
    },
};
use reqwest::Method;
use sea_orm::EntityTrait;
use server::vending::simulator::{Faults, MachineConfig, Take, Visit, spawn_machines};

use crate::{
    TestApp, admin_json, eventually,
    vending_fixture::{
        STOCKED, fridge, on_every_db_and_broker, on_every_db_and_broker_with, wait_for_state,
    },
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
        assert_eq!(opened.mode, SessionMode::Service);
        assert_eq!(opened.payment_id, None, "nothing is held");
        let settled = wait_for_state(&app, &opened.id, "settled").await;
        assert_eq!(settled.order_id, None, "nothing is sold");
        assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED + 4);
        assert_eq!(fridge.stocked(&app, &fridge.water).await, STOCKED);

        // The visit keeps what it put in, shown by the Admin API and the session's page.
        let lines = settlement::restock_lines(&app.db, &settled.id)
            .await
            .unwrap();
        let booked: Vec<(&str, i32)> = lines
            .iter()
            .map(|l| (l.variant_id.as_str(), l.units))
            .collect();
        assert_eq!(booked, vec![(fridge.cola.variant_id.as_str(), 4)]);
        let token = app.admin_token().await;
        let path = format!("/admin/vending/sessions/{}", settled.id);
        let (status, detail) = admin_json(&app, &token, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["restock_lines"][0]["units"], 4, "{detail}");
        assert_eq!(detail["restock_lines"][0]["title"], lines[0].title.as_str());
        app.sign_in().await;
        let page = app.page(&path).await.text().await.unwrap();
        assert!(page.contains("4 put in, 0 taken out"), "{page}");
        assert_eq!(page.matches(r#"data-testid="restock-line""#).count(), 1);
    })
    .await;
}

#[tokio::test]
async fn turning_service_off_has_the_machine_close_its_door_and_books_the_restock() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let id = fridge.id.as_str();
        let restock = Visit {
            take: vec![Take {
                scale: 1,
                variant_id: fridge.cola.variant_id.clone(),
                units: -3,
            }],
        };
        let machine = MachineConfig {
            keep_service_door_open: true,
            ..fridge.simulated(vec![restock], Faults::default())
        };
        let _machine = spawn_machines(&app.mqtt, vec![machine]);
        fridge.online(&app).await;
        let opened = app.vending.open_service(id).await.unwrap();
        wait_for_state(&app, &opened.id, "door_open").await;

        let ended = app.vending.end_service(id).await.unwrap();
        assert_eq!(ended.id, opened.id);
        assert_eq!(
            ended.state,
            SessionState::Settled,
            "{:?}",
            ended.failure_reason
        );
        assert_eq!(fridge.stocked(&app, &fridge.cola).await, STOCKED + 3);
        let commands = sessions::commands_of(&app.db, &opened.id).await.unwrap();
        let set_mode = commands
            .iter()
            .find(|c| c.kind.to_string() == "set_mode")
            .unwrap();
        assert_eq!(set_mode.ack_ok, Some(true));
        assert!(set_mode.payload.contains(r#""mode":"normal""#));
        assert!(set_mode.payload.contains(r#""schema":3"#));
        let again = app.vending.end_service(id).await.unwrap_err();
        assert!(again.to_string().contains("not in service mode"), "{again}");
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
            assert_eq!(command.kind.to_string(), "sync_planogram");
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

#[tokio::test]
async fn a_planogram_never_confirmed_fails_after_the_sync_timeout_with_an_alert() {
    let quick = |options: &mut crate::Options| options.vending.sync_timeout_secs = 1;
    on_every_db_and_broker_with(quick, async |app| {
        let silent = Faults {
            ignore_commands: true,
            ..Faults::default()
        };
        let report_lost = Faults {
            lose_sync_applied: true,
            ..Faults::default()
        };
        for (faults, acknowledged, reason) in [
            (silent, false, "never acknowledged it"),
            (report_lost, true, "never reported applying it"),
        ] {
            let fridge = fridge(&app).await;
            let id = fridge.id.as_str();
            let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
            fridge.online(&app).await;
            let command = app.vending.sync_planogram(id).await.unwrap();
            assert_eq!(command.acked_at.is_some(), acknowledged);
            eventually(Duration::from_secs(10), "the sync fails", async || {
                matches!(
                    scales::sync_status(&app.db, id).await.unwrap(),
                    SyncStatus::Failed { .. }
                )
            })
            .await;
            let SyncStatus::Failed {
                version,
                reason: why,
            } = scales::sync_status(&app.db, id).await.unwrap()
            else {
                unreachable!("waited for it");
            };
            assert_eq!(version, 1);
            assert!(why.contains(reason), "{why}");
            let open = alerts::list(&app.db, Status::Open, 0, 100).await.unwrap();
            let raised: Vec<_> = open
                .items
                .iter()
                .filter(|a| {
                    a.device_id.as_deref() == Some(id) && a.kind.to_string() == "sync_failed"
                })
                .collect();
            assert_eq!(raised.len(), 1, "one alert: {open:?}");
            assert!(raised[0].message.contains(reason));
            assert_eq!(planogram_version(&app, id).await, None);
        }
    })
    .await;
}
