//! What the server hands to server functions, and the small helpers they share.

use std::{future::Future, pin::Pin, sync::Arc};

use domain::DomainError;
use domain::{
    db::DatabaseConnection,
    loyalty::Loyalty,
    payments::Providers,
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
    /// Holds the payment first.
    fn open_purchase(
        &self,
        device_id: String,
        customer_id: String,
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

pub fn server_context() -> Result<ServerContext, ServerFnError> {
    use_context::<ServerContext>().ok_or_else(|| ServerFnError::new("server context missing"))
}

pub async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| ServerFnError::new(format!("no session: {e}")))
}

/// The signed-in admin's id, or an error that reads well in a form.
pub async fn require_admin(session: &Session) -> Result<String, ServerFnError> {
    session
        .get::<String>(session_keys::ADMIN_USER_ID)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?
        .ok_or_else(|| ServerFnError::new("please sign in"))
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
