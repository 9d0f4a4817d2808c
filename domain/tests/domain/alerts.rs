use chrono::{Duration, Utc};
use domain::{
    DomainError,
    alerts::{self, ALERT_RAISED, Kind, Raised, Status, alert},
    db::DatabaseConnection,
    devices::{
        self,
        protocol::{DeviceEvent, DeviceMessage, SCHEMA_VERSION},
    },
    events,
    payments::Providers,
    vending::{
        scales,
        sessions::{self, NewSession, Received},
        state::Mode,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{on_every_backend, seeded};

async fn of_kind(db: &DatabaseConnection, device_id: &str, kind: Kind) -> Vec<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::DeviceId.eq(device_id))
        .filter(alert::Column::Kind.eq(kind))
        .all(db)
        .await
        .unwrap()
}

async fn raised_events(db: &DatabaseConnection) -> Vec<Raised> {
    events::pending(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.name == ALERT_RAISED)
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

fn message(seq: u64, body: DeviceEvent) -> DeviceMessage {
    DeviceMessage {
        schema: SCHEMA_VERSION,
        seq,
        msg_id: format!("m{seq}"),
        sent_at: Utc::now(),
        body,
    }
}

#[tokio::test]
async fn one_open_alert_per_device_and_kind_each_with_its_event() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-1", "One").await.unwrap();
        devices::register(&db, "vm-2", "Two").await.unwrap();
        let first = alerts::raise(&db, Kind::SyncFailed, "vm-1", "planogram 1 failed")
            .await
            .unwrap()
            .expect("raised");
        assert!(
            alerts::raise(&db, Kind::SyncFailed, "vm-1", "planogram 2 failed")
                .await
                .unwrap()
                .is_none(),
            "still open: no duplicate"
        );
        assert!(
            alerts::raise(&db, Kind::DeviceOffline, "vm-1", "gone")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            alerts::raise(&db, Kind::SyncFailed, "vm-2", "failed")
                .await
                .unwrap()
                .is_some()
        );
        let raised = raised_events(&db).await;
        assert_eq!(
            raised.len(),
            3,
            "one event per alert, none for the duplicate"
        );
        assert_eq!(raised[0].id, first.id);
        assert_eq!(raised[0].kind, Kind::SyncFailed);
        assert_eq!(raised[0].message, "planogram 1 failed");

        assert!(
            alerts::resolve(&db, "vm-1", Kind::SyncFailed)
                .await
                .unwrap()
        );
        assert!(
            !alerts::resolve(&db, "vm-1", Kind::SyncFailed)
                .await
                .unwrap()
        );
        assert!(
            alerts::raise(&db, Kind::SyncFailed, "vm-1", "planogram 3 failed")
                .await
                .unwrap()
                .is_some(),
            "once resolved, it can happen again"
        );
        assert_eq!(of_kind(&db, "vm-1", Kind::SyncFailed).await.len(), 2);
        assert_eq!(
            alerts::list(&db, Status::Open, 0, 10).await.unwrap().count,
            3
        );
        assert_eq!(
            alerts::list(&db, Status::Resolved, 0, 10)
                .await
                .unwrap()
                .count,
            1
        );
        assert!(matches!(
            alerts::list(&db, Status::All, 0, 10_000).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            "closed".parse::<Status>(),
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn going_offline_raises_and_coming_back_resolves() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-1", "Lobby").await.unwrap();
        devices::record_offline(&db, "vm-1").await.unwrap();
        assert!(
            of_kind(&db, "vm-1", Kind::DeviceOffline).await.is_empty(),
            "never online: nothing went offline"
        );
        devices::record_seen(&db, "vm-1", None, Utc::now())
            .await
            .unwrap();
        devices::record_offline(&db, "vm-1").await.unwrap();
        devices::record_offline(&db, "vm-1").await.unwrap();
        let offline = of_kind(&db, "vm-1", Kind::DeviceOffline).await;
        assert_eq!(offline.len(), 1);
        assert!(
            offline[0].message.contains("Lobby (vm-1) is offline"),
            "{}",
            offline[0].message
        );
        devices::record_seen(&db, "vm-1", None, Utc::now())
            .await
            .unwrap();
        assert!(
            of_kind(&db, "vm-1", Kind::DeviceOffline).await[0]
                .resolved_at
                .is_some()
        );

        // Heartbeats missed: the watchdog's way offline raises it too.
        devices::expire_silent(&db, Utc::now() + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(of_kind(&db, "vm-1", Kind::DeviceOffline).await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn failed_syncs_raise_and_an_applied_one_resolves() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-1", "One").await.unwrap();
        let failed = scales::record_sync_applied(&db, "vm-1", 1, false, Some("scale 3 missing"))
            .await
            .unwrap();
        assert!(failed.is_err());
        let alert = &of_kind(&db, "vm-1", Kind::SyncFailed).await[0];
        assert!(
            alert.message.contains("scale 3 missing"),
            "{}",
            alert.message
        );
        scales::record_sync_applied(&db, "vm-1", 2, true, None)
            .await
            .unwrap()
            .unwrap();
        assert!(
            of_kind(&db, "vm-1", Kind::SyncFailed).await[0]
                .resolved_at
                .is_some()
        );

        // A sync command acknowledged as refused is a failed sync too.
        let command = sessions::new_command(
            &db,
            "vm-1",
            None,
            devices::protocol::CommandBody::SyncPlanogram {
                version: 3,
                scales: vec![],
            },
        )
        .await
        .unwrap();
        let refused = message(
            1,
            DeviceEvent::Ack {
                command_id: command.id,
                ok: false,
                error: Some("busy".into()),
            },
        );
        sessions::receive(&db, "vm-1", &refused).await.unwrap();
        let open = alerts::list(&db, Status::Open, 0, 10).await.unwrap();
        assert_eq!(open.count, 1);
        assert!(open.items[0].message.contains("busy"));
    })
    .await;
}

#[tokio::test]
async fn an_unknown_session_is_alerted_and_acknowledging_resolves_it() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-1", "One").await.unwrap();
        let stranger = message(
            1,
            DeviceEvent::DoorOpened {
                session: "vsess_nobody".into(),
                scales: vec![],
            },
        );
        let received = sessions::receive(&db, "vm-1", &stranger).await.unwrap();
        assert!(matches!(received, Received::Ignored(_)));
        let alert = of_kind(&db, "vm-1", Kind::UnknownSession).await.remove(0);
        assert!(alert.message.contains("vsess_nobody"));

        let acknowledged = alerts::acknowledge(&db, &alert.id, "user_1").await.unwrap();
        assert_eq!(acknowledged.acknowledged_by.as_deref(), Some("user_1"));
        assert!(acknowledged.resolved_at.is_some());
        let again = alerts::acknowledge(&db, &alert.id, "user_2").await.unwrap();
        assert_eq!(
            again.acknowledged_by.as_deref(),
            Some("user_1"),
            "the first stands"
        );
        assert!(matches!(
            alerts::acknowledge(&db, "alert_nope", "user_1").await,
            Err(DomainError::NotFound { .. })
        ));

        let offline = alerts::raise(&db, Kind::DeviceOffline, "vm-1", "gone")
            .await
            .unwrap()
            .unwrap();
        let acknowledged = alerts::acknowledge(&db, &offline.id, "user_1")
            .await
            .unwrap();
        assert!(
            acknowledged.resolved_at.is_none(),
            "only the device coming back resolves it"
        );
    })
    .await;
}

