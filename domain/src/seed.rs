//! The demo store a first start creates, so a newcomer sees a working shop.

use sea_orm::DatabaseConnection;

use crate::{
    DomainError, api_keys,
    carts::totals::{DiscountTarget, DiscountValue},
    catalog::{
        self, NewProduct, NewVariant,
        taxonomy::{self, NewCategory},
    },
    channels::{self, NewStockLocation},
    inventory,
    pricing::{self, NewRegion},
    promotions::{self, NewPromotion},
    shipping::{self, NewShippingOption},
    vending::{
        fleet::{self, LocationChoice, NewLocker, NewMachine, NewScale},
        scales::{self, Deposit, NewAssignment},
    },
};

pub const DEMO_CURRENCY: &str = "eur";
/// Vending machines the demo store registers (more when more are simulated).
pub const DEMO_MACHINES: usize = 3;
pub const ONLINE_STORE_CHANNEL: &str = "Online store";
/// Units of each demo product in the warehouse that supplies the online store.
pub const WAREHOUSE_STOCK: i32 = 50;
/// What a demo machine's scale reads either way of the truth, in grams.
const DEMO_SCALE_NOISE_GRAMS: i32 = 3;
/// The demo product sold in a returnable bottle (its handle), and the
/// bottle's deposit and empty weight.
const DEMO_RETURNABLE: (&str, Deposit) = (
    "sparkling-water",
    Deposit {
        amount: 25,
        container_weight_grams: 40,
    },
);

/// Ids of the demo vending machines, in the order the simulator numbers them.
pub fn demo_device_id(n: usize) -> String {
    format!("vm-{n:03}")
}

/// The demo region: euro prices that include 20 % tax.
pub const DEMO_REGION: &str = "Europe";
const DEMO_COUNTRIES: &[&str] = &["at", "de", "fr", "it", "nl"];
const DEMO_TAX_RATE_BASIS_POINTS: i32 = 2000;
/// Home delivery in the demo region, tax included like its prices.
pub const STANDARD_DELIVERY: (&str, i64) = ("Standard delivery", 490);
/// Pickup options are named "Pick up at <machine's stock location>" and cost nothing.
pub use crate::vending::fleet::PICKUP_PREFIX;
/// 10 % off the items of an order.
/// The reasons a shopper of the demo store can give for a return.
pub const DEMO_RETURN_REASONS: &[(&str, &str)] = &[
    ("damaged", "Arrived damaged"),
    ("expired", "Past its best-before date"),
    ("wrong_item", "Not what I ordered"),
];
pub const DEMO_PROMO_CODE: &str = "WELCOME10";
const DEMO_PROMO_BASIS_POINTS: i64 = 1000;

/// (name, handle) in display order.
const DEMO_CATEGORIES: &[(&str, &str)] =
    &[("Drinks", "drinks"), ("Food", "food"), ("Snacks", "snacks")];
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
    DemoProduct {
        title,
        handle,
        description,
        cents,
        grams,
        category,
        in_collection,
    }
}

const DEMO_PRODUCTS: &[DemoProduct] = &[
    demo(
        "Sparkling Water 0.5 l",
        "sparkling-water",
        "Cold mineral water with bubbles.",
        150,
        530,
        "drinks",
        true,
    ),
    demo(
        "Orange Juice 0.33 l",
        "orange-juice",
        "Freshly squeezed, never from concentrate.",
        290,
        360,
        "drinks",
        false,
    ),
    demo(
        "Cold Brew Coffee",
        "cold-brew-coffee",
        "Twelve hours of patience in a bottle.",
        350,
        280,
        "drinks",
        true,
    ),
    demo(
        "Greek Yogurt with Honey",
        "greek-yogurt-honey",
        "Thick yogurt, a spoon of thyme honey.",
        240,
        180,
        "food",
        false,
    ),
    demo(
        "Chicken Caesar Wrap",
        "chicken-caesar-wrap",
        "Grilled chicken, romaine, parmesan.",
        590,
        250,
        "food",
        true,
    ),
    demo(
        "Vegan Buddha Bowl",
        "vegan-buddha-bowl",
        "Quinoa, chickpeas, roasted vegetables, tahini.",
        790,
        420,
        "food",
        false,
    ),
    demo(
        "Dark Chocolate Bar",
        "dark-chocolate-bar",
        "70 % cocoa, 100 g.",
        220,
        105,
        "snacks",
        true,
    ),
    demo(
        "Apple",
        "apple",
        "A crisp seasonal apple.",
        80,
        170,
        "snacks",
        false,
    ),
];

