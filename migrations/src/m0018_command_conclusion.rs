//! When the back end stopped waiting for a command's outcome: a planogram
//! the device never confirmed is given up on (and alerted) once, and one it
//! applied or refused is not looked at again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DeviceCommands::Table)
                .add_column(timestamp_with_time_zone_null(DeviceCommands::ConcludedAt))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum DeviceCommands {
    Table,
    ConcludedAt,
}
