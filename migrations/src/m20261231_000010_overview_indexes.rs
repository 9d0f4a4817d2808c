//! Indexes for the admin overview's aggregates and the CSV exports
//! (`domain::overview`): sessions counted and exported by creation time,
//! machine sales found from their orders, and revenue summed per currency
//! from the index alone (PostgreSQL answers an index-only scan).

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
                .name("idx_orders_created_currency_total")
                .table(Orders::Table)
                .col(Orders::CreatedAt)
                .col(Orders::CurrencyCode)
                .col(Orders::Total)
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
}
