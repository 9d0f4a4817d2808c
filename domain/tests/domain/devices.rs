use chrono::{Duration, Utc};
use domain::{DomainError, api_keys, devices};

use crate::{on_every_backend, seeded};

#[tokio::test]
async fn status_changes_are_reported_once() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-101", "Lobby").await.unwrap();
        let now = Utc::now();
        let first = devices::record_seen(&db, "vm-101", Some("fw-1"), now)
            .await
            .unwrap();
        assert_eq!(
            first.map(|c| c.online),
            Some(true),
            "offline → online is a change"
        );
        assert_eq!(
            devices::record_seen(&db, "vm-101", None, now)
                .await
                .unwrap(),
            None,
            "online → online is not"
        );
        let device = &devices::list(&db).await.unwrap()[0];
        assert_eq!(device.firmware.as_deref(), Some("fw-1"));
        assert!(device.online);
        assert_eq!(
            devices::record_offline(&db, "vm-101")
                .await
                .unwrap()
                .map(|c| c.online),
            Some(false)
        );
        assert_eq!(devices::record_offline(&db, "vm-101").await.unwrap(), None);
        assert!(matches!(
            devices::record_seen(&db, "vm-999", None, now).await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn silent_devices_expire() {
    on_every_backend(async |db| {
        devices::register(&db, "vm-201", "Quiet").await.unwrap();
        devices::register(&db, "vm-202", "Chatty").await.unwrap();
        let now = Utc::now();
        devices::record_seen(&db, "vm-201", None, now - Duration::seconds(60))
            .await
            .unwrap();
        devices::record_seen(&db, "vm-202", None, now)
            .await
            .unwrap();
        let expired = devices::expire_silent(&db, now - Duration::seconds(15))
            .await
            .unwrap();
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].device_id, "vm-201");
        assert!(!expired[0].online);
    })
    .await;
}

#[tokio::test]
async fn registration_validates_ids_and_the_seed_runs_once() {
    on_every_backend(async |db| {
        assert!(matches!(
            devices::register(&db, "bad/id", "x").await,
            Err(DomainError::Invalid(_))
        ));
        seeded(&db).await;
        assert!(
            !domain::seed::demo_store(&db, 2).await.unwrap(),
            "a second seed does nothing"
        );
        let ids: Vec<_> = devices::list(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, ["vm-001", "vm-002"]);
        assert!(matches!(
            devices::register(&db, "vm-001", "again").await,
            Err(DomainError::Conflict(_))
        ));
        let key = api_keys::first_publishable(&db)
            .await
            .unwrap()
            .expect("a publishable key");
        assert!(key.token.starts_with("pk_"));
        assert_eq!(
            api_keys::find_publishable(&db, &key.token)
                .await
                .unwrap()
                .map(|k| k.id),
            Some(key.id)
        );
        assert!(
            api_keys::find_publishable(&db, "pk_unknown")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}
