use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use super::hashing;
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

    /// The argon2id hash to store, computed in the hashing pool: never on
    /// the async runtime's threads, and before any write transaction starts,
    /// so nobody waits for the writer's turn while a password is hashed.
    pub async fn hash(&self) -> Result<HashedPassword, DomainError> {
        let password = self.0.clone();
        hashing::run(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| HashedPassword(h.to_string()))
                .map_err(|e| DomainError::Invalid(format!("cannot hash password: {e}")))
        })
        .await?
    }

    /// Whether `candidate` is the password of `hash`, checked in the hashing
    /// pool (a wave of sign-ins, by customers or by machines reconnecting to
    /// the broker, must not stall the async runtime). [`DomainError::Busy`]
    /// when too many checks already wait.
    pub async fn verify(candidate: &str, hash: &str) -> Result<bool, DomainError> {
        let (candidate, hash) = (candidate.to_owned(), hash.to_owned());
        hashing::run(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(candidate.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
    }
}

/// A new password's argon2id hash, made only by [`Password::hash`].
#[derive(Clone)]
pub struct HashedPassword(String);

impl HashedPassword {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<HashedPassword> for String {
    fn from(hash: HashedPassword) -> Self {
        hash.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_and_verifies() {
        let hash = Password::parse("correct horse")
            .unwrap()
            .hash()
            .await
            .unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(
            Password::verify("correct horse", hash.as_str())
                .await
                .unwrap()
        );
        assert!(
            !Password::verify("wrong horse", hash.as_str())
                .await
                .unwrap()
        );
    }

    #[test]
    fn rejects_short_passwords() {
        assert!(Password::parse("short").is_err());
    }

    #[tokio::test]
    async fn unknown_user_hash_parses_and_matches_nothing_common() {
        assert!(PasswordHash::new(UNKNOWN_USER_HASH).is_ok());
        assert!(!Password::verify("", UNKNOWN_USER_HASH).await.unwrap());
        assert!(
            !Password::verify("password", UNKNOWN_USER_HASH)
                .await
                .unwrap()
        );
    }
}
