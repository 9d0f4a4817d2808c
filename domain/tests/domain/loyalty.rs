use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
};

use async_trait::async_trait;
use domain::{
    DomainError, carts, catalog,
    events::{self, Dispatcher},
    loyalty::{
        self, ConfigInput, DEFAULT_STORE_ID, Loyalty, LoyaltyError, SessionStatus,
        finalize::FinalizeOnOrderPlaced,
        host::{
            BasketLine, Calculation, Finalization, HostCredentials, HostError, LoyaltyHost, Member,
            OfferedReward,
        },
        secret::SecretBox,
        store_config,
        sync::LoyaltySync,
        verification::{SmsError, SmsSender},
    },
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

use crate::{on_every_backend, seeded};

pub const PHONE: &str = "+1 555 010 0001";
/// [`PHONE`] as an SMS is addressed.
pub const PHONE_E164: &str = "+15550100001";
const SECRET: &str = "host secret";

/// A host with one member (100 points, plus `balance_change` when asked
/// outside a transaction) that offers, for any basket: 50 off
/// the first line (instant), 80 off the ticket for 60 points (optional),
/// 70 off the ticket for 60 points (optional).
#[derive(Default)]
pub struct FakeHost {
    pub down: AtomicBool,
    pub finalized: Mutex<Vec<(String, Vec<String>)>>,
    cancelled: AtomicUsize,
    pub balance_change: AtomicI64,
    /// The base URLs the client was told to forget.
    forgotten: Mutex<Vec<String>>,
    calculations: AtomicUsize,
    /// Also offers an instant reward of 30 off that costs 40 points.
    pub costly_instant: AtomicBool,
}

impl FakeHost {
    fn check(&self, credentials: &HostCredentials) -> Result<(), HostError> {
        assert_eq!(
            credentials.client_secret, SECRET,
            "the stored secret, opened"
        );
        if self.down.load(Ordering::SeqCst) {
            return Err(HostError::Unavailable("connection refused".into()));
        }
        Ok(())
    }
}

fn offer(id: &str, line: Option<&str>, amount: i64, instant: bool, cost: i64) -> OfferedReward {
    OfferedReward {
        reward_id: id.into(),
        reward_type: if line.is_some() {
            "LINE_DISCOUNT"
        } else {
            "TICKET_DISCOUNT"
        }
        .into(),
        description: id.into(),
        instant,
        line_id: line.map(str::to_owned),
        discount_amount: amount,
        points_multiplier: None,
        points_cost: cost,
    }
}

/// Whether `phone` is [`PHONE`], however it is written (hosts compare digits).
fn is_member(phone: &str) -> bool {
    let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
    digits(phone) == digits(PHONE)
}

#[async_trait]
impl LoyaltyHost for FakeHost {
    async fn identify(
        &self,
        credentials: &HostCredentials,
        phone: &str,
        _pos_sequence_id: &str,
    ) -> Result<Member, HostError> {
        self.check(credentials)?;
        if !is_member(phone) {
            return Err(HostError::MemberNotFound);
        }
        Ok(Member {
            member_id: "****5678".into(),
            name: None,
            points_balance: 100,
        })
    }

    async fn member(
        &self,
        credentials: &HostCredentials,
        phone: &str,
    ) -> Result<Member, HostError> {
        self.check(credentials)?;
        if !is_member(phone) {
            return Err(HostError::MemberNotFound);
        }
        Ok(Member {
            member_id: "****5678".into(),
            name: None,
            points_balance: 100 + self.balance_change.load(Ordering::SeqCst),
        })
    }

    async fn calculate(
        &self,
        credentials: &HostCredentials,
        _pos_sequence_id: &str,
        lines: &[BasketLine],
    ) -> Result<Calculation, HostError> {
        self.check(credentials)?;
        self.calculations.fetch_add(1, Ordering::SeqCst);
        assert!(
            lines
                .iter()
                .all(|l| l.item_code == l.item_code.to_uppercase()),
            "SKUs"
        );
        let mut rewards = vec![
            offer("line-50", Some(&lines[0].line_id), 50, true, 0),
            offer("ticket-80", None, 80, false, 60),
            offer("ticket-70", None, 70, false, 60),
        ];
        if self.costly_instant.load(Ordering::SeqCst) {
            rewards.push(offer("gift-30", None, 30, true, 40));
        }
        Ok(Calculation {
            rewards,
            points_balance: 100,
            points_earnable: 7,
        })
    }

    async fn finalize(
        &self,
        credentials: &HostCredentials,
        pos_sequence_id: &str,
        _lines: &[BasketLine],
        applied_reward_ids: &[String],
    ) -> Result<Finalization, HostError> {
        self.check(credentials)?;
        self.finalized
            .lock()
            .unwrap()
            .push((pos_sequence_id.into(), applied_reward_ids.to_vec()));
        Ok(Finalization {
            confirmation_id: "CNF-1".into(),
            points_earned: 7,
            points_redeemed: 60,
            points_balance: Some(47),
        })
    }

    async fn cancel(&self, credentials: &HostCredentials, _: &str) -> Result<(), HostError> {
        self.check(credentials)?;
        self.cancelled.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn forget(&self, base_url: &str) {
        self.forgotten.lock().unwrap().push(base_url.to_owned());
    }
}

/// Records the messages it is asked to send; fails them while `down`.
#[derive(Default)]
pub struct FakeSms {
    pub sent: Mutex<Vec<(String, String)>>,
    pub down: AtomicBool,
}

impl FakeSms {
    /// The code in the latest message.
    pub fn last_code(&self) -> String {
        let sent = self.sent.lock().unwrap();
        let (_, body) = sent.last().expect("a message was sent");
        body.split(|c: char| !c.is_ascii_digit())
            .find(|run| run.len() == 6)
            .expect("a 6-digit code")
            .to_owned()
    }
}

#[async_trait]
impl SmsSender for FakeSms {
    async fn send(&self, to: &str, body: &str) -> Result<(), SmsError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(SmsError("provider down".into()));
        }
        self.sent.lock().unwrap().push((to.into(), body.into()));
        Ok(())
    }
}

