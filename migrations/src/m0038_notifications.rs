//! Every message the store sends (emails, alert posts), kept for the
//! admin's notifications feed: what went out, what failed and why.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(string(Notifications::Id).primary_key())
                .col(string(Notifications::Channel))
                .col(text(Notifications::Recipient))
                .col(string(Notifications::Template))
                .col(string(Notifications::TriggerType))
                .col(text(Notifications::Subject))
                .col(text(Notifications::BodyText))
                .col(text_null(Notifications::BodyHtml))
                .col(boolean(Notifications::Resendable))
                .col(string_null(Notifications::ResourceType))
                .col(string_null(Notifications::ResourceId))
                .col(string(Notifications::ProviderId))
                .col(string(Notifications::Status))
                .col(integer(Notifications::Attempts).default(0))
                .col(text_null(Notifications::LastError))
                // The delivery that caused it: its retries update this row.
                .col(string_null(Notifications::IdempotencyKey).unique_key())
                .col(string_null(Notifications::OriginalNotificationId))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone(Notifications::UpdatedAt))
                .col(timestamp_with_time_zone_null(Notifications::SentAt))
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("idx_notifications_created", Notifications::CreatedAt),
            ("idx_notifications_status", Notifications::Status),
            ("idx_notifications_resource", Notifications::ResourceId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Notifications::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    Channel,
    Recipient,
    Template,
    TriggerType,
    Subject,
    BodyText,
    BodyHtml,
    Resendable,
    ResourceType,
    ResourceId,
    ProviderId,
    Status,
    Attempts,
    LastError,
    IdempotencyKey,
    OriginalNotificationId,
    CreatedAt,
    UpdatedAt,
    SentAt,
}
