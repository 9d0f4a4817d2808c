use domain::{
    DomainError,
    carts::{
        self,
        totals::{DiscountTarget, DiscountValue},
    },
    catalog, channels, inventory, pricing, promotions, seed, shipping,
};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{on_every_backend, seeded};

pub async fn variant_of(db: &domain::db::DatabaseConnection, handle: &str) -> (String, i64) {
    let product = catalog::find_published(db, handle).await.unwrap();
    let variant = &product.variants[0];
    (variant.variant.id.clone(), variant.price_in("eur").unwrap())
}

#[tokio::test]
async fn adding_the_same_variant_raises_its_quantity() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("EUR"))
            .await
            .unwrap()
            .cart;
        assert_eq!(cart.currency_code, "eur");
        let (water, water_price) = variant_of(&db, "sparkling-water").await;
        let (apple, apple_price) = variant_of(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap();
        carts::add_line_item(&db, &cart.id, &water, 2)
            .await
            .unwrap();
        let detail = carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap();
        assert_eq!(detail.items.len(), 2);
        assert_eq!(detail.item_count(), 4);
        assert_eq!(detail.totals.item_total, 3 * water_price + apple_price);
    })
    .await;
}

#[tokio::test]
async fn concurrent_additions_to_one_cart_lose_no_unit() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("EUR"))
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let (apple, _) = variant_of(&db, "apple").await;
        let additions: Vec<_> = (0..12)
            .map(|n| {
                let (db, cart_id) = (db.clone(), cart.id.clone());
                let variant = if n % 3 == 0 {
                    apple.clone()
                } else {
                    water.clone()
                };
                tokio::spawn(async move { carts::add_line_item(&db, &cart_id, &variant, 1).await })
            })
            .collect();
        for addition in additions {
            let answer = addition.await.unwrap().unwrap();
            assert!(answer.item_count() >= 1, "an answer shows its own unit");
        }
        let detail = carts::get_cart(&db, &cart.id).await.unwrap();
        let units = |variant: &str| {
            detail
                .items
                .iter()
                .find(|line| line.variant_id == variant)
                .map(|line| line.quantity)
        };
        assert_eq!(units(&apple), Some(4));
        assert_eq!(units(&water), Some(8));
    })
    .await;
}

#[tokio::test]
async fn the_answer_to_an_addition_is_the_cart_as_read_afterwards() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("EUR"))
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        carts::apply_promotions(&db, &cart.id, &[seed::DEMO_PROMO_CODE.to_owned()])
            .await
            .unwrap();
        for quantity in [2, 1] {
            let answer = carts::add_line_item(&db, &cart.id, &water, quantity)
                .await
                .unwrap();
            let read = carts::get_cart(&db, &cart.id).await.unwrap();
            assert_eq!(answer.cart, read.cart);
            assert_eq!(answer.items, read.items);
            assert_eq!(answer.totals, read.totals);
            assert_eq!(answer.promotions.len(), 1);
        }
    })
    .await;
}

#[tokio::test]
async fn an_addition_to_a_cart_that_moved_channel_since_it_was_seen_is_refused() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let seen = carts::create_cart(&db, carts::NewCart::in_currency("EUR"))
            .await
            .unwrap();
        let kiosk = channels::create_sales_channel(&db, "Kiosk", None)
            .await
            .unwrap();
        carts::update_cart(
            &db,
            &seen.cart.id,
            carts::CartUpdate {
                sales_channel_id: Some(kiosk.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let err = carts::add_line_item_to(&db, seen, &water, 1)
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn concurrent_shipping_choices_leave_one_shipping_method() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::default())
            .await
            .unwrap()
            .cart;
        let options = shipping::options_in_region(&db, cart.region_id.as_deref())
            .await
            .unwrap();
        let choices: Vec<_> = (0..8)
            .map(|n| {
                let (db, cart_id) = (db.clone(), cart.id.clone());
                let option = options[n % options.len()].id.clone();
                tokio::spawn(
                    async move { carts::add_shipping_method(&db, &cart_id, &option).await },
                )
            })
            .collect();
        for choice in choices {
            choice.await.unwrap().unwrap();
        }
        let methods = carts::shipping_method::Entity::find()
            .filter(carts::shipping_method::Column::CartId.eq(cart.id.as_str()))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(methods, 1);
    })
    .await;
}

