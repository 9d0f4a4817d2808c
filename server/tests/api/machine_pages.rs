//! The storefront's machine pages, rendered on the server and posted as a
//! browser without JavaScript would: a page per machine, "Open the door",
//! and the purchase page that ends in a receipt.

use std::time::Duration;

use app::components::format_money;
use domain::{
    inventory, orders, seed,
    vending::{device_session, machines},
};
use reqwest::header::LOCATION;
use sea_orm::{EntityTrait, PaginatorTrait};
use server::vending::simulator::{Faults, spawn_machines};

use crate::{
    Options, TestApp, on_every_db, spawn_app,
    vending_fixture::{fridge, on_every_db_and_broker_with, paid, wait_for_state},
};

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.page(path).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn register_shopper(app: &TestApp) {
    let registered = app
        .post_form(
            "/api/account/register",
            &[
                ("email", "ada@example.com"),
                ("password", "long enough"),
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
            ],
        )
        .await;
    assert_eq!(registered.headers()[LOCATION], "/account");
}

/// Presses "Open the door" without JavaScript; where the browser is sent.
async fn open_door(app: &TestApp, machine_id: &str) -> String {
    let opened = app
        .post_form("/api/machines/open", &[("machine_id", machine_id)])
        .await;
    let to = opened
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    to.unwrap_or_else(|| panic!("no redirect: {}", opened.status()))
}

