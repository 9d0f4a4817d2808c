use sea_orm::entity::prelude::*;

/// What one service visit (a service-mode session) changed of one product
/// in the machine: `units` put in, or taken out when negative, as the
/// scales weighed it when the door closed. The title is kept as it was.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "restock_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub device_session_id: String,
    pub variant_id: String,
    pub title: String,
    pub units: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
