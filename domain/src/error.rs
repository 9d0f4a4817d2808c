use sea_orm::DbErr;

/// Every failure a domain call can report. Front-ends map each variant to
/// their own vocabulary (an HTTP status, a form message, a CLI exit code).
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{entity} with id {id} was not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// A well-formed request the store's state refuses (Medusa's `not_allowed`),
    /// e.g. more units than are in stock.
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the account's role does not cover the action.
    #[error("{0}")]
    Forbidden(String),
    /// The store is too busy to take this on now (e.g. too many password
    /// checks waiting); the same request may succeed a moment later.
    #[error("{0}")]
    Busy(String),
    /// Asked again too soon (e.g. another SMS code): try after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A record a request names that is missing is bad input (400), not a
/// missing page (404): `what` names the kind in the message.
pub fn referenced<T>(
    found: Result<T, DomainError>,
    what: &str,
    id: &str,
) -> Result<T, DomainError> {
    found.map_err(|e| match e {
        DomainError::NotFound { .. } => DomainError::Invalid(format!("there is no {what} {id}")),
        e => e,
    })
}

impl DomainError {
    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            entity,
            id: id.into(),
        }
    }
}
