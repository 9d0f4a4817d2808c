//! Payment providers that talk to the outside world (the trait and the
//! built-in provider live in `domain`, which has no HTTP client).

pub mod finix;
pub mod finix_webhook;
pub mod operations;
pub mod stripe;
pub mod stripe_webhook;
