//! Finalizes identified carts with the host once their order is placed,
//! and machine purchases of shoppers with a linked membership once they are
//! settled, from the outbox: retried with back-off while the host is
//! unavailable, never in the way of the order itself.

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use super::Loyalty;
use crate::{
    events::{self, Event, Subscriber},
    orders::ORDER_PLACED,
    vending::settlement::MACHINE_ORDER_PLACED,
};

#[derive(Deserialize)]
struct OrderPlaced {
    id: String,
    cart_id: String,
}

#[derive(Deserialize)]
struct MachineOrderPlaced {
    id: String,
}

pub struct FinalizeOnOrderPlaced {
    db: DatabaseConnection,
    loyalty: Loyalty,
}

impl FinalizeOnOrderPlaced {
    pub fn new(db: DatabaseConnection, loyalty: Loyalty) -> Self {
        Self { db, loyalty }
    }
}

#[async_trait]
impl Subscriber for FinalizeOnOrderPlaced {
    fn name(&self) -> &'static str {
        "loyalty.finalize"
    }

    fn wants(&self, event_name: &str) -> bool {
        event_name == ORDER_PLACED || event_name == MACHINE_ORDER_PLACED
    }

    async fn handle(&self, event: &Event) -> Result<(), String> {
        let unreadable = |e: serde_json::Error| format!("unreadable {} payload: {e}", event.name);
        let last_attempt = event.attempts + 1 >= events::MAX_ATTEMPTS;
        let finalized = if event.name == MACHINE_ORDER_PLACED {
            let placed: MachineOrderPlaced =
                serde_json::from_str(&event.payload).map_err(unreadable)?;
            self.loyalty
                .finalize_machine_order(&self.db, &placed.id, last_attempt)
                .await
        } else {
            let placed: OrderPlaced = serde_json::from_str(&event.payload).map_err(unreadable)?;
            self.loyalty
                .finalize_order(&self.db, &placed.cart_id, &placed.id, last_attempt)
                .await
        };
        finalized.map(drop).map_err(|e| e.to_string())
    }
}
