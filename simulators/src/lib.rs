//! Local simulators of the services Automat speaks to and tests cannot
//! reach — the payment providers Stripe and Finix, and Meilisearch — in
//! their real wire formats, for development and tests where the real ones
//! cannot be reached (or must not be charged).
//!
//! - [`stripe`]: the Stripe API subset for cards (PaymentIntents, Customers,
//!   SetupIntents, PaymentMethods, Refunds, Charges, Events), idempotency
//!   keys, test cards, signed webhooks and a `stripe.js` stand-in.
//! - [`finix`]: Finix's identities, payment instruments from Finix.js tokens,
//!   authorizations (capture, void), transfers, reversals, webhooks and a
//!   `finix.js` stand-in.
//! - [`meilisearch`]: indexes, documents, settings, asynchronous tasks and
//!   search (typos, prefixes, synonyms, filters, sort, facets) as the
//!   `meilisearch-sdk` crate speaks them.
//!
//! Each starts on port 0 in tests ([`stripe::spawn`], [`finix::spawn`]); the
//! `automat-simulators` binary runs both for the browser tests.

// The simulators' errors are the answers they send, built once per request;
// their size does not matter.
#![allow(clippy::result_large_err)]

pub mod finix;
mod hooks;
mod ids;
pub mod meilisearch;
mod serving;
pub mod stripe;
mod webhook;

pub use serving::{Faults, RecordedRequest};
pub use webhook::{Delivery, SignedEvent, WebhookControl};
