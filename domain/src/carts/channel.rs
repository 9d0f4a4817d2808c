//! Which sales channel a cart sells through, for callers that may touch only
//! the carts of some channels (a Store API request sees its publishable key's).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::cart;
use crate::DomainError;

/// The cart's sales channel (`None` for a cart without one).
pub async fn sales_channel_of(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Option<String>, DomainError> {
    cart::Entity::find_by_id(cart_id)
        .select_only()
        .column(cart::Column::SalesChannelId)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Cart", cart_id))
}

/// The cart paying with this payment collection, when a cart does.
pub async fn cart_of_payment_collection(
    db: &impl ConnectionTrait,
    collection_id: &str,
) -> Result<Option<String>, DomainError> {
    Ok(cart::Entity::find()
        .select_only()
        .column(cart::Column::Id)
        .filter(cart::Column::PaymentCollectionId.eq(collection_id))
        .into_tuple::<String>()
        .one(db)
        .await?)
}
