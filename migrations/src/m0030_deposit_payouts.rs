//! Deposit credits paid out to the shopper's card: each payout is a refund
//! of one of their earlier machine payments (`deposit_payouts`), and what
//! is paid out is no longer credit.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DepositPayouts::Table)
                .col(string(DepositPayouts::Id).primary_key())
                .col(string(DepositPayouts::CustomerId))
                .col(big_integer(DepositPayouts::Amount))
                .col(string(DepositPayouts::CurrencyCode))
                .col(string(DepositPayouts::PaymentId))
                .col(string(DepositPayouts::OperationId))
                .col(timestamp_with_time_zone(DepositPayouts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DepositPayouts::Table, DepositPayouts::PaymentId)
                        .to(Payments::Table, Payments::Id),
                )
                .to_owned(),
        )
        .await?;
        // A shopper's balance is their credits less their payouts.
        m.create_index(
            Index::create()
                .name("idx_deposit_payouts_customer")
                .table(DepositPayouts::Table)
                .col(DepositPayouts::CustomerId)
                .col(DepositPayouts::CurrencyCode)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum DepositPayouts {
    Table,
    Id,
    CustomerId,
    Amount,
    CurrencyCode,
    PaymentId,
    OperationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}
