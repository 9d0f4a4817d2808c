//! Secrets at rest (the hosts' client secrets): AES-256-GCM, a fresh random
//! nonce per value, the owning row's key as associated data so a sealed value
//! cannot be moved to another row. One-time codes are kept as tags (HMAC-SHA256)
//! under a key derived from the same material, so a copy of the table alone
//! cannot be searched for them.

use std::sync::Arc;

use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    digest, hmac,
    rand::{SecureRandom, SystemRandom},
};

use crate::DomainError;

const VERSION: &str = "v1";

#[derive(Clone)]
pub struct SecretBox {
    key: Arc<LessSafeKey>,
    tags: hmac::Key,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box whose key is derived (SHA-256) from `key_material`, e.g. the
    /// `AUTOMAT_LOYALTY_SECRET_KEY` setting.
    pub fn new(key_material: &str) -> Self {
        let hash = digest::digest(&digest::SHA256, key_material.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, hash.as_ref()).expect("SHA-256 is a 256-bit key");
        // Another key for tags than for sealing: one use per key.
        let mut tag_material = b"automat loyalty code tags\0".to_vec();
        tag_material.extend_from_slice(key_material.as_bytes());
        let tag_key = digest::digest(&digest::SHA256, &tag_material);
        Self {
            key: Arc::new(LessSafeKey::new(key)),
            tags: hmac::Key::new(hmac::HMAC_SHA256, tag_key.as_ref()),
        }
    }

    /// The tag of `value` for `owner` (hex): what is stored instead of a code.
    pub fn tag(&self, owner: &str, value: &str) -> String {
        hex(hmac::sign(&self.tags, &tag_input(owner, value)).as_ref())
    }

    /// Whether `tag` is the tag of `value` for `owner`, compared in constant time.
    pub fn tag_matches(&self, owner: &str, value: &str, tag: &str) -> bool {
        unhex(tag)
            .is_some_and(|tag| hmac::verify(&self.tags, &tag_input(owner, value), &tag).is_ok())
    }

    /// `v1.<nonce hex>.<ciphertext+tag hex>`.
    pub fn seal(&self, owner: &str, secret: &str) -> Result<String, DomainError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| DomainError::Invalid("no randomness for a nonce".into()))?;
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| DomainError::Invalid("the secret cannot be sealed".into()))?;
        Ok(format!("{VERSION}.{}.{}", hex(&nonce), hex(&sealed)))
    }

    pub fn open(&self, owner: &str, sealed: &str) -> Result<String, DomainError> {
        let unreadable = || {
            DomainError::Invalid(
                "a stored secret cannot be decrypted (was AUTOMAT_LOYALTY_SECRET_KEY changed?)"
                    .into(),
            )
        };
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unreadable());
        };
        let nonce = Nonce::try_assume_unique_for_key(&unhex(nonce).ok_or_else(unreadable)?)
            .map_err(|_| unreadable())?;
        let mut body = unhex(body).ok_or_else(unreadable)?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(owner.as_bytes()), &mut body)
            .map_err(|_| unreadable())?;
        String::from_utf8(plain.to_vec()).map_err(|_| unreadable())
    }
}

fn tag_input(owner: &str, value: &str) -> Vec<u8> {
    [owner.as_bytes(), b"\0", value.as_bytes()].concat()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SecretBox;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_owner() {
        let secrets = SecretBox::new("key one");
        let sealed = secrets.seal("default", "s3cret").unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_ne!(
            sealed,
            secrets.seal("default", "s3cret").unwrap(),
            "fresh nonce"
        );
        assert_eq!(secrets.open("default", &sealed).unwrap(), "s3cret");
        assert!(secrets.open("other-store", &sealed).is_err());
        assert!(SecretBox::new("key two").open("default", &sealed).is_err());
        assert!(secrets.open("default", "v1.zz.00").is_err());
    }

    #[test]
    fn tags_match_only_the_same_value_owner_and_key() {
        let secrets = SecretBox::new("key one");
        let tag = secrets.tag("lcode_1", "123456");
        assert!(!tag.contains("123456"));
        assert!(secrets.tag_matches("lcode_1", "123456", &tag));
        assert!(!secrets.tag_matches("lcode_1", "123457", &tag));
        assert!(!secrets.tag_matches("lcode_2", "123456", &tag));
        assert!(!SecretBox::new("key two").tag_matches("lcode_1", "123456", &tag));
        assert!(!secrets.tag_matches("lcode_1", "123456", "not hex"));
    }
}
