//! The fleet: adding a machine (Admin API, admin page, `automat device
//! add`), moving and decommissioning it, its printable QR code, and the
//! device list filtered by firmware and sync version.

use std::time::Duration;

use domain::{
    devices::{device, protocol::DeviceId},
    shipping::shipping_option,
    vending::sessions,
};
use reqwest::{Method, header::LOCATION};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::{Value, json};
use server::vending::simulator::{MachineConfig, SimScale, spawn_machines};

use crate::{
    TestApp, devices::unique_device, eventually, on_every_db, send_json,
    vending_fixture::wait_for_state,
};

const MACHINES: &str = "/admin/vending/machines";

/// A machine as the Admin API takes it: two doors, three scales.
fn new_machine(id: &DeviceId) -> Value {
    json!({
        "id": id.as_str(),
        "name": "Lobby fridge",
        "address": "Main street 1, Vienna",
        "latitude": 48.208174,
        "longitude": 16.373819,
        "hub": "Vienna central",
        "lockers": [
            { "label": "A", "scales": [{ "position": 1, "noise_grams": 3 }, { "position": 2 }] },
            { "label": "B", "scales": [{ "position": 3, "noise_grams": 4 }] }
        ]
    })
}

async fn add(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    send_json(app.admin(Method::POST, MACHINES, token).json(body)).await
}

