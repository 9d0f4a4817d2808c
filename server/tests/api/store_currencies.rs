//! `/store/currencies` lists the currencies of the store's regions in
//! Medusa's `StoreCurrency` shape; `/store/carts/{id}/taxes` answers the cart.

use serde_json::json;

use crate::{customers::store, get_json as get, on_every_db, send_json};

#[tokio::test]
async fn lists_and_retrieves_the_currencies_of_the_regions() {
    on_every_db(async |app| {
        let key = Some(app.publishable_key.as_str());
        let (status, body) = get(&app, "/store/currencies", key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["count"], 1,
            "the demo store sells in euros only: {body}"
        );
        let eur = &body["currencies"][0];
        assert_eq!(eur["code"], "eur");
        assert_eq!(eur["name"], "Euro");
        assert_eq!(eur["symbol_native"], "€");
        assert_eq!(eur["decimal_digits"], 2);
        for field in [
            "symbol",
            "rounding",
            "created_at",
            "updated_at",
            "deleted_at",
        ] {
            assert!(eur.get(field).is_some(), "StoreCurrency.{field} is missing");
        }

        let (status, body) = get(&app, "/store/currencies/EUR", key).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["currency"], *eur);

        let (_, body) = get(&app, "/store/currencies?code=usd", key).await;
        assert_eq!(body["count"], 0);
        let (_, body) = get(&app, "/store/currencies?q=eur&limit=1", key).await;
        assert_eq!(body["count"], 1);

        let (status, body) = get(&app, "/store/currencies/xyz", key).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["type"], "not_found");
        let (status, body) = get(&app, "/store/currencies", None).await;
        assert_eq!(status, 400, "a publishable key is required: {body}");
    })
    .await;
}

#[tokio::test]
async fn calculating_taxes_answers_the_cart_with_its_taxes() {
    on_every_db(async |app| {
        let created = store(&app, reqwest::Method::POST, "/store/carts", None).json(&json!({}));
        let (status, body) = send_json(created).await;
        assert_eq!(status, 200, "{body}");
        let id = body["cart"]["id"].as_str().unwrap().to_owned();
        let taxes = store(
            &app,
            reqwest::Method::POST,
            &format!("/store/carts/{id}/taxes"),
            None,
        );
        let (status, taxed) = send_json(taxes).await;
        assert_eq!(status, 200, "{taxed}");
        assert_eq!(taxed["cart"]["id"], id);
        assert_eq!(taxed["cart"]["tax_total"], body["cart"]["tax_total"]);
        let missing = store(
            &app,
            reqwest::Method::POST,
            "/store/carts/cart_missing/taxes",
            None,
        );
        assert_eq!(send_json(missing).await.0, 404);
    })
    .await;
}
