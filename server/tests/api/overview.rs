//! The admin overview (`GET /admin/overview`, the page at `/admin`) and the
//! CSV exports, against a known set of orders, sessions and alerts written
//! straight into the database, with times chosen relative to now.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use domain::{
    alerts::alert,
    devices::device,
    orders::{order, order_item},
    seed::demo_device_id,
    states,
    vending::{self, device_session},
};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::Value;

use crate::{TestApp, on_every_db, send_json};

fn midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

async fn add_order(
    app: &TestApp,
    id: &str,
    currency: &str,
    total: i64,
    created_at: DateTime<Utc>,
    canceled: bool,
) {
    order::ActiveModel {
        id: Set(id.to_owned()),
        cart_id: Set(format!("cart-{id}")),
        customer_id: Set(None),
        email: Set(None),
        currency_code: Set(currency.to_owned()),
        status: Set(if canceled {
            order::Status::Canceled
        } else {
            order::Status::Pending
        }),
        payment_collection_id: Set(None),
        region_id: Set(None),
        sales_channel_id: Set(None),
        shipping_option_id: Set(None),
        shipping_method_name: Set(None),
        shipping_address: Set(None),
        billing_address: Set(None),
        promo_codes: Set(None),
        is_tax_inclusive: Set(true),
        subtotal: Set(total),
        total: Set(total),
        item_subtotal: Set(total),
        item_tax_total: Set(0),
        item_total: Set(total),
        shipping_subtotal: Set(0),
        shipping_tax_total: Set(0),
        shipping_total: Set(0),
        discount_total: Set(0),
        discount_tax_total: Set(0),
        tax_total: Set(0),
        tip: Set(0),
        original_total: Set(total),
        created_at: Set(created_at),
        canceled_at: Set(canceled.then_some(created_at)),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

async fn add_item(
    app: &TestApp,
    order_id: &str,
    product: &str,
    title: &str,
    quantity: i32,
    unit: i64,
) {
    order_item::ActiveModel {
        id: Set(format!("{order_id}-{product}")),
        order_id: Set(order_id.to_owned()),
        variant_id: Set(format!("variant-{product}")),
        product_id: Set(product.to_owned()),
        title: Set(title.to_owned()),
        variant_title: Set("Default".to_owned()),
        quantity: Set(quantity),
        unit_price: Set(unit),
        subtotal: Set(unit * i64::from(quantity)),
        discount_total: Set(0),
        tax_total: Set(0),
        total: Set(unit * i64::from(quantity)),
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// A vending session as settlement leaves it.
fn session(
    id: &str,
    device_id: &str,
    mode: &str,
    order_id: Option<&str>,
    created_at: DateTime<Utc>,
) -> device_session::ActiveModel {
    device_session::ActiveModel {
        id: Set(id.to_owned()),
        device_id: Set(device_id.to_owned()),
        hub_id: Set(None),
        locker_id: Set(None),
        mode: Set(states::parse(mode, "a session mode").unwrap()),
        code: Set(format!("code-{id}")),
        customer_id: Set(None),
        state: Set(vending::state::State::Settled),
        currency_code: Set("eur".to_owned()),
        hold_amount: Set(2000),
        payment_collection_id: Set(None),
        payment_id: Set(None),
        order_id: Set(order_id.map(str::to_owned)),
        last_seq: Set(0),
        failure_reason: Set(None),
        credit_amount: Set(None),
        review_reason: Set(None),
        created_at: Set(created_at),
        updated_at: Set(created_at),
        door_opened_at: Set(None),
        door_closed_at: Set(None),
        ended_at: Set(Some(created_at)),
    }
}

fn offline_alert(
    id: &str,
    device_id: &str,
    kind: &str,
    raised_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
) -> alert::ActiveModel {
    alert::ActiveModel {
        id: Set(id.to_owned()),
        kind: Set(states::parse(kind, "an alert kind").unwrap()),
        device_id: Set(Some(device_id.to_owned())),
        order_id: Set(None),
        message: Set("seeded".to_owned()),
        raised_at: Set(raised_at),
        resolved_at: Set(resolved_at),
        acknowledged_at: Set(None),
        acknowledged_by: Set(None),
    }
}

/// What [`seed`] wrote.
struct Seeded {
    now: DateTime<Utc>,
}

/// The known set:
/// - orders: today €10.00 (machine 1) and $7.00 (machine 2), 3 days ago
///   €5.00 (machine 1), 20 days ago €2.50 (web), today a canceled €99.99,
///   40 days ago €1.00;
/// - sessions: three purchases and a return (in review) today or 3 days ago,
///   a service visit today, a purchase 40 days ago;
/// - machines: the demo's three, added 10 days ago, offline now; machine 1
///   since an alert a day ago, machine 2 since it was last seen 2 days ago
///   (no alert) and for a day before that (a resolved alert); machine 3
///   decommissioned. Three open alerts, one of them the decommissioned
///   machine's.
async fn seed(app: &TestApp) -> Seeded {
    let now = Utc::now();
    let today = midnight(now);
    let [m1, m2, m3] = [1, 2, 3].map(demo_device_id);
    add_order(
        app,
        "order-a",
        "eur",
        1000,
        today + Duration::seconds(1),
        false,
    )
    .await;
    add_item(app, "order-a", "cola", "Cola, \"light\"", 2, 400).await;
    add_item(app, "order-a", "chips", "Chips", 1, 200).await;
    add_order(app, "order-b", "eur", 500, now - Duration::days(3), false).await;
    add_item(app, "order-b", "chips", "Chips", 5, 100).await;
    add_order(app, "order-c", "eur", 250, now - Duration::days(20), false).await;
    add_item(app, "order-c", "cola", "Cola, \"light\"", 1, 250).await;
    add_order(
        app,
        "order-d",
        "usd",
        700,
        today + Duration::seconds(2),
        false,
    )
    .await;
    add_item(app, "order-d", "water", "Water", 7, 100).await;
    add_order(
        app,
        "order-e",
        "eur",
        9999,
        today + Duration::seconds(3),
        true,
    )
    .await;
    add_order(app, "order-f", "eur", 100, now - Duration::days(40), false).await;
    add_item(app, "order-f", "water", "Water", 1, 100).await;

    let mut in_review = session(
        "session-4",
        &m1,
        "return",
        None,
        today + Duration::seconds(4),
    );
    in_review.review_reason = Set(Some("=unexplained weight".to_owned()));
    for s in [
        session(
            "session-1",
            &m1,
            "purchase",
            Some("order-a"),
            today + Duration::seconds(1),
        ),
        session(
            "session-2",
            &m1,
            "purchase",
            Some("order-b"),
            now - Duration::days(3),
        ),
        session(
            "session-3",
            &m2,
            "purchase",
            Some("order-d"),
            today + Duration::seconds(2),
        ),
        in_review,
        session(
            "session-5",
            &m2,
            "service",
            None,
            today + Duration::seconds(5),
        ),
        session(
            "session-6",
            &m1,
            "purchase",
            Some("order-f"),
            now - Duration::days(40),
        ),
    ] {
        s.insert(&app.db).await.unwrap();
    }

    // Offline, as the demo's machines are: the heartbeat watchdog leaves
    // offline machines alone (an online one not heard from it would mark
    // offline, with an alert, mid-test).
    device::Entity::update_many()
        .col_expr(
            device::Column::CreatedAt,
            Expr::value(now - Duration::days(10)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    device::Entity::update_many()
        .col_expr(
            device::Column::LastSeenAt,
            Expr::value(now - Duration::days(2)),
        )
        .filter(device::Column::Id.eq(&m2))
        .exec(&app.db)
        .await
        .unwrap();
    device::Entity::update_many()
        .col_expr(device::Column::DecommissionedAt, Expr::value(now))
        .filter(device::Column::Id.eq(&m3))
        .exec(&app.db)
        .await
        .unwrap();
    for a in [
        offline_alert(
            "alert-1",
            &m1,
            "device_offline",
            now - Duration::days(1),
            None,
        ),
        offline_alert(
            "alert-2",
            &m2,
            "device_offline",
            now - Duration::days(5),
            Some(now - Duration::days(4)),
        ),
        offline_alert(
            "alert-3",
            &m1,
            "door_open_too_long",
            now - Duration::hours(1),
            None,
        ),
        // Another machine's, before it was decommissioned: not in the uptime.
        offline_alert(
            "alert-4",
            &m3,
            "device_offline",
            now - Duration::days(3),
            None,
        ),
    ] {
        a.insert(&app.db).await.unwrap();
    }
    Seeded { now }
}

async fn overview(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    send_json(app.admin(Method::GET, &format!("/admin/overview{query}"), token)).await
}

fn amounts(revenue: &Value) -> Vec<(String, i64)> {
    revenue
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["currency_code"].as_str().unwrap().to_owned(),
                a["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect()
}

#[tokio::test]
async fn overview_figures_match_a_seeded_set_of_orders_and_sessions() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let (status, empty) = overview(&app, &token, "").await;
        assert_eq!(status, 200, "{empty}");
        assert_eq!(empty["periods"]["last_30_days"]["orders"], 0);
        assert_eq!(empty["daily_sales"], serde_json::json!([]));

        let Seeded { now } = seed(&app).await;
        let (status, body) = overview(&app, &token, "?days=30").await;
        assert_eq!(status, 200, "{body}");
        let periods = &body["periods"];
        assert_eq!(
            amounts(&periods["today"]["revenue"]),
            pairs(&[("eur", 1000), ("usd", 700)])
        );
        assert_eq!(
            amounts(&periods["last_7_days"]["revenue"]),
            pairs(&[("eur", 1500), ("usd", 700)])
        );
        assert_eq!(
            amounts(&periods["last_30_days"]["revenue"]),
            pairs(&[("eur", 1750), ("usd", 700)])
        );
        let counts = |p: &str| {
            (
                periods[p]["orders"].as_u64().unwrap(),
                periods[p]["sessions"].as_u64().unwrap(),
            )
        };
        assert_eq!(counts("today"), (2, 3));
        assert_eq!(counts("last_7_days"), (3, 4));
        assert_eq!(counts("last_30_days"), (4, 4));

        let top: Vec<(String, String, i64, i64)> = body["top_products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["title"].as_str().unwrap().to_owned(),
                    p["currency_code"].as_str().unwrap().to_owned(),
                    p["quantity"].as_i64().unwrap(),
                    p["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            top,
            [
                ("Water".into(), "usd".into(), 7, 700),
                ("Chips".into(), "eur".into(), 6, 700),
                ("Cola, \"light\"".into(), "eur".into(), 3, 1050),
            ]
        );

        let machines: Vec<(String, String, u64, i64)> = body["machine_sales"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["device_id"].as_str().unwrap().to_owned(),
                    m["currency_code"].as_str().unwrap().to_owned(),
                    m["orders"].as_u64().unwrap(),
                    m["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            machines,
            [
                (demo_device_id(1), "eur".into(), 2, 1500),
                (demo_device_id(2), "usd".into(), 1, 700),
            ]
        );

        // 30 days per currency, zeros where nothing sold, oldest first.
        let daily = body["daily_sales"].as_array().unwrap();
        assert_eq!(daily.len(), 60);
        let sold: Vec<(String, String, i64)> = daily
            .iter()
            .filter(|d| d["amount"].as_i64() != Some(0))
            .map(|d| {
                (
                    d["day"].as_str().unwrap().to_owned(),
                    d["currency_code"].as_str().unwrap().to_owned(),
                    d["amount"].as_i64().unwrap(),
                )
            })
            .collect();
        let (today, three_days_ago, twenty_days_ago) = (
            day(now),
            day(now - Duration::days(3)),
            day(now - Duration::days(20)),
        );
        assert_eq!(
            sold,
            [
                (twenty_days_ago, "eur".into(), 250),
                (three_days_ago, "eur".into(), 500),
                (today.clone(), "eur".into(), 1000),
                (today, "usd".into(), 700),
            ]
        );

        let fleet = &body["machines"];
        assert_eq!(
            (fleet["total"].as_u64(), fleet["online"].as_u64()),
            (Some(2), Some(0))
        );
        assert_eq!(fleet["offline"], 2);
        // 1 + 2 + 1 days offline of 2 × 10 days in service.
        let uptime = fleet["uptime_percent"].as_f64().unwrap();
        assert!((uptime - 80.0).abs() < 0.01, "uptime {uptime}");
        assert_eq!(body["open_alerts"], 3);
        assert_eq!(body["review_sessions"], 1);

        // A shorter window: the lists follow it, the fixed periods do not.
        let (_, week) = overview(&app, &token, "?days=7").await;
        assert_eq!(week["daily_sales"].as_array().unwrap().len(), 14);
        assert_eq!(week["top_products"].as_array().unwrap().len(), 3);
        assert_eq!(week["top_products"][2]["quantity"], 2, "{week}");
        assert_eq!(week["periods"], body["periods"]);

        for bad in ["?days=0", "?days=367", "?days=abc"] {
            let (status, error) = overview(&app, &token, bad).await;
            assert_eq!(status, 400, "{bad}: {error}");
            assert!(
                error["message"].as_str().unwrap().contains("days"),
                "{error}"
            );
        }
        let anonymous = app
            .client
            .get(app.url("/admin/overview"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn the_overview_page_shows_the_figures_and_charts_and_an_empty_state() {
    on_every_db(async |app| {
        assert!(app.sign_in().await.status().is_success());
        let empty = app.page("/admin").await;
        assert_eq!(empty.status(), 200);
        let html = empty.text().await.unwrap();
        assert!(html.contains("<h1>Overview</h1>"), "{html}");
        assert!(html.contains("data-testid=\"overview-empty\""), "{html}");
        assert!(html.contains("Nothing sold in this window."));
        // The devices page moved, and stays reachable.
        assert!(html.contains("href=\"/admin/devices\""));
        assert_eq!(app.page("/admin/devices").await.status(), 200);

        seed(&app).await;
        for path in ["/admin", "/admin/overview", "/admin?days=7"] {
            let page = app.page(path).await;
            assert_eq!(page.status(), 200, "{path}");
            let html = page.text().await.unwrap();
            assert!(!html.contains("overview-empty"), "{path}");
            // Revenue today, 7 and 30 days, formatted.
            for figure in ["€10.00", "€15.00", "€17.50", "$7.00"] {
                assert!(html.contains(figure), "{path}: {figure} in {html}");
            }
            assert!(html.contains("0 of 2 online"), "{path}");
            // Over 30 days; a shorter window counts less time in service.
            let uptime = match path.ends_with("days=7") {
                true => "over 7 days",
                false => "uptime 80.0 % over 30 days",
            };
            assert!(html.contains(uptime), "{path}: {uptime}");
            // Server-drawn charts, one pair per currency, titled.
            assert_eq!(html.matches("<svg").count(), 4, "{path}");
            assert!(html.contains("<title id=\"days-eur-title\">Sales per day (EUR)</title>"));
            assert!(
                html.contains("Vending machine 1"),
                "{path}: a machine's bar"
            );
            // The product title is escaped, not markup.
            assert!(html.contains("Cola, &quot;light&quot;") || html.contains("Cola, \"light\""));
            assert!(
                html.contains("href=\"/admin/exports/orders.csv?from="),
                "{path}"
            );
            assert!(
                html.contains("action=\"/admin/exports/sessions.csv\""),
                "{path}"
            );
        }
    })
    .await;
}

pub async fn csv(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let response = app.admin(Method::GET, path, token).send().await.unwrap();
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=")
        );
    }
    (status, response.text().await.unwrap())
}

pub fn records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn csv_exports_have_the_ranges_rows_properly_quoted() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let Seeded { now } = seed(&app).await;
        let range = format!("from={}&to={}", day(now - Duration::days(3)), day(now));

        let (status, text) = csv(&app, &token, &format!("/admin/exports/orders.csv?{range}")).await;
        assert_eq!(status, 200, "{text}");
        // A comma and quotes in a title: quoted, quotes doubled.
        assert!(text.contains("\"Cola, \"\"light\"\"\""), "{text}");
        let (header, rows) = records(&text);
        assert_eq!(header[0], "order_id");
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let ids: Vec<&str> = rows
            .iter()
            .map(|r| r[column("order_id")].as_str())
            .collect();
        // Oldest first; one row per line; the canceled order (no lines) once.
        assert_eq!(ids, ["order-b", "order-a", "order-a", "order-d", "order-e"]);
        let cola = rows
            .iter()
            .find(|r| r[column("product_id")] == "cola")
            .unwrap();
        assert_eq!(cola[column("title")], "Cola, \"light\"");
        assert_eq!(cola[column("quantity")], "2");
        assert_eq!(cola[column("line_total_minor")], "800");
        assert_eq!(cola[column("device_id")], demo_device_id(1));
        assert_eq!(rows[4][column("status")], "canceled");

        // One day only: today's.
        let today = format!("from={0}&to={0}", day(now));
        let (_, text) = csv(&app, &token, &format!("/admin/exports/orders.csv?{today}")).await;
        assert_eq!(records(&text).1.len(), 4);

        let forty = format!("from={}&to={}", day(now - Duration::days(40)), day(now));
        let (status, text) = csv(
            &app,
            &token,
            &format!("/admin/exports/sessions.csv?{forty}"),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        let (header, rows) = records(&text);
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let ids: Vec<&str> = rows
            .iter()
            .map(|r| r[column("session_id")].as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "session-6",
                "session-2",
                "session-1",
                "session-3",
                "session-4",
                "session-5"
            ]
        );
        // A reason a spreadsheet would take for a formula is defused.
        assert_eq!(rows[4][column("review_reason")], "'=unexplained weight");
        assert_eq!(rows[4][column("mode")], "return");

        // A range with nothing in it: the header alone.
        let (status, text) = csv(
            &app,
            &token,
            "/admin/exports/sessions.csv?from=2001-01-01&to=2001-01-31",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(text.lines().count(), 1, "{text}");
    })
    .await;
}

#[tokio::test]
async fn csv_exports_page_through_a_large_range() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        // More than two pages, all created at the same instant: the keyset
        // cursor's tie-break on the id neither skips nor repeats a row.
        let at = Utc::now() - Duration::days(1);
        let total = 2 * domain::overview::exports::PAGE as usize + 7;
        let device = demo_device_id(1);
        for chunk in (0..total).collect::<Vec<_>>().chunks(200) {
            device_session::Entity::insert_many(
                chunk
                    .iter()
                    .map(|n| session(&format!("bulk-{n:05}"), &device, "purchase", None, at)),
            )
            .exec(&app.db)
            .await
            .unwrap();
        }
        let path = format!(
            "/admin/exports/sessions.csv?from={}&to={}",
            day(at),
            day(at)
        );
        let (status, text) = csv(&app, &token, &path).await;
        assert_eq!(status, 200);
        let (_, rows) = records(&text);
        let ids: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
        let expected: Vec<String> = (0..total).map(|n| format!("bulk-{n:05}")).collect();
        assert_eq!(ids, expected);
    })
    .await;
}

#[tokio::test]
async fn csv_exports_refuse_bad_dates_and_strangers() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        for (query, message) in [
            (
                "from=2026-02-30&to=2026-03-01",
                "from must be a date as YYYY-MM-DD, not \"2026-02-30\"",
            ),
            ("from=2026-03-01", "to is required, as a date YYYY-MM-DD"),
            (
                "from=yesterday&to=2026-03-01",
                "from must be a date as YYYY-MM-DD, not \"yesterday\"",
            ),
            (
                "from=2026-03-02&to=2026-03-01",
                "to must not be before from",
            ),
        ] {
            for export in ["orders", "sessions"] {
                let path = format!("/admin/exports/{export}.csv?{query}");
                let (status, body) = send_json(app.admin(Method::GET, &path, &token)).await;
                assert_eq!(status, 400, "{path}");
                assert_eq!(body["message"], message, "{path}");
            }
        }
        for export in ["orders", "sessions"] {
            let path = format!("/admin/exports/{export}.csv?from=2026-03-01&to=2026-03-02");
            let anonymous = app.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(anonymous.status(), 401, "{path}");
        }
    })
    .await;
}
