//! Return reasons: why a shopper sends something back, chosen from the
//! store's list (Medusa's return reasons).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReturnReasons::Table)
                .col(string(ReturnReasons::Id).primary_key())
                .col(string_uniq(ReturnReasons::Value))
                .col(string(ReturnReasons::Label))
                .col(text_null(ReturnReasons::Description))
                .col(timestamp_with_time_zone(ReturnReasons::CreatedAt))
                .col(timestamp_with_time_zone(ReturnReasons::UpdatedAt))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum ReturnReasons {
    Table,
    Id,
    Value,
    Label,
    Description,
    CreatedAt,
    UpdatedAt,
}
