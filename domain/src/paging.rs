//! One page of a listing, as the admin lists answer it.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};

use crate::{DomainError, catalog::check_page_size};

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Counts what `select` matches and fetches `limit` rows from `offset`, in
/// the order `select` already has.
pub async fn page_of<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    offset: u64,
    limit: u64,
) -> Result<Page<E::Model>, DomainError>
where
    E::Model: Sync,
{
    check_page_size(limit)?;
    let count = select.clone().count(db).await?;
    let items = select
        .offset(row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok(Page {
        items,
        count,
        offset,
        limit,
    })
}

/// `offset` as the database driver takes it: one past `i64::MAX` (no table
/// is that long) would fail the query, and is an empty page all the same.
pub fn row_offset(offset: u64) -> u64 {
    offset.min(i64::MAX as u64)
}
