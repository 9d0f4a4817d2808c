use serde_json::Value;

use crate::{TestApp, on_every_db};

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> (u16, Value) {
    let mut request = app.client.get(app.url(path));
    if let Some(key) = key {
        request = request.header("x-publishable-api-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn lists_products_in_medusas_shape() {
    on_every_db(async |app| {
        let (status, body) = get(&app, "/store/products", Some(&app.publishable_key)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"], 8);
        assert_eq!(body["offset"], 0);
        assert_eq!(body["limit"], 50);
        let products = body["products"].as_array().unwrap();
        assert_eq!(products.len(), 8);
        let product = &products[0];
        for field in [
            "id", "title", "subtitle", "description", "handle", "status", "thumbnail", "is_giftcard", "discountable",
            "weight", "length", "height", "width", "origin_country", "hs_code", "mid_code", "material",
            "collection_id", "type_id", "external_id", "created_at", "updated_at", "deleted_at", "variants",
            "options", "images",
        ] {
            assert!(product.get(field).is_some(), "StoreProduct.{field} is missing");
        }
        assert!(product["id"].as_str().unwrap().starts_with("prod_"));
        let variant = &product["variants"][0];
        for field in ["id", "title", "sku", "product_id", "created_at", "updated_at", "options", "weight", "length", "height", "width"] {
            assert!(variant.get(field).is_some(), "StoreProductVariant.{field} is missing");
        }
        assert_eq!(variant["product_id"], product["id"]);
    })
    .await;
}

#[tokio::test]
async fn paginates_and_searches() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (_, page) = get(&app, "/store/products?limit=3&offset=6", key).await;
        assert_eq!(page["count"], 8);
        assert_eq!(page["limit"], 3);
        assert_eq!(page["offset"], 6);
        assert_eq!(page["products"].as_array().unwrap().len(), 2);
        let (_, found) = get(&app, "/store/products?q=juice", key).await;
        assert_eq!(found["count"], 1);
        assert_eq!(found["products"][0]["handle"], "orange-juice");
    })
    .await;
}

#[tokio::test]
async fn retrieves_one_product_or_answers_404() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (_, list) = get(&app, "/store/products?limit=1", key).await;
        let id = list["products"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = get(&app, &format!("/store/products/{id}"), key).await;
        assert_eq!(status, 200);
        assert_eq!(body["product"]["id"], id.as_str());
        let (status, body) = get(&app, "/store/products/prod_missing", key).await;
        assert_eq!(status, 404);
        assert_eq!(body["type"], "not_found");
        assert!(body["message"].as_str().unwrap().contains("prod_missing"));
    })
    .await;
}

#[tokio::test]
async fn requires_a_valid_publishable_key() {
    on_every_db(async |app| {
        let (status, body) = get(&app, "/store/products", None).await;
        assert_eq!(status, 400);
        assert_eq!(body["type"], "not_allowed");
        assert!(body["message"].as_str().unwrap().contains("x-publishable-api-key"));
        let (status, body) = get(&app, "/store/products", Some("pk_not_a_key")).await;
        assert_eq!(status, 401);
        assert_eq!(body["type"], "unauthorized");
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_query_parameters_with_a_message() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        for (query, expected) in [("limit=abc", "limit"), ("offset=-1", "offset"), ("limit=0", "limit"), ("limit=1000", "limit")] {
            let (status, body) = get(&app, &format!("/store/products?{query}"), key).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(body["type"], "invalid_data", "{query}");
            assert!(body["message"].as_str().unwrap().contains(expected), "{query}: {body}");
        }
    })
    .await;
}