pub async fn configured(db: &DatabaseConnection, host: Arc<FakeHost>) -> Loyalty {
    configured_with_sms(db, host, Arc::default()).await
}

/// A configured service, with the host and the SMS sender it talks to.
pub async fn texting(db: &DatabaseConnection) -> (Arc<FakeHost>, Arc<FakeSms>, Loyalty) {
    let host = Arc::new(FakeHost::default());
    let sms = Arc::new(FakeSms::default());
    let loyalty = configured_with_sms(db, host.clone(), sms.clone()).await;
    (host, sms, loyalty)
}

pub async fn configured_with_sms(
    db: &DatabaseConnection,
    host: Arc<FakeHost>,
    sms: Arc<FakeSms>,
) -> Loyalty {
    let loyalty = Loyalty::new(host, SecretBox::new("test key"), sms);
    loyalty
        .save_config(db, DEFAULT_STORE_ID, config_input(Some(SECRET)))
        .await
        .unwrap();
    loyalty
}

fn config_input(secret: Option<&str>) -> ConfigInput {
    ConfigInput {
        enabled: true,
        provider: "pdi-conexxus".into(),
        base_url: "http://loyalty.test/".into(),
        client_id: "automat".into(),
        client_secret: secret.map(str::to_owned),
        participant_id: Some("P1".into()),
        site_id: Some(" ".into()),
    }
}

/// The demo store, and a cart in it with 2 cold brews and an apple.
pub async fn cart(db: &DatabaseConnection) -> String {
    seeded(db).await;
    another_cart(db).await
}

/// One more cart with 2 cold brews and an apple, in a store seeded before.
pub async fn another_cart(db: &DatabaseConnection) -> String {
    let cart = carts::create_cart(db, carts::NewCart::in_currency("eur"))
        .await
        .unwrap()
        .cart;
    for (handle, quantity) in [("cold-brew-coffee", 2), ("apple", 1)] {
        let product = catalog::find_published(db, handle).await.unwrap();
        carts::add_line_item(db, &cart.id, &product.variants[0].variant.id, quantity)
            .await
            .unwrap();
    }
    cart.id
}

