//! Who may call which Admin API route: the one table of route → permission,
//! and the one layer that checks it for every route of the admin router
//! (`domain::admin_users::Role::may` decides; the dashboard's server
//! functions ask the same rule).

use axum::{
    extract::{FromRequestParts, MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::{
    DomainError,
    admin_users::{
        self,
        Permission::{self, *},
        Role,
    },
};

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError},
    state::AppState,
};

/// Every Admin API route behind sign-in, by method and path as routed, with
/// what the caller's role must allow. A route missing here is open to owners
/// only (and the `admin_roles` API test fails until it is added).
#[rustfmt::skip]
pub const ROUTES: &[(&str, &str, Permission)] = &[
    ("get", "/admin/users/me", OwnAccount),
    ("post", "/admin/users/me/sign-out-everywhere", OwnAccount),
    ("get", "/admin/users", ManageUsers),
    ("get", "/admin/users/{id}", ManageUsers),
    ("post", "/admin/users/{id}", ManageUsers),
    ("delete", "/admin/users/{id}", ManageUsers),
    ("get", "/admin/invites", ManageUsers),
    ("post", "/admin/invites", ManageUsers),
    ("get", "/admin/invites/{id}", ManageUsers),
    ("delete", "/admin/invites/{id}", ManageUsers),
    ("post", "/admin/invites/{id}/resend", ManageUsers),
    ("get", "/admin/api/device-events", ViewDevices),
    ("get", "/admin/vending/machines", ViewDevices),
    ("get", "/admin/vending/machines/{device_id}", ViewDevices),
    ("get", "/admin/vending/machines/{device_id}/qr-code", ViewDevices),
    ("get", "/admin/vending/machines/{device_id}/scales", ViewDevices),
    ("post", "/admin/vending/machines/{device_id}/service", ServiceMode),
    ("post", "/admin/vending/machines/{device_id}/sync", Restocking),
    ("post", "/admin/vending/scales/{scale_id}/products", Restocking),
    ("get", "/admin/vending/machines/{device_id}/par-levels", ViewDevices),
    ("post", "/admin/vending/machines/{device_id}/par-levels", ManageFleet),
    ("get", "/admin/vending/pick-list", Restocking),
    ("get", "/admin/vending/sessions", ViewVendingSessions),
    ("get", "/admin/vending/sessions/{id}", ViewVendingSessions),
    ("post", "/admin/vending/machines", ManageFleet),
    ("post", "/admin/vending/machines/{device_id}/location", ManageFleet),
    ("post", "/admin/vending/machines/{device_id}/decommission", ManageFleet),
    ("post", "/admin/vending/machines/{device_id}/credentials", ManageFleet),
    ("post", "/admin/vending/machines/{device_id}/scales", ManageFleet),
    ("post", "/admin/vending/sessions/{id}/close", ManageFleet),
    ("get", "/admin/promotions", ManageStore),
    ("post", "/admin/promotions", ManageStore),
    ("get", "/admin/promotions/{id}", ManageStore),
    ("post", "/admin/promotions/{id}", ManageStore),
    ("delete", "/admin/promotions/{id}", ManageStore),
    ("get", "/admin/customer-groups", ManageStore),
    ("post", "/admin/customer-groups", ManageStore),
    ("get", "/admin/customer-groups/{id}", ManageStore),
    ("post", "/admin/customer-groups/{id}", ManageStore),
    ("delete", "/admin/customer-groups/{id}", ManageStore),
    ("post", "/admin/customer-groups/{id}/customers", ManageStore),
    ("get", "/admin/shipping-profiles", ManageStore),
    ("post", "/admin/shipping-profiles", ManageStore),
    ("get", "/admin/shipping-profiles/{id}", ManageStore),
    ("post", "/admin/shipping-profiles/{id}", ManageStore),
    ("delete", "/admin/shipping-profiles/{id}", ManageStore),
    ("get", "/admin/shipping-options", ManageStore),
    ("post", "/admin/shipping-options", ManageStore),
    ("get", "/admin/shipping-options/{id}", ManageStore),
    ("post", "/admin/shipping-options/{id}", ManageStore),
    ("delete", "/admin/shipping-options/{id}", ManageStore),
    ("post", "/admin/shipping-options/{id}/rules/batch", ManageStore),
    ("get", "/admin/shipping-option-types", ManageStore),
    ("get", "/admin/shipping-option-types/{id}", ManageStore),
    ("get", "/admin/fulfillment-providers", ManageStore),
    ("get", "/admin/return-reasons", ManageStore),
    ("post", "/admin/return-reasons", ManageStore),
    ("get", "/admin/return-reasons/{id}", ManageStore),
    ("post", "/admin/return-reasons/{id}", ManageStore),
    ("delete", "/admin/return-reasons/{id}", ManageStore),
    ("get", "/admin/campaigns", ManageStore),
    ("post", "/admin/campaigns", ManageStore),
    ("get", "/admin/campaigns/{id}", ManageStore),
    ("post", "/admin/campaigns/{id}", ManageStore),
    ("delete", "/admin/campaigns/{id}", ManageStore),
    ("post", "/admin/campaigns/{id}/promotions", ManageStore),
    ("get", "/admin/overview", ManageStore),
    ("get", "/admin/exports/orders.csv", ManageStore),
    ("get", "/admin/exports/sessions.csv", ManageStore),
    ("get", "/admin/exports/products.csv", ManageStore),
    ("get", "/admin/alerts", ManageStore),
    ("post", "/admin/alerts/{id}/acknowledge", ManageStore),
    ("get", "/admin/notifications", ManageStore),
    ("get", "/admin/notifications/{id}", ManageStore),
    ("post", "/admin/notifications/{id}/resend", ManageStore),
    ("get", "/admin/loyalty/config", ManageStore),
    ("post", "/admin/loyalty/config", ManageStore),
    ("get", "/admin/loyalty/sessions", ManageStore),
    ("get", "/admin/orders", ManageStore),
    ("get", "/admin/orders/{id}", ManageStore),
    ("post", "/admin/orders/{id}/cancel", ManageStore),
    ("post", "/admin/orders/{id}/fulfillments", ManageStore),
    ("post", "/admin/orders/{id}/fulfillments/{fulfillment_id}/shipments", ManageStore),
    ("post", "/admin/orders/{id}/fulfillments/{fulfillment_id}/mark-as-delivered", ManageStore),
    ("post", "/admin/orders/{id}/archive", ManageStore),
    ("get", "/admin/stores", ManageStore),
    ("get", "/admin/stores/{id}", ManageStore),
    ("post", "/admin/stores/{id}", ManageStore),
    ("get", "/admin/currencies", ManageStore),
    ("get", "/admin/currencies/{code}", ManageStore),
    ("get", "/admin/returns", ManageStore),
    ("post", "/admin/returns", ManageStore),
    ("get", "/admin/returns/{id}", ManageStore),
    ("post", "/admin/returns/{id}/receive", ManageStore),
    ("post", "/admin/returns/{id}/cancel", ManageStore),
    ("get", "/admin/payments", ManageStore),
    ("get", "/admin/payments/{id}", ManageStore),
    ("post", "/admin/payments/{id}/capture", ManageStore),
    ("post", "/admin/payments/{id}/refund", ManageStore),
    ("get", "/admin/customers", ManageStore),
    ("post", "/admin/customers", ManageStore),
    ("post", "/admin/customers/{id}", ManageStore),
    ("post", "/admin/customers/{id}/customer-groups", ManageStore),
    ("get", "/admin/customers/{id}/addresses", ManageStore),
    ("post", "/admin/customers/{id}/addresses", ManageStore),
    ("get", "/admin/customers/{id}/addresses/{address_id}", ManageStore),
    ("post", "/admin/customers/{id}/addresses/{address_id}", ManageStore),
    ("delete", "/admin/customers/{id}/addresses/{address_id}", ManageStore),
    ("get", "/admin/customers/{id}", ManageStore),
    ("get", "/admin/products", ManageStore),
    ("post", "/admin/products", ManageStore),
    ("get", "/admin/products/{id}", ManageStore),
    ("post", "/admin/products/{id}", ManageStore),
    ("delete", "/admin/products/{id}", ManageStore),
    ("post", "/admin/products/{id}/images", ManageStore),
    ("post", "/admin/uploads", ManageStore),
    ("get", "/admin/uploads/{id}", ManageStore),
    ("delete", "/admin/uploads/{id}", ManageStore),
    ("get", "/admin/products/{id}/variants", ManageStore),
    ("post", "/admin/products/{id}/variants", ManageStore),
    ("get", "/admin/products/{id}/variants/{variant_id}", ManageStore),
    ("post", "/admin/products/{id}/variants/{variant_id}", ManageStore),
    ("delete", "/admin/products/{id}/variants/{variant_id}", ManageStore),
    ("get", "/admin/product-variants", ManageStore),
    ("get", "/admin/products/{id}/options", ManageStore),
    ("post", "/admin/products/{id}/options", ManageStore),
    ("get", "/admin/products/{id}/options/{option_id}", ManageStore),
    ("post", "/admin/products/{id}/options/{option_id}", ManageStore),
    ("delete", "/admin/products/{id}/options/{option_id}", ManageStore),
    ("get", "/admin/product-categories", ManageStore),
    ("post", "/admin/product-categories", ManageStore),
    ("get", "/admin/product-categories/{id}", ManageStore),
    ("post", "/admin/product-categories/{id}", ManageStore),
    ("delete", "/admin/product-categories/{id}", ManageStore),
    ("get", "/admin/collections", ManageStore),
    ("post", "/admin/collections", ManageStore),
    ("get", "/admin/collections/{id}", ManageStore),
    ("post", "/admin/collections/{id}", ManageStore),
    ("delete", "/admin/collections/{id}", ManageStore),
    ("get", "/admin/sales-channels", ManageStore),
    ("post", "/admin/sales-channels", ManageStore),
    ("get", "/admin/sales-channels/{id}", ManageStore),
    ("post", "/admin/sales-channels/{id}", ManageStore),
    ("delete", "/admin/sales-channels/{id}", ManageStore),
    ("post", "/admin/sales-channels/{id}/products", ManageStore),
    ("get", "/admin/stock-locations", ManageStore),
    ("post", "/admin/stock-locations", ManageStore),
    ("get", "/admin/stock-locations/{id}", ManageStore),
    ("post", "/admin/stock-locations/{id}", ManageStore),
    ("delete", "/admin/stock-locations/{id}", ManageStore),
    ("post", "/admin/stock-locations/{id}/sales-channels", ManageStore),
    ("get", "/admin/inventory-items", ManageStore),
    ("get", "/admin/inventory-items/{id}", ManageStore),
    ("get", "/admin/inventory-items/{id}/location-levels", ManageStore),
    ("post", "/admin/inventory-items/{id}/location-levels", ManageStore),
    ("post", "/admin/inventory-items/{id}/location-levels/{location_id}", ManageStore),
    ("delete", "/admin/inventory-items/{id}/location-levels/{location_id}", ManageStore),
    ("get", "/admin/reservations", ManageStore),
    ("post", "/admin/reservations", ManageStore),
    ("get", "/admin/reservations/{id}", ManageStore),
    ("post", "/admin/reservations/{id}", ManageStore),
    ("delete", "/admin/reservations/{id}", ManageStore),
    ("get", "/admin/api-keys", ManageStore),
    ("post", "/admin/api-keys", ManageStore),
    ("get", "/admin/api-keys/{id}", ManageStore),
    ("post", "/admin/api-keys/{id}", ManageStore),
    ("delete", "/admin/api-keys/{id}", ManageStore),
    ("post", "/admin/api-keys/{id}/revoke", ManageStore),
    ("post", "/admin/api-keys/{id}/sales-channels", ManageStore),
    ("get", "/admin/regions", ManageStore),
    ("post", "/admin/regions", ManageStore),
    ("get", "/admin/regions/{id}", ManageStore),
    ("post", "/admin/regions/{id}", ManageStore),
    ("delete", "/admin/regions/{id}", ManageStore),
];

