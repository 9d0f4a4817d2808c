use axum::{Json, extract::State};
use domain::{
    admin_users::{self, admin_user},
    sign_ins,
};
use serde::Serialize;

use super::Listing;
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminUser`, without the fields we do not keep.
#[derive(Serialize)]
pub struct AdminUser {
    id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    avatar_url: Option<String>,
    metadata: Option<serde_json::Value>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<admin_user::Model> for AdminUser {
    fn from(user: admin_user::Model) -> Self {
        Self {
            id: user.id,
            email: user.email,
            first_name: None,
            last_name: None,
            avatar_url: None,
            metadata: None,
            created_at: user.created_at,
            updated_at: user.created_at,
            deleted_at: None,
        }
    }
}

#[derive(Serialize)]
pub struct UserResponse {
    user: AdminUser,
}

pub async fn me(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
) -> Result<Json<UserResponse>, ApiError> {
    let user = admin_users::find_by_id(&state.db, &admin.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("Unauthorized"))?;
    Ok(Json(UserResponse { user: user.into() }))
}

/// Ends every sign-in of the admin user: each token and dashboard session,
/// the caller's own included.
pub async fn sign_out_everywhere(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    sign_ins::end_all(&state.db, &sign_ins::Account::AdminUser(admin.id)).await?;
    Ok(Json(serde_json::json!({ "success": true })))
}

pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Listing<AdminUser>>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let page = admin_users::list_page(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Listing::of("users", page, AdminUser::from))
}
