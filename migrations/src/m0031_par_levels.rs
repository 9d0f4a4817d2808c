//! Par levels: how many of a product a machine should hold after a restock,
//! and the stock at which it is low (an alert, and a line on the pick list).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ParLevels::Table)
                .col(string(ParLevels::DeviceId))
                .col(string(ParLevels::VariantId))
                .col(integer(ParLevels::Par))
                .col(integer(ParLevels::LowAt))
                .col(timestamp_with_time_zone(ParLevels::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(ParLevels::DeviceId)
                        .col(ParLevels::VariantId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ParLevels::Table, ParLevels::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum ParLevels {
    Table,
    DeviceId,
    VariantId,
    Par,
    LowAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
}