async fn session_count(app: &TestApp) -> u64 {
    device_session::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_machine_page_shows_where_it_is_its_address_and_what_it_stocks() {
    on_every_db(async |app| {
        let (_, home) = html(&app, "/").await;
        assert!(
            home.contains(r#"href="/machines""#) && home.contains("Machines near you"),
            "the header links to the machines"
        );
        let (status, list) = html(&app, "/machines").await;
        assert_eq!(status, 200);
        assert_eq!(
            list.matches(r#"data-testid="machine""#).count(),
            seed::DEMO_MACHINES,
            "{list}"
        );
        assert!(list.contains(r#"href="/machines/vm-002""#), "{list}");

        let (status, page) = html(&app, "/machines/vm-001").await;
        assert_eq!(status, 200);
        assert!(page.contains("Vending machine 1"), "{page}");
        assert!(
            page.contains(&app.url("/machines/vm-001")),
            "the QR code's address is shown: {page}"
        );
        assert!(page.contains(r#"class="badge offline">offline"#), "{page}");
        let machine = machines::find(&app.db, "vm-001").await.unwrap();
        let shelves = machines::shelves(&app.db, &machine).await.unwrap();
        assert!(!shelves.is_empty(), "the demo machine has stocked scales");
        assert_eq!(
            page.matches(r#"data-testid="machine-product""#).count(),
            shelves.len(),
            "{page}"
        );
        assert!(page.contains(&format!("{} left", shelves[0].in_stock)));
        assert!(page.contains(&shelves[0].product_title));
        assert!(
            page.contains(r#"action="/api/machines/open""#) && page.contains("Open the door"),
            "{page}"
        );

        let (status, _) = html(&app, "/machines/no-such-machine").await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn opening_a_machine_signed_out_asks_to_sign_in_and_comes_back() {
    on_every_db(async |app| {
        let to = open_door(&app, "vm-001").await;
        assert_eq!(to, "/account/login?next=/machines/vm-001");
        assert_eq!(session_count(&app).await, 0, "nothing opened, nothing held");

        let (_, login) = html(&app, &to).await;
        assert!(
            login.contains(r#"name="next""#) && login.contains(r#"value="/machines/vm-001""#),
            "{login}"
        );
        register_shopper(&app).await;
        app.post_form("/api/account/logout", &[]).await;
        let back = app
            .post_form(
                "/api/account/login",
                &[
                    ("email", "ada@example.com"),
                    ("password", "long enough"),
                    ("next", "/machines/vm-001"),
                ],
            )
            .await;
        assert_eq!(back.headers()[LOCATION], "/machines/vm-001");
        app.post_form("/api/account/logout", &[]).await;
        let elsewhere = app
            .post_form(
                "/api/account/login",
                &[
                    ("email", "ada@example.com"),
                    ("password", "long enough"),
                    ("next", "//evil.example.com/"),
                ],
            )
            .await;
        assert_eq!(
            elsewhere.headers()[LOCATION],
            "/account",
            "only paths on this site"
        );
    })
    .await;
}

#[tokio::test]
async fn a_shopper_opens_a_machine_without_javascript_and_gets_a_receipt() {
    let patient = |options: &mut Options| options.vending.command_attempts = 25;
    on_every_db_and_broker_with(patient, async |app| {
        let fridge = fridge(&app).await;
        register_shopper(&app).await;
        let machine_id = fridge.id.as_str();

        // The machine is not connected yet: the open-door command waits.
        let to = open_door(&app, machine_id).await;
        let prefix = format!("/machines/{machine_id}/sessions/");
        let session_id = to
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("sent to {to}"))
            .to_owned();
        let (status, waiting) = html(&app, &to).await;
        assert_eq!(status, 200);
        assert!(
            waiting.contains(r#"data-state="requested""#)
                && waiting.contains("Opening the machine"),
            "{waiting}"
        );
        assert!(
            waiting.contains(r#"http-equiv="refresh""#),
            "reloads itself until done"
        );
        assert!(!waiting.contains(r#"data-testid="receipt""#));

        let visit = fridge.three_colas_and_a_water();
        let _machine = spawn_machines(
            &app.mqtt,
            vec![fridge.simulated(vec![visit], Faults::default())],
        );
        let settled = wait_for_state(&app, &session_id, "settled").await;
        // The card is charged just after the sale is booked.
        paid(&app, &settled).await;
        let (_, done) = html(&app, &to).await;
        assert!(done.contains(r#"data-testid="receipt""#), "{done}");
        assert!(
            !done.contains(r#"http-equiv="refresh""#),
            "done: no reloads"
        );
        let order = orders::find(&app.db, settled.order_id.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(
            done.matches(r#"data-testid="receipt-line""#).count(),
            order.items.len()
        );
        for item in &order.items {
            assert!(done.contains(&item.title), "{done}");
        }
        let total = 3 * fridge.cola.price + fridge.water.price;
        assert!(
            done.contains(&format!("Total charged: {}", format_money(total, "eur"))),
            "{done}"
        );
        assert!(done.contains(&format!(
            "Hold released: {}",
            format_money(settled.hold_amount - total, "eur")
        )));

        let (_, account) = html(&app, "/account").await;
        assert!(
            account.contains(&format!(r#"href="/orders/{}""#, order.order.id)),
            "the purchase is in the order history: {account}"
        );

        // The live feed the page follows after hydration: by cookie, no key.
        let feed = tokio::time::timeout(Duration::from_secs(10), async {
            app.client
                .get(app.url(&format!("/vending/sessions/{session_id}/events")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
        .await
        .expect("a settled session's feed ends");
        assert!(
            feed.contains("event: session") && feed.contains(r#""state":"settled""#),
            "{feed}"
        );
        let stranger = app.browser();
        let refused = stranger
            .get(app.url(&format!("/vending/sessions/{session_id}/events")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        let theirs = stranger
            .get(app.url(&to))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(
            theirs.status(),
            404,
            "a purchase page is its shopper's only"
        );
    })
    .await;
}

#[tokio::test]
async fn the_demo_machines_sell_what_their_scales_hold() {
    for backend in testkit::db_backends() {
        let mut options = Options::on(backend);
        options.simulated_machines = 1;
        let app = spawn_app(options).await;
        app.gateway_subscribed().await;
        crate::eventually(Duration::from_secs(5), "vm-001 is online", async || {
            machines::find(&app.db, "vm-001")
                .await
                .unwrap()
                .device
                .online
        })
        .await;
        let machine = machines::find(&app.db, "vm-001").await.unwrap();
        let first = machines::shelves(&app.db, &machine).await.unwrap()[0].clone();
        register_shopper(&app).await;

        let to = open_door(&app, "vm-001").await;
        let session_id = to.rsplit('/').next().unwrap();
        let settled = wait_for_state(&app, session_id, "settled").await;
        let order = orders::find(&app.db, settled.order_id.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(order.items.len(), 1);
        assert_eq!(order.items[0].variant_id, first.variant_id);
        assert_eq!(order.items[0].quantity, 1);
        let item = inventory::find_item_by_variant(&app.db, &first.variant_id)
            .await
            .unwrap()
            .unwrap();
        let location = machine.location.as_ref().unwrap();
        let level = inventory::level(&app.db, &item.id, &location.id)
            .await
            .unwrap();
        assert_eq!(level.stocked_quantity, first.in_stock - 1);
    }
}
