//! Alerts raised about devices (offline, door open too long, failed sync,
//! unknown session), and the MQTT password each device signs in with.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alerts::Table)
                .col(string(Alerts::Id).primary_key())
                .col(string(Alerts::Kind))
                .col(string(Alerts::DeviceId))
                .col(text(Alerts::Message))
                .col(timestamp_with_time_zone(Alerts::RaisedAt))
                .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                .col(timestamp_with_time_zone_null(Alerts::AcknowledgedAt))
                .col(string_null(Alerts::AcknowledgedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alerts::Table, Alerts::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // At most one open alert per device and kind, even with two server
        // instances detecting the same condition at once. A partial index:
        // SQLite and PostgreSQL both have them, sea-query cannot say them.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_alerts_open ON alerts (device_id, kind) \
                 WHERE resolved_at IS NULL",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("idx_alerts_raised_at")
                .table(Alerts::Table)
                .col(Alerts::RaisedAt)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Devices::Table)
                .add_column(string_null(Devices::MqttPasswordHash))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Kind,
    DeviceId,
    Message,
    RaisedAt,
    ResolvedAt,
    AcknowledgedAt,
    AcknowledgedBy,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    MqttPasswordHash,
}