/// Seeds the demo catalog, a publishable key, `machines` vending machines,
/// shipping options (standard delivery, pickup at each machine) and the
/// WELCOME10 promotion when the store is empty. Returns whether anything was created.
///
/// The online store sells from a warehouse; each machine has its own channel
/// and sells from its own stock location. Every product is published to every
/// channel; the publishable key sees the online store.
pub async fn demo_store(db: &DatabaseConnection, machines: usize) -> Result<bool, DomainError> {
    if catalog::count_products(db).await? > 0 {
        return Ok(false);
    }
    let region_id = pricing::create_region(
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
    let collection_id =
        taxonomy::create_collection(db, DEMO_COLLECTION.0, DEMO_COLLECTION.1).await?;
    let online =
        channels::create_sales_channel(db, ONLINE_STORE_CHANNEL, Some("The web shop")).await?;
    let warehouse = channel_location(db, &online.id, "Warehouse").await?;
    let mut machine_outlets = Vec::with_capacity(machines);
    for n in 1..=machines {
        // One door, each product alone on its own scale, numbered from 1.
        let scales = (1..=DEMO_PRODUCTS.len() as i32)
            .map(|position| NewScale {
                position,
                noise_grams: DEMO_SCALE_NOISE_GRAMS,
            })
            .collect();
        let added = fleet::add_machine(
            db,
            NewMachine {
                id: demo_device_id(n),
                name: format!("Vending machine {n}"),
                address: None,
                position: None,
                hub: None,
                lockers: vec![NewLocker {
                    label: "A".to_owned(),
                    scales,
                }],
                location: LocationChoice::New { name: None },
                region_id: Some(region_id.clone()),
                issue_credentials: false,
            },
        )
        .await?;
        let scale_ids: Vec<String> = added.scales().map(|s| s.id.clone()).collect();
        machine_outlets.push((
            added.placement.sales_channel.id,
            added.placement.stock_location.id,
            scale_ids,
        ));
    }
    shipping::create_option(
        db,
        NewShippingOption {
            name: STANDARD_DELIVERY.0.to_owned(),
            region_id: region_id.clone(),
            amount: STANDARD_DELIVERY.1,
            stock_location_id: None,
            shipping_profile_id: None,
            enabled_in_store: true,
        },
    )
    .await?;
    for (value, label) in DEMO_RETURN_REASONS {
        let fields = crate::returns::ReturnReasonFields {
            value: Some((*value).to_owned()),
            label: Some((*label).to_owned()),
            description: None,
        };
        crate::returns::create_return_reason(db, fields).await?;
    }
    promotions::create_promotion(
        db,
        NewPromotion {
            code: DEMO_PROMO_CODE.to_owned(),
            value: DiscountValue::Percentage(DEMO_PROMO_BASIS_POINTS),
            target: DiscountTarget::Order,
            status: promotions::promotion::Status::Active,
            is_automatic: false,
            currency_code: None,
            usage_limit: None,
            campaign_id: None,
        },
    )
    .await?;
    for (index, p) in DEMO_PRODUCTS.iter().enumerate() {
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
        let variant = &catalog::find_published(db, &product_id).await?.variants[0].variant;
        let item = inventory::create_item(db, &variant.id).await?;
        channels::publish_product(db, &product_id, &online.id).await?;
        inventory::set_stocked(db, &item.id, &warehouse, WAREHOUSE_STOCK).await?;
        for (n, (channel_id, location_id, scale_ids)) in machine_outlets.iter().enumerate() {
            channels::publish_product(db, &product_id, channel_id).await?;
            // 5 to 12 units, varying by machine and product.
            inventory::set_stocked(db, &item.id, location_id, 5 + ((index + 3 * n) % 8) as i32)
                .await?;
            let deposit = (p.handle == DEMO_RETURNABLE.0).then_some(DEMO_RETURNABLE.1);
            scales::assign(
                db,
                &scale_ids[index],
                demo_assignment(&variant.id, p.grams, deposit),
            )
            .await?;
        }
    }
    let key = match api_keys::first_publishable(db).await? {
        Some(key) => key,
        None => api_keys::create_publishable(db, "Default storefront").await?,
    };
    channels::bind_publishable_key(db, &key.id, &online.id).await?;
    Ok(true)
}

/// A product's weights on a demo scale: ±5 %, at least the scale's noise.
fn demo_assignment(variant_id: &str, grams: i32, deposit: Option<Deposit>) -> NewAssignment {
    let tolerance = (grams / 20).max(DEMO_SCALE_NOISE_GRAMS);
    NewAssignment {
        variant_id: variant_id.to_owned(),
        unit_weight_grams: grams,
        min_weight_grams: grams - tolerance,
        max_weight_grams: grams + tolerance,
        deposit,
    }
}

/// Creates a stock location named `name` that supplies `channel_id`.
async fn channel_location(
    db: &DatabaseConnection,
    channel_id: &str,
    name: &str,
) -> Result<String, DomainError> {
    let location = channels::create_linked_stock_location(
        db,
        channel_id,
        NewStockLocation {
            name: name.to_owned(),
            ..Default::default()
        },
    )
    .await?;
    Ok(location.id)
}
