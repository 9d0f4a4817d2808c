//! The store's settings (Medusa's store module): name, currencies with one
//! default, and default region, sales channel and stock location. One row,
//! made on first read.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Stores::Table)
                .col(string(Stores::Id).primary_key())
                .col(string(Stores::Name))
                .col(text(Stores::SupportedCurrencies))
                .col(string(Stores::DefaultCurrencyCode))
                .col(string_null(Stores::DefaultRegionId))
                .col(string_null(Stores::DefaultSalesChannelId))
                .col(string_null(Stores::DefaultLocationId))
                .col(timestamp_with_time_zone(Stores::CreatedAt))
                .col(timestamp_with_time_zone(Stores::UpdatedAt))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Stores {
    Table,
    Id,
    Name,
    SupportedCurrencies,
    DefaultCurrencyCode,
    DefaultRegionId,
    DefaultSalesChannelId,
    DefaultLocationId,
    CreatedAt,
    UpdatedAt,
}
