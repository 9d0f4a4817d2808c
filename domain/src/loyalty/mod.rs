//! Loyalty through an external host (PDI Conexxus style): a shopper identifies
//! a cart by phone, the host offers rewards (instant ones auto-applied,
//! optional ones chosen), the discounts count in the cart's totals
//! ([`discount_for_items`]), and the placed order is finalized with the host
//! afterwards from the outbox ([`finalize::FinalizeOnOrderPlaced`]).
//!
//! The checkout never depends on the host: every host failure is a
//! [`LoyaltyError::Unavailable`] the caller can answer with "go on without".
//!
//! A phone number alone earns points; spending them, seeing the balance and
//! linking an account need the phone proved ([`verification`]).

pub mod customer;
pub mod discount;
pub mod finalize;
pub mod host;
pub mod phone_code;
pub mod reward;
pub mod secret;
pub mod session;
mod status;
pub mod store_config;
pub mod sync;
pub mod verification;

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    UpdateMany, sea_query::Expr,
};
use serde::{Deserialize, Serialize};

use crate::{
    DomainError,
    carts::{self, line_item},
    catalog::variant,
    events,
    ids::new_id,
    orders,
};
use discount::{Discount, Line};
use host::{BasketLine, HostCredentials, HostError, LoyaltyHost};
use secret::SecretBox;
pub use status::SessionStatus;
use verification::{SmsSender, redeemable};

/// Automat runs one store per installation; its config row has this id.
pub const DEFAULT_STORE_ID: &str = "default";

/// A customer account was linked to a membership: `{customer_id}`.
pub const MEMBER_LINKED: &str = "loyalty.member_linked";
/// A store's existing loyalty config was saved again: `{store_id, base_urls}`
/// (before and after).
pub const CONFIG_CHANGED: &str = "loyalty.config_changed";
/// An identified cart's lines changed: `{cart_id}`.
pub const CART_UPDATED: &str = "cart.updated";

#[derive(Debug, thiserror::Error)]
pub enum LoyaltyError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Not configured, disabled, or the host cannot be reached: go on without loyalty.
    #[error("{0}")]
    Unavailable(String),
}

impl From<DbErr> for LoyaltyError {
    fn from(e: DbErr) -> Self {
        Self::Domain(e.into())
    }
}

impl From<HostError> for LoyaltyError {
    fn from(e: HostError) -> Self {
        match e {
            HostError::Unavailable(_) => Self::Unavailable(e.to_string()),
            HostError::MemberNotFound => Self::Domain(DomainError::not_found(
                "Loyalty member",
                "this phone number",
            )),
            HostError::Rejected(message) => Self::Domain(DomainError::Conflict(message)),
        }
    }
}

/// What an admin sets for a store; `client_secret: None` keeps the stored one.
#[derive(Debug, Clone)]
pub struct ConfigInput {
    pub enabled: bool,
    pub provider: String,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub participant_id: Option<String>,
    pub site_id: Option<String>,
}

/// The session's `rewards` JSON: the shopper's choices, the host's estimate,
/// and the basket the rewards were calculated for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RewardsSnapshot {
    pub selected: Vec<String>,
    pub points_earnable: i64,
    #[serde(default)]
    pub basket: String,
}

/// A cart's session as the shopper may see it. Until the phone is verified
/// the balance is not told and rewards that cost points are left out (the
/// host offers only those the balance covers, so they would tell it too).
#[derive(Debug, Clone)]
pub struct SessionDetail {
    /// The stored row, with the balance: for operators, not for shoppers.
    pub session: session::Model,
    pub status: SessionStatus,
    /// The shopper proved the phone: rewards that cost points may be chosen.
    pub verified: bool,
    /// `None` until the phone is verified.
    pub points_balance: Option<i64>,
    /// The code sent to verify the phone, while it can be entered.
    pub code_sent: Option<verification::CodeSent>,
    pub rewards: Vec<reward::Model>,
    /// What the applied rewards take off the cart now, minor units.
    pub discount_total: i64,
    pub points_earnable: i64,
    /// The cart changed since the rewards were calculated: they count for
    /// nothing until they are calculated again.
    pub rewards_stale: bool,
}

/// The loyalty service: a host to call, the key that opens stored secrets
/// (and tags codes), and the SMS sender that proves phones.
#[derive(Clone)]
pub struct Loyalty {
    host: Arc<dyn LoyaltyHost>,
    secrets: SecretBox,
    sms: Arc<dyn SmsSender>,
}

impl Loyalty {
    pub fn new(host: Arc<dyn LoyaltyHost>, secrets: SecretBox, sms: Arc<dyn SmsSender>) -> Self {
        Self { host, secrets, sms }
    }

