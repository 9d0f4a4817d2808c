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
        auth::{JwtKeys, SignInCheck},
        browser::BrowserPolicy,
        read_cache::{Memo, ReadCache},
    },
    rate_limit::RateLimiter,
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
    /// Checks Stripe's webhook deliveries; `None` refuses them.
    pub stripe_webhook_secret: Option<std::sync::Arc<str>>,
    /// Checks and reads Finix's webhook deliveries; `None` refuses them.
    pub finix_webhooks: Option<std::sync::Arc<crate::payments::finix_webhook::FinixWebhooks>>,
    /// Signs and checks customer tokens.
    pub jwt: JwtKeys,
    /// Whether a token or web session's sign-in still stands.
    pub sign_ins: SignInCheck,
    /// Where the store's pages live, for the browser-side protections.
    pub browser: BrowserPolicy,
    /// Store catalog reads kept in memory.
    pub read_cache: ReadCache,
    /// Each publishable key with its sales channels, by token (`None`: no
    /// active key), kept as the catalog reads are.
    pub publishable_keys: Memo<Option<crate::http::store::PublishableKey>>,
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
    /// Attempts at the actions an attacker would repeat, counted.
    pub limits: RateLimiter,
    /// Finds products by words (the embedded engine).
    pub search: std::sync::Arc<dyn domain::search::ProductSearch>,
    /// Request timings and the token for `/metrics`.
    pub metrics: crate::http::metrics::Metrics,
    /// Where uploaded pictures are stored.
    pub files: std::sync::Arc<dyn domain::files::FileStorage>,
    /// The folder `/uploads/` serves, while uploads are kept on this machine.
    pub uploads_dir: Option<std::sync::Arc<std::path::Path>>,
    /// The largest file an admin may upload, in bytes.
    pub upload_max_bytes: usize,
    /// What the storefront's card forms load Stripe.js and Finix.js with;
    /// each `None` while its provider is not configured.
    pub card_scripts: app::storefront::card::CardScripts,
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
            limits: std::sync::Arc::new(self.limits.clone()),
            search: self.search.clone(),
            card_scripts: self.card_scripts.clone(),
            taken_credentials: Default::default(),
        });
    }
}

impl app::server_context::MachineOpener for Vending {
    fn open_purchase(
        &self,
        device_id: String,
        customer_id: String,
        card_id: Option<String>,
    ) -> Pending<device_session::Model> {
        let vending = self.clone();
        Box::pin(async move {
            vending
                .open_purchase_on_card(&device_id, Some(&customer_id), card_id.as_deref())
                .await
        })
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
