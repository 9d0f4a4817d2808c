//! Campaigns (a window in time and a budget shared by their promotions), and
//! what a promotion needs beyond a code and a value: a status (draft, active,
//! inactive) instead of an on/off flag, whether carts get it without a code,
//! its campaign, and the currency a fixed amount is stated in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(string(Campaigns::Id).primary_key())
                .col(string(Campaigns::Name))
                .col(string_uniq(Campaigns::CampaignIdentifier))
                .col(text_null(Campaigns::Description))
                .col(timestamp_with_time_zone_null(Campaigns::StartsAt))
                .col(timestamp_with_time_zone_null(Campaigns::EndsAt))
                .col(string_null(Campaigns::BudgetType))
                .col(big_integer_null(Campaigns::BudgetLimit))
                .col(big_integer(Campaigns::BudgetUsed).default(0))
                .col(string_null(Campaigns::BudgetCurrencyCode))
                .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // SQLite alters one column per statement. No foreign key on the
        // campaign: SQLite cannot add one to a table; deleting a campaign
        // detaches its promotions in the same transaction instead.
        for column in [
            string(Promotions::Status).default("active").to_owned(),
            boolean(Promotions::IsAutomatic).default(false).to_owned(),
            string_null(Promotions::CampaignId),
            string_null(Promotions::CurrencyCode),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Promotions::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared("UPDATE promotions SET status = 'inactive' WHERE NOT is_active")
            .await?;
        m.alter_table(
            Table::alter()
                .table(Promotions::Table)
                .drop_column(Promotions::IsActive)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("promotions_automatic")
                .table(Promotions::Table)
                .col(Promotions::IsAutomatic)
                .col(Promotions::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("promotions_campaign")
                .table(Promotions::Table)
                .col(Promotions::CampaignId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Name,
    CampaignIdentifier,
    Description,
    StartsAt,
    EndsAt,
    BudgetType,
    BudgetLimit,
    BudgetUsed,
    BudgetCurrencyCode,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    IsActive,
    Status,
    IsAutomatic,
    CampaignId,
    CurrencyCode,
}
