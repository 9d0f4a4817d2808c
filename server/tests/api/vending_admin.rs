//! The vending Admin API: scales, sync, service mode, the session preview and
//! force-close, against a simulated machine.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use server::vending::simulator::{Faults, spawn_machines};

use crate::{
    eventually, send_json,
    vending_fixture::{fridge, on_every_db_and_broker, paid, wait_for_state},
};

#[tokio::test]
async fn an_admin_sets_up_scales_syncs_services_and_previews_sessions() {
    on_every_db_and_broker(async |app| {
        let (status, _) = send_json(app.client.get(app.url("/admin/vending/sessions"))).await;
        assert_eq!(status, 401);
        let token = app.admin_token().await;
        let fridge = fridge(&app).await;
        let machine = fridge.id.as_str();
        let _sim = spawn_machines(&app.mqtt, vec![fridge.simulated(vec![], Faults::default())]);
        fridge.online(&app).await;

        // A third scale with a product on it.
        let scales = format!("/admin/vending/machines/{machine}/scales");
        let (status, body) = send_json(
            app.admin(Method::POST, &scales, &token)
                .json(&json!({ "position": 3, "noise_grams": 4 })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let scale_id = body["scale"]["id"].as_str().unwrap().to_owned();
        let (status, _) = send_json(
            app.admin(Method::POST, &scales, &token)
                .json(&json!({ "position": 3 })),
        )
        .await;
        assert_eq!(status, 409, "one scale per position");
        let products = format!("/admin/vending/scales/{scale_id}/products");
        let lopsided = json!({ "variant_id": fridge.water.variant_id, "unit_weight_g": 500, "min_weight_g": 510, "max_weight_g": 520 });
        let (status, body) =
            send_json(app.admin(Method::POST, &products, &token).json(&lopsided)).await;
        assert_eq!((status, body["type"].as_str()), (400, Some("invalid_data")));
        let water = json!({ "variant_id": fridge.water.variant_id, "unit_weight_g": 520, "min_weight_g": 515, "max_weight_g": 525 });
        let (status, body) =
            send_json(app.admin(Method::POST, &products, &token).json(&water)).await;
        assert_eq!(status, 200, "{body}");
        let (_, body) = send_json(app.admin(Method::GET, &scales, &token)).await;
        let positions: Vec<i64> = body["scales"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["position"].as_i64().unwrap())
            .collect();
        assert_eq!(positions, [1, 2, 3]);
        assert_eq!(body["scales"][2]["products"][0]["unit_weight_g"], 520);

        // Sync, acknowledged by the machine.
        let (status, body) = send_json(app.admin(
            Method::POST,
            &format!("/admin/vending/machines/{machine}/sync"),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["command"]["ack_ok"], true);
        assert_eq!(body["command"]["payload"]["scales"][2]["scale"], 3);

        // Service mode: the door opens and closes, nothing is charged.
        let (status, body) = send_json(app.admin(
            Method::POST,
            &format!("/admin/vending/machines/{machine}/service"),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let service = body["session"]["id"].as_str().unwrap().to_owned();
        wait_for_state(&app, &service, "settled").await;
        let (status, body) = send_json(app.admin(
            Method::GET,
            &format!("/admin/vending/sessions/{service}"),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["session"]["mode"], "service");
        let kinds: Vec<&str> = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["door_opened", "door_closed"]);
        assert_eq!(body["events"][1]["outcome"], "applied");
        assert_eq!(body["commands"][0]["kind"], "open_door");
        assert_eq!(body["commands"][0]["ack_ok"], true);

        let listed = format!("/admin/vending/sessions?device_id={machine}&state=settled");
        let (status, body) = send_json(app.admin(Method::GET, &listed, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 1);
        assert_eq!(body["sessions"][0]["id"], service.as_str());
        let (status, _) = send_json(app.admin(
            Method::GET,
            "/admin/vending/sessions?state=ajar",
            &token,
        ))
        .await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn an_admin_force_closes_a_stuck_session_releasing_the_hold() {
    on_every_db_and_broker(async |app| {
        let token = app.admin_token().await;
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
        let close = format!("/admin/vending/sessions/{}/close", session.id);
        let (status, _) = send_json(
            app.admin(Method::POST, &close, &token)
                .json(&json!({ "reason": "  " })),
        )
        .await;
        assert_eq!(status, 400, "a reason is required");
        let (status, body) = send_json(
            app.admin(Method::POST, &close, &token)
                .json(&json!({ "reason": "door jammed" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["session"]["state"], "failed");
        assert!(
            body["session"]["failure_reason"]
                .as_str()
                .unwrap()
                .contains("door jammed")
        );
        let payment = paid(&app, &session).await;
        assert!(payment.canceled_at.is_some(), "the hold is released");
        let (status, _) = send_json(
            app.admin(Method::POST, &close, &token)
                .json(&json!({ "reason": "again" })),
        )
        .await;
        assert_eq!(status, 409, "a failed session stays failed");
        eventually(Duration::from_secs(1), "the machine is free", async || {
            app.vending.open_service(fridge.id.as_str()).await.is_ok()
        })
        .await;
    })
    .await;
}
