//! Email + password credentials, shared by admin users and customers.

mod email;
mod hashing;
mod password;

pub use email::Email;
pub(crate) use password::UNKNOWN_USER_HASH;
pub use password::{HashedPassword, MIN_LENGTH, Password};
