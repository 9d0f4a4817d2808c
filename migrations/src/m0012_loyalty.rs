//! Loyalty: per-store host configuration, sessions (one per cart), the
//! rewards a session was offered, and customers' linked memberships.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(StoreLoyaltyConfigs::Table)
                .col(string(StoreLoyaltyConfigs::StoreId).primary_key())
                .col(boolean(StoreLoyaltyConfigs::Enabled))
                .col(string(StoreLoyaltyConfigs::Provider))
                .col(string(StoreLoyaltyConfigs::BaseUrl))
                .col(string(StoreLoyaltyConfigs::ClientId))
                .col(text(StoreLoyaltyConfigs::ClientSecretEncrypted))
                .col(string_null(StoreLoyaltyConfigs::ParticipantId))
                .col(string_null(StoreLoyaltyConfigs::SiteId))
                .col(timestamp_with_time_zone(StoreLoyaltyConfigs::CreatedAt))
                .col(timestamp_with_time_zone(StoreLoyaltyConfigs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoyaltySessions::Table)
                .col(string(LoyaltySessions::Id).primary_key())
                .col(string(LoyaltySessions::StoreId))
                .col(string_uniq(LoyaltySessions::CartId))
                .col(string_uniq(LoyaltySessions::PosSequenceId))
                .col(string(LoyaltySessions::Status))
                .col(string(LoyaltySessions::Phone))
                .col(string(LoyaltySessions::MemberId))
                .col(big_integer(LoyaltySessions::PointsBalance))
                .col(text(LoyaltySessions::Rewards))
                .col(string_null(LoyaltySessions::OrderId))
                .col(string_null(LoyaltySessions::HostTransactionId))
                .col(big_integer_null(LoyaltySessions::PointsEarned))
                .col(text_null(LoyaltySessions::LastError))
                .col(timestamp_with_time_zone(LoyaltySessions::CreatedAt))
                .col(timestamp_with_time_zone(LoyaltySessions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_loyalty_sessions_status")
                .table(LoyaltySessions::Table)
                .col(LoyaltySessions::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoyaltyRewards::Table)
                .col(string(LoyaltyRewards::Id).primary_key())
                .col(string(LoyaltyRewards::SessionId))
                .col(string(LoyaltyRewards::RewardId))
                .col(string(LoyaltyRewards::RewardType))
                .col(text(LoyaltyRewards::Description))
                .col(big_integer(LoyaltyRewards::DiscountAmount))
                .col(string_null(LoyaltyRewards::LineItemId))
                .col(big_integer_null(LoyaltyRewards::PointsMultiplier))
                .col(big_integer(LoyaltyRewards::PointsCost))
                .col(boolean(LoyaltyRewards::Instant))
                .col(boolean(LoyaltyRewards::Applied))
                .foreign_key(
                    ForeignKey::create()
                        .from(LoyaltyRewards::Table, LoyaltyRewards::SessionId)
                        .to(LoyaltySessions::Table, LoyaltySessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // A reward is offered once per session, so it can be applied only once.
        m.create_index(
            Index::create()
                .name("idx_loyalty_rewards_session_reward")
                .table(LoyaltyRewards::Table)
                .col(LoyaltyRewards::SessionId)
                .col(LoyaltyRewards::RewardId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoyaltyCustomers::Table)
                .col(string(LoyaltyCustomers::Id).primary_key())
                .col(string_uniq(LoyaltyCustomers::CustomerId))
                .col(string(LoyaltyCustomers::MembershipId))
                .col(string(LoyaltyCustomers::Phone))
                .col(timestamp_with_time_zone(LoyaltyCustomers::LinkedAt))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum StoreLoyaltyConfigs {
    Table,
    StoreId,
    Enabled,
    Provider,
    BaseUrl,
    ClientId,
    ClientSecretEncrypted,
    ParticipantId,
    SiteId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltySessions {
    Table,
    Id,
    StoreId,
    CartId,
    PosSequenceId,
    Status,
    Phone,
    MemberId,
    PointsBalance,
    Rewards,
    OrderId,
    HostTransactionId,
    PointsEarned,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LoyaltyRewards {
    Table,
    Id,
    SessionId,
    RewardId,
    RewardType,
    Description,
    DiscountAmount,
    LineItemId,
    PointsMultiplier,
    PointsCost,
    Instant,
    Applied,
}

#[derive(DeriveIden)]
enum LoyaltyCustomers {
    Table,
    Id,
    CustomerId,
    MembershipId,
    Phone,
    LinkedAt,
}
