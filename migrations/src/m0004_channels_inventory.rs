//! Sales channels, stock locations, their links (products, publishable keys,
//! devices) and inventory: items, levels per location, reservations.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SalesChannels::Table)
                .col(string(SalesChannels::Id).primary_key())
                .col(string(SalesChannels::Name))
                .col(text_null(SalesChannels::Description))
                .col(boolean(SalesChannels::IsDisabled))
                .col(timestamp_with_time_zone(SalesChannels::CreatedAt))
                .col(timestamp_with_time_zone(SalesChannels::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockLocations::Table)
                .col(string(StockLocations::Id).primary_key())
                .col(string(StockLocations::Name))
                .col(string_null(StockLocations::Address1))
                .col(string_null(StockLocations::City))
                .col(string_null(StockLocations::PostalCode))
                .col(string_null(StockLocations::CountryCode))
                .col(timestamp_with_time_zone(StockLocations::CreatedAt))
                .col(timestamp_with_time_zone(StockLocations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SalesChannelStockLocations::Table)
                .col(string(SalesChannelStockLocations::SalesChannelId))
                .col(string(SalesChannelStockLocations::StockLocationId))
                .primary_key(
                    Index::create()
                        .col(SalesChannelStockLocations::SalesChannelId)
                        .col(SalesChannelStockLocations::StockLocationId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SalesChannelStockLocations::Table,
                            SalesChannelStockLocations::SalesChannelId,
                        )
                        .to(SalesChannels::Table, SalesChannels::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            SalesChannelStockLocations::Table,
                            SalesChannelStockLocations::StockLocationId,
                        )
                        .to(StockLocations::Table, StockLocations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductSalesChannels::Table)
                .col(string(ProductSalesChannels::ProductId))
                .col(string(ProductSalesChannels::SalesChannelId))
                .primary_key(
                    Index::create()
                        .col(ProductSalesChannels::ProductId)
                        .col(ProductSalesChannels::SalesChannelId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductSalesChannels::Table, ProductSalesChannels::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ProductSalesChannels::Table,
                            ProductSalesChannels::SalesChannelId,
                        )
                        .to(SalesChannels::Table, SalesChannels::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Store listings filter products by channel.
        m.create_index(
            Index::create()
                .name("idx_product_sales_channels_channel")
                .table(ProductSalesChannels::Table)
                .col(ProductSalesChannels::SalesChannelId)
                .col(ProductSalesChannels::ProductId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PublishableKeySalesChannels::Table)
                .col(string(PublishableKeySalesChannels::ApiKeyId))
                .col(string(PublishableKeySalesChannels::SalesChannelId))
                .primary_key(
                    Index::create()
                        .col(PublishableKeySalesChannels::ApiKeyId)
                        .col(PublishableKeySalesChannels::SalesChannelId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            PublishableKeySalesChannels::Table,
                            PublishableKeySalesChannels::ApiKeyId,
                        )
                        .to(ApiKeys::Table, ApiKeys::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            PublishableKeySalesChannels::Table,
                            PublishableKeySalesChannels::SalesChannelId,
                        )
                        .to(SalesChannels::Table, SalesChannels::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        // SQLite cannot add a foreign key to an existing table; the domain
        // checks the channel exists when it assigns a device.
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .add_column(string_null(Devices::SalesChannelId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InventoryItems::Table)
                .col(string(InventoryItems::Id).primary_key())
                .col(string_null(InventoryItems::Sku))
                .col(string_uniq(InventoryItems::VariantId))
                .col(timestamp_with_time_zone(InventoryItems::CreatedAt))
                .col(timestamp_with_time_zone(InventoryItems::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(InventoryItems::Table, InventoryItems::VariantId)
                        .to(ProductVariants::Table, ProductVariants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(InventoryLevels::Table)
                .col(string(InventoryLevels::InventoryItemId))
                .col(string(InventoryLevels::LocationId))
                // The database refuses a negative level even if a caller
                // bypasses the service's conditional updates.
                .col(
                    integer(InventoryLevels::StockedQuantity)
                        .check(Expr::col(InventoryLevels::StockedQuantity).gte(0)),
                )
                .col(
                    integer(InventoryLevels::ReservedQuantity)
                        .check(Expr::col(InventoryLevels::ReservedQuantity).gte(0)),
                )
                .col(timestamp_with_time_zone(InventoryLevels::CreatedAt))
                .col(timestamp_with_time_zone(InventoryLevels::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(InventoryLevels::InventoryItemId)
                        .col(InventoryLevels::LocationId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(InventoryLevels::Table, InventoryLevels::InventoryItemId)
                        .to(InventoryItems::Table, InventoryItems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(InventoryLevels::Table, InventoryLevels::LocationId)
                        .to(StockLocations::Table, StockLocations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ReservationItems::Table)
                .col(string(ReservationItems::Id).primary_key())
                .col(string(ReservationItems::InventoryItemId))
                .col(string(ReservationItems::LocationId))
                .col(integer(ReservationItems::Quantity))
                .col(string_null(ReservationItems::LineItemId))
                .col(string_null(ReservationItems::ExternalId))
                .col(timestamp_with_time_zone(ReservationItems::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReservationItems::Table, ReservationItems::InventoryItemId)
                        .to(InventoryItems::Table, InventoryItems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ReservationItems::Table, ReservationItems::LocationId)
                        .to(StockLocations::Table, StockLocations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_reservation_items_line_item")
                .table(ReservationItems::Table)
                .col(ReservationItems::LineItemId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum SalesChannels {
    Table,
    Id,
    Name,
    Description,
    IsDisabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockLocations {
    Table,
    Id,
    Name,
    #[sea_orm(iden = "address_1")]
    Address1,
    City,
    PostalCode,
    CountryCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SalesChannelStockLocations {
    Table,
    SalesChannelId,
    StockLocationId,
}

#[derive(DeriveIden)]
enum ProductSalesChannels {
    Table,
    ProductId,
    SalesChannelId,
}

#[derive(DeriveIden)]
enum PublishableKeySalesChannels {
    Table,
    ApiKeyId,
    SalesChannelId,
}

#[derive(DeriveIden)]
enum InventoryItems {
    Table,
    Id,
    Sku,
    VariantId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InventoryLevels {
    Table,
    InventoryItemId,
    LocationId,
    StockedQuantity,
    ReservedQuantity,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReservationItems {
    Table,
    Id,
    InventoryItemId,
    LocationId,
    Quantity,
    LineItemId,
    ExternalId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    SalesChannelId,
}
