//! Email + password credentials, shared by admin users and customers.

mod email;
mod hashing;
mod password;

pub use email::Email;
pub(crate) use password::UNKNOWN_USER_HASH;
pub use password::{HashedPassword, MIN_LENGTH, Password};

/// SHA-256 of a single-use token (a password reset's, an invite's), hex: the
/// form such a token is kept in, so a leaked table opens nothing. The tokens
/// are random and long, so a plain digest suffices (no salt, no stretching).
pub(crate) fn token_digest(token: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
