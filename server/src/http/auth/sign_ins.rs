//! Whether a token or web session still stands: its account's sign-ins may
//! have ended since it was issued (`domain::sign_ins`), and an admin's
//! sign-in may have grown too old.
//!
//! Every authenticated request asks, so the accounts' generations are kept
//! in memory for [`FRESH_FOR`]: an end of sign-ins through this process is
//! seen by the next request, one through another process (a second server,
//! `automat user`) within that time.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use app::session_keys::{self, SignInStamp};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::{
    DomainError,
    db::DatabaseConnection,
    sign_ins::{self, Account},
};
use tower_sessions::Session;

use crate::{
    http::{browser::carries_session_cookie, error::ApiError},
    state::AppState,
};

/// How long a generation read from the database is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// Past this many accounts, the outdated ones go; if none is, all go.
const CAPACITY: usize = 10_000;

/// Reads accounts' sign-in generations, keeping them for [`FRESH_FOR`].
#[derive(Clone)]
pub struct SignInCheck {
    db: DatabaseConnection,
    known: Arc<RwLock<HashMap<Account, Known>>>,
}

#[derive(Clone, Copy)]
struct Known {
    generation: Option<i32>,
    read_at: Instant,
    /// [`sign_ins::ends_so_far`] before it was read: a later end makes it outdated.
    ends_seen: u64,
}

impl Known {
    fn is_current(&self, ends: u64) -> bool {
        self.ends_seen == ends && self.read_at.elapsed() < FRESH_FOR
    }
}

impl SignInCheck {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            known: Arc::default(),
        }
    }

    /// Whether what was issued to `account` under `generation` still stands.
    pub async fn stands(&self, account: &Account, generation: i32) -> Result<bool, DomainError> {
        Ok(self.generation(account).await? == Some(generation))
    }

    async fn generation(&self, account: &Account) -> Result<Option<i32>, DomainError> {
        // Read before the database: an end committed meanwhile outdates the entry.
        let ends = sign_ins::ends_so_far();
        let kept = self
            .known
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(account)
            .copied();
        if let Some(known) = kept.filter(|known| known.is_current(ends)) {
            return Ok(known.generation);
        }
        let generation = sign_ins::generation(&self.db, account).await?;
        let mut known = self
            .known
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if known.len() >= CAPACITY {
            known.retain(|_, k| k.is_current(ends));
            if known.len() >= CAPACITY {
                known.clear();
            }
        }
        known.insert(
            account.clone(),
            Known {
                generation,
                read_at: Instant::now(),
                ends_seen: ends,
            },
        );
        Ok(generation)
    }
}

/// Ends a web session whose sign-in no longer stands (the account's sign-ins
/// ended, or an admin's sign-in is too old) before the request is handled:
/// the request goes on as one without a session. Requests without the session
/// cookie, and the site's static files, are not looked at.
pub async fn end_outdated_sessions(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let session = request
        .extensions()
        .get::<Session>()
        .filter(|_| carries_session_cookie(request.headers()))
        .filter(|_| !is_static_file(request.uri().path()))
        .cloned();
    if let Some(session) = session {
        let ended = match session_stands(&state, &session).await {
            Ok(true) => Ok(()),
            Ok(false) => session.flush().await.map_err(SessionFailure::Store),
            Err(e) => Err(e),
        };
        if let Err(failure) = ended {
            return failure.into_response();
        }
    }
    next.run(request).await
}

/// The built client and its assets, which no session decides.
fn is_static_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

async fn session_stands(state: &AppState, session: &Session) -> Result<bool, SessionFailure> {
    let admin_max_age = state.jwt.admin_max_age().num_seconds();
    let now = chrono::Utc::now().timestamp();
    let signed_in = [
        SessionSignIn {
            id_key: session_keys::CUSTOMER_ID,
            stamp_key: session_keys::CUSTOMER_SIGN_IN,
            account: Account::Customer,
            max_age: None,
        },
        SessionSignIn {
            id_key: session_keys::ADMIN_USER_ID,
            stamp_key: session_keys::ADMIN_SIGN_IN,
            account: Account::AdminUser,
            max_age: Some(admin_max_age),
        },
    ];
    for SessionSignIn {
        id_key,
        stamp_key,
        account,
        max_age,
    } in signed_in
    {
        let Some(id) = session.get::<String>(id_key).await? else {
            continue;
        };
        let stamp = session
            .get::<SignInStamp>(stamp_key)
            .await?
            .unwrap_or_default();
        if max_age.is_some_and(|max_age| stamp.at + max_age <= now) {
            return Ok(false);
        }
        if !state
            .sign_ins
            .stands(&account(id), stamp.generation)
            .await?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Who a web session may have signed in, and how long such a sign-in lasts at most.
struct SessionSignIn {
    id_key: &'static str,
    stamp_key: &'static str,
    account: fn(String) -> Account,
    /// Seconds.
    max_age: Option<i64>,
}

/// Why a session could not be checked: the request is not served without it.
enum SessionFailure {
    Store(tower_sessions::session::Error),
    Domain(DomainError),
}

impl From<tower_sessions::session::Error> for SessionFailure {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Store(e)
    }
}

impl From<DomainError> for SessionFailure {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

impl IntoResponse for SessionFailure {
    fn into_response(self) -> Response {
        match self {
            Self::Store(e) => {
                tracing::error!(error = %e, "cannot check the web session");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "unknown_error",
                    "the session could not be checked; try again",
                )
                .into_response()
            }
            Self::Domain(e) => ApiError::from(e).into_response(),
        }
    }
}