async fn stored(app: &TestApp, id: &str) -> device::Model {
    device::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

/// The simulated twin of a machine added with [`new_machine`], signing in
/// with the password it was issued.
fn simulated(id: &DeviceId, password: &str) -> MachineConfig {
    MachineConfig {
        password: Some(password.to_owned()),
        scales: (1..=3)
            .map(|position| SimScale {
                position,
                products: vec![],
            })
            .collect(),
        ..MachineConfig::new(id.clone(), Duration::from_secs(1))
    }
}

async fn online(app: &TestApp, id: &DeviceId) {
    eventually(
        Duration::from_secs(5),
        "the machine is online",
        async || stored(app, id.as_str()).await.online,
    )
    .await;
}

#[tokio::test]
async fn an_added_machine_signs_in_with_its_credentials_opens_and_can_be_decommissioned() {
    on_every_db(async |app| {
        let id = unique_device();
        let (status, _) =
            send_json(app.client.post(app.url(MACHINES)).json(&new_machine(&id))).await;
        assert_eq!(status, 401, "admins only");
        let token = app.admin_token().await;
        let (status, body) = add(&app, &token, &new_machine(&id)).await;
        assert_eq!(status, 200, "{body}");
        let machine = &body["machine"];
        assert_eq!(machine["id"], id.as_str());
        assert_eq!(machine["status"], "active");
        assert_eq!(machine["address"], "Main street 1, Vienna");
        assert_eq!(machine["latitude"], 48.208174);
        assert_eq!(machine["hub"]["name"], "Vienna central");
        assert_eq!(machine["lockers"][0]["label"], "A");
        assert_eq!(machine["lockers"][0]["scales"][1]["position"], 2);
        assert_eq!(machine["lockers"][1]["scales"][0]["noise_grams"], 4);
        assert_eq!(machine["has_credentials"], true);
        assert_eq!(body["credentials"]["username"], id.as_str());
        let password = body["credentials"]["password"].as_str().unwrap().to_owned();

        // Its own channel and stock location, and a free pick-up option there.
        let location = body["location"]["stock_location_id"].as_str().unwrap();
        assert_eq!(
            machine["sales_channel_id"],
            body["location"]["sales_channel_id"]
        );
        let pickup = shipping_option::Entity::find()
            .filter(shipping_option::Column::StockLocationId.eq(location))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a pick-up option");
        assert_eq!(pickup.name, "Pick up at Lobby fridge");
        assert_eq!(pickup.amount, 0);
        assert_eq!(body["location"]["shipping_option_id"], pickup.id.as_str());

        // It signs in with the issued password and opens (service mode).
        let _sim = spawn_machines(&app.mqtt, vec![simulated(&id, &password)]);
        online(&app, &id).await;
        let service = format!("{MACHINES}/{}/service", id.as_str());
        let (status, body) = send_json(app.admin(Method::POST, &service, &token)).await;
        assert_eq!(status, 200, "{body}");
        let session = body["session"]["id"].as_str().unwrap().to_owned();
        wait_for_state(&app, &session, "settled").await;

        // Decommissioned: listed as such, refuses new sessions, keeps its history.
        let decommission = format!("{MACHINES}/{}/decommission", id.as_str());
        let (status, body) = send_json(app.admin(Method::POST, &decommission, &token)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["machine"]["status"], "decommissioned");
        assert_eq!(body["machine"]["has_credentials"], false);
        let (status, body) = send_json(app.admin(Method::POST, &service, &token)).await;
        assert_eq!(status, 400, "{body}");
        let refusal = body["message"].as_str().unwrap();
        assert!(
            refusal.contains("decommissioned") && refusal.contains("no new sessions"),
            "{refusal}"
        );
        let shopper = app.vending.open_purchase(id.as_str(), None).await;
        assert!(shopper.unwrap_err().to_string().contains("decommissioned"));
        let (status, body) = send_json(app.admin(Method::POST, &decommission, &token)).await;
        assert_eq!(status, 400, "once is enough: {body}");
        let (_, kept) = sessions::list(
            &app.db,
            &sessions::SessionFilter {
                device_id: Some(id.as_str().to_owned()),
                states: vec![],
            },
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(kept, 1, "its session is kept");
        let (status, body) = send_json(app.admin(
            Method::GET,
            &format!("{MACHINES}?status=decommissioned"),
            &token,
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let ids: Vec<&str> = body["machines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [id.as_str()]);
        let page = app.sign_in().await;
        assert!(page.status().is_redirection() || page.status().is_success());
        let html = app
            .page("/admin/devices?status=decommissioned")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(r#"data-testid="decommissioned-{}""#, id.as_str())),
            "{html}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_machines_are_refused_with_a_clear_message_and_a_taken_id_is_a_conflict() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = unique_device();
        let with = |change: &dyn Fn(&mut Value)| {
            let mut body = new_machine(&id);
            change(&mut body);
            body
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                with(&|b| b["id"] = json!("Not An Id")),
                "is not a device id",
            ),
            (with(&|b| b["name"] = json!("  ")), "a machine needs a name"),
            (
                with(&|b| b["latitude"] = json!(91.0)),
                "latitude 91 is out of range",
            ),
            (
                with(&|b| b["longitude"] = json!(-180.5)),
                "longitude -180.5 is out of range",
            ),
            (
                with(&|b| {
                    b.as_object_mut().unwrap().remove("longitude");
                }),
                "needs both latitude and longitude",
            ),
            (with(&|b| b["lockers"] = json!([])), "at least one locker"),
            (
                with(&|b| b["lockers"][1]["scales"][0]["position"] = json!(1)),
                "scale position 1 is used twice",
            ),
            (
                with(&|b| b["lockers"][1]["label"] = json!("A")),
                "two lockers are labelled",
            ),
            (
                with(&|b| b["location"] = json!({ "sales_channel_id": "sc_nope" })),
                "there is no sales channel sc_nope",
            ),
            (
                with(&|b| b["region_id"] = json!("reg_nope")),
                "there is no region reg_nope",
            ),
            (with(&|b| b["lockers"] = json!("A:1")), "lockers"),
        ];
        for (body, expected) in cases {
            let (status, answer) = add(&app, &token, &body).await;
            assert_eq!(status, 400, "{body}: {answer}");
            let message = answer["message"].as_str().unwrap_or_default();
            assert!(message.contains(expected), "{expected:?} in {message:?}");
        }
        assert!(
            device::Entity::find_by_id(id.as_str())
                .one(&app.db)
                .await
                .unwrap()
                .is_none(),
            "nothing is written for bad input"
        );

        let (status, body) = add(&app, &token, &new_machine(&id)).await;
        assert_eq!(status, 200, "{body}");
        let mut again = new_machine(&id);
        again["name"] = json!("Another fridge");
        let (status, body) = add(&app, &token, &again).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["message"].as_str().unwrap().contains("already exists"));
        assert_eq!(stored(&app, id.as_str()).await.name, "Lobby fridge");
    })
    .await;
}

#[tokio::test]
async fn a_machine_moves_to_another_location_with_its_pick_up_option() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = unique_device();
        let (status, body) = add(&app, &token, &new_machine(&id)).await;
        assert_eq!(status, 200, "{body}");
        let old_channel = body["location"]["sales_channel_id"].clone();

        // Another machine's location, shared.
        let other = unique_device();
        let mut second = new_machine(&other);
        second["name"] = json!("Station fridge");
        let (status, body) = add(&app, &token, &second).await;
        assert_eq!(status, 200, "{body}");
        let target = body["location"].clone();

        let path = format!("{MACHINES}/{}/location", id.as_str());
        let (status, body) = send_json(app.admin(Method::POST, &path, &token).json(&json!({
            "location": { "sales_channel_id": target["sales_channel_id"] }
        })))
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["machine"]["sales_channel_id"],
            target["sales_channel_id"]
        );
        assert_ne!(body["machine"]["sales_channel_id"], old_channel);
        assert_eq!(
            body["machine"]["stock_location_id"],
            target["stock_location_id"]
        );
        assert_eq!(
            body["location"]["shipping_option_id"], target["shipping_option_id"],
            "the location's pick-up option serves it"
        );

        // A new location of its own, named as asked.
        let (status, body) = send_json(app.admin(Method::POST, &path, &token).json(&json!({
            "location": { "name": "Lobby, 2nd floor" }
        })))
        .await;
        assert_eq!(status, 200, "{body}");
        let option = body["location"]["shipping_option_id"].as_str().unwrap();
        let option = shipping_option::Entity::find_by_id(option)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(option.name, "Pick up at Lobby, 2nd floor");

        let (status, body) = send_json(app.admin(Method::POST, &path, &token).json(&json!({
            "location": { "sales_channel_id": "sc_nope" }
        })))
        .await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = send_json(
            app.admin(Method::POST, &format!("{MACHINES}/nope/location"), &token)
                .json(&json!({ "location": {} })),
        )
        .await;
        assert_eq!(status, 404);

        // A decommissioned machine stays where it was.
        let decommission = format!("{MACHINES}/{}/decommission", id.as_str());
        let (status, _) = send_json(app.admin(Method::POST, &decommission, &token)).await;
        assert_eq!(status, 200);
        let (status, body) = send_json(app.admin(Method::POST, &path, &token).json(&json!({
            "location": { "sales_channel_id": target["sales_channel_id"] }
        })))
        .await;
        assert_eq!(status, 400, "{body}");
    })
    .await;
}

