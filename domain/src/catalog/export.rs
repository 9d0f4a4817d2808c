//! The catalogue read for a CSV export: its shape (which price and option
//! columns it needs), then products a page at a time.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

use super::{ProductDetail, price, product, product_option, with_details};
use crate::DomainError;

/// Products per page of an export.
pub const PAGE: u64 = 100;

/// The columns a catalogue needs beyond the fixed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportShape {
    /// Every currency some variant has a price in, sorted.
    pub currencies: Vec<String>,
    /// The most options any one product has.
    pub options: usize,
}

pub async fn shape(db: &impl ConnectionTrait) -> Result<ExportShape, DomainError> {
    let currencies: BTreeSet<String> = price::Entity::find()
        .select_only()
        .column(price::Column::CurrencyCode)
        .distinct()
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut per_product: HashMap<String, usize> = HashMap::new();
    for product_id in product_option::Entity::find()
        .select_only()
        .column(product_option::Column::ProductId)
        .into_tuple::<String>()
        .all(db)
        .await?
    {
        *per_product.entry(product_id).or_default() += 1;
    }
    Ok(ExportShape {
        currencies: currencies.into_iter().collect(),
        options: per_product.into_values().max().unwrap_or(0),
    })
}

/// Every product (drafts too), oldest first, from `offset`; the offset of
/// the next page, if any.
pub async fn page(
    db: &impl ConnectionTrait,
    offset: u64,
) -> Result<(Vec<ProductDetail>, Option<u64>), DomainError> {
    let products = product::Entity::find()
        .order_by_asc(product::Column::CreatedAt)
        .order_by_asc(product::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(PAGE)
        .all(db)
        .await?;
    let next = (products.len() as u64 == PAGE).then_some(offset + PAGE);
    Ok((with_details(db, products).await?, next))
}
