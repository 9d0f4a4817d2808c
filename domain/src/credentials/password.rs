use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::DomainError;

pub const MIN_LENGTH: usize = 8;

/// A hash of a password no user has, verified when an email is unknown.
pub(crate) const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0t5ayKzBsQKtF7cI7jwFfzQmkrFG3C9BgA7sWSJgHrs";

/// A new password that meets the length rule. Only ever stored as an argon2id hash.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.chars().count() < MIN_LENGTH {
            return Err(DomainError::Invalid(format!(
                "a password needs at least {MIN_LENGTH} characters"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn hash(&self) -> Result<String, DomainError> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Invalid(format!("cannot hash password: {e}")))
    }

    /// Whether `candidate` is the password of `hash`. Argon2 takes tens of
    /// milliseconds of CPU on purpose, so it runs on a blocking thread: a wave
    /// of sign-ins (customers, or machines reconnecting to the broker) must
    /// not stall every other task of the async runtime.
    pub async fn verify(candidate: &str, hash: &str) -> bool {
        let (candidate, hash) = (candidate.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(candidate.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hash = Password::parse("correct horse").unwrap().hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(Password::verify("correct horse", &hash).await);
        assert!(!Password::verify("wrong horse", &hash).await);
    }

    #[test]
    fn rejects_short_passwords() {
        assert!(Password::parse("short").is_err());
    }

    #[tokio::test]
    async fn unknown_user_hash_parses_and_matches_nothing_common() {
        assert!(PasswordHash::new(UNKNOWN_USER_HASH).is_ok());
        assert!(!Password::verify("", UNKNOWN_USER_HASH).await);
        assert!(!Password::verify("password", UNKNOWN_USER_HASH).await);
    }
}
