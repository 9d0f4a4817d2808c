//! Product search through the Store API (`q`, suggestions), kept in step
//! with the catalog, on both engines: the embedded one, and Meilisearch
//! (the real client against the local stand-in).

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use simulators::meilisearch::{self, MeilisearchConfig, MeilisearchSimulator};

use crate::{Options, TestApp, eventually, get_json, on_every_db, send_json};

/// The settings that point a store at the stand-in.
fn meili_settings(sim: &MeilisearchSimulator) -> server::config::SearchSettings {
    server::config::SearchSettings {
        meilisearch_url: Some(sim.url()),
        meilisearch_key: sim.master_key(),
        meilisearch_index: "automat_products".into(),
        search_synonyms: Some(r#"{"soda": ["sparkling"]}"#.into()),
    }
}

/// A store searching through Meilisearch (the stand-in, which lives as long as the test holds it).
async fn on_meilisearch(backend: testkit::DbBackend) -> (TestApp, MeilisearchSimulator) {
    let sim = meilisearch::spawn(MeilisearchConfig::default())
        .await
        .unwrap();
    let mut options = Options::on(backend);
    options.settings.search = meili_settings(&sim);
    (crate::spawn_app(options).await, sim)
}

/// The test on every database, with each engine.
async fn on_every_engine(test: impl AsyncFn(TestApp)) {
    on_every_db(&test).await;
    for backend in testkit::db_backends() {
        let (app, _sim) = on_meilisearch(backend).await;
        test(app).await;
    }
}

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
    on_every_engine(async |app| {
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
    on_every_engine(async |app| {
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
    on_every_engine(async |app| {
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

#[tokio::test]
async fn meilisearch_gets_its_settings_and_a_document_per_product() {
    for backend in testkit::db_backends() {
        let (app, sim) = on_meilisearch(backend).await;
        let settings = sim.settings("automat_products").expect("the index exists");
        assert_eq!(settings["searchableAttributes"][0], "title", "{settings}");
        for filterable in [
            "status",
            "categories",
            "collections",
            "machine_ids",
            "prices",
        ] {
            assert!(
                settings["filterableAttributes"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(filterable)),
                "{filterable}: {settings}"
            );
        }
        assert!(
            settings["sortableAttributes"]
                .as_array()
                .unwrap()
                .contains(&json!("created_at"))
        );
        assert_eq!(
            settings["typoTolerance"]["minWordSizeForTypos"],
            json!({ "oneTypo": 5, "twoTypos": 8 })
        );
        assert_eq!(settings["synonyms"], json!({ "soda": ["sparkling"] }));

        // Every product, with its prices per currency, categories and the machines stocking it.
        let documents = sim.documents("automat_products");
        assert_eq!(documents.len(), 8);
        let water = documents
            .iter()
            .find(|d| d["handle"] == "sparkling-water")
            .expect("indexed");
        assert!(water["prices"]["eur"].as_i64().unwrap() > 0, "{water}");
        assert_eq!(water["categories"], json!(["Drinks"]), "{water}");
        assert!(
            documents
                .iter()
                .any(|d| !d["machine_ids"].as_array().unwrap().is_empty()),
            "some demo product is stocked in a demo machine"
        );
        // The synonym reaches the shopper's search.
        finds(&app, "soda", &["sparkling-water"]).await;

        // Taking a product off a machine's scale, and putting it back, reach its document.
        let stocked_in = |id: &str| -> Vec<String> {
            sim.documents("automat_products")
                .into_iter()
                .find(|d| d["id"] == id)
                .map(|d| serde_json::from_value(d["machine_ids"].clone()).unwrap())
                .unwrap_or_default()
        };
        let water_id = water["id"].as_str().unwrap().to_owned();
        let variant_ids: Vec<String> = domain::catalog::variant::Entity::find()
            .filter(domain::catalog::variant::Column::ProductId.eq(&water_id))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.id)
            .collect();
        let on_scale = domain::vending::scale_assignment::Entity::find()
            .filter(domain::vending::scale_assignment::Column::VariantId.is_in(variant_ids))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the demo machines stock sparkling water");
        let machine = domain::vending::scale::Entity::find_by_id(&on_scale.scale_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .device_id;
        assert!(stocked_in(&water_id).contains(&machine));
        domain::vending::scales::unassign(&app.db, &on_scale.id)
            .await
            .unwrap();
        eventually(
            WITHIN,
            "the machine is gone from the document",
            async || !stocked_in(&water_id).contains(&machine),
        )
        .await;
        domain::vending::scales::assign(
            &app.db,
            &on_scale.scale_id,
            domain::vending::scales::NewAssignment {
                variant_id: on_scale.variant_id.clone(),
                unit_weight_grams: on_scale.unit_weight_grams,
                min_weight_grams: on_scale.min_weight_grams,
                max_weight_grams: on_scale.max_weight_grams,
                deposit: None,
            },
        )
        .await
        .unwrap();
        eventually(WITHIN, "and back again", async || {
            stocked_in(&water_id).contains(&machine)
        })
        .await;

        // A restart finds the index in step and leaves it alone; an index
        // emptied behind the store's back is rebuilt at the next start.
        let writes = |sim: &MeilisearchSimulator| {
            sim.requests()
                .iter()
                .filter(|r| r.method == "POST" && r.path.ends_with("/documents"))
                .count()
        };
        let before = writes(&sim);
        let mut options = Options::on(backend);
        options.settings.search = meili_settings(&sim);
        let app = app.restart(options).await;
        assert_eq!(writes(&sim), before, "in step: nothing re-sent");
        let client = reqwest::Client::new();
        let emptied = client
            .delete(format!("{}/indexes/automat_products/documents", sim.url()))
            .bearer_auth(sim.master_key().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(emptied.status(), 202);
        eventually(WITHIN, "the stand-in emptied the index", async || {
            sim.documents("automat_products").is_empty()
        })
        .await;
        let mut options = Options::on(backend);
        options.settings.search = meili_settings(&sim);
        let app = app.restart(options).await;
        assert_eq!(sim.documents("automat_products").len(), 8);
        finds(&app, "appel", &["apple"]).await;
    }
}

#[tokio::test]
async fn meilisearch_trouble_is_a_clear_error_not_a_wrong_answer() {
    let sim = meilisearch::spawn(MeilisearchConfig::default())
        .await
        .unwrap();
    let wrong_key = server::config::SearchSettings {
        meilisearch_key: Some("not-the-key".into()),
        ..meili_settings(&sim)
    };
    let mut settings = server::config::Settings::defaults();
    settings.search = wrong_key;
    let refused = server::search::open(&settings)
        .await
        .err()
        .expect("refused");
    assert!(refused.to_string().contains("API key"), "{refused}");
    settings.search = server::config::SearchSettings {
        meilisearch_url: Some("http://127.0.0.1:9".into()),
        ..meili_settings(&sim)
    };
    let unreachable = server::search::open(&settings)
        .await
        .err()
        .expect("refused");
    assert!(
        unreachable.to_string().contains("cannot reach"),
        "{unreachable}"
    );
    settings.search = server::config::SearchSettings {
        search_synonyms: Some("soda=pop".into()),
        ..meili_settings(&sim)
    };
    let malformed = server::search::open(&settings)
        .await
        .err()
        .expect("refused");
    assert!(
        malformed.to_string().contains("AUTOMAT_SEARCH_SYNONYMS"),
        "{malformed}"
    );

    // While Meilisearch fails, a search answers 503 with a reason, and
    // plain listing (no q) keeps working.
    let (app, sim) = on_meilisearch(testkit::db_backends()[0]).await;
    finds(&app, "apple", &["apple"]).await;
    sim.set_faults(simulators::Faults {
        fail_next: u32::MAX,
        ..Default::default()
    });
    // Words not asked before: the Store API's read cache has no answer for them.
    let (status, body) =
        get_json(&app, "/store/products?q=orange", Some(&app.publishable_key)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("search"),
        "{body}"
    );
    sim.set_faults(simulators::Faults::default());
    let (_, handles) = found(&app, "limit=50").await;
    assert_eq!(handles.len(), 8);
    finds(&app, "apple", &["apple"]).await;
}

#[tokio::test]
async fn searched_lists_come_best_first_unless_another_order_is_asked() {
    on_every_engine(async |app| {
        let token = app.admin_token().await;
        let channel = online_store(&app, &token).await;
        // The title match is the older one: best first must not mean newest first.
        for (title, handle, description, price) in [
            ("Chocolate Cookie", "cookie", "Baked daily", 90.0),
            ("Trail Mix", "trail-mix", "Nuts with a few chocolate chunks", 0.1),
        ] {
            let (status, body) = send_json(app.admin(Method::POST, "/admin/products", &token).json(
                &json!({
                    "title": title,
                    "handle": handle,
                    "description": description,
                    "status": "published",
                    "variants": [{ "title": "One", "prices": [{ "currency_code": "eur", "amount": price }] }],
                    "sales_channels": [{ "id": channel }]
                }),
            ))
            .await;
            assert_eq!(status, 200, "{body}");
        }
        finds(&app, "chocolate", &["cookie", "dark-chocolate-bar", "trail-mix"]).await;
        let (_, best_first) = found(&app, "q=chocolate").await;
        assert_eq!(best_first.last().unwrap(), "trail-mix", "{best_first:?}");
        let (_, newest) = found(&app, "q=chocolate&order=-created_at").await;
        assert_eq!(newest[0], "trail-mix", "{newest:?}");
        let (_, oldest) = found(&app, "q=chocolate&order=created_at").await;
        assert_eq!(oldest.last().unwrap(), "trail-mix", "{oldest:?}");
        let (_, titles) = found(&app, "q=chocolate&order=title").await;
        assert_eq!(titles, ["cookie", "dark-chocolate-bar", "trail-mix"]);

        // By price in the asked currency (amounts in major units, as Medusa's), paged like any list.
        let (_, cheapest) = found(&app, "q=chocolate&order=price&currency_code=eur").await;
        assert_eq!(cheapest[0], "trail-mix", "{cheapest:?}");
        let (body, dearest) =
            found(&app, "q=chocolate&order=-price&currency_code=EUR&limit=2").await;
        assert_eq!(body["count"], 3);
        assert_eq!(dearest.len(), 2);
        assert_eq!(dearest[0], "cookie", "{dearest:?}");
        let (_, all) = found(&app, "order=price&currency_code=eur&limit=50").await;
        assert_eq!(all[0], "trail-mix", "the whole catalog too: {all:?}");

        // The admin's list takes the same orders, and Medusa's updated_at.
        for order in ["-updated_at", "updated_at", "title", "-created_at"] {
            let (status, body) = send_json(app.admin(
                Method::GET,
                &format!("/admin/products?order={order}&limit=50"),
                &token,
            ))
            .await;
            assert_eq!(status, 200, "{order}: {body}");
        }
        let (_, body) = send_json(app.admin(
            Method::GET,
            "/admin/products?order=-updated_at&limit=1",
            &token,
        ))
        .await;
        assert_eq!(body["products"][0]["handle"], "trail-mix", "{body}");

        for (query, says) in [
            ("q=chocolate&order=price", "region_id or currency_code"),
            ("order=popularity", "not one of"),
        ] {
            let (status, body) = get_json(
                &app,
                &format!("/store/products?{query}"),
                Some(&app.publishable_key),
            )
            .await;
            assert_eq!(status, 400, "{query}: {body}");
            assert!(body["message"].as_str().unwrap().contains(says), "{body}");
        }
    })
    .await;
}
