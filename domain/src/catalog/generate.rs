//! Synthetic catalogs of any size, for demos and load tests.

use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait, Set, TransactionSession};

use super::{price, product, variant};
use crate::{DomainError, channels::product_channel, ids::new_id};

const BATCH: u64 = 500;
const ADJECTIVES: &[&str] = &[
    "Fresh",
    "Crunchy",
    "Spicy",
    "Smoked",
    "Sparkling",
    "Organic",
    "Roasted",
    "Chilled",
    "Zesty",
    "Classic",
];
const NOUNS: &[&str] = &[
    "Lemonade",
    "Sandwich",
    "Granola Bar",
    "Salad",
    "Smoothie",
    "Pretzel",
    "Iced Tea",
    "Wrap",
    "Muffin",
    "Soup",
];

/// Adds `count` published products (one variant, one price in `currency`),
/// published to every sales channel, in batches, calling `progress` with the
/// number done so far.
pub async fn products(
    db: &impl crate::db::Writable,
    count: u64,
    currency: &str,
    mut progress: impl FnMut(u64),
) -> Result<(), DomainError> {
    // Numbering continues after what exists, so handles stay unique across runs.
    let first = product::Entity::find().count(db).await?;
    let channels = crate::channels::list_sales_channels(db).await?;
    let mut done = 0;
    while done < count {
        let size = BATCH.min(count - done);
        let now = Utc::now();
        let mut products = Vec::with_capacity(size as usize);
        let mut variants = Vec::with_capacity(size as usize);
        let mut prices = Vec::with_capacity(size as usize);
        let mut listings = Vec::with_capacity(size as usize * channels.len());
        for n in first + done..first + done + size {
            let title = format!(
                "{} {} #{n}",
                ADJECTIVES[(n % 10) as usize],
                NOUNS[(n / 10 % 10) as usize]
            );
            let product_id = new_id("prod");
            let variant_id = new_id("variant");
            listings.extend(channels.iter().map(|channel| product_channel::ActiveModel {
                product_id: Set(product_id.clone()),
                sales_channel_id: Set(channel.id.clone()),
            }));
            products.push(product::ActiveModel {
                id: Set(product_id.clone()),
                handle: Set(format!("item-{n}")),
                title: Set(title),
                subtitle: Set(None),
                description: Set(Some("Generated for a large catalog.".to_owned())),
                thumbnail: Set(None),
                status: Set(product::Status::Published),
                collection_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            variants.push(variant::ActiveModel {
                id: Set(variant_id.clone()),
                product_id: Set(product_id),
                title: Set("Default".to_owned()),
                sku: Set(Some(format!("ITEM-{n}"))),
                barcode: Set(None),
                weight_grams: Set(Some(100 + (n % 400) as i32)),
                rank: Set(0),
                created_at: Set(now),
                updated_at: Set(now),
            });
            prices.push(price::ActiveModel {
                id: Set(new_id("price")),
                variant_id: Set(variant_id),
                currency_code: Set(currency.to_lowercase()),
                amount: Set(99 + (n % 50 * 20) as i64),
            });
        }
        let txn = crate::db::begin_write(db).await?;
        product::Entity::insert_many(products)
            .exec_without_returning(&txn)
            .await?;
        variant::Entity::insert_many(variants)
            .exec_without_returning(&txn)
            .await?;
        price::Entity::insert_many(prices)
            .exec_without_returning(&txn)
            .await?;
        product_channel::Entity::insert_many(listings)
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        done += size;
        progress(done);
    }
    Ok(())
}
