//! `/admin/users`: Medusa's admin users, with Automat's roles; owners change
//! others' roles, disable, enable and delete them.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use domain::{
    admin_users::{self, Changes, Names, Role, admin_user},
    sign_ins,
};
use serde::{Deserialize, Serialize};

use super::{Deleted, Listing, one};
use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminUser`, without the fields we do not keep, and with
/// Automat's `role` and `disabled_at`.
#[derive(Serialize)]
pub struct AdminUser {
    id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    avatar_url: Option<String>,
    metadata: Option<serde_json::Value>,
    role: Role,
    disabled_at: Option<chrono::DateTime<chrono::Utc>>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<admin_user::Model> for AdminUser {
    fn from(user: admin_user::Model) -> Self {
        Self {
            id: user.id,
            email: user.email,
            first_name: user.first_name,
            last_name: user.last_name,
            avatar_url: None,
            metadata: None,
            role: user.role,
            disabled_at: user.disabled_at,
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
    let user = admin_users::signed_in(&state.db, &admin.id).await?;
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

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = admin_users::find_by_id(&state.db, &id)
        .await?
        .ok_or_else(|| domain::DomainError::not_found("AdminUser", &id))?;
    Ok(one("user", AdminUser::from(user)))
}

/// Medusa's `AdminUpdateUser` (names; `avatar_url` and `metadata` are not
/// kept), with Automat's `role` and `disabled`.
#[derive(Deserialize)]
pub struct UpdateUser {
    first_name: Option<String>,
    last_name: Option<String>,
    role: Option<String>,
    disabled: Option<bool>,
}

pub async fn update(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<UpdateUser>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Json(body) = body?;
    let role = body.role.as_deref().map(Role::parse).transpose()?;
    let names = match (&body.first_name, &body.last_name) {
        (None, None) => None,
        // A name not sent stays as it is.
        _ => {
            let user = admin_users::find_by_id(&state.db, &id)
                .await?
                .ok_or_else(|| domain::DomainError::not_found("AdminUser", &id))?;
            Some(Names::parse(
                body.first_name.as_deref().or(user.first_name.as_deref()),
                body.last_name.as_deref().or(user.last_name.as_deref()),
            )?)
        }
    };
    let changes = Changes {
        role,
        disabled: body.disabled,
        names,
    };
    let user = admin_users::update(&state.db, &admin.id, &id, changes).await?;
    Ok(one("user", AdminUser::from(user)))
}

pub async fn delete(
    admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    admin_users::delete(&state.db, &admin.id, &id).await?;
    Ok(Deleted::of("user", id))
}