#[tokio::test]
async fn a_door_open_too_long_is_alerted_once_and_closing_it_resolves() {
    on_every_backend(async |db| {
        // A demo machine: it has a place to book a restock in.
        seeded(&db).await;
        let providers = Providers::default();
        let session = sessions::open(
            &db,
            &providers,
            NewSession {
                device_id: "vm-001".into(),
                mode: Mode::Service,
                customer_id: None,
                hold_amount: 0,
                currency_code: "eur".into(),
                provider_id: domain::payments::system::ID.into(),
                card_id: None,
            },
        )
        .await
        .unwrap()
        .session;
        let opened = message(
            1,
            DeviceEvent::DoorOpened {
                session: session.id.clone(),
                scales: vec![],
            },
        );
        sessions::receive(&db, "vm-001", &opened).await.unwrap();
        let not_yet = sessions::alert_doors_open_since(&db, Utc::now() - Duration::minutes(2))
            .await
            .unwrap();
        assert!(not_yet.is_empty(), "open, but not too long yet");
        let later = Utc::now() + Duration::seconds(1);
        let raised = sessions::alert_doors_open_since(&db, later).await.unwrap();
        assert_eq!(raised.len(), 1);
        assert!(raised[0].message.contains(&session.id));
        assert!(
            sessions::alert_doors_open_since(&db, later)
                .await
                .unwrap()
                .is_empty()
        );

        let closed = message(
            2,
            DeviceEvent::DoorClosed {
                session: session.id.clone(),
                before: vec![],
                after: vec![],
            },
        );
        sessions::receive(&db, "vm-001", &closed).await.unwrap();
        assert!(
            of_kind(&db, "vm-001", Kind::DoorOpenTooLong).await[0]
                .resolved_at
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn device_credentials_are_stored_hashed_and_verified() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-1", "One").await.unwrap();
        assert!(
            !devices::verify_credentials(&db, "vm-1", "").await.unwrap(),
            "none issued yet"
        );
        let issued = devices::issue_credentials(&db, "vm-1").await.unwrap();
        assert_eq!(issued.username, "vm-1");
        assert!(issued.password.len() >= 24);
        assert!(
            devices::verify_credentials(&db, "vm-1", &issued.password)
                .await
                .unwrap()
        );
        assert!(
            !devices::verify_credentials(&db, "vm-1", "guess")
                .await
                .unwrap()
        );
        assert!(
            !devices::verify_credentials(&db, "vm-2", &issued.password)
                .await
                .unwrap()
        );
        let reissued = devices::issue_credentials(&db, "vm-1").await.unwrap();
        assert!(
            !devices::verify_credentials(&db, "vm-1", &issued.password)
                .await
                .unwrap()
        );
        assert!(
            devices::verify_credentials(&db, "vm-1", &reissued.password)
                .await
                .unwrap()
        );
        assert!(matches!(
            devices::issue_credentials(&db, "vm-9").await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}
