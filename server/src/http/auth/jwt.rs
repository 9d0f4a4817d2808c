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
use domain::sign_ins::Account;

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
    /// The account's sign-in generation when the token was issued: ending
    /// the account's sign-ins moves the generation on and refuses the token
    /// (see `domain::sign_ins`). Tokens from before generations count as the first.
    #[serde(default)]
    pub generation: i32,
    /// When the admin user signed in (unix seconds); refreshing keeps it, and
    /// past the admins' maximum sign-in age the token is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
}

impl Claims {
    /// The account the token was issued to.
    pub fn account(&self) -> Account {
        match self.actor_type.as_str() {
            ACTOR_USER => Account::AdminUser(self.actor_id.clone()),
            // A registration token names no customer yet, only its identity.
            _ if self.actor_id.is_empty() => {
                Account::CustomerIdentity(self.auth_identity_id.clone())
            }
            _ => Account::Customer(self.actor_id.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct JwtKeys {
    keys: Arc<(EncodingKey, DecodingKey)>,
    /// How long an admin's sign-in lasts, refreshes included.
    admin_max_age: Duration,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        Self {
            keys: Arc::new((
                EncodingKey::from_secret(secret.as_bytes()),
                DecodingKey::from_secret(secret.as_bytes()),
            )),
            admin_max_age: LIFETIME,
        }
    }

    /// Admin sign-ins older than `max_age` are refused, and their tokens
    /// cannot be refreshed past it.
    pub fn with_admin_max_age(self, max_age: Duration) -> Self {
        Self {
            admin_max_age: max_age,
            ..self
        }
    }

    pub fn admin_max_age(&self) -> Duration {
        self.admin_max_age
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
        let now = Utc::now();
        self.encode(&Claims {
            actor_id: customer_id.clone().unwrap_or_default(),
            actor_type: identity.actor_type.clone(),
            auth_identity_id: identity.id.clone(),
            app_metadata: AppMetadata { customer_id },
            iat: now.timestamp(),
            exp: (now + LIFETIME).timestamp(),
            generation: identity.sign_in_generation,
            auth_time: None,
        })
    }

    /// An admin user's token, as `/auth/user/emailpass` hands it out.
    pub fn issue_for_admin(&self, user: &admin_user::Model) -> String {
        let now = Utc::now().timestamp();
        self.refresh_admin(Claims {
            actor_id: user.id.clone(),
            actor_type: ACTOR_USER.to_owned(),
            auth_identity_id: user.id.clone(),
            app_metadata: AppMetadata::default(),
            iat: now,
            exp: now,
            generation: user.sign_in_generation,
            auth_time: Some(now),
        })
    }

    /// An admin's claims with a new lifetime, which ends with the sign-in's
    /// maximum age at the latest.
    pub fn refresh_admin(&self, claims: Claims) -> String {
        let now = Utc::now();
        let signed_in = claims.auth_time.unwrap_or(claims.iat);
        let exp = (now + LIFETIME)
            .timestamp()
            .min(signed_in + self.admin_max_age.num_seconds());
        self.encode(&Claims {
            iat: now.timestamp(),
            exp,
            auth_time: Some(signed_in),
            ..claims
        })
    }

    pub fn encode(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.keys.0)
            .expect("HS256 signing cannot fail")
    }

    /// The claims of a token signed with this key, unexpired, and, for an
    /// admin, within the sign-in's maximum age. Whether the account's
    /// sign-ins have ended since is for [`super::SignInCheck`] to say.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let claims =
            jsonwebtoken::decode::<Claims>(token, &self.keys.1, &Validation::new(Algorithm::HS256))
                .map(|data| data.claims)
                .map_err(|_| ApiError::unauthorized("Unauthorized"))?;
        if claims.actor_type == ACTOR_USER && !self.admin_sign_in_is_fresh(&claims) {
            return Err(ApiError::unauthorized(
                "this admin sign-in is too old; sign in again",
            ));
        }
        Ok(claims)
    }

    fn admin_sign_in_is_fresh(&self, claims: &Claims) -> bool {
        // Tokens from before `auth_time` count from when they were issued.
        let signed_in = claims.auth_time.unwrap_or(claims.iat);
        Utc::now().timestamp() < signed_in + self.admin_max_age.num_seconds()
    }
}
