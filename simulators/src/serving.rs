//! What both simulators record of the requests they serve, and the faults
//! tests switch on to see a client recover.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Misbehaviour switched on at runtime.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// The next N API requests are answered 500 without being executed.
    pub fail_next: u32,
    /// The next N API requests are executed, then answered only after
    /// `response_delay_ms`: a client with a shorter timeout gives up although
    /// the change happened (the crash-after-the-provider-answered case).
    pub delay_next: u32,
    pub response_delay_ms: u64,
}

/// The fault that applies to the request now being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Fail,
    AnswerLate(u64),
}

impl Faults {
    pub(crate) fn take(&mut self) -> Option<Fault> {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            Some(Fault::Fail)
        } else if self.delay_next > 0 {
            self.delay_next -= 1;
            Some(Fault::AnswerLate(self.response_delay_ms))
        } else {
            None
        }
    }
}

/// One API request as a simulator received it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Stripe's `Idempotency-Key` header, or Finix's `idempotency_id` field.
    pub idempotency_key: Option<String>,
    /// `Stripe-Version` or `Finix-Version`.
    pub version: Option<String>,
    /// Made from a browser (Stripe's publishable key, Finix.js).
    pub browser: bool,
    /// The parameters: Stripe's form as a tree of strings, Finix's JSON.
    pub params: Value,
    pub status: u16,
    /// Answered from an idempotency key's first answer.
    pub replayed: bool,
}

/// A simulator's faults and the record of its requests.
#[derive(Default)]
pub(crate) struct Serving {
    faults: Mutex<Faults>,
    requests: Mutex<Vec<RecordedRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Serving {
    /// The fault for the request now being served, if one is due.
    pub(crate) fn take_fault(&self) -> Option<Fault> {
        lock(&self.faults).take()
    }

    pub(crate) fn faults(&self) -> Faults {
        lock(&self.faults).clone()
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }
}
