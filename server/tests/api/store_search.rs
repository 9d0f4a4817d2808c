//! Product search through the Store API (`q`, suggestions), kept in step
//! with the catalog, on the embedded engine.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::{TestApp, eventually, get_json, on_every_db, send_json};

/// Long enough for the outbox to deliver a product change to the index.
const WITHIN: Duration = Duration::from_secs(10);

/// The status, and the handles of the products the storefront's key finds for `query`
/// (the query string after `?`), in the list's order.
async fn found(app: &TestApp, query: &str) -> (Value, Vec<String>) {
    let (status, body) = get_json(
        app,
        &format!("/store/products?{query}"),
        Some(&app.publishable_key),
    )
    .await;
    assert_eq!(status, 200, "{query}: {body}");
    let handles = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap().to_owned())
        .collect();
    (body, handles)
}

/// Waits until searching for `q` finds exactly `handles` (sorted).
async fn finds(app: &TestApp, q: &str, handles: &[&str]) {
    eventually(WITHIN, &format!("q={q} finds {handles:?}"), async || {
        let (_, mut got) = found(app, &format!("q={q}")).await;
        got.sort();
        got == handles
    })
    .await;
}

async fn online_store(app: &TestApp, token: &str) -> String {
    let (_, body) =
        send_json(app.admin(Method::GET, "/admin/sales-channels?q=Online", token)).await;
    body["sales_channels"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn q_finds_products_by_word_typo_prefix_and_field() {
    on_every_db(async |app| {
        finds(&app, "coffee", &["cold-brew-coffee"]).await;
        finds(&app, "choclate", &["dark-chocolate-bar"]).await;
        finds(&app, "Chocolate%20BAR", &["dark-chocolate-bar"]).await;
        finds(&app, "yog", &["greek-yogurt-honey"]).await;
        // The description, the handle (and SKU), the category.
        finds(&app, "quinoa", &["vegan-buddha-bowl"]).await;
        finds(&app, "ORANGE-JUICE", &["orange-juice"]).await;
        finds(
            &app,
            "drinks",
            &["cold-brew-coffee", "orange-juice", "sparkling-water"],
        )
        .await;
        let (body, handles) = found(&app, "q=zzzzqx").await;
        assert!(handles.is_empty());
        assert_eq!(body["count"], 0);

        // Medusa's list shape and paging, the count being all that match.
        let (body, first) = found(&app, "q=drinks&limit=2").await;
        assert_eq!(
            (body["count"].clone(), body["limit"].clone()),
            (json!(3), json!(2))
        );
        assert_eq!(first.len(), 2);
        let (body, rest) = found(&app, "q=drinks&limit=2&offset=2").await;
        assert_eq!(
            (body["count"].clone(), body["offset"].clone()),
            (json!(3), json!(2))
        );
        assert_eq!(rest.len(), 1);
        assert!(!first.contains(&rest[0]));
        // Other filters still apply.
        let (body, _) = found(&app, "q=drinks&handle=apple").await;
        assert_eq!(body["count"], 0);
        let (_, empty) = found(&app, "q=%20").await;
        assert_eq!(empty.len(), 8, "a blank q filters nothing");
    })
    .await;
}

#[tokio::test]
async fn search_follows_creates_updates_and_deletes() {
    on_every_db(async |app| {
        let token = app.admin_token().await;
        let channel = online_store(&app, &token).await;
        let (status, body) = send_json(app.admin(Method::POST, "/admin/products", &token).json(
            &json!({
                "title": "Matcha Latte",
                "handle": "tea-latte",
                "status": "published",
                "variants": [{ "title": "Can", "sku": "LATTE-CAN", "prices": [{ "currency_code": "eur", "amount": 3 }] }],
                "sales_channels": [{ "id": channel }]
            }),
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let id = body["product"]["id"].as_str().unwrap().to_owned();
        finds(&app, "matcha", &["tea-latte"]).await;

        let (status, body) = send_json(
            app.admin(Method::POST, &format!("/admin/products/{id}"), &token)
                .json(&json!({ "title": "Hojicha Latte" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        finds(&app, "hojicha", &["tea-latte"]).await;
        finds(&app, "matcha", &[]).await;

        // A draft is indexed but never shown to shoppers.
        let (status, body) = send_json(
            app.admin(Method::POST, &format!("/admin/products/{id}"), &token)
                .json(&json!({ "status": "draft" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        finds(&app, "hojicha", &[]).await;
        let (status, body) = send_json(
            app.admin(Method::POST, &format!("/admin/products/{id}"), &token)
                .json(&json!({ "status": "published" })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        finds(&app, "hojicha", &["tea-latte"]).await;

        let (status, body) =
            send_json(app.admin(Method::DELETE, &format!("/admin/products/{id}"), &token)).await;
        assert_eq!(status, 200, "{body}");
        finds(&app, "hojicha", &[]).await;
    })
    .await;
}

#[tokio::test]
async fn suggestions_complete_titles_for_the_keys_channels() {
    on_every_db(async |app| {
        let suggest = async |q: &str| {
            let (status, body) = get_json(
                &app,
                &format!("/store/products/search-suggestions?q={q}"),
                Some(&app.publishable_key),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        eventually(WITHIN, "cold br is suggested", async || {
            suggest("cold%20br").await == ["Cold Brew Coffee"]
        })
        .await;
        assert_eq!(suggest("choc").await, ["Dark Chocolate Bar"]);
        assert!(suggest("").await.is_empty());

        let token = app.admin_token().await;
        let (status, body) = send_json(app.admin(Method::POST, "/admin/products", &token).json(
            &json!({ "title": "Chocolate Secret", "variants": [{ "prices": [{ "currency_code": "eur", "amount": 1 }] }] }),
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        eventually(WITHIN, "the draft is indexed", async || {
            domain::events::pending(&app.db)
                .await
                .unwrap()
                .iter()
                .all(|e| !domain::catalog::PRODUCT_EVENTS.contains(&e.name.as_str()))
        })
        .await;
        assert_eq!(
            suggest("choc").await,
            ["Dark Chocolate Bar"],
            "a draft is never suggested"
        );

        let (status, body) = get_json(
            &app,
            "/store/products/search-suggestions?q=a&limit=500",
            Some(&app.publishable_key),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let many = body["suggestions"].as_array().unwrap().len();
        assert!((1..=10).contains(&many), "at most 10: {body}");
        let (status, body) = get_json(
            &app,
            "/store/products/search-suggestions?q=choc&limit=lots",
            Some(&app.publishable_key),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        let (status, _) = get_json(&app, "/store/products/search-suggestions?q=choc", None).await;
        assert_eq!(status, 400, "the publishable key is required");
    })
    .await;
}

#[tokio::test]
async fn a_lost_index_is_rebuilt_at_start_and_by_reindex() {
    for backend in testkit::db_backends() {
        let app = crate::spawn_app(crate::Options::on(backend)).await;
        finds(&app, "apple", &["apple"]).await;
        // A restarted app gets an empty index directory.
        let app = app.restart(crate::Options::on(backend)).await;
        finds(&app, "apple", &["apple"]).await;

        // What `automat search reindex` does, into a directory of its own.
        let dir = tempfile::tempdir().unwrap();
        let search = server::search::EmbeddedSearch::open(dir.path()).unwrap();
        let mut seen = Vec::new();
        let indexed =
            domain::search::rebuild(&app.db, &search, |done, total| seen.push((done, total)))
                .await
                .unwrap();
        assert_eq!(indexed, 8);
        assert_eq!(seen.first(), Some(&(0, 8)));
        assert_eq!(seen.last(), Some(&(8, 8)));
        use domain::search::ProductSearch as _;
        assert_eq!(search.count().await.unwrap(), 8);
        let hits = search.search("aple", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].handle, "apple");
        // In step: left alone at start. Another database's index: rebuilt.
        assert_eq!(
            domain::search::rebuild_if_out_of_step(&app.db, &search)
                .await
                .unwrap(),
            None
        );
        search
            .remove(vec![hits[0].product_id.clone()])
            .await
            .unwrap();
        assert_eq!(
            domain::search::rebuild_if_out_of_step(&app.db, &search)
                .await
                .unwrap(),
            Some(8)
        );
        assert_eq!(search.search("aple", 10).await.unwrap().len(), 1);
    }
}
