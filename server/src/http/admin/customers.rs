//! `/admin/customers`: Medusa v2's admin customer list and detail.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    credentials::Email,
    customers::{self, CustomerWithAddresses, Profile, address, customer},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    http::{
        auth::AuthenticatedAdmin,
        error::ApiError,
        params::Params,
        store::customers::{AddressBody, AddressDeleted, AddressList},
    },
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

impl From<CustomerWithAddresses> for CustomerResponse {
    fn from(found: CustomerWithAddresses) -> Self {
        let mut customer = AdminCustomer::from(found.customer);
        customer.addresses = Some(found.addresses.into_iter().map(Into::into).collect());
        Self { customer }
    }
}

/// What an admin sends to create or change a customer (Medusa's fields).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    company_name: Option<String>,
    metadata: Option<Value>,
}

impl CustomerBody {
    fn profile(self) -> Result<Profile, ApiError> {
        match &self.metadata {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(_) => {
                return Err(ApiError::invalid_data(
                    "metadata is not kept on customers here",
                ));
            }
        }
        Ok(Profile {
            first_name: self.first_name,
            last_name: self.last_name,
            phone: self.phone,
            company_name: self.company_name,
        })
    }
}

#[derive(Serialize)]
pub struct AddressResponse {
    address: AdminCustomerAddress,
}

pub async fn retrieve(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CustomerResponse>, ApiError> {
    Ok(Json(customers::retrieve(&state.db, &id).await?.into()))
}

/// A customer without an account (a phone order, a business), by email.
pub async fn create(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    body: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    let email = Email::parse(
        body.email
            .as_deref()
            .ok_or_else(|| ApiError::invalid_data("a customer needs an email"))?,
    )?;
    let created = customers::create_without_account(&state.db, &email, body.profile()?).await?;
    Ok(Json(created.into()))
}

/// Changes a customer's details. The email stays: a registered customer
/// signs in with it (and changes it themselves).
pub async fn update(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<CustomerBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    let current = customers::retrieve(&state.db, &id).await?;
    if body
        .email
        .as_deref()
        .is_some_and(|email| !email.trim().eq_ignore_ascii_case(&current.customer.email))
    {
        return Err(ApiError::invalid_data(
            "a customer's email stays: it is how they sign in and get their receipts",
        ));
    }
    let updated = customers::update_profile(&state.db, &id, body.profile()?).await?;
    Ok(Json(updated.into()))
}

/// `POST /admin/customers/{id}/customer-groups`: into some groups, out of others.
pub async fn batch_groups(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<super::LinkBatch>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(batch) = body?;
    customers::change_customer_groups(&state.db, &id, &batch.add, &batch.remove).await?;
    Ok(Json(customers::retrieve(&state.db, &id).await?.into()))
}

pub async fn list_addresses(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<AddressList<AdminCustomerAddress>>, ApiError> {
    let (offset, limit) = params.page()?;
    customers::retrieve(&state.db, &id).await?;
    let (page, count) = customers::list_addresses(&state.db, &id, offset, limit).await?;
    Ok(AddressList::of(page, count, offset, limit))
}

pub async fn add_address(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<AddressBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    customers::add_address(&state.db, &id, body.into()).await?;
    Ok(Json(customers::retrieve(&state.db, &id).await?.into()))
}

pub async fn retrieve_address(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, address_id)): Path<(String, String)>,
) -> Result<Json<AddressResponse>, ApiError> {
    Ok(Json(AddressResponse {
        address: customers::find_address(&state.db, &id, &address_id)
            .await?
            .into(),
    }))
}

pub async fn update_address(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, address_id)): Path<(String, String)>,
    body: Result<Json<AddressBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    customers::update_address(&state.db, &id, &address_id, body.into()).await?;
    Ok(Json(customers::retrieve(&state.db, &id).await?.into()))
}

pub async fn delete_address(
    _admin: AuthenticatedAdmin,
    State(state): State<AppState>,
    Path((id, address_id)): Path<(String, String)>,
) -> Result<Json<AddressDeleted<AdminCustomer>>, ApiError> {
    customers::delete_address(&state.db, &id, &address_id).await?;
    let parent = CustomerResponse::from(customers::retrieve(&state.db, &id).await?).customer;
    Ok(AddressDeleted::of(address_id, "customer_address", parent))
}
