use sea_orm::entity::prelude::*;

/// Where a store sells: one currency and one tax rate.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub currency_code: String,
    /// Hundredths of a percent: 2000 is 20 %.
    pub tax_rate_basis_points: i32,
    /// Whether prices in this region already include the tax.
    pub tax_inclusive: bool,
    /// Online payments are captured as soon as the order is placed; when
    /// false (the default) they are captured on fulfilment.
    pub automatic_capture: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::region_country::Entity")]
    Countries,
}

impl Related<super::region_country::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Countries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