#[tokio::test]
async fn the_client_secret_is_sealed_at_rest_and_kept_when_not_resent() {
    on_every_backend(async |db| {
        let loyalty = configured(&db, Arc::default()).await;
        let stored = store_config::Entity::find_by_id(DEFAULT_STORE_ID)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.client_secret_encrypted.contains(SECRET));
        assert_eq!(stored.base_url, "http://loyalty.test");
        assert_eq!(stored.site_id, None);
        loyalty
            .save_config(&db, DEFAULT_STORE_ID, config_input(None))
            .await
            .unwrap();
        let credentials = loyalty.credentials(&db, DEFAULT_STORE_ID).await.unwrap();
        assert_eq!(credentials.client_secret, SECRET);
        let mut bad = config_input(None);
        bad.base_url = "ftp://x".into();
        assert!(matches!(
            loyalty.save_config(&db, DEFAULT_STORE_ID, bad).await,
            Err(DomainError::Invalid(_))
        ));
        let unconfigured = Loyalty::new(
            Arc::new(FakeHost::default()),
            SecretBox::new("k"),
            Arc::new(FakeSms::default()),
        );
        assert!(matches!(
            unconfigured
                .save_config(&db, "other", config_input(None))
                .await,
            Err(DomainError::Invalid(_))
        ));
    })
    .await;
}

/// Texts a code for the cart and enters it.
pub async fn verify_by_sms(
    db: &DatabaseConnection,
    loyalty: &Loyalty,
    sms: &FakeSms,
    cart_id: &str,
) {
    loyalty.send_cart_code(db, cart_id).await.unwrap();
    let verified = loyalty
        .verify_cart(db, cart_id, &sms.last_code(), None)
        .await
        .unwrap();
    assert!(verified.verified);
}

