//! Every list the API answers is a page of at most 100 items, whatever
//! `limit` asks, and says the limit it applied. Every GET route of the
//! OpenAPI document is asked.

use std::collections::BTreeSet;

use domain::devices::device;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::{TestApp, customers::signed_up, get_json, on_every_db, store_carts::new_cart};

const CAP: u64 = 100;

/// Lists answered whole, each bounded by something no request chooses.
const BOUNDED_LISTS: &[(&str, &str)] = &[
    (
        "/store/shipping-options",
        "the options configured for the cart's region",
    ),
    (
        "/store/products/search-suggestions",
        "at most 10 suggestions, whatever the limit asked",
    ),
    (
        "/admin/vending/machines/{device_id}/scales",
        "the scales fitted in one machine",
    ),
    (
        "/admin/vending/machines/{device_id}/par-levels",
        "the products on one machine's scales",
    ),
    (
        "/admin/vending/pick-list",
        "at most 100 machines (refused beyond), each with its products",
    ),
    (
        "/admin/overview",
        "the top products, the machines and the days of a window of at most 366",
    ),
];

/// Lists that must be among the pages checked (those of a resource need its id).
const PAGES: &[&str] = &[
    "/store/products",
    "/store/customers/me/addresses",
    "/store/orders",
    "/store/vending/deposit-credits",
    "/store/vending/deposit-payouts",
    "/admin/orders",
    "/admin/customers",
    "/admin/products/{id}/variants",
    "/admin/inventory-items/{id}/location-levels",
    "/admin/vending/sessions",
    "/admin/loyalty/sessions",
    "/admin/alerts",
    "/admin/users",
];

struct Caller<'a> {
    app: &'a TestApp,
    admin: String,
    customer: String,
}

impl Caller<'_> {
    /// GETs `path` as whoever may: an admin under `/admin`, a signed-in
    /// customer of the publishable key elsewhere.
    async fn get(&self, path: &str) -> (u16, Value) {
        let mut request = self.app.client.get(self.app.url(path));
        request = if path.starts_with("/admin") {
            request.bearer_auth(&self.admin)
        } else {
            request
                .header("x-publishable-api-key", &self.app.publishable_key)
                .bearer_auth(&self.customer)
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `path` with its parameters filled from the list above it (`{id}` of
    /// `/admin/products/{id}/variants` is the first of `/admin/products`);
    /// `None` when there is nothing to fill them with.
    async fn fill(&self, path: &str, device_id: &str) -> Option<String> {
        let mut filled = String::new();
        for segment in path.split('/').skip(1) {
            let value = match segment {
                "{device_id}" => device_id.to_owned(),
                "{id}" | "{code}" => {
                    let field = segment.trim_matches(['{', '}']);
                    let (status, parent) = self.get(&filled).await;
                    if status != 200 {
                        return None;
                    }
                    let first = parent
                        .as_object()?
                        .values()
                        .find_map(|v| v.as_array()?.first())?;
                    first[field].as_str()?.to_owned()
                }
                other if other.starts_with('{') => return None,
                other => other.to_owned(),
            };
            filled = format!("{filled}/{value}");
        }
        Some(filled)
    }
}

/// The query parameters a route cannot answer without.
fn required_query(path: &str, cart: &Value) -> String {
    match path {
        "/store/shipping-options" => format!("cart_id={}&", cart["id"].as_str().unwrap()),
        "/store/payment-providers" => format!("region_id={}&", cart["region_id"].as_str().unwrap()),
        "/admin/exports/orders.csv" | "/admin/exports/sessions.csv" => {
            "from=2026-01-01&to=2026-01-31&".to_owned()
        }
        _ => String::new(),
    }
}

#[tokio::test]
async fn every_list_answers_at_most_a_page_and_says_so() {
    on_every_db(async |app| {
        let (_, document) = get_json(&app, "/openapi.json", None).await;
        let caller = Caller {
            app: &app,
            admin: app.admin_token().await,
            customer: signed_up(&app, "lister@example.com").await,
        };
        let cart = new_cart(&app, json!({})).await;
        let device_id = device::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .expect("demo machines")
            .id;
        let mut pages = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            let Some(get) = item.get("get") else { continue };
            if get["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some()
            {
                continue;
            }
            let Some(url) = caller.fill(path, &device_id).await else {
                continue;
            };
            let query = required_query(path, &cart);

            let (status, body) = caller.get(&format!("{url}?{query}limit=1000000")).await;
            assert_eq!(status, 200, "{path}: {body}");
            let lists: Vec<&Vec<Value>> = body
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
                .filter_map(Value::as_array)
                .collect();
            if !lists.is_empty() && !BOUNDED_LISTS.iter().any(|(bounded, _)| bounded == path) {
                assert_eq!(
                    body["limit"], CAP,
                    "{path} applies the cap and says so: {body}"
                );
                assert!(lists.iter().all(|list| list.len() as u64 <= CAP), "{path}");
                pages.insert(path.clone());
            }

            let (status, body) = caller
                .get(&format!("{url}?{query}offset=18446744073709551615"))
                .await;
            assert!(
                status == 200 || status == 400,
                "{path} with an absurd offset: {status} {body}"
            );
        }
        let missing: Vec<_> = PAGES
            .iter()
            .filter(|page| !pages.contains(**page))
            .collect();
        assert!(
            missing.is_empty(),
            "not checked as pages: {missing:?}; checked: {pages:?}"
        );

        // The storefront's own catalog page (a server function, open to anyone).
        let response = app
            .post_form(
                "/api/catalog/products",
                &[("offset", "18446744073709551615")],
            )
            .await;
        assert_eq!(response.status(), 200, "past the end is an empty page");
    })
    .await;
}
