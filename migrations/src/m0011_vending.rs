//! Vending: hubs, lockers, scales and what is assigned to them, device
//! sessions with every message received, and commands sent to machines.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(VendingHubs::Table)
                .col(string(VendingHubs::Id).primary_key())
                .col(string(VendingHubs::Name))
                .col(timestamp_with_time_zone(VendingHubs::CreatedAt))
                .to_owned(),
        )
        .await?;
        // One column per ALTER: SQLite adds only one at a time.
        for column in [
            string_null(Devices::HubId),
            big_integer_null(Devices::PlanogramVersion),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(DeviceLockers::Table)
                .col(string(DeviceLockers::Id).primary_key())
                .col(string(DeviceLockers::DeviceId))
                .col(string(DeviceLockers::Label))
                .col(timestamp_with_time_zone(DeviceLockers::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceLockers::Table, DeviceLockers::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeviceScales::Table)
                .col(string(DeviceScales::Id).primary_key())
                .col(string(DeviceScales::DeviceId))
                .col(string_null(DeviceScales::LockerId))
                .col(integer(DeviceScales::Position))
                .col(integer(DeviceScales::NoiseGrams))
                .col(timestamp_with_time_zone(DeviceScales::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceScales::Table, DeviceScales::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_scales_position")
                .table(DeviceScales::Table)
                .col(DeviceScales::DeviceId)
                .col(DeviceScales::Position)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ScaleAssignments::Table)
                .col(string(ScaleAssignments::Id).primary_key())
                .col(string(ScaleAssignments::ScaleId))
                .col(string(ScaleAssignments::VariantId))
                .col(integer(ScaleAssignments::UnitWeightGrams))
                .col(integer(ScaleAssignments::MinWeightGrams))
                .col(integer(ScaleAssignments::MaxWeightGrams))
                .col(timestamp_with_time_zone(ScaleAssignments::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ScaleAssignments::Table, ScaleAssignments::ScaleId)
                        .to(DeviceScales::Table, DeviceScales::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_scale_assignments_variant")
                .table(ScaleAssignments::Table)
                .col(ScaleAssignments::ScaleId)
                .col(ScaleAssignments::VariantId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeviceSessions::Table)
                .col(string(DeviceSessions::Id).primary_key())
                .col(string(DeviceSessions::DeviceId))
                .col(string_null(DeviceSessions::HubId))
                .col(string_null(DeviceSessions::LockerId))
                .col(string(DeviceSessions::Mode))
                .col(string(DeviceSessions::Code))
                .col(string_null(DeviceSessions::CustomerId))
                .col(string(DeviceSessions::State))
                .col(string(DeviceSessions::CurrencyCode))
                .col(big_integer(DeviceSessions::HoldAmount))
                .col(string_null(DeviceSessions::PaymentCollectionId))
                .col(string_null(DeviceSessions::PaymentId))
                .col(string_null(DeviceSessions::OrderId))
                .col(big_integer(DeviceSessions::LastSeq))
                .col(string_null(DeviceSessions::FailureReason))
                .col(timestamp_with_time_zone(DeviceSessions::CreatedAt))
                .col(timestamp_with_time_zone(DeviceSessions::UpdatedAt))
                .col(timestamp_with_time_zone_null(DeviceSessions::DoorOpenedAt))
                .col(timestamp_with_time_zone_null(DeviceSessions::DoorClosedAt))
                .col(timestamp_with_time_zone_null(DeviceSessions::EndedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceSessions::Table, DeviceSessions::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_sessions_device_state")
                .table(DeviceSessions::Table)
                .col(DeviceSessions::DeviceId)
                .col(DeviceSessions::State)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeviceSessionEvents::Table)
                .col(string(DeviceSessionEvents::Id).primary_key())
                .col(string(DeviceSessionEvents::DeviceId))
                .col(string_null(DeviceSessionEvents::SessionId))
                .col(big_integer(DeviceSessionEvents::Seq))
                .col(string(DeviceSessionEvents::MessageId))
                .col(string(DeviceSessionEvents::Kind))
                .col(text(DeviceSessionEvents::Payload))
                .col(string_null(DeviceSessionEvents::Outcome))
                .col(timestamp_with_time_zone(DeviceSessionEvents::ReceivedAt))
                .to_owned(),
        )
        .await?;
        // A message delivered twice (QoS 1) is recorded, and acted on, once.
        m.create_index(
            Index::create()
                .name("idx_device_session_events_message")
                .table(DeviceSessionEvents::Table)
                .col(DeviceSessionEvents::DeviceId)
                .col(DeviceSessionEvents::MessageId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_device_session_events_session")
                .table(DeviceSessionEvents::Table)
                .col(DeviceSessionEvents::SessionId)
                .col(DeviceSessionEvents::ReceivedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeviceCommands::Table)
                .col(string(DeviceCommands::Id).primary_key())
                .col(string(DeviceCommands::DeviceId))
                .col(string_null(DeviceCommands::SessionId))
                .col(string(DeviceCommands::Kind))
                .col(text(DeviceCommands::Payload))
                .col(integer(DeviceCommands::Attempts))
                .col(timestamp_with_time_zone(DeviceCommands::CreatedAt))
                .col(timestamp_with_time_zone_null(DeviceCommands::AckedAt))
                .col(boolean_null(DeviceCommands::AckOk))
                .col(string_null(DeviceCommands::AckError))
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceCommands::Table, DeviceCommands::DeviceId)
                        .to(Devices::Table, Devices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum VendingHubs {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    HubId,
    PlanogramVersion,
}

#[derive(DeriveIden)]
enum DeviceLockers {
    Table,
    Id,
    DeviceId,
    Label,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeviceScales {
    Table,
    Id,
    DeviceId,
    LockerId,
    Position,
    NoiseGrams,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScaleAssignments {
    Table,
    Id,
    ScaleId,
    VariantId,
    UnitWeightGrams,
    MinWeightGrams,
    MaxWeightGrams,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeviceSessions {
    Table,
    Id,
    DeviceId,
    HubId,
    LockerId,
    Mode,
    Code,
    CustomerId,
    State,
    CurrencyCode,
    HoldAmount,
    PaymentCollectionId,
    PaymentId,
    OrderId,
    LastSeq,
    FailureReason,
    CreatedAt,
    UpdatedAt,
    DoorOpenedAt,
    DoorClosedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum DeviceSessionEvents {
    Table,
    Id,
    DeviceId,
    SessionId,
    Seq,
    MessageId,
    Kind,
    Payload,
    Outcome,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum DeviceCommands {
    Table,
    Id,
    DeviceId,
    SessionId,
    Kind,
    Payload,
    Attempts,
    CreatedAt,
    AckedAt,
    AckOk,
    AckError,
}
