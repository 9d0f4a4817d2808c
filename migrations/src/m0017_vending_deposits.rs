//! Container deposits: a product on a scale may carry a deposit and the
//! weight of its empty container; a return session credits the deposit of
//! every container recognized on the scales, one credit line per product.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            big_integer(ScaleAssignments::DepositAmount)
                .default(0)
                .to_owned(),
            integer_null(ScaleAssignments::ContainerWeightGrams),
        ] {
            m.alter_table(
                Table::alter()
                    .table(ScaleAssignments::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for column in [
            big_integer_null(DeviceSessions::CreditAmount),
            text_null(DeviceSessions::ReviewReason),
        ] {
            m.alter_table(
                Table::alter()
                    .table(DeviceSessions::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(DepositCredits::Table)
                .col(string(DepositCredits::Id).primary_key())
                .col(string(DepositCredits::SessionId))
                .col(string_null(DepositCredits::CustomerId))
                .col(string(DepositCredits::VariantId))
                .col(integer(DepositCredits::Quantity))
                .col(big_integer(DepositCredits::UnitDeposit))
                .col(big_integer(DepositCredits::Amount))
                .col(string(DepositCredits::CurrencyCode))
                .col(timestamp_with_time_zone(DepositCredits::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DepositCredits::Table, DepositCredits::SessionId)
                        .to(DeviceSessions::Table, DeviceSessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // One line per product per session: a second settlement cannot credit again.
        m.create_index(
            Index::create()
                .name("idx_deposit_credits_session_variant")
                .table(DepositCredits::Table)
                .col(DepositCredits::SessionId)
                .col(DepositCredits::VariantId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_deposit_credits_customer")
                .table(DepositCredits::Table)
                .col(DepositCredits::CustomerId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum ScaleAssignments {
    Table,
    DepositAmount,
    ContainerWeightGrams,
}

#[derive(DeriveIden)]
enum DeviceSessions {
    Table,
    Id,
    CreditAmount,
    ReviewReason,
}

#[derive(DeriveIden)]
enum DepositCredits {
    Table,
    Id,
    SessionId,
    CustomerId,
    VariantId,
    Quantity,
    UnitDeposit,
    Amount,
    CurrencyCode,
    CreatedAt,
}