/// What a route of the table requires; `None` for a route not in it.
pub fn required(method: &Method, path: &str) -> Option<Permission> {
    ROUTES
        .iter()
        .find(|(m, p, _)| m.eq_ignore_ascii_case(method.as_str()) && *p == path)
        .map(|&(_, _, permission)| permission)
}

/// Signs the caller in (token or dashboard session), checks they are still
/// enabled and that their role allows the route, before any handler runs.
/// Refused: 401 when not (or no longer) signed in, 403 with what the role
/// lacks.
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let admin = match AuthenticatedAdmin::from_request_parts(&mut parts, &state).await {
        Ok(admin) => admin,
        Err(refused) => return refused.into_response(),
    };
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_default();
    let checked = match required(&parts.method, &route) {
        Some(permission) => admin_users::authorize(&state.db, &admin.id, permission)
            .await
            .map(drop),
        None => owners_only(&state, &admin.id, &route).await,
    };
    if let Err(refused) = checked {
        return ApiError::from(refused).into_response();
    }
    // The handlers' own `AuthenticatedAdmin` takes this one instead of
    // checking the token or session again.
    parts.extensions.insert(admin);
    next.run(Request::from_parts(parts, body)).await
}

/// A route nobody gave a permission yet: the owners' alone, so a new route
/// is never open to a role by mistake.
async fn owners_only(state: &AppState, id: &str, route: &str) -> Result<(), DomainError> {
    let user = admin_users::signed_in(&state.db, id).await?;
    if user.role == Role::Owner {
        return Ok(());
    }
    Err(DomainError::Forbidden(format!(
        "{route} is open to owners only"
    )))
}
