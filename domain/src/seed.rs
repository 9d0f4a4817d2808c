//! The demo store a first start creates, so a newcomer sees a working shop.

use sea_orm::DatabaseConnection;

use crate::{
    DomainError, api_keys,
    catalog::{
        self, NewProduct, NewVariant,
        taxonomy::{self, NewCategory},
    },
    devices,
    pricing::{self, NewRegion},
};

pub const DEMO_CURRENCY: &str = "eur";
/// Vending machines the demo store registers (more when more are simulated).
pub const DEMO_MACHINES: usize = 3;

/// Ids of the demo vending machines, in the order the simulator numbers them.
pub fn demo_device_id(n: usize) -> String {
    format!("vm-{n:03}")
}

/// The demo region: euro prices that include 20 % tax.
pub const DEMO_REGION: &str = "Europe";
const DEMO_COUNTRIES: &[&str] = &["at", "de", "fr", "it", "nl"];
const DEMO_TAX_RATE_BASIS_POINTS: i32 = 2000;

/// (name, handle) in display order.
const DEMO_CATEGORIES: &[(&str, &str)] = &[("Drinks", "drinks"), ("Food", "food"), ("Snacks", "snacks")];
pub const DEMO_COLLECTION: (&str, &str) = ("Fridge favourites", "fridge-favourites");

struct DemoProduct {
    title: &'static str,
    handle: &'static str,
    description: &'static str,
    cents: i64,
    grams: i32,
    category: &'static str,
    in_collection: bool,
}

const fn demo(
    title: &'static str,
    handle: &'static str,
    description: &'static str,
    cents: i64,
    grams: i32,
    category: &'static str,
    in_collection: bool,
) -> DemoProduct {
    DemoProduct { title, handle, description, cents, grams, category, in_collection }
}

const DEMO_PRODUCTS: &[DemoProduct] = &[
    demo("Sparkling Water 0.5 l", "sparkling-water", "Cold mineral water with bubbles.", 150, 530, "drinks", true),
    demo("Orange Juice 0.33 l", "orange-juice", "Freshly squeezed, never from concentrate.", 290, 360, "drinks", false),
    demo("Cold Brew Coffee", "cold-brew-coffee", "Twelve hours of patience in a bottle.", 350, 280, "drinks", true),
    demo("Greek Yogurt with Honey", "greek-yogurt-honey", "Thick yogurt, a spoon of thyme honey.", 240, 180, "food", false),
    demo("Chicken Caesar Wrap", "chicken-caesar-wrap", "Grilled chicken, romaine, parmesan.", 590, 250, "food", true),
    demo("Vegan Buddha Bowl", "vegan-buddha-bowl", "Quinoa, chickpeas, roasted vegetables, tahini.", 790, 420, "food", false),
    demo("Dark Chocolate Bar", "dark-chocolate-bar", "70 % cocoa, 100 g.", 220, 105, "snacks", true),
    demo("Apple", "apple", "A crisp seasonal apple.", 80, 170, "snacks", false),
];

/// Seeds the demo catalog, a publishable key and `machines` vending machines
/// when the store is empty. Returns whether anything was created.
pub async fn demo_store(db: &DatabaseConnection, machines: usize) -> Result<bool, DomainError> {
    if catalog::count_products(db).await? > 0 {
        return Ok(false);
    }
    pricing::create_region(
        db,
        NewRegion {
            name: DEMO_REGION.to_owned(),
            currency_code: DEMO_CURRENCY.to_owned(),
            tax_rate_basis_points: DEMO_TAX_RATE_BASIS_POINTS,
            tax_inclusive: true,
            countries: DEMO_COUNTRIES.iter().map(|c| (*c).to_owned()).collect(),
        },
    )
    .await?;
    let mut category_ids = std::collections::HashMap::new();
    for (rank, (name, handle)) in DEMO_CATEGORIES.iter().enumerate() {
        let new = NewCategory {
            name: (*name).to_owned(),
            handle: (*handle).to_owned(),
            description: None,
            parent_category_id: None,
            rank: rank as i32,
            is_active: true,
            is_internal: false,
        };
        category_ids.insert(*handle, taxonomy::create_category(db, new).await?);
    }
    let collection_id = taxonomy::create_collection(db, DEMO_COLLECTION.0, DEMO_COLLECTION.1).await?;
    for p in DEMO_PRODUCTS {
        let product_id = catalog::create_product(
            db,
            NewProduct {
                title: p.title.to_owned(),
                handle: p.handle.to_owned(),
                description: Some(p.description.to_owned()),
                thumbnail: None,
                published: true,
                variants: vec![NewVariant {
                    title: "Default".to_owned(),
                    sku: Some(p.handle.to_uppercase()),
                    weight_grams: Some(p.grams),
                    prices: vec![(DEMO_CURRENCY.to_owned(), p.cents)],
                }],
            },
        )
        .await?;
        taxonomy::add_to_categories(db, &product_id, &[category_ids[p.category].as_str()]).await?;
        if p.in_collection {
            taxonomy::set_collection(db, &product_id, Some(&collection_id)).await?;
        }
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
