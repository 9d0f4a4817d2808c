//! Orders, and what carts need for checkout.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        for column in [
            string_null(Carts::Email),
            string_null(Carts::CustomerId),
            string_null(Carts::PaymentCollectionId),
            timestamp_with_time_zone_null(Carts::CompletedAt),
            timestamp_with_time_zone_null(Carts::CompletionClaimedUntil),
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
                .table(Orders::Table)
                .col(string(Orders::Id).primary_key())
                .col(string_uniq(Orders::CartId))
                .col(string_null(Orders::CustomerId))
                .col(string_null(Orders::Email))
                .col(string(Orders::CurrencyCode))
                .col(string(Orders::Status))
                .col(string_null(Orders::PaymentCollectionId))
                .col(big_integer(Orders::Subtotal))
                .col(big_integer(Orders::Total))
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone_null(Orders::CanceledAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orders_customer")
                .table(Orders::Table)
                .col(Orders::CustomerId)
                .col(Orders::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OrderItems::Table)
                .col(string(OrderItems::Id).primary_key())
                .col(string(OrderItems::OrderId))
                .col(string(OrderItems::VariantId))
                .col(string(OrderItems::ProductId))
                .col(string(OrderItems::Title))
                .col(string(OrderItems::VariantTitle))
                .col(integer(OrderItems::Quantity))
                .col(big_integer(OrderItems::UnitPrice))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrderItems::Table, OrderItems::OrderId)
                        .to(Orders::Table, Orders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_order_items_order")
                .table(OrderItems::Table)
                .col(OrderItems::OrderId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Carts {
    Table,
    Email,
    CustomerId,
    PaymentCollectionId,
    CompletedAt,
    CompletionClaimedUntil,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CartId,
    CustomerId,
    Email,
    CurrencyCode,
    Status,
    PaymentCollectionId,
    Subtotal,
    Total,
    CreatedAt,
    CanceledAt,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
    OrderId,
    VariantId,
    ProductId,
    Title,
    VariantTitle,
    Quantity,
    UnitPrice,
}
