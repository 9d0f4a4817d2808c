//! A linked membership remembers the member's points balance as the host
//! last reported it (on linking and after each finalized purchase), so the
//! account page can show it without calling the host.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds only one at a time.
        m.alter_table(
            Table::alter()
                .table(LoyaltyCustomers::Table)
                .add_column(big_integer_null(LoyaltyCustomers::PointsBalance))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(LoyaltyCustomers::Table)
                .add_column(timestamp_with_time_zone_null(
                    LoyaltyCustomers::BalanceSyncedAt,
                ))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LoyaltyCustomers {
    Table,
    PointsBalance,
    BalanceSyncedAt,
}
