//! Fulfillments: an order whose goods left the store (vended, shipped) can no
//! longer be canceled. Orders are also listed newest first by admins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OrderFulfillments::Table)
                .col(string(OrderFulfillments::Id).primary_key())
                // The whole order is fulfilled at once: one fulfillment per order.
                .col(string_uniq(OrderFulfillments::OrderId))
                .col(timestamp_with_time_zone(OrderFulfillments::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrderFulfillments::Table, OrderFulfillments::OrderId)
                        .to(Orders::Table, Orders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orders_created_at")
                .table(Orders::Table)
                .col(Orders::CreatedAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum OrderFulfillments {
    Table,
    Id,
    OrderId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CreatedAt,
}
