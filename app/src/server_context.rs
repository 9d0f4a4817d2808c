//! What the server hands to server functions, and the small helpers they share.

use std::{future::Future, net::IpAddr, pin::Pin, sync::Arc};

use domain::DomainError;
use domain::{
    db::DatabaseConnection,
    loyalty::Loyalty,
    payments::Providers,
    rate_limits::{RetryAfter, Rule},
    vending::{device_command, device_session},
};
use leptos::prelude::*;
use tower_sessions::Session;

use crate::session_keys;

/// Provided by the server to every render and server-function call.
#[derive(Clone)]
pub struct ServerContext {
    pub db: DatabaseConnection,
    /// The store's currency, for carts and price display.
    pub currency: String,
    /// The channels whose products the storefront shows; empty for all.
    pub storefront_channel_ids: Vec<String>,
    pub payment_providers: Providers,
    /// Opens vending machines (the server's MQTT side).
    pub machines: Arc<dyn MachineOpener>,
    /// Loyalty through the store's host; every checkout goes on without it.
    pub loyalty: Loyalty,
    /// Counts attempts at the actions an attacker would repeat ([`admit`]).
    pub limits: Arc<dyn Throttle>,
    /// Finds products by words.
    pub search: Arc<dyn domain::search::ProductSearch>,
    /// What card forms load Stripe.js (with its publishable key) and
    /// Finix.js with; each `None` while its provider is not configured.
    pub card_scripts: crate::storefront::card::CardScripts,
    /// Device credentials this request took out of the web session to show
    /// them, once taken (fresh per request).
    pub taken_credentials: TakenCredentials,
}

/// What one request took of the credentials just issued: a render may load a
/// page's data more than once (the admin layout's suspense renders the page
/// again once resolved), and each load of the request must see them.
pub type TakenCredentials =
    Arc<tokio::sync::OnceCell<Option<crate::admin::device_detail::IssuedCredentials>>>;

/// What the server's MQTT side answers, later.
pub type Pending<T> = Pin<Box<dyn Future<Output = Result<T, DomainError>> + Send>>;

/// Commands for vending machines: opening one for a signed-in shopper (for a
/// purchase, holding the payment first, or a return) or for service (and
/// ending it), syncing its planogram, and ending a session by hand.
pub trait MachineOpener: Send + Sync {
    /// Holds the payment first: the saved card `card_id` (the shopper's
    /// choice, checked to be theirs), or their newest.
    fn open_purchase(
        &self,
        device_id: String,
        customer_id: String,
        card_id: Option<String>,
    ) -> Pending<device_session::Model>;

    /// For empty containers, credited by their deposit.
    fn open_return(&self, device_id: String, customer_id: String)
    -> Pending<device_session::Model>;

    fn open_service(&self, device_id: String) -> Pending<device_session::Model>;

    /// Tells the machine to leave service mode; the service session as it ends.
    fn end_service(&self, device_id: String) -> Pending<device_session::Model>;

    /// Sends the planogram; the command once acknowledged (or given up on).
    fn sync_planogram(&self, device_id: String) -> Pending<device_command::Model>;

    /// Ends a session without charging (any hold released); the session as closed.
    fn force_close(&self, session_id: String, reason: String) -> Pending<device_session::Model>;
}

/// Counts attempts at limited actions; the server keeps the counts (in
/// memory, or in Redis to share them between instances).
pub trait Throttle: Send + Sync {
    /// One attempt at `rule` on `target` from `address`; refused while either
    /// is over its limit.
    fn admit(
        &self,
        rule: Rule,
        address: IpAddr,
        target: &str,
    ) -> Pin<Box<dyn Future<Output = Result<(), RetryAfter>> + Send + '_>>;
}

/// The address of the request's client, as the server determined it (the
/// TCP peer, or what a trusted proxy forwarded): noted in the request's
/// extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// Counts one attempt at `rule` on `target` by this request's client. Over
/// the limit: an error saying when to try again, answered 429 with
/// `Retry-After` (a plain form post gets the form back with the message).
pub async fn admit(rule: Rule, target: &str) -> Result<(), ServerFnError> {
    let ctx = server_context()?;
    let ClientAddress(address) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddress>().copied())
        .ok_or_else(|| ServerFnError::new("the client's address is unknown"))?;
    ctx.limits
        .admit(rule, address, target)
        .await
        .map_err(|refused| {
            set_error_status(http::StatusCode::TOO_MANY_REQUESTS);
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.insert_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(refused.seconds()),
                );
            }
            ServerFnError::new(refused.to_string())
        })
}

