//! The demo store a first start creates, so a newcomer sees a working shop.

use sea_orm::DatabaseConnection;

use crate::{
    DomainError, api_keys,
    catalog::{self, NewProduct, NewVariant},
    devices,
};

pub const DEMO_CURRENCY: &str = "eur";
/// Vending machines the demo store registers (more when more are simulated).
pub const DEMO_MACHINES: usize = 3;

/// Ids of the demo vending machines, in the order the simulator numbers them.
pub fn demo_device_id(n: usize) -> String {
    format!("vm-{n:03}")
}

const DEMO_PRODUCTS: &[(&str, &str, &str, i64, i32)] = &[
    ("Sparkling Water 0.5 l", "sparkling-water", "Cold mineral water with bubbles.", 150, 530),
    ("Orange Juice 0.33 l", "orange-juice", "Freshly squeezed, never from concentrate.", 290, 360),
    ("Cold Brew Coffee", "cold-brew-coffee", "Twelve hours of patience in a bottle.", 350, 280),
    ("Greek Yogurt with Honey", "greek-yogurt-honey", "Thick yogurt, a spoon of thyme honey.", 240, 180),
    ("Chicken Caesar Wrap", "chicken-caesar-wrap", "Grilled chicken, romaine, parmesan.", 590, 250),
    ("Vegan Buddha Bowl", "vegan-buddha-bowl", "Quinoa, chickpeas, roasted vegetables, tahini.", 790, 420),
    ("Dark Chocolate Bar", "dark-chocolate-bar", "70 % cocoa, 100 g.", 220, 105),
    ("Apple", "apple", "A crisp seasonal apple.", 80, 170),
];

/// Seeds the demo catalog, a publishable key and `machines` vending machines
/// when the store is empty. Returns whether anything was created.
pub async fn demo_store(db: &DatabaseConnection, machines: usize) -> Result<bool, DomainError> {
    if catalog::count_products(db).await? > 0 {
        return Ok(false);
    }
    for (title, handle, description, price, grams) in DEMO_PRODUCTS {
        catalog::create_product(
            db,
            NewProduct {
                title: (*title).to_owned(),
                handle: (*handle).to_owned(),
                description: Some((*description).to_owned()),
                thumbnail: None,
                published: true,
                variants: vec![NewVariant {
                    title: "Default".to_owned(),
                    sku: Some(handle.to_uppercase()),
                    weight_grams: Some(*grams),
                    prices: vec![(DEMO_CURRENCY.to_owned(), *price)],
                }],
            },
        )
        .await?;
    }
    if api_keys::first_publishable(db).await?.is_none() {
        api_keys::create_publishable(db, "Default storefront").await?;
    }
    for n in 1..=machines {
        let id = demo_device_id(n);
        devices::register(db, &id, &format!("Vending machine {n}")).await?;
    }
    Ok(true)
}
