//! Catalog, carts, admin users, API keys, devices and web sessions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Products::Table)
                .col(string(Products::Id).primary_key())
                .col(string_uniq(Products::Handle))
                .col(string(Products::Title))
                .col(string_null(Products::Subtitle))
                .col(text_null(Products::Description))
                .col(string_null(Products::Thumbnail))
                .col(string(Products::Status))
                .col(timestamp_with_time_zone(Products::CreatedAt))
                .col(timestamp_with_time_zone(Products::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_products_status_created")
                .table(Products::Table)
                .col(Products::Status)
                .col(Products::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductVariants::Table)
                .col(string(ProductVariants::Id).primary_key())
                .col(string(ProductVariants::ProductId))
                .col(string(ProductVariants::Title))
                .col(string_null(ProductVariants::Sku).unique_key())
                .col(integer_null(ProductVariants::WeightGrams))
                .col(integer(ProductVariants::Rank))
                .col(timestamp_with_time_zone(ProductVariants::CreatedAt))
                .col(timestamp_with_time_zone(ProductVariants::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductVariants::Table, ProductVariants::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_variants_product")
                .table(ProductVariants::Table)
                .col(ProductVariants::ProductId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Prices::Table)
                .col(string(Prices::Id).primary_key())
                .col(string(Prices::VariantId))
                .col(string(Prices::CurrencyCode))
                .col(big_integer(Prices::Amount))
                .foreign_key(
                    ForeignKey::create()
                        .from(Prices::Table, Prices::VariantId)
                        .to(ProductVariants::Table, ProductVariants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_prices_variant_currency")
                .table(Prices::Table)
                .col(Prices::VariantId)
                .col(Prices::CurrencyCode)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Carts::Table)
                .col(string(Carts::Id).primary_key())
                .col(string(Carts::CurrencyCode))
                .col(timestamp_with_time_zone(Carts::CreatedAt))
                .col(timestamp_with_time_zone(Carts::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CartLineItems::Table)
                .col(string(CartLineItems::Id).primary_key())
                .col(string(CartLineItems::CartId))
                .col(string(CartLineItems::VariantId))
                .col(string(CartLineItems::ProductId))
                .col(string(CartLineItems::Title))
                .col(string(CartLineItems::VariantTitle))
                .col(integer(CartLineItems::Quantity))
                .col(big_integer(CartLineItems::UnitPrice))
                .col(timestamp_with_time_zone(CartLineItems::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CartLineItems::Table, CartLineItems::CartId)
                        .to(Carts::Table, Carts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_cart_line_items_cart_variant")
                .table(CartLineItems::Table)
                .col(CartLineItems::CartId)
                .col(CartLineItems::VariantId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AdminUsers::Table)
                .col(string(AdminUsers::Id).primary_key())
                .col(string_uniq(AdminUsers::Email))
                .col(string(AdminUsers::PasswordHash))
                .col(timestamp_with_time_zone(AdminUsers::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(string(ApiKeys::Id).primary_key())
                .col(string_uniq(ApiKeys::Token))
                .col(string(ApiKeys::Title))
                .col(string(ApiKeys::Kind))
                .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Devices::Table)
                .col(string(Devices::Id).primary_key())
                .col(string(Devices::Name))
                .col(boolean(Devices::Online))
                .col(timestamp_with_time_zone_null(Devices::LastSeenAt))
                .col(string_null(Devices::Firmware))
                .col(timestamp_with_time_zone(Devices::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(WebSessions::Table)
                .col(string(WebSessions::Id).primary_key())
                .col(blob(WebSessions::Data))
                .col(timestamp_with_time_zone(WebSessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_web_sessions_expires")
                .table(WebSessions::Table)
                .col(WebSessions::ExpiresAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Handle,
    Title,
    Subtitle,
    Description,
    Thumbnail,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
    ProductId,
    Title,
    Sku,
    WeightGrams,
    Rank,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Prices {
    Table,
    Id,
    VariantId,
    CurrencyCode,
    Amount,
}

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    CurrencyCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartLineItems {
    Table,
    Id,
    CartId,
    VariantId,
    ProductId,
    Title,
    VariantTitle,
    Quantity,
    UnitPrice,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminUsers {
    Table,
    Id,
    Email,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Token,
    Title,
    Kind,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    Name,
    Online,
    LastSeenAt,
    Firmware,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}