    pub async fn config(
        &self,
        db: &impl ConnectionTrait,
        store_id: &str,
    ) -> Result<Option<store_config::Model>, DomainError> {
        Ok(store_config::Entity::find_by_id(store_id).one(db).await?)
    }

    /// Creates or replaces the store's config; the secret is sealed before it is stored.
    pub async fn save_config<C: crate::db::Writable>(
        &self,
        db: &C,
        store_id: &str,
        input: ConfigInput,
    ) -> Result<store_config::Model, DomainError> {
        let base_url = input.base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(DomainError::Invalid(
                "base_url must be an http:// or https:// URL".into(),
            ));
        }
        let client_id = input.client_id.trim().to_owned();
        let provider = input.provider.trim().to_owned();
        if client_id.is_empty() || provider.is_empty() {
            return Err(DomainError::Invalid(
                "provider and client_id are required".into(),
            ));
        }
        let txn = crate::db::begin_write(db).await?;
        let existing = self.config(&txn, store_id).await?;
        let sealed = match (input.client_secret.as_deref().map(str::trim), &existing) {
            (Some(secret), _) if !secret.is_empty() => self.secrets.seal(store_id, secret)?,
            (_, Some(config)) => config.client_secret_encrypted.clone(),
            (_, None) => return Err(DomainError::Invalid("client_secret is required".into())),
        };
        let now = Utc::now();
        // A new config replaces nothing anybody remembered.
        let changed_hosts = existing
            .as_ref()
            .map(|c| vec![c.base_url.clone(), base_url.clone()]);
        let model = store_config::ActiveModel {
            store_id: Set(store_id.to_owned()),
            enabled: Set(input.enabled),
            provider: Set(provider),
            base_url: Set(base_url),
            client_id: Set(client_id),
            client_secret_encrypted: Set(sealed),
            participant_id: Set(non_blank(input.participant_id)),
            site_id: Set(non_blank(input.site_id)),
            created_at: Set(existing.as_ref().map_or(now, |c| c.created_at)),
            updated_at: Set(now),
        };
        let saved = match existing {
            Some(_) => model.update(&txn).await?,
            None => model.insert(&txn).await?,
        };
        if let Some(base_urls) = changed_hosts {
            events::emit(
                &txn,
                CONFIG_CHANGED,
                &serde_json::json!({ "store_id": store_id, "base_urls": base_urls }),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(saved)
    }

    /// Forgets tokens and breaker state of the hosts at `base_urls`.
    pub async fn forget_hosts(&self, base_urls: &[String]) {
        for base_url in base_urls {
            self.host.forget(base_url).await;
        }
    }

    /// The store's host credentials, when loyalty is on.
    pub async fn credentials(
        &self,
        db: &impl ConnectionTrait,
        store_id: &str,
    ) -> Result<HostCredentials, LoyaltyError> {
        self.credentials_if_enabled(db, store_id)
            .await?
            .ok_or_else(|| {
                LoyaltyError::Unavailable("loyalty is not enabled for this store".into())
            })
    }

    /// `None` when the store has loyalty switched off (or not configured).
    pub async fn credentials_if_enabled(
        &self,
        db: &impl ConnectionTrait,
        store_id: &str,
    ) -> Result<Option<HostCredentials>, DomainError> {
        match self.config(db, store_id).await? {
            Some(config) if config.enabled => Ok(Some(HostCredentials {
                client_secret: self
                    .secrets
                    .open(store_id, &config.client_secret_encrypted)?,
                base_url: config.base_url,
                client_id: config.client_id,
            })),
            _ => Ok(None),
        }
    }

    /// Whether shoppers can use loyalty now: it is on and the host answers.
    pub async fn available(&self, db: &impl ConnectionTrait) -> Result<bool, DomainError> {
        Ok(
            match self.credentials_if_enabled(db, DEFAULT_STORE_ID).await? {
                Some(credentials) => self.host.reachable(&credentials).await,
                None => false,
            },
        )
    }

    /// Links the cart to the member with `phone` (again, with another phone,
    /// while the session is active): the cart earns points. It may redeem
    /// them once the phone is verified, at once when the `signed_in`
    /// customer's verified link is for this phone.
    pub async fn identify(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
        phone: &str,
        signed_in: Option<&str>,
    ) -> Result<SessionDetail, LoyaltyError> {
        let phone = parse_phone(phone)?;
        let cart = carts::get_cart(db, cart_id).await?;
        carts::ensure_open(&cart.cart)?;
        let existing = find_session(db, cart_id).await?;
        if let Some(session) = &existing {
            ensure_active(session)?;
        }
        let credentials = self.credentials(db, DEFAULT_STORE_ID).await?;
        let pos_sequence_id = existing
            .as_ref()
            .map_or_else(|| new_id("pos"), |s| s.pos_sequence_id.clone());
        let member = self
            .host
            .identify(&credentials, &phone, &pos_sequence_id)
            .await?;
        let now = Utc::now();
        let verified_at = match &existing {
            Some(s)
                if verification::same_phone(&s.phone, &phone) && s.phone_verified_at.is_some() =>
            {
                s.phone_verified_at
            }
            _ => match signed_in {
                Some(customer_id) => verification::verified_link_for(db, customer_id, &phone)
                    .await?
                    .map(|_| now),
                None => None,
            },
        };
        let empty = snapshot_json(&RewardsSnapshot::default())?;
        let txn = crate::db::begin_write(db).await?;
        let session = match existing {
            Some(session) => {
                if !verification::same_phone(&session.phone, &phone) {
                    // A code sent to the other phone proves nothing about this one.
                    verification::void_cart_codes(&txn, cart_id, now).await?;
                }
                reward::Entity::delete_many()
                    .filter(reward::Column::SessionId.eq(&session.id))
                    .exec(&txn)
                    .await?;
                let mut session = session.into_active_model();
                session.phone = Set(phone.clone());
                session.member_id = Set(member.member_id.clone());
                session.points_balance = Set(member.points_balance);
                session.rewards = Set(empty);
                session.phone_verified_at = Set(verified_at);
                session.updated_at = Set(now);
                session.update(&txn).await?
            }
            None => {
                session::ActiveModel {
                    id: Set(new_id("lsess")),
                    store_id: Set(DEFAULT_STORE_ID.to_owned()),
                    cart_id: Set(cart_id.to_owned()),
                    pos_sequence_id: Set(pos_sequence_id),
                    status: Set(SessionStatus::Active),
                    phone: Set(phone.clone()),
                    member_id: Set(member.member_id.clone()),
                    points_balance: Set(member.points_balance),
                    rewards: Set(empty),
                    order_id: Set(None),
                    host_transaction_id: Set(None),
                    points_earned: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    phone_verified_at: Set(verified_at),
                }
                .insert(&txn)
                .await?
            }
        };
        carts::touch_at(&txn, cart_id, now).await?;
        txn.commit().await?;
        Ok(detail(db, session).await?)
    }

    /// Asks the host what the cart earns now; optional rewards the shopper
    /// chose stay chosen while they are still offered.
    pub async fn calculate_rewards(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
    ) -> Result<SessionDetail, LoyaltyError> {
        let cart = carts::get_cart(db, cart_id).await?;
        carts::ensure_open(&cart.cart)?;
        let session = active_session(db, cart_id).await?;
        let credentials = self.credentials(db, &session.store_id).await?;
        let lines = cart_basket(db, &cart.items).await?;
        let calculation = self
            .host
            .calculate(&credentials, &session.pos_sequence_id, &lines)
            .await?;
        let previously_selected = snapshot(&session).selected;
        let txn = crate::db::begin_write(db).await?;
        reward::Entity::delete_many()
            .filter(reward::Column::SessionId.eq(&session.id))
            .exec(&txn)
            .await?;
        let mut selected = Vec::new();
        for offered in calculation.rewards {
            let chosen = !offered.instant && previously_selected.contains(&offered.reward_id);
            if chosen {
                selected.push(offered.reward_id.clone());
            }
            // An instant reward that costs points waits for the phone, like a chosen one.
            let applied = (offered.instant || chosen) && redeemable(&session, offered.points_cost);
            reward::ActiveModel {
                id: Set(new_id("lrew")),
                session_id: Set(session.id.clone()),
                reward_id: Set(offered.reward_id),
                reward_type: Set(offered.reward_type),
                description: Set(offered.description),
                discount_amount: Set(offered.discount_amount.max(0)),
                line_item_id: Set(offered.line_id),
                points_multiplier: Set(offered.points_multiplier),
                points_cost: Set(offered.points_cost.max(0)),
                instant: Set(offered.instant),
                applied: Set(applied),
            }
            .insert(&txn)
            .await?;
        }
        let rewards = snapshot_json(&RewardsSnapshot {
            selected,
            points_earnable: calculation.points_earnable,
            basket: basket_fingerprint(&cart.items),
        })?;
        let mut session = session.into_active_model();
        session.points_balance = Set(calculation.points_balance);
        session.rewards = Set(rewards);
        session.updated_at = Set(Utc::now());
        let session = session.update(&txn).await?;
        txn.commit().await?;
        Ok(detail(db, session).await?)
    }

    /// Finalizes the session of the cart an order was placed from. `Ok` when
    /// there is nothing (more) to do; `Err(Unavailable)` asks for a retry. On
    /// the `last_attempt` an unavailable host fails the session for good.
    pub async fn finalize_order(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
        order_id: &str,
        last_attempt: bool,
    ) -> Result<Option<SessionStatus>, LoyaltyError> {
        let Some(mut session) = find_session(db, cart_id).await? else {
            return Ok(None);
        };
        match session.status {
            SessionStatus::Active => {
                let order_id = order_id.to_owned();
                session = transition(db, &session, SessionStatus::PendingFinalization, |u| {
                    u.col_expr(session::Column::OrderId, Expr::value(order_id))
                })
                .await?;
            }
            SessionStatus::PendingFinalization => {}
            done => return Ok(Some(done)),
        }
        let outcome = self.finalize_with_host(db, &session).await;
        record_finalize(db, &session, outcome, last_attempt).await
    }

    /// Finalizes a machine purchase (`order_id`, settled from a machine) for
    /// the shopper's linked membership, so points accrue offline too. Same
    /// contract as [`Self::finalize_order`]; no rewards are redeemed at a machine.
    pub async fn finalize_machine_order(
        &self,
        db: &DatabaseConnection,
        order_id: &str,
        last_attempt: bool,
    ) -> Result<Option<SessionStatus>, LoyaltyError> {
        let order = orders::find(db, order_id).await?;
        let session = match find_session(db, &order.order.cart_id).await? {
            Some(session) => session,
            None => {
                let Some(customer_id) = &order.order.customer_id else {
                    return Ok(None);
                };
                let Some(membership) = linked_membership(db, customer_id).await? else {
                    return Ok(None);
                };
                let now = Utc::now();
                session::ActiveModel {
                    id: Set(new_id("lsess")),
                    store_id: Set(DEFAULT_STORE_ID.to_owned()),
                    cart_id: Set(order.order.cart_id.clone()),
                    pos_sequence_id: Set(new_id("pos")),
                    status: Set(SessionStatus::PendingFinalization),
                    phone: Set(membership.phone),
                    member_id: Set(membership.membership_id),
                    points_balance: Set(membership.points_balance.unwrap_or(0)),
                    rewards: Set(snapshot_json(&RewardsSnapshot::default())?),
                    order_id: Set(Some(order_id.to_owned())),
                    host_transaction_id: Set(None),
                    points_earned: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    phone_verified_at: Set(membership.verified_at),
                }
                .insert(db)
                .await?
            }
        };
        match session.status {
            SessionStatus::PendingFinalization => {}
            done => return Ok(Some(done)),
        }
        let outcome = async {
            let credentials = self.credentials(db, &session.store_id).await?;
            // The host keys the purchase by its POS sequence id: open it for the member first.
            self.host
                .identify(&credentials, &session.phone, &session.pos_sequence_id)
                .await?;
            let lines = basket(
                db,
                order.items.iter().map(|i| BasketLine {
                    line_id: i.id.clone(),
                    item_code: i.variant_id.clone(),
                    description: i.title.clone(),
                    quantity: i64::from(i.quantity),
                    unit_price: i.unit_price,
                }),
            )
            .await?;
            Ok::<_, LoyaltyError>(
                self.host
                    .finalize(&credentials, &session.pos_sequence_id, &lines, &[])
                    .await?,
            )
        }
        .await;
        record_finalize(db, &session, outcome, last_attempt).await
    }

    async fn finalize_with_host(
        &self,
        db: &DatabaseConnection,
        session: &session::Model,
    ) -> Result<host::Finalization, LoyaltyError> {
        let credentials = self.credentials(db, &session.store_id).await?;
        let cart = carts::get_cart(db, &session.cart_id).await?;
        let lines = cart_basket(db, &cart.items).await?;
        // Stale rewards were not given, so they are not redeemed either.
        let applied: Vec<String> = if is_stale(session, &cart.items) {
            Vec::new()
        } else {
            given(session, &rewards_of(db, &session.id).await?)
                .map(|r| r.reward_id.clone())
                .collect()
        };
        Ok(self
            .host
            .finalize(&credentials, &session.pos_sequence_id, &lines, &applied)
            .await?)
    }

    /// Asks the host for the linked member's balance and keeps it with the link.
    pub async fn sync_member(
        &self,
        db: &impl ConnectionTrait,
        customer_id: &str,
    ) -> Result<Option<customer::Model>, LoyaltyError> {
        let Some(link) = linked_membership(db, customer_id).await? else {
            return Ok(None);
        };
        let Some(credentials) = self.credentials_if_enabled(db, DEFAULT_STORE_ID).await? else {
            return Ok(Some(link));
        };
        let member = self.host.member(&credentials, &link.phone).await?;
        // Only over the balance read before asking: a finalize that wrote a
        // newer one meanwhile (the purchase's points) must not be undone by
        // this older answer.
        let seen = match link.points_balance {
            Some(balance) => customer::Column::PointsBalance.eq(balance),
            None => customer::Column::PointsBalance.is_null(),
        };
        customer::Entity::update_many()
            .col_expr(
                customer::Column::MembershipId,
                Expr::value(member.member_id),
            )
            .col_expr(
                customer::Column::PointsBalance,
                Expr::value(member.points_balance),
            )
            .col_expr(customer::Column::BalanceSyncedAt, Expr::value(Utc::now()))
            .filter(customer::Column::Id.eq(&link.id))
            .filter(seen)
            .exec(db)
            .await?;
        Ok(linked_membership(db, customer_id).await?)
    }

    /// Ends the cart's session without an order (the shopper left loyalty);
    /// the host is told first so it never keeps an open transaction.
    pub async fn cancel(
        &self,
        db: &DatabaseConnection,
        cart_id: &str,
    ) -> Result<SessionDetail, LoyaltyError> {
        let session = find_session(db, cart_id)
            .await?
            .ok_or_else(|| DomainError::not_found("Loyalty session", cart_id))?;
        let status = session.status;
        if !status.can_become(SessionStatus::Cancelled) {
            return Err(DomainError::Conflict(format!(
                "the loyalty session is {status} and cannot be cancelled"
            ))
            .into());
        }
        let credentials = self.credentials(db, &session.store_id).await?;
        self.host
            .cancel(&credentials, &session.pos_sequence_id)
            .await?;
        let session = transition(db, &session, SessionStatus::Cancelled, |u| u).await?;
        Ok(detail(db, session).await?)
    }
}

/// Records what the host said to a finalize of `session` (pending):
/// finalized, worth a retry, or failed for good.
async fn record_finalize(
    db: &DatabaseConnection,
    session: &session::Model,
    outcome: Result<host::Finalization, LoyaltyError>,
    last_attempt: bool,
) -> Result<Option<SessionStatus>, LoyaltyError> {
    match outcome {
        Ok(done) => {
            // First the linked accounts of this member: a failure here is retried
            // with the event, which a finalized session would not be.
            if let Some(balance) = done.points_balance {
                customer::Entity::update_many()
                    .col_expr(customer::Column::PointsBalance, Expr::value(balance))
                    .col_expr(customer::Column::BalanceSyncedAt, Expr::value(Utc::now()))
                    .filter(customer::Column::Phone.eq(&session.phone))
                    .filter(customer::Column::MembershipId.eq(&session.member_id))
                    .exec(db)
                    .await?;
            }
            let finalized = transition(db, session, SessionStatus::Finalized, |u| {
                let u = u
                    .col_expr(
                        session::Column::HostTransactionId,
                        Expr::value(done.confirmation_id),
                    )
                    .col_expr(
                        session::Column::PointsEarned,
                        Expr::value(done.points_earned),
                    )
                    .col_expr(
                        session::Column::LastError,
                        Expr::value(Option::<String>::None),
                    );
                match done.points_balance {
                    Some(balance) => {
                        u.col_expr(session::Column::PointsBalance, Expr::value(balance))
                    }
                    None => u,
                }
            })
            .await?;
            tracing::info!(session = %finalized.id, order = ?finalized.order_id, "loyalty session finalized");
            Ok(Some(SessionStatus::Finalized))
        }
        Err(LoyaltyError::Unavailable(message)) if !last_attempt => {
            session::Entity::update_many()
                .col_expr(session::Column::LastError, Expr::value(message.clone()))
                .filter(session::Column::Id.eq(&session.id))
                .exec(db)
                .await?;
            Err(LoyaltyError::Unavailable(message))
        }
        Err(e) => {
            let message = e.to_string();
            tracing::warn!(session = %session.id, error = %message, "loyalty finalize failed for good");
            transition(db, session, SessionStatus::Failed, |u| {
                u.col_expr(session::Column::LastError, Expr::value(message))
            })
            .await?;
            Ok(Some(SessionStatus::Failed))
        }
    }
}

/// Chooses or drops an optional reward. Instant rewards stay applied; the
/// chosen rewards together must not cost more points than the member has.
pub async fn select_reward(
    db: &DatabaseConnection,
    cart_id: &str,
    reward_id: &str,
    selected: bool,
) -> Result<SessionDetail, DomainError> {
    let session = active_session(db, cart_id).await?;
    let cart = carts::get_cart(db, cart_id).await?;
    if is_stale(&session, &cart.items) {
        return Err(DomainError::Conflict(
            "the cart changed since the rewards were calculated; calculate them again".into(),
        ));
    }
    let rewards = rewards_of(db, &session.id).await?;
    let reward = rewards
        .iter()
        .find(|r| r.reward_id == reward_id)
        .ok_or_else(|| DomainError::not_found("Loyalty reward", reward_id))?;
    if reward.instant && !selected {
        return Err(DomainError::Invalid(
            "instant rewards are always applied".into(),
        ));
    }
    if selected && !redeemable(&session, reward.points_cost) {
        return Err(DomainError::NotAllowed(format!(
            "this reward costs {} points: the member's phone must be verified first \
             (ask for a code by SMS and enter it)",
            reward.points_cost
        )));
    }
    let cost: i64 = rewards
        .iter()
        .filter(|r| {
            if r.reward_id == reward_id {
                selected
            } else {
                r.applied
            }
        })
        .map(|r| r.points_cost)
        .sum();
    if cost > session.points_balance {
        return Err(DomainError::Invalid(format!(
            "these rewards cost {cost} points; the member has {}",
            session.points_balance
        )));
    }
    let mut choices = snapshot(&session);
    choices.selected.retain(|id| id != reward_id);
    if selected && !reward.instant {
        choices.selected.push(reward_id.to_owned());
    }
    let txn = crate::db::begin_write(db).await?;
    let mut row = reward.clone().into_active_model();
    row.applied = Set(selected);
    row.update(&txn).await?;
    let mut session = session.into_active_model();
    session.rewards = Set(snapshot_json(&choices)?);
    session.updated_at = Set(Utc::now());
    let session = session.update(&txn).await?;
    txn.commit().await?;
    detail(db, session).await
}

/// The cart's session with its rewards, if it was identified.
pub async fn session_for_cart(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Option<SessionDetail>, DomainError> {
    match find_session(db, cart_id).await? {
        Some(session) => Ok(Some(detail(db, session).await?)),
        None => Ok(None),
    }
}

/// What loyalty takes off a cart holding `items`, minor units: 0 when the
/// cart is not identified, its session was cancelled or failed, or its
/// rewards were calculated for another basket. Cart totals take it as an
/// order discount, so tax is computed on what is left.
pub async fn discount_for_items(
    db: &impl ConnectionTrait,
    cart_id: &str,
    items: &[line_item::Model],
) -> Result<i64, DomainError> {
    let Some(session) = find_session(db, cart_id).await? else {
        return Ok(0);
    };
    let status = session.status;
    let rewards = rewards_of(db, &session.id).await?;
    discount_given(&session, status, items, &rewards)
}

fn discount_given(
    session: &session::Model,
    status: SessionStatus,
    items: &[line_item::Model],
    rewards: &[reward::Model],
) -> Result<i64, DomainError> {
    match status {
        SessionStatus::Cancelled | SessionStatus::Failed => Ok(0),
        _ if is_stale(session, items) => Ok(0),
        _ => discount_of(items, given(session, rewards)),
    }
}

/// The rewards the session gives: applied, and not costing points the
/// shopper has not proved are theirs.
fn given<'a>(
    session: &'a session::Model,
    rewards: &'a [reward::Model],
) -> impl Iterator<Item = &'a reward::Model> {
    rewards
        .iter()
        .filter(|r| r.applied && redeemable(session, r.points_cost))
}