/// Reads a QR code out of the SVG the QR renderer draws: a light background
/// and one path of dark `M{x} {y}h{w}v{h}H{x}V{y}` rectangles.
fn decode_qr_svg(svg: &str) -> String {
    let number = |after: &str| -> usize {
        let start = svg.find(after).unwrap() + after.len();
        svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    let (width, height) = (number(r#"width=""#), number(r#"height=""#));
    let d_start = svg.find(r#" d=""#).unwrap() + 4;
    let d = &svg[d_start..d_start + svg[d_start..].find('"').unwrap()];
    let mut dark = vec![false; width * height];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let fields: Vec<usize> = rect
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|f| !f.is_empty())
            .map(|f| f.parse().unwrap())
            .collect();
        let [x, y, w, h, ..] = fields[..] else {
            panic!("not a rectangle: {rect}");
        };
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark[y * width + x] { 0 } else { 255 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn a_machine_has_a_printable_qr_code_of_its_storefront_page() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let id = unique_device();
        let (status, body) = add(&app, &token, &new_machine(&id)).await;
        assert_eq!(status, 200, "{body}");
        let path = format!("{MACHINES}/{}/qr-code", id.as_str());
        let answer = app.admin(Method::GET, &path, &token).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.headers()["content-type"],
            "image/svg+xml; charset=utf-8"
        );
        let svg = answer.text().await.unwrap();
        assert!(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            decode_qr_svg(&svg),
            format!("http://shop.example.com/machines/{}", id.as_str())
        );
        let (status, _) = send_json(app.client.get(app.url(&path))).await;
        assert_eq!(status, 401);
        let (status, _) =
            send_json(app.admin(Method::GET, &format!("{MACHINES}/nope/qr-code"), &token)).await;
        assert_eq!(status, 404);

        // The device page links to it.
        app.sign_in().await;
        let html = app
            .page(&format!("/admin/devices/{}", id.as_str()))
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(&format!(r#"href="{path}""#)), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_device_list_shows_and_filters_by_firmware_and_sync_version() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (old, new, never) = (unique_device(), unique_device(), unique_device());
        for (id, firmware, version) in [
            (&old, Some("1.0.0"), Some(3)),
            (&new, Some("2.1.0"), Some(4)),
            (&never, None, None),
        ] {
            let (status, body) = add(&app, &token, &new_machine(id)).await;
            assert_eq!(status, 200, "{body}");
            let mut active = stored(&app, id.as_str()).await.into_active_model();
            active.firmware = Set(firmware.map(str::to_owned));
            active.planogram_version = Set(version);
            active.update(&app.db).await.unwrap();
        }
        let listed = async |query: &str| -> Vec<String> {
            let (status, body) =
                send_json(app.admin(Method::GET, &format!("{MACHINES}{query}"), &token)).await;
            assert_eq!(status, 200, "{query}: {body}");
            let ours = [old.as_str(), new.as_str(), never.as_str()];
            body["machines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_owned())
                .filter(|id| ours.contains(&id.as_str()))
                .collect()
        };
        assert_eq!(listed("?firmware=2.1.0").await, [new.as_str()]);
        assert_eq!(listed("?sync_version=3").await, [old.as_str()]);
        assert_eq!(listed("?sync_version=never").await, [never.as_str()]);
        assert_eq!(
            listed("?firmware=1.0.0&sync_version=4").await,
            Vec::<String>::new()
        );
        assert_eq!(listed("?status=active").await.len(), 3);
        let (_, body) =
            send_json(app.admin(Method::GET, &format!("{MACHINES}?firmware=2.1.0"), &token)).await;
        assert_eq!(body["machines"][0]["firmware"], "2.1.0");
        assert_eq!(body["machines"][0]["sync_version"], 4);
        assert_eq!(body["count"], 1);
        for bad in ["?sync_version=latest", "?status=broken"] {
            let (status, body) =
                send_json(app.admin(Method::GET, &format!("{MACHINES}{bad}"), &token)).await;
            assert_eq!(status, 400, "{bad}: {body}");
        }

        // The page shows both and filters with a plain GET form.
        app.sign_in().await;
        let html = app.page("/admin/devices").await.text().await.unwrap();
        assert!(html.contains(r#"data-testid="device-filter""#));
        assert!(html.contains(&format!(
            r#"data-testid="firmware-{}">2.1.0<"#,
            new.as_str()
        )));
        assert!(html.contains(&format!(
            r#"data-testid="sync-version-{}">4<"#,
            new.as_str()
        )));
        let html = app
            .page("/admin/devices?firmware=2.1.0")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(&format!(r#"data-device="{}""#, new.as_str())));
        assert!(!html.contains(&format!(r#"data-device="{}""#, old.as_str())));
        let html = app
            .page("/admin/devices?sync_version=never")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains(&format!(r#"data-device="{}""#, never.as_str())));
        assert!(!html.contains(&format!(r#"data-device="{}""#, new.as_str())));
    })
    .await;
}

#[tokio::test]
async fn an_admin_adds_a_machine_from_the_devices_page_and_sees_its_password_once() {
    on_every_db(async |app| {
        let id = unique_device();
        let form = |id: &str, latitude: &str| {
            vec![
                ("id", id.to_owned()),
                ("name", "Gym fridge".to_owned()),
                ("address", "Gym street 5".to_owned()),
                ("latitude", latitude.to_owned()),
                ("longitude", "2.35".to_owned()),
                ("hub", String::new()),
                ("lockers", "A:1,2\nB:3".to_owned()),
                ("scale_noise", "3".to_owned()),
                ("sales_channel_id", String::new()),
                ("region_id", String::new()),
            ]
        };
        let post = async |fields: Vec<(&str, String)>| {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/api/admin/devices/add", &fields).await
        };
        let signed_out = post(form(id.as_str(), "48.85")).await;
        assert!(
            signed_out
                .headers()
                .get(LOCATION)
                .is_none_or(|l| !l.to_str().unwrap().starts_with("/admin/devices/"))
        );
        assert!(
            device::Entity::find_by_id(id.as_str())
                .one(&app.db)
                .await
                .unwrap()
                .is_none()
        );

        app.sign_in().await;
        let html = app.page("/admin/devices").await.text().await.unwrap();
        assert!(
            html.contains(r#"action="/api/admin/devices/add""#),
            "{html}"
        );
        let refused = post(form(id.as_str(), "north")).await;
        assert!(
            refused
                .headers()
                .get(LOCATION)
                .is_none_or(|l| !l.to_str().unwrap().starts_with("/admin/devices/"))
        );
        assert!(
            device::Entity::find_by_id(id.as_str())
                .one(&app.db)
                .await
                .unwrap()
                .is_none(),
            "a bad latitude adds nothing"
        );

        let added = post(form(id.as_str(), "48.85")).await;
        let shown_at = added.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(
            shown_at.starts_with(&format!("/admin/devices/{}?issued=", id.as_str())),
            "{shown_at}"
        );
        let html = app.page(&shown_at).await.text().await.unwrap();
        assert!(html.contains("shown only this once"), "{html}");
        assert!(html.contains("Gym street 5"));
        assert!(html.contains("A (scales 1, 2); B (scales 3)"), "{html}");
        let machine = stored(&app, id.as_str()).await;
        assert_eq!(machine.latitude_microdeg, Some(48_850_000));
        assert!(machine.sales_channel_id.is_some());
    })
    .await;
}

#[tokio::test]
async fn automat_device_add_adds_a_machine_and_prints_its_credentials() {
    on_every_db(async |app| {
        let id = unique_device();
        // Away from any configuration file of the checkout.
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_automat"))
                .current_dir(dir.path())
                .args(args)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("AUTOMAT_DATABASE_URL", app.database_url())
                .env("AUTOMAT_LOG", "warn")
                .output()
                .expect("the binary runs")
        };
        let added = run(&[
            "device",
            "add",
            id.as_str(),
            "--name",
            "Office fridge",
            "--latitude",
            "-33.8688",
            "--longitude",
            "151.2093",
            "--hub",
            "Sydney",
            "--locker",
            "A:1,2",
        ]);
        let out = String::from_utf8_lossy(&added.stdout);
        assert!(
            added.status.success(),
            "{out}{}",
            String::from_utf8_lossy(&added.stderr)
        );
        let password = out
            .lines()
            .find_map(|l| l.strip_prefix("MQTT password: "))
            .and_then(|l| l.split(' ').next())
            .expect("the password is printed");
        assert!(
            domain::devices::verify_credentials(&app.db, id.as_str(), password)
                .await
                .unwrap()
        );
        let machine = stored(&app, id.as_str()).await;
        assert_eq!(machine.latitude_microdeg, Some(-33_868_800));
        assert!(machine.hub_id.is_some() && machine.sales_channel_id.is_some());

        let again = run(&[
            "device",
            "add",
            id.as_str(),
            "--name",
            "Twin",
            "--locker",
            "A:1",
        ]);
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
        let bad = run(&[
            "device",
            "add",
            "vm-x1",
            "--name",
            "Far",
            "--latitude",
            "100",
            "--longitude",
            "0",
            "--locker",
            "A:1",
        ]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("latitude 100 is out of range"));
    })
    .await;
}
