//! Password resets: single-use tokens a customer receives by email. Only a
//! hash of each token is kept, so a leaked table resets nobody's password.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PasswordResets::Table)
                .col(string(PasswordResets::TokenHash).primary_key())
                .col(string(PasswordResets::AuthIdentityId))
                .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PasswordResets::Table, PasswordResets::AuthIdentityId)
                        .to(AuthIdentities::Table, AuthIdentities::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    TokenHash,
    AuthIdentityId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthIdentities {
    Table,
    Id,
}