/// Sessions, newest first, optionally only those in `status` (operators'
/// view); with the count of all that match.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    status: Option<SessionStatus>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<session::Model>, u64), DomainError> {
    let mut query = session::Entity::find();
    if let Some(status) = status {
        query = query.filter(session::Column::Status.eq(status));
    }
    let count = query.clone().count(db).await?;
    let sessions = query
        .order_by_desc(session::Column::CreatedAt)
        .order_by_desc(session::Column::Id)
        .offset(crate::paging::row_offset(offset))
        .limit(limit)
        .all(db)
        .await?;
    Ok((sessions, count))
}

/// The customer's linked membership, if any.
pub async fn linked_membership(
    db: &impl ConnectionTrait,
    customer_id: &str,
) -> Result<Option<customer::Model>, DomainError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::CustomerId.eq(customer_id))
        .one(db)
        .await?)
}

/// What loyalty did for an order: the member, and once finalized the
/// points earned, rewards redeemed and the balance after.
#[derive(Debug, Clone)]
pub struct OrderLoyalty {
    pub status: SessionStatus,
    pub member_id: String,
    pub points_earned: Option<i64>,
    /// `None` unless the shopper verified the phone.
    pub points_balance: Option<i64>,
    /// Descriptions of the rewards given on the order.
    pub rewards_redeemed: Vec<String>,
}

