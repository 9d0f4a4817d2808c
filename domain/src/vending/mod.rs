//! Vending: hubs of machines, their lockers and scales with the products
//! assigned to them, and device sessions — the single source of truth for
//! every opening of a machine (see `docs/device-protocol.md`).
//!
//! [`state`] and [`weighing`] are pure; [`sessions`] applies device messages
//! to sessions exactly once; [`settlement`] turns a closed door into an
//! order, a stock movement and a captured payment (or, for a return, into
//! deposit credits).

pub mod deposit_credit;
pub mod deposit_payout;
pub mod device_command;
pub mod device_session;
pub mod fleet;
pub mod hub;
pub mod locker;
pub mod machines;
pub mod par_level;
pub mod payouts;
pub mod receipts;
pub mod restock;
pub mod restock_line;
pub mod scale;
pub mod scale_assignment;
pub mod scales;
pub mod session_event;
pub mod sessions;
pub mod settlement;
pub mod state;
pub mod weighing;
