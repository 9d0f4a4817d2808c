//! Publishable API keys: the `x-publishable-api-key` a storefront sends with
//! every Store API call. The sales channels a key sees are bound in
//! [`crate::channels`].

pub mod api_key;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::{
    DomainError, ids,
    paging::{Page, page_of},
};

pub async fn create_publishable(
    db: &impl ConnectionTrait,
    title: &str,
) -> Result<api_key::Model, DomainError> {
    Ok(api_key::ActiveModel {
        id: Set(ids::new_id("apk")),
        token: Set(format!("pk_{}", ids::random_token(32))),
        title: Set(title.to_owned()),
        kind: Set(api_key::Kind::Publishable),
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
        .filter(api_key::Column::Kind.eq(api_key::Kind::Publishable))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The oldest active publishable key: the one the built-in storefront uses.
pub async fn first_publishable(
    db: &impl ConnectionTrait,
) -> Result<Option<api_key::Model>, DomainError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::Kind.eq(api_key::Kind::Publishable))
        .filter(api_key::Column::RevokedAt.is_null())
        .order_by_asc(api_key::Column::CreatedAt)
        .one(db)
        .await?)
}

/// Every key, revoked ones too, newest first, one page at a time; `q` matches the title.
pub async fn list_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<api_key::Model>, DomainError> {
    let mut select = api_key::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(api_key::Column::Title.contains(q));
    }
    let select = select
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id);
    page_of(db, select, offset, limit).await
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<api_key::Model, DomainError> {
    api_key::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("API key", id))
}

pub async fn rename(
    db: &impl ConnectionTrait,
    id: &str,
    title: &str,
) -> Result<api_key::Model, DomainError> {
    let title = valid_title(title)?;
    let mut active = find(db, id).await?.into_active_model();
    active.title = Set(title);
    Ok(active.update(db).await?)
}

/// Revokes a key: the Store API stops accepting it. Revoking twice keeps the
/// first time.
pub async fn revoke(db: &impl ConnectionTrait, id: &str) -> Result<api_key::Model, DomainError> {
    let key = find(db, id).await?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<(), DomainError> {
    find(db, id).await?;
    api_key::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub fn valid_title(title: &str) -> Result<String, DomainError> {
    crate::text::required(
        title,
        "an API key's title",
        crate::text::NAME_CHARS,
        "an API key needs a title",
    )
}
