//! Admin users' roles and invites. Every admin user that exists before roles
//! had every right, so each becomes an owner; an invited user gets the role
//! of their invite. An invite's token is kept only as its SHA-256 hash.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        m.alter_table(
            Table::alter()
                .table(AdminUsers::Table)
                .add_column(string(AdminUsers::Role).default("owner"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AdminUsers::Table)
                .add_column(string_null(AdminUsers::FirstName))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AdminUsers::Table)
                .add_column(string_null(AdminUsers::LastName))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AdminUsers::Table)
                .add_column(timestamp_with_time_zone_null(AdminUsers::DisabledAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AdminInvites::Table)
                .col(string(AdminInvites::Id).primary_key())
                .col(string(AdminInvites::Email))
                .col(string(AdminInvites::Role))
                .col(string_null(AdminInvites::TokenHash))
                .col(timestamp_with_time_zone(AdminInvites::ExpiresAt))
                .col(timestamp_with_time_zone_null(AdminInvites::AcceptedAt))
                .col(string_null(AdminInvites::InvitedBy))
                .col(timestamp_with_time_zone(AdminInvites::CreatedAt))
                .col(timestamp_with_time_zone(AdminInvites::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_admin_invites_token_hash")
                .table(AdminInvites::Table)
                .col(AdminInvites::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_admin_invites_email")
                .table(AdminInvites::Table)
                .col(AdminInvites::Email)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum AdminUsers {
    Table,
    Role,
    FirstName,
    LastName,
    DisabledAt,
}

#[derive(DeriveIden)]
enum AdminInvites {
    Table,
    Id,
    Email,
    Role,
    TokenHash,
    ExpiresAt,
    AcceptedAt,
    InvitedBy,
    CreatedAt,
    UpdatedAt,
}
