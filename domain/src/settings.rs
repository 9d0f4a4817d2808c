//! Server settings kept in the database, so they survive restarts and are
//! shared by every server instance (e.g. the JWT signing secret).

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::DomainError;

pub mod server_setting {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "server_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The stored value of `key`, storing `make()` first when there is none.
/// When two instances race, both end up with the value that was stored first.
pub async fn get_or_insert_with(
    db: &impl ConnectionTrait,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DomainError> {
    if let Some(found) = server_setting::Entity::find_by_id(key).one(db).await? {
        return Ok(found.value);
    }
    let inserted = server_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(make()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(setting) => Ok(setting.value),
        Err(insert_error) => match server_setting::Entity::find_by_id(key).one(db).await? {
            Some(found) => Ok(found.value),
            None => Err(insert_error.into()),
        },
    }
}
