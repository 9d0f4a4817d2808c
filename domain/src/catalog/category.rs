use sea_orm::entity::prelude::*;

/// A node of the category tree; roots have no parent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[sea_orm(unique)]
    pub handle: String,
    pub parent_category_id: Option<String>,
    /// Display order among siblings.
    pub rank: i32,
    pub is_active: bool,
    /// Internal categories organise the back office and stay out of the Store API.
    pub is_internal: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
