//! `/store/product-categories` and `/store/collections`.

use domain::catalog::taxonomy::{self, NewCategory};
use serde_json::Value;

use crate::{get_json as get, on_every_db};

fn names(body: &Value, list: &str, field: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[field].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_visible_categories_with_their_family() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (status, body) = get(&app, "/store/product-categories", key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 3);
        assert_eq!(
            names(&body, "product_categories", "name"),
            ["Drinks", "Food", "Snacks"]
        );
        let drinks = &body["product_categories"][0];
        for field in [
            "id",
            "name",
            "description",
            "handle",
            "rank",
            "parent_category_id",
            "parent_category",
            "category_children",
            "created_at",
            "updated_at",
            "deleted_at",
        ] {
            assert!(
                drinks.get(field).is_some(),
                "StoreProductCategory.{field} is missing"
            );
        }
        let drinks_id = drinks["id"].as_str().unwrap().to_owned();
        assert!(drinks_id.starts_with("pcat_"));

        let child = |name: &str, handle: &str, is_active: bool, is_internal: bool| NewCategory {
            name: name.into(),
            handle: handle.into(),
            description: Some("Cold".into()),
            parent_category_id: Some(drinks_id.clone()),
            rank: 0,
            is_active,
            is_internal,
        };
        let sodas = taxonomy::create_category(&app.db, child("Sodas", "sodas", true, false))
            .await
            .unwrap();
        taxonomy::create_category(&app.db, child("Retired", "retired", false, false))
            .await
            .unwrap();
        let staff =
            taxonomy::create_category(&app.db, child("Staff only", "staff-only", true, true))
                .await
                .unwrap();

        let (status, body) =
            get(&app, &format!("/store/product-categories/{drinks_id}"), key).await;
        assert_eq!(status, 200, "{body}");
        let category = &body["product_category"];
        assert_eq!(category["parent_category"], Value::Null);
        assert_eq!(
            names(category, "category_children", "handle"),
            ["sodas"],
            "inactive and internal children are hidden"
        );
        let (_, body) = get(&app, &format!("/store/product-categories/{sodas}"), key).await;
        assert_eq!(
            body["product_category"]["parent_category"]["id"],
            drinks_id.as_str()
        );
        assert_eq!(
            body["product_category"]["parent_category_id"],
            drinks_id.as_str()
        );
        assert_eq!(body["product_category"]["description"], "Cold");

        let (_, roots) = get(
            &app,
            "/store/product-categories?parent_category_id=null",
            key,
        )
        .await;
        assert_eq!(roots["count"], 3);
        let (_, under) = get(
            &app,
            &format!("/store/product-categories?parent_category_id={drinks_id}"),
            key,
        )
        .await;
        assert_eq!(names(&under, "product_categories", "handle"), ["sodas"]);
        let (_, by_handle) = get(&app, "/store/product-categories?handle=food", key).await;
        assert_eq!(names(&by_handle, "product_categories", "name"), ["Food"]);
        let (_, searched) = get(&app, "/store/product-categories?q=snack", key).await;
        assert_eq!(names(&searched, "product_categories", "handle"), ["snacks"]);
        let (_, paged) = get(
            &app,
            "/store/product-categories?parent_category_id=null&offset=1&limit=2",
            key,
        )
        .await;
        assert_eq!(paged["count"], 3);
        assert_eq!(
            names(&paged, "product_categories", "name"),
            ["Food", "Snacks"]
        );

        let (status, body) = get(&app, &format!("/store/product-categories/{staff}"), key).await;
        assert_eq!(status, 404, "internal categories stay hidden: {body}");
    })
    .await;
}

#[tokio::test]
async fn lists_and_retrieves_collections() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        taxonomy::create_collection(&app.db, "Breakfast", "breakfast")
            .await
            .unwrap();
        let (status, body) = get(&app, "/store/collections", key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 2);
        assert_eq!(
            names(&body, "collections", "title"),
            ["Breakfast", "Fridge favourites"]
        );
        let favourites = &body["collections"][1];
        for field in [
            "id",
            "title",
            "handle",
            "metadata",
            "created_at",
            "updated_at",
            "deleted_at",
        ] {
            assert!(
                favourites.get(field).is_some(),
                "StoreCollection.{field} is missing"
            );
        }
        let (_, filtered) = get(&app, "/store/collections?handle=fridge-favourites", key).await;
        assert_eq!(filtered["count"], 1);
        assert_eq!(filtered["collections"][0]["id"], favourites["id"]);
        let id = favourites["id"].as_str().unwrap();
        let (status, body) = get(&app, &format!("/store/collections/{id}"), key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["collection"]["handle"], "fridge-favourites");
    })
    .await;
}

#[tokio::test]
async fn answers_unknown_ids_and_bad_input() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        for path in [
            "/store/product-categories/pcat_missing",
            "/store/collections/pcol_missing",
        ] {
            let (status, body) = get(&app, path, key).await;
            assert_eq!(status, 404, "{path}: {body}");
            assert_eq!(body["type"], "not_found");
            assert!(
                body["message"].as_str().unwrap().contains("_missing"),
                "{body}"
            );
        }
        for path in [
            "/store/product-categories?limit=abc",
            "/store/product-categories?handle=a&handle=b",
            "/store/collections?offset=x",
            "/store/collections?handle=a&handle[]=b",
        ] {
            let (status, body) = get(&app, path, key).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert_eq!(body["type"], "invalid_data", "{path}");
        }
        for path in ["/store/product-categories", "/store/collections"] {
            let (status, _) = get(&app, path, None).await;
            assert_eq!(status, 400, "{path} needs a publishable key");
        }
    })
    .await;
}