#[tokio::test]
async fn identify_calculate_and_choose_rewards() {
    on_every_backend(async |db| {
        let (_, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        assert!(matches!(
            loyalty
                .identify(&db, &cart_id, "+1 555 999 9999", None)
                .await,
            Err(LoyaltyError::Domain(DomainError::NotFound { .. }))
        ));
        assert!(matches!(
            loyalty.identify(&db, &cart_id, "call me", None).await,
            Err(LoyaltyError::Domain(DomainError::Invalid(_)))
        ));
        let identified = loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        assert_eq!(identified.status, SessionStatus::Active);
        assert_eq!(identified.session.member_id, "****5678");
        verify_by_sms(&db, &loyalty, &sms, &cart_id).await;
        let again = loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        assert_eq!(
            again.session.pos_sequence_id, identified.session.pos_sequence_id,
            "identifying again keeps the host transaction"
        );
        assert!(again.verified, "and, with the same phone, its proof");
        assert_eq!(
            carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            0
        );

        let calculated = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(calculated.rewards.len(), 3);
        assert_eq!(
            calculated.discount_total, 50,
            "the instant reward applies itself"
        );
        assert_eq!(calculated.points_earnable, 7);

        let chosen = loyalty::select_reward(&db, &cart_id, "ticket-80", true)
            .await
            .unwrap();
        assert_eq!(chosen.discount_total, 130);
        let again = loyalty::select_reward(&db, &cart_id, "ticket-80", true)
            .await
            .unwrap();
        assert_eq!(again.discount_total, 130, "choosing twice applies once");
        assert!(
            matches!(
                loyalty::select_reward(&db, &cart_id, "ticket-70", true).await,
                Err(DomainError::Invalid(_))
            ),
            "120 points needed, 100 held"
        );
        assert!(matches!(
            loyalty::select_reward(&db, &cart_id, "line-50", false).await,
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            loyalty::select_reward(&db, &cart_id, "nope", true).await,
            Err(DomainError::NotFound { .. })
        ));
        // A recalculation keeps the shopper's choice.
        let recalculated = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(recalculated.discount_total, 130);
        assert_eq!(
            carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            130
        );
        // The cart changes: the old rewards no longer count until recalculated.
        let product = catalog::find_published(&db, "apple").await.unwrap();
        carts::add_line_item(&db, &cart_id, &product.variants[0].variant.id, 1)
            .await
            .unwrap();
        assert_eq!(
            carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            0
        );
        let stale = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert!(stale.rewards_stale);
        assert!(matches!(
            loyalty::select_reward(&db, &cart_id, "ticket-80", false).await,
            Err(DomainError::Conflict(_))
        ));
        let fresh = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert!(!fresh.rewards_stale);
        assert_eq!(fresh.discount_total, 130, "the choice survives");
        let dropped = loyalty::select_reward(&db, &cart_id, "ticket-80", false)
            .await
            .unwrap();
        assert_eq!(dropped.discount_total, 50);
    })
    .await;
}

#[tokio::test]
async fn an_unavailable_or_disabled_host_is_reported_as_unavailable() {
    on_every_backend(async |db| {
        let host = Arc::new(FakeHost::default());
        let loyalty = configured(&db, host.clone()).await;
        let cart_id = cart(&db).await;
        host.down.store(true, Ordering::SeqCst);
        assert!(matches!(
            loyalty.identify(&db, &cart_id, PHONE, None).await,
            Err(LoyaltyError::Unavailable(_))
        ));
        host.down.store(false, Ordering::SeqCst);
        let mut off = config_input(None);
        off.enabled = false;
        loyalty
            .save_config(&db, DEFAULT_STORE_ID, off)
            .await
            .unwrap();
        assert!(matches!(
            loyalty.identify(&db, &cart_id, PHONE, None).await,
            Err(LoyaltyError::Unavailable(_))
        ));
    })
    .await;
}

/// Makes every pending event due now (skips the retry back-off).
pub async fn due_now(db: &DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("UPDATE outbox_events SET available_at = created_at")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_order_is_finalized_from_the_outbox_once_the_host_is_back() {
    on_every_backend(async |db| {
        let (host, sms, loyalty) = texting(&db).await;
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        verify_by_sms(&db, &loyalty, &sms, &cart_id).await;
        loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        loyalty::select_reward(&db, &cart_id, "ticket-80", true)
            .await
            .unwrap();
        let dispatcher = Dispatcher::new(
            db.clone(),
            vec![Arc::new(FinalizeOnOrderPlaced::new(
                db.clone(),
                loyalty.clone(),
            ))],
        );

        host.down.store(true, Ordering::SeqCst);
        events::emit(
            &db,
            domain::orders::ORDER_PLACED,
            &json!({"id": "order_1", "cart_id": cart_id}),
        )
        .await
        .unwrap();
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 0);
        let pending = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(pending.status, SessionStatus::PendingFinalization);
        assert_eq!(pending.session.order_id.as_deref(), Some("order_1"));
        assert!(pending.session.last_error.is_some());
        assert_eq!(pending.discount_total, 130, "the discount still counts");

        host.down.store(false, Ordering::SeqCst);
        due_now(&db).await;
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 1);
        let done = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(done.status, SessionStatus::Finalized);
        assert_eq!(done.session.host_transaction_id.as_deref(), Some("CNF-1"));
        assert_eq!(done.session.points_earned, Some(7));
        assert_eq!(done.session.points_balance, 47);
        let finalized = host.finalized.lock().unwrap().clone();
        assert_eq!(finalized.len(), 1);
        assert_eq!(finalized[0].0, done.session.pos_sequence_id);
        let mut applied = finalized[0].1.clone();
        applied.sort();
        assert_eq!(applied, ["line-50", "ticket-80"]);

        // A second delivery of the same event changes nothing.
        assert_eq!(
            loyalty
                .finalize_order(&db, &cart_id, "order_1", false)
                .await
                .unwrap(),
            Some(SessionStatus::Finalized)
        );
        assert_eq!(host.finalized.lock().unwrap().len(), 1);
        assert!(matches!(
            loyalty.cancel(&db, &cart_id).await,
            Err(LoyaltyError::Domain(DomainError::Conflict(_)))
        ));
    })
    .await;
}

