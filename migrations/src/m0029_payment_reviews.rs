//! The admin side of payments: who asked for a capture or refund and why
//! (`payment_operations.note`, `.admin_user_id`), and the review list of
//! payments an operator has to look at (a capture refused after the sale),
//! with every action taken on each; and a region's choice to capture
//! online payments at once instead of on fulfilment (`regions.automatic_capture`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(PaymentOperations::Table)
                .add_column(text_null(PaymentOperations::Note))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PaymentOperations::Table)
                .add_column(string_null(PaymentOperations::AdminUserId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Regions::Table)
                .add_column(boolean(Regions::AutomaticCapture).default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentReviews::Table)
                .col(string(PaymentReviews::Id).primary_key())
                .col(string(PaymentReviews::Reason))
                .col(string(PaymentReviews::PaymentId))
                .col(string_null(PaymentReviews::OperationId))
                .col(string_null(PaymentReviews::DeviceSessionId))
                .col(string_null(PaymentReviews::OrderId))
                .col(big_integer(PaymentReviews::Amount))
                .col(string(PaymentReviews::CurrencyCode))
                .col(text(PaymentReviews::Detail))
                .col(timestamp_with_time_zone(PaymentReviews::CreatedAt))
                .col(timestamp_with_time_zone_null(PaymentReviews::ResolvedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PaymentReviews::Table, PaymentReviews::PaymentId)
                        .to(Payments::Table, Payments::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The list shows open items, newest first.
        m.create_index(
            Index::create()
                .name("idx_payment_reviews_open")
                .table(PaymentReviews::Table)
                .col(PaymentReviews::ResolvedAt)
                .col(PaymentReviews::CreatedAt)
                .to_owned(),
        )
        .await?;
        // The same refused operation is reviewed once.
        m.create_index(
            Index::create()
                .name("idx_payment_reviews_operation")
                .table(PaymentReviews::Table)
                .col(PaymentReviews::OperationId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentReviewActions::Table)
                .col(string(PaymentReviewActions::Id).primary_key())
                .col(string(PaymentReviewActions::ReviewId))
                .col(string(PaymentReviewActions::Action))
                .col(string(PaymentReviewActions::AdminUserId))
                .col(text_null(PaymentReviewActions::Note))
                .col(text(PaymentReviewActions::Outcome))
                .col(timestamp_with_time_zone(PaymentReviewActions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PaymentReviewActions::Table, PaymentReviewActions::ReviewId)
                        .to(PaymentReviews::Table, PaymentReviews::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_review_actions_review")
                .table(PaymentReviewActions::Table)
                .col(PaymentReviewActions::ReviewId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PaymentOperations {
    Table,
    Note,
    AdminUserId,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    AutomaticCapture,
}

#[derive(DeriveIden)]
enum PaymentReviews {
    Table,
    Id,
    Reason,
    PaymentId,
    OperationId,
    DeviceSessionId,
    OrderId,
    Amount,
    CurrencyCode,
    Detail,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum PaymentReviewActions {
    Table,
    Id,
    ReviewId,
    Action,
    AdminUserId,
    Note,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}