#[tokio::test]
async fn rejects_bad_quantities_and_unknown_things() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        // Unmanaged stock, so only the line limit counts here.
        let item = inventory::find_item_by_variant(&db, &water)
            .await
            .unwrap()
            .unwrap();
        inventory::delete_item(&db, &item.id).await.unwrap();
        for quantity in [0, -1, 1000] {
            let result = carts::add_line_item(&db, &cart.id, &water, quantity).await;
            assert!(
                matches!(result, Err(DomainError::Invalid(_))),
                "quantity {quantity}"
            );
        }
        carts::add_line_item(&db, &cart.id, &water, 999)
            .await
            .unwrap();
        assert!(matches!(
            carts::add_line_item(&db, &cart.id, &water, 1).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            carts::add_line_item(&db, &cart.id, "variant_nope", 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            carts::add_line_item(&db, "cart_nope", &water, 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert_eq!(
            carts::get_cart(&db, &cart.id).await.unwrap().item_count(),
            999,
            "failed adds change nothing"
        );
    })
    .await;
}

#[tokio::test]
async fn more_units_than_in_stock_are_not_allowed() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let stock = seed::WAREHOUSE_STOCK;
        let too_many = carts::add_line_item(&db, &cart.id, &water, stock + 1)
            .await
            .unwrap_err();
        assert!(
            matches!(&too_many, DomainError::NotAllowed(m)
                if m == &format!("only {stock} of Sparkling Water 0.5 l in stock; your cart would hold {}", stock + 1)),
            "{too_many}"
        );
        let detail = carts::add_line_item(&db, &cart.id, &water, stock - 1)
            .await
            .unwrap();
        // A second add counts what the line already holds.
        assert!(matches!(
            carts::add_line_item(&db, &cart.id, &water, 2).await,
            Err(DomainError::NotAllowed(_))
        ));
        let line = detail.items[0].id.clone();
        assert!(matches!(
            carts::update_line_item(&db, &cart.id, &line, stock + 1).await,
            Err(DomainError::NotAllowed(_))
        ));
        carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap();
        assert_eq!(
            carts::get_cart(&db, &cart.id).await.unwrap().item_count(),
            i64::from(stock)
        );

        // Stock that went since may still be given back: lowering is always allowed.
        let item = inventory::find_item_by_variant(&db, &water)
            .await
            .unwrap()
            .unwrap();
        let warehouse = channels::stock_location_ids(&db, &[cart.sales_channel_id.clone().unwrap()])
            .await
            .unwrap()[0]
            .clone();
        inventory::set_stocked(&db, &item.id, &warehouse, 0)
            .await
            .unwrap();
        carts::update_line_item(&db, &cart.id, &line, 2)
            .await
            .unwrap();
        let (apple, _) = variant_of(&db, "apple").await;
        let apple_item = inventory::find_item_by_variant(&db, &apple)
            .await
            .unwrap()
            .unwrap();
        inventory::set_stocked(&db, &apple_item.id, &warehouse, 0)
            .await
            .unwrap();
        let gone = carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap_err();
        assert_eq!(gone.to_string(), "Apple is out of stock");
    })
    .await;
}

#[tokio::test]
async fn a_cart_in_another_currency_cannot_take_an_unpriced_variant() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("usd"))
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let err = carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no price in usd"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn lines_change_quantity_and_leave_at_zero() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let (water, price) = variant_of(&db, "sparkling-water").await;
        let (apple, _) = variant_of(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &apple, 1)
            .await
            .unwrap();
        let detail = carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap();
        let line = detail
            .items
            .iter()
            .find(|l| l.variant_id == water)
            .unwrap()
            .id
            .clone();
        let detail = carts::update_line_item(&db, &cart.id, &line, 4)
            .await
            .unwrap();
        assert_eq!(
            detail.items.iter().find(|l| l.id == line).unwrap().quantity,
            4
        );
        assert_eq!(detail.totals.item_total, 4 * price + 80);
        let detail = carts::update_line_item(&db, &cart.id, &line, 0)
            .await
            .unwrap();
        assert_eq!(detail.items.len(), 1, "quantity 0 removes the line");
        assert!(matches!(
            carts::update_line_item(&db, &cart.id, &line, 1).await,
            Err(DomainError::NotFound { .. })
        ));
        assert!(matches!(
            carts::update_line_item(&db, &cart.id, &detail.items[0].id, -1).await,
            Err(DomainError::Invalid(_))
        ));
        let other = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart;
        let foreign = carts::update_line_item(&db, &other.id, &detail.items[0].id, 2).await;
        assert!(
            matches!(foreign, Err(DomainError::NotFound { .. })),
            "a line of another cart is not found"
        );
    })
    .await;
}

