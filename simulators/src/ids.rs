//! Random identifiers in the shapes the providers use.

use rand::{Rng, distributions::Alphanumeric};

/// Stripe's ids: a prefix, an underscore and 24 alphanumerics (`pi_3Pq…`).
pub fn stripe(prefix: &str) -> String {
    format!("{prefix}_{}", alphanumeric(24))
}

/// Finix's ids: a two-letter prefix and 22 alphanumerics (`AU…`, `TR…`).
pub fn finix(prefix: &str) -> String {
    format!("{prefix}{}", alphanumeric(22))
}

pub fn alphanumeric(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Seconds since the Unix epoch, as both providers count time in events.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