pub fn server_context() -> Result<ServerContext, ServerFnError> {
    use_context::<ServerContext>().ok_or_else(|| ServerFnError::new("server context missing"))
}

pub async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| ServerFnError::new(format!("no session: {e}")))
}

/// Who signs in to a web session, under their account's current sign-in generation.
pub enum SignIn {
    Customer {
        id: String,
        generation: i32,
    },
    /// `at`: when the admin signed in (unix seconds), for the maximum age
    /// of admin sign-ins.
    Admin {
        id: String,
        generation: i32,
        at: i64,
    },
}

/// Signs `who` in to the web session: a new session id (so a session fixed
/// before sign-in is worthless after it), who it is, and the
/// [`session_keys::SignInStamp`] the server checks on every request.
pub async fn start_signed_in_session(
    session: &Session,
    who: SignIn,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    let (id_key, stamp_key, id, stamp) = match who {
        SignIn::Customer { id, generation } => (
            session_keys::CUSTOMER_ID,
            session_keys::CUSTOMER_SIGN_IN,
            id,
            session_keys::SignInStamp {
                generation,
                at: chrono::Utc::now().timestamp(),
            },
        ),
        SignIn::Admin { id, generation, at } => (
            session_keys::ADMIN_USER_ID,
            session_keys::ADMIN_SIGN_IN,
            id,
            session_keys::SignInStamp { generation, at },
        ),
    };
    session.insert(id_key, id).await?;
    session.insert(stamp_key, stamp).await
}

/// Ends every sign-in of `account` (each token and web session), this web
/// session's at once, and sends the browser to the `login` page.
pub async fn sign_out_everywhere(
    session: &Session,
    account: &domain::sign_ins::Account,
    login: &str,
) -> Result<(), ServerFnError> {
    let ctx = server_context()?;
    domain::sign_ins::end_all(&ctx.db, account)
        .await
        .map_err(to_server_error)?;
    session
        .flush()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    leptos_axum::redirect(login);
    Ok(())
}

/// The signed-in admin's id when their role allows `permission` (the rule
/// the Admin API applies too), or an error that reads well in a form (403
/// with what the role lacks).
pub async fn require_admin(
    session: &Session,
    permission: domain::admin_users::Permission,
) -> Result<String, ServerFnError> {
    let Some(id) = session
        .get::<String>(session_keys::ADMIN_USER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
    else {
        return Err(to_server_error(DomainError::Unauthorized(
            "please sign in".into(),
        )));
    };
    let ctx = server_context()?;
    domain::admin_users::authorize(&ctx.db, &id, permission)
        .await
        .map_err(to_server_error)?;
    Ok(id)
}

/// The server's context, once the signed-in admin's role allows `permission`.
pub async fn admin_context(
    permission: domain::admin_users::Permission,
) -> Result<ServerContext, ServerFnError> {
    require_admin(&session().await?, permission).await?;
    server_context()
}

/// Domain errors become messages a person can act on, with the HTTP status
/// that fits; database details stay in the log.
pub fn to_server_error(e: DomainError) -> ServerFnError {
    use http::StatusCode;
    let status = match &e {
        DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
        DomainError::Invalid(_) | DomainError::NotAllowed(_) => StatusCode::BAD_REQUEST,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        DomainError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        DomainError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        DomainError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        DomainError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    set_error_status(status);
    match e {
        DomainError::Db(db) => {
            tracing::error!(error = %db, "database error in a server function");
            ServerFnError::new("the store could not complete the request; try again")
        }
        other => ServerFnError::new(other.to_string()),
    }
}

/// Answers a failed server function with `status`, except to a plain form post.
pub fn set_error_status(status: http::StatusCode) {
    // A plain form post (no JavaScript) gets leptos' redirect back to the form,
    // which then shows the error; an error status would replace that redirect.
    let plain_form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if let (false, Some(response)) = (
        plain_form_post,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(status);
    }
}

/// Undoes [`set_error_status`] when a server function recovers from an
/// error it met on the way (its answer is a success after all).
pub fn clear_error_status() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::OK);
    }
}

/// The signed-in shopper's customer id, if anyone is signed in.
pub async fn customer_id(session: &Session) -> Result<Option<String>, ServerFnError> {
    session
        .get::<String>(session_keys::CUSTOMER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// The shopper's cart id, if they have one.
pub async fn cart_id(session: &Session) -> Result<Option<String>, ServerFnError> {
    session
        .get::<String>(session_keys::CART_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))
}
