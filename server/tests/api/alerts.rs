//! Device alerts end to end: raised where the condition is seen, delivered
//! to a Slack webhook and by email (local recorders), listed and
//! acknowledged through the Admin API and the dashboard.

use std::time::Duration;

use domain::{
    alerts::{self, Kind, Status, alert},
    devices, events,
    vending::session_event,
};
use reqwest::{Method, header::LOCATION};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use server::{
    config::AlertSettings,
    vending::simulator::{Faults, spawn_machines},
};
use testkit::{DbBackend, http::HttpRecorder, smtp::SmtpRecorder};

use crate::{
    Options, TestApp,
    devices::registered_machine,
    eventually, send_json, spawn_app,
    vending_fixture::{fridge, on_every_db_and_broker_with, wait_for_state},
};

const WITHIN: Duration = Duration::from_secs(15);
const ADMINS: &str = "ops@example.com";

/// Where a test's alerts go: a Slack webhook recorder and an SMTP recorder.
struct Channels {
    slack: HttpRecorder,
    smtp: SmtpRecorder,
}

impl Channels {
    async fn start(webhook_failures: usize) -> Self {
        Self {
            slack: HttpRecorder::failing_first(webhook_failures).await,
            smtp: SmtpRecorder::start().await,
        }
    }

    fn configure(&self, options: &mut Options) {
        options.smtp_url = Some(self.smtp.url());
        options.alerts = AlertSettings {
            alert_slack_webhook_url: Some(self.slack.url("/services/T000/B000/XXXX")),
            alert_emails: vec![ADMINS.to_owned()],
        };
    }
}

