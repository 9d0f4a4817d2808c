//! Shoppers: customers, their addresses, and the email + password identities
//! they sign in with (Medusa's customer and auth modules).

pub mod address;
pub mod auth_identity;
pub mod customer;
pub mod group;
pub mod group_member;
mod groups;

pub use groups::*;
pub mod password_reset;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession,
};
use serde_json::Value as Json;

use crate::{
    DomainError,
    credentials::{Email, HashedPassword, Password, UNKNOWN_USER_HASH},
    events,
    ids::new_id,
    text,
};

pub const ACTOR_CUSTOMER: &str = "customer";
/// A customer account was created: `{id}`.
pub const CUSTOMER_REGISTERED: &str = "customer.registered";

/// A customer with its addresses, as the Store API shows it.
#[derive(Debug, Clone)]
pub struct CustomerWithAddresses {
    pub customer: customer::Model,
    pub addresses: Vec<address::Model>,
}

impl CustomerWithAddresses {
    pub fn default_shipping_address_id(&self) -> Option<&str> {
        self.addresses
            .iter()
            .find(|a| a.is_default_shipping)
            .map(|a| a.id.as_str())
    }

    pub fn default_billing_address_id(&self) -> Option<&str> {
        self.addresses
            .iter()
            .find(|a| a.is_default_billing)
            .map(|a| a.id.as_str())
    }
}

/// The details a customer gives about themselves; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
}

/// An address's fields; `None` leaves a field as it is (or empty on create).
#[derive(Debug, Clone, Default)]
pub struct AddressFields {
    pub address_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    pub is_default_shipping: Option<bool>,
    pub is_default_billing: Option<bool>,
    pub metadata: Option<Json>,
}

/// Creates an identity to sign in with; the customer comes next, with [`create_for_identity`].
pub async fn register<C: crate::db::Writable>(
    db: &C,
    email: &Email,
    password: &Password,
) -> Result<auth_identity::Model, DomainError> {
    // Hashing costs the CPU on purpose: not for an email already taken,
    // and never while holding the writer's turn.
    ensure_unregistered(db, email).await?;
    let hash = password.hash().await?;
    let txn = crate::db::begin_write(db).await?;
    let identity = insert_identity(&txn, email, hash).await?;
    txn.commit().await?;
    Ok(identity)
}

async fn ensure_unregistered(db: &impl ConnectionTrait, email: &Email) -> Result<(), DomainError> {
    if find_identity_by_email(db, email).await?.is_some() {
        return Err(DomainError::Conflict(
            "Identity with email already exists".into(),
        ));
    }
    Ok(())
}

async fn insert_identity(
    db: &impl ConnectionTrait,
    email: &Email,
    hash: HashedPassword,
) -> Result<auth_identity::Model, DomainError> {
    // Checked again with the turn held: another sign-up may have won the race.
    ensure_unregistered(db, email).await?;
    Ok(auth_identity::ActiveModel {
        id: Set(new_id("authid")),
        actor_type: Set(ACTOR_CUSTOMER.to_owned()),
        email: Set(email.to_string()),
        password_hash: Set(hash.into()),
        customer_id: Set(None),
        created_at: Set(Utc::now()),
        sign_in_generation: Set(crate::sign_ins::FIRST_GENERATION),
    }
    .insert(db)
    .await?)
}

/// Checks an email and password; the error never says which of the two was wrong.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<auth_identity::Model, DomainError> {
    let rejected = || DomainError::Unauthorized("Invalid email or password".into());
    let email = Email::parse(email).map_err(|_| rejected())?;
    let identity = find_identity_by_email(db, &email).await?;
    // Verify against a fixed hash when the email is unknown, so timing does
    // not reveal which emails are registered.
    let hash = identity
        .as_ref()
        .map_or(UNKNOWN_USER_HASH, |i| i.password_hash.as_str());
    let verified = Password::verify(password, hash).await?;
    match identity {
        Some(identity) if verified => Ok(identity),
        _ => Err(rejected()),
    }
}

