use sea_orm::entity::prelude::*;

/// The store's own settings (Medusa's store module): its name, the
/// currencies it sells in and which is the default, and the region, sales
/// channel and stock location new things default to. One row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// ISO 4217 codes, lowercase, comma-separated, in the order they were added.
    #[sea_orm(column_type = "Text")]
    pub supported_currencies: String,
    pub default_currency_code: String,
    pub default_region_id: Option<String>,
    pub default_sales_channel_id: Option<String>,
    pub default_location_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn currencies(&self) -> Vec<String> {
        self.supported_currencies
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
