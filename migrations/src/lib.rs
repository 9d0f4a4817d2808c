//! Schema migrations, portable across SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_catalog_pricing;
mod m20261122_000003_customers;
mod m20261122_000004_channels_inventory;
mod m20261122_000005_events;
mod m20261122_000006_payments;
mod m20261122_000007_orders;
mod m20261122_000008_cart_checkout;
mod m20261122_000009_product_media_options;
mod m20261122_000010_order_fulfillments;
mod m20261122_000011_vending;
mod m20261122_000012_loyalty;
mod m20261122_000013_alerts_device_credentials;
mod m20261122_000014_loyalty_member_balance;
mod m20261122_000016_password_resets;
mod m20261201_000015_idempotency_keys;
mod m20261201_000017_vending_deposits;
mod m20261210_000018_command_conclusion;
mod m20261210_000019_device_scale_weights;
mod m20261220_000020_sign_in_generations;
mod m20261220_000021_password_reset_ids;
mod m20261220_000022_loyalty_phone_verification;
mod m20261230_000001_payment_providers;
mod m20261231_000001_machine_fleet;
mod m20261231_000001_payment_operations;
mod m20261231_000002_order_alerts;
mod m20261231_000010_overview_indexes;
mod m20270101_000001_payment_reviews;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_catalog_pricing::Migration),
            Box::new(m20261122_000003_customers::Migration),
            Box::new(m20261122_000004_channels_inventory::Migration),
            Box::new(m20261122_000005_events::Migration),
            Box::new(m20261122_000006_payments::Migration),
            Box::new(m20261122_000007_orders::Migration),
            Box::new(m20261122_000008_cart_checkout::Migration),
            Box::new(m20261122_000009_product_media_options::Migration),
            Box::new(m20261122_000010_order_fulfillments::Migration),
            Box::new(m20261122_000011_vending::Migration),
            Box::new(m20261122_000012_loyalty::Migration),
            Box::new(m20261122_000014_loyalty_member_balance::Migration),
            Box::new(m20261201_000015_idempotency_keys::Migration),
            Box::new(m20261122_000016_password_resets::Migration),
            Box::new(m20261122_000013_alerts_device_credentials::Migration),
            Box::new(m20261201_000017_vending_deposits::Migration),
            Box::new(m20261210_000018_command_conclusion::Migration),
            Box::new(m20261210_000019_device_scale_weights::Migration),
            Box::new(m20261220_000020_sign_in_generations::Migration),
            Box::new(m20261220_000021_password_reset_ids::Migration),
            Box::new(m20261220_000022_loyalty_phone_verification::Migration),
            Box::new(m20261230_000001_payment_providers::Migration),
            Box::new(m20261231_000001_machine_fleet::Migration),
            Box::new(m20261231_000001_payment_operations::Migration),
            Box::new(m20261231_000002_order_alerts::Migration),
            Box::new(m20261231_000010_overview_indexes::Migration),
            Box::new(m20270101_000001_payment_reviews::Migration),
        ]
    }
}
