//! Publishable API keys: the `x-publishable-api-key` a storefront sends with
//! every Store API call. The sales channels a key sees are bound in
//! [`crate::channels`].

pub mod api_key;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::{DomainError, ids};

pub const KIND_PUBLISHABLE: &str = "publishable";

pub async fn create_publishable(
    db: &impl ConnectionTrait,
    title: &str,
) -> Result<api_key::Model, DomainError> {
    Ok(api_key::ActiveModel {
        id: Set(ids::new_id("apk")),
        token: Set(format!("pk_{}", ids::random_token(32))),
        title: Set(title.to_owned()),
        kind: Set(KIND_PUBLISHABLE.to_owned()),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

/// The active publishable key with this token, if any.
pub async fn find_publishable(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<api_key::Model>, DomainError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::Token.eq(token))
        .filter(api_key::Column::Kind.eq(KIND_PUBLISHABLE))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The oldest active publishable key: the one the built-in storefront uses.
pub async fn first_publishable(
    db: &impl ConnectionTrait,
) -> Result<Option<api_key::Model>, DomainError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::Kind.eq(KIND_PUBLISHABLE))
        .filter(api_key::Column::RevokedAt.is_null())
        .order_by_asc(api_key::Column::CreatedAt)
        .one(db)
        .await?)
}
