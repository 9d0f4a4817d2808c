//! `/admin/uploads` (Medusa's file routes) and `POST
//! /admin/products/{id}/images`, the dashboard's upload form: pictures
//! sent as `multipart/form-data`, checked and scaled by `domain::files`.

use axum::{
    Json,
    extract::{Multipart, Path, State, multipart::MultipartRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use domain::files::{self, file};
use serde::Serialize;

use super::{Deleted, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError},
    state::AppState,
};

/// Files one request may carry.
pub const MAX_FILES: usize = 10;

/// Medusa's `AdminFile`, with the smaller copies made of it.
#[derive(Serialize)]
pub struct AdminFile {
    id: String,
    url: String,
    renditions: Vec<Rendition>,
}

#[derive(Serialize)]
struct Rendition {
    width: u32,
    url: String,
}

impl From<file::Model> for AdminFile {
    fn from(file: file::Model) -> Self {
        Self {
            renditions: file
                .renditions()
                .into_iter()
                .map(|r| Rendition {
                    width: r.width,
                    url: r.url,
                })
                .collect(),
            id: file.id,
            url: file.url,
        }
    }
}

pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let uploaded = store_all(&state, form).await?;
    let files: Vec<AdminFile> = uploaded.into_iter().map(AdminFile::from).collect();
    Ok(Json(serde_json::json!({ "files": files })))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let file = files::find(&state.db, &id).await?;
    Ok(one("file", AdminFile::from(file)))
}

pub async fn delete(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    files::delete(&state.db, state.files.as_ref(), &id).await?;
    Ok(Deleted::of("file", id))
}

/// Uploads pictures and adds them after the product's others. A browser's
/// form goes back to the product page (with `upload_error` when refused);
/// other clients get the product.
pub async fn add_to_product(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(product_id): Path<String>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let from_browser = crate::http::wants_html(&headers);
    let added = add_pictures(&state, &product_id, form).await;
    if from_browser {
        let page = format!(
            "/admin/products/{}",
            app::redirects::query_value(&product_id)
        );
        return Ok(match added {
            Ok(()) => Redirect::to(&page),
            Err(e) if e.status() != StatusCode::NOT_FOUND => Redirect::to(&format!(
                "{page}?upload_error={}",
                app::redirects::query_value(e.message())
            )),
            Err(e) => return Err(e),
        }
        .into_response());
    }
    added?;
    Ok(
        super::products::retrieve(admin, State(state), Path(product_id))
            .await?
            .into_response(),
    )
}

async fn add_pictures(
    state: &AppState,
    product_id: &str,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(), ApiError> {
    domain::catalog::find_product(&state.db, product_id).await?;
    for file in store_all(state, form).await? {
        domain::catalog::editing::add_image(&state.db, product_id, &file.url).await?;
    }
    Ok(())
}

/// Reads every file of the form and stores each; if one is refused, the
/// ones stored before it are deleted again, so a request is all or nothing.
async fn store_all(
    state: &AppState,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Vec<file::Model>, ApiError> {
    let received = read_files(form, state.upload_max_bytes).await?;
    let mut uploaded: Vec<file::Model> = Vec::with_capacity(received.len());
    for (name, bytes) in received {
        match files::upload(&state.db, state.files.as_ref(), &name, bytes).await {
            Ok(file) => uploaded.push(file),
            Err(e) => {
                for file in uploaded {
                    if let Err(undo) =
                        files::delete(&state.db, state.files.as_ref(), &file.id).await
                    {
                        tracing::warn!(file = %file.id, error = %undo, "an upload of a refused request was kept");
                    }
                }
                // The name as sent, cut short: it goes back in a message (and a URL).
                let shown: String = name.chars().take(100).collect();
                let message = format!("{shown}: {e}");
                return Err(match ApiError::from(e) {
                    refused if refused.status() == StatusCode::BAD_REQUEST => {
                        ApiError::invalid_data(message)
                    }
                    other => other,
                });
            }
        }
    }
    Ok(uploaded)
}

/// The form's files (any field with a file name; Medusa's is `files`), each
/// at most `max_bytes`, read as they arrive so an oversized one is refused
/// before it is all in memory.
async fn read_files(
    form: Result<Multipart, MultipartRejection>,
    max_bytes: usize,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut form = form.map_err(|e| {
        ApiError::invalid_data(format!(
            "send the files as multipart/form-data in a field named files ({})",
            e.body_text()
        ))
    })?;
    let mut received = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        if received.len() == MAX_FILES {
            return Err(ApiError::invalid_data(format!(
                "at most {MAX_FILES} files can be uploaded at once"
            )));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_data",
                    format!(
                        "{name} is larger than the {} MB a file may have",
                        max_bytes / (1024 * 1024)
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        received.push((name, bytes));
    }
    if received.is_empty() {
        return Err(ApiError::invalid_data(
            "no file was sent: add one or more files to the form field files",
        ));
    }
    Ok(received)
}

fn unreadable(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::new(
        e.status(),
        "invalid_data",
        format!("the upload could not be read: {}", e.body_text()),
    )
}
