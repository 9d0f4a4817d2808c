//! Payment operations (capture, refund, release) recorded before the
//! provider is asked, so that no provider call runs inside a database write
//! transaction and one cut short by a crash is finished on restart with
//! the same idempotency key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PaymentOperations::Table)
                .col(string(PaymentOperations::Id).primary_key())
                .col(string(PaymentOperations::PaymentId))
                .col(string(PaymentOperations::Kind))
                .col(big_integer(PaymentOperations::Amount))
                .col(string_uniq(PaymentOperations::IdempotencyKey))
                .col(string(PaymentOperations::Status))
                .col(string_null(PaymentOperations::DeviceSessionId))
                .col(integer(PaymentOperations::Attempts).default(0))
                .col(text_null(PaymentOperations::LastError))
                .col(timestamp_with_time_zone(PaymentOperations::NextAttemptAt))
                .col(timestamp_with_time_zone(PaymentOperations::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    PaymentOperations::CompletedAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(PaymentOperations::Table, PaymentOperations::PaymentId)
                        .to(Payments::Table, Payments::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_operations_due")
                .table(PaymentOperations::Table)
                .col(PaymentOperations::Status)
                .col(PaymentOperations::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_operations_payment")
                .table(PaymentOperations::Table)
                .col(PaymentOperations::PaymentId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PaymentOperations {
    Table,
    Id,
    PaymentId,
    Kind,
    Amount,
    IdempotencyKey,
    Status,
    DeviceSessionId,
    Attempts,
    LastError,
    NextAttemptAt,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}