pub async fn for_order(
    db: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Option<OrderLoyalty>, DomainError> {
    // By the order's cart: right after the order its session is not yet
    // marked with the order (finalize does that).
    let Some(order) = orders::order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(None);
    };
    let Some(session) = find_session(db, &order.cart_id).await? else {
        return Ok(None);
    };
    let status = session.status;
    let items = line_item::Entity::find()
        .filter(line_item::Column::CartId.eq(&session.cart_id))
        .all(db)
        .await?;
    // Stale rewards were not given (and not redeemed), as in finalize.
    let rewards_redeemed = if is_stale(&session, &items) {
        Vec::new()
    } else {
        given(&session, &rewards_of(db, &session.id).await?)
            .map(|r| r.description.clone())
            .collect()
    };
    Ok(Some(OrderLoyalty {
        status,
        points_balance: session.phone_verified_at.map(|_| session.points_balance),
        member_id: session.member_id,
        points_earned: session.points_earned,
        rewards_redeemed,
    }))
}

/// How long after a cart change its rewards are calculated: a shopper
/// changing several lines in a row costs one host call, for the last basket.
pub const CART_REWARDS_DEBOUNCE: chrono::Duration = chrono::Duration::milliseconds(500);

/// Called by the cart when its lines changed: an identified cart gets its
/// rewards calculated again ([`CART_UPDATED`], debounced). Carts nobody
/// identified emit nothing, so the common cart write stays as light as it was.
pub async fn cart_lines_changed(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<(), DomainError> {
    let active = find_session(db, cart_id)
        .await?
        .is_some_and(|s| s.status == SessionStatus::Active);
    if active {
        events::emit_after(
            db,
            CART_UPDATED,
            &serde_json::json!({ "cart_id": cart_id }),
            CART_REWARDS_DEBOUNCE,
        )
        .await?;
    }
    Ok(())
}

async fn find_session(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<Option<session::Model>, DomainError> {
    Ok(session::Entity::find()
        .filter(session::Column::CartId.eq(cart_id))
        .one(db)
        .await?)
}

async fn active_session(
    db: &impl ConnectionTrait,
    cart_id: &str,
) -> Result<session::Model, DomainError> {
    let session = find_session(db, cart_id)
        .await?
        .ok_or_else(|| DomainError::not_found("Loyalty session", cart_id))?;
    ensure_active(&session)?;
    Ok(session)
}

fn ensure_active(session: &session::Model) -> Result<(), DomainError> {
    match session.status {
        SessionStatus::Active => Ok(()),
        other => Err(DomainError::Conflict(format!(
            "the cart's loyalty session is {other}"
        ))),
    }
}

/// Moves `session` to `to` with `changes`, only if it is still in the status
/// it was read in (two racing changes: one wins, the other gets a conflict).
async fn transition(
    db: &impl ConnectionTrait,
    session: &session::Model,
    to: SessionStatus,
    changes: impl FnOnce(UpdateMany<session::Entity>) -> UpdateMany<session::Entity>,
) -> Result<session::Model, DomainError> {
    let from = session.status;
    if !from.can_become(to) {
        return Err(DomainError::Conflict(format!(
            "a loyalty session that is {from} cannot become {to}"
        )));
    }
    let update = session::Entity::update_many()
        .col_expr(session::Column::Status, Expr::value(to))
        .col_expr(session::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(session::Column::Id.eq(&session.id))
        .filter(session::Column::Status.eq(from));
    let done = changes(update).exec(db).await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "the loyalty session changed meanwhile; try again".into(),
        ));
    }
    session::Entity::find_by_id(&session.id)
        .one(db)
        .await?
        .ok_or_else(|| DomainError::not_found("Loyalty session", &session.id))
}

