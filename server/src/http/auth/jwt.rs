//! The tokens Medusa hands to customers: HS256 JWTs naming the auth identity
//! and, once it exists, the customer.

use std::sync::Arc;

use chrono::{Duration, Utc};
use domain::{
    DomainError, admin_users::admin_user, customers::auth_identity, db::DatabaseConnection,
    settings,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::http::error::ApiError;

/// Where a generated secret is kept, so tokens survive restarts.
pub const SECRET_SETTING: &str = "jwt_secret";
/// Medusa's actor type for admin users.
pub const ACTOR_USER: &str = "user";
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
        Self(Arc::new((
            EncodingKey::from_secret(secret.as_bytes()),
            DecodingKey::from_secret(secret.as_bytes()),
        )))
    }

    /// The configured secret, or the one generated on first start.
    pub async fn load(
        db: &DatabaseConnection,
        configured: Option<&str>,
    ) -> Result<Self, DomainError> {
        let secret = match configured {
            Some(secret) => secret.to_owned(),
            None => {
                settings::get_or_insert_with(db, SECRET_SETTING, || domain::ids::random_token(32))
                    .await?
            }
        };
        Ok(Self::new(&secret))
    }

    /// A customer's token (or a registration token before the customer exists).
    pub fn issue(&self, identity: &auth_identity::Model) -> String {
        let customer_id = identity.customer_id.clone();
        self.issue_claims(
            customer_id.clone().unwrap_or_default(),
            &identity.actor_type,
            &identity.id,
            AppMetadata { customer_id },
        )
    }

    /// An admin user's token, as `/auth/user/emailpass` hands it out.
    pub fn issue_for_admin(&self, user: &admin_user::Model) -> String {
        self.issue_claims(
            user.id.clone(),
            ACTOR_USER,
            &user.id,
            AppMetadata::default(),
        )
    }

    fn issue_claims(
        &self,
        actor_id: String,
        actor_type: &str,
        auth_identity_id: &str,
        app_metadata: AppMetadata,
    ) -> String {
        let now = Utc::now();
        self.encode(&Claims {
            actor_id,
            actor_type: actor_type.to_owned(),
            auth_identity_id: auth_identity_id.to_owned(),
            app_metadata,
            iat: now.timestamp(),
            exp: (now + LIFETIME).timestamp(),
        })
    }

    /// The same claims with a new lifetime.
    pub fn refresh(&self, claims: Claims) -> String {
        self.issue_claims(
            claims.actor_id,
            &claims.actor_type,
            &claims.auth_identity_id,
            claims.app_metadata,
        )
    }

    pub fn encode(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.0.0)
            .expect("HS256 signing cannot fail")
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.0.1, &Validation::new(Algorithm::HS256))
            .map(|data| data.claims)
            .map_err(|_| ApiError::unauthorized("Unauthorized"))
    }
}
