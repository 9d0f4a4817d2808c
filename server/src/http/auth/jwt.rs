//! The tokens Medusa hands to customers: HS256 JWTs naming the auth identity
//! and, once it exists, the customer.

use std::sync::Arc;

use chrono::{Duration, Utc};
use domain::{DomainError, customers::auth_identity, db::DatabaseConnection, settings};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::http::error::ApiError;

/// Where a generated secret is kept, so tokens survive restarts.
pub const SECRET_SETTING: &str = "jwt_secret";
/// Medusa's default token lifetime.
const LIFETIME: Duration = Duration::days(1);

/// Medusa's token payload (its `auth_context`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The customer's id; empty for a registration token.
    pub actor_id: String,
    pub actor_type: String,
    pub auth_identity_id: String,
    pub app_metadata: AppMetadata,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

#[derive(Clone)]
pub struct JwtKeys(Arc<(EncodingKey, DecodingKey)>);

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        Self(Arc::new((EncodingKey::from_secret(secret.as_bytes()), DecodingKey::from_secret(secret.as_bytes()))))
    }

    /// The configured secret, or the one generated on first start.
    pub async fn load(db: &DatabaseConnection, configured: Option<&str>) -> Result<Self, DomainError> {
        let secret = match configured {
            Some(secret) => secret.to_owned(),
            None => settings::get_or_insert_with(db, SECRET_SETTING, || domain::ids::random_token(32)).await?,
        };
        Ok(Self::new(&secret))
    }

    pub fn issue(&self, identity: &auth_identity::Model) -> String {
        let now = Utc::now();
        self.encode(&Claims {
            actor_id: identity.customer_id.clone().unwrap_or_default(),
            actor_type: identity.actor_type.clone(),
            auth_identity_id: identity.id.clone(),
            app_metadata: AppMetadata { customer_id: identity.customer_id.clone() },
            iat: now.timestamp(),
            exp: (now + LIFETIME).timestamp(),
        })
    }

    pub fn encode(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.0.0).expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.0.1, &Validation::new(Algorithm::HS256))
            .map(|data| data.claims)
            .map_err(|_| ApiError::unauthorized("Unauthorized"))
    }
}
