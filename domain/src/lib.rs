//! Automat's business logic, free of HTTP and Leptos.
//!
//! One module per bounded context; each owns its tables (sea-orm entities) and
//! exposes a small service API. Front-ends (server functions, REST, the MQTT
//! gateway, the CLI) call these functions and never touch the tables directly.

pub mod admin_users;
pub mod alerts;
pub mod api_keys;
pub mod carts;
pub mod catalog;
pub mod channels;
pub mod checkout;
pub mod credentials;
pub mod customers;
pub mod db;
pub mod devices;
pub mod error;
pub mod events;
pub mod files;
pub mod idempotency;
pub mod ids;
pub mod inventory;
pub mod loyalty;
pub mod notifications;
pub mod orders;
pub mod overview;
pub mod paging;
pub mod payments;
pub mod pricing;
pub mod promotions;
pub mod rate_limits;
pub mod returns;
pub mod search;
pub mod seed;
pub mod settings;
pub mod shipping;
pub mod sign_ins;
pub mod states;
pub mod stores;
pub mod text;
pub mod thread_priority;
pub mod vending;
pub mod workflows;

pub use error::DomainError;
