//! Local simulators of the payment providers Automat speaks to, Stripe and
//! Finix, in their real wire formats, for development and tests where the
//! real ones cannot be reached (or must not be charged).
//!
//! - [`stripe`]: the Stripe API subset for cards (PaymentIntents, Customers,
//!   SetupIntents, PaymentMethods, Refunds, Charges, Events), idempotency
//!   keys, test cards, signed webhooks and a `stripe.js` stand-in.
//! - [`finix`]: Finix's identities, payment instruments from Finix.js tokens,
//!   authorizations (capture, void), transfers, reversals, webhooks and a
//!   `finix.js` stand-in.
//!
//! Each starts on port 0 in tests ([`stripe::spawn`], [`finix::spawn`]); the
//! `automat-simulators` binary runs both for the browser tests.

// The simulators' errors are the answers they send, built once per request;
// their size does not matter.
#![allow(clippy::result_large_err)]

pub mod finix;
mod hooks;
mod ids;
mod serving;
pub mod stripe;
mod webhook;

pub use serving::{Faults, RecordedRequest};
pub use webhook::{Delivery, SignedEvent, WebhookControl};
