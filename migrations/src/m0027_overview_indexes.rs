//! Indexes for the admin overview's aggregates and the CSV exports
//! (`domain::overview`): sessions counted and exported by creation time,
//! machine sales found from their orders, and revenue per currency and per
//! day summed from the index alone (every column the aggregates read is in
//! it, so PostgreSQL can answer with an index-only scan).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_device_sessions_created_at")
                .table(DeviceSessions::Table)
                .col(DeviceSessions::CreatedAt)
                .col(DeviceSessions::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_sessions_order")
                .table(DeviceSessions::Table)
                .col(DeviceSessions::OrderId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orders_created_currency_total_canceled")
                .table(Orders::Table)
                .col(Orders::CreatedAt)
                .col(Orders::CurrencyCode)
                .col(Orders::Total)
                .col(Orders::CanceledAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum DeviceSessions {
    Table,
    CreatedAt,
    Id,
    OrderId,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    CreatedAt,
    CurrencyCode,
    Total,
    CanceledAt,
}
