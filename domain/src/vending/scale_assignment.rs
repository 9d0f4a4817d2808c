use sea_orm::entity::prelude::*;

/// A product (variant) stocked on a scale; many may share one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scale_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub scale_id: String,
    pub variant_id: String,
    /// Nominal weight of one unit.
    pub unit_weight_grams: i32,
    /// The lightest and heaviest one unit may weigh.
    pub min_weight_grams: i32,
    pub max_weight_grams: i32,
    /// Credited for each empty container returned, minor units of the session's currency.
    pub deposit_amount: i64,
    /// What one empty container weighs; without it none is taken back.
    pub container_weight_grams: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