#[tokio::test]
async fn a_new_cart_takes_the_store_region_and_first_channel() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let detail = carts::create_cart(&db, carts::NewCart::default())
            .await
            .unwrap();
        let region = detail.region.expect("the demo region").region;
        assert_eq!(region.name, seed::DEMO_REGION);
        assert_eq!(detail.cart.currency_code, "eur");
        let online = channels::list_sales_channels(&db).await.unwrap()[0].clone();
        assert_eq!(online.name, seed::ONLINE_STORE_CHANNEL);
        assert_eq!(
            detail.cart.sales_channel_id.as_deref(),
            Some(online.id.as_str())
        );
        assert!(detail.totals.tax_inclusive);

        let wrong_currency = carts::create_cart(
            &db,
            carts::NewCart {
                region_id: Some(region.id.clone()),
                currency_code: Some("usd".into()),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(wrong_currency, Err(DomainError::Invalid(_))));
        let unknown_region = carts::create_cart(
            &db,
            carts::NewCart {
                region_id: Some("reg_nope".into()),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(unknown_region, Err(DomainError::NotFound { .. })));
    })
    .await;
}

#[tokio::test]
async fn a_cart_keeps_addresses_metadata_and_a_tip() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::default())
            .await
            .unwrap()
            .cart;
        let (apple, _) = variant_of(&db, "apple").await;
        carts::add_line_item(&db, &cart.id, &apple, 2)
            .await
            .unwrap();
        let address = carts::Address {
            first_name: Some("Ada".into()),
            city: Some("Vienna".into()),
            country_code: Some("at".into()),
            ..Default::default()
        };
        let mut metadata = serde_json::Map::new();
        metadata.insert("note".into(), "ring twice".into());
        let detail = carts::update_cart(
            &db,
            &cart.id,
            carts::CartUpdate {
                shipping_address: Some(address.clone()),
                metadata: Some(metadata),
                tip: Some(50),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(detail.shipping_address(), Some(address));
        assert_eq!(detail.metadata().unwrap()["note"], "ring twice");
        assert_eq!(detail.totals.tip, 50);
        assert_eq!(detail.totals.total, 160 + 50);
        let negative = carts::update_cart(
            &db,
            &cart.id,
            carts::CartUpdate {
                tip: Some(-1),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(negative, Err(DomainError::Invalid(_))));
    })
    .await;
}

