//! Uploaded files (product images): where each is stored, its public URL
//! and the smaller renditions made from it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Files::Table)
                .col(string(Files::Id).primary_key())
                .col(string_uniq(Files::Key))
                .col(string(Files::Url))
                .col(string(Files::OriginalName))
                .col(string(Files::ContentType))
                .col(big_integer(Files::SizeBytes))
                .col(integer(Files::Width))
                .col(integer(Files::Height))
                // [{"width": 480, "key": "...", "url": "..."}], narrowest first.
                .col(text(Files::Renditions))
                .col(timestamp_with_time_zone(Files::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_files_url")
                .table(Files::Table)
                .col(Files::Url)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    Key,
    Url,
    OriginalName,
    ContentType,
    SizeBytes,
    Width,
    Height,
    Renditions,
    CreatedAt,
}
