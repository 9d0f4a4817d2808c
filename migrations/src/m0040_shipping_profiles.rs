//! Shipping profiles (Medusa's grouping of what ships alike), every option
//! in one, and options an admin keeps but does not offer in the store.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The profile every existing and new option belongs to unless told otherwise.
const DEFAULT_PROFILE_ID: &str = "sp_default";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ShippingProfiles::Table)
                .col(string(ShippingProfiles::Id).primary_key())
                .col(string_uniq(ShippingProfiles::Name))
                .col(string(ShippingProfiles::Kind))
                .col(timestamp_with_time_zone(ShippingProfiles::CreatedAt))
                .col(timestamp_with_time_zone(ShippingProfiles::UpdatedAt))
                .to_owned(),
        )
        .await?;
        let now = chrono::Utc::now();
        m.get_connection()
            .execute(
                &Query::insert()
                    .into_table(ShippingProfiles::Table)
                    .columns([
                        ShippingProfiles::Id,
                        ShippingProfiles::Name,
                        ShippingProfiles::Kind,
                        ShippingProfiles::CreatedAt,
                        ShippingProfiles::UpdatedAt,
                    ])
                    .values_panic([
                        DEFAULT_PROFILE_ID.into(),
                        "Default Shipping Profile".into(),
                        "default".into(),
                        now.into(),
                        now.into(),
                    ])
                    .to_owned(),
            )
            .await?;
        // One column per ALTER: SQLite adds only one at a time.
        for column in [
            string(ShippingOptions::ShippingProfileId)
                .default(DEFAULT_PROFILE_ID)
                .to_owned(),
            boolean(ShippingOptions::EnabledInStore)
                .default(true)
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(ShippingOptions::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ShippingProfiles {
    Table,
    Id,
    Name,
    Kind,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShippingOptions {
    Table,
    ShippingProfileId,
    EnabledInStore,
}
