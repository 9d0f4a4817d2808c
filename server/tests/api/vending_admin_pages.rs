//! The dashboard's machine pages, rendered on the server, and their forms
//! posted as a browser without JavaScript would, against simulated machines.

use domain::vending::state::Mode as SessionMode;
use domain::vending::{scales, sessions};
use reqwest::header::LOCATION;
use server::vending::simulator::{Faults, MachineConfig, Take, Visit, spawn_machines};

use crate::{
    TestApp, eventually, on_every_db,
    vending_fixture::{
        fridge, on_every_db_and_broker, on_every_db_and_broker_with, wait_for_state,
    },
};

use std::time::Duration;

#[tokio::test]
async fn an_admin_assigns_a_product_to_a_scale_and_syncs_it_to_the_machine() {
    on_every_db_and_broker(async |app| {
        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let page = format!("/admin/devices/{machine}");
        assert_eq!(
            app.page(&page).await.headers()[LOCATION],
            format!("/admin/login?next={page}").as_str(),
            "signed out, the machine is not shown"
        );
        app.sign_in().await;
        let _sim = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], Faults::default())]);
        fridge.online(&app).await;

        let html = app.page(&page).await.text().await.unwrap();
        assert!(
            html.contains("Test fridge") && html.contains("Scale 2"),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="device-status""#) && html.contains(">online<"));
        assert!(
            html.contains(r#"data-state="never""#),
            "not synced yet: {html}"
        );
        assert!(html.contains(r#"action="/api/admin/devices/assign""#));
        let devices = app.page("/admin/devices").await.text().await.unwrap();
        assert!(
            devices.contains(&format!(r#"href="{page}""#)),
            "the list links here"
        );

        let scale_one = scales::scales_of(&app.db, machine).await.unwrap()[0]
            .0
            .id
            .clone();
        let form = |unit: &'static str, min: &'static str, max: &'static str| {
            [
                ("device_id", machine.to_owned()),
                ("scale_id", scale_one.clone()),
                ("variant_id", fridge.water.variant_id.clone()),
                ("unit_weight_g", unit.to_owned()),
                ("min_weight_g", min.to_owned()),
                ("max_weight_g", max.to_owned()),
            ]
        };
        let post = async |path: &str, form: &[(&str, String)]| {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(path, &form).await
        };
        let on_scale_one = async || {
            scales::scales_of(&app.db, machine).await.unwrap()[0]
                .1
                .iter()
                .map(|a| (a.variant_id.clone(), a.unit_weight_grams))
                .collect::<Vec<_>>()
        };

        // Bad values: refused with a message, nothing assigned.
        let refused = post("/api/admin/devices/assign", &form("heavy", "500", "540")).await;
        assert_eq!(refused.status(), 400);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("the unit weight must be whole grams"),
        );
        let refused = post("/api/admin/devices/assign", &form("500", "510", "520")).await;
        assert_eq!(refused.status(), 400);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("0 < min ≤ unit ≤ max")
        );
        assert_eq!(on_scale_one().await.len(), 1, "only the cola");

        // Good values: assigned, then re-weighed, removed and assigned again.
        let added = post("/api/admin/devices/assign", &form("500", "490", "510")).await;
        assert_eq!(added.headers()[LOCATION], page.as_str());
        let assignment = scales::scales_of(&app.db, machine).await.unwrap()[0].1[1].clone();
        assert_eq!(assignment.variant_id, fridge.water.variant_id);
        let reweigh = [
            ("device_id", machine.to_owned()),
            ("assignment_id", assignment.id.clone()),
            ("unit_weight_g", "520".to_owned()),
            ("min_weight_g", "600".to_owned()),
            ("max_weight_g", "530".to_owned()),
        ];
        let refused = post("/api/admin/devices/reweigh", &reweigh).await;
        assert_eq!(refused.status(), 400);
        let mut reweigh = reweigh;
        reweigh[3].1 = "515".to_owned();
        let saved = post("/api/admin/devices/reweigh", &reweigh).await;
        assert_eq!(saved.headers()[LOCATION], page.as_str());
        assert!(
            on_scale_one()
                .await
                .contains(&(fridge.water.variant_id.clone(), 520))
        );
        let removed = post(
            "/api/admin/devices/unassign",
            &[
                ("device_id", machine.to_owned()),
                ("assignment_id", assignment.id.clone()),
            ],
        )
        .await;
        assert_eq!(removed.headers()[LOCATION], page.as_str());
        assert_eq!(on_scale_one().await.len(), 1, "the water is off the scale");
        post("/api/admin/devices/assign", &form("500", "490", "510")).await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(
            html.contains(r#"value="490""#),
            "the editor shows the weights: {html}"
        );

        // Sync: the machine acknowledges and applies the new planogram.
        let synced = post(
            "/api/admin/devices/sync",
            &[("device_id", machine.to_owned())],
        )
        .await;
        assert_eq!(synced.headers()[LOCATION], page.as_str());
        eventually(
            Duration::from_secs(5),
            "the page shows the sync applied",
            async || {
                let html = app.page(&page).await.text().await.unwrap();
                html.contains(r#"data-state="applied""#) && html.contains("version 1 applied")
            },
        )
        .await;
        let device = domain::devices::list(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.id == machine)
            .unwrap();
        assert_eq!(device.planogram_version, Some(1));
    })
    .await;
}

#[tokio::test]
async fn service_mode_is_turned_on_and_off_from_the_device_page() {
    on_every_db_and_broker(async |app| {
        app.sign_in().await;
        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let page = format!("/admin/devices/{machine}");
        // The first service visit's door-closed report is lost: the machine stays in service.
        let faults = Faults {
            lose_door_closed: 1,
            ..Faults::default()
        };
        let _sim = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
        fridge.online(&app).await;
        let switch = async |turn: &str| {
            app.post_form(
                "/api/admin/devices/service",
                &[("device_id", machine), ("turn", turn)],
            )
            .await
        };

        let refused = switch("off").await;
        assert_eq!(refused.status(), 400);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("not in service mode")
        );
        let refused = switch("sideways").await;
        assert_eq!(refused.status(), 400);

        let on = switch("on").await;
        assert_eq!(on.headers()[LOCATION], page.as_str());
        let service = sessions::active_session(&app.db, machine)
            .await
            .unwrap()
            .expect("a service session");
        assert_eq!(service.mode, SessionMode::Service);
        wait_for_state(&app, &service.id, "door_open").await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-testid="device-mode">service<"#),
            "{html}"
        );
        assert!(html.contains(r#"data-testid="door-state">open<"#), "{html}");
        assert!(html.contains("Turn service mode off"));

        let off = switch("off").await;
        assert_eq!(off.headers()[LOCATION], page.as_str());
        let ended = wait_for_state(&app, &service.id, "failed").await;
        assert!(
            ended
                .failure_reason
                .unwrap()
                .contains("service mode turned off")
        );
        let html = app.page(&page).await.text().await.unwrap();
        assert!(
            html.contains(r#"data-testid="device-mode">idle<"#),
            "{html}"
        );
        assert!(html.contains("Turn service mode on"));

        // On again: this time the machine reports its door closed and the visit settles.
        switch("on").await;
        let filter = sessions::SessionFilter {
            device_id: Some(machine.to_owned()),
            states: Vec::new(),
        };
        let (newest, _) = sessions::list(&app.db, &filter, 0, 1).await.unwrap();
        assert_ne!(newest[0].id, service.id);
        assert_eq!(newest[0].mode, SessionMode::Service);
        wait_for_state(&app, &newest[0].id, "settled").await;
    })
    .await;
}

#[tokio::test]
async fn the_session_preview_lists_filters_shows_a_timeline_and_force_closes() {
    on_every_db_and_broker(async |app| {
        assert_eq!(
            app.page("/admin/vending/sessions").await.headers()[LOCATION],
            "/admin/login?next=/admin/vending/sessions"
        );
        app.sign_in().await;
        let fridge = fridge(&app).await;
        let faults = Faults {
            lose_door_closed: 1,
            ..Faults::default()
        };
        let _sim = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], faults)]);
        fridge.online(&app).await;
        let session = app
            .vending
            .open_purchase(fridge.id.as_str(), None)
            .await
            .unwrap();
        wait_for_state(&app, &session.id, "door_open").await;

        let listed = async |query: &str| {
            app.page(&format!("/admin/vending/sessions{query}"))
                .await
                .text()
                .await
                .unwrap()
                .contains(&format!(r#"data-session="{}""#, session.id))
        };
        assert!(listed("").await && listed("?filter=open").await);
        assert!(!listed("?filter=closed").await);

        let detail = format!("/admin/vending/sessions/{}", session.id);
        let html = app.page(&detail).await.text().await.unwrap();
        assert!(html.contains(r#"data-testid="timeline""#), "{html}");
        assert!(
            html.contains(r#"data-kind="open_door""#)
                && html.contains(r#"data-kind="door_opened""#)
        );
        assert!(html.contains(r#"data-testid="force-close-form""#));

        let close = async |reason: &str| {
            app.post_form(
                "/api/admin/vending/sessions/force-close",
                &[("id", session.id.as_str()), ("reason", reason)],
            )
            .await
        };
        let refused = close("  ").await;
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("needs a reason"));
        let closed = close("door jammed").await;
        assert_eq!(closed.headers()[LOCATION], detail.as_str());
        let html = app.page(&detail).await.text().await.unwrap();
        assert!(html.contains("closed by an admin: door jammed"), "{html}");
        assert!(
            !html.contains(r#"data-testid="force-close-form""#),
            "closed once"
        );
        assert!(listed("?filter=closed").await && !listed("?filter=open").await);
        let refused = close("again").await;
        assert_eq!(refused.status(), 409, "a failed session stays failed");
    })
    .await;
}

/// The text of the element marked `data-testid="{test_id}"` (no markup inside).
fn text_of<'a>(html: &'a str, test_id: &str) -> Option<&'a str> {
    let marker = format!(r#"data-testid="{test_id}">"#);
    let rest = &html[html.find(&marker)? + marker.len()..];
    rest.split('<').next()
}

#[tokio::test]
async fn an_admin_issues_device_credentials_from_the_device_page_and_sees_the_password_once_there()
{
    on_every_db(async |app| {
        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let page = format!("/admin/devices/{machine}");
        let form = [("device_id", machine)];
        let signed_out = app.post_form("/api/admin/devices/credentials", &form).await;
        assert_ne!(
            signed_out
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap()),
            Some(page.as_str())
        );
        assert!(
            domain::devices::verify_credentials(&app.db, machine, &fridge.password)
                .await
                .unwrap(),
            "signed out, nothing is issued"
        );

        app.sign_in().await;
        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains(r#"action="/api/admin/devices/credentials""#));
        assert!(html.contains("The machine has a password"), "{html}");
        assert!(!html.contains("issued-credentials"));

        let issued = app.post_form("/api/admin/devices/credentials", &form).await;
        let shown_at = issued.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(
            shown_at.starts_with(&format!("{page}?issued=")),
            "{shown_at}"
        );
        let html = app.page(&shown_at).await.text().await.unwrap();
        assert!(html.contains("shown only this once"), "{html}");
        assert_eq!(text_of(&html, "credentials-username"), Some(machine));
        let password = text_of(&html, "credentials-password").expect("the password is shown");
        assert!(
            domain::devices::verify_credentials(&app.db, machine, password)
                .await
                .unwrap()
        );
        assert!(
            !domain::devices::verify_credentials(&app.db, machine, &fridge.password)
                .await
                .unwrap(),
            "the new password replaces the old one"
        );

        // Shown once: neither their own address loaded again nor the machine's page shows them.
        for path in [&shown_at, &page] {
            let again = app.page(path).await.text().await.unwrap();
            assert!(!again.contains("issued-credentials"), "{path}: {again}");
            assert!(!again.contains(password));
        }

        // Issued anew, then the machine's page loaded first: forgotten, not shown later.
        let issued = app.post_form("/api/admin/devices/credentials", &form).await;
        let shown_at = issued.headers()[LOCATION].to_str().unwrap().to_owned();
        for path in [&page, &shown_at] {
            let again = app.page(path).await.text().await.unwrap();
            assert!(!again.contains("issued-credentials"), "{path}: {again}");
        }
    })
    .await;
}

#[tokio::test]
async fn session_changes_no_machine_reported_reach_the_device_event_stream() {
    // A door open a second without a close report expires its session.
    let quick_expiry = |o: &mut crate::Options| o.vending.door_timeout_secs = 1;
    on_every_db_and_broker_with(quick_expiry, async |app| {
        app.sign_in().await;
        let mut stream = device_events(&app).await;
        let mut buffer = String::new();
        let mut next_activity =
            async |machine: &str, wanted: &dyn Fn(&serde_json::Value) -> bool| {
                next_event(&mut stream, &mut buffer, "device-activity", |data| {
                    data["device_id"] == machine && wanted(data)
                })
                .await
            };

        // Opened, never acknowledged (no machine listens), failed.
        let silent = fridge(&app).await;
        app.vending
            .open_purchase(silent.id.as_str(), None)
            .await
            .unwrap();
        let opening = next_activity(silent.id.as_str(), &|data| data["mode"] == "purchase").await;
        assert_eq!(opening["door"], "closed (opening)");
        next_activity(silent.id.as_str(), &|data| data["mode"] == "idle").await;

        // The door opened, its closing was never reported: expired by the sweeper.
        let expiring = fridge(&app).await;
        let lost_close = Faults {
            lose_door_closed: 1,
            ..Faults::default()
        };
        let _expiring = spawn_machines(
            &app.mqtt,
            vec![expiring.simulated(vec![Visit::default()], lost_close)],
        );
        expiring.online(&app).await;
        let session = app
            .vending
            .open_purchase(expiring.id.as_str(), None)
            .await
            .unwrap();
        next_activity(expiring.id.as_str(), &|data| data["door"] == "open").await;
        next_activity(expiring.id.as_str(), &|data| data["mode"] == "idle").await;
        wait_for_state(&app, &session.id, "expired").await;

        // In service with the door open (service sessions never expire), force-closed.
        let serviced = fridge(&app).await;
        let door_kept_open = MachineConfig {
            keep_service_door_open: true,
            ..serviced.simulated(vec![], Faults::default())
        };
        let _serviced = spawn_machines(&app.mqtt, vec![door_kept_open]);
        serviced.online(&app).await;
        let service = app
            .vending
            .open_service(serviced.id.as_str())
            .await
            .unwrap();
        next_activity(serviced.id.as_str(), &|data| data["door"] == "open").await;
        let closed = app
            .post_form(
                "/api/admin/vending/sessions/force-close",
                &[("id", service.id.as_str()), ("reason", "left open")],
            )
            .await;
        assert_eq!(
            closed.headers()[LOCATION],
            format!("/admin/vending/sessions/{}", service.id).as_str()
        );
        let idle = next_activity(serviced.id.as_str(), &|data| data["mode"] == "idle").await;
        assert_eq!(idle["service_session"], serde_json::Value::Null);
    })
    .await;
}

/// The signed-in admin's live device event stream.
async fn device_events(app: &TestApp) -> reqwest::Response {
    let stream = app
        .client
        .get(app.url("/admin/api/device-events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    stream
}

/// Reads server-sent events from `stream` until one named `name` whose JSON
/// data satisfies `wanted`; that data.
async fn next_event(
    stream: &mut reqwest::Response,
    buffer: &mut String,
    name: &str,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let read = async {
        loop {
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                let field = |key: &str| {
                    event
                        .lines()
                        .find_map(|line| line.strip_prefix(key))
                        .map(str::trim)
                };
                if field("event:") == Some(name) {
                    let data: serde_json::Value =
                        serde_json::from_str(field("data:").unwrap()).unwrap();
                    if wanted(&data) {
                        return data;
                    }
                }
            }
            let chunk = stream
                .chunk()
                .await
                .unwrap()
                .expect("the stream stays open");
            buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .unwrap_or_else(|_| panic!("no {name} event as wanted; unread: {buffer}"))
}

#[tokio::test]
async fn the_device_event_stream_carries_mode_door_and_scale_weights() {
    on_every_db_and_broker(async |app| {
        app.sign_in().await;
        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let mut stream = device_events(&app).await;
        let mut buffer = String::new();
        let restock = Visit {
            take: vec![Take {
                scale: 1,
                variant_id: fridge.cola.variant_id.clone(),
                units: -2,
            }],
        };
        let simulated = MachineConfig {
            keep_service_door_open: true,
            ..fridge.simulated(vec![restock], Faults::default())
        };
        let _sim = spawn_machines(&app.mqtt, vec![simulated]);
        fridge.online(&app).await;
        let of_machine = |data: &serde_json::Value| data["device_id"] == machine;

        let opened = app.vending.open_service(machine).await.unwrap();
        let open = next_event(&mut stream, &mut buffer, "device-activity", |data| {
            of_machine(data) && data["door"] == "open"
        })
        .await;
        assert_eq!(open["mode"], "service");
        assert_eq!(open["service_session"], opened.id.as_str());
        let cola = fridge.cola.grams;
        let water = fridge.water.grams;
        assert_eq!(
            open["weights"],
            serde_json::json!([[1, 6 * cola, true], [2, 4 * water + 2 * cola, true]]),
            "the weights at opening"
        );
        assert!(open["weights_at"].is_string());

        app.vending.end_service(machine).await.unwrap();
        let closed = next_event(&mut stream, &mut buffer, "device-activity", |data| {
            of_machine(data) && data["mode"] == "idle"
        })
        .await;
        assert_eq!(closed["door"], "closed");
        assert_eq!(closed["service_session"], serde_json::Value::Null);
        assert_eq!(closed["weights"][0], serde_json::json!([1, 8 * cola, true]));
    })
    .await;
}

#[tokio::test]
async fn par_levels_are_set_on_the_machine_page_and_make_a_printable_pick_list() {
    on_every_db(async |app| {
        use domain::alerts;
        use reqwest::Method;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use serde_json::json;

        use crate::send_json;

        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let token = app.admin_token().await;
        let levels = format!("/admin/vending/machines/{machine}/par-levels");
        let (status, body) = send_json(app.admin(Method::GET, &levels, &token)).await;
        assert_eq!(status, 200, "{body}");
        let rows = body["par_levels"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "cola and water, each once: {body}");
        assert!(rows.iter().all(|r| r["par_level"].is_null()), "{body}");

        let set = |body: serde_json::Value| send_json(app.admin(Method::POST, &levels, &token).json(&body));
        let (status, body) = set(json!({ "variant_id": fridge.cola.variant_id, "par_level": 15, "low_stock_at": 20 })).await;
        assert_eq!(status, 400, "the threshold is below par: {body}");
        let (status, body) = set(json!({ "variant_id": fridge.cola.variant_id, "par_level": 15, "low_stock_at": fridge.units })).await;
        assert_eq!(status, 200, "{body}");
        let cola = body["par_levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["variant_id"] == fridge.cola.variant_id.as_str())
            .unwrap()
            .clone();
        assert_eq!(cola["to_bring"], 15 - fridge.units, "{cola}");
        assert_eq!(cola["low"], true, "{cola}");
        let low = alerts::alert::Entity::find()
            .filter(alerts::alert::Column::DeviceId.eq(machine))
            .filter(alerts::alert::Column::Kind.eq(alerts::Kind::LowStock))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a low-stock alert at once");
        assert!(low.resolved_at.is_none());

        let (status, body) = send_json(app.admin(
            Method::GET,
            &format!("/admin/vending/pick-list?device_id={machine}"),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["machines"][0]["id"], machine);
        assert_eq!(body["machines"][0]["lines"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body["totals"][0]["quantity"], 15 - fridge.units, "{body}");

        // The same from the pages, without JavaScript.
        app.sign_in().await;
        let page = format!("/admin/devices/{machine}");
        let html = app.page(&page).await.text().await.unwrap();
        assert!(html.contains(r#"data-testid="par-levels""#), "{html}");
        assert!(html.contains(r#"action="/api/admin/restock/set-par-level""#), "{html}");
        let saved = app
            .post_form(
                "/api/admin/restock/set-par-level",
                &[
                    ("device_id", machine),
                    ("variant_id", fridge.water.variant_id.as_str()),
                    ("par_level", "12"),
                    ("low_stock_at", "2"),
                ],
            )
            .await;
        assert_eq!(saved.headers()[LOCATION], page.as_str(), "back to the machine");
        let refused = app
            .post_form(
                "/api/admin/restock/set-par-level",
                &[
                    ("device_id", machine),
                    ("variant_id", fridge.water.variant_id.as_str()),
                    ("par_level", "twelve"),
                ],
            )
            .await;
        assert_eq!(refused.status(), 400);
        assert!(refused.text().await.unwrap().contains("whole number of units"));

        let html = app
            .page(&format!("/admin/pick-list?device_id={machine}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(html.matches(r#"data-testid="pick-line""#).count(), 2, "cola and water: {html}");
        assert!(html.contains(r#"data-testid="pick-totals""#), "{html}");
        assert!(html.contains(r#"name="device_id""#) && html.contains("checked"), "{html}");
    })
    .await;
}
