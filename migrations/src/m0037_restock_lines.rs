//! What a service visit put into a machine and took out of it, per product
//! (the weight change booked at settlement), so each visit can be shown.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RestockLines::Table)
                .col(string(RestockLines::Id).primary_key())
                .col(string(RestockLines::DeviceSessionId))
                .col(string(RestockLines::VariantId))
                .col(string(RestockLines::Title))
                .col(integer(RestockLines::Units))
                .col(timestamp_with_time_zone(RestockLines::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RestockLines::Table, RestockLines::DeviceSessionId)
                        .to(DeviceSessions::Table, DeviceSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_restock_lines_session")
                .table(RestockLines::Table)
                .col(RestockLines::DeviceSessionId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum RestockLines {
    Table,
    Id,
    DeviceSessionId,
    VariantId,
    Title,
    Units,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeviceSessions {
    Table,
    Id,
}
