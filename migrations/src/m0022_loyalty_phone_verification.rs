//! Loyalty points belong to their member: one-time codes sent by SMS prove a
//! phone (only a keyed hash of each code is kept), a cart's session
//! remembers when its phone was proved, and a customer's linked membership
//! when it was (links made before, unproved, count for earning only).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoyaltyPhoneCodes::Table)
                .col(string(LoyaltyPhoneCodes::Id).primary_key())
                .col(string(LoyaltyPhoneCodes::Phone))
                .col(string(LoyaltyPhoneCodes::PhoneKey))
                .col(string_null(LoyaltyPhoneCodes::CartId))
                .col(string_null(LoyaltyPhoneCodes::CustomerId))
                .col(string(LoyaltyPhoneCodes::CodeHash))
                .col(integer(LoyaltyPhoneCodes::Attempts).default(0))
                .col(timestamp_with_time_zone(LoyaltyPhoneCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(LoyaltyPhoneCodes::UsedAt))
                .col(timestamp_with_time_zone(LoyaltyPhoneCodes::CreatedAt))
                .to_owned(),
        )
        .await?;
        // The resend throttle counts a phone's recent codes; a check finds
        // the newest code of a cart or of a customer.
        for (name, column) in [
            (
                "idx_loyalty_phone_codes_phone_key",
                LoyaltyPhoneCodes::PhoneKey,
            ),
            ("idx_loyalty_phone_codes_cart_id", LoyaltyPhoneCodes::CartId),
            (
                "idx_loyalty_phone_codes_customer_id",
                LoyaltyPhoneCodes::CustomerId,
            ),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(LoyaltyPhoneCodes::Table)
                    .col(column)
                    .col(LoyaltyPhoneCodes::CreatedAt)
                    .to_owned(),
            )
            .await?;
        }
        // One column per statement: SQLite adds only one at a time.
        m.alter_table(
            Table::alter()
                .table(LoyaltySessions::Table)
                .add_column(timestamp_with_time_zone_null(
                    LoyaltySessions::PhoneVerifiedAt,
                ))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(LoyaltyCustomers::Table)
                .add_column(timestamp_with_time_zone_null(LoyaltyCustomers::VerifiedAt))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LoyaltyPhoneCodes {
    Table,
    Id,
    Phone,
    PhoneKey,
    CartId,
    CustomerId,
    CodeHash,
    Attempts,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoyaltySessions {
    Table,
    PhoneVerifiedAt,
}

#[derive(DeriveIden)]
enum LoyaltyCustomers {
    Table,
    VerifiedAt,
}
