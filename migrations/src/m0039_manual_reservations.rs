//! Reservations an admin makes by hand (stock held for a phone order, a
//! display, an event) say why and who made them, and can be changed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        for column in [
            text_null(ReservationItems::Description),
            string_null(ReservationItems::CreatedBy),
            timestamp_with_time_zone_null(ReservationItems::UpdatedAt),
        ] {
            m.alter_table(
                Table::alter()
                    .table(ReservationItems::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ReservationItems {
    Table,
    Description,
    CreatedBy,
    UpdatedAt,
}
