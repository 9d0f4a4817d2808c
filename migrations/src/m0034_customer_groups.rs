//! Customer groups (VIP, staff, a company's people) and their members.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CustomerGroups::Table)
                .col(string(CustomerGroups::Id).primary_key())
                .col(string_uniq(CustomerGroups::Name))
                .col(timestamp_with_time_zone(CustomerGroups::CreatedAt))
                .col(timestamp_with_time_zone(CustomerGroups::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerGroupCustomers::Table)
                .col(string(CustomerGroupCustomers::CustomerGroupId))
                .col(string(CustomerGroupCustomers::CustomerId))
                .col(timestamp_with_time_zone(CustomerGroupCustomers::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CustomerGroupCustomers::CustomerGroupId)
                        .col(CustomerGroupCustomers::CustomerId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            CustomerGroupCustomers::Table,
                            CustomerGroupCustomers::CustomerGroupId,
                        )
                        .to(CustomerGroups::Table, CustomerGroups::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            CustomerGroupCustomers::Table,
                            CustomerGroupCustomers::CustomerId,
                        )
                        .to(Customers::Table, Customers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // A customer's groups (for promotion and price rules) by customer.
        m.create_index(
            Index::create()
                .name("customer_group_customers_customer")
                .table(CustomerGroupCustomers::Table)
                .col(CustomerGroupCustomers::CustomerId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum CustomerGroups {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerGroupCustomers {
    Table,
    CustomerGroupId,
    CustomerId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}
