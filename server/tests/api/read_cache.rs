//! Catalog reads kept in memory: fresh again after any write through the
//! server, and after the time-to-live for changes made elsewhere.

use std::time::Duration;

use domain::pricing::region;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use crate::{
    Options, TestApp, customers, get_json, spawn_app,
    store_carts::{add, new_cart, post},
};

async fn rename_region_behind_the_servers_back(app: &TestApp, name: &str) {
    let region = region::Entity::find().one(&app.db).await.unwrap().unwrap();
    let mut region = region.into_active_model();
    region.name = Set(name.into());
    region.update(&app.db).await.unwrap();
}

/// An admin's write clears what the server keeps.
async fn write_through_the_server(app: &TestApp) {
    let token = app.admin_token().await;
    let created = app
        .admin(reqwest::Method::POST, "/admin/collections", &token)
        .json(&json!({ "title": "Summer", "handle": format!("summer-{}", ulid::Ulid::new().to_string().to_lowercase()) }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
}

async fn region_name(app: &TestApp) -> String {
    let (status, body) = get_json(app, "/store/regions", Some(&app.publishable_key)).await;
    assert_eq!(status, 200, "{body}");
    body["regions"][0]["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn catalog_reads_are_kept_until_a_write_or_the_ttl() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            store_cache_ms: 500,
            ..Options::on(backend)
        })
        .await;
        assert_eq!(region_name(&app).await, "Europe");
        rename_region_behind_the_servers_back(&app, "Elsewhere").await;
        assert_eq!(region_name(&app).await, "Europe", "kept in memory");

        write_through_the_server(&app).await;
        assert_eq!(
            region_name(&app).await,
            "Elsewhere",
            "a write clears the cache"
        );

        rename_region_behind_the_servers_back(&app, "Later").await;
        assert_eq!(region_name(&app).await, "Elsewhere");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(region_name(&app).await, "Later", "entries expire");
    }
}

async fn new_cart_region_name(app: &TestApp) -> String {
    let cart = new_cart(app, json!({})).await;
    cart["region"]["name"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_new_cart_gets_the_region_as_the_last_write_left_it() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            store_cache_ms: 60_000,
            ..Options::on(backend)
        })
        .await;
        assert_eq!(new_cart_region_name(&app).await, "Europe");
        rename_region_behind_the_servers_back(&app, "Elsewhere").await;
        assert_eq!(
            new_cart_region_name(&app).await,
            "Europe",
            "where carts sell is kept in memory"
        );
        write_through_the_server(&app).await;
        assert_eq!(
            new_cart_region_name(&app).await,
            "Elsewhere",
            "a write clears what was kept"
        );
    }
}

#[tokio::test]
async fn a_zero_ttl_reads_the_database_every_time() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            store_cache_ms: 0,
            ..Options::on(backend)
        })
        .await;
        assert_eq!(region_name(&app).await, "Europe");
        rename_region_behind_the_servers_back(&app, "Elsewhere").await;
        assert_eq!(region_name(&app).await, "Elsewhere");
    }
}

/// Calls that change nothing kept leave the cache be, whatever their
/// method: reads, server functions that read (by POST), cart edits, sign-ins,
/// password reset requests. Otherwise anyone could empty it at will.
#[tokio::test]
async fn calls_that_change_no_catalog_keep_the_cache() {
    for backend in testkit::db_backends() {
        let app = spawn_app(Options {
            store_cache_ms: 60_000,
            ..Options::on(backend)
        })
        .await;
        let token = customers::signed_up(&app, "reader@example.com").await;
        assert_eq!(region_name(&app).await, "Europe");
        rename_region_behind_the_servers_back(&app, "Elsewhere").await;

        let cart = new_cart(&app, json!({})).await;
        let cart_id = cart["id"].as_str().unwrap();
        add(&app, cart_id, "apple", 1).await;
        let (status, _) = get_json(
            &app,
            &format!("/store/carts/{cart_id}"),
            Some(&app.publishable_key),
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = post(&app, &format!("/store/carts/{cart_id}/taxes"), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let signed_in = app
            .client
            .post(app.url("/auth/customer/emailpass"))
            .json(&json!({ "email": "reader@example.com", "password": "long enough" }))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 200);
        let reset = app
            .client
            .post(app.url("/auth/customer/emailpass/reset-password"))
            .json(&json!({ "identifier": "reader@example.com" }))
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), 201);
        let address = app
            .client
            .post(app.url("/store/customers/me/addresses"))
            .header("x-publishable-api-key", &app.publishable_key)
            .bearer_auth(&token)
            .json(&json!({ "city": "Berlin" }))
            .send()
            .await
            .unwrap();
        assert_eq!(address.status(), 200);
        for read in [
            "/api/catalog/products",
            "/api/catalog/categories",
            "/api/cart/summary",
        ] {
            let response = app.post_form(read, &[("offset", "0")]).await;
            assert!(
                response.status().is_success(),
                "{read}: {}",
                response.status()
            );
        }
        assert_eq!(
            region_name(&app).await,
            "Europe",
            "none of these cleared the cache"
        );

        write_through_the_server(&app).await;
        assert_eq!(
            region_name(&app).await,
            "Elsewhere",
            "an admin's write does"
        );
    }
}