pub async fn find_identity(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<auth_identity::Model>, DomainError> {
    Ok(auth_identity::Entity::find_by_id(id).one(db).await?)
}

async fn find_identity_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<auth_identity::Model>, DomainError> {
    Ok(auth_identity::Entity::find()
        .filter(auth_identity::Column::ActorType.eq(ACTOR_CUSTOMER))
        .filter(auth_identity::Column::Email.eq(email.as_ref()))
        .one(db)
        .await?)
}

/// Creates the customer of a registered identity, with the identity's email,
/// and links the two. A `stated_email` (a request's) must be that email.
pub async fn create_for_identity<C: crate::db::Writable>(
    db: &C,
    identity_id: &str,
    stated_email: Option<&Email>,
    profile: Profile,
) -> Result<customer::Model, DomainError> {
    let txn = crate::db::begin_write(db).await?;
    let identity = find_identity(&txn, identity_id)
        .await?
        .ok_or_else(|| DomainError::not_found("AuthIdentity", identity_id))?;
    if identity.customer_id.is_some() {
        return Err(DomainError::Invalid(
            "Request already authenticated as a customer.".into(),
        ));
    }
    // The customer's email is the one that signs in (and gets the password
    // resets): whoever registered it, not whatever a request states.
    if stated_email.is_some_and(|stated| stated.as_ref() != identity.email) {
        return Err(DomainError::Invalid(
            "The customer's email must be the one the account was registered with.".into(),
        ));
    }
    let now = Utc::now();
    let customer = customer::ActiveModel {
        id: Set(new_id("cus")),
        email: Set(identity.email.clone()),
        first_name: Set(profile.first_name),
        last_name: Set(profile.last_name),
        phone: Set(profile.phone),
        company_name: Set(profile.company_name),
        has_account: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let mut identity: auth_identity::ActiveModel = identity.into();
    identity.customer_id = Set(Some(customer.id.clone()));
    identity.update(&txn).await?;
    events::emit(
        &txn,
        CUSTOMER_REGISTERED,
        &serde_json::json!({ "id": customer.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(customer)
}

/// Registers and creates the customer in one go (the storefront's sign-up form).
pub async fn sign_up<C: crate::db::Writable>(
    db: &C,
    email: &Email,
    password: &Password,
    profile: Profile,
) -> Result<customer::Model, DomainError> {
    ensure_unregistered(db, email).await?;
    let hash = password.hash().await?;
    let txn = crate::db::begin_write(db).await?;
    let identity = insert_identity(&txn, email, hash).await?;
    let customer = create_for_identity(&txn, &identity.id, None, profile).await?;
    txn.commit().await?;
    Ok(customer)
}

/// The customer (not deleted) with its addresses.
pub async fn retrieve(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<CustomerWithAddresses, DomainError> {
    let customer = customer::Entity::find_by_id(id)
        .filter(customer::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Customer", id))?;
    let addresses = addresses_query(id).all(db).await?;
    Ok(CustomerWithAddresses {
        customer,
        addresses,
    })
}

/// A customer an admin records (a phone order, a business account) without
/// an account to sign in with; one email, one such customer.
pub async fn create_without_account(
    db: &impl ConnectionTrait,
    email: &Email,
    profile: Profile,
) -> Result<CustomerWithAddresses, DomainError> {
    let taken = customer::Entity::find()
        .filter(customer::Column::DeletedAt.is_null())
        .filter(crate::db::equals_ignoring_case(
            customer::Column::Email,
            email.as_ref(),
        ))
        .one(db)
        .await?;
    if let Some(existing) = taken {
        return Err(DomainError::Conflict(format!(
            "customer {} already has the email {}",
            existing.id,
            email.as_ref()
        )));
    }
    let now = Utc::now();
    let customer = customer::ActiveModel {
        id: Set(new_id("cus")),
        email: Set(email.as_ref().to_owned()),
        first_name: Set(None),
        last_name: Set(None),
        phone: Set(None),
        company_name: Set(None),
        has_account: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
    }
    .insert(db)
    .await?;
    update_profile(db, &customer.id, profile).await
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: &str,
    profile: Profile,
) -> Result<CustomerWithAddresses, DomainError> {
    let mut customer: customer::ActiveModel = retrieve(db, id).await?.customer.into();
    // Blank clears a field; each is bounded like any name people type.
    let field = |v: String, what: &str| text::optional(Some(&v), what, text::NAME_CHARS);
    if let Some(v) = profile.first_name {
        customer.first_name = Set(field(v, "a first name")?);
    }
    if let Some(v) = profile.last_name {
        customer.last_name = Set(field(v, "a last name")?);
    }
    if let Some(v) = profile.phone {
        customer.phone = Set(field(v, "a phone number")?);
    }
    if let Some(v) = profile.company_name {
        customer.company_name = Set(field(v, "a company name")?);
    }
    customer.updated_at = Set(Utc::now());
    customer.update(db).await?;
    retrieve(db, id).await
}

fn addresses_query(customer_id: &str) -> sea_orm::Select<address::Entity> {
    address::Entity::find()
        .filter(address::Column::CustomerId.eq(customer_id))
        .order_by_asc(address::Column::CreatedAt)
        .order_by_asc(address::Column::Id)
}

/// A page of the customer's addresses and how many there are in all.
pub async fn list_addresses(
    db: &impl ConnectionTrait,
    customer_id: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<address::Model>, u64), DomainError> {
    let count = addresses_query(customer_id).count(db).await?;
    let page = addresses_query(customer_id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok((page, count))
}

/// One of the customer's addresses; another customer's is "not found".
pub async fn find_address(
    db: &impl ConnectionTrait,
    customer_id: &str,
    address_id: &str,
) -> Result<address::Model, DomainError> {
    address::Entity::find_by_id(address_id)
        .filter(address::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("CustomerAddress", address_id))
}

pub async fn add_address<C: crate::db::Writable>(
    db: &C,
    customer_id: &str,
    fields: AddressFields,
) -> Result<address::Model, DomainError> {
    retrieve(db, customer_id).await?;
    let now = Utc::now();
    let blank = address::ActiveModel {
        id: Set(new_id("cuaddr")),
        customer_id: Set(customer_id.to_owned()),
        is_default_shipping: Set(false),
        is_default_billing: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    save_address(db, blank, fields, true).await
}

pub async fn update_address<C: crate::db::Writable>(
    db: &C,
    customer_id: &str,
    address_id: &str,
    fields: AddressFields,
) -> Result<address::Model, DomainError> {
    let mut address: address::ActiveModel = find_address(db, customer_id, address_id).await?.into();
    address.updated_at = Set(Utc::now());
    save_address(db, address, fields, false).await
}

/// Applies `fields` and saves; a new default shipping or billing address
/// takes that role from the customer's other addresses.
async fn save_address<C: crate::db::Writable>(
    db: &C,
    mut address: address::ActiveModel,
    fields: AddressFields,
    is_new: bool,
) -> Result<address::Model, DomainError> {
    let text_fields = [
        (fields.address_name, address::Column::AddressName),
        (fields.first_name, address::Column::FirstName),
        (fields.last_name, address::Column::LastName),
        (fields.company, address::Column::Company),
        (fields.address_1, address::Column::Address1),
        (fields.address_2, address::Column::Address2),
        (fields.city, address::Column::City),
        (
            fields.country_code.map(|c| c.trim().to_lowercase()),
            address::Column::CountryCode,
        ),
        (fields.province, address::Column::Province),
        (fields.postal_code, address::Column::PostalCode),
        (fields.phone, address::Column::Phone),
    ];
    for (value, column) in text_fields {
        if let Some(value) = value {
            address.set(column, Some(value).into());
        }
    }
    if let Some(metadata) = fields.metadata {
        address.metadata = Set(Some(metadata));
    }
    let customer_id = address.customer_id.clone().unwrap();
    let txn = crate::db::begin_write(db).await?;
    for (flag, column) in [
        (
            fields.is_default_shipping,
            address::Column::IsDefaultShipping,
        ),
        (fields.is_default_billing, address::Column::IsDefaultBilling),
    ] {
        let Some(flag) = flag else { continue };
        if flag {
            address::Entity::update_many()
                .col_expr(column, sea_orm::sea_query::Expr::value(false))
                .filter(address::Column::CustomerId.eq(&customer_id))
                .exec(&txn)
                .await?;
        }
        address.set(column, flag.into());
    }
    let saved = if is_new {
        address.insert(&txn).await?
    } else {
        address.update(&txn).await?
    };
    txn.commit().await?;
    Ok(saved)
}

pub async fn delete_address(
    db: &impl ConnectionTrait,
    customer_id: &str,
    address_id: &str,
) -> Result<(), DomainError> {
    let address = find_address(db, customer_id, address_id).await?;
    address::Entity::delete_by_id(address.id).exec(db).await?;
    Ok(())
}

/// A page of customers (not deleted), newest first, whose email or name
/// contains `q`, and how many match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<customer::Model>, u64), DomainError> {
    let mut query = customer::Entity::find().filter(customer::Column::DeletedAt.is_null());
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        use crate::db::contains_ignoring_case;
        query = query.filter(
            sea_orm::Condition::any()
                .add(contains_ignoring_case(customer::Column::Email, q))
                .add(contains_ignoring_case(customer::Column::FirstName, q))
                .add(contains_ignoring_case(customer::Column::LastName, q)),
        );
    }
    let count = query.clone().count(db).await?;
    let customers = query
        .order_by_desc(customer::Column::CreatedAt)
        .order_by_desc(customer::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok((customers, count))
}