async fn rewards_of(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Vec<reward::Model>, DomainError> {
    Ok(reward::Entity::find()
        .filter(reward::Column::SessionId.eq(session_id))
        .order_by_asc(reward::Column::RewardId)
        .all(db)
        .await?)
}

async fn detail(
    db: &impl ConnectionTrait,
    session: session::Model,
) -> Result<SessionDetail, DomainError> {
    let status = session.status;
    let rewards = rewards_of(db, &session.id).await?;
    let cart = carts::get_cart(db, &session.cart_id).await?;
    let rewards_stale = is_stale(&session, &cart.items);
    let discount_total = discount_given(&session, status, &cart.items, &rewards)?;
    let verified = session.phone_verified_at.is_some();
    let code_sent = match (verified, status) {
        (false, SessionStatus::Active) => {
            verification::open_cart_code(db, &session.cart_id).await?
        }
        _ => None,
    };
    Ok(SessionDetail {
        points_earnable: snapshot(&session).points_earnable,
        verified,
        points_balance: verified.then_some(session.points_balance),
        code_sent,
        rewards: rewards
            .into_iter()
            .filter(|r| redeemable(&session, r.points_cost))
            .collect(),
        session,
        status,
        discount_total,
        rewards_stale,
    })
}

/// Rewards calculated for another basket (lines, quantities or prices since
/// changed) must not count: a per-unit discount could exceed what is left.
fn is_stale(session: &session::Model, items: &[line_item::Model]) -> bool {
    let calculated_for = snapshot(session).basket;
    !calculated_for.is_empty() && calculated_for != basket_fingerprint(items)
}

fn basket_fingerprint(items: &[line_item::Model]) -> String {
    let mut lines: Vec<String> = items
        .iter()
        .map(|i| format!("{}:{}:{}", i.id, i.quantity, i.unit_price))
        .collect();
    lines.sort();
    let digest = ring::digest::digest(&ring::digest::SHA256, lines.join(";").as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn discount_of<'a>(
    items: &[line_item::Model],
    given: impl Iterator<Item = &'a reward::Model>,
) -> Result<i64, DomainError> {
    let lines: Vec<Line> = items
        .iter()
        .map(|i| Line {
            id: &i.id,
            total: i.unit_price.saturating_mul(i64::from(i.quantity)),
        })
        .collect();
    let applied: Vec<Discount> = given
        .map(|r| Discount {
            reward_id: &r.reward_id,
            line_id: r.line_item_id.as_deref(),
            amount: r.discount_amount,
        })
        .collect();
    discount::loyalty_discount(&lines, &applied)
}

/// The cart as the host sees it: lines keyed by their ids, items by SKU.
async fn cart_basket(
    db: &impl ConnectionTrait,
    items: &[line_item::Model],
) -> Result<Vec<BasketLine>, DomainError> {
    basket(
        db,
        items.iter().map(|item| BasketLine {
            line_id: item.id.clone(),
            item_code: item.variant_id.clone(),
            description: item.title.clone(),
            quantity: i64::from(item.quantity),
            unit_price: item.unit_price,
        }),
    )
    .await
}

/// `lines` with their `item_code` (a variant id on the way in) replaced by
/// the variant's SKU where it has one.
async fn basket(
    db: &impl ConnectionTrait,
    lines: impl Iterator<Item = BasketLine>,
) -> Result<Vec<BasketLine>, DomainError> {
    let mut lines: Vec<BasketLine> = lines.collect();
    let skus: HashMap<String, String> = variant::Entity::find()
        .filter(variant::Column::Id.is_in(lines.iter().map(|l| l.item_code.clone())))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|v| Some((v.id, v.sku?)))
        .collect();
    for line in &mut lines {
        if let Some(sku) = skus.get(&line.item_code) {
            line.item_code = sku.clone();
        }
    }
    Ok(lines)
}

/// Links the customer to `member` (again, when already linked), verified:
/// the caller checked a code sent to `phone`. Announced, in the caller's
/// transaction.
async fn link_customer(
    db: &impl ConnectionTrait,
    customer_id: &str,
    member: &host::Member,
    phone: &str,
) -> Result<(), DomainError> {
    let now = Utc::now();
    let existing = linked_membership(db, customer_id).await?;
    let mut link = match &existing {
        Some(link) => link.clone().into_active_model(),
        None => customer::ActiveModel {
            id: Set(new_id("lcus")),
            customer_id: Set(customer_id.to_owned()),
            ..Default::default()
        },
    };
    link.membership_id = Set(member.member_id.clone());
    link.phone = Set(phone.to_owned());
    link.linked_at = Set(now);
    link.points_balance = Set(Some(member.points_balance));
    link.balance_synced_at = Set(Some(now));
    link.verified_at = Set(Some(now));
    match existing {
        Some(_) => link.update(db).await?,
        None => link.insert(db).await?,
    };
    events::emit(
        db,
        MEMBER_LINKED,
        &serde_json::json!({ "customer_id": customer_id }),
    )
    .await?;
    Ok(())
}

/// A phone number as shoppers type it: digits, spaces, `+`, `-`, `(`, `)`;
/// 7 to 15 digits (E.164).
fn parse_phone(phone: &str) -> Result<String, DomainError> {
    let phone = phone.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.'));
    if !allowed || !(7..=15).contains(&digits) {
        return Err(DomainError::Invalid(
            "phone must be a phone number of 7 to 15 digits".into(),
        ));
    }
    Ok(phone.to_owned())
}

fn snapshot(session: &session::Model) -> RewardsSnapshot {
    serde_json::from_str(&session.rewards).unwrap_or_default()
}

fn snapshot_json(snapshot: &RewardsSnapshot) -> Result<String, DomainError> {
    serde_json::to_string(snapshot).map_err(|e| DomainError::Invalid(format!("rewards: {e}")))
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::parse_phone;

    #[test]
    fn phones_are_checked() {
        assert_eq!(parse_phone(" +1 555 010 0001 ").unwrap(), "+1 555 010 0001");
        assert!(parse_phone("12345").is_err());
        assert!(parse_phone("555-CALL-NOW").is_err());
        assert!(parse_phone("1234567890123456").is_err());
    }
}
