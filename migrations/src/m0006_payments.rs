//! Payment collections, sessions and payments.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PaymentCollections::Table)
                .col(string(PaymentCollections::Id).primary_key())
                .col(string(PaymentCollections::CurrencyCode))
                .col(big_integer(PaymentCollections::Amount))
                .col(string(PaymentCollections::Status))
                .col(timestamp_with_time_zone(PaymentCollections::CreatedAt))
                .col(timestamp_with_time_zone(PaymentCollections::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentSessions::Table)
                .col(string(PaymentSessions::Id).primary_key())
                .col(string(PaymentSessions::PaymentCollectionId))
                .col(string(PaymentSessions::ProviderId))
                .col(big_integer(PaymentSessions::Amount))
                .col(string(PaymentSessions::CurrencyCode))
                .col(string(PaymentSessions::Status))
                .col(text(PaymentSessions::Data))
                .col(timestamp_with_time_zone(PaymentSessions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PaymentSessions::Table, PaymentSessions::PaymentCollectionId)
                        .to(PaymentCollections::Table, PaymentCollections::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(string(Payments::Id).primary_key())
                .col(string(Payments::PaymentCollectionId))
                .col(string_uniq(Payments::PaymentSessionId))
                .col(string(Payments::ProviderId))
                .col(big_integer(Payments::Amount))
                .col(string(Payments::CurrencyCode))
                .col(big_integer(Payments::CapturedAmount))
                .col(big_integer(Payments::RefundedAmount))
                .col(timestamp_with_time_zone_null(Payments::CanceledAt))
                .col(text(Payments::Data))
                .col(timestamp_with_time_zone(Payments::CreatedAt))
                .col(timestamp_with_time_zone(Payments::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Payments::Table, Payments::PaymentCollectionId)
                        .to(PaymentCollections::Table, PaymentCollections::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Payments::Table, Payments::PaymentSessionId)
                        .to(PaymentSessions::Table, PaymentSessions::Id),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PaymentCollections {
    Table,
    Id,
    CurrencyCode,
    Amount,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentSessions {
    Table,
    Id,
    PaymentCollectionId,
    ProviderId,
    Amount,
    CurrencyCode,
    Status,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    PaymentCollectionId,
    PaymentSessionId,
    ProviderId,
    Amount,
    CurrencyCode,
    CapturedAmount,
    RefundedAmount,
    CanceledAt,
    Data,
    CreatedAt,
    UpdatedAt,
}
