//! Email + password credentials, shared by admin users and customers, and
//! what every check of a shared secret uses.

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

/// Compares secrets (a broker password, a scrape token) in time that depends
/// on their length only, so timing tells an attacker nothing of the content.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_byte_for_byte() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cret", "s3creT"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("", "s3cret"));
        assert!(same_secret("", ""));
    }
}