#[tokio::test]
async fn shipping_options_of_the_region_become_the_cart_shipping_method() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::default())
            .await
            .unwrap()
            .cart;
        let options = shipping::options_in_region(&db, cart.region_id.as_deref())
            .await
            .unwrap();
        let names: Vec<&str> = options.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Pick up at Vending machine 1",
                "Pick up at Vending machine 2",
                seed::STANDARD_DELIVERY.0
            ],
            "free pickups first"
        );
        assert!(options[0].stock_location_id.is_some());
        let (water, _) = variant_of(&db, "sparkling-water").await;
        carts::add_line_item(&db, &cart.id, &water, 2)
            .await
            .unwrap();
        let delivery = &options[2];
        let detail = carts::add_shipping_method(&db, &cart.id, &delivery.id)
            .await
            .unwrap();
        assert_eq!(detail.totals.shipping.total, seed::STANDARD_DELIVERY.1);
        assert_eq!(detail.totals.total, 300 + seed::STANDARD_DELIVERY.1);
        let detail = carts::add_shipping_method(&db, &cart.id, &options[0].id)
            .await
            .unwrap();
        assert_eq!(
            detail.shipping_method.unwrap().shipping_option_id,
            options[0].id
        );
        assert_eq!(
            detail.totals.total, 300,
            "choosing again replaces the method"
        );

        let elsewhere = pricing::create_region(
            &db,
            pricing::NewRegion {
                name: "Switzerland".into(),
                currency_code: "chf".into(),
                tax_rate_basis_points: 810,
                tax_inclusive: false,
                countries: vec!["ch".into()],
            },
        )
        .await
        .unwrap();
        let swiss = shipping::create_option(
            &db,
            shipping::NewShippingOption {
                name: "Post".into(),
                region_id: elsewhere,
                amount: 900,
                stock_location_id: None,
                shipping_profile_id: None,
                enabled_in_store: true,
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            carts::add_shipping_method(&db, &cart.id, &swiss.id).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            carts::add_shipping_method(&db, &cart.id, "so_nope").await,
            Err(DomainError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn promotion_codes_apply_and_come_off() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let cart = carts::create_cart(&db, carts::NewCart::default())
            .await
            .unwrap()
            .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        carts::add_line_item(&db, &cart.id, &water, 4)
            .await
            .unwrap();
        let detail = carts::apply_promotions(&db, &cart.id, &[" welcome10 ".to_owned()])
            .await
            .unwrap();
        assert_eq!(detail.promotions.len(), 1);
        assert_eq!(detail.totals.discount_total, 60, "10 % of 600");
        assert_eq!(detail.totals.total, 540);
        assert_eq!(
            detail.totals.items[0].adjustments[0].code,
            seed::DEMO_PROMO_CODE
        );
        let again = carts::apply_promotions(&db, &cart.id, &[seed::DEMO_PROMO_CODE.to_owned()])
            .await
            .unwrap();
        assert_eq!(again.promotions.len(), 1, "a code applies once");
        let unknown = carts::apply_promotions(
            &db,
            &cart.id,
            &[seed::DEMO_PROMO_CODE.into(), "NOPE".into()],
        )
        .await;
        assert!(matches!(unknown, Err(DomainError::Invalid(_))));
        let removed = carts::remove_promotions(&db, &cart.id, &[seed::DEMO_PROMO_CODE.to_owned()])
            .await
            .unwrap();
        assert!(removed.promotions.is_empty());
        assert_eq!(removed.totals.total, 600);

        promotions::create_promotion(
            &db,
            promotions::NewPromotion {
                code: "PAUSED".into(),
                value: DiscountValue::Percentage(5000),
                target: DiscountTarget::Order,
                status: promotions::promotion::Status::Inactive,
                is_automatic: false,
                currency_code: None,
                usage_limit: None,
                campaign_id: None,
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            carts::apply_promotions(&db, &cart.id, &["paused".into()]).await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_cart_takes_only_what_its_sales_channel_sells() {
    on_every_backend(async |db| {
        seeded(&db).await;
        let kiosk = channels::create_sales_channel(&db, "Empty kiosk", None)
            .await
            .unwrap();
        let cart = carts::create_cart(
            &db,
            carts::NewCart {
                sales_channel_id: Some(kiosk.id),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .cart;
        let (water, _) = variant_of(&db, "sparkling-water").await;
        let err = carts::add_line_item(&db, &cart.id, &water, 1)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("not sold in the cart's sales channel"),
            "{err}"
        );
    })
    .await;
}

#[test]
fn a_delivery_address_names_each_missing_or_wrong_field() {
    let countries = ["at".to_owned(), "de".to_owned()];
    let fields = |address: &carts::Address| {
        address
            .delivery_problems(&countries)
            .into_iter()
            .map(|p| (p.field, p.message))
            .collect::<Vec<_>>()
    };
    let empty = carts::Address {
        first_name: Some("  ".into()),
        ..Default::default()
    };
    assert_eq!(
        fields(&empty),
        [
            ("first_name", "Enter a first name".to_owned()),
            ("last_name", "Enter a last name".to_owned()),
            ("address_1", "Enter the street and house number".to_owned()),
            ("city", "Enter a city".to_owned()),
            ("postal_code", "Enter a postal code".to_owned()),
            ("country_code", "Choose a country".to_owned()),
        ]
    );
    let mut address = carts::Address {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        address_1: Some("Ring 1".into()),
        city: Some("Vienna".into()),
        postal_code: Some("1010".into()),
        country_code: Some("AT".into()),
        ..Default::default()
    };
    assert_eq!(fields(&address), []);
    address.postal_code = Some("10<10>".into());
    address.country_code = Some("us".into());
    assert_eq!(
        fields(&address),
        [
            ("postal_code", "10<10> is not a postal code".to_owned()),
            ("country_code", "We do not deliver to US".to_owned()),
        ]
    );
}
