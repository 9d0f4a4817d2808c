//! Catalog reads kept in memory: fresh again after any write through the
//! server, and after the time-to-live for changes made elsewhere.

use std::time::Duration;

use domain::pricing::region;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::json;

use crate::{Options, TestApp, customers, get_json, spawn_app, store_carts::new_cart};

async fn rename_region_behind_the_servers_back(app: &TestApp, name: &str) {
    let region = region::Entity::find().one(&app.db).await.unwrap().unwrap();
    let mut region = region.into_active_model();
    region.name = Set(name.into());
    region.update(&app.db).await.unwrap();
}

/// Any write but a cart edit clears what the server keeps.
async fn write_through_the_server(app: &TestApp) {
    customers::signed_up(app, "shopper@example.com").await;
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
