//! Carts with a region, a sales channel, addresses and a tip; shipping options
//! and the cart's shipping method; promotions; order totals.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        for column in [
            string_null(Carts::RegionId),
            string_null(Carts::SalesChannelId),
            text_null(Carts::ShippingAddress),
            text_null(Carts::BillingAddress),
            text_null(Carts::Metadata),
            big_integer(Carts::Tip).default(0).to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Carts::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ShippingOptions::Table)
                .col(string(ShippingOptions::Id).primary_key())
                .col(string(ShippingOptions::Name))
                .col(string(ShippingOptions::RegionId))
                .col(big_integer(ShippingOptions::Amount))
                .col(string_null(ShippingOptions::StockLocationId))
                .col(timestamp_with_time_zone(ShippingOptions::CreatedAt))
                .col(timestamp_with_time_zone(ShippingOptions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_shipping_options_region")
                .table(ShippingOptions::Table)
                .col(ShippingOptions::RegionId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CartShippingMethods::Table)
                .col(string(CartShippingMethods::Id).primary_key())
                // One method per cart: choosing again replaces it.
                .col(string_uniq(CartShippingMethods::CartId))
                .col(string(CartShippingMethods::ShippingOptionId))
                .col(string(CartShippingMethods::Name))
                .col(big_integer(CartShippingMethods::Amount))
                .col(timestamp_with_time_zone(CartShippingMethods::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CartShippingMethods::Table, CartShippingMethods::CartId)
                        .to(Carts::Table, Carts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Promotions::Table)
                .col(string(Promotions::Id).primary_key())
                .col(string_uniq(Promotions::Code))
                .col(boolean(Promotions::IsActive))
                .col(string(Promotions::ValueType))
                .col(big_integer(Promotions::Value))
                .col(string(Promotions::TargetType))
                .col(integer_null(Promotions::UsageLimit))
                .col(integer(Promotions::UsedCount).default(0))
                .col(timestamp_with_time_zone(Promotions::CreatedAt))
                .col(timestamp_with_time_zone(Promotions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CartPromotions::Table)
                .col(string(CartPromotions::CartId))
                .col(string(CartPromotions::PromotionId))
                .col(timestamp_with_time_zone(CartPromotions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CartPromotions::CartId)
                        .col(CartPromotions::PromotionId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CartPromotions::Table, CartPromotions::CartId)
                        .to(Carts::Table, Carts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CartPromotions::Table, CartPromotions::PromotionId)
                        .to(Promotions::Table, Promotions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for column in [
            string_null(Orders::RegionId),
            string_null(Orders::SalesChannelId),
            string_null(Orders::ShippingOptionId),
            string_null(Orders::ShippingMethodName),
            text_null(Orders::ShippingAddress),
            text_null(Orders::BillingAddress),
            text_null(Orders::PromoCodes),
            boolean(Orders::IsTaxInclusive).default(false).to_owned(),
            big_integer(Orders::ItemSubtotal).default(0).to_owned(),
            big_integer(Orders::ItemTaxTotal).default(0).to_owned(),
            big_integer(Orders::ItemTotal).default(0).to_owned(),
            big_integer(Orders::ShippingSubtotal).default(0).to_owned(),
            big_integer(Orders::ShippingTaxTotal).default(0).to_owned(),
            big_integer(Orders::ShippingTotal).default(0).to_owned(),
            big_integer(Orders::DiscountTotal).default(0).to_owned(),
            big_integer(Orders::DiscountTaxTotal).default(0).to_owned(),
            big_integer(Orders::TaxTotal).default(0).to_owned(),
            big_integer(Orders::Tip).default(0).to_owned(),
            big_integer(Orders::OriginalTotal).default(0).to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for column in [
            big_integer(OrderItems::Subtotal).default(0).to_owned(),
            big_integer(OrderItems::DiscountTotal).default(0).to_owned(),
            big_integer(OrderItems::TaxTotal).default(0).to_owned(),
            big_integer(OrderItems::Total).default(0).to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(OrderItems::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    RegionId,
    SalesChannelId,
    ShippingAddress,
    BillingAddress,
    Metadata,
    Tip,
}

#[derive(DeriveIden)]
enum ShippingOptions {
    Table,
    Id,
    Name,
    RegionId,
    Amount,
    StockLocationId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartShippingMethods {
    Table,
    Id,
    CartId,
    ShippingOptionId,
    Name,
    Amount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    Id,
    Code,
    IsActive,
    ValueType,
    Value,
    TargetType,
    UsageLimit,
    UsedCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartPromotions {
    Table,
    CartId,
    PromotionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    RegionId,
    SalesChannelId,
    ShippingOptionId,
    ShippingMethodName,
    ShippingAddress,
    BillingAddress,
    PromoCodes,
    IsTaxInclusive,
    ItemSubtotal,
    ItemTaxTotal,
    ItemTotal,
    ShippingSubtotal,
    ShippingTaxTotal,
    ShippingTotal,
    DiscountTotal,
    DiscountTaxTotal,
    TaxTotal,
    Tip,
    OriginalTotal,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Subtotal,
    DiscountTotal,
    TaxTotal,
    Total,
}
