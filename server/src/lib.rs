//! The automat server: one binary for the web store, the admin, the REST
//! APIs, the MQTT device gateway and the tools around them.

pub mod alert_channels;
pub mod cli;
pub mod config;
pub mod files;
pub mod http;
pub mod loyalty;
pub mod notifications;
pub mod payments;
pub mod rate_limit;
pub mod realtime;
pub mod redis;
pub mod search;
pub mod sms;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod vending;
pub mod web_sessions;
pub mod write_lane;
