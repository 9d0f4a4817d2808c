use app::server_context::Pending;
use axum::extract::FromRef;
use domain::{
    carts::{CartDetail, CartPlace, CartWriter},
    db::DatabaseConnection,
    devices::StatusChange,
    loyalty::Loyalty,
    payments::Providers,
    vending::{device_command, device_session, machines::Activity},
};
use leptos::config::LeptosOptions;
use tokio::sync::broadcast;

use crate::{
    http::{
        auth::JwtKeys,
        read_cache::{Memo, ReadCache},
    },
    vending::{gateway::GatewayHealth, service::Vending},
};

/// Everything a request handler may need, cloned cheaply per request.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// Device status changes, for live dashboards.
    pub device_changes: broadcast::Sender<StatusChange>,
    /// Machines' mode, door and scale weights as they change, for live dashboards.
    pub device_activity: broadcast::Sender<Activity>,
    pub gateway: GatewayHealth,
    /// Opens machines and follows their sessions.
    pub vending: Vending,
    pub currency: String,
    /// The channels whose products the web storefront shows; empty for all.
    pub storefront_channel_ids: Vec<String>,
    pub payment_providers: Providers,
    /// Signs and checks customer tokens.
    pub jwt: JwtKeys,
    /// Store catalog reads kept in memory.
    pub read_cache: ReadCache,
    /// The sales channels of each publishable key, by token (`None`: no
    /// active key), kept as the catalog reads are.
    pub publishable_keys: Memo<Option<Vec<String>>>,
    /// Carts as the Store API last answered them, by id, so the next edit
    /// need not read the cart first (the edit finds out if one is stale).
    pub recent_carts: Memo<CartDetail>,
    /// Where new carts sell (region, currency, channel), by what was asked,
    /// so creating a cart costs one insert.
    pub cart_places: Memo<CartPlace>,
    /// New carts and new lines, written together with other shoppers'.
    pub cart_writer: CartWriter,
    /// Loyalty through the configured host; optional for every checkout.
    pub loyalty: Loyalty,
}

impl AppState {
    /// What server functions and server-side renders get as context.
    pub fn provide_leptos_context(&self) {
        leptos::prelude::provide_context(app::server_context::ServerContext {
            db: self.db.clone(),
            currency: self.currency.clone(),
            storefront_channel_ids: self.storefront_channel_ids.clone(),
            payment_providers: self.payment_providers.clone(),
            machines: std::sync::Arc::new(self.vending.clone()),
            loyalty: self.loyalty.clone(),
            taken_credentials: Default::default(),
        });
    }
}

impl app::server_context::MachineOpener for Vending {
    fn open_purchase(
        &self,
        device_id: String,
        customer_id: String,
    ) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.open_purchase(&device_id, Some(&customer_id)).await })
    }

    fn open_return(
        &self,
        device_id: String,
        customer_id: String,
    ) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.open_return(&device_id, &customer_id).await })
    }

    fn open_service(&self, device_id: String) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.open_service(&device_id).await })
    }

    fn end_service(&self, device_id: String) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.end_service(&device_id).await })
    }

    fn sync_planogram(&self, device_id: String) -> Pending<device_command::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.sync_planogram(&device_id).await })
    }

    fn force_close(&self, session_id: String, reason: String) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move { vending.force_close(&session_id, &reason).await })
    }
}
