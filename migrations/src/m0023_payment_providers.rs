//! Real payment providers (Stripe): the provider's id of each payment
//! session and payment (which its webhooks name), the provider events
//! handled already (each once), each customer's account at a provider (saved
//! cards), and the providers each region offers. Every existing region keeps
//! offering the built-in `pp_system_default`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for table in [
            PaymentSessions::Table.into_iden(),
            Payments::Table.into_iden(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(string_null(PaymentSessions::ProviderReference))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_payment_sessions_provider_reference")
                .table(PaymentSessions::Table)
                .col(PaymentSessions::ProviderReference)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payments_provider_reference")
                .table(Payments::Table)
                .col(PaymentSessions::ProviderReference)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentProviderEvents::Table)
                .col(string(PaymentProviderEvents::ProviderId))
                .col(string(PaymentProviderEvents::EventId))
                .col(string(PaymentProviderEvents::EventType))
                .col(timestamp_with_time_zone(PaymentProviderEvents::ReceivedAt))
                .primary_key(
                    Index::create()
                        .col(PaymentProviderEvents::ProviderId)
                        .col(PaymentProviderEvents::EventId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PaymentAccounts::Table)
                .col(string(PaymentAccounts::CustomerId))
                .col(string(PaymentAccounts::ProviderId))
                .col(string(PaymentAccounts::AccountId))
                .col(timestamp_with_time_zone(PaymentAccounts::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(PaymentAccounts::CustomerId)
                        .col(PaymentAccounts::ProviderId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RegionPaymentProviders::Table)
                .col(string(RegionPaymentProviders::RegionId))
                .col(string(RegionPaymentProviders::ProviderId))
                .primary_key(
                    Index::create()
                        .col(RegionPaymentProviders::RegionId)
                        .col(RegionPaymentProviders::ProviderId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RegionPaymentProviders::Table,
                            RegionPaymentProviders::RegionId,
                        )
                        .to(Regions::Table, Regions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute(
                Query::insert()
                    .into_table(RegionPaymentProviders::Table)
                    .columns([
                        RegionPaymentProviders::RegionId,
                        RegionPaymentProviders::ProviderId,
                    ])
                    .select_from(
                        Query::select()
                            .column(Regions::Id)
                            .expr(Expr::val("pp_system_default"))
                            .from(Regions::Table)
                            .to_owned(),
                    )
                    .map_err(|e| DbErr::Migration(e.to_string()))?,
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PaymentSessions {
    Table,
    ProviderReference,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
}

#[derive(DeriveIden)]
enum PaymentProviderEvents {
    Table,
    ProviderId,
    EventId,
    EventType,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum PaymentAccounts {
    Table,
    CustomerId,
    ProviderId,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RegionPaymentProviders {
    Table,
    RegionId,
    ProviderId,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
}
