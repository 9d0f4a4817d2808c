use serde_json::Value;

use crate::{TestApp, get_json as get, on_every_db};

/// The handles of a product list, sorted.
fn handles(body: &Value) -> Vec<String> {
    let mut handles: Vec<String> = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["handle"].as_str().unwrap().to_owned())
        .collect();
    handles.sort();
    handles
}

async fn id_of(app: &TestApp, list_path: &str, list_key: &str, handle: &str) -> String {
    let (status, body) = get(
        app,
        &format!("{list_path}?handle={handle}"),
        Some(&app.publishable_key),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body[list_key][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{handle} in {body}"))
        .to_owned()
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
            "id",
            "title",
            "subtitle",
            "description",
            "handle",
            "status",
            "thumbnail",
            "is_giftcard",
            "discountable",
            "weight",
            "length",
            "height",
            "width",
            "origin_country",
            "hs_code",
            "mid_code",
            "material",
            "collection_id",
            "collection",
            "categories",
            "tags",
            "type_id",
            "external_id",
            "created_at",
            "updated_at",
            "deleted_at",
            "variants",
            "options",
            "images",
        ] {
            assert!(
                product.get(field).is_some(),
                "StoreProduct.{field} is missing"
            );
        }
        assert!(product["id"].as_str().unwrap().starts_with("prod_"));
        let variant = &product["variants"][0];
        for field in [
            "id",
            "title",
            "sku",
            "product_id",
            "created_at",
            "updated_at",
            "options",
            "weight",
            "length",
            "height",
            "width",
        ] {
            assert!(
                variant.get(field).is_some(),
                "StoreProductVariant.{field} is missing"
            );
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
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("x-publishable-api-key")
        );
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
        for (query, expected) in [
            ("limit=abc", "limit"),
            ("offset=-1", "offset"),
            ("limit=0", "limit"),
        ] {
            let (status, body) = get(&app, &format!("/store/products?{query}"), key).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(body["type"], "invalid_data", "{query}");
            assert!(
                body["message"].as_str().unwrap().contains(expected),
                "{query}: {body}"
            );
        }
        // Too large a page is not refused: it is cut to the largest (list_limits).
        let (status, body) = get(&app, "/store/products?limit=1000", key).await;
        assert_eq!((status, &body["limit"]), (200, &serde_json::json!(100)));
    })
    .await;
}

#[tokio::test]
async fn products_show_their_collection_categories_and_tags() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let apple_id = id_of(&app, "/store/products", "products", "apple").await;
        domain::catalog::taxonomy::tag_product(&app.db, &apple_id, "vegan")
            .await
            .unwrap();
        let (_, body) = get(&app, "/store/products/apple", key).await;
        let apple = &body["product"];
        assert_eq!(apple["collection_id"], Value::Null);
        assert_eq!(apple["collection"], Value::Null);
        assert_eq!(apple["categories"][0]["handle"], "snacks");
        assert_eq!(apple["categories"][0]["name"], "Snacks");
        assert_eq!(apple["tags"][0]["value"], "vegan");
        assert!(
            apple["tags"][0]["id"]
                .as_str()
                .unwrap()
                .starts_with("ptag_")
        );
        let (_, body) = get(&app, "/store/products/sparkling-water", key).await;
        let water = &body["product"];
        assert_eq!(water["collection"]["title"], "Fridge favourites");
        assert_eq!(water["collection"]["id"], water["collection_id"]);
        assert_eq!(water["tags"], serde_json::json!([]));
        assert!(
            water["variants"][0].get("calculated_price").is_none(),
            "no prices without a region or currency"
        );
    })
    .await;
}

