//! Shipping profiles: a name and a kind an option serves. The default
//! profile is always there; a profile options still serve cannot go.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{shipping_option, shipping_profile};
use crate::{
    DomainError,
    ids::new_id,
    paging::{Page, page_of},
    text,
};

/// The profile every option serves unless told otherwise (made by the migration).
pub const DEFAULT_PROFILE_ID: &str = "sp_default";
/// A kind is one word a client sends, like `default` or `gift_card`.
const KIND_CHARS: usize = 64;
/// The kind of a profile made without saying.
const CUSTOM_KIND: &str = "custom";

/// A profile's fields as an admin sends them; `None` leaves one as it is
/// (or, for a new profile, the name is missing and the kind is `custom`).
#[derive(Debug, Clone, Default)]
pub struct ProfileFields {
    pub name: Option<String>,
    pub kind: Option<String>,
}

pub async fn create_profile(
    db: &impl ConnectionTrait,
    fields: ProfileFields,
) -> Result<shipping_profile::Model, DomainError> {
    let name = profile_name(fields.name.as_deref().unwrap_or_default())?;
    let kind = match fields.kind {
        Some(kind) => profile_kind(&kind)?,
        None => CUSTOM_KIND.to_owned(),
    };
    check_name_is_free(db, &name, None).await?;
    let now = Utc::now();
    Ok(shipping_profile::ActiveModel {
        id: Set(new_id("sp")),
        name: Set(name),
        kind: Set(kind),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: &str,
    fields: ProfileFields,
) -> Result<shipping_profile::Model, DomainError> {
    let mut profile = find_profile(db, id).await?.into_active_model();
    if let Some(name) = fields.name {
        let name = profile_name(&name)?;
        check_name_is_free(db, &name, Some(id)).await?;
        profile.name = Set(name);
    }
    if let Some(kind) = fields.kind {
        profile.kind = Set(profile_kind(&kind)?);
    }
    profile.updated_at = Set(Utc::now());
    Ok(profile.update(db).await?)
}

/// Deletes a profile no option serves; the default profile stays.
pub async fn delete_profile(db: &impl ConnectionTrait, id: &str) -> Result<(), DomainError> {
    let profile = find_profile(db, id).await?;
    if profile.id == DEFAULT_PROFILE_ID {
        return Err(DomainError::NotAllowed(
            "the default shipping profile stays: new options serve it unless told otherwise".into(),
        ));
    }
    let serving = shipping_option::Entity::find()
        .filter(shipping_option::Column::ShippingProfileId.eq(id))
        .count(db)
        .await?;
    if serving > 0 {
        return Err(DomainError::NotAllowed(format!(
            "shipping profile {} still has {serving} shipping option(s): move or delete them first",
            profile.name
        )));
    }
    shipping_profile::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn find_profile(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<shipping_profile::Model, DomainError> {
    shipping_profile::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Shipping profile", id))
}

/// Profiles by name; `q` finds words in the name, `kind` one kind.
pub async fn list_profile_page(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    kind: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<Page<shipping_profile::Model>, DomainError> {
    let mut condition = Condition::all();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        condition = condition.add(crate::db::contains_ignoring_case(
            shipping_profile::Column::Name,
            q,
        ));
    }
    if let Some(kind) = kind {
        condition = condition.add(shipping_profile::Column::Kind.eq(kind.trim()));
    }
    let select = shipping_profile::Entity::find()
        .filter(condition)
        .order_by_asc(shipping_profile::Column::Name)
        .order_by_asc(shipping_profile::Column::Id);
    page_of(db, select, offset, limit).await
}

fn profile_name(name: &str) -> Result<String, DomainError> {
    text::required(
        name,
        "a shipping profile's name",
        text::NAME_CHARS,
        "a shipping profile needs a name",
    )
}

fn profile_kind(kind: &str) -> Result<String, DomainError> {
    let kind = kind.trim();
    if kind.is_empty() || kind.chars().count() > KIND_CHARS || kind.contains(char::is_whitespace) {
        return Err(DomainError::Invalid(format!(
            "{kind:?} is not a shipping profile type: one word, up to {KIND_CHARS} characters (e.g. default)"
        )));
    }
    Ok(kind.to_owned())
}

/// Names are unique (Medusa's rule), whatever their capitals.
async fn check_name_is_free(
    db: &impl ConnectionTrait,
    name: &str,
    except: Option<&str>,
) -> Result<(), DomainError> {
    let taken = shipping_profile::Entity::find()
        .filter(crate::db::equals_ignoring_case(
            shipping_profile::Column::Name,
            name,
        ))
        .all(db)
        .await?
        .into_iter()
        .any(|p| Some(p.id.as_str()) != except);
    if taken {
        return Err(DomainError::Conflict(format!(
            "a shipping profile named {name} already exists"
        )));
    }
    Ok(())
}
