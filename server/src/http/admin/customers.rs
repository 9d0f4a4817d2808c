//! `/admin/customers`: Medusa v2's admin customer list and detail.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use domain::customers::{self, address, customer};
use serde::Serialize;

use crate::{
    http::{auth::AuthenticatedAdmin, error::ApiError, params::Params},
    state::AppState,
};

/// Medusa's `AdminCustomer`, with the fields we keep.
#[derive(Serialize)]
pub struct AdminCustomer {
    id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    company_name: Option<String>,
    has_account: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    addresses: Option<Vec<AdminCustomerAddress>>,
}

#[derive(Serialize)]
pub struct AdminCustomerAddress {
    id: String,
    address_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    address_1: Option<String>,
    address_2: Option<String>,
    city: Option<String>,
    country_code: Option<String>,
    province: Option<String>,
    postal_code: Option<String>,
    phone: Option<String>,
    is_default_shipping: bool,
    is_default_billing: bool,
}

impl From<customer::Model> for AdminCustomer {
    fn from(c: customer::Model) -> Self {
        Self {
            id: c.id,
            email: c.email,
            first_name: c.first_name,
            last_name: c.last_name,
            phone: c.phone,
            company_name: c.company_name,
            has_account: c.has_account,
            created_at: c.created_at,
            updated_at: c.updated_at,
            deleted_at: c.deleted_at,
            addresses: None,
        }
    }
}

impl From<address::Model> for AdminCustomerAddress {
    fn from(a: address::Model) -> Self {
        Self {
            id: a.id,
            address_name: a.address_name,
            first_name: a.first_name,
            last_name: a.last_name,
            company: a.company,
            address_1: a.address_1,
            address_2: a.address_2,
            city: a.city,
            country_code: a.country_code,
            province: a.province,
            postal_code: a.postal_code,
            phone: a.phone,
            is_default_shipping: a.is_default_shipping,
            is_default_billing: a.is_default_billing,
        }
    }
}

#[derive(Serialize)]
pub struct CustomerList {
    customers: Vec<AdminCustomer>,
    count: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
pub struct CustomerResponse {
    customer: AdminCustomer,
}

/// `GET /admin/customers?q=…&offset=…&limit=…`
pub async fn list(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<CustomerList>, ApiError> {
    let (offset, limit) = params.page()?;
    let q = params.text("q")?;
    let (found, count) = customers::list(&state.db, q.as_deref(), offset, limit).await?;
    Ok(Json(CustomerList {
        customers: found.into_iter().map(AdminCustomer::from).collect(),
        count,
        offset,
        limit,
    }))
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let found = customers::retrieve(&state.db, &id).await?;
    let mut customer = AdminCustomer::from(found.customer);
    customer.addresses = Some(found.addresses.into_iter().map(Into::into).collect());
    Ok(Json(CustomerResponse { customer }))
}