#[tokio::test]
async fn filters_by_category_collection_id_and_handle() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let drinks = id_of(
            &app,
            "/store/product-categories",
            "product_categories",
            "drinks",
        )
        .await;
        let snacks = id_of(
            &app,
            "/store/product-categories",
            "product_categories",
            "snacks",
        )
        .await;
        let favourites = id_of(
            &app,
            "/store/collections",
            "collections",
            "fridge-favourites",
        )
        .await;

        let (status, body) = get(&app, &format!("/store/products?category_id={drinks}"), key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            handles(&body),
            ["cold-brew-coffee", "orange-juice", "sparkling-water"]
        );
        assert_eq!(body["count"], 3);
        let (_, body) = get(
            &app,
            &format!("/store/products?category_id[]={drinks}&category_id[]={snacks}&limit=2"),
            key,
        )
        .await;
        assert_eq!(body["count"], 5);
        assert_eq!(body["products"].as_array().unwrap().len(), 2);
        let (_, body) = get(
            &app,
            &format!("/store/products?collection_id={favourites}"),
            key,
        )
        .await;
        assert_eq!(
            handles(&body),
            [
                "chicken-caesar-wrap",
                "cold-brew-coffee",
                "dark-chocolate-bar",
                "sparkling-water"
            ]
        );
        let (_, body) = get(
            &app,
            &format!("/store/products?collection_id[]={favourites}&category_id={drinks}"),
            key,
        )
        .await;
        assert_eq!(
            handles(&body),
            ["cold-brew-coffee", "sparkling-water"],
            "filters combine"
        );
        let (_, body) = get(&app, "/store/products?handle=apple", key).await;
        assert_eq!(handles(&body), ["apple"]);
        let apple = body["products"][0]["id"].as_str().unwrap().to_owned();
        let water = id_of(&app, "/store/products", "products", "sparkling-water").await;
        let (_, body) = get(
            &app,
            &format!("/store/products?id[]={apple}&id[]={water}"),
            key,
        )
        .await;
        assert_eq!(handles(&body), ["apple", "sparkling-water"]);
        let (_, body) = get(&app, "/store/products?category_id=pcat_missing", key).await;
        assert_eq!(body["count"], 0);
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_filter_values() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        for (query, expected) in [
            ("category_id=", "category_id"),
            ("collection_id[]=", "collection_id"),
            ("handle=apple&handle=orange-juice", "handle"),
            ("currency_code=euro", "currency code"),
            ("region_id=a&region_id=b", "region_id"),
        ] {
            let (status, body) = get(&app, &format!("/store/products?{query}"), key).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert_eq!(body["type"], "invalid_data", "{query}");
            assert!(
                body["message"].as_str().unwrap().contains(expected),
                "{query}: {body}"
            );
        }
        let (status, body) = get(&app, "/store/products?region_id=reg_missing", key).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["type"], "not_found");
        assert!(body["message"].as_str().unwrap().contains("reg_missing"));
    })
    .await;
}

#[tokio::test]
async fn calculates_prices_for_a_region_in_major_units() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (_, regions) = get(&app, "/store/regions", key).await;
        let region = regions["regions"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = get(
            &app,
            &format!("/store/products?handle=sparkling-water&region_id={region}"),
            key,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let price = &body["products"][0]["variants"][0]["calculated_price"];
        assert!(
            price["id"].as_str().unwrap().starts_with("price_"),
            "{price}"
        );
        assert_eq!(price["currency_code"], "eur");
        assert_eq!(price["calculated_amount"], 1.5);
        assert_eq!(price["original_amount"], 1.5);
        assert_eq!(price["is_calculated_price_tax_inclusive"], true);
        assert_eq!(price["calculated_amount_with_tax"], 1.5);
        assert_eq!(
            price["calculated_amount_without_tax"], 1.25,
            "1.50 includes 20 % tax"
        );

        let (status, body) = get(
            &app,
            &format!("/store/products/vegan-buddha-bowl?region_id={region}"),
            key,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["product"]["variants"][0]["calculated_price"]["calculated_amount"],
            7.9
        );

        let (_, body) = get(&app, "/store/products?handle=apple&currency_code=EUR", key).await;
        let price = &body["products"][0]["variants"][0]["calculated_price"];
        assert_eq!(price["calculated_amount"], 0.8);
        assert_eq!(price["is_calculated_price_tax_inclusive"], false);
        let (_, body) = get(&app, "/store/products?handle=apple&currency_code=usd", key).await;
        assert_eq!(
            body["products"][0]["variants"][0]["calculated_price"],
            Value::Null,
            "no price in usd: {body}"
        );
    })
    .await;
}
