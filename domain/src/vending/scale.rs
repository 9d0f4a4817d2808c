use sea_orm::entity::prelude::*;

/// A weighing shelf of a machine.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_scales")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub device_id: String,
    pub locker_id: Option<String>,
    /// The scale's number on the device, as the device reports readings.
    pub position: i32,
    /// How far two readings of an unchanged load may differ.
    pub noise_grams: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
