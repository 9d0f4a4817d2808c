use sea_orm::entity::prelude::*;

/// Something about a device an admin should know; open until resolved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// One of [`super::Kind`], e.g. `device_offline`.
    pub kind: String,
    pub device_id: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub raised_at: DateTimeUtc,
    /// When the condition ended (the device came back, the door closed…).
    pub resolved_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    /// The admin user who acknowledged it.
    pub acknowledged_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
