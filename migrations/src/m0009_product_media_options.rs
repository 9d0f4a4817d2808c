//! What the Admin API edits beyond the first catalog: variant barcodes,
//! product images, and product options (e.g. Size: S, M, L) whose values
//! each variant picks.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ProductVariants::Table)
                .add_column(string_null(ProductVariants::Barcode))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductImages::Table)
                .col(string(ProductImages::Id).primary_key())
                .col(string(ProductImages::ProductId))
                .col(text(ProductImages::Url))
                .col(integer(ProductImages::Rank))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductImages::Table, ProductImages::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_product_images_product")
                .table(ProductImages::Table)
                .col(ProductImages::ProductId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductOptions::Table)
                .col(string(ProductOptions::Id).primary_key())
                .col(string(ProductOptions::ProductId))
                .col(string(ProductOptions::Title))
                .col(integer(ProductOptions::Rank))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductOptions::Table, ProductOptions::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_product_options_product_title")
                .table(ProductOptions::Table)
                .col(ProductOptions::ProductId)
                .col(ProductOptions::Title)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductOptionValues::Table)
                .col(string(ProductOptionValues::Id).primary_key())
                .col(string(ProductOptionValues::OptionId))
                .col(string(ProductOptionValues::Value))
                .col(integer(ProductOptionValues::Rank))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductOptionValues::Table, ProductOptionValues::OptionId)
                        .to(ProductOptions::Table, ProductOptions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_product_option_values_option_value")
                .table(ProductOptionValues::Table)
                .col(ProductOptionValues::OptionId)
                .col(ProductOptionValues::Value)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(VariantOptionValues::Table)
                .col(string(VariantOptionValues::VariantId))
                .col(string(VariantOptionValues::OptionValueId))
                .primary_key(
                    Index::create()
                        .col(VariantOptionValues::VariantId)
                        .col(VariantOptionValues::OptionValueId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(VariantOptionValues::Table, VariantOptionValues::VariantId)
                        .to(ProductVariants::Table, ProductVariants::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            VariantOptionValues::Table,
                            VariantOptionValues::OptionValueId,
                        )
                        .to(ProductOptionValues::Table, ProductOptionValues::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
    Barcode,
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    Id,
    ProductId,
    Url,
    Rank,
}

#[derive(DeriveIden)]
enum ProductOptions {
    Table,
    Id,
    ProductId,
    Title,
    Rank,
}

#[derive(DeriveIden)]
enum ProductOptionValues {
    Table,
    Id,
    OptionId,
    Value,
    Rank,
}

#[derive(DeriveIden)]
enum VariantOptionValues {
    Table,
    VariantId,
    OptionValueId,
}