#[tokio::test]
async fn finalize_fails_for_good_on_the_last_attempt_and_skips_unidentified_carts() {
    on_every_backend(async |db| {
        let host = Arc::new(FakeHost::default());
        let loyalty = configured(&db, host.clone()).await;
        let cart_id = cart(&db).await;
        assert_eq!(
            loyalty
                .finalize_order(&db, &cart_id, "order_1", false)
                .await
                .unwrap(),
            None,
            "not identified: nothing to do"
        );
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        host.down.store(true, Ordering::SeqCst);
        assert!(matches!(
            loyalty
                .finalize_order(&db, &cart_id, "order_1", false)
                .await,
            Err(LoyaltyError::Unavailable(_))
        ));
        assert_eq!(
            loyalty
                .finalize_order(&db, &cart_id, "order_1", true)
                .await
                .unwrap(),
            Some(SessionStatus::Failed)
        );
        let failed = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.status, SessionStatus::Failed);
        assert_eq!(failed.discount_total, 0);
        assert!(
            matches!(
                loyalty.identify(&db, &cart_id, PHONE, None).await,
                Err(LoyaltyError::Domain(DomainError::Conflict(_)))
            ),
            "a closed session takes no changes"
        );
    })
    .await;
}

#[tokio::test]
async fn a_cancelled_session_is_never_finalized() {
    on_every_backend(async |db| {
        let host = Arc::new(FakeHost::default());
        let loyalty = configured(&db, host.clone()).await;
        let cart_id = cart(&db).await;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        let cancelled = loyalty.cancel(&db, &cart_id).await.unwrap();
        assert_eq!(cancelled.status, SessionStatus::Cancelled);
        assert_eq!(cancelled.discount_total, 0);
        assert_eq!(host.cancelled.load(Ordering::SeqCst), 1);
        assert_eq!(
            carts::get_cart(&db, &cart_id)
                .await
                .unwrap()
                .totals
                .discount_total,
            0
        );
        assert_eq!(
            loyalty
                .finalize_order(&db, &cart_id, "order_1", false)
                .await
                .unwrap(),
            Some(SessionStatus::Cancelled)
        );
        assert!(host.finalized.lock().unwrap().is_empty());
        assert!(matches!(
            loyalty::select_reward(&db, &cart_id, "ticket-80", true).await,
            Err(DomainError::Conflict(_))
        ));
    })
    .await;
}

pub fn syncing(db: &DatabaseConnection, loyalty: &Loyalty) -> Dispatcher {
    Dispatcher::new(
        db.clone(),
        vec![Arc::new(LoyaltySync::new(db.clone(), loyalty.clone()))],
    )
}

pub async fn pending_named(db: &DatabaseConnection, name: &str) -> usize {
    events::pending(db)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.name == name)
        .count()
}

