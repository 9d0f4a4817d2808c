//! The Medusa Store API checkout: carts, line items, promotions, shipping,
//! payment and completion, on both databases.

use domain::{carts::cart, channels, pricing, seed};
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::{
    TestApp,
    customers::{signed_up, store},
    on_every_db, send_json,
};

pub async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let request = store(app, method, path, None);
    send_json(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}

pub async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, path, Some(body)).await
}

pub async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    call(app, Method::GET, path, None).await
}

/// Asserts the status and returns the body.
pub fn expect(status: u16, (actual, body): (u16, Value)) -> Value {
    assert_eq!(actual, status, "{body}");
    body
}

pub async fn variant(app: &TestApp, handle: &str) -> String {
    let product = expect(200, get(app, &format!("/store/products/{handle}")).await);
    product["product"]["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn new_cart(app: &TestApp, body: Value) -> Value {
    expect(200, post(app, "/store/carts", body).await)["cart"].clone()
}

pub async fn add(app: &TestApp, cart_id: &str, handle: &str, quantity: i32) -> Value {
    let variant_id = variant(app, handle).await;
    let body = json!({ "variant_id": variant_id, "quantity": quantity });
    let path = format!("/store/carts/{cart_id}/line-items");
    expect(200, post(app, &path, body).await)["cart"].clone()
}

/// Chooses the shipping option named `name`.
pub async fn ship(app: &TestApp, cart_id: &str, name: &str) -> Value {
    let options = expect(
        200,
        get(app, &format!("/store/shipping-options?cart_id={cart_id}")).await,
    );
    let option = options["shipping_options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {options}"));
    let path = format!("/store/carts/{cart_id}/shipping-methods");
    expect(
        200,
        post(app, &path, json!({ "option_id": option["id"] })).await,
    )["cart"]
        .clone()
}

/// Sets up payment with the built-in provider; returns the collection.
pub async fn pay(app: &TestApp, cart_id: &str) -> Value {
    let collection = expect(
        200,
        post(
            app,
            "/store/payment-collections",
            json!({ "cart_id": cart_id }),
        )
        .await,
    )["payment_collection"]
        .clone();
    let path = format!(
        "/store/payment-collections/{}/payment-sessions",
        collection["id"].as_str().unwrap()
    );
    expect(
        200,
        post(app, &path, json!({ "provider_id": "pp_system_default" })).await,
    )["payment_collection"]
        .clone()
}

pub async fn complete(app: &TestApp, cart_id: &str) -> (u16, Value) {
    post(app, &format!("/store/carts/{cart_id}/complete"), json!({})).await
}

/// A cart with `lines`, an email and the free pickup, ready to pay.
pub async fn ready_cart(app: &TestApp, lines: &[(&str, i32)]) -> String {
    let cart = new_cart(app, json!({ "email": "shopper@example.com" })).await;
    let id = cart["id"].as_str().unwrap().to_owned();
    for &(handle, quantity) in lines {
        add(app, &id, handle, quantity).await;
    }
    ship(app, &id, "Pick up at Vending machine 1").await;
    id
}

