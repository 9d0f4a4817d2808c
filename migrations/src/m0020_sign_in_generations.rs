//! Every account's sign-in generation: tokens and web sessions carry the one
//! they were issued under, and ending an account's sign-ins (sign out
//! everywhere, a new password) moves it on, so everything issued before is
//! refused.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuthIdentities::Table)
                .add_column(integer(AuthIdentities::SignInGeneration).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AdminUsers::Table)
                .add_column(integer(AdminUsers::SignInGeneration).default(0))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum AuthIdentities {
    Table,
    SignInGeneration,
}

#[derive(DeriveIden)]
enum AdminUsers {
    Table,
    SignInGeneration,
}
