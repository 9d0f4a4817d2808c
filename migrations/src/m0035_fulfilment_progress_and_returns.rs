//! Where an order's goods went after they left the store: the location a
//! fulfilment was taken from, when it was shipped (with its tracking) and
//! when it was delivered or picked up. And returns: items a customer sends
//! back, with a reason, received into a location and refunded.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            string_null(OrderFulfillments::LocationId),
            timestamp_with_time_zone_null(OrderFulfillments::ShippedAt),
            timestamp_with_time_zone_null(OrderFulfillments::DeliveredAt),
            string_null(OrderFulfillments::TrackingNumber),
            text_null(OrderFulfillments::TrackingUrl),
        ] {
            m.alter_table(
                Table::alter()
                    .table(OrderFulfillments::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(Returns::Table)
                .col(string(Returns::Id).primary_key())
                .col(string(Returns::OrderId))
                .col(string(Returns::Status))
                .col(string_null(Returns::LocationId))
                .col(text_null(Returns::Note))
                .col(string_null(Returns::RequestedBy))
                .col(big_integer(Returns::RefundAmount).default(0))
                .col(timestamp_with_time_zone(Returns::CreatedAt))
                .col(timestamp_with_time_zone_null(Returns::ReceivedAt))
                .col(timestamp_with_time_zone_null(Returns::CanceledAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Returns::Table, Returns::OrderId)
                        .to(Orders::Table, Orders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("returns_order")
                .table(Returns::Table)
                .col(Returns::OrderId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("returns_created_at")
                .table(Returns::Table)
                .col(Returns::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReturnItems::Table)
                .col(string(ReturnItems::Id).primary_key())
                .col(string(ReturnItems::ReturnId))
                .col(string(ReturnItems::OrderItemId))
                .col(integer(ReturnItems::Quantity))
                .col(integer(ReturnItems::ReceivedQuantity).default(0))
                .col(string_null(ReturnItems::ReasonId))
                .col(text_null(ReturnItems::Note))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnItems::Table, ReturnItems::ReturnId)
                        .to(Returns::Table, Returns::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnItems::Table, ReturnItems::OrderItemId)
                        .to(OrderItems::Table, OrderItems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("return_items_return")
                .table(ReturnItems::Table)
                .col(ReturnItems::ReturnId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum OrderFulfillments {
    Table,
    LocationId,
    ShippedAt,
    DeliveredAt,
    TrackingNumber,
    TrackingUrl,
}

#[derive(DeriveIden)]
enum Returns {
    Table,
    Id,
    OrderId,
    Status,
    LocationId,
    Note,
    RequestedBy,
    RefundAmount,
    CreatedAt,
    ReceivedAt,
    CanceledAt,
}

#[derive(DeriveIden)]
enum ReturnItems {
    Table,
    Id,
    ReturnId,
    OrderItemId,
    Quantity,
    ReceivedQuantity,
    ReasonId,
    Note,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
}
