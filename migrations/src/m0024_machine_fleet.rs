//! Machines an operator adds by hand: where each stands (a street address and
//! a geo position in microdegrees, integers so both databases compare them
//! exactly) and when it was decommissioned (kept, with its history, but
//! opened no more).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            text_null(Devices::Address),
            integer_null(Devices::LatitudeMicrodeg),
            integer_null(Devices::LongitudeMicrodeg),
            timestamp_with_time_zone_null(Devices::DecommissionedAt),
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
    Address,
    LatitudeMicrodeg,
    LongitudeMicrodeg,
    DecommissionedAt,
}
