//! How products are organised: a category tree, collections and tags.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionSession,
};

use super::{
    category, category_link, check_page_size, collection, product, tag, tag_link, valid_handle,
};
use crate::{
    DomainError,
    ids::new_id,
    paging::{Page, page_of},
};

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub name: String,
    pub handle: String,
    pub description: Option<String>,
    pub parent_category_id: Option<String>,
    pub rank: i32,
    pub is_active: bool,
    pub is_internal: bool,
}

pub async fn create_category(
    db: &impl ConnectionTrait,
    new: NewCategory,
) -> Result<String, DomainError> {
    let name = new.name.trim().to_owned();
    if name.is_empty() {
        return Err(DomainError::Invalid("a category needs a name".into()));
    }
    let handle = valid_handle(&new.handle)?;
    if category::Entity::find()
        .filter(category::Column::Handle.eq(&handle))
        .one(db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "a category with handle {handle} already exists"
        )));
    }
    if let Some(parent) = &new.parent_category_id {
        category::Entity::find_by_id(parent)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("ProductCategory", parent))?;
    }
    let now = Utc::now();
    let id = new_id("pcat");
    category::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        description: Set(new.description),
        handle: Set(handle),
        parent_category_id: Set(new.parent_category_id),
        rank: Set(new.rank),
        is_active: Set(new.is_active),
        is_internal: Set(new.is_internal),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

