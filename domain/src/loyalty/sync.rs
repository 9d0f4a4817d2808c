//! Keeps loyalty in step with the rest of the store, from the outbox:
//! a linked member's balance is fetched ([`MEMBER_LINKED`]), an identified cart whose lines changed gets its
//! rewards calculated again ([`CART_UPDATED`], once per burst of changes), and a changed config makes the
//! client forget tokens and breaker state of the hosts involved
//! ([`CONFIG_CHANGED`]). A host that is unavailable means a retry later.

use async_trait::async_trait;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

use super::{CART_UPDATED, CONFIG_CHANGED, Loyalty, LoyaltyError, MEMBER_LINKED};
use crate::events::{Event, Subscriber, outbox_event};

pub struct LoyaltySync {
    db: DatabaseConnection,
    loyalty: Loyalty,
}

impl LoyaltySync {
    pub fn new(db: DatabaseConnection, loyalty: Loyalty) -> Self {
        Self { db, loyalty }
    }

    /// Whether the same cart changed again after `event` (the debounce: only
    /// the last change of a burst is calculated).
    async fn changed_since(&self, event: &Event) -> Result<bool, String> {
        let newer = outbox_event::Entity::find()
            .filter(outbox_event::Column::Name.eq(CART_UPDATED))
            .filter(outbox_event::Column::Payload.eq(event.payload.as_str()))
            .filter(outbox_event::Column::CreatedAt.gt(event.created_at))
            .count(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        Ok(newer > 0)
    }
}

#[derive(Deserialize)]
struct MemberLinked {
    customer_id: String,
}

#[derive(Deserialize)]
struct CartUpdated {
    cart_id: String,
}

#[derive(Deserialize)]
struct ConfigChanged {
    base_urls: Vec<String>,
}

fn payload<T: serde::de::DeserializeOwned>(event: &Event) -> Result<T, String> {
    serde_json::from_str(&event.payload)
        .map_err(|e| format!("unreadable {} payload: {e}", event.name))
}

#[async_trait]
impl Subscriber for LoyaltySync {
    fn name(&self) -> &'static str {
        "loyalty.sync"
    }

    fn wants(&self, event_name: &str) -> bool {
        // Not `customer.registered`: a phone typed at sign-up proves nothing,
        // so registering links no membership (the account page verifies it).
        [MEMBER_LINKED, CART_UPDATED, CONFIG_CHANGED].contains(&event_name)
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let outcome = match event.name.as_str() {
            MEMBER_LINKED => {
                let linked: MemberLinked = payload(event)?;
                self.loyalty
                    .sync_member(&self.db, &linked.customer_id)
                    .await
                    .map(drop)
            }
            CART_UPDATED => {
                let updated: CartUpdated = payload(event)?;
                if self.changed_since(event).await? {
                    // A later change has its own event, due after this one.
                    return Ok(());
                }
                match self
                    .loyalty
                    .calculate_rewards(&self.db, &updated.cart_id)
                    .await
                {
                    // Completed, or left loyalty meanwhile: nothing to calculate.
                    Err(LoyaltyError::Domain(e)) => {
                        tracing::debug!(cart = %updated.cart_id, error = %e, "rewards not recalculated");
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            CONFIG_CHANGED => {
                let changed: ConfigChanged = payload(event)?;
                self.loyalty.forget_hosts(&changed.base_urls).await;
                Ok(())
            }
            _ => Ok(()),
        };
        outcome.map_err(|e| e.to_string())
    }
}
