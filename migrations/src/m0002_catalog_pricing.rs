//! Regions (currency, tax rate, countries); product categories (a tree),
//! collections and tags, with their links to products.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Regions::Table)
                .col(string(Regions::Id).primary_key())
                .col(string(Regions::Name))
                .col(string(Regions::CurrencyCode))
                .col(integer(Regions::TaxRateBasisPoints))
                .col(boolean(Regions::TaxInclusive))
                .col(timestamp_with_time_zone(Regions::CreatedAt))
                .col(timestamp_with_time_zone(Regions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RegionCountries::Table)
                .col(string(RegionCountries::Iso2).primary_key())
                .col(string(RegionCountries::RegionId))
                .foreign_key(
                    ForeignKey::create()
                        .from(RegionCountries::Table, RegionCountries::RegionId)
                        .to(Regions::Table, Regions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_region_countries_region")
                .table(RegionCountries::Table)
                .col(RegionCountries::RegionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductCategories::Table)
                .col(string(ProductCategories::Id).primary_key())
                .col(string(ProductCategories::Name))
                .col(text_null(ProductCategories::Description))
                .col(string_uniq(ProductCategories::Handle))
                .col(string_null(ProductCategories::ParentCategoryId))
                .col(integer(ProductCategories::Rank))
                .col(boolean(ProductCategories::IsActive))
                .col(boolean(ProductCategories::IsInternal))
                .col(timestamp_with_time_zone(ProductCategories::CreatedAt))
                .col(timestamp_with_time_zone(ProductCategories::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ProductCategories::Table,
                            ProductCategories::ParentCategoryId,
                        )
                        .to(ProductCategories::Table, ProductCategories::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_product_categories_parent")
                .table(ProductCategories::Table)
                .col(ProductCategories::ParentCategoryId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductCollections::Table)
                .col(string(ProductCollections::Id).primary_key())
                .col(string(ProductCollections::Title))
                .col(string_uniq(ProductCollections::Handle))
                .col(timestamp_with_time_zone(ProductCollections::CreatedAt))
                .col(timestamp_with_time_zone(ProductCollections::UpdatedAt))
                .to_owned(),
        )
        .await?;
        // SQLite cannot add a foreign key to an existing table; the catalog
        // module checks the collection exists before linking it.
        m.alter_table(
            Table::alter()
                .table(Products::Table)
                .add_column(string_null(Products::CollectionId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_products_collection")
                .table(Products::Table)
                .col(Products::CollectionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductTags::Table)
                .col(string(ProductTags::Id).primary_key())
                .col(string_uniq(ProductTags::Value))
                .col(timestamp_with_time_zone(ProductTags::CreatedAt))
                .col(timestamp_with_time_zone(ProductTags::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductCategoryLinks::Table)
                .col(string(ProductCategoryLinks::ProductId))
                .col(string(ProductCategoryLinks::CategoryId))
                .primary_key(
                    Index::create()
                        .col(ProductCategoryLinks::ProductId)
                        .col(ProductCategoryLinks::CategoryId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductCategoryLinks::Table, ProductCategoryLinks::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            ProductCategoryLinks::Table,
                            ProductCategoryLinks::CategoryId,
                        )
                        .to(ProductCategories::Table, ProductCategories::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_product_category_links_category")
                .table(ProductCategoryLinks::Table)
                .col(ProductCategoryLinks::CategoryId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductTagLinks::Table)
                .col(string(ProductTagLinks::ProductId))
                .col(string(ProductTagLinks::TagId))
                .primary_key(
                    Index::create()
                        .col(ProductTagLinks::ProductId)
                        .col(ProductTagLinks::TagId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductTagLinks::Table, ProductTagLinks::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductTagLinks::Table, ProductTagLinks::TagId)
                        .to(ProductTags::Table, ProductTags::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
    Name,
    CurrencyCode,
    TaxRateBasisPoints,
    TaxInclusive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RegionCountries {
    Table,
    Iso2,
    RegionId,
}

#[derive(DeriveIden)]
enum ProductCategories {
    Table,
    Id,
    Name,
    Description,
    Handle,
    ParentCategoryId,
    Rank,
    IsActive,
    IsInternal,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductCollections {
    Table,
    Id,
    Title,
    Handle,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    CollectionId,
}

#[derive(DeriveIden)]
enum ProductTags {
    Table,
    Id,
    Value,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductCategoryLinks {
    Table,
    ProductId,
    CategoryId,
}

#[derive(DeriveIden)]
enum ProductTagLinks {
    Table,
    ProductId,
    TagId,
}
