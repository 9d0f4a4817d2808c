//! The transactional outbox and its delivery records.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OutboxEvents::Table)
                .col(string(OutboxEvents::Id).primary_key())
                .col(string(OutboxEvents::Name))
                .col(text(OutboxEvents::Payload))
                .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                .col(timestamp_with_time_zone(OutboxEvents::AvailableAt))
                .col(integer(OutboxEvents::Attempts))
                .col(string_null(OutboxEvents::ClaimedBy))
                .col(timestamp_with_time_zone_null(OutboxEvents::ClaimedUntil))
                .col(timestamp_with_time_zone_null(OutboxEvents::ProcessedAt))
                .col(timestamp_with_time_zone_null(OutboxEvents::FailedAt))
                .col(text_null(OutboxEvents::LastError))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_events_due")
                .table(OutboxEvents::Table)
                .col(OutboxEvents::ProcessedAt)
                .col(OutboxEvents::AvailableAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EventDeliveries::Table)
                .col(string(EventDeliveries::EventId))
                .col(string(EventDeliveries::Subscriber))
                .col(timestamp_with_time_zone(EventDeliveries::DeliveredAt))
                .primary_key(
                    Index::create()
                        .col(EventDeliveries::EventId)
                        .col(EventDeliveries::Subscriber),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(EventDeliveries::Table, EventDeliveries::EventId)
                        .to(OutboxEvents::Table, OutboxEvents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    Name,
    Payload,
    CreatedAt,
    AvailableAt,
    Attempts,
    ClaimedBy,
    ClaimedUntil,
    ProcessedAt,
    FailedAt,
    LastError,
}

#[derive(DeriveIden)]
enum EventDeliveries {
    Table,
    EventId,
    Subscriber,
    DeliveredAt,
}
