//! Where web sessions (admin sign-in, the shopper's cart) are kept: the
//! database by default, Redis when `AUTOMAT_REDIS_URL` is set.

mod db_store;
mod entity;
mod max_age;

use std::time::Duration;

use sea_orm::DatabaseConnection;
use time::Duration as SessionDuration;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore, cookie::SameSite};
use tower_sessions_redis_store::{
    RedisStore,
    fred::prelude::{ClientLike, Config, Pool},
};

pub use db_store::DbSessionStore;
pub use max_age::MaxAge;

pub const COOKIE_NAME: &str = "automat_session";
const IDLE_LIFETIME: SessionDuration = SessionDuration::days(7);

pub enum SessionBackend {
    Database(DbSessionStore),
    Redis(RedisStore<Pool>),
}

impl SessionBackend {
    pub async fn connect(db: &DatabaseConnection, redis_url: Option<&str>) -> anyhow::Result<Self> {
        match redis_url {
            None => {
                let store = DbSessionStore::new(db.clone());
                store.spawn_expired_cleanup(Duration::from_secs(3600));
                Ok(Self::Database(store))
            }
            Some(url) => {
                let config = Config::from_url(url)
                    .map_err(|e| anyhow::anyhow!("invalid Redis URL {url}: {e}"))?;
                let pool = Pool::new(config, None, None, None, 4)?;
                pool.init()
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot reach Redis at {url}: {e}"))?;
                Ok(Self::Redis(RedisStore::new(pool)))
            }
        }
    }
}

/// The session cookie over `store`: `secure` behind HTTPS; a session ends
/// after 7 idle days or `max_age` after it began, whichever comes first.
pub fn layer<S: SessionStore + Clone>(
    store: S,
    secure: bool,
    max_age: Duration,
) -> SessionManagerLayer<MaxAge<S>> {
    let max_age = SessionDuration::try_from(max_age).unwrap_or(SessionDuration::MAX);
    SessionManagerLayer::new(MaxAge::new(store, max_age))
        .with_name(COOKIE_NAME)
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(IDLE_LIFETIME))
}
