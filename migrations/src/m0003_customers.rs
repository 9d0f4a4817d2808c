//! Customers, their addresses, email+password auth identities, and a
//! key/value table for server settings kept in the database (the JWT secret).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(string(Customers::Id).primary_key())
                .col(string(Customers::Email))
                .col(string_null(Customers::FirstName))
                .col(string_null(Customers::LastName))
                .col(string_null(Customers::Phone))
                .col(string_null(Customers::CompanyName))
                .col(boolean(Customers::HasAccount))
                .col(timestamp_with_time_zone(Customers::CreatedAt))
                .col(timestamp_with_time_zone(Customers::UpdatedAt))
                .col(timestamp_with_time_zone_null(Customers::DeletedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customers_email")
                .table(Customers::Table)
                .col(Customers::Email)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CustomerAddresses::Table)
                .col(string(CustomerAddresses::Id).primary_key())
                .col(string(CustomerAddresses::CustomerId))
                .col(string_null(CustomerAddresses::AddressName))
                .col(string_null(CustomerAddresses::FirstName))
                .col(string_null(CustomerAddresses::LastName))
                .col(string_null(CustomerAddresses::Company))
                .col(string_null(CustomerAddresses::Address1))
                .col(string_null(CustomerAddresses::Address2))
                .col(string_null(CustomerAddresses::City))
                .col(string_null(CustomerAddresses::CountryCode))
                .col(string_null(CustomerAddresses::Province))
                .col(string_null(CustomerAddresses::PostalCode))
                .col(string_null(CustomerAddresses::Phone))
                .col(boolean(CustomerAddresses::IsDefaultShipping))
                .col(boolean(CustomerAddresses::IsDefaultBilling))
                .col(json_null(CustomerAddresses::Metadata))
                .col(timestamp_with_time_zone(CustomerAddresses::CreatedAt))
                .col(timestamp_with_time_zone(CustomerAddresses::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CustomerAddresses::Table, CustomerAddresses::CustomerId)
                        .to(Customers::Table, Customers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customer_addresses_customer")
                .table(CustomerAddresses::Table)
                .col(CustomerAddresses::CustomerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthIdentities::Table)
                .col(string(AuthIdentities::Id).primary_key())
                .col(string(AuthIdentities::ActorType))
                .col(string(AuthIdentities::Email))
                .col(string(AuthIdentities::PasswordHash))
                .col(string_null(AuthIdentities::CustomerId))
                .col(timestamp_with_time_zone(AuthIdentities::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuthIdentities::Table, AuthIdentities::CustomerId)
                        .to(Customers::Table, Customers::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_auth_identities_actor_email")
                .table(AuthIdentities::Table)
                .col(AuthIdentities::ActorType)
                .col(AuthIdentities::Email)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ServerSettings::Table)
                .col(string(ServerSettings::Key).primary_key())
                .col(text(ServerSettings::Value))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Email,
    FirstName,
    LastName,
    Phone,
    CompanyName,
    HasAccount,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum CustomerAddresses {
    Table,
    Id,
    CustomerId,
    AddressName,
    FirstName,
    LastName,
    Company,
    #[sea_orm(iden = "address_1")]
    Address1,
    #[sea_orm(iden = "address_2")]
    Address2,
    City,
    CountryCode,
    Province,
    PostalCode,
    Phone,
    IsDefaultShipping,
    IsDefaultBilling,
    Metadata,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuthIdentities {
    Table,
    Id,
    ActorType,
    Email,
    PasswordHash,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServerSettings {
    Table,
    Key,
    Value,
}
