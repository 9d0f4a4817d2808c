//! Many shoppers writing at once on SQLite: every cart write waits its turn
//! for the single writer instead of failing with "database is locked".

use serde_json::json;
use testkit::DbBackend;

use crate::{Options, TestApp, spawn_app, store_carts::variant};

const CLIENTS: usize = 32;
const FLOWS_PER_CLIENT: usize = 3;

/// Creates a cart and adds a line, as the benchmark's cart flow does; the
/// statuses of both requests.
async fn cart_flow(app: &TestApp, client: &reqwest::Client, variant_id: &str) -> Vec<u16> {
    let created = client
        .post(app.url("/store/carts"))
        .header("x-publishable-api-key", &app.publishable_key)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let mut statuses = vec![created.status().as_u16()];
    let Ok(body) = created.json::<serde_json::Value>().await else {
        return statuses;
    };
    let Some(cart_id) = body["cart"]["id"].as_str() else {
        return statuses;
    };
    let added = client
        .post(app.url(&format!("/store/carts/{cart_id}/line-items")))
        .header("x-publishable-api-key", &app.publishable_key)
        .json(&json!({ "variant_id": variant_id, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    statuses.push(added.status().as_u16());
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_cart_writes_on_sqlite_all_succeed() {
    let app = spawn_app(Options::on(DbBackend::Sqlite)).await;
    let variant_id = variant(&app, "apple").await;
    let clients = (0..CLIENTS).map(|_| {
        let (app, variant_id) = (&app, &variant_id);
        async move {
            // One connection per shopper, as wrk's connections.
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for _ in 0..FLOWS_PER_CLIENT {
                statuses.extend(cart_flow(app, &client, variant_id).await);
            }
            statuses
        }
    });
    let statuses: Vec<u16> = futures::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    let failed: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert_eq!(statuses.len(), CLIENTS * FLOWS_PER_CLIENT * 2);
    assert!(
        failed.is_empty(),
        "{} of {} failed: {failed:?}",
        failed.len(),
        statuses.len()
    );
}
