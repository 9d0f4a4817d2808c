//! Email + password credentials, shared by admin users and customers.

mod email;
mod password;

pub use email::Email;
pub(crate) use password::UNKNOWN_USER_HASH;
pub use password::{MIN_LENGTH, Password};
