//! A machine's latest unasked scale report, kept on the device row: a fleet
//! reports its scales many times a second, and appending every report to the
//! session event log grew it by gigabytes a day for nothing a session needs.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            text_null(Devices::ScaleWeights),
            big_integer_null(Devices::ScaleWeightsSeq),
            timestamp_with_time_zone_null(Devices::ScaleWeightsAt),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    ScaleWeights,
    ScaleWeightsSeq,
    ScaleWeightsAt,
}
