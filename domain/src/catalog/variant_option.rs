use sea_orm::entity::prelude::*;

/// The option value a variant has.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "variant_option_values")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub option_value_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