async fn alerts_of(app: &TestApp, device_id: &str, kind: Kind) -> Vec<alert::Model> {
    alert::Entity::find()
        .filter(alert::Column::DeviceId.eq(device_id))
        .filter(alert::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
}

async fn wait_for_alert(app: &TestApp, device_id: &str, kind: Kind) -> alert::Model {
    let what = format!("a {kind} alert for {device_id}");
    eventually(WITHIN, &what, async || {
        !alerts_of(app, device_id, kind).await.is_empty()
    })
    .await;
    alerts_of(app, device_id, kind).await.remove(0)
}

#[tokio::test]
async fn a_machine_that_goes_offline_is_alerted_once_on_every_channel_and_resolved_when_back() {
    for backend in testkit::db_backends() {
        let channels = Channels::start(0).await;
        let mut options = Options::on(backend);
        channels.configure(&mut options);
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        let machine = registered_machine(&app, "Lobby fridge", Duration::from_secs(1)).await;
        let id = machine.device_id.as_str().to_owned();

        let mut running = spawn_machines(&app.mqtt, vec![machine.clone()]);
        eventually(WITHIN, "the machine is online", async || {
            devices::list(&app.db)
                .await
                .unwrap()
                .iter()
                .any(|d| d.id == id && d.online)
        })
        .await;
        assert!(alerts_of(&app, &id, Kind::DeviceOffline).await.is_empty());
        // Its connection drops: the broker publishes its last will.
        running.shutdown().await;
        let alert = wait_for_alert(&app, &id, Kind::DeviceOffline).await;
        assert!(alert.message.contains("Lobby fridge"), "{}", alert.message);
        assert_eq!(alert.resolved_at, None);

        let posts = channels.slack.wait_for(1, WITHIN).await;
        assert_eq!(posts.len(), 1, "{posts:?}");
        assert_eq!(posts[0].method, "POST");
        assert_eq!(posts[0].path, "/services/T000/B000/XXXX");
        assert_eq!(posts[0].content_type.as_deref(), Some("application/json"));
        let text = posts[0].json()["text"].as_str().unwrap().to_owned();
        assert!(
            text.contains("device_offline") && text.contains(&id),
            "{text}"
        );
        let mails = channels.smtp.wait_for(ADMINS, 1, WITHIN).await;
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert!(
            mails[0].data.contains("Subject: Alert: [device_offline]"),
            "{}",
            mails[0].data
        );
        assert!(mails[0].data.contains(&id), "{}", mails[0].data);

        // Still offline: the watchdog's missed heartbeats find it already
        // offline, and raising again while the alert is open does nothing.
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(
            alerts::raise(&app.db, Kind::DeviceOffline, &id, "again")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(alerts_of(&app, &id, Kind::DeviceOffline).await.len(), 1);
        assert_eq!(channels.slack.requests().len(), 1);
        assert_eq!(channels.smtp.mails().len(), 1);

        let _back = spawn_machines(&app.mqtt, vec![machine]);
        eventually(WITHIN, "the offline alert is resolved", async || {
            alerts_of(&app, &id, Kind::DeviceOffline).await[0]
                .resolved_at
                .is_some()
        })
        .await;
    }
}

#[tokio::test]
async fn a_door_open_too_long_is_alerted_and_resolved_when_it_closes() {
    let channels = Channels::start(0).await;
    on_every_db_and_broker_with(
        |options| {
            channels.configure(options);
            options.vending.door_alert_secs = 1;
        },
        async |app| {
            let fridge = fridge(&app).await;
            // The first door-closed report is lost: the door seems open.
            let faults = Faults {
                lose_door_closed: 1,
                ..Faults::default()
            };
            let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
            fridge.online(&app).await;
            let service = app.vending.open_service(fridge.id.as_str()).await.unwrap();
            wait_for_state(&app, &service.id, "door_open").await;
            let alert = wait_for_alert(&app, fridge.id.as_str(), Kind::DoorOpenTooLong).await;
            assert!(alert.message.contains(&service.id), "{}", alert.message);
            let id = fridge.id.as_str().to_owned();
            eventually(WITHIN, "the Slack post", async || {
                channels.slack.requests().iter().any(|r| {
                    let text = r.json()["text"].as_str().unwrap_or_default().to_owned();
                    text.contains("door_open_too_long") && text.contains(&id)
                })
            })
            .await;
            assert_eq!(
                alerts_of(&app, &id, Kind::DoorOpenTooLong).await.len(),
                1,
                "the sweeper sees the door open every second; one alert"
            );

            // The admin ends the stuck session; the next opening reports its door closed.
            let token = app.admin_token().await;
            let close = format!("/admin/vending/sessions/{}/close", service.id);
            let (status, body) = send_json(
                app.admin(Method::POST, &close, &token)
                    .json(&serde_json::json!({ "reason": "door checked" })),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let next = app.vending.open_service(&id).await.unwrap();
            wait_for_state(&app, &next.id, "settled").await;
            assert!(
                alerts_of(&app, &id, Kind::DoorOpenTooLong).await[0]
                    .resolved_at
                    .is_some(),
                "a door-closed report resolves it"
            );
        },
    )
    .await;
}

#[tokio::test]
async fn a_failed_planogram_sync_is_alerted_once_however_often_it_fails() {
    let channels = Channels::start(0).await;
    on_every_db_and_broker_with(
        |options| channels.configure(options),
        async |app| {
            let fridge = fridge(&app).await;
            let id = fridge.id.as_str().to_owned();
            let faults = Faults {
                fail_sync: true,
                ..Faults::default()
            };
            let _machine = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
            fridge.online(&app).await;
            let token = app.admin_token().await;
            let sync = format!("/admin/vending/machines/{id}/sync");
            for _ in 0..2 {
                let (status, body) = send_json(app.admin(Method::POST, &sync, &token)).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["command"]["ack_ok"], true, "acknowledged, then failed");
            }
            eventually(WITHIN, "both failures reported", async || {
                session_event::Entity::find()
                    .filter(session_event::Column::DeviceId.eq(&id))
                    .filter(session_event::Column::Kind.eq("sync_applied"))
                    .count(&app.db)
                    .await
                    .unwrap()
                    == 2
            })
            .await;
            let raised = alerts_of(&app, &id, Kind::SyncFailed).await;
            assert_eq!(raised.len(), 1, "{raised:?}");
            assert!(
                raised[0].message.contains("did not take the planogram"),
                "the device's reason: {}",
                raised[0].message
            );
            eventually(WITHIN, "the Slack post", async || {
                channels
                    .slack
                    .requests()
                    .iter()
                    .filter(|r| r.body.contains("sync_failed") && r.body.contains(&id))
                    .count()
                    == 1
            })
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_webhook_that_fails_once_gets_the_alert_on_the_retry_and_mail_goes_once() {
    let channels = Channels::start(1).await;
    let mut options = Options::on(DbBackend::Sqlite);
    channels.configure(&mut options);
    let app = spawn_app(options).await;
    let machine = registered_machine(&app, "Flaky hook", Duration::from_secs(1)).await;
    let id = machine.device_id.as_str();
    devices::record_seen(&app.db, id, None, chrono::Utc::now())
        .await
        .unwrap();
    devices::record_offline(&app.db, id).await.unwrap();

    let posts = channels.slack.wait_for(2, WITHIN).await;
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!((posts[0].answered, posts[1].answered), (500, 200));
    assert_eq!(posts[0].body, posts[1].body, "the same alert, again");
    eventually(WITHIN, "the event is done", async || {
        events::pending(&app.db)
            .await
            .unwrap()
            .iter()
            .all(|e| e.name != alerts::ALERT_RAISED)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        channels.smtp.wait_for(ADMINS, 1, WITHIN).await.len(),
        1,
        "the mail channel succeeded the first time and is not repeated"
    );
    assert_eq!(channels.slack.requests().len(), 2);
}

#[tokio::test]
async fn admins_list_filter_and_acknowledge_alerts() {
    crate::on_every_db(async |app| {
        let (status, _) = send_json(app.client.get(app.url("/admin/alerts"))).await;
        assert_eq!(status, 401);
        let token = app.admin_token().await;
        let first = registered_machine(&app, "First", Duration::from_secs(1)).await;
        let second = registered_machine(&app, "Second", Duration::from_secs(1)).await;
        let (first, second) = (first.device_id.as_str(), second.device_id.as_str());
        let offline = alerts::raise(&app.db, Kind::DeviceOffline, first, "gone")
            .await
            .unwrap()
            .unwrap();
        let stranger = alerts::raise(&app.db, Kind::UnknownSession, second, "who?")
            .await
            .unwrap()
            .unwrap();
        alerts::raise(&app.db, Kind::SyncFailed, second, "planogram 1 not applied")
            .await
            .unwrap();
        alerts::resolve(&app.db, second, Kind::SyncFailed)
            .await
            .unwrap();

        let (status, body) = send_json(app.admin(Method::GET, "/admin/alerts", &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 3);
        let kinds: Vec<&str> = body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["sync_failed", "unknown_session", "device_offline"],
            "newest first"
        );
        let (_, open) =
            send_json(app.admin(Method::GET, "/admin/alerts?status=open", &token)).await;
        assert_eq!(open["count"], 2);
        let (_, resolved) =
            send_json(app.admin(Method::GET, "/admin/alerts?status=resolved&limit=1", &token))
                .await;
        assert_eq!(
            (resolved["count"].as_u64(), resolved["limit"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(resolved["alerts"][0]["kind"], "sync_failed");
        let (_, paged) =
            send_json(app.admin(Method::GET, "/admin/alerts?offset=2&limit=1", &token)).await;
        assert_eq!(paged["alerts"][0]["id"], offline.id.as_str());
        let (status, body) =
            send_json(app.admin(Method::GET, "/admin/alerts?status=closed", &token)).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (400, Some("invalid_data")),
            "{body}"
        );

        let acknowledge = |id: &str| format!("/admin/alerts/{id}/acknowledge");
        let (status, body) =
            send_json(app.admin(Method::POST, &acknowledge(&offline.id), &token)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["alert"]["acknowledged_at"].is_string());
        assert!(
            body["alert"]["acknowledged_by"]
                .as_str()
                .unwrap()
                .starts_with("user_")
        );
        assert!(
            body["alert"]["resolved_at"].is_null(),
            "acknowledged, but the machine is still offline"
        );
        let (_, body) =
            send_json(app.admin(Method::POST, &acknowledge(&stranger.id), &token)).await;
        assert!(
            body["alert"]["resolved_at"].is_string(),
            "nothing but an admin ends an unknown-session alert"
        );
        let (status, _) =
            send_json(app.admin(Method::POST, &acknowledge("alert_nope"), &token)).await;
        assert_eq!(status, 404);
        assert_eq!(
            alerts::list(&app.db, Status::Open, 0, 10)
                .await
                .unwrap()
                .count,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn the_dashboard_lists_alerts_and_acknowledges_without_javascript() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    assert_eq!(
        app.page("/admin/alerts").await.headers()[LOCATION],
        "/admin/login?next=/admin/alerts",
        "signed out, no alerts"
    );
    app.sign_in().await;
    let empty = app.page("/admin/alerts").await.text().await.unwrap();
    assert!(empty.contains(r#"data-testid="alerts-empty""#), "{empty}");
    assert!(
        empty.contains(r#"href="/admin/alerts""#),
        "the nav links to alerts"
    );
    let machine = registered_machine(&app, "Hall", Duration::from_secs(1)).await;
    let alert = alerts::raise(
        &app.db,
        Kind::DoorOpenTooLong,
        machine.device_id.as_str(),
        "The door of the hall machine has been open since noon",
    )
    .await
    .unwrap()
    .unwrap();
    let page = app
        .page("/admin/alerts?status=open")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(r#"data-alert="{}""#, alert.id)),
        "{page}"
    );
    assert!(page.contains("has been open since noon"));
    assert!(page.contains("Acknowledge"));

    let response = app
        .post_form("/api/admin/alerts/acknowledge", &[("id", &alert.id)])
        .await;
    assert_eq!(
        response.headers()[LOCATION],
        "/admin/alerts",
        "back to the list"
    );
    let page = app.page("/admin/alerts").await.text().await.unwrap();
    assert!(page.contains("acknowledged"), "{page}");
    assert!(
        alerts::find(&app.db, &alert.id)
            .await
            .unwrap()
            .acknowledged_at
            .is_some()
    );
}
