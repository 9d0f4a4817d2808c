//! Schema migrations, portable across SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseConnection;

mod m0001_initial;
mod m0002_catalog_pricing;
mod m0003_customers;
mod m0004_channels_inventory;
mod m0005_events;
mod m0006_payments;
mod m0007_orders;
mod m0008_cart_checkout;
mod m0009_product_media_options;
mod m0010_order_fulfillments;
mod m0011_vending;
mod m0012_loyalty;
mod m0013_loyalty_member_balance;
mod m0014_idempotency_keys;
mod m0015_password_resets;
mod m0016_alerts_device_credentials;
mod m0017_vending_deposits;
mod m0018_command_conclusion;
mod m0019_device_scale_weights;
mod m0020_sign_in_generations;
mod m0021_password_reset_ids;
mod m0022_loyalty_phone_verification;
mod m0023_payment_providers;
mod m0024_machine_fleet;
mod m0025_payment_operations;
mod m0026_order_alerts;
mod m0027_overview_indexes;
mod m0028_admin_roles_invites;
mod m0029_payment_reviews;
mod m0030_deposit_payouts;
mod m0031_par_levels;
mod m0032_promotion_campaigns;
mod m0033_return_reasons;
mod m0034_customer_groups;
mod m0035_fulfilment_progress_and_returns;
mod m0036_store_settings;
mod m0037_restock_lines;
mod m0038_notifications;
mod m0039_manual_reservations;
mod m0040_shipping_profiles;
mod m0041_files;

/// What each migration was called before they were numbered in run order
/// (the dates in the old names did not follow it). [`up`] renames the
/// records of a database migrated under the old names, so nothing runs twice.
const FORMER_NAMES: [(&str, &str); 27] = [
    ("m20261122_000001_initial", "m0001_initial"),
    ("m20261122_000002_catalog_pricing", "m0002_catalog_pricing"),
    ("m20261122_000003_customers", "m0003_customers"),
    (
        "m20261122_000004_channels_inventory",
        "m0004_channels_inventory",
    ),
    ("m20261122_000005_events", "m0005_events"),
    ("m20261122_000006_payments", "m0006_payments"),
    ("m20261122_000007_orders", "m0007_orders"),
    ("m20261122_000008_cart_checkout", "m0008_cart_checkout"),
    (
        "m20261122_000009_product_media_options",
        "m0009_product_media_options",
    ),
    (
        "m20261122_000010_order_fulfillments",
        "m0010_order_fulfillments",
    ),
    ("m20261122_000011_vending", "m0011_vending"),
    ("m20261122_000012_loyalty", "m0012_loyalty"),
    (
        "m20261122_000014_loyalty_member_balance",
        "m0013_loyalty_member_balance",
    ),
    (
        "m20261201_000015_idempotency_keys",
        "m0014_idempotency_keys",
    ),
    ("m20261122_000016_password_resets", "m0015_password_resets"),
    (
        "m20261122_000013_alerts_device_credentials",
        "m0016_alerts_device_credentials",
    ),
    (
        "m20261201_000017_vending_deposits",
        "m0017_vending_deposits",
    ),
    (
        "m20261210_000018_command_conclusion",
        "m0018_command_conclusion",
    ),
    (
        "m20261210_000019_device_scale_weights",
        "m0019_device_scale_weights",
    ),
    (
        "m20261220_000020_sign_in_generations",
        "m0020_sign_in_generations",
    ),
    (
        "m20261220_000021_password_reset_ids",
        "m0021_password_reset_ids",
    ),
    (
        "m20261220_000022_loyalty_phone_verification",
        "m0022_loyalty_phone_verification",
    ),
    (
        "m20261230_000001_payment_providers",
        "m0023_payment_providers",
    ),
    ("m20261231_000001_machine_fleet", "m0024_machine_fleet"),
    (
        "m20261231_000001_payment_operations",
        "m0025_payment_operations",
    ),
    ("m20261231_000002_order_alerts", "m0026_order_alerts"),
    (
        "m20261231_000010_overview_indexes",
        "m0027_overview_indexes",
    ),
];

/// Brings the schema up to date: the one way the server, its CLI and the
/// tests migrate a database.
pub async fn up(db: &DatabaseConnection) -> Result<(), DbErr> {
    adopt_former_names(db).await?;
    Migrator::up(db, None).await
}

async fn adopt_former_names(db: &DatabaseConnection) -> Result<(), DbErr> {
    let table = Alias::new("seaql_migrations");
    if !SchemaManager::new(db).has_table("seaql_migrations").await? {
        return Ok(());
    }
    for (former, current) in FORMER_NAMES {
        let rename = Query::update()
            .table(table.clone())
            .value(Alias::new("version"), current)
            .and_where(Expr::col(Alias::new("version")).eq(former))
            .to_owned();
        db.execute(&rename).await?;
    }
    Ok(())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_catalog_pricing::Migration),
            Box::new(m0003_customers::Migration),
            Box::new(m0004_channels_inventory::Migration),
            Box::new(m0005_events::Migration),
            Box::new(m0006_payments::Migration),
            Box::new(m0007_orders::Migration),
            Box::new(m0008_cart_checkout::Migration),
            Box::new(m0009_product_media_options::Migration),
            Box::new(m0010_order_fulfillments::Migration),
            Box::new(m0011_vending::Migration),
            Box::new(m0012_loyalty::Migration),
            Box::new(m0013_loyalty_member_balance::Migration),
            Box::new(m0014_idempotency_keys::Migration),
            Box::new(m0015_password_resets::Migration),
            Box::new(m0016_alerts_device_credentials::Migration),
            Box::new(m0017_vending_deposits::Migration),
            Box::new(m0018_command_conclusion::Migration),
            Box::new(m0019_device_scale_weights::Migration),
            Box::new(m0020_sign_in_generations::Migration),
            Box::new(m0021_password_reset_ids::Migration),
            Box::new(m0022_loyalty_phone_verification::Migration),
            Box::new(m0023_payment_providers::Migration),
            Box::new(m0024_machine_fleet::Migration),
            Box::new(m0025_payment_operations::Migration),
            Box::new(m0026_order_alerts::Migration),
            Box::new(m0027_overview_indexes::Migration),
            Box::new(m0028_admin_roles_invites::Migration),
            Box::new(m0029_payment_reviews::Migration),
            Box::new(m0030_deposit_payouts::Migration),
            Box::new(m0031_par_levels::Migration),
            Box::new(m0032_promotion_campaigns::Migration),
            Box::new(m0033_return_reasons::Migration),
            Box::new(m0034_customer_groups::Migration),
            Box::new(m0035_fulfilment_progress_and_returns::Migration),
            Box::new(m0036_store_settings::Migration),
            Box::new(m0037_restock_lines::Migration),
            Box::new(m0038_notifications::Migration),
            Box::new(m0039_manual_reservations::Migration),
            Box::new(m0040_shipping_profiles::Migration),
            Box::new(m0041_files::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_the_order_they_run() {
        for (i, migration) in Migrator::migrations().iter().enumerate() {
            let name = migration.name();
            let number = format!("m{:04}_", i + 1);
            assert!(
                name.starts_with(&number),
                "migration {} is {name}: name new migrations m<next number>_<what> and append them",
                i + 1
            );
        }
    }
}
