//! Query strings as Medusa clients send them: scalars once, lists as a
//! repeated `key=` or `key[]=`, pages as `offset` and `limit`.
//!
//! A page holds at most [`MAX_PAGE_SIZE`] items, whatever `limit` asks:
//! Medusa sets no maximum, but no request may have the database read an
//! unbounded number of rows. The answer's `limit` is the one applied, so a
//! client paging by it (or by the items it got) misses nothing.

use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
};

use crate::http::error::ApiError;

pub use domain::catalog::MAX_PAGE_SIZE;

/// Medusa's page size when `limit` is not given.
const DEFAULT_LIMIT: u64 = 50;

pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| ApiError::invalid_data(e.body_text()))?;
        Ok(Self(pairs))
    }
}

impl Params {
    fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key || k.strip_suffix("[]") == Some(key))
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`; 400 when it is given more than once.
    pub fn text(&self, key: &str) -> Result<Option<String>, ApiError> {
        let mut values = self.values(key);
        let first = values.next().map(str::to_owned);
        if values.next().is_some() {
            return Err(ApiError::invalid_data(format!("{key} takes one value")));
        }
        Ok(first)
    }

    /// Every value of `key`; 400 when one is empty.
    pub fn list(&self, key: &str) -> Result<Vec<String>, ApiError> {
        let values: Vec<String> = self.values(key).map(|v| v.trim().to_owned()).collect();
        if values.iter().any(String::is_empty) {
            return Err(ApiError::invalid_data(format!("{key} cannot be empty")));
        }
        Ok(values)
    }

    pub fn count(&self, key: &str) -> Result<Option<u64>, ApiError> {
        self.text(key)?
            .map(|v| {
                v.trim().parse().map_err(|_| {
                    ApiError::invalid_data(format!(
                        "{key} must be a whole number of 0 or more, not {v:?}"
                    ))
                })
            })
            .transpose()
    }

    /// `(offset, limit)`, 0 and 50 when not given; `limit` at most
    /// [`MAX_PAGE_SIZE`].
    pub fn page(&self) -> Result<(u64, u64), ApiError> {
        let limit = self.count("limit")?.unwrap_or(DEFAULT_LIMIT);
        Ok((self.count("offset")?.unwrap_or(0), limit.min(MAX_PAGE_SIZE)))
    }
}

/// A JSON body that may be left out (an empty body means every default).
pub fn optional_body<T: serde::de::DeserializeOwned + Default>(
    body: &axum::body::Bytes,
) -> Result<T, crate::http::error::ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        crate::http::error::ApiError::invalid_data(format!("the request body does not fit: {e}"))
    })
}