pub async fn create_collection(
    db: &impl ConnectionTrait,
    title: &str,
    handle: &str,
) -> Result<String, DomainError> {
    let title = title.trim().to_owned();
    if title.is_empty() {
        return Err(DomainError::Invalid("a collection needs a title".into()));
    }
    let handle = valid_handle(handle)?;
    if collection::Entity::find()
        .filter(collection::Column::Handle.eq(&handle))
        .one(db)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "a collection with handle {handle} already exists"
        )));
    }
    let now = Utc::now();
    let id = new_id("pcol");
    collection::ActiveModel {
        id: Set(id.clone()),
        title: Set(title),
        handle: Set(handle),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Puts the product into each of `category_ids` (idempotent).
pub async fn add_to_categories(
    db: &impl ConnectionTrait,
    product_id: &str,
    category_ids: &[&str],
) -> Result<(), DomainError> {
    existing_product(db, product_id).await?;
    for &category_id in category_ids {
        category::Entity::find_by_id(category_id)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("ProductCategory", category_id))?;
        if category_link::Entity::find_by_id((product_id.to_owned(), category_id.to_owned()))
            .one(db)
            .await?
            .is_none()
        {
            category_link::ActiveModel {
                product_id: Set(product_id.to_owned()),
                category_id: Set(category_id.to_owned()),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Moves the product into `collection_id`, or out of any with `None`.
pub async fn set_collection(
    db: &impl ConnectionTrait,
    product_id: &str,
    collection_id: Option<&str>,
) -> Result<(), DomainError> {
    let product = existing_product(db, product_id).await?;
    if let Some(id) = collection_id {
        collection::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("ProductCollection", id))?;
    }
    let mut active: product::ActiveModel = product.into();
    active.collection_id = Set(collection_id.map(str::to_owned));
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(())
}

/// Tags the product with `value`, creating the tag on first use.
pub async fn tag_product(
    db: &impl ConnectionTrait,
    product_id: &str,
    value: &str,
) -> Result<(), DomainError> {
    existing_product(db, product_id).await?;
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::Invalid("a tag needs a value".into()));
    }
    let tag_id = match tag::Entity::find()
        .filter(tag::Column::Value.eq(value))
        .one(db)
        .await?
    {
        Some(tag) => tag.id,
        None => {
            let now = Utc::now();
            let id = new_id("ptag");
            tag::ActiveModel {
                id: Set(id.clone()),
                value: Set(value.to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            id
        }
    };
    if tag_link::Entity::find_by_id((product_id.to_owned(), tag_id.clone()))
        .one(db)
        .await?
        .is_none()
    {
        tag_link::ActiveModel {
            product_id: Set(product_id.to_owned()),
            tag_id: Set(tag_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn existing_product(
    db: &impl ConnectionTrait,
    product_id: &str,
) -> Result<product::Model, DomainError> {
    product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Product", product_id))
}

/// A category shoppers may see, with its parent and children (also visible ones only).
#[derive(Debug, Clone)]
pub struct CategoryDetail {
    pub category: category::Model,
    pub parent: Option<category::Model>,
    pub children: Vec<category::Model>,
}

/// Which level of the tree to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentFilter {
    /// Top-level categories only.
    Root,
    /// Direct children of this category.
    Of(String),
}

#[derive(Debug, Clone, Default)]
pub struct CategoryQuery {
    pub handle: Option<String>,
    pub parent: Option<ParentFilter>,
    /// Free text matched against the name and handle.
    pub q: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone)]
pub struct CategoryPage {
    pub categories: Vec<CategoryDetail>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

fn visible_categories() -> Select<category::Entity> {
    category::Entity::find()
        .filter(category::Column::IsActive.eq(true))
        .filter(category::Column::IsInternal.eq(false))
}

/// Active, public categories, by rank, one page at a time.
pub async fn list_visible_categories(
    db: &impl ConnectionTrait,
    query: &CategoryQuery,
) -> Result<CategoryPage, DomainError> {
    check_page_size(query.limit)?;
    let mut select = visible_categories();
    if let Some(handle) = &query.handle {
        select = select.filter(category::Column::Handle.eq(handle));
    }
    match &query.parent {
        Some(ParentFilter::Root) => {
            select = select.filter(category::Column::ParentCategoryId.is_null())
        }
        Some(ParentFilter::Of(id)) => {
            select = select.filter(category::Column::ParentCategoryId.eq(id))
        }
        None => {}
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(category::Column::Name.contains(q))
                .add(category::Column::Handle.contains(q)),
        );
    }
    let count = select.clone().count(db).await?;
    let categories = select
        .order_by_asc(category::Column::Rank)
        .order_by_asc(category::Column::Name)
        .order_by_asc(category::Column::Id)
        .offset(crate::paging::row_offset(query.offset))
        .limit(query.limit)
        .all(db)
        .await?;
    Ok(CategoryPage {
        categories: with_family(db, categories).await?,
        count,
        offset: query.offset,
        limit: query.limit,
    })
}

pub async fn find_visible_category(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<CategoryDetail, DomainError> {
    let category = visible_categories()
        .filter(category::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("ProductCategory", id))?;
    Ok(with_family(db, vec![category]).await?.remove(0))
}

/// Loads the visible parents and children of `categories` with two queries.
async fn with_family(
    db: &impl ConnectionTrait,
    categories: Vec<category::Model>,
) -> Result<Vec<CategoryDetail>, DomainError> {
    let parent_ids: Vec<String> = categories
        .iter()
        .filter_map(|c| c.parent_category_id.clone())
        .collect();
    let parents: HashMap<String, category::Model> = visible_categories()
        .filter(category::Column::Id.is_in(parent_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let ids: Vec<String> = categories.iter().map(|c| c.id.clone()).collect();
    let mut children: HashMap<String, Vec<category::Model>> = HashMap::new();
    for child in visible_categories()
        .filter(category::Column::ParentCategoryId.is_in(ids))
        .order_by_asc(category::Column::Rank)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?
    {
        children
            .entry(child.parent_category_id.clone().unwrap_or_default())
            .or_default()
            .push(child);
    }
    Ok(categories
        .into_iter()
        .map(|category| CategoryDetail {
            parent: category
                .parent_category_id
                .as_ref()
                .and_then(|id| parents.get(id).cloned()),
            children: children.remove(&category.id).unwrap_or_default(),
            category,
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct CollectionQuery {
    pub handle: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone)]
pub struct CollectionPage {
    pub collections: Vec<collection::Model>,
    pub count: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Collections by title, one page at a time.
pub async fn list_collections(
    db: &impl ConnectionTrait,
    query: &CollectionQuery,
) -> Result<CollectionPage, DomainError> {
    check_page_size(query.limit)?;
    let mut select = collection::Entity::find();
    if let Some(handle) = &query.handle {
        select = select.filter(collection::Column::Handle.eq(handle));
    }
    let count = select.clone().count(db).await?;
    let collections = select
        .order_by_asc(collection::Column::Title)
        .order_by_asc(collection::Column::Id)
        .offset(crate::paging::row_offset(query.offset))
        .limit(query.limit)
        .all(db)
        .await?;
    Ok(CollectionPage {
        collections,
        count,
        offset: query.offset,
        limit: query.limit,
    })
}

pub async fn find_collection(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<collection::Model, DomainError> {
    collection::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("ProductCollection", id))
}

/// The visible categories, collection and tags of each of `products`, keyed by product id.
pub(super) struct Organisation {
    pub categories: HashMap<String, Vec<category::Model>>,
    pub collections: HashMap<String, collection::Model>,
    pub tags: HashMap<String, Vec<tag::Model>>,
}

pub(super) async fn organisation_of(
    db: &impl ConnectionTrait,
    products: &[product::Model],
) -> Result<Organisation, DomainError> {
    let product_ids: Vec<String> = products.iter().map(|p| p.id.clone()).collect();

    let category_links = category_link::Entity::find()
        .filter(category_link::Column::ProductId.is_in(product_ids.clone()))
        .all(db)
        .await?;
    let linked: HashMap<String, category::Model> = visible_categories()
        .filter(category::Column::Id.is_in(category_links.iter().map(|l| l.category_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let mut categories: HashMap<String, Vec<category::Model>> = HashMap::new();
    for link in category_links {
        if let Some(category) = linked.get(&link.category_id) {
            categories
                .entry(link.product_id)
                .or_default()
                .push(category.clone());
        }
    }
    for list in categories.values_mut() {
        list.sort_by(|a, b| (a.rank, &a.name).cmp(&(b.rank, &b.name)));
    }

    let collection_ids: Vec<String> = products
        .iter()
        .filter_map(|p| p.collection_id.clone())
        .collect();
    let collections_by_id: HashMap<String, collection::Model> = collection::Entity::find()
        .filter(collection::Column::Id.is_in(collection_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let collections = products
        .iter()
        .filter_map(|p| {
            Some((
                p.id.clone(),
                collections_by_id.get(p.collection_id.as_ref()?)?.clone(),
            ))
        })
        .collect();

    let tag_links = tag_link::Entity::find()
        .filter(tag_link::Column::ProductId.is_in(product_ids))
        .all(db)
        .await?;
    let tags_by_id: HashMap<String, tag::Model> = tag::Entity::find()
        .filter(tag::Column::Id.is_in(tag_links.iter().map(|l| l.tag_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id.clone(), t))
        .collect();
    let mut tags: HashMap<String, Vec<tag::Model>> = HashMap::new();
    for link in tag_links {
        if let Some(tag) = tags_by_id.get(&link.tag_id) {
            tags.entry(link.product_id).or_default().push(tag.clone());
        }
    }
    for list in tags.values_mut() {
        list.sort_by(|a, b| a.value.cmp(&b.value));
    }
    Ok(Organisation {
        categories,
        collections,
        tags,
    })
}

/// Every category, inactive and internal ones too, by rank and name, one
/// page at a time (the admin's view); `q` matches the name and handle.
pub async fn list_all_categories(
    db: &impl ConnectionTrait,
    query: &CategoryQuery,
) -> Result<Page<category::Model>, DomainError> {
    let mut select = category::Entity::find();
    if let Some(handle) = &query.handle {
        select = select.filter(category::Column::Handle.eq(handle));
    }
    match &query.parent {
        Some(ParentFilter::Root) => {
            select = select.filter(category::Column::ParentCategoryId.is_null())
        }
        Some(ParentFilter::Of(id)) => {
            select = select.filter(category::Column::ParentCategoryId.eq(id))
        }
        None => {}
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(category::Column::Name.contains(q))
                .add(category::Column::Handle.contains(q)),
        );
    }
    let select = select
        .order_by_asc(category::Column::Rank)
        .order_by_asc(category::Column::Name)
        .order_by_asc(category::Column::Id);
    page_of(db, select, query.offset, query.limit).await
}

/// A category, whether shoppers may see it or not.
pub async fn find_category(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<category::Model, DomainError> {
    category::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("ProductCategory", id))
}

/// Changes to a category; `None` keeps a field. `parent_category_id`
/// `Some("")` makes it a root.
#[derive(Debug, Clone, Default)]
pub struct CategoryChanges {
    pub name: Option<String>,
    pub handle: Option<String>,
    pub description: Option<String>,
    pub parent_category_id: Option<String>,
    pub rank: Option<i32>,
    pub is_active: Option<bool>,
    pub is_internal: Option<bool>,
}

pub async fn update_category(
    db: &impl ConnectionTrait,
    id: &str,
    changes: CategoryChanges,
) -> Result<category::Model, DomainError> {
    let mut active: category::ActiveModel = find_category(db, id).await?.into();
    if let Some(name) = &changes.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(DomainError::Invalid("a category needs a name".into()));
        }
        active.name = Set(name.to_owned());
    }
    if let Some(handle) = &changes.handle {
        let handle = valid_handle(handle)?;
        let taken = category::Entity::find()
            .filter(category::Column::Handle.eq(&handle))
            .filter(category::Column::Id.ne(id))
            .one(db)
            .await?;
        if taken.is_some() {
            return Err(DomainError::Conflict(format!(
                "a category with handle {handle} already exists"
            )));
        }
        active.handle = Set(handle);
    }
    if let Some(description) = changes.description {
        active.description = Set(Some(description.trim().to_owned()).filter(|d| !d.is_empty()));
    }
    if let Some(parent) = changes.parent_category_id {
        let parent = Some(parent.trim().to_owned()).filter(|p| !p.is_empty());
        if let Some(parent) = &parent {
            ensure_not_below(db, parent, id).await?;
        }
        active.parent_category_id = Set(parent);
    }
    if let Some(rank) = changes.rank {
        active.rank = Set(rank);
    }
    if let Some(is_active) = changes.is_active {
        active.is_active = Set(is_active);
    }
    if let Some(is_internal) = changes.is_internal {
        active.is_internal = Set(is_internal);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Refuses to put category `id` under `parent` when `parent` is `id` itself
/// or one of its descendants: the tree would become a loop.
async fn ensure_not_below(
    db: &impl ConnectionTrait,
    parent: &str,
    id: &str,
) -> Result<(), DomainError> {
    let mut current = Some(parent.to_owned());
    while let Some(ancestor) = current {
        if ancestor == id {
            return Err(DomainError::Invalid(
                "a category cannot be placed under itself or its descendants".into(),
            ));
        }
        current = find_category(db, &ancestor).await?.parent_category_id;
    }
    Ok(())
}

/// Deletes a category without children; its products stay, uncategorised there.
pub async fn delete_category(db: &impl ConnectionTrait, id: &str) -> Result<(), DomainError> {
    find_category(db, id).await?;
    let child = category::Entity::find()
        .filter(category::Column::ParentCategoryId.eq(id))
        .one(db)
        .await?;
    if child.is_some() {
        return Err(DomainError::Conflict(
            "the category has child categories; move or delete them first".into(),
        ));
    }
    category::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn update_collection(
    db: &impl ConnectionTrait,
    id: &str,
    title: Option<&str>,
    handle: Option<&str>,
) -> Result<collection::Model, DomainError> {
    let mut active: collection::ActiveModel = find_collection(db, id).await?.into();
    if let Some(title) = title {
        let title = title.trim();
        if title.is_empty() {
            return Err(DomainError::Invalid("a collection needs a title".into()));
        }
        active.title = Set(title.to_owned());
    }
    if let Some(handle) = handle {
        let handle = valid_handle(handle)?;
        let taken = collection::Entity::find()
            .filter(collection::Column::Handle.eq(&handle))
            .filter(collection::Column::Id.ne(id))
            .one(db)
            .await?;
        if taken.is_some() {
            return Err(DomainError::Conflict(format!(
                "a collection with handle {handle} already exists"
            )));
        }
        active.handle = Set(handle);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Deletes a collection; its products stay, in no collection.
pub async fn delete_collection(db: &impl crate::db::Writable, id: &str) -> Result<(), DomainError> {
    let txn = crate::db::begin_write(db).await?;
    find_collection(&txn, id).await?;
    product::Entity::update_many()
        .col_expr(
            product::Column::CollectionId,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(product::Column::CollectionId.eq(id))
        .exec(&txn)
        .await?;
    collection::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}
