//! `/store/customers` and `/store/customers/me[/addresses]`.

use axum::{
    Json,
    extract::{Path, State, rejection::JsonRejection},
};
use chrono::{DateTime, Utc};
use domain::{
    credentials::Email,
    customers::{self, AddressFields, CustomerWithAddresses, Profile, address},
    sign_ins,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::publishable_key::PublishableKey;
use crate::{
    http::{
        auth::{AuthenticatedCustomer, BearerClaims},
        error::ApiError,
        params::Params,
    },
    state::AppState,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// Optional: the customer gets the registered identity's email; one
    /// stated here must be that one.
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    company_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    company_name: Option<String>,
}

impl From<UpdateCustomer> for Profile {
    fn from(u: UpdateCustomer) -> Self {
        Self {
            first_name: u.first_name,
            last_name: u.last_name,
            phone: u.phone,
            company_name: u.company_name,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
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
    is_default_shipping: Option<bool>,
    is_default_billing: Option<bool>,
    metadata: Option<serde_json::Map<String, Value>>,
}

impl From<AddressBody> for AddressFields {
    fn from(b: AddressBody) -> Self {
        Self {
            address_name: b.address_name,
            first_name: b.first_name,
            last_name: b.last_name,
            company: b.company,
            address_1: b.address_1,
            address_2: b.address_2,
            city: b.city,
            country_code: b.country_code,
            province: b.province,
            postal_code: b.postal_code,
            phone: b.phone,
            is_default_shipping: b.is_default_shipping,
            is_default_billing: b.is_default_billing,
            metadata: b.metadata.map(Value::Object),
        }
    }
}

/// Medusa's `StoreCustomer`.
#[derive(Serialize)]
pub struct StoreCustomer {
    id: String,
    email: String,
    default_billing_address_id: Option<String>,
    default_shipping_address_id: Option<String>,
    company_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    has_account: bool,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    addresses: Vec<StoreCustomerAddress>,
}

impl From<CustomerWithAddresses> for StoreCustomer {
    fn from(c: CustomerWithAddresses) -> Self {
        let default_billing_address_id = c.default_billing_address_id().map(str::to_owned);
        let default_shipping_address_id = c.default_shipping_address_id().map(str::to_owned);
        let CustomerWithAddresses {
            customer,
            addresses,
        } = c;
        Self {
            id: customer.id,
            email: customer.email,
            default_billing_address_id,
            default_shipping_address_id,
            company_name: customer.company_name,
            first_name: customer.first_name,
            last_name: customer.last_name,
            phone: customer.phone,
            has_account: customer.has_account,
            metadata: None,
            created_at: customer.created_at,
            updated_at: customer.updated_at,
            deleted_at: customer.deleted_at,
            addresses: addresses
                .into_iter()
                .map(StoreCustomerAddress::from)
                .collect(),
        }
    }
}

/// Medusa's `StoreCustomerAddress`.
#[derive(Serialize)]
pub struct StoreCustomerAddress {
    id: String,
    address_name: Option<String>,
    is_default_shipping: bool,
    is_default_billing: bool,
    customer_id: String,
    company: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    address_1: Option<String>,
    address_2: Option<String>,
    city: Option<String>,
    country_code: Option<String>,
    province: Option<String>,
    postal_code: Option<String>,
    phone: Option<String>,
    metadata: Option<Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<address::Model> for StoreCustomerAddress {
    fn from(a: address::Model) -> Self {
        Self {
            id: a.id,
            address_name: a.address_name,
            is_default_shipping: a.is_default_shipping,
            is_default_billing: a.is_default_billing,
            customer_id: a.customer_id,
            company: a.company,
            first_name: a.first_name,
            last_name: a.last_name,
            address_1: a.address_1,
            address_2: a.address_2,
            city: a.city,
            country_code: a.country_code,
            province: a.province,
            postal_code: a.postal_code,
            phone: a.phone,
            metadata: a.metadata,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Serialize)]
pub struct CustomerResponse {
    customer: StoreCustomer,
}

#[derive(Serialize)]
pub struct AddressResponse {
    address: StoreCustomerAddress,
}

/// A page of a customer's addresses, as the Store and Admin APIs answer it.
#[derive(Serialize)]
pub struct AddressList<A> {
    addresses: Vec<A>,
    count: u64,
    offset: u64,
    limit: u64,
}

impl<A> AddressList<A> {
    pub fn of<M: Into<A>>(page: Vec<M>, count: u64, offset: u64, limit: u64) -> Json<Self> {
        Json(Self {
            addresses: page.into_iter().map(Into::into).collect(),
            count,
            offset,
            limit,
        })
    }
}

/// A deleted address and the customer it belonged to, as they are now.
#[derive(Serialize)]
pub struct AddressDeleted<P> {
    id: String,
    object: &'static str,
    deleted: bool,
    parent: P,
}

impl<P> AddressDeleted<P> {
    pub fn of(id: String, object: &'static str, parent: P) -> Json<Self> {
        Json(Self {
            id,
            object,
            deleted: true,
            parent,
        })
    }
}

async fn customer_response(
    state: &AppState,
    customer_id: &str,
) -> Result<Json<CustomerResponse>, ApiError> {
    Ok(Json(CustomerResponse {
        customer: customers::retrieve(&state.db, customer_id).await?.into(),
    }))
}

/// Creates the customer of a registration token's identity, with its email.
pub async fn create(
    State(state): State<AppState>,
    _key: PublishableKey,
    BearerClaims(claims): BearerClaims,
    body: Result<Json<CreateCustomer>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    if !claims.actor_id.is_empty() {
        return Err(ApiError::invalid_data(
            "Request already authenticated as a customer.",
        ));
    }
    let stated_email = body.email.as_deref().map(Email::parse).transpose()?;
    let profile = Profile {
        first_name: body.first_name,
        last_name: body.last_name,
        phone: body.phone,
        company_name: body.company_name,
    };
    let customer = customers::create_for_identity(
        &state.db,
        &claims.auth_identity_id,
        stated_email.as_ref(),
        profile,
    )
    .await?;
    customer_response(&state, &customer.id).await
}

pub async fn me(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
) -> Result<Json<CustomerResponse>, ApiError> {
    customer_response(&state, &me.id).await
}

/// Ends every sign-in of the customer: each token and web session, the
/// caller's own included.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
) -> Result<Json<Value>, ApiError> {
    sign_ins::end_all(&state.db, &sign_ins::Account::Customer(me.id)).await?;
    Ok(Json(serde_json::json!({ "success": true })))
}

pub async fn update_me(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    body: Result<Json<UpdateCustomer>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    Ok(Json(CustomerResponse {
        customer: customers::update_profile(&state.db, &me.id, body.into())
            .await?
            .into(),
    }))
}

pub async fn list_addresses(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    params: Params,
) -> Result<Json<AddressList<StoreCustomerAddress>>, ApiError> {
    let (offset, limit) = params.page()?;
    let (page, count) = customers::list_addresses(&state.db, &me.id, offset, limit).await?;
    Ok(AddressList::of(page, count, offset, limit))
}

pub async fn add_address(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    body: Result<Json<AddressBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    customers::add_address(&state.db, &me.id, body.into()).await?;
    customer_response(&state, &me.id).await
}

pub async fn retrieve_address(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(address_id): Path<String>,
) -> Result<Json<AddressResponse>, ApiError> {
    Ok(Json(AddressResponse {
        address: customers::find_address(&state.db, &me.id, &address_id)
            .await?
            .into(),
    }))
}

pub async fn update_address(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(address_id): Path<String>,
    body: Result<Json<AddressBody>, JsonRejection>,
) -> Result<Json<CustomerResponse>, ApiError> {
    let Json(body) = body?;
    customers::update_address(&state.db, &me.id, &address_id, body.into()).await?;
    customer_response(&state, &me.id).await
}

pub async fn delete_address(
    State(state): State<AppState>,
    _key: PublishableKey,
    me: AuthenticatedCustomer,
    Path(address_id): Path<String>,
) -> Result<Json<AddressDeleted<StoreCustomer>>, ApiError> {
    customers::delete_address(&state.db, &me.id, &address_id).await?;
    let parent = customers::retrieve(&state.db, &me.id).await?.into();
    Ok(AddressDeleted::of(address_id, "address", parent))
}
