use sea_orm::entity::prelude::*;

/// How one store reaches its loyalty host.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "store_loyalty_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: String,
    pub enabled: bool,
    pub provider: String,
    pub base_url: String,
    pub client_id: String,
    /// Sealed with the server's loyalty key ([`super::secret::SecretBox`]); never returned.
    #[sea_orm(column_type = "Text")]
    pub client_secret_encrypted: String,
    pub participant_id: Option<String>,
    pub site_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