pub async fn register(db: &DatabaseConnection, email: &str, phone: Option<&str>) -> String {
    use domain::{
        credentials::{Email, Password},
        customers::{self, Profile},
    };
    let profile = Profile {
        phone: phone.map(str::to_owned),
        ..Default::default()
    };
    customers::sign_up(
        db,
        &Email::parse(email).unwrap(),
        &Password::parse("long enough").unwrap(),
        profile,
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn registering_with_a_phone_links_nothing_and_a_verified_link_syncs_the_balance() {
    on_every_backend(async |db| {
        let (host, sms, loyalty) = texting(&db).await;
        let dispatcher = syncing(&db, &loyalty);
        let member = register(&db, "member@example.com", Some(PHONE)).await;
        assert_eq!(
            pending_named(&db, domain::customers::CUSTOMER_REGISTERED).await,
            1
        );
        dispatcher.run_once(10).await.unwrap();
        assert!(
            loyalty::linked_membership(&db, &member)
                .await
                .unwrap()
                .is_none(),
            "a phone typed at sign-up proves nothing"
        );
        assert_eq!(pending_named(&db, loyalty::MEMBER_LINKED).await, 0);
        assert!(sms.sent.lock().unwrap().is_empty());

        // Proved by a code: linked, and the link's sync reads the balance again.
        loyalty.send_link_code(&db, &member, PHONE).await.unwrap();
        loyalty
            .verify_link(&db, &member, &sms.last_code())
            .await
            .unwrap();
        let link = loyalty::linked_membership(&db, &member)
            .await
            .unwrap()
            .expect("linked once verified");
        assert_eq!(
            (link.membership_id.as_str(), link.phone.as_str()),
            ("****5678", PHONE)
        );
        assert!(link.verified_at.is_some());
        assert_eq!(pending_named(&db, loyalty::MEMBER_LINKED).await, 1);
        host.balance_change.store(50, Ordering::SeqCst);
        dispatcher.run_once(10).await.unwrap();
        let synced = loyalty::linked_membership(&db, &member)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(synced.points_balance, Some(150));
        assert!(synced.balance_synced_at.is_some());
        assert!(events::pending(&db).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_identified_cart_that_changes_gets_its_rewards_calculated_again() {
    on_every_backend(async |db| {
        let host = Arc::new(FakeHost::default());
        let loyalty = configured(&db, host.clone()).await;
        let dispatcher = syncing(&db, &loyalty);
        let cart_id = cart(&db).await;
        let other_cart = carts::create_cart(&db, carts::NewCart::in_currency("eur"))
            .await
            .unwrap()
            .cart
            .id;
        loyalty.identify(&db, &cart_id, PHONE, None).await.unwrap();
        let calculated = loyalty.calculate_rewards(&db, &cart_id).await.unwrap();
        assert_eq!(calculated.discount_total, 50);
        dispatcher.run_once(10).await.unwrap();

        let apple = catalog::find_published(&db, "apple").await.unwrap();
        let variant = &apple.variants[0].variant.id;
        carts::add_line_item(&db, &other_cart, variant, 1)
            .await
            .unwrap();
        assert_eq!(
            pending_named(&db, loyalty::CART_UPDATED).await,
            0,
            "carts nobody identified emit nothing"
        );
        // A burst of changes: debounced, then calculated once for the last basket.
        for quantity in [1, 2] {
            carts::add_line_item(&db, &cart_id, variant, quantity)
                .await
                .unwrap();
        }
        assert_eq!(pending_named(&db, loyalty::CART_UPDATED).await, 2);
        let stale = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert!(stale.rewards_stale);
        assert_eq!(stale.discount_total, 0);
        assert_eq!(
            dispatcher.run_once(10).await.unwrap(),
            0,
            "not before the debounce has passed"
        );
        tokio::time::sleep(loyalty::CART_REWARDS_DEBOUNCE.to_std().unwrap()).await;
        let calculations = host.calculations.load(Ordering::SeqCst);
        assert_eq!(dispatcher.run_once(10).await.unwrap(), 2);
        assert_eq!(
            host.calculations.load(Ordering::SeqCst) - calculations,
            1,
            "one host call for the burst"
        );
        let fresh = loyalty::session_for_cart(&db, &cart_id)
            .await
            .unwrap()
            .unwrap();
        assert!(!fresh.rewards_stale, "calculated for the new basket");
        assert_eq!(fresh.discount_total, 50);
    })
    .await;
}

#[tokio::test]
async fn a_saved_config_makes_the_client_forget_the_old_and_the_new_host() {
    on_every_backend(async |db| {
        let host = Arc::new(FakeHost::default());
        let loyalty = configured(&db, host.clone()).await;
        let moved = ConfigInput {
            base_url: "http://other.test".into(),
            ..config_input(None)
        };
        loyalty
            .save_config(&db, DEFAULT_STORE_ID, moved)
            .await
            .unwrap();
        assert_eq!(
            pending_named(&db, loyalty::CONFIG_CHANGED).await,
            1,
            "the first save configured, the second changed"
        );
        syncing(&db, &loyalty).run_once(10).await.unwrap();
        let mut forgotten = host.forgotten.lock().unwrap().clone();
        forgotten.sort();
        assert_eq!(
            forgotten,
            ["http://loyalty.test", "http://other.test"],
            "the host before and the host after"
        );
    })
    .await;
}
