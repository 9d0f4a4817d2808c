//! A customer's account at a payment provider (a Stripe Customer), which
//! their saved cards belong to.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{Providers, provider_failure};
use crate::DomainError;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider_id: String,
        /// The provider's id, e.g. `cus_…`.
        pub account_id: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The customer's account at the provider, if they have one.
pub async fn find(
    db: &impl ConnectionTrait,
    customer_id: &str,
    provider_id: &str,
) -> Result<Option<String>, DomainError> {
    Ok(entity::Entity::find()
        .filter(entity::Column::CustomerId.eq(customer_id))
        .filter(entity::Column::ProviderId.eq(provider_id))
        .one(db)
        .await?
        .map(|a| a.account_id))
}

/// The customer's account at the provider, opened there first when they
/// have none. The provider is asked with no transaction open; two requests
/// at once send the same idempotency key, so they get the same account.
pub async fn ensure(
    db: &impl ConnectionTrait,
    providers: &Providers,
    provider_id: &str,
    customer_id: &str,
    email: Option<&str>,
) -> Result<String, DomainError> {
    if let Some(account) = find(db, customer_id, provider_id).await? {
        return Ok(account);
    }
    let account = providers
        .get(provider_id)?
        .create_account(customer_id, email, &format!("{customer_id}:account"))
        .await
        .map_err(provider_failure)?;
    entity::Entity::insert(entity::ActiveModel {
        customer_id: Set(customer_id.to_owned()),
        provider_id: Set(provider_id.to_owned()),
        account_id: Set(account.clone()),
        created_at: Set(Utc::now()),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    find(db, customer_id, provider_id)
        .await?
        .ok_or_else(|| DomainError::not_found("Payment account", customer_id))
}

/// Starts saving a card for `customer_id` at `provider_id`, opening their
/// account there first if need be; what the browser needs to collect it.
/// `attempt` tells one attempt from the next (the key of the provider call).
pub async fn start_saving_card(
    db: &impl ConnectionTrait,
    providers: &Providers,
    provider_id: &str,
    customer_id: &str,
    email: Option<&str>,
    attempt: &str,
) -> Result<serde_json::Value, DomainError> {
    let account = ensure(db, providers, provider_id, customer_id, email).await?;
    providers
        .get(provider_id)?
        .start_saving_card(&account, &format!("{customer_id}:save-card:{attempt}"))
        .await
        .map_err(provider_failure)
}

/// Saves for `customer_id` the card tokenized in the browser (Finix.js's
/// `TK…`), opening their account at the provider first if need be.
pub async fn save_card(
    db: &impl ConnectionTrait,
    providers: &Providers,
    provider_id: &str,
    customer_id: &str,
    email: Option<&str>,
    token: &str,
) -> Result<super::SavedCard, DomainError> {
    // The token goes into the provider's request: only its own id shape passes.
    if !is_card_id(token) {
        return Err(DomainError::Invalid(
            "the card token is not one the card form made; enter the card again".into(),
        ));
    }
    let account = ensure(db, providers, provider_id, customer_id, email).await?;
    providers
        .get(provider_id)?
        .save_card(&account, token)
        .await
        .map_err(provider_failure)
}

/// The cards `customer_id` saved at `provider_id`, newest first; none while
/// they have no account there (listing opens none).
pub async fn saved_cards(
    db: &impl ConnectionTrait,
    providers: &Providers,
    provider_id: &str,
    customer_id: &str,
) -> Result<Vec<super::SavedCard>, DomainError> {
    let provider = providers.get(provider_id)?;
    let Some(account) = find(db, customer_id, provider_id).await? else {
        return Ok(Vec::new());
    };
    provider
        .saved_cards(&account)
        .await
        .map_err(provider_failure)
}

/// Removes one of `customer_id`'s saved cards. A card that is not theirs
/// (another customer's, or none at all) is "not found" alike, so that
/// nobody learns which ids exist.
pub async fn remove_saved_card(
    db: &impl ConnectionTrait,
    providers: &Providers,
    provider_id: &str,
    customer_id: &str,
    card_id: &str,
) -> Result<(), DomainError> {
    let provider = providers.get(provider_id)?;
    let not_found = || DomainError::not_found("Saved card", card_id);
    // The id goes into the provider's URL path: only its own id shape passes.
    if !is_card_id(card_id) {
        return Err(not_found());
    }
    let account = find(db, customer_id, provider_id)
        .await?
        .ok_or_else(not_found)?;
    if provider
        .remove_saved_card(&account, card_id)
        .await
        .map_err(provider_failure)?
    {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// The id of a saved card a shopper chose, if it has a card id's shape (it
/// goes into the provider's requests); whose card it is, the provider checks.
pub fn checked_card_id(id: &str) -> Result<String, DomainError> {
    let id = id.trim();
    if is_card_id(id) {
        Ok(id.to_owned())
    } else {
        Err(DomainError::Invalid(
            "that is not one of your saved cards; choose one from the list".into(),
        ))
    }
}

/// A provider's id of a saved card: `pm_…` (Stripe), `PI…` (Finix); letters,
/// digits and underscores, at most 100.
fn is_card_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    #[test]
    fn card_ids_that_could_reach_another_path_are_refused() {
        assert!(super::is_card_id("pm_1QabcXYZ"));
        for hostile in [
            "",
            "pm_1/../../customers",
            "pm_1?x=1",
            "pm 1",
            &"p".repeat(101),
        ] {
            assert!(!super::is_card_id(hostile), "{hostile:?}");
        }
    }
}