#[tokio::test]
async fn the_medusa_checkout_flow_places_an_order() {
    on_every_db(async |app| {
        let cart = new_cart(&app, json!({})).await;
        let id = cart["id"].as_str().unwrap().to_owned();
        assert_eq!(cart["currency_code"], "eur");
        assert_eq!(cart["region"]["name"], seed::DEMO_REGION);
        assert!(
            cart["sales_channel_id"]
                .as_str()
                .unwrap()
                .starts_with("sc_")
        );
        assert_eq!(cart["total"], 0.0);

        add(&app, &id, "sparkling-water", 2).await;
        let cart = add(&app, &id, "apple", 1).await;
        assert_eq!(cart["items"].as_array().unwrap().len(), 2);
        assert_eq!(cart["item_total"], 3.8);

        let path = format!("/store/carts/{id}");
        let address = json!({ "first_name": "Ada", "address_1": "Ring 1", "city": "Vienna", "country_code": "at" });
        let update = json!({ "email": "Ada@Example.com", "shipping_address": address, "metadata": { "gift": true } });
        let cart = expect(200, post(&app, &path, update).await)["cart"].clone();
        assert_eq!(cart["email"], "ada@example.com");
        assert_eq!(cart["shipping_address"]["city"], "Vienna");
        assert_eq!(cart["metadata"]["gift"], true);

        let options = expect(
            200,
            get(&app, &format!("/store/shipping-options?cart_id={id}")).await,
        );
        let names: Vec<&str> = options["shipping_options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Pick up at Vending machine 1",
                "Pick up at Vending machine 2",
                "Pick up at Vending machine 3",
                "Standard delivery"
            ]
        );
        let cart = ship(&app, &id, seed::STANDARD_DELIVERY.0).await;
        assert_eq!(cart["shipping_total"], 4.9);
        assert_eq!(cart["total"], 8.7);
        assert_eq!(
            cart["shipping_methods"][0]["name"],
            seed::STANDARD_DELIVERY.0
        );

        let region_id = cart["region_id"].as_str().unwrap();
        let providers = expect(
            200,
            get(
                &app,
                &format!("/store/payment-providers?region_id={region_id}"),
            )
            .await,
        );
        assert_eq!(providers["payment_providers"][0]["id"], "pp_system_default");

        let collection = pay(&app, &id).await;
        assert_eq!(collection["amount"], 8.7);
        assert_eq!(collection["payment_sessions"].as_array().unwrap().len(), 1);

        let placed = expect(200, complete(&app, &id).await);
        assert_eq!(placed["type"], "order");
        let order = &placed["order"];
        assert_eq!(order["total"], 8.7);
        assert_eq!(order["items"].as_array().unwrap().len(), 2);
        assert_eq!(
            order["shipping_methods"][0]["name"],
            seed::STANDARD_DELIVERY.0
        );
        assert_eq!(order["region_id"], cart["region_id"]);
        assert_eq!(order["sales_channel_id"], cart["sales_channel_id"]);
        assert_eq!(order["email"], "ada@example.com");
        assert_eq!(order["shipping_address"]["address_1"], "Ring 1");

        let again = expect(200, complete(&app, &id).await);
        assert_eq!(
            again["order"]["id"], order["id"],
            "completing twice returns the same order"
        );
        let fetched = expect(
            200,
            get(
                &app,
                &format!("/store/orders/{}", order["id"].as_str().unwrap()),
            )
            .await,
        );
        assert_eq!(fetched["order"]["total"], 8.7);

        let apple = variant(&app, "apple").await;
        let closed = post(
            &app,
            &format!("/store/carts/{id}/line-items"),
            json!({ "variant_id": apple, "quantity": 1 }),
        )
        .await;
        assert_eq!(closed.0, 409, "{}", closed.1);
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_clear_errors() {
    on_every_db(async |app| {
        let cart = new_cart(&app, json!({})).await;
        let id = cart["id"].as_str().unwrap().to_owned();
        let water = variant(&app, "sparkling-water").await;
        let items = format!("/store/carts/{id}/line-items");

        expect(404, get(&app, "/store/carts/cart_nope").await);
        expect(
            404,
            post(
                &app,
                "/store/carts/cart_nope/line-items",
                json!({ "variant_id": water, "quantity": 1 }),
            )
            .await,
        );
        expect(
            404,
            post(
                &app,
                &items,
                json!({ "variant_id": "variant_nope", "quantity": 1 }),
            )
            .await,
        );
        for quantity in [
            json!(0),
            json!(-1),
            json!("two"),
            json!(1.5),
            json!(10_000_000_000_i64),
        ] {
            let refused = expect(
                400,
                post(
                    &app,
                    &items,
                    json!({ "variant_id": water, "quantity": quantity }),
                )
                .await,
            );
            assert_eq!(refused["type"], "invalid_data", "{quantity}: {refused}");
        }
        expect(
            400,
            post(&app, &items, json!({ "variant_id": water })).await,
        );
        expect(
            400,
            post(
                &app,
                &items,
                json!({ "variant_id": water, "quantity": 1, "colour": "red" }),
            )
            .await,
        );

        let cart = add(&app, &id, "sparkling-water", 1).await;
        let line = cart["items"][0]["id"].as_str().unwrap();
        expect(
            400,
            post(&app, &format!("{items}/{line}"), json!({ "quantity": 0 })).await,
        );
        expect(
            404,
            post(
                &app,
                &format!("{items}/cali_nope"),
                json!({ "quantity": 2 }),
            )
            .await,
        );
        let updated = expect(
            200,
            post(&app, &format!("{items}/{line}"), json!({ "quantity": 3 })).await,
        );
        assert_eq!(updated["cart"]["items"][0]["quantity"], 3);
        let deleted = expect(
            200,
            call(&app, Method::DELETE, &format!("{items}/{line}"), None).await,
        );
        assert_eq!(deleted["deleted"], true);
        assert_eq!(deleted["parent"]["items"].as_array().unwrap().len(), 0);

        let cart_path = format!("/store/carts/{id}");
        expect(
            400,
            post(&app, &cart_path, json!({ "email": "not an email" })).await,
        );
        expect(400, post(&app, &cart_path, json!({ "tip": -1 })).await);
        expect(400, post(&app, &cart_path, json!({ "tip": "lots" })).await);
        expect(
            404,
            post(&app, &cart_path, json!({ "region_id": "reg_nope" })).await,
        );
        expect(
            404,
            post(
                &app,
                &format!("/store/carts/{id}/shipping-methods"),
                json!({ "option_id": "so_nope" }),
            )
            .await,
        );
        expect(400, get(&app, "/store/shipping-options").await);
        expect(
            404,
            get(&app, "/store/shipping-options?cart_id=cart_nope").await,
        );
        expect(400, get(&app, "/store/payment-providers").await);
        expect(
            404,
            get(&app, "/store/payment-providers?region_id=reg_nope").await,
        );
        expect(
            404,
            post(
                &app,
                "/store/payment-collections",
                json!({ "cart_id": "cart_nope" }),
            )
            .await,
        );
        let collection = expect(
            200,
            post(&app, "/store/payment-collections", json!({ "cart_id": id })).await,
        );
        let sessions = format!(
            "/store/payment-collections/{}/payment-sessions",
            collection["payment_collection"]["id"].as_str().unwrap()
        );
        expect(
            404,
            post(&app, &sessions, json!({ "provider_id": "pp_nope" })).await,
        );
        expect(404, complete(&app, "cart_nope").await);
        let empty = expect(400, complete(&app, &id).await);
        assert!(
            empty["message"].as_str().unwrap().contains("empty"),
            "{empty}"
        );

        // A cart created with items and codes is created whole or not at all.
        let carts_before = cart::Entity::find().count(&app.db).await.unwrap();
        let lines = json!([{ "variant_id": water, "quantity": 1 }, { "variant_id": "variant_nope", "quantity": 1 }]);
        expect(404, post(&app, "/store/carts", json!({ "items": lines })).await);
        expect(400, post(&app, "/store/carts", json!({ "promo_codes": ["NOPE"] })).await);
        let carts_after = cart::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(carts_after, carts_before, "a refused cart is not created");
        let lines = json!([{ "variant_id": water, "quantity": 2 }]);
        let whole = new_cart(&app, json!({ "items": lines, "promo_codes": [seed::DEMO_PROMO_CODE] })).await;
        assert_eq!(whole["items"][0]["quantity"], 2);
        assert_eq!(whole["discount_total"], 0.3);
        // An update with a bad code changes nothing.
        let refused = json!({ "email": "changed@example.com", "promo_codes": ["NOPE"] });
        expect(400, post(&app, &cart_path, refused).await);
        assert!(expect(200, get(&app, &cart_path).await)["cart"]["email"].is_null());

        // A cart sells through one of the key's channels only.
        let machine = channels::list_sales_channels(&app.db)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.name != seed::ONLINE_STORE_CHANNEL)
            .unwrap();
        let foreign = expect(
            400,
            post(
                &app,
                "/store/carts",
                json!({ "sales_channel_id": machine.id }),
            )
            .await,
        );
        assert!(
            foreign["message"]
                .as_str()
                .unwrap()
                .contains("publishable key"),
            "{foreign}"
        );
        expect(
            400,
            post(&app, &cart_path, json!({ "sales_channel_id": machine.id })).await,
        );
        let without_key = app
            .client
            .post(app.url("/store/carts"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(without_key.status(), 400);
    })
    .await;
}

/// Sets the units of a demo product in the online store's warehouse.
pub async fn set_online_stock(app: &TestApp, handle: &str, units: i32) {
    let online = channels::find_sales_channels_named(&app.db, seed::ONLINE_STORE_CHANNEL)
        .await
        .unwrap()[0]
        .id
        .clone();
    let warehouse = channels::stock_location_ids(&app.db, &[online])
        .await
        .unwrap()[0]
        .clone();
    let item = domain::inventory::find_item_by_variant(&app.db, &variant(app, handle).await)
        .await
        .unwrap()
        .unwrap();
    domain::inventory::set_stocked(&app.db, &item.id, &warehouse, units)
        .await
        .unwrap();
}

#[tokio::test]
async fn more_than_the_stock_is_not_allowed_in_a_cart() {
    on_every_db(async |app| {
        let cart = new_cart(&app, json!({})).await;
        let id = cart["id"].as_str().unwrap().to_owned();
        let water = variant(&app, "sparkling-water").await;
        let path = format!("/store/carts/{id}/line-items");
        let stock = seed::WAREHOUSE_STOCK;
        let too_many = json!({ "variant_id": water, "quantity": stock + 1 });
        let refused = expect(400, post(&app, &path, too_many).await);
        assert_eq!(refused["type"], "not_allowed");
        assert_eq!(
            refused["message"],
            format!(
                "only {stock} of Sparkling Water 0.5 l in stock; your cart would hold {}",
                stock + 1
            )
        );
        let cart = add(&app, &id, "sparkling-water", stock).await;
        let line = cart["items"][0]["id"].as_str().unwrap();
        let raise = format!("/store/carts/{id}/line-items/{line}");
        let refused = expect(
            400,
            post(&app, &raise, json!({ "quantity": stock + 1 })).await,
        );
        assert_eq!(refused["type"], "not_allowed");
        let cart = expect(200, get(&app, &format!("/store/carts/{id}")).await);
        assert_eq!(cart["cart"]["items"][0]["quantity"], stock);
    })
    .await;
}

#[tokio::test]
async fn out_of_stock_refuses_completion_and_leaves_no_order() {
    on_every_db(async |app| {
        let stock = seed::WAREHOUSE_STOCK;
        let id = ready_cart(&app, &[("apple", 1), ("sparkling-water", stock)]).await;
        // One water is sold elsewhere after it went into the cart.
        set_online_stock(&app, "sparkling-water", stock - 1).await;
        pay(&app, &id).await;
        let refused = expect(400, complete(&app, &id).await);
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("out of stock"),
            "{refused}"
        );
        let cart = expect(200, get(&app, &format!("/store/carts/{id}")).await);
        assert!(cart["cart"]["completed_at"].is_null());

        // With fewer waters it goes through.
        let line = cart["cart"]["items"][1]["id"].as_str().unwrap();
        let path = format!("/store/carts/{id}/line-items/{line}");
        expect(
            200,
            post(&app, &path, json!({ "quantity": stock - 1 })).await,
        );
        pay(&app, &id).await;
        let placed = expect(200, complete(&app, &id).await);
        assert_eq!(placed["type"], "order");
    })
    .await;
}

#[tokio::test]
async fn promotions_take_their_share_before_tax() {
    on_every_db(async |app| {
        let id = ready_cart(&app, &[("sparkling-water", 4)]).await;
        let path = format!("/store/carts/{id}/promotions");
        let cart = expect(
            200,
            post(&app, &path, json!({ "promo_codes": ["welcome10"] })).await,
        )["cart"]
            .clone();
        assert_eq!(cart["promotions"][0]["code"], seed::DEMO_PROMO_CODE);
        assert_eq!(cart["promotions"][0]["application_method"]["value"], 10.0);
        assert_eq!(cart["discount_total"], 0.6);
        assert_eq!(cart["items"][0]["adjustments"][0]["amount"], 0.6);
        assert_eq!(cart["total"], 5.4);
        // 5.40 includes 20 % tax: 4.50 + 0.90.
        assert_eq!(cart["tax_total"], 0.9);
        assert_eq!(cart["original_total"], 6.0);

        let unknown = expect(
            400,
            post(&app, &path, json!({ "promo_codes": ["NOPE"] })).await,
        );
        assert!(
            unknown["message"].as_str().unwrap().contains("NOPE"),
            "{unknown}"
        );
        expect(
            400,
            post(&app, &path, json!({ "promo_codes": "WELCOME10" })).await,
        );

        pay(&app, &id).await;
        let order = expect(200, complete(&app, &id).await)["order"].clone();
        assert_eq!(order["discount_total"], 0.6);
        assert_eq!(order["total"], 5.4);
        assert_eq!(order["promo_codes"][0], seed::DEMO_PROMO_CODE);

        let other = ready_cart(&app, &[("sparkling-water", 4)]).await;
        let path = format!("/store/carts/{other}/promotions");
        expect(
            200,
            post(
                &app,
                &path,
                json!({ "promo_codes": [seed::DEMO_PROMO_CODE] }),
            )
            .await,
        );
        let removed = expect(
            200,
            call(
                &app,
                Method::DELETE,
                &path,
                Some(json!({ "promo_codes": [seed::DEMO_PROMO_CODE] })),
            )
            .await,
        );
        assert_eq!(removed["cart"]["total"], 6.0);
        assert!(removed["cart"]["promotions"].as_array().unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_addition_answers_the_cart_as_changed_elsewhere_meanwhile() {
    on_every_db(async |app| {
        let cart = new_cart(&app, json!({})).await;
        let id = cart["id"].as_str().unwrap();
        add(&app, id, "sparkling-water", 1).await;
        // Changed without the Store API (the storefront's pages and other
        // server instances write the same tables): the answer the API gave
        // last is stale now.
        domain::carts::apply_promotions(&app.db, id, &[seed::DEMO_PROMO_CODE.to_owned()])
            .await
            .unwrap();
        domain::carts::add_line_item(&app.db, id, &variant(&app, "apple").await, 2)
            .await
            .unwrap();

        let answer = add(&app, id, "sparkling-water", 1).await;
        let read = expect(200, get(&app, &format!("/store/carts/{id}")).await)["cart"].clone();
        assert_eq!(answer["promotions"][0]["code"], seed::DEMO_PROMO_CODE);
        assert_eq!(answer["items"].as_array().unwrap().len(), 2);
        assert_eq!(answer["items"], read["items"]);
        assert_eq!(answer["total"], read["total"]);
        assert_eq!(answer["discount_total"], read["discount_total"]);
        assert_eq!(answer["updated_at"], read["updated_at"]);
    })
    .await;
}

#[tokio::test]
async fn tax_inclusive_and_exclusive_regions_total_differently() {
    on_every_db(async |app| {
        let inclusive = ready_cart(&app, &[("sparkling-water", 2)]).await;
        let cart =
            expect(200, get(&app, &format!("/store/carts/{inclusive}")).await)["cart"].clone();
        assert_eq!(cart["items"][0]["is_tax_inclusive"], true);
        assert_eq!(cart["total"], 3.0);
        assert_eq!(cart["subtotal"], 2.5);
        assert_eq!(cart["tax_total"], 0.5);

        let nordics = pricing::create_region(
            &app.db,
            pricing::NewRegion {
                name: "Nordics".into(),
                currency_code: "eur".into(),
                tax_rate_basis_points: 2500,
                tax_inclusive: false,
                countries: vec!["se".into()],
            },
        )
        .await
        .unwrap();
        let cart = new_cart(&app, json!({ "region_id": nordics })).await;
        let id = cart["id"].as_str().unwrap();
        let cart = add(&app, id, "sparkling-water", 2).await;
        assert_eq!(cart["items"][0]["is_tax_inclusive"], false);
        assert_eq!(cart["items"][0]["tax_lines"][0]["rate"], 25.0);
        assert_eq!(cart["subtotal"], 3.0);
        assert_eq!(cart["tax_total"], 0.75);
        assert_eq!(cart["total"], 3.75);

        let tipped = expect(
            200,
            post(&app, &format!("/store/carts/{id}"), json!({ "tip": 1 })).await,
        )["cart"]
            .clone();
        assert_eq!(tipped["tip"], 1.0);
        assert_eq!(tipped["total"], 4.75, "the tip is not taxed");
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_customer_lists_their_orders() {
    on_every_db(async |app| {
        let token = signed_up(&app, "buyer@example.com").await;
        let created = store(&app, Method::POST, "/store/carts", Some(&token))
            .json(&json!({ "email": "buyer@example.com" }));
        let cart = expect(200, send_json(created).await)["cart"].clone();
        assert!(
            cart["customer_id"].as_str().unwrap().starts_with("cus_"),
            "{cart}"
        );
        let id = cart["id"].as_str().unwrap().to_owned();
        add(&app, &id, "apple", 2).await;
        ship(&app, &id, "Pick up at Vending machine 2").await;
        pay(&app, &id).await;
        let order = expect(200, complete(&app, &id).await)["order"].clone();
        // A guest's order is not theirs.
        let guest = ready_cart(&app, &[("apple", 1)]).await;
        pay(&app, &guest).await;
        expect(200, complete(&app, &guest).await);

        let mine = expect(
            200,
            send_json(store(
                &app,
                Method::GET,
                "/store/orders?limit=10",
                Some(&token),
            ))
            .await,
        );
        assert_eq!(mine["count"], 1);
        assert_eq!(mine["limit"], 10);
        assert_eq!(mine["orders"][0]["id"], order["id"]);
        assert_eq!(mine["orders"][0]["shipping_methods"][0]["amount"], 0.0);
        expect(401, get(&app, "/store/orders").await);
        expect(
            400,
            send_json(store(
                &app,
                Method::GET,
                "/store/orders?limit=x",
                Some(&token),
            ))
            .await,
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_completions_over_http_place_one_order() {
    on_every_db(async |app| {
        let id = ready_cart(&app, &[("apple", 2)]).await;
        pay(&app, &id).await;
        let racers = (0..8).map(|_| complete(&app, &id));
        let ids: std::collections::HashSet<String> = futures::future::join_all(racers)
            .await
            .into_iter()
            .map(|(status, body)| {
                assert_eq!(status, 200, "{body}");
                body["order"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1, "one order for one cart");
    })
    .await;
}
